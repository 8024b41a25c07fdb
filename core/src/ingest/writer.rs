//! Stores one request's [`IngestBatch`] in a single transaction: the caller acknowledges the
//! request only after [`write`] returns, so a success response means the data is committed.
//!
//! Rows are written in bulk (one statement per table, arrays bound with `UNNEST`), sorted by id so
//! concurrent requests lock rows in the same order and cannot deadlock. Each table is written in
//! two steps: `INSERT … ON CONFLICT DO NOTHING` creates the new rows, then an `UPDATE … FROM
//! UNNEST` merges the patches of rows that already existed. Unlike `ON CONFLICT DO UPDATE`, the
//! update sees the patch's own nulls, so "absent" keeps the stored value while values fill it:
//! - scalar fields: the later non-null value wins (COALESCE);
//! - `metadata`: deep-merged (`loupe_jsonb_merge`); `tags`: sorted union;
//! - trace `timestamp`: the earliest; observation `start_time`, `trace_id`, `environment` and
//!   trace `environment`: the first stored value (immutable, as in Langfuse);
//! - provided usage / cost: replaced by a later non-empty map.
//!
//! OTel spans (complete, usually new) take only the insert step, and when none of a batch's
//! observations exists yet they are not even sent as statements: one binary `COPY` writes them
//! (`copy_new_observations`; a stored row makes it fail, and the write starts again in a new
//! transaction, `ROLLBACK AND CHAIN`, with the statements — which is why [`write`] must be the
//! first thing its transaction does). The legacy batch API's create-then-update events take
//! both steps. Generation-like observations are priced in Rust (`pricing`) from their merged
//! values: before the insert for new rows, and from the update's `RETURNING` for merged ones.
//!
//! Last, still inside the transaction, the traces the request touched are announced with
//! `NOTIFY` for live updates ([`crate::live::notice`]); Postgres delivers it only on commit.

use crate::scope::ProjectId;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use loupe_domain::{ObservationLevel, ObservationType};
use serde_json::{json, Value};
use sqlx::{PgConnection, Postgres, QueryBuilder, Transaction};

use super::environment;
use super::fold::fold_by_id;
use super::model::{IngestBatch, ObservationPatch, ScoreRecord, TracePatch};
use super::trace_metrics::{Changes, NewObservation};
use super::usage::{self, NormalizedUsage};
use crate::pricing::{Priced, PricingInput, ProjectPrices};

/// What a write changed, for logs and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteSummary {
    pub traces_created: usize,
    pub traces_updated: usize,
    pub observations_created: usize,
    pub observations_updated: usize,
    /// Scores written, created or replacing a stored one.
    pub scores_written: usize,
    /// Of those, the new ones (units: `super::metering`).
    pub scores_created: usize,
}

impl WriteSummary {
    pub fn add(&mut self, other: WriteSummary) {
        self.traces_created += other.traces_created;
        self.traces_updated += other.traces_updated;
        self.observations_created += other.observations_created;
        self.observations_updated += other.observations_updated;
        self.scores_written += other.scores_written;
        self.scores_created += other.scores_created;
    }
}

/// Writes the batch for `project_id` inside `tx` (the caller commits). The first thing `tx`
/// does: should the `COPY` of OTel spans be refused, the transaction is rolled back and begun
/// again (see the module docs), which would undo anything written in it before.
///
/// `api_keys`: the keys whose requests the batch holds, checked under the project's lock
/// ([`lock_project`]); a key gone fails the write as a project gone does (`Fault::Gone`).
/// Writers not acting for an API key (the UI, evaluators) pass none.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    project_id: &ProjectId,
    api_keys: &[String],
    batch: IngestBatch,
    prices: &ProjectPrices,
    received_at: DateTime<Utc>,
) -> Result<WriteSummary, sqlx::Error> {
    lock_project(&mut **tx, project_id, api_keys).await?;
    write_locked(tx, project_id, api_keys, batch, prices, received_at).await
}

/// [`write`] in a transaction begun with [`begin_statement`]`(project_id, api_keys)`, which took
/// the lock already.
pub(crate) async fn write_locked(
    tx: &mut Transaction<'_, Postgres>,
    project_id: &ProjectId,
    api_keys: &[String],
    batch: IngestBatch,
    prices: &ProjectPrices,
    received_at: DateTime<Utc>,
) -> Result<WriteSummary, sqlx::Error> {
    let mut summary = WriteSummary::default();
    let traces = fold_by_id(batch.traces, |p| &p.id, TracePatch::absorb);
    let observations = fold_by_id(batch.observations, |p| &p.id, ObservationPatch::absorb);
    let scores = fold_by_id(batch.scores, |s| &s.id, |a, b| *a = b);
    let experiments = batch.experiments;
    // OTel spans arrive complete and, but for an exporter's retry, new: all of them go in one
    // binary `COPY` when none exists yet (see `copy_new_observations`).
    let mut copy = super::model::all_otel_spans(&observations);
    let traces = (!traces.is_empty()).then(|| TraceColumns::from_patches(traces, received_at));
    let observations = (!observations.is_empty()).then(|| {
        let prepared: Vec<Prepared> = observations.into_iter().map(|p| prepare(p, prices)).collect();
        ObservationColumns::from_prepared(prepared, received_at)
    });
    // For the trace aggregates below: the traces this request wrote, what its new observations
    // add to them, and which ones an updated observation makes recompute.
    let mut metrics;
    // The traces this request touches, for live updates: traces written, the traces of the
    // observations (the stored trace for merged ones: it is immutable) and of scores.
    let mut touched: BTreeSet<String>;
    loop {
        metrics = Changes::default();
        touched = BTreeSet::new();
        for id in traces.iter().flat_map(|c| &c.id) {
            metrics.touch(id);
            touched.insert(id.clone());
        }
        touched.extend(scores.iter().filter_map(|s| s.trace_id.clone()));
        if let Some(c) = &traces {
            (summary.traces_created, summary.traces_updated) = write_traces(tx, project_id, c, &mut metrics).await?;
        }
        let Some(c) = &observations else { break };
        if !copy {
            (summary.observations_created, summary.observations_updated) =
                write_observations(tx, project_id, c, prices, &mut touched, &mut metrics).await?;
            break;
        }
        if copy_new_observations(tx, project_id, c).await? {
            for i in 0..c.id.len() {
                touched.insert(c.trace_id[i].clone());
                metrics.add(c.new_observation(i));
            }
            summary.observations_created = c.id.len();
            break;
        }
        // The `COPY` was refused (a span stored already, or a value Postgres refuses) and its
        // error aborted the transaction: start again in a new one, without a `COPY` — rare, so
        // the common case spends no savepoint on it (a round trip and a subtransaction per
        // request, issue #23). `AND CHAIN`: the new transaction in the same round trip.
        sqlx::query("ROLLBACK AND CHAIN").execute(&mut **tx).await?;
        lock_project(&mut **tx, project_id, api_keys).await?;
        copy = false;
    }
    if !scores.is_empty() {
        (summary.scores_written, summary.scores_created) = write_scores(tx, project_id, scores).await?;
    }
    // Experiment runs and the dataset items their spans ran (OTLP only; nothing without them).
    super::experiments::write(tx, project_id, experiments).await?;

    // ---- Trace aggregates (latency, cost, tokens, level, models) for the traces list ----------
    // In the same transaction, after the rows they are computed from (see trace_metrics.rs).
    let extents = super::trace_metrics::refresh(tx, project_id, metrics).await?;
    // ---- end of trace aggregates ---------------------------------------------------------------
    // Metric rollups (#22): the hours these traces and their observations count in are dirty —
    // from the extents just returned where there are some, looked up for the rest (a score's
    // trace, a recomputed one).
    let known: BTreeSet<&str> = extents.iter().map(|e| e.trace_id.as_str()).collect();
    let others = touched.iter().filter(|id| !known.contains(id.as_str()));
    let (lookups, hours) = crate::metrics::rollups::to_mark(&extents, others);
    if !lookups.is_empty() {
        crate::metrics::rollups::mark_traces_with_extents(&mut **tx, project_id, &[], lookups).await?;
    }
    close(tx, project_id, hours, &summary, &touched).await?;
    Ok(summary)
}

/// The write's last statement, three steps in one round trip (issue #23: a statement costs a
/// round trip and its executor's set-up whatever it does, and ingestion's transaction is short):
/// the known rollup hours marked, the units created counted in this transaction (issue #22; see
/// metering.rs), and — after every row, so it goes out with the commit and never without it —
/// the live notification. In this order, as they ran when they were three statements (the
/// mark's advisory locks before the counter's row lock).
async fn close(
    tx: &mut Transaction<'_, Postgres>,
    project_id: &ProjectId,
    hours: Vec<DateTime<Utc>>,
    summary: &WriteSummary,
    touched: &BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let units = super::metering::units(summary);
    let payloads = crate::live::notice::payloads(project_id, touched);
    if hours.is_empty() && units.is_none() && payloads.is_empty() {
        return Ok(());
    }
    let mut statement = QueryBuilder::new("");
    if let Some(units) = units {
        statement.push("WITH counted AS (");
        super::metering::push_count(&mut statement, project_id, units);
        statement.push(" RETURNING 1) ");
    }
    statement.push("SELECT ");
    if hours.is_empty() {
        statement.push("NULL");
    } else {
        crate::metrics::rollups::push_mark_hours(&mut statement, project_id, hours);
    }
    if units.is_some() {
        statement.push(", (SELECT count(*) FROM counted)");
    }
    if !payloads.is_empty() {
        // `pg_notify` is volatile: the planner keeps it though only the rows are counted.
        statement.push(", (SELECT count(*) FROM (");
        crate::live::notice::push_send(&mut statement, payloads);
        statement.push(") AS notified)");
    }
    statement.build().execute(&mut **tx).await?;
    Ok(())
}

/// Holds the live project row for the rest of the transaction, or fails (an error whose
/// `store::fault` is `Fault::Gone`) when it is gone or deleted. The tables written here have no
/// foreign key to `projects` (migration 20261212000001): instead of a check per row (a trigger
/// and a `SELECT … FOR KEY SHARE` for each of ~130 rows per request), this one lock keeps the
/// project from being deleted until the commit (deletion locks it `FOR UPDATE` and waits; see
/// `store::projects`). `FOR KEY SHARE` conflicts with nothing but that: not with other writers,
/// not with updates of the project's settings. Every writer of those tables takes it
/// (retention's restored sessions too).
///
/// Both are `loupe_lock_project` (migration 20261217000001), the one definition this and
/// [`begin_statement`] call. It also checks that each of `api_keys` still exists in the project
/// (`Fault::Gone` when one does not): the OTLP route leaves that check, which every public API
/// request needs so that revoking a key takes effect at once, to the write that stores the
/// request — one round trip and one connection taken from the pool fewer per request than a
/// probe of its own (issue #23; `IngestAccess` in the server's `public_api::auth`). Checked
/// inside the transaction, it is also later than a probe could be: a key revoked while its
/// request was decoded stores nothing.
pub(crate) async fn lock_project(tx: &mut PgConnection, project_id: &ProjectId, api_keys: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT loupe_lock_project($1, $2)")
        .bind(project_id)
        .bind(api_keys)
        .execute(&mut *tx)
        .await
        .map(drop)
}

/// `BEGIN` and [`lock_project`] as one simple query, so a write's transaction starts in one
/// round trip instead of two (issue #23: each is a wake-up of both processes, ~1 % of a span's
/// CPU at 100 spans per request). A simple query has no parameters, so the ids go in as
/// literals; they are the project's and its keys' own ids, read from the database.
pub(crate) fn begin_statement(project_id: &ProjectId, api_keys: &[String]) -> String {
    let keys: Vec<String> = api_keys.iter().map(|key| literal(key)).collect();
    format!("BEGIN; SELECT loupe_lock_project({}, ARRAY[{}]::text[])", literal(project_id.as_str()), keys.join(", "))
}

/// `text` as a string literal of a statement sent without parameters: an escape string with its
/// backslashes and quotes doubled, read alike whatever `standard_conforming_strings` says.
/// (Postgres text holds no NUL, so no id has one.)
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    out.push_str("E'");
    for c in text.chars() {
        if c == '\\' || c == '\'' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

// ---------------------------------------------------------------------------------------------
// Traces

#[derive(Default)]
struct TraceColumns {
    id: Vec<String>,
    timestamp: Vec<DateTime<Utc>>,
    shallow: Vec<bool>,
    name: Vec<Option<String>>,
    user_id: Vec<Option<String>>,
    session_id: Vec<Option<String>>,
    release: Vec<Option<String>>,
    version: Vec<Option<String>>,
    input: Vec<Option<Value>>,
    output: Vec<Option<Value>>,
    metadata: Vec<Option<Value>>,
    tags: Vec<Value>,
    public: Vec<Option<bool>>,
    environment: Vec<String>,
    fallback_name: Vec<Option<String>>,
    fallback_input: Vec<Option<Value>>,
    fallback_output: Vec<Option<Value>>,
    /// The row's search document when inserted (`super::search_text`); NULL leaves it to SQL.
    search_text: Vec<Option<String>>,
    /// Its distinct words, the search indexes' key when markedly shorter (`super::search_text`).
    search_words: Vec<Option<String>>,
}

impl TraceColumns {
    fn from_patches(mut patches: Vec<TracePatch>, received_at: DateTime<Utc>) -> Self {
        patches.sort_by(|a, b| a.id.cmp(&b.id));
        let mut c = TraceColumns::default();
        for p in patches {
            c.shallow.push(p.is_shallow());
            // What the INSERT stores: each field or its fallback.
            let search_text = super::search_text::search_text(
                p.name.as_deref().or(p.fallback.name.as_deref()),
                p.input.as_ref().or(p.fallback.input.as_ref()),
                p.output.as_ref().or(p.fallback.output.as_ref()),
            );
            c.search_words.push(search_text.as_deref().and_then(super::search_text::search_words));
            c.search_text.push(search_text);
            c.id.push(p.id);
            c.timestamp.push(p.timestamp.unwrap_or(received_at));
            c.name.push(p.name);
            c.user_id.push(p.user_id);
            c.session_id.push(p.session_id);
            c.release.push(p.release);
            c.version.push(p.version);
            c.input.push(p.input);
            c.output.push(p.output);
            c.metadata.push(p.metadata.map(object_or_wrapped));
            c.tags.push(Value::from(p.tags));
            c.public.push(p.public);
            c.environment.push(p.environment.unwrap_or_else(|| environment::DEFAULT.to_string()));
            c.fallback_name.push(p.fallback.name);
            c.fallback_input.push(p.fallback.input);
            c.fallback_output.push(p.fallback.output);
        }
        c
    }
}

/// Metadata is always an object; anything else is kept under `"metadata"` (as Langfuse does).
fn object_or_wrapped(value: Value) -> Value {
    if value.is_object() {
        value
    } else {
        json!({ "metadata": value })
    }
}

/// The patch rows bound as arrays (a macro so the statements below can be `concat!`ed constants).
macro_rules! trace_source {
    () => {
        "UNNEST($2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::text[], $10::jsonb[], $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::bool[], $15::text[], $16::text[], \
     $17::jsonb[], $18::jsonb[], $19::text[], $20::text[]) \
     AS u(id, ts, shallow, name, user_id, session_id, release, version, input, output, metadata, tags, public, environment, \
          fallback_name, fallback_input, fallback_output, search_text, search_words)"
    };
}

/// Whether a patch decides the merged row's name, input and output, each as the INSERT stores it
/// (sent, or absent from the row and the patch's fallback): its `search_text`, computed from
/// those, is then the merged row's document, and the UPDATE sets it with its words — a trace
/// completed by a later request (its root after its children) keeps the words the writer made,
/// instead of the trigger recomputing the document in SQL and the search index taking all of its
/// words (migration 20261215000001, which lets the writer's transaction, marked by
/// `loupe.trace_document`, set it). Otherwise the stored document stays and the trigger
/// recomputes it from the merged row.
macro_rules! document_decided {
    () => {
        "(u.search_text IS NOT NULL AND (u.name IS NOT NULL OR t.name IS NULL) \
          AND (u.input IS NOT NULL OR t.input IS NULL) AND (u.output IS NOT NULL OR t.output IS NULL))"
    };
}

async fn write_traces(tx: &mut PgConnection, project_id: &ProjectId, c: &TraceColumns, metrics: &mut Changes) -> Result<(usize, usize), sqlx::Error> {
    let bind = |sql: &'static str| -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql)
            .bind(project_id)
            .bind(&c.id)
            .bind(&c.timestamp)
            .bind(&c.shallow)
            .bind(&c.name)
            .bind(&c.user_id)
            .bind(&c.session_id)
            .bind(&c.release)
            .bind(&c.version)
            .bind(&c.input)
            .bind(&c.output)
            .bind(&c.metadata)
            .bind(&c.tags)
            .bind(&c.public)
            .bind(&c.environment)
            .bind(&c.fallback_name)
            .bind(&c.fallback_input)
            .bind(&c.fallback_output)
            .bind(&c.search_text)
            .bind(&c.search_words)
    };
    // The sessions the traces name are created in the same statement (a data-modifying `WITH`,
    // run whether or not it is referenced): a round trip less per request (issue #23).
    const INSERT: &str = concat!(
        "WITH sessions AS (
             INSERT INTO trace_sessions (project_id, id, environment)
             SELECT $1, id, environment FROM UNNEST($21::text[], $22::text[]) AS s(id, environment)
             ON CONFLICT (project_id, id) DO NOTHING)
         INSERT INTO traces (project_id, id, timestamp, name, user_id, session_id, release, version, input, output,
                                 metadata, tags, public, environment, search_text, search_words)
             SELECT $1, u.id, u.ts, coalesce(u.name, u.fallback_name), u.user_id, u.session_id, u.release, u.version,
                    coalesce(u.input, u.fallback_input), coalesce(u.output, u.fallback_output),
                    coalesce(u.metadata, '{}'), ARRAY(SELECT jsonb_array_elements_text(u.tags) ORDER BY 1),
                    coalesce(u.public, false), u.environment, u.search_text, u.search_words
             FROM ",
        trace_source!(),
        "
             ON CONFLICT (project_id, id) DO NOTHING
             RETURNING id, timestamp"
    );
    // Sessions of traces that name one, each once, in id order (rows locked in the same order
    // by concurrent writers).
    let (session_ids, session_environments): (Vec<String>, Vec<String>) = {
        let mut sessions: BTreeMap<&str, &str> = BTreeMap::new();
        for (session, environment) in c.session_id.iter().zip(&c.environment) {
            if let Some(session) = session {
                sessions.entry(session.as_str()).or_insert(environment.as_str());
            }
        }
        sessions.into_iter().map(|(id, environment)| (id.to_string(), environment.to_string())).unzip()
    };
    // The stored timestamp of every trace row created or changed goes to the aggregates' row
    // (the list's keyset), so trace_metrics need not read `traces` back.
    let mut created: Vec<String> = Vec::new();
    for row in bind(INSERT).bind(&session_ids).bind(&session_environments).fetch_all(&mut *tx).await? {
        let id: String = sqlx::Row::get(&row, 0);
        metrics.trace_timestamp(&id, sqlx::Row::get(&row, 1));
        created.push(id);
    }
    const UPDATE: &str = concat!(
        "UPDATE traces AS t SET
                timestamp = LEAST(t.timestamp, u.ts),
                name = coalesce(u.name, t.name, u.fallback_name),
                user_id = coalesce(u.user_id, t.user_id),
                session_id = coalesce(u.session_id, t.session_id),
                release = coalesce(u.release, t.release),
                version = coalesce(u.version, t.version),
                input = coalesce(u.input, t.input, u.fallback_input),
                output = coalesce(u.output, t.output, u.fallback_output),
                metadata = CASE WHEN u.metadata IS NULL THEN t.metadata ELSE loupe_jsonb_merge(t.metadata, u.metadata) END,
                tags = CASE WHEN jsonb_array_length(u.tags) = 0 THEN t.tags
                            ELSE loupe_tags_union(t.tags, ARRAY(SELECT jsonb_array_elements_text(u.tags))) END,
                public = coalesce(u.public, t.public),
                search_text = CASE WHEN ", document_decided!(), " THEN u.search_text ELSE t.search_text END,
                search_words = CASE WHEN ", document_decided!(), " THEN u.search_words ELSE t.search_words END,
                updated_at = now()
             FROM ",
        trace_source!(),
        "
             WHERE set_config('loupe.trace_document', 'writer', true) = 'writer'
               AND t.project_id = $1 AND t.id = u.id AND t.id = ANY($2::text[]) AND u.id <> ALL($21::text[])
               AND NOT (u.shallow AND t.timestamp <= u.ts)
             RETURNING t.id, t.timestamp"
    );
    let mut updated = 0;
    if created.len() < c.id.len() {
        // Unprepared (issue #23), like `trace_metrics::refresh`'s recompute and the rollup
        // marks' lookups: a prepared statement's plan is cached per connection, and Postgres
        // settles on a generic plan — planned without the values — after five executions. Made
        // while the tables were young (a new install, a benchmark's first seconds), that plan
        // read every row of the project (`traces` by `project_id` alone, then a join) and went
        // on doing so as the table grew, for as long as the connection lived. Unprepared, each
        // merge is planned for its own values and the table's current size, for tens of
        // microseconds of planning spent only by requests that merge (never by new OTel spans).
        // And `t.id = ANY($2)` restates the join as a condition on `traces` itself, so the scan
        // is by primary key even when the statistics still say the project has a few rows
        // (autovacuum's ANALYZE lags a fast-growing table: a custom plan of the recompute read
        // 9,070 rows for 10 so). `trace_list::merges_read_only_the_rows_they_merge` holds it.
        for row in bind(UPDATE).bind(&created).persistent(false).fetch_all(&mut *tx).await? {
            metrics.trace_timestamp(sqlx::Row::get(&row, 0), sqlx::Row::get(&row, 1));
            updated += 1;
        }
    }
    Ok((created.len(), updated))
}

// ---------------------------------------------------------------------------------------------
// Observations

/// An observation patch with its usage normalized and (when it is generation-like) priced as if
/// it were the whole row.
struct Prepared {
    patch: ObservationPatch,
    usage: NormalizedUsage,
    priced: Option<Priced>,
}

fn prepare(patch: ObservationPatch, prices: &ProjectPrices) -> Prepared {
    let (usage, priced) = price_new(&patch, prices);
    Prepared { patch, usage, priced }
}

/// How a new observation is priced: its usage normalized, then (generation-like only) priced as
/// the whole row. Public so the models page's "Test match" (#22) shows what ingestion stores.
pub fn price_new(patch: &ObservationPatch, prices: &ProjectPrices) -> (NormalizedUsage, Option<Priced>) {
    let usage = usage::normalize(&patch.usage, patch.cost.as_ref());
    let priced = patch.r#type.is_generation_like().then(|| {
        prices.price(&PricingInput {
            r#type: patch.r#type,
            level: patch.level.unwrap_or(loupe_domain::ObservationLevel::Default),
            model: patch.model.as_deref(),
            provided_usage: &usage.usage,
            provided_cost: &usage.cost,
            model_parameters: patch.model_parameters.as_ref(),
            metadata: patch.metadata.as_ref(),
            input: patch.input.as_ref(),
            output: patch.output.as_ref(),
        })
    });
    (usage, priced)
}

struct ObservationColumns {
    id: Vec<String>,
    trace_id: Vec<String>,
    parent: Vec<Option<String>>,
    r#type: Vec<&'static str>,
    name: Vec<Option<String>>,
    start_time: Vec<DateTime<Utc>>,
    end_time: Vec<Option<DateTime<Utc>>>,
    completion_start_time: Vec<Option<DateTime<Utc>>>,
    model: Vec<Option<String>>,
    model_parameters: Vec<Option<Value>>,
    input: Vec<Option<Value>>,
    output: Vec<Option<Value>>,
    metadata: Vec<Option<Value>>,
    level: Vec<Option<&'static str>>,
    status_message: Vec<Option<String>>,
    version: Vec<Option<String>>,
    environment: Vec<String>,
    provided_usage: Vec<Value>,
    provided_cost: Vec<Value>,
    usage_unit: Vec<Option<String>>,
    usage_details: Vec<Value>,
    cost_details: Vec<Value>,
    total_cost: Vec<Option<f64>>,
    internal_model_id: Vec<Option<String>>,
    tier_id: Vec<Option<String>>,
    tier_name: Vec<Option<String>>,
    prompt_name: Vec<Option<String>>,
    prompt_version: Vec<Option<i32>>,
    /// The raw OTel record, compressed by the mapper (`store::otel_record`: Postgres stores it as bytes).
    otel_record: Vec<Option<crate::store::otel_record::OtelRecord>>,
}

fn map_json<V: serde::Serialize>(map: &BTreeMap<String, V>) -> Value {
    serde_json::to_value(map).unwrap_or_else(|_| json!({}))
}

impl ObservationColumns {
    /// The end row `i` is created with: clamped to its start, as the `INSERT` does (`GREATEST`).
    /// The column keeps the patch's own end: a merge clamps it to the *stored* start instead.
    fn new_end_time(&self, i: usize) -> Option<DateTime<Utc>> {
        self.end_time[i].map(|end| end.max(self.start_time[i]))
    }

    /// Row `i`'s share of its trace's aggregates, as the row is created.
    fn new_observation(&self, i: usize) -> NewObservation<'_> {
        NewObservation {
            trace_id: &self.trace_id[i],
            start_time: self.start_time[i],
            end_time: self.new_end_time(i),
            total_cost: self.total_cost[i],
            total_tokens: self.usage_details[i].get("total").and_then(Value::as_i64),
            level: self.level[i].unwrap_or(ObservationLevel::Default.as_str()),
            model: self.model[i].as_deref(),
        }
    }

    /// Empty columns with room for `n` rows each.
    fn with_capacity(n: usize) -> Self {
        ObservationColumns {
            id: Vec::with_capacity(n),
            trace_id: Vec::with_capacity(n),
            parent: Vec::with_capacity(n),
            r#type: Vec::with_capacity(n),
            name: Vec::with_capacity(n),
            start_time: Vec::with_capacity(n),
            end_time: Vec::with_capacity(n),
            completion_start_time: Vec::with_capacity(n),
            model: Vec::with_capacity(n),
            model_parameters: Vec::with_capacity(n),
            input: Vec::with_capacity(n),
            output: Vec::with_capacity(n),
            metadata: Vec::with_capacity(n),
            level: Vec::with_capacity(n),
            status_message: Vec::with_capacity(n),
            version: Vec::with_capacity(n),
            environment: Vec::with_capacity(n),
            provided_usage: Vec::with_capacity(n),
            provided_cost: Vec::with_capacity(n),
            usage_unit: Vec::with_capacity(n),
            usage_details: Vec::with_capacity(n),
            cost_details: Vec::with_capacity(n),
            total_cost: Vec::with_capacity(n),
            internal_model_id: Vec::with_capacity(n),
            tier_id: Vec::with_capacity(n),
            tier_name: Vec::with_capacity(n),
            prompt_name: Vec::with_capacity(n),
            prompt_version: Vec::with_capacity(n),
            otel_record: Vec::with_capacity(n),
        }
    }

    fn from_prepared(rows: Vec<Prepared>, received_at: DateTime<Utc>) -> Self {
        // In id order, by sorting positions rather than the rows: a row is a kilobyte, and a
        // sort moves each several times (that and the columns grown one push at a time were 3 %
        // of Loupe's profile on the ingestion benchmark, issue #23). Ids are distinct after the
        // fold, so an unstable sort orders them as a stable one would.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&a, &b| rows[a].patch.id.cmp(&rows[b].patch.id));
        let mut rows: Vec<Option<Prepared>> = rows.into_iter().map(Some).collect();
        let mut c = ObservationColumns::with_capacity(rows.len());
        for Prepared { patch: p, usage, priced } in order.into_iter().filter_map(|i| rows[i].take()) {
            let start = p.start_time.unwrap_or(received_at);
            c.id.push(p.id);
            c.trace_id.push(p.trace_id);
            c.parent.push(p.parent_observation_id);
            c.r#type.push(p.r#type.as_str());
            c.name.push(p.name);
            c.start_time.push(start);
            c.end_time.push(p.end_time);
            c.completion_start_time.push(p.completion_start_time);
            c.model.push(p.model);
            c.model_parameters.push(p.model_parameters);
            c.input.push(p.input);
            c.output.push(p.output);
            c.metadata.push(p.metadata.map(object_or_wrapped));
            c.level.push(p.level.map(|l| l.as_str()));
            c.status_message.push(p.status_message);
            c.version.push(p.version);
            c.environment.push(p.environment.unwrap_or_else(|| environment::DEFAULT.to_string()));
            c.provided_usage.push(map_json(&usage.usage));
            c.provided_cost.push(map_json(&usage.cost));
            c.usage_unit.push(usage.unit);
            let priced = priced.unwrap_or_default();
            c.usage_details.push(map_json(&priced.usage_details));
            c.cost_details.push(map_json(&priced.cost_details));
            c.total_cost.push(priced.total_cost);
            c.internal_model_id.push(priced.internal_model_id);
            c.tier_id.push(priced.tier_id);
            c.tier_name.push(priced.tier_name);
            c.prompt_name.push(p.prompt_name);
            c.prompt_version.push(p.prompt_version);
            c.otel_record.push(p.otel_record);
        }
        c
    }
}

/// The patch rows bound as arrays (a macro so the statements below can be `concat!`ed constants).
macro_rules! observation_source {
    () => {
        "UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], \
     $8::timestamptz[], $9::timestamptz[], $10::text[], $11::jsonb[], $12::json[], $13::json[], $14::jsonb[], $15::text[], \
     $16::text[], $17::text[], $18::text[], $19::jsonb[], $20::jsonb[], $21::text[], $22::jsonb[], $23::jsonb[], \
     $24::float8[], $25::text[], $26::text[], $27::text[], $28::text[], $29::int4[], $30::bytea[]) \
     AS u(id, trace_id, parent, type, name, start_time, end_time, completion_start_time, model, model_parameters, \
          input, output, metadata, level, status_message, version, environment, provided_usage, provided_cost, usage_unit, \
          usage_details, cost_details, total_cost, internal_model_id, tier_id, tier_name, prompt_name, prompt_version, \
          otel_record)"
    };
}

/// The statement way: `INSERT … ON CONFLICT DO NOTHING`, then the merge of the rows that existed.
async fn write_observations(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    c: &ObservationColumns,
    prices: &ProjectPrices,
    touched_traces: &mut BTreeSet<String>,
    metrics: &mut Changes,
) -> Result<(usize, usize), sqlx::Error> {
    let records: Vec<Option<&[u8]>> = c.otel_record.iter().map(|r| r.as_ref().map(|r| r.bytes())).collect();
    // Empty usage and cost maps (every span that is not a generation) go as NULL, which the
    // statements read as `'{}'`: Postgres parses no JSON for them (issue #23).
    fn non_empty(maps: &[Value]) -> Vec<Option<&Value>> {
        maps.iter().map(|m| m.as_object().is_none_or(|o| !o.is_empty()).then_some(m)).collect()
    }
    let (provided_usage, provided_cost) = (non_empty(&c.provided_usage), non_empty(&c.provided_cost));
    let (usage_details, cost_details) = (non_empty(&c.usage_details), non_empty(&c.cost_details));
    // Input and output are `json` columns (migration 20261216000001): bound as their text, which
    // Postgres checks and keeps (a `Value` binds as `jsonb`).
    fn texts(values: &[Option<Value>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.as_ref().map(Value::to_string)).collect()
    }
    let (input, output) = (texts(&c.input), texts(&c.output));
    let bind = |sql: &'static str| -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(sql)
            .bind(project_id)
            .bind(&c.id)
            .bind(&c.trace_id)
            .bind(&c.parent)
            .bind(&c.r#type)
            .bind(&c.name)
            .bind(&c.start_time)
            .bind(&c.end_time)
            .bind(&c.completion_start_time)
            .bind(&c.model)
            .bind(&c.model_parameters)
            .bind(&input)
            .bind(&output)
            .bind(&c.metadata)
            .bind(&c.level)
            .bind(&c.status_message)
            .bind(&c.version)
            .bind(&c.environment)
            .bind(&provided_usage)
            .bind(&provided_cost)
            .bind(&c.usage_unit)
            .bind(&usage_details)
            .bind(&cost_details)
            .bind(&c.total_cost)
            .bind(&c.internal_model_id)
            .bind(&c.tier_id)
            .bind(&c.tier_name)
            .bind(&c.prompt_name)
            .bind(&c.prompt_version)
            .bind(&records)
    };
    const INSERT: &str = concat!(
        "INSERT INTO observations (project_id, id, trace_id, parent_observation_id, type, name, start_time, end_time,
                 completion_start_time, model, model_parameters, input, output, metadata, level, status_message, version,
                 environment, provided_usage_details, provided_cost_details, usage_unit, usage_details, cost_details,
                 total_cost, internal_model_id, usage_pricing_tier_id, usage_pricing_tier_name, prompt_name,
                 prompt_version, otel_record)
             SELECT $1, u.id, u.trace_id, u.parent, u.type, u.name, u.start_time, CASE WHEN u.end_time IS NOT NULL THEN GREATEST(u.end_time, u.start_time) END,
                    u.completion_start_time,
                    u.model, u.model_parameters, u.input, u.output, coalesce(u.metadata, '{}'), coalesce(u.level, 'DEFAULT'),
                    u.status_message, u.version, u.environment, coalesce(u.provided_usage, '{}'),
                    coalesce(u.provided_cost, '{}'), u.usage_unit, coalesce(u.usage_details, '{}'),
                    coalesce(u.cost_details, '{}'), u.total_cost, u.internal_model_id, u.tier_id, u.tier_name,
                    u.prompt_name, u.prompt_version, u.otel_record
             FROM ",
        observation_source!(),
        "
             ON CONFLICT (project_id, id) DO NOTHING
             RETURNING id, trace_id"
    );
    let mut created: Vec<String> = Vec::new();
    for row in bind(INSERT).fetch_all(&mut *tx).await? {
        created.push(sqlx::Row::get(&row, 0));
        touched_traces.insert(sqlx::Row::get(&row, 1));
    }
    // The new rows' share of their traces' aggregates, from the values just inserted (in id
    // order, the order of `c`).
    let mut is_new = vec![created.len() == c.id.len(); c.id.len()];
    if created.len() < c.id.len() {
        for id in &created {
            if let Ok(i) = c.id.binary_search(id) {
                is_new[i] = true;
            }
        }
    }
    for i in (0..c.id.len()).filter(|&i| is_new[i]) {
        metrics.add(c.new_observation(i));
    }
    if created.len() == c.id.len() {
        return Ok((created.len(), 0));
    }
    const UPDATE: &str = concat!(
        "UPDATE observations AS t SET
                type = u.type,
                parent_observation_id = coalesce(u.parent, t.parent_observation_id),
                name = coalesce(u.name, t.name),
                -- An end before the start is clamped to the start (clock skew between processes).
                end_time = CASE WHEN coalesce(u.end_time, t.end_time) IS NOT NULL
                                THEN GREATEST(coalesce(u.end_time, t.end_time), t.start_time) END,
                completion_start_time = coalesce(u.completion_start_time, t.completion_start_time),
                model = coalesce(u.model, t.model),
                model_parameters = coalesce(u.model_parameters, t.model_parameters),
                input = coalesce(u.input, t.input),
                output = coalesce(u.output, t.output),
                metadata = CASE WHEN u.metadata IS NULL THEN t.metadata ELSE loupe_jsonb_merge(t.metadata, u.metadata) END,
                level = coalesce(u.level, t.level),
                status_message = coalesce(u.status_message, t.status_message),
                version = coalesce(u.version, t.version),
                provided_usage_details = coalesce(u.provided_usage, t.provided_usage_details),
                provided_cost_details = coalesce(u.provided_cost, t.provided_cost_details),
                usage_unit = coalesce(u.usage_unit, t.usage_unit),
                prompt_name = coalesce(u.prompt_name, t.prompt_name),
                prompt_version = coalesce(u.prompt_version, t.prompt_version),
                -- A later record replaces the stored one, in whichever column an older row kept it.
                otel_record = coalesce(u.otel_record, t.otel_record),
                otel_attributes = CASE WHEN u.otel_record IS NULL THEN t.otel_attributes END,
                updated_at = now()
             FROM ",
        observation_source!(),
        "
             WHERE t.project_id = $1 AND t.id = u.id AND u.id <> ALL($31::text[])
             RETURNING t.id, t.type, t.level, t.model, t.provided_usage_details, t.provided_cost_details,
                       t.model_parameters, t.metadata,
                       CASE WHEN t.provided_usage_details = '{}' THEN t.input END,
                       CASE WHEN t.provided_usage_details = '{}' THEN t.output END,
                       t.trace_id"
    );
    // Prepared, unlike the traces' merge (see `write_traces`): its generic plan probes the primary
    // key (`trace_list::merges_read_only_the_rows_they_merge` counts the rows it reads), and
    // planning it per execution, with thirty arrays of a hundred values as constants, cost more
    // than the statement (5.4 → 14.4 ms per request of `bench_ingest --batch-api`).
    let merged = bind(UPDATE).bind(&created).fetch_all(&mut *tx).await?;
    let updated = merged.len();
    // Column 10 (after the ones `reprice` reads): the stored trace, which a patch without a
    // trace id (an update event) does not name.
    for row in &merged {
        let trace_id: String = sqlx::Row::get(row, 10);
        metrics.recompute(&trace_id);
        touched_traces.insert(trace_id);
    }
    reprice(tx, project_id, merged, prices, PriceAt::Now).await?;
    Ok((created.len(), updated))
}

/// The observations' columns in the order [`copy_new_observations`] writes them.
const COPY_OBSERVATIONS: &str = "COPY observations (project_id, id, trace_id, parent_observation_id, type, name, start_time, end_time,
        completion_start_time, model, model_parameters, input, output, metadata, level, status_message, version, environment,
        provided_usage_details, provided_cost_details, usage_unit, usage_details, cost_details, total_cost, internal_model_id,
        usage_pricing_tier_id, usage_pricing_tier_name, prompt_name, prompt_version, otel_record) FROM STDIN (FORMAT binary)";

/// Writes every row of `c` with one binary `COPY`, as the `INSERT` of [`write_observations`]
/// would create them (the same defaults and the end clamped to the start). `false`: nothing was
/// written — a row existed already (an exporter's retry, a span sent again) or Postgres refused
/// a value — and the transaction is aborted: the caller starts a new one and goes the statement
/// way, which merges what exists and names what is refused exactly as before.
///
/// Why (issue #23): `COPY` into `observations` (no row triggers) inserts rows by the page and
/// skips `ON CONFLICT`'s speculative insertion and the `UNNEST` of thirty arrays; the primary
/// key still refuses a duplicate, which is what sends a batch to the statements.
async fn copy_new_observations(tx: &mut PgConnection, project_id: &ProjectId, c: &ObservationColumns) -> Result<bool, sqlx::Error> {
    use crate::store::binary_copy::BinaryCopy;
    let empty = json!({});
    let mut copy = BinaryCopy::with_capacity(c.id.len() * 2048);
    for i in 0..c.id.len() {
        copy.row(30);
        copy.text(Some(project_id.as_str()));
        copy.text(Some(&c.id[i]));
        copy.text(Some(&c.trace_id[i]));
        copy.text(c.parent[i].as_deref());
        copy.text(Some(c.r#type[i]));
        copy.text(c.name[i].as_deref());
        copy.timestamptz(Some(c.start_time[i]));
        copy.timestamptz(c.new_end_time(i));
        copy.timestamptz(c.completion_start_time[i]);
        copy.text(c.model[i].as_deref());
        copy.jsonb(c.model_parameters[i].as_ref());
        copy.json(c.input[i].as_ref());
        copy.json(c.output[i].as_ref());
        copy.jsonb(Some(c.metadata[i].as_ref().unwrap_or(&empty)));
        copy.text(Some(c.level[i].unwrap_or(ObservationLevel::Default.as_str())));
        copy.text(c.status_message[i].as_deref());
        copy.text(c.version[i].as_deref());
        copy.text(Some(&c.environment[i]));
        copy.jsonb(Some(&c.provided_usage[i]));
        copy.jsonb(Some(&c.provided_cost[i]));
        copy.text(c.usage_unit[i].as_deref());
        copy.jsonb(Some(&c.usage_details[i]));
        copy.jsonb(Some(&c.cost_details[i]));
        copy.float8(c.total_cost[i]);
        copy.text(c.internal_model_id[i].as_deref());
        copy.text(c.tier_id[i].as_deref());
        copy.text(c.tier_name[i].as_deref());
        copy.text(c.prompt_name[i].as_deref());
        copy.int4(c.prompt_version[i]);
        copy.bytea(c.otel_record[i].as_ref().map(|r| r.bytes()));
    }
    let body = copy.finish();
    let copied = async {
        let mut stream = tx.copy_in_raw(COPY_OBSERVATIONS).await?;
        stream.send(body).await?;
        stream.finish().await
    }
    .await;
    match copied {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

type MergedRow = (String, String, String, Option<String>, Value, Value, Option<Value>, Value, Option<Value>, Option<Value>);

/// With the definitions in effect when [`reprice`] prices a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PriceAt {
    /// Now: a row ingestion just merged.
    Now,
    /// The row's own time in this column (a `timestamptz` after the ten `reprice` reads): a cost
    /// recalculation prices a generation with the definitions in effect when it started, so a
    /// price change with a `startDate` leaves what came before it alone (`model_prices`).
    Column(usize),
}

/// Prices merged generation-like rows from their stored values and writes the results; the
/// rows' first ten columns are those of [`MergedRow`]. Returns each priced row's id, new
/// `total_cost` and new `usage_details.total`. Also the cost recalculation's pricing (#22), so it
/// prices exactly as ingestion.
pub(crate) async fn reprice(
    tx: &mut PgConnection,
    project_id: &ProjectId,
    merged: Vec<sqlx::postgres::PgRow>,
    prices: &ProjectPrices,
    at: PriceAt,
) -> Result<Vec<(String, Option<f64>, Option<i64>)>, sqlx::Error> {
    use sqlx::FromRow;
    let mut ids = Vec::new();
    let mut usage_details = Vec::new();
    let mut cost_details = Vec::new();
    let mut total_cost = Vec::new();
    let mut model_id = Vec::new();
    let mut tier_id = Vec::new();
    let mut tier_name = Vec::new();
    for row in &merged {
        let (id, r#type, level, model, provided_usage, provided_cost, model_parameters, metadata, input, output) =
            MergedRow::from_row(row)?;
        let Ok(r#type) = r#type.parse::<ObservationType>() else { continue };
        if !r#type.is_generation_like() {
            continue;
        }
        let provided_usage: BTreeMap<String, i64> = serde_json::from_value(provided_usage).unwrap_or_default();
        let provided_cost: BTreeMap<String, f64> = serde_json::from_value(provided_cost).unwrap_or_default();
        let now = match at {
            PriceAt::Now => Utc::now(),
            PriceAt::Column(column) => sqlx::Row::try_get::<DateTime<Utc>, _>(row, column)?,
        };
        let priced = prices.price_at(&PricingInput {
            r#type,
            level: level.parse().unwrap_or(loupe_domain::ObservationLevel::Default),
            model: model.as_deref(),
            provided_usage: &provided_usage,
            provided_cost: &provided_cost,
            model_parameters: model_parameters.as_ref(),
            metadata: Some(&metadata),
            input: input.as_ref(),
            output: output.as_ref(),
        }, now);
        ids.push(id);
        usage_details.push(map_json(&priced.usage_details));
        cost_details.push(map_json(&priced.cost_details));
        total_cost.push(priced.total_cost);
        model_id.push(priced.internal_model_id);
        tier_id.push(priced.tier_id);
        tier_name.push(priced.tier_name);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let tokens = usage_details.iter().map(|usage| usage.get("total").and_then(Value::as_i64));
    let repriced: Vec<(String, Option<f64>, Option<i64>)> =
        ids.iter().cloned().zip(total_cost.iter().copied()).zip(tokens).map(|((id, cost), tokens)| (id, cost, tokens)).collect();
    sqlx::query(
        "UPDATE observations AS t SET usage_details = u.usage_details, cost_details = u.cost_details,
                total_cost = u.total_cost, internal_model_id = u.model_id, usage_pricing_tier_id = u.tier_id,
                usage_pricing_tier_name = u.tier_name
         FROM UNNEST($2::text[], $3::jsonb[], $4::jsonb[], $5::float8[], $6::text[], $7::text[], $8::text[])
              AS u(id, usage_details, cost_details, total_cost, model_id, tier_id, tier_name)
         WHERE t.project_id = $1 AND t.id = u.id",
    )
    .bind(project_id)
    .bind(&ids)
    .bind(&usage_details)
    .bind(&cost_details)
    .bind(&total_cost)
    .bind(&model_id)
    .bind(&tier_id)
    .bind(&tier_name)
    .execute(&mut *tx)
    .await?;
    Ok(repriced)
}

// ---------------------------------------------------------------------------------------------
// Scores

/// Scores are whole records: the same id replaces the stored score (idempotent retries, score
/// corrections), except its timestamp, target, environment and creation time. Returns the scores
/// written and, of those, the ones created (a replaced score is not a new unit).
async fn write_scores(tx: &mut PgConnection, project_id: &ProjectId, mut scores: Vec<ScoreRecord>) -> Result<(usize, usize), sqlx::Error> {
    scores.sort_by(|a, b| a.id.cmp(&b.id));
    let n = scores.len();
    let mut id = Vec::with_capacity(n);
    let mut timestamp = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut string_value = Vec::with_capacity(n);
    let mut data_type = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut trace_id = Vec::with_capacity(n);
    let mut observation_id = Vec::with_capacity(n);
    let mut session_id = Vec::with_capacity(n);
    let mut dataset_run_id = Vec::with_capacity(n);
    let mut comment = Vec::with_capacity(n);
    let mut metadata = Vec::with_capacity(n);
    let mut config_id = Vec::with_capacity(n);
    let mut queue_id = Vec::with_capacity(n);
    let mut execution_trace_id = Vec::with_capacity(n);
    let mut environment = Vec::with_capacity(n);
    let mut author_user_id = Vec::with_capacity(n);
    for s in scores {
        id.push(s.id);
        timestamp.push(s.timestamp);
        name.push(s.name);
        value.push(s.value);
        string_value.push(s.string_value);
        data_type.push(s.data_type.as_str());
        source.push(s.source.as_str());
        trace_id.push(s.trace_id);
        observation_id.push(s.observation_id);
        session_id.push(s.session_id);
        dataset_run_id.push(s.dataset_run_id);
        comment.push(s.comment);
        metadata.push(object_or_wrapped(s.metadata));
        config_id.push(s.config_id);
        queue_id.push(s.queue_id);
        execution_trace_id.push(s.execution_trace_id);
        environment.push(s.environment);
        author_user_id.push(s.author_user_id);
    }
    let written = sqlx::query(
        "INSERT INTO scores AS t (project_id, id, timestamp, name, value, string_value, data_type, source, trace_id,
                                  observation_id, session_id, dataset_run_id, comment, metadata, config_id, queue_id,
                                  execution_trace_id, environment, author_user_id)
         SELECT $1, * FROM UNNEST($2::text[], $3::timestamptz[], $4::text[], $5::float8[], $6::text[], $7::text[],
                                  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                                  $14::jsonb[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
         ON CONFLICT (project_id, id) DO UPDATE SET
            name = excluded.name, value = excluded.value, string_value = excluded.string_value,
            data_type = excluded.data_type, source = excluded.source,
            observation_id = CASE WHEN t.trace_id IS NOT DISTINCT FROM excluded.trace_id
                                  THEN excluded.observation_id ELSE t.observation_id END,
            comment = excluded.comment, metadata = excluded.metadata, config_id = excluded.config_id,
            queue_id = excluded.queue_id, execution_trace_id = excluded.execution_trace_id,
            author_user_id = excluded.author_user_id, updated_at = now()
         -- A row the insert created has no deleting transaction (xmax 0); an updated one has ours.
         RETURNING (xmax = 0)",
    )
    .bind(project_id)
    .bind(&id)
    .bind(&timestamp)
    .bind(&name)
    .bind(&value)
    .bind(&string_value)
    .bind(&data_type)
    .bind(&source)
    .bind(&trace_id)
    .bind(&observation_id)
    .bind(&session_id)
    .bind(&dataset_run_id)
    .bind(&comment)
    .bind(&metadata)
    .bind(&config_id)
    .bind(&queue_id)
    .bind(&execution_trace_id)
    .bind(&environment)
    .bind(&author_user_id)
    .fetch_all(&mut *tx)
    .await?;
    let created = written.iter().filter(|row| sqlx::Row::get::<bool, _>(*row, 0)).count();
    Ok((written.len(), created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_begin_statement_quotes_its_ids_whatever_they_hold() {
        let project = ProjectId::vouched("it's\\a");
        assert_eq!(
            begin_statement(&project, &["k1".to_string(), "o'k".to_string()]),
            r"BEGIN; SELECT loupe_lock_project(E'it''s\\a', ARRAY[E'k1', E'o''k']::text[])"
        );
        assert_eq!(begin_statement(&project, &[]), r"BEGIN; SELECT loupe_lock_project(E'it''s\\a', ARRAY[]::text[])");
    }
}
