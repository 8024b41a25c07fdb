//! Loupe's server-side logic that is not HTTP and not UI: used by the app's server functions and
//! by the server (public API, startup) alike, so neither has to reach into the other. It has no
//! Leptos and no axum; it runs only on the server.
//!
//! - [`store`]: all database access, one module per table family.
//! - [`annotation`]: the scores people write in the annotation forms and queues (#20).
//! - [`auth`]: credentials — password and key hashing, tokens, account rules, throttling.
//! - [`mail`]: invitation emails over SMTP.
//! - [`metrics`]: the metrics query engine (dashboards, metrics API) and its hourly rollups.
//! - [`jobs`]: background jobs in Postgres.
//! - [`ingest`]: the storing half of ingestion (normalized batches → one transaction).
//! - [`pricing`]: model prices, tiers, tokenizers and cost.
//! - [`model_prices`]: the models page — "Test match", usage by pricing tier, cost recalculation.
//! - [`limits`]: plans' limits — units (quota), members, annotation queues — enforced in one place.
//! - [`retention`]: the daily deletion of a project's expired traces, observations and scores.
//! - [`live`]: the live-update hub (Postgres `LISTEN`/`NOTIFY` → subscribers).
//! - [`datasets_schema`]: datasets' JSON Schemas, enforced by every dataset item write.
//! - [`scope`]: `ProjectId` and `OrganizationId`, which only the access checks mint.

pub mod annotation;
pub mod auth;
pub mod collab;
pub mod datasets_schema;
pub mod experiments;
pub mod evaluation;
pub mod ingest;
pub mod jobs;
pub mod limits;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod model_prices;
pub mod pricing;
pub mod retention;
pub mod scope;
pub mod playground;
pub mod secrets;
pub mod store;
