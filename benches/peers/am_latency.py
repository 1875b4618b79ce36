#!/usr/bin/env python3
# am_latency.py AM_PORT SINK_PORT N RATE RUN: the peers' light-load latency (RESULTS.md,
# "trickle"): N alerts, one per POST, RATE POSTs a second, into a fresh Alertmanager routed one
# notification per alert to the sink of peer_webhook.rs; latency = the sink's arrival (wall
# clock) - the start of the POST that carried the alert (same clock, same machine). Prints
# p50_ms=… p99_ms=… over the N alerts. Loopback only; gives up after 60 s.
import http.client
import json
import statistics
import sys
import time

from am_post import post_alerts

am_port, sink_port, n, rate, run = (int(a) for a in sys.argv[1:6])


def arrivals():
    c = http.client.HTTPConnection("127.0.0.1", sink_port, timeout=10)
    c.request("GET", "/arrivals")
    v = json.loads(c.getresponse().read() or b"[]")
    c.close()
    return v


sent = {}
am = http.client.HTTPConnection("127.0.0.1", am_port, timeout=30)
t0 = time.monotonic()
for i in range(n):
    # Paced on the monotonic clock; stamped on the wall clock, which the sink uses too.
    time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
    alert = [{"labels": {"alertname": "latency", "run": str(run), "i": str(i)},
              "annotations": {"summary": f"任务 {i} 今日到期"}}]
    sent[str(i)] = time.time_ns()
    post_alerts(am, alert)
lat = {}
while len(lat) < n:
    if time.monotonic() - t0 > 60:
        sys.exit(f"alertmanager delivered {len(lat)} of {n} alerts within 60 s")
    for ns, body in arrivals():
        for a in json.loads(body).get("alerts", []):
            labels = a.get("labels", {})
            if labels.get("run") == str(run) and labels.get("i") in sent:
                lat.setdefault(labels["i"], (ns - sent[labels["i"]]) / 1e6)
    time.sleep(0.05)
v = sorted(lat.values())
p99 = v[min(len(v) - 1, int(0.99 * len(v)))]
print(f"alerts={n} p50_ms={statistics.median(v):.3f} p99_ms={p99:.3f}")
