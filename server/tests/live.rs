//! Live updates end to end on a real Postgres: ingestion (batch API, OTLP, scores) announces
//! the traces it changed with NOTIFY from its transaction; each server's listener fans them out
//! to its server-sent event streams. Servers run over TCP (in-process routers, each with its own
//! hub, and once the real binary), read by a streaming HTTP client.
//!
//! No test waits for something *not* to happen: absence is shown by ordering (a change that
//! must not reach a stream is made, and seen elsewhere, before one that must; the first event
//! the stream gets is then the right one) or by ending the stream and counting what came.

use crate::common;

use common::app_state;

use std::net::SocketAddr;
use std::time::Duration;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::live::{project_traces_url, trace_url, TracesChanged};
use loupe_server::ingest::model::{IngestBatch, TracePatch};
use loupe_server::live::Live;
use serde_json::{json, Value};
use sqlx::Connection;

const PASSWORD: &str = "correct horse battery";
/// Generous: a loaded CI machine may be slow, and nothing here measures time.
const WAIT: Duration = Duration::from_secs(10);

/// A Loupe server over the test database: the real router with its own live hub, on a port.
struct Replica {
    addr: SocketAddr,
    live: Live,
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    addr
}

async fn replica(pool: sqlx::PgPool) -> Replica {
    let live = Live::new(pool.clone());
    let addr = serve(loupe_server::http::router_with_live(app_state(pool), live.clone())).await;
    Replica { addr, live }
}

/// A second server process's view: its own connection pool to the same database.
async fn separate_pool(api: &TestApi) -> sqlx::PgPool {
    let options = (*api.pool.connect_options()).clone();
    sqlx::postgres::PgPoolOptions::new().max_connections(3).connect_with(options).await.unwrap()
}

/// Signs up `email` and makes them a Viewer of `org_id`; returns the session cookie.
async fn viewer_of(api: &TestApi, email: &str, org_id: &str) -> String {
    let browser = Browser::sign_up(api, email, PASSWORD).await;
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) SELECT $1, id, 'VIEWER' FROM accounts WHERE email = $2")
        .bind(org_id)
        .bind(email)
        .execute(&api.pool)
        .await
        .unwrap();
    browser.cookie.clone().unwrap()
}

/// An open event stream, parsed as `EventSource` does (events end at a blank line; comment
/// lines, the keep-alives, are skipped).
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// The next `(event, data)`; `None` when the server ends the stream.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = "message".to_string();
                let mut data: Vec<&str> = Vec::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim_start().to_string();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value));
                    }
                }
                if !data.is_empty() {
                    return Some((event, data.join("\n")));
                }
            }
            let chunk = self.response.chunk().await.expect("the stream reads")?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event, which must come within [`WAIT`] and be `name`.
    async fn expect(&mut self, name: &str) -> String {
        let (event, data) = tokio::time::timeout(WAIT, self.next())
            .await
            .unwrap_or_else(|_| panic!("no `{name}` event within {WAIT:?}"))
            .unwrap_or_else(|| panic!("the stream ended before a `{name}` event"));
        assert_eq!(event, name, "data: {data}");
        data
    }

    /// The next change event's trace ids (`None` for "many").
    async fn expect_change(&mut self, name: &str) -> Option<Vec<String>> {
        let data = self.expect(name).await;
        serde_json::from_str::<TracesChanged>(&data).unwrap_or_else(|e| panic!("{e}: {data}")).trace_ids
    }

    /// Everything until the server ends the stream.
    async fn rest(&mut self) -> Vec<(String, String)> {
        let mut events = Vec::new();
        while let Some(event) = tokio::time::timeout(WAIT, self.next()).await.expect("the stream ends") {
            events.push(event);
        }
        events
    }
}

/// GETs a live URL with an optional cookie; returns the response (status not checked).
async fn get(addr: SocketAddr, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("http://{addr}{path}"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// Opens a stream that must be accepted, and waits for `ready` (from then on, nothing is missed).
async fn subscribe(addr: SocketAddr, path: &str, cookie: &str) -> EventStream {
    let response = get(addr, path, Some(cookie)).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(response.headers().get("content-encoding").is_none(), "event streams are not compressed");
    let mut stream = EventStream { response, buffer: String::new() };
    assert_eq!(stream.expect("ready").await, "{}");
    stream
}

/// Sends an ingestion request with Basic auth (`TestApi::basic_auth`).
async fn ingest(addr: SocketAddr, auth: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
}

fn trace_event(event_id: &str, trace_id: &str) -> Value {
    json!({"id": event_id, "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z",
           "body": {"id": trace_id, "name": "chat", "timestamp": "2026-01-01T00:00:00Z"}})
}

fn span_event(event_id: &str, span_id: &str, trace_id: &str) -> Value {
    json!({"id": event_id, "type": "span-create", "timestamp": "2026-01-01T00:00:00Z",
           "body": {"id": span_id, "traceId": trace_id, "name": "step", "startTime": "2026-01-01T00:00:01Z"}})
}

fn batch(events: Vec<Value>) -> Value {
    json!({ "batch": events })
}

fn ids(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

async fn count(api: &TestApi, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar(sql).bind(&api.project_id).bind(id).fetch_one(&api.pool).await.unwrap()
}

#[tokio::test]
async fn ingestion_reaches_the_project_stream_once_the_data_is_readable() {
    let api = TestApi::new().await;
    let cookie = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let server = replica(api.pool.clone()).await;
    let auth = api.basic_auth();
    let mut stream = subscribe(server.addr, &project_traces_url("proj-a"), &cookie).await;

    // Batch API: a trace and a span of it. The request runs alongside; when the event arrives,
    // the rows are there to read.
    let request = {
        let (addr, auth) = (server.addr, auth.clone());
        tokio::spawn(async move {
            ingest(addr, &auth, "/api/public/ingestion", batch(vec![trace_event("e1", "t-batch"), span_event("e2", "o1", "t-batch")])).await
        })
    };
    assert_eq!(stream.expect_change("traces").await, ids(&["t-batch"]));
    assert_eq!(count(&api, "SELECT count(*) FROM traces WHERE project_id = $1 AND id = $2", "t-batch").await, 1);
    assert_eq!(count(&api, "SELECT count(*) FROM observations WHERE project_id = $1 AND trace_id = $2", "t-batch").await, 1);
    let (status, body) = request.await.unwrap();
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["errors"], json!([]), "{body}");

    // An update event without a traceId changes the observation's stored trace, which is named.
    // (Such an event also gets a trace of its own, under the observation's id, as very old SDKs
    // expect: that one is new, so it is named too.)
    let update = json!({"id": "e3", "type": "span-update", "timestamp": "2026-01-01T00:00:00Z",
                        "body": {"id": "o1", "output": "done"}});
    assert_eq!(ingest(server.addr, &auth, "/api/public/ingestion", batch(vec![update])).await.0, 207);
    assert_eq!(stream.expect_change("traces").await, ids(&["o1", "t-batch"]));

    // OTLP/JSON: two spans of one trace, one notification naming it.
    let otlp = json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": [
        {"traceId": "526c787fe04cfac04b73dff2f5d124bd", "spanId": "bfb8b2d2d25906e4", "name": "root", "kind": 1,
         "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000", "status": {"code": 0}},
        {"traceId": "526c787fe04cfac04b73dff2f5d124bd", "spanId": "bca098040b692884", "parentSpanId": "bfb8b2d2d25906e4",
         "name": "child", "kind": 1, "startTimeUnixNano": "1795715850282000000", "endTimeUnixNano": "1795715850289984752",
         "status": {"code": 0}}]}]}]});
    let (status, body) = ingest(server.addr, &auth, "/api/public/otel/v1/traces", otlp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stream.expect_change("traces").await, ids(&["526c787fe04cfac04b73dff2f5d124bd"]));
    assert_eq!(count(&api, "SELECT count(*) FROM observations WHERE project_id = $1 AND trace_id = $2", "526c787fe04cfac04b73dff2f5d124bd").await, 2);

    // A score on a trace names the trace; one request over several traces names them all.
    let (status, body) = ingest(server.addr, &auth, "/api/public/scores", json!({"traceId": "t-batch", "name": "quality", "value": 1})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stream.expect_change("traces").await, ids(&["t-batch"]));
    let events = vec![trace_event("e4", "t-2"), span_event("e5", "o5", "t-3"), trace_event("e6", "t-1")];
    assert_eq!(ingest(server.addr, &auth, "/api/public/ingestion", batch(events)).await.0, 207);
    assert_eq!(stream.expect_change("traces").await, ids(&["t-1", "t-2", "t-3"]));

    // Deleting traces is a change too, announced once the deletion is committed.
    let client = reqwest::Client::new();
    let response = client.delete(format!("http://{}/api/public/traces/t-2", server.addr)).header("authorization", &auth).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(stream.expect_change("traces").await, ids(&["t-2"]));
    assert_eq!(count(&api, "SELECT count(*) FROM traces WHERE project_id = $1 AND id = $2", "t-2").await, 0);
    let response = client
        .delete(format!("http://{}/api/public/traces", server.addr))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(r#"{"traceIds": ["t-1", "t-3"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(stream.expect_change("traces").await, ids(&["t-1", "t-3"]));
}

#[tokio::test]
async fn a_trace_stream_hears_its_trace_and_no_other() {
    let api = TestApi::new().await;
    let cookie = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let server = replica(api.pool.clone()).await;
    let auth = api.basic_auth();
    let mut project = subscribe(server.addr, &project_traces_url("proj-a"), &cookie).await;
    // An id that needs encoding in the URL.
    let mut one = subscribe(server.addr, &trace_url("proj-a", "trace/1 ü"), &cookie).await;

    // Other traces of the project first, seen by the project stream (so they have been through
    // the hub) before the trace itself changes.
    for (i, other) in ["trace/2", "trace/10", "trace"].iter().enumerate() {
        let event = trace_event(&format!("o{i}"), other);
        assert_eq!(ingest(server.addr, &auth, "/api/public/ingestion", batch(vec![event])).await.0, 207);
        assert_eq!(project.expect_change("traces").await, ids(&[other]));
    }
    assert_eq!(ingest(server.addr, &auth, "/api/public/ingestion", batch(vec![span_event("e1", "s1", "trace/1 ü")])).await.0, 207);
    assert_eq!(one.expect_change("trace").await, ids(&["trace/1 ü"]));
    assert_eq!(project.expect_change("traces").await, ids(&["trace/1 ü"]));

    // Ending the streams shows nothing else was sent.
    server.live.shutdown();
    assert_eq!(one.rest().await, vec![], "no events for other traces");
    assert_eq!(project.rest().await, vec![]);
}

#[tokio::test]
async fn a_change_written_through_one_replica_reaches_another() {
    let api = TestApi::new().await;
    let cookie = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let first = replica(api.pool.clone()).await;
    let second = replica(separate_pool(&api).await).await;
    let mut on_second = subscribe(second.addr, &project_traces_url("proj-a"), &cookie).await;
    let mut trace_on_second = subscribe(second.addr, &trace_url("proj-a", "t-replicated"), &cookie).await;

    let (status, body) = ingest(first.addr, &api.basic_auth(), "/api/public/ingestion", batch(vec![trace_event("e1", "t-replicated")])).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(on_second.expect_change("traces").await, ids(&["t-replicated"]));
    assert_eq!(trace_on_second.expect_change("trace").await, ids(&["t-replicated"]));
    assert!(!first.live.is_listening(), "the writing replica had no stream open, so no listener: Postgres carried the change");
}

#[tokio::test]
async fn outsiders_and_signed_out_people_are_refused_and_projects_stay_apart() {
    let api = TestApi::new().await;
    let project_b = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let ada = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let bob = viewer_of(&api, "bob@example.com", "org-of-proj-b").await;
    let server = replica(api.pool.clone()).await;
    let auth = api.basic_auth();

    for path in [project_traces_url("proj-a"), trace_url("proj-a", "t1"), project_traces_url("no-such-project")] {
        let response = get(server.addr, &path, Some(&bob)).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(body["NotFound"].is_string(), "{path}: {body}");
    }
    for cookie in [None, Some("loupe_session=not-a-session")] {
        let response = get(server.addr, &project_traces_url("proj-a"), cookie).await;
        assert_eq!(response.status(), 401, "{cookie:?}");
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body, json!("SignInRequired"));
    }
    let response = get(server.addr, "/api/live/projects/proj-a/somewhere", Some(&ada)).await;
    assert_eq!(response.status(), 404);

    // Project A's change, seen on A's stream, never reaches B's: B's first event is B's own.
    let mut on_a = subscribe(server.addr, &project_traces_url("proj-a"), &ada).await;
    let mut on_b = subscribe(server.addr, &project_traces_url("proj-b"), &bob).await;
    let mut b_trace_named_like_a = subscribe(server.addr, &trace_url("proj-b", "shared-id"), &bob).await;
    assert_eq!(ingest(server.addr, &auth, "/api/public/ingestion", batch(vec![trace_event("e1", "shared-id")])).await.0, 207);
    assert_eq!(on_a.expect_change("traces").await, ids(&["shared-id"]));
    assert_eq!(ingest(server.addr, &project_b.basic_auth(), "/api/public/ingestion", batch(vec![trace_event("e2", "b-only")])).await.0, 207);
    assert_eq!(on_b.expect_change("traces").await, ids(&["b-only"]));
    server.live.shutdown();
    assert_eq!(b_trace_named_like_a.rest().await, vec![], "A's trace of the same id is not B's");
    assert_eq!(on_b.rest().await, vec![]);
}

/// Open streams check access again (every minute; here every 200 ms): losing the membership or
/// signing out ends them.
#[tokio::test]
async fn an_open_stream_ends_when_access_ends() {
    let api = TestApi::new().await;
    let ada = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let live = Live::new(api.pool.clone());
    let mut live_state = loupe_server::http::live::LiveState::new(api.pool.clone(), live);
    live_state.access_recheck = Duration::from_millis(200);
    let state = app_state(api.pool.clone());
    let app = axum::Router::new()
        .nest("/api/live", loupe_server::http::live::router(live_state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), loupe_server::http::session::layer))
        .with_state(state);
    let addr = serve(app).await;

    let mut stream = subscribe(addr, &project_traces_url("proj-a"), &ada).await;
    sqlx::query("DELETE FROM organization_memberships WHERE org_id = 'org-of-proj-a'").execute(&api.pool).await.unwrap();
    assert_eq!(stream.rest().await, vec![], "removed from the organization: the stream ends");
    assert_eq!(get(addr, &project_traces_url("proj-a"), Some(&ada)).await.status(), 404, "and does not reopen");

    let bea = viewer_of(&api, "bea@example.com", "org-of-proj-a").await;
    let mut stream = subscribe(addr, &project_traces_url("proj-a"), &bea).await;
    sqlx::query("DELETE FROM sign_in_sessions").execute(&api.pool).await.unwrap();
    assert_eq!(stream.rest().await, vec![], "signed out: the stream ends");
    assert_eq!(get(addr, &project_traces_url("proj-a"), Some(&bea)).await.status(), 401);
}

#[tokio::test]
async fn only_committed_writes_are_announced() {
    let api = TestApi::new().await;
    let cookie = viewer_of(&api, "ada@example.com", "org-of-proj-a").await;
    let server = replica(api.pool.clone()).await;
    let mut stream = subscribe(server.addr, &project_traces_url("proj-a"), &cookie).await;
    let pricing = loupe_server::pricing::Pricing::new(api.pool.clone());
    let prices = pricing.project(&api.project).await.unwrap();
    let write = |trace_id: &str| IngestBatch { traces: vec![TracePatch::new(trace_id)], ..Default::default() };

    let [mut first, mut second, mut third] = connections_counting_apart(&api.pool).await;
    // Written but not committed yet, and written then rolled back.
    let mut open = first.begin().await.unwrap();
    loupe_server::ingest::writer::write(&mut open, &api.project, &[], write("committed-later"), &prices, chrono::Utc::now()).await.unwrap();
    let mut undone = second.begin().await.unwrap();
    loupe_server::ingest::writer::write(&mut undone, &api.project, &[], write("rolled-back"), &prices, chrono::Utc::now()).await.unwrap();
    undone.rollback().await.unwrap();
    // A committed write after both is the first thing the stream hears.
    let mut done = third.begin().await.unwrap();
    loupe_server::ingest::writer::write(&mut done, &api.project, &[], write("committed"), &prices, chrono::Utc::now()).await.unwrap();
    done.commit().await.unwrap();
    assert_eq!(stream.expect_change("traces").await, ids(&["committed"]));
    // The open one is heard when it commits.
    open.commit().await.unwrap();
    assert_eq!(stream.expect_change("traces").await, ids(&["committed-later"]));
    server.live.shutdown();
    assert_eq!(stream.rest().await, vec![], "never anything of the rolled-back write");
}

/// Three connections whose writes count their units in different rows. Metering adds a
/// write's units to a row chosen by `pg_backend_pid() % SHARDS` and holds that row until the
/// commit; a second write on a backend of the same shard waits for the first to commit, which
/// [`only_committed_writes_are_announced`] holds back while it writes again: on pooled
/// connections it hung about once in sixteen runs. Fresh connections until three shards differ.
async fn connections_counting_apart(pool: &sqlx::PgPool) -> [sqlx::PgConnection; 3] {
    let mut kept: Vec<(i32, sqlx::PgConnection)> = Vec::new();
    while kept.len() < 3 {
        let mut connection = sqlx::PgConnection::connect_with(&pool.connect_options()).await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut connection).await.unwrap();
        let shard = pid % loupe_core::ingest::metering::SHARDS;
        if kept.iter().all(|(other, _)| *other != shard) {
            kept.push((shard, connection));
        }
    }
    kept.into_iter().map(|(_, connection)| connection).collect::<Vec<_>>().try_into().unwrap_or_else(|_| unreachable!())
}

/// The real binary: the hub is started and wired at startup, and an open stream neither
/// misses a change nor holds up a graceful stop.
#[tokio::test]
async fn the_server_streams_changes_and_stops_with_streams_open() {
    use common::process::{loupe_on, sign_in_cookie, Running};
    use nix::sys::signal::Signal;

    let pool = common::fresh_database().await;
    let data = common::traversable_temp_dir();
    let mut command = loupe_on(&pool, "live");
    command
        .arg("--data-dir")
        .arg(data.path());
    let running = tokio::task::spawn_blocking(move || Running::start(&mut command)).await.unwrap();
    let addr = running.addr;
    let cookie = tokio::task::spawn_blocking(move || sign_in_cookie(addr, "live@example.com", "admin-password")).await.unwrap();
    let mut project = subscribe(addr, &project_traces_url("proj-live"), &cookie).await;
    let mut one = subscribe(addr, &trace_url("proj-live", "t-real"), &cookie).await;

    let api = TestApi::existing(pool, "pk-lf-live", "sk-lf-live").await;
    assert_eq!(ingest(addr, &api.basic_auth(), "/api/public/ingestion", batch(vec![trace_event("e1", "t-real")])).await.0, 207);
    assert_eq!(project.expect_change("traces").await, ids(&["t-real"]));
    assert_eq!(one.expect_change("trace").await, ids(&["t-real"]));

    running.signal(Signal::SIGTERM);
    assert_eq!(project.rest().await, vec![], "the stream ends at shutdown");
    assert_eq!(one.rest().await, vec![]);
    let (status, log) = tokio::task::spawn_blocking(move || running.wait(Duration::from_secs(30))).await.unwrap();
    assert!(status.success(), "{log}");
    assert!(!log.contains("requests still running"), "open streams did not hold up the drain:\n{log}");
}
