//! The vocabulary of tracing: observation types and levels, score data types and sources. Stored
//! and sent over the wire in Langfuse's spelling (`GENERATION`, `ERROR`, `NUMERIC`, ...).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            /// Exact wire spelling only; lenient parsing (aliases, case) belongs to ingestion.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownVariant { kind: stringify!($name), value: s.to_string() }),
                }
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

wire_enum!(
    /// What an observation is. `Span` is the default for anything not recognised.
    ObservationType {
        Span => "SPAN",
        Generation => "GENERATION",
        Event => "EVENT",
        Agent => "AGENT",
        Tool => "TOOL",
        Chain => "CHAIN",
        Retriever => "RETRIEVER",
        Evaluator => "EVALUATOR",
        Embedding => "EMBEDDING",
        Guardrail => "GUARDRAIL",
    }
);

impl ObservationType {
    /// Types that call a model and so carry model, usage and cost (Langfuse accepts generation
    /// fields on all of these).
    pub fn is_generation_like(self) -> bool {
        !matches!(self, ObservationType::Span | ObservationType::Event)
    }
}

wire_enum!(
    /// Severity of an observation; `Default` unless the SDK says otherwise.
    ObservationLevel {
        Debug => "DEBUG",
        Default => "DEFAULT",
        Warning => "WARNING",
        Error => "ERROR",
    }
);

wire_enum!(
    ScoreDataType {
        Numeric => "NUMERIC",
        Categorical => "CATEGORICAL",
        Boolean => "BOOLEAN",
        Text => "TEXT",
        Correction => "CORRECTION",
    }
);

wire_enum!(
    /// Who produced a score: the API (SDKs, feedback), an evaluator, or a person annotating.
    ScoreSource {
        Api => "API",
        Eval => "EVAL",
        Annotation => "ANNOTATION",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_round_trips() {
        for t in ObservationType::ALL {
            assert_eq!(t.as_str().parse::<ObservationType>().unwrap(), *t);
            assert_eq!(serde_json::to_string(t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        assert!("generation".parse::<ObservationType>().is_err());
        assert_eq!("ERROR".parse::<ObservationLevel>().unwrap(), ObservationLevel::Error);
        assert!(!ObservationType::Span.is_generation_like());
        assert!(ObservationType::Embedding.is_generation_like());
    }
}
