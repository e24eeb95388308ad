#!/usr/bin/env bash
# plinth beside the read-and-parse floor (examples/parse_floor.rs: discover the
# same inputs, read and parse every file, nothing more) on real code fetched
# under CORPUS (never committed):
#
#   CORPUS/avm                the Azure Verified Modules repository: its
#                             .bicep files, and its compiled main.json (ARM)
#   CORPUS/azurerm-examples   the azurerm provider's examples (Terraform)
#
# Each language is copied on its own under WORK (ARM templates without the
# Bicep beside them, which would make plinth skip them as compiled output),
# then replicated 4x and 16x as real copies (no links) for the scaling table.
# Reports medians, plinth/floor ratios (and plinth and the floor alternated,
# the median of their pair ratios), peak RSS and memory per file, one
# small file against `plinth --version`, and Checkov when it is installed.
# Prints Markdown for BENCHMARKS.md.
#
#   bench/real.sh [CORPUS] [WORK]      # defaults /work/corpus, /tmp/plinth-real
#   RUNS=5 SCALE_RUNS=3 bench/real.sh  # hyperfine runs at 1x; at 4x and 16x
#   PAIRS=11 bench/real.sh             # plinth and the floor alternated at 1x
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-/work/corpus}")
work=${2:-/tmp/plinth-real}
runs=${RUNS:-5}
scale_runs=${SCALE_RUNS:-3}
mkdir -p "$work"

if ! command -v hyperfine >/dev/null; then
  apt-get install -y hyperfine >/dev/null 2>&1 || sudo apt-get install -y hyperfine >/dev/null
fi
cargo build --release --quiet --bin plinth --example parse_floor
# Measured as installed copies, written whole as `cargo install`, pip and
# the release archives write them: the linker writes its output piecemeal,
# and run in place it took ~0.4 ms more system time per process here
# (more page faults on its text), the same bytes copied did not.
mkdir -p "$work/bin"
install -m 755 target/release/plinth target/release/examples/parse_floor "$work/bin/"
plinth=$work/bin/plinth
floor=$work/bin/parse_floor

# copy NAME FIND-ARGS...: the files under CORPUS that FIND-ARGS select, with
# their folders, into WORK/NAME/1x (once).
copy() {
  local name=$1; shift
  local dir=$work/$name/1x
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    (cd "$corpus" && find . -type f "$@" -print0 | xargs -0 cp --parents -t "$dir")
  fi
}
# replicate NAME N: N real copies of WORK/NAME/1x side by side.
replicate() {
  local dir=$work/$1/$2x
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    for i in $(seq "$2"); do cp -r "$work/$1/1x" "$dir/copy$i"; done
  fi
  echo "$dir"
}
files() { find "$1" -type f \( -name '*.json' -o -name '*.tf' -o -name '*.bicep' \) | wc -l; }
megabytes() {
  find "$1" -type f \( -name '*.json' -o -name '*.tf' -o -name '*.bicep' \) -printf '%s\n' |
    awk '{s+=$1} END {printf "%.1f", s/1e6}'
}
median() { # RUNS COMMAND → median seconds
  local n=$1; shift
  hyperfine --style none --ignore-failure --warmup "$([ "$n" -gt 1 ] && echo 1 || echo 0)" --runs "$n" -N \
    --export-json "$work/h.json" "$*" >/dev/null 2>&1
  jq -r '.results[0].median' "$work/h.json"
}
peak_kb() { # COMMAND... → peak resident set in KB (plinth exits 1 on findings)
  { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1
}
ratio() { echo "$1 / $2" | bc -l; }
mid() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
# alternated N DIR → "plinth-median floor-median median-of-pair-ratios": plinth
# and the floor run back to back N times, so that a machine that drifts
# (a VM's neighbours, DAMON paging the corpus out) moves both alike.
alternated() {
  local n=$1 dir=$2 pairs
  pairs=$(for _ in $(seq "$n"); do
    local s m e
    s=$EPOCHREALTIME; "$plinth" check --format compact "$dir" >/dev/null 2>&1 || true
    m=$EPOCHREALTIME; "$floor" "$dir" >/dev/null 2>&1 || true
    e=$EPOCHREALTIME
    echo "$s $m $e" | awk '{a=$2-$1; b=$3-$2; print a, b, a/b}'
  done)
  echo "$(cut -d' ' -f1 <<<"$pairs" | mid) $(cut -d' ' -f2 <<<"$pairs" | mid) $(cut -d' ' -f3 <<<"$pairs" | mid)"
}

copy arm -path './avm/*' -name main.json
copy bicep -path './avm/*' \( -name '*.bicep' -o -name '*.bicepparam' -o -name bicepconfig.json \)
copy terraform -path './azurerm-examples/*' \( -name '*.tf' -o -name '*.tfvars' \)

# DAMON pageout schemes (a VM host's reclaim) evict the corpora's page cache
# when it goes cold: a run after a pause reads from disk (BENCHMARKS.md).
damon=off
if grep -qs '^on$' /sys/kernel/mm/damon/admin/kdamonds/*/state; then
  damon="on ($(cat /sys/kernel/mm/damon/admin/kdamonds/*/contexts/*/schemes/*/action 2>/dev/null | sort -u | xargs))"
fi
echo "## Real code: $(date -u +%F), commit $(git rev-parse --short HEAD)"
echo
echo "$(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start, DAMON $damon. Medians of $runs runs" \
  "(hyperfine) at 1x, $scale_runs at 4x and 16x; peak RSS from \`/usr/bin/time\`."
echo
echo "| corpus | files | MB | plinth s | floor s | plinth / floor | plinth peak MiB | floor peak MiB |"
echo "|---|---|---|---|---|---|---|---|"
for name in arm bicep terraform; do
  dir=$work/$name/1x
  t=$(median "$runs" "$plinth" check --format compact "$dir")
  f=$(median "$runs" "$floor" "$dir")
  rss=$(peak_kb "$plinth" check --format compact "$dir")
  frss=$(peak_kb "$floor" "$dir")
  printf '| %s | %d | %s | %.3f | %.3f | %.1f | %.0f | %.0f |\n' "$name" "$(files "$dir")" \
    "$(megabytes "$dir")" "$t" "$f" "$(ratio "$t" "$f")" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$frss / 1024" | bc -l)"
done
echo
pairs=${PAIRS:-11}
echo "### Alternated with the floor"
echo
echo "Plinth and the floor run back to back $pairs times at 1x; the median of each, and the median of the $pairs ratios."
echo
echo "| corpus | plinth s | floor s | plinth / floor (median of pairs) |"
echo "|---|---|---|---|"
for name in arm bicep terraform; do
  read -r t f r <<<"$(alternated "$pairs" "$work/$name/1x")"
  printf '| %s | %.3f | %.3f | %.2f |\n' "$name" "$t" "$f" "$r"
done
echo
# tree-sitter-bicep (PyPI) parsing the Bicep corpus, and nothing more, on
# every core: the whole check should be no slower (issue #20).
ts_venv=$work/treesitter-venv
if [ ! -x "$ts_venv/bin/python" ]; then
  python3 -m venv "$ts_venv" >/dev/null 2>&1 &&
    "$ts_venv/bin/pip" install --quiet tree-sitter tree-sitter-bicep >/dev/null 2>&1 ||
    rm -rf "$ts_venv"
fi
if [ -x "$ts_venv/bin/python" ]; then
  dir=$work/bicep/1x
  ts=$(median "$runs" "$ts_venv/bin/python" "$PWD/bench/treesitter_floor.py" "$dir")
  t=$(median "$runs" "$plinth" check --format compact "$dir")
  echo "### Bicep beside tree-sitter-bicep"
  echo
  printf -- '- tree-sitter-bicep %s parsing the same files and nothing more (`bench/treesitter_floor.py`, one process per core): %.3f s; plinth, the whole check: %.3f s; plinth / tree-sitter %.2f\n' \
    "$("$ts_venv/bin/pip" show tree-sitter-bicep 2>/dev/null | sed -n 's/^Version: //p')" "$ts" "$t" "$(ratio "$t" "$ts")"
  echo
fi
echo "### Scaling: the same corpus copied 4 and 16 times"
echo
echo "KiB per file: the growth of plinth's peak RSS from 1x to that size, over the files added."
echo
echo "| corpus | copies | files | plinth s | floor s | plinth / floor | plinth peak MiB | KiB per file |"
echo "|---|---|---|---|---|---|---|---|"
for name in arm bicep terraform; do
  base_rss=0
  base_files=0
  for n in 1 4 16; do
    if [ "$n" = 1 ]; then dir=$work/$name/1x; r=$runs; else dir=$(replicate "$name" "$n"); r=$scale_runs; fi
    count=$(files "$dir")
    t=$(median "$r" "$plinth" check --format compact "$dir")
    f=$(median "$r" "$floor" "$dir")
    rss=$(peak_kb "$plinth" check --format compact "$dir")
    if [ "$n" = 1 ]; then
      base_rss=$rss; base_files=$count; per=-
    else
      per=$(printf '%.1f' "$(echo "($rss - $base_rss) / ($count - $base_files)" | bc -l)")
    fi
    printf '| %s | %d× | %d | %.2f | %.2f | %.1f | %.0f | %s |\n' "$name" "$n" "$count" "$t" "$f" \
      "$(ratio "$t" "$f")" "$(echo "$rss / 1024" | bc -l)" "$per"
  done
done
echo
echo "### One small file, whole process (a pre-commit hook)"
echo
file=fixtures/PG001/arm/bad/main.json
hyperfine --style none --ignore-failure --warmup 10 --runs 50 -N \
  --export-json "$work/h.json" "$plinth check --format compact $file" "$plinth --version" >/dev/null 2>&1
check=$(jq -r '.results[0].median' "$work/h.json")
version=$(jq -r '.results[1].median' "$work/h.json")
printf -- '- `plinth check %s`: %.2f ms; `plinth --version`: %.2f ms; ratio %.1f (medians of 50)\n' \
  "$file" "$(echo "$check * 1000" | bc -l)" "$(echo "$version * 1000" | bc -l)" "$(ratio "$check" "$version")"

if command -v checkov >/dev/null; then
  echo
  echo "### Checkov, same corpora (one run each)"
  echo
  echo "| corpus | checkov s | plinth s | checkov / plinth |"
  echo "|---|---|---|---|"
  for name in bicep terraform; do
    dir=$work/$name/1x
    c=$(median 1 checkov --quiet --compact -d "$dir")
    t=$(median "$runs" "$plinth" check --format compact "$dir")
    printf '| %s | %.1f | %.3f | %.0f |\n' "$name" "$c" "$t" "$(ratio "$c" "$t")"
  done
else
  echo
  echo "Checkov is not installed here: no side-by-side run."
fi
