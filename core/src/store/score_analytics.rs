//! The Scores page's reads (#20): the project's scores with the page's filters, the score names
//! and authors to choose from, how one score name is distributed and moves over time, and the
//! scores of two "sides" paired on the objects both scored — what agreement is computed from, on
//! the Scores page and on an annotation queue's page.
//!
//! Every query is scoped by `project_id`. Lists are newest first on `scores_time_idx`; a chosen
//! score name narrows through `scores_name_idx` `(project_id, name, timestamp DESC)`. Histograms
//! are counted in SQL (`width_bucket` over the edges `score_stats::nice_edges` chose from the
//! name's minimum and maximum), so no value list crosses the wire.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::query::{contains_pattern, enum_column, Page};
use super::scores::{score_from_row, COLUMNS};
use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::score_stats::{
    self, Agreement, AgreementKind, CategoryCount, Distribution, ScoreAuthor, ScoreName, TimeBucket, TimeSeries,
};
use loupe_domain::score_views::Score;
use loupe_domain::{ScoreDataType, ScoreSource};

/// The Scores page's filters; every set field narrows. Not `scores::ScoreFilter` /
/// `ScoreListFilter` (the public API's): the page filters by the scored trace's name and by one
/// author, which those do not.
#[derive(Debug, Clone, Default)]
pub struct ScoreQuery {
    pub name: Option<String>,
    pub data_type: Option<ScoreDataType>,
    pub source: Option<ScoreSource>,
    pub author_user_id: Option<String>,
    /// Inclusive bounds on the numeric value (BOOLEAN counts as 1/0).
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// The scored trace's name contains this (any case).
    pub trace_name: Option<String>,
}

/// A listed score with the name of the trace it is on (when it is on one that arrived).
#[derive(Debug, Clone)]
pub struct ListedScore {
    pub score: Score,
    pub trace_name: Option<String>,
}

const FROM: &str = " FROM scores s LEFT JOIN traces t ON t.project_id = s.project_id AND t.id = s.trace_id";

/// The data types charted and compared: TEXT has no value to count or average, CORRECTION is
/// not a judgement of the object.
const CHARTED_TYPES: &str = "('NUMERIC', 'CATEGORICAL', 'BOOLEAN')";

fn push_query(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, query: &ScoreQuery) {
    qb.push(" WHERE s.project_id = ").push_bind(project_id.to_string()).push(" AND s.data_type <> 'CORRECTION'");
    if let Some(name) = &query.name {
        qb.push(" AND s.name = ").push_bind(name.clone());
    }
    if let Some(data_type) = query.data_type {
        qb.push(" AND s.data_type = ").push_bind(data_type.as_str());
    }
    if let Some(source) = query.source {
        qb.push(" AND s.source = ").push_bind(source.as_str());
    }
    if let Some(author) = &query.author_user_id {
        qb.push(" AND s.author_user_id = ").push_bind(author.clone());
    }
    if let Some(min) = query.value_min {
        qb.push(" AND s.value >= ").push_bind(min);
    }
    if let Some(max) = query.value_max {
        qb.push(" AND s.value <= ").push_bind(max);
    }
    if let Some(from) = query.from {
        qb.push(" AND s.timestamp >= ").push_bind(from);
    }
    if let Some(to) = query.to {
        qb.push(" AND s.timestamp < ").push_bind(to);
    }
    if let Some(name) = query.trace_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        qb.push(" AND t.name ILIKE ").push_bind(contains_pattern(name)).push(" ESCAPE '\\'");
    }
}

/// One page of the project's scores (every type but CORRECTION), newest first.
pub async fn list(pool: &PgPool, project_id: &ProjectId, query: &ScoreQuery, page: Page) -> Result<Vec<ListedScore>, StoreError> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}, t.name AS trace_name{FROM}"));
    push_query(&mut qb, project_id, query);
    qb.push(" ORDER BY s.timestamp DESC, s.id DESC");
    page.push(&mut qb);
    qb.build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok(ListedScore { score: score_from_row(row)?, trace_name: row.try_get("trace_name")? }))
        .collect()
}

/// Most score names the page offers; a project past it is naming scores per object.
pub const MAX_NAMES: i64 = 500;

/// The project's charted score names, each with its data type and number of scores, by name.
pub async fn names(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<ScoreName>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT name, data_type, count(*) AS count FROM scores
         WHERE project_id = $1 AND data_type IN {CHARTED_TYPES}
         GROUP BY name, data_type ORDER BY name, data_type LIMIT $2"
    ))
    .bind(project_id)
    .bind(MAX_NAMES)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ScoreName {
                name: row.try_get("name")?,
                data_type: enum_column(row, "data_type")?,
                count: row.try_get::<i64, _>("count")?.max(0) as u64,
            })
        })
        .collect()
}

/// The data type most of `name`'s charted scores have; `None` when it has none.
pub async fn data_type_of(pool: &PgPool, project_id: &ProjectId, name: &str) -> Result<Option<ScoreDataType>, StoreError> {
    let found: Option<String> = sqlx::query_scalar(&format!(
        "SELECT data_type FROM scores WHERE project_id = $1 AND name = $2 AND data_type IN {CHARTED_TYPES}
         GROUP BY data_type ORDER BY count(*) DESC, data_type LIMIT 1"
    ))
    .bind(project_id)
    .bind(name)
    .fetch_optional(pool)
    .await?;
    found.map(|t| t.parse().map_err(|e| StoreError::from(sqlx::Error::Decode(Box::new(e))))).transpose()
}

/// Everyone who wrote scores in the project (`author_user_id`), named when the id is an account
/// in the project's organization — never otherwise, so an id the API wrote cannot reveal who
/// some other account is. Named authors first, by name.
pub async fn authors(pool: &PgPool, project_id: &ProjectId) -> Result<Vec<ScoreAuthor>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT author_user_id FROM scores WHERE project_id = $1 AND author_user_id IS NOT NULL LIMIT $2",
    )
    .bind(project_id)
    .bind(MAX_NAMES)
    .fetch_all(pool)
    .await?;
    let names = author_names(pool, project_id, &ids).await?;
    let mut authors: Vec<ScoreAuthor> = ids.into_iter().map(|id| ScoreAuthor { name: names.get(&id).cloned(), id }).collect();
    authors.sort_by(|a, b| (a.name.is_none(), &a.name, &a.id).cmp(&(b.name.is_none(), &b.name, &b.id)));
    Ok(authors)
}

/// The display names (name, else email) of those of `ids` that are accounts in the project's
/// organization.
pub async fn author_names(pool: &PgPool, project_id: &ProjectId, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.id, coalesce(nullif(btrim(a.name), ''), a.email)
         FROM accounts a
         JOIN organization_memberships m ON m.user_id = a.id
         JOIN projects p ON p.org_id = m.org_id
         WHERE p.id = $1 AND a.id = ANY($2)",
    )
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Most categories a distribution lists (the rest are left out; labels are usually few).
pub const MAX_CATEGORIES: i64 = 50;

/// How the scores `query` selects are spread: a histogram of about `bins` bars for NUMERIC
/// (`query.data_type`, NUMERIC when unset), counts per label for CATEGORICAL and BOOLEAN.
pub async fn distribution(pool: &PgPool, project_id: &ProjectId, query: &ScoreQuery, bins: usize) -> Result<Distribution, StoreError> {
    match query.data_type.unwrap_or(ScoreDataType::Numeric) {
        ScoreDataType::Categorical | ScoreDataType::Boolean => {
            let mut qb = QueryBuilder::new("SELECT coalesce(s.string_value, s.value::text) AS label, count(*) AS count");
            qb.push(FROM);
            push_query(&mut qb, project_id, query);
            qb.push(" GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ").push_bind(MAX_CATEGORIES);
            let mut counts = qb
                .build()
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(CategoryCount {
                        label: row.try_get::<Option<String>, _>("label")?.unwrap_or_default(),
                        count: row.try_get::<i64, _>("count")?.max(0) as u64,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            // Postgres's text order follows the collation; the page's is by code point.
            score_stats::sort_categories(&mut counts);
            Ok(Distribution::Categories { counts })
        }
        _ => numeric_distribution(pool, project_id, query, bins).await,
    }
}

async fn numeric_distribution(pool: &PgPool, project_id: &ProjectId, query: &ScoreQuery, bins: usize) -> Result<Distribution, StoreError> {
    let mut qb = QueryBuilder::new(
        "SELECT count(s.value) AS count, avg(s.value) AS mean, min(s.value) AS min, max(s.value) AS max, \
         coalesce(bool_and(s.value = trunc(s.value)), true) AS integers",
    );
    qb.push(FROM);
    push_query(&mut qb, project_id, query);
    qb.push(" AND s.value IS NOT NULL AND s.value NOT IN ('NaN', 'Infinity', '-Infinity')");
    let row = qb.build().fetch_one(pool).await?;
    let count = row.try_get::<i64, _>("count")?.max(0) as u64;
    let (mean, min, max): (Option<f64>, Option<f64>, Option<f64>) = (row.try_get("mean")?, row.try_get("min")?, row.try_get("max")?);
    let integers: bool = row.try_get("integers")?;
    let (Some(low), Some(high)) = (min, max) else {
        return Ok(Distribution::Numeric { bins: Vec::new(), count, mean, min, max });
    };
    let edges = score_stats::nice_edges(low, high, bins, integers);
    // `width_bucket(v, lower edges)`: how many lower edges are ≤ v, the rule `bin_index` follows.
    let lower: Vec<f64> = edges[..edges.len() - 1].to_vec();
    let mut qb = QueryBuilder::new("SELECT width_bucket(s.value, ");
    qb.push_bind(lower).push("::float8[]) AS bucket, count(*) AS count");
    qb.push(FROM);
    push_query(&mut qb, project_id, query);
    qb.push(" AND s.value IS NOT NULL AND s.value NOT IN ('NaN', 'Infinity', '-Infinity') GROUP BY 1");
    let mut counts = vec![0u64; edges.len() - 1];
    for row in qb.build().fetch_all(pool).await? {
        let bucket: i32 = row.try_get("bucket")?;
        // Between the min/max read and this one a new score may have landed outside the edges:
        // below goes nowhere (bucket 0), above into the last bin, as `bin_index` does.
        if bucket >= 1 {
            let index = (bucket as usize - 1).min(counts.len() - 1);
            counts[index] += row.try_get::<i64, _>("count")?.max(0) as u64;
        }
    }
    Ok(Distribution::Numeric { bins: score_stats::bins_from_edges(&edges, |i| counts[i]), count, mean, min, max })
}

/// The scores `query` selects per time bucket over `[query.from, query.to)` — where unset, the
/// first and last selected score (or `now`) — in buckets of `score_stats::bucket_seconds` of the
/// range, aligned to multiples of the bucket length since the Unix epoch (UTC).
pub async fn over_time(pool: &PgPool, project_id: &ProjectId, query: &ScoreQuery, now: DateTime<Utc>) -> Result<TimeSeries, StoreError> {
    let (from, to) = match (query.from, query.to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let mut qb = QueryBuilder::new("SELECT min(s.timestamp) AS first, max(s.timestamp) AS last");
            qb.push(FROM);
            push_query(&mut qb, project_id, query);
            let row = qb.build().fetch_one(pool).await?;
            let first: Option<DateTime<Utc>> = row.try_get("first")?;
            let last: Option<DateTime<Utc>> = row.try_get("last")?;
            // `to` is exclusive: one second past the last score keeps it in.
            (from.or(first).unwrap_or(now), to.or(last.map(|l| l + chrono::Duration::seconds(1))).unwrap_or(now))
        }
    };
    let stride = score_stats::bucket_seconds((to - from).num_seconds());
    let mut qb = QueryBuilder::new("SELECT floor(extract(epoch FROM s.timestamp) / ");
    qb.push_bind(stride as f64).push(")::bigint AS bucket, count(*) AS count, avg(s.value) AS average");
    qb.push(FROM);
    push_query(&mut qb, project_id, &ScoreQuery { from: Some(from), to: Some(to), ..query.clone() });
    qb.push(" GROUP BY 1 ORDER BY 1");
    let buckets = qb
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let bucket: i64 = row.try_get("bucket")?;
            Ok(TimeBucket {
                start: DateTime::from_timestamp(bucket * stride, 0).unwrap_or(from),
                count: row.try_get::<i64, _>("count")?.max(0) as u64,
                average: row.try_get("average")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(TimeSeries { from, to, bucket_seconds: stride, buckets })
}

/// One side of an agreement: the scores of one name, optionally only one author's, one
/// annotation queue's or one source's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSide {
    pub name: String,
    pub author_user_id: Option<String>,
    pub queue_id: Option<String>,
    pub source: Option<ScoreSource>,
}

/// One side's score on a paired object.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedScore {
    pub data_type: ScoreDataType,
    /// The number (1/0 for BOOLEAN, the category's value for CATEGORICAL).
    pub value: Option<f64>,
    /// The label (category, `True`/`False`); `None` for NUMERIC.
    pub label: Option<String>,
}

/// An object both sides scored — a trace, an observation (`trace_id` + `observation_id`) or a
/// session — with each side's latest score on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePair {
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub session_id: Option<String>,
    pub a: PairedScore,
    pub b: PairedScore,
}

/// The objects two sides both scored, most recently scored first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairedValues {
    pub pairs: Vec<ScorePair>,
}

impl PairedValues {
    /// The pairs where both sides have a number and are NUMERIC or BOOLEAN (a CATEGORICAL
    /// score's number is its config's, or 0 without one: not a measurement).
    pub fn numeric(&self) -> Vec<(f64, f64)> {
        let measured = |s: &PairedScore| matches!(s.data_type, ScoreDataType::Numeric | ScoreDataType::Boolean);
        self.pairs
            .iter()
            .filter(|p| measured(&p.a) && measured(&p.b))
            .filter_map(|p| Some((p.a.value?, p.b.value?)))
            .collect()
    }

    /// The pairs where both sides have a label (CATEGORICAL or BOOLEAN).
    pub fn labels(&self) -> Vec<(String, String)> {
        self.pairs.iter().filter_map(|p| Some((p.a.label.clone()?, p.b.label.clone()?))).collect()
    }

    /// The agreement of the pairs of `kind`: kappa over [`Self::labels`] or correlations over
    /// [`Self::numeric`].
    pub fn agreement(&self, kind: AgreementKind) -> Agreement {
        match kind {
            AgreementKind::Categorical => Agreement::categorical(&self.labels()),
            AgreementKind::Numeric => Agreement::numeric(&self.numeric()),
        }
    }
}

fn push_side(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, side: &ScoreSide) {
    // An object's key: (trace, observation or '', session or ''). Ids are never empty, so ''
    // stands for "none" and the join is a plain equality (a hash join, unlike IS NOT DISTINCT
    // FROM). Dataset-run scores are not on an object a reviewer sees.
    qb.push(
        "SELECT DISTINCT ON (k_trace, k_observation, k_session) * FROM (
             SELECT coalesce(trace_id, '') AS k_trace, coalesce(observation_id, '') AS k_observation,
                    coalesce(session_id, '') AS k_session, id, timestamp, data_type, value,
                    CASE WHEN data_type = 'NUMERIC' THEN NULL ELSE string_value END AS label
             FROM scores WHERE project_id = ",
    );
    qb.push_bind(project_id.to_string());
    qb.push(format!(" AND data_type IN {CHARTED_TYPES} AND (trace_id IS NOT NULL OR session_id IS NOT NULL) AND name = "));
    qb.push_bind(side.name.clone());
    if let Some(author) = &side.author_user_id {
        qb.push(" AND author_user_id = ").push_bind(author.clone());
    }
    if let Some(queue) = &side.queue_id {
        qb.push(" AND queue_id = ").push_bind(queue.clone());
    }
    if let Some(source) = side.source {
        qb.push(" AND source = ").push_bind(source.as_str());
    }
    // The latest score per object: a person who changed their mind counts once, as they decided.
    qb.push(") x ORDER BY k_trace, k_observation, k_session, timestamp DESC, id DESC");
}

/// The two sides' latest scores on each object both scored (trace, observation or session), the
/// `limit` most recently scored objects. The annotation queue page pairs two reviewers of a
/// queue (`queue_id` and `author_user_id` set); the Scores page two names or two annotators.
pub async fn paired_values(pool: &PgPool, project_id: &ProjectId, a: &ScoreSide, b: &ScoreSide, limit: i64) -> Result<PairedValues, StoreError> {
    let mut qb = QueryBuilder::new("WITH a AS (");
    push_side(&mut qb, project_id, a);
    qb.push("), b AS (");
    push_side(&mut qb, project_id, b);
    qb.push(
        ") SELECT a.k_trace, a.k_observation, a.k_session,
                  a.data_type AS a_type, a.value AS a_value, a.label AS a_label,
                  b.data_type AS b_type, b.value AS b_value, b.label AS b_label
           FROM a JOIN b USING (k_trace, k_observation, k_session)
           ORDER BY greatest(a.timestamp, b.timestamp) DESC, a.k_trace, a.k_observation, a.k_session
           LIMIT ",
    );
    qb.push_bind(limit.max(0));
    let pairs = qb.build().fetch_all(pool).await?.iter().map(pair_from_row).collect::<Result<Vec<_>, StoreError>>()?;
    Ok(PairedValues { pairs })
}

fn pair_from_row(row: &PgRow) -> Result<ScorePair, StoreError> {
    let id = |column: &str| -> Result<Option<String>, StoreError> {
        Ok(Some(row.try_get::<String, _>(column)?).filter(|v| !v.is_empty()))
    };
    let side = |prefix: &str| -> Result<PairedScore, StoreError> {
        Ok(PairedScore {
            data_type: enum_column(row, &format!("{prefix}_type"))?,
            value: row.try_get(format!("{prefix}_value").as_str())?,
            label: row.try_get(format!("{prefix}_label").as_str())?,
        })
    };
    Ok(ScorePair {
        trace_id: id("k_trace")?,
        observation_id: id("k_observation")?,
        session_id: id("k_session")?,
        a: side("a")?,
        b: side("b")?,
    })
}
