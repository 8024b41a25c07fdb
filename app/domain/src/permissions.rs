//! The permission matrix: which [`Role`] may take which [`Action`]. **The one place** access
//! rules live; server functions and public API routes ask [`Role::can`] (or [`require`]) and never
//! compare roles themselves. The matrix is documented in ARCHITECTURE.md ("Permissions").
//!
//! Viewers read; Members also write traces, scores, prompts and annotations; Admins also manage
//! members, API keys, projects and settings and read the audit log; Owners also delete the
//! organization and transfer ownership. Langfuse keeps project roles and audit logs behind an
//! enterprise licence; Loupe ships them open.

use serde::{Deserialize, Serialize};

use super::role::Role;

/// Everything a person can do that needs a permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// See traces, observations, sessions, scores, prompts, datasets and project settings.
    ReadProjectData,
    /// Delete traces, toggle a trace public, bookmark.
    WriteTraces,
    /// Create, edit and delete scores and comments.
    WriteScores,
    /// Create prompt versions and move unprotected labels.
    WritePrompts,
    /// Work annotation queues.
    WriteAnnotations,
    /// Create datasets and create, edit, archive, import and delete their items (#21).
    WriteDatasets,
    /// Create, edit and delete the project's custom dashboards (#22).
    WriteDashboards,
    /// Run prompts in the playground (spends the project's provider credits).
    UsePlayground,
    /// Save views of the traces list and delete one's own (an Admin deletes anyone's, through
    /// `ManageProjectSettings`).
    SaveViews,
    /// Move protected prompt labels (e.g. `production`).
    MoveProtectedPromptLabels,
    /// Create and revoke API keys.
    ManageApiKeys,
    /// Add, change and delete LLM connections (provider keys for the playground and evaluators).
    ManageLlmConnections,
    /// Rename a project, change its settings, delete it.
    ManageProjectSettings,
    /// Create projects in the organization.
    CreateProjects,
    /// Invite people, change roles (up to one's own), remove members.
    ManageMembers,
    /// Read the audit log.
    ReadAuditLog,
    /// Rename the organization.
    ManageOrganization,
    /// Delete the organization.
    DeleteOrganization,
    /// Make another member an Owner.
    TransferOwnership,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::ReadProjectData,
        Action::WriteTraces,
        Action::WriteScores,
        Action::WritePrompts,
        Action::WriteAnnotations,
        Action::WriteDatasets,
        Action::WriteDashboards,
        Action::UsePlayground,
        Action::SaveViews,
        Action::MoveProtectedPromptLabels,
        Action::ManageApiKeys,
        Action::ManageLlmConnections,
        Action::ManageProjectSettings,
        Action::CreateProjects,
        Action::ManageMembers,
        Action::ReadAuditLog,
        Action::ManageOrganization,
        Action::DeleteOrganization,
        Action::TransferOwnership,
    ];

    /// The least privileged role allowed to take this action; roles are ordered, so every more
    /// privileged role may take it too.
    pub fn minimum_role(self) -> Role {
        match self {
            Action::ReadProjectData => Role::Viewer,
            Action::WriteTraces
            | Action::WriteScores
            | Action::WritePrompts
            | Action::WriteAnnotations
            | Action::WriteDatasets
            | Action::WriteDashboards
            | Action::UsePlayground
            | Action::SaveViews => Role::Member,
            Action::MoveProtectedPromptLabels
            | Action::ManageApiKeys
            | Action::ManageLlmConnections
            | Action::ManageProjectSettings
            | Action::CreateProjects
            | Action::ManageMembers
            | Action::ReadAuditLog
            | Action::ManageOrganization => Role::Admin,
            Action::DeleteOrganization | Action::TransferOwnership => Role::Owner,
        }
    }

    /// A sentence for "you may not …" messages.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadProjectData => "read this project's data",
            Action::WriteTraces => "change traces",
            Action::WriteScores => "add or change scores",
            Action::WritePrompts => "change prompts",
            Action::WriteAnnotations => "annotate",
            Action::WriteDatasets => "change datasets",
            Action::WriteDashboards => "change dashboards",
            Action::UsePlayground => "run prompts in the playground",
            Action::SaveViews => "save views",
            Action::MoveProtectedPromptLabels => "move protected prompt labels",
            Action::ManageApiKeys => "manage API keys",
            Action::ManageLlmConnections => "manage LLM connections",
            Action::ManageProjectSettings => "change project settings",
            Action::CreateProjects => "create projects",
            Action::ManageMembers => "manage members and invitations",
            Action::ReadAuditLog => "read the audit log",
            Action::ManageOrganization => "change organization settings",
            Action::DeleteOrganization => "delete the organization",
            Action::TransferOwnership => "transfer ownership",
        }
    }
}

impl Role {
    /// Whether this role may take `action`.
    pub fn can(self, action: Action) -> bool {
        // Role's derived order runs from Owner (least) to Viewer (greatest).
        self <= action.minimum_role()
    }

    /// Whether someone with this role may give `target` to a member: never above their own role,
    /// and Owner only through ownership transfer.
    pub fn can_assign(self, target: Role) -> bool {
        if target == Role::Owner {
            return self.can(Action::TransferOwnership);
        }
        self.can(Action::ManageMembers) && self <= target
    }
}

/// A person's role in a project: the project override when there is one, else the organization
/// role.
pub fn effective_role(organization_role: Role, project_override: Option<Role>) -> Role {
    project_override.unwrap_or(organization_role)
}

/// Refusal of an action, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("Your role ({}) may not {}; ask {} of the organization", role.label(), action.describe(), who_may(*action))]
pub struct Forbidden {
    pub role: Role,
    pub action: Action,
}

/// "an Owner", "an Admin or Owner", "a Member, Admin or Owner".
fn who_may(action: Action) -> String {
    let roles: Vec<&str> = Role::ALL.iter().rev().filter(|r| r.can(action)).map(|r| r.label()).collect();
    let article = if roles[0].starts_with(['A', 'O']) { "an" } else { "a" };
    match roles.split_last() {
        Some((last, [])) => format!("{article} {last}"),
        Some((last, rest)) => format!("{article} {} or {last}", rest.join(", ")),
        None => "an Owner".to_string(),
    }
}

/// `Ok` when `role` may take `action`.
pub fn require(role: Role, action: Action) -> Result<(), Forbidden> {
    if role.can(action) {
        Ok(())
    } else {
        Err(Forbidden { role, action })
    }
}

/// Why a membership change would leave the organization without an owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The organization must keep at least one Owner: make another member Owner first")]
pub struct LastOwner;

/// Checks that demoting or removing a member keeps an Owner. `owners` is the current number of
/// Owners; `member_is_owner` whether the member being changed is one; `new_role` `None` for removal.
pub fn keeps_an_owner(owners: usize, member_is_owner: bool, new_role: Option<Role>) -> Result<(), LastOwner> {
    let stays_owner = new_role == Some(Role::Owner);
    if member_is_owner && !stays_owner && owners <= 1 {
        Err(LastOwner)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix written out by hand (rows: actions; columns: Owner Admin Member Viewer), so a
    /// change to `minimum_role` must be a deliberate change here too.
    const EXPECTED: &str = "
        ReadProjectData            Y Y Y Y
        WriteTraces                Y Y Y .
        WriteScores                Y Y Y .
        WritePrompts               Y Y Y .
        WriteAnnotations           Y Y Y .
        WriteDatasets              Y Y Y .
        WriteDashboards            Y Y Y .
        UsePlayground              Y Y Y .
        SaveViews                  Y Y Y .
        MoveProtectedPromptLabels  Y Y . .
        ManageApiKeys              Y Y . .
        ManageLlmConnections       Y Y . .
        ManageProjectSettings      Y Y . .
        CreateProjects             Y Y . .
        ManageMembers              Y Y . .
        ReadAuditLog               Y Y . .
        ManageOrganization         Y Y . .
        DeleteOrganization         Y . . .
        TransferOwnership          Y . . .";

    #[test]
    fn matrix_is_as_documented() {
        let rows: Vec<&str> = EXPECTED.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), Action::ALL.len(), "every action has a row");
        for (row, action) in rows.iter().zip(Action::ALL) {
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cells[0], format!("{action:?}"));
            for (cell, role) in cells[1..].iter().zip(Role::ALL) {
                assert_eq!(role.can(action), *cell == "Y", "{role:?} × {action:?}");
            }
        }
    }

    #[test]
    fn roles_assign_at_most_their_own_and_owner_only_by_owners() {
        assert!(Role::Owner.can_assign(Role::Owner));
        assert!(Role::Owner.can_assign(Role::Viewer));
        assert!(!Role::Admin.can_assign(Role::Owner));
        assert!(Role::Admin.can_assign(Role::Admin));
        assert!(Role::Admin.can_assign(Role::Member));
        assert!(!Role::Member.can_assign(Role::Viewer));
        assert!(!Role::Viewer.can_assign(Role::Viewer));
    }

    #[test]
    fn project_override_wins() {
        assert_eq!(effective_role(Role::Viewer, Some(Role::Admin)), Role::Admin);
        assert_eq!(effective_role(Role::Admin, Some(Role::Viewer)), Role::Viewer);
        assert_eq!(effective_role(Role::Member, None), Role::Member);
    }

    #[test]
    fn the_last_owner_cannot_leave_or_be_demoted() {
        assert_eq!(keeps_an_owner(1, true, None), Err(LastOwner));
        assert_eq!(keeps_an_owner(1, true, Some(Role::Admin)), Err(LastOwner));
        assert_eq!(keeps_an_owner(1, true, Some(Role::Owner)), Ok(()));
        assert_eq!(keeps_an_owner(2, true, None), Ok(()));
        assert_eq!(keeps_an_owner(1, false, None), Ok(()));
    }

    #[test]
    fn refusals_say_who_may() {
        let error = require(Role::Viewer, Action::ManageApiKeys).unwrap_err();
        assert_eq!(error.to_string(), "Your role (Viewer) may not manage API keys; ask an Admin or Owner of the organization");
        assert!(require(Role::Member, Action::WriteScores).is_ok());
        assert!(require(Role::Admin, Action::DeleteOrganization).unwrap_err().to_string().ends_with("ask an Owner of the organization"));
        assert!(require(Role::Viewer, Action::WriteTraces).unwrap_err().to_string().ends_with("ask a Member, Admin or Owner of the organization"));
    }
}
