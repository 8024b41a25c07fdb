//! The organization's audit log (Admins and Owners).

use leptos::prelude::*;

use crate::domain::account::{AuditFilter, AuditPage};
use crate::error::AppError;

pub const PAGE_SIZE: i64 = 50;

#[server(prefix = "/api/ui", endpoint = "list_audit_log")]
pub async fn list_audit_log(org_id: String, filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let org_id = crate::auth::access::organization(&state.pool, &user, &org_id, crate::domain::Action::ReadAuditLog).await?.org_id;
        Ok(crate::store::audit_log::page(&state.pool, &org_id, &filter, PAGE_SIZE).await?)
    }
    .await)
}
