//! Domain types shared by the server and the browser. Plain serde types only: no database or
//! HTTP dependencies, so they build for wasm. A crate of its own (`loupe-domain`, inside `app/`
//! because these are the app's types) so that `loupe-core`, which `app` depends on for its
//! server functions, can use them too; `app` re-exports it as `loupe_app::domain`.

pub mod account;
pub mod annotation;
pub mod collab;
pub mod comments;
pub mod content;
pub mod dashboards;
pub mod evaluators;
pub mod datasets;
pub mod dataset_io;
pub mod experiment_stats;
pub mod experiments;
pub mod format;
pub mod ids;
pub mod jobs;
pub mod json;
pub mod language;
pub mod llm_connections;
pub mod models;
pub mod otel_inspector;
pub mod live;
pub mod metrics_query;
pub mod project;
pub mod prompt_diff;
pub mod prompt_draft;
pub mod prompts;
pub mod retention;
pub mod password_policy;
pub mod playground;
pub mod permissions;
pub mod plans;
pub mod role;
pub mod score_stats;
pub mod score_views;
pub mod system;
pub mod trace_detail;
pub mod trace_list;
pub mod trace_views;
pub mod url;
pub mod waterfall;
pub mod tracing;

pub use ids::{ObservationId, TraceId};
pub use permissions::Action;
pub use role::Role;
pub use system::SystemStatus;
pub use tracing::{ObservationLevel, ObservationType, ScoreDataType, ScoreSource};
