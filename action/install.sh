#!/usr/bin/env bash
# How the GitHub Action gets its plinth binary (action.yml runs it;
# tests/action_install.rs runs it against a local HTTP server).
#
#   install.sh download   when the action is used at a version ref (`@v1.2.3`,
#                         the tag the release workflow builds from the same
#                         Cargo.toml version), download this runner's release
#                         binary and its `.sha256`, verify the checksum and
#                         install it as $PLINTH_ROOT/bin/plinth. Writes
#                         `installed=true|false` and `cache-key=…` to
#                         $GITHUB_OUTPUT. No matching release (another ref, a
#                         runner without a release binary, a 404) is not an
#                         error: installed=false, and the action builds.
#                         A checksum mismatch or a failed download fails the
#                         step and installs nothing.
#   install.sh build      build from the action's own source with
#                         `cargo install` (or $PLINTH_BUILD, a command the
#                         tests use as a stub).
#
# It does not run plinth (action/run.sh does) and does not cache: action.yml
# restores the `cargo install` result with actions/cache under `cache-key`.
#
# Environment: ACTION_PATH (the action's checkout; default: this script's
# parent), ACTION_REPOSITORY and ACTION_REF (github.action_repository and
# github.action_ref, which are empty inside composite actions, see
# actions/runner#2473: then both come from the checkout's path,
# `…/_actions/<owner>/<repo>/<ref>`), PLINTH_ROOT (where bin/plinth goes),
# RUNNER_OS and RUNNER_ARCH (which binary), PLINTH_RELEASES_URL (the server
# before `/<owner>/<repo>/releases/download/…`, overridden by the tests).
set -euo pipefail

mode=${1:-download}
action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
root=${PLINTH_ROOT:?PLINTH_ROOT names where bin/plinth is installed}

fail() {
    echo "::error title=plinth install::$*" >&2
    exit 1
}

output() {
    echo "$1"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        echo "$1" >>"$GITHUB_OUTPUT"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}

# The version in the action's Cargo.toml: the first `version = "…"`, which is
# the package's ([package] comes first).
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)
[ -n "$version" ] || fail "no version in $action_path/Cargo.toml"

if [ "$mode" = build ]; then
    mkdir -p "$root"
    if [ -n "${PLINTH_BUILD:-}" ]; then
        bash -c "$PLINTH_BUILD"
    else
        cargo install --locked --path "$action_path" --root "$root"
    fi
    exit
fi
[ "$mode" = download ] || fail "unknown mode '$mode' (download or build)"

# The key of a `cargo install` result: the version and the hash of the
# action's Cargo.lock, as asked; plus a hash of the source, because a branch
# ref (`@main`) changes the code without changing either.
source_hash=$(
    cd "$action_path"
    { find Cargo.toml Cargo.lock build.rs src rules -type f 2>/dev/null || true; } | LC_ALL=C sort |
        while IFS= read -r file; do sha256_of "$file"; done | sha256_of /dev/stdin
)
lock_hash=$(sha256_of "$action_path/Cargo.lock" 2>/dev/null || echo no-lock)
output "cache-key=plinth-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-$version-${lock_hash:0:16}-${source_hash:0:16}"

no_release() {
    echo "plinth: $*; building from source instead"
    output "installed=false"
    exit 0
}

repository=${ACTION_REPOSITORY:-}
ref=${ACTION_REF:-}
if [ -z "$repository" ]; then
    repository="$(basename "$(dirname "$(dirname "$action_path")")")/$(basename "$(dirname "$action_path")")"
fi
if [ -z "$ref" ]; then
    ref=$(basename "$action_path")
fi
# A release exists only for a tag built from this very Cargo.toml version.
if [ "$ref" != "v$version" ]; then
    no_release "ref '$ref' is not the release tag v$version"
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
Linux/X64) asset=plinth-x86_64-unknown-linux-musl ;;
Linux/ARM64) asset=plinth-aarch64-unknown-linux-musl ;;
macOS/X64) asset=plinth-x86_64-apple-darwin ;;
macOS/ARM64) asset=plinth-aarch64-apple-darwin ;;
Windows/X64) asset=plinth-x86_64-pc-windows-msvc.exe ;;
*) no_release "no release binary for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
esac

url="${PLINTH_RELEASES_URL:-https://github.com}/$repository/releases/download/$ref/$asset"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the HTTP status; 000 when no answer came.
fetch() {
    curl --silent --show-error --location --retry 3 --output "$2" --write-out '%{http_code}' "$1" || true
}

status=$(fetch "$url" "$work/$asset")
case "$status" in
200) ;;
404) no_release "no asset $asset in release $ref" ;;
*) fail "downloading $url failed (HTTP $status)" ;;
esac
status=$(fetch "$url.sha256" "$work/$asset.sha256")
[ "$status" = 200 ] || fail "downloading $url.sha256 failed (HTTP $status): the binary is not installed unverified"

expected=$(cut -d ' ' -f 1 <"$work/$asset.sha256" | tr -d '\r\n' | tr 'A-F' 'a-f')
actual=$(sha256_of "$work/$asset")
if [ "$expected" != "$actual" ]; then
    fail "checksum mismatch for $asset from $url: expected $expected, got $actual; not installed"
fi

mkdir -p "$root/bin"
case "$asset" in
*.exe) target="$root/bin/plinth.exe" ;;
*) target="$root/bin/plinth" ;;
esac
chmod +x "$work/$asset"
mv "$work/$asset" "$target"
echo "plinth: installed $asset $ref (sha256 $actual)"
output "installed=true"
