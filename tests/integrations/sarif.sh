#!/usr/bin/env bash
# plinth's SARIF against Microsoft's SARIF validator (@microsoft/sarif-multitool
# from the npm registry), which checks the SARIF 2.1.0 schema and its own
# rules. Any error or warning from the validator fails the test (a result
# without a level is a warning), except one: plinth has no public home page
# yet, so the driver has no `informationUri` (it comes from Cargo.toml's
# `repository` once that is set) and SARIF2005 warns about exactly that.
# Usage: tests/integrations/sarif.sh PATH-TO-PLINTH
set -euo pipefail

plinth=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work/npm" --no-audit --no-fund --silent @microsoft/sarif-multitool >/dev/null
# npm does not run the package's install script, which marks the binary executable.
find "$work/npm/node_modules/@microsoft" -name Sarif.Multitool -exec chmod u+x {} +
validator="$work/npm/node_modules/.bin/sarif-multitool"

cd "$root"
failed=0
for target in fixtures/demo fixtures; do
    name=$(echo "$target" | tr '/' '_')
    "$plinth" check --format sarif --fail-on never "$target" >"$work/$name.sarif"
    "$validator" validate "$work/$name.sarif" --output "$work/$name.validation.sarif" >/dev/null
    filter='.runs[].results[]? | select(.level == "error" or .level == "warning" or .level == null) | select(.message.id != "Warning_ProvideToolnformationUri")'
    problems=$(jq "[$filter] | length" "$work/$name.validation.sarif")
    results=$(jq '[.runs[].results[]] | length' "$work/$name.sarif")
    if [ "$problems" -ne 0 ]; then
        echo "FAIL: SARIF for $target has $problems validator errors or warnings:" >&2
        jq -r "$filter"' | "\(.ruleId): \(.message.text // .message.id) \(.message.arguments // [] | join(", "))"' "$work/$name.validation.sarif" >&2
        failed=1
    elif [ "$results" -eq 0 ]; then
        echo "FAIL: SARIF for $target has no results to validate" >&2
        failed=1
    else
        echo "SARIF for $target: $results results, valid"
    fi
done
exit "$failed"
