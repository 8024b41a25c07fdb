//! Comments with mentions (#20): an object's thread, writing, editing and deleting comments, the
//! members one may mention, and the signed-in person's inbox of mentions.
//!
//! Every project's members read comments; Members and up write them (`Action::WriteScores`, the
//! permission that covers scores and comments) and edit and delete their own; Admins and Owners
//! delete anyone's. Writes are audited in their transaction. Marking mentions read is the
//! person's own state, like their language, and is not audited.

use leptos::prelude::*;

use crate::domain::comments::{CommentEntry, Inbox, MentionCandidate, ObjectType};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod rules {
    use crate::auth::access::ProjectScope;
    use crate::domain::comments::{check_content, Comment, CommentEntry, ContentProblem};
    use crate::domain::Action;
    use crate::error::AppError;

    /// What the reader may do with a comment: edit their own while they may write; delete their
    /// own, or anyone's as an Admin or Owner.
    pub fn entry(scope: &ProjectScope, comment: Comment, author_name: Option<String>) -> CommentEntry {
        let writer = scope.role.can(Action::WriteScores);
        let own = comment.author_user_id.as_deref() == Some(scope.user_id.as_str());
        CommentEntry { comment, author_name, can_edit: writer && own, can_delete: writer && (own || scope.role.can(Action::ManageProjectSettings)) }
    }

    /// The content to store, or a refusal naming the field in the person's language.
    pub fn content(content: &str) -> Result<&str, AppError> {
        check_content(content).map_err(|problem| match problem {
            ContentProblem::Empty => AppError::invalid("content", crate::language::say!(comments.errors.empty)),
            ContentProblem::TooLong { chars } => AppError::invalid(
                "content",
                crate::language::say!(comments.errors.too_long, max = crate::domain::comments::MAX_CONTENT_CHARS, chars = chars),
            ),
        })
    }

    pub fn not_found(id: &str) -> AppError {
        AppError::NotFound(crate::language::say!(comments.errors.not_found, id = id))
    }
}

/// An object's thread, oldest first.
#[server(prefix = "/api/ui", endpoint = "list_comments")]
pub async fn list_comments(project_id: String, object_type: ObjectType, object_id: String) -> Result<Vec<CommentEntry>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let thread = crate::store::comments::thread(&state.pool, &scope.project_id, object_type, &object_id).await?;
        Ok(thread.into_iter().map(|(comment, author)| rules::entry(&scope, comment, author)).collect())
    }
    .await)
}

/// Comments on an object of the project; mentions of its members reach their inbox.
#[server(prefix = "/api/ui", endpoint = "create_comment")]
pub async fn create_comment(project_id: String, object_type: ObjectType, object_id: String, content: String) -> Result<CommentEntry, AppError> {
    use crate::server_fns::support::{audit, author_name, project_call, respond, ProjectCall};
    use crate::store::comments::{self, NewComment};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let content = rules::content(&content)?;
        if !comments::object_exists(&state.pool, &scope.project_id, object_type, &object_id).await? {
            return Err(AppError::NotFound(crate::language::say!(comments.errors.object_not_found, id = &object_id)));
        }
        let mut tx = state.pool.begin().await?;
        let new = NewComment { object_type, object_id: &object_id, content, author_user_id: Some(&user.user_id) };
        let (comment, mentioned) = comments::create(&mut tx, &scope.project_id, &new).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "comment.create", "comment", &comment.id, None,
            Some(serde_json::json!({"objectType": object_type, "objectId": object_id, "mentioned": mentioned}))).await?;
        tx.commit().await?;
        let name = author_name(&state.pool, &user.user_id).await?;
        Ok(rules::entry(&scope, comment, Some(name)))
    }
    .await)
}

/// Replaces the content of one's own comment (mentions follow: new ones reach the inbox).
#[server(prefix = "/api/ui", endpoint = "edit_comment")]
pub async fn edit_comment(project_id: String, comment_id: String, content: String) -> Result<CommentEntry, AppError> {
    use crate::server_fns::support::{audit, author_name, project_call, respond, ProjectCall};
    use crate::store::comments;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        let content = rules::content(&content)?;
        let mut tx = state.pool.begin().await?;
        let before = comments::get(&mut tx, &scope.project_id, &comment_id).await?.ok_or_else(|| rules::not_found(&comment_id))?;
        if before.author_user_id.as_deref() != Some(user.user_id.as_str()) {
            return Err(AppError::Forbidden(crate::language::say!(comments.errors.not_yours)));
        }
        let comment = comments::update_own(&mut tx, &scope.project_id, &comment_id, &user.user_id, content).await?.ok_or_else(|| rules::not_found(&comment_id))?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "comment.update", "comment", &comment.id,
            Some(serde_json::json!({"content": before.content})), Some(serde_json::json!({"content": comment.content}))).await?;
        tx.commit().await?;
        let name = author_name(&state.pool, &user.user_id).await?;
        Ok(rules::entry(&scope, comment, Some(name)))
    }
    .await)
}

/// Deletes one's own comment, or anyone's for an Admin or Owner.
#[server(prefix = "/api/ui", endpoint = "delete_comment")]
pub async fn delete_comment(project_id: String, comment_id: String) -> Result<(), AppError> {
    use crate::domain::Action;
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use crate::store::comments;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WriteScores).await?;
        let mut tx = state.pool.begin().await?;
        let comment = comments::get(&mut tx, &scope.project_id, &comment_id).await?.ok_or_else(|| rules::not_found(&comment_id))?;
        let own = comment.author_user_id.as_deref() == Some(user.user_id.as_str());
        if !own && !scope.role.can(Action::ManageProjectSettings) {
            return Err(AppError::Forbidden(crate::language::say!(comments.errors.not_yours_to_delete)));
        }
        comments::delete(&mut tx, &scope.project_id, &comment_id, None).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&scope.project_id), "comment.delete", "comment", &comment.id,
            Some(serde_json::json!({"objectType": comment.object_type, "objectId": comment.object_id, "content": comment.content, "author": comment.author_user_id})),
            None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// The project's members, for the composer's `@` list (those who write comments only).
#[server(prefix = "/api/ui", endpoint = "list_comment_members")]
pub async fn list_comment_members(project_id: String) -> Result<Vec<MentionCandidate>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::WriteScores).await?;
        Ok(crate::store::comments::members(&state.pool, &scope.project_id).await?)
    }
    .await)
}

/// A page (from 0) of the signed-in person's mentions, newest first: in one project, or across
/// all of theirs when `project_id` is absent.
#[server(prefix = "/api/ui", endpoint = "list_mentions")]
pub async fn list_mentions(project_id: Option<String>, #[server(default)] page: i64) -> Result<Inbox, AppError> {
    use crate::server_fns::support::{project_call, respond, state};
    respond(async {
        if !(0..=10_000).contains(&page) {
            return Err(AppError::invalid("page", crate::language::say!(errors.pages_start_at_zero)));
        }
        let (pool, user_id, project) = match project_id.filter(|p| !p.is_empty()) {
            Some(project_id) => {
                let call = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
                (call.state.pool, call.user.user_id, Some(call.scope.project_id))
            }
            None => (state()?.pool, crate::auth::access::signed_in()?.user_id, None),
        };
        let page_size = crate::domain::comments::INBOX_PAGE;
        Ok(crate::store::comments::inbox(&pool, &user_id, project.as_ref(), page, page_size).await?)
    }
    .await)
}

/// How many of the signed-in person's mentions are unread, across their projects (the top bar's
/// bell). Their own mentions only, so it takes no project.
#[server(prefix = "/api/ui", endpoint = "unread_mention_count")]
pub async fn unread_mention_count() -> Result<i64, AppError> {
    use crate::server_fns::support::{respond, state};
    respond(async {
        let user = crate::auth::access::signed_in()?;
        Ok(crate::store::comments::unread_count(&state()?.pool, &user.user_id, None).await?)
    }
    .await)
}

/// Marks the signed-in person's mentions read: one comment's (`project_id` and `comment_id`),
/// a project's (`project_id`), or all of them (neither). Answers the unread count left across
/// their projects.
#[server(prefix = "/api/ui", endpoint = "mark_mentions_read")]
pub async fn mark_mentions_read(project_id: Option<String>, comment_id: Option<String>) -> Result<i64, AppError> {
    use crate::server_fns::support::{project_call, respond, state};
    use crate::store::comments;
    respond(async {
        let comment_id = comment_id.filter(|c| !c.is_empty());
        match project_id.filter(|p| !p.is_empty()) {
            Some(project_id) => {
                let call = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
                match comment_id {
                    Some(comment_id) => comments::mark_read(&call.state.pool, &call.user.user_id, &call.scope.project_id, &comment_id).await?,
                    None => comments::mark_all_read(&call.state.pool, &call.user.user_id, Some(&call.scope.project_id)).await? > 0,
                };
                Ok(comments::unread_count(&call.state.pool, &call.user.user_id, None).await?)
            }
            None if comment_id.is_some() => Err(AppError::invalid("project_id", crate::language::say!(comments.errors.project_needed))),
            None => {
                let (pool, user) = (state()?.pool, crate::auth::access::signed_in()?);
                comments::mark_all_read(&pool, &user.user_id, None).await?;
                Ok(comments::unread_count(&pool, &user.user_id, None).await?)
            }
        }
    }
    .await)
}
