//! Credential handling on the server: hashing and verifying passwords and API secret keys, and
//! the random tokens behind session cookies and invitation links.

pub mod secrets;
pub mod tokens;
