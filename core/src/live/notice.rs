//! The NOTIFY payload on channel [`CHANNEL`], between the replica that wrote and every replica
//! that listens: `{"p":"<project id>","t":["<trace id>",…]}`, or `{"p":…,"t":null,"n":<count>}`
//! when a request touched too many traces to name ("many changed, reload").
//!
//! Postgres refuses payloads of 8000 bytes or more, so the ids of one request are split over
//! several notifications; past [`MAX_NOTICES`] of them one "many" notice replaces the lot, which
//! keeps a bulk request's cost to one statement with a handful of rows.

use crate::scope::ProjectId;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// The one channel every replica listens on.
pub const CHANNEL: &str = "loupe_traces";
/// Postgres's limit is "shorter than 8000 bytes"; a margin for its own bookkeeping.
const PAYLOAD_LIMIT: usize = 7_900;
/// More notices than this for one request and the ids are not worth naming.
const MAX_NOTICES: usize = 8;

/// One notification's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The project.
    pub p: String,
    /// The changed traces; `None`: too many to name.
    pub t: Option<Vec<String>>,
    /// With `t: None`, how many traces changed (for logs; listeners only need "many").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<usize>,
}

/// The payloads announcing that `trace_ids` of `project_id` changed: the ids in as few
/// notifications as fit, or one "many" notice. Empty when there is nothing to announce.
pub fn payloads(project_id: &ProjectId, trace_ids: &BTreeSet<String>) -> Vec<String> {
    if trace_ids.is_empty() {
        return Vec::new();
    }
    let many = || {
        let notice = Notice { p: project_id.to_string(), t: None, n: Some(trace_ids.len()) };
        let payload = serde_json::to_string(&notice).unwrap_or_default();
        // A project id is short (validated where projects are made); if one ever is not, say
        // nothing rather than fail the write: live updates are a convenience, the data is stored.
        if payload.len() > PAYLOAD_LIMIT {
            tracing::warn!(%project_id, "project id too long for a live-update notification");
            return Vec::new();
        }
        vec![payload]
    };
    // `{"p":<project>,"t":[` … `]}`; each id adds its JSON string and a comma.
    let Ok(project_json) = serde_json::to_string(project_id) else { return Vec::new() };
    let frame = r#"{"p":,"t":[]}"#.len() + project_json.len();
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for id in trace_ids {
        let Ok(id_json) = serde_json::to_string(id) else { return many() };
        if frame + id_json.len() > PAYLOAD_LIMIT {
            return many();
        }
        if !current.is_empty() && frame + current.len() + 1 + id_json.len() > PAYLOAD_LIMIT {
            chunks.push(std::mem::take(&mut current));
            if chunks.len() == MAX_NOTICES {
                return many();
            }
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&id_json);
    }
    chunks.push(current);
    chunks.into_iter().map(|ids| format!(r#"{{"p":{project_json},"t":[{ids}]}}"#)).collect()
}

/// Announces the changed traces. Called from inside the writing transaction: Postgres delivers
/// a notification only when its transaction commits (and drops it on rollback), so listeners
/// never hear of data that is not durable, and hear of it only once it is readable. (Given a
/// pool, it runs on its own after a commit, as for deletions.)
pub async fn send<'c>(conn: impl PgExecutor<'c>, project_id: &ProjectId, trace_ids: &BTreeSet<String>) -> Result<(), sqlx::Error> {
    let payloads = payloads(project_id, trace_ids);
    if payloads.is_empty() {
        return Ok(());
    }
    let mut statement = QueryBuilder::new("");
    push_send(&mut statement, payloads);
    statement.build().execute(conn).await?;
    Ok(())
}

/// The notifying query for `payloads` (a `SELECT`, one row per notification), bound in `qb`:
/// one statement for all chunks, one round trip whatever the request's size — and none of its
/// own in ingestion, whose closing statement holds it (`ingest::writer::close`).
pub fn push_send(qb: &mut QueryBuilder<'_, Postgres>, payloads: Vec<String>) {
    qb.push("SELECT pg_notify(").push_bind(CHANNEL).push(", payload) FROM UNNEST(").push_bind(payloads).push("::text[]) AS payload");
}

/// Reads a payload; `None` for anything that is not one (logged by the caller).
pub fn parse(payload: &str) -> Option<Notice> {
    serde_json::from_str(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        ids.into_iter().collect()
    }

    #[test]
    fn a_few_ids_fit_one_notice() {
        let ids = set(["b".to_string(), "a".to_string(), "quote\"d".to_string()]);
        let payloads = payloads(&ProjectId::vouched("proj"), &ids);
        assert_eq!(payloads.len(), 1);
        let notice = parse(&payloads[0]).unwrap();
        assert_eq!(notice, Notice { p: "proj".into(), t: Some(vec!["a".into(), "b".into(), "quote\"d".into()]), n: None });
        assert!(super::payloads(&ProjectId::vouched("proj"), &BTreeSet::new()).is_empty());
    }

    #[test]
    fn many_ids_are_split_under_the_limit_and_all_named() {
        // 32-hex trace ids as OTel sends them: ~35 bytes each, so ~220 per notice.
        let ids = set((0..1000).map(|i| format!("{i:032x}")));
        let payloads = payloads(&ProjectId::vouched("proj"), &ids);
        assert!(payloads.len() > 1 && payloads.len() <= MAX_NOTICES, "{}", payloads.len());
        let mut named = BTreeSet::new();
        for payload in &payloads {
            assert!(payload.len() <= PAYLOAD_LIMIT, "{}", payload.len());
            let notice = parse(payload).unwrap();
            assert_eq!(notice.p, "proj");
            named.extend(notice.t.unwrap());
        }
        assert_eq!(named, ids);
    }

    #[test]
    fn too_many_ids_or_a_huge_one_say_many() {
        let ids = set((0..5000).map(|i| format!("{i:032x}")));
        let payloads = payloads(&ProjectId::vouched("proj"), &ids);
        assert_eq!(payloads.len(), 1);
        assert_eq!(parse(&payloads[0]).unwrap(), Notice { p: "proj".into(), t: None, n: Some(5000) });

        let huge = set(["x".repeat(10_000), "small".to_string()]);
        let payloads = super::payloads(&ProjectId::vouched("proj"), &huge);
        assert_eq!(parse(&payloads[0]).unwrap().t, None);
    }

    #[test]
    fn multi_byte_ids_are_measured_in_bytes() {
        // 3 bytes per character in UTF-8: a chunk counted in characters would overflow.
        let ids = set((0..400).map(|i| format!("{i}-{}", "€".repeat(20))));
        for payload in payloads(&ProjectId::vouched("proj"), &ids) {
            assert!(payload.len() <= PAYLOAD_LIMIT, "{}", payload.len());
        }
    }
}
