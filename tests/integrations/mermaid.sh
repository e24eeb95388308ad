#!/usr/bin/env bash
# `plinth graph`'s Mermaid output against Mermaid's own parser (the `mermaid`
# package from the npm registry, run under node with jsdom standing in for
# the browser): the demo's diagram, the diagram of every fixture, one
# drawn from a generated template whose endpoint name holds quotes, a
# newline, HTML and Mermaid syntax, and the diagrams the GitHub Action's job
# summary shows (action/run.sh) for the demo and, cut to its bound, for 120
# units with findings. A diagram the parser rejects fails the
# test; so does a parser that accepts a label left unclosed (the check
# itself would be blind).
# Usage: tests/integrations/mermaid.sh PATH-TO-PLINTH
set -euo pipefail

plinth=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work/npm" --no-audit --no-fund --silent mermaid jsdom >/dev/null
cat >"$work/npm/parse.mjs" <<'JS'
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await import('mermaid');
// The syntax is under test, not size: the all-fixtures diagram has more
// than the 500 edges Mermaid draws by default.
mermaid.initialize({ startOnLoad: false, maxEdges: 100000 });
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(`${file}: parsed`);
  } catch (err) {
    console.log(`${file}: ${err?.message ?? err}`);
    failed = 1;
  }
}
process.exit(failed);
JS
parse() { node "$work/npm/parse.mjs" "$@"; }

printf 'flowchart LR\n  a["x"] -->|"y| b\n' >"$work/unclosed.mmd"
if parse "$work/unclosed.mmd" >/dev/null; then
    echo "FAIL: the Mermaid parser accepted an unclosed label" >&2
    exit 1
fi

mkdir "$work/hostile"
cat >"$work/hostile/main.json" <<'JSON'
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {"serverId": {"type": "string"}},
  "resources": [
    {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "vnet",
     "properties": {"subnets": [{"name": "snet", "properties": {"addressPrefix": "10.0.0.0/24"}}]}},
    {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01",
     "name": "pe\"]\nclick n0 call alert(1)\n%%{init: {}}%%\nx[\"<img src=x onerror=alert(1)>#quot;`|;{}()",
     "properties": {
       "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"},
       "privateLinkServiceConnections": [{"name": "c",
         "properties": {"privateLinkServiceId": "[parameters('serverId')]", "groupIds": ["postgresqlServer"]}}]}}
  ]
}
JSON

cd "$root"
"$plinth" graph fixtures/demo >"$work/demo.mmd"
# Some fixtures are broken on purpose (exit 2); what could be read is drawn.
"$plinth" graph fixtures >"$work/fixtures.mmd" 2>/dev/null || true
(cd "$work/hostile" && "$plinth" graph .) >"$work/hostile.mmd"
for file in demo fixtures hostile; do
    if ! grep -q '^  subgraph ' "$work/$file.mmd"; then
        echo "FAIL: the $file diagram draws no unit" >&2
        exit 1
    fi
done
# summary_diagram DIR NAME: the Action's step on DIR; its summary's
# ```mermaid block into NAME.mmd.
summary_diagram() {
    : >"$work/$2.md"
    GITHUB_STEP_SUMMARY="$work/$2.md" PLINTH="$plinth" INPUT_PATH="$1" \
        INPUT_SARIF_FILE="$work/$2.sarif" bash "$root/action/run.sh" >/dev/null 2>&1 || true
    awk '/^```mermaid$/ { inside = 1; next } inside && /^```$/ { exit } inside' \
        "$work/$2.md" >"$work/$2.mmd"
    if ! grep -q '^  subgraph ' "$work/$2.mmd"; then
        cat "$work/$2.md" >&2
        echo "FAIL: the job summary for $1 draws no unit" >&2
        exit 1
    fi
}
summary_diagram fixtures/demo summary-demo
mkdir "$work/many"
for i in $(seq 1 120); do
    mkdir "$work/many/$i"
    cp fixtures/demo/arm/main.json "$work/many/$i/"
done
summary_diagram "$work/many" summary-many
grep -q 'more units with findings are not drawn' "$work/summary-many.md" || {
    echo "FAIL: the job summary for 120 units is not cut" >&2
    exit 1
}

parse "$work/demo.mmd" "$work/fixtures.mmd" "$work/hostile.mmd" \
    "$work/summary-demo.mmd" "$work/summary-many.mmd"
echo "Mermaid: $(grep -c '^  subgraph ' "$work/fixtures.mmd") fixture units, the demo, a hostile name and the Action's job summaries ($(grep -c '^  subgraph ' "$work/summary-many.mmd") of 120 units within the bound) parsed"
