//! Loupe's server-side logic that is not HTTP and not UI: used by the app's server functions and
//! by the server (public API, startup) alike, so neither has to reach into the other. It has no
//! Leptos and no axum; it runs only on the server.
//!
//! - [`store`]: all database access, one module per table family.
//! - [`auth`]: credentials — password and key hashing, tokens, account rules, throttling.
//! - [`mail`]: invitation emails over SMTP.
//! - [`jobs`]: background jobs in Postgres.
//!
//! Pricing, the live hub and the storing half of ingestion move here next (issue #15).

pub mod auth;
pub mod jobs;
pub mod mail;
pub mod store;
