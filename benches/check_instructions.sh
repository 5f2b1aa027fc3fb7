#!/usr/bin/env bash
# Instructions executed by one whole `riskdesk check` process (issue 8, item 8), counted by
# valgrind's callgrind: deterministic enough to compare between machines, unlike wall time.
#
#   benches/check_instructions.sh [path/to/riskdesk] [runs]
#
# Default binary: target/release/riskdesk (build it first with `cargo build --release`).
# Runs on the built-in sandbox: an empty config file (no credentials) and a fresh data dir.
set -euo pipefail

bin="${1:-target/release/riskdesk}"
runs="${2:-3}"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "no binary at $bin: run cargo build --release" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
: >"$work/config.toml"

for i in $(seq 1 "$runs"); do
    data="$work/data$i"
    mkdir -p "$data"
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.$i" \
        "$bin" check debts-report --country ID --phone 081234567890 \
        --config "$work/config.toml" --data-dir "$data" \
        >"$work/stdout.$i" 2>"$work/valgrind.$i" || true
    total="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/valgrind.$i")"
    if [ -z "$total" ]; then
        echo "run $i: no instruction count; valgrind said:" >&2
        cat "$work/valgrind.$i" >&2
        exit 1
    fi
    printf 'run %s: %s instructions (%s M)  exit line: %s\n' "$i" "$total" \
        "$((total / 1000000))" "$(head -c 120 "$work/stdout.$i" | head -1)"
done
# The functions that cost most in the last run (inclusive), to see where the time goes.
if [ -n "${TOP:-}" ]; then
    callgrind_annotate --inclusive=yes "$work/callgrind.out.$runs" 2>/dev/null | head -n "$((TOP + 25))"
fi
