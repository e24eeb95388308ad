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
# annotations, appends a Markdown table to $GITHUB_STEP_SUMMARY, sets the
# outputs findings, errors and sarif-file in $GITHUB_OUTPUT, and exits as
# plinth does: 0 clean, 1 findings at or above fail-on, 2 the run failed.
set -uo pipefail

plinth=${PLINTH:-plinth}
fail_on=${INPUT_FAIL_ON:-warning}
format=${INPUT_FORMAT:-github}
sarif_file=${INPUT_SARIF_FILE:-plinth.sarif}

words=$(mktemp)
report=$(mktemp)
trap 'rm -f "$words" "$report"' EXIT

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
            jq -r '.findings[] | "| \(.severity) | [\(.rule)](\(.url // "")) \(.name) | `\(.file):\(.line)` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
        fi
        if [ "$errors" -gt 0 ]; then
            echo
            echo "| run error | location | message |"
            echo "|---|---|---|"
            jq -r '.errors[] | "| \(.code) | `\(.file // "-"):\(.line // "-")` | \(.message | gsub("[|]"; "\\\\|") | gsub("\n"; " ")) |"' "$report"
        fi
    } >>"$GITHUB_STEP_SUMMARY"
fi

exit "$status"
