#!/usr/bin/env bash
# One-time setup of a Croft app on a Dokku host (0.31 or newer). Run it on the host, as a user
# who may run `dokku` and `sudo`; running it again changes nothing that is already set up.
#
#   dokku/setup.sh [APP] [DOMAIN]          e.g. dokku/setup.sh croft api.example.com
#
# Then deploy from your machine with git push (see dokku/README.md), and once the app answers
# over HTTP, turn on HTTPS with the dokku-letsencrypt commands this script prints at the end.
set -euo pipefail

APP="${1:-croft}"
DOMAIN="${2:-}"
# The uid and gid the image runs as (USER in packaging/Dockerfile).
CROFT_UID=10001
STORAGE="/var/lib/dokku/data/storage/$APP"

say() { printf -- '-----> %s\n' "$*"; }

if dokku apps:exists "$APP" >/dev/null 2>&1; then
    say "app $APP exists"
else
    dokku apps:create "$APP"
fi

# Build with packaging/Dockerfile (the repository root has no Dockerfile of its own).
dokku builder:set "$APP" selected dockerfile
dokku builder-dockerfile:set "$APP" dockerfile-path packaging/Dockerfile

# The data directory (databases, uploads, backups, TLS files) lives on the host, owned by the
# image's user, and is mounted at /data, where the image keeps its data.
dokku storage:ensure-directory --chown false "$APP"
sudo chown "$CROFT_UID:$CROFT_UID" "$STORAGE"
sudo chmod 0750 "$STORAGE"
if dokku storage:list "$APP" | grep -q ":/data\$"; then
    say "$STORAGE is mounted at /data"
else
    dokku storage:mount "$APP" "$STORAGE:/data"
fi

# Stop the old container before the new one starts: two Croft processes must never write one
# SQLite data directory, and the new one would wait on the old one's lock until its checks
# failed (dokku/README.md explains the seconds of downtime this costs).
dokku checks:disable "$APP" web

# Secrets, generated once: changing encryption_key later would leave the settings secrets it
# encrypted unreadable. CROFT_METRICS_TOKEN opens /metrics to `Authorization: Bearer <token>`.
for var in CROFT_ENCRYPTION_KEY CROFT_METRICS_TOKEN; do
    if [ -n "$(dokku config:get "$APP" "$var" || true)" ]; then
        say "$var is set"
    else
        dokku config:set --no-restart "$APP" "$var=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    fi
done

# The proxy: port 80 to the image's 8090, uploads up to Croft's body_limit (32 MiB; nginx
# allows 1 MiB by default). Croft sends X-Accel-Buffering: no, so realtime streams are not
# buffered.
dokku ports:set "$APP" http:80:8090
dokku nginx:set "$APP" client-max-body-size 32m
if [ -n "$DOMAIN" ]; then
    dokku domains:set "$APP" "$DOMAIN"
fi

cat <<EOF

Set up. Next:
  1. On your machine, in the Croft repository:
       git remote add dokku dokku@<this host>:$APP
       git push dokku main
  2. HTTPS, once the app answers over HTTP on its domain (needs the dokku-letsencrypt plugin:
     sudo dokku plugin:install https://github.com/dokku/dokku-letsencrypt.git):
       dokku letsencrypt:set $APP email you@example.com
       dokku letsencrypt:enable $APP
       dokku letsencrypt:cron-job --add
  3. The first superuser:
       dokku enter $APP web croft superuser upsert admin@example.com 'a-long-password'
EOF
