//! The request side of authentication: the session cookie (`session`) and the access checks
//! every server function starts with (`access`). Credential hashing, tokens, the account rules
//! and throttling are in `loupe_core::auth`, re-exported here so both read as `auth::…`.

pub mod access;
pub mod session;

pub use loupe_core::auth::{accounts, secrets, throttle, tokens};
