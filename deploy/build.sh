#!/usr/bin/env bash
# Builds opsdeck once, optimised, and assembles dist/opsdeck/ for production:
#
#   dist/opsdeck/opsdeck-server   the server binary
#   dist/opsdeck/hash.txt         asset hashes; the server reads it from the directory
#                                 of its own executable, so it must stay BESIDE the binary
#   dist/opsdeck/site/            the site (LEPTOS_SITE_ROOT): /pkg/ JS, WASM, CSS
#   dist/opsdeck/RELEASE          commit and build time, for naming the release
#
# Run it on a build machine with the same Debian release (glibc) as production:
#   bash deploy/build.sh
# It respects CARGO_TARGET_DIR (the binary and hash.txt are in $CARGO_TARGET_DIR/release);
# the site is always built into target/site under the repository root.
# See docs/production.md.

# lib.sh sets `-euo pipefail`, changes to the repository root and sets ROOT and TARGET_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

OUTPUT_NAME="opsdeck"   # [workspace.metadata.leptos] name: /pkg/opsdeck.<hash>.{js,wasm,css}
DIST="$ROOT/dist/opsdeck"

ensure_rust_tools
ensure_wasm_opt

# Used to tell a hash.txt written by this build from one left by an earlier build.
started="$(mktemp)"
trap 'rm -f "$started"' EXIT

build_site --release

BIN="$TARGET_DIR/release/opsdeck-server"
HASH="$TARGET_DIR/release/hash.txt"
SITE="$ROOT/target/site"

[ -x "$BIN" ] || die "no binary at $BIN after the build"
[ -d "$SITE/pkg" ] || die "no site at $SITE/pkg after the build"
[ -f "$HASH" ] || die "no $HASH: enable hashed asset names (hash-files = true in [workspace.metadata.leptos] of Cargo.toml)"
[ "$HASH" -nt "$started" ] || die "$HASH was not written by this build (hash-files turned off?); refusing to ship a stale one"

# Every name hash.txt points to must exist in the site.
hashes=()
while IFS=: read -r kind value; do
  value="${value//[[:space:]]/}"
  case "$kind" in
    js|wasm|css)
      [ -f "$SITE/pkg/$OUTPUT_NAME.$value.$kind" ] \
        || die "hash.txt names pkg/$OUTPUT_NAME.$value.$kind, which is not in $SITE"
      hashes+=("$value")
      ;;
  esac
done < "$HASH"
[ "${#hashes[@]}" -ge 3 ] || die "$HASH does not list js, wasm and css hashes"

say "assembling $DIST"
rm -rf "$DIST"
mkdir -p "$DIST"
cp "$BIN" "$DIST/opsdeck-server"
cp "$HASH" "$DIST/hash.txt"
cp -R "$SITE" "$DIST/site"

# target/site keeps the files of earlier builds (older hashes, unhashed debug names);
# ship only this build's.
shopt -s nullglob
for f in "$DIST/site/pkg/$OUTPUT_NAME".*; do
  name="$(basename "$f")"
  if [[ "$name" =~ ^$OUTPUT_NAME\.([A-Za-z0-9_-]{22})\.(js|wasm|css)(\.br|\.gz)?$ ]]; then
    keep=0
    for h in "${hashes[@]}"; do [ "${BASH_REMATCH[1]}" = "$h" ] && keep=1; done
    [ "$keep" = 1 ] || rm -f "$f"
  elif [[ "$name" =~ ^$OUTPUT_NAME\.(js|wasm|css)(\.br|\.gz)?$ ]]; then
    rm -f "$f"
  fi
done
shopt -u nullglob

commit="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
release="$(date -u +%Y%m%d-%H%M%S)-$commit"
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null || echo 'glibc ?')"
cat > "$DIST/RELEASE" <<INFO
release: $release
commit: $commit
built: $(date -u +%Y-%m-%dT%H:%M:%SZ)
built against: $glibc
INFO

cat <<MSG

  built        $DIST ($(du -sh "$DIST" | cut -f1)), release $release
  contains     opsdeck-server, hash.txt (keep it beside the binary), site/, RELEASE
  built with   $glibc: production needs the same Debian release (or a newer glibc)

  copy it to the server:
    tar -C "$ROOT/dist" -czf opsdeck-$release.tar.gz opsdeck
    scp opsdeck-$release.tar.gz ops-host:/tmp/

  unpack it there (running processes are not affected):
    sudo mkdir -p /opt/opsdeck/releases/$release /opt/opsdeck/site
    sudo tar -C /opt/opsdeck/releases/$release --strip-components=1 --no-same-owner -xzf /tmp/opsdeck-$release.tar.gz
    sudo cp -R /opt/opsdeck/releases/$release/site/. /opt/opsdeck/site/

  then switch /opt/opsdeck/opsdeck-server to releases/$release/opsdeck-server as
  docs/production.md describes ("Install" the first time, "Upgrade" afterwards:
  back up the database first).

MSG
