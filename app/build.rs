//! Generates the `i18n` module (issue #17) from `locales/<language>/<namespace>.json`: one file
//! per language and page area, so the strings of an area live beside each other and a key used in
//! code but missing from the files is a compile error (leptos_i18n's typed keys).
//!
//! Stricter than the library's default: a key present in one language and missing (or extra) in
//! the other fails the build instead of warning and falling back to English. Keys defined but
//! used nowhere are caught by `i18n::tests::every_key_is_used`.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

/// The namespaces, one file per language each; keep in step with `src/i18n.rs`'s module doc.
const NAMESPACES: [&str; 23] = ["common", "auth", "home", "account", "org", "settings", "prompts", "playground", "traces", "trace", "sessions", "scores", "annotation", "comments", "datasets", "experiments", "evaluators", "dashboards", "retention", "usage", "models", "mail", "errors"];

fn config() -> Result<Config, Box<dyn Error>> {
    // `Config` is not `Clone`: built once for the generator and once for the strict check.
    let options = ParseOptions::default().interpolate_display(true);
    Ok(Config::new("en")?.add_locale("zh")?.add_namespaces(NAMESPACES)?.locales_path("locales").parse_options(options))
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    let infos = TranslationsInfos::parse(config()?)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    let parsed = leptos_i18n_parser::parse_locales::parse_locales(None, config()?)?;
    let mut failed = false;
    for warning in parsed.diag.warnings().iter() {
        println!("cargo::error=i18n: {warning}");
        failed = true;
    }
    if failed {
        return Err("the translation files disagree (see the errors above)".into());
    }
    Ok(())
}
