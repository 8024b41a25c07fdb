//! Experiment runs and run items from OTLP spans (COMPATIBILITY.md §7.2), written by
//! [`super::writer::write`] in the request's transaction, so an acknowledged export has its run
//! and links as durably as its spans.
//!
//! Cheap on the hot path: nothing happens for a batch without experiment spans; otherwise two
//! or three set-based statements per batch, whatever its size (arrays bound with `UNNEST`, rows
//! sorted by key so concurrent requests lock in the same order):
//!
//! 1. runs, one row per experiment id (the spans folded in Rust first): `INSERT … ON CONFLICT
//!    DO NOTHING`, so the run of an id already stored — or of a `(dataset, name)` that
//!    `POST /dataset-run-items` stored under another id — is never a conflict that could fail
//!    the spans. A dataset id the project does not have is stored as no dataset.
//! 2. a description or metadata the stored run lacks is filled in (only rows that change, so
//!    the common case — every span repeating the same attributes — takes no row lock);
//! 3. run items, one per item root span: the run is the one with the experiment id, else the
//!    dataset's run of that name; the item version is the one in effect at
//!    `langfuse.experiment.item.version` when given, else the item's current one. A link already
//!    stored (a retried export) is left as it is.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::PgConnection;

use super::model::ExperimentSpan;
use crate::scope::ProjectId;

/// One run as the batch describes it.
#[derive(Default)]
struct Run {
    name: Option<String>,
    description: Option<String>,
    metadata: Option<serde_json::Map<String, Value>>,
    dataset_id: Option<String>,
}

/// Runs and run items of the batch's experiment spans, inside the caller's transaction.
pub async fn write(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    spans: Vec<ExperimentSpan>,
) -> Result<(), sqlx::Error> {
    if spans.is_empty() {
        return Ok(());
    }
    // Fold the spans by experiment id: the first value of each field wins, metadata merges.
    let mut runs: BTreeMap<String, Run> = BTreeMap::new();
    // (run id, item id, trace id) → (observation id, version); the first report wins, as in SQL.
    let mut items: BTreeMap<
        (String, String, String),
        (String, Option<chrono::DateTime<chrono::Utc>>),
    > = BTreeMap::new();
    for span in spans {
        let run = runs.entry(span.experiment_id.clone()).or_default();
        run.name = run.name.take().or(span.name);
        run.description = run.description.take().or(span.description);
        run.dataset_id = run.dataset_id.take().or(span.dataset_id);
        if let Some(Value::Object(metadata)) = span.metadata {
            let merged = run.metadata.get_or_insert_with(Default::default);
            for (key, value) in metadata {
                merged.entry(key).or_insert(value);
            }
        }
        if let Some(item) = span.item {
            items
                .entry((span.experiment_id, item.item_id, span.trace_id))
                .or_insert((item.observation_id, item.version));
        }
    }

    let mut ids = Vec::with_capacity(runs.len());
    let mut names = Vec::with_capacity(runs.len());
    let mut descriptions = Vec::with_capacity(runs.len());
    let mut metadata = Vec::with_capacity(runs.len());
    let mut dataset_ids = Vec::with_capacity(runs.len());
    for (id, run) in runs {
        names.push(run.name.unwrap_or_else(|| id.clone()));
        ids.push(id);
        descriptions.push(run.description);
        metadata.push(run.metadata.map(Value::Object));
        dataset_ids.push(run.dataset_id);
    }
    sqlx::query(
        "INSERT INTO dataset_runs (project_id, id, dataset_id, name, description, metadata)
         SELECT $1, u.id, d.id, u.name, u.description, u.metadata
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[]) WITH ORDINALITY AS u(id, name, description, metadata, dataset_id, n)
         LEFT JOIN datasets d ON d.project_id = $1 AND d.id = u.dataset_id
         ORDER BY u.n
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(&ids)
    .bind(&names)
    .bind(&descriptions)
    .bind(&metadata)
    .bind(&dataset_ids)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE dataset_runs AS r SET
             description = coalesce(r.description, u.description),
             metadata = CASE WHEN u.metadata IS NULL THEN r.metadata
                             WHEN r.metadata IS NULL THEN u.metadata
                             WHEN jsonb_typeof(r.metadata) = 'object' THEN u.metadata || r.metadata
                             ELSE r.metadata END,
             updated_at = now()
         FROM UNNEST($2::text[], $3::text[], $4::jsonb[]) AS u(id, description, metadata)
         WHERE r.project_id = $1 AND r.id = u.id
           AND ((r.description IS NULL AND u.description IS NOT NULL)
                OR (u.metadata IS NOT NULL
                    AND (r.metadata IS NULL
                         OR (jsonb_typeof(r.metadata) = 'object' AND NOT r.metadata ?& ARRAY(SELECT jsonb_object_keys(u.metadata))))))",
    )
    .bind(project_id)
    .bind(&ids)
    .bind(&descriptions)
    .bind(&metadata)
    .execute(&mut *tx)
    .await?;

    if items.is_empty() {
        return Ok(());
    }
    let run_by_id: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut link_ids = Vec::with_capacity(items.len());
    let mut run_ids = Vec::with_capacity(items.len());
    let mut run_names = Vec::with_capacity(items.len());
    let mut run_datasets = Vec::with_capacity(items.len());
    let mut item_ids = Vec::with_capacity(items.len());
    let mut trace_ids = Vec::with_capacity(items.len());
    let mut observation_ids = Vec::with_capacity(items.len());
    let mut versions = Vec::with_capacity(items.len());
    for ((run_id, item_id, trace_id), (observation_id, version)) in items {
        let run = run_by_id.get(run_id.as_str()).copied();
        run_names.push(run.map(|i| names[i].clone()));
        run_datasets.push(run.and_then(|i| dataset_ids[i].clone()));
        link_ids.push(uuid::Uuid::new_v4().to_string());
        run_ids.push(run_id);
        item_ids.push(item_id);
        trace_ids.push(trace_id);
        observation_ids.push(observation_id);
        versions.push(version);
    }
    sqlx::query(
        "INSERT INTO dataset_run_items (project_id, id, run_id, dataset_item_id, dataset_item_version, trace_id, observation_id)
         SELECT $1, u.link_id, r.id, u.item_id,
                CASE WHEN u.version IS NULL THEN
                         (SELECT i.valid_from FROM dataset_items i
                          WHERE i.project_id = $1 AND i.id = u.item_id AND i.valid_to IS NULL AND NOT i.is_deleted)
                     ELSE coalesce((SELECT CASE WHEN i.is_deleted THEN NULL ELSE i.valid_from END FROM dataset_items i
                                    WHERE i.project_id = $1 AND i.id = u.item_id AND i.valid_from <= u.version
                                    ORDER BY i.valid_from DESC LIMIT 1), u.version) END,
                u.trace_id, u.observation_id
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
              WITH ORDINALITY AS u(link_id, run_id, run_name, dataset_id, item_id, trace_id, observation_id, version, n)
         CROSS JOIN LATERAL (
             SELECT r.id FROM dataset_runs r
             WHERE r.project_id = $1
               AND (r.id = u.run_id OR (u.dataset_id IS NOT NULL AND r.dataset_id = u.dataset_id AND r.name = u.run_name))
             ORDER BY (r.id = u.run_id) DESC LIMIT 1
         ) r
         ORDER BY u.n
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(&link_ids)
    .bind(&run_ids)
    .bind(&run_names)
    .bind(&run_datasets)
    .bind(&item_ids)
    .bind(&trace_ids)
    .bind(&observation_ids)
    .bind(&versions)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
