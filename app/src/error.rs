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
    #[error("the database is not available right now; try again in a moment")]
    Unavailable,
    #[error("something went wrong on the server; the details are in the server log")]
    Internal,
    /// Transport-level failures (network, encoding) reported by the server function machinery.
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(%error, "database unavailable");
                AppError::Unavailable
            }
            sqlx::Error::RowNotFound => AppError::NotFound("the requested record".to_string()),
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal
            }
        }
    }
}
