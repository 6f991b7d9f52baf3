#!/usr/bin/env bash
# The runtime stage of packaging/Dockerfile, built with podman and run: /api/health answers on
# the published port, the image's HEALTHCHECK (`croft healthcheck` with the image's defaults)
# passes, it runs as uid 10001, a second container on the same volume gives up on the
# data-directory lock, and SIGTERM stops it with exit code 0.
#
# What differs from `docker build -f packaging/Dockerfile .`, and why: this machine reaches no
# container registry, so neither rust:1.95-bookworm nor debian:bookworm-slim can be pulled.
# The build stage is therefore not run (hadolint checks it); the runtime stage is built verbatim
# except for two lines, printed below: FROM takes a Debian bookworm minbase made here by
# debootstrap from the Debian mirror, and the binary is the already built debug binary (stripped)
# instead of the build stage's release binary. Podman runs with runc and lowered default ulimits
# because this VM mounts cgroups in hybrid mode (crun refuses) and lacks CAP_SYS_RESOURCE (raising
# a hard limit fails).
# Usage: tests/packaging/container.sh BIN
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "$1")
tools="${CROFT_TEST_TOOLS:-$HOME/.cache/croft-tools}"
base=localhost/croft-test-base:bookworm-slim
image=localhost/croft-test:latest
name="croft-test-$$"
volume="croft-test-data-$$"
tmp=$(mktemp -d)

. tests/packaging/podman-conf.sh
podman_conf "$tmp"
cleanup() {
    podman rm -f "$name" "$name-2" >/dev/null 2>&1 || true
    podman volume rm -f "$volume" >/dev/null 2>&1 || true
    podman rmi -f "$image" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; podman logs "$name" 2>&1 | tail -n 20 || true; exit 1; }

if ! podman image exists "$base"; then
    rootfs="$tools/bookworm-rootfs"
    if [ ! -x "$rootfs/bin/sh" ]; then
        mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        rm -rf "$rootfs"
        debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
    fi
    tar -C "$rootfs" -c . | podman import -q - "$base" >/dev/null
fi

mkdir "$tmp/ctx"
strip -o "$tmp/ctx/croft" "$bin"
awk -v base="$base" '
    /^FROM debian:.* AS runtime$/ { print "FROM " base " AS runtime"; on = 1; next }
    on && /^COPY --from=build / { print "COPY croft /usr/local/bin/croft"; next }
    on { print }' packaging/Dockerfile >"$tmp/ctx/Containerfile"
grep -q "^FROM $base AS runtime" "$tmp/ctx/Containerfile" || fail "no runtime stage found"
grep -q '^COPY croft ' "$tmp/ctx/Containerfile" || fail "no COPY --from=build in the runtime stage"
echo "runtime stage built with: FROM $base AS runtime / COPY croft /usr/local/bin/croft"
podman build -q --format docker --network host -t "$image" "$tmp/ctx" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; fail "podman build"; }

[ "$(podman image inspect "$image" --format '{{.Config.User}}')" = "10001:10001" ] || fail "USER"
podman image inspect "$image" --format '{{.Config.StopSignal}} {{json .Config.ExposedPorts}}' |
    grep -q '^SIGTERM {"8090/tcp":{}}$' || fail "STOPSIGNAL or EXPOSE"
podman image inspect "$image" --format '{{json .Config.Healthcheck.Test}}' |
    grep -q '^\["CMD","croft","healthcheck"\]$' || fail "HEALTHCHECK"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
podman volume create "$volume" >/dev/null
# (podman logs that it cannot reach systemd to schedule the healthcheck timer: nothing here
# runs systemd; `podman healthcheck run` below runs the check itself.)
podman run -d --name "$name" -p "127.0.0.1:$port:8090" -v "$volume:/data" "$image" >/dev/null 2>&1 || fail "podman run"
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/api/health" && break
    sleep 0.3
done
curl -sf "http://127.0.0.1:$port/api/health" | grep -q '"code":200' || fail "/api/health on the published port"
curl -sf -o /dev/null "http://127.0.0.1:$port/api/ready" || fail "/api/ready on the published port"
echo "GET /api/health and /api/ready on 127.0.0.1:$port -> 8090: 200"
podman healthcheck run "$name" 2>/dev/null || fail "HEALTHCHECK croft healthcheck"
echo "HEALTHCHECK (croft healthcheck with the image's defaults): healthy"
[ "$(podman exec "$name" id -u)" = 10001 ] || fail "not running as uid 10001"
echo "runs as uid 10001; data in the volume at /data"

start=$SECONDS
if podman run --name "$name-2" -e CROFT_LOCK_TIMEOUT=3 -v "$volume:/data" "$image" >"$tmp/second.log" 2>&1; then
    fail "a second server on the same volume started"
fi
grep -q 'another Croft server' "$tmp/second.log" || { cat "$tmp/second.log"; fail "no lock message"; }
echo "second container on the same volume: exits non-zero after $((SECONDS - start)) s (lock held)"

podman stop -t 30 "$name" >/dev/null 2>&1 || true
[ "$(podman inspect "$name" --format '{{.State.ExitCode}}')" = 0 ] || fail "exit code after SIGTERM"
echo "podman stop (SIGTERM): exit code 0"
