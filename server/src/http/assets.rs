//! The browser bundle under `/pkg/` and how long browsers may keep it.
//!
//! The site build (`hash_site_assets` in scripts/lib.sh) copies every file of the bundle (the
//! glue `loupe.js`, the main `loupe_bg.wasm`, the lazily loaded `split_*.wasm`/`chunk_*.wasm`,
//! their loader and manifest, `loupe.css`) into a directory named by a hash of their contents,
//! `pkg/<16 hex digits>/`, and names that directory in `pkg/hash.txt` (`build: <hash>`). When the
//! directory is complete, pages link the files there ([`build_dir`], used by
//! [`crate::leptos_options`]), and a path under such a directory always means the same bytes:
//! those files are cached for a year without revalidation. The files reference each other by
//! relative names, which is why a directory is hashed rather than each file (a hashed name inside
//! the glue would change the glue's own hash). Every other file under `/pkg/` (the unhashed
//! copies) is `no-cache`: browsers revalidate it (`Last-Modified`) before each use. Pages keep the
//! `no-store` the session layer gives them.
//!
//! Release builds also hold, beside each file of a build directory, its brotli and gzip variants
//! (`FILE.br`, `FILE.gz`, made once by `xtask compress` at the strongest settings). The router's
//! fallback serves site files through `leptos_axum`'s `ServeDir` with precompressed variants
//! enabled, so it sends the variant the browser accepts as it is and no page load compresses the
//! bundle again; a file without variants (a debug build's) is compressed per response by the
//! router's compression layer, as before. [`cache_control`] adds the `Vary` such responses need.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// For content-hashed files: a year, and no revalidation while fresh.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the other files under `/pkg/`: always revalidated.
pub const REVALIDATE: &str = "no-cache";
/// The file beside the bundle naming the current build directory: `build: <hash>`.
pub const BUILD_FILE: &str = "hash.txt";
/// The files a build directory must hold to be linked.
const REQUIRED: [&str; 3] = ["loupe.js", "loupe_bg.wasm", "loupe.css"];

/// Whether `name` is a build directory's name: 16 lowercase hex digits.
fn is_build_hash(name: &str) -> bool {
    name.len() == 16 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The hash a build file's text names (`build: <hash>`), if it is a well-formed one (it becomes
/// part of a URL and a path).
pub fn parse_build_file(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "build" && is_build_hash(value.trim())).then(|| value.trim().to_string())
    })
}

/// The current build directory's name under `<site_root>/pkg/` when `pkg/hash.txt` names one
/// holding the bundle; `None` otherwise (a site built without hashing, or a broken one, which is
/// logged: pages then link the unhashed copies in `pkg/`).
pub fn build_dir(site_root: &Path) -> Option<String> {
    let pkg = site_root.join("pkg");
    let path = pkg.join(BUILD_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let Some(hash) = parse_build_file(&text) else {
        tracing::warn!(build_file = %path.display(), "the build file names no build directory: linking the unhashed bundle; rebuild the site with `scripts/build`");
        return None;
    };
    if let Some(missing) = REQUIRED.iter().find(|name| !pkg.join(&hash).join(name).is_file()) {
        tracing::warn!(build_file = %path.display(), missing, "the build directory lacks a file of the bundle: linking the unhashed bundle; rebuild the site with `scripts/build`");
        return None;
    }
    Some(hash)
}

/// Whether a path under `/pkg/` is in a build directory: `<16 lowercase hex digits>/<file>`.
pub fn is_content_hashed(path: &str) -> bool {
    let Some((dir, file)) = path.split_once('/') else { return false };
    is_build_hash(dir) && !file.is_empty() && !file.contains('/') && file != ".." && file != "."
}

/// Sets `Cache-Control` on responses under `/pkg/`: [`IMMUTABLE`] for a content-hashed file that
/// was found (200, 206, 304), [`REVALIDATE`] for anything else there (a 404 included, so a file
/// that appears later is fetched).
pub async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().strip_prefix("/pkg/").map(is_content_hashed);
    let mut response = next.run(request).await;
    if let Some(hashed) = hashed {
        let status = response.status();
        let found = status.is_success() || status == StatusCode::NOT_MODIFIED;
        let value = if hashed && found { IMMUTABLE } else { REVALIDATE };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        // The body depends on `Accept-Encoding` (a precompressed variant or not): a shared cache
        // must keep one copy per encoding. (The compression layer adds it to what it compresses.)
        if response.headers().contains_key(header::CONTENT_ENCODING) && !response.headers().contains_key(header::VARY) {
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_paths() {
        assert!(is_content_hashed("0123456789abcdef/loupe.js"));
        assert!(is_content_hashed("0123456789abcdef/split_traces_route_view_123.wasm"));
        assert!(is_content_hashed("0123456789abcdef/__wasm_split.______________________.js"));
        assert!(!is_content_hashed("loupe.js"));
        assert!(!is_content_hashed("loupe.0123456789abcdef.js"), "the old per-file names are gone");
        assert!(!is_content_hashed("0123456789ABCDEF/loupe.js"), "uppercase");
        assert!(!is_content_hashed("0123456789abcde/loupe.js"), "15 digits");
        assert!(!is_content_hashed("0123456789abcdef/"), "no file");
        assert!(!is_content_hashed("0123456789abcdef/snippets/a.js"), "deeper");
    }

    #[test]
    fn build_file_lines() {
        assert_eq!(parse_build_file("build: 0123456789abcdef\n").as_deref(), Some("0123456789abcdef"));
        assert_eq!(parse_build_file("\n  build :fedcba9876543210  \n").as_deref(), Some("fedcba9876543210"));
        assert_eq!(parse_build_file("js: 0123456789abcdef\n"), None, "the old per-file lines");
        assert_eq!(parse_build_file("build: ../../etc\n"), None);
        assert_eq!(parse_build_file("build: 0123456789abcdef0\n"), None, "17 digits");
    }
}
