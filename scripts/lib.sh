#!/usr/bin/env bash
# Shared set-up for scripts/run.sh and scripts/test.sh. Every step checks
# first and installs only what is missing, so running it twice is cheap.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# One set of RUSTFLAGS for every cargo command: cargo-leptos sets
# `--cfg erase_components` for debug builds, so we do the same everywhere and
# the 2-core machine never recompiles the tree because flags differ.
# (cargo-leptos appends to an existing RUSTFLAGS, so build_site unsets it.)
export RUSTFLAGS="--cfg erase_components"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

# Where cargo builds: CI points CARGO_TARGET_DIR outside the clone to reuse its cache.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# cargo-leptos builds the WASM in <target>/front; clippy and checks for wasm32 share it.
FRONT_TARGET_DIR="$TARGET_DIR/front"

CARGO_LEPTOS_VERSION="0.3.10"
# Must equal the `wasm-bindgen = "=0.2.N"` pin in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "opsdeck: Cargo.toml must pin wasm-bindgen = \"=0.2.N\"" >&2; exit 1; }

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'opsdeck: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "opsdeck: this step needs root (or sudo): $*" >&2; return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

ensure_rust_tools() {
  command -v cargo >/dev/null || die "the Rust toolchain (cargo) is required: https://rustup.rs"
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (builds from source, ~20 min on 2 cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once)"
    # Not --locked: its lock file names a crate version this registry lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

# wasm-opt for release builds comes from npm's binaryen (cargo-leptos would download it from GitHub).
ensure_wasm_opt() {
  if ! command -v wasm-opt >/dev/null; then
    say "installing wasm-opt (npm package binaryen)"
    command -v npm >/dev/null || apt_install nodejs npm || die "npm is needed for wasm-opt; install Node.js"
    mkdir -p .tools && npm install --prefix .tools --no-audit --no-fund binaryen >/dev/null
  fi
}

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/opsdeck}"

# host and port of a postgres:// URL
pg_host() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
pg_port() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; case "$rest" in *:*) echo "${rest##*:}";; *) echo 5432;; esac; }

pg_answers() { timeout 3 bash -c "</dev/tcp/$(pg_host "$1")/$(pg_port "$1")" 2>/dev/null; }

# Finds Postgres at DATABASE_URL; if nothing answers and apt-get exists, installs and starts Debian's.
ensure_postgres() {
  if pg_answers "$DATABASE_URL"; then return 0; fi
  local host; host="$(pg_host "$DATABASE_URL")"
  if [ "$host" != 127.0.0.1 ] && [ "$host" != localhost ]; then
    die "no Postgres answers at $host:$(pg_port "$DATABASE_URL"); set DATABASE_URL to a reachable server"
  fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "no Postgres found: installing Debian's postgresql"
    apt_install postgresql || die "no Postgres answers at $DATABASE_URL and it could not be installed; set DATABASE_URL"
  fi
  local ver; ver="$(ls /etc/postgresql | sort -V | tail -n 1)"
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  # Local development trust for the postgres user over TCP, like the default socket setup.
  if ! as_root grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  fi
  say "starting Postgres $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || as_root pg_ctlcluster "$ver" main reload || true
  for _ in $(seq 1 30); do pg_answers "$DATABASE_URL" && return 0; sleep 1; done
  die "Postgres did not start; set DATABASE_URL to a reachable server"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium for browser tests"
    apt_install chromium chromium-driver || die "could not install chromium (apt-get install chromium chromium-driver)"
  fi
  # Without a CJK font, Japanese renders as empty boxes in screenshots.
  if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    say "installing Debian's fonts-noto-cjk for Japanese in the browser"
    apt_install fonts-noto-cjk || die "could not install fonts-noto-cjk"
  fi
  # The status icons beside their words (🛠 maintenance, 🗑 pruned, 👁 observing).
  if ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then
    say "installing Debian's fonts-noto-color-emoji for the status icons in the browser"
    apt_install fonts-noto-color-emoji || die "could not install fonts-noto-color-emoji"
  fi
}

ensure_node_modules() {
  command -v npm >/dev/null || apt_install nodejs npm || die "npm is needed for the browser tests"
  if [ ! -d end2end/node_modules/playwright-core ]; then
    say "installing browser-test packages (npm ci)"
    (cd end2end && npm ci --no-audit --no-fund >/dev/null)
  fi
}

# Builds the site (server binary + WASM + CSS) into target/. Release builds
# also get brotli and gzip copies of their assets (served as they are).
build_site() {
  # The browser build carries only the time zones it can be asked to show
  # (the full database is most of the WASM's data): the configured zone, plus
  # Asia/Tokyo and UTC, which the code names. The server refuses to start with
  # a zone its browser build lacks (docs/decisions/0010).
  local extra_zones="${OPSDECK_BROWSER_TIME_ZONES:-}"
  # shellcheck disable=SC2086 # split the comma list into words on purpose
  OPSDECK_BROWSER_TIME_ZONES="$(printf '%s\n' ${extra_zones//,/ } "${OPSDECK_TIME_ZONE:-Asia/Tokyo}" Asia/Tokyo UTC | awk 'NF && !seen[$0]++' | paste -sd, -)"
  export OPSDECK_BROWSER_TIME_ZONES
  local zones_regex
  zones_regex="^($(printf '%s' "$OPSDECK_BROWSER_TIME_ZONES" | sed 's/[+.]/\\&/g; s/,/|/g'))\$"
  say "building opsdeck (cargo leptos build $*; browser time zones: $OPSDECK_BROWSER_TIME_ZONES)"
  case " $* " in
    # Release builds erase component types too (as cargo-leptos does for debug):
    # measured, the WASM is 84 KB smaller compressed and compiles faster
    # (README "Production build", docs/decisions/0010). --split puts the
    # lazy pages (app/src/lib.rs, `lazy_page!`) into chunks loaded on demand;
    # debug builds need it too (without it the JS imports an unresolved module).
    *" --release "*) env RUSTFLAGS="--cfg erase_components" CHRONO_TZ_TIMEZONE_FILTER="$zones_regex" cargo leptos build --split "$@" ;;
    *) env -u RUSTFLAGS CHRONO_TZ_TIMEZONE_FILTER="$zones_regex" cargo leptos build --split "$@" ;;
  esac
  case " $* " in
    *" --release "*) node "$ROOT/scripts/precompress.mjs" "$ROOT/target/site/pkg" ;;
  esac
}
