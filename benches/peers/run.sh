#!/usr/bin/env bash
# run.sh [a] [b] [c] [d] [--smoke]: dutybell side by side with its peers, on 127.0.0.1 only.
#   a  plan a year of 10,000 recurring duties: the bundled 41 tasks cloned to 10,000, planned
#      task by task (schedule::plan_each; benches/peer_plan.rs, in-process time, peak RSS of the
#      whole process) vs `remind -s12` on 10,000 REMs (gen_remind.py, whole process, output to
#      /dev/null, peak RSS from GNU time); also the year collected and sorted whole (--whole)
#   b  the same year printed in full: `dutybell plan --from --to` on a generated 10,000-task
#      config (gen_plan.py) vs `remind -s12`, both whole processes, output to /dev/null
#   c  SMTP messages/s to Postfix's smtp-sink: dutybell's email channel (benches/peer_smtp.rs,
#      pool of S connections) vs smtp-source -d (S reused sessions), S = 1 and 16
#   d  webhook notifications/s to a counting sink (benches/peer_webhook.rs): dutybell's generic
#      webhook channel, 16 in flight, vs a fresh Alertmanager fed W alerts (am_load.py, 100 per
#      POST) and routed one notification per alert; and a second dutybell figure with every
#      delivery durably recorded (benches/replicas.rs `sqlite W`: claim, send, group commit)
#   e  start-up with a big outbox (no peer): benches/startup_big.sh, `dutybell run` to READY and
#      peak RSS on the rows the daemon built itself from E generated YAML tasks (4,300: 833 k rows)
#   f  idle: Debian's `cron -f` (or the cron already running) vs `dutybell run` on the bundled plan
#      after its first start (benches/daemon_idle.sh), in the same window: VmRSS and voluntary +
#      involuntary context switches of all threads a minute, after F_SETTLE s (15), over F_IDLE s (60)
#   g  due -> delivered latency under light load: a fresh Alertmanager fed G_ALERTS alerts (200)
#      one per POST at 50/s (am_latency.py; POST start -> arrival at peer_webhook's sink) vs the
#      real `dutybell run` with one reminder due, G_SAMPLES fresh starts (20) per round
#      (benches/latency.rs; due instant -> arrival at its sink); p50 and p99, same wall clock
#   h  a year of the bundled plan simulated (no peer): `dutybell simulate --from 2026-01-01 --to
#      H_TO --summary`, wall time and peak RSS (GNU time)
# Peer and dutybell run alternately, ROUNDS rounds (default 5); each cell is median (min-max).
# Ratio = dutybell / peer: for times (s) above 1 means dutybell is slower, for rates (msg/s)
# above 1 means dutybell is faster. Missing peers are installed from Debian (apt-get, as root)
# unless --smoke, which runs 1 round on tiny sizes (all rows < 30 s with the release build
# already there) and skips a row whose peer is missing, saying why. Every command runs under
# `timeout`; what this script starts is stopped by PID on exit. Exit status 0 unless a
# measurement itself fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/benches/peers"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
smoke=0; rows=()
for a in "$@"; do
  case $a in
    --smoke) smoke=1 ;;
    a|b|c|d|e|f|g|h) rows+=("$a") ;;
    *) echo "usage: $0 [a] [b] [c] [d] [e] [f] [g] [h] [--smoke]" >&2; exit 2 ;;
  esac
done
[ ${#rows[@]} -eq 0 ] && rows=(a b c d e f g h)
if [ $smoke = 1 ]; then
  ROUNDS=${ROUNDS:-1}; N=${N:-200}; M=${M:-200}; W=${W:-200}; E=${E:-20}
  F_SETTLE=${F_SETTLE:-1}; F_IDLE=${F_IDLE:-2}; F_STAY=${F_STAY:-1}; F_HUP=${F_HUP:-1}; G_ALERTS=${G_ALERTS:-10}; G_SAMPLES=${G_SAMPLES:-1}
  H_TO=${H_TO:-2026-01-07}; export HUP_SECS=${HUP_SECS:-1}
else
  ROUNDS=${ROUNDS:-5}; N=${N:-10000}; M=${M:-5000}; W=${W:-10000}; E=${E:-4300}
  F_SETTLE=${F_SETTLE:-15}; F_IDLE=${F_IDLE:-60}; F_STAY=${F_STAY:-10}; F_HUP=${F_HUP:-5}; G_ALERTS=${G_ALERTS:-200}; G_SAMPLES=${G_SAMPLES:-20}
  H_TO=${H_TO:-2026-12-31}
fi
FROM=2026-01-01; TO=2026-12-31
work=$(mktemp -d /tmp/dutybell-peers.XXXXXX)
pids=()      # long-lived helpers (sinks), stopped on exit
am_pid=""    # the current round's Alertmanager, if running
cleanup() {
  local p
  for p in "${pids[@]}" $am_pid; do stop "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "port $1 never opened" >&2; return 1
}
# stop PID: end one process this script started (SIGTERM, then SIGKILL after 2.5 s).
stop() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
results=()   # "row|measure|peer|peer cell|dutybell cell|ratio"

# have CMD PKG: true when CMD exists, installing Debian package PKG first if allowed.
have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ $smoke = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then return 1; fi
  echo "installing $2 (Debian) for $1" >&2
  [ "$2" = postfix ] && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$2" >/dev/null 2>&1 || true
  command -v "$1" >/dev/null 2>&1
}
skip() { results+=("$1|$2|-|skipped: $3|-|-"); echo "row $1 skipped: $3" >&2; }

# now_ns: a ns time stamp around a whole child process (wall time of that process).
now_ns() { date +%s%N; }
# cell FILE: "median (min–max) n=" of the numbers in FILE, one per line. ratio PEER US: us/peer medians.
cell() { python3 -c '
import statistics, sys
v = [float(x) for x in open(sys.argv[1]) if x.strip()]
f = lambda x: f"{x:,.0f}" if x >= 1000 else f"{x:.4g}"
print(f"{f(statistics.median(v))} ({f(min(v))}–{f(max(v))}) n={len(v)}")' "$1"; }
ratio() { python3 -c '
import statistics, sys
med = lambda p: statistics.median(float(x) for x in open(p) if x.strip())
print(f"{med(sys.argv[2]) / med(sys.argv[1]):.3g}")' "$1" "$2"; }

# The dutybell binary and the bench helpers (no-ops when up to date). Figures come from the
# release build; --smoke only proves the scripts work, so it reuses the debug build CI already has.
if [ "$smoke" = 1 ]; then
  # All targets, as CI's build stage: a plain `cargo build` leaves out the dev-dependencies,
  # whose features (tokio's, syn's …) cargo unifies into the shared crates when tests or benches
  # are built, so it compiled ~100 crates and dutybell again (69 s of CI's smoke in session 11).
  # Not quiet: in CI this prints no "Compiling" line.
  profile_build=(cargo build --all-targets --manifest-path "$repo/Cargo.toml")
  profile_benches=(cargo build --benches)
  bin="$CARGO_TARGET_DIR/debug/dutybell"
else
  profile_build=(cargo build --release --quiet --manifest-path "$repo/Cargo.toml")
  profile_benches=(cargo bench --no-run)
  bin="$CARGO_TARGET_DIR/release/dutybell"
fi
t_start=$SECONDS
timeout 1200 "${profile_build[@]}"
eval "$(timeout 1200 "${profile_benches[@]}" --quiet --manifest-path "$repo/Cargo.toml" \
  --bench peer_plan --bench peer_smtp --bench peer_webhook --bench replicas --bench latency --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    # Benches only: the binaries (dutybell, dutybell-sleep) are artifacts too, and a name with a
    # dash is no shell variable.
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["target"]["name"] + "=" + m["executable"])
    if m.get("reason") == "compiler-artifact" and not m.get("fresh"):
        print("built:", m["package_id"].split("#")[-1], m["target"]["name"], file=sys.stderr)')"
: "${peer_plan:?not built}" "${peer_smtp:?not built}" "${peer_webhook:?not built}" "${replicas:?not built}" "${latency:?not built}"

row_a() {
  have remind remind || { skip a "plan a year, $N duties" "remind is not installed (apt-get install remind)"; return; }
  python3 "$here/gen_remind.py" "$N" "$work/r.rem"
  : >"$work/a.peer"; : >"$work/a.us"; : >"$work/a.peer.mib"; : >"$work/a.us.mib"; : >"$work/a.whole"
  for _ in $(seq 1 "$ROUNDS"); do
    # Remind's peak RSS from GNU time (%M, KiB) when it is there; its wall time from the clock.
    t0=$(now_ns)
    if [ -x /usr/bin/time ]; then
      timeout 300 /usr/bin/time -f %M -o "$work/a.rss" remind -s12 "$work/r.rem" 1 Jan 2026 >/dev/null 2>&1
      echo "scale=1; $(tail -1 "$work/a.rss") / 1024" | bc >>"$work/a.peer.mib"
    else
      timeout 300 remind -s12 "$work/r.rem" 1 Jan 2026 >/dev/null 2>&1
    fi
    t1=$(now_ns)
    echo "scale=4; ($t1 - $t0) / 1000000000" | bc >>"$work/a.peer"
    out=$(timeout 300 "$peer_plan" "$N" $FROM $TO)
    echo "$out" | sed -n 's/^plan_s=\([0-9.]*\).*/\1/p' >>"$work/a.us"
    echo "$out" | sed -n 's/.*peak_mib=\([0-9.]*\).*/\1/p' >>"$work/a.us.mib"
    timeout 300 "$peer_plan" "$N" $FROM $TO --whole | sed -n 's/^plan_s=\([0-9.]*\).*/\1/p' >>"$work/a.whole"
  done
  results+=("a|plan a year, $N duties, task by task (s)|remind -s12|$(cell "$work/a.peer")|$(cell "$work/a.us")|$(ratio "$work/a.peer" "$work/a.us")")
  if [ -s "$work/a.peer.mib" ]; then
    results+=("a|  its peak resident memory (MiB)|remind -s12|$(cell "$work/a.peer.mib")|$(cell "$work/a.us.mib")|$(ratio "$work/a.peer.mib" "$work/a.us.mib")")
  fi
  results+=("a|  the year collected and sorted whole (s)|remind -s12|$(cell "$work/a.peer")|$(cell "$work/a.whole")|$(ratio "$work/a.peer" "$work/a.whole")")
}

row_b() {
  have remind remind || { skip b "print a year, $N duties" "remind is not installed (apt-get install remind)"; return; }
  [ -f "$work/r.rem" ] || python3 "$here/gen_remind.py" "$N" "$work/r.rem"
  python3 "$here/gen_plan.py" "$repo" "$N" "$work/cfg" >/dev/null
  timeout 300 "$bin" --config "$work/cfg/dutybell.yaml" check >/dev/null 2>"$work/check.err" \
    || { cat "$work/check.err" >&2; return 1; }
  : >"$work/b.peer"; : >"$work/b.us"
  for _ in $(seq 1 "$ROUNDS"); do
    t0=$(now_ns); timeout 300 remind -s12 "$work/r.rem" 1 Jan 2026 >/dev/null 2>&1; t1=$(now_ns)
    echo "scale=4; ($t1 - $t0) / 1000000000" | bc >>"$work/b.peer"
    t0=$(now_ns)
    timeout 600 "$bin" --config "$work/cfg/dutybell.yaml" plan --from $FROM --to $TO >"$work/b.out" 2>"$work/b.err"
    t1=$(now_ns)
    echo "scale=4; ($t1 - $t0) / 1000000000" | bc >>"$work/b.us"
  done
  echo "row b: dutybell printed $(wc -l <"$work/b.out") lines; remind $(remind -s12 "$work/r.rem" 1 Jan 2026 2>/dev/null | wc -l)" >&2
  results+=("b|print a year, $N duties (s)|remind -s12|$(cell "$work/b.peer")|$(cell "$work/b.us")|$(ratio "$work/b.peer" "$work/b.us")")
}

row_c() {
  have smtp-sink postfix && have smtp-source postfix || { skip c "SMTP msg/s" "smtp-sink/smtp-source (Debian postfix) are not installed"; return; }
  port=$(free_port)
  user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
  smtp-sink "${user[@]}" "127.0.0.1:$port" 1024 2>"$work/sink.log" & pids+=($!)
  wait_port "$port"
  for s in 1 16; do
    : >"$work/c$s.peer"; : >"$work/c$s.us"
    for _ in $(seq 1 "$ROUNDS"); do
      t0=$(now_ns)
      timeout 120 smtp-source -d -s $s -m "$M" -l 2048 -f bench@example.test -t sink@example.test "127.0.0.1:$port"
      t1=$(now_ns)
      echo "scale=1; $M * 1000000000 / ($t1 - $t0)" | bc >>"$work/c$s.peer"
      timeout 120 "$peer_smtp" "$port" "$M" $s | sed -n 's/.*msg_per_s=\([0-9.]*\).*/\1/p' >>"$work/c$s.us"
    done
    results+=("c|SMTP to smtp-sink, $s session(s), $M msgs (msg/s)|smtp-source -d -s $s|$(cell "$work/c$s.peer")|$(cell "$work/c$s.us")|$(ratio "$work/c$s.peer" "$work/c$s.us")")
  done
}

# am_config FILE SINK_PORT: one notification per alert (group_by '...'), flushed at once: the
# peers' set-up, to the sink's /am path.
am_config() {
  cat >"$1" <<YAML
route: { receiver: sink, group_by: ['...'], group_wait: 0s, group_interval: 1s, repeat_interval: 24h }
receivers:
  - name: sink
    webhook_configs: [{ url: "http://127.0.0.1:$2/am", send_resolved: false }]
YAML
}
# am_start CONFIG DATA_DIR PORT: a fresh Alertmanager (empty storage; gossip off so nothing
# listens beyond 127.0.0.1), ready to take alerts; its PID in am_pid, for `stop`.
am_start() {
  rm -rf "$2"; mkdir -p "$2"
  prometheus-alertmanager --config.file="$1" --storage.path="$2" \
    --web.listen-address="127.0.0.1:$3" --cluster.listen-address= --log.level=warn \
    >"$2.log" 2>&1 & am_pid=$!
  wait_port "$3"; sleep 1
}

row_d() {
  have prometheus-alertmanager prometheus-alertmanager || { skip d "webhook notif/s" "prometheus-alertmanager (Debian) is not installed"; return; }
  sport=$(free_port); aport=$(free_port)
  "$peer_webhook" sink "$sport" & pids+=($!)
  wait_port "$sport"
  am_config "$work/am.yml" "$sport"
  : >"$work/d.peer"; : >"$work/d.us"; : >"$work/d.durable"
  for r in $(seq 1 "$ROUNDS"); do
    am_start "$work/am.yml" "$work/am-data" "$aport"   # a fresh one per round
    timeout 150 python3 "$here/am_load.py" "$aport" "$sport" "$W" "$r" \
      | sed -n 's/.*notif_per_s=\([0-9.]*\).*/\1/p' >>"$work/d.peer"
    stop "$am_pid"; am_pid=""   # cleared so the EXIT trap never signals a reused PID
    timeout 120 "$peer_webhook" send "http://127.0.0.1:$sport/hook" "$W" 16 \
      | sed -n 's/.*msg_per_s=\([0-9.]*\).*/\1/p' >>"$work/d.us"
    # Durably: the daemon's cycle on a SQLite file (claim 16 under a lease, send through the
    # generic webhook channel to its own counting sink, record the batch in one commit).
    timeout 300 "$replicas" sqlite "$W" \
      | sed -n 's/.*msg_per_s=\([0-9.]*\).*/\1/p' >>"$work/d.durable"
  done
  results+=("d|webhook to a local sink, $W notifications (notif/s)|alertmanager burst|$(cell "$work/d.peer")|$(cell "$work/d.us")|$(ratio "$work/d.peer" "$work/d.us")")
  results+=("d|the same, each delivery durably recorded first (notif/s)|alertmanager burst|$(cell "$work/d.peer")|$(cell "$work/d.durable")|$(ratio "$work/d.peer" "$work/d.durable")")
}

row_e() {
  local flags=(); [ "$smoke" = 1 ] && flags=(--smoke)
  SKIP_BUILD=1 N=$E RUNS=$ROUNDS timeout 3600 bash "$repo/benches/startup_big.sh" "${flags[@]}" >"$work/e.out"
  cat "$work/e.out" >&2
  python3 - "$work/e.out" >"$work/e.cells" <<'PY'
import re, statistics, sys
runs = [tuple(map(float, m)) for m in re.findall(r"start->READY ([0-9.]+) s, cpu [0-9.]+ s, VmHWM ([0-9]+) kB", open(sys.argv[1]).read())]
f = lambda v: f"{statistics.median(v):.3g} ({min(v):.3g}–{max(v):.3g}) n={len(v)}"
print(f([r[0] for r in runs]) + " s to READY; " + f([r[1] / 1024 for r in runs]) + " MiB peak")
PY
  local rowsline; rowsline=$(sed -n 's/^tasks=\([0-9]*\) outbox_rows=\([0-9]*\).*/\1 tasks, \2 rows/p' "$work/e.out")
  results+=("e|start-up to READY, $rowsline|no peer (goal 1 s, 64 MiB)|-|$(cat "$work/e.cells")|-")
}

row_f() {
  have cron cron || { skip f "idle RSS (MiB), wake-ups a minute" "cron is not installed (apt-get install cron)"; return; }
  local settle=$F_SETTLE idle=$F_IDLE dbin="$bin"
  : >"$work/f.peer.rss"; : >"$work/f.us.rss"; : >"$work/f.peer.wake"; : >"$work/f.us.wake"
  for _ in $(seq 1 "$ROUNDS"); do
    # Debian's cron in the foreground; a cron already running here is measured instead (a
    # second one would not start), and left running.
    local cr ours=""
    if cr=$(pgrep -xo cron); then :; else cron -f >"$work/cron.log" 2>&1 & cr=$!; ours=$cr; fi
    # dutybell: benches/daemon_idle.sh (bundled plan, first start, settle, idle window) in the
    # same window as cron's.
    # F_STAY: the daemon's stay awake after its start before it sleeps (two minutes in a real
    # run), so the window samples the sleeper.
    DUTYBELL_BIN="$dbin" SKIP_BUILD=1 SETTLE_SECS=$settle SAMPLE_SECS=$idle STAY_AWAKE_SECS=$F_STAY HUP_SECS=$F_HUP \
      timeout $((settle + idle + 120)) bash "$repo/benches/daemon_idle.sh" >"$work/f.us.out" 2>&1 &
    local us=$!
    sleep "$settle"
    local before after
    before=$(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/"$cr"/task/*/status 2>/dev/null)
    sleep "$idle"
    after=$(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/"$cr"/task/*/status 2>/dev/null)
    awk '$1 == "VmRSS:" {printf "%.2f\n", $2 / 1024}' /proc/"$cr"/status >>"$work/f.peer.rss"
    echo "scale=2; ($after - $before) * 60 / $idle" | bc >>"$work/f.peer.wake"
    wait "$us" || { cat "$work/f.us.out" >&2; return 1; }
    [ -n "$ours" ] && stop "$ours"
    sed -n 's/^VmRSS max while idle: *\([0-9]*\) kB.*/\1/p' "$work/f.us.out" \
      | awk '{printf "%.2f\n", $1 / 1024}' >>"$work/f.us.rss"
    sed -n 's/^idle context switches: *\([0-9]*\).*/\1/p' "$work/f.us.out" \
      | awk -v i="$idle" '{printf "%.2f\n", $1 * 60 / i}' >>"$work/f.us.wake"
  done
  results+=("f|idle resident memory (MiB), bundled plan|cron -f|$(cell "$work/f.peer.rss")|$(cell "$work/f.us.rss")|$(ratio "$work/f.peer.rss" "$work/f.us.rss")")
  results+=("f|wake-ups a minute while idle (all threads)|cron -f|$(cell "$work/f.peer.wake")|$(cell "$work/f.us.wake")|-")
}

row_g() {
  have prometheus-alertmanager prometheus-alertmanager || { skip g "due -> delivered latency" "prometheus-alertmanager (Debian) is not installed"; return; }
  local gport aport
  gport=$(free_port); aport=$(free_port)
  "$peer_webhook" sink "$gport" & pids+=($!)
  wait_port "$gport"
  am_config "$work/am-g.yml" "$gport"
  : >"$work/g.peer50"; : >"$work/g.peer99"; : >"$work/g.us50"; : >"$work/g.us99"
  for r in $(seq 1 "$ROUNDS"); do
    am_start "$work/am-g.yml" "$work/am-g-data" "$aport"
    local out
    out=$(timeout 120 python3 "$here/am_latency.py" "$aport" "$gport" "$G_ALERTS" 50 "$r")
    stop "$am_pid"; am_pid=""
    echo "$out" | sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' >>"$work/g.peer50"
    echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' >>"$work/g.peer99"
    # dutybell: the real binary, one reminder due at a time, G_SAMPLES fresh starts
    # (benches/latency.rs; due instant → arrival at its own sink, same wall clock).
    out=$(LATENCY_UNITS=1 LATENCY_ROUNDS=$G_SAMPLES LATENCY_LEAD_MS=2000 timeout 600 "$latency" | grep '^latency ')
    echo "$out" | sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' >>"$work/g.us50"
    echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' >>"$work/g.us99"
  done
  results+=("g|due -> delivered latency, light load, p50 (ms)|alertmanager, $G_ALERTS alerts at 50/s|$(cell "$work/g.peer50")|$(cell "$work/g.us50")|$(ratio "$work/g.peer50" "$work/g.us50")")
  results+=("g|  the same, p99 (ms)|alertmanager, $G_ALERTS alerts at 50/s|$(cell "$work/g.peer99")|$(cell "$work/g.us99")|$(ratio "$work/g.peer99" "$work/g.us99")")
}

row_h() {
  # No peer: a year of the bundled plan through the daemon's own loop on a manual clock
  # (`dutybell simulate`), wall time and peak RSS from GNU time when it is there.
  : >"$work/h.s"; : >"$work/h.mib"
  local to=$H_TO
  for _ in $(seq 1 "$ROUNDS"); do
    if [ -x /usr/bin/time ]; then
      timeout 300 /usr/bin/time -f "%e %M" -o "$work/h.time" "$bin" --config "$repo/config/dutybell.yaml" \
        simulate --from 2026-01-01 --to "$to" --summary >"$work/h.out" 2>&1 \
        || { cat "$work/h.out" >&2; return 1; }
      awk '{print $1}' "$work/h.time" | tail -1 >>"$work/h.s"
      awk '{printf "%.1f\n", $2 / 1024}' "$work/h.time" | tail -1 >>"$work/h.mib"
    else
      t0=$(now_ns)
      timeout 300 "$bin" --config "$repo/config/dutybell.yaml" simulate --from 2026-01-01 --to "$to" --summary >"$work/h.out" 2>&1 \
        || { cat "$work/h.out" >&2; return 1; }
      t1=$(now_ns); echo "scale=3; ($t1 - $t0) / 1000000000" | bc >>"$work/h.s"
    fi
  done
  local sent; sent=$(sed -n 's/.*: \([0-9]*\) sent,.*/\1/p' "$work/h.out" | tail -1)
  results+=("h|simulate 2026-01-01..$to, bundled plan, $sent messages (s)|no peer (goal 5 s)|-|$(cell "$work/h.s")|-")
  [ -s "$work/h.mib" ] && results+=("h|  its peak resident memory (MiB)|no peer (goal 32 MiB)|-|$(cell "$work/h.mib")|-")
  return 0
}

# The build check's and each row's wall time on stderr: the smoke's share of CI's time is read
# from these.
echo "builds checked in $((SECONDS - t_start)) s" >&2
for r in "${rows[@]}"; do
  row_start=$SECONDS  # not t0: the rows use that name
  "row_$r"
  echo "row $r took $((SECONDS - row_start)) s" >&2
done
echo
echo "rounds=$ROUNDS N=$N M=$M W=$W  ratio = dutybell / peer (times: >1 slower; rates: >1 faster)"
printf '%s\n' "row|measure|peer|peer median (min–max)|dutybell median (min–max)|ratio" "${results[@]}" \
  | column -t -s '|'
