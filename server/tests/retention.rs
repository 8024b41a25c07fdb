//! Data retention (issue #22) on a real Postgres: a run deletes exactly what is expired by the
//! rule of `loupe_domain::retention` — an expired trace with every observation and score of it
//! (late ones included), rows whose trace is gone by their own time, empty old sessions, media
//! nothing uses, comments on what went — in batches as small as 7 rows, and leaves newer data and
//! other projects alone; ingestion during a run is not held up and loses nothing; the setting is
//! refused above the plan's (naming the field) and a shortening only saved once confirmed; the
//! counts shown before confirming are what the run deletes, run by the job runner through "Run
//! now".

use crate::common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::ui::Browser;
use common::{trace_metrics_drift, TestApi};
use loupe_app::domain::retention::RetentionTrigger;
use loupe_core::retention::{count_expired, run_to_end};
use serde_json::{json, Value};
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery staple";

fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::days(days)
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

async fn ingest(api: &TestApi, batch: Vec<Value>) {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": batch}))).await;
    assert_eq!(response.status, 207, "{}", response.text());
    assert_eq!(response.json()["errors"], json!([]), "{}", response.text());
}

fn event(id: &str, kind: &str, at: DateTime<Utc>, body: Value) -> Value {
    json!({"id": id, "type": kind, "timestamp": iso(at), "body": body})
}

/// A trace with `spans` spans (starting `span_at`) and `scores` scores (at `score_at`).
fn trace_events(id: &str, at: DateTime<Utc>, session: Option<&str>, spans: usize, span_at: DateTime<Utc>, scores: usize, score_at: DateTime<Utc>) -> Vec<Value> {
    let mut events = vec![event(&format!("{id}-e"), "trace-create", at, json!({"id": id, "timestamp": iso(at), "name": "chat", "sessionId": session}))];
    for i in 0..spans {
        let span = format!("{id}-s{i}");
        events.push(event(&format!("{span}-e"), "span-create", at, json!({"id": span, "traceId": id, "startTime": iso(span_at), "name": "step"})));
    }
    for i in 0..scores {
        let score = format!("{id}-sc{i}");
        events.push(event(&format!("{score}-e"), "score-create", at, json!({"id": score, "traceId": id, "name": "quality", "value": 1, "timestamp": iso(score_at)})));
    }
    events
}

async fn ids(pool: &PgPool, sql: &str, project: &str) -> Vec<String> {
    sqlx::query_scalar(sql).bind(project).fetch_all(pool).await.unwrap()
}

async fn count(pool: &PgPool, table: &str, project: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE project_id = $1")).bind(project).fetch_one(pool).await.unwrap()
}

/// `trace_metrics` of the project made from scratch (the migration's backfill), after rows were
/// written by hand.
async fn rebuild_trace_metrics(pool: &PgPool, project: &str) {
    sqlx::query("DELETE FROM trace_metrics WHERE project_id = $1").bind(project).execute(pool).await.unwrap();
    sqlx::query(
        "INSERT INTO trace_metrics (project_id, trace_id, timestamp, observation_count, start_time, end_time, total_cost,
                                    total_tokens, level, error_count, warning_count, models)
         SELECT $1, coalesce(t.id, o.trace_id), t.timestamp, coalesce(o.observation_count, 0), o.start_time, o.end_time,
                coalesce(o.total_cost, 0), coalesce(o.total_tokens, 0), coalesce(o.level, 0), coalesce(o.error_count, 0),
                coalesce(o.warning_count, 0), coalesce(o.models, '{}')
         FROM (SELECT id, timestamp FROM traces WHERE project_id = $1) t
         FULL JOIN (
             SELECT trace_id, count(*)::int AS observation_count, min(start_time) AS start_time,
                    max(greatest(start_time, end_time)) AS end_time, coalesce(sum(total_cost), 0)::float8 AS total_cost,
                    coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
                    max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END)::smallint AS level,
                    count(*) FILTER (WHERE level = 'ERROR')::int AS error_count,
                    count(*) FILTER (WHERE level = 'WARNING')::int AS warning_count,
                    coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models
             FROM observations WHERE project_id = $1 GROUP BY trace_id
         ) o ON o.trace_id = t.id",
    )
    .bind(project)
    .execute(pool)
    .await
    .unwrap();
}

async fn set_project_retention(pool: &PgPool, project: &str, days: Option<i32>) {
    sqlx::query("UPDATE projects SET retention_days = $2 WHERE id = $1").bind(project).bind(days).execute(pool).await.unwrap();
}

fn invalid_field(body: &str) -> String {
    let parsed: Value = serde_json::from_str(body).unwrap_or_default();
    parsed["Invalid"]["field"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_run_deletes_exactly_the_expired_rows_in_small_batches() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let pool = &api.pool;
    let (old, recent) = (days_ago(100), days_ago(1));

    let mut batch = Vec::new();
    // 20 expired traces, each with 2 spans and a score of its time; one in a session of its own,
    // one in a session a kept trace also names.
    for i in 0..20 {
        let at = old + chrono::Duration::minutes(i);
        let session = match i {
            0 => Some("sess-old"),
            1 => Some("sess-kept"),
            _ => None,
        };
        batch.extend(trace_events(&format!("old-{i}"), at, session, 2, at, 1, at));
    }
    // An expired trace with more observations and scores than a batch holds.
    batch.extend(trace_events("old-big", old, None, 17, old, 9, old));
    // An expired trace whose span and score arrived later, with recent times: they go with it.
    batch.extend(trace_events("old-late", old, None, 0, old, 0, old));
    let late_span = days_ago(2);
    batch.push(event("late-span-e", "span-create", late_span, json!({"id": "old-late-span", "traceId": "old-late", "startTime": iso(late_span), "name": "late"})));
    batch.push(event("late-score-e", "score-create", recent, json!({"id": "old-late-score", "traceId": "old-late", "name": "quality", "value": 0, "timestamp": iso(recent)})));
    // A kept trace, with a score of an old time: it stays with its trace.
    batch.extend(trace_events("new-1", recent, Some("sess-kept"), 2, recent, 1, recent));
    batch.push(event("new-old-score-e", "score-create", recent, json!({"id": "new-1-old-score", "traceId": "new-1", "name": "quality", "value": 0, "timestamp": iso(old)})));
    // Scores whose trace never came, of a session and of a session with no trace: by their own time.
    for (id, body) in [
        ("ghost-old-score", json!({"traceId": "ghost", "timestamp": iso(old)})),
        ("ghost-new-score", json!({"traceId": "ghost", "timestamp": iso(recent)})),
        ("sess-old-score", json!({"sessionId": "sess-old", "timestamp": iso(old)})),
        ("sess-new-score", json!({"sessionId": "sess-scored", "timestamp": iso(recent)})),
    ] {
        let mut body = body;
        body["id"] = json!(id);
        body["name"] = json!("quality");
        body["value"] = json!(1);
        batch.push(event(&format!("{id}-e"), "score-create", recent, body));
    }
    ingest(&api, batch.clone()).await;
    // The same shapes in another project, which keeps its data forever.
    ingest(&other, batch).await;

    // What ingestion cannot make (an observation always brings its trace): observations whose
    // trace is gone, and a kept trace with an old observation.
    let orphan_old = days_ago(105);
    for (id, trace_id, at) in [("orphan-old", "gone", orphan_old), ("orphan-new", "gone", recent), ("new-2-old-span", "new-2", old)] {
        sqlx::query("INSERT INTO observations (project_id, id, trace_id, type, start_time) VALUES ('proj-a', $1, $2, 'SPAN', $3)")
            .bind(id)
            .bind(trace_id)
            .bind(at)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO traces (project_id, id, timestamp) VALUES ('proj-a', 'new-2', $1)").bind(recent).execute(pool).await.unwrap();
    rebuild_trace_metrics(pool, "proj-a").await;
    // Sessions first seen long ago (ingestion stamps them now).
    sqlx::query("UPDATE trace_sessions SET created_at = $1 WHERE project_id = 'proj-a'").bind(old).execute(pool).await.unwrap();
    // Comments on what expires and on what stays; media used by an expired trace, by a kept
    // one, and by nothing.
    for (id, object_type, object_id) in [
        ("c-trace", "TRACE", "old-0"),
        ("c-obs", "OBSERVATION", "old-0-s0"),
        ("c-session", "SESSION", "sess-old"),
        ("c-kept", "TRACE", "new-1"),
        ("c-kept-session", "SESSION", "sess-kept"),
    ] {
        sqlx::query("INSERT INTO comments (project_id, id, object_type, object_id, content) VALUES ('proj-a', $1, $2, $3, 'note')")
            .bind(id)
            .bind(object_type)
            .bind(object_id)
            .execute(pool)
            .await
            .unwrap();
    }
    for (media, trace, created) in [("m".repeat(22), Some("old-0"), old), ("k".repeat(22), Some("new-1"), old), ("u".repeat(22), None, old), ("f".repeat(22), None, recent)] {
        sqlx::query("INSERT INTO media (project_id, id, sha256, content_type, content_length, created_at) VALUES ('proj-a', $1, $2, 'image/png', 10, $3)")
            .bind(&media)
            .bind(format!("{:0>64}", media))
            .bind(created)
            .execute(pool)
            .await
            .unwrap();
        if let Some(trace) = trace {
            sqlx::query("INSERT INTO media_references (project_id, media_id, trace_id, field, created_at) VALUES ('proj-a', $1, $2, 'input', $3)")
                .bind(&media)
                .bind(trace)
                .bind(created)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    assert_eq!(trace_metrics_drift(pool, "proj-a").await, Vec::<String>::new());
    let other_before: Vec<i64> = vec![count(pool, "traces", "proj-b").await, count(pool, "observations", "proj-b").await, count(pool, "scores", "proj-b").await];

    set_project_retention(pool, "proj-a", Some(30)).await;
    // As if the rollup job had just caught up: no hour of the project is dirty.
    sqlx::query("DELETE FROM metric_rollup_dirty WHERE project_id = 'proj-a'").execute(pool).await.unwrap();
    let expected = count_expired(pool, &api.project, days_ago(30)).await.unwrap();
    // By hand: 22 traces; 20×2 + 17 + 1 late + the old orphan observations; 20 + 9 + 1 late +
    // the old ghost score + the old session score.
    assert_eq!((expected.traces, expected.observations, expected.scores), (22, 59, 32));

    let run = run_to_end(pool, &api.project, RetentionTrigger::Manual, 7).await.unwrap().expect("the project's data expires");
    assert_eq!((run.traces_deleted, run.observations_deleted, run.scores_deleted), (22, 59, 32), "{run:?}");
    assert_eq!((run.sessions_deleted, run.media_deleted), (1, 2), "{run:?}");
    assert!(run.finished_at.is_some() && run.error.is_none() && run.retention_days == 30);
    assert_eq!(run.trigger, RetentionTrigger::Manual);
    // The hours of every deleted row are dirty for the dashboards' rollups: the old traces', the
    // late span's that went with its trace, the old orphan observation's (no score in either).
    let dirty: Vec<DateTime<Utc>> = sqlx::query_scalar("SELECT DISTINCT hour FROM metric_rollup_dirty WHERE project_id = 'proj-a'").fetch_all(pool).await.unwrap();
    for at in [old, old + chrono::Duration::minutes(19), late_span, orphan_old, recent] {
        let hour = chrono::DurationRound::duration_trunc(at, chrono::TimeDelta::hours(1)).unwrap();
        assert!(dirty.contains(&hour), "{hour} is not marked dirty: {dirty:?}");
    }

    assert_eq!(ids(pool, "SELECT id FROM traces WHERE project_id = $1 ORDER BY id", "proj-a").await, ["new-1", "new-2"]);
    assert_eq!(
        ids(pool, "SELECT id FROM observations WHERE project_id = $1 ORDER BY id", "proj-a").await,
        ["new-1-s0", "new-1-s1", "new-2-old-span", "orphan-new"]
    );
    assert_eq!(
        ids(pool, "SELECT id FROM scores WHERE project_id = $1 ORDER BY id", "proj-a").await,
        ["ghost-new-score", "new-1-old-score", "new-1-sc0", "sess-new-score"]
    );
    assert_eq!(ids(pool, "SELECT id FROM trace_sessions WHERE project_id = $1 ORDER BY id", "proj-a").await, ["sess-kept"]);
    assert_eq!(ids(pool, "SELECT id FROM comments WHERE project_id = $1 ORDER BY id", "proj-a").await, ["c-kept", "c-kept-session"]);
    assert_eq!(ids(pool, "SELECT left(id, 1) FROM media WHERE project_id = $1 ORDER BY id", "proj-a").await, ["f", "k"]);
    assert_eq!(ids(pool, "SELECT trace_id FROM media_references WHERE project_id = $1", "proj-a").await, ["new-1"]);
    assert_eq!(trace_metrics_drift(pool, "proj-a").await, Vec::<String>::new());
    assert_eq!(
        ids(pool, "SELECT trace_id FROM trace_metrics WHERE project_id = $1 ORDER BY trace_id", "proj-a").await,
        ["gone", "new-1", "new-2"]
    );
    // The other project is untouched.
    let other_after = vec![count(pool, "traces", "proj-b").await, count(pool, "observations", "proj-b").await, count(pool, "scores", "proj-b").await];
    assert_eq!(other_after, other_before);
    assert_eq!(count(pool, "traces", "proj-b").await, 23);

    // Nothing is left to delete: a second run deletes nothing and says so.
    assert_eq!(count_expired(pool, &api.project, days_ago(30)).await.unwrap(), Default::default());
    let again = run_to_end(pool, &api.project, RetentionTrigger::Schedule, 7).await.unwrap().unwrap();
    assert_ne!(again.id, run.id);
    assert_eq!((again.traces_deleted, again.observations_deleted, again.scores_deleted, again.sessions_deleted, again.media_deleted), (0, 0, 0, 0, 0));
    // A project whose data is kept forever makes no run.
    assert_eq!(run_to_end(pool, &other.project, RetentionTrigger::Schedule, 7).await.unwrap(), None);
    assert_eq!(count(pool, "retention_runs", "proj-b").await, 0);
}

/// 8 clients each sending 15 batch requests of 20 traces (2 observations and a score each, in
/// sessions `sess-0`…`sess-9`), ids prefixed by `prefix`; every request must succeed whole.
/// Returns the slowest request's time.
async fn ingest_concurrently(router: &axum::Router, auth: &str, prefix: &str) -> Duration {
    let mut clients = Vec::new();
    for client in 0..8 {
        let (router, auth, prefix) = (router.clone(), auth.to_string(), prefix.to_string());
        clients.push(tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            for request in 0..15 {
                let now = Utc::now();
                let mut batch = Vec::new();
                for t in 0..20 {
                    let id = format!("{prefix}-{client}-{request}-{t}");
                    batch.extend(trace_events(&id, now, Some(&format!("sess-{}", t % 10)), 2, now, 1, now));
                }
                let body = serde_json::to_vec(&json!({"batch": batch})).unwrap();
                let started = Instant::now();
                let response = common::send(
                    &router,
                    axum::http::Request::post("/api/public/ingestion")
                        .header("authorization", &auth)
                        .header("content-type", "application/json")
                        .body(axum::body::Body::from(body))
                        .unwrap(),
                )
                .await;
                slowest = slowest.max(started.elapsed());
                assert_eq!(response.status, 207, "{}", response.text());
                assert_eq!(response.json()["errors"], json!([]), "{}", response.text());
            }
            slowest
        }));
    }
    let mut slowest = Duration::ZERO;
    for client in clients {
        slowest = slowest.max(client.await.unwrap());
    }
    slowest
}

#[tokio::test]
async fn ingestion_during_a_run_is_not_held_up_and_loses_nothing() {
    let api = TestApi::new().await;
    let pool = api.pool.clone();
    const OLD_TRACES: i64 = 3_000;
    // Expired data written in bulk: 3,000 traces with 4 observations and a score each.
    sqlx::query(
        "INSERT INTO traces (project_id, id, timestamp, session_id)
         SELECT 'proj-a', 'old-' || g, now() - interval '100 days' + g * interval '1 second', 'sess-' || (g % 10)
         FROM generate_series(1, $1) g",
    )
    .bind(OLD_TRACES)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO observations (project_id, id, trace_id, type, start_time)
         SELECT 'proj-a', 'old-' || g || '-o' || k, 'old-' || g, 'SPAN', now() - interval '100 days' + g * interval '1 second'
         FROM generate_series(1, $1) g, generate_series(1, 4) k",
    )
    .bind(OLD_TRACES)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO scores (project_id, id, trace_id, name, value, data_type, timestamp)
         SELECT 'proj-a', 'old-' || g || '-sc', 'old-' || g, 'quality', 1, 'NUMERIC', now() - interval '100 days'
         FROM generate_series(1, $1) g",
    )
    .bind(OLD_TRACES)
    .execute(&pool)
    .await
    .unwrap();
    rebuild_trace_metrics(&pool, "proj-a").await;
    sqlx::query("INSERT INTO trace_sessions (project_id, id, created_at) SELECT 'proj-a', 'sess-' || g, now() - interval '100 days' FROM generate_series(0, 9) g")
        .execute(&pool)
        .await
        .unwrap();
    set_project_retention(&pool, "proj-a", Some(30)).await;
    let expected = count_expired(&pool, &api.project, days_ago(30)).await.unwrap();
    assert_eq!((expected.traces, expected.observations, expected.scores), (OLD_TRACES, OLD_TRACES * 4, OLD_TRACES));

    // Ingestion alone first (the baseline), then the run in batches of 100 while the same 8
    // clients send 15 requests of 20 new traces each (2 observations and a score per trace, in
    // the old traces' sessions).
    let router = api.router();
    let auth = api.basic_auth();
    let baseline = ingest_concurrently(&router, &auth, "base").await;
    let run = {
        let pool = pool.clone();
        let project = api.project.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let run = run_to_end(&pool, &project, RetentionTrigger::Manual, 100).await.unwrap().unwrap();
            (run, started.elapsed())
        })
    };
    let slowest = ingest_concurrently(&router, &auth, "new").await;
    let (run, took) = run.await.unwrap();
    println!(
        "retention of {OLD_TRACES} traces / {} observations / {OLD_TRACES} scores in batches of 100: {took:?}; slowest of 120 concurrent ingestion requests: {slowest:?} during the run, {baseline:?} without it",
        OLD_TRACES * 4
    );
    // How long requests took is reported, not asserted (shared machines; docs/BENCHMARKS.md
    // "Data retention beside ingestion"): every request above succeeded whole while the run
    // deleted, and below nothing of either side is lost.

    // Everything expired went, exactly; everything new is there.
    assert_eq!((run.traces_deleted, run.observations_deleted, run.scores_deleted), (OLD_TRACES, OLD_TRACES * 4, OLD_TRACES), "{run:?}");
    let sent = 2 * 8 * 15 * 20;
    assert_eq!(count(&pool, "traces", "proj-a").await, sent);
    assert_eq!(count(&pool, "observations", "proj-a").await, sent * 2);
    assert_eq!(count(&pool, "scores", "proj-a").await, sent);
    let old_left: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE project_id = 'proj-a' AND id LIKE 'old-%'").fetch_one(&pool).await.unwrap();
    let during: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE project_id = 'proj-a' AND id LIKE 'new-%'").fetch_one(&pool).await.unwrap();
    assert_eq!(during, 8 * 15 * 20);
    assert_eq!(old_left, 0);
    // The sessions the new traces name are all there (a session emptied by the run while a new
    // trace joined it is written again).
    let sessions = ids(&pool, "SELECT id FROM trace_sessions WHERE project_id = $1 ORDER BY id", "proj-a").await;
    assert_eq!(sessions, (0..10).map(|g| format!("sess-{g}")).collect::<Vec<_>>());
    assert_eq!(trace_metrics_drift(&pool, "proj-a").await, Vec::<String>::new());
}

#[tokio::test]
async fn the_setting_is_checked_against_the_plan_and_a_shortening_needs_confirmation() {
    let api = TestApi::new().await;
    let pool = &api.pool;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;

    // The instance's default plan keeps data forever.
    let settings = viewer.ok("get_retention", &[("project_id", "proj-a")]).await;
    assert_eq!(settings["policy"], json!({"project_days": null, "plan_id": "self-hosted", "plan_name": "Self-hosted", "plan_days": null}));
    assert_eq!(settings["last_run"], Value::Null);
    assert_eq!(admin.call("run_retention_now", &[("project_id", "proj-a")]).await.status, 400);

    // On Hobby (30 days), data older than that expires from now on.
    sqlx::query("UPDATE organizations SET plan_id = 'hobby' WHERE id = 'org-of-proj-a'").execute(pool).await.unwrap();
    ingest(&api, trace_events("old", days_ago(40), None, 1, days_ago(40), 1, days_ago(40))).await;
    ingest(&api, trace_events("mid", days_ago(10), None, 2, days_ago(10), 0, days_ago(10))).await;
    let settings = viewer.ok("get_retention", &[("project_id", "proj-a")]).await;
    assert_eq!(settings["policy"]["plan_days"], 30);
    // The public API reports the effective retention, as Langfuse's `retentionDays`.
    assert_eq!(api.call("GET", "/api/public/projects", None).await.json()["data"][0]["retentionDays"], 30);

    // Only Admins and Owners change it, or ask what a change would delete.
    for browser in [&mut viewer, &mut member] {
        assert_eq!(browser.call("set_retention", &[("project_id", "proj-a"), ("days", "7"), ("confirm", "true")]).await.status, 403);
        assert_eq!(browser.call("preview_retention", &[("project_id", "proj-a"), ("days", "7")]).await.status, 403);
        assert_eq!(browser.call("run_retention_now", &[("project_id", "proj-a")]).await.status, 403);
    }

    // Above the plan's, or not a number of days: refused naming the field.
    for days in ["31", "0", "-1", "1.5", "abc", "99999999999999999999"] {
        let refused = admin.call("set_retention", &[("project_id", "proj-a"), ("days", days), ("confirm", "true")]).await;
        assert_eq!(refused.status, 400, "{days}: {}", refused.text());
        assert_eq!(invalid_field(&refused.text()), "days", "{days}: {}", refused.text());
        let refused = admin.call("preview_retention", &[("project_id", "proj-a"), ("days", days)]).await;
        assert_eq!((refused.status.as_u16(), invalid_field(&refused.text())), (400, "days".to_string()), "{days}");
    }
    let refused = admin.call("set_retention", &[("project_id", "proj-a"), ("days", "31")]).await.text();
    assert!(refused.contains("30"), "the plan's limit is named: {refused}");
    assert_eq!(sqlx::query_scalar::<_, Option<i32>>("SELECT retention_days FROM projects WHERE id = 'proj-a'").fetch_one(pool).await.unwrap(), None);

    // The plan's own 30 days as the project's: not shorter, saved at once.
    let saved = admin.ok("set_retention", &[("project_id", "proj-a"), ("days", "30")]).await;
    assert_eq!(saved["policy"]["project_days"], 30);

    // 7 days is shorter: what it deletes is shown first, and without a confirmation it is refused.
    let preview = admin.ok("preview_retention", &[("project_id", "proj-a"), ("days", "7")]).await;
    assert_eq!(preview["shortening"], true);
    assert_eq!(preview["effective_days"], 7);
    assert_eq!(preview["expired"], json!({"traces": 2, "observations": 3, "scores": 1}));
    let refused = admin.call("set_retention", &[("project_id", "proj-a"), ("days", "7")]).await;
    assert_eq!((refused.status.as_u16(), invalid_field(&refused.text())), (400, "confirm".to_string()), "{}", refused.text());
    assert!(refused.text().contains("2 traces, 3 observations and 1 scores"), "{}", refused.text());
    let refused = admin.call("set_retention", &[("project_id", "proj-a"), ("days", "7"), ("confirm", "false")]).await;
    assert_eq!(refused.status, 400);
    let saved = admin.ok("set_retention", &[("project_id", "proj-a"), ("days", "7"), ("confirm", "true")]).await;
    assert_eq!(saved["policy"]["project_days"], 7);
    assert_eq!(api.call("GET", "/api/public/projects", None).await.json()["data"][0]["retentionDays"], 7);
    // Nothing was deleted by saving: the run does that.
    assert_eq!(count(pool, "traces", "proj-a").await, 2);

    // Longer again, or back to the plan's: no confirmation needed.
    admin.ok("set_retention", &[("project_id", "proj-a"), ("days", "20")]).await;
    let back = admin.ok("set_retention", &[("project_id", "proj-a"), ("days", "")]).await;
    assert_eq!(back["policy"]["project_days"], Value::Null);

    // Each change is in the audit log with before and after; "Run now" too.
    assert_eq!(admin.ok("run_retention_now", &[("project_id", "proj-a")]).await, true);
    assert_eq!(admin.ok("run_retention_now", &[("project_id", "proj-a")]).await, false, "already queued");
    assert_eq!(admin.ok("get_retention", &[("project_id", "proj-a")]).await["pending"], true);
    let audit: Vec<(String, Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE project_id = 'proj-a' AND action LIKE 'project.retention%' ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["project.retention", "project.retention", "project.retention", "project.retention", "project.retention_run"]);
    assert_eq!(audit[1].1.as_ref().unwrap()["retentionDays"], 30);
    assert_eq!(audit[1].2.as_ref().unwrap()["retentionDays"], 7);
    assert_eq!(audit[1].2.as_ref().unwrap()["expiredAtChange"]["traces"], 2);
}

#[tokio::test]
async fn the_count_shown_before_confirming_is_what_the_run_deletes() {
    let api = TestApi::new().await;
    let pool = &api.pool;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;
    for (i, age) in [3, 8, 12, 45, 400].into_iter().enumerate() {
        let at = days_ago(age);
        ingest(&api, trace_events(&format!("t{i}"), at, Some("s"), i + 1, at, i % 3, at)).await;
    }
    let score = json!({"id": "lone", "sessionId": "s", "name": "quality", "value": 1, "timestamp": iso(days_ago(9))});
    ingest(&api, vec![event("lone-e", "score-create", days_ago(9), score)]).await;

    let preview = admin.ok("preview_retention", &[("project_id", "proj-a"), ("days", "10")]).await;
    // 12, 45 and 400 days old: traces t2, t3, t4 with 3 + 4 + 5 observations and 2 + 0 + 1 scores.
    assert_eq!(preview["expired"], json!({"traces": 3, "observations": 12, "scores": 3}));
    admin.ok("set_retention", &[("project_id", "proj-a"), ("days", "10"), ("confirm", "true")]).await;

    // "Run now", done by the job runner as in the product.
    assert_eq!(admin.ok("run_retention_now", &[("project_id", "proj-a")]).await, true);
    // The project's run only: the daily schedule would add a run of its own after this one.
    let kinds = loupe_core::retention::kinds(pool, Default::default()).into_iter().filter(|k| k.name == loupe_core::retention::PROJECT_KIND).collect();
    let runner = loupe_core::jobs::Runner::start(pool.clone(), kinds, Default::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    let settings = loop {
        let settings = admin.ok("get_retention", &[("project_id", "proj-a")]).await;
        if settings["last_run"]["finished_at"].is_string() && settings["pending"] == false {
            break settings;
        }
        assert!(Instant::now() < deadline, "the run did not finish: {settings}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    runner.stop().await;
    let run = &settings["last_run"];
    assert_eq!(run["trigger"], "Manual");
    assert_eq!(
        json!({"traces": run["traces_deleted"], "observations": run["observations_deleted"], "scores": run["scores_deleted"]}),
        preview["expired"]
    );
    assert_eq!(ids(pool, "SELECT id FROM traces WHERE project_id = $1 ORDER BY id", "proj-a").await, ["t0", "t1"]);
    assert_eq!(ids(pool, "SELECT id FROM scores WHERE project_id = $1 ORDER BY id", "proj-a").await, ["lone", "t1-sc0"]);
    assert_eq!(trace_metrics_drift(pool, "proj-a").await, Vec::<String>::new());
}

#[tokio::test]
async fn the_daily_schedule_queues_the_projects_whose_data_expires() {
    let api = TestApi::new().await;
    let pool = &api.pool;
    let b = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let _c = api.with_project("proj-c", "pk-lf-c", "sk-lf-c").await;
    let queued = || async {
        ids(pool, "SELECT payload->>'projectId' FROM jobs WHERE kind = $1 AND state = 'queued' ORDER BY 1", loupe_core::retention::PROJECT_KIND).await
    };
    // Nothing expires on the default plan.
    assert_eq!(loupe_core::retention::schedule(pool).await.unwrap(), 0);
    // proj-a by its own setting, proj-b by its organization's plan; proj-c keeps its data.
    set_project_retention(pool, "proj-a", Some(14)).await;
    sqlx::query("UPDATE organizations SET plan_id = 'core' WHERE id = 'org-of-proj-b'").execute(pool).await.unwrap();
    assert_eq!(loupe_core::retention::schedule(pool).await.unwrap(), 2);
    assert_eq!(queued().await, ["proj-a", "proj-b"]);
    // Queued once: the next schedule before they ran adds nothing.
    assert_eq!(loupe_core::retention::schedule(pool).await.unwrap(), 0);
    // A deleted project is not visited.
    sqlx::query("DELETE FROM jobs").execute(pool).await.unwrap();
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-a'").execute(pool).await.unwrap();
    assert_eq!(loupe_core::retention::schedule(pool).await.unwrap(), 1);
    assert_eq!(queued().await, ["proj-b"]);
    // The run uses the plan's 90 days.
    let run = run_to_end(pool, &b.project, RetentionTrigger::Schedule, 1000).await.unwrap().unwrap();
    assert_eq!(run.retention_days, 90);
    assert!((run.cutoff - days_ago(90)).num_seconds().abs() < 60, "{run:?}");
}

#[tokio::test]
async fn a_retention_made_longer_during_a_run_protects_what_it_now_keeps() {
    let api = TestApi::new().await;
    let pool = &api.pool;
    ingest(&api, trace_events("ten-days", days_ago(10), None, 1, days_ago(10), 1, days_ago(10))).await;
    ingest(&api, trace_events("fifty-days", days_ago(50), None, 1, days_ago(50), 1, days_ago(50))).await;
    // A run with 7 days starts (and stops at once: no time budget left)...
    set_project_retention(pool, "proj-a", Some(7)).await;
    let options = loupe_core::retention::RetentionOptions { budget: Some(Duration::ZERO), ..Default::default() };
    let progress = loupe_core::retention::run(pool, &api.project, RetentionTrigger::Manual, options).await.unwrap();
    assert_eq!(progress, loupe_core::retention::Progress::More);
    // ... then someone keeps 30 days: the run goes on with the longer retention.
    set_project_retention(pool, "proj-a", Some(30)).await;
    let run = run_to_end(pool, &api.project, RetentionTrigger::Schedule, 1000).await.unwrap().unwrap();
    assert_eq!((run.retention_days, run.traces_deleted), (30, 1), "{run:?}");
    assert_eq!(ids(pool, "SELECT id FROM traces WHERE project_id = $1", "proj-a").await, ["ten-days"]);
    assert_eq!(count(pool, "retention_runs", "proj-a").await, 1, "the open run was continued");
    // Lifted altogether: an open run is closed as it is, and nothing more goes.
    set_project_retention(pool, "proj-a", Some(5)).await;
    loupe_core::retention::run(pool, &api.project, RetentionTrigger::Manual, options).await.unwrap();
    set_project_retention(pool, "proj-a", None).await;
    assert_eq!(run_to_end(pool, &api.project, RetentionTrigger::Schedule, 1000).await.unwrap(), None);
    assert_eq!(count(pool, "traces", "proj-a").await, 1);
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM retention_runs WHERE project_id = 'proj-a' AND finished_at IS NULL").fetch_one(pool).await.unwrap();
    assert_eq!(open, 0);
}

/// The comments' ids left in the project.
async fn comment_ids(pool: &PgPool) -> Vec<String> {
    ids(pool, "SELECT id FROM comments WHERE project_id = $1 ORDER BY id", "proj-a").await
}

#[tokio::test]
async fn deleting_traces_deletes_the_comments_on_them_and_their_observations() {
    let api = TestApi::new().await;
    let pool = &api.pool;
    let old = days_ago(30);
    let mut batch = Vec::new();
    for id in ["t-expired", "t-bulk", "t-api", "t-kept"] {
        let at = if id == "t-expired" { old } else { days_ago(1) };
        batch.extend(trace_events(id, at, None, 1, at, 0, at));
    }
    ingest(&api, batch).await;
    let mut owner = Browser::member_of_proj_a(&api, "owner@example.com", PASSWORD, "OWNER").await;
    for id in ["t-expired", "t-bulk", "t-api", "t-kept"] {
        for (object_type, object_id) in [("TRACE", id.to_string()), ("OBSERVATION", format!("{id}-s0"))] {
            owner.ok("create_comment", &[("project_id", "proj-a"), ("object_type", object_type), ("object_id", &object_id), ("content", "a note")]).await;
        }
    }
    let comment_of = |object_id: &str| {
        sqlx::query_scalar::<_, String>("SELECT id FROM comments WHERE project_id = 'proj-a' AND object_id = $1").bind(object_id.to_string()).fetch_one(pool)
    };
    let kept = [comment_of("t-kept").await.unwrap(), comment_of("t-kept-s0").await.unwrap()];
    assert_eq!(comment_ids(pool).await.len(), 8);

    // Retention: the expired trace's comments and its observation's go.
    set_project_retention(pool, "proj-a", Some(7)).await;
    let run = run_to_end(pool, &api.project, RetentionTrigger::Schedule, 100).await.unwrap().unwrap();
    assert_eq!((run.traces_deleted, run.observations_deleted), (1, 1));
    assert_eq!(comment_ids(pool).await.len(), 6);
    assert!(comment_of("t-expired").await.is_err() && comment_of("t-expired-s0").await.is_err());

    // The trace list's bulk delete.
    let deleted = owner.ok("bulk_traces", &[("project_id", "proj-a"), ("action", "Delete"), ("trace_ids[0]", "t-bulk")]).await;
    assert_eq!(deleted, 1);
    assert!(comment_of("t-bulk").await.is_err() && comment_of("t-bulk-s0").await.is_err());
    // The public API's delete.
    let response = api.call("DELETE", "/api/public/traces/t-api", None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let mut left = comment_ids(pool).await;
    left.sort();
    let mut expected = kept.to_vec();
    expected.sort();
    assert_eq!(left, expected, "only the kept trace's comments are left");
}
