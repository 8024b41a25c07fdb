//! Database access, one module per table family. Every function takes the pool (or a
//! transaction) explicitly; functions over project data take the `project_id` and filter by it.
//! Queries are runtime-checked (`sqlx::query`), so the build needs no database; the integration
//! tests in `server/tests` run each of them against a real Postgres.

pub mod accounts;
pub mod annotation_queues;
pub mod api_keys;
pub mod audit_log;
pub mod binary_copy;
pub mod comments;
pub mod conditions;
pub mod dashboards;
pub mod datasets;
pub mod documents;
pub mod evaluators;
pub mod experiments;
pub mod fault;
pub mod invitations;
pub mod llm_connections;
pub mod media;
pub mod memberships;
pub mod observations;
pub mod organizations;
pub mod otel_record;
pub mod plans;
pub mod projects;
pub mod prompt_graph;
pub mod prompts;
pub mod query;
pub mod score_analytics;
pub mod score_configs;
pub mod scores;
pub mod saved_playgrounds;
pub mod saved_views;
pub mod sessions;
pub mod system;
pub mod trace_list;
pub mod traces;
pub mod sign_in_sessions;
pub mod users;

/// How long a connection may sit unused before it is pinged when handed out again (see
/// [`check_if_idle`]).
pub const IDLE_BEFORE_PING: std::time::Duration = std::time::Duration::from_secs(2);

/// Pings `connection` if it sat unused for [`IDLE_BEFORE_PING`] or longer, the one rule for the
/// server's pool (`loupe_server::database`, instead of sqlx's ping of every checkout) and the
/// connections ingestion's writers keep out of it (`ingest::combine`). One in steady use proved
/// itself a moment ago; one idle longer may have lost its server (a restart, a dropped link), and
/// the ping's error tells the caller to take another.
pub async fn check_if_idle(connection: &mut sqlx::PgConnection, idle_for: std::time::Duration) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    if idle_for >= IDLE_BEFORE_PING {
        connection.ping().await?;
    }
    Ok(())
}

pub use fault::StoreError;

/// Outcome of an idempotent "create if missing" write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    AlreadyExisted,
}

impl Upsert {
    pub(crate) fn from_rows_affected(rows: u64) -> Self {
        if rows > 0 {
            Upsert::Created
        } else {
            Upsert::AlreadyExisted
        }
    }
}

/// A new random identifier for organizations, projects and invitations (32 hex characters).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
