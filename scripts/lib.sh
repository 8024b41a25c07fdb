# Shared by scripts/build, scripts/run and scripts/test. Each `ensure_*` installs one missing
# prerequisite on a fresh Debian machine (rustup, cargo, Node/npm and apt are assumed) and is a
# no-op when it is already there.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")"
export CARGO_TARGET_DIR="$TARGET"
SITE_ROOT="$TARGET/site"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "error: '$*' needs root; run it as root or install sudo" >&2
    exit 1
  fi
}

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: please install $* (no apt-get on this machine)" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Loupe starts its own Postgres from the installed server binaries (see embedded_postgres.rs).
ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return; fi
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1; then return; fi
  say "installing the PostgreSQL server binaries (apt-get install postgresql)"
  apt_install postgresql
}

ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return; fi
  say "installing Chromium for the browser tests (apt-get install chromium)"
  apt_install chromium
}

ensure_e2e_deps() {
  # Reinstalled when the lock file changed since the last install (a copy is kept beside them).
  if [ ! -x end2end/node_modules/.bin/playwright ] || ! cmp -s end2end/package-lock.json end2end/node_modules/.loupe-package-lock.json; then
    say "installing the browser-test dependencies (npm ci)"
    (cd end2end && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.loupe-package-lock.json)
  fi
}

# The pinned Langfuse SDK environments that sdk-tests/run uses (Python venvs, node_modules), cached
# under ~/.cache/loupe/sdk/<hash of the lock files>: installed on the first run and whenever a pin
# changes, reused otherwise (see sdk-tests/setup).
ensure_sdk_deps() {
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    say "installing Python's venv module for the SDK tests (apt-get install python3-venv)"
    apt_install python3-venv
  fi
  SDK_ENV_DIR="$(sdk-tests/setup)"
  export SDK_ENV_DIR
}

# The wasm-opt settings for the release bundle (part of the cache key below: changing them
# re-optimizes).
WASM_OPT_FLAGS=(-Oz
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

# Shrinks the release wasm with wasm-opt from npm's binaryen (about 2.3x smaller; Debian's older
# binaryen produces a bundle that fails in the browser). Optional: without npm, the unoptimized
# bundle is kept and still works. wasm-opt takes 2-3 minutes on 2 cores, so its output is kept in
# $TARGET/wasm-opt-cache under a hash of its input, of binaryen's version and of the flags: when
# the bundle did not change, the optimized file is copied from there instead (issue #16).
optimize_wasm() {
  local wasm="$1" tools="$TARGET/tools" cache="$TARGET/wasm-opt-cache" key started
  if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
    if ! command -v npm >/dev/null 2>&1; then say "npm not found: skipping wasm-opt"; return 0; fi
    mkdir -p "$tools"
    if ! npm install --prefix "$tools" --no-audit --no-fund --silent binaryen@132 >/dev/null; then
      say "could not install binaryen: skipping wasm-opt"; return 0
    fi
  fi
  key="$({ sha256sum <"$wasm"; sha256sum <"$tools/node_modules/binaryen/package.json"; printf '%s\n' "${WASM_OPT_FLAGS[*]}"; } | sha256sum | cut -c1-64)"
  if [ -f "$cache/$key.wasm" ]; then
    say "browser bundle unchanged: reusing the optimized wasm"
    cp "$cache/$key.wasm" "$wasm.opt"
    mv "$wasm.opt" "$wasm"
    touch "$cache/$key.wasm"   # recently used: kept by the pruning below
    return 0
  fi
  say "optimizing the browser bundle with wasm-opt (about 2-3 minutes)…"
  started=$SECONDS
  "$tools/node_modules/.bin/wasm-opt" "${WASM_OPT_FLAGS[@]}" "$wasm" -o "$wasm.opt"
  mkdir -p "$cache"
  cp "$wasm.opt" "$cache/$key.wasm.tmp"
  mv "$cache/$key.wasm.tmp" "$cache/$key.wasm"
  mv "$wasm.opt" "$wasm"
  # Keeps the three most recently used bundles (switching between branches stays fast).
  ls -t "$cache"/*.wasm 2>/dev/null | tail -n +4 | while IFS= read -r old; do rm -f "$old"; done
  say "optimized the browser bundle in $((SECONDS - started)) s"
}

# The first 16 hex digits of a file's SHA-256: its content hash in file names.
short_hash() { sha256sum "$1" | cut -c1-16; }

# Copies (never links: wasm-bindgen rewrites its outputs in place) unless the target exists; a
# content-hashed target that exists already has these contents.
copy_unless_there() {
  if [ ! -f "$2" ]; then cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; fi
}

# Copies pkg/loupe.js, pkg/loupe_bg.wasm and pkg/loupe.css to content-hashed names
# (loupe.<hash>.js, loupe.<hash>.wasm, loupe.<hash>.css) and writes their hashes to pkg/hash.txt,
# which the server reads to link them (Leptos's `hash_files`) and serves with a year-long
# `Cache-Control: immutable`. The unhashed files stay. Hashed files of earlier builds are removed
# once hash.txt names the new ones.
hash_site_assets() {
  local pkg="$1" js wasm css name keep
  js="$(short_hash "$pkg/loupe.js")"
  wasm="$(short_hash "$pkg/loupe_bg.wasm")"
  css="$(short_hash "$pkg/loupe.css")"
  copy_unless_there "$pkg/loupe.js" "$pkg/loupe.$js.js"
  copy_unless_there "$pkg/loupe_bg.wasm" "$pkg/loupe.$wasm.wasm"
  copy_unless_there "$pkg/loupe.css" "$pkg/loupe.$css.css"
  printf 'js: %s\nwasm: %s\ncss: %s\n' "$js" "$wasm" "$css" >"$pkg/hash.txt.tmp"
  mv "$pkg/hash.txt.tmp" "$pkg/hash.txt"
  keep=" loupe.$js.js loupe.$wasm.wasm loupe.$css.css "
  for name in "$pkg"/loupe.*.js "$pkg"/loupe.*.wasm "$pkg"/loupe.*.css; do
    [ -f "$name" ] || continue
    name="${name##*/}"
    if [[ "$name" =~ ^loupe\.[0-9a-f]{16}\.(js|wasm|css)$ ]] && [[ "$keep" != *" $name "* ]]; then
      rm -f "$pkg/$name"
    fi
  done
  say "content-hashed names: loupe.$js.js, loupe.$wasm.wasm, loupe.$css.css"
}

# build_site debug|release: the wasm bundle, its JS glue and the stylesheet under $SITE_ROOT/pkg,
# each also under a content-hashed name (see hash_site_assets).
build_site() {
  local mode="$1" profile_flag=() profile_dir=debug xtask_flag=() expect="a few minutes"
  if [ "$mode" = release ]; then
    profile_flag=(--profile wasm-release); profile_dir=wasm-release; xtask_flag=(--release); expect="about 8 minutes"
  fi
  say "compiling the browser bundle ($mode; $expect the first time, seconds when nothing changed)"
  cargo build -p loupe-frontend --target wasm32-unknown-unknown --target-dir "$TARGET/front" "${profile_flag[@]}"
  say "generating the JavaScript glue (wasm-bindgen) and the stylesheet"
  cargo run -q -p xtask -- site "$SITE_ROOT" "$TARGET/front/wasm32-unknown-unknown/$profile_dir/loupe_frontend.wasm" "${xtask_flag[@]}"
  if [ "$mode" = release ]; then optimize_wasm "$SITE_ROOT/pkg/loupe_bg.wasm"; fi
  hash_site_assets "$SITE_ROOT/pkg"
}
