//! The trace explorer's list through its server function, on a real Postgres: newest first,
//! cursor pages that neither skip nor repeat, filters, the empty state, and members only.

use crate::common;

use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A signed-in Viewer of the harness's organization (`org-of-proj-a`, project `proj-a`).
async fn viewer(api: &TestApi) -> Browser<'_> {
    Browser::member_of_proj_a(api, "viewer@example.com", PASSWORD, "VIEWER").await
}

async fn list(browser: &mut Browser<'_>, query: &[(&str, &str)]) -> Value {
    browser.list_traces(query).await
}

fn ids(page: &Value) -> Vec<String> {
    common::ui::listed_trace_ids(page)
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
    let mut explain = loupe_core::store::trace_list::page_query_with_prefix("EXPLAIN ", &api.project, &spec, 51);
    let plan: Vec<String> = explain.build_query_scalar().persistent(false).fetch_all(&mut *conn).await.unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("traces_time_idx"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
    // And the store function returns what the plan promises.
    assert!(loupe_core::store::trace_list::page(&api.pool, &api.project, &spec, 51).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_trace_its_tree_and_one_observation_for_members_only() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "name": "chat", "input": {"q": "<script>alert(1)</script>"}}},
        {"id": "e2", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "root", "traceId": "t1", "name": "agent", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:02Z"}},
        {"id": "e3", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "gen", "traceId": "t1", "parentObservationId": "root", "name": "llm", "model": "gpt-4o",
            "startTime": "2026-01-01T00:00:00.500Z", "completionStartTime": "2026-01-01T00:00:00.750Z", "endTime": "2026-01-01T00:00:01.500Z",
            "input": [{"role": "user", "content": "Hi"}], "output": {"role": "assistant", "content": "Hello"}, "usage": {"input": 1000, "output": 100}}},
        // Started before its sibling `gen` but after it in id order: siblings go by start time.
        {"id": "e4", "type": "event-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "a-event", "traceId": "t1", "parentObservationId": "root", "name": "note",
            "startTime": "2026-01-01T00:00:01.800Z", "level": "ERROR", "statusMessage": "boom"}},
        {"id": "e5", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "orphan", "traceId": "t1", "parentObservationId": "not-arrived", "startTime": "2026-01-01T00:00:00.100Z"}},
        {"id": "e6", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s1", "traceId": "t1", "observationId": "gen", "name": "helpful", "value": 0.9, "comment": "good <b>answer</b>"}},
        {"id": "e7", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s2", "traceId": "t1", "name": "user-feedback", "value": 1}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);

    // The header: the trace with its input, totals and every score of the trace.
    let detail = browser.ok("get_trace", &[("project_id", "proj-a"), ("trace_id", "t1")]).await;
    assert_eq!(detail["trace"]["input"]["q"], "<script>alert(1)</script>", "stored and returned as data");
    assert!((detail["latency"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert!(detail["total_cost"].as_f64().unwrap() > 0.0, "priced from the model table: {detail}");
    assert_eq!(detail["total_tokens"], 1100);
    assert_eq!(detail["observation_count"], 4);
    assert_eq!((detail["error_count"].as_i64(), detail["warning_count"].as_i64()), (Some(1), Some(0)), "the header's badges: {detail}");
    let score_names: Vec<&str> = detail["scores"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(score_names.len(), 2, "{detail}");

    // The tree: tree order, depths, parents, interned names, microsecond offsets; no input.
    let tree = browser.ok("get_trace_tree", &[("project_id", "proj-a"), ("trace_id", "t1")]).await;
    let ids: Vec<&str> = tree["id"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids, ["root", "gen", "a-event", "orphan"]);
    assert_eq!(tree["depth"], json!([0, 1, 1, 0]));
    assert_eq!(tree["parent"], json!([-1, 0, 0, -1]));
    assert_eq!(tree["start"], json!([0, 500_000, 1_800_000, 100_000]));
    assert_eq!(tree["end"], json!([2_000_000, 1_500_000, 1_800_000, -1]), "an event ends where it starts; the orphan runs");
    assert_eq!(tree["first_token"][1], 750_000);
    assert_eq!(tree["tokens"][1], 1100);
    assert_eq!(tree["duration_us"], 2_000_000);
    let tree: loupe_app::domain::waterfall::TraceTree = serde_json::from_value(tree).unwrap();
    assert_eq!(tree.name(1), Some("llm"));
    assert_eq!(tree.model(1), Some("gpt-4o"));
    assert_eq!(tree.level(2), loupe_app::domain::ObservationLevel::Error);
    assert!(!serde_json::to_string(&tree).unwrap().contains("Hello"), "no input or output in the tree");

    // One observation: everything it carries, and its scores with their comments.
    let gen = browser.ok("get_observation", &[("project_id", "proj-a"), ("trace_id", "t1"), ("observation_id", "gen")]).await;
    assert_eq!(gen["observation"]["output"]["content"], "Hello");
    assert_eq!(gen["observation"]["usageDetails"]["input"], 1000);
    assert!(gen["observation"]["totalCost"].as_f64().unwrap() > 0.0);
    assert_eq!(gen["scores"][0]["comment"], "good <b>answer</b>");
    assert_eq!(gen["scores"].as_array().unwrap().len(), 1, "only this observation's scores");
    assert_eq!(gen["attributes"], json!([]), "no OTel attributes for a batch-API observation");
    // The observation must belong to the trace in the URL.
    let elsewhere = browser.call("get_observation", &[("project_id", "proj-a"), ("trace_id", "other"), ("observation_id", "gen")]).await;
    assert_eq!(elsewhere.status, 404);

    for (endpoint, form) in [
        ("get_trace", vec![("project_id", "proj-a"), ("trace_id", "nope")]),
        ("get_trace_tree", vec![("project_id", "proj-a"), ("trace_id", "nope")]),
        ("get_observation", vec![("project_id", "proj-a"), ("trace_id", "t1"), ("observation_id", "nope")]),
    ] {
        assert_eq!(browser.call(endpoint, &form).await.status, 404, "{endpoint}");
    }
    // Another project's member cannot read any of it, even knowing every id, through their own
    // project either.
    let mut outsider = Browser::sign_up(&api, "outsider@example.com", PASSWORD).await;
    let (_, own_project) = outsider.create_org("Elsewhere", "Mine").await;
    for project in ["proj-a", own_project.as_str()] {
        for (endpoint, form) in [
            ("get_trace", vec![("project_id", project), ("trace_id", "t1")]),
            ("get_trace_tree", vec![("project_id", project), ("trace_id", "t1")]),
            ("get_observation", vec![("project_id", project), ("trace_id", "t1"), ("observation_id", "gen")]),
        ] {
            let response = outsider.call(endpoint, &form).await;
            assert_eq!(response.status, 404, "{endpoint} {project}");
            assert!(!response.text().contains("Hello") && !response.text().contains("llm"), "{endpoint} {project}");
        }
    }
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
    let empty = browser.ok("list_users", &[("project_id", "proj-a")]).await;
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
    let page = browser.ok("list_users", &[("project_id", "proj-a"), ("page", "0")]).await;
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "traces without a user are not a user");
    assert_eq!(rows[0]["user_id"], "ada", "most recently active first");
    assert_eq!((rows[0]["traces"].as_i64(), rows[0]["total_tokens"].as_i64()), (Some(2), Some(17)));
    assert!((rows[0]["total_cost"].as_f64().unwrap() - 0.75).abs() < 1e-9, "{page}");
    assert_eq!(rows[0]["first_seen"], "2026-01-01T00:00:00Z");
    assert_eq!((rows[1]["user_id"].as_str(), rows[1]["traces"].as_i64(), rows[1]["total_cost"].as_f64()), (Some("bob"), Some(1), Some(0.0)));
    assert_eq!(page["next_page"], Value::Null);
    assert_eq!(browser.call("list_users", &[("project_id", "proj-a"), ("page", "-1")]).await.status, 400);
    // The search keeps users whose id contains the text, in any case; `%` and `_` are literal.
    let found = |page: Value| page["rows"].as_array().unwrap().iter().map(|r| r["user_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(found(browser.ok("list_users", &[("project_id", "proj-a"), ("search", "AD")]).await), ["ada"]);
    assert_eq!(found(browser.ok("list_users", &[("project_id", "proj-a"), ("search", " ")]).await), ["ada", "bob"]);
    assert!(found(browser.ok("list_users", &[("project_id", "proj-a"), ("search", "%")]).await).is_empty());
    assert!(found(browser.ok("list_users", &[("project_id", "proj-a"), ("search", "_")]).await).is_empty());

    // One user's page: the same totals, their sessions (with everyone in them) and latest traces.
    let more = json!({"batch": [
        {"id": "e7", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t5", "userId": "ada", "sessionId": "chat-9", "timestamp": "2026-01-05T00:00:00Z"}},
        {"id": "e8", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t6", "userId": "bob", "sessionId": "chat-9", "timestamp": "2026-01-06T00:00:00Z"}},
        {"id": "e9", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t7", "userId": "bob", "sessionId": "chat-bob", "timestamp": "2026-01-07T00:00:00Z"}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(more)).await.status, 207);
    let ada = browser.ok("get_user", &[("project_id", "proj-a"), ("user_id", "ada")]).await;
    assert_eq!((ada["user"]["traces"].as_i64(), ada["user"]["total_tokens"].as_i64()), (Some(3), Some(17)));
    assert!((ada["user"]["total_cost"].as_f64().unwrap() - 0.75).abs() < 1e-9, "{ada}");
    let sessions: Vec<&str> = ada["sessions"].as_array().unwrap().iter().map(|s| s["session_id"].as_str().unwrap()).collect();
    assert_eq!(sessions, ["chat-9"], "only sessions ada took part in");
    assert_eq!(ada["sessions"][0]["traces"], 2, "the whole session, bob's turn included");
    assert_eq!(ada["sessions"][0]["users"], json!(["ada", "bob"]));
    let recent: Vec<&str> = ada["recent_traces"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(recent, ["t5", "t2", "t1"], "newest first, only ada's");
    assert_eq!(browser.call("get_user", &[("project_id", "proj-a"), ("user_id", "nobody")]).await.status, 404);
}

#[tokio::test]
async fn sessions_and_their_conversation() {
    let api = TestApi::new().await;
    let mut browser = viewer(&api).await;
    assert_eq!(browser.ok("list_sessions", &[("project_id", "proj-a")]).await, json!({"rows": [], "next_page": null, "environments": []}));
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "sessionId": "chat-1", "userId": "ada", "timestamp": "2026-01-01T00:00:00Z", "input": "hello", "output": "hi!"}},
        {"id": "e2", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t2", "sessionId": "chat-1", "userId": "ada", "timestamp": "2026-01-01T00:00:30Z", "input": {"q": "and?"}}},
        {"id": "e3", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t3", "sessionId": "chat-2", "timestamp": "2026-01-02T00:00:00Z"}},
        {"id": "e4", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "g1", "traceId": "t2", "startTime": "2026-01-01T00:00:30Z", "costDetails": {"total": 0.5},
            "usage": {"input": 7, "output": 3, "total": 10}}},
        {"id": "e5", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s1", "sessionId": "chat-1", "name": "resolved", "value": 1}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let page = browser.ok("list_sessions", &[("project_id", "proj-a")]).await;
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["session_id"], "chat-2", "most recently active first");
    assert_eq!(rows[1]["session_id"], "chat-1");
    assert_eq!((rows[1]["traces"].as_i64(), rows[1]["users"].clone()), (Some(2), json!(["ada"])));
    assert!((rows[1]["total_cost"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert_eq!(rows[1]["total_tokens"], 10);
    // Search by session id or by one of its users.
    let found = |page: Value| page["rows"].as_array().unwrap().iter().map(|r| r["session_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(found(browser.ok("list_sessions", &[("project_id", "proj-a"), ("search", "CHAT-2")]).await), ["chat-2"]);
    assert_eq!(found(browser.ok("list_sessions", &[("project_id", "proj-a"), ("search", "ada")]).await), ["chat-1"]);
    assert!(found(browser.ok("list_sessions", &[("project_id", "proj-a"), ("search", "zzz")]).await).is_empty());
    // The session's own scores are chips of its row; its traces' scores are not.
    assert_eq!(rows[1]["scores"], json!([{"name": "resolved", "value": "1"}]));
    assert_eq!(rows[0]["scores"], json!([]));
    // Filters: an environment (only its traces count) and activity within a time range.
    let now = chrono::Utc::now().to_rfc3339();
    let more = json!({"batch": [
        {"id": "e6", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t8", "sessionId": "chat-1", "environment": "staging", "timestamp": "2026-01-03T00:00:00Z"}},
        {"id": "e7", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t9", "sessionId": "chat-now", "timestamp": now}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(more)).await.status, 207);
    let staging = browser.ok("list_sessions", &[("project_id", "proj-a"), ("environment", "staging")]).await;
    assert_eq!(found(staging.clone()), ["chat-1"]);
    assert_eq!(staging["rows"][0]["traces"], 1, "only the staging trace of chat-1 counts");
    assert_eq!(staging["environments"], json!(["default", "staging"]));
    assert_eq!(found(browser.ok("list_sessions", &[("project_id", "proj-a"), ("range", "24h")]).await), ["chat-now"]);
    assert_eq!(found(browser.ok("list_sessions", &[("project_id", "proj-a"), ("range", "24h"), ("environment", "staging")]).await), Vec::<String>::new());
    let bad = browser.call("list_sessions", &[("project_id", "proj-a"), ("range", "fortnight")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.json().to_string().contains("fortnight"), "the message names the bad value: {}", bad.json());
    let detail = browser.ok("get_session", &[("project_id", "proj-a"), ("session_id", "chat-1")]).await;
    let ids: Vec<&str> = detail["traces"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t1", "t2", "t8"], "oldest first, every environment");
    assert_eq!(detail["traces"][0]["output"], "hi!");
    assert_eq!((detail["total_tokens"].as_i64(), detail["total_cost"].as_f64()), (Some(10), Some(0.5)), "{detail}");
    let scores: Vec<&str> = detail["scores"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(scores, ["resolved"], "the session's own scores");
    assert_eq!(browser.call("get_session", &[("project_id", "proj-a"), ("session_id", "nope")]).await.status, 404);
}

#[tokio::test]
async fn a_public_trace_is_readable_by_link_and_only_while_public() {
    let api = TestApi::new().await;
    let mut viewer = viewer(&api).await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "name": "shared answer"}},
        {"id": "e2", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "o1", "traceId": "t1", "startTime": "2026-01-01T00:00:00Z", "output": "visible"}},
        {"id": "e3", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t2", "name": "private"}},
        {"id": "e4", "type": "span-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "o2", "traceId": "t2", "startTime": "2026-01-01T00:00:00Z", "output": "secret"}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let mut anonymous = Browser::new(&api);
    let mut outsider = Browser::sign_up(&api, "outsider@example.com", PASSWORD).await;
    let reads = |trace: &'static str, observation: &'static str| {
        vec![
            ("get_trace", vec![("project_id", "proj-a"), ("trace_id", trace)]),
            ("get_trace_tree", vec![("project_id", "proj-a"), ("trace_id", trace)]),
            ("get_observation", vec![("project_id", "proj-a"), ("trace_id", trace), ("observation_id", observation)]),
        ]
    };
    // Private: only members read it; everyone else gets "not found".
    for (endpoint, form) in reads("t1", "o1") {
        assert_eq!(anonymous.call(endpoint, &form).await.status, 404, "{endpoint}");
        assert_eq!(outsider.call(endpoint, &form).await.status, 404, "{endpoint}");
        assert_eq!(viewer.call(endpoint, &form).await.status, 200, "{endpoint}");
    }
    // Viewers may not share; Members may.
    let share = [("project_id", "proj-a"), ("trace_id", "t1"), ("public", "true")];
    assert_eq!(viewer.call("set_trace_public", &share).await.status, 403);
    assert_eq!(member.ok("set_trace_public", &share).await, json!(true));
    assert_eq!(member.call("set_trace_public", &[("project_id", "proj-a"), ("trace_id", "nope"), ("public", "true")]).await.status, 404);
    let detail = member.ok("get_trace", &[("project_id", "proj-a"), ("trace_id", "t1")]).await;
    assert!(detail["share_url"].as_str().unwrap().ends_with("/share/traces/proj-a/t1"), "{detail}");
    // Public: anyone reads this trace and its observations, nothing else of the project.
    for (endpoint, form) in reads("t1", "o1") {
        let response = anonymous.call(endpoint, &form).await;
        assert_eq!(response.status, 200, "{endpoint}: {}", response.text());
        assert_eq!(outsider.call(endpoint, &form).await.status, 200, "{endpoint}");
    }
    assert_eq!(anonymous.ok("get_observation", &reads("t1", "o1")[2].1).await["observation"]["output"], "visible");
    // The URL the SDKs hand out (`get_trace_url()`) leads a signed-out visitor of a public trace
    // to its share page; of a private or missing one, to sign-in, the same for both.
    let page = |path: &str| {
        axum::http::Request::builder().uri(path).header("host", "loupe.test").body(axum::body::Body::empty()).unwrap()
    };
    let public = anonymous.send(page("/project/proj-a/traces/t1?observation=o1")).await;
    assert_eq!(public.status, 303);
    assert_eq!(public.headers["location"], "/share/traces/proj-a/t1?observation=o1");
    for private in ["/project/proj-a/traces/t2", "/project/proj-a/traces/nope", "/project/proj-b/traces/t1"] {
        let response = anonymous.send(page(private)).await;
        assert_eq!(response.status, 303, "{private}");
        assert!(response.headers["location"].to_str().unwrap().starts_with("/sign-in?next="), "{private}");
    }
    for (endpoint, form) in reads("t2", "o2").into_iter().chain([
        // Another trace's observation through the public trace's id.
        ("get_observation", vec![("project_id", "proj-a"), ("trace_id", "t1"), ("observation_id", "o2")]),
        ("list_traces", vec![("project_id", "proj-a")]),
    ]) {
        let response = anonymous.call(endpoint, &form).await;
        assert!(matches!(response.status.as_u16(), 401 | 404), "{endpoint} {form:?}: {}", response.status);
        assert!(!response.text().contains("secret"));
    }
    // Audited once per change, with before and after.
    let unshare = [("project_id", "proj-a"), ("trace_id", "t1"), ("public", "false")];
    member.ok("set_trace_public", &share).await;
    member.ok("set_trace_public", &unshare).await;
    let actions: Vec<(String, serde_json::Value, serde_json::Value)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE resource_type = 'trace' AND resource_id = 't1' ORDER BY created_at, id",
    )
    .fetch_all(&api.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            ("trace.publish".to_string(), json!({"public": false}), json!({"public": true})),
            ("trace.unpublish".to_string(), json!({"public": true}), json!({"public": false})),
        ]
    );
    // Private again: the link stops working at once.
    for (endpoint, form) in reads("t1", "o1") {
        assert_eq!(anonymous.call(endpoint, &form).await.status, 404, "{endpoint}");
    }
}

#[tokio::test]
async fn home_figures_count_the_last_day_and_find_the_latest_trace() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-quiet", "pk-lf-quiet", "sk-lf-quiet").await;
    let now = chrono::Utc::now();
    let at = |hours: i64| (now - chrono::Duration::hours(hours)).to_rfc3339();
    let events: Vec<Value> = [(0, 1), (1, 5), (2, 30), (3, 50)]
        .iter()
        .map(|(i, hours)| json!({"id": format!("home-{i}"), "type": "trace-create", "timestamp": at(*hours),
            "body": {"id": format!("home-trace-{i}"), "name": "home", "timestamp": at(*hours)}}))
        .collect();
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(json!({"batch": events}))).await.status, 207);

    let since = now - chrono::Duration::hours(24);
    let ids = vec![api.project_id.clone(), other.project_id.clone()];
    let figures = loupe_core::store::projects::activity(&api.pool, &ids, since).await.unwrap();
    let busy = figures.iter().find(|f| f.project_id == api.project_id).unwrap();
    assert_eq!(busy.traces_last_day, 2, "1 h and 5 h ago count; 30 h and 50 h ago do not");
    let latest = busy.last_trace_at.unwrap();
    assert!((latest - (now - chrono::Duration::hours(1))).num_seconds().abs() <= 1, "{latest}");
    assert_eq!(busy.last_day_label(), "2 traces in 24 h");
    let quiet = figures.iter().find(|f| f.project_id == other.project_id).unwrap();
    assert_eq!((quiet.traces_last_day, quiet.last_trace_at), (0, None), "a project without traces");
    // Only the projects asked about.
    assert_eq!(loupe_core::store::projects::activity(&api.pool, &[other.project_id.clone()], since).await.unwrap().len(), 1);
}
