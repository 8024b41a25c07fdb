//! The browser side of authentication, as one middleware in front of pages and server
//! functions (the public API has its own key auth and skips it):
//!
//! 1. **CSRF.** A state-changing request (anything but GET/HEAD/OPTIONS) must come from this
//!    site: its `Origin` must be this host (or the configured public URL); without an `Origin`,
//!    `Sec-Fetch-Site` must not say `cross-site`. Browsers always send one of the two on
//!    cross-site requests, so a forged form or fetch from another site gets a 403 before any
//!    server function runs. (The `SameSite=Lax` cookie is the second line: it is not sent on
//!    cross-site POSTs at all.)
//! 2. **Session.** The `loupe_session` cookie is checked against `sign_in_sessions`; a live session
//!    puts [`CurrentUser`] into the request's extensions, where server functions find it
//!    (`loupe_app::auth::access`), with the account's UI language ([`AccountLanguage`]) when
//!    they chose one, for the page renderer. A dead cookie is cleared.
//! 3. **Pages need a session.** A page request without one is redirected to
//!    `/sign-in?next=<page>`, except the sign-in, sign-up and invitation pages themselves; with
//!    one, the sign-in and sign-up pages lead home.
//! 4. **Pages start with the session.** A page request gets the person's session (organizations,
//!    projects, roles) loaded here as [`session::PageSession`], so the page renders with it
//!    synchronously instead of waiting for it in a `Suspense`.
//! 5. **Outsiders get a 404.** A project or organization page of one the person is not in (or
//!    that does not exist) answers 404, decided here because the page itself only knows once
//!    its streamed response has started.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use loupe_app::auth::session::{self, AccountLanguage, ClientIp, CurrentUser};
use loupe_app::state::AppState;

/// Pages anyone may open signed out.
fn is_public_page(path: &str) -> bool {
    // Share links of public traces are for anyone; their server functions check that the trace
    // is public (`auth::access::trace_reader`).
    matches!(path, "/sign-in" | "/sign-up") || path.starts_with("/invite/") || path.starts_with("/share/")
}

/// Page navigations (as opposed to server functions, the public API and static files), given
/// whether `path` names a file of the site root ([`site_file`]).
fn is_page(path: &str, site_file: bool) -> bool {
    !path.starts_with("/api/") && !path.starts_with("/pkg/") && !site_file
}

/// Whether `path` is a file at the top of the site root (`/favicon.svg`; the bundle is under
/// `/pkg/`). Static files are recognised by being there: a dot says nothing, page ids have them
/// (`/project/p/users/carol%40globex.com`, `/prompts/foo.bar`, `/sessions/sess.1`).
async fn site_file(site_root: &str, path: &str) -> bool {
    let Some(name) = path.strip_prefix('/') else { return false };
    if name.is_empty() || name.contains(['/', '\\', '%']) || name.starts_with('.') {
        return false;
    }
    tokio::fs::metadata(std::path::Path::new(site_root).join(name)).await.is_ok_and(|meta| meta.is_file())
}

/// An origin as (scheme, host, port), the port made explicit (`http://h` = `http://h:80`), so
/// origins compare by all three: `https://host` is not `http://host`.
type Origin = (String, String, u16);

fn origin_of(url: &str) -> Option<Origin> {
    let url = url::Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some((url.scheme().to_string(), url.host_str()?.to_ascii_lowercase(), url.port_or_known_default()?))
}

/// The request's own origin: its `Host` with the scheme the instance is served with — the
/// public URL's when one is configured (behind a TLS-terminating proxy that is `https` while
/// Loupe itself hears plain HTTP), else `http`, the only scheme Loupe serves itself.
fn own_origin(request: &Request, state: &AppState) -> Option<Origin> {
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok())?;
    if host.contains(['/', '@', '?', '#', '\\']) {
        return None;
    }
    let public = state.settings.public_url.as_deref().and_then(|url| url::Url::parse(url).ok());
    let scheme = public.as_ref().map_or("http", |url| url.scheme());
    origin_of(&format!("{scheme}://{host}"))
}

fn same_site(request: &Request, state: &AppState) -> bool {
    let headers = request.headers();
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let Some(origin) = origin_of(origin) else { return false };
            let own = own_origin(request, state).is_some_and(|own| own == origin);
            let public = state.settings.public_url.as_deref().and_then(origin_of).is_some_and(|p| p == origin);
            own || public
        }
        // No Origin: a same-origin GET-like navigation or a non-browser client; browsers mark
        // cross-site requests with Sec-Fetch-Site.
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) != Some("cross-site"),
    }
}

/// Server functions read their whole body; one over `limit` gets a 413 with an `AppError` body
/// (the UI shows its message) instead of the framework's 500. Bodies are buffered here, at most
/// `limit` bytes, and handed on.
pub async fn limit_ui_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/ui/") {
        return next.run(request).await;
    }
    let too_large = || {
        let error = loupe_app::error::AppError::invalid(
            "request",
            format!("the request body exceeds the limit of {limit} bytes"),
        );
        (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(error)).into_response()
    };
    let length = axum::body::HttpBody::size_hint(request.body()).exact();
    if length.is_some_and(|length| length > limit as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(error) if std::error::Error::source(&error).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) => too_large(),
        Err(_) => (StatusCode::BAD_REQUEST, "could not read the request body").into_response(),
    }
}

fn forbidden_cross_site() -> Response {
    let body = serde_json::json!({
        "Forbidden": "This request came from another site (its Origin does not match this Loupe instance), so it was refused to protect your account. If Loupe is behind a proxy, set LOUPE_PUBLIC_URL to the URL people use."
    });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let site_file = site_file(&state.leptos_options.site_root, &path).await;
    let page = is_page(&path, site_file);
    let static_file = !path.starts_with("/api/") && !page;
    if path.starts_with("/api/public") || path.starts_with("/pkg/") || static_file {
        return next.run(request).await;
    }
    if let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>().cloned() {
        request.extensions_mut().insert(ClientIp(addr.ip().to_string()));
    }
    let method = request.method().clone();
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) && !same_site(&request, &state) {
        tracing::warn!(%path, "cross-site request refused");
        return forbidden_cross_site();
    }

    let mut clear_cookie = false;
    let mut user = None;
    if let Some(token) = session::token_from(request.headers()) {
        match loupe_core::store::sign_in_sessions::signed_in(&state.pool, &token).await {
            Ok(Some((user_id, language))) => {
                if let Some(language) = language {
                    request.extensions_mut().insert(AccountLanguage(language));
                }
                user = Some(CurrentUser { user_id, token });
            }
            Ok(None) => clear_cookie = true,
            Err(error) => {
                tracing::warn!(%error, "session lookup failed");
                return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "2")], "The database is not available right now; try again in a moment.").into_response();
            }
        }
    }
    let signed_in = user.is_some();
    let user_for_check = user.clone();
    if let Some(user) = user {
        request.extensions_mut().insert(user);
    }

    let mut response = if method == Method::GET && signed_in && matches!(path.as_str(), "/sign-in" | "/sign-up") {
        // Already signed in: nothing to do on these pages.
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/".to_string())]).into_response()
    } else if method == Method::GET && page && !signed_in && !is_public_page(&path) {
        let target = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        if let Some(share) = public_trace_share(&state, &path, request.uri().query()).await {
            // The SDKs hand out the project URL of a trace (`get_trace_url()`); a public one is
            // readable there by anyone, as in Langfuse. A private one asks to sign in below,
            // exactly like a trace that does not exist.
            return (StatusCode::SEE_OTHER, [(header::LOCATION, share)]).into_response();
        }
        let location = if target == "/" { "/sign-in".to_string() } else { format!("/sign-in?next={}", urlencoding(target)) };
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
    } else if path.starts_with("/api/ui/") {
        with_error_status(next.run(request).await).await
    } else {
        let hidden = match (&user_for_check, method == Method::GET) {
            (Some(user), true) => hidden_from(&state, user, &path).await,
            _ => false,
        };
        if page {
            // The shell reads the session synchronously while rendering (why: `PageSession`).
            let info = match &user_for_check {
                Some(user) => session::load_info(&state, user).await,
                None => Ok(None),
            };
            request.extensions_mut().insert(session::PageSession(info));
        }
        let mut response = next.run(request).await;
        if hidden && response.status() == StatusCode::OK {
            // The page renders its "not found" body in a streamed suspense boundary, too late
            // to set the status itself; the status is decided here, before streaming starts.
            *response.status_mut() = StatusCode::NOT_FOUND;
        }
        response
    };
    if clear_cookie {
        response.headers_mut().append(header::SET_COOKIE, session::clear_cookie(state.settings.secure_cookies));
    }
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The share page of the trace at `path` (`/project/{p}/traces/{t}`), when that trace is public.
async fn public_trace_share(state: &AppState, path: &str, query: Option<&str>) -> Option<String> {
    let (project_id, trace_id) = trace_page(path)?;
    let trace_id = loupe_app::domain::TraceId::new(trace_id);
    match loupe_core::store::traces::public_project(&state.pool, &project_id, &trace_id).await {
        Ok(Some(_)) => {
            let share = loupe_app::domain::trace_detail::share_path(&project_id, trace_id.as_str());
            Some(match query {
                Some(query) if !query.is_empty() => format!("{share}?{query}"),
                _ => share,
            })
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "public trace lookup failed");
            None
        }
    }
}

/// `/project/{p}/traces/{t}` as its decoded `(p, t)`.
fn trace_page(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/project/")?;
    let mut segments = rest.split('/');
    let (project, kind, trace) = (segments.next()?, segments.next()?, segments.next()?);
    if kind != "traces" || segments.next().is_some() || project.is_empty() || trace.is_empty() {
        return None;
    }
    let decode = |segment: &str| percent_encoding::percent_decode_str(segment).decode_utf8().ok().map(|s| s.into_owned());
    Some((decode(project)?, decode(trace)?))
}

/// Whether `path` is a project or organization page the signed-in person is not a member of
/// (or that does not exist): such pages answer 404, like the server functions behind them.
async fn hidden_from(state: &AppState, user: &CurrentUser, path: &str) -> bool {
    use loupe_app::auth::access;
    use loupe_app::domain::Action;
    use loupe_app::error::AppError;
    let mut segments = path.trim_start_matches('/').split('/');
    let (Some(kind), Some(id)) = (segments.next(), segments.next()) else { return false };
    if id.is_empty() {
        return false;
    }
    let outcome = match kind {
        "project" => access::project(&state.pool, user, id, Action::ReadProjectData).await.map(|_| ()),
        "organization" => access::organization(&state.pool, user, id, Action::ReadProjectData).await.map(|_| ()),
        _ => return false,
    };
    matches!(outcome, Err(AppError::NotFound(_)))
}

/// Server functions answer errors the framework raises itself (arguments that do not decode)
/// with a 500; when the body is an [`AppError`] that means a 4xx, the status is corrected so
/// clients see the caller's mistake as one. (Errors from the functions' own code already carry
/// their status.)
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<loupe_app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Percent-encodes a path-and-query for use as a query value.
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_public_pages() {
        assert!(is_page("/", false));
        assert!(is_page("/project/abc/traces", false));
        assert!(is_page("/project/abc/users/carol%40globex.com", false));
        assert!(!is_page("/api/ui/session", false));
        assert!(!is_page("/pkg/loupe.js", false));
        assert!(!is_page("/favicon.svg", true));
        assert!(is_public_page("/invite/tok"));
        assert!(!is_public_page("/invite"));
        assert!(!is_public_page("/account"));
        assert!(is_public_page("/share/traces/p/t"));
        assert_eq!(trace_page("/project/p/traces/a%2Eb%20%E5%BD%B1"), Some(("p".into(), "a.b 影".into())));
        assert_eq!(trace_page("/project/p/traces/t/extra"), None);
        assert_eq!(trace_page("/project/p/traces/"), None);
        assert_eq!(trace_page("/project/p/sessions/t"), None);
        assert_eq!(trace_page("/project/p/traces/%FF"), None);
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("HTTP://Example.com:3000/x"), Some(("http".into(), "example.com".into(), 3000)));
        assert_eq!(origin_of("http://example.com"), origin_of("http://example.com:80"));
        assert_ne!(origin_of("https://example.com:3000"), origin_of("http://example.com:3000"));
        assert_eq!(origin_of("null"), None);
        assert_eq!(urlencoding("/project/a b?x=1&y=2"), "/project/a%20b%3Fx%3D1%26y%3D2");
    }
}
