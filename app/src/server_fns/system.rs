use leptos::prelude::*;

use crate::domain::SystemStatus;
use crate::error::AppError;

/// Reads the instance overview shown on the home page (instance administrators only: it counts
/// every organization and user of the instance).
#[server(prefix = "/api/ui", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let summary = crate::store::accounts::summary(&state.pool, &user.user_id).await?.ok_or(AppError::SignInRequired)?;
        if !summary.is_instance_admin {
            return Err(AppError::Forbidden(crate::language::say!(errors.system.admins_only)));
        }
        Ok(crate::store::system::load_status(&state.pool, state.database_mode).await?)
    }
    .await)
}
