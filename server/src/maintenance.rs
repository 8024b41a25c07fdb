//! Background upkeep, one loop in the server process: purge the data of deleted projects in
//! small batches, remove expired sign-in sessions and old sign-in failures, and media files no
//! project names any more (deleted traces and projects). Every step is
//! idempotent and safe to run from several replicas at once (each only deletes what is already
//! dead), so no leader election is needed.

use std::time::Duration;

use sqlx::PgPool;

/// How often the loop wakes when there is nothing to purge.
const IDLE_INTERVAL: Duration = Duration::from_secs(60);
/// Rows per purge batch: big enough to make progress, small enough to keep each statement short.
const PURGE_BATCH: i64 = 5_000;

pub async fn run(pool: PgPool, media: Option<std::sync::Arc<crate::media::MediaStore>>) {
    loop {
        let purged = purge_deleted_projects(&pool).await;
        if let Err(error) = loupe_app::store::user_sessions::delete_expired(&pool, chrono::Utc::now()).await {
            tracing::debug!(%error, "could not remove expired sessions");
        }
        if let Err(error) = loupe_app::auth::throttle::prune(&pool).await {
            tracing::debug!(%error, "could not prune sign-in failures");
        }
        if let Some(media) = &media {
            match media.remove_orphans(&pool).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(files = removed, "removed media files no project uses"),
                Err(error) => tracing::debug!(%error, "could not look for unused media files"),
            }
        }
        // Keep going at once while a purge is in progress; otherwise idle.
        let pause = if purged > 0 { Duration::from_millis(50) } else { IDLE_INTERVAL };
        tokio::time::sleep(pause).await;
    }
}

/// Runs purge batches for up to a second; returns the rows removed.
pub async fn purge_deleted_projects(pool: &PgPool) -> u64 {
    let started = std::time::Instant::now();
    let mut total = 0;
    while started.elapsed() < Duration::from_secs(1) {
        match loupe_app::store::projects::purge_deleted_batch(pool, PURGE_BATCH).await {
            Ok(0) => break,
            Ok(removed) => total += removed,
            Err(error) => {
                tracing::warn!(%error, "purging a deleted project failed; will retry");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(rows = total, "purged data of deleted projects");
    }
    total
}
