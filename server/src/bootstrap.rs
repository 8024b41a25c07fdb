//! Headless initialization (`LANGFUSE_INIT_*`): creates the configured organization, project,
//! API key pair and owner if they are missing, in one transaction, at every start. Existing
//! resources are never modified, so changes made in the UI survive restarts.
//!
//! The owner takes a seat like an accepted invitation (#22): when the organization's plan has no
//! seat left (`loupe_core::limits::check_member_add`), the account is still created (the first
//! one administers the instance and can change the plan) but not made a member, and the start
//! goes on with an error in the log naming the plan and its member limit — nothing created is
//! rolled back, nothing stored is touched.

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

/// What a start's initialization left undone (the log says it too).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The owner was not made a member: the plan's member limit ([`loupe_core::limits::Reached`]'s sentence).
    pub membership_refused: Option<String>,
}

pub async fn apply(pool: &PgPool, plan: &InitPlan) -> Result<Applied, BootstrapError> {
    let mut applied = Applied::default();
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
        // A seat, as accepting an invitation takes one (nothing to check for a member already).
        match loupe_core::limits::check_member_add(&mut tx, &org_id, loupe_core::limits::MemberAdd::Join { user_id: &user_id }).await {
            Ok(()) => {
                let membership = store::memberships::add_if_missing(&mut tx, &org_id, &user_id, Role::Owner).await?;
                if membership == Upsert::Created {
                    tracing::info!(email = %user.email, org_id = %plan.org_id, "made user an owner of the organization");
                }
            }
            Err(loupe_core::limits::LimitError::Reached(reached)) => {
                tracing::error!(
                    email = %user.email,
                    org_id = %plan.org_id,
                    "headless initialization: LANGFUSE_INIT_USER_EMAIL was not made an owner of the organization. {reached}. Raise the plan's member limit (or free a seat) and restart"
                );
                applied.membership_refused = Some(reached.to_string());
            }
            Err(loupe_core::limits::LimitError::Store(e)) => return Err(e.into()),
        }
        if store::accounts::promote_if_first_admin(&mut tx, &user_id).await? {
            tracing::info!(email = %user.email, "first user of this instance: made instance administrator");
        }
    }

    tx.commit().await?;
    Ok(applied)
}
