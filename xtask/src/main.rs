//! Build helper, so the README commands need neither cargo-leptos nor wasm-bindgen-cli:
//!
//! - `cargo run -p xtask -- css <site-root>`: writes `<site-root>/pkg/loupe.css` from `app/src`.
//! - `cargo run -p xtask -- site <site-root> <frontend.wasm> [--release]`: the stylesheet, the
//!   files of `public/`, and the wasm-bindgen glue (`pkg/loupe.js`, `pkg/loupe_bg.wasm`).
//!
//! wasm-bindgen runs as a library pinned to the same version as the `wasm-bindgen` crate in
//! Cargo.lock (a mismatch makes the glue and the module disagree).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

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

fn write_bindgen(site_root: &Path, wasm: &Path, release: bool) -> Result<()> {
    if !wasm.is_file() {
        bail!("{} does not exist; build the frontend for wasm32-unknown-unknown first", wasm.display());
    }
    let pkg = site_root.join("pkg");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .web(true)?
        .out_name(OUTPUT_NAME)
        .debug(!release)
        .typescript(false)
        .generate(&pkg)
        .with_context(|| format!("running wasm-bindgen on {}", wasm.display()))?;
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
        _ => bail!("usage: xtask css <site-root> | xtask site <site-root> <frontend.wasm> [--release]"),
    }
}
