//! The Scores page (#20): the project's scores with filters, the score names and authors to
//! choose from, one name's distribution and course over time, and the agreement of two score
//! names or two annotators on the objects both scored. Reads for every member of the project.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::score_stats::{Agreement, Distribution, ScoreAuthor, ScoreName, TimeSeries};
use crate::domain::score_views::Score;
use crate::domain::ScoreDataType;
use crate::error::AppError;

/// The page's filters and agreement choice as in the URL (`?name=…&source=ANNOTATION&…`): raw
/// text, empty = any, so a hand-edited URL reads back unchanged and the server names the wrong
/// field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoresQuery {
    /// A score name (exact).
    pub name: String,
    /// The data type of `name` to chart when it was written with more than one.
    #[serde(rename = "type")]
    pub data_type: String,
    /// `API`, `EVAL` or `ANNOTATION`.
    pub source: String,
    /// An author's account id.
    pub author: String,
    /// Inclusive bounds on the value.
    pub min: String,
    pub max: String,
    /// A time range preset of the traces list (`1h`, `24h`, `7d`, `30d`); empty = all time.
    pub range: String,
    /// The scored trace's name contains this.
    pub trace: String,
    /// Page from 0.
    pub page: String,
}

impl ScoresQuery {
    /// The query from the URL's parameters (unknown keys ignored).
    pub fn from_params(params: &leptos_router::params::ParamsMap) -> ScoresQuery {
        let get = |key: &str| params.get(key).unwrap_or_default();
        ScoresQuery {
            name: get("name"),
            data_type: get("type"),
            source: get("source"),
            author: get("author"),
            min: get("min"),
            max: get("max"),
            range: get("range"),
            trace: get("trace"),
            page: get("page"),
        }
    }

    /// Whether a filter (not only the page) is set: an empty result then means "nothing matches",
    /// not "no scores yet".
    pub fn is_filtered(&self) -> bool {
        [&self.name, &self.source, &self.author, &self.min, &self.max, &self.range, &self.trace].iter().any(|v| !v.trim().is_empty())
    }
}

/// A row of the scores table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub score: Score,
    pub trace_name: Option<String>,
    /// The author's name (else email) when they are a member of the project's organization.
    pub author_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreListPage {
    pub rows: Vec<ScoreRow>,
    pub next_page: Option<i64>,
}

/// What the filters and the agreement box offer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreChoices {
    pub names: Vec<ScoreName>,
    pub authors: Vec<ScoreAuthor>,
}

/// One score name's analytics under the page's other filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameAnalytics {
    pub name: String,
    /// `None` when the name has no charted score (under these filters or at all).
    pub data_type: Option<ScoreDataType>,
    pub distribution: Distribution,
    pub over_time: TimeSeries,
}

/// One side of an agreement as the page picks it: a score name, optionally one author's scores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct SideChoice {
    pub name: String,
    /// An author's account id; empty = anyone.
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementResult {
    pub agreement: Agreement,
    /// The pairs were cut at [`AGREEMENT_LIMIT`] (the most recently scored objects).
    pub limited: bool,
}

/// Most shared objects an agreement is computed over (the most recently scored).
pub const AGREEMENT_LIMIT: i64 = 10_000;

/// Bars of a numeric distribution (about; the edges are rounded).
pub const HISTOGRAM_BINS: usize = 12;

#[cfg(feature = "ssr")]
fn store_query(query: &ScoresQuery, now: chrono::DateTime<chrono::Utc>) -> Result<crate::store::score_analytics::ScoreQuery, AppError> {
    use crate::language::say;
    let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let number = |field: &str, v: &str| -> Result<Option<f64>, AppError> {
        match text(v) {
            None => Ok(None),
            Some(v) => v.parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or_else(|| AppError::invalid(field, say!(scores.errors.not_a_number, value = v))),
        }
    };
    let data_type = match text(&query.data_type) {
        None => None,
        Some(t) => Some(t.parse::<ScoreDataType>().map_err(|_| AppError::invalid("type", say!(scores.errors.unknown_type, value = t)))?),
    };
    let source = match text(&query.source) {
        None => None,
        Some(s) => Some(s.parse::<crate::domain::ScoreSource>().map_err(|_| AppError::invalid("source", say!(scores.errors.unknown_source, value = s)))?),
    };
    let (value_min, value_max) = (number("min", &query.min)?, number("max", &query.max)?);
    if let (Some(min), Some(max)) = (value_min, value_max) {
        if min > max {
            return Err(AppError::invalid("max", say!(scores.errors.max_below_min)));
        }
    }
    let from = match text(&query.range) {
        None => None,
        Some(r) => Some(now - crate::domain::trace_list::range_length(&r).ok_or_else(|| AppError::invalid("range", say!(scores.errors.unknown_range, value = r)))?),
    };
    Ok(crate::store::score_analytics::ScoreQuery {
        name: text(&query.name),
        data_type,
        source,
        author_user_id: text(&query.author),
        value_min,
        value_max,
        from,
        to: None,
        trace_name: text(&query.trace),
    })
}

/// One page (50) of the project's scores under the filters, newest first, with trace names and
/// authors' names.
#[server(prefix = "/api/ui", endpoint = "list_scores")]
pub async fn list_scores(project_id: String, #[server(default)] query: ScoresQuery) -> Result<ScoreListPage, AppError> {
    use crate::server_fns::support::{activity_page, project_call, respond, ProjectCall};
    use crate::store::score_analytics;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let filter = store_query(&query, chrono::Utc::now())?;
        let page = if query.page.trim().is_empty() { 0 } else { query.page.trim().parse().unwrap_or(-1) };
        let (limit, offset) = activity_page(page)?;
        let mut found = score_analytics::list(&state.pool, &project_id, &filter, crate::store::query::Page { limit: limit + 1, offset }).await?;
        let more = found.len() as i64 > limit;
        found.truncate(limit as usize);
        let mut authors: Vec<String> = found.iter().filter_map(|s| s.score.author_user_id.clone()).collect();
        authors.sort();
        authors.dedup();
        let names = score_analytics::author_names(&state.pool, &project_id, &authors).await?;
        let rows = found
            .into_iter()
            .map(|s| ScoreRow { author_name: s.score.author_user_id.as_ref().and_then(|id| names.get(id).cloned()), trace_name: s.trace_name, score: s.score })
            .collect();
        Ok(ScoreListPage { rows, next_page: more.then_some(page + 1) })
    }
    .await)
}

/// The project's score names (with data type and count) and the authors of its scores.
#[server(prefix = "/api/ui", endpoint = "list_score_names")]
pub async fn list_score_names(project_id: String) -> Result<ScoreChoices, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::store::score_analytics;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let names = score_analytics::names(&state.pool, &project_id).await?;
        let authors = score_analytics::authors(&state.pool, &project_id).await?;
        Ok(ScoreChoices { names, authors })
    }
    .await)
}

/// The distribution and the course over time of the query's score name under the query's other
/// filters (so the charts always describe the rows listed under them).
#[server(prefix = "/api/ui", endpoint = "score_analytics")]
pub async fn score_analytics(project_id: String, #[server(default)] query: ScoresQuery) -> Result<NameAnalytics, AppError> {
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::store::score_analytics as store;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let now = chrono::Utc::now();
        let mut filter = store_query(&query, now)?;
        let Some(name) = filter.name.clone() else {
            return Err(AppError::invalid("name", crate::language::say!(scores.errors.pick_name)));
        };
        if filter.data_type.is_none() {
            filter.data_type = store::data_type_of(&state.pool, &project_id, &name).await?;
        }
        let data_type = filter.data_type;
        let Some(charted) = data_type.filter(|t| matches!(t, ScoreDataType::Numeric | ScoreDataType::Categorical | ScoreDataType::Boolean)) else {
            return Err(AppError::invalid("type", crate::language::say!(scores.errors.not_charted)));
        };
        filter.data_type = Some(charted);
        let distribution = store::distribution(&state.pool, &project_id, &filter, HISTOGRAM_BINS).await?;
        let over_time = store::over_time(&state.pool, &project_id, &filter, now).await?;
        Ok(NameAnalytics { name, data_type, distribution, over_time })
    }
    .await)
}

/// How much two sides agree on the objects both scored: two score names, or one name by two
/// annotators. Kappa when both names are categorical or boolean, Pearson and Spearman otherwise.
#[server(prefix = "/api/ui", endpoint = "score_agreement")]
pub async fn score_agreement(project_id: String, #[server(default)] a: SideChoice, #[server(default)] b: SideChoice) -> Result<AgreementResult, AppError> {
    use crate::domain::score_stats::AgreementKind;
    use crate::language::say;
    use crate::server_fns::support::{project_call, respond, ProjectCall};
    use crate::store::score_analytics::{self as store, ScoreSide};
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let project_id = scope.project_id;
        let side = |field: &str, choice: &SideChoice| -> Result<ScoreSide, AppError> {
            let name = choice.name.trim();
            if name.is_empty() {
                return Err(AppError::invalid(field, say!(scores.errors.pick_name)));
            }
            let author = Some(choice.author.trim().to_string()).filter(|a| !a.is_empty());
            Ok(ScoreSide { name: name.to_string(), author_user_id: author, queue_id: None, source: None })
        };
        let (a, b) = (side("a", &a)?, side("b", &b)?);
        // The same side twice agrees with itself by construction: say so rather than print 1.
        if a == b {
            return Err(AppError::invalid("b", say!(scores.errors.same_sides)));
        }
        let type_of = |name: String| {
            let pool = state.pool.clone();
            let project_id = project_id.clone();
            async move { store::data_type_of(&pool, &project_id, &name).await }
        };
        let (a_type, b_type) = (type_of(a.name.clone()).await?, type_of(b.name.clone()).await?);
        let kind = match (a_type, b_type) {
            (Some(x), Some(y)) => AgreementKind::for_types(x, y),
            _ => AgreementKind::Numeric,
        };
        let paired = store::paired_values(&state.pool, &project_id, &a, &b, AGREEMENT_LIMIT).await?;
        let limited = paired.pairs.len() as i64 >= AGREEMENT_LIMIT;
        Ok(AgreementResult { agreement: paired.agreement(kind), limited })
    }
    .await)
}
