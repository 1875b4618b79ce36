#!/usr/bin/env bash
# status_big.sh — wall time of `dutybell status --config …` against a database with 1,000,000
# outbox rows, and against an empty database (the difference is what the rows cost: the process
# start and the config load are in both).
#
# The big database is the one `benches/store.rs` builds for its `open` group; with
# DUTYBELL_BENCH_KEEP_DB set it keeps it. This script runs that bench group once if the file is
# missing (about a minute to build, plus the group's own samples).
#
# Touches: $BIG_DB_DIR (default /tmp/dutybell-bench-1m, kept for re-runs; delete it yourself), a
# temp dir (removed at exit), the cargo target dir. Env: CARGO_TARGET_DIR (default
# <repo>/target), RUNS (7), SKIP_BUILD=1. Run: `benches/status_big.sh`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
big=${BIG_DB_DIR:-/tmp/dutybell-bench-1m}
runs=${RUNS:-7}
bin=$target/release/dutybell

if [ -z "${SKIP_BUILD:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin dutybell
fi
if [ ! -f "$big/dutybell.db" ]; then
    (cd "$repo" && DUTYBELL_BENCH_KEEP_DB=$big cargo bench --bench store -- open/ --sample-size 10)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A copy of the bundled config with state_dir = $1 and absolute plan/calendar paths.
config_for() {
    sed -e "s|^  state_dir: state\$|  state_dir: $1|" \
        -e "s|^  plan: \[\.\./seeds/plan\]\$|  plan: [$repo/seeds/plan]|" \
        -e "s|^  calendar: \[calendar\]\$|  calendar: [$repo/config/calendar]|" \
        "$repo/config/dutybell.yaml"
}
config_for "$big" >"$tmp/big.yaml"
mkdir -p "$tmp/empty"
config_for "$tmp/empty" >"$tmp/empty.yaml"

# Prints the wall seconds of each of $runs runs of `status` with config $1, then their median.
time_status() {
    local times=()
    for _ in $(seq 1 "$runs"); do
        local a b
        a=$(date +%s.%N)
        DUTYBELL_NOW=2027-01-01T00:00:00Z "$bin" status --config "$1" >"$tmp/out" 2>&1
        b=$(date +%s.%N)
        times+=("$(echo "$b - $a" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' '
    echo "| median $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p") s"
}

echo "db: $big/dutybell.db ($(du -h "$big/dutybell.db" | cut -f1))"
echo "status, empty db:     $(time_status "$tmp/empty.yaml")"
echo "status, 1M-row db:    $(time_status "$tmp/big.yaml")"
head -5 "$tmp/out"
