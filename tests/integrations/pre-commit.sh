#!/usr/bin/env bash
# plinth as a real pre-commit hook: installs pre-commit from PyPI, commits a
# template with a PG001 problem to a throwaway repository, and runs this
# checkout's hook on it with `pre-commit try-repo`. The hook must fail and
# name the finding; once the template is fixed it must pass.
#
# The `plinth` hook is `language: python`: pre-commit pip-installs this
# checkout, and with no published wheel pip builds one with maturin (cargo).
# try-repo of a checkout with uncommitted changes copies it to a new
# directory on every call, so CARGO_TARGET_DIR points cargo at this
# checkout's target directory to build once, not once a call. (That copy
# holds tracked files only: run this on a checkout whose new files are at
# least staged.) The `plinth-system` hook runs the plinth on PATH: the
# binary given as $1 (default: target/release/plinth, built if missing).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
plinth=${1:-$root/target/release/plinth}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
pre_commit="$work/venv/bin/pre-commit"

repo="$work/repo"
mkdir -p "$repo/infra"
cd "$repo"
git init --quiet
git config user.email ci@example.invalid
git config user.name ci
cp "$root/fixtures/PG001/arm/bad/main.json" infra/main.json
echo '{"name": "not a template"}' > package.json
git add -A

status=0
start=$(date +%s)
"$pre_commit" try-repo "$root" plinth --files infra/main.json package.json >"$work/out.txt" 2>&1 || status=$?
echo "first try-repo of the python hook (pip install, maturin build, check): $(( $(date +%s) - start )) s"
cat "$work/out.txt"
if [ "$status" -eq 0 ]; then
    echo "FAIL: the hook passed on a template with a PG001 problem" >&2
    exit 1
fi
grep -q "PG001" "$work/out.txt" || { echo "FAIL: the hook output does not name PG001" >&2; exit 1; }

# Fixed: public access with a private endpoint, and a hardened server (the
# hygiene rules judge the server's settings too).
cp "$root/fixtures/PGH007/arm/good/main.json" infra/main.json
git add -A
"$pre_commit" try-repo "$root" plinth --files infra/main.json package.json >"$work/out.txt" 2>&1 || {
    cat "$work/out.txt"
    echo "FAIL: the hook failed on a fixed template" >&2
    exit 1
}

# Bicep source is checked too, by the same hook.
cp "$root/fixtures/PG001/bicep/bad/main.bicep" infra/db.bicep
git add -A
status=0
"$pre_commit" try-repo "$root" plinth --files infra/db.bicep >"$work/out.txt" 2>&1 || status=$?
cat "$work/out.txt"
if [ "$status" -eq 0 ] || ! grep -q "^error\[PG001\]" "$work/out.txt" || ! grep -q "infra/db.bicep:" "$work/out.txt"; then
    echo "FAIL: the hook did not report PG001 in the Bicep file" >&2
    exit 1
fi

# The system hook runs the plinth on PATH, and installs nothing.
if [ ! -x "$plinth" ]; then
    (cd "$root" && cargo build --release --quiet)
fi
status=0
PATH="$(dirname "$plinth"):$PATH" "$pre_commit" try-repo "$root" plinth-system --files infra/db.bicep >"$work/out.txt" 2>&1 || status=$?
cat "$work/out.txt"
if [ "$status" -eq 0 ] || ! grep -q "^error\[PG001\]" "$work/out.txt"; then
    echo "FAIL: the plinth-system hook did not report PG001 in the Bicep file" >&2
    exit 1
fi
echo "pre-commit hooks: plinth (python) fails on the bad template, passes on the fixed one, reads Bicep; plinth-system runs the plinth on PATH"
