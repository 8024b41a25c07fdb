//! What the home page shows about the running instance.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A snapshot of the instance, read from Postgres on request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// Loupe's own version (the server crate's).
    pub loupe_version: String,
    /// `server_version` as Postgres reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub postgres_version: String,
    /// Whether Loupe started its own Postgres or uses `DATABASE_URL`.
    pub database_mode: DatabaseMode,
    pub n_migrations: i64,
    pub n_organizations: i64,
    pub n_projects: i64,
    pub n_users: i64,
    /// The database's clock when the snapshot was taken.
    pub checked_at: DateTime<Utc>,
    /// Background jobs by kind.
    pub jobs: Vec<crate::jobs::JobSummary>,
    /// The latest jobs that failed, are retrying or are running, newest first.
    pub troubled_jobs: Vec<crate::jobs::Job>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatabaseMode {
    /// A private cluster under the data directory, started and stopped by Loupe.
    Embedded,
    /// An external database given by `DATABASE_URL`.
    External,
}

impl DatabaseMode {
    pub fn describe(self) -> &'static str {
        match self {
            DatabaseMode::Embedded => "embedded (started by Loupe)",
            DatabaseMode::External => "external (DATABASE_URL)",
        }
    }
}
