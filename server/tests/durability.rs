//! An acknowledged write survives `kill -9`: several clients ingest continuously, Loupe is killed
//! in the middle, and every trace whose request got a success response is in the database
//! afterwards (with fsync on, as in production).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use common::process::{loupe, request, Running};
use loupe_server::data_dir::DataDir;
use loupe_server::embedded_postgres::{EmbeddedPostgres, PostgresSettings};
use nix::sys::signal::Signal;
use serde_json::json;

const CLIENTS: usize = 4;
const EVENTS_PER_REQUEST: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_batches_survive_kill_9() {
    let data = common::traversable_temp_dir();
    let data_dir = data.path().join("data");
    let running = Running::start(
        loupe()
            .arg("--data-dir")
            .arg(&data_dir)
            .env("LOUPE_PG_UNSAFE_FAST", "false")
            .env("LANGFUSE_INIT_ORG_ID", "org-d")
            .env("LANGFUSE_INIT_PROJECT_ID", "proj-d")
            .env("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-d")
            .env("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-d"),
    );
    let addr = running.addr;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-lf-d:sk-lf-d"));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let auth = auth.clone();
            std::thread::spawn(move || {
                let mut sent = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let ids: Vec<String> = (0..EVENTS_PER_REQUEST).map(|i| format!("c{client}-r{sent}-t{i}")).collect();
                    let batch: Vec<_> = ids
                        .iter()
                        .map(|id| json!({"id": format!("ev-{id}"), "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z",
                                         "body": {"id": id, "name": "durable", "input": "x".repeat(200)}}))
                        .collect();
                    let body = serde_json::to_vec(&json!({ "batch": batch })).unwrap();
                    sent += 1;
                    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
                    match request(addr, "POST", "/api/public/ingestion", &headers, &body) {
                        Some((207, text)) if text.contains(r#""errors":[]"#) => acknowledged.lock().unwrap().extend(ids),
                        Some((status, text)) if status == 429 || status == 503 => {
                            let _ = text;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Some((status, text)) => panic!("unexpected response {status}: {text}"),
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();

    // Let the load run, then kill Loupe without warning while requests are in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 2_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal(Signal::SIGKILL);
    let _ = running.wait(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("{} traces acknowledged before the kill", acknowledged.len());
    assert!(acknowledged.len() >= 500, "the load ran: {} traces acknowledged", acknowledged.len());

    // Open the same cluster directly (the killed Loupe's Postgres stops on its own; the data
    // directory lock tells us when it is free) and look for every acknowledged trace.
    let dir = {
        let mut attempts = 0;
        loop {
            match DataDir::open(&data_dir) {
                Ok(dir) => break dir,
                Err(error) if attempts < 100 => {
                    let _ = error;
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("data dir stays locked: {error}"),
            }
        }
    };
    let settings = PostgresSettings { data_dir: dir.postgres_dir(), socket_dir: dir.socket_dir(), unsafe_fast: false };
    let mut postgres = None;
    for _ in 0..100 {
        match EmbeddedPostgres::start(&settings).await {
            Ok(started) => {
                postgres = Some(started);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let postgres = postgres.expect("the cluster restarts after the kill");
    let pool = sqlx::PgPool::connect_with(postgres.connect_options()).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE project_id = 'proj-d' AND id = ANY($1)")
        .bind(&acknowledged)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    postgres.stop().await;
    assert_eq!(stored as usize, acknowledged.len(), "every acknowledged trace is stored");
}
