"""Croft and PocketBase side by side: the same schema, data and workloads, in alternation.

Started by benches/run; writes benches/RESULTS.md and benches/results.svg. Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ADMIN = ("bench@example.com", "password123")
PASSWORD = "password123"
SERVER_CPU = "0"
LOAD_CPU = "1"


def cpus():
    return os.cpu_count() or 1


def pinned(cmd, cpu):
    """Pins a command to a core when the machine has more than one."""
    if cpus() > 1 and shutil.which("taskset"):
        return ["taskset", "-c", cpu, *cmd]
    return cmd


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, timeout=60):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:300]!r}") from None


class Server:
    def __init__(self, name, cmd_serve, upsert, cwd):
        self.name, self.cmd_serve, self.upsert, self.cwd = name, cmd_serve, upsert, cwd
        self.proc = None
        self.base = None

    def start(self):
        subprocess.run(self.upsert, check=True, capture_output=True, cwd=self.cwd)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [part.replace("{addr}", f"127.0.0.1:{port}") for part in self.cmd_serve]
        self.proc = subprocess.Popen(pinned(cmd, SERVER_CPU), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.cwd)
        for _ in range(400):
            try:
                call(self.base, "GET", "/api/health", timeout=2)
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def pid(self):
        """The server process itself (taskset execs it, so the pid is the same)."""
        return self.proc.pid

    def reset_peak_rss(self):
        try:
            with open(f"/proc/{self.pid()}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    def peak_rss_mib(self):
        try:
            with open(f"/proc/{self.pid()}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def seed(server, records):
    """The same API calls against either server."""
    base = server.base
    su = call(base, "POST", "/api/collections/_superusers/auth-with-password", {"identity": ADMIN[0], "password": ADMIN[1]})["token"]
    call(base, "PATCH", "/api/settings", {"batch": {"enabled": True, "maxRequests": 100, "timeout": 30}}, su)
    users = []
    for i in range(10):
        uid = f"benchuser{i:06d}"
        call(base, "POST", "/api/collections/users/records", {"id": uid, "email": f"u{i}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, "name": f"User {i}", "emailVisibility": True}, su)
        users.append(uid)
    call(base, "PATCH", "/api/collections/users", {"viewRule": ""}, su)
    call(base, "POST", "/api/collections", {
        "name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "@request.auth.id != ''",
        "fields": [
            {"name": "title", "type": "text"}, {"name": "body", "type": "text"}, {"name": "views", "type": "number"},
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "created", "type": "autodate", "onCreate": True}, {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
        "indexes": ["CREATE INDEX idx_posts_author ON posts (author)", "CREATE INDEX idx_posts_created ON posts (created)"],
    }, su)
    words = ["alpha", "beta", "gamma", "delta", "lorem", "ipsum", "dolor", "amet"]
    batch = []
    for i in range(records):
        title = f"{words[i % 8]} {words[(i // 8) % 8]} post {i}"
        batch.append({"method": "POST", "url": "/api/collections/posts/records",
                      "body": {"id": f"post{i:011d}", "title": title, "body": "x" * 200, "views": i % 1000, "author": users[i % 10]}})
        if len(batch) == 100 or i == records - 1:
            call(base, "POST", "/api/batch", {"requests": batch}, su, timeout=300)
            batch = []
    user = call(base, "POST", "/api/collections/users/auth-with-password", {"identity": "u0@example.com", "password": PASSWORD})["token"]
    files = seed_files(base, su)
    return {"su": su, "user": user, "user_id": users[0], **files}


BOUNDARY = "croftbenchboundary7MA4YWxkTrZu0gW"
IMAGE = None


def image_1mib():
    """A 592x592 RGB PNG of noise: about 1 MiB, incompressible, the same bytes for both servers."""
    global IMAGE
    if IMAGE is None:
        import random
        import struct
        import zlib
        rng = random.Random(7)
        w = h = 592
        raw = b"".join(b"\0" + rng.randbytes(w * 3) for _ in range(h))
        chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
        IMAGE = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")
    return IMAGE


def multipart(field, filename, data):
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(base, path, token, body, timeout=60):
    req = urllib.request.Request(base + path, method="POST", data=body)
    req.add_header("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    req.add_header("Authorization", token)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def seed_files(base, su):
    """An `images` collection with one 1 MiB image, and thumbnails made once for the cached workload."""
    call(base, "POST", "/api/collections", {
        "name": "images", "type": "base", "listRule": "", "viewRule": "", "createRule": "@request.auth.id != ''",
        "fields": [{"name": "image", "type": "file", "maxSelect": 1, "maxSize": 2 << 30}],
    }, su)
    rec = upload(base, "/api/collections/images/records", su, multipart("image", "noise.png", image_1mib()))
    file_path = f"/api/files/images/{rec['id']}/{rec['image']}"
    urllib.request.urlopen(base + file_path + "?thumb=100x100", timeout=60).read()
    return {"file_path": file_path}


def workloads(tokens, smoke):
    """(name, method, path, body, token key, concurrency)."""
    c32 = 4 if smoke else 32
    return [
        ("create c=1", "POST", "/api/collections/posts/records", {"title": "bench", "author": tokens["user_id"]}, "user", 1),
        (f"create c={c32}", "POST", "/api/collections/posts/records", {"title": "bench", "author": tokens["user_id"]}, "user", c32),
        (f"view c={c32}", "GET", "/api/collections/posts/records/post00000000007", None, None, c32),
        ("list totals", "GET", "/api/collections/posts/records?perPage=20&sort=-created", None, None, c32),
        ("list skipTotal", "GET", "/api/collections/posts/records?perPage=20&sort=-created&skipTotal=1", None, None, c32),
        ("list author=@request.auth.id", "GET", "/api/collections/posts/records?perPage=20&filter=" + urllib.request.quote("author=@request.auth.id"), None, "su", c32),
        ("list title~'lorem'", "GET", "/api/collections/posts/records?perPage=20&filter=" + urllib.request.quote("title~'lorem'"), None, None, c32),
        ("list expand=author", "GET", "/api/collections/posts/records?perPage=20&sort=-created&expand=author", None, None, c32),
        ("auth-with-password c=8", "POST", "/api/collections/users/auth-with-password", {"identity": "u1@example.com", "password": PASSWORD}, None, 2 if smoke else 8),
        (f"auth-refresh c={c32}", "POST", "/api/collections/users/auth-refresh", None, "user", c32),
        ("upload 1 MiB image c=4", "POST", "/api/collections/images/records", ("@file", multipart("image", "noise.png", image_1mib())), "user", 4),
        (f"download 1 MiB c={c32}", "GET", tokens["file_path"], None, None, c32),
        (f"cached thumb 100x100 c={c32}", "GET", tokens["file_path"] + "?thumb=100x100", None, None, c32),
    ]


LUA_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(99)))
end
"""


def wrk(url, method, body, token, concurrency, duration):
    lines = [f'wrk.method = "{method}"', 'wrk.headers["Content-Type"] = "application/json"']
    body_file = None
    if isinstance(body, tuple):
        # A multipart body: too big and binary for a Lua literal, so wrk reads it from a file.
        with tempfile.NamedTemporaryFile("wb", suffix=".body", delete=False) as f:
            f.write(body[1])
            body_file = f.name
        lines[1] = f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={BOUNDARY}"'
        lines.append(f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()')
    elif body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    if token:
        lines.append(f'wrk.headers["Authorization"] = "{token}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lines) + LUA_DONE)
        script = f.name
    try:
        cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s", "-s", script, url]
        out = subprocess.run(pinned(cmd, LOAD_CPU), capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
        if body_file:
            os.unlink(body_file)
    data = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    secs = data["duration_us"] / 1e6
    return {"rps": data["requests"] / secs if secs else 0, "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000, "errors": data["errors"]}


def realtime(server, su_token, subscribers, rate, seconds):
    """Subscribers on posts/*, creates at `rate`/s: delivery latency and memory per idle client."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "realtime.mjs")
    cmd = ["node", script, server.base, su_token, str(server.pid()), str(subscribers), str(rate), str(seconds)]
    out = subprocess.run(pinned(cmd, LOAD_CPU), capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout)[-300:]}
    return json.loads(lines[-1])


def first_thumbs(server, token, n):
    """Latency of first thumbnail requests, each of a freshly uploaded 1 MiB image (sequential)."""
    paths = []
    for _ in range(n):
        rec = upload(server.base, "/api/collections/images/records", token, multipart("image", "noise.png", image_1mib()))
        paths.append(f"/api/files/images/{rec['id']}/{rec['image']}?thumb=100x100")
    lat = []
    for path in paths:
        started = time.perf_counter()
        urllib.request.urlopen(server.base + path, timeout=60).read()
        lat.append((time.perf_counter() - started) * 1000)
    lat.sort()
    return {"requests": n, "p50_ms": statistics.median(lat), "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))]}


def rss_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def big_file(server, token, size):
    """Uploads then downloads one file of `size` bytes, streamed on the client side too; reports
    the server's resident memory before and its peak during the transfers."""
    import http.client
    server.reset_peak_rss()
    before = rss_mib(server.pid(), "VmRSS")
    chunk = os.urandom(1 << 20)
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body():
        yield head
        sent = 0
        while sent < size:
            part = chunk[: min(len(chunk), size - sent)]
            sent += len(part)
            yield part
        yield tail

    host = server.base.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=600)
    started = time.perf_counter()
    conn.request("POST", "/api/collections/images/records", body=body(), headers={
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Authorization": token,
        "Content-Length": str(len(head) + size + len(tail))})
    resp = conn.getresponse()
    rec = json.loads(resp.read())
    up_s = time.perf_counter() - started
    if resp.status != 200:
        return {"error": f"upload: {resp.status} {rec}"}
    started = time.perf_counter()
    conn.request("GET", f"/api/files/images/{rec['id']}/{rec['image']}")
    resp = conn.getresponse()
    got = 0
    while True:
        data = resp.read(1 << 20)
        if not data:
            break
        got += len(data)
    down_s = time.perf_counter() - started
    conn.close()
    peak = rss_mib(server.pid(), "VmHWM")
    return {"size_mib": size / (1 << 20), "downloaded_mib": got / (1 << 20), "upload_s": up_s, "download_s": down_s,
            "rss_before_mib": before, "peak_mib": peak, "growth_mib": peak - before}


def floor_http(floor_cmd, duration, concurrency):
    if not floor_cmd:
        return None
    port = free_port()
    proc = subprocess.Popen(pinned([*floor_cmd, "serve", f"127.0.0.1:{port}"], SERVER_CPU), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        return wrk(f"http://127.0.0.1:{port}/", "GET", None, None, concurrency, duration)
    finally:
        proc.terminate()
        proc.wait()


def floor_sqlite(floor_cmd, smoke):
    if not floor_cmd:
        return None
    out = subprocess.run(pinned([*floor_cmd, "sqlite", "2000" if smoke else "50000"], SERVER_CPU), capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["inserts_per_sec"]


def svg_chart(rows, path):
    """Horizontal bars of the Croft/PocketBase req/s ratio per workload, on a log scale."""
    import math
    width, bar_h, left = 760, 22, 260
    height = 40 + bar_h * len(rows) + 30
    low, top = 0.1, max([r["ratio"] for r in rows] + [10.0])
    span = math.log10(top / low)
    x = lambda ratio: left + (width - left - 60) * math.log10(max(ratio, low) / low) / span
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             '<text x="10" y="20" font-size="14" font-weight="bold">Croft / PocketBase, req/s (higher is better; log scale)</text>']
    for i, r in enumerate(rows):
        y = 35 + i * bar_h
        x0, x1 = x(1.0), x(r["ratio"])
        color = "#2f6feb" if r["ratio"] >= 1 else "#c62828"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{r["name"]}</text>')
        parts.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 3}" width="{max(1, abs(x1 - x0)):.1f}" height="{bar_h - 6}" fill="{color}"/>')
        parts.append(f'<text x="{max(x0, x1) + 5:.1f}" y="{y + 15}">{r["ratio"]:.2f}×</text>')
    for mark in (1, 10, 100):
        if mark <= top:
            parts.append(f'<line x1="{x(mark):.1f}" y1="30" x2="{x(mark):.1f}" y2="{height - 25}" stroke="#888" stroke-dasharray="4"/>')
            parts.append(f'<text x="{x(mark):.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{mark}×</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--croft", required=True)
    ap.add_argument("--pocketbase", required=True)
    ap.add_argument("--floor", default="", help="command of the floor program (space separated)")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default="", help="run only workloads whose name contains this text")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "RESULTS.md"))
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="croft-bench-")
    pb_dir, cr_dir = os.path.join(work, "pb_data"), os.path.join(work, "croft_data")
    servers = {
        "pocketbase": Server("pocketbase", [args.pocketbase, "serve", "--http", "{addr}", "--dir", pb_dir],
                             [args.pocketbase, "superuser", "upsert", *ADMIN, "--dir", pb_dir], work),
        "croft": Server("croft", [args.croft, "serve", "--http", "{addr}", "--dir", cr_dir],
                        [args.croft, "superuser", "upsert", *ADMIN, "--dir", cr_dir], work),
    }
    results = {}
    try:
        tokens = {}
        for name, server in servers.items():
            server.start()
            started = time.time()
            tokens[name] = seed(server, args.records)
            print(f"seeded {name} with {args.records} records in {time.time() - started:.1f}s", flush=True)
        names = [w[0] for w in workloads(tokens["croft"], args.smoke) if args.only in w[0]]
        for rnd in range(args.rounds):
            for wname in names:
                for sname in (["pocketbase", "croft"] if rnd % 2 == 0 else ["croft", "pocketbase"]):
                    server = servers[sname]
                    _, method, path, body, token_key, conc = next(w for w in workloads(tokens[sname], args.smoke) if w[0] == wname)
                    token = tokens[sname][token_key] if token_key else None
                    server.reset_peak_rss()
                    r = wrk(server.base + path, method, body, token, conc, args.duration)
                    r["rss_mib"] = server.peak_rss_mib()
                    results.setdefault((wname, sname), []).append(r)
                    print(f"round {rnd + 1} {wname:<32} {sname:<10} {r['rps']:>9.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  errors {r['errors']}  rss {r['rss_mib']:.0f} MiB", flush=True)
        if not args.only or "file" in args.only:
            for sname in ["pocketbase", "croft"]:
                server = servers[sname]
                results[("first thumb", sname)] = first_thumbs(server, tokens[sname]["su"], 3 if args.smoke else 20)
                results[("big file", sname)] = big_file(server, tokens[sname]["su"], (16 if args.smoke else 1024) << 20)
                print(f"files {sname:<10} first thumbs {json.dumps(results[('first thumb', sname)])} big file {json.dumps(results[('big file', sname)])}", flush=True)
        if not args.only or "realtime" in args.only:
            subs, rate, secs = (20, 20, 2) if args.smoke else (500, 100, 10)  # the workload
            for sname in ["pocketbase", "croft"]:
                server = servers[sname]
                r = realtime(server, tokens[sname]["su"], subs, rate, secs)
                results[("realtime", sname)] = r
                print(f"realtime {sname:<10} {json.dumps(r)}", flush=True)
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(work, ignore_errors=True)

    floor_rps = floor_http(args.floor.split(), args.duration, 4 if args.smoke else 32)
    floor_inserts = floor_sqlite(args.floor.split(), args.smoke)
    write_report(args, names, results, floor_rps, floor_inserts)


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def write_report(args, names, results, floor_rps, floor_inserts):
    rows = []
    lines = [
        "# Benchmarks: Croft and PocketBase 0.40.6 side by side",
        "",
        f"Generated by `benches/run` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {os.cpu_count()} cores, "
        f"servers pinned to CPU {SERVER_CPU}, wrk to CPU {LOAD_CPU}; {args.records} seeded posts; "
        f"{args.rounds} rounds of {args.duration} s per workload, servers alternating; medians shown, peak RSS is the max over rounds."
        + (" **Smoke run: tiny sizes, numbers are meaningless.**" if args.smoke else ""),
        "",
        "| workload | PocketBase req/s | Croft req/s | ratio | PB p50 / p99 ms | Croft p50 / p99 ms | errors PB / Croft | peak RSS PB / Croft MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        pb, cr = results.get((name, "pocketbase"), []), results.get((name, "croft"), [])
        if not pb or not cr:
            continue
        ratio = median(cr, "rps") / max(median(pb, "rps"), 1e-9)
        rows.append({"name": name, "ratio": ratio})
        lines.append(
            f"| {name} | {median(pb, 'rps'):.0f} | {median(cr, 'rps'):.0f} | {ratio:.2f}× | "
            f"{median(pb, 'p50_ms'):.2f} / {median(pb, 'p99_ms'):.2f} | {median(cr, 'p50_ms'):.2f} / {median(cr, 'p99_ms'):.2f} | "
            f"{sum(r['errors'] for r in pb)} / {sum(r['errors'] for r in cr)} | "
            f"{max(r['rss_mib'] for r in pb):.0f} / {max(r['rss_mib'] for r in cr):.0f} |")
    rt = {name: results.get(("realtime", name)) for name in ("pocketbase", "croft")}
    if all(rt.values()):
        lines += ["", "Realtime: subscribers on `posts/*`, creates at a fixed rate; latency from the create to each delivery, measured on 50 probe subscribers (the client cannot decode every event of every subscriber).", "",
                  "| server | subscribers | writes | delivered / expected (probes) | p50 ms | p99 ms | idle KiB per connection |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in rt.items():
            if "error" in r:
                lines.append(f"| {name} | failed: {r['error'][:80]} | | | | | |")
            else:
                lines.append(f"| {name} | {r['subscribers']} | {r['writes']} | {r['delivered']} / {r['expected']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['idle_kib_per_connection']:.1f} |")
    ft = {name: results.get(("first thumb", name)) for name in ("pocketbase", "croft")}
    if all(ft.values()):
        lines += ["", "First 100x100 thumbnail of a fresh 1 MiB PNG (generation included), sequential requests:", "",
                  "| server | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
        for name, r in ft.items():
            lines.append(f"| {name} | {r['requests']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    big = {name: results.get(("big file", name)) for name in ("pocketbase", "croft")}
    if all(big.values()):
        lines += ["", "One large file uploaded and downloaded (both streamed by the client): the server's resident memory.", "",
                  "| server | size MiB | upload s | download s | RSS before MiB | peak MiB | growth MiB |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in big.items():
            if "error" in r:
                lines.append(f"| {name} | failed: {r['error'][:80]} | | | | | |")
            else:
                lines.append(f"| {name} | {r['size_mib']:.0f} | {r['upload_s']:.1f} | {r['download_s']:.1f} | {r['rss_before_mib']:.0f} | {r['peak_mib']:.0f} | {r['growth_mib']:.0f} |")
    lines += ["", "Floors measured in the same run:", ""]
    lines.append(f"- bare poem handler returning fixed JSON: {floor_rps['rps']:.0f} req/s (p99 {floor_rps['p99_ms']:.2f} ms)" if floor_rps else "- bare poem handler: not measured in this run")
    lines.append(f"- raw single-row SQLite insert transactions (WAL, synchronous=NORMAL): {floor_inserts:.0f}/s" if floor_inserts else "- raw SQLite inserts: not measured in this run")
    lines += ["", "![ratios](results.svg)", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    svg_chart(rows, os.path.join(os.path.dirname(args.out), "results.svg"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
