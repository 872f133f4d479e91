#!/usr/bin/env bash
# Runs every test: format, clippy (ssr + hydrate), core on wasm32, unit and
# database tests, then the browser tests against a real server and database.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_tools
ensure_postgres
ensure_chromium
ensure_node_modules

say "cargo fmt --check"
cargo fmt --all -- --check

say "clippy, server build (ssr)"
cargo clippy --workspace --exclude opsdeck-frontend --all-targets -- -D warnings

say "clippy, browser build (hydrate, wasm32)"
cargo clippy -p opsdeck-frontend --target wasm32-unknown-unknown --target-dir "$FRONT_TARGET_DIR" -- -D warnings

say "core crate builds for wasm32"
cargo check -p opsdeck --target wasm32-unknown-unknown --target-dir "$FRONT_TARGET_DIR"

say "unit and database tests (each database test gets its own database)"
# sqlx::test creates one database per test through the server's `postgres` database.
DATABASE_URL="${DATABASE_URL%/*}/postgres" cargo test --workspace --exclude opsdeck-frontend

# The browser tests run against the optimised build, the one people deploy:
# a release WASM that does not compile or does not hydrate fails here.
ensure_wasm_opt
build_site --release
say "first-load size of the release build (budget: 400 KB compressed)"
node scripts/first-load.mjs
say "browser tests (release build)"
OPSDECK_PROFILE=release bash end2end/run.sh
say "all tests passed"
