#!/usr/bin/env bash
# Portable Linux builds of the host target (x86_64 glibc), made with zig as
# the linker against an old glibc, the floor below, as release.yml's wheel
# job makes them:
# - cargo-zigbuild builds `--target x86_64-unknown-linux-gnu.2.17` (the host
#   target with a glibc suffix: no `rustup target add`, no toolchain
#   download);
# - maturin builds the Python wheel with `--zig --compatibility
#   manylinux2014`, which must be tagged manylinux_2_17_x86_64, install into
#   a fresh virtual environment and put a working `plinth` on PATH.
# Each binary must print its version, report the README demo's findings
# (exit 1) and need no glibc symbol version above the floor (`objdump -T`).
# cargo-zigbuild, maturin and zig (the `ziglang` package) come from PyPI into
# a virtual environment kept in target/portable-tools. Both builds link
# through wrapper scripts whose paths derive from the tools' paths, and cargo
# takes another linker path for a change of config and rebuilds every crate:
# hence a venv at a fixed path (a second run here is a no-op build) and a
# target folder per build (target/zigbuild, target/maturin-zig). Prints each
# step's time.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
floor=2.17
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v objdump >/dev/null; then
    apt-get install -y --no-install-recommends binutils >/dev/null
fi

# The highest GLIBC_x.y symbol version FILE needs; fails when it needs none
# (a static or unreadable binary would make the check blind).
glibc_needed() {
    local versions
    versions=$(objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV)
    if [ -z "$versions" ]; then
        echo "FAIL: $1 needs no GLIBC symbol version: not a glibc build?" >&2
        return 1
    fi
    tail -n 1 <<<"$versions"
}

# check_binary NAME FILE: runs, reports the demo's findings, within the floor.
check_binary() {
    local name=$1 plinth=$2 status=0 needed
    "$plinth" --version | grep -q "^plinth " || { echo "FAIL: $name: plinth --version" >&2; exit 1; }
    "$plinth" check "$root/fixtures/demo" >"$work/out.txt" 2>&1 || status=$?
    if [ "$status" -ne 1 ]; then
        cat "$work/out.txt"
        echo "FAIL: $name: plinth check fixtures/demo exited $status, expected 1 (findings)" >&2
        exit 1
    fi
    needed=$(glibc_needed "$plinth")
    if [ "$(printf '%s\n%s\n' "$needed" "$floor" | sort -V | tail -n 1)" != "$floor" ]; then
        echo "FAIL: $name needs GLIBC_$needed, above the floor GLIBC_$floor" >&2
        exit 1
    fi
    echo "$name: runs, reports the demo's findings, needs GLIBC_$needed (floor $floor)"
}

start=$(date +%s)
tools="$root/target/portable-tools"
if [ ! -x "$tools/bin/python3" ]; then
    python3 -m venv "$tools"
fi
"$tools/bin/pip" install --quiet --disable-pip-version-check \
    cargo-zigbuild==0.24.1 maturin==1.16.0 ziglang==0.17.1
export PATH="$tools/bin:$PATH"
echo "tools installed in $(( $(date +%s) - start )) s: $(cargo-zigbuild --version), $(maturin --version), zig $(python3 -m ziglang version)"

start=$(date +%s)
(cd "$root" && CARGO_TARGET_DIR="$root/target/zigbuild" \
    cargo zigbuild --quiet --locked --release --target "x86_64-unknown-linux-gnu.$floor")
echo "cargo zigbuild in $(( $(date +%s) - start )) s"
check_binary "cargo-zigbuild binary" "$root/target/zigbuild/x86_64-unknown-linux-gnu/release/plinth"

start=$(date +%s)
(cd "$root" && CARGO_TARGET_DIR="$root/target/maturin-zig" \
    maturin build --quiet --locked --release --zig --compatibility manylinux2014 --out "$work/dist")
echo "maturin wheel in $(( $(date +%s) - start )) s: $(cd "$work/dist" && ls)"
wheel=$(find "$work/dist" -name 'plinth_lint-*manylinux_2_17_x86_64*.whl' | head -n 1)
if [ -z "$wheel" ]; then
    echo "FAIL: no manylinux_2_17_x86_64 wheel in: $(ls "$work/dist")" >&2
    exit 1
fi
python3 -m venv "$work/use"
"$work/use/bin/pip" install --quiet --disable-pip-version-check "$wheel"
check_binary "manylinux wheel's plinth" "$work/use/bin/plinth"

# For contrast, what a plain build on this machine needs (CI builds it first).
if [ -x "$root/target/release/plinth" ]; then
    echo "(a plain cargo build --release here needs GLIBC_$(glibc_needed "$root/target/release/plinth"))"
fi
