//! Headless initialization (`LANGFUSE_INIT_*`): creates the configured organization, project,
//! API key pair and owner if they are missing, in one transaction, at every start. Existing
//! resources are never modified, so changes made in the UI survive restarts.

use loupe_core::auth::secrets::SecretHash;
use loupe_app::domain::Role;
use loupe_core::store::{self, api_keys::ConfiguredKey, Upsert};
use sqlx::PgPool;

use crate::config::InitPlan;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("headless initialization: {0}")]
    Conflict(String),
    #[error("headless initialization failed: {0}")]
    Database(#[from] loupe_core::store::StoreError),
}

impl From<sqlx::Error> for BootstrapError {
    fn from(error: sqlx::Error) -> Self {
        BootstrapError::Database(error.into())
    }
}

fn log_upsert(what: &str, id: &str, outcome: Upsert) {
    match outcome {
        Upsert::Created => tracing::info!(id, "created {what}"),
        Upsert::AlreadyExisted => tracing::debug!(id, "{what} already exists"),
    }
}

pub async fn apply(pool: &PgPool, plan: &InitPlan) -> Result<(), BootstrapError> {
    let mut tx = pool.begin().await?;

    let (outcome, org_id) = store::organizations::create_if_missing(&mut tx, &plan.org_id, &plan.org_name).await?;
    log_upsert("organization", &plan.org_id, outcome);

    if let Some(project) = &plan.project {
        let (outcome, project_id) = store::projects::create_if_missing(&mut tx, &plan.org_id, &project.id, &project.name)
            .await
            .map_err(|e| match e {
                store::projects::CreateProjectError::Database(e) => BootstrapError::Database(e),
                conflict => BootstrapError::Conflict(conflict.to_string()),
            })?;
        log_upsert("project", &project.id, outcome);

        if let Some((public_key, secret_key)) = &project.key_pair {
            let outcome = store::api_keys::create_if_missing(&mut tx, &project_id, public_key, secret_key, "Created by headless initialization")
                .await
                .map_err(|e| match e {
                    store::api_keys::ConfiguredKeyError::Database(e) => BootstrapError::Database(e),
                    conflict => BootstrapError::Conflict(conflict.to_string()),
                })?;
            match outcome {
                ConfiguredKey::Created => tracing::info!(public_key, project_id = %project.id, "created API key"),
                ConfiguredKey::Unchanged => tracing::debug!(public_key, "API key already exists"),
                ConfiguredKey::SecretDiffers => tracing::warn!(
                    public_key,
                    "LANGFUSE_INIT_PROJECT_SECRET_KEY differs from the stored secret of this key; the stored key is kept (revoke it in the UI to replace it)"
                ),
            }
        }
    }

    if let Some(user) = &plan.user {
        let password = user.password.clone();
        let password_hash = tokio::task::spawn_blocking(move || SecretHash::of(&password))
            .await
            .expect("hashing does not panic");
        let (user_id, outcome) = store::accounts::create_if_missing(&mut tx, &user.email, user.name.as_deref(), &password_hash.0).await?;
        log_upsert("user", &user.email, outcome);
        let membership = store::memberships::add_if_missing(&mut tx, &org_id, &user_id, Role::Owner).await?;
        if membership == Upsert::Created {
            tracing::info!(email = %user.email, org_id = %plan.org_id, "made user an owner of the organization");
        }
        if store::accounts::promote_if_first_admin(&mut tx, &user_id).await? {
            tracing::info!(email = %user.email, "first user of this instance: made instance administrator");
        }
    }

    tx.commit().await?;
    Ok(())
}
