//! Loupe's server-side logic that is not HTTP and not UI: used by the app's server functions and
//! by the server (public API, startup) alike, so neither has to reach into the other. It has no
//! Leptos and no axum; it runs only on the server.
//!
//! Today: background jobs ([`jobs`]). The store (all SQL), auth, mail, pricing, the live hub and
//! the storing half of ingestion move here next (issue #15; see ARCHITECTURE.md, "Crates").

pub mod jobs;
