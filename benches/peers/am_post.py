"""am_post.py: what am_load.py and am_latency.py share, one POST of alerts to Alertmanager's v2
API on a kept-alive connection; a refusal ends the benchmark with the status."""
import json
import sys


def post_alerts(am, alerts):
    """POSTs `alerts` (a list of v2 alert objects) on the HTTPConnection `am` and reads the answer."""
    am.request("POST", "/api/v2/alerts", body=json.dumps(alerts),
               headers={"Content-Type": "application/json"})
    r = am.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"alertmanager answered {r.status}")
