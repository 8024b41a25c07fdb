//! Background upkeep as job kinds (`loupe_core::jobs`), run by every replica's job runner and
//! scheduled periodically (one run per period across all replicas): purge the data of deleted
//! projects in small batches, remove expired sign-in sessions and old sign-in failures, media
//! files no project names any more (deleted traces and projects), and old finished jobs. Each is
//! idempotent (it only deletes what is already dead), as job handlers must be.

use std::sync::Arc;
use std::time::Duration;

use loupe_core::jobs::{JobError, Kind, Outcome};
use sqlx::PgPool;

use crate::media::MediaStore;

/// Rows per purge batch: big enough to make progress, small enough to keep each statement short.
const PURGE_BATCH: i64 = 5_000;
/// Finished jobs are kept this long for the admin view.
const JOB_HISTORY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The upkeep kinds. `media` is `None` when media storage is not configured.
pub fn kinds(pool: &PgPool, media: Option<Arc<MediaStore>>) -> Vec<Kind> {
    let mut kinds = vec![
        {
            let pool = pool.clone();
            // While a purge is in progress it runs again at once (Again), else once a minute.
            Kind::new("projects.purge_deleted", move |_| {
                let pool = pool.clone();
                async move {
                    let removed = purge_deleted_projects(&pool).await?;
                    Ok(if removed > 0 { Outcome::Again } else { Outcome::Done })
                }
            })
            .every(Duration::from_secs(60))
        },
        {
            let pool = pool.clone();
            Kind::new("sign_in.expire_sessions", move |_| {
                let pool = pool.clone();
                async move {
                    loupe_core::store::sign_in_sessions::delete_expired(&pool, chrono::Utc::now()).await?;
                    Ok(Outcome::Done)
                }
            })
            .every(Duration::from_secs(300))
        },
        {
            let pool = pool.clone();
            Kind::new("sign_in.prune_failures", move |_| {
                let pool = pool.clone();
                async move {
                    loupe_core::auth::throttle::prune(&pool).await?;
                    Ok(Outcome::Done)
                }
            })
            .every(Duration::from_secs(300))
        },
        {
            let pool = pool.clone();
            Kind::new("jobs.prune", move |_| {
                let pool = pool.clone();
                async move {
                    loupe_core::jobs::queue::prune(&pool, JOB_HISTORY).await?;
                    Ok(Outcome::Done)
                }
            })
            .every(Duration::from_secs(3600))
        },
    ];
    if let Some(media) = media {
        let pool = pool.clone();
        kinds.push(
            Kind::new("media.remove_orphans", move |_| {
                let (pool, media) = (pool.clone(), media.clone());
                async move {
                    let removed = media.remove_orphans(&pool).await.map_err(JobError::new)?;
                    if removed > 0 {
                        tracing::info!(files = removed, "removed media files no project uses");
                    }
                    Ok(Outcome::Done)
                }
            })
            .every(Duration::from_secs(900)),
        );
    }
    kinds
}

/// Runs purge batches for up to a second; returns the rows removed.
pub async fn purge_deleted_projects(pool: &PgPool) -> Result<u64, loupe_core::store::StoreError> {
    let started = std::time::Instant::now();
    let mut total = 0;
    while started.elapsed() < Duration::from_secs(1) {
        match loupe_core::store::projects::purge_deleted_batch(pool, PURGE_BATCH).await? {
            0 => break,
            removed => total += removed,
        }
    }
    if total > 0 {
        tracing::info!(rows = total, "purged data of deleted projects");
    }
    Ok(total)
}
