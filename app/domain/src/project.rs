//! A project as its API key sees it (`GET /api/public/projects`): what the SDKs' `auth_check()`
//! and experiment runners read to confirm the key and build UI links.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSummary {
    pub id: String,
    pub name: String,
    pub organization: OrganizationRef,
    pub metadata: Map<String, Value>,
    /// Days after which tracing data is deleted; omitted when data is kept forever (as Langfuse
    /// omits it for 0 or null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRef {
    pub id: String,
    pub name: String,
}
