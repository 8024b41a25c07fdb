//! Signing up, in and out, the password, and the session the shell shows.

use leptos::prelude::*;

use crate::domain::account::SessionInfo;
use crate::error::AppError;

/// Where to go after signing in: only paths on this site (`/…`, not `//host`), else home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(feature = "ssr")]
mod server {
    use axum::http::header::SET_COOKIE;
    use leptos::prelude::use_context;

    use crate::auth::accounts::AccountError;
    use crate::auth::session;
    use crate::error::AppError;
    use crate::state::AppState;
    use crate::store::sign_in_sessions;

    pub fn account_error(error: AccountError) -> AppError {
        match error {
            AccountError::InvalidEmail => AppError::invalid("email", crate::language::say!(errors.account.invalid_email)),
            AccountError::EmailTaken => AppError::invalid("email", crate::language::say!(errors.account.email_taken)),
            AccountError::WeakPassword(problems) => AppError::invalid("password", weak_password(&problems)),
            AccountError::WrongCredentials => AppError::invalid("password", crate::language::say!(errors.account.wrong_credentials)),
            AccountError::SignUpDisabled => AppError::Forbidden(crate::language::say!(errors.account.sign_up_disabled)),
            AccountError::Database(_) => AppError::Unavailable,
            AccountError::Refused(_) => AppError::invalid("value", error.to_string()),
        }
    }

    /// The rules a new password breaks, in the request's language.
    pub fn weak_password(problems: &[&'static str]) -> String {
        let locale = crate::language::request_locale();
        problems.iter().map(|p| crate::pages::auth::password_problem(locale, p)).collect::<Vec<_>>().join(" ")
    }

    /// Starts a session for the user in the caller's transaction and sets the cookie.
    pub async fn start_session(conn: &mut sqlx::PgConnection, state: &AppState, user_id: &str) -> Result<(), AppError> {
        let parts = use_context::<axum::http::request::Parts>();
        let agent = parts.as_ref().and_then(|p| p.headers.get("user-agent")).and_then(|v| v.to_str().ok());
        let ip = crate::auth::access::client_ip();
        let token = sign_in_sessions::create(conn, user_id, agent, Some(&ip)).await?;
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.append_header(SET_COOKIE, session::session_cookie(&token, state.settings.secure_cookies));
        }
        Ok(())
    }
}

/// The signed-in person with their organizations and projects; `None` when signed out.
#[server(prefix = "/api/ui", endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let Some(user) = crate::auth::access::current_user() else { return Ok(None) };
        crate::auth::session::load_info(&state, &user).await
    }
    .await)
}

/// Whether the sign-up form should be offered (false with `AUTH_DISABLE_SIGNUP`).
#[server(prefix = "/api/ui", endpoint = "sign_up_enabled")]
pub async fn sign_up_enabled() -> Result<bool, AppError> {
    Ok(crate::server_fns::support::state()?.settings.sign_up_enabled)
}

/// Signs in; returns where to go next.
#[server(prefix = "/api/ui", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<String, AppError> {
    use crate::server_fns::support::{respond, state};
    use crate::auth::{accounts, throttle};
    respond(async {
        let state = state()?;
        if email.trim().is_empty() {
            return Err(AppError::invalid("email", crate::language::say!(errors.account.enter_email)));
        }
        if password.is_empty() {
            return Err(AppError::invalid("password", crate::language::say!(errors.account.enter_password)));
        }
        let ip = crate::auth::access::client_ip();
        if let Err(minutes) = throttle::check(&state.pool, &email, &ip).await? {
            return Err(AppError::TooManyAttempts(crate::language::say!(
                errors.account.too_many_attempts,
                minutes,
                unit = if minutes == 1 { crate::language::say!(errors.account.minute) } else { crate::language::say!(errors.account.minutes) }
            )));
        }
        let mut tx = state.pool.begin().await?;
        let user_id = match accounts::verify_credentials(&mut tx, &email, &password).await {
            Ok(id) => id,
            Err(error) => {
                drop(tx);
                if error == accounts::AccountError::WrongCredentials {
                    throttle::record_failure(&state.pool, &email, &ip).await?;
                }
                return Err(server::account_error(error));
            }
        };
        server::start_session(&mut tx, &state, &user_id).await?;
        tx.commit().await?;
        throttle::record_success(&state.pool, &email, &ip).await?;
        Ok(safe_next(next.as_deref()))
    }
    .await)
}

/// Creates an account and signs in. With an invitation token, also joins that organization (and
/// sign-up is allowed for the invited email even when `AUTH_DISABLE_SIGNUP` is set). Returns
/// where to go next.
#[server(prefix = "/api/ui", endpoint = "sign_up")]
pub async fn sign_up(email: String, name: Option<String>, password: String, invite: Option<String>) -> Result<String, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let mut tx = state.pool.begin().await?;
        let invitation = match invite.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(crate::server_fns::invitations::open_invitation(&mut tx, token, &email).await?),
            None => None,
        };
        let enabled = state.settings.sign_up_enabled || invitation.is_some();
        let user_id = crate::auth::accounts::sign_up(&mut tx, &email, name.as_deref(), &password, enabled)
            .await
            .map_err(server::account_error)?;
        let next = match invitation {
            Some(found) => crate::server_fns::invitations::join(&mut tx, &found, &user_id).await?,
            None => "/".to_string(),
        };
        server::start_session(&mut tx, &state, &user_id).await?;
        tx.commit().await?;
        Ok(next)
    }
    .await)
}

/// Ends this session and removes the cookie.
#[server(prefix = "/api/ui", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        if let Some(user) = crate::auth::access::current_user() {
            crate::store::sign_in_sessions::delete(&state.pool, &user.token).await?;
        }
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.append_header(
                axum::http::header::SET_COOKIE,
                crate::auth::session::clear_cookie(state.settings.secure_cookies),
            );
        }
        Ok(())
    }
    .await)
}

/// Changes the password after checking the current one; signs out every other session.
#[server(prefix = "/api/ui", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let mut tx = state.pool.begin().await?;
        crate::auth::accounts::change_password(&mut tx, &user.user_id, &current, &new, Some(&user.token))
            .await
            .map_err(|error| match error {
                crate::auth::accounts::AccountError::WrongCredentials => {
                    AppError::invalid("current", crate::language::say!(errors.account.current_password_wrong))
                }
                crate::auth::accounts::AccountError::WeakPassword(problems) => AppError::invalid("new", server::weak_password(&problems)),
                other => server::account_error(other),
            })?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Keeps the signed-in person's UI language with their account (`""`: follow the browser). The
/// page is reloaded afterwards, and the server renders it in the new language.
#[server(prefix = "/api/ui", endpoint = "set_language")]
pub async fn set_language(language: String) -> Result<(), AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let language = language.trim();
        let choice = match language {
            "" => None,
            code if crate::domain::language::is_language(code) => Some(code),
            other => {
                let known = crate::domain::language::LANGUAGES.join(", ");
                return Err(AppError::invalid("language", crate::language::say!(errors.account.unknown_language, code = other, known)));
            }
        };
        crate::store::accounts::set_language(&state.pool, &user.user_id, choice).await?;
        Ok(())
    }
    .await)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/project/p/traces?x=1")), "/project/p/traces?x=1");
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", ""] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
