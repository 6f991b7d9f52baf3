"""The Dokku files: app.json's healthchecks use only the fields of Dokku's schema
(docker-container-healthchecker's file format), and the Procfile's web command, run with PORT
set as Dokku does, serves every healthcheck path with 200.

Usage: dokku_check.py BIN
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"attempts", "command", "content", "description", "httpHeaders", "initialDelay", "listening", "name",
          "onFailure", "path", "port", "scheme", "timeout", "type", "uptime", "wait", "warn"}
TYPES = {"startup", "readiness", "liveness"}


def healthchecks():
    checks = json.loads((ROOT / "app.json").read_text())["healthchecks"]["web"]
    for check in checks:
        unknown = set(check) - FIELDS
        assert not unknown, f"app.json: unknown healthcheck fields {unknown}"
        assert check.get("type") in TYPES, f"app.json: type {check.get('type')!r}"
        assert check["path"].startswith("/"), f"app.json: path {check['path']!r}"
        assert "port" not in check, "app.json: leave port to Dokku (it passes the container's PORT)"
    assert any(c["type"] == "startup" for c in checks), "app.json: docker-local runs only startup checks"
    return checks


def web_command(binary, port, data_dir):
    """The Procfile's web line with $PORT expanded (as Dokku's procfile-util does), `croft`
    replaced by the binary under test and its --dir (the image's /data) by `data_dir`."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    web = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("web:"))
    words = shlex.split(re.sub(r"\$\{?PORT\}?", str(port), web))
    assert words[0] == "croft", f"Procfile: web should run croft, not {words[0]}"
    at = words.index("--dir")
    assert words[at + 1] == "/data", "Procfile: the data directory is the image's /data volume"
    words[at + 1] = data_dir
    return [binary] + words[1:]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def main(binary):
    checks = healthchecks()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = web_command(binary, port, tmp)
        print("Procfile web:", " ".join(cmd[1:]))
        env = dict(os.environ, PORT=str(port), CROFT_LOG="warn")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            for check in checks:
                url = f"http://127.0.0.1:{port}{check['path']}"
                while (status := get(url)) != 200 and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert status == 200, f"{check['type']} check {url} answered {status}"
                print(f"app.json {check['type']} check: GET {check['path']} 200")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1])
