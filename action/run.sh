#!/usr/bin/env bash
# The GitHub Action's main step (action.yml runs it; tests/action.rs runs it
# locally with the GITHUB_* files pointed at temporary files).
#
# Inputs come as environment variables: PLINTH (the binary), INPUT_PATH,
# INPUT_FAIL_ON, INPUT_FORMAT (what the log shows: github annotations or
# human reports), INPUT_CONFIG (a config file), INPUT_SARIF_FILE, INPUT_ARGS (extra `plinth check`
# arguments, split on whitespace). It writes the SARIF file, prints the
# annotations, appends a Markdown table to $GITHUB_STEP_SUMMARY, sets the
# outputs findings, errors and sarif-file in $GITHUB_OUTPUT, and exits as
# plinth does: 0 clean, 1 findings at or above fail-on, 2 the run failed.
set -uo pipefail

plinth=${PLINTH:-plinth}
path=${INPUT_PATH:-.}
fail_on=${INPUT_FAIL_ON:-warning}
format=${INPUT_FORMAT:-github}
sarif_file=${INPUT_SARIF_FILE:-plinth.sarif}
read -r -a extra <<<"${INPUT_ARGS:-}"
if [ -n "${INPUT_CONFIG:-}" ]; then
    extra+=(--config "$INPUT_CONFIG")
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT

# plinth takes milliseconds, so each output is its own run: simpler than
# teaching one run to write several formats.
"$plinth" check --format sarif --fail-on never "${extra[@]}" "$path" >"$sarif_file"
"$plinth" check --format json --fail-on never "${extra[@]}" "$path" >"$report"
"$plinth" check --format "$format" --fail-on "$fail_on" "${extra[@]}" "$path"
status=$?

findings=$(jq '.summary.findings' "$report")
errors=$(jq '.summary.errors' "$report")

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "findings=$findings"
        echo "errors=$errors"
        echo "sarif-file=$sarif_file"
    } >>"$GITHUB_OUTPUT"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
        echo "## plinth"
        echo
        jq -r '.summary | "\(.findings) findings in \(.files) files (\(.resources) resources checked), \(.errors) run errors."' "$report"
        if [ "$findings" -gt 0 ]; then
            echo
            echo "| severity | rule | location | message |"
            echo "|---|---|---|---|"
            # Pipes and newlines would break the table.
            jq -r '.findings[] | "| \(.severity) | [\(.rule)](\(.url // "")) \(.name) | `\(.file):\(.line)` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
        fi
        if [ "$errors" -gt 0 ]; then
            echo
            echo "| run error | location | message |"
            echo "|---|---|---|"
            jq -r '.errors[] | "| \(.code) | `\(.file // "-"):\(.line // "-")` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
        fi
    } >>"$GITHUB_STEP_SUMMARY"
fi

exit "$status"
