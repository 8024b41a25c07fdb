//! Prompt versions (`prompts`, `prompt_dependencies`, `prompt_protected_labels`).
//!
//! Every write to a name first takes a transaction-level advisory lock on (project, name), so
//! concurrent writers to one name queue up: version numbers have no gaps, and "a label is held by
//! one version" and "`latest` is on the newest version" hold after every commit. Writers to
//! different names do not wait for each other. The callers (the public API and the server
//! functions) run these in their transaction together with the audit entry.

use crate::scope::{OrganizationId, ProjectId};
use super::StoreError;
use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use loupe_domain::prompts::{
    sort_labels, FieldError, NewPrompt, PromptProblem, PromptBody, PromptDependent, PromptSelector, PromptSummary, PromptTarget,
    PromptType, PromptVersion, PromptVersionMetrics, ScoreAverage, LATEST,
};

/// Why a prompt write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Database(#[from] StoreError),
}

impl From<FieldError> for WriteError {
    fn from(e: FieldError) -> Self {
        WriteError::Invalid(e)
    }
}

const COLUMNS: &str = "p.id, p.project_id, p.name, p.version, p.type, p.prompt, p.config, p.labels, p.tags, \
                       p.commit_message, p.created_by, p.created_at, p.updated_at, coalesce(u.name, u.email)";
const FROM: &str = "prompts p LEFT JOIN accounts u ON u.id = p.created_by_user";

type Row = (
    String,
    String,
    String,
    i32,
    String,
    Value,
    Value,
    Vec<String>,
    Vec<String>,
    Option<String>,
    String,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
    Option<String>,
);

fn version_from(row: Row) -> Result<PromptVersion, StoreError> {
    let (id, project_id, name, version, kind, prompt, config, mut labels, tags, commit_message, created_by, created_at, updated_at, author) =
        row;
    let prompt_type = PromptType::parse(&kind).ok_or_else(|| sqlx::Error::Decode(format!("prompt type {kind:?}").into()))?;
    let prompt = PromptBody::from_json(prompt_type, &prompt).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?;
    sort_labels(&mut labels);
    Ok(PromptVersion {
        id,
        project_id,
        name,
        version,
        prompt_type,
        prompt,
        config,
        labels,
        tags,
        commit_message,
        created_by,
        created_at,
        updated_at,
        author,
    })
}

/// Serializes writers to one prompt name (see the module comment).
pub async fn lock_name(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<(), StoreError> {
    // Length-prefixed, so no (project, name) pair hashes the same text as another.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('prompt:' || length($1) || ':' || $1 || $2, 0))")
        .bind(project_id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// One version by label or number.
pub async fn get(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    selector: &PromptSelector,
) -> Result<Option<PromptVersion>, StoreError> {
    let row: Option<Row> = match selector {
        PromptSelector::Version(version) => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE p.project_id = $1 AND p.name = $2 AND p.version = $3"))
                .bind(project_id)
                .bind(name)
                .bind(version)
                .fetch_optional(conn)
                .await?
        }
        PromptSelector::Label(label) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE p.project_id = $1 AND p.name = $2 AND $3 = ANY(p.labels)
                 ORDER BY p.version DESC LIMIT 1"
            ))
            .bind(project_id)
            .bind(name)
            .bind(label)
            .fetch_optional(conn)
            .await?
        }
    };
    row.map(version_from).transpose()
}

/// Every version of a name, newest first.
pub async fn versions(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<Vec<PromptVersion>, StoreError> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE p.project_id = $1 AND p.name = $2 ORDER BY p.version DESC"))
            .bind(project_id)
            .bind(name)
            .fetch_all(conn)
            .await?;
    rows.into_iter().map(version_from).collect()
}

/// Stores a new version (already `normalize`d) as the name's newest, with `latest`, taking
/// `new.labels` from the versions that held them. Checks what needs the database: the type
/// matches the name's earlier versions, and every prompt reference resolves (exists, is a text
/// prompt, no cycle, at most 5 deep).
pub async fn create_version(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    new: &NewPrompt,
    created_by: &str,
    created_by_user: Option<&str>,
) -> Result<PromptVersion, WriteError> {
    lock_name(conn, project_id, &new.name).await?;
    let previous: Option<(i32, String, Vec<String>)> = sqlx::query_as(
        "SELECT version, type, tags FROM prompts WHERE project_id = $1 AND name = $2 ORDER BY version DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(&new.name)
    .fetch_optional(&mut *conn)
    .await?;
    let prompt_type = new.prompt.prompt_type();
    if let Some((_, kind, _)) = &previous {
        if kind != prompt_type.as_str() {
            return Err(FieldError::of(
                "type",
                PromptProblem::TypeChanged { name: new.name.clone(), kind: kind.clone(), new_kind: prompt_type.as_str().to_string() },
            )
            .into());
        }
    }
    super::prompt_graph::check_new(conn, project_id, &new.name, &new.prompt).await?;

    let version = previous.as_ref().map_or(1, |(v, _, _)| v + 1);
    let tags = match (&new.tags, &previous) {
        (Some(tags), _) => tags.clone(),
        (None, Some((_, _, tags))) => tags.clone(),
        (None, None) => Vec::new(),
    };
    if new.tags.is_some() && previous.is_some() {
        // Tags belong to the name: every version shows the same ones.
        sqlx::query("UPDATE prompts SET tags = $3, updated_at = now() WHERE project_id = $1 AND name = $2 AND tags <> $3")
            .bind(project_id)
            .bind(&new.name)
            .bind(&tags)
            .execute(&mut *conn)
            .await?;
    }
    let mut taken: Vec<String> = new.labels.clone();
    taken.push(LATEST.to_string());
    take_labels(conn, project_id, &new.name, &taken).await?;

    let mut labels = new.labels.clone();
    labels.push(LATEST.to_string());
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO prompts (project_id, id, name, version, type, prompt, config, labels, tags, commit_message, created_by, created_by_user)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(project_id)
    .bind(&id)
    .bind(&new.name)
    .bind(version)
    .bind(prompt_type.as_str())
    .bind(serde_json::to_value(&new.prompt).map_err(|e| sqlx::Error::Encode(e.into()))?)
    .bind(&new.config)
    .bind(&labels)
    .bind(&tags)
    .bind(&new.commit_message)
    .bind(created_by)
    .bind(created_by_user)
    .execute(&mut *conn)
    .await?;

    let references = new.prompt.references();
    if !references.is_empty() {
        let mut names = Vec::new();
        let mut labels = Vec::new();
        let mut versions = Vec::new();
        for reference in &references {
            names.push(reference.name.clone());
            match &reference.target {
                PromptTarget::Label(label) => {
                    labels.push(Some(label.clone()));
                    versions.push(None);
                }
                PromptTarget::Version(v) => {
                    labels.push(None);
                    versions.push(Some(*v));
                }
            }
        }
        sqlx::query(
            "INSERT INTO prompt_dependencies (project_id, parent_id, child_name, child_label, child_version)
             SELECT DISTINCT $1, $2, n, l, v FROM UNNEST($3::text[], $4::text[], $5::int[]) AS d(n, l, v)",
        )
        .bind(project_id)
        .bind(&id)
        .bind(&names)
        .bind(&labels)
        .bind(&versions)
        .execute(&mut *conn)
        .await?;
    }
    Ok(get(conn, project_id, &new.name, &PromptSelector::Version(version)).await?.expect("inserted in this transaction"))
}

/// Removes `labels` from every version of the name that holds one of them.
async fn take_labels(conn: &mut PgConnection, project_id: &ProjectId, name: &str, labels: &[String]) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE prompts SET labels = ARRAY(SELECT l FROM unnest(labels) AS l WHERE l <> ALL($3)), updated_at = now()
         WHERE project_id = $1 AND name = $2 AND labels && $3",
    )
    .bind(project_id)
    .bind(name)
    .bind(labels)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts `labels` (already checked: not `latest`) on one version, taking them from the versions
/// that held them (Langfuse's PATCH: labels are added, never replaced). Returns the version.
pub async fn add_labels(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    version: i32,
    labels: &[String],
) -> Result<PromptVersion, WriteError> {
    lock_name(conn, project_id, name).await?;
    let selector = PromptSelector::Version(version);
    if get(conn, project_id, name, &selector).await?.is_none() {
        return Err(WriteError::NotFound(selector.not_found(name)));
    }
    let mut labels: Vec<String> = labels.to_vec();
    labels.sort();
    labels.dedup();
    take_labels(conn, project_id, name, &labels).await?;
    sqlx::query(
        "UPDATE prompts SET labels = ARRAY(SELECT DISTINCT l FROM unnest(labels || $4::text[]) AS l ORDER BY l), updated_at = now()
         WHERE project_id = $1 AND name = $2 AND version = $3",
    )
    .bind(project_id)
    .bind(name)
    .bind(version)
    .bind(&labels)
    .execute(&mut *conn)
    .await?;
    Ok(get(conn, project_id, name, &selector).await?.expect("locked and present"))
}

/// Takes a label off a version (so no version holds it). Refused while another prompt references
/// the name by that label.
pub async fn remove_label(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    version: i32,
    label: &str,
) -> Result<PromptVersion, WriteError> {
    if label == LATEST {
        return Err(FieldError::of("label", PromptProblem::LatestIsAutomatic).into());
    }
    lock_name(conn, project_id, name).await?;
    let selector = PromptSelector::Version(version);
    let current = get(conn, project_id, name, &selector).await?.ok_or_else(|| WriteError::NotFound(selector.not_found(name)))?;
    if !current.has_label(label) {
        return Err(FieldError::of(
            "label",
            PromptProblem::LabelNotOnVersion { version, name: name.to_string(), label: label.to_string() },
        )
        .into());
    }
    refuse_if_referenced(conn, project_id, name, &[label.to_string()], &[]).await?;
    take_labels(conn, project_id, name, &[label.to_string()]).await?;
    Ok(get(conn, project_id, name, &selector).await?.expect("locked and present"))
}

/// Refuses a change that would leave another prompt's reference (to `name` by one of `labels` or
/// `versions`) pointing at nothing.
async fn refuse_if_referenced(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    labels: &[String],
    versions: &[i32],
) -> Result<(), WriteError> {
    let users: Vec<(String, i32)> = sqlx::query_as(
        "SELECT DISTINCT p.name, p.version FROM prompt_dependencies d
         JOIN prompts p ON p.project_id = d.project_id AND p.id = d.parent_id
         WHERE d.project_id = $1 AND d.child_name = $2 AND p.name <> $2
           AND (d.child_label = ANY($3) OR d.child_version = ANY($4))
         ORDER BY 1, 2 LIMIT 5",
    )
    .bind(project_id)
    .bind(name)
    .bind(labels)
    .bind(versions)
    .fetch_all(&mut *conn)
    .await?;
    if users.is_empty() {
        return Ok(());
    }
    Err(FieldError::of("name", PromptProblem::Referenced(users)).into())
}

/// Deletes the whole name (`None`) or the versions a label or number selects; `latest` moves to
/// the newest version left. Returns the deleted versions' numbers (empty: nothing matched).
pub async fn delete(
    conn: &mut PgConnection,
    project_id: &ProjectId,
    name: &str,
    selector: Option<&PromptSelector>,
) -> Result<Vec<i32>, WriteError> {
    lock_name(conn, project_id, name).await?;
    let (version, label) = match selector {
        None => (None, None),
        Some(PromptSelector::Version(v)) => (Some(*v), None),
        Some(PromptSelector::Label(l)) => (None, Some(l.as_str())),
    };
    let doomed: Vec<(i32, Vec<String>)> = sqlx::query_as(
        "SELECT version, labels FROM prompts
         WHERE project_id = $1 AND name = $2 AND ($3::int IS NULL OR version = $3) AND ($4::text IS NULL OR $4 = ANY(labels))",
    )
    .bind(project_id)
    .bind(name)
    .bind(version)
    .bind(label)
    .fetch_all(&mut *conn)
    .await?;
    if doomed.is_empty() {
        return Ok(Vec::new());
    }
    let versions: Vec<i32> = doomed.iter().map(|(v, _)| *v).collect();
    let mut labels: Vec<String> = doomed.iter().flat_map(|(_, l)| l.iter().cloned()).filter(|l| l != LATEST).collect();
    if selector.is_none() {
        // Deleting the name leaves no `latest` either.
        labels.push(LATEST.to_string());
    }
    refuse_if_referenced(conn, project_id, name, &labels, &versions).await?;
    sqlx::query("DELETE FROM prompts WHERE project_id = $1 AND name = $2 AND version = ANY($3)")
        .bind(project_id)
        .bind(name)
        .bind(&versions)
        .execute(&mut *conn)
        .await?;
    // `latest` follows the newest version that is left.
    sqlx::query(
        "UPDATE prompts SET labels = array_append(labels, 'latest'), updated_at = now()
         WHERE project_id = $1 AND name = $2 AND NOT ('latest' = ANY(labels))
           AND version = (SELECT max(version) FROM prompts WHERE project_id = $1 AND name = $2)",
    )
    .bind(project_id)
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(versions)
}

/// The public API's list filters (Langfuse's `GET /v2/prompts`): they select versions, and the
/// list shows each name with the versions that matched.
#[derive(Debug, Clone, Default)]
pub struct MetaFilter {
    pub name: Option<String>,
    pub label: Option<String>,
    pub tag: Option<String>,
    pub version: Option<i32>,
    pub from_updated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub to_updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One name of the public list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptMeta {
    pub name: String,
    #[serde(rename = "type")]
    pub prompt_type: PromptType,
    pub versions: Vec<i32>,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub last_updated_at: chrono::DateTime<chrono::Utc>,
    pub last_config: Value,
}

const META_WHERE: &str = "project_id = $1 AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR $3 = ANY(labels))
     AND ($4::text IS NULL OR $4 = ANY(tags)) AND ($5::int IS NULL OR version = $5)
     AND ($6::timestamptz IS NULL OR updated_at >= $6) AND ($7::timestamptz IS NULL OR updated_at < $7)";

/// A page of names (by name) and the number of names matching.
pub async fn list_meta(
    pool: &PgPool,
    project_id: &ProjectId,
    filter: &MetaFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PromptMeta>, i64), StoreError> {
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(project_id)
                .bind(&filter.name)
                .bind(&filter.label)
                .bind(&filter.tag)
                .bind(filter.version)
                .bind(filter.from_updated_at)
                .bind(filter.to_updated_at)
        };
    }
    let total: i64 = bind_filter!(sqlx::query_scalar(&format!("SELECT count(DISTINCT name) FROM prompts WHERE {META_WHERE}")))
        .fetch_one(pool)
        .await?;
    let names: Vec<String> = bind_filter!(sqlx::query_scalar(&format!(
        "SELECT name FROM prompts WHERE {META_WHERE} GROUP BY name ORDER BY name LIMIT $8 OFFSET $9"
    )))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let rows: Vec<(String, i32, String, Vec<String>, Vec<String>, chrono::DateTime<chrono::Utc>, Value)> =
        bind_filter!(sqlx::query_as(&format!(
            "SELECT name, version, type, labels, tags, updated_at, config FROM prompts
             WHERE {META_WHERE} AND name = ANY($8) ORDER BY name, version DESC"
        )))
        .bind(&names)
        .fetch_all(pool)
        .await?;
    let mut by_name: BTreeMap<String, PromptMeta> = BTreeMap::new();
    for (name, version, kind, labels, tags, updated_at, config) in rows {
        let meta = by_name.entry(name.clone()).or_insert_with(|| PromptMeta {
            name,
            prompt_type: PromptType::parse(&kind).unwrap_or_default(),
            versions: Vec::new(),
            labels: Vec::new(),
            tags,
            last_updated_at: updated_at,
            // Rows come newest version first: its config is the name's last config.
            last_config: config,
        });
        meta.versions.push(version);
        meta.labels.extend(labels);
        meta.last_updated_at = meta.last_updated_at.max(updated_at);
    }
    let list = names
        .into_iter()
        .filter_map(|name| by_name.remove(&name))
        .map(|mut meta| {
            meta.labels.sort();
            meta.labels.dedup();
            sort_labels(&mut meta.labels);
            meta
        })
        .collect();
    Ok((list, total))
}

/// Every prompt name of the project with its summary (usage left 0: see [`usage`]), by name.
/// The UI's folder view and search work on this list; a project has names in the thousands, not
/// millions, and the query reads one index-ordered pass of the versions.
pub async fn summaries(pool: &PgPool, project_id: &ProjectId, search: Option<&str>) -> Result<Vec<PromptSummary>, StoreError> {
    let rows: Vec<(String, String, i64, i32, Vec<String>, Vec<String>, chrono::DateTime<chrono::Utc>, Option<String>)> =
        sqlx::query_as(
            "SELECT p.name, p.type, g.versions, p.version,
                    ARRAY(SELECT DISTINCT l FROM prompts q, unnest(q.labels) AS l WHERE q.project_id = $1 AND q.name = p.name),
                    p.tags, g.updated_at, coalesce(u.name, u.email, p.created_by)
             FROM (SELECT name, count(*) AS versions, max(version) AS latest, max(updated_at) AS updated_at
                   FROM prompts
                   WHERE project_id = $1 AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0 OR $2 = ANY(tags))
                   GROUP BY name) g
             JOIN prompts p ON p.project_id = $1 AND p.name = g.name AND p.version = g.latest
             LEFT JOIN accounts u ON u.id = p.created_by_user
             ORDER BY p.name",
        )
        .bind(project_id)
        .bind(search)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(name, kind, versions, latest_version, mut labels, tags, updated_at, updated_by)| {
            sort_labels(&mut labels);
            PromptSummary {
                name,
                prompt_type: PromptType::parse(&kind).unwrap_or_default(),
                versions,
                latest_version,
                labels,
                tags,
                updated_at,
                updated_by,
                usage: 0,
            }
        })
        .collect())
}

/// Generations linked to each of `names` (any version), from the partial
/// `observations_prompt_idx`.
pub async fn usage(pool: &PgPool, project_id: &ProjectId, names: &[String]) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT prompt_name, count(*) FROM observations WHERE project_id = $1 AND prompt_name = ANY($2) GROUP BY prompt_name",
    )
    .bind(project_id)
    .bind(names)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Versions of other prompts whose tags reference `name`.
pub async fn dependents(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<Vec<PromptDependent>, StoreError> {
    let rows: Vec<(String, i32, Option<String>, Option<i32>)> = sqlx::query_as(
        "SELECT p.name, p.version, d.child_label, d.child_version FROM prompt_dependencies d
         JOIN prompts p ON p.project_id = d.project_id AND p.id = d.parent_id
         WHERE d.project_id = $1 AND d.child_name = $2 ORDER BY p.name, p.version DESC LIMIT 200",
    )
    .bind(project_id)
    .bind(name)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, version, label, child_version)| {
            let target = match (label, child_version) {
                (Some(label), _) => PromptTarget::Label(label),
                (None, Some(v)) => PromptTarget::Version(v),
                (None, None) => return None,
            };
            Some(PromptDependent { name, version, target })
        })
        .collect())
}

pub async fn protected_labels(conn: &mut PgConnection, project_id: &ProjectId) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar("SELECT label FROM prompt_protected_labels WHERE project_id = $1 ORDER BY label")
        .bind(project_id)
        .fetch_all(conn)
        .await.map_err(StoreError::from)
}

/// Replaces the project's protected labels; returns the previous set.
pub async fn set_protected_labels(conn: &mut PgConnection, project_id: &ProjectId, labels: &[String]) -> Result<Vec<String>, StoreError> {
    let before = protected_labels(conn, project_id).await?;
    sqlx::query("DELETE FROM prompt_protected_labels WHERE project_id = $1").bind(project_id).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO prompt_protected_labels (project_id, label) SELECT $1, l FROM unnest($2::text[]) AS l ON CONFLICT DO NOTHING")
        .bind(project_id)
        .bind(labels)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}

/// Per-version numbers of the generations linked to `name`: count, latency percentiles, tokens,
/// cost, first and last use, and the averages of numeric and boolean scores on the generations
/// and on their traces.
pub async fn metrics(pool: &PgPool, project_id: &ProjectId, name: &str) -> Result<Vec<PromptVersionMetrics>, StoreError> {
    type MetricsRow = (
        i32,
        i64,
        Option<f64>,
        Option<f64>,
        i64,
        i64,
        i64,
        f64,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let rows: Vec<MetricsRow> = sqlx::query_as(
        "SELECT prompt_version, count(*),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM end_time - start_time)::float8)
                    FILTER (WHERE end_time IS NOT NULL),
                percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM end_time - start_time)::float8)
                    FILTER (WHERE end_time IS NOT NULL),
                coalesce(sum((usage_details ->> 'input')::bigint), 0)::bigint,
                coalesce(sum((usage_details ->> 'output')::bigint), 0)::bigint,
                coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint,
                coalesce(sum(total_cost), 0)::float8,
                min(start_time), max(start_time)
         FROM observations
         WHERE project_id = $1 AND prompt_name = $2 AND prompt_version IS NOT NULL
         GROUP BY prompt_version ORDER BY prompt_version DESC",
    )
    .bind(project_id)
    .bind(name)
    .fetch_all(pool)
    .await?;
    let scores: Vec<(i32, String, String, f64, i64)> = sqlx::query_as(
        "WITH g AS (
             SELECT prompt_version, id, trace_id FROM observations
             WHERE project_id = $1 AND prompt_name = $2 AND prompt_version IS NOT NULL
         )
         SELECT g.prompt_version, s.name, 'observation', avg(s.value), count(*)
         FROM g JOIN scores s ON s.project_id = $1 AND s.trace_id = g.trace_id AND s.observation_id = g.id
         WHERE s.data_type IN ('NUMERIC', 'BOOLEAN') AND s.value IS NOT NULL
         GROUP BY 1, 2
         UNION ALL
         SELECT t.prompt_version, s.name, 'trace', avg(s.value), count(*)
         FROM (SELECT DISTINCT prompt_version, trace_id FROM g) t
         JOIN scores s ON s.project_id = $1 AND s.trace_id = t.trace_id AND s.observation_id IS NULL
         WHERE s.data_type IN ('NUMERIC', 'BOOLEAN') AND s.value IS NOT NULL
         GROUP BY 1, 2
         ORDER BY 1, 3, 2",
    )
    .bind(project_id)
    .bind(name)
    .fetch_all(pool)
    .await?;
    let mut by_version: BTreeMap<i32, Vec<ScoreAverage>> = BTreeMap::new();
    for (version, name, level, average, count) in scores {
        by_version.entry(version).or_default().push(ScoreAverage { name, level, average, count });
    }
    Ok(rows
        .into_iter()
        .map(
            |(version, generations, latency_p50, latency_p95, input_tokens, output_tokens, total_tokens, total_cost, first_used, last_used)| {
                PromptVersionMetrics {
                    version,
                    generations,
                    latency_p50,
                    latency_p95,
                    input_tokens,
                    output_tokens,
                    total_tokens,
                    total_cost,
                    first_used,
                    last_used,
                    scores: by_version.remove(&version).unwrap_or_default(),
                }
            },
        )
        .collect())
}

/// The organization of a project (for audit entries written by API keys).
pub async fn org_of(conn: &mut PgConnection, project_id: &ProjectId) -> Result<OrganizationId, StoreError> {
    let org_id: String = sqlx::query_scalar("SELECT org_id FROM projects WHERE id = $1").bind(project_id).fetch_one(conn).await?;
    Ok(OrganizationId::vouched(org_id))
}

impl From<sqlx::Error> for WriteError {
    fn from(error: sqlx::Error) -> Self {
        WriteError::Database(error.into())
    }
}
