//! Loupe's stylesheet generator.
//!
//! The UI is styled with Tailwind-style utility classes written in `app/src`. This crate scans
//! those sources and asks `encre-css` (a pure-Rust, Tailwind-compatible generator) for exactly
//! the CSS they use, with the `dark:` variant bound to a `.dark` class on `<html>` so people can
//! choose a theme rather than only follow the system. The output is, in order: the reset
//! (preflight), `style/base.css`, the utilities.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use encre_css::config::DarkMode;
use encre_css::{Config, Preflight};

/// Our hand-written base layer (see the file for what belongs there).
pub const BASE_CSS: &str = include_str!("../base.css");

fn config() -> Config {
    let mut config = Config::default();
    config.theme.dark_mode = DarkMode::new_class(".dark");
    config
}

/// CSS for the given source texts.
pub fn generate_from_sources<'a>(sources: impl IntoIterator<Item = &'a str>) -> String {
    let mut preflight_config = config();
    preflight_config.preflight = Preflight::new_full();
    let preflight = encre_css::generate([], &preflight_config);

    let mut utilities_config = config();
    utilities_config.preflight = Preflight::new_none();
    let utilities = encre_css::generate(sources, &utilities_config);

    format!("{preflight}\n\n/* base.css */\n{BASE_CSS}\n/* utilities */\n{utilities}\n")
}

/// All `.rs` files under `dir`, sorted so the output is reproducible.
pub fn rust_sources(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", current.display())))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// CSS for every class used in the Rust sources under `dir` (normally `app/src`).
pub fn generate_for_dir(dir: &Path) -> io::Result<String> {
    let mut texts = Vec::new();
    for path in rust_sources(dir)? {
        match fs::read_to_string(&path) {
            Ok(text) => texts.push(text),
            // Gone since the listing (an editor's or a tool's temporary file): nothing to style.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io::Error::new(error.kind(), format!("{}: {error}", path.display()))),
        }
    }
    Ok(generate_from_sources(texts.iter().map(String::as_str)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_survive_generation() {
        let css = generate_from_sources([r#"view! { <div class="hover:bg-indigo-500 dark:bg-zinc-900 md:flex focus-visible:ring-2 w-[200px] bg-black/50"></div> }"#]);
        assert!(css.contains(r".hover\:bg-indigo-500:hover"), "hover variant missing");
        assert!(css.contains(r".dark .dark\:bg-zinc-900"), "class-based dark variant missing");
        assert!(css.contains("@media (width >= 48rem)"), "md breakpoint missing");
        assert!(css.contains(r".focus-visible\:ring-2:focus-visible"), "focus-visible variant missing");
        assert!(css.contains(r".w-\[200px\]"), "arbitrary value missing");
        assert!(css.contains(r".bg-black\/50"), "opacity modifier missing");
    }

    #[test]
    fn output_is_reset_then_base_then_utilities() {
        let css = generate_from_sources(["flex"]);
        let base_at = css.find("/* base.css */").unwrap();
        let utility_at = css.find(".flex {").unwrap();
        assert!(css.find("box-sizing").unwrap() < base_at);
        assert!(base_at < utility_at);
    }

    #[test]
    fn app_sources_produce_the_shell_classes() {
        // The directory at run time (cargo sets it for tests): a test binary built from another
        // checkout sharing the target directory (CI's clean clone) must not read that checkout.
        let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let app_src = Path::new(&manifest).join("../app/src");
        let css = generate_for_dir(&app_src).unwrap();
        // Classes of the app shell (components/layout.rs): fails if scanning misses the app.
        assert!(css.contains(r".dark .dark\:bg-zinc-950"));
        assert!(css.contains(".w-56"));
    }
}
