#!/usr/bin/env bash
# Measures plinth against the targets of BENCHMARKS.md on this machine:
# one small file as pre-commit runs it, the synthetic monorepo at 1x, 2x and
# 4x (5,000, 10,000 and 20,000 units) against the read-and-parse floor, peak
# memory, 10,000 private endpoints in one unit, and output identity across
# thread counts. Corpora are generated under WORKDIR (never committed).
#
#   bench/run.sh [WORKDIR]        # default /tmp/plinth-bench
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/plinth-bench}
mkdir -p "$work"

if ! command -v hyperfine >/dev/null; then
  apt-get install -y hyperfine >/dev/null 2>&1 || sudo apt-get install -y hyperfine >/dev/null
fi
cargo build --release --quiet --bin plinth --example parse_floor
plinth=$PWD/target/release/plinth
floor=$PWD/target/release/examples/parse_floor

corpus() { # NAME ARGS...
  local dir=$work/$1; shift
  if [ ! -d "$dir" ]; then python3 bench/corpus.py --out "$dir" "$@" >&2; fi
  echo "$dir"
}
bytes() { find "$1" -type f \( -name '*.json' -o -name '*.tf' \) -printf '%s\n' | awk '{s+=$1} END {print s}'; }
mean() { # COMMAND... → mean seconds over hyperfine runs
  hyperfine --style none --ignore-failure --warmup "${WARMUP:-1}" --runs "${RUNS:-5}" \
    --export-json "$work/h.json" "$@" >/dev/null
  jq -r '.results[0].mean' "$work/h.json"
}
peak_kb() { # COMMAND... → peak resident set in KB (plinth exits 1 on findings)
  { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1
}

echo "## $(date -u +%F) on $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "### One small file, whole process (pre-commit)"
for file in fixtures/PG001/arm/bad/main.json fixtures/PG001/bicep/bad/main.bicep fixtures/PG001/terraform/bad/main.tf; do
  t=$(WARMUP=20 RUNS=200 mean -N "$plinth check --format compact $file")
  printf -- '- `plinth check %s`: %.1f ms\n' "$file" "$(echo "$t * 1000" | bc -l)"
done
echo
echo "### Synthetic monorepo (bench/corpus.py --seed 1)"
echo
echo "| units | files | MB | plinth s | MB/s | parse floor s | plinth / floor | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
for units in 5000 10000 20000; do
  dir=$(corpus "corpus-$units" --units "$units" --seed 1)
  mb=$(echo "$(bytes "$dir") / 1000000" | bc -l)
  files=$(find "$dir" -type f | wc -l)
  t=$(mean "$plinth check --format compact $dir")
  f=$(mean "$floor $dir")
  rss=$(peak_kb "$plinth" check --format compact "$dir")
  printf '| %d | %d | %.0f | %.2f | %.0f | %.2f | %.2f | %.0f |\n' "$units" "$files" "$mb" "$t" \
    "$(echo "$mb / $t" | bc -l)" "$f" "$(echo "$t / $f" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
echo
echo "Without mistakes (bench/corpus.py --bad-share 0): no file's text is kept for the report."
echo
echo "| units | MB | plinth s | peak RSS MB |"
echo "|---|---|---|---|"
for units in 5000 10000 20000; do
  dir=$(corpus "clean-$units" --units "$units" --seed 1 --bad-share 0)
  t=$(RUNS=3 mean "$plinth check --format compact $dir")
  rss=$(peak_kb "$plinth" check --format compact "$dir")
  printf '| %d | %.0f | %.2f | %.0f |\n' "$units" "$(echo "$(bytes "$dir") / 1000000" | bc -l)" "$t" \
    "$(echo "$rss / 1024" | bc -l)"
done
echo
echo "### Private endpoints in one unit (no quadratic join)"
echo
echo "| endpoints | front-end | MB | plinth s | parse floor s | peak RSS MB | floor peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for n in 2500 5000 10000; do
  for part in arm terraform; do
    dir=$(corpus "endpoints-$n" --endpoints "$n")/$part
    t=$(RUNS=3 mean "$plinth check --format compact $dir")
    f=$(RUNS=3 mean "$floor $dir")
    rss=$(peak_kb "$plinth" check --format compact "$dir")
    frss=$(peak_kb "$floor" "$dir")
    printf '| %d | %s | %.1f | %.2f | %.2f | %.0f | %.0f |\n' "$n" "$part" \
      "$(echo "$(bytes "$dir") / 1000000" | bc -l)" "$t" "$f" "$(echo "$rss / 1024" | bc -l)" \
      "$(echo "$frss / 1024" | bc -l)"
  done
done
echo
echo "### Output whatever the thread count"
dir=$work/corpus-5000
RAYON_NUM_THREADS=1 "$plinth" check --format json "$dir" >"$work/t1.json" || true
RAYON_NUM_THREADS=2 "$plinth" check --format json "$dir" >"$work/t2.json" || true
RAYON_NUM_THREADS=8 "$plinth" check --format json "$dir" >"$work/t8.json" || true
if cmp -s "$work/t1.json" "$work/t2.json" && cmp -s "$work/t1.json" "$work/t8.json"; then
  echo "- 1, 2 and 8 threads: identical JSON reports ($(jq '.findings | length' "$work/t1.json") findings)"
else
  echo "- 1, 2 and 8 threads: REPORTS DIFFER"; exit 1
fi
