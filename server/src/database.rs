//! Connecting to Postgres (embedded or external) and migrating it.

use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// The schema, from `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("could not reach the database at {target} within {}s: {source}. Check that it is running and that DATABASE_URL is right", timeout.as_secs())]
    Unreachable { target: String, timeout: Duration, source: sqlx::Error },
    #[error("could not migrate the database: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// Host, port and database of the options, never the password.
pub fn describe_target(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(socket) => format!("{} (unix socket) database {}", socket.display(), options.get_database().unwrap_or("?")),
        None => format!("{}:{} database {}", options.get_host(), options.get_port(), options.get_database().unwrap_or("?")),
    }
}

/// Opens a pool, retrying with exponential backoff (250 ms doubling to 5 s) until `timeout`:
/// a database that starts together with Loupe (docker compose) is often a few seconds late.
pub async fn connect_with_retry(options: PgConnectOptions, max_connections: u32, timeout: Duration) -> Result<PgPool, DatabaseError> {
    let options = options.log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    let target = describe_target(&options);
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(250);
    let mut attempt = 1u32;
    loop {
        // Probe with one plain connection: a pool would retry internally until its own acquire
        // timeout, hiding both the attempts and the underlying error (e.g. connection refused).
        let probe = match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&options)).await {
            Ok(result) => result,
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        };
        match probe {
            Ok(connection) => {
                let _ = connection.close().await;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(5))
                    // sqlx pings every connection it hands out: a round trip ahead of each
                    // transaction, two per ingestion request (issue #23). Only a connection that
                    // sat idle is checked (a server restart or a dropped link shows there); one in
                    // steady use proved itself a moment ago, and a failure on it is an outage the
                    // caller answers (503, and the SDKs retry).
                    .test_before_acquire(false)
                    .before_acquire(|connection, meta| {
                        Box::pin(async move {
                            loupe_core::store::check_if_idle(connection, meta.idle_for).await?;
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(|source| DatabaseError::Unreachable { target, timeout, source })?;
                return Ok(pool);
            }
            Err(source) => {
                let remaining = deadline.saturating_duration_since(Instant::now());
                if remaining.is_zero() {
                    return Err(DatabaseError::Unreachable { target, timeout, source });
                }
                let wait = delay.min(remaining);
                tracing::warn!(%target, attempt, retry_in_ms = wait.as_millis() as u64, error = %source, "database not reachable yet; retrying");
                tokio::time::sleep(wait).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
        }
    }
}

pub async fn migrate(pool: &PgPool) -> Result<(), DatabaseError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}
