"""Fetches a Prometheus text exposition and parses it with the official Python client's parser.

Prints one JSON object {contentType, families: [{name, type, samples: [{name, labels, value}]}]}, or exits 1
naming the parse error. Loopback URLs only. Needs Debian's python3-prometheus-client.
"""
import json
import re
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

url = sys.argv[1] if len(sys.argv) > 1 else ""
if not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+/", url):
    print("usage: prom_parse.py http://127.0.0.1:PORT/metrics", file=sys.stderr)
    sys.exit(2)
with urllib.request.urlopen(url, timeout=15) as r:
    content_type = r.headers.get("Content-Type")
    text = r.read().decode("utf-8")
try:
    families = [{"name": f.name, "type": f.type,
                 "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                for f in text_string_to_metric_families(text)]
except Exception as e:  # the parser raises ValueError and friends on malformed input
    print("not valid Prometheus text format: %s" % e, file=sys.stderr)
    sys.exit(1)
print(json.dumps({"contentType": content_type, "families": families}))
