#!/usr/bin/env bash
# plinth as a real pre-commit hook: installs pre-commit from PyPI, commits a
# template with a PG001 problem to a throwaway repository, and runs this
# checkout's hook on it with `pre-commit try-repo`. The hook must fail and
# name the finding; once the template is fixed it must pass.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"

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
"$pre_commit" try-repo "$root" plinth --files infra/main.json package.json >"$work/out.txt" 2>&1 || status=$?
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
echo "pre-commit hook: fails on the bad template, passes on the fixed one, reads Bicep"
