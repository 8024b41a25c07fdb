//! Every integration test of the server, in one test binary.
//!
//! One binary rather than one per file: each test binary links the whole server (~330 MB with
//! debug info), so forty-three of them cost ~14 GB of disk per checkout and forty-three links per
//! CI run; one binary also starts one throw-away Postgres cluster instead of forty-three. Every
//! test still gets its own migrated database (`common::fresh_database`), so tests of different
//! files share nothing but the cluster. Run one file's tests with
//! `cargo test -p loupe-server --test integration otel::`.

mod common;

mod accounts;
mod annotation_queues;
mod annotation_ui;
mod assets;
mod bootstrap;
mod cli;
mod comments;
mod connections;
mod dashboards;
mod datasets_api;
mod datasets_ui;
mod documents;
mod documents_durability;
mod durability;
mod evaluator_views;
mod evaluators;
mod experiments;
mod explorer;
mod fuzz_corpus;
mod hostile;
mod http;
mod ingest_interleaved;
mod ingestion;
mod jobs;
mod live;
mod llm_connections;
mod media;
mod media_bucket;
mod metrics_api;
mod model_prices_ui;
mod models;
mod otel;
mod plans;
mod playground;
mod project_deletion;
mod prompts;
mod public_auth;
mod public_reads;
mod quota_writers;
mod retention;
mod scores_page;
mod store_errors;
mod teams;
mod trace_list;
