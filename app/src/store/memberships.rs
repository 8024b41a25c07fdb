use sqlx::PgConnection;

use super::Upsert;
use crate::domain::Role;

/// Adds the user to the organization with `role` unless they are already a member (an existing
/// membership keeps its role: roles changed in the UI survive restarts).
pub async fn add_if_missing(conn: &mut PgConnection, org_id: &str, user_id: &str, role: Role) -> Result<Upsert, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO organization_memberships (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(conn)
    .await?;
    Ok(Upsert::from_rows_affected(result.rows_affected()))
}
