#!/usr/bin/env bash
# The .deb under a real systemd 252: `dpkg -i` in a Debian bookworm container that boots systemd
# (podman --systemd=always), so that the maintainer scripts run for real (user, data directory,
# enable, start) and croft.service runs with all of its sandboxing, as Type=notify with the
# watchdog. Then an admin command as the croft user, a restart, an upgrade, a stop, remove and
# purge.
#
# The container is privileged because systemd sets up the unit's namespaces, seccomp filter and
# capabilities itself, and has no network (nothing in it needs one). Its root file system is a
# Debian minbase with systemd, made here by debootstrap from the Debian mirror (no registry is
# reachable). Podman runs with runc and lowered ulimits, as in container.sh. Build the .deb
# first (deb.sh does).
# Usage: tests/packaging/deb_systemd.sh DEB
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(realpath "$1")
tools="${CROFT_TEST_TOOLS:-$HOME/.cache/croft-tools}"
image=localhost/croft-test-systemd:bookworm
name="croft-systemd-$$"
tmp=$(mktemp -d)

. tests/packaging/podman-conf.sh
podman_conf "$tmp"
trap 'podman rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
inside() { podman exec "$name" "$@"; }
prop() { inside systemctl show croft -p "$1" --value; }
fail() { echo "FAIL: $*"; inside journalctl -u croft --no-pager -n 30 2>/dev/null || true; exit 1; }

if ! podman image exists "$image"; then
    rootfs="$tools/bookworm-systemd-rootfs"
    if [ ! -x "$rootfs/sbin/init" ]; then
        mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates bookworm \
            "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
    fi
    tar -C "$rootfs" -c . | podman import -q - "$image" >/dev/null
fi

podman run -d --name "$name" --privileged --systemd=always --network none "$image" /sbin/init >/dev/null 2>&1 ||
    fail "podman run"
# Until systemd's bus is up, systemctl cannot even ask.
for _ in $(seq 120); do
    state=$(inside systemctl is-system-running --wait 2>/dev/null || true)
    [ -n "$state" ] && [ "$state" != starting ] && break
    sleep 0.5
done
case "$state" in running | degraded) ;; *) fail "systemd did not boot: $state" ;; esac
echo "systemd $(inside systemctl --version | head -n 1 | cut -d' ' -f2) booted inside the container ($state)"

podman cp "$deb" "$name:/tmp/croft.deb"
inside dpkg -i /tmp/croft.deb >/dev/null 2>&1 || fail "dpkg -i"
[ "$(inside systemctl is-enabled croft)" = enabled ] || fail "croft.service is not enabled"
# Type=notify: "active" only once croft has sent READY=1.
[ "$(inside systemctl is-active croft)" = active ] || fail "croft.service is not active"
[ "$(prop User)" = croft ] || fail "User=$(prop User)"
inside croft healthcheck >/dev/null || fail "croft healthcheck inside the sandbox"
[ "$(inside stat -c '%a %U:%G' /var/lib/croft)" = "750 croft:croft" ] || fail "/var/lib/croft"
[ "$(inside stat -c '%a %U' /var/lib/croft/data.db)" = "600 croft" ] || fail "data.db is not 0600 croft (UMask)"
echo "dpkg -i: croft.service enabled and active (READY=1) as croft; healthy; /var/lib/croft 0750, files 0600"

# The watchdog: a 4 s WatchdogSec (a drop-in) must see pings and no restart.
inside mkdir -p /etc/systemd/system/croft.service.d
inside sh -c 'printf "[Service]\nWatchdogSec=4\n" >/etc/systemd/system/croft.service.d/watchdog.conf'
inside systemctl daemon-reload
inside systemctl restart croft
first=$(prop WatchdogTimestampMonotonic)
sleep 9
[ "$(prop WatchdogTimestampMonotonic)" != "$first" ] || fail "no watchdog ping in 9 s"
[ "$(inside systemctl is-active croft)" = active ] && [ "$(prop NRestarts)" = 0 ] || fail "the watchdog restarted croft"
inside rm /etc/systemd/system/croft.service.d/watchdog.conf
inside systemctl daemon-reload
echo "watchdog: pings arrive (WatchdogSec=4 for the test), no restart"

inside runuser -u croft -- croft --dir /var/lib/croft --config /etc/croft/croft.toml \
    superuser upsert admin@example.com a-long-password >/dev/null || fail "superuser upsert as croft"
echo "croft superuser upsert as the croft user beside the running service"

pid=$(prop MainPID)
inside dpkg -i /tmp/croft.deb >/dev/null 2>&1 || fail "upgrade"
[ "$(inside systemctl is-active croft)" = active ] && [ "$(prop MainPID)" != "$pid" ] || fail "not restarted on upgrade"
echo "reinstall: croft.service restarted ($pid -> $(prop MainPID)) and active"

inside systemctl stop croft
[ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ] || fail "stop: $(prop Result) $(prop ExecMainStatus)"
echo "systemctl stop: exit 0, result success"

inside dpkg -P croft >/dev/null 2>&1 || fail "dpkg -P"
inside test -s /var/lib/croft/data.db || fail "purge deleted the data"
inside getent passwd croft >/dev/null || fail "purge removed the croft user"
echo "purge: /var/lib/croft and the croft user kept"
