//! The organization's audit log (Admins and Owners).

use leptos::prelude::*;

use crate::domain::account::{AuditFilter, AuditPage};
use crate::error::AppError;

pub const PAGE_SIZE: i64 = 50;

#[server(prefix = "/api/ui", endpoint = "list_audit_log")]
pub async fn list_audit_log(org_id: String, filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ReadAuditLog).await?;
        let org_id = scope.org_id;
        Ok(crate::store::audit_log::page(&state.pool, &org_id, &filter, PAGE_SIZE).await?)
    }
    .await)
}
