//! One trace's row, with its cells formatted (latency, cost, I/O previews as text).

use super::*;

#[component]
pub(super) fn Row<L>(
    row: TraceListRow,
    query: TraceListQuery,
    link: L,
    columns: RwSignal<Vec<(Column, bool)>>,
    selected: RwSignal<BTreeSet<String>>,
    can_delete: bool,
) -> impl IntoView
where
    L: Fn(TraceListQuery) -> String + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let id = row.trace.id.clone();
    let row = StoredValue::new(row);
    let query = StoredValue::new(query);
    let filter_link = move |key: &str, value: &str| link(query.with_value(|q| q.with(key, value)));
    let level_class = match row.with_value(|r| r.level) {
        3 => "bg-red-50/60 dark:bg-red-950/30",
        2 => "bg-amber-50/60 dark:bg-amber-950/20",
        _ => "",
    };
    let check_id = id.clone();
    let is_selected = move || selected.with(|s| s.contains(&check_id));
    let toggle_id = id.clone();
    let cell = move |column: Column| -> AnyView {
        row.with_value(|row| {
            let t = &row.trace;
            match column {
                Column::Time => view! {
                    <td class=format!("{TD} whitespace-nowrap text-xs") title=timestamp(t.timestamp)>{relative_time(t.timestamp, chrono::Utc::now())}</td>
                }.into_any(),
                Column::Name => view! {
                    <td class=format!("{TD} max-w-[12rem] truncate font-medium") title=t.name.clone()>
                        <a class="hover:underline" href=format!("/project/{}/traces/{}", t.project_id, encode_query(&t.id)) data-testid="trace-link">{t.name.clone().unwrap_or_else(|| td_string!(locale, traces.row.unnamed).into())}</a>
                    </td>
                }.into_any(),
                Column::Input => preview_cell(&row.input_preview, "trace-input").into_any(),
                Column::Output => preview_cell(&row.output_preview, "trace-output").into_any(),
                Column::User => view! {
                    <td class=format!("{TD} max-w-[8rem] truncate text-xs") title=t.user_id.clone()>{t.user_id.clone().map(|u| view! { <a class="hover:underline" href=filter_link("user", &u) data-testid="trace-user">{u.clone()}</a> })}</td>
                }.into_any(),
                Column::Session => view! {
                    <td class=format!("{TD} max-w-[10rem] truncate font-mono text-xs")>{t.session_id.clone().map(|s| view! { <a class="hover:underline" href=filter_link("session", &s)>{s.clone()}</a> })}</td>
                }.into_any(),
                // Chips stay on one line (a row keeps its height); the cell's tooltip lists them all.
                Column::Tags => view! {
                    <td class=TD title=t.tags.join(", ")>
                        <div class="flex max-w-[8rem] gap-1 overflow-hidden">
                            {t.tags.iter().map(|tag| view! {
                                <a class="max-w-[8rem] shrink-0 truncate whitespace-nowrap rounded bg-zinc-100 px-1.5 py-0.5 text-xs hover:bg-zinc-200 dark:bg-zinc-800 dark:hover:bg-zinc-700" href=filter_link("tag", tag) data-testid="trace-tag">{tag.clone()}</a>
                            }).collect_view()}
                        </div>
                    </td>
                }.into_any(),
                Column::Environment => view! { <td class=format!("{TD} text-xs")>{t.environment.clone()}</td> }.into_any(),
                Column::Release => {
                    let text = match (&t.release, &t.version) {
                        (Some(r), Some(v)) => format!("{r} / {v}"),
                        (Some(r), None) => r.clone(),
                        (None, Some(v)) => format!("— / {v}"),
                        (None, None) => String::new(),
                    };
                    view! { <td class=format!("{TD} whitespace-nowrap text-xs")>{text}</td> }.into_any()
                }
                Column::Latency => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="trace-latency">{format_latency(locale, row.latency, row.observation_count)}</td>
                }.into_any(),
                Column::Tokens => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs")>{if row.total_tokens == 0 { "—".to_string() } else { row.total_tokens.to_string() }}</td>
                }.into_any(),
                Column::Cost => view! {
                    <td class=format!("{TD} whitespace-nowrap text-right font-mono text-xs") data-testid="trace-cost">{format_cost(row.total_cost)}</td>
                }.into_any(),
                Column::Level => {
                    let (badge, text) = match row.level {
                        3 => ("rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800 dark:bg-red-900 dark:text-red-200",
                              format!("{}{}", td_string!(locale, traces.levels.error), if row.error_count > 1 { format!(" ×{}", row.error_count) } else { String::new() })),
                        2 => ("rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800 dark:bg-amber-900 dark:text-amber-200",
                              format!("{}{}", td_string!(locale, traces.levels.warning), if row.warning_count > 1 { format!(" ×{}", row.warning_count) } else { String::new() })),
                        _ => ("text-xs text-zinc-500 dark:text-zinc-400", level_label(locale, row).to_string()),
                    };
                    view! { <td class=format!("{TD} whitespace-nowrap") data-testid="trace-level"><span class=badge>{text}</span></td> }.into_any()
                }
                Column::Scores => view! {
                    // One chip, cut to fit, and how many more: the default columns must fit
                    // 1440 px with scores present (viewports.spec); the tooltip lists them all.
                    <td class=TD title=score_list(&row.scores)>
                        <div class="flex max-w-[3.5rem] items-center gap-1">
                            {row.scores.first().map(|s| view! {
                                <span class="min-w-0 truncate whitespace-nowrap rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200" data-testid="trace-score">
                                    {format!("{}: {}", s.name, s.value)}
                                </span>
                            })}
                            {(row.scores.len() > 1).then(|| view! {
                                <span class="shrink-0 text-xs text-zinc-500 dark:text-zinc-400" data-testid="trace-more-scores">{format!("+{}", row.scores.len() - 1)}</span>
                            })}
                        </div>
                    </td>
                }.into_any(),
            }
        })
    };
    view! {
        <tr translate="no" data-testid="trace-row" data-trace-id=id.clone() class=level_class>
            {can_delete.then(|| view! {
                <td class="w-8 px-3 py-2 align-top">
                    <input type="checkbox" aria-label=td_string!(locale, traces.row.select) data-testid="select-trace" prop:checked=is_selected.clone()
                        on:change=move |_| selected.update(|s| if !s.remove(&toggle_id) { s.insert(toggle_id.clone()); }) />
                </td>
            })}
            {move || columns.get().into_iter().filter(|(_, shown)| *shown).map(|(column, _)| cell(column)).collect_view()}
        </tr>
    }
}

/// The level of a row without warnings or errors (`TraceListRow::level_label`) in `locale`;
/// empty for a trace without observations.
fn level_label(locale: Locale, row: &TraceListRow) -> &'static str {
    match row.level_label() {
        "ERROR" => td_string!(locale, traces.levels.error),
        "WARNING" => td_string!(locale, traces.levels.warning),
        "DEFAULT" => td_string!(locale, traces.levels.default),
        "DEBUG" => td_string!(locale, traces.levels.debug),
        other => other,
    }
}

/// Every score of a row, one per line: the tooltip of its one-line score chips.
fn score_list(scores: &[crate::domain::trace_list::ScoreChip]) -> String {
    scores.iter().map(|s| format!("{}: {}", s.name, s.value)).collect::<Vec<_>>().join("\n")
}

/// A truncated preview of input or output, as text.
pub(super) fn preview_cell(text: &str, test_id: &'static str) -> impl IntoView {
    let shown: String = text.chars().take(120).collect();
    let title = text.to_string();
    view! {
        <td class=format!("{TD} min-w-[8rem] max-w-[13rem]") title=title>
            <span class="line-clamp-2 break-words text-xs text-zinc-700 dark:text-zinc-300" data-testid=test_id>{shown}</span>
        </td>
    }
}

pub(super) fn format_latency(locale: Locale, seconds: f64, observations: usize) -> String {
    if observations == 0 { "—".to_string() } else { crate::language::duration_s(locale, seconds) }
}

/// A trace without priced usage shows a dash, not "$0" (nothing was priced, rather than free).
pub(super) fn format_cost(usd: f64) -> String {
    if usd == 0.0 { "—".to_string() } else { crate::domain::format::cost(usd) }
}
