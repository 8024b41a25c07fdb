//! The error type of every server function: a closed set of kinds the UI can act on, serialized
//! as JSON. Internal failures keep their detail in the server log, never in the response.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// No session, or it ended: the page offers to sign in again.
    #[error("You are not signed in, or your session has ended. Sign in again to continue.")]
    SignInRequired,
    /// The person's role does not allow the action; the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// Something with the same identity already exists (a duplicate name or id).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (e.g. failed sign-ins); the message says when to try again.
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("the database is not available right now; try again in a moment")]
    Unavailable,
    #[error("something went wrong on the server; the details are in the server log")]
    Internal,
    /// Transport-level failures (network, encoding) reported by the server function machinery.
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    /// The HTTP status the server function answers with, so clients other than the UI (and the
    /// isolation tests) see a 4xx for a refusal rather than a 500.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 400,
            AppError::SignInRequired => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Unavailable => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// The message for a form: for `Invalid`, without the field name (the form shows it beside
    /// the field).
    pub fn message(&self) -> String {
        match self {
            AppError::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// [`AppError::message`] for the UI, in `locale`: the kinds whose text the browser writes
    /// itself (signed out, unavailable, internal, transport, "not found: …") are translated; the
    /// others carry the server's message, which the server wrote in the person's language
    /// (`language::say`, from the request's account language or `Accept-Language`).
    pub fn message_in(&self, locale: crate::i18n::Locale) -> String {
        use crate::i18n::td_string;
        match self {
            AppError::SignInRequired => td_string!(locale, common.errors.sign_in_required).to_string(),
            AppError::Unavailable => td_string!(locale, common.errors.unavailable).to_string(),
            AppError::Internal => td_string!(locale, common.errors.internal).to_string(),
            AppError::Transport(detail) => td_string!(locale, common.errors.transport, detail = detail.as_str()).to_string(),
            AppError::NotFound(what) => td_string!(locale, common.errors.not_found_what, what = what.as_str()).to_string(),
            // The server wrote these in the person's language already (`language::say`).
            other => other.message(),
        }
    }
}

impl From<crate::domain::permissions::Forbidden> for AppError {
    fn from(value: crate::domain::permissions::Forbidden) -> Self {
        #[cfg(feature = "ssr")]
        let locale = crate::language::request_locale();
        #[cfg(not(feature = "ssr"))]
        let locale = crate::i18n::Locale::default();
        AppError::Forbidden(crate::language::forbidden(locale, &value))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request's arguments did not decode: the caller's mistake, said as such.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::Invalid { field: "arguments".to_string(), message }
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(crate::store::StoreError::from(error))
    }
}

/// Every store failure, by its kind (`store::fault` classifies): an outage is a 503, a missing
/// row a 404, a duplicate a 409, a refused value a 400 saying which kind of value, anything else
/// a 500 with the details in the log only.
#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::Unavailable(error) => {
                tracing::warn!(%error, "database unavailable");
                AppError::Unavailable
            }
            StoreError::NotFound => AppError::NotFound(crate::language::say!(errors.not_found.record)),
            StoreError::Conflict { constraint } => {
                tracing::debug!(%constraint, "conflict");
                AppError::Conflict(crate::language::say!(errors.conflict))
            }
            // The database refused a value the person sent (a NUL character, an over-long
            // value): their mistake, said as such, never a 500.
            StoreError::BadValue(message) => AppError::Invalid { field: "value".to_string(), message },
            // A dataset's JSON Schema refused an item (or a schema is not one): the field it names.
            StoreError::Schema(problem) => AppError::Invalid { field: problem.field().to_string(), message: problem.to_string() },
            StoreError::Other(error) => {
                tracing::error!(%error, "database error");
                AppError::Internal
            }
        }
    }
}
