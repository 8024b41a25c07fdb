# Shared by scripts/build, scripts/run and scripts/test. Each `ensure_*` installs one missing
# prerequisite on a fresh Debian machine (rustup, cargo, Node/npm and apt are assumed) and is a
# no-op when it is already there.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")"
export CARGO_TARGET_DIR="$TARGET"
SITE_ROOT="$TARGET/site"
# .cargo/config.toml builds every crate with `--cfg erase_components` (and the wasm target with
# the relocations wasm-split needs). A RUSTFLAGS variable would replace those flags for one build
# and not the other, and a server and bundle built differently do not hydrate: cleared here.
unset RUSTFLAGS CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

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

# Not an installer: says early, with what to remove, when the disk is nearly full. A full test run
# writes ~10 GB (debug and release builds, the browser bundle, Postgres clusters, screenshots);
# running out midway fails wherever it happens to be (a CI run once failed in Playwright with
# ENOSPC). The cargo target directory keeps one set of artifacts per checkout path and grows.
check_disk_space() {
  local need_gb=10 avail_kb where="$TARGET"
  # The target directory may not exist yet: its nearest existing parent is on the same disk.
  while [ ! -d "$where" ]; do where="$(dirname "$where")"; done
  avail_kb="$(df -Pk "$where" 2>/dev/null | awk 'NR == 2 {print $4}')" || avail_kb=""
  if [ -n "$avail_kb" ] && [ "$avail_kb" -lt $((need_gb * 1024 * 1024)) ]; then
    say "warning: only $((avail_kb / 1024 / 1024)) GB free where $TARGET is; a full run needs about $need_gb GB."
    say "warning: to free space, remove $TARGET/debug/incremental (rebuilt as needed) or run cargo clean."
  fi
}

# Loupe starts its own Postgres from the installed server binaries (see embedded_postgres.rs).
ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return; fi
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1; then return; fi
  say "installing the PostgreSQL server binaries (apt-get install postgresql)"
  apt_install postgresql
}

# The ingestion benchmarks' binaries in $loupe and $bench: from BENCH_BIN_DIR when set (to
# compare builds without building), else from a release build.
bench_ingest_binaries() {
  if [ -z "${BENCH_BIN_DIR:-}" ]; then
    cargo build --release -p loupe-server --bin loupe --example bench_ingest
    loupe="$TARGET/release/loupe"; bench="$TARGET/release/examples/bench_ingest"
  else
    loupe="$BENCH_BIN_DIR/loupe"; bench="$BENCH_BIN_DIR/bench_ingest"
  fi
}

# Starts $loupe in the background on 127.0.0.1:$1 with a fresh data directory $2 and the
# benchmarks' headless project (`bench`, keys pk-lf-bench / sk-lf-bench); sets $pid and returns
# once Loupe answers its health check. The caller's environment (LOUPE_POSTGRES_SETTINGS…) passes on.
start_bench_loupe() {
  LOUPE_LOG=warn LANGFUSE_INIT_ORG_ID=bench LANGFUSE_INIT_PROJECT_ID=bench \
    LANGFUSE_INIT_PROJECT_PUBLIC_KEY=pk-lf-bench LANGFUSE_INIT_PROJECT_SECRET_KEY=sk-lf-bench \
    "$loupe" --addr "127.0.0.1:$1" --data-dir "$2" &
  pid=$!
  until curl -fs "http://127.0.0.1:$1/api/public/health" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "loupe exited before it was ready"
    sleep 0.1
  done
}

ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return; fi
  say "installing Chromium for the browser tests (apt-get install chromium)"
  apt_install chromium
}

# A Simplified Chinese font, so the browser tests' screenshots of Chinese pages show the text
# (and its real widths) rather than empty boxes (issue #17).
ensure_cjk_fonts() {
  if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh-cn family 2>/dev/null | head -1)" ]; then return; fi
  say "installing a Chinese font for the browser tests (apt-get install fonts-noto-cjk)"
  apt_install fonts-noto-cjk
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

# wasm-opt from npm's binaryen (Debian's older binaryen produces a bundle that fails in the
# browser), installed under $TARGET/tools on first use. Fails when it cannot be had (no npm).
ensure_wasm_opt() {
  local tools="$TARGET/tools"
  [ -x "$tools/node_modules/.bin/wasm-opt" ] && return 0
  command -v npm >/dev/null 2>&1 || { say "npm not found: skipping wasm-opt"; return 1; }
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent binaryen@132 >/dev/null \
    || { say "could not install binaryen: skipping wasm-opt"; return 1; }
}

# Shrinks every wasm file of the release bundle in $1 (the main module and the lazily loaded
# ones; about 2.3x smaller) with wasm-opt. Optional: without it, the unoptimized files are kept
# and still work. wasm-opt takes minutes on 2 cores, so each output is kept in
# $TARGET/wasm-opt-cache under a hash of its input, of binaryen's version and of the flags: a file
# that did not change is copied from there instead (issue #16). The others are optimized two at a
# time (one per core); a failure stops the build.
optimize_site_wasm() {
  local pkg="$1" wasm key cache="$TARGET/wasm-opt-cache" bin="$TARGET/tools/node_modules/.bin/wasm-opt"
  local started=$SECONDS optimized=0 reused=0 failed="$pkg/.wasm-opt-failed"
  ensure_wasm_opt || return 0
  say "optimizing the browser bundle with wasm-opt (3-4 minutes when it changed)…"
  mkdir -p "$cache"
  rm -f "$failed"
  for wasm in "$pkg"/loupe_bg.wasm "$pkg"/split_*.wasm "$pkg"/chunk_*.wasm; do
    [ -f "$wasm" ] || continue
    key="$({ sha256sum <"$wasm"; sha256sum <"$TARGET/tools/node_modules/binaryen/package.json"; printf '%s\n' "${WASM_OPT_FLAGS[*]}"; } | sha256sum | cut -c1-64)"
    # A cached module must be a module (`\0asm`): an interrupted write is dropped, not reused.
    if [ -f "$cache/$key.wasm" ] && [ "$(head -c4 "$cache/$key.wasm" | od -An -tx1 | tr -d ' \n')" != "0061736d" ]; then
      rm -f "$cache/$key.wasm"
    fi
    if [ -f "$cache/$key.wasm" ]; then
      cp "$cache/$key.wasm" "$wasm.opt" && mv "$wasm.opt" "$wasm"
      touch "$cache/$key.wasm"   # recently used: kept by the pruning below
      reused=$((reused + 1))
      continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
    (
      "$bin" "${WASM_OPT_FLAGS[@]}" "$wasm" -o "$wasm.opt" \
        && cp "$wasm.opt" "$cache/$key.wasm.$$.tmp" && mv "$cache/$key.wasm.$$.tmp" "$cache/$key.wasm" \
        && mv "$wasm.opt" "$wasm"
    ) || echo "$wasm" >>"$failed" &
    optimized=$((optimized + 1))
  done
  wait
  if [ -s "$failed" ]; then die "wasm-opt failed on: $(tr '\n' ' ' <"$failed")"; fi
  # Keeps the files of about the three most recent builds (switching branches stays fast): three
  # times this build's count. (A fixed 150 kept fewer files than one split build has, 273, so
  # every build optimized 123 unchanged modules again: ~150 s.)
  local keep=$(( 3 * (optimized + reused) )); (( keep >= 150 )) || keep=150
  ls -t "$cache"/*.wasm 2>/dev/null | tail -n +$((keep + 1)) | while IFS= read -r old; do rm -f "$old"; done
  say "wasm-opt: $optimized files optimized, $reused unchanged and reused, in $((SECONDS - started)) s"
}

# The bundle's files in pkg/ (names relative to it): the glue, the stylesheet, the main wasm and,
# when the bundle is split, the lazily loaded modules with their loader and manifest.
bundle_files() {
  local pkg="$1" name
  for name in "$pkg"/loupe.js "$pkg"/loupe_bg.wasm "$pkg"/loupe.css "$pkg"/__wasm_split.*.js \
      "$pkg"/__wasm_split_manifest.json "$pkg"/__wasm_split_modules.json "$pkg"/split_*.wasm \
      "$pkg"/chunk_*.wasm "$pkg"/pack_*.wasm; do
    [ -f "$name" ] && printf '%s\n' "${name##*/}"
  done
}

# Copies the bundle's files (bundle_files) into pkg/<hash>/, the hash being that of all of them,
# and names that directory in pkg/hash.txt (`build: <hash>`). The server links the files there
# and serves them with a year-long `Cache-Control: immutable`; they reference each other by
# relative names, so a directory is hashed rather than each file. The unhashed files stay. The
# three newest build directories are kept (a running server links the one it started with).
hash_site_assets() {
  local pkg="$1" files hash dir old
  mapfile -t files < <(bundle_files "$pkg")
  hash="$(cd "$pkg" && sha256sum "${files[@]}" | sha256sum | cut -c1-16)"
  dir="$pkg/$hash"
  if [ ! -d "$dir" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    (cd "$pkg" && cp "${files[@]}" "$dir.tmp/")
    mv "$dir.tmp" "$dir"
  fi
  touch "$dir"
  printf 'build: %s\n' "$hash" >"$pkg/hash.txt.tmp"
  mv "$pkg/hash.txt.tmp" "$pkg/hash.txt"
  ls -dt "$pkg"/*/ 2>/dev/null | while IFS= read -r old; do
    old="${old%/}"; old="${old##*/}"
    [[ "$old" =~ ^[0-9a-f]{16}$ ]] && printf '%s\n' "$old"
  done | tail -n +4 | while IFS= read -r old; do rm -rf "${pkg:?}/$old"; done
  # The per-file hashed copies of earlier builds (loupe.<hash>.js, …).
  rm -f "$pkg"/loupe.[0-9a-f]*.js "$pkg"/loupe.[0-9a-f]*.wasm "$pkg"/loupe.[0-9a-f]*.css
  say "the bundle's build directory: pkg/$hash/ (${#files[@]} files)"
}

# build_site debug|release: the wasm bundle, its JS glue and the stylesheet under $SITE_ROOT/pkg,
# and a copy of them all in a content-addressed build directory (see hash_site_assets).
build_site() {
  local mode="$1"
  # One site build at a time per target directory: two at once (two terminals, a test run beside
  # a `scripts/run`) rewrite the same files under each other, and wasm-opt then reads a module
  # being replaced and caches garbage. The lock is released when the subshell holding it ends.
  mkdir -p "$SITE_ROOT"
  (
    flock 9 || die "could not lock $SITE_ROOT/.build.lock"
    build_site_locked "$mode"
  ) 9>"$SITE_ROOT/.build.lock"
}

build_site_locked() {
  local mode="$1" profile_flag=() profile_dir=debug xtask_flag=() expect="a few minutes"
  if [ "$mode" = release ]; then
    profile_flag=(--profile wasm-release); profile_dir=wasm-release; xtask_flag=(--release); expect="about 8 minutes"
  fi
  say "compiling the browser bundle ($mode; $expect the first time, seconds when nothing changed)"
  # The flags come from .cargo/config.toml (see the top of this file).
  cargo build -p loupe-frontend --target wasm32-unknown-unknown --target-dir "$TARGET/front" "${profile_flag[@]}"
  say "generating the JavaScript glue (wasm-bindgen) and the stylesheet"
  cargo run -q -p xtask -- site "$SITE_ROOT" "$TARGET/front/wasm32-unknown-unknown/$profile_dir/loupe_frontend.wasm" "${xtask_flag[@]}"
  if [ "$mode" = release ]; then
    optimize_site_wasm "$SITE_ROOT/pkg"
    # Each area's modules in one file, which a first visit fetches instead of ~130 (issue #16).
    cargo run -q -p xtask -- pack "$SITE_ROOT"
  fi
  hash_site_assets "$SITE_ROOT/pkg"
  if [ "$mode" = release ]; then
    # Brotli and gzip variants of each file, sent as they are (issue #16): no page load
    # compresses the bundle again. Once per build directory; seconds, skipped when unchanged.
    say "compressing the bundle once (brotli 11, gzip -9)"
    cargo run -q -p xtask -- compress "$SITE_ROOT"
  fi
}
