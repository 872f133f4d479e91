#!/usr/bin/env bash
# Starts opsdeck with demo data and prints its URL and login.
#   bash scripts/run.sh            debug build (fast to build, shares the test cache)
#   OPSDECK_RELEASE=1 bash scripts/run.sh   optimised build
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export OPSDECK_ADDR="${OPSDECK_ADDR:-127.0.0.1:3000}"
export OPSDECK_ADMIN_PASSWORD="${OPSDECK_ADMIN_PASSWORD:-opsdeck-admin-demo}"
export LOG_LEVEL="${LOG_LEVEL:-info}"

ensure_rust_tools
ensure_postgres
if [ "${OPSDECK_RELEASE:-0}" = 1 ]; then
  ensure_wasm_opt
  build_site --release
  BIN="$TARGET_DIR/release/opsdeck-server"
else
  build_site
  BIN="$TARGET_DIR/debug/opsdeck-server"
fi
export LEPTOS_SITE_ROOT="$ROOT/target/site"

say "applying migrations and loading the demo data (only what is missing)"
"$BIN" seed-demo

cat <<MSG

  opsdeck is starting at  http://$OPSDECK_ADDR
  log in as               admin / $OPSDECK_ADMIN_PASSWORD
                          (set on this database's first start; later changes under Account stay)
  demo users              viewer, release, finance, approver, operator
                          (password: opsdeck-demo-<user>, e.g. opsdeck-demo-operator)
  stop with               Ctrl-C

MSG
exec "$BIN" serve
