//! Hostile clients (issue #13): slow bodies, slow headers, idle and surplus connections, oversize
//! bodies, timeouts, the CSRF origin's scheme, and malformed credentials. In-process where the
//! router decides, against the real binary where the connection handling does.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::Request;
use base64::Engine;
use common::process::{loupe_on, sign_in_cookie, Running};
use common::{TestApi, TestResponse};
use loupe_server::config::Limits;
use serde_json::{json, Value};

fn router(api: &TestApi, limits: &Limits, settings: loupe_app::state::InstanceSettings) -> axum::Router {
    let state = loupe_app::state::AppState {
        leptos_options: loupe_server::leptos_options(&std::env::temp_dir(), "127.0.0.1:3000".parse().unwrap()),
        pool: api.pool.clone(),
        database_mode: loupe_app::domain::system::DatabaseMode::Embedded,
        settings,
    };
    let live = loupe_server::live::Live::new(api.pool.clone());
    loupe_server::http::router_with_limits(state, live, limits)
}

use common::send;

/// A body that sends `first` and then nothing until the sender is dropped.
fn trickle(first: &'static [u8]) -> (Body, tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tx.try_send(Ok(Bytes::from_static(first))).unwrap();
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (Body::from_stream(stream), tx)
}

fn score(id: &str) -> Value {
    json!({ "id": id, "traceId": "t-1", "name": "quality", "value": 1 })
}

fn post(path: &str, authorization: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", authorization)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

fn assert_json_error(response: &TestResponse) -> Value {
    let body = response.json();
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body.get("error").is_some(), "{body}");
    body
}

#[tokio::test]
async fn slow_bodies_of_one_project_do_not_block_another_projects_writes() {
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let limits = Limits {
        ingest_max_requests: 4,
        ingest_max_requests_per_project: 2,
        body_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let app = router(&a, &limits, Default::default());
    let bearer = format!("Bearer {}", a.public_key);

    // Project a's public key (what a browser widget holds) starts a body and stalls: a quarter of
    // the project's share, so one such request.
    let (stalled_bearer, slow_bearer) = stall(&app, &bearer).await;
    let refused = retry_until_refused(&app, &bearer).await;
    assert_eq!(refused.headers["retry-after"], "1");
    assert_json_error(&refused);

    // With the secret key, project a still gets in, until its own share is taken too.
    let (stalled_basic, slow_basic) = stall(&app, &a.basic_auth()).await;
    retry_until_refused(&app, &a.basic_auth()).await;

    // Project b is not affected.
    let response = send(&app, post("/api/public/scores", &b.basic_auth(), Body::from(score("s-b").to_string()))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let otel = Request::builder()
        .method("POST")
        .uri("/api/public/otel/v1/traces")
        .header("authorization", b.basic_auth())
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(&app, otel).await.status, 200);

    // The stalled bodies end with a JSON 408 once the body deadline passes, freeing a's share.
    for stalled in [stalled_bearer, stalled_basic] {
        let response = stalled.await.unwrap();
        assert_eq!(response.status, 408, "{}", response.text());
        assert!(assert_json_error(&response)["message"].as_str().unwrap().contains("did not arrive within 5 s"));
    }
    drop((slow_bearer, slow_basic));
    let response = send(&app, post("/api/public/scores", &a.basic_auth(), Body::from(score("s-a").to_string()))).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Starts a score request whose body stalls after its first byte; waits until it is past
/// authentication (no other request of ours runs meanwhile, so it cannot be refused).
async fn stall(app: &axum::Router, authorization: &str) -> (tokio::task::JoinHandle<TestResponse>, tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let (body, sender) = trickle(b"{");
    let (app, authorization) = (app.clone(), authorization.to_string());
    let handle = tokio::spawn(async move { send(&app, post("/api/public/scores", &authorization, body)).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!handle.is_finished(), "the stalled request was answered at once");
    (handle, sender)
}

/// Sends small scores until one is refused with 429 (the stalled requests in other tasks have
/// then been counted); a bounded number of tries.
async fn retry_until_refused(app: &axum::Router, authorization: &str) -> TestResponse {
    for attempt in 0..200 {
        let response = send(app, post("/api/public/scores", authorization, Body::from(score(&format!("probe-{attempt}")).to_string()))).await;
        if response.status == 429 {
            return response;
        }
        assert_eq!(response.status, 200, "{}", response.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stalled request was never counted against its tenant");
}

#[tokio::test]
async fn oversize_bodies_get_413_json_naming_the_limit() {
    let api = TestApi::new().await;
    let limits = Limits { otel_max_body: 64 * 1024, batch_max_body: 32 * 1024, ..Limits::default() };
    let app = router(&api, &limits, Default::default());

    let otel = Request::builder()
        .method("POST")
        .uri("/api/public/otel/v1/traces")
        .header("authorization", api.basic_auth())
        .header("content-type", "application/x-protobuf")
        .body(Body::from(vec![0u8; 100_000]))
        .unwrap();
    let response = send(&app, otel).await;
    assert_eq!(response.status, 413);
    assert!(assert_json_error(&response)["message"].as_str().unwrap().contains("65536"));

    // Without a Content-Length the limit holds as the chunks arrive.
    let chunks = futures_util::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 8 * 1024]))));
    let response = send(&app, post("/api/public/ingestion", &api.basic_auth(), Body::from_stream(chunks))).await;
    assert_eq!(response.status, 413);
    assert!(assert_json_error(&response)["message"].as_str().unwrap().contains("32768"));

    // And a body within the limit still goes through.
    let response = api.send(post("/api/public/ingestion", &api.basic_auth(), Body::from(r#"{"batch": []}"#))).await;
    assert_eq!(response.status, 207);
}

#[tokio::test]
async fn a_request_past_the_request_timeout_gets_a_json_408() {
    let api = TestApi::new().await;
    let limits = Limits { request_timeout: Duration::from_secs(2), body_timeout: Duration::from_secs(1), ..Limits::default() };
    let app = router(&api, &limits, Default::default());
    // A route outside ingestion reading a body that never ends: the request timeout answers.
    let (body, _held) = trickle(b"{");
    let response = send(&app, post("/api/public/score-configs", &api.basic_auth(), body)).await;
    assert_eq!(response.status, 408);
    assert_eq!(assert_json_error(&response)["error"], "RequestTimeoutError");
}

#[tokio::test]
async fn a_server_function_body_over_the_limit_gets_413() {
    let api = TestApi::new().await;
    let app = router(&api, &Limits::default(), Default::default());
    let request = |body: Body| {
        Request::builder()
            .method("POST")
            .uri("/api/ui/sign_in")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "loupe.test")
            .header("origin", "http://loupe.test")
            .body(body)
            .unwrap()
    };
    let mut form = b"email=a%40b.c&password=".to_vec();
    form.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    let response = send(&app, request(Body::from(form))).await;
    assert_eq!(response.status, 413, "{}", response.text());
    assert!(response.json()["Invalid"]["message"].as_str().unwrap().contains("2097152"), "{}", response.text());

    let chunks = futures_util::stream::iter((0..48).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 64 * 1024]))));
    assert_eq!(send(&app, request(Body::from_stream(chunks))).await.status, 413);

    // A normal one is still answered by the server function (wrong credentials here).
    let response = send(&app, request(Body::from("email=a%40b.c&password=nope"))).await;
    assert_ne!(response.status, 413);
    assert!(response.status.is_client_error(), "{} {}", response.status, response.text());
}

#[tokio::test]
async fn csrf_compares_the_scheme_too() {
    let api = TestApi::new().await;
    let request = |origin: &str, host: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/ui/sign_out")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", host)
            .header("origin", origin)
            .body(Body::empty())
            .unwrap()
    };
    let plain = router(&api, &Limits::default(), Default::default());
    assert_eq!(send(&plain, request("https://loupe.test", "loupe.test")).await.status, 403, "https origin on an http instance");
    assert_eq!(send(&plain, request("http://loupe.test:8080", "loupe.test")).await.status, 403, "another port");
    assert_ne!(send(&plain, request("http://loupe.test", "loupe.test")).await.status, 403);
    assert_ne!(send(&plain, request("http://loupe.test:80", "loupe.test")).await.status, 403, "the default port is the same origin");

    let settings = loupe_app::state::InstanceSettings {
        public_url: Some("https://loupe.example.com".into()),
        secure_cookies: true,
        ..Default::default()
    };
    let behind_proxy = router(&api, &Limits::default(), settings);
    assert_ne!(send(&behind_proxy, request("https://loupe.example.com", "loupe.example.com")).await.status, 403);
    assert_eq!(send(&behind_proxy, request("http://loupe.example.com", "loupe.example.com")).await.status, 403, "http origin on an https instance");
}

#[tokio::test]
async fn invalid_bytes_in_credentials_are_401_not_503() {
    let api = TestApi::new().await;
    let encode = |pair: &[u8]| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
    for credentials in [encode(b"pk-lf-a\0:sk-lf-a"), encode(b"pk-lf-a:sk-lf-a\0"), encode(b"pk-lf-\x01a:sk"), encode(b"\xff\xfe:sk")] {
        for (method, path, body) in [
            ("POST", "/api/public/ingestion", Body::from(r#"{"batch": []}"#)),
            ("POST", "/api/public/otel/v1/traces", Body::from("{}")),
            ("GET", "/api/public/traces", Body::empty()),
            ("GET", "/api/public/projects", Body::empty()),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .header("authorization", credentials.as_str())
                .header("content-type", "application/json")
                .body(body)
                .unwrap();
            let response = api.send(request).await;
            assert_eq!(response.status, 401, "{method} {path}: {}", response.text());
            assert!(response.headers.get("retry-after").is_none());
            assert_eq!(assert_json_error(&response)["error"], "UnauthorizedError");
        }
    }
}

#[tokio::test]
async fn unknown_keys_and_wrong_secrets_are_answered_alike() {
    // Both go through the same argon2 verification (a decoy hash for unknown keys: unit test
    // `unknown_keys_and_wrong_secrets_take_the_same_verification` in auth.rs); here the answers.
    let api = TestApi::new().await;
    let encode = |pair: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
    let wrong_secret = api.send(Request::get("/api/public/traces").header("authorization", encode("pk-lf-a:sk-lf-wrong")).body(Body::empty()).unwrap()).await;
    let unknown_key = api.send(Request::get("/api/public/traces").header("authorization", encode("pk-lf-nobody:sk-lf-wrong")).body(Body::empty()).unwrap()).await;
    assert_eq!(wrong_secret.status, 401);
    assert_eq!(unknown_key.status, 401);
    assert_eq!(wrong_secret.body, unknown_key.body);
}

// ---- The real binary: connection handling. ----

async fn start(args: &[&str]) -> (Running, TestApi, tempfile::TempDir) {
    let pool = common::fresh_database().await;
    let data = common::traversable_temp_dir();
    let mut command = loupe_on(&pool, "conn");
    command
        .arg("--data-dir")
        .arg(data.path())
        .args(args);
    let running = tokio::task::spawn_blocking(move || Running::start(&mut command)).await.unwrap();
    let api = TestApi::existing(pool, "pk-lf-conn", "sk-lf-conn").await;
    (running, api, data)
}

/// Whether the server closed the connection within `limit`, reading (and discarding) what it
/// sends; `sending` is written every `every` meanwhile, a byte at a time.
fn closed_within(stream: &mut TcpStream, limit: Duration, sending: &[u8], every: Duration) -> bool {
    let deadline = Instant::now() + limit;
    stream.set_read_timeout(Some(every)).unwrap();
    let mut next = 0;
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true, // reset
        }
        if next < sending.len() {
            if stream.write_all(&sending[next..next + 1]).is_err() {
                return true;
            }
            next += 1;
        }
    }
    false
}

fn health_keep_alive(stream: &mut TcpStream, addr: SocketAddr) -> String {
    write!(stream, "GET /api/public/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    // The health answer is small: read until its JSON body has closed.
    while !response.ends_with(b"}") {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_and_idle_connections_are_closed_but_live_streams_stay() {
    let (running, _api, _data) = start(&["--header-timeout", "1", "--idle-timeout", "2"]).await;
    let addr = running.addr;
    tokio::task::spawn_blocking(move || {
        // A client sending its headers a byte every 300 ms is cut off after the header timeout.
        let mut slow = TcpStream::connect(addr).unwrap();
        let head = format!("GET /api/public/health HTTP/1.1\r\nHost: {addr}\r\nX-Padding: {}\r\n\r\n", "p".repeat(100));
        assert!(closed_within(&mut slow, Duration::from_secs(20), head.as_bytes(), Duration::from_millis(300)), "slow headers kept the connection");

        // A connection that sends nothing is closed after the idle timeout.
        let mut silent = TcpStream::connect(addr).unwrap();
        assert!(closed_within(&mut silent, Duration::from_secs(20), b"", Duration::from_millis(200)), "a silent connection stayed open");

        // So is a keep-alive connection after its request.
        let mut kept = TcpStream::connect(addr).unwrap();
        assert!(health_keep_alive(&mut kept, addr).starts_with("HTTP/1.1 200"));
        assert!(closed_within(&mut kept, Duration::from_secs(20), b"", Duration::from_millis(200)), "an idle keep-alive connection stayed open");

        // A live-update stream is a request in progress: never idle, however long it is quiet.
        let cookie = sign_in_cookie(addr, "conn@example.com", "admin-password");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET /api/live/projects/proj-conn/traces HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("event: ready") {
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "the stream ended early: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buffer[..n]);
        }
        assert!(!closed_within(&mut stream, Duration::from_secs(5), b"", Duration::from_millis(200)), "the live stream was cut as idle");
    })
    .await
    .unwrap();
    running.signal(nix::sys::signal::Signal::SIGTERM);
    let (status, log) = tokio::task::spawn_blocking(move || running.wait(Duration::from_secs(30))).await.unwrap();
    assert!(status.success(), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_cap_refuses_with_503_and_recovers() {
    let (running, _api, _data) = start(&["--max-connections", "3", "--idle-timeout", "60"]).await;
    let addr = running.addr;
    tokio::task::spawn_blocking(move || {
        let mut open: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
        for stream in &mut open {
            assert!(health_keep_alive(stream, addr).starts_with("HTTP/1.1 200"));
        }
        // The fourth is answered at once with a 503 the SDKs retry, and closed.
        let (status, body) = common::process::request(addr, "GET", "/api/public/health", &[], b"").expect("an answer, not a hang");
        assert_eq!(status, 503, "{body}");
        let mut refused = TcpStream::connect(addr).unwrap();
        write!(refused, "GET /api/public/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut text = String::new();
        refused.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = refused.read_to_string(&mut text);
        assert!(text.contains("Retry-After: 1"), "{text}");
        let json: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(json["error"], "ServiceUnavailableError");

        // A freed slot is usable again.
        drop(open.pop());
        let mut recovered = false;
        for _ in 0..100 {
            if let Some((200, _)) = common::process::request(addr, "GET", "/api/public/health", &[], b"") {
                recovered = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(recovered, "the server did not accept again after a connection closed");
    })
    .await
    .unwrap();
    running.signal(nix::sys::signal::Signal::SIGTERM);
    let (status, log) = tokio::task::spawn_blocking(move || running.wait(Duration::from_secs(30))).await.unwrap();
    assert!(status.success(), "{log}");
}

/// A server function words its refusal in the person's language: the `Accept-Language` of a
/// signed-out request here (signed in, the account's choice comes first).
#[tokio::test]
async fn server_function_messages_follow_the_persons_language() {
    let api = TestApi::new().await;
    let app = router(&api, &Limits::default(), Default::default());
    let sign_in = |language: Option<&str>, form: &'static str| {
        let mut builder = Request::builder()
            .method("POST")
            .uri("/api/ui/sign_in")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "loupe.test")
            .header("origin", "http://loupe.test");
        if let Some(language) = language {
            builder = builder.header("accept-language", language);
        }
        builder.body(Body::from(form)).unwrap()
    };
    let message = |response: &TestResponse| response.json()["Invalid"]["message"].as_str().unwrap_or_default().to_string();

    let english = send(&app, sign_in(None, "email=&password=x")).await;
    assert_eq!(english.status, 400, "{}", english.text());
    assert_eq!(message(&english), "Enter your email address.");
    let chinese = send(&app, sign_in(Some("zh-CN,zh;q=0.9,en;q=0.8"), "email=&password=x")).await;
    assert_eq!(chinese.status, 400, "{}", chinese.text());
    assert_eq!(message(&chinese), "请输入你的邮箱地址。");
    let wrong = send(&app, sign_in(Some("zh-CN"), "email=nobody%40example.com&password=wrong-password")).await;
    assert_eq!(message(&wrong), "邮箱或密码错误。", "{}", wrong.text());

}

/// `--db-max-connections` holds under an ingestion load wider than it: twelve clients sending
/// OTLP exports at once to a Loupe allowed six connections (and sixteen writers per project, so
/// only the budget stands in the way) never see it hold more than six — counted in
/// `pg_stat_activity` by the application name its `DATABASE_URL` gives them — and every export
/// is stored. Before the budget, the writers' kept connections came on top of a pool of 20.
#[tokio::test(flavor = "multi_thread")]
async fn loupe_holds_no_more_database_connections_than_its_budget() {
    const CLIENTS: usize = 12;
    const REQUESTS: usize = 12;
    const SPANS: usize = 10;
    let pool = common::fresh_database().await;
    let data = common::traversable_temp_dir();
    let options = pool.connect_options();
    let url = format!(
        "postgres://postgres@localhost/{}?host={}&application_name=loupe-budget",
        options.get_database().unwrap(),
        options.get_socket().unwrap().display()
    );
    let mut command = loupe_on(&pool, "budget");
    command
        .env("DATABASE_URL", url)
        .env("LOUPE_DB_MAX_CONNECTIONS", "6")
        .env("LOUPE_INGEST_WRITERS_PER_PROJECT", "16")
        .arg("--data-dir")
        .arg(data.path());
    let running = tokio::task::spawn_blocking(move || Running::start(&mut command)).await.unwrap();
    let addr = running.addr;

    // Loupe's connections, sampled until the clients are done.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (pool, done) = (pool.clone(), done.clone());
        tokio::spawn(async move {
            let mut most = 0i64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let now: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'loupe-budget'")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                most = most.max(now);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            most
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            std::thread::spawn(move || {
                let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-lf-budget:sk-lf-budget"));
                for r in 0..REQUESTS {
                    let trace_id = format!("{:032x}", 0xb0d6_e700_0000u128 + (client * 1000 + r) as u128);
                    let spans: Vec<Value> = (0..SPANS)
                        .map(|s| {
                            json!({"traceId": trace_id, "spanId": format!("{:016x}", 0x5000 + (client * 1000 + r) * 100 + s),
                                   "name": format!("step {s}"), "startTimeUnixNano": "1795715850280000000",
                                   "endTimeUnixNano": "1795715850295000000"})
                        })
                        .collect();
                    let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": spans}]}]});
                    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
                    let (status, text) = common::process::request(addr, "POST", "/api/public/otel/v1/traces", &headers, body.to_string().as_bytes())
                        .expect("loupe answers");
                    assert_eq!(status, 200, "client {client}, request {r}: {text}");
                }
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || clients.into_iter().for_each(|c| c.join().unwrap())).await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = sampler.await.unwrap();

    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = 'proj-budget'").fetch_one(&pool).await.unwrap();
    assert_eq!(stored as usize, CLIENTS * REQUESTS * SPANS, "every acknowledged span is stored");
    assert!(most >= 2, "the sampler saw Loupe's connections ({most})");
    assert!(most <= 6, "Loupe held {most} connections to Postgres, over its budget of 6");
    drop(running);
}

/// The embedded Postgres takes the operator's settings, and makes room for a connection budget
/// past its default 100: started with a budget of 150 and `work_mem=7MB`, it allows 160
/// connections (the budget and ten spare) and has that `work_mem`.
#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_postgres_makes_room_for_the_connection_budget() {
    let data = common::traversable_temp_dir();
    let dir = data.path().to_path_buf();
    let running = tokio::task::spawn_blocking(move || {
        Running::start(
            common::process::loupe()
                .arg("--data-dir")
                .arg(&dir)
                .env("LOUPE_PG_UNSAFE_FAST", "true")
                .env("LOUPE_DB_MAX_CONNECTIONS", "150")
                .env("LOUPE_POSTGRES_SETTINGS", "work_mem=7MB"),
        )
    })
    .await
    .unwrap();
    let pool = common::process::embedded_database(data.path()).await;
    let show = |setting: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, String>(&format!("SHOW {setting}")).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(show("max_connections").await, "160");
    assert_eq!(show("work_mem").await, "7MB");
    pool.close().await;
    drop(running);
}
