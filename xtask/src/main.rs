//! Build helper, so the README commands need neither cargo-leptos nor wasm-bindgen-cli:
//!
//! - `cargo run -p xtask -- css <site-root>`: writes `<site-root>/pkg/loupe.css` from `app/src`.
//! - `cargo run -p xtask -- site <site-root> <frontend.wasm> [--release]`: the stylesheet, the
//!   files of `public/`, the bundle split into lazily loaded pieces (wasm-split), and the
//!   wasm-bindgen glue (`pkg/loupe.js`, `pkg/loupe_bg.wasm`).
//!
//! Splitting: the routes marked lazy in `app/src/lib.rs` (`#[lazy_route]`) are moved out of the
//! main module into `pkg/split_*.wasm` (code only one of them uses) and `pkg/chunk_*.wasm` (code
//! several share), loaded by `pkg/__wasm_split.______________________.js` when the route is
//! first shown. `pkg/__wasm_split_manifest.json` says which files each lazy route needs; the server
//! reads it to preload them for the page it renders. The input must be linked with
//! `--emit-relocs` (.cargo/config.toml sets it for the wasm target).
//!
//! - `cargo run -p xtask -- budget <site-root>`: fails when the (release) bundle is over its size
//!   budget (`budget.rs`).
//! - `cargo run -p xtask -- pack <site-root>`: one file per lazily loaded area holding the modules
//!   its first visit needs, which the server then preloads instead of each module (`pack.rs`).
//! - `cargo run -p xtask -- compress <site-root>`: brotli and gzip variants of each file of the
//!   site's build directory, which the server sends as they are (`compress.rs`).
//!
//! wasm-bindgen runs as a library pinned to the same version as the `wasm-bindgen` crate in
//! Cargo.lock (a mismatch makes the glue and the module disagree).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

mod budget;
mod compress;
mod pack;

/// The name Leptos loads: `pkg/loupe.js` and `pkg/loupe_bg.wasm` (`LeptosOptions::output_name`).
const OUTPUT_NAME: &str = "loupe";

/// The checkout xtask runs from: `cargo run` sets `CARGO_MANIFEST_DIR` at run time, which wins
/// over the path compiled in, because a target directory shared by several checkouts can hold a
/// binary built in another one (which may be gone by now).
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
}

fn write_css(site_root: &Path) -> Result<()> {
    let css = loupe_style::generate_for_dir(&workspace_root().join("app/src")).context("generating the stylesheet")?;
    let pkg = site_root.join("pkg");
    fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;
    let out = pkg.join(format!("{OUTPUT_NAME}.css"));
    fs::write(&out, css).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

/// Copies the static files in `public/` (favicon and friends) to the site root.
fn copy_public(site_root: &Path) -> Result<()> {
    let public = workspace_root().join("public");
    for entry in fs::read_dir(&public).with_context(|| format!("reading {}", public.display()))? {
        let path = entry?.path();
        if path.is_file() {
            let target = site_root.join(path.file_name().expect("a file has a name"));
            fs::copy(&path, &target).with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        }
    }
    Ok(())
}

/// The module the split main wasm imports its loaders from. Leptos's `HydrationScripts` links
/// this exact name (it stands in for a content hash, which the build directory carries instead).
const SPLIT_LINK_FILE: &str = "__wasm_split.______________________.js";
/// Which files each lazily loaded function needs (`split name -> [file stems]`), read by Leptos.
const SPLIT_MANIFEST_FILE: &str = "__wasm_split_manifest.json";

/// Whether `name` is a file an earlier split wrote into `pkg/`.
fn is_split_output(name: &str) -> bool {
    ((name.starts_with("split_") || name.starts_with("chunk_") || name.starts_with("pack_")) && name.ends_with(".wasm"))
        || [SPLIT_LINK_FILE, SPLIT_MANIFEST_FILE, pack::MODULES_FILE].contains(&name)
}

/// Splits `wasm` into the main module (written to `main_out`, which wasm-bindgen then processes)
/// and the lazily loaded modules, the loader and the manifest under `pkg`. The pieces of an earlier
/// build are removed first: their names are not content-addressed, and a stale chunk must never be
/// picked up by the build directory that `hash_site_assets` assembles.
fn split(pkg: &Path, wasm: &Path, main_out: &Path) -> Result<()> {
    fs::create_dir_all(pkg).with_context(|| format!("creating {}", pkg.display()))?;
    for entry in fs::read_dir(pkg).with_context(|| format!("reading {}", pkg.display()))? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(is_split_output) {
            fs::remove_file(entry.path()).with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    let input = fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let main_module = format!("./{OUTPUT_NAME}.js");
    let link_name = format!("./{SPLIT_LINK_FILE}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = pkg;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = &link_name;
    let split = wasm_split_cli_support::transform(options).map_err(|error| anyhow::anyhow!("{error:?}")).with_context(|| format!("splitting {} (was it linked with --emit-relocs?)", wasm.display()))?;
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    // The manifest names each module until `xtask pack` (release builds) points it at the packs;
    // the modules' list stays for it.
    for name in [SPLIT_MANIFEST_FILE, pack::MODULES_FILE] {
        let path = pkg.join(name);
        fs::write(&path, serde_json::to_string_pretty(&manifest)?).with_context(|| format!("writing {}", path.display()))?;
    }
    // The loader fetches through the packs a page preloads, and each module by itself otherwise.
    let loader_path = pkg.join(SPLIT_LINK_FILE);
    let loader = fs::read_to_string(&loader_path).with_context(|| format!("reading {}", loader_path.display()))?;
    fs::write(&loader_path, pack::rewrite_loader(&loader, split.split_modules.len())?).with_context(|| format!("writing {}", loader_path.display()))?;
    println!("split {} into the main module and {} lazily loaded modules", wasm.display(), split.split_modules.len());
    Ok(())
}

fn write_bindgen(site_root: &Path, wasm: &Path, release: bool) -> Result<()> {
    if !wasm.is_file() {
        bail!("{} does not exist; build the frontend for wasm32-unknown-unknown first", wasm.display());
    }
    let pkg = site_root.join("pkg");
    let main = wasm.with_file_name(format!("{OUTPUT_NAME}_split_main.wasm"));
    split(&pkg, wasm, &main)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main)
        .web(true)?
        .out_name(OUTPUT_NAME)
        .debug(!release)
        .typescript(false)
        // The lazily loaded modules import the main module's functions by their linker names.
        .keep_lld_exports(true)
        .demangle(false)
        .generate(&pkg)
        .with_context(|| format!("running wasm-bindgen on {}", main.display()))?;
    println!("wrote {}/{OUTPUT_NAME}.js and {OUTPUT_NAME}_bg.wasm", pkg.display());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    let release = args.iter().any(|a| a == "--release");
    match positional.as_slice() {
        ["css", site_root] => write_css(Path::new(site_root)),
        ["site", site_root, wasm] => {
            write_css(Path::new(site_root))?;
            copy_public(Path::new(site_root))?;
            write_bindgen(Path::new(site_root), Path::new(wasm), release)
        }
        ["budget", site_root] => budget::check(Path::new(site_root)),
        ["compress", site_root] => compress::run(Path::new(site_root)),
        ["pack", site_root] => pack::run(Path::new(site_root)),
        _ => bail!("usage: xtask css <site-root> | xtask site <site-root> <frontend.wasm> [--release] | xtask budget <site-root> | xtask pack <site-root> | xtask compress <site-root>"),
    }
}
