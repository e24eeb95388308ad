#!/usr/bin/env bash
# The Python wheel that carries plinth (pyproject.toml, maturin with
# `bindings = "bin"`): `pip wheel .` builds it in one virtual environment, a
# fresh one installs it, and the `plinth` it puts on PATH must run and report
# the README demo's findings (exit 1). Prints the build time.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/build"
start=$(date +%s)
"$work/build/bin/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" "$root"
echo "wheel built in $(( $(date +%s) - start )) s: $(cd "$work/dist" && ls)"

python3 -m venv "$work/use"
"$work/use/bin/pip" install --quiet --disable-pip-version-check "$work/dist"/plinth_lint-*.whl
plinth="$work/use/bin/plinth"
"$plinth" --version | grep -q "^plinth " || { echo "FAIL: the wheel's plinth --version" >&2; exit 1; }

status=0
"$plinth" check "$root/fixtures/demo" >"$work/out.txt" 2>&1 || status=$?
if [ "$status" -ne 1 ]; then
    cat "$work/out.txt"
    echo "FAIL: the wheel's plinth check fixtures/demo exited $status, expected 1 (findings)" >&2
    exit 1
fi
echo "wheel: builds, installs into a fresh venv, its plinth runs and reports the demo's findings"
