//! Dashboards through the UI's server functions (#22), on a real Postgres: the home dashboard's
//! widgets answer what the ingested data says (counted here, independently), over presets, a
//! custom range and the board's filters; custom dashboards saved and read back, bad widgets
//! refused naming the field, roles, and another project's data never counted.

use crate::common;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::dashboards::{home, Widget};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn ingest(api: &TestApi, events: Vec<Value>) {
    for chunk in events.chunks(400) {
        let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": chunk }))).await;
        assert_eq!(response.status, 207, "{}", response.text());
        assert_eq!(response.json()["errors"], json!([]), "every event stored: {}", response.text());
    }
}

/// One generated trace: what the test knows about it.
struct Known {
    environment: &'static str,
    user: String,
    model: &'static str,
    level: &'static str,
    cost: f64,
    latency_ms: i64,
    at: DateTime<Utc>,
}

/// `n` traces with one generation each over the last `hours` hours (and `old` more, three days
/// back), in two environments, three users, two models and four levels; returns what was sent.
async fn seed(api: &TestApi, n: usize, old: usize) -> Vec<Known> {
    // Milliseconds, as the wire carries them (a custom range below is compared to the instants).
    let now = Utc::now().trunc_subsecs(3);
    let mut known = Vec::new();
    let mut events = Vec::new();
    for i in 0..n + old {
        let at = if i < n { now - Duration::minutes(20 + 37 * i as i64 % (20 * 60)) } else { now - Duration::days(3) - Duration::minutes(i as i64) };
        let k = Known {
            environment: if i % 3 == 0 { "staging" } else { "production" },
            user: format!("user-{}", i % 3),
            model: if i % 2 == 0 { "gpt-4o" } else { "claude-3-haiku" },
            level: ["DEFAULT", "DEFAULT", "WARNING", "ERROR", "DEFAULT"][i % 5],
            cost: 0.001 * (i as f64 + 1.0),
            latency_ms: 100 + 53 * i as i64,
            at,
        };
        let trace = format!("dash-t{i}");
        events.push(json!({"id": format!("e{i}a"), "type": "trace-create", "timestamp": iso(at), "body": {
            "id": trace, "name": if i % 4 == 0 { "search" } else { "chat" }, "userId": k.user, "environment": k.environment,
            "timestamp": iso(at), "tags": if i % 2 == 0 { json!(["beta"]) } else { json!([]) }, "release": "r1"}}));
        events.push(json!({"id": format!("e{i}b"), "type": "generation-create", "timestamp": iso(at), "body": {
            "id": format!("dash-g{i}"), "traceId": trace, "name": "llm", "model": k.model, "environment": k.environment, "level": k.level,
            "startTime": iso(at), "endTime": iso(at + Duration::milliseconds(k.latency_ms)),
            "usage": {"input": 10, "output": 20, "total": 30}, "costDetails": {"total": k.cost}}}));
        known.push(k);
    }
    ingest(api, events).await;
    known
}

fn board_request(project: &str, widgets: &[Widget], range: Value, filters: Value) -> Value {
    json!({"project_id": project, "widgets": widgets, "range": range, "filters": filters})
}

async fn board(browser: &mut Browser<'_>, widgets: &[Widget], range: Value, filters: Value) -> Value {
    let response = browser.call_json("run_widgets", &board_request("proj-a", widgets, range, filters)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// The rows of the home widget titled `title` in a `run_widgets` answer.
fn rows_of<'a>(answer: &'a Value, title: &str) -> &'a Vec<Value> {
    let at = home().iter().position(|w| w.title == title).unwrap();
    answer["widgets"][at]["Ok"]["rows"].as_array().unwrap_or_else(|| panic!("{title}: {}", answer["widgets"][at]))
}

fn num(value: &Value) -> f64 {
    value.as_f64().or_else(|| value.as_str().and_then(|s| s.parse().ok())).unwrap_or_else(|| panic!("not a number: {value}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

fn invalid_field(text: &str) -> String {
    let parsed: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    parsed["Invalid"]["field"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_home_dashboard_answers_what_was_ingested() {
    let api = TestApi::new().await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    // Nothing yet: the home says how to send a first trace.
    let setup = viewer.ok("dashboard_setup", &[("project_id", "proj-a")]).await;
    assert!(setup["host"].as_str().is_some(), "{setup}");
    let known = seed(&api, 30, 5).await;
    assert_eq!(viewer.ok("dashboard_setup", &[("project_id", "proj-a")]).await, Value::Null, "a project with traces shows its dashboard");
    // Another project's data is never counted.
    let other = api.with_project("proj-other", "pk-lf-other", "sk-lf-other").await;
    seed(&other, 7, 0).await;

    let day = json!({"range": "24h"});
    let answer = board(&mut viewer, &home(), day.clone(), json!({})).await;
    let recent: Vec<&Known> = known.iter().take(30).collect();
    assert_eq!(num(&rows_of(&answer, "traces")[0]["count_count"]), 30.0, "{answer}");
    assert_eq!(num(&rows_of(&answer, "observations")[0]["count_count"]), 30.0);
    let cost: f64 = recent.iter().map(|k| k.cost).sum();
    assert!(close(num(&rows_of(&answer, "total_cost")[0]["sum_totalCost"]), cost), "{}", rows_of(&answer, "total_cost")[0]);

    // Over time: the buckets add up to the same traces, split by environment as ingested.
    let over_time = rows_of(&answer, "traces_over_time");
    for env in ["production", "staging"] {
        let counted: f64 = over_time.iter().filter(|r| r["environment"] == env).map(|r| num(&r["count_count"])).sum();
        assert_eq!(counted, recent.iter().filter(|k| k.environment == env).count() as f64, "{env}");
    }
    assert!(over_time.iter().all(|r| r["time_dimension"].as_str().is_some()), "bucketed rows");

    // Cost and tokens by model.
    for row in rows_of(&answer, "cost_by_model") {
        let model = row["providedModelName"].as_str().unwrap();
        let mine: Vec<&&Known> = recent.iter().filter(|k| k.model == model).collect();
        assert!(close(num(&row["sum_totalCost"]), mine.iter().map(|k| k.cost).sum()), "{row}");
        assert_eq!(num(&row["sum_totalTokens"]), 30.0 * mine.len() as f64, "{row}");
        assert_eq!(num(&row["count_count"]), mine.len() as f64);
    }
    // Latency percentiles by model (the generations' own durations).
    for row in rows_of(&answer, "latency_by_model") {
        let model = row["providedModelName"].as_str().unwrap();
        let latencies: Vec<f64> = recent.iter().filter(|k| k.model == model).map(|k| k.latency_ms as f64).collect();
        // The engine answers from hourly rollups where it can: there a percentile is the value of
        // rank round(q·(n−1)) read from 10%-wide buckets, within 5% of it (core/src/metrics);
        // from the raw rows it is `percentile_cont`. Either is right.
        for (key, q) in [("p50_latency", 0.5), ("p95_latency", 0.95), ("p99_latency", 0.99)] {
            let got = num(&row[key]);
            let mut sorted = latencies.clone();
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let ranked = sorted[(q * (sorted.len() - 1) as f64).round() as usize];
            let exact = percentile(&latencies, q);
            assert!((got - exact).abs() < 1.0 || (got - ranked).abs() <= 0.05 * ranked, "{model} {key}: {row} vs {latencies:?}");
        }
    }
    // Errors and warnings are counted per level (the chart makes the rate of them).
    let levels = rows_of(&answer, "error_rate");
    for level in ["ERROR", "WARNING", "DEFAULT"] {
        let counted: f64 = levels.iter().filter(|r| r["level"] == level).map(|r| num(&r["count_count"])).sum();
        assert_eq!(counted, recent.iter().filter(|k| k.level == level).count() as f64, "{level}");
    }
    // Top users by cost, largest first.
    let users = rows_of(&answer, "top_users_by_cost");
    assert_eq!(users.len(), 3);
    let mut last = f64::INFINITY;
    for row in users {
        let user = row["userId"].as_str().unwrap();
        let spent: f64 = recent.iter().filter(|k| k.user == user).map(|k| k.cost).sum();
        assert!(close(num(&row["sum_totalCost"]), spent), "{row}");
        assert!(num(&row["sum_totalCost"]) <= last, "ordered by cost");
        last = num(&row["sum_totalCost"]);
    }

    // A week includes the older traces; a custom range only what falls inside it.
    let week = board(&mut viewer, &home()[..1], json!({"range": "7d"}), json!({})).await;
    assert_eq!(num(&week["widgets"][0]["Ok"]["rows"][0]["count_count"]), 35.0);
    let (from, to) = (recent[10].at - Duration::seconds(1), recent[3].at + Duration::seconds(1));
    let inside = known.iter().filter(|k| k.at >= from && k.at <= to).count();
    let custom = board(&mut viewer, &home()[..1], json!({"range": "custom", "from": iso(from), "to": iso(to)}), json!({})).await;
    assert_eq!(num(&custom["widgets"][0]["Ok"]["rows"][0]["count_count"]), inside as f64, "{custom}");
    assert_eq!(custom["from"].as_str().map(|s| s.parse::<DateTime<Utc>>().unwrap()), Some(from));

    // The board's filters: environment and user narrow every view; a model says nothing about
    // traces, and the traces widget says it ignored it.
    let filtered = board(&mut viewer, &home(), day.clone(), json!({"environment": "staging", "user": "user-0", "model": "gpt-4o"})).await;
    let expected = recent.iter().filter(|k| k.environment == "staging" && k.user == "user-0");
    let traces = expected.clone().count() as f64;
    let generations = expected.filter(|k| k.model == "gpt-4o").count() as f64;
    assert_eq!(num(&rows_of(&filtered, "traces")[0]["count_count"]), traces, "{filtered}");
    assert_eq!(filtered["widgets"][0]["Ok"]["ignored"], json!(["model"]));
    assert_eq!(num(&rows_of(&filtered, "observations")[0]["count_count"]), generations);
    assert_eq!(filtered["widgets"][1]["Ok"]["ignored"], json!([]));
    let tagged = board(&mut viewer, &home()[..1], day.clone(), json!({"tag": "beta"})).await;
    assert_eq!(num(&tagged["widgets"][0]["Ok"]["rows"][0]["count_count"]), (0..30).filter(|i| i % 2 == 0).count() as f64);

    // Bad input is refused naming the field: the range, a filter, or one widget (the others
    // still answer).
    for (range, field) in [(json!({"range": "2w"}), "range"), (json!({"range": "custom", "from": "yesterday", "to": iso(Utc::now())}), "from")] {
        let response = viewer.call_json("run_widgets", &board_request("proj-a", &home()[..1], range, json!({}))).await;
        assert_eq!((response.status.as_u16(), invalid_field(&response.text()).as_str()), (400, field), "{}", response.text());
    }
    let response = viewer.call_json("run_widgets", &board_request("proj-a", &home()[..1], day.clone(), json!({"metadata": "no-equals"}))).await;
    assert_eq!((response.status.as_u16(), invalid_field(&response.text()).as_str()), (400, "metadata"));
    let mut widgets = home()[..2].to_vec();
    widgets[1].query.metrics[0].measure = "nope".into();
    let answer = board(&mut viewer, &widgets, day, json!({})).await;
    assert_eq!(num(&answer["widgets"][0]["Ok"]["rows"][0]["count_count"]), 30.0);
    assert_eq!(answer["widgets"][1]["Err"]["Invalid"]["field"], "widgets[1].query.metrics[0].measure", "{answer}");

    // Another project's board is not the viewer's to read.
    let response = viewer.call_json("run_widgets", &board_request("proj-other", &home()[..1], json!({}), json!({}))).await;
    assert_eq!(response.status, 404, "{}", response.text());
}

#[tokio::test]
async fn custom_dashboards_are_saved_checked_and_shared() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    seed(&api, 6, 0).await;

    let created = member.ok("create_dashboard", &[("project_id", "proj-a"), ("name", "  Costs  "), ("description", "Where the money goes"), ("from_home", "false")]).await;
    assert_eq!(created["name"], "Costs");
    assert_eq!(created["widgets"], json!([]));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(viewer.call("create_dashboard", &[("project_id", "proj-a"), ("name", "Mine"), ("description", ""), ("from_home", "false")]).await.status, 403);
    let refused = member.call("create_dashboard", &[("project_id", "proj-a"), ("name", "  "), ("description", ""), ("from_home", "false")]).await;
    assert_eq!((refused.status.as_u16(), invalid_field(&refused.text()).as_str()), (400, "name"));

    // Widgets saved and read back by everyone in the project, as sent.
    let mut widgets: Vec<Widget> = home().into_iter().take(3).map(|w| Widget { title: format!("My {}", w.title), ..w }).collect();
    widgets.push(Widget { id: "spend".into(), title: "Spend by model".into(), ..home().into_iter().find(|w| w.title == "cost_by_model").unwrap() });
    let saved = member.call_json("save_dashboard_widgets", &json!({"project_id": "proj-a", "dashboard_id": id, "widgets": widgets})).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let read = viewer.ok("get_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await;
    let read_widgets: Vec<Widget> = serde_json::from_value(read["dashboard"]["widgets"].clone()).unwrap();
    assert_eq!(read_widgets, widgets);
    assert_eq!(read["can_write"], false, "viewers read only");
    assert_eq!(member.ok("get_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await["can_write"], true);
    // Its widgets answer like the home's.
    let answer = board(&mut viewer, &read_widgets, json!({"range": "24h"}), json!({})).await;
    assert_eq!(num(&answer["widgets"][0]["Ok"]["rows"][0]["count_count"]), 6.0);

    // Bad widgets are refused naming the field; nothing is saved.
    let bad = |mutate: &dyn Fn(&mut Value)| {
        let mut value = serde_json::to_value(&widgets).unwrap();
        mutate(&mut value);
        json!({"project_id": "proj-a", "dashboard_id": id, "widgets": value})
    };
    for (mutate, field) in [
        (Box::new(|v: &mut Value| v[1]["query"]["metrics"][0]["measure"] = json!("nope")) as Box<dyn Fn(&mut Value)>, "widgets[1].query.metrics[0].measure"),
        (Box::new(|v: &mut Value| v[0]["chart"] = json!("pie")), "widgets[0].chart"),
        (Box::new(|v: &mut Value| v[2]["title"] = json!(" ")), "widgets[2].title"),
        (Box::new(|v: &mut Value| v[3]["id"] = v[0]["id"].clone()), "widgets[3].id"),
        (Box::new(|v: &mut Value| { v[3]["query"]["dimensions"] = json!([]); v[3]["chart"] = json!("bars") }), "widgets[3].query.dimensions"),
        (Box::new(|v: &mut Value| v[0]["query"]["filters"] = json!([{"column": "environment", "operator": "any of", "value": [], "type": "stringOptions"}])), "widgets[0].query.filters[0].value"),
        (Box::new(|v: &mut Value| *v = json!({"not": "a list"})), "widgets"),
    ] {
        let response = member.call_json("save_dashboard_widgets", &bad(&*mutate)).await;
        assert_eq!((response.status.as_u16(), invalid_field(&response.text())), (400, field.to_string()), "{}", response.text());
    }
    assert_eq!(viewer.ok("get_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await["dashboard"]["widgets"], serde_json::to_value(&widgets).unwrap());
    let viewer_save = viewer.call_json("save_dashboard_widgets", &json!({"project_id": "proj-a", "dashboard_id": id, "widgets": []})).await;
    assert_eq!(viewer_save.status, 403);

    // Renamed, listed, started from the home's widgets, deleted; every change audited.
    let renamed = member.ok("rename_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id), ("name", "Spend"), ("description", "")]).await;
    assert_eq!((renamed["name"].as_str(), renamed["description"].as_str()), (Some("Spend"), None));
    let copy = member.ok("create_dashboard", &[("project_id", "proj-a"), ("name", "Copy"), ("description", ""), ("from_home", "true")]).await;
    assert_eq!(copy["widgets"].as_array().unwrap().len(), home().len());
    assert_eq!(copy["widgets"][0]["title"], "Traces", "a copy gets the home's words, not its keys");
    let list = viewer.ok("list_dashboards", &[("project_id", "proj-a")]).await;
    let names: Vec<&str> = list["dashboards"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Copy", "Spend"], "most recently changed first");
    assert_eq!(list["dashboards"][1]["widget_count"], 4);
    assert_eq!(viewer.call("delete_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await.status, 403);
    member.ok("delete_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await;
    assert_eq!(viewer.call("get_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await.status, 404);
    assert_eq!(member.call("delete_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &id)]).await.status, 404);
    let audited: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE resource_type = 'dashboard' ORDER BY created_at, action")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    for action in ["dashboard.create", "dashboard.widgets", "dashboard.rename", "dashboard.delete"] {
        assert!(audited.iter().any(|a| a == action), "{action} in {audited:?}");
    }

    // Another project's dashboard is not found from this one, even by its id.
    sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ('proj-elsewhere', 'org-of-proj-a', 'Elsewhere')").execute(&api.pool).await.unwrap();
    let theirs: String = sqlx::query_scalar("INSERT INTO dashboards (project_id, id, name) VALUES ('proj-elsewhere', 'theirs', 'Theirs') RETURNING id")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(member.call("get_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &theirs)]).await.status, 404);
    let moved = member.call("rename_dashboard", &[("project_id", "proj-a"), ("dashboard_id", &theirs), ("name", "Mine now"), ("description", "")]).await;
    assert_eq!(moved.status, 404);
    let name: String = sqlx::query_scalar("SELECT name FROM dashboards WHERE id = 'theirs'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(name, "Theirs");
}
