//! Sign-in sessions (table `sign_in_sessions`). The cookie carries a random token (`auth::tokens`); this table keeps its
//! digest, the user and the expiry. Expired sessions never authenticate, whether or not the
//! clean-up has removed them yet.

use super::StoreError;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use crate::auth::tokens;

/// How long a session lasts without use; each use moves the expiry (sliding window).
pub const IDLE_LIFETIME: Duration = Duration::days(30);

/// Starts a session for the user and returns the token for the cookie.
pub async fn create(conn: &mut PgConnection, user_id: &str, user_agent: Option<&str>, ip: Option<&str>) -> Result<String, StoreError> {
    let (token, hash) = tokens::new_token();
    sqlx::query(
        "INSERT INTO sign_in_sessions (token_hash, user_id, expires_at, user_agent, ip) VALUES ($1, $2, now() + $3, $4, $5)",
    )
    .bind(&hash)
    .bind(user_id)
    .bind(IDLE_LIFETIME)
    .bind(user_agent.map(|u| u.chars().take(512).collect::<String>()))
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(token)
}

/// The user of a live session, extending it; `None` for unknown or expired tokens. The expiry
/// moves at most every few minutes, so a page's burst of requests costs one read, not a write
/// each.
pub async fn user_for(pool: &PgPool, token: &str) -> Result<Option<String>, StoreError> {
    Ok(signed_in(pool, token).await?.map(|(user_id, _)| user_id))
}

/// [`user_for`] with the account's UI language (`None`: follow the browser), which the session
/// middleware hands to the page renderer so the first HTML is in that language.
pub async fn signed_in(pool: &PgPool, token: &str) -> Result<Option<(String, Option<String>)>, StoreError> {
    let digest = tokens::digest(token);
    let row: Option<(String, bool, Option<String>)> = sqlx::query_as(
        "SELECT s.user_id, s.last_seen_at < now() - interval '5 minutes', a.language
         FROM sign_in_sessions s JOIN accounts a ON a.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(&digest)
    .fetch_optional(pool)
    .await?;
    let Some((user_id, stale, language)) = row else { return Ok(None) };
    if stale {
        sqlx::query("UPDATE sign_in_sessions SET last_seen_at = now(), expires_at = now() + $2 WHERE token_hash = $1")
            .bind(&digest)
            .bind(IDLE_LIFETIME)
            .execute(pool)
            .await?;
    }
    Ok(Some((user_id, language)))
}

/// Ends one session (sign out).
pub async fn delete(pool: &PgPool, token: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("DELETE FROM sign_in_sessions WHERE token_hash = $1").bind(tokens::digest(token)).execute(pool).await?;
    Ok(result.rows_affected() > 0)
}

/// Ends every session of a user except, optionally, the current one (after a password change).
pub async fn delete_all_for_user(conn: &mut PgConnection, user_id: &str, keep_token: Option<&str>) -> Result<u64, StoreError> {
    let keep = keep_token.map(tokens::digest);
    let result = sqlx::query("DELETE FROM sign_in_sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2")
        .bind(user_id)
        .bind(keep)
        .execute(conn)
        .await?;
    Ok(result.rows_affected())
}

/// Removes sessions that expired before `now`.
pub async fn delete_expired(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sign_in_sessions WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected())
}
