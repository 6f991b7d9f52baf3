#!/usr/bin/env bash
# The Debian package: build it from the debug binary (packaging/deb/build), install it into a
# scratch root, check files, conffiles, the croft user and /var/lib/croft, reinstall, remove and
# purge it, then print lintian's findings (errors fail the suite).
#
# The scratch root is a real dpkg installation (`dpkg --root=DIR`) with its own database. Its
# maintainer scripts run on the host with DPKG_ROOT=DIR (--force-script-chrootless, since the
# root has no shell to chroot into); systemd-sysusers and deb-systemd-helper honour DPKG_ROOT, so
# the user, the group and the unit's enablement land in DIR's /etc, not the host's. The root has
# no libc6 or systemd package, hence --force-depends; a policy-rc.d refusing every action keeps
# deb-systemd-invoke from touching the host's services.
# Usage: tests/packaging/deb.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

deb=$(packaging/deb/build 2>/dev/null | tail -n 1)
echo "built $deb"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log" "$root/etc" "$root/usr/sbin"
touch "$root/var/lib/dpkg/status"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

pkg() { dpkg --root="$root" --force-script-chrootless --force-depends "$@" >/dev/null 2>&1; }
fail() { echo "FAIL: $*"; exit 1; }
mode_owner() { stat -c '%a %u:%g' "$root$1"; }
croft_ids() { echo "$(awk -F: '$1 == "croft" { print $3 ":" $4 }' "$root/etc/passwd")"; }

pkg -i "$deb" || fail "dpkg -i"

# Files and modes.
[ "$(mode_owner /usr/bin/croft)" = "755 0:0" ] || fail "/usr/bin/croft: $(mode_owner /usr/bin/croft)"
"$root/usr/bin/croft" --version | grep -q '^croft ' || fail "/usr/bin/croft --version"
cmp -s systemd/croft.service "$root/lib/systemd/system/croft.service" 2>/dev/null ||
    cmp -s systemd/croft.service "$root/usr/lib/systemd/system/croft.service" || fail "croft.service differs"
cmp -s packaging/deb/croft.toml "$root/etc/croft/croft.toml" || fail "croft.toml differs"
[ "$(mode_owner /etc/croft/croft.env)" = "600 0:0" ] || fail "croft.env: $(mode_owner /etc/croft/croft.env)"
grep -q '^u croft ' "$root/usr/lib/sysusers.d/croft.conf" || fail "sysusers.d/croft.conf"
grep -q 'croft' "$root/usr/share/bash-completion/completions/croft" || fail "bash completion"
grep -q 'croft' "$root/usr/share/zsh/vendor-completions/_croft" || fail "zsh completion"
grep -q 'croft' "$root/usr/share/fish/vendor_completions.d/croft.fish" || fail "fish completion"
zcat "$root/usr/share/man/man1/croft.1.gz" | grep -q '^\.TH croft 1' || fail "man page"
echo "files: binary, unit, sysusers.d, croft.toml, croft.env (0600), completions, man page"

conffiles=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}' croft)
for f in /etc/croft/croft.toml /etc/croft/croft.env; do
    grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile: $conffiles"
done
echo "conffiles: /etc/croft/croft.toml /etc/croft/croft.env"

# The user, the data directory, the unit's enablement.
grep -q '^croft:x:[0-9]*:[0-9]*:[^:]*:/var/lib/croft:/usr/sbin/nologin$' "$root/etc/passwd" ||
    fail "croft user: $(grep '^croft:' "$root/etc/passwd" || echo missing)"
grep -q '^croft:' "$root/etc/group" || fail "croft group"
[ "$(mode_owner /var/lib/croft)" = "750 $(croft_ids)" ] || fail "/var/lib/croft: $(mode_owner /var/lib/croft)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/croft.service" ] || fail "croft.service is not enabled"
echo "user croft ($(croft_ids)), /var/lib/croft 0750 owned by it, croft.service enabled"

# The default configuration loads, and so does every key in it uncommented.
"$root/usr/bin/croft" --dir "$root/check" --config "$root/etc/croft/croft.toml" config check >/dev/null ||
    fail "croft config check of the installed croft.toml"
sed -E -e 's/^# ([a-z_]+ = )/\1/' -e 's/^# (\[\[mounts\]\])/\1/' "$root/etc/croft/croft.toml" >"$root/all-keys.toml"
"$root/usr/bin/croft" --dir "$root/check" --config "$root/all-keys.toml" config check >/dev/null ||
    fail "croft.toml with every key uncommented does not load"
echo "croft.toml: loads as shipped and with all $(grep -cE '^[a-z_]+ = ' "$root/all-keys.toml") keys uncommented"

# A reinstallation keeps a changed conffile, the data and the one user.
echo '# changed by the admin' >>"$root/etc/croft/croft.toml"
echo data >"$root/var/lib/croft/data.db"
pkg --force-confold -i "$deb" || fail "reinstall"
grep -q 'changed by the admin' "$root/etc/croft/croft.toml" || fail "reinstall replaced a changed conffile"
[ "$(grep -c '^croft:' "$root/etc/passwd")" = 1 ] || fail "reinstall added a second croft user"
[ -s "$root/var/lib/croft/data.db" ] || fail "reinstall lost data"
echo "reinstall: changed conffile kept, one croft user, data kept"

pkg -r croft || fail "dpkg -r"
[ ! -e "$root/usr/bin/croft" ] || fail "remove left /usr/bin/croft"
[ -e "$root/etc/croft/croft.toml" ] || fail "remove deleted a conffile"
[ -s "$root/var/lib/croft/data.db" ] || fail "remove deleted data"
echo "remove: binary gone, conffiles and data kept"

pkg -P croft || fail "dpkg -P"
[ ! -e "$root/etc/croft/croft.toml" ] || fail "purge left croft.toml"
[ -s "$root/var/lib/croft/data.db" ] || fail "purge deleted data"
grep -q '^croft:' "$root/etc/passwd" || fail "purge removed the croft user that still owns /var/lib/croft"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/croft.service" ] || fail "purge left the unit enabled"
echo "purge: conffiles and enablement gone; /var/lib/croft and the croft user kept"

echo "lintian:"
lintian --pedantic "$deb" 2>&1 | grep -v 'running with root privileges' | tee "$root/lintian" || true
if grep -q '^E:' "$root/lintian"; then fail "lintian reports errors"; fi
