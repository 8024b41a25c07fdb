//! Sign-up, sign-in and password change: the rules, in one place for the server functions that
//! will call them. Every failure is a message a person can act on; nothing is half-done (each
//! function runs in the caller's transaction).

use sqlx::PgConnection;

use super::secrets::SecretHash;
use loupe_domain::password_policy;
use crate::store::{accounts, sign_in_sessions, Upsert};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("Enter a valid email address, like name@example.com.")]
    InvalidEmail,
    #[error("{}", .0.join(" "))]
    WeakPassword(Vec<&'static str>),
    #[error("An account with this email already exists. Sign in instead, or reset your password.")]
    EmailTaken,
    #[error("Sign-up is disabled on this instance. Ask an administrator for an invitation.")]
    SignUpDisabled,
    /// Deliberately the same for an unknown email and a wrong password.
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("The database is not available right now; try again in a moment.")]
    Database(String),
    /// The database refused a value the person typed (a NUL character, say): their mistake.
    #[error("{0}")]
    Refused(String),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        AccountError::from(crate::store::StoreError::from(error))
    }
}

impl From<crate::store::StoreError> for AccountError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::BadValue(message) => AccountError::Refused(message),
            error => {
                tracing::error!(%error, "account storage failed");
                AccountError::Database(error.to_string())
            }
        }
    }
}

/// A plausible email: one `@` with text on both sides, a dot in the domain, no spaces, at most
/// 254 characters. Deliverability is proven by invitations, not by syntax.
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 254
}

/// Creates an account. The first account of an instance becomes its administrator.
pub async fn sign_up(
    conn: &mut PgConnection,
    email: &str,
    name: Option<&str>,
    password: &str,
    sign_up_enabled: bool,
) -> Result<String, AccountError> {
    if !sign_up_enabled {
        return Err(AccountError::SignUpDisabled);
    }
    let email = email.trim();
    if !valid_email(email) {
        return Err(AccountError::InvalidEmail);
    }
    let problems = password_policy::problems(password, email);
    if !problems.is_empty() {
        return Err(AccountError::WeakPassword(problems));
    }
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || SecretHash::of(&password).0)
        .await
        .map_err(|e| AccountError::Database(e.to_string()))?;
    let (user_id, outcome) = accounts::create_if_missing(conn, email, name.map(str::trim).filter(|n| !n.is_empty()), &hash).await?;
    if outcome == Upsert::AlreadyExisted {
        return Err(AccountError::EmailTaken);
    }
    accounts::promote_if_first_admin(conn, &user_id).await?;
    Ok(user_id)
}

/// An argon2id hash of a random password, verified against when the email is unknown so that
/// "no such user" takes as long as "wrong password" (no account enumeration by timing).
fn decoy_hash() -> &'static SecretHash {
    static DECOY: std::sync::OnceLock<SecretHash> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| SecretHash::of(&super::tokens::new_token().0))
}

/// Checks an email and password; returns the user id.
pub async fn verify_credentials(conn: &mut PgConnection, email: &str, password: &str) -> Result<String, AccountError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT id, password_hash FROM accounts WHERE lower(email) = lower($1)")
            .bind(email.trim())
            .fetch_optional(&mut *conn)
            .await?;
    let (user_id, hash) = match row {
        Some((id, Some(hash))) => (Some(id), SecretHash(hash)),
        // Unknown email, or an account without a password (invited, not yet signed up).
        _ => (None, decoy_hash().clone()),
    };
    let password = password.to_string();
    let verified = tokio::task::spawn_blocking(move || hash.verify(&password))
        .await
        .map_err(|e| AccountError::Database(e.to_string()))?;
    match (user_id, verified) {
        (Some(id), true) => Ok(id),
        _ => Err(AccountError::WrongCredentials),
    }
}

/// Changes a password after checking the current one; ends the user's other sessions.
pub async fn change_password(
    conn: &mut PgConnection,
    user_id: &str,
    current: &str,
    new: &str,
    current_session_token: Option<&str>,
) -> Result<(), AccountError> {
    let (email, hash): (String, Option<String>) =
        sqlx::query_as("SELECT email, password_hash FROM accounts WHERE id = $1").bind(user_id).fetch_one(&mut *conn).await?;
    let (current, new_password) = (current.to_string(), new.to_string());
    let stored = SecretHash(hash.unwrap_or_default());
    let verified = tokio::task::spawn_blocking(move || stored.verify(&current))
        .await
        .map_err(|e| AccountError::Database(e.to_string()))?;
    if !verified {
        return Err(AccountError::WrongCredentials);
    }
    let problems = password_policy::problems(new, &email);
    if !problems.is_empty() {
        return Err(AccountError::WeakPassword(problems));
    }
    let hash = tokio::task::spawn_blocking(move || SecretHash::of(&new_password).0)
        .await
        .map_err(|e| AccountError::Database(e.to_string()))?;
    sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    sign_in_sessions::delete_all_for_user(conn, user_id, current_session_token).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@example.com", " alice@example.com "] {
            assert!(valid_email(good), "{good}");
        }
        for bad in ["", "a", "@b.co", "a@", "a@b", "a@.b", "a@b.", "a b@c.de", "a@b@c.de"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
