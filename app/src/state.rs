//! The server-side state every handler and server function can reach (via axum `State` or the
//! Leptos context, which `leptos_routes_with_context` fills with it).

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;

use crate::domain::system::DatabaseMode;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub database_mode: DatabaseMode,
    pub settings: InstanceSettings,
}

/// Instance-wide settings from the configuration that the UI's server functions need.
#[derive(Debug, Clone)]
pub struct InstanceSettings {
    /// The configured external URL (`LOUPE_PUBLIC_URL`), without a trailing slash; when absent,
    /// links (invitations, `LANGFUSE_HOST`) are built from the request's `Host`.
    pub public_url: Option<String>,
    /// `false` with `AUTH_DISABLE_SIGNUP=true`: only invited people can create an account.
    pub sign_up_enabled: bool,
    /// Mark the session cookie `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Email for invitations, when SMTP is configured.
    pub mailer: Option<std::sync::Arc<crate::mail::Mailer>>,
    /// Where media attachments are kept and the secret their URLs are signed with; `None` (tests
    /// that do not need media) answers the media routes with 503.
    pub media: Option<MediaSettings>,
}

/// Media storage: files under `dir` (or in `bucket` when one is configured), URLs signed with a
/// key derived from `secret`.
#[derive(Clone)]
pub struct MediaSettings {
    pub dir: std::path::PathBuf,
    pub secret: String,
    pub bucket: Option<MediaBucket>,
}

impl std::fmt::Debug for MediaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSettings").field("dir", &self.dir).field("bucket", &self.bucket.as_ref().map(|b| &b.name)).finish_non_exhaustive()
    }
}

/// An S3-compatible bucket for media files.
#[derive(Clone)]
pub struct MediaBucket {
    pub endpoint: String,
    pub name: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub path_style: bool,
    pub prefix: String,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings { public_url: None, sign_up_enabled: true, secure_cookies: false, mailer: None, media: None }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

/// The hash file the site build (`scripts/lib.sh`, `hash_site_assets`) writes beside the browser
/// bundle, `pkg/hash.txt`: one `name: hash` line for each of `js`, `wasm` and `css`, the format
/// Leptos's `HydrationScripts` reads when `LeptosOptions::hash_files` is on (it then links
/// `/pkg/loupe.<js>.js` and `/pkg/loupe.<wasm>.wasm`; [`stylesheet_href`] adds the stylesheet).
pub const HASH_FILE: &str = "hash.txt";

/// The content hashes of the browser bundle's files, as read from the [`HASH_FILE`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetHashes {
    pub js: Option<String>,
    pub wasm: Option<String>,
    pub css: Option<String>,
}

impl AssetHashes {
    /// Reads `name: hash` lines (`js`, `wasm`, `css`); blank lines, other names and hashes that
    /// are not plain ASCII letters and digits (they become part of a URL) are left out.
    pub fn parse(text: &str) -> AssetHashes {
        let mut hashes = AssetHashes::default();
        for line in text.lines() {
            let Some((file, hash)) = line.trim().split_once(':') else { continue };
            let hash = hash.trim();
            if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            let slot = match file.trim() {
                "js" => &mut hashes.js,
                "wasm" => &mut hashes.wasm,
                "css" => &mut hashes.css,
                _ => continue,
            };
            *slot = Some(hash.to_string());
        }
        hashes
    }

    /// The hashes Leptos links with `options`: `None` when hashing is off or the hash file cannot
    /// be read. Read on each call, like Leptos reads it for every page, so the stylesheet and the
    /// bundle always come from the same build, also after a rebuild under a running server.
    pub fn of(options: &LeptosOptions) -> Option<AssetHashes> {
        if !options.hash_files {
            return None;
        }
        std::fs::read_to_string(hash_file_path(options)).ok().map(|text| AssetHashes::parse(&text))
    }
}

/// Where Leptos looks for the hash file: `hash_file` relative to the executable's directory (an
/// absolute `hash_file`, which the server sets, stands for itself).
pub fn hash_file_path(options: &LeptosOptions) -> std::path::PathBuf {
    let exe_dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(std::path::Path::to_path_buf)).unwrap_or_default();
    exe_dir.join(options.hash_file.as_ref())
}

/// The stylesheet's URL: `/pkg/loupe.<hash>.css` when the bundle's files are content-hashed,
/// `/pkg/loupe.css` otherwise.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    match AssetHashes::of(options).and_then(|hashes| hashes.css) {
        Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_file_lines() {
        let hashes = AssetHashes::parse("js: 0123456789abcdef\n  wasm:fedcba9876543210  \n\ncss : 00ff00ff00ff00ff\n");
        assert_eq!(hashes.js.as_deref(), Some("0123456789abcdef"));
        assert_eq!(hashes.wasm.as_deref(), Some("fedcba9876543210"));
        assert_eq!(hashes.css.as_deref(), Some("00ff00ff00ff00ff"));
    }

    #[test]
    fn unknown_names_and_unsafe_hashes_are_left_out() {
        let hashes = AssetHashes::parse("map: 0123\njs 0123\ncss: ../evil\nwasm:\n");
        assert_eq!(hashes, AssetHashes::default());
    }

    #[test]
    fn stylesheet_follows_the_hash_file() {
        let dir = std::env::temp_dir().join(format!("loupe-hash-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(HASH_FILE);
        std::fs::write(&file, "js: aa\nwasm: bb\ncss: 0123456789abcdef\n").unwrap();
        let mut options = LeptosOptions::builder().output_name("loupe").site_pkg_dir("pkg").build();
        assert_eq!(stylesheet_href(&options), "/pkg/loupe.css", "hashing off");
        options.hash_files = true;
        options.hash_file = file.to_string_lossy().into_owned().into();
        assert_eq!(stylesheet_href(&options), "/pkg/loupe.0123456789abcdef.css");
        std::fs::write(&file, "js: aa\nwasm: bb\n").unwrap();
        assert_eq!(stylesheet_href(&options), "/pkg/loupe.css", "no css line");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
