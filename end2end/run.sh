#!/usr/bin/env bash
# Starts a real opsdeck on a free port against a fresh database, runs the
# Playwright tests, and always stops the server (by PID) and drops the database.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# OPSDECK_PROFILE=release tests the optimised build (what CI and production use).
BIN="$TARGET_DIR/${OPSDECK_PROFILE:-debug}/opsdeck-server"
BASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/opsdeck}"
DB_NAME="opsdeck_e2e_$$"
export DATABASE_URL="${BASE_URL%/*}/$DB_NAME"
export OPSDECK_ADDR="127.0.0.1:0"
export OPSDECK_ADMIN_PASSWORD="e2e-admin-password"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LOG_LEVEL="${LOG_LEVEL:-warn}"
LOG="$(mktemp)"
# Built-in backups and drills write their dumps here, not into the caller's directory.
export OPSDECK_DATA_DIR="$(mktemp -d)"

cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  # Drop the throw-away database (needs psql, which Debian's postgresql brings along).
  DATABASE_URL="${BASE_URL%/*}/postgres" "$ROOT/end2end/dropdb.sh" "$DB_NAME" 2>/dev/null || true
  rm -f "$LOG"
  rm -rf "$OPSDECK_DATA_DIR"
}
trap cleanup EXIT

"$BIN" seed-demo >/dev/null
"$BIN" serve >"$LOG" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL="$(sed -n 's/^opsdeck: listening on \(http:[^ ]*\)$/\1/p' "$LOG" | head -n 1)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG"; echo "opsdeck server exited early" >&2; exit 1; }
  sleep 0.2
done
[ -n "$URL" ] || { cat "$LOG"; echo "opsdeck server did not start" >&2; exit 1; }
echo "browser tests against $URL (database $DB_NAME)"
cd "$HERE"
OPSDECK_URL="$URL" timeout 900 npx playwright test ${PW_ARGS:-} || { echo "--- server log ---"; tail -n 50 "$LOG"; exit 1; }
