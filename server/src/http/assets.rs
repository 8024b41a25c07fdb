//! The browser bundle under `/pkg/` and how long browsers may keep it.
//!
//! The site build (`hash_site_assets` in scripts/lib.sh) copies `loupe.js`, `loupe_bg.wasm` and
//! `loupe.css` to content-hashed names (`loupe.<16 hex digits>.js`, …) and lists the hashes in
//! `pkg/hash.txt`. When that file is there, pages link the hashed names ([`hash_file`], used by
//! [`crate::leptos_options`]), and a hashed name always means the same bytes: such files are
//! cached for a year without revalidation. Every other file under `/pkg/` (the unhashed names)
//! is `no-cache`: browsers revalidate it (`Last-Modified`) before each use. Pages keep the
//! `no-store` the session layer gives them.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use loupe_app::state::{AssetHashes, HASH_FILE};

/// For content-hashed files: a year, and no revalidation while fresh.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the other files under `/pkg/`: always revalidated.
pub const REVALIDATE: &str = "no-cache";

/// The absolute path of `<site_root>/pkg/hash.txt` when it names a hash for each of the bundle's
/// files and those hashed files exist; `None` otherwise (no site build with hashes, or a broken
/// one, which is logged: pages then link the unhashed names).
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let pkg = site_root.join("pkg");
    let path = pkg.join(HASH_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    let hashes = AssetHashes::parse(&text);
    for (kind, hash, extension) in [("js", &hashes.js, "js"), ("wasm", &hashes.wasm, "wasm"), ("css", &hashes.css, "css")] {
        let present = hash.as_ref().is_some_and(|hash| pkg.join(format!("loupe.{hash}.{extension}")).is_file());
        if !present {
            tracing::warn!(hash_file = %path.display(), kind, "the hash file names no existing hashed {kind} file: linking the unhashed bundle; rebuild the site with `scripts/build`");
            return None;
        }
    }
    Some(std::path::absolute(&path).unwrap_or(path))
}

/// Whether a file name under `/pkg/` is content-hashed: `<name>.<16 lowercase hex digits>.<ext>`.
pub fn is_content_hashed(name: &str) -> bool {
    if name.contains('/') {
        return false;
    }
    let mut parts = name.rsplitn(3, '.');
    let (Some(extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else { return false };
    !extension.is_empty() && !stem.is_empty() && hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_names() {
        assert!(is_content_hashed("loupe.0123456789abcdef.js"));
        assert!(is_content_hashed("loupe.0123456789abcdef.wasm"));
        assert!(is_content_hashed("loupe.min.0123456789abcdef.css"));
        assert!(!is_content_hashed("loupe.js"));
        assert!(!is_content_hashed("loupe_bg.wasm"));
        assert!(!is_content_hashed("loupe.0123456789ABCDEF.js"), "uppercase");
        assert!(!is_content_hashed("loupe.0123456789abcde.js"), "15 digits");
        assert!(!is_content_hashed(".0123456789abcdef.js"), "no stem");
        assert!(!is_content_hashed("snippets/loupe.0123456789abcdef.js"), "a subdirectory");
    }
}
