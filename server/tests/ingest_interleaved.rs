//! Two writers ingesting into the same trace at the same time (issue #23): their interleaved
//! batches, each committed in its own transaction while the other's are in flight, end exactly as
//! the same batches stored one after the other — rows, merged fields, trace aggregates, sessions,
//! scores and metered units — and many concurrent writers over shared traces and sessions
//! neither deadlock nor lose an aggregate delta.

use crate::common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use common::TestApi;
use loupe_core::ingest::model::{IngestBatch, ObservationPatch, ScoreRecord, TracePatch, UsageInput};
use loupe_core::pricing::Pricing;
use loupe_core::scope::ProjectId;
use loupe_app::domain::{ObservationLevel, ObservationType, ScoreDataType, ScoreSource};
use serde_json::{json, Value};
use sqlx::PgPool;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn score(id: &str, trace_id: &str, value: f64, seconds: i64) -> ScoreRecord {
    ScoreRecord {
        id: id.into(),
        timestamp: at(seconds),
        name: "quality".into(),
        value: Some(value),
        string_value: None,
        data_type: ScoreDataType::Numeric,
        source: ScoreSource::Api,
        trace_id: Some(trace_id.into()),
        observation_id: None,
        session_id: None,
        dataset_run_id: None,
        comment: Some(format!("score {value}")),
        metadata: json!({}),
        config_id: None,
        queue_id: None,
        execution_trace_id: None,
        environment: "default".into(),
        author_user_id: None,
    }
}

fn generation(id: &str, trace_id: &str, start: i64, output_tokens: i64) -> ObservationPatch {
    ObservationPatch {
        name: Some("llm".into()),
        start_time: Some(at(start)),
        end_time: Some(at(start + 2)),
        model: Some("gpt-4o".into()),
        usage: UsageInput { details: Some(json!({"input": 100, "output": output_tokens})), ..UsageInput::default() },
        ..ObservationPatch::new(id, trace_id, ObservationType::Generation)
    }
}

/// [`batch_of`], its observations carrying an OTel record when `otel` (as the OTLP mapper makes
/// them): a batch of new ones is then written with the writer's `COPY`, one meeting a stored row
/// (the shared generation merged again) with the statements.
fn batch_as(w: &str, k: i64, otel: bool) -> IngestBatch {
    let mut batch = batch_of(w, k);
    if otel {
        for observation in &mut batch.observations {
            observation.otel_record = Some(loupe_core::store::otel_record::OtelRecord::new(&json!({"span": {"writer": w, "batch": k}})));
        }
    }
    batch
}

/// The k-th batch of writer `w`. Even ones patch the trace both writers share — the earliest
/// timestamp, deep-merged metadata and unioned tags, a new span, a re-priced generation of the
/// writer's own merged again and again (a late end time, output, usage), a score of its own
/// replaced —; odd ones create a trace of the writer's own. Each field of the shared trace that a
/// later patch replaces is written by one writer only, so the result may not depend on how the
/// two writers' requests interleave: any order equals the sequential one.
fn batch_of(w: &str, k: i64) -> IngestBatch {
    if k % 2 == 0 {
        let mut root = generation(&format!("shared-{w}-gen"), "shared", 0, 10 + k);
        root.output = Some(json!(format!("{w} {k}")));
        root.metadata = Some(json!({ w: { "k": k } }));
        root.end_time = Some(at(50 + k));
        root.level = (k == 2).then_some(ObservationLevel::Warning);
        IngestBatch {
            traces: vec![TracePatch {
                timestamp: Some(at(100 - k - i64::from(w == "w2"))),
                name: (w == "w1").then(|| format!("{w}-{k}")),
                release: (w == "w2").then(|| format!("{w}-{k}")),
                session_id: Some("session-shared".into()),
                metadata: Some(json!({ w: { "k": k, format!("seen-{k}"): true } })),
                tags: vec![format!("{w}{k}")],
                environment: Some("production".into()),
                ..TracePatch::new("shared")
            }],
            observations: vec![
                root,
                ObservationPatch {
                    start_time: Some(at(k)),
                    end_time: Some(at(k + 1)),
                    name: Some(format!("step {w} {k}")),
                    level: (k == 4).then_some(ObservationLevel::Error),
                    ..ObservationPatch::new(format!("shared-{w}-{k}"), "shared", ObservationType::Span)
                },
            ],
            scores: vec![score(&format!("score-shared-{w}"), "shared", k as f64, k)],
            experiments: vec![],
        }
    } else {
        let trace = format!("{w}-own-{k}");
        IngestBatch {
            traces: vec![TracePatch {
                timestamp: Some(at(k)),
                name: Some(trace.clone()),
                user_id: Some(format!("user-{w}")),
                session_id: Some(format!("session-{w}")),
                input: Some(json!({"question": k})),
                ..TracePatch::new(&trace)
            }],
            observations: vec![
                ObservationPatch {
                    start_time: Some(at(k)),
                    end_time: Some(at(k + 5)),
                    ..ObservationPatch::new(format!("{trace}-a"), &trace, ObservationType::Span)
                },
                ObservationPatch {
                    parent_observation_id: Some(format!("{trace}-a")),
                    ..generation(&format!("{trace}-b"), &trace, k + 1, k)
                },
                ObservationPatch { start_time: Some(at(k + 2)), ..ObservationPatch::new(format!("{trace}-c"), &trace, ObservationType::Event) },
            ],
            scores: vec![score(&format!("{trace}-score"), &trace, 1.0, k)],
            experiments: vec![],
        }
    }
}

/// Everything ingestion wrote for a project, without what names the project or the write time.
async fn snapshot(pool: &PgPool, project: &ProjectId) -> Value {
    let mut out = serde_json::Map::new();
    // A trace's cost is a float sum, whose last digit depends on the order rows are summed in.
    let cost = "|| jsonb_build_object('total_cost', round(x.total_cost::numeric, 12))";
    for (table, order, extra) in [
        ("traces", "id", ""),
        ("observations", "id", ""),
        ("scores", "id", ""),
        ("trace_metrics", "trace_id", cost),
        ("trace_sessions", "id", ""),
    ] {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg((to_jsonb(x) - 'project_id' - 'created_at' - 'updated_at') {extra} ORDER BY {order}), '[]')
             FROM {table} x WHERE project_id = $1"
        ))
        .bind(project)
        .fetch_one(pool)
        .await
        .unwrap();
        out.insert(table.into(), rows);
    }
    let units: Value = sqlx::query_scalar(
        "SELECT jsonb_build_array(coalesce(sum(traces), 0), coalesce(sum(observations), 0), coalesce(sum(scores), 0))
         FROM usage_counters WHERE project_id = $1",
    )
    .bind(project)
    .fetch_one(pool)
    .await
    .unwrap();
    out.insert("units".into(), units);
    Value::Object(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_interleaved_on_one_trace_end_as_if_stored_one_after_the_other() {
    interleaved_rounds(false).await;
}

/// The same with OTel spans: new ones go in the writer's `COPY`, and a `COPY` meeting a row the
/// other writer committed (or is committing: it waits for it) falls back to the statements.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_of_otel_spans_interleaved_end_as_if_stored_one_after_the_other() {
    interleaved_rounds(true).await;
}

async fn interleaved_rounds(otel: bool) {
    let concurrent = TestApi::new().await;
    let sequential = concurrent.with_project("proj-sequential", "pk-lf-s", "sk-lf-s").await;
    let pricing = Arc::new(Pricing::new(concurrent.pool.clone()));
    const BATCHES: i64 = 12;

    // Several rounds, so the two writers' requests overlap in many ways; each round in a project
    // of its own, each compared with the same batches stored one after the other.
    for round in 0..3 {
        let project = concurrent.with_project(&format!("proj-round-{round}"), &format!("pk-lf-r{round}"), &format!("sk-lf-r{round}")).await;
        let writers: Vec<_> = ["w1", "w2"]
            .into_iter()
            .map(|w| {
                let (pool, pricing, project) = (project.pool.clone(), pricing.clone(), project.project.clone());
                tokio::spawn(async move {
                    let mut created = 0;
                    for k in 0..BATCHES {
                        let stored = loupe_core::ingest::store(&pool, &pricing, &project, batch_as(w, k, otel)).await.expect("stored");
                        assert!(stored.unstored.is_empty(), "{:?}", stored.unstored);
                        let s = stored.summary;
                        created += s.traces_created + s.observations_created + s.scores_created;
                    }
                    created
                })
            })
            .collect();
        let mut created = 0;
        for writer in writers {
            created += writer.await.unwrap();
        }
        if round == 0 {
            for w in ["w1", "w2"] {
                for k in 0..BATCHES {
                    let stored = loupe_core::ingest::store(&sequential.pool, &pricing, &sequential.project, batch_as(w, k, otel)).await.unwrap();
                    assert!(stored.unstored.is_empty());
                }
            }
        }
        let (a, b) = (snapshot(&project.pool, &project.project).await, snapshot(&sequential.pool, &sequential.project).await);
        for table in ["traces", "observations", "scores", "trace_metrics", "trace_sessions", "units"] {
            assert_eq!(a[table], b[table], "round {round}, {table}: concurrent (left) and sequential (right) differ");
        }
        assert_eq!(a["traces"].as_array().unwrap().len(), 1 + BATCHES as usize);
        assert_eq!(a["observations"].as_array().unwrap().len(), 2 + BATCHES as usize + BATCHES as usize * 3);
        let units = a["units"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum::<i64>();
        assert_eq!(created as i64, units, "the requests' own counts add up to the metered units");
        assert!(common::trace_metrics_drift(&project.pool, &project.project_id).await.is_empty());
    }
    // The shared trace holds both writers' merges.
    let shared: Value = sqlx::query_scalar("SELECT to_jsonb(t) FROM traces t WHERE project_id = $1 AND id = 'shared'")
        .bind(&sequential.project)
        .fetch_one(&sequential.pool)
        .await
        .unwrap();
    assert_eq!(shared["name"], "w1-10");
    assert_eq!(shared["release"], "w2-10");
    assert_eq!(shared["metadata"]["w1"]["k"], 10);
    assert_eq!(shared["metadata"]["w2"]["seen-0"], true);
    assert_eq!(shared["tags"].as_array().unwrap().len(), 12);
    // Each writer's generation holds its last merge (a batch meeting the stored row merged it,
    // whichever way the batch was first tried).
    let generation: Value = sqlx::query_scalar("SELECT to_jsonb(o) FROM observations o WHERE project_id = $1 AND id = 'shared-w2-gen'")
        .bind(&sequential.project)
        .fetch_one(&sequential.pool)
        .await
        .unwrap();
    assert_eq!(generation["output"], "w2 10");
    assert_eq!(generation["usage_details"]["output"], 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_over_shared_traces_and_sessions_commit_exactly() {
    let api = TestApi::new().await;
    let pricing = Arc::new(Pricing::new(api.pool.clone()));
    let mut tasks = Vec::new();
    for client in 0..6i64 {
        let (pool, pricing, project) = (api.pool.clone(), pricing.clone(), api.project.clone());
        tasks.push(tokio::spawn(async move {
            for k in 0..10i64 {
                let trace = format!("t{}", (client * 7 + k) % 9);
                let b = IngestBatch {
                    traces: vec![TracePatch {
                        timestamp: Some(at(k)),
                        session_id: Some(format!("s{}", k % 3)),
                        tags: vec![format!("c{client}")],
                        ..TracePatch::new(&trace)
                    }],
                    observations: vec![generation(&format!("o-{client}-{k}"), &trace, k, k)],
                    ..IngestBatch::default()
                };
                let stored = loupe_core::ingest::store(&pool, &pricing, &project, b).await.expect("stored");
                assert!(stored.unstored.is_empty());
            }
        }));
    }
    for task in tasks {
        tokio::time::timeout(std::time::Duration::from_secs(60), task).await.expect("no deadlock").unwrap();
    }
    let (observations, units): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM observations WHERE project_id = $1),
                (SELECT sum(observations)::int8 FROM usage_counters WHERE project_id = $1)",
    )
    .bind(&api.project)
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!((observations, units), (60, 60));
    assert!(common::trace_metrics_drift(&api.pool, &api.project_id).await.is_empty());
}

/// Requests written together (`ingest::combine`): with one writer per project, four clients'
/// batches queue behind each other's transactions and are written several to a transaction —
/// and end exactly as the same batches stored one after the other, OTel spans (one `COPY` for
/// the combined batches) and batch-API events alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn combined_requests_end_as_if_stored_one_after_the_other() {
    for otel in [false, true] {
        let combined = TestApi::new().await;
        let sequential = combined.with_project("proj-sequential", "pk-lf-s", "sk-lf-s").await;
        let pricing = Arc::new(Pricing::new(combined.pool.clone()));
        let combiner = loupe_core::ingest::combine::Combiner::new(1, 16);
        const BATCHES: i64 = 12;
        // More clients than writers plus one: requests then wait while others are written.
        const WRITERS: [&str; 4] = ["w1", "w2", "w3", "w4"];
        let clients: Vec<_> = WRITERS
            .into_iter()
            .map(|w| {
                let (pool, pricing, project, combiner) = (combined.pool.clone(), pricing.clone(), combined.project.clone(), combiner.clone());
                tokio::spawn(async move {
                    for k in 0..BATCHES {
                        let again = || async { None };
                        let stored = loupe_core::ingest::store_combined(Some(&combiner), &pool, &pricing, &project, None, batch_as(w, k, otel), again)
                            .await
                            .expect("stored");
                        assert!(stored.unstored.is_empty(), "{:?}", stored.unstored);
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        for w in WRITERS {
            for k in 0..BATCHES {
                loupe_core::ingest::store(&sequential.pool, &pricing, &sequential.project, batch_as(w, k, otel)).await.unwrap();
            }
        }
        let (a, b) = (snapshot(&combined.pool, &combined.project).await, snapshot(&sequential.pool, &sequential.project).await);
        for table in ["traces", "observations", "scores", "trace_metrics", "trace_sessions", "units"] {
            assert_eq!(a[table], b[table], "otel {otel}, {table}: combined (left) and sequential (right) differ");
        }
        assert!(common::trace_metrics_drift(&combined.pool, &combined.project_id).await.is_empty());
        let (transactions, batches) = combiner.written();
        assert_eq!(batches, WRITERS.len() as u64 * BATCHES as u64);
        assert!(transactions < batches, "otel {otel}: no two requests were written together ({transactions} transactions)");
    }
}

/// A combined transaction that fails costs only the request that made it fail: every request in
/// it is written again on its own, and only the bad one's unit is refused. Deterministic: the
/// first writer is held at a table lock while the others queue behind it, so the second
/// transaction takes them all — the bad request among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_request_in_a_combined_write_costs_only_itself() {
    let api = TestApi::new().await;
    common::refuse_poisoned_observations(&api.pool).await;
    let pricing = Arc::new(Pricing::new(api.pool.clone()));
    let combiner = loupe_core::ingest::combine::Combiner::new(1, 16);
    let request = |trace: &str, name: &str| {
        let (pool, pricing, project, combiner) = (api.pool.clone(), pricing.clone(), api.project.clone(), combiner.clone());
        let batch = IngestBatch {
            traces: vec![TracePatch { timestamp: Some(at(0)), ..TracePatch::new(trace) }],
            observations: vec![ObservationPatch { name: Some(name.into()), start_time: Some(at(1)), ..ObservationPatch::new(format!("{trace}-o"), trace, ObservationType::Span) }],
            ..IngestBatch::default()
        };
        tokio::spawn(async move {
            let again = { let batch = batch.clone(); || async move { Some(batch) } };
            loupe_core::ingest::store_combined(Some(&combiner), &pool, &pricing, &project, None, batch, again).await.expect("stored")
        })
    };
    let mut lock = api.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE observations IN EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
    let first = request("t0", "fine");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // The first writer waits at the lock before the others are sent (else it could take them).
    let blocked = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'observations'::regclass";
    while sqlx::query_scalar::<_, i64>(blocked).fetch_one(&api.pool).await.unwrap() == 0 {
        assert!(std::time::Instant::now() < deadline, "the first writer never reached the held lock");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let others = vec![request("t1", "fine"), request("t2", "poison"), request("t3", "fine")];
    while combiner.waiting() < 3 {
        assert!(std::time::Instant::now() < deadline, "the requests never queued behind the held writer");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    lock.rollback().await.unwrap();
    assert!(first.await.unwrap().unstored.is_empty());
    let mut refused = Vec::new();
    for other in others {
        refused.extend(other.await.unwrap().unstored.into_iter().map(|u| u.message));
    }
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("trace \"t2\"") && refused[0].contains("poison refused"), "{refused:?}");
    let traces: Vec<String> = sqlx::query_scalar("SELECT id FROM traces WHERE project_id = $1 ORDER BY id").bind(&api.project_id).fetch_all(&api.pool).await.unwrap();
    assert_eq!(traces, ["t0", "t1", "t3"], "every other request's trace is stored, nothing of the bad one");
    // The held transaction, the combined one that failed, then the three written on their own.
    assert_eq!(combiner.written(), (2, 4));
}

/// The writers keep their connections out of the pool (no ping on the way back, issue #23):
/// consecutive writes reuse one; a write that fails closes its connection instead of keeping
/// it; a kept connection that died while idle is pinged, found dead and replaced, and the write
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writers_keep_their_connections_and_replace_one_that_died() {
    let api = TestApi::new().await;
    common::refuse_poisoned_observations(&api.pool).await;
    let pricing = Pricing::new(api.pool.clone());
    let combiner = loupe_core::ingest::combine::Combiner::new(1, 16);
    let write = |trace: String, name: &'static str| {
        let batch = IngestBatch {
            traces: vec![TracePatch { timestamp: Some(at(0)), ..TracePatch::new(&trace) }],
            observations: vec![ObservationPatch { name: Some(name.into()), start_time: Some(at(1)), ..ObservationPatch::new(format!("{trace}-o"), &trace, ObservationType::Span) }],
            ..IngestBatch::default()
        };
        let again = { let batch = batch.clone(); || async move { Some(batch) } };
        loupe_core::ingest::store_combined(Some(&combiner), &api.pool, &pricing, &api.project, None, batch, again)
    };
    let backends = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()";
    write("t0".into(), "fine").await.unwrap();
    assert_eq!(combiner.kept_connections(), 1);
    let before: i64 = sqlx::query_scalar(backends).fetch_one(&api.pool).await.unwrap();
    for k in 1..6 {
        write(format!("t{k}"), "fine").await.unwrap();
    }
    assert_eq!(combiner.kept_connections(), 1, "one connection served the writes one after the other");
    assert_eq!(sqlx::query_scalar::<_, i64>(backends).fetch_one(&api.pool).await.unwrap(), before, "and none was opened");

    // A write the database refuses: its connection is not kept (the unit is refused alone).
    let stored = write("t-bad".into(), "poison").await.unwrap();
    assert_eq!(stored.unstored.len(), 1);
    assert_eq!(combiner.kept_connections(), 0, "a connection whose write failed is closed");
    write("t6".into(), "fine").await.unwrap();
    assert_eq!(combiner.kept_connections(), 1);

    // The server ends every other backend (a restart, a dropped link): once idle long enough,
    // the kept connection is pinged before use, and a dead one is replaced.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .execute(&api.pool)
        .await
        .unwrap();
    tokio::time::sleep(loupe_core::store::IDLE_BEFORE_PING + std::time::Duration::from_millis(200)).await;
    write("t7".into(), "fine").await.expect("written on a fresh connection");
    assert_eq!(combiner.kept_connections(), 1);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = $1").bind(&api.project).fetch_one(&api.pool).await.unwrap();
    assert_eq!(stored, 8);
}
