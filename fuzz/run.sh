#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz and
# libFuzzer, starting from the repository's fixtures as seed corpus (the
# *_eval targets build their expressions from the fuzzer's bytes and start
# from nothing). Inputs are kept small (MAX_LEN below): the bugs found so far
# needed a few hundred bytes, and small inputs mean many more runs. The
# targets are built without a sanitizer: plinth has no unsafe code, and
# AddressSanitizer made every run several times slower. A crash
# stops the script with the target's non-zero status; its input is saved
# under fuzz/artifacts/TARGET/ — turn it into a regression test or fixture.
# (When the process dies before libFuzzer can save it, the targets that
# write their input to a file leave it there, and it is copied beside.)
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
[ ${#targets[@]} -gt 0 ] || targets=(arm_expression arm_eval arm_template bicep_source bicep_eval
  terraform_module terraform_eval policy_rule config)
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

max_len() { # TARGET → the largest input worth trying
  case $1 in
    arm_expression) echo 1024 ;;
    *_eval | config) echo 2048 ;;
    *) echo 20000 ;; # the largest fixture (a plan) is 19 KB
  esac
}

for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  # The targets that read files write each input to a scratch folder under
  # TMPDIR first. A crash that kills the process at once (a stack overflow
  # leaves libFuzzer's handler no stack to run on) saves no input, but the
  # scratch folder still holds the one that crashed: it is kept too.
  scratch=$(mktemp -d)
  status=0
  TMPDIR=$scratch cargo fuzz run --release --sanitizer none "$target" "$(seed "$target")" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 || status=$?
  if [ "$status" -ne 0 ]; then
    mkdir -p "artifacts/$target"
    find "$scratch" -type f -exec cp --backup=numbered -t "artifacts/$target" {} +
    echo "$target failed ($status); last inputs written: $(ls "artifacts/$target" | tr "\n" " ")" >&2
  fi
  rm -rf "$scratch"
  [ "$status" -eq 0 ] || exit "$status"
done
