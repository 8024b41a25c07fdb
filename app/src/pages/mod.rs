//! One module per route (or family of routes).

pub mod account;
pub mod annotation_queues;
pub mod auth;
pub mod coming_soon;
pub mod datasets;
pub mod evaluators;
pub mod home;
pub mod invite;
pub mod llm_connections;
pub mod not_found;
pub mod organization;
pub mod playground;
pub mod project;
pub mod project_settings;
pub mod prompt_detail;
pub mod prompt_new;
pub mod prompts;
pub mod score_configs;
pub mod scores;
pub mod sessions;
pub mod trace_detail;
pub mod traces;
pub mod users;
