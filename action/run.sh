#!/usr/bin/env bash
# The GitHub Action's main step (action.yml runs it; tests/action.rs runs it
# locally with the GITHUB_* files pointed at temporary files).
#
# Inputs come as environment variables: PLINTH (the binary), INPUT_PATH,
# INPUT_FAIL_ON, INPUT_FORMAT (what the log shows: github annotations or
# human reports), INPUT_CONFIG (a config file), INPUT_SARIF_FILE, INPUT_ARGS (extra `plinth check`
# arguments). INPUT_PATH and INPUT_ARGS are split into words as a shell
# would, but by `xargs`, which never runs or expands anything: spaces and
# newlines separate, quotes group and are removed, a backslash escapes (an
# unmatched quote fails the step, exit 2). It writes the SARIF file, prints the
# annotations, appends a Markdown table to $GITHUB_STEP_SUMMARY (and the
# Mermaid diagram of the chains of the units with findings), sets the
# outputs findings, errors and sarif-file in $GITHUB_OUTPUT, and exits as
# plinth does: 0 clean, 1 findings at or above fail-on, 2 the run failed.
set -uo pipefail

plinth=${PLINTH:-plinth}
fail_on=${INPUT_FAIL_ON:-warning}
format=${INPUT_FORMAT:-github}
sarif_file=${INPUT_SARIF_FILE:-plinth.sarif}

words=$(mktemp)
report=$(mktemp)
diagram=$(mktemp)
trap 'rm -f "$words" "$report" "$diagram" "$diagram.kept" "$diagram.left"' EXIT

# The summary's diagram stays within what Mermaid (as GitHub renders it)
# draws by default, 50,000 characters and 500 edges, far below GitHub's
# 1 MiB per step summary: whole units are kept in order while they fit,
# and the rest are counted.
diagram_bytes=50000
diagram_edges=500
# The findings table is kept to this many rows: with the diagram, well
# under GitHub's 1 MiB a step's summary may hold.
summary_rows=500

# split_words INPUT_NAME TEXT: the words of TEXT into the array `split`.
# `read -a` would keep quotes inside words (`'examples/**'` as a glob with
# quotes) and `eval` would run whatever a workflow author's input contains.
# A loop over `read -d ''` rather than `mapfile -d` keeps macOS's bash 3.2.
split_words() {
    split=()
    # xargs would run printf once with no word (BSD xargs has no -r).
    if [ -z "${2//[[:space:]]/}" ]; then
        return
    fi
    if ! printf '%s' "$2" | xargs printf '%s\0' >"$words" 2>"$words.err"; then
        echo "::error title=plinth action::input '$1' cannot be split into arguments: $(cat "$words.err")" >&2
        rm -f "$words.err"
        exit 2
    fi
    rm -f "$words.err"
    while IFS= read -r -d '' word; do
        split+=("$word")
    done <"$words"
}

split_words path "${INPUT_PATH:-.}"
paths=("${split[@]+"${split[@]}"}")
if [ "${#paths[@]}" -eq 0 ]; then
    paths=(.)
fi
split_words args "${INPUT_ARGS:-}"
extra=("${split[@]+"${split[@]}"}")
if [ -n "${INPUT_CONFIG:-}" ]; then
    extra+=(--config "$INPUT_CONFIG")
fi

# plinth takes milliseconds, so each output is its own run: simpler than
# teaching one run to write several formats.
"$plinth" check --format sarif --fail-on never "${extra[@]+"${extra[@]}"}" -- "${paths[@]}" >"$sarif_file"
"$plinth" check --format json --fail-on never "${extra[@]+"${extra[@]}"}" -- "${paths[@]}" >"$report"
"$plinth" check --format "$format" --fail-on "$fail_on" "${extra[@]+"${extra[@]}"}" -- "${paths[@]}"
status=$?

findings=$(jq '.summary.findings' "$report")
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$findings" -gt 0 ]; then
    # The units with a finding on their chains, as `plinth graph` draws them
    # (nothing when none has), with the same arguments as the report; its
    # problems are the report's, already shown.
    "$plinth" check --format mermaid --fail-on never "${extra[@]+"${extra[@]}"}" -- "${paths[@]}" >"$diagram" 2>/dev/null
fi
errors=$(jq '.summary.errors' "$report")

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "findings=$findings"
        echo "errors=$errors"
        echo "sarif-file=$sarif_file"
    } >>"$GITHUB_OUTPUT"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
        echo "## plinth"
        echo
        jq -r '.summary | "\(.findings) findings in \(.files) files (\(.resources) resources checked), \(.errors) run errors."' "$report"
        if [ "$findings" -gt 0 ]; then
            echo
            echo "| severity | rule | location | message |"
            echo "|---|---|---|---|"
            # Pipes and newlines would break the table.
            jq -r --argjson max "$summary_rows" '.findings[:$max][] | "| \(.severity) | [\(.rule)](\(.url // "")) \(.name) | `\(.file):\(.line)` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
            if [ "$findings" -gt "$summary_rows" ]; then
                echo
                echo "$((findings - summary_rows)) more findings are not listed here (the table is kept to $summary_rows rows); the annotations and the SARIF file have them all."
            fi
        fi
        if [ -s "$diagram" ]; then
            # plinth writes one statement a line (a label's newline is
            # escaped, its backticks are entities: nothing closes the fence).
            LC_ALL=C awk -v max_bytes="$diagram_bytes" -v max_edges="$diagram_edges" -v left="$diagram.left" '
                # Room for the first line and the closing classDef lines.
                BEGIN { bytes = 256 }
                /^  subgraph / { unit = $0 "\n"; edges = 0; inside = 1; next }
                inside && /^  end$/ {
                    unit = unit $0 "\n"; inside = 0
                    if (bytes + length(unit) <= max_bytes && drawn_edges + edges <= max_edges) {
                        body = body unit; bytes += length(unit); drawn_edges += edges; drawn++
                    } else {
                        skipped++
                    }
                    next
                }
                inside { unit = unit $0 "\n"; if ($0 ~ /^    u[0-9]+n[0-9]+ /) edges++; next }
                /^  classDef / { tail = tail $0 "\n"; next }
                { head = head $0 "\n" }
                END {
                    if (drawn > 0) printf "%s%s%s", head, body, tail
                    print skipped + 0 >left
                }' "$diagram" >"$diagram.kept"
            if [ -s "$diagram.kept" ]; then
                echo
                echo "### The chains with findings"
                echo
                echo '```mermaid'
                cat "$diagram.kept"
                echo '```'
            fi
            skipped=$(cat "$diagram.left" 2>/dev/null || echo 0)
            if [ "${skipped:-0}" -gt 0 ]; then
                echo
                echo "$skipped more units with findings are not drawn here (the diagram is kept within $diagram_bytes characters and $diagram_edges edges, what Mermaid draws by default); \`plinth check --format mermaid\` draws them all."
            fi
        fi
        if [ "$errors" -gt 0 ]; then
            echo
            echo "| run error | location | message |"
            echo "|---|---|---|"
            jq -r --argjson max "$summary_rows" '.errors[:$max][] | "| \(.code) | `\(.file // "-"):\(.line // "-")` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
        fi
    } >>"$GITHUB_STEP_SUMMARY"
fi

exit "$status"
