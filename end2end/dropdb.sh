#!/usr/bin/env bash
# Drops one throw-away browser-test database (psql comes with Debian's postgresql-client).
set -euo pipefail
name="$1"
case "$name" in opsdeck_e2e_*) ;; *) echo "refusing to drop $name" >&2; exit 1;; esac
if command -v psql >/dev/null; then
  psql "$DATABASE_URL" -q -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
fi
