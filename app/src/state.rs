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
    /// Seals and opens the secrets of LLM connections (a key derived from `LOUPE_SECRET`);
    /// `None` (tests that do not need them) answers their routes with 503.
    pub secrets: Option<loupe_core::secrets::SecretBox>,
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
        InstanceSettings { public_url: None, sign_up_enabled: true, secure_cookies: false, mailer: None, media: None, secrets: None }
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
