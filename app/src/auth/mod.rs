//! Credential handling on the server: hashing and verifying passwords and API secret keys, the
//! random tokens behind session cookies and invitation links, the account rules (sign-up,
//! sign-in, password change), the session cookie, sign-in throttling, and the access checks every
//! server function starts with.

pub mod access;
pub mod accounts;
pub mod secrets;
pub mod session;
pub mod throttle;
pub mod tokens;
