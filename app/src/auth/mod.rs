//! Credential handling on the server: hashing and verifying passwords and API secret keys, the
//! random tokens behind session cookies and invitation links, and the account rules (sign-up,
//! sign-in, password change).

pub mod accounts;
pub mod secrets;
pub mod tokens;
