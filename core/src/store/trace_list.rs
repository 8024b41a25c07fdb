//! The explorer's traces list: every filter of [`ListSpec`], sorted by time, latency or cost,
//! keyset pages that continue after the last row.
//!
//! Which table drives the scan decides which index answers the ORDER BY … LIMIT:
//! - sorted by time without aggregate filters: `traces` (`traces_time_idx`, or a filter's index),
//!   the page's aggregates joined per row from `trace_metrics` by primary key;
//! - sorted by latency or cost: `trace_metrics` (`trace_metrics_latency_idx` /
//!   `trace_metrics_cost_idx` on `(project_id, value, timestamp, trace_id)`), each row joined to
//!   its trace;
//! - sorted by time with a level or has-error filter: `trace_metrics` in `(timestamp, trace_id)`
//!   order, through the partial indexes `trace_metrics_errors_idx` / `trace_metrics_warnings_idx`;
//! - sorted by time with a latency or cost range: `trace_metrics`, where the planner picks between
//!   `trace_metrics_time_idx` (a wide range) and the value index plus a sort (a narrow one).
//!
//! The keyset (sort value, timestamp, id) is a total order (ids are unique per project), so a
//! page starts strictly after the previous page's last row: no duplicates, no gaps, whatever
//! the sort and direction.
//!
//! Full-text search is a case-insensitive substring of `traces.search_text` (see the migration
//! `…_create_trace_metrics_and_search.sql`): `ILIKE` served by the trigram index, plus — for
//! phrases with CJK/kana/hangul runs — the bigram index `traces_search_cjk_idx`. Both index the
//! document's distinct words (`search_words`, `…_trace_search_words.sql`): the index finds the
//! rows holding each word of the phrase, `search_text` decides.
//!
//! List queries are sent unprepared (`persistent(false)`): Postgres then plans each with its
//! actual values, which matters here — whether walking the time index or collecting a search's
//! candidates is cheaper depends on the phrase and filters.

use crate::scope::ProjectId;
use super::StoreError;
use std::collections::BTreeMap;

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::contains_pattern;
use super::traces::trace_from_row;
use loupe_domain::trace_list::{LevelFilter, ListSpec, ScoreChip, ScoreValue, SortBy};
use loupe_domain::trace_views::Trace;

/// The search indexes' key, written as their definitions are (migration 20261213000001) so the
/// planner matches them.
const SEARCH_KEY: &str = "coalesce(t.search_words, t.search_text)";

/// One listed trace with its stored aggregates.
#[derive(Debug, Clone)]
pub struct ListedTrace {
    pub trace: Trace,
    pub latency: f64,
    pub total_cost: f64,
    pub total_tokens: i64,
    pub observation_count: i64,
    pub level: i32,
    pub error_count: i64,
    pub warning_count: i64,
    pub models: Vec<String>,
    pub input_preview: String,
    pub output_preview: String,
}

impl ListedTrace {
    /// The value of the sort column (for the next page's cursor); `None` for the time sort.
    pub fn sort_value(&self, sort: SortBy) -> Option<f64> {
        match sort {
            SortBy::Time => None,
            SortBy::Latency => Some(self.latency),
            SortBy::Cost => Some(self.total_cost),
        }
    }
}

/// Characters of the input and output previews.
const PREVIEW_CHARS: i32 = 160;

/// The characters that get bigram-indexed; the same ranges as `loupe_cjk_bigrams` in the
/// migration.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// The bigrams of the phrase's CJK runs of two or more characters (what the bigram index must
/// contain for the phrase to be there). Empty when the phrase has no such run.
pub fn cjk_bigrams(phrase: &str) -> Vec<String> {
    let mut grams = Vec::new();
    let mut run: Vec<char> = Vec::new();
    for c in phrase.chars().chain(std::iter::once(' ')) {
        if is_cjk(c) {
            run.push(c);
            continue;
        }
        grams.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        run.clear();
    }
    grams.sort();
    grams.dedup();
    grams
}

/// Whether the scan starts from `trace_metrics` (see the module comment).
fn driven_by_metrics(spec: &ListSpec) -> bool {
    spec.sort != SortBy::Time
        || spec.level.is_some()
        || spec.has_error == Some(true)
        || [spec.latency_min, spec.latency_max, spec.cost_min, spec.cost_max].iter().any(Option::is_some)
}

/// The query [`page`] runs.
pub fn page_query(project_id: &ProjectId, spec: &ListSpec, limit: i64) -> QueryBuilder<'static, Postgres> {
    page_query_with_prefix("", project_id, spec, limit)
}

/// Appends ` AND …` for every filter of `spec` (not its sort or cursor) to a query over `traces t`
/// joined with `trace_metrics m` — driving (`by_metrics`: `m` rows exist) or left-joined (a
/// missing `m` row reads as zeros). The list and the evaluators' target scans share it, so an
/// evaluator's filter means what the list shows.
pub fn push_filters(qb: &mut QueryBuilder<'static, Postgres>, spec: &ListSpec, by_metrics: bool) {
    // The metric columns: plain when `m` drives (so index conditions apply), else the left
    // join's NULL (no metrics row yet) read as 0.
    let metric = |column: &str| if by_metrics { format!("m.{column}") } else { format!("coalesce(m.{column}, 0)") };
    let eq = |qb: &mut QueryBuilder<'static, Postgres>, column: &str, value: &Option<String>| {
        if let Some(value) = value {
            qb.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    };
    eq(qb, "t.name", &spec.name);
    eq(qb, "t.user_id", &spec.user);
    eq(qb, "t.session_id", &spec.session);
    eq(qb, "t.environment", &spec.environment);
    eq(qb, "t.release", &spec.release);
    eq(qb, "t.version", &spec.version);
    if let Some(tag) = &spec.tag {
        qb.push(" AND t.tags @> ").push_bind(vec![tag.clone()]);
    }
    // Time bounds on the driving table's timestamp, so they narrow its index scan.
    let time = if by_metrics { "m.timestamp" } else { "t.timestamp" };
    if let Some(from) = spec.from {
        qb.push(format!(" AND {time} >= ")).push_bind(from);
    }
    if let Some(to) = spec.to {
        qb.push(format!(" AND {time} < ")).push_bind(to);
    }
    match spec.level {
        Some(LevelFilter::Error) => {
            qb.push(format!(" AND {} > 0", metric("error_count")));
        }
        Some(LevelFilter::Warning) => {
            qb.push(format!(" AND {} >= 2", metric("level")));
        }
        None => {}
    }
    match spec.has_error {
        Some(true) => {
            qb.push(format!(" AND {} > 0", metric("error_count")));
        }
        Some(false) => {
            qb.push(format!(" AND {} = 0", metric("error_count")));
        }
        None => {}
    }
    if let Some(model) = &spec.model {
        qb.push(" AND m.models @> ").push_bind(vec![model.clone()]);
    }
    if let Some((key, value)) = &spec.metadata {
        // The value as typed is text; a value that reads as a JSON number or boolean also
        // matches that JSON value (`tier=3` finds {"tier": "3"} and {"tier": 3}).
        qb.push(" AND (t.metadata @> ").push_bind(serde_json::json!({ key.clone(): value.clone() }));
        if let Ok(typed @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) = serde_json::from_str::<serde_json::Value>(value) {
            qb.push(" OR t.metadata @> ").push_bind(serde_json::json!({ key.clone(): typed }));
        }
        qb.push(")");
    }
    if let Some(score) = &spec.score {
        let op = super::query::Compare::parse(&score.op).unwrap_or(super::query::Compare::Eq).sql();
        qb.push(" AND EXISTS (SELECT 1 FROM scores s WHERE s.project_id = t.project_id AND s.trace_id = t.id AND s.name = ")
            .push_bind(score.name.clone());
        match &score.value {
            ScoreValue::Number(n) => {
                qb.push(" AND s.value").push(op).push_bind(*n);
            }
            ScoreValue::Text(text) => {
                qb.push(" AND s.string_value").push(op).push_bind(text.clone());
            }
        }
        qb.push(")");
    }
    for (column, min, max) in [("latency", spec.latency_min, spec.latency_max), ("total_cost", spec.cost_min, spec.cost_max)] {
        if let Some(min) = min {
            qb.push(format!(" AND {} >= ", metric(column))).push_bind(min);
        }
        if let Some(max) = max {
            qb.push(format!(" AND {} <= ", metric(column))).push_bind(max);
        }
    }
    if let Some(phrase) = &spec.search {
        // The indexes hold the document's distinct words (`search_words`, or the document where
        // there are none): they are asked for every word of the phrase — each is inside a word
        // of any document holding the phrase — and the phrase itself is checked on the document.
        for word in crate::ingest::search_text::words(phrase) {
            qb.push(format!(" AND {SEARCH_KEY} ILIKE ")).push_bind(contains_pattern(word));
        }
        qb.push(" AND t.search_text ILIKE ").push_bind(contains_pattern(phrase));
        let grams = cjk_bigrams(phrase);
        if !grams.is_empty() {
            qb.push(format!(" AND loupe_cjk_bigrams({SEARCH_KEY}) @> ")).push_bind(grams);
        }
    }
}

/// [`page_query`] after `prefix` (tests and the benchmark put `EXPLAIN` there).
pub fn page_query_with_prefix(prefix: &str, project_id: &ProjectId, spec: &ListSpec, limit: i64) -> QueryBuilder<'static, Postgres> {
    let by_metrics = driven_by_metrics(spec);
    let mut qb = QueryBuilder::new(prefix.to_string());
    qb.push(
        "SELECT t.id, t.project_id, t.timestamp, t.name, t.user_id, t.session_id, t.release, t.version, t.tags, \
         t.public, t.bookmarked, t.environment, t.created_at, t.updated_at, \
         NULL::jsonb AS input, NULL::jsonb AS output, NULL::jsonb AS metadata, ",
    );
    qb.push(format!(
        "coalesce(left(loupe_json_strings(t.input), {PREVIEW_CHARS}), '') AS input_preview, \
         coalesce(left(loupe_json_strings(t.output), {PREVIEW_CHARS}), '') AS output_preview, "
    ));
    qb.push(
        "coalesce(m.latency, 0) AS latency, coalesce(m.total_cost, 0) AS total_cost, \
         coalesce(m.total_tokens, 0) AS total_tokens, coalesce(m.observation_count, 0) AS observation_count, \
         coalesce(m.level, 0)::int AS level, coalesce(m.error_count, 0) AS error_count, \
         coalesce(m.warning_count, 0) AS warning_count, coalesce(m.models, '{}') AS models ",
    );
    if by_metrics {
        qb.push("FROM trace_metrics m JOIN traces t ON t.project_id = m.project_id AND t.id = m.trace_id WHERE m.project_id = ")
            .push_bind(project_id.to_string())
            .push(" AND t.project_id = ")
            .push_bind(project_id.to_string());
    } else {
        qb.push("FROM traces t LEFT JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id WHERE t.project_id = ")
            .push_bind(project_id.to_string());
    }
    push_filters(&mut qb, spec, by_metrics);

    // The keyset: (sort value, timestamp, id) in the sort's direction.
    let (value_column, time_column, id_column) = match (spec.sort, by_metrics) {
        (SortBy::Time, false) => (None, "t.timestamp", "t.id"),
        (SortBy::Time, true) => (None, "m.timestamp", "m.trace_id"),
        (SortBy::Latency, _) => (Some("m.latency"), "m.timestamp", "m.trace_id"),
        (SortBy::Cost, _) => (Some("m.total_cost"), "m.timestamp", "m.trace_id"),
    };
    let (dir, after) = if spec.descending { ("DESC", "<") } else { ("ASC", ">") };
    if let Some(cursor) = &spec.cursor {
        match (value_column, cursor.value) {
            (Some(column), Some(value)) => {
                qb.push(format!(" AND ({column}, {time_column}, {id_column}) {after} ("))
                    .push_bind(value)
                    .push(", ")
                    .push_bind(cursor.timestamp)
                    .push(", ")
                    .push_bind(cursor.id.clone())
                    .push(")");
            }
            _ => {
                qb.push(format!(" AND ({time_column}, {id_column}) {after} ("))
                    .push_bind(cursor.timestamp)
                    .push(", ")
                    .push_bind(cursor.id.clone())
                    .push(")");
            }
        }
    }
    qb.push(" ORDER BY ");
    if let Some(column) = value_column {
        qb.push(format!("{column} {dir}, "));
    }
    qb.push(format!("{time_column} {dir}, {id_column} {dir} LIMIT ")).push_bind(limit);
    qb
}

fn listed_from_row(row: &PgRow) -> Result<ListedTrace, StoreError> {
    Ok(ListedTrace {
        trace: trace_from_row(row)?,
        latency: row.try_get("latency")?,
        total_cost: row.try_get("total_cost")?,
        total_tokens: row.try_get("total_tokens")?,
        observation_count: row.try_get::<i32, _>("observation_count")?.into(),
        level: row.try_get("level")?,
        error_count: row.try_get::<i32, _>("error_count")?.into(),
        warning_count: row.try_get::<i32, _>("warning_count")?.into(),
        models: row.try_get("models")?,
        input_preview: row.try_get("input_preview")?,
        output_preview: row.try_get("output_preview")?,
    })
}

/// Up to `limit` traces matching `spec`, in its order, after its cursor.
pub async fn page(pool: &PgPool, project_id: &ProjectId, spec: &ListSpec, limit: i64) -> Result<Vec<ListedTrace>, StoreError> {
    let mut qb = page_query(project_id, spec, limit);
    qb.build().persistent(false).fetch_all(pool).await?.iter().map(listed_from_row).collect()
}

/// The scores of these traces for the list: per trace, one chip per score name (numbers
/// averaged, categories and text listed), and how many scores it has.
pub async fn scores(
    pool: &PgPool,
    project_id: &ProjectId,
    trace_ids: &[String],
) -> Result<BTreeMap<String, (usize, Vec<ScoreChip>)>, StoreError> {
    chips_by(pool, project_id, ChipKey::Trace, trace_ids).await
}

/// What a list's rows are keyed by when their scores are read as chips.
#[derive(Clone, Copy)]
pub(super) enum ChipKey {
    Trace,
    /// A session's own scores (given to the session, not one of its traces).
    Session,
}

/// The scores whose trace or session id (`key`) is one of `ids`, as chips per id
/// ([`score_chips`]). The column name comes from the enum, never from input.
pub(super) async fn chips_by(
    pool: &PgPool,
    project_id: &ProjectId,
    key: ChipKey,
    ids: &[String],
) -> Result<BTreeMap<String, (usize, Vec<ScoreChip>)>, StoreError> {
    let column = match key {
        ChipKey::Trace => "trace_id",
        ChipKey::Session => "session_id",
    };
    let rows: Vec<ScoreOfRow> = sqlx::query_as(&format!(
        "SELECT {column}, name, value, string_value, data_type FROM scores
         WHERE project_id = $1 AND {column} = ANY($2) AND data_type <> 'CORRECTION'
         ORDER BY {column}, name, timestamp"
    ))
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(score_chips(rows))
}

/// One score of a listed row: the row's key (trace or session id), name, value, string value
/// and data type.
pub(super) type ScoreOfRow = (String, String, Option<f64>, Option<String>, String);

/// Scores grouped per row key (ordered by key, name, time): one chip per name (numbers averaged
/// to two decimals, categories and text listed once each) and the row's score count.
pub(super) fn score_chips(rows: Vec<ScoreOfRow>) -> BTreeMap<String, (usize, Vec<ScoreChip>)> {
    let mut by_key: BTreeMap<String, BTreeMap<String, (Vec<f64>, Vec<String>)>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (key, name, value, string_value, data_type) in rows {
        *counts.entry(key.clone()).or_default() += 1;
        let entry = by_key.entry(key).or_default().entry(name).or_default();
        match (data_type.as_str(), string_value, value) {
            ("NUMERIC", _, Some(v)) => entry.0.push(v),
            (_, Some(s), _) => {
                if !entry.1.contains(&s) {
                    entry.1.push(s)
                }
            }
            (_, None, Some(v)) => entry.0.push(v),
            _ => {}
        }
    }
    by_key
        .into_iter()
        .map(|(key, names)| {
            let chips = names
                .into_iter()
                .map(|(name, (numbers, texts))| {
                    let value = if !texts.is_empty() {
                        texts.join(", ")
                    } else {
                        let mean = numbers.iter().sum::<f64>() / numbers.len().max(1) as f64;
                        format!("{}", (mean * 100.0).round() / 100.0)
                    };
                    ScoreChip { name, value }
                })
                .collect();
            (key.clone(), (counts.get(&key).copied().unwrap_or(0), chips))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_chips_average_numbers_and_list_categories_once() {
        let row = |key: &str, name: &str, value: Option<f64>, text: Option<&str>, kind: &str| -> ScoreOfRow {
            (key.into(), name.into(), value, text.map(str::to_string), kind.into())
        };
        let chips = score_chips(vec![
            row("a", "accuracy", Some(0.5), None, "NUMERIC"),
            row("a", "accuracy", Some(0.834), None, "NUMERIC"),
            row("a", "tone", Some(1.0), Some("good"), "CATEGORICAL"),
            row("a", "tone", Some(1.0), Some("good"), "CATEGORICAL"),
            row("a", "tone", Some(0.0), Some("bad"), "CATEGORICAL"),
            row("b", "helpful", Some(1.0), Some("True"), "BOOLEAN"),
        ]);
        let (count, a) = &chips["a"];
        assert_eq!(*count, 5);
        assert_eq!(a, &vec![
            ScoreChip { name: "accuracy".into(), value: "0.67".into() },
            ScoreChip { name: "tone".into(), value: "good, bad".into() },
        ]);
        assert_eq!(chips["b"].1, vec![ScoreChip { name: "helpful".into(), value: "True".into() }]);
    }

    #[test]
    fn bigrams_of_the_cjk_runs_only() {
        assert_eq!(cjk_bigrams("作为一个"), ["一个", "为一", "作为"]);
        assert_eq!(cjk_bigrams("影评 人"), ["影评"], "a one-character run has no bigram");
        assert_eq!(cjk_bigrams("hello 世界!"), ["世界"]);
        assert_eq!(cjk_bigrams("カタカナ"), ["カタ", "カナ", "タカ"], "sorted by code point, repeats once");
        assert!(cjk_bigrams("hello").is_empty());
        assert!(cjk_bigrams("影").is_empty());
    }

    #[test]
    fn patterns_match_wildcards_literally() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern("作为"), "%作为%");
    }
}
