//! Accounts: the people who sign in to Loupe (`users` table). The people an application
//! traces are `users`.

use super::StoreError;
use sqlx::PgConnection;

use super::Upsert;

/// Creates a user with an already hashed password unless one with this email exists (emails are
/// unique case-insensitively). Returns the user's id either way; an existing user's name and
/// password are left as they are, so a password changed in the UI survives restarts.
pub async fn create_if_missing(
    conn: &mut PgConnection,
    email: &str,
    name: Option<&str>,
    password_hash: &str,
) -> Result<(String, Upsert), StoreError> {
    let new_id = uuid::Uuid::new_v4().to_string();
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO accounts (id, email, name, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
    )
    .bind(&new_id)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok((id, Upsert::Created));
    }
    let id = sqlx::query_scalar("SELECT id FROM accounts WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_one(&mut *conn)
        .await?;
    Ok((id, Upsert::AlreadyExisted))
}

/// Makes the user an instance administrator if no administrator exists yet (the first user of a
/// fresh instance administers it). Returns whether this user became one.
pub async fn promote_if_first_admin(conn: &mut PgConnection, user_id: &str) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "UPDATE accounts SET is_instance_admin = true, updated_at = now()
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM accounts WHERE is_instance_admin)",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// The signed-in person's summary.
pub async fn summary(pool: &sqlx::PgPool, user_id: &str) -> Result<Option<loupe_domain::account::UserSummary>, StoreError> {
    let row: Option<(String, String, Option<String>, bool, Option<String>)> =
        sqlx::query_as("SELECT id, email, name, is_instance_admin, language FROM accounts WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(id, email, name, is_instance_admin, language)| loupe_domain::account::UserSummary {
        id,
        email,
        name,
        is_instance_admin,
        language,
    }))
}

/// Keeps the account's UI language (`None`: follow the browser). The caller checks the code
/// against [`loupe_domain::language::LANGUAGES`]; the column's CHECK refuses anything else.
pub async fn set_language(pool: &sqlx::PgPool, user_id: &str, language: Option<&str>) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET language = $2, updated_at = now() WHERE id = $1").bind(user_id).bind(language).execute(pool).await?;
    Ok(())
}

/// The account's email, `None` when there is no such account.
pub async fn email(conn: &mut PgConnection, user_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT email FROM accounts WHERE id = $1").bind(user_id).fetch_optional(conn).await?)
}
