//! Ids of the things inside a project. Clients choose them (an SDK sends a trace's id), so these
//! types label a string, they do not vouch for it: what makes a read safe is the `ProjectId` beside
//! them, which only an access check can produce (`loupe_core::scope`). What the labels buy is that
//! a trace id cannot be passed where an observation id is expected, or the other way round, in the
//! functions that take both.
//!
//! The wire types (`trace_views::Trace::id` and the rest) keep plain strings: they are Langfuse's
//! JSON shapes, read and written by programs that know nothing of these types.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id!(
    /// A trace's id (`traces.id`).
    TraceId
);
id!(
    /// An observation's id (`observations.id`), unique within its project.
    ObservationId
);
