//! The session cookie: its name and attributes, reading it from a request, and the signed-in
//! person the server's session middleware attaches to each request.
//!
//! The cookie is `HttpOnly` (no script can read it), `SameSite=Lax` (not sent on cross-site
//! POSTs — the first CSRF defence; the Origin check in the middleware is the second) and
//! `Secure` when Loupe is served over https.

use axum::http::{header, HeaderMap, HeaderValue};

pub const COOKIE_NAME: &str = "loupe_session";

/// The signed-in person of a request, put into the request's extensions by the server's session
/// middleware after checking the cookie against `sign_in_sessions`. Server functions read it from
/// the request parts (see `auth::access`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub user_id: String,
    /// The cookie's token, so a password change can keep this session and end the others.
    pub token: String,
}

/// The UI language the signed-in person chose (a code of `loupe_domain::language::LANGUAGES`),
/// put in the request's extensions by the session middleware beside [`CurrentUser`]; the page
/// renderer reads it (`crate::language`) so the first HTML is already in that language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLanguage(pub String);

/// The client's address as the session middleware saw it (for sign-in throttling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The signed-in person's session as a page starts rendering with it: loaded by the session
/// middleware before the page renders and read synchronously by the shell
/// (`components::session`). A page must not wait for it in a `Suspense`: server rendering runs a
/// suspended closure again once its data are there, and whatever that closure creates (resources,
/// nested `Suspense`s) would take hydration ids the browser never takes.
#[derive(Debug, Clone)]
pub struct PageSession(pub Result<Option<crate::domain::account::SessionInfo>, crate::error::AppError>);

/// The person with their organizations and projects (`None` when the account is gone).
pub async fn load_info(
    state: &crate::state::AppState,
    user: &CurrentUser,
) -> Result<Option<crate::domain::account::SessionInfo>, crate::error::AppError> {
    let Some(summary) = crate::store::accounts::summary(&state.pool, &user.user_id).await? else { return Ok(None) };
    let organizations = crate::store::organizations::for_user(&state.pool, &user.user_id).await?;
    Ok(Some(crate::domain::account::SessionInfo { user: summary, organizations, sign_up_enabled: state.settings.sign_up_enabled }))
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let max_age = crate::store::sign_in_sessions::IDLE_LIFETIME.num_seconds();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .expect("tokens are base64url")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")).expect("ascii")
}

/// The session token from the request's `Cookie` headers, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().to_string())
        .filter(|token| !token.is_empty() && token.len() <= 128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let cookie = session_cookie("abc", false);
        assert_eq!(cookie, "loupe_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000");
        assert!(session_cookie("abc", true).to_str().unwrap().ends_with("; Secure"));
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn reads_the_token_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; loupe_session=tok123 ; other=1"));
        assert_eq!(token_from(&headers).as_deref(), Some("tok123"));
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::COOKIE, HeaderValue::from_static("loupe_session=x"));
        assert_eq!(token_from(&headers).as_deref(), Some("x"));
        assert_eq!(token_from(&HeaderMap::new()), None);
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("loupe_session="));
        assert_eq!(token_from(&headers), None);
    }
}
