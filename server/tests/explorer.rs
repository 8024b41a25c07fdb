//! The trace explorer's list through its server function, on a real Postgres: newest first,
//! cursor pages that neither skip nor repeat, filters, the empty state, and members only.

mod common;

use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A signed-in Viewer of the harness's organization (`org-of-proj-a`, project `proj-a`).
async fn viewer(api: &TestApi) -> Browser<'_> {
    let browser = Browser::sign_up(api, "viewer@example.com", PASSWORD).await;
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) SELECT 'org-of-proj-a', id, 'VIEWER' FROM users WHERE email = 'viewer@example.com'")
        .execute(&api.pool)
        .await
        .unwrap();
    browser
}

async fn list(browser: &mut Browser<'_>, query: &[(&str, &str)]) -> Value {
    let mut form = vec![("project_id", "proj-a")];
    let keys: Vec<String> = query.iter().map(|(k, _)| format!("query[{k}]")).collect();
    form.extend(keys.iter().map(String::as_str).zip(query.iter().map(|(_, v)| *v)));
    browser.ok("list_traces", &form).await
}

fn ids(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["trace"]["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_list_pages_by_cursor_and_filters() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;

    // Empty project: the page explains how to send the first trace, with the host and key.
    let empty = list(&mut browser, &[]).await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["setup"]["public_key"], "pk-lf-a");
    assert_eq!(empty["setup"]["host"], "http://loupe.test");

    // 120 traces a second apart; every third by "ada", every fifth tagged "vip"; two spans each
    // on the first one.
    let events: Vec<Value> = (0..120)
        .map(|i| {
            let user = if i % 3 == 0 { "ada" } else { "bob" };
            let tags: Vec<&str> = if i % 5 == 0 { vec!["vip"] } else { vec![] };
            json!({"id": format!("e{i}"), "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z",
                   "body": {"id": format!("t{i:03}"), "name": "chat", "userId": user, "tags": tags,
                            "timestamp": format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60)}})
        })
        .chain([
            json!({"id": "s1", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "o1", "traceId": "t119", "startTime": "2026-01-01T00:01:59Z", "endTime": "2026-01-01T00:01:59.250Z"}}),
            json!({"id": "s2", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "o2", "traceId": "t119", "startTime": "2026-01-01T00:01:59.100Z", "endTime": "2026-01-01T00:01:59.500Z"}}),
        ])
        .collect();
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(json!({"batch": events}))).await.status, 207);

    let first = list(&mut browser, &[]).await;
    assert_eq!(first["setup"], Value::Null);
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 50);
    assert_eq!(first_ids[0], "t119", "newest first");
    assert_eq!(first["rows"][0]["observation_count"], 2);
    assert!((first["rows"][0]["latency"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    let cursor = first["next_before"].as_str().unwrap().to_string();
    let second = list(&mut browser, &[("before", &cursor)]).await;
    let third = list(&mut browser, &[("before", second["next_before"].as_str().unwrap())]).await;
    assert_eq!(third["next_before"], Value::Null, "the end");
    let all: Vec<String> = [first_ids, ids(&second), ids(&third)].concat();
    let expected: Vec<String> = (0..120).rev().map(|i| format!("t{i:03}")).collect();
    assert_eq!(all, expected, "pages neither skip nor repeat");

    let ada = list(&mut browser, &[("user", "ada")]).await;
    assert_eq!(ids(&ada).len(), 40);
    let ada_vip = list(&mut browser, &[("user", "ada"), ("tag", "vip")]).await;
    assert_eq!(ids(&ada_vip), ["t105", "t090", "t075", "t060", "t045", "t030", "t015", "t000"]);
    let none = list(&mut browser, &[("user", "nobody")]).await;
    assert_eq!((none["rows"].clone(), none["setup"].clone()), (json!([]), Value::Null), "filtered, not empty");

    let damaged = browser.call("list_traces", &[("project_id", "proj-a"), ("query[before]", "garbage")]).await;
    assert_eq!(damaged.status, 400);
    assert_eq!(damaged.json()["Invalid"]["field"], "before");

    // Members only: someone outside the organization finds no such project.
    let mut outsider = Browser::sign_up(&api, "outsider@example.com", PASSWORD).await;
    assert_eq!(outsider.call("list_traces", &[("project_id", "proj-a")]).await.status, 404);
}

#[tokio::test]
async fn deep_pages_walk_the_index_from_the_cursor() {
    let api = TestApi::new().await;
    let query = loupe_app::domain::trace_list::TraceListQuery {
        before: loupe_app::domain::trace_list::cursor_of(None, chrono::Utc::now(), "t"),
        ..Default::default()
    };
    let spec = query.parse(chrono::Utc::now()).unwrap();
    // The query the server function runs, explained: an index scan from the cursor, no sort.
    let mut conn = api.pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
    let mut explain = loupe_app::store::trace_list::page_query_with_prefix("EXPLAIN ", "proj-a", &spec, 51);
    let plan: Vec<String> = explain.build_query_scalar().persistent(false).fetch_all(&mut *conn).await.unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("traces_time_idx"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
    // And the store function returns what the plan promises.
    assert!(loupe_app::store::trace_list::page(&api.pool, "proj-a", &spec, 51).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_trace_with_its_observations_for_members_only() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "name": "chat", "input": {"q": "<script>alert(1)</script>"}}},
        {"id": "e2", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "root", "traceId": "t1", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:02Z"}},
        {"id": "e3", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "gen", "traceId": "t1", "parentObservationId": "root", "model": "gpt-4o",
            "startTime": "2026-01-01T00:00:00.500Z", "endTime": "2026-01-01T00:00:01.500Z", "usage": {"input": 1000, "output": 100}}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let detail = browser.ok("get_trace", &[("project_id", "proj-a"), ("trace_id", "t1")]).await;
    assert_eq!(detail["trace"]["input"]["q"], "<script>alert(1)</script>", "stored and returned as data");
    let ids: Vec<&str> = detail["observations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["root", "gen"]);
    assert!((detail["latency"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert!(detail["total_cost"].as_f64().unwrap() > 0.0, "priced from the model table: {detail}");
    let missing = browser.call("get_trace", &[("project_id", "proj-a"), ("trace_id", "nope")]).await;
    assert_eq!(missing.status, 404);
    // Another project's member cannot read it, even knowing both ids.
    let mut outsider = Browser::sign_up(&api, "outsider@example.com", PASSWORD).await;
    let (_, own_project) = outsider.create_org("Elsewhere", "Mine").await;
    assert_eq!(outsider.call("get_trace", &[("project_id", "proj-a"), ("trace_id", "t1")]).await.status, 404);
    assert_eq!(outsider.call("get_trace", &[("project_id", &own_project), ("trace_id", "t1")]).await.status, 404);
}

#[tokio::test]
async fn time_range_release_and_version_filters() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    let ago = |minutes: i64| (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339();
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": ago(0), "body": {"id": "recent", "timestamp": ago(30), "release": "v2", "version": "a"}},
        {"id": "e2", "type": "trace-create", "timestamp": ago(0), "body": {"id": "yesterday", "timestamp": ago(60 * 20), "release": "v1", "version": "a"}},
        {"id": "e3", "type": "trace-create", "timestamp": ago(0), "body": {"id": "old", "timestamp": ago(60 * 24 * 3), "release": "v1", "version": "b"}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    assert_eq!(ids(&list(&mut browser, &[("range", "1h")]).await), ["recent"]);
    assert_eq!(ids(&list(&mut browser, &[("range", "24h")]).await), ["recent", "yesterday"]);
    assert_eq!(ids(&list(&mut browser, &[("range", "7d")]).await), ["recent", "yesterday", "old"]);
    assert_eq!(ids(&list(&mut browser, &[("release", "v1")]).await), ["yesterday", "old"]);
    assert_eq!(ids(&list(&mut browser, &[("release", "v1"), ("version", "b")]).await), ["old"]);
    let bad = browser.call("list_traces", &[("project_id", "proj-a"), ("query[range]", "2w")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["Invalid"]["field"], "range");
}

#[tokio::test]
async fn users_with_their_traces_tokens_and_cost() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    let empty = browser.ok("list_trace_users", &[("project_id", "proj-a")]).await;
    assert_eq!(empty, json!({"rows": [], "next_page": null}));
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "userId": "ada", "timestamp": "2026-01-01T00:00:00Z"}},
        {"id": "e2", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t2", "userId": "ada", "timestamp": "2026-01-03T00:00:00Z"}},
        {"id": "e3", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t3", "userId": "bob", "timestamp": "2026-01-02T00:00:00Z"}},
        {"id": "e4", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t4", "timestamp": "2026-01-04T00:00:00Z"}},
        {"id": "e5", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "g1", "traceId": "t1", "startTime": "2026-01-01T00:00:00Z",
            "usage": {"input": 10, "output": 5, "total": 15}, "costDetails": {"total": 0.5}}},
        {"id": "e6", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "g2", "traceId": "t2", "startTime": "2026-01-03T00:00:00Z",
            "usage": {"input": 1, "output": 1, "total": 2}, "costDetails": {"total": 0.25}}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let page = browser.ok("list_trace_users", &[("project_id", "proj-a"), ("page", "0")]).await;
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "traces without a user are not a user");
    assert_eq!(rows[0]["user_id"], "ada", "most recently active first");
    assert_eq!((rows[0]["traces"].as_i64(), rows[0]["total_tokens"].as_i64()), (Some(2), Some(17)));
    assert!((rows[0]["total_cost"].as_f64().unwrap() - 0.75).abs() < 1e-9, "{page}");
    assert_eq!(rows[0]["first_seen"], "2026-01-01T00:00:00Z");
    assert_eq!((rows[1]["user_id"].as_str(), rows[1]["traces"].as_i64(), rows[1]["total_cost"].as_f64()), (Some("bob"), Some(1), Some(0.0)));
    assert_eq!(page["next_page"], Value::Null);
    assert_eq!(browser.call("list_trace_users", &[("project_id", "proj-a"), ("page", "-1")]).await.status, 400);
}

#[tokio::test]
async fn sessions_and_their_conversation() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    assert_eq!(browser.ok("list_trace_sessions", &[("project_id", "proj-a")]).await, json!({"rows": [], "next_page": null}));
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "sessionId": "chat-1", "userId": "ada", "timestamp": "2026-01-01T00:00:00Z", "input": "hello", "output": "hi!"}},
        {"id": "e2", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t2", "sessionId": "chat-1", "userId": "ada", "timestamp": "2026-01-01T00:00:30Z", "input": {"q": "and?"}}},
        {"id": "e3", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t3", "sessionId": "chat-2", "timestamp": "2026-01-02T00:00:00Z"}},
        {"id": "e4", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "g1", "traceId": "t2", "startTime": "2026-01-01T00:00:30Z", "costDetails": {"total": 0.5}}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let page = browser.ok("list_trace_sessions", &[("project_id", "proj-a")]).await;
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["session_id"], "chat-2", "most recently active first");
    assert_eq!(rows[1]["session_id"], "chat-1");
    assert_eq!((rows[1]["traces"].as_i64(), rows[1]["users"].clone()), (Some(2), json!(["ada"])));
    assert!((rows[1]["total_cost"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    let turns = browser.ok("get_trace_session", &[("project_id", "proj-a"), ("session_id", "chat-1")]).await;
    let ids: Vec<&str> = turns.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t1", "t2"], "oldest first");
    assert_eq!(turns[0]["output"], "hi!");
    assert_eq!(browser.call("get_trace_session", &[("project_id", "proj-a"), ("session_id", "nope")]).await.status, 404);
}
