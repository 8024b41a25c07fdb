//! The ingestion tables (`observations`, `traces`, `trace_metrics`, `trace_sessions`) have no
//! foreign key to `projects` (migration 20261212000001, issue #23): ingestion locks the project
//! row once per transaction instead, and whoever deletes a project deletes those rows. These
//! tests hold that promise: no row outlives its project, however deletion and ingestion meet.

use serde_json::json;

use crate::common;
use common::TestApi;

const TABLES: [&str; 4] = ["observations", "traces", "trace_metrics", "trace_sessions"];

/// Rows of `project` in each ingestion table, in [`TABLES`] order.
async fn rows(api: &TestApi, project: &str) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT count(*) FROM {table} WHERE project_id = $1");
        counts.push(sqlx::query_scalar(&sql).bind(project).fetch_one(&api.pool).await.unwrap());
    }
    counts
}

/// A trace in a session with two observations, through the public batch API.
async fn ingest(api: &TestApi, trace: &str) {
    let events = json!([
        {"id": format!("{trace}-e1"), "type": "trace-create", "timestamp": "2026-12-01T10:00:00Z",
         "body": {"id": trace, "name": "chat", "sessionId": "session-1", "input": "hello"}},
        {"id": format!("{trace}-e2"), "type": "span-create", "timestamp": "2026-12-01T10:00:00Z",
         "body": {"id": format!("{trace}-span"), "traceId": trace, "startTime": "2026-12-01T10:00:00Z"}},
        {"id": format!("{trace}-e3"), "type": "generation-create", "timestamp": "2026-12-01T10:00:01Z",
         "body": {"id": format!("{trace}-gen"), "traceId": trace, "startTime": "2026-12-01T10:00:01Z", "model": "gpt-4o"}},
    ]);
    let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": events }))).await;
    assert_eq!(response.status, 207, "{}", response.text());
    assert!(response.json()["errors"].as_array().unwrap().is_empty(), "{}", response.text());
}

fn batch(trace: &str) -> loupe_core::ingest::model::IngestBatch {
    use loupe_core::ingest::model::{IngestBatch, ObservationPatch, TracePatch};
    IngestBatch {
        traces: vec![TracePatch { session_id: Some("session-2".into()), ..TracePatch::new(trace) }],
        observations: vec![ObservationPatch::new(&format!("{trace}-span"), trace, loupe_app::domain::ObservationType::Span)],
        ..Default::default()
    }
}

#[tokio::test]
async fn deleting_an_organization_deletes_its_projects_ingested_rows_and_no_one_elses() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    ingest(&api, "t-a").await;
    ingest(&other, "t-b").await;
    assert_eq!(rows(&api, "proj-a").await, [2, 1, 1, 1]);

    let mut tx = api.pool.begin().await.unwrap();
    let (_, org) = loupe_core::store::organizations::create_if_missing(&mut tx, "org-of-proj-a", "Test org").await.unwrap();
    assert!(loupe_core::store::organizations::delete(&mut tx, &org).await.unwrap());
    tx.commit().await.unwrap();

    assert_eq!(rows(&api, "proj-a").await, [0, 0, 0, 0], "no row of the deleted organization's project is left");
    assert_eq!(rows(&other, "proj-b").await, [2, 1, 1, 1], "another organization's rows stay");
}

#[tokio::test]
async fn ingestion_into_a_deleted_project_stores_nothing() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-a'").execute(&api.pool).await.unwrap();
    // One connection: the write after the refusal runs on the connection the refused one used.
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_with((*api.pool.connect_options()).clone()).await.unwrap();
    let pricing = loupe_core::pricing::Pricing::new(pool.clone());
    let error = loupe_core::ingest::store(&pool, &pricing, &api.project, batch("t-late")).await.unwrap_err();
    assert_eq!(loupe_core::store::fault::fault(&error), loupe_core::store::fault::Fault::Gone, "{error}");
    assert_eq!(rows(&api, "proj-a").await, [0, 0, 0, 0]);
    // The refusal ended the transaction its `BEGIN` opened (`ingest::write_once`): the
    // connection serves the next write.
    loupe_core::ingest::store(&pool, &pricing, &other.project, batch("t-next")).await.unwrap();
    assert_eq!(rows(&other, "proj-b").await, [1, 1, 1, 1]);
}

#[tokio::test]
async fn a_purge_waits_for_an_ingestion_that_holds_the_project_and_then_purges_its_rows() {
    let api = TestApi::new().await;
    ingest(&api, "t-early").await;
    // An ingestion transaction that took the project before it was deleted, still open.
    let mut writing = api.pool.begin().await.unwrap();
    loupe_core::ingest::writer::write(&mut writing, &api.project, &[], batch("t-late"), &loupe_core::pricing::ProjectPrices::none(), chrono::Utc::now())
        .await
        .unwrap();
    // The project is deleted meanwhile (a settings update: it does not wait for the writer).
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-a'").execute(&api.pool).await.unwrap();
    let pool = api.pool.clone();
    let purge = tokio::spawn(async move {
        while loupe_server::maintenance::purge_deleted_projects(&pool).await.unwrap() > 0 {}
    });
    // The purge removes what is committed, then waits on the project row for the writer.
    let exists = || sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM projects WHERE id = 'proj-a')").fetch_one(&api.pool);
    for _ in 0..50 {
        if rows(&api, "proj-a").await == [0, 0, 0, 0] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(exists().await.unwrap(), "the project row stays while a writer holds it");
    assert!(!purge.is_finished());
    writing.commit().await.unwrap();
    purge.await.unwrap();
    assert!(!exists().await.unwrap(), "the project is purged once its last rows are");
    assert_eq!(rows(&api, "proj-a").await, [0, 0, 0, 0], "nothing the writer committed is left behind");
}
