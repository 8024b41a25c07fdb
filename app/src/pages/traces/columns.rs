//! The list's columns: which exist, which are shown (remembered per project in the browser),
//! and the chooser.

use super::*;

/// The list's columns (besides the selection checkbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Time,
    Name,
    Input,
    Output,
    User,
    Session,
    Tags,
    Environment,
    Release,
    Latency,
    Tokens,
    Cost,
    Level,
    Scores,
}

impl Column {
    pub const ALL: [Column; 14] = [
        Column::Time,
        Column::Name,
        Column::Input,
        Column::Output,
        Column::User,
        Column::Session,
        Column::Tags,
        Column::Environment,
        Column::Release,
        Column::Latency,
        Column::Tokens,
        Column::Cost,
        Column::Level,
        Column::Scores,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Name => "name",
            Column::Input => "input",
            Column::Output => "output",
            Column::User => "user",
            Column::Session => "session",
            Column::Tags => "tags",
            Column::Environment => "environment",
            Column::Release => "release",
            Column::Latency => "latency",
            Column::Tokens => "tokens",
            Column::Cost => "cost",
            Column::Level => "level",
            Column::Scores => "scores",
        }
    }

    /// The column's heading in `locale`.
    pub fn label(self, locale: Locale) -> &'static str {
        match self {
            Column::Time => td_string!(locale, traces.columns.time),
            Column::Name => td_string!(locale, traces.columns.name),
            Column::Input => td_string!(locale, traces.columns.input),
            Column::Output => td_string!(locale, traces.columns.output),
            Column::User => td_string!(locale, traces.columns.user),
            Column::Session => td_string!(locale, traces.columns.session),
            Column::Tags => td_string!(locale, traces.columns.tags),
            Column::Environment => td_string!(locale, traces.columns.environment),
            Column::Release => td_string!(locale, traces.columns.release),
            Column::Latency => td_string!(locale, traces.columns.latency),
            Column::Tokens => td_string!(locale, traces.columns.tokens),
            Column::Cost => td_string!(locale, traces.columns.cost),
            Column::Level => td_string!(locale, traces.columns.level),
            Column::Scores => td_string!(locale, traces.columns.scores),
        }
    }

    pub(super) fn sort(self) -> Option<SortBy> {
        match self {
            Column::Time => Some(SortBy::Time),
            Column::Latency => Some(SortBy::Latency),
            Column::Cost => Some(SortBy::Cost),
            _ => None,
        }
    }

    pub(super) fn numeric(self) -> bool {
        matches!(self, Column::Latency | Column::Tokens | Column::Cost)
    }
}

/// Every column, all shown, in the default order.
/// Every column, in order; session, environment, release, tokens and level start hidden, so the
/// rest fits a laptop screen (1440 px) without scrolling sideways (a row's level still shows as
/// its tint, and the trace page has both).
pub fn default_columns() -> Vec<(Column, bool)> {
    Column::ALL
        .iter()
        .map(|c| (*c, !matches!(c, Column::Session | Column::Environment | Column::Release | Column::Tokens | Column::Level)))
        .collect()
}

/// The chooser's state as stored: `time,name,!input,…` (`!` = hidden), in display order.
pub fn encode_columns(columns: &[(Column, bool)]) -> String {
    columns.iter().map(|(c, shown)| format!("{}{}", if *shown { "" } else { "!" }, c.id())).collect::<Vec<_>>().join(",")
}

/// Reads a stored chooser state; unknown ids are dropped and columns it does not name (added in a
/// later version) are appended, shown.
pub fn decode_columns(stored: &str) -> Vec<(Column, bool)> {
    let mut columns: Vec<(Column, bool)> = Vec::new();
    for part in stored.split(',') {
        let (id, shown) = match part.strip_prefix('!') {
            Some(id) => (id, false),
            None => (part, true),
        };
        if let Some(column) = Column::ALL.iter().find(|c| c.id() == id) {
            if !columns.iter().any(|(c, _)| c == column) {
                columns.push((*column, shown));
            }
        }
    }
    for column in Column::ALL {
        if !columns.iter().any(|(c, _)| *c == column) {
            columns.push((column, true));
        }
    }
    columns
}

pub(super) fn columns_storage_key(project_id: &str) -> String {
    format!("loupe-trace-columns:{project_id}")
}

/// The stored chooser state of this project (browser only; the server renders the default).
pub(super) fn load_columns(_project_id: &str) -> Option<Vec<(Column, bool)>> {
    #[cfg(feature = "hydrate")]
    {
        let stored = window().local_storage().ok().flatten()?.get_item(&columns_storage_key(_project_id)).ok().flatten()?;
        return Some(decode_columns(&stored));
    }
    #[allow(unreachable_code)]
    None
}

pub(super) fn save_columns(_project_id: &str, _columns: &[(Column, bool)]) {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(storage)) = window().local_storage() {
        // Private browsing may refuse storage; the choice then lasts for this page.
        let _ = storage.set_item(&columns_storage_key(_project_id), &encode_columns(_columns));
    }
    let _ = columns_storage_key;
}

/// Show, hide and reorder the columns; remembered in this browser per project.
#[component]
pub(super) fn ColumnChooser(project_id: String, columns: RwSignal<Vec<(Column, bool)>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let project_id = StoredValue::new(project_id);
    let change = move |f: &dyn Fn(&mut Vec<(Column, bool)>)| {
        columns.update(|c| f(c));
        save_columns(&project_id.get_value(), &columns.get_untracked());
    };
    view! {
        <Dropdown test_id="columns-button" button_class=BUTTON_SECONDARY role="dialog"
            menu_class="right-0 w-64 p-2" menu_test_id="columns-panel" trigger=move || td_string!(locale, traces.column_chooser.button)>
            <ul class="space-y-0.5">
                {move || columns.get().into_iter().enumerate().map(|(i, (column, shown))| {
                    let last = i + 1 == Column::ALL.len();
                    view! {
                        <li class="flex items-center justify-between gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 dark:hover:bg-zinc-800">
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" prop:checked=shown data-testid=format!("column-toggle-{}", column.id())
                                    on:change=move |_| change(&|c: &mut Vec<(Column, bool)>| c[i].1 = !c[i].1) />
                                {column.label(locale)}
                            </label>
                            <span class="flex gap-1">
                                <button type="button" class="px-1 text-xs disabled:opacity-30" disabled=i == 0 aria-label=td_string!(locale, traces.column_chooser.move_up, column = column.label(locale)).to_string()
                                    data-testid=format!("column-up-{}", column.id()) on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| c.swap(i, i - 1))>"↑"</button>
                                <button type="button" class="px-1 text-xs disabled:opacity-30" disabled=last aria-label=td_string!(locale, traces.column_chooser.move_down, column = column.label(locale)).to_string()
                                    data-testid=format!("column-down-{}", column.id()) on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| c.swap(i, i + 1))>"↓"</button>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <button type="button" class=format!("{BUTTON_LINK} mt-2") on:click=move |_| change(&|c: &mut Vec<(Column, bool)>| *c = default_columns())>{t_string!(i18n, traces.column_chooser.reset)}</button>
        </Dropdown>
    }
}
