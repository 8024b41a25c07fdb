//! Prompt management in the UI: the list, a prompt's versions and their metrics, new versions,
//! label moves (protected labels for Admins and Owners), deletion and the project's protected
//! labels. Every change is audited in its transaction. The rules are the public API's
//! (`store::prompts`, `domain::prompts`), so the UI and the SDKs see one behaviour.

use leptos::prelude::*;

use crate::domain::prompts::{NewPrompt, PromptHistory, PromptListPage, PromptVersion, PromptVersionMetrics};
use crate::error::AppError;

pub const PAGE_SIZE: u32 = 50;

#[cfg(feature = "ssr")]
impl From<crate::store::prompts::WriteError> for AppError {
    fn from(e: crate::store::prompts::WriteError) -> Self {
        use crate::store::prompts::WriteError;
        match e {
            WriteError::Invalid(f) => invalid(f),
            WriteError::NotFound(message) => AppError::NotFound(message),
            WriteError::Database(e) => e.into(),
        }
    }
}

#[cfg(feature = "ssr")]
fn invalid(e: crate::domain::prompts::FieldError) -> AppError {
    AppError::invalid(&e.field, crate::components::prompt_editor::prompt_problem(crate::language::request_locale(), &e))
}

/// The prompts of a folder (`""`: the top), with sub-folders first, or every prompt whose name
/// or tag matches `search` (then folders are not grouped).
#[server(prefix = "/api/ui", endpoint = "list_prompts")]
pub async fn list_prompts(
    project_id: String,
    #[server(default)] folder: String,
    #[server(default)] search: String,
    #[server(default)] page: u32,
) -> Result<PromptListPage, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::domain::prompts::PromptListEntry;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let folder = folder.trim_matches('/').to_string();
        let search = search.trim();
        let summaries = crate::store::prompts::summaries(&state.pool, &project_id, (!search.is_empty()).then_some(search)).await?;
        let mut entries: Vec<PromptListEntry> = Vec::new();
        if !search.is_empty() {
            entries.extend(summaries.into_iter().map(PromptListEntry::Prompt));
        } else {
            let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
            let mut folders: std::collections::BTreeMap<String, i64> = Default::default();
            let mut prompts = Vec::new();
            for summary in summaries {
                let Some(rest) = summary.name.strip_prefix(&prefix) else { continue };
                match rest.split_once('/') {
                    Some((sub, _)) => *folders.entry(format!("{prefix}{sub}")).or_default() += 1,
                    None => prompts.push(PromptListEntry::Prompt(summary)),
                }
            }
            entries.extend(folders.into_iter().map(|(path, prompts)| PromptListEntry::Folder { path, prompts }));
            entries.extend(prompts);
        }
        let total = entries.len() as i64;
        let page = page.max(1);
        let mut entries: Vec<PromptListEntry> =
            entries.into_iter().skip(((page - 1) * PAGE_SIZE) as usize).take(PAGE_SIZE as usize).collect();
        let names: Vec<String> = entries
            .iter()
            .filter_map(|e| match e {
                PromptListEntry::Prompt(p) => Some(p.name.clone()),
                PromptListEntry::Folder { .. } => None,
            })
            .collect();
        let usage = crate::store::prompts::usage(&state.pool, &project_id, &names).await?;
        for entry in &mut entries {
            if let PromptListEntry::Prompt(p) = entry {
                p.usage = usage.get(&p.name).copied().unwrap_or(0);
            }
        }
        Ok(PromptListPage { folder, entries, total, page, page_size: PAGE_SIZE })
    }
    .await)
}

/// A prompt's versions (newest first), the project's protected labels, what the caller may do,
/// and the prompts that reference this one.
#[server(prefix = "/api/ui", endpoint = "get_prompt_history")]
pub async fn get_prompt_history(project_id: String, name: String) -> Result<PromptHistory, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, Action::ReadProjectData).await?;
        let project_id = scope.project_id.clone();
        let mut conn = state.pool.acquire().await?;
        let versions = crate::store::prompts::versions(&mut conn, &project_id, &name).await?;
        if versions.is_empty() {
            return Err(AppError::NotFound(crate::language::say!(errors.not_found.prompt, name = &name)));
        }
        Ok(PromptHistory {
            protected_labels: crate::store::prompts::protected_labels(&mut conn, &project_id).await?,
            dependents: crate::store::prompts::dependents(&mut conn, &project_id, &name).await?,
            name,
            versions,
            can_write: scope.role.can(Action::WritePrompts),
            can_move_protected: scope.role.can(Action::MoveProtectedPromptLabels),
        })
    }
    .await)
}

/// The version with its prompt references resolved (the text the SDKs receive).
#[server(prefix = "/api/ui", endpoint = "resolve_prompt_version")]
pub async fn resolve_prompt_version(project_id: String, name: String, version: i32) -> Result<PromptVersion, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::domain::prompts::PromptSelector;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let mut conn = state.pool.acquire().await?;
        let selector = PromptSelector::Version(version);
        let mut found = crate::store::prompts::get(&mut conn, &project_id, &name, &selector)
            .await?
            .ok_or_else(|| AppError::NotFound(selector.not_found(&name)))?;
        let resolved = crate::store::prompt_graph::resolve(&mut conn, &project_id, &found).await?;
        found.prompt = resolved.prompt;
        Ok(found)
    }
    .await)
}

/// Per-version numbers of the generations linked to the prompt, newest version first.
#[server(prefix = "/api/ui", endpoint = "get_prompt_metrics")]
pub async fn get_prompt_metrics(project_id: String, name: String) -> Result<Vec<PromptVersionMetrics>, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        Ok(crate::store::prompts::metrics(&state.pool, &project_id, &name).await?)
    }
    .await)
}

/// Creates a prompt, or a new version of one (Members and up). Labels on protected labels need
/// an Admin or Owner. JSON-encoded: the prompt's config is arbitrary JSON, which a form encoding
/// would flatten to strings.
#[server(prefix = "/api/ui", endpoint = "create_prompt_version", input = leptos::server_fn::codec::Json)]
pub async fn create_prompt_version(project_id: String, prompt: NewPrompt) -> Result<PromptVersion, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WritePrompts).await?;
        let prompt = prompt.normalize().map_err(invalid)?;
        let mut tx = state.pool.begin().await?;
        let created = create_version_audited(&mut tx, &scope, &user.user_id, &prompt, false).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// The shared draft of `name`'s next version (#19), as it stands: made from the newest version
/// the first time anybody opens it. Any member may read it; the editor then joins it live.
#[server(prefix = "/api/ui", endpoint = "open_prompt_draft")]
pub async fn open_prompt_draft(project_id: String, name: String) -> Result<crate::domain::collab::prompt_draft::DraftView, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, Action::ReadProjectData).await?;
        let (generation, shared) = loupe_core::collab::prompt_draft::read(&state.pool, &scope.project_id, &name)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.prompt, name = &name)))?;
        Ok(crate::domain::collab::prompt_draft::DraftView { generation, shared })
    }
    .await)
}

/// Publishes the shared draft of `name` as its next version: the draft as stored (every
/// acknowledged change of everyone in it), checked by the same rules as any new version; the
/// draft then starts again from the new version and everyone in it is told. The document is
/// locked from the read to the reset, so no change is lost in between.
#[server(prefix = "/api/ui", endpoint = "publish_prompt_draft")]
pub async fn publish_prompt_draft(project_id: String, name: String) -> Result<PromptVersion, AppError> {
    use crate::domain::collab::Notice;
    use crate::domain::Action;
    use crate::server_fns::support::{author_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WritePrompts).await?;
        let project_id = scope.project_id.clone();
        let by = author_name(&state.pool, &user.user_id).await?;
        let mut tx = state.pool.begin().await?;
        let (document, _, shared) = loupe_core::collab::prompt_draft::lock(&mut tx, &project_id, &name)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::language::say!(errors.not_found.prompt, name = &name)))?;
        let prompt = shared.draft.to_new_prompt().map_err(invalid)?;
        let created = create_version_audited(&mut tx, &scope, &user.user_id, &prompt, true).await?;
        let version = created.version;
        loupe_core::collab::prompt_draft::restart(&mut tx, document, &created, |generation| Notice::Published { version, by, generation }).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// Throws the shared draft of `name` away: it starts again from the newest version and
/// everyone in it is told.
#[server(prefix = "/api/ui", endpoint = "discard_prompt_draft")]
pub async fn discard_prompt_draft(project_id: String, name: String) -> Result<(), AppError> {
    use crate::domain::collab::Notice;
    use crate::domain::Action;
    use crate::server_fns::support::{audit, author_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WritePrompts).await?;
        let project_id = scope.project_id.clone();
        let by = author_name(&state.pool, &user.user_id).await?;
        let mut tx = state.pool.begin().await?;
        let not_found = || AppError::NotFound(crate::language::say!(errors.not_found.prompt, name = &name));
        let (document, generation, _) = loupe_core::collab::prompt_draft::lock(&mut tx, &project_id, &name).await?.ok_or_else(not_found)?;
        let latest = crate::store::prompts::versions(&mut tx, &project_id, &name).await?.into_iter().next().ok_or_else(not_found)?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(&project_id), "prompt_draft.discard", "prompt", &latest.id, None,
              Some(serde_json::json!({"name": name, "generation": generation}))).await?;
        loupe_core::collab::prompt_draft::restart(&mut tx, document, &latest, |generation| Notice::Discarded { by, generation }).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// A new version (already normalized) in the caller's transaction: protected labels checked,
/// stored, audited. The editor's form and the shared draft's publish both end here.
#[cfg(feature = "ssr")]
async fn create_version_audited(
    tx: &mut sqlx::PgConnection,
    scope: &crate::auth::access::ProjectScope,
    user_id: &str,
    prompt: &NewPrompt,
    from_shared_draft: bool,
) -> Result<PromptVersion, AppError> {
    use crate::server_fns::support::audit;
    check_protected(tx, scope, &scope.project_id, &prompt.labels).await?;
    let created = crate::store::prompts::create_version(tx, &scope.project_id, prompt, user_id, Some(user_id)).await?;
    let mut after = serde_json::json!({"name": created.name, "version": created.version, "labels": created.labels,
                                       "commitMessage": created.commit_message});
    if from_shared_draft {
        after["fromSharedDraft"] = serde_json::Value::Bool(true);
    }
    audit(tx, user_id, &scope.org_id, Some(&scope.project_id), "prompt.create", "prompt", &created.id, None, Some(after)).await?;
    Ok(created)
}

/// Protected labels may be set or moved only by roles with `MoveProtectedPromptLabels`.
#[cfg(feature = "ssr")]
async fn check_protected(
    conn: &mut sqlx::PgConnection,
    scope: &crate::auth::access::ProjectScope,
    project_id: &loupe_core::scope::ProjectId,
    labels: &[String],
) -> Result<(), AppError> {
    use crate::domain::Action;
    if labels.is_empty() || scope.role.can(Action::MoveProtectedPromptLabels) {
        return Ok(());
    }
    let protected = crate::store::prompts::protected_labels(conn, project_id).await?;
    if let Some(label) = labels.iter().find(|l| protected.contains(l)) {
        return Err(AppError::Forbidden(crate::language::say!(errors.prompts.label_protected, label)));
    }
    Ok(())
}

/// Moves `label` onto a version (taking it from the version that held it), or, with
/// `remove`, takes it off that version.
#[server(prefix = "/api/ui", endpoint = "set_prompt_label")]
pub async fn set_prompt_label(
    project_id: String,
    name: String,
    version: i32,
    label: String,
    #[server(default)] remove: bool,
) -> Result<PromptVersion, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use crate::domain::prompts::{check_assignable_labels, PromptSelector};
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WritePrompts).await?;
        let project_id = scope.project_id.clone();
        check_assignable_labels(std::slice::from_ref(&label)).map_err(|mut e| {
            e.field = "label".into();
            invalid(e)
        })?;
        let mut tx = state.pool.begin().await?;
        check_protected(&mut tx, &scope, &project_id, std::slice::from_ref(&label)).await?;
        let before = crate::store::prompts::get(&mut tx, &project_id, &name, &PromptSelector::Label(label.clone())).await?;
        let updated = if remove {
            crate::store::prompts::remove_label(&mut tx, &project_id, &name, version, &label).await?
        } else {
            crate::store::prompts::add_labels(&mut tx, &project_id, &name, version, std::slice::from_ref(&label)).await?
        };
        audit(
            &mut tx,
            &user.user_id,
            &scope.org_id,
            Some(&project_id),
            if remove { "prompt.label_remove" } else { "prompt.label_move" },
            "prompt",
            &updated.id,
            Some(serde_json::json!({"name": name, "label": label, "version": before.map(|b| b.version)})),
            Some(serde_json::json!({"name": name, "label": label, "version": (!remove).then_some(version)})),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }
    .await)
}

/// Deletes one version, or the whole prompt (`version` absent). Refused while another prompt
/// references what would go.
#[server(prefix = "/api/ui", endpoint = "delete_prompt")]
pub async fn delete_prompt(project_id: String, name: String, #[server(default)] version: Option<i32>) -> Result<u64, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use crate::domain::prompts::PromptSelector;
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::WritePrompts).await?;
        let project_id = scope.project_id.clone();
        let mut tx = state.pool.begin().await?;
        let selector = version.map(PromptSelector::Version);
        // Deleting the version that holds a protected label moves that label away: the same rule.
        let doomed_labels: Vec<String> = match &selector {
            Some(s) => crate::store::prompts::get(&mut tx, &project_id, &name, s).await?.map(|v| v.labels).unwrap_or_default(),
            None => crate::store::prompts::versions(&mut tx, &project_id, &name).await?.into_iter().flat_map(|v| v.labels).collect(),
        };
        check_protected(&mut tx, &scope, &project_id, &doomed_labels).await?;
        let deleted = crate::store::prompts::delete(&mut tx, &project_id, &name, selector.as_ref()).await?;
        if deleted.is_empty() {
            return Err(AppError::NotFound(match selector {
                Some(s) => s.not_found(&name),
                None => format!("Prompt not found: '{name}'"),
            }));
        }
        audit(
            &mut tx,
            &user.user_id,
            &scope.org_id,
            Some(&project_id),
            "prompt.delete",
            "prompt",
            &name,
            Some(serde_json::json!({"name": name, "versions": deleted})),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(deleted.len() as u64)
    }
    .await)
}

/// Replaces the project's protected labels (Admins and Owners).
#[server(prefix = "/api/ui", endpoint = "set_protected_prompt_labels")]
pub async fn set_protected_prompt_labels(project_id: String, #[server(default)] labels: Vec<String>) -> Result<Vec<String>, AppError> {
    use crate::server_fns::support::{audit, project_call, respond, ProjectCall};
    use crate::domain::prompts::check_assignable_labels;
    use crate::domain::Action;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, Action::MoveProtectedPromptLabels).await?;
        let project_id = scope.project_id.clone();
        let mut labels: Vec<String> = labels.into_iter().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        check_assignable_labels(&labels).map_err(invalid)?;
        labels.sort();
        labels.dedup();
        let mut tx = state.pool.begin().await?;
        let before = crate::store::prompts::set_protected_labels(&mut tx, &project_id, &labels).await?;
        audit(
            &mut tx,
            &user.user_id,
            &scope.org_id,
            Some(&project_id),
            "prompt.protected_labels",
            "project",
            project_id.as_str(),
            Some(serde_json::json!({"labels": before})),
            Some(serde_json::json!({"labels": labels})),
        )
        .await?;
        tx.commit().await?;
        Ok(labels)
    }
    .await)
}
