//! Invitations: created by Admins and Owners (a link shown once; emailed only when SMTP is
//! configured), previewed by anyone holding the link, accepted by the invited person — signed
//! in, or while signing up.

use leptos::prelude::*;

use crate::domain::account::{CreatedInvitation, InvitationPreview, InvitationView};
use crate::domain::Role;
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) use server::{join, open_invitation};

#[cfg(feature = "ssr")]
mod server {
    use serde_json::json;
    use sqlx::PgConnection;

    use crate::server_fns::support::audit;
    use crate::domain::account::InvitationState;
    use crate::error::AppError;
    use crate::store::invitations::{self, Found};
    use crate::store::memberships;

    /// The open invitation behind `token`, addressed to `email`; a clear error otherwise. Locks
    /// the invitation until the transaction ends, so a link is used at most once.
    pub async fn open_invitation(conn: &mut PgConnection, token: &str, email: &str) -> Result<Found, AppError> {
        let found = invitations::find_by_token(conn, token, true)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.invitation)))?;
        if let Some(problem) = crate::pages::invite::invitation_problem(crate::language::request_locale(), found.state) {
            return Err(AppError::invalid("invitation", problem));
        }
        debug_assert_eq!(found.state, InvitationState::Open);
        if !found.email.eq_ignore_ascii_case(email.trim()) {
            return Err(AppError::invalid(
                "invitation",
                crate::language::say!(errors.invitations.for_other_email, email = found.email.as_str()),
            ));
        }
        Ok(found)
    }

    /// Makes the user a member as the invitation says, closes it and records the change;
    /// returns the page to open (the invited project, else home).
    pub async fn join(conn: &mut PgConnection, found: &Found, user_id: &str) -> Result<String, AppError> {
        // The plan's member limit (#22), under the organization's row lock until the commit.
        loupe_core::limits::check_member_add(conn, &found.org_id, loupe_core::limits::MemberAdd::Join { user_id })
            .await
            .map_err(crate::server_fns::usage::limit_error)?;
        memberships::add_if_missing(conn, &found.org_id, user_id, found.role).await?;
        if let Some((project_id, role)) = &found.project {
            memberships::set_project_role(conn, project_id, user_id, Some(*role)).await?;
        }
        invitations::mark_accepted(conn, &found.id, user_id).await?;
        audit(
            conn,
            user_id,
            &found.org_id,
            found.project.as_ref().map(|(p, _)| p),
            "member.join",
            "member",
            user_id,
            None,
            Some(json!({"email": found.email, "role": found.role, "invitation": found.id,
                        "projectRole": found.project.as_ref().map(|(p, r)| json!({"projectId": p, "role": r}))})),
        )
        .await?;
        Ok(match &found.project {
            Some((project_id, _)) => format!("/project/{project_id}"),
            None => "/".to_string(),
        })
    }
}

/// Open invitations of the organization (Admins and Owners).
#[server(prefix = "/api/ui", endpoint = "list_invitations")]
pub async fn list_invitations(org_id: String) -> Result<Vec<InvitationView>, AppError> {
    use crate::server_fns::support::{org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, scope, .. } = org_call(&org_id, crate::domain::Action::ManageMembers).await?;
        let org_id = scope.org_id;
        Ok(crate::store::invitations::open_for_org(&state.pool, &org_id).await?)
    }
    .await)
}

/// Invites `email` to the organization with `role`, optionally with a role override in one
/// project. Returns the link to share (shown once).
#[server(prefix = "/api/ui", endpoint = "create_invitation")]
pub async fn create_invitation(
    org_id: String,
    email: String,
    role: Role,
    project_id: Option<String>,
    project_role: Option<Role>,
) -> Result<CreatedInvitation, AppError> {
    use crate::server_fns::support::{audit, base_url, org_call, respond, OrgCall};
    use crate::domain::Action;
    use crate::store::invitations::{self, InviteError, NewInvitation};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, Action::ManageMembers).await?;
        let org_id = scope.org_id.clone();
        let email = email.trim().to_string();
        if !crate::auth::accounts::valid_email(&email) {
            return Err(AppError::invalid("email", crate::language::say!(errors.account.invalid_email)));
        }
        for granted in [Some(role), project_role].into_iter().flatten() {
            if !scope.role.can_assign(granted) {
                return Err({
                    let locale = crate::language::request_locale();
                    AppError::Forbidden(crate::language::say!(
                        errors.invitations.may_not_grant,
                        role = crate::components::layout::role_label(locale, scope.role),
                        granted = crate::components::layout::role_label(locale, granted)
                    ))
                });
            }
        }
        let project_id = project_id.filter(|p| !p.is_empty());
        let project = match (&project_id, project_role) {
            (Some(project_id), Some(project_role)) => {
                let Some(project) = crate::store::projects::in_organization(&state.pool, project_id, &org_id).await? else {
                    return Err(AppError::NotFound(crate::language::say!(errors.not_found.project, id = project_id)));
                };
                Some((project, project_role))
            }
            (None, None) => None,
            _ => return Err(AppError::invalid("project_role", crate::language::say!(errors.invitations.project_and_role))),
        };
        let mut tx = state.pool.begin().await?;
        // The plan's member limit counts open invitations too (#22).
        loupe_core::limits::check_member_add(&mut tx, &org_id, loupe_core::limits::MemberAdd::Invitation)
            .await
            .map_err(crate::server_fns::usage::limit_error)?;
        let (invitation, token) = invitations::create(
            &mut tx,
            NewInvitation { org_id: &org_id, email: &email, role, project: project.as_ref().map(|(p, r)| (p, *r)), invited_by: &user.user_id },
        )
        .await
        .map_err(|error| match error {
            InviteError::Database(e) => AppError::from(e),
            InviteError::AlreadyInvited(email) => AppError::invalid("email", crate::language::say!(errors.invitations.already_invited, email)),
            InviteError::AlreadyMember(email) => AppError::invalid("email", crate::language::say!(errors.invitations.already_member, email)),
        })?;
        audit(
            &mut tx,
            &user.user_id,
            &org_id,
            project.as_ref().map(|(p, _)| p),
            "invitation.create",
            "invitation",
            &invitation.id,
            None,
            Some(serde_json::json!({"email": email, "role": role, "projectId": project.as_ref().map(|(p, _)| p.as_str()), "projectRole": project_role})),
        )
        .await?;
        tx.commit().await?;
        let link = format!("{}/invite/{token}", base_url(&state));
        // Email after the commit: the invitation exists whether or not the mail goes out, and
        // the link is shown either way.
        let (emailed, email_error) = match &state.settings.mailer {
            None => (false, None),
            Some(mailer) => {
                let (org_name, inviter) = crate::store::invitations::sender(&state.pool, &org_id, &user.user_id).await?;
                let (subject, body) = crate::language::invitation_email(crate::language::request_locale(), &org_name, &inviter, role, &link);
                match mailer.send_invitation(&email, &subject, &body).await {
                    Ok(()) => (true, None),
                    Err(error) => {
                        tracing::warn!(%error, "could not email an invitation");
                        (false, Some(error))
                    }
                }
            }
        };
        Ok(CreatedInvitation { invitation, link, emailed, email_error })
    }
    .await)
}

/// Withdraws an open invitation; its link stops working.
#[server(prefix = "/api/ui", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(org_id: String, invitation_id: String) -> Result<(), AppError> {
    use crate::server_fns::support::{audit, org_call, respond, OrgCall};
    respond(async {
        let OrgCall { state, user, scope } = org_call(&org_id, crate::domain::Action::ManageMembers).await?;
        let org_id = scope.org_id;
        let mut tx = state.pool.begin().await?;
        let email = crate::store::invitations::revoke(&mut tx, &org_id, &invitation_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.open_invitation, id = invitation_id.as_str())))?;
        audit(&mut tx, &user.user_id, &org_id, None, "invitation.revoke", "invitation", &invitation_id,
            Some(serde_json::json!({"email": email})), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// What an invitation link offers; needs no sign-in (the link is the credential).
#[server(prefix = "/api/ui", endpoint = "preview_invitation")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let mut conn = state.pool.acquire().await?;
        let found = crate::store::invitations::find_by_token(&mut conn, &token, false)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.invitation)))?;
        Ok(found.preview)
    }
    .await)
}

/// Accepts an invitation as the signed-in person; returns the page to open.
#[server(prefix = "/api/ui", endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<String, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let state = state()?;
        let user = crate::auth::access::signed_in()?;
        let summary = crate::store::accounts::summary(&state.pool, &user.user_id).await?.ok_or(AppError::SignInRequired)?;
        let mut tx = state.pool.begin().await?;
        let found = open_invitation(&mut tx, &token, &summary.email).await?;
        let next = join(&mut tx, &found, &user.user_id).await?;
        tx.commit().await?;
        Ok(next)
    }
    .await)
}
