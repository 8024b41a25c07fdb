use sqlx::PgConnection;

use super::Upsert;

/// Creates the organization unless one with this id exists (its name is then left as is).
pub async fn create_if_missing(conn: &mut PgConnection, id: &str, name: &str) -> Result<Upsert, sqlx::Error> {
    let result = sqlx::query("INSERT INTO organizations (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(Upsert::from_rows_affected(result.rows_affected()))
}
