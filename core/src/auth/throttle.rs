//! Sign-in throttling, per account and client address: at most [`PER_ACCOUNT_AND_IP`] failed
//! attempts for one email from one address, and [`PER_ACCOUNT`] for one email from anywhere,
//! within [`WINDOW`]. Counted in Postgres (`sign_in_failures`), so the limit holds across
//! restarts and replicas. A successful sign-in clears that address's count for the account.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

pub const WINDOW: Duration = Duration::minutes(15);
pub const PER_ACCOUNT_AND_IP: i64 = 5;
pub const PER_ACCOUNT: i64 = 20;

fn keys(email: &str, ip: &str) -> (String, String) {
    let email = email.trim().to_lowercase();
    (format!("account-ip:{email}|{ip}"), format!("account:{email}"))
}

/// `Err(minutes to wait)` when this account may not try again from this address yet.
pub async fn check(pool: &PgPool, email: &str, ip: &str) -> Result<Result<(), i64>, sqlx::Error> {
    let (pair, account) = keys(email, ip);
    let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT key, count(*), min(failed_at) FROM sign_in_failures
         WHERE key = ANY($1) AND failed_at > now() - $2 GROUP BY key",
    )
    .bind([pair.clone(), account.clone()])
    .bind(WINDOW)
    .fetch_all(pool)
    .await?;
    for (key, count, oldest) in rows {
        let limit = if key == pair { PER_ACCOUNT_AND_IP } else { PER_ACCOUNT };
        if count >= limit {
            let free_at = oldest.unwrap_or_else(Utc::now) + WINDOW;
            let minutes = ((free_at - Utc::now()).num_seconds() + 59) / 60;
            return Ok(Err(minutes.max(1)));
        }
    }
    Ok(Ok(()))
}

pub async fn record_failure(pool: &PgPool, email: &str, ip: &str) -> Result<(), sqlx::Error> {
    let (pair, account) = keys(email, ip);
    sqlx::query("INSERT INTO sign_in_failures (key) SELECT unnest($1::text[])").bind([pair, account]).execute(pool).await?;
    Ok(())
}

pub async fn record_success(pool: &PgPool, email: &str, ip: &str) -> Result<(), sqlx::Error> {
    let (pair, _) = keys(email, ip);
    sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(pair).execute(pool).await?;
    Ok(())
}

/// Removes failures older than the window (the maintenance task).
pub async fn prune(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= now() - $1").bind(WINDOW).execute(pool).await?.rows_affected())
}

/// The message shown when throttled.
pub fn message(minutes: i64) -> String {
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many failed sign-in attempts for this account. Try again in {minutes} {unit}, or reset your password with an administrator.")
}
