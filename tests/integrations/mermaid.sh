#!/usr/bin/env bash
# `plinth graph`'s Mermaid output against Mermaid's own parser (the `mermaid`
# package from the npm registry, run under node with jsdom standing in for
# the browser): the demo's diagram, the diagram of every fixture, and one
# drawn from a generated template whose endpoint name holds quotes, a
# newline, HTML and Mermaid syntax. A diagram the parser rejects fails the
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
parse "$work/demo.mmd" "$work/fixtures.mmd" "$work/hostile.mmd"
echo "Mermaid: $(grep -c '^  subgraph ' "$work/fixtures.mmd") fixture units, the demo and a hostile name parsed"
