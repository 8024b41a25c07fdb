//! What the UI shows about people, organizations, projects, invitations, API keys and the audit
//! log: one definition each, filled by `store` on the server and rendered by `pages` in the
//! browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::permissions::Action;
use super::role::Role;

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_instance_admin: bool,
    /// The UI language they chose (a code of [`crate::language::LANGUAGES`]); `None` follows the
    /// browser.
    #[serde(default)]
    pub language: Option<String>,
}

impl UserSummary {
    /// The name when there is one, else the email.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.email)
    }
}

/// A project as the person sees it: with their effective role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl ProjectRef {
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }
}

/// An organization the person belongs to, with the projects in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRef {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub projects: Vec<ProjectRef>,
}

impl OrganizationRef {
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }
}

/// Everything the shell needs about the signed-in person: who they are and where they belong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: UserSummary,
    pub organizations: Vec<OrganizationRef>,
    pub sign_up_enabled: bool,
}

impl SessionInfo {
    pub fn project(&self, project_id: &str) -> Option<(&OrganizationRef, &ProjectRef)> {
        self.organizations
            .iter()
            .find_map(|org| org.projects.iter().find(|p| p.id == project_id).map(|p| (org, p)))
    }

    pub fn organization(&self, org_id: &str) -> Option<&OrganizationRef> {
        self.organizations.iter().find(|org| org.id == org_id)
    }
}

/// A member of an organization, with any per-project role overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    /// `(project id, project name, role)` where the member's role differs from `role`.
    pub project_roles: Vec<ProjectRoleOverride>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRoleOverride {
    pub project_id: String,
    pub project_name: String,
    pub role: Role,
}

/// An invitation that has not been accepted or revoked yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub project_role: Option<Role>,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A freshly created invitation: the link is shown once to the person who invited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvitation {
    pub invitation: InvitationView,
    pub link: String,
    /// Whether the link was also sent by email (only when SMTP is configured).
    pub emailed: bool,
    /// Why sending the email failed, when SMTP is configured and it did.
    pub email_error: Option<String>,
}

/// What someone holding an invitation link sees before accepting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub state: InvitationState,
    /// Whether an account with the invited email exists (sign in) or not (sign up).
    pub has_account: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Open,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationState {
    /// Why an invitation that is not open cannot be used, for the page and the API error.
    pub fn problem(self) -> Option<&'static str> {
        match self {
            InvitationState::Open => None,
            InvitationState::Accepted => Some("This invitation has already been used. Ask for a new one if you still need access."),
            InvitationState::Revoked => Some("This invitation was withdrawn. Ask an Admin of the organization for a new one."),
            InvitationState::Expired => Some("This invitation has expired. Ask an Admin of the organization for a new one."),
        }
    }
}

/// A project in the organization's project list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectListItem {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub api_keys: i64,
}

/// An API key as listed: the secret only in its masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub public_key: String,
    /// `sk-lf-...abcd`.
    pub display_secret_key: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key just created: the only time the secret is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret_key: String,
    /// The URL the SDKs should use (`LANGFUSE_HOST`).
    pub host: String,
}

impl CreatedApiKey {
    /// A ready-to-paste `.env` snippet for the Langfuse SDKs.
    pub fn env_snippet(&self) -> String {
        format!(
            "LANGFUSE_PUBLIC_KEY=\"{}\"\nLANGFUSE_SECRET_KEY=\"{}\"\nLANGFUSE_HOST=\"{}\"\n",
            self.key.public_key, self.secret_key, self.host
        )
    }
}

/// One recorded change, with names resolved for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntryView {
    /// What changed, one line per field: `(field, before, after)`, values as people read them
    /// (strings without quotes, `—` for absent). Objects are compared key by key and only
    /// differing keys are listed; anything else is one line with an empty field name.
    pub fn changes(&self) -> Vec<(String, String, String)> {
        fn show(value: Option<&Value>) -> String {
            match value {
                None | Some(Value::Null) => "—".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            }
        }
        match (self.before.as_ref(), self.after.as_ref()) {
            (before @ (None | Some(Value::Object(_))), after @ (None | Some(Value::Object(_)))) if before.is_some() || after.is_some() => {
                let empty = serde_json::Map::new();
                let b = before.and_then(Value::as_object).unwrap_or(&empty);
                let a = after.and_then(Value::as_object).unwrap_or(&empty);
                let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .filter(|k| b.get(*k) != a.get(*k))
                    .map(|k| (k.clone(), show(b.get(k)), show(a.get(k))))
                    .collect()
            }
            (before, after) => vec![(String::new(), show(before), show(after))],
        }
    }
}

/// Who did what an audit entry records. Serialized as the person's email (a string), `{"apiKey":
/// "pk-lf-…"}`, or `"deleted"`: words for it belong to the page, in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuditActor {
    /// A user or key deleted since. (Before `Person`: untagged variants are tried in order, and
    /// an email always has an `@`, so none reads as `"deleted"`.)
    Deleted(DeletedActor),
    Person(String),
    ApiKey { #[serde(rename = "apiKey")] public_key: String },
}

/// The marker of [`AuditActor::Deleted`] (serialized `"deleted"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletedActor {
    Deleted,
}

/// Filters of the audit log page; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub action: String,
    pub actor: String,
    pub project_id: String,
    /// Continue after this entry id (entries are newest first).
    pub before_id: Option<i64>,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before_id` for the next page; `None` at the end.
    pub next_before_id: Option<i64>,
    /// Distinct actions recorded in this organization, for the filter's choices.
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_changes_read_per_field() {
        let entry = |before: Option<Value>, after: Option<Value>| AuditEntryView {
            id: 1, created_at: Utc::now(), actor: AuditActor::Person("a".into()), action: "x".into(), resource_type: "member".into(),
            resource_id: "u".into(), project_id: None, project_name: None, before, after,
        };
        let role = entry(Some(serde_json::json!({"role": "MEMBER", "email": "a@b"})), Some(serde_json::json!({"role": "ADMIN", "email": "a@b"})));
        assert_eq!(role.changes(), vec![("role".to_string(), "MEMBER".to_string(), "ADMIN".to_string())]);
        let created = entry(None, Some(serde_json::json!({"name": "Shop", "public": true})));
        assert_eq!(created.changes(), vec![("name".into(), "—".into(), "Shop".into()), ("public".into(), "—".into(), "true".into())]);
        assert_eq!(entry(Some(serde_json::json!(3)), None).changes(), vec![(String::new(), "3".into(), "—".into())]);
        assert!(entry(None, None).changes().len() == 1);
    }

    #[test]
    fn audit_actors_keep_their_json_shapes() {
        let person = AuditActor::Person("ada@example.com".into());
        let key = AuditActor::ApiKey { public_key: "pk-lf-1".into() };
        let deleted = AuditActor::Deleted(DeletedActor::Deleted);
        for (actor, json) in [
            (&person, serde_json::json!("ada@example.com")),
            (&key, serde_json::json!({"apiKey": "pk-lf-1"})),
            (&deleted, serde_json::json!("deleted")),
        ] {
            assert_eq!(serde_json::to_value(actor).unwrap(), json);
            let back: AuditActor = serde_json::from_value(json).unwrap();
            assert_eq!(&back, actor);
        }
    }
}

/// A person as other people see them in a project: their account id and display name (their
/// name, else their email). Annotation authors, reviewers, mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
}
