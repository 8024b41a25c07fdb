use leptos::prelude::*;

use crate::domain::SystemStatus;
use crate::error::AppError;

/// Reads the instance overview shown on the home page.
#[server(prefix = "/api/ui", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    let state = expect_context::<crate::state::AppState>();
    let status = crate::store::system::load_status(&state.pool, state.database_mode).await?;
    Ok(status)
}
