"""What systemd/croft.service assumes of the binary, checked without systemd running:

- Type=notify and WatchdogSec: `croft serve` sends READY=1 on $NOTIFY_SOCKET once it listens,
  WATCHDOG=1 while it runs when $WATCHDOG_USEC is set, STOPPING=1 on SIGTERM, and exits 0;
- SystemCallFilter=@system-service ~@privileged @resources: every system call the server makes
  (traced with strace while it starts, answers requests and stops) is in that set.

The server runs as `nobody`, as the service runs as `croft`: as root, SQLite would also chown
its journal files to the database's owner, which an unprivileged server never does.

Usage: service_check.py BIN
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def syscall_groups():
    """`systemd-analyze syscall-filter` as {"@group": [names and @groups]}."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return groups


def expand(groups, name):
    if not name.startswith("@"):
        return {name}
    return set().union(*(expand(groups, n) for n in groups[name]))


def allowed_syscalls():
    groups = syscall_groups()
    return expand(groups, "@system-service") - expand(groups, "@privileged") - expand(groups, "@resources")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def receive(sock, wanted, deadline):
    """Notify messages until one contains `wanted`; all received so far."""
    seen = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if wanted in msg.split("\n"):
            return seen
    raise AssertionError(f"no {wanted} on the notify socket within the time limit; got {seen}")


def traced_child(strace_pid):
    """The pid of the program strace started (signals must go to it, not to strace)."""
    with open(f"/proc/{strace_pid}/task/{strace_pid}/children") as f:
        return int(f.read().split()[0])


def exercise(base):
    """Requests that reach the database, auth, the dashboard and the docs."""
    assert request(base, "GET", "/api/health") == 200
    assert request(base, "GET", "/api/ready") == 200
    user = {"email": "svc@example.com", "password": "a-long-password", "passwordConfirm": "a-long-password"}
    assert request(base, "POST", "/api/collections/users/records", user) == 200
    login = {"identity": "svc@example.com", "password": "a-long-password"}
    assert request(base, "POST", "/api/collections/users/auth-with-password", login) == 200
    request(base, "GET", "/api/collections/users/records")
    assert request(base, "GET", "/_/") == 200
    assert request(base, "GET", "/api/docs") == 200


NOBODY = 65534


def unprivileged_copy(binary, tmp):
    """The binary where `nobody` can run it (a hard link when possible: it is large)."""
    target = os.path.join(tmp, "croft")
    try:
        os.link(binary, target)
    except OSError:
        shutil.copy2(binary, target)
    return target


def calls_after_exec(trace_text, binary):
    """System call names of the traced server, from its execve on (setpriv's own are skipped)."""
    lines = trace_text.splitlines()
    start = next(i for i, line in enumerate(lines) if f'execve("{binary}"' in line and line.rstrip().endswith("= 0"))
    return {m.group(1) for line in lines[start:] if (m := re.match(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line))}


def main(binary):
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        binary = unprivileged_copy(binary, tmp)
        data = os.path.join(tmp, "data")
        os.mkdir(data, 0o750)
        os.chown(data, NOBODY, NOBODY)
        notify_path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        os.chmod(notify_path, 0o777)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        trace = os.path.join(tmp, "trace")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="1000000", CROFT_LOG="warn")
        cmd = ["strace", "-f", "-qq", "-o", trace, "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
               "--clear-groups", "--", binary, "serve", "--dir", data, "--http", f"127.0.0.1:{port}"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        try:
            seen = receive(sock, "READY=1", time.monotonic() + 120)
            print("notify: READY=1 received")
            exercise(base)
            seen += receive(sock, "WATCHDOG=1", time.monotonic() + 5)
            print("notify: WATCHDOG=1 received (WATCHDOG_USEC=1000000)")
            croft_pid = traced_child(proc.pid)
            os.kill(croft_pid, signal.SIGTERM)
            seen += receive(sock, "STOPPING=1", time.monotonic() + 30)
            print("notify: STOPPING=1 received")
            code = proc.wait(timeout=30)
            assert code == 0, f"croft serve exited {code} after SIGTERM"
            print("SIGTERM: exit 0")
        finally:
            if proc.poll() is None:
                # strace's child first: killing strace alone would leave the server running.
                try:
                    os.kill(traced_child(proc.pid), signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    pass
                proc.kill()
                proc.wait()
        with open(trace) as f:
            used = calls_after_exec(f.read(), binary)
    allowed = allowed_syscalls()
    outside = sorted(used - allowed)
    print(f"system calls made: {len(used)}; outside @system-service ~@privileged @resources: {outside or 'none'}")
    if outside:
        sys.exit(f"croft.service's SystemCallFilter would refuse: {', '.join(outside)}")


if __name__ == "__main__":
    main(sys.argv[1])
