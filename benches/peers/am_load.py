#!/usr/bin/env python3
# am_load.py AM_PORT SINK_PORT N RUN: pushes N alerts (100 per POST, one keep-alive connection)
# into a fresh Alertmanager routed one notification per alert to the counting sink, and prints
# notif_per_s = N / (time from the first POST until the sink has counted N more requests).
# Loopback only; gives up after 120 s.
import http.client
import sys
import time

from am_post import post_alerts

am_port, sink_port, n, run = (int(a) for a in sys.argv[1:5])


def sink_count():
    c = http.client.HTTPConnection("127.0.0.1", sink_port, timeout=10)
    c.request("GET", "/count")
    v = int(c.getresponse().read())
    c.close()
    return v


base = sink_count()
am = http.client.HTTPConnection("127.0.0.1", am_port, timeout=30)
t0 = time.monotonic()
for start in range(0, n, 100):
    alerts = [{"labels": {"alertname": "duty", "run": str(run), "i": str(i)},
               "annotations": {"summary": f"任务 {i} 今日到期"}}
              for i in range(start, min(n, start + 100))]
    post_alerts(am, alerts)
while sink_count() - base < n:
    if time.monotonic() - t0 > 120:
        sys.exit("alertmanager did not deliver every alert within 120 s")
    time.sleep(0.005)
wall = time.monotonic() - t0
print(f"msgs={n} wall_s={wall:.4f} notif_per_s={n / wall:.1f}")
