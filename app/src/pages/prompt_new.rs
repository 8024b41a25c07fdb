//! `/project/{id}/prompts/new`: the editor for a new prompt; `?name=<name>` for a new version
//! of one (prefilled from its latest version, or `&version=N`); `?from=<name>&version=N` for a
//! duplicate under a new name. The source version is read with `get_prompt_history`, on the
//! server, so the prefilled form arrives with the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use crate::server_fns::prompts::{get_prompt_history, open_prompt_draft};
use crate::components::shared_doc::SharedDoc;
use crate::domain::collab::prompt_draft::DraftView;
use crate::domain::collab::DocumentKind;
use crate::components::prompt_editor::{EditorMode, PromptEditor};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::playground::Playground;
use crate::domain::prompt_draft::PromptDraft;
use crate::domain::prompts::prompt_href;
use crate::domain::prompts::{PromptHistory, PromptVersion};
use crate::domain::Action;
use crate::error::AppError;
use crate::pages::project::InProject;
use crate::pages::prompts::role_label;
use crate::i18n::*;

#[component]
pub fn PromptNewPage() -> impl IntoView {
    // The prompt the form starts from is loaded by a resource made here, at the top of the route,
    // not inside the project's Transition (see `prompt_detail::PromptPage` for why).
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let query = use_query_map();
    let source = Memo::new(move |_| query.with(Source::of));
    // `?playground=<json>`: the content comes from the playground's "save as" (#18).
    let playground = Memo::new(move |_| query.with(|q| q.get("playground")));
    let loaded = Resource::new(move || (project_id.get(), source.get(), playground.get()), move |(project_id, source, playground)| async move {
        let history = match source.prompt_name() {
            Some(name) => Some(get_prompt_history(project_id.clone(), name.to_string()).await?),
            None => None,
        };
        let playground = playground.and_then(|json| serde_json::from_str::<Playground>(&json).ok());
        // "New version" of a prompt, from its newest version: the shared draft (#19).
        let shared = match (&source, &playground) {
            (Source::NextVersion { name, version: None }, None) => Some(open_prompt_draft(project_id, name.clone()).await?),
            _ => None,
        };
        Ok::<_, AppError>((source, history, playground, shared))
    });
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, prompts.new_prompt) />
        <InProject children=move |_, project| view! { <NewPromptView project loaded /> } />
    }
}

/// For Viewers, outside a shared draft.
fn not_allowed(locale: Locale, role: crate::domain::Role) -> AnyView {
    view! {
        <PageHeader title=td_string!(locale, prompts.new_prompt) />
        <p class="text-sm text-zinc-600 dark:text-zinc-300" data-testid="editor-not-allowed">
            {td_string!(locale, prompts.new.not_allowed, role = role_label(locale, role)).to_string()}
        </p>
    }
    .into_any()
}

/// What the form starts from, as the URL says.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Source {
    Blank,
    /// A new version of `name`, based on `version` (the latest when absent).
    NextVersion { name: String, version: Option<i32> },
    /// A new prompt with the content of `from`'s `version` (the latest when absent).
    Duplicate { from: String, version: Option<i32> },
}

impl Source {
    fn of(query: &ParamsMap) -> Source {
        let get = |key: &str| query.get(key).filter(|v| !v.is_empty());
        let version = get("version").and_then(|v| v.parse().ok());
        match (get("name"), get("from")) {
            (Some(name), _) => Source::NextVersion { name, version },
            (None, Some(from)) => Source::Duplicate { from, version },
            (None, None) => Source::Blank,
        }
    }

    fn prompt_name(&self) -> Option<&str> {
        match self {
            Source::Blank => None,
            Source::NextVersion { name, .. } => Some(name),
            Source::Duplicate { from, .. } => Some(from),
        }
    }

    fn version(&self) -> Option<i32> {
        match self {
            Source::Blank => None,
            Source::NextVersion { version, .. } | Source::Duplicate { version, .. } => *version,
        }
    }
}

type Loaded = (Source, Option<PromptHistory>, Option<Playground>, Option<DraftView>);

#[component]
fn NewPromptView(project: ProjectRef, loaded: Resource<Result<Loaded, AppError>>) -> impl IntoView {
    let list = format!("/project/{}/prompts", project.id);
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // Viewers may watch a shared draft (the server refuses their changes); nothing else here.
    let can_write = project.can(Action::WritePrompts);
    let role = project.role;
    let project_id = project.id.clone();
    view! {
        <div class="max-w-6xl space-y-4 px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=list>{t_string!(i18n, prompts.back_to_prompts)}</a>
            <Transition fallback=move || view! { <Skeleton label=t_string!(i18n, prompts.loading_prompt) /> }>
                {move || {
                    let project_id = project_id.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok((_, _, _, None)) if !can_write => not_allowed(locale, role),
                            Ok((source, history, playground, shared)) => editor(locale, project_id, source, history, playground, shared, can_write),
                            Err(error) => view! { <LoadError error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
    .into_any()
}

/// The header and the editor for what the URL asks, or why it cannot be shown.
fn editor(
    locale: Locale,
    project_id: String,
    source: Source,
    history: Option<PromptHistory>,
    playground: Option<Playground>,
    shared: Option<DraftView>,
    can_write: bool,
) -> AnyView {
    // The playground's content replaces the version's (its name, labels and tags stay).
    let with_playground = |mut draft: PromptDraft| {
        if let Some(playground) = &playground {
            draft.take_content(playground.to_prompt_content(0));
        }
        draft
    };
    let Some(history) = history else {
        return view! {
            <PageHeader title=td_string!(locale, prompts.new_prompt) subtitle=td_string!(locale, prompts.new.subtitle) />
            <PromptEditor project_id initial=with_playground(PromptDraft::default()) mode=EditorMode::New />
        }
        .into_any();
    };
    let Some(base) = base_version(&history, source.version()) else {
        let error = AppError::NotFound(td_string!(locale, errors.not_found.prompt_version, version = source.version().unwrap_or_default(), name = history.name.as_str()).to_string());
        return view! { <LoadError error /> }.into_any();
    };
    let page = prompt_href(&project_id, &history.name, None);
    match source {
        Source::NextVersion { .. } => {
            let latest = history.versions.first().map_or(0, |v| v.version);
            let mut initial = with_playground(PromptDraft::from_version(history.name.clone(), base));
            initial.keep_tags = true;
            let mode = EditorMode::NewVersion {
                latest,
                current_tags: history.versions.first().map(|v| v.tags.clone()).unwrap_or_default(),
                locked_labels: if history.can_move_protected { Vec::new() } else { history.protected_labels.clone() },
            };
            let title = td_string!(locale, prompts.new.version_title, name = history.name.clone()).to_string();
            let subtitle = td_string!(locale, prompts.new.version_subtitle, next = latest + 1, name = history.name.clone(), base = base.version).to_string();
            let Some(view) = shared else {
                return view! {
                    <PageHeader title subtitle>
                        <a class=BUTTON_SECONDARY href=page data-testid="back-to-prompt">{td_string!(locale, prompts.new.back_to_prompt)}</a>
                    </PageHeader>
                    <PromptEditor project_id initial mode />
                }
                .into_any();
            };
            // The shared draft: what everyone in it has written so far.
            let mut initial = view.shared.draft;
            initial.name = history.name.clone();
            let message_ids = view.shared.message_ids;
            let doc = SharedDoc::open(project_id.clone(), DocumentKind::PromptDraft, history.name.clone(), view.generation, can_write);
            view! {
                <PageHeader title subtitle>
                    <a class=BUTTON_SECONDARY href=page data-testid="back-to-prompt">{td_string!(locale, prompts.new.back_to_prompt)}</a>
                </PageHeader>
                <PromptEditor project_id initial mode shared=Some(doc) message_ids />
            }
            .into_any()
        }
        Source::Duplicate { .. } | Source::Blank => {
            let initial = with_playground(PromptDraft::from_version(format!("{}-copy", history.name), base));
            let title = td_string!(locale, prompts.new.duplicate_title, name = history.name.clone()).to_string();
            let subtitle = td_string!(locale, prompts.new.duplicate_subtitle, version = base.version, name = history.name.clone()).to_string();
            view! {
                <PageHeader title subtitle />
                <PromptEditor project_id initial mode=EditorMode::New />
            }
            .into_any()
        }
    }
}

/// The version to start from: the one asked for, else the newest.
fn base_version(history: &PromptHistory, version: Option<i32>) -> Option<&PromptVersion> {
    match version {
        Some(version) => history.version(version),
        None => history.versions.first(),
    }
}
