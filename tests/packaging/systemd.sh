#!/usr/bin/env bash
# systemd/croft.service: `systemd-analyze verify` accepts it, `systemd-analyze security` scores
# it below 2.0 ("OK"), and the binary does what the unit assumes (service_check.py).
# Usage: tests/packaging/systemd.sh BIN
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verify needs ExecStart's binary to exist and runs `man` for Documentation=man:croft(1), so
# point ExecStart at the built binary and MANPATH at the man page it generates.
sed "s|^ExecStart=/usr/bin/croft |ExecStart=$bin |" systemd/croft.service >"$tmp/croft.service"
grep -q "^ExecStart=$bin serve" "$tmp/croft.service"
mkdir -p "$tmp/man/man1"
"$bin" man >"$tmp/man/man1/croft.1"
(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify ./croft.service)
echo "systemd-analyze verify: no findings"

# The exposure is scored 0-10; --threshold takes tenths.
(cd "$tmp" && systemd-analyze security --offline=yes --threshold=19 ./croft.service) >"$tmp/security" || {
    cat "$tmp/security"
    echo "systemd-analyze security: the exposure is above 1.9"
    exit 1
}
grep -E '^✗' "$tmp/security" || true
tail -n 1 "$tmp/security"

python3 tests/packaging/service_check.py "$bin"
