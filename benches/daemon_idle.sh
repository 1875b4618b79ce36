#!/usr/bin/env bash
# daemon_idle.sh — idle CPU, resident memory and start-up time of `dutybell run` with the bundled
# plan (config/dutybell.yaml + seeds/plan, 41 tasks), asleep (the default: between reminders the
# daemon execs `dutybell-sleep`, src/daemon/sleeper.rs) or awake (SLEEP=off).
#
# What it does: builds the release binary (unless SKIP_BUILD=1), writes a temporary copy of the
# bundled config whose state_dir, plan and calendar point into the repo / a temp dir, starts
# `dutybell run` at DUTYBELL_NOW (default 2026-07-01T10:00:00+08:00: reminders go out at 09:00, so
# nothing is due for ~23 h), reads the time from process start to the "plan synced" and
# "dutybell running" log lines, waits until it is asleep (SLEEP=on: the stay awake after a start is
# STAY_AWAKE_SECS, default 10, instead of two minutes), lets it settle, then samples /proc/PID over
# SAMPLE_SECS: utime+stime (CPU seconds), VmRSS/VmHWM, threads and context switches (wake-ups).
# Then a SIGHUP (RSS after the reload, asleep again), a web request that wakes it (the time to
# the answer), the database size, then SIGTERM and checks exit status 0.
#
# Touches: a temp dir (removed at exit), the cargo target dir, one child process it kills itself.
# Env: CARGO_TARGET_DIR (default <repo>/target), SETTLE_SECS (10), SAMPLE_SECS (60),
# DUTYBELL_NOW, SKIP_BUILD=1, DUTYBELL_BIN (another binary, e.g. a debug build or an older one),
# HUP_SECS (5: seconds sampled after the SIGHUP), SLEEP (on|off), STAY_AWAKE_SECS (10), PORT (the
# web pages' port, 18089). Run: `benches/daemon_idle.sh` from anywhere.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
settle=${SETTLE_SECS:-10}
sample=${SAMPLE_SECS:-60}
now=${DUTYBELL_NOW:-2026-07-01T10:00:00+08:00}
bin=${DUTYBELL_BIN:-$target/release/dutybell}

if [ -z "${SKIP_BUILD:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin dutybell --bin dutybell-sleep
fi
sleep_mode=${SLEEP:-on}
stay=${STAY_AWAKE_SECS:-10}
port=${PORT:-18089}
if [ "$sleep_mode" != off ] && [ ! -x "$(dirname "$bin")/dutybell-sleep" ]; then
    echo "$(dirname "$bin")/dutybell-sleep is missing: build it (cargo build --release) or set SLEEP=off" >&2
    exit 1
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

cfg=$tmp/dutybell.yaml
sed -e "s|^  state_dir: state\$|  state_dir: $tmp/state|" \
    -e "s|^  bind: 127.0.0.1:8080\$|  bind: 127.0.0.1:$port|" \
    -e "s|^  plan: \[\.\./seeds/plan\]\$|  plan: [$repo/seeds/plan]|" \
    -e "s|^  calendar: \[calendar\]\$|  calendar: [$repo/config/calendar]|" \
    "$repo/config/dutybell.yaml" >"$cfg"
if [ "$sleep_mode" = off ]; then
    sed -i "s|^  sleep_when_idle: true\$|  sleep_when_idle: false|" "$cfg"
    grep -q "sleep_when_idle: false" "$cfg" || { echo "config rewrite failed: sleep_when_idle" >&2; exit 1; }
fi
for want in "bind: 127.0.0.1:$port" "state_dir: $tmp/state" "plan: \[$repo/seeds/plan\]" "calendar: \[$repo/config/calendar\]"; do
    grep -q "$want" "$cfg" || { echo "config rewrite failed: $want" >&2; exit 1; }
done

ticks=$(getconf CLK_TCK)
# utime+stime in clock ticks (fields 14 and 15; strip "pid (comm) " first).
cpu_ticks() { sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
# Voluntary + involuntary context switches per thread ("tid count" lines): a proxy for wake-ups.
# The idle delta sums only threads alive at both samples (a blocking-pool thread that exits in
# between would otherwise make the total go down).
ctxt() {
    for t in /proc/"$pid"/task/*; do
        awk -v t="${t##*/}" '/ctxt_switches/ {s += $2} END {print t, s}' "$t/status" 2>/dev/null
    done
}
ctxt_delta() { awk 'NR == FNR {a[$1] = $2; next} ($1 in a) {d += $2 - a[$1]} END {print d + 0}' "$1" "$2"; }
epoch() { date -d "$1" +%s.%N; }

t0=$(date +%s.%N)
RUST_LOG=info DUTYBELL_STAY_AWAKE_SECS=$stay DUTYBELL_NOW=$now "$bin" run --config "$cfg" 2>"$tmp/log" &
pid=$!

for _ in $(seq 1 600); do
    grep -q "dutybell running" "$tmp/log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; echo "daemon exited early" >&2; exit 1; }
    sleep 0.1
done
grep -q "dutybell running" "$tmp/log" || { cat "$tmp/log" >&2; echo "no 'dutybell running' within 60 s" >&2; exit 1; }

# The log has ANSI colours even when redirected; strip them before reading the timestamps.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$tmp/log"; }
# The first matching line; awk reads everything (a `grep -m1` that stops early can kill the
# writer with SIGPIPE, which pipefail turns into a failed script).
first() { plain | awk -v re="$1" '$0 ~ re && !seen {print; seen = 1}'; }
synced_line=$(first "plan synced")
running_line=$(first "dutybell running")
synced=$(epoch "$(awk '{print $1}' <<<"$synced_line")")
running=$(epoch "$(awk '{print $1}' <<<"$running_line")")
startup_cpu=$(cpu_ticks)

# Asleep: the same PID now runs dutybell-sleep.
asleep_count() { plain | grep -c " asleep wake_at=" || true; }
wait_asleep() {
    for _ in $(seq 1 $(( (stay + 60) * 10 ))); do
        [ "$(asleep_count)" -ge "$1" ] && return 0
        sleep 0.1
    done
    cat "$tmp/log" >&2; echo "not asleep ($1) within $((stay + 60)) s" >&2; exit 1
}
if [ "$sleep_mode" != off ]; then wait_asleep 1; fi
proc_name=$(cat "/proc/$pid/comm")

sleep "$settle"
c0=$(cpu_ticks); ctxt >"$tmp/x0"; s0=$(date +%s.%N)
rss_max=0
for _ in $(seq 1 "$sample"); do
    sleep 1
    r=$(status_kb VmRSS)
    [ "$r" -gt "$rss_max" ] && rss_max=$r
done
c1=$(cpu_ticks); ctxt >"$tmp/x1"; s1=$(date +%s.%N)
threads=$(status_kb Threads)
hwm=$(status_kb VmHWM)

# A reload must not grow the daemon: SIGHUP, wait for the reload, settle, sample again.
kill -HUP "$pid"
for _ in $(seq 1 300); do
    grep -q "configuration reloaded" "$tmp/log" && break
    sleep 0.1
done
if [ "$sleep_mode" != off ]; then wait_asleep 2; fi
sleep "$settle"
rss_hup=0
for _ in $(seq 1 "${HUP_SECS:-5}"); do
    sleep 1
    r=$(status_kb VmRSS)
    [ "$r" -gt "$rss_hup" ] && rss_hup=$r
done
# A request to the pages: asleep, it wakes the daemon, which answers on the socket it kept.
web_time=$(curl -s -o /dev/null -w "%{http_code} in %{time_total} s" "http://127.0.0.1:$port/healthz" || echo "no answer")
db_bytes=$(cat "$tmp"/state/dutybell.db 2>/dev/null | wc -c)

k0=$(date +%s.%N)
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
k1=$(date +%s.%N)
pid=

echo "binary:                 $bin ($(stat -c %s "$bin") bytes)"
echo "sleep:                  $sleep_mode (process while idle: $proc_name)"
echo "DUTYBELL_NOW:           $now"
echo "plan synced:            $synced_line" | cut -c1-200
echo "start -> plan synced:   $(echo "$synced - $t0" | bc) s (wall, from fork to log line)"
echo "start -> running:       $(echo "$running - $t0" | bc) s"
echo "CPU used by start-up:   $(echo "scale=3; $startup_cpu / $ticks" | bc) s (utime+stime)"
echo "idle window:            $(echo "$s1 - $s0" | bc) s after ${settle} s settle"
echo "idle CPU:               $(echo "scale=3; ($c1 - $c0) / $ticks" | bc) s (resolution 1/$ticks s)"
echo "idle context switches:  $(ctxt_delta "$tmp/x0" "$tmp/x1") (threads alive throughout)"
echo "VmRSS max while idle:   $rss_max kB"
echo "VmHWM (peak RSS):       $hwm kB"
echo "VmRSS after SIGHUP:     $rss_hup kB"
echo "web request while idle: $web_time"
echo "database:               $db_bytes bytes"
echo "threads:                $threads"
echo "SIGTERM -> exit:        $(echo "$k1 - $k0" | bc) s, exit status $rc"
echo "log lines:              $(wc -l <"$tmp/log")"
[ "$rc" -eq 0 ] || { cat "$tmp/log" >&2; echo "daemon exit status $rc (want 0)" >&2; exit 1; }
