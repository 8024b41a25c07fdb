//! Credential handling on the server: hashing and verifying passwords and API secret keys.

pub mod secrets;
