//! The traces list's query layer on a real Postgres, through its server functions: the
//! aggregates ingestion keeps (observations before their trace, merged updates), every filter
//! (narrowing and not), search in English, Chinese and Japanese, sorts by latency and cost with
//! cursors that walk the whole set exactly once, bad input named by field, bulk delete, saved
//! views, and the plans (index scans, no Seq Scan on traces).

use crate::common;

use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A signed-in member of the harness's organization with the given role.
async fn member<'a>(api: &'a TestApi, email: &str, role: &str) -> Browser<'a> {
    Browser::member_of_proj_a(api, email, PASSWORD, role).await
}

async fn list(browser: &mut Browser<'_>, query: &[(&str, &str)]) -> Value {
    browser.list_traces(query).await
}

fn ids(page: &Value) -> Vec<String> {
    common::ui::listed_trace_ids(page)
}

async fn ingest(api: &TestApi, events: Vec<Value>) {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": events }))).await;
    assert_eq!(response.status, 207, "{}", response.text());
    let errors = &response.json()["errors"];
    assert_eq!(errors, &json!([]), "every event stored");
}

fn event(n: &mut u32, kind: &str, body: Value) -> Value {
    *n += 1;
    json!({"id": format!("ev{n}"), "type": kind, "timestamp": "2026-01-01T00:00:00Z", "body": body})
}

/// Six traces with everything the filters look at.
async fn fixture(api: &TestApi) {
    let mut n = 0;
    let e = &mut n;
    let events = vec![
        event(e, "trace-create", json!({"id": "t1", "name": "chat", "userId": "ada", "sessionId": "s1", "tags": ["vip"],
            "timestamp": "2026-01-01T00:00:01Z", "release": "r1", "metadata": {"tier": "pro", "seats": 3},
            "input": {"messages": [{"role": "user", "content": "作为一个影评人，你怎么看这部电影？"}]}, "output": "As a critic, I liked it."})),
        event(e, "trace-create", json!({"id": "t2", "name": "chat", "userId": "bob", "timestamp": "2026-01-01T00:00:02Z",
            "metadata": {"tier": "free"}, "input": "Hello World, how are you?", "output": {"text": "日本語のテキストです"}})),
        event(e, "trace-create", json!({"id": "t3", "name": "summarise", "userId": "ada", "timestamp": "2026-01-01T00:00:03Z",
            "environment": "staging", "input": "50% off_sale today", "version": "v2"})),
        event(e, "trace-create", json!({"id": "t4", "name": "summarise", "timestamp": "2026-01-02T00:00:00Z", "input": "影评"})),
        event(e, "trace-create", json!({"id": "t5", "name": "chat", "timestamp": "2026-01-03T00:00:00Z", "input": "plain"})),
        event(e, "trace-create", json!({"id": "t6", "name": "chat", "timestamp": "2026-01-04T00:00:00Z"})),
        // t1: a 2 s trace, a gpt-4o generation with cost 0.5 and 30 tokens, a warning span.
        event(e, "span-create", json!({"id": "t1-root", "traceId": "t1", "startTime": "2026-01-01T00:00:01Z", "endTime": "2026-01-01T00:00:03Z"})),
        event(e, "generation-create", json!({"id": "t1-gen", "traceId": "t1", "model": "gpt-4o", "startTime": "2026-01-01T00:00:01.5Z",
            "endTime": "2026-01-01T00:00:02Z", "usage": {"input": 20, "output": 10, "total": 30}, "costDetails": {"total": 0.5}})),
        event(e, "span-create", json!({"id": "t1-warn", "traceId": "t1", "level": "WARNING", "startTime": "2026-01-01T00:00:02Z"})),
        // t2: 0.5 s, claude, cost 0.05.
        event(e, "generation-create", json!({"id": "t2-gen", "traceId": "t2", "model": "claude-3-haiku", "startTime": "2026-01-01T00:00:02Z",
            "endTime": "2026-01-01T00:00:02.5Z", "usage": {"total": 7}, "costDetails": {"total": 0.05}})),
        // t3: an error, 10 s.
        event(e, "span-create", json!({"id": "t3-err", "traceId": "t3", "level": "ERROR", "statusMessage": "boom",
            "startTime": "2026-01-01T00:00:03Z", "endTime": "2026-01-01T00:00:13Z"})),
        // t5: 1 s, no cost.
        event(e, "span-create", json!({"id": "t5-span", "traceId": "t5", "startTime": "2026-01-03T00:00:00Z", "endTime": "2026-01-03T00:00:01Z"})),
        event(e, "score-create", json!({"id": "sc1", "traceId": "t1", "name": "quality", "value": 0.9})),
        event(e, "score-create", json!({"id": "sc2", "traceId": "t2", "name": "quality", "value": 0.3})),
        event(e, "score-create", json!({"id": "sc3", "traceId": "t1", "name": "verdict", "value": "good", "dataType": "CATEGORICAL"})),
        event(e, "score-create", json!({"id": "sc4", "traceId": "t3", "name": "verdict", "value": "bad", "dataType": "CATEGORICAL"})),
    ];
    ingest(api, events).await;
}

#[tokio::test]
async fn aggregates_are_kept_at_ingestion() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    fixture(&api).await;
    let page = list(&mut viewer, &[]).await;
    assert_eq!(ids(&page), ["t6", "t5", "t4", "t3", "t2", "t1"]);
    let t1 = &page["rows"][5];
    assert_eq!((t1["observation_count"].as_u64(), t1["total_tokens"].as_i64(), t1["level"].as_u64()), (Some(3), Some(30), Some(2)));
    assert!((t1["latency"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{t1}");
    assert!((t1["total_cost"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert_eq!(t1["models"], json!(["gpt-4o"]));
    assert_eq!(t1["warning_count"], 1);
    assert_eq!(t1["input_preview"], "user 作为一个影评人，你怎么看这部电影？");
    assert_eq!(t1["output_preview"], "As a critic, I liked it.");
    assert_eq!(t1["score_count"], 2);
    assert_eq!(t1["scores"], json!([{"name": "quality", "value": "0.9"}, {"name": "verdict", "value": "good"}]));
    assert_eq!((page["rows"][3]["level"].as_u64(), page["rows"][3]["error_count"].as_i64()), (Some(3), Some(1)));
    assert_eq!((page["rows"][0]["observation_count"].as_u64(), page["rows"][0]["latency"].as_f64()), (Some(0), Some(0.0)));

    // Observations before their trace (the shallow trace they imply is listed with them), then
    // the trace itself with an earlier timestamp, which the aggregates' keyset follows.
    let mut n = 100;
    ingest(&api, vec![
        event(&mut n, "generation-create", json!({"id": "late-gen", "traceId": "late", "model": "gpt-4o", "startTime": "2026-01-05T00:00:00Z",
            "endTime": "2026-01-05T00:00:04Z", "costDetails": {"total": 1.25}})),
    ]).await;
    let page = list(&mut viewer, &[]).await;
    assert_eq!(page["rows"][0]["trace"]["id"], "late");
    assert!((page["rows"][0]["latency"].as_f64().unwrap() - 4.0).abs() < 1e-9);
    assert!((page["rows"][0]["total_cost"].as_f64().unwrap() - 1.25).abs() < 1e-9);
    ingest(&api, vec![event(&mut n, "trace-create", json!({"id": "late", "name": "arrived", "timestamp": "2026-01-04T12:00:00Z"}))]).await;
    let page = list(&mut viewer, &[("sort", "cost")]).await;
    assert_eq!((page["rows"][0]["trace"]["id"].as_str(), page["rows"][0]["trace"]["name"].as_str()), (Some("late"), Some("arrived")));
    let stale: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM traces t LEFT JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id
         WHERE m.timestamp IS DISTINCT FROM t.timestamp",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!(stale, 0, "every trace has its aggregates row, with its timestamp");
    // The same observations before any trace row (as if the trace were deleted meanwhile): a row
    // without a timestamp, never listed.
    sqlx::query("DELETE FROM traces WHERE id = 'late'").execute(&api.pool).await.unwrap();
    ingest(&api, vec![event(&mut n, "span-create", json!({"id": "late-span0", "traceId": "late", "startTime": "2026-01-05T00:00:00Z"}))]).await;
    ingest(&api, vec![event(&mut n, "trace-create", json!({"id": "late", "name": "arrived", "timestamp": "2026-01-04T12:00:00Z"}))]).await;
    assert_eq!(ids(&list(&mut viewer, &[("sort", "cost")]).await)[0], "late");

    // An update (a later end, an error level, a new cost) is recomputed, not added twice.
    ingest(&api, vec![
        event(&mut n, "generation-update", json!({"id": "late-gen", "traceId": "late", "endTime": "2026-01-05T00:00:09Z", "level": "ERROR",
            "costDetails": {"total": 2.0}})),
        event(&mut n, "span-create", json!({"id": "late-span", "traceId": "late", "startTime": "2026-01-05T00:00:01Z"})),
    ]).await;
    let row = &list(&mut viewer, &[("sort", "cost")]).await["rows"][0];
    assert_eq!((row["observation_count"].as_u64(), row["error_count"].as_i64(), row["level"].as_u64()), (Some(3), Some(1), Some(3)), "{row}");
    assert!((row["latency"].as_f64().unwrap() - 9.0).abs() < 1e-9, "{row}");
    assert!((row["total_cost"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{row}");

    // The stored aggregates equal a recomputation from the observations, for every trace.
    let drift: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM trace_metrics m JOIN (
             SELECT trace_id, count(*)::int AS n, coalesce(sum(total_cost), 0)::float8 AS cost,
                    coalesce(extract(epoch FROM max(greatest(start_time, end_time)) - min(start_time))::float8, 0) AS latency
             FROM observations WHERE project_id = 'proj-a' GROUP BY trace_id) o ON o.trace_id = m.trace_id
         WHERE m.project_id = 'proj-a' AND (m.observation_count <> o.n OR abs(m.total_cost - o.cost) > 1e-9 OR abs(m.latency - o.latency) > 1e-9)",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!(drift, 0);
}

/// One random legacy-API event for the aggregates test: trace creates (sometimes after their
/// observations, sometimes twice), observation creates of every kind with random levels, models,
/// usage, provided or computed costs, missing or inverted times, and updates of earlier ids.
fn random_event(rng: &mut rand::rngs::StdRng, n: &mut u32, known: &mut Vec<(String, &'static str)>) -> Value {
    use rand::Rng;
    let trace = format!("rt{}", rng.gen_range(0..14));
    let time = |rng: &mut rand::rngs::StdRng| format!("2026-02-01T00:{:02}:{:02}.{:03}Z", rng.gen_range(0..60), rng.gen_range(0..60), rng.gen_range(0..1000));
    let pick = rng.gen_range(0..100);
    // No trace before the 60th event: the first observations of every trace arrive before it.
    if pick < 12 && *n >= 60 {
        return event(n, "trace-create", json!({"id": trace, "name": "random", "timestamp": time(rng)}));
    }
    let levels = [None, Some("DEBUG"), Some("DEFAULT"), Some("WARNING"), Some("ERROR")];
    let level = levels[rng.gen_range(0..levels.len())];
    let models = [None, Some("gpt-4o"), Some("gpt-4o-mini"), Some("claude-3-haiku"), Some("no-such-model")];
    let model = models[rng.gen_range(0..models.len())];
    let mut body = json!({"traceId": trace});
    if rng.gen_bool(0.9) {
        body["startTime"] = json!(time(rng));
    }
    if rng.gen_bool(0.7) {
        // Sometimes before the start: stored clamped to it.
        body["endTime"] = json!(time(rng));
    }
    if let Some(level) = level {
        body["level"] = json!(level);
    }
    if pick < 30 && !known.is_empty() {
        // An update of an earlier observation (maybe of this very batch, then folded into its create).
        let (id, kind) = known[rng.gen_range(0..known.len())].clone();
        body["id"] = json!(id);
        if kind == "generation" {
            if let Some(model) = model {
                body["model"] = json!(model);
            }
            if rng.gen_bool(0.5) {
                body["costDetails"] = json!({"total": rng.gen_range(0..64) as f64 / 16.0});
            }
        }
        return event(n, &format!("{kind}-update"), body);
    }
    let kind = ["span", "event", "generation", "generation"][rng.gen_range(0..4)];
    let id = format!("ro{}", *n);
    body["id"] = json!(id);
    if kind == "generation" {
        if let Some(model) = model {
            body["model"] = json!(model);
        }
        let (input, output) = (rng.gen_range(0..5000), rng.gen_range(0..2000));
        body["usage"] = if rng.gen_bool(0.5) { json!({"input": input, "output": output}) } else { json!({"input": input, "output": output, "total": input + output}) };
        if rng.gen_bool(0.3) {
            body["costDetails"] = json!({"total": rng.gen_range(0..1000) as f64 / 7.0});
        }
    }
    if kind != "event" {
        // (there are no event-update events)
        known.push((id, kind));
    }
    event(n, &format!("{kind}-create"), body)
}

#[tokio::test]
async fn aggregates_built_at_ingestion_equal_a_full_recompute() {
    use rand::{Rng, SeedableRng};
    let api = TestApi::new().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7ace);
    let (mut n, mut known) = (0, Vec::new());
    // 30 rounds of 4 concurrent requests over the same 14 traces: the deltas of concurrent
    // requests add up, and rows are locked in one order (a deadlock would fail a request).
    for _ in 0..30 {
        let batches: Vec<Vec<Value>> =
            (0..4).map(|_| (0..rng.gen_range(1..12)).map(|_| random_event(&mut rng, &mut n, &mut known)).collect()).collect();
        futures_util::future::join_all(batches.into_iter().map(|batch| ingest(&api, batch))).await;
    }
    // What the run went through, so the comparison below is not vacuous.
    let (observations, updated, errors, models, priced): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM observations),
                (SELECT count(*) FROM observations WHERE updated_at > created_at),
                (SELECT count(*) FROM observations WHERE level = 'ERROR'),
                (SELECT count(DISTINCT model) FROM observations),
                (SELECT count(*) FROM observations WHERE total_cost > 0 AND cost_details ? 'input')",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert!(observations > 300 && updated > 10 && errors > 10 && models == 4 && priced > 10, "{observations} {updated} {errors} {models} {priced}");

    // Every column, for every trace id with a trace or observations, against the aggregates
    // recomputed from the stored rows (costs up to float summation order).
    let drift = common::trace_metrics_drift(&api.pool, "proj-a").await;
    assert!(drift.is_empty(), "aggregates drifted from a recompute:\n{}", drift.join("\n"));
    let traces: i64 = sqlx::query_scalar("SELECT count(*) FROM trace_metrics WHERE observation_count > 5").fetch_one(&api.pool).await.unwrap();
    assert!(traces >= 10, "most traces got many observations across requests");
}

#[tokio::test]
async fn every_filter_narrows_and_combines() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    fixture(&api).await;
    let cases: Vec<(Vec<(&str, &str)>, Vec<&str>)> = vec![
        (vec![("name", "summarise")], vec!["t4", "t3"]),
        (vec![("user", "ada")], vec!["t3", "t1"]),
        (vec![("session", "s1")], vec!["t1"]),
        (vec![("tag", "vip")], vec!["t1"]),
        (vec![("environment", "staging")], vec!["t3"]),
        (vec![("release", "r1")], vec!["t1"]),
        (vec![("version", "v2")], vec!["t3"]),
        (vec![("from", "2026-01-01T00:00:02Z"), ("to", "2026-01-03")], vec!["t4", "t3", "t2"]),
        (vec![("from", "2026-01-02")], vec!["t6", "t5", "t4"]),
        (vec![("to", "2026-01-01T00:00:02")], vec!["t1"]),
        (vec![("level", "error")], vec!["t3"]),
        (vec![("level", "warning")], vec!["t3", "t1"]),
        (vec![("errors", "yes")], vec!["t3"]),
        (vec![("errors", "no")], vec!["t6", "t5", "t4", "t2", "t1"]),
        (vec![("model", "gpt-4o")], vec!["t1"]),
        (vec![("model", "gpt-5")], vec![]),
        (vec![("metadata", "tier=pro")], vec!["t1"]),
        (vec![("metadata", "tier=free")], vec!["t2"]),
        (vec![("metadata", "seats=3")], vec!["t1"]),
        (vec![("metadata", "tier=gold")], vec![]),
        (vec![("score", "quality"), ("score_op", ">"), ("score_value", "0.5")], vec!["t1"]),
        (vec![("score", "quality"), ("score_op", "<="), ("score_value", "0.5")], vec!["t2"]),
        (vec![("score", "quality"), ("score_op", "!="), ("score_value", "0.9")], vec!["t2"]),
        (vec![("score", "quality"), ("score_value", "0.3")], vec!["t2"]),
        (vec![("score", "verdict"), ("score_op", "="), ("score_value", "good")], vec!["t1"]),
        (vec![("score", "verdict"), ("score_op", "!="), ("score_value", "good")], vec!["t3"]),
        (vec![("latency_min", "1")], vec!["t5", "t3", "t1"]),
        (vec![("latency_min", "1"), ("latency_max", "5")], vec!["t5", "t1"]),
        (vec![("latency_max", "0.6")], vec!["t6", "t4", "t2"]),
        (vec![("cost_min", "0.01")], vec!["t2", "t1"]),
        (vec![("cost_max", "0.1"), ("cost_min", "0.01")], vec!["t2"]),
        // Search: English (case-insensitive, inside words), Chinese, Japanese, wildcards literal.
        (vec![("search", "hello world")], vec!["t2"]),
        (vec![("search", "CRITIC")], vec!["t1"]),
        (vec![("search", "作为一个")], vec!["t1"]),
        (vec![("search", "影评人")], vec!["t1"]),
        (vec![("search", "影评")], vec!["t4", "t1"]),
        (vec![("search", "影")], vec!["t4", "t1"]),
        (vec![("search", "テキスト")], vec!["t2"]),
        (vec![("search", "作为两个")], vec![]),
        (vec![("search", "50%")], vec!["t3"]),
        (vec![("search", "f_s")], vec!["t3"]),
        (vec![("search", "%")], vec!["t3"]),
        (vec![("search", "summarise")], vec!["t4", "t3"]),
        (vec![("search", "user")], vec!["t1"]),
        (vec![("search", "messages")], vec![]),
        // Combinations.
        (vec![("user", "ada"), ("level", "warning")], vec!["t3", "t1"]),
        (vec![("user", "ada"), ("errors", "no"), ("search", "影评")], vec!["t1"]),
        (vec![("name", "chat"), ("cost_min", "0.01"), ("sort", "cost")], vec!["t1", "t2"]),
        (vec![("name", "chat"), ("metadata", "tier=free"), ("model", "claude-3-haiku")], vec!["t2"]),
        (vec![("level", "warning"), ("dir", "asc")], vec!["t1", "t3"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&list(&mut viewer, &query).await), expected, "{query:?}");
    }
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    for (key, value, field) in [
        ("latency_min", "fast", "latency_min"),
        ("cost_max", "-2", "cost_max"),
        ("level", "loud", "level"),
        ("errors", "maybe", "errors"),
        ("from", "yesterday", "from"),
        ("sort", "name", "sort"),
        ("dir", "up", "dir"),
        ("metadata", "no-equals-sign", "metadata"),
        ("range", "2w", "range"),
        ("before", "garbage", "before"),
    ] {
        let response = viewer.call("list_traces", &[("project_id", "proj-a"), (&format!("query[{key}]"), value)]).await;
        assert_eq!(response.status, 400, "{key}={value}: {}", response.text());
        assert_eq!(response.json()["Invalid"]["field"], field, "{key}={value}");
    }
    let inverted = viewer
        .call("list_traces", &[("project_id", "proj-a"), ("query[from]", "2026-02-01"), ("query[to]", "2026-01-01")])
        .await;
    assert_eq!((inverted.status.as_u16(), inverted.json()["Invalid"]["field"].clone()), (400, json!("to")));
    let score = viewer
        .call("list_traces", &[("project_id", "proj-a"), ("query[score]", "q"), ("query[score_op]", ">"), ("query[score_value]", "good")])
        .await;
    assert_eq!((score.status.as_u16(), score.json()["Invalid"]["field"].clone()), (400, json!("score_value")));
    let long = "x".repeat(201);
    let search = viewer.call("list_traces", &[("project_id", "proj-a"), ("query[search]", &long)]).await;
    assert_eq!((search.status.as_u16(), search.json()["Invalid"]["field"].clone()), (400, json!("search")));
}

/// The order a sort must produce, computed here from the rows.
fn expected_order(rows: &[(String, chrono::DateTime<chrono::Utc>, f64, f64)], by_cost: bool, descending: bool) -> Vec<String> {
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| {
        let (va, vb) = if by_cost { (a.3, b.3) } else { (a.2, b.2) };
        let order = va.partial_cmp(&vb).unwrap().then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0));
        if descending { order.reverse() } else { order }
    });
    sorted.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn sorts_by_latency_and_cost_walk_every_trace_once() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    // 130 traces; latencies and costs repeat (ties broken by timestamp, then id), some traces
    // share a timestamp, some have no observations.
    let mut events = Vec::new();
    let mut n = 0;
    for i in 0..130u32 {
        let ts = format!("2026-01-01T00:{:02}:{:02}Z", (i / 2) / 60, (i / 2) % 60);
        events.push(event(&mut n, "trace-create", json!({"id": format!("t{i:03}"), "timestamp": ts})));
        if i % 7 != 0 {
            let millis = (i * 37) % 11 * 100;
            let start = chrono::DateTime::parse_from_rfc3339(&ts).unwrap();
            let end = start + chrono::Duration::milliseconds(millis as i64);
            events.push(event(&mut n, "generation-create", json!({"id": format!("g{i}"), "traceId": format!("t{i:03}"),
                "startTime": start.to_rfc3339(), "endTime": end.to_rfc3339(), "costDetails": {"total": ((i * 13) % 5) as f64 * 0.25}})));
        }
    }
    for chunk in events.chunks(100) {
        ingest(&api, chunk.to_vec()).await;
    }
    let rows: Vec<(String, chrono::DateTime<chrono::Utc>, f64, f64)> = sqlx::query_as(
        "SELECT t.id, t.timestamp, coalesce(m.latency, 0), coalesce(m.total_cost, 0) FROM traces t
         LEFT JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id WHERE t.project_id = 'proj-a'",
    )
    .fetch_all(&api.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 130);
    for (sort, dir) in [("latency", "desc"), ("latency", "asc"), ("cost", "desc"), ("cost", "asc"), ("time", "asc"), ("time", "desc")] {
        let mut walked = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let page = list(&mut viewer, &[("sort", sort), ("dir", dir), ("before", &cursor)]).await;
            walked.extend(ids(&page));
            pages += 1;
            match page["next_before"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort} {dir}");
        let expected = if sort == "time" {
            let mut by_time = rows.clone();
            by_time.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            if dir == "desc" {
                by_time.reverse();
            }
            by_time.into_iter().map(|r| r.0).collect()
        } else {
            expected_order(&rows, sort == "cost", dir == "desc")
        };
        assert_eq!(walked, expected, "{sort} {dir}: every trace exactly once, in order");
    }
    // A cursor of one sort is refused by another.
    let by_cost = list(&mut viewer, &[("sort", "cost")]).await;
    let cursor = by_cost["next_before"].as_str().unwrap();
    let mixed = viewer.call("list_traces", &[("project_id", "proj-a"), ("query[before]", cursor)]).await;
    assert_eq!(mixed.status, 400);
}

#[tokio::test]
async fn bulk_delete_by_members_within_the_project_only() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    fixture(&api).await;
    // The other project has traces with the same ids.
    let mut n = 500;
    ingest(&other, vec![
        event(&mut n, "trace-create", json!({"id": "t1", "timestamp": "2026-01-01T00:00:00Z"})),
        event(&mut n, "span-create", json!({"id": "b-span", "traceId": "t1", "startTime": "2026-01-01T00:00:00Z"})),
        event(&mut n, "score-create", json!({"id": "b-score", "traceId": "t1", "name": "quality", "value": 1})),
    ]).await;
    let count = |sql: &'static str| {
        let pool = api.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };

    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    let refused = viewer
        .call("bulk_traces", &[("project_id", "proj-a"), ("action", "Delete"), ("trace_ids[0]", "t1"), ("trace_ids[1]", "t2")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());

    let mut writer = member(&api, "member@example.com", "MEMBER").await;
    let empty = writer.call("bulk_traces", &[("project_id", "proj-a"), ("action", "Delete")]).await;
    assert_eq!((empty.status.as_u16(), empty.json()["Invalid"]["field"].clone()), (400, json!("trace_ids")));
    let deleted = writer
        .ok("bulk_traces", &[("project_id", "proj-a"), ("action", "Delete"), ("trace_ids[0]", "t1"), ("trace_ids[1]", "t2"), ("trace_ids[2]", "nope")])
        .await;
    assert_eq!(deleted, 2);
    assert_eq!(ids(&list(&mut writer, &[]).await), ["t6", "t5", "t4", "t3"]);
    assert_eq!(count("SELECT count(*) FROM observations WHERE project_id = 'proj-a' AND trace_id IN ('t1', 't2')").await, 0);
    assert_eq!(count("SELECT count(*) FROM scores WHERE project_id = 'proj-a' AND trace_id IN ('t1', 't2')").await, 0);
    assert_eq!(count("SELECT count(*) FROM trace_metrics WHERE project_id = 'proj-a' AND trace_id IN ('t1', 't2')").await, 0);
    assert_eq!(count("SELECT count(*) FROM scores WHERE project_id = 'proj-a'").await, 1, "t3's score stays");
    // The other project's t1, its observation and score are untouched.
    assert_eq!(count("SELECT count(*) FROM traces WHERE project_id = 'proj-b'").await, 1);
    assert_eq!(count("SELECT count(*) FROM observations WHERE project_id = 'proj-b'").await, 1);
    assert_eq!(count("SELECT count(*) FROM scores WHERE project_id = 'proj-b'").await, 1);
    let audit: (String, Value) = sqlx::query_as("SELECT action, before FROM audit_log WHERE project_id = 'proj-a' AND action = 'trace.bulk_delete'")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!((audit.1["traces"].as_i64(), audit.1["observations"].as_i64(), audit.1["scores"].as_i64()), (Some(2), Some(4), Some(3)));

    // Someone outside proj-b's organization cannot delete there, even with its ids.
    let denied = writer.call("bulk_traces", &[("project_id", "proj-b"), ("action", "Delete"), ("trace_ids[0]", "t1")]).await;
    assert_eq!(denied.status, 404);
    assert_eq!(count("SELECT count(*) FROM traces WHERE project_id = 'proj-b'").await, 1);
}

#[tokio::test]
async fn saved_views_are_per_project_with_creator_or_admin_deletion() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "viewer@example.com", "VIEWER").await;
    let mut alice = member(&api, "alice@example.com", "MEMBER").await;
    let mut bob = member(&api, "bob@example.com", "MEMBER").await;
    let mut admin = member(&api, "admin@example.com", "ADMIN").await;

    assert_eq!(viewer.ok("list_saved_views", &[("project_id", "proj-a")]).await, json!([]));
    let refused = viewer.call("create_saved_view", &[("project_id", "proj-a"), ("name", "Mine"), ("query[user]", "ada")]).await;
    assert_eq!(refused.status, 403);

    let view = alice
        .ok("create_saved_view", &[("project_id", "proj-a"), ("name", " Errors of ada "), ("query[user]", "ada"), ("query[level]", "error"),
            ("query[sort]", "cost"), ("query[before]", "2026-01-01T00:00:00Z|t1")])
        .await;
    assert_eq!(view["name"], "Errors of ada");
    assert_eq!(view["query"], "?user=ada&level=error&sort=cost", "canonical, without the cursor");
    let id = view["id"].as_str().unwrap().to_string();

    let duplicate = bob.call("create_saved_view", &[("project_id", "proj-a"), ("name", "Errors of ada")]).await;
    assert_eq!((duplicate.status.as_u16(), duplicate.json()["Invalid"]["field"].clone()), (400, json!("name")));
    let bad = bob.call("create_saved_view", &[("project_id", "proj-a"), ("name", "Bad"), ("query[cost_min]", "cheap")]).await;
    assert_eq!((bad.status.as_u16(), bad.json()["Invalid"]["field"].clone()), (400, json!("cost_min")));
    let unnamed = bob.call("create_saved_view", &[("project_id", "proj-a"), ("name", "  ")]).await;
    assert_eq!((unnamed.status.as_u16(), unnamed.json()["Invalid"]["field"].clone()), (400, json!("name")));
    bob.ok("create_saved_view", &[("project_id", "proj-a"), ("name", "bob's"), ("query[search]", "影评")]).await;

    let listed = viewer.ok("list_saved_views", &[("project_id", "proj-a")]).await;
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob's", "Errors of ada"]);
    assert!(listed.as_array().unwrap().iter().all(|v| v["deletable"] == false), "a Viewer deletes nothing");
    let for_alice = alice.ok("list_saved_views", &[("project_id", "proj-a")]).await;
    assert_eq!((for_alice[0]["deletable"].clone(), for_alice[1]["deletable"].clone()), (json!(false), json!(true)));
    assert_eq!(for_alice[1]["created_by_email"], "alice@example.com");

    // Another member may not delete alice's view; alice may; an Admin may delete anyone's.
    assert_eq!(bob.call("delete_saved_view", &[("project_id", "proj-a"), ("view_id", &id)]).await.status, 403);
    assert_eq!(viewer.call("delete_saved_view", &[("project_id", "proj-a"), ("view_id", &id)]).await.status, 403);
    alice.ok("delete_saved_view", &[("project_id", "proj-a"), ("view_id", &id)]).await;
    assert_eq!(alice.call("delete_saved_view", &[("project_id", "proj-a"), ("view_id", &id)]).await.status, 404);
    let bobs = bob.ok("list_saved_views", &[("project_id", "proj-a")]).await[0]["id"].as_str().unwrap().to_string();
    admin.ok("delete_saved_view", &[("project_id", "proj-a"), ("view_id", &bobs)]).await;
    assert_eq!(viewer.ok("list_saved_views", &[("project_id", "proj-a")]).await, json!([]));

    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE resource_type = 'saved_view' ORDER BY id")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    assert_eq!(actions, ["saved_view.create", "saved_view.create", "saved_view.delete", "saved_view.delete"]);
}

/// The plan of a list query, with sequential scans disabled to prove an index *can* serve it
/// (the tables here are tiny, where a sequential scan is the right choice).
async fn plan(api: &TestApi, query: &[(&str, &str)]) -> String {
    let q = loupe_app::domain::trace_list::TraceListQuery::from_params(|k| query.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()));
    let spec = q.parse(chrono::Utc::now()).unwrap();
    let mut conn = api.pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
    // Unprepared, as the server sends it: planned with the actual values.
    let mut explain = loupe_core::store::trace_list::page_query_with_prefix("EXPLAIN ", &api.project, &spec, 51);
    let rows: Vec<String> = explain.build_query_scalar().persistent(false).fetch_all(&mut *conn).await.unwrap();
    rows.join("\n")
}

#[tokio::test]
async fn list_queries_use_indexes() {
    let api = TestApi::new().await;
    fixture(&api).await;
    // Enough other traces that an index is worth it (English filler text, other users).
    sqlx::query(
        "INSERT INTO traces (project_id, id, timestamp, name, user_id, input, metadata)
         SELECT 'proj-a', 'filler-' || i, timestamp '2025-06-01' + i * interval '1 minute', 'filler', 'user-' || (i % 500),
                to_jsonb('filler text number ' || i), jsonb_build_object('tier', 'basic')
         FROM generate_series(1, 5000) AS i",
    )
    .execute(&api.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO trace_metrics (project_id, trace_id, timestamp) SELECT project_id, id, timestamp FROM traces WHERE id LIKE 'filler-%'")
        .execute(&api.pool)
        .await
        .unwrap();
    // VACUUM also moves the GIN indexes' pending entries into the index proper, as autovacuum
    // does in production; their cost estimates count pending entries as a scan.
    sqlx::query("VACUUM ANALYZE").execute(&api.pool).await.unwrap();
    // Each query with the index (or one of those) that must serve it.
    let cases: Vec<(Vec<(&str, &str)>, &[&str])> = vec![
        (vec![], &["traces_time_idx"]),
        (vec![("before", "2026-01-02T00:00:00Z|t4")], &["traces_time_idx"]),
        // On six rows walking the time index and checking the user is as good as the user index.
        (vec![("user", "ada")], &["traces_user_idx", "traces_time_idx"]),
        (vec![("sort", "latency")], &["trace_metrics_latency_idx"]),
        (vec![("sort", "cost"), ("dir", "asc"), ("before", "0.05|2026-01-01T00:00:02Z|t2")], &["trace_metrics_cost_idx"]),
        (vec![("level", "error")], &["trace_metrics_errors_idx"]),
        (vec![("level", "warning")], &["trace_metrics_warnings_idx"]),
        (vec![("cost_min", "0.4")], &["trace_metrics_cost_idx", "trace_metrics_time_idx"]),
        (vec![("search", "hello world")], &["traces_search_trgm_idx"]),
        (vec![("search", "作为一个")], &["traces_search_cjk_idx"]),
        (vec![("metadata", "tier=pro")], &["traces_metadata_idx"]),
    ];
    for (query, indexes) in cases {
        let plan = plan(&api, &query).await;
        assert!(indexes.iter().any(|index| plan.contains(index)), "{query:?} should use one of {indexes:?}:\n{plan}");
        assert!(!plan.contains("Seq Scan on traces"), "{query:?}:\n{plan}");
    }
}

/// Issue #23: search freshness. A span is searchable as soon as its export is acknowledged (the
/// bound is 2 s; the search document is written in the ingestion transaction, so it is 0): an
/// OTLP export whose root span carries a phrase in its input and a CJK phrase in its output is
/// found by both phrases by the first list request after the 200, with no wait and no retry.
#[tokio::test]
async fn a_span_is_searchable_once_its_export_is_acknowledged() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "fresh@example.com", "VIEWER").await;
    for round in 0..3 {
        let trace_id = format!("{:032x}", 0xf2e5_u128 + round);
        let phrase = format!("freshness probe {round} zebra");
        let root = json!({"traceId": trace_id, "spanId": format!("{:016x}", 0xa0 + round), "name": "fresh",
            "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000",
            "attributes": [
                {"key": "langfuse.observation.input", "value": {"stringValue": json!(phrase).to_string()}},
                {"key": "langfuse.observation.output", "value": {"stringValue": json!(format!("新鲜度{round}号探针")).to_string()}},
            ]});
        let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": [root]}]}]});
        let response = api.call("POST", "/api/public/otel/v1/traces", Some(body)).await;
        assert_eq!(response.status, 200, "{}", response.text());
        // The very next request, no wait: the acknowledgement came after the commit.
        assert_eq!(ids(&list(&mut viewer, &[("search", &phrase)]).await), vec![trace_id.clone()], "found by its input");
        assert_eq!(ids(&list(&mut viewer, &[("search", &format!("度{round}号探"))]).await), vec![trace_id.clone()], "found by its CJK output");
    }
    // And not by a phrase no span holds.
    assert!(ids(&list(&mut viewer, &[("search", "freshness probe 9 zebra")]).await).is_empty());
}

/// A JSON document from `rng`: nested objects (keys of mixed lengths, CJK, emoji, escapes),
/// arrays, strings and the scalars `$.**` skips.
fn random_json(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
    use rand::Rng;
    const WORDS: [&str; 8] = ["hello", "作为一个影评人", "naïve café", "emoji 🎬 here", "tab\tquote\"back\\slash", "", "long-key-value", "ß"];
    let leaf = |rng: &mut rand::rngs::StdRng| match rng.gen_range(0..5) {
        0 => json!(rng.gen_range(-1000..1000)),
        1 => json!(rng.gen_bool(0.5)),
        2 => Value::Null,
        _ => json!(WORDS[rng.gen_range(0..WORDS.len())]),
    };
    if depth == 0 {
        return leaf(rng);
    }
    match rng.gen_range(0..3) {
        0 => Value::Array((0..rng.gen_range(0..4)).map(|_| random_json(rng, depth - 1)).collect()),
        1 => Value::Object(
            (0..rng.gen_range(0..5))
                .map(|_| {
                    let key = ["b", "a", "zz", "ab", "中", "key", "Z", "aa"][rng.gen_range(0..8)];
                    (key.to_string(), random_json(rng, depth - 1))
                })
                .collect(),
        ),
        _ => leaf(rng),
    }
}

#[tokio::test]
async fn the_search_document_ingestion_computes_equals_sqls() {
    use rand::SeedableRng;
    use loupe_core::ingest::search_text::search_text;
    let api = TestApi::new().await;
    let sql = |name: Option<String>, input: Option<Value>, output: Option<Value>| {
        sqlx::query_scalar::<_, String>("SELECT loupe_trace_search_text($1, $2, $3)")
            .bind(name)
            .bind(input.map(sqlx::types::Json))
            .bind(output.map(sqlx::types::Json))
            .fetch_one(&api.pool)
    };
    let long = json!({"text": "作".repeat(10_003), "more": ["x"]});
    let mut cases = vec![
        (Some("chat".to_string()), Some(json!({"zz": "second", "a": {"b": ["first", 1, {"c": "x"}]}})), Some(json!("done"))),
        (None, None, None),
        (Some("n".into()), Some(Value::Null), Some(json!({}))),
        (None, Some(long.clone()), Some(long)),
        (None, Some(json!(["a", ["b", ["c"]], {"k": "d"}])), None),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    for _ in 0..300 {
        cases.push((Some("trace".into()), Some(random_json(&mut rng, 4)), Some(random_json(&mut rng, 3))));
    }
    let mut compared = 0;
    for (name, input, output) in cases {
        let expected = sql(name.clone(), input.clone(), output.clone()).await.unwrap();
        match search_text(name.as_deref(), input.as_ref(), output.as_ref()) {
            Some(ours) => {
                assert_eq!(ours, expected, "input {input:?}, output {output:?}");
                compared += 1;
            }
            None => assert!(
                [&input, &output].iter().any(|v| matches!(v, Some(Value::Number(_) | Value::Bool(_)))),
                "only a top-level number or boolean is left to SQL"
            ),
        }
    }
    assert!(compared > 200, "most documents compared: {compared}");

    // Whoever writes, the column follows the name, input and output (the triggers).
    sqlx::query("INSERT INTO traces (project_id, id, timestamp, name, input) VALUES ('proj-a', 'raw', now(), 'first', '{\"q\": \"question\"}')")
        .execute(&api.pool)
        .await
        .unwrap();
    let stored = || sqlx::query_scalar::<_, String>("SELECT search_text FROM traces WHERE project_id = 'proj-a' AND id = 'raw'").fetch_one(&api.pool);
    assert_eq!(stored().await.unwrap(), "first question ");
    sqlx::query("UPDATE traces SET name = 'renamed', output = '[42, \"answer\"]' WHERE project_id = 'proj-a' AND id = 'raw'").execute(&api.pool).await.unwrap();
    assert_eq!(stored().await.unwrap(), "renamed question answer");
    sqlx::query("UPDATE traces SET search_text = 'forged' WHERE project_id = 'proj-a' AND id = 'raw'").execute(&api.pool).await.unwrap();
    assert_eq!(stored().await.unwrap(), "renamed question answer", "the column cannot be set apart from its sources");
    // And through ingestion, a merge that changes the input.
    ingest(&api, vec![event(&mut 900, "trace-create", json!({"id": "merged", "name": "m", "input": {"a": "old"}}))]).await;
    ingest(&api, vec![event(&mut 901, "trace-create", json!({"id": "merged", "input": {"a": "new", "bb": 7}}))]).await;
    let merged: String = sqlx::query_scalar("SELECT search_text FROM traces WHERE project_id = 'proj-a' AND id = 'merged'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(merged, "m new ");
}

/// Issue #23: the search indexes hold a document's distinct words (`search_words`), and search
/// still finds exactly the traces whose document holds the phrase: across repeated words (the
/// words keep one copy, in first order), never a phrase the words alone would make up, in CJK,
/// and after a merge changes the input (SQL recomputes the document and drops the words).
#[tokio::test]
async fn search_over_distinct_words_finds_exactly_the_phrase() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "words@example.com", "VIEWER").await;
    let repeated = "alpha beta alpha gamma alpha beta alpha gamma alpha beta 影评人 作为 影评人 作为";
    ingest(&api, vec![
        event(&mut 1, "trace-create", json!({"id": "rep", "name": "words", "input": repeated})),
        event(&mut 2, "trace-create", json!({"id": "plain", "name": "words", "input": "gamma beta"})),
    ])
    .await;
    let words = |id: &'static str| {
        sqlx::query_scalar::<_, Option<String>>("SELECT search_words FROM traces WHERE project_id = 'proj-a' AND id = $1")
            .bind(id)
            .fetch_one(&api.pool)
    };
    assert_eq!(words("rep").await.unwrap().as_deref(), Some("words alpha beta gamma 影评人 作为"));
    assert_eq!(words("plain").await.unwrap(), None, "no shorter copy of a document without repeats");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        // Across the repeat: in the document, not in the words' order.
        ("gamma alpha beta", vec!["rep"]),
        ("GAMMA ALPHA B", vec!["rep"]),
        ("ta alpha ga", vec!["rep"]),
        // In the words (`beta gamma`), not in the document: the phrase decides.
        ("beta gamma", vec![]),
        // In the plain document only; both hold each word.
        ("gamma beta", vec!["plain"]),
        ("作为 影评人", vec!["rep"]),
        ("影评人 作为 影评人 作为", vec!["rep"]),
        ("作为 作为", vec![]),
    ];
    for (phrase, expected) in cases {
        assert_eq!(ids(&list(&mut viewer, &[("search", phrase)]).await), expected, "{phrase:?}");
    }
    // A merge that changes the input: the words go with the old document.
    ingest(&api, vec![event(&mut 3, "trace-create", json!({"id": "rep", "input": "omega omega omega omega psi"}))]).await;
    assert_eq!(words("rep").await.unwrap(), None);
    assert_eq!(ids(&list(&mut viewer, &[("search", "omega psi")]).await), vec!["rep"]);
    assert!(ids(&list(&mut viewer, &[("search", "alpha beta")]).await).is_empty());
    // And the words cannot be set apart from the document.
    sqlx::query("UPDATE traces SET search_words = 'forged' WHERE project_id = 'proj-a' AND id = 'plain'").execute(&api.pool).await.unwrap();
    assert_eq!(words("plain").await.unwrap(), None);
    assert_eq!(ids(&list(&mut viewer, &[("search", "gamma beta")]).await), vec!["plain"]);
}

/// Issue #23: a trace completed by a later export — its children first (the row created with the
/// trace attributes they carry), its root after them (name, input and output: an update of the
/// row), as SDKs' batch processors send a trace that outlives a batch. The update keeps the
/// document and distinct words the writer computed (before, the trigger recomputed the document in
/// SQL and dropped the words, and the index took every word), equal to SQL's definition; search
/// finds it across its repeats and not by a phrase only its words make up; and outside an
/// ingestion write the document still cannot be set apart from its sources.
#[tokio::test]
async fn a_trace_completed_by_a_later_export_keeps_the_writers_document() {
    let api = TestApi::new().await;
    let mut viewer = member(&api, "later@example.com", "VIEWER").await;
    let trace_id = "0000000000000000000000000000a77e";
    let span = |span_id: &str, parent: Option<&str>, start: &str, input: &str, output: &str| {
        let mut span = json!({"traceId": trace_id, "spanId": span_id, "name": "step",
            "startTimeUnixNano": start, "endTimeUnixNano": "1795715850400000000",
            "attributes": [
                {"key": "langfuse.trace.name", "value": {"stringValue": "late-root"}},
                {"key": "langfuse.observation.input", "value": {"stringValue": json!(input).to_string()}},
                {"key": "langfuse.observation.output", "value": {"stringValue": json!(output).to_string()}},
            ]});
        if let Some(parent) = parent {
            span["parentSpanId"] = json!(parent);
        }
        json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": [span]}]}]})
    };
    let export = |body: Value| async { api.call("POST", "/api/public/otel/v1/traces", Some(body)).await };
    let child = export(span("00000000000000c1", Some("00000000000000a1"), "1795715850300000000", "child question", "child answer")).await;
    assert_eq!(child.status, 200, "{}", child.text());
    let stored = || {
        sqlx::query_as::<_, (String, Option<String>, String)>(
            "SELECT search_text, search_words, loupe_trace_search_text(name, input, output) FROM traces WHERE project_id = 'proj-a' AND id = $1",
        )
        .bind(trace_id)
        .fetch_one(&api.pool)
    };
    let (before, _, _) = stored().await.unwrap();
    assert!(!before.contains("wombat"), "the children alone: {before:?}");

    let repeated = "wombat quokka wombat numbat wombat quokka wombat numbat";
    let root = export(span("00000000000000a1", None, "1795715850200000000", repeated, "答案 答案 答案 wombat")).await;
    assert_eq!(root.status, 200, "{}", root.text());
    let (text, words, sql) = stored().await.unwrap();
    assert_eq!(text, sql, "the writer's document is SQL's for the merged row");
    assert!(text.contains(repeated), "{text:?}");
    assert_eq!(words.as_deref(), Some("late-root wombat quokka numbat 答案"), "the writer's words, kept by the update");
    assert_eq!(ids(&list(&mut viewer, &[("search", "numbat wombat quokka")]).await), vec![trace_id.to_string()]);
    assert_eq!(ids(&list(&mut viewer, &[("search", "答案 答案")]).await), vec![trace_id.to_string()]);
    assert!(ids(&list(&mut viewer, &[("search", "quokka numbat 答案")]).await).is_empty(), "only the words' order");

    // A later patch that does not decide the whole document (the trace's input alone, with a name
    // stored): SQL recomputes it from the merged row and the words go with the old document.
    let input_only = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": [{
        "traceId": trace_id, "spanId": "00000000000000c2", "parentSpanId": "00000000000000a1", "name": "step",
        "startTimeUnixNano": "1795715850300000000", "endTimeUnixNano": "1795715850400000000",
        "attributes": [{"key": "langfuse.trace.input", "value": {"stringValue": "\"platypus echidna\""}}]}]}]}]});
    let later = export(input_only).await;
    assert_eq!(later.status, 200, "{}", later.text());
    let (text, words, sql) = stored().await.unwrap();
    assert_eq!(text, sql);
    assert!(text.contains("platypus echidna") && !text.contains("quokka numbat"), "{text:?}");
    assert_eq!(words, None);
    assert_eq!(ids(&list(&mut viewer, &[("search", "platypus echidna")]).await), vec![trace_id.to_string()]);

    // Outside an ingestion write, a document set by hand is recomputed.
    sqlx::query("UPDATE traces SET search_text = 'forged', search_words = 'forged' WHERE project_id = 'proj-a' AND id = $1")
        .bind(trace_id)
        .execute(&api.pool)
        .await
        .unwrap();
    let (text, words, sql) = stored().await.unwrap();
    assert_eq!((text.as_str(), words), (sql.as_str(), None));
}

/// Issue #23: a merge reads only the rows it merges, however the table has grown since the
/// connection's first merges. The traces' and observations' merges and the aggregates' recompute
/// were prepared statements: after five executions on young tables Postgres cached a generic plan
/// that read every `traces` and `trace_metrics` row of the project and joined, and the connection
/// kept it while the project grew. Here ten requests merge on one connection while the tables are
/// small, the project then grows by 20,000 traces, and one more merge of ten rows may read no more
/// than a few hundred rows of any of the three tables (before, it read 161,137 rows of
/// `trace_metrics`, and 201,120 of `traces` through the rollup marks' lookups; checked).
#[tokio::test]
async fn merges_read_only_the_rows_they_merge() {
    use loupe_app::domain::ObservationType;
    use loupe_core::ingest::model::{IngestBatch, ObservationPatch, TracePatch};
    let api = TestApi::new().await;
    // One connection: every merge below runs on it, as a long-lived pool connection would.
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_with((*api.pool.connect_options()).clone()).await.unwrap();
    let pricing = loupe_core::pricing::Pricing::new(pool.clone());
    let at = |s: i64| chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
    // Request `n` creates ten traces with an observation each and completes the previous ten
    // (their trace's output, their observation's end): every request after the first merges.
    let request = |n: i64| {
        let mut batch = IngestBatch::default();
        for k in 0..10 {
            let (new, old) = (format!("t-{n}-{k}"), format!("t-{}-{k}", n - 1));
            batch.traces.push(TracePatch { name: Some("grow".into()), timestamp: Some(at(n)), input: Some(json!("question")), ..TracePatch::new(&new) });
            batch.observations.push(ObservationPatch { start_time: Some(at(n)), ..ObservationPatch::new(format!("o-{n}-{k}"), &new, ObservationType::Span) });
            if n > 0 {
                batch.traces.push(TracePatch { output: Some(json!("answer")), ..TracePatch::new(&old) });
                batch.observations.push(ObservationPatch { end_time: Some(at(n + 1)), ..ObservationPatch::new(format!("o-{}-{k}", n - 1), &old, ObservationType::Span) });
            }
        }
        batch
    };
    for n in 0..10 {
        loupe_core::ingest::store(&pool, &pricing, &api.project, request(n)).await.unwrap();
    }
    sqlx::query(
        "WITH t AS (INSERT INTO traces (project_id, id, timestamp, name)
                    SELECT $1, 'bulk-' || i, now() - i * interval '1 second', 'bulk' FROM generate_series(1, 20000) i RETURNING id, timestamp)
         INSERT INTO trace_metrics (project_id, trace_id, timestamp) SELECT $1, id, timestamp FROM t",
    )
    .bind(&api.project_id)
    .execute(&pool)
    .await
    .unwrap();
    // Rows read from each table, as the backend's counters say once flushed.
    let read = || async {
        sqlx::query("SELECT pg_stat_force_next_flush()").execute(&pool).await.unwrap();
        sqlx::query_as::<_, (String, i64)>(
            "SELECT relname::text, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables
             WHERE relname IN ('traces', 'trace_metrics', 'observations') ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let before = read().await;
    let stored = loupe_core::ingest::store(&pool, &pricing, &api.project, request(10)).await.unwrap();
    assert_eq!((stored.summary.traces_updated, stored.summary.observations_updated), (10, 10));
    let after = read().await;
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(&after) {
        assert!(rows_after - rows_before < 500, "{table}: {} rows read by one merge of ten", rows_after - rows_before);
    }
}
