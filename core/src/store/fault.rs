//! What a database error means for the caller, decided in one place from its SQLSTATE, so the
//! public API, the server functions and ingestion agree: an outage is retryable (503), a value the
//! database refuses is the client's mistake (400, never 500), a duplicate is a conflict (409),
//! a missing row is not found (404), anything else is the server's (500). Store functions return
//! [`StoreError`], built from [`fault`]; code holding a raw `sqlx::Error` asks [`fault`] itself.

/// The caller-relevant kind of a failed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The database is unreachable or overloaded: retry later.
    Outage,
    /// A value sent by the client cannot be stored or compared (a NUL character, a value too
    /// long for an index, a number out of range): a message a person can act on.
    BadValue(String),
    /// A row with the same identity exists (unique or exclusion violation): the named
    /// constraint says which. The caller decides the words (a 409 names what already exists).
    Conflict { constraint: String },
    /// A row the statement required is not there.
    NotFound,
    /// The project, or an API key the write carries, is gone: the refusal of ingestion's project
    /// lock (`loupe_lock_project`, `ingest::writer::lock_project`). Its own kind, not
    /// [`Fault::NotFound`], so that the public API answers it as revoked credentials (401) and
    /// nothing else that finds no row is mistaken for it.
    Gone,
    /// Anything else: a bug or an unexpected state, kept in the server log.
    Other,
}

/// Classifies `error`. Connection-level failures and Postgres's "cannot connect now" / "too many
/// connections" / admin shutdown codes are outages; class 22 (data exception), 54000 (program
/// limit exceeded: index row size) and 23514 (check violation) are bad values; 23505 and 23P01
/// are conflicts; sqlx's `RowNotFound` (a `fetch_one` that found nothing) is not-found; P0002
/// (`no_data_found`, raised only by `loupe_lock_project`: Loupe has no `SELECT … INTO STRICT`)
/// is gone.
pub fn fault(error: &sqlx::Error) -> Fault {
    match error {
        sqlx::Error::RowNotFound => Fault::NotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => Fault::Outage,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
                "57P01" | "57P02" | "57P03" | "53300" => Fault::Outage,
                // character_not_in_repertoire: NUL in text; untranslatable_character: \u0000 in jsonb
                "22021" | "22P05" => Fault::BadValue(
                    "a value contains a NUL character (\\u0000), which cannot be stored or searched; remove it".into(),
                ),
                "54000" => Fault::BadValue(format!("a value is too long to be indexed: {}", db.message())),
                c if c.starts_with("22") || c == "23514" => Fault::BadValue(format!("a value was refused: {}", db.message())),
                c if c.starts_with("08") => Fault::Outage,
                // unique_violation, exclusion_violation
                "23505" | "23P01" => Fault::Conflict { constraint: db.constraint().unwrap_or_default().to_string() },
                "P0002" => Fault::Gone,
                _ => Fault::Other,
            }
        }
        _ => Fault::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_outages() {
        assert_eq!(fault(&sqlx::Error::PoolTimedOut), Fault::Outage);
        assert_eq!(fault(&sqlx::Error::Io(std::io::Error::other("reset"))), Fault::Outage);
        assert_eq!(fault(&sqlx::Error::RowNotFound), Fault::NotFound);
        assert_eq!(fault(&sqlx::Error::Protocol("garbled".into())), Fault::Other);
    }
}

/// The error of every store function: a database error already classified by [`fault`], or a
/// dataset schema's refusal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("not found")]
    NotFound,
    #[error("conflicts with an existing row ({constraint})")]
    Conflict { constraint: String },
    #[error("{0}")]
    BadValue(String),
    /// A dataset's JSON Schema refuses the write, or a schema sent is not one
    /// (`crate::datasets_schema`): the client's mistake, a 400 naming the field. Not a database
    /// error, but every dataset write returns it, so each caller maps it where it maps the rest.
    #[error("{0}")]
    Schema(crate::datasets_schema::SchemaError),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        match fault(&error) {
            Fault::Outage => StoreError::Unavailable(error),
            Fault::NotFound | Fault::Gone => StoreError::NotFound,
            Fault::Conflict { constraint } => StoreError::Conflict { constraint },
            Fault::BadValue(message) => StoreError::BadValue(message),
            Fault::Other => StoreError::Other(error),
        }
    }
}
