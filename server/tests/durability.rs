//! An acknowledged write survives `kill -9`, exactly once: clients ingest continuously over both
//! OTLP/JSON (`/api/public/otel/v1/traces`) and the batch API (`/api/public/ingestion`), with
//! nested spans and traces that grow across requests; Loupe is killed in the middle (with fsync
//! on, as in production) and restarted on the same data directory. Every acknowledged trace and
//! observation is then readable through the public API, nothing appears that no client sent, and
//! the per-trace aggregates of `trace_metrics` agree with the stored observations and with what
//! the clients sent. The requests in flight at the kill (and the last acknowledged ones, as if
//! their responses were lost) are then retried as an SDK would, and the result is exactly what
//! was sent: no observation or aggregate counted twice.

use crate::common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use common::process::{loupe, request, Running};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Clients per API, sending concurrently.
const CLIENTS_PER_API: usize = 2;
/// Acknowledged requests per API before the kill.
const REQUESTS_BEFORE_KILL: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Api {
    Otlp,
    Batch,
}

/// One request as a client built it: the body, and the observations it writes (trace id →
/// observation id → total tokens) so the expected state can be rebuilt from what was sent.
#[derive(Clone)]
struct Sent {
    api: Api,
    client: usize,
    body: Vec<u8>,
    writes: Model,
}

/// Trace id → its observations' ids → their total tokens.
type Model = BTreeMap<String, BTreeMap<String, i64>>;

fn model<'a>(requests: impl IntoIterator<Item = &'a Sent>) -> Model {
    let mut model = Model::new();
    for sent in requests {
        for (trace, observations) in &sent.writes {
            model.entry(trace.clone()).or_default().extend(observations.iter().map(|(id, tokens)| (id.clone(), *tokens)));
        }
    }
    model
}

fn auth() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-lf-d:sk-lf-d"))
}

fn loupe_on(data_dir: &Path) -> Running {
    Running::start(
        loupe()
            .arg("--data-dir")
            .arg(data_dir)
            .env("LOUPE_PG_UNSAFE_FAST", "false")
            .env("LANGFUSE_INIT_ORG_ID", "org-d")
            .env("LANGFUSE_INIT_PROJECT_ID", "proj-d")
            .env("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-d")
            .env("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-d"),
    )
}

/// Token usage of generation `k` of request `r`: (input, output).
fn usage(client: usize, r: usize, k: usize) -> (i64, i64) {
    (10 + (r % 5) as i64, 1 + ((r * 3 + client + k) % 7) as i64)
}

/// OTLP request `r` of a client: a new trace (root → child → generation) and, for the previous
/// request's trace, a child of its root with a generation under it (so traces grow across
/// requests and their aggregates are added to, not only created).
fn otlp_request(client: usize, r: usize) -> Sent {
    let trace_id = |r: usize| format!("d0{client:02x}{r:028x}");
    let span_id = |r: usize, k: usize| format!("a{client:x}{r:08x}{k:06x}");
    let mut writes = Model::new();
    let mut spans = Vec::new();
    let mut span = |r: usize, k: usize, parent: Option<usize>, generation: bool| {
        let (trace, id) = (trace_id(r), span_id(r, k));
        let start = 1_795_714_740_000_000_000u64 + r as u64 * 1_000_000_000 + k as u64 * 1_000_000;
        let mut attributes = vec![json!({"key": "langfuse.trace.name", "value": {"stringValue": "durable-otlp"}})];
        let mut tokens = 0;
        if generation {
            let (input, output) = usage(client, r, k);
            tokens = input + output;
            let details = json!({"input": input, "output": output, "total": tokens}).to_string();
            attributes = vec![
                json!({"key": "langfuse.observation.type", "value": {"stringValue": "generation"}}),
                json!({"key": "langfuse.observation.model.name", "value": {"stringValue": "gpt-4o-mini"}}),
                json!({"key": "langfuse.observation.usage_details", "value": {"stringValue": details}}),
            ];
        }
        let mut value = json!({"traceId": trace, "spanId": id, "name": format!("span-{k}"), "kind": 1,
                               "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 500_000).to_string(),
                               "attributes": attributes, "status": {"code": 0}});
        if let Some(parent) = parent {
            value["parentSpanId"] = json!(span_id(r, parent));
        }
        spans.push(value);
        writes.entry(trace).or_default().insert(id, tokens);
    };
    span(r, 1, None, false);
    span(r, 2, Some(1), false);
    span(r, 3, Some(2), true);
    if r > 0 {
        span(r - 1, 4, Some(1), false);
        span(r - 1, 5, Some(4), true);
    }
    let body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "durability"}}]},
                      "scopeSpans": [{"scope": {"name": "langfuse-sdk", "version": "5.11.1"}, "spans": spans}]}]});
    Sent { api: Api::Otlp, client, body: serde_json::to_vec(&body).unwrap(), writes }
}

/// Batch request `r` of a client: trace-create, span → span → generation, and for the previous
/// request's trace a new generation plus an update of an existing span (merged into its row, so
/// that trace's aggregates are recomputed rather than added to).
fn batch_request(client: usize, r: usize) -> Sent {
    let trace_id = |r: usize| format!("b{client}-{r}");
    let mut writes = Model::new();
    let mut events = vec![json!({"id": format!("ev-{}", trace_id(r)), "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z",
                                 "body": {"id": trace_id(r), "name": "durable-batch", "input": "x".repeat(200)}})];
    let mut observation = |r: usize, name: &str, parent: Option<&str>, kind: &str, k: usize| {
        let (trace, id) = (trace_id(r), format!("{}-{name}", trace_id(r)));
        let start = format!("2026-01-01T00:{:02}:{:02}.{:03}Z", r / 60 % 60, r % 60, k * 10);
        let mut body = json!({"id": id, "traceId": trace, "name": name, "startTime": start, "endTime": start});
        if let Some(parent) = parent {
            body["parentObservationId"] = json!(format!("{trace}-{parent}"));
        }
        let mut tokens = 0;
        if kind == "generation-create" {
            let (input, output) = usage(client, r, k);
            tokens = input + output;
            body["model"] = json!("gpt-4o-mini");
            body["usage"] = json!({"input": input, "output": output, "total": tokens});
        }
        events.push(json!({"id": format!("ev-{id}-{kind}"), "type": kind, "timestamp": "2026-01-01T00:00:00Z", "body": body}));
        writes.entry(trace).or_default().insert(id, tokens);
    };
    observation(r, "s1", None, "span-create", 1);
    observation(r, "s2", Some("s1"), "span-create", 2);
    observation(r, "g3", Some("s2"), "generation-create", 3);
    if r > 0 {
        observation(r - 1, "g4", Some("s1"), "generation-create", 4);
        observation(r - 1, "s2", Some("s1"), "span-update", 5);
    }
    Sent { api: Api::Batch, client, body: serde_json::to_vec(&json!({ "batch": events })).unwrap(), writes }
}

/// Sends one request until it is acknowledged (again after 429/503, as SDKs do); `false` when
/// the server is gone (killed mid-request). Any other answer fails the test (a 500 under load,
/// a partial 207).
fn deliver(addr: SocketAddr, sent: &Sent) -> bool {
    let path = match sent.api {
        Api::Otlp => "/api/public/otel/v1/traces",
        Api::Batch => "/api/public/ingestion",
    };
    let auth = auth();
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    loop {
        match request(addr, "POST", path, &headers, &sent.body) {
            None => return false,
            Some((429 | 503, _)) => std::thread::sleep(Duration::from_millis(50)),
            Some((200, _)) if sent.api == Api::Otlp => return true,
            Some((207, text)) if sent.api == Api::Batch => {
                let response: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("207 body is not JSON ({e}): {text}"));
                assert_eq!(response["errors"], json!([]), "a valid batch is stored whole: {text}");
                return true;
            }
            Some((status, text)) => panic!("{:?} request answered {status}: {text}", sent.api),
        }
    }
}

/// A client sending request after request until the server is gone; returns the request that
/// was in flight then.
fn client(addr: SocketAddr, api: Api, client: usize, acknowledged: Arc<Mutex<Vec<Sent>>>) -> std::thread::JoinHandle<Option<Sent>> {
    std::thread::spawn(move || {
        for r in 0.. {
            let sent = match api {
                Api::Otlp => otlp_request(client, r),
                Api::Batch => batch_request(client, r),
            };
            if !deliver(addr, &sent) {
                return Some(sent);
            }
            acknowledged.lock().unwrap().push(sent);
        }
        None
    })
}

/// A GET of the public API as JSON.
fn get(addr: SocketAddr, path: &str) -> Value {
    let auth = auth();
    let (status, text) = request(addr, "GET", path, &[("authorization", auth.as_str())], b"").expect("loupe answers");
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path} is not JSON ({e}): {text}"))
}

fn ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_string()).collect()
}

/// Stored state between what was acknowledged and what was sent: every acknowledged trace and
/// observation is read back once through the public API, nothing else appears, and each trace's
/// observation count and tokens in `trace_metrics` lie between the two (equal when every sent
/// request was acknowledged) and agree with a recomputation from `observations`.
async fn check(addr: SocketAddr, pool: &PgPool, acknowledged: &Model, sent: &Model) {
    let mut listed = Vec::new();
    for page in 1.. {
        let response = get(addr, &format!("/api/public/traces?fields=core&limit=100&page={page}"));
        listed.extend(ids(&response));
        if page >= response["meta"]["totalPages"].as_i64().unwrap() {
            break;
        }
    }
    let unique: std::collections::BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "each trace is listed once");
    let missing: Vec<_> = acknowledged.keys().filter(|t| !unique.contains(t)).collect();
    assert!(missing.is_empty(), "acknowledged traces missing: {missing:?}");
    let unsent: Vec<_> = unique.iter().filter(|t| !sent.contains_key(**t)).collect();
    assert!(unsent.is_empty(), "traces no client sent: {unsent:?}");

    for (trace, observations) in sent {
        let response = get(addr, &format!("/api/public/observations?traceId={trace}&limit=100"));
        let stored = ids(&response);
        let unique: std::collections::BTreeSet<&String> = stored.iter().collect();
        assert_eq!((unique.len(), response["meta"]["totalItems"].as_i64()), (stored.len(), Some(stored.len() as i64)), "{trace}: each observation once: {stored:?}");
        let acknowledged = acknowledged.get(trace).map(|o| o.keys().collect()).unwrap_or_else(Vec::new);
        let missing: Vec<_> = acknowledged.iter().filter(|id| !unique.contains(*id)).collect();
        assert!(missing.is_empty(), "{trace}: acknowledged observations missing: {missing:?} (stored {stored:?})");
        let unsent: Vec<_> = unique.iter().filter(|id| !observations.contains_key(**id)).collect();
        assert!(unsent.is_empty(), "{trace}: observations no client sent: {unsent:?}");
    }

    let drift = common::trace_metrics_drift(pool, "proj-d").await;
    assert!(drift.is_empty(), "trace_metrics disagrees with the stored observations:\n{}", drift.join("\n"));
    let traces: Vec<String> = sent.keys().cloned().collect();
    let metrics: Vec<(String, i32, i64)> =
        sqlx::query_as("SELECT trace_id, observation_count, total_tokens FROM trace_metrics WHERE project_id = 'proj-d' AND trace_id = ANY($1)")
            .bind(&traces)
            .fetch_all(pool)
            .await
            .unwrap();
    let metrics: BTreeMap<String, (i32, i64)> = metrics.into_iter().map(|(trace, count, tokens)| (trace, (count, tokens))).collect();
    for (trace, observations) in sent {
        let least = acknowledged.get(trace).map_or((0, 0), |o| (o.len() as i32, o.values().sum::<i64>()));
        let most = (observations.len() as i32, observations.values().sum::<i64>());
        let stored = metrics.get(trace).copied().unwrap_or((0, 0));
        assert!(least.0 <= stored.0 && stored.0 <= most.0 && least.1 <= stored.1 && stored.1 <= most.1,
                "{trace}: (observations, tokens) stored {stored:?}, acknowledged {least:?}, sent {most:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_otlp_and_batch_writes_survive_kill_9_exactly_once() {
    let data = common::traversable_temp_dir();
    let data_dir = data.path().join("data");
    let running = loupe_on(&data_dir);
    let acknowledged = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let clients = || [Api::Otlp, Api::Batch].into_iter().flat_map(|api| (0..CLIENTS_PER_API).map(move |n| (api, n)));
    let threads: Vec<_> = clients().map(|(api, n)| client(running.addr, api, n, acknowledged.clone())).collect();

    // Let the load run, then kill Loupe without warning while requests are in flight.
    let count = |api: Api| acknowledged.lock().unwrap().iter().filter(|s| s.api == api).count();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (count(Api::Otlp) < REQUESTS_BEFORE_KILL || count(Api::Batch) < REQUESTS_BEFORE_KILL) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal(Signal::SIGKILL);
    let _ = running.wait(Duration::from_secs(10));
    let in_flight: Vec<Sent> = threads.into_iter().filter_map(|t| t.join().unwrap()).collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("before the kill: {} OTLP and {} batch requests acknowledged, {} in flight", count(Api::Otlp), count(Api::Batch), in_flight.len());
    assert!(count(Api::Otlp) >= 10 && count(Api::Batch) >= 10, "the load ran over both APIs");

    // Restarted on the same data directory: everything acknowledged is there, once.
    let running = loupe_on(&data_dir);
    let pool = common::process::embedded_database(&data_dir).await;
    check(running.addr, &pool, &model(&acknowledged), &model(acknowledged.iter().chain(&in_flight))).await;

    // The clients retry what was in flight, and the last acknowledged request of each as if its
    // response had been lost: the result is exactly what was sent.
    let lost_responses = clients().filter_map(|(api, n)| acknowledged.iter().filter(|s| s.api == api && s.client == n).last().cloned());
    let retried: Vec<Sent> = lost_responses.chain(in_flight.iter().cloned()).collect();
    for sent in &retried {
        assert!(deliver(running.addr, sent), "the restarted loupe answers");
    }
    let everything = model(acknowledged.iter().chain(&retried));
    check(running.addr, &pool, &everything, &everything).await;
    pool.close().await;

    running.signal(Signal::SIGTERM);
    let (status, log) = running.wait(Duration::from_secs(60));
    assert!(status.success(), "{log}");
}
