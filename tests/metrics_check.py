"""Checks Croft's Prometheus metrics against the shipped dashboard and alert rules.

Starts Croft with a metrics listener, drives traffic that makes the metric families appear,
scrapes /metrics, parses it with prometheus_client (a parse error fails), and fails when an
expression in packaging/monitoring/grafana-dashboard.json or alerts.yml names a metric the scrape
does not have. Runs `promtool check rules` on alerts.yml when promtool is on PATH.

Usage: python tests/metrics_check.py CROFT_BIN
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONITORING = os.path.join(ROOT, "packaging", "monitoring")
DASHBOARD = os.path.join(MONITORING, "grafana-dashboard.json")
ALERTS = os.path.join(MONITORING, "alerts.yml")
TELEMETRY = os.path.join(ROOT, "src", "telemetry.rs")

EMAIL, PASSWORD = "a@b.co", "1234567890"
# Declared metrics this short run cannot make happen (they need a locked database, a stalled
# realtime client, a full log queue). Names in the dashboard and rules may still use them.
NOT_PROVOKED = {"croft_db_busy_errors_total", "croft_realtime_dropped_total", "croft_logs_dropped_total",
                # Only with TLS on (tests/api/tls.rs scrapes them from a server on Pebble).
                "croft_tls_certificate_expiry_timestamp_seconds", "croft_tls_renewals_total"}
METRIC_NAME = re.compile(r"\bcroft_[a-z0-9_]+")
HISTOGRAM_SUFFIX = re.compile(r"_(bucket|sum|count)$")


def fail(message):
    sys.exit(f"metrics_check: FAILED: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, headers=None, raw=None):
    """(status, parsed JSON or text) of a request; HTTP errors are answers, not exceptions."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, method=method, data=data)
    if raw is None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8", "replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def expect(answer, status, what):
    if answer[0] != status:
        fail(f"{what}: expected {status}, got {answer[0]}: {str(answer[1])[:300]}")
    return answer[1]


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, (filename, mime, content) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {mime}\r\n\r\n").encode() + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def scrape(metrics_url):
    with urllib.request.urlopen(metrics_url, timeout=30) as resp:
        return resp.read().decode("utf-8")


def parse(body):
    """{family name: family}, and every sample name; a body prometheus_client rejects fails."""
    try:
        families = list(text_string_to_metric_families(body))
    except Exception as err:  # the parser raises ValueError and friends on bad input
        fail(f"the scrape does not parse: {err!r}")
    return {f.name: f for f in families}, {s.name for f in families for s in f.samples}


def drive_traffic(base):
    """Requests that make the metric families appear; returns the open realtime stream."""
    token = expect(call(base, "POST", "/api/collections/_superusers/auth-with-password",
                        {"identity": EMAIL, "password": PASSWORD}), 200, "sign-in")["token"]
    # A wrong password (400); Croft counts refused tokens as auth failures, so send one too.
    expect(call(base, "POST", "/api/collections/_superusers/auth-with-password",
                {"identity": EMAIL, "password": "wrong-password"}), 400, "sign-in with a wrong password")
    expect(call(base, "GET", "/api/collections/_superusers/records", token="bad"), 403, "a request with an invalid token")
    expect(call(base, "POST", "/api/collections", {
        "name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
        "fields": [{"name": "title", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 1 << 20}],
    }, token), 200, "create a collection")

    # A realtime client subscribed to posts, so creating records sends events.
    stream = urllib.request.urlopen(base + "/api/realtime", timeout=30)
    client_id = None
    for _ in range(20):
        line = stream.readline().decode()
        if line.startswith("data:"):
            client_id = json.loads(line[5:])["clientId"]
            break
    if not client_id:
        fail("no PB_CONNECT message on /api/realtime")
    expect(call(base, "POST", "/api/realtime", {"clientId": client_id, "subscriptions": ["posts"]}), 204, "realtime subscription")

    for i in range(3):
        expect(call(base, "POST", "/api/collections/posts/records", {"title": f"post {i}"}), 200, "create a record")
    body, mime = multipart({"title": "with a file"}, {"doc": ("hello.txt", "text/plain", b"hello, metrics\n" * 64)})
    record = expect(call(base, "POST", "/api/collections/posts/records", raw=body, headers={"Content-Type": mime}),
                    200, "create a record with a file")
    expect(call(base, "GET", f"/api/files/posts/{record['id']}/{record['doc']}"), 200, "download the file")
    expect(call(base, "GET", "/api/collections/posts/records"), 200, "list records")
    expect(call(base, "GET", "/api/collections/nope/records"), 404, "an unknown collection")
    expect(call(base, "GET", "/metrics"), 404, "/metrics on the main listener without metrics_token")
    expect(call(base, "POST", "/api/backups", {}, token), 204, "create a backup")
    expect(call(base, "POST", "/api/crons/blob_cleanup", token=token), 204, "run the blob_cleanup job")

    # A rate limit on /api/health for guests: the second request is refused.
    expect(call(base, "PATCH", "/api/settings", {
        "rateLimits": {"enabled": True, "rules": [{"label": "/api/health", "maxRequests": 1, "duration": 60}]},
    }, token), 200, "enable a rate limit")
    call(base, "GET", "/api/health")
    expect(call(base, "GET", "/api/health"), 429, "a rate-limited request")
    return stream


def declared_metrics():
    with open(TELEMETRY, encoding="utf-8") as f:
        return set(re.findall(r'pub const \w+: &str = "(croft_[a-z0-9_]+)";', f.read()))


def expressions():
    """(where, expression) of every PromQL expression in the dashboard and the rules."""
    out = []

    def walk(panels, where):
        for panel in panels:
            place = f"{where} > {panel.get('title', '?')}"
            for target in panel.get("targets", []):
                if isinstance(target.get("expr"), str):
                    out.append((place, target["expr"]))
            walk(panel.get("panels", []), place)  # a collapsed row keeps its panels inside

    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    if dashboard.get("uid") != "croft-overview":
        fail(f"{DASHBOARD}: uid is {dashboard.get('uid')!r}, not croft-overview")
    walk(dashboard.get("panels", []), "dashboard")
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if var.get("type") == "query" and isinstance(query, str):
            out.append((f"dashboard variable {var['name']}", query))

    with open(ALERTS, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    for group in rules["groups"]:
        for rule in group["rules"]:
            out.append((f"alerts.yml {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return out


def check_names(sample_names, declared):
    exprs = expressions()
    named, unknown = set(), {}
    for where, expr in exprs:
        for name in METRIC_NAME.findall(expr):
            named.add(name)
            if name in sample_names or name in NOT_PROVOKED & declared:
                continue
            family = HISTOGRAM_SUFFIX.sub("", name)
            hint = " (a histogram: use _bucket, _sum or _count)" if name + "_count" in sample_names else ""
            hint = hint or ("" if family in declared or name in declared else " (not declared in src/telemetry.rs)")
            unknown.setdefault(name + hint, []).append(where)
    if unknown:
        lines = "\n".join(f"  {name}: {', '.join(sorted(set(places)))}" for name, places in sorted(unknown.items()))
        fail(f"metrics named in the dashboard or rules but missing from the scrape:\n{lines}")
    return len(exprs), named


def promtool():
    tool = shutil.which("promtool")
    if not tool:
        return "promtool not on PATH, rules check skipped"
    result = subprocess.run([tool, "check", "rules", ALERTS], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"promtool check rules {ALERTS}:\n{result.stdout}{result.stderr}")
    return "promtool check rules passed"


def main(binary):
    declared = declared_metrics()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROFT_")}
        env["CROFT_LOG"] = "warn"
        subprocess.run([binary, "superuser", "upsert", EMAIL, PASSWORD, "--dir", data], check=True, capture_output=True, env=env)
        port, metrics_port = free_port(), free_port()
        base, metrics_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
        log_path = os.path.join(data, "server.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen([binary, "serve", "--http", f"127.0.0.1:{port}", "--metrics-http", f"127.0.0.1:{metrics_port}",
                                       "--dir", data], stdout=log, stderr=subprocess.STDOUT, env=env)
        stream = None
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if call(base, "GET", "/api/health")[0] == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    with open(log_path) as f:
                        fail(f"Croft did not become healthy:\n{f.read()[-3000:]}")
                time.sleep(0.1)

            stream = drive_traffic(base)
            # Request logs are written in batches (every 200 ms) and the job runs in the background.
            time.sleep(1.5)
            deadline = time.monotonic() + 10
            while True:
                families, sample_names = parse(scrape(metrics_url))
                if {"croft_job_runs_total", "croft_logs_written_total"} <= sample_names or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            if stream is not None:
                stream.close()
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    for required in ("croft_build_info", "croft_http_requests_total"):
        if required not in sample_names:
            fail(f"{required} is missing from the scrape")
    # Every declared metric should have appeared, but for the few this run cannot provoke.
    missing = sorted(n for n in declared - NOT_PROVOKED
                     if n not in sample_names and n + "_count" not in sample_names)
    if missing:
        fail(f"declared in src/telemetry.rs but not in the scrape (drive traffic that records them): {', '.join(missing)}")
    unexpected = sorted(HISTOGRAM_SUFFIX.sub("", s) for s in sample_names
                        if s.startswith("croft_") and HISTOGRAM_SUFFIX.sub("", s) not in declared and s not in declared)
    if unexpected:
        fail(f"in the scrape but not declared in src/telemetry.rs: {', '.join(sorted(set(unexpected)))}")

    n_exprs, named = check_names(sample_names, declared)
    promtool_result = promtool()
    not_seen = sorted(NOT_PROVOKED - sample_names)
    skipped = f" ({len(not_seen)} not provoked: {', '.join(not_seen)})" if not_seen else ""
    print(f"metrics_check: OK: {len(families)} families scraped{skipped}; "
          f"{n_exprs} dashboard/alert expressions name {len(named)} metrics, all present; {promtool_result}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
