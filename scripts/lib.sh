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

# Shrinks the release wasm with wasm-opt from npm's binaryen (about 2.3x smaller; Debian's older
# binaryen produces a bundle that fails in the browser). Optional: without npm, the unoptimized
# bundle is kept and still works.
optimize_wasm() {
  local wasm="$1" tools="$TARGET/tools"
  if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
    if ! command -v npm >/dev/null 2>&1; then say "npm not found: skipping wasm-opt"; return 0; fi
    mkdir -p "$tools"
    if ! npm install --prefix "$tools" --no-audit --no-fund --silent binaryen@132 >/dev/null; then
      say "could not install binaryen: skipping wasm-opt"; return 0
    fi
  fi
  "$tools/node_modules/.bin/wasm-opt" -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
}

# build_site debug|release: the wasm bundle, its JS glue and the stylesheet under $SITE_ROOT/pkg.
build_site() {
  local mode="$1" profile_flag=() profile_dir=debug xtask_flag=()
  if [ "$mode" = release ]; then
    profile_flag=(--profile wasm-release); profile_dir=wasm-release; xtask_flag=(--release)
  fi
  cargo build -p loupe-frontend --target wasm32-unknown-unknown --target-dir "$TARGET/front" "${profile_flag[@]}"
  cargo run -q -p xtask -- site "$SITE_ROOT" "$TARGET/front/wasm32-unknown-unknown/$profile_dir/loupe_frontend.wasm" "${xtask_flag[@]}"
  if [ "$mode" = release ]; then optimize_wasm "$SITE_ROOT/pkg/loupe_bg.wasm"; fi
}
