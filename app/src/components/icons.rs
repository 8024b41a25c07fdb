//! Line icons drawn for Loupe (24×24 grid, stroke = currentColor), one per navigation section.

use leptos::prelude::*;

use crate::sections::Section;

fn icon_paths(section: Section) -> &'static [&'static str] {
    match section {
        Section::Home => &["M3 11.5 12 4l9 7.5", "M5.5 9.5V20h13V9.5", "M10 20v-5h4v5"],
        Section::Traces => &["M4 5h10", "M7 10h11", "M10 15h7", "M6 20h8"],
        Section::Sessions => &["M4 5h16v10H9l-5 4z", "M8 9h8", "M8 12h5"],
        Section::Users => &["M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M4 21c0-4 3.6-7 8-7s8 3 8 7"],
        Section::Prompts => &["M6 3h9l4 4v14H6z", "M15 3v4h4", "M9 12h7", "M9 16h5"],
        Section::Playground => &["M7 4l13 8-13 8z"],
        Section::Scores => &["M4 20V10", "M10 20V4", "M16 20v-7", "M22 20H2"],
        Section::AnnotationQueues => &["M4 6h16", "M4 12h16", "M4 18h10", "M17 16l2 2 3-4"],
        Section::Datasets => &["M12 3c4.4 0 8 1.3 8 3s-3.6 3-8 3-8-1.3-8-3 3.6-3 8-3z", "M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6", "M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"],
        Section::Evaluators => &["M12 3l2.5 5.5L20 9l-4 4 1 6-5-3-5 3 1-6-4-4 5.5-.5z"],
        Section::Dashboards => &["M4 4h7v9H4z", "M13 4h7v5h-7z", "M13 11h7v9h-7z", "M4 15h7v5H4z"],
        Section::Settings => &["M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M12 2v3", "M12 19v3", "M2 12h3", "M19 12h3", "M4.9 4.9l2.1 2.1", "M17 17l2.1 2.1", "M4.9 19.1 7 17", "M17 7l2.1-2.1"],
    }
}

#[component]
pub fn SectionIcon(section: Section, #[prop(optional, into)] class: Option<&'static str>) -> impl IntoView {
    view! {
        <svg
            class=class.unwrap_or("h-4 w-4 shrink-0")
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.75"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
        >
            {icon_paths(section).iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}

/// Loupe's mark: a magnifying loupe.
#[component]
pub fn LoupeMark() -> impl IntoView {
    view! {
        <svg class="h-6 w-6 text-indigo-600 dark:text-indigo-400" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.25" stroke-linecap="round" aria-hidden="true">
            <circle cx="10" cy="10" r="6.5" />
            <path d="M15 15l6 6" />
        </svg>
    }
}

fn line_icon(paths: &'static [&'static str], class: &'static str) -> impl IntoView {
    view! {
        <svg class=class viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            {paths.iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}

/// A padlock: a protected prompt label.
#[component]
pub fn LockIcon(#[prop(optional)] class: Option<&'static str>) -> impl IntoView {
    line_icon(&["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 7 0v3"], class.unwrap_or("h-3 w-3 shrink-0"))
}

/// A folder: a prompt folder (names split at `/`).
#[component]
pub fn FolderIcon(#[prop(optional)] class: Option<&'static str>) -> impl IntoView {
    line_icon(&["M3 6.5h6l2 2h10V19H3z"], class.unwrap_or("h-4 w-4 shrink-0 text-zinc-500"))
}
