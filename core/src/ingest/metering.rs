//! Metering (issue #22): the units a write created — traces, observations and scores, as
//! Langfuse counts them — added to the project's hourly counter **in the write's own
//! transaction**, so the counters are exactly the rows ever created: a rolled-back write counts
//! nothing, a retried request whose rows exist already creates (and counts) none, an update of a
//! stored row is not a new unit, and deleting rows gives nothing back.
//!
//! Cheap: one `INSERT … ON CONFLICT DO UPDATE` per request (none when it created nothing; sent in
//! the writer's closing statement, so no round trip of its own), on a
//! row of `usage_counters` chosen by `(project, UTC hour, pg_backend_pid() % 16)`. A connection
//! runs one transaction at a time, so two concurrent ingestion transactions only share a row when
//! their backends' pids agree modulo 16 — rarely; the row lock they then queue on is held from
//! here to the commit, the last step of the write. The hour is the transaction's `now()`.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{Postgres, QueryBuilder};

use super::writer::WriteSummary;
use crate::scope::ProjectId;

/// Shards per project and hour (the migration's CHECK allows 0–15).
pub const SHARDS: i32 = 16;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// `LOUPE_METERING=off` (read by the server's config), **for the benchmark only**: it compares
/// ingestion with and without this statement. Off, no unit is counted and quotas see none.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The units `summary` created (traces, observations, scores); `None` when it created none or
/// metering is off: then nothing is counted.
pub fn units(summary: &WriteSummary) -> Option<[i64; 3]> {
    let units = [summary.traces_created as i64, summary.observations_created as i64, summary.scores_created as i64];
    (units.iter().sum::<i64>() > 0 && enabled()).then_some(units)
}

/// Adds `units` to the project's counter of this hour, in the caller's transaction: the
/// counting statement (an `INSERT`, a `WITH` query of the writer's closing statement,
/// `writer::close`), its values bound in `qb`.
pub fn push_count(qb: &mut QueryBuilder<'_, Postgres>, project_id: &ProjectId, [traces, observations, scores]: [i64; 3]) {
    qb.push("INSERT INTO usage_counters AS c (org_id, project_id, hour, shard, traces, observations, scores) SELECT p.org_id, p.id, date_trunc('hour', now(), 'UTC'), (pg_backend_pid() % ")
        .push_bind(SHARDS)
        .push(")::smallint, ")
        .push_bind(traces)
        .push(", ")
        .push_bind(observations)
        .push(", ")
        .push_bind(scores)
        .push(" FROM projects p WHERE p.id = ")
        .push_bind(project_id.as_str().to_owned())
        .push(
            " ON CONFLICT (project_id, hour, shard) DO UPDATE
              SET traces = c.traces + excluded.traces,
                  observations = c.observations + excluded.observations,
                  scores = c.scores + excluded.scores",
        );
}
