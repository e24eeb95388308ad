#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz and
# libFuzzer, starting from the repository's fixtures as seed corpus. A crash
# stops the script with the target's non-zero status; its input is saved
# under fuzz/artifacts/TARGET/ — turn it into a regression test or fixture.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# cargo-fuzz needs nightly features; the stable toolchain allows them with
# RUSTC_BOOTSTRAP=1 (no second toolchain can be fetched here).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(arm_expression arm_template bicep_source terraform_module policy_rule config)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

seed() { # TARGET → seed corpus folder, filled from the fixtures once
  local dir=corpus/$1
  mkdir -p "$dir"
  if [ -z "$(ls -A "$dir")" ]; then
    case $1 in
      arm_template) find ../fixtures -name '*.json' -exec cp --backup=numbered -t "$dir" {} + ;;
      bicep_source) find ../fixtures -name '*.bicep' -exec cp --backup=numbered -t "$dir" {} + ;;
      terraform_module) find ../fixtures -name '*.tf' -exec cp --backup=numbered -t "$dir" {} + ;;
      policy_rule) find ../rules -maxdepth 1 -name '*.yaml' -exec cp -t "$dir" {} + ;;
      config) printf '%s\n' 'fail_on: warning' 'exclude: ["a/**"]' 'rules:' '  select: [PG001]' \
        '  severity: { PE006: error }' 'ignore:' '  - rule: PE006' '    path: "legacy/**"' \
        'suppressions: { inline: true }' 'terraform:' '  var_files: { infra: [a.tfvars] }' \
        'limits: { max_copies: 10 }' >"$dir/seed" ;;
      arm_expression)
        grep -rhoE '"\[[^"]*\]"' ../fixtures --include='*.json' | sed -E 's/^"\[(.*)\]"$/\1/' |
          sort -u | head -500 | split -l 1 - "$dir/expr-" ;;
    esac
  fi
  echo "$dir"
}

for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  cargo fuzz run --release "$target" "$(seed "$target")" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
