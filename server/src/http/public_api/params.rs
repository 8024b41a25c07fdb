//! Query-string parameters of the read endpoints, read the way Langfuse's zod schemas read them:
//! repeatable parameters (`tags=a&tags=b`), an empty value meaning "not given" for numbers and
//! dates, ISO-8601 datetimes with an offset. Every failure is a 400 whose message names the
//! parameter, what it must be and what was sent (`limit must be between 1 and 100, got 500`).
//!
//! Hand-written over `url::form_urlencoded` rather than serde: serde's query deserializers
//! cannot say which parameter was wrong, and several endpoints need repeated keys.

use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use chrono::{DateTime, Utc};
use loupe_app::domain::trace_views::PageMeta;
use loupe_core::store::query::Page;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ApiError;

/// The decoded query string, in order, repeated keys kept.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(parts.uri.query().unwrap_or_default()))
    }
}

/// A value shown inside an error message: quoted, and cut short if long.
fn shown(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        format!("{:?}…", value.chars().take(MAX).collect::<String>())
    }
}

impl Params {
    pub fn parse(query: &str) -> Params {
        Params { pairs: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect() }
    }

    /// Every value of a repeatable parameter (`environment=a&environment=b`), empty ones dropped.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    }

    /// A parameter given at most once, as sent (possibly empty).
    pub fn raw(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        let extra = values.count();
        if extra > 0 {
            return Err(ApiError::invalid(format!("{name} must be given at most once, got {} values", extra + 1)));
        }
        Ok(first)
    }

    /// A string filter; an empty value counts as not given.
    pub fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self.raw(name)?.filter(|v| !v.is_empty()).map(str::to_string))
    }

    /// A comma-separated list (`scoreIds=a,b`), items trimmed, empty items dropped.
    pub fn comma_list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        Ok(self
            .raw(name)?
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default())
    }

    /// An integer in `range`, `default` when absent or empty.
    pub fn int_in(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        let Some(raw) = self.raw(name)?.filter(|v| !v.is_empty()) else { return Ok(default) };
        match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ if max == i64::MAX => {
                Err(ApiError::invalid(format!("{name} must be an integer ≥ {min}, got {}", shown(raw))))
            }
            _ => Err(ApiError::invalid(format!("{name} must be between {min} and {max}, got {}", shown(raw)))),
        }
    }

    /// A finite number; `None` when absent or empty.
    pub fn number(&self, name: &str) -> Result<Option<f64>, ApiError> {
        let Some(raw) = self.raw(name)?.filter(|v| !v.is_empty()) else { return Ok(None) };
        match raw.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(ApiError::invalid(format!("{name} must be a finite number, got {}", shown(raw)))),
        }
    }

    /// `true` or `false`; `None` when absent or empty.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(name)?.filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid(format!("{name} must be true or false, got {}", shown(other)))),
        }
    }

    /// An ISO-8601 datetime with an offset (`2026-01-31T12:00:00Z`, `...+02:00`); `None` when
    /// absent or empty. A `+` that arrived as a space (unencoded in the URL) is put back.
    pub fn datetime(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(raw) = self.raw(name)?.filter(|v| !v.is_empty()) else { return Ok(None) };
        let text = raw.trim();
        DateTime::parse_from_rfc3339(text)
            .or_else(
                |e| if text.contains(' ') { DateTime::parse_from_rfc3339(&text.replace(' ', "+")) } else { Err(e) },
            )
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                ApiError::invalid(format!(
                    "{name} must be an ISO 8601 datetime with a timezone, e.g. 2026-01-31T12:00:00Z, got {}",
                    shown(raw)
                ))
            })
    }

    /// One of a wire enum's values (exact spelling); the error lists the allowed values.
    pub fn one_of<T: FromStr + Copy + std::fmt::Display>(
        &self,
        name: &str,
        allowed: &[T],
    ) -> Result<Option<T>, ApiError> {
        let Some(raw) = self.raw(name)?.filter(|v| !v.is_empty()) else { return Ok(None) };
        raw.parse::<T>().map(Some).map_err(|_| invalid_choice(name, raw, allowed))
    }

    /// `page` (≥ 1, default 1) and `limit` (1..=max_limit, default 50).
    pub fn page(&self, max_limit: i64) -> Result<PageRequest, ApiError> {
        let page = self.int_in("page", 1, i64::MAX, 1)?;
        let limit = self.int_in("limit", 1, max_limit, 50)?;
        let offset = (page - 1)
            .checked_mul(limit)
            .ok_or_else(|| ApiError::invalid(format!("page {page} is too large for limit {limit}")))?;
        Ok(PageRequest { page, limit, offset })
    }

    /// 400 for any parameter not in `known` (endpoints whose Langfuse schema is strict).
    pub fn reject_unknown(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::invalid(format!(
                "unknown query parameter {}; this endpoint accepts {}",
                shown(k),
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Langfuse's JSON `filter` parameter is not implemented: refuse it rather than silently
    /// return unfiltered data.
    pub fn refuse_advanced_filter(&self) -> Result<(), ApiError> {
        match self.raw("filter")? {
            Some(v) if !v.is_empty() => Err(ApiError::invalid(
                "filter (the JSON filter expression) is not supported by this server; use the individual query parameters",
            )),
            _ => Ok(()),
        }
    }
}

pub fn invalid_choice<T: std::fmt::Display>(name: &str, got: &str, allowed: &[T]) -> ApiError {
    let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    ApiError::invalid(format!("{name} must be one of {}, got {}", allowed.join(", "), shown(got)))
}

/// The `{id}` segment of a route, decoded; a malformed segment is a JSON 400 like every other
/// error of the API (axum's own rejection is plain text).
#[derive(Debug, Clone)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| PathId(id))
            .map_err(|rejection| ApiError::invalid(format!("invalid id in the path: {}", rejection.body_text())))
    }
}

/// The two `{id}` segments of a nested route (`/annotation-queues/{queue}/items/{item}`), decoded;
/// a malformed one is a JSON 400 like [`PathId`]'s.
#[derive(Debug, Clone)]
pub struct PathIds(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path((first, second))| PathIds(first, second))
            .map_err(|rejection| ApiError::invalid(format!("invalid id in the path: {}", rejection.body_text())))
    }
}

/// Reads a JSON request body (at most `limit` bytes) into `T`; errors say what was expected.
pub async fn json_body<T: DeserializeOwned>(
    body: axum::body::Body,
    limit: usize,
    expected: &str,
) -> Result<T, ApiError> {
    let bytes = super::body::read_limited(body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(format!("the request body is empty; send JSON {expected}")));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid(format!("the request body must be JSON {expected}: {e}")))
}

/// A validated `page`/`limit` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub limit: i64,
    pub offset: i64,
}

impl PageRequest {
    pub fn window(self) -> Page {
        Page { limit: self.limit, offset: self.offset }
    }

    pub fn meta(self, total_items: i64) -> PageMeta {
        PageMeta::new(self.page, self.limit, total_items)
    }
}

/// Opaque cursors: base64url (no padding) of a small JSON document, so they survive URLs
/// unescaped. The decoder also accepts standard base64 in case a client re-encoded one.
pub fn encode_cursor<T: Serialize>(cursor: &T) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed = raw.trim();
    let bytes = URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE.decode(trimmed))
        .or_else(|_| STANDARD.decode(trimmed))
        .ok();
    bytes.and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| {
        ApiError::invalid(format!(
            "cursor {} is not a cursor returned by this endpoint; pass meta.cursor from the previous page unchanged",
            shown(raw)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        result.expect_err("should fail").message
    }

    #[test]
    fn repeated_and_single_parameters() {
        let p = Params::parse("tags=a&tags=b&tags=&name=x%20y&name2=");
        assert_eq!(p.all("tags"), ["a", "b"]);
        assert_eq!(p.string("name").unwrap().as_deref(), Some("x y"));
        assert_eq!(p.string("name2").unwrap(), None);
        assert!(message(p.string("tags")).contains("tags must be given at most once, got 3 values"));
    }

    #[test]
    fn pagination_defaults_and_bounds() {
        assert_eq!(Params::parse("").page(100).unwrap(), PageRequest { page: 1, limit: 50, offset: 0 });
        assert_eq!(Params::parse("page=3&limit=10").page(100).unwrap().offset, 20);
        assert_eq!(Params::parse("page=&limit=").page(100).unwrap().limit, 50);
        assert_eq!(message(Params::parse("limit=500").page(100)), "limit must be between 1 and 100, got \"500\"");
        assert!(message(Params::parse("limit=0").page(100)).contains("between 1 and 100"));
        assert!(message(Params::parse("page=0").page(100)).contains("page must be an integer ≥ 1"));
        assert!(message(Params::parse("page=abc").page(100)).contains("\"abc\""));
        assert!(message(Params::parse(&format!("page={}&limit=100", i64::MAX)).page(100)).contains("too large"));
    }

    #[test]
    fn datetimes_need_an_offset() {
        let p = Params::parse("a=2026-01-31T12:00:00Z&b=2026-01-31T14:00:00%2B02:00&c=2026-01-31T14:00:00+02:00&d=yesterday&e=2026-01-31T12:00:00");
        let noon = DateTime::parse_from_rfc3339("2026-01-31T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(p.datetime("a").unwrap(), Some(noon));
        assert_eq!(p.datetime("b").unwrap(), Some(noon));
        // `+` sent unencoded arrives as a space.
        assert_eq!(p.datetime("c").unwrap(), Some(noon));
        assert!(message(p.datetime("d")).starts_with("d must be an ISO 8601 datetime"));
        assert!(p.datetime("e").is_err());
        assert_eq!(p.datetime("missing").unwrap(), None);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct C {
            a: String,
        }
        let encoded = encode_cursor(&C { a: "x/y+z".into() });
        assert!(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
        assert_eq!(decode_cursor::<C>(&encoded).unwrap(), C { a: "x/y+z".into() });
        assert!(message(decode_cursor::<C>("not a cursor")).contains("not a cursor returned by this endpoint"));
        assert!(decode_cursor::<C>(&encode_cursor(&serde_json::json!({"b": 1}))).is_err());
    }

    #[test]
    fn unknown_parameters_and_choices() {
        let p = Params::parse("limit=1&bogus=2");
        assert!(message(p.reject_unknown(&["limit"])).contains("unknown query parameter \"bogus\""));
        let p = Params::parse("level=error");
        use loupe_app::domain::ObservationLevel;
        assert_eq!(
            message(p.one_of("level", ObservationLevel::ALL)),
            "level must be one of DEBUG, DEFAULT, WARNING, ERROR, got \"error\""
        );
    }
}
