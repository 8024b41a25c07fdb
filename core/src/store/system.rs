use super::StoreError;
use sqlx::PgPool;

use loupe_domain::system::{DatabaseMode, SystemStatus};

pub async fn load_status(pool: &PgPool, database_mode: DatabaseMode) -> Result<SystemStatus, StoreError> {
    let (postgres_version, n_migrations, n_organizations, n_projects, n_users, checked_at) =
        sqlx::query_as(
            "SELECT current_setting('server_version'),
                    (SELECT count(*) FROM _sqlx_migrations WHERE success),
                    (SELECT count(*) FROM organizations),
                    (SELECT count(*) FROM projects WHERE deleted_at IS NULL),
                    (SELECT count(*) FROM accounts),
                    now()",
        )
        .fetch_one(pool)
        .await?;
    Ok(SystemStatus {
        loupe_version: env!("CARGO_PKG_VERSION").to_string(),
        postgres_version,
        database_mode,
        n_migrations,
        n_organizations,
        n_projects,
        n_users,
        checked_at,
        jobs: crate::jobs::queue::summary(pool).await?,
        troubled_jobs: crate::jobs::queue::troubled(pool, 10).await?,
    })
}
