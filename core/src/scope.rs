//! Typed scoping: a query scoped to a project takes a [`ProjectId`], one scoped to an organization
//! an [`OrganizationId`], and neither can be made from a bare string outside this crate.
//!
//! Where one comes from is the point. The constructor is `pub(crate)`, and this crate mints them
//! only where the caller's right to the scope has just been established:
//!
//! - the access check of a signed-in person ([`crate::auth::access`]: their standing in the
//!   project or organization, with the role checked against the action);
//! - a public API key's lookup ([`crate::store::api_keys::find_by_public_key`]; the server
//!   verifies the secret before it uses the key's project);
//! - a public trace's share link ([`crate::store::traces::public_project`]);
//! - a project's or organization's own row (creating one, background jobs over all of them).
//!
//! So a project id from a URL, a form or a request body is a `&str` until the access check has
//! turned it into a `ProjectId`, and a project id cannot be passed where an organization id is
//! meant. The types live here rather than in `loupe-domain` because that crate is compiled to
//! WebAssembly too and anything in it can be built (or deserialized) anywhere; what reaches the
//! browser carries ids as plain strings. Neither type implements `Deserialize` or `sqlx::Decode`
//! for the same reason: a request body or a stray query cannot produce one.

use std::fmt;

use sqlx::encode::IsNull;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
use sqlx::{Encode, Postgres, Type};

macro_rules! scope_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Only where the right to this scope was just established (see the module docs).
            pub(crate) fn vouched(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        // Bound as text, so `.bind(project_id)` reads as before; no `Decode` (see the module docs).
        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <str as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <str as Type<Postgres>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, sqlx::error::BoxDynError> {
                <&str as Encode<'q, Postgres>>::encode(self.0.as_str(), buf)
            }

            fn size_hint(&self) -> usize {
                self.0.len()
            }
        }
    };
}

scope_id! {
    /// A project the caller may act in (see the module docs for where one comes from).
    ProjectId
}

scope_id! {
    /// An organization the caller may act in (see the module docs for where one comes from).
    OrganizationId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_compares_as_its_text() {
        let id = ProjectId::vouched("proj-a");
        assert_eq!(id.to_string(), "proj-a");
        assert_eq!(id, "proj-a");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"proj-a\"");
    }
}
