//! The models page's server functions (#22): the model form refused naming the field (negative
//! prices, a pattern that does not compile or is too large, overlapping tiers, text that is not
//! a number, duplicates) with nothing saved; "Test match" equal to what ingesting such a
//! generation stores, tiers picked above and below a threshold; usage by pricing tier and the
//! unpriced list; cost recalculation after a price change — observations, `trace_metrics` and
//! the audit entry with the old cost —; roles and project isolation.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password 1";

/// A form with a default tier priced per input/output token, and optional further tiers.
fn form(name: &str, pattern: &str, input: &str, output: &str) -> Value {
    json!({
        "model_name": name,
        "match_pattern": pattern,
        "unit": "TOKENS",
        "tiers": [{"name": "Standard", "is_default": true, "priority": "0", "conditions": [],
                   "prices": [{"usage_type": "input", "price": input}, {"usage_type": "output", "price": output}]}]
    })
}

/// A tier priced when the summed input-like usage is above `threshold`.
fn large_tier(name: &str, priority: &str, threshold: &str, input: &str, output: &str) -> Value {
    json!({"name": name, "is_default": false, "priority": priority,
           "conditions": [{"kind": "Usage", "pattern": "input", "operator": "gt", "value": threshold}],
           "prices": [{"usage_type": "input", "price": input}, {"usage_type": "output", "price": output}]})
}

async fn admin(api: &TestApi) -> Browser<'_> {
    Browser::member_of_proj_a(api, "admin@example.com", PASSWORD, "ADMIN").await
}

async fn save(browser: &mut Browser<'_>, model_id: Option<&str>, form: &Value) -> common::TestResponse {
    browser.call_json("save_model", &json!({"project_id": "proj-a", "model_id": model_id, "form": form})).await
}

async fn saved(browser: &mut Browser<'_>, model_id: Option<&str>, form: &Value) -> Value {
    let response = save(browser, model_id, form).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn ingest(api: &TestApi, events: Vec<Value>) {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": events}))).await;
    assert_eq!(response.status, 207, "{}", response.text());
    let body = response.json();
    assert!(body["errors"].as_array().is_none_or(Vec::is_empty), "{body}");
}

fn trace(id: &str, at: DateTime<Utc>) -> Value {
    json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": at.to_rfc3339(), "body": {"id": id, "name": "t", "timestamp": at.to_rfc3339()}})
}

fn generation(id: &str, trace_id: &str, model: &str, at: DateTime<Utc>, usage: Value, extra: Value) -> Value {
    let mut body = json!({"id": id, "traceId": trace_id, "name": "llm", "model": model, "startTime": at.to_rfc3339(),
                          "endTime": at.to_rfc3339(), "usageDetails": usage});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    json!({"id": format!("e-{id}"), "type": "generation-create", "timestamp": at.to_rfc3339(), "body": body})
}

/// What ingestion stored for an observation, in the shape of "Test match"'s answer.
async fn stored(api: &TestApi, id: &str) -> Value {
    let (usage, cost, total, model_id, tier_id, tier_name): (Value, Value, Option<f64>, Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT usage_details, cost_details, total_cost, internal_model_id, usage_pricing_tier_id, usage_pricing_tier_name
         FROM observations WHERE project_id = 'proj-a' AND id = $1",
    )
    .bind(id)
    .fetch_one(&api.pool)
    .await
    .unwrap();
    json!({"usage": usage, "cost": cost, "total_cost": total, "model": model_id, "tier_id": tier_id, "tier_name": tier_name})
}

fn matched(result: &Value) -> Value {
    json!({"usage": result["usage"], "cost": result["cost"], "total_cost": result["total_cost"], "model": result["model"]["id"],
           "tier_id": result["tier_id"], "tier_name": result["tier_name"]})
}

async fn test_match(browser: &mut Browser<'_>, model: &str, usage: &str, params: &str) -> Value {
    let response = browser
        .call_json("test_model_match", &json!({"project_id": "proj-a", "probe": {"model": model, "usage": usage, "model_parameters": params}}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn model_count(api: &TestApi) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM models WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap()
}

#[tokio::test]
async fn the_form_is_refused_naming_the_field_and_nothing_is_saved() {
    let api = TestApi::new().await;
    let mut admin = admin(&api).await;
    let good = form("acme-llm", "(?i)^acme-llm$", "0.000001", "0.000002");
    let with = |path: &[&str], value: Value| {
        let mut f = good.clone();
        let mut at = &mut f;
        for key in &path[..path.len() - 1] {
            at = match key.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*key],
            };
        }
        at[path[path.len() - 1]] = value;
        f
    };
    let mut overlapping = good.clone();
    overlapping["tiers"].as_array_mut().unwrap().push(large_tier("Above 100k", "1", "100000", "0.000002", "0.000004"));
    overlapping["tiers"].as_array_mut().unwrap().push(large_tier("Above 200k", "2", "200000", "0.000003", "0.000006"));
    let mut same_twice = good.clone();
    same_twice["tiers"].as_array_mut().unwrap().push(large_tier("Large", "1", "200000", "0.000002", "0.000004"));
    same_twice["tiers"].as_array_mut().unwrap().push(large_tier("Large again", "2", "200000", "0.000003", "0.000006"));
    let mut bad_priority = good.clone();
    bad_priority["tiers"].as_array_mut().unwrap().push(large_tier("Large", "first", "200000", "0.000002", "0.000004"));
    let mut conditionless = good.clone();
    conditionless["tiers"].as_array_mut().unwrap().push(json!({"name": "Never", "is_default": false, "priority": "1", "conditions": [],
        "prices": [{"usage_type": "input", "price": "1"}]}));
    let cases = [
        (with(&["tiers", "0", "prices", "0", "price"], json!("-0.5")), "pricingTiers[0].prices.input", "negative"),
        (with(&["tiers", "0", "prices", "1", "price"], json!("cheap")), "pricingTiers[0].prices.output", "cheap"),
        (with(&["match_pattern"], json!("acme-(")), "matchPattern", "regular expression"),
        (with(&["match_pattern"], json!("(?i)\\pL{2000}\\pL{2000}")), "matchPattern", "regular expression"),
        (with(&["match_pattern"], json!("")), "matchPattern", "Required"),
        (with(&["model_name"], json!("  ")), "modelName", "Required"),
        (with(&["model_name"], json!("m".repeat(300))), "modelName", "255"),
        (with(&["start_date"], json!("next week")), "startDate", "next week"),
        (with(&["tokenizer_config"], json!("[1, 2]")), "tokenizerConfig", "JSON object"),
        (overlapping, "pricingTiers", "Above 200k"),
        (same_twice, "pricingTiers", "Large again"),
        (bad_priority, "pricingTiers[1].priority", "whole number"),
        (conditionless, "pricingTiers", "Never"),
    ];
    for (body, field, words) in cases {
        let response = save(&mut admin, None, &body).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
        let error = response.json();
        assert_eq!(error["Invalid"]["field"], field, "{body}: {error}");
        assert!(error["Invalid"]["message"].as_str().unwrap().contains(words), "{body}: {error}");
        // The check the form runs as one types says the same.
        let checked = admin.call_json("check_model_form", &json!({"project_id": "proj-a", "model_id": null, "form": body})).await;
        assert_eq!(checked.status, 200, "{}", checked.text());
        assert!(checked.json().as_array().unwrap().iter().any(|p| p["field"] == field), "{body}: {}", checked.text());
    }
    assert_eq!(model_count(&api).await, 0, "nothing refused was saved");
    let checked = admin.call_json("check_model_form", &json!({"project_id": "proj-a", "model_id": null, "form": good})).await.json();
    assert_eq!(checked, json!([]));

    // The same name, start date and unit twice.
    saved(&mut admin, None, &good).await;
    let duplicate = save(&mut admin, None, &good).await;
    assert_eq!(duplicate.json()["Invalid"]["field"], "modelName", "{}", duplicate.text());
    assert_eq!(model_count(&api).await, 1);
    // The public API refuses overlapping tiers too, in its own words.
    let api_body = json!({"modelName": "m", "matchPattern": "^m$", "pricingTiers": [
        {"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
        {"name": "A", "priority": 1, "conditions": [{"usageDetailPattern": "input", "operator": "gte", "value": 10}], "prices": {"input": 2}},
        {"name": "B", "priority": 2, "conditions": [{"usageDetailPattern": "input", "operator": "eq", "value": 20}], "prices": {"input": 3}}]});
    let refused = api.call("POST", "/api/public/models", Some(api_body)).await;
    assert_eq!(refused.status, 400);
    assert!(refused.json()["message"].as_str().unwrap().contains("pricingTiers: pricing tier \"B\" can never apply"), "{}", refused.text());
}

#[tokio::test]
async fn test_match_shows_what_ingestion_stores_and_picks_the_tier_by_threshold() {
    let api = TestApi::new().await;
    let mut admin = admin(&api).await;
    let mut tiered = form("acme-llm", "(?i)^acme-llm$", "0.000001", "0.000002");
    tiered["tiers"].as_array_mut().unwrap().push(large_tier("Large context", "1", "200000", "0.000003", "0.000006"));
    let model = saved(&mut admin, None, &tiered).await;
    let model_id = model["id"].as_str().unwrap().to_string();

    let now = Utc::now();
    let cases = [
        ("at-threshold", "acme-llm", json!({"input": 200000, "output": 1000}), "", "Standard"),
        ("above", "acme-llm", json!({"input": 200001, "output": 1000}), "", "Large context"),
        ("below", "ACME-LLM", json!({"input": 1200, "output": 300}), "", "Standard"),
        // Built-in: gpt-4o-mini's "Fast mode" tier by a model parameter.
        ("builtin-fast", "gpt-4o-mini", json!({"input": 1000, "output": 100}), "service_tier=priority", "Fast mode"),
        ("builtin-standard", "gpt-4o-mini", json!({"input": 1000, "output": 100}), "", "Standard"),
    ];
    let mut events = vec![trace("t-match", now)];
    for (id, model, usage, params, _) in &cases {
        let extra = match params.split_once('=') {
            Some((key, value)) => json!({"modelParameters": {key: value}}),
            None => json!({}),
        };
        events.push(generation(id, "t-match", model, now, usage.clone(), extra));
    }
    ingest(&api, events).await;
    for (id, model, usage, params, tier) in &cases {
        let lines: String = usage.as_object().unwrap().iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let result = test_match(&mut admin, model, &lines, params).await;
        assert_eq!(result["tier_name"], *tier, "{id}: {result}");
        assert_eq!(matched(&result), stored(&api, id).await, "{id}: the box says what ingestion stored");
        if model.eq_ignore_ascii_case("acme-llm") {
            assert_eq!(result["model"]["id"], model_id.as_str());
            assert_eq!(result["model"]["builtin"], false);
        }
    }
    // The numbers themselves: 200 001 × 3e-6 + 1000 × 6e-6.
    let above = test_match(&mut admin, "acme-llm", "input: 200001\noutput: 1000", "").await;
    assert_eq!(above["total_cost"], json!(0.606003));
    assert_eq!(above["cost"]["input"], json!(0.600003));
    // JSON usage as an SDK sends it, normalized as ingestion normalizes it.
    let openai = test_match(&mut admin, "acme-llm", "{\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"total_tokens\": 1500}", "").await;
    assert_eq!(openai["total_cost"], stored(&api, "below").await["total_cost"]);
    // A name nothing covers: no model, no cost.
    let unknown = test_match(&mut admin, "mystery-llm", "input: 5", "").await;
    assert_eq!((unknown["model"].clone(), unknown["total_cost"].clone()), (Value::Null, Value::Null));
    // The box's own text problems name the field.
    let bad = admin.call_json("test_model_match", &json!({"project_id": "proj-a", "probe": {"model": "acme-llm", "usage": "input: lots"}})).await;
    assert_eq!((bad.status.as_u16(), bad.json()["Invalid"]["field"].clone()), (400, json!("usage")), "{}", bad.text());

    // Ingestion's prices, loaded (and cached for 10 s) before the edit.
    let pricing = loupe_core::pricing::Pricing::new(api.pool.clone());
    let usage: std::collections::BTreeMap<String, i64> = [("input".to_string(), 1200), ("output".to_string(), 300)].into();
    let priced = |prices: &loupe_core::pricing::ProjectPrices| {
        prices
            .price(&loupe_core::pricing::PricingInput {
                r#type: loupe_app::domain::ObservationType::Generation,
                level: loupe_app::domain::ObservationLevel::Default,
                model: Some("acme-llm"),
                provided_usage: &usage,
                provided_cost: &Default::default(),
                model_parameters: None,
                metadata: None,
                input: None,
                output: None,
            })
            .total_cost
    };
    assert_eq!(priced(&*pricing.project(&api.project).await.unwrap()), Some(0.0018));
    // An edit shows at once (no cache in the way), and keeps the tiers' ids.
    let mut cheaper = tiered.clone();
    cheaper["tiers"][0]["prices"][0]["price"] = json!("0.0000005");
    cheaper["tiers"][0]["id"] = model["tiers"][0]["id"].clone();
    cheaper["tiers"][1]["id"] = model["tiers"][1]["id"].clone();
    let edited = saved(&mut admin, Some(&model_id), &cheaper).await;
    assert_eq!(edited["tiers"][0]["id"], model["tiers"][0]["id"]);
    assert_eq!(edited["tiers"][1]["id"], model["tiers"][1]["id"]);
    let after = test_match(&mut admin, "acme-llm", "input: 1200\noutput: 300", "").await;
    assert_eq!(after["total_cost"], json!(0.0012), "1200 × 5e-7 + 300 × 2e-6");
    // And ingestion in this process prices with it from the next request on: the edit dropped
    // every cache's entry of the project, within its 10 s.
    assert_eq!(priced(&*pricing.project(&api.project).await.unwrap()), Some(0.0012));
    ingest(&api, vec![generation("after-edit", "t-match", "acme-llm", now, json!({"input": 1200, "output": 300}), json!({}))]).await;
    assert_eq!(stored(&api, "after-edit").await["total_cost"], json!(0.0012));
}

#[tokio::test]
async fn usage_by_tier_and_the_generations_without_a_price() {
    let api = TestApi::new().await;
    let mut admin = admin(&api).await;
    let mut tiered = form("acme-llm", "(?i)^acme-llm$", "0.000001", "0.000002");
    tiered["tiers"].as_array_mut().unwrap().push(large_tier("Large context", "1", "200000", "0.000003", "0.000006"));
    saved(&mut admin, None, &tiered).await;
    // Matched, but priced only per image: token usage gets no cost.
    let mut images = form("vision-x", "^vision-x$", "1", "1");
    images["tiers"][0]["prices"] = json!([{"usage_type": "images", "price": "0.01"}]);
    saved(&mut admin, None, &images).await;

    let now = Utc::now();
    let old = now - chrono::Duration::days(20);
    ingest(&api, vec![
        trace("t-usage", now),
        generation("u1", "t-usage", "acme-llm", now, json!({"input": 1000, "output": 100}), json!({})),
        generation("u2", "t-usage", "acme-llm", now, json!({"input": 2000, "output": 200}), json!({})),
        generation("u3", "t-usage", "acme-llm", now, json!({"input": 300000, "output": 10}), json!({})),
        generation("u4", "t-usage", "mystery-llm", now, json!({"input": 5, "output": 5}), json!({})),
        generation("u5", "t-usage", "mystery-llm", now, json!({"input": 5}), json!({})),
        generation("u6", "t-usage", "vision-x", now, json!({"input": 50}), json!({})),
        generation("u7", "t-usage", "sdk-priced", now, json!({"input": 5}), json!({"costDetails": {"total": 0.25}})),
        generation("u-old", "t-usage", "old-unknown", old, json!({"input": 1}), json!({})),
    ])
    .await;
    let report = admin.ok("model_usage", &[("project_id", "proj-a"), ("range", "7d"), ("from", ""), ("to", "")]).await;
    let tiers = report["tiers"].as_array().unwrap();
    let row = |tier: &str| tiers.iter().find(|t| t["model_name"] == "acme-llm" && t["tier_name"] == tier).cloned().unwrap_or_else(|| panic!("{tier}: {report}"));
    let standard = row("Standard");
    assert_eq!((standard["generations"].as_i64(), standard["input_tokens"].as_i64(), standard["output_tokens"].as_i64()), (Some(2), Some(3000), Some(300)));
    assert!((standard["cost"].as_f64().unwrap() - (3000.0 * 1e-6 + 300.0 * 2e-6)).abs() < 1e-12, "{standard}");
    let large = row("Large context");
    assert_eq!((large["generations"].as_i64(), large["total_tokens"].as_i64()), (Some(1), Some(300010)));
    assert!((large["cost"].as_f64().unwrap() - (300000.0 * 3e-6 + 10.0 * 6e-6)).abs() < 1e-12);
    let provided = tiers.iter().find(|t| t["tier_name"].is_null()).expect("the SDK's own cost is its own row");
    assert_eq!((provided["model_id"].clone(), provided["cost"].as_f64()), (Value::Null, Some(0.25)));

    let unpriced = report["unpriced"].as_array().unwrap();
    let names: Vec<(&str, i64, bool)> = unpriced.iter().map(|u| (u["model"].as_str().unwrap(), u["generations"].as_i64().unwrap(), u["matched"].as_bool().unwrap())).collect();
    assert_eq!(names, [("mystery-llm", 2, false), ("vision-x", 1, true)], "{report}");
    // Thirty days back the old one shows too.
    let month = admin.ok("model_usage", &[("project_id", "proj-a"), ("range", "30d"), ("from", ""), ("to", "")]).await;
    assert!(month["unpriced"].as_array().unwrap().iter().any(|u| u["model"] == "old-unknown"), "{month}");
    // A bad range names its key.
    for (key, value) in [("range", "5y"), ("from", "yesterday")] {
        let mut form = vec![("project_id", "proj-a"), ("range", ""), ("from", ""), ("to", "")];
        form.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value;
        let response = admin.call("model_usage", &form).await;
        assert_eq!((response.status.as_u16(), response.json()["Invalid"]["field"].clone()), (400, json!(key)), "{}", response.text());
    }
}

fn runner(api: &TestApi) -> loupe_core::jobs::Runner {
    loupe_core::jobs::Runner::start(
        api.pool.clone(),
        vec![loupe_core::model_prices::recalculate::kind(&api.pool)],
        loupe_core::jobs::RunnerOptions { worker: "test".into(), poll: Duration::from_millis(20), retry_base: Duration::from_millis(10), stop_grace: Duration::from_millis(500) },
    )
}

async fn recalculate(browser: &mut Browser<'_>, from: DateTime<Utc>, to: DateTime<Utc>, model: Option<&str>) -> Value {
    let (from, to) = (from.to_rfc3339(), to.to_rfc3339());
    let mut form = vec![("project_id", "proj-a"), ("from", from.as_str()), ("to", to.as_str())];
    if let Some(model) = model {
        form.push(("model", model));
    }
    let started = browser.ok("start_cost_recalculation", &form).await;
    let id = started["id"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = browser.ok("get_cost_recalculation", &[("project_id", "proj-a"), ("recalculation_id", &id)]).await;
        if now["state"] != "Running" {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "the recalculation did not finish: {now}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

async fn trace_cost(api: &TestApi, trace_id: &str) -> (f64, i64) {
    sqlx::query_as("SELECT total_cost, total_tokens FROM trace_metrics WHERE project_id = 'proj-a' AND trace_id = $1")
        .bind(trace_id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

async fn audit_of(api: &TestApi, id: &str) -> (Value, Value) {
    sqlx::query_as("SELECT before, after FROM audit_log WHERE action = 'cost_recalculation.finish' AND resource_id = $1")
        .bind(id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn recalculation_after_a_price_change_updates_costs_totals_and_the_audit_log() {
    let api = TestApi::new().await;
    let mut admin = admin(&api).await;
    let jobs = runner(&api);
    let now = Utc::now();
    let in_range = now - chrono::Duration::hours(2);
    let before_range = now - chrono::Duration::days(3);
    // Generations of a model nobody priced yet, more than one batch of them, across two traces;
    // one with the SDK's own cost, one outside the range, one span.
    let mut events = vec![trace("t-a", in_range), trace("t-b", in_range), trace("t-old", before_range)];
    let batch = loupe_core::model_prices::recalculate::BATCH as usize;
    for i in 0..batch + 20 {
        let trace_id = if i % 2 == 0 { "t-a" } else { "t-b" };
        events.push(generation(&format!("g{i:04}"), trace_id, "acme-llm", in_range + chrono::Duration::milliseconds(i as i64), json!({"input": 1000, "output": 100}), json!({})));
    }
    events.push(generation("g-provided", "t-a", "acme-llm", in_range, json!({"input": 1000}), json!({"costDetails": {"input": 0.5}})));
    events.push(generation("g-other", "t-b", "other-llm", in_range, json!({"input": 1000}), json!({})));
    events.push(generation("g-old", "t-old", "acme-llm", before_range, json!({"input": 1000, "output": 100}), json!({})));
    events.push(json!({"id": "e-span", "type": "span-create", "timestamp": in_range.to_rfc3339(),
                       "body": {"id": "span-1", "traceId": "t-a", "name": "step", "startTime": in_range.to_rfc3339()}}));
    for chunk in events.chunks(200) {
        ingest(&api, chunk.to_vec()).await;
    }
    assert_eq!(stored(&api, "g0000").await["total_cost"], Value::Null, "no price yet");
    let unpriced = admin.ok("model_usage", &[("project_id", "proj-a"), ("range", "24h"), ("from", ""), ("to", "")]).await;
    assert_eq!(unpriced["unpriced"][0]["model"], "acme-llm");
    assert_eq!(unpriced["unpriced"][0]["generations"].as_i64(), Some(batch as i64 + 20));

    // A price is added: stored generations keep their (missing) cost until recalculated.
    let model = saved(&mut admin, None, &form("acme-llm", "(?i)^acme-llm$", "0.000001", "0.000002")).await;
    assert_eq!(stored(&api, "g0000").await["total_cost"], Value::Null);
    let from = now - chrono::Duration::days(1);
    let first = recalculate(&mut admin, from, now + chrono::Duration::minutes(1), None).await;
    let n = batch as i64 + 22; // the acme-llm generations, the provided one and other-llm
    assert_eq!(first["state"], "Succeeded", "{first}");
    assert_eq!((first["total"].as_i64(), first["processed"].as_i64(), first["changed"].as_i64()), (Some(n), Some(n), Some(batch as i64 + 20)), "{first}");
    // 1000 × 1e-6 + 100 × 2e-6, in decimal as the pricing computes it.
    let per_generation = 0.0012;
    assert_eq!(stored(&api, "g0000").await["total_cost"], json!(per_generation));
    assert_eq!(stored(&api, "g0000").await["tier_name"], "Standard");
    assert_eq!(stored(&api, "g0000").await["model"], model["id"]);
    assert_eq!(stored(&api, "g-provided").await["total_cost"], json!(0.5), "the SDK's cost stays");
    assert_eq!(stored(&api, "g-old").await["total_cost"], Value::Null, "outside the range");
    let expected_a = (batch / 2 + 10) as f64 * per_generation + 0.5;
    let (cost_a, tokens_a) = trace_cost(&api, "t-a").await;
    assert!((cost_a - expected_a).abs() < 1e-9, "{cost_a} vs {expected_a}");
    assert_eq!(tokens_a, (batch as i64 / 2 + 10) * 1100 + 1000);
    assert!(common::trace_metrics_drift(&api.pool, "proj-a").await.is_empty(), "{:?}", common::trace_metrics_drift(&api.pool, "proj-a").await);
    let (before, after) = audit_of(&api, first["id"].as_str().unwrap()).await;
    assert_eq!(before["totalCost"], json!(0.5));
    assert!((after["totalCost"].as_f64().unwrap() - ((batch + 20) as f64 * per_generation + 0.5)).abs() < 1e-9, "{after}");
    assert_eq!(after["byModel"]["other-llm"], json!(0.0));

    // The price doubles: the old cost of the range is kept in the audit entry, per model too.
    // (The dashboards' rollups are marked stale by the recalculation itself: no ingestion
    // happens meanwhile, so the marks cleared here can only come back from it.)
    sqlx::query("DELETE FROM metric_rollup_dirty WHERE project_id = 'proj-a'").execute(&api.pool).await.unwrap();
    let mut doubled = form("acme-llm", "(?i)^acme-llm$", "0.000002", "0.000004");
    doubled["tiers"][0]["id"] = model["tiers"][0]["id"].clone();
    saved(&mut admin, Some(model["id"].as_str().unwrap()), &doubled).await;
    let second = recalculate(&mut admin, from, now + chrono::Duration::minutes(1), Some("acme-llm")).await;
    assert_eq!((second["processed"].as_i64(), second["changed"].as_i64()), (Some(batch as i64 + 21), Some(batch as i64 + 20)), "{second}");
    assert_eq!(stored(&api, "g0001").await["total_cost"], json!(0.0024));
    let (cost_b, _) = trace_cost(&api, "t-b").await;
    assert!((cost_b - (batch / 2 + 10) as f64 * 2.0 * per_generation).abs() < 1e-9, "{cost_b}");
    let (before, after) = audit_of(&api, second["id"].as_str().unwrap()).await;
    let old_total = (batch + 20) as f64 * per_generation + 0.5;
    assert!((before["totalCost"].as_f64().unwrap() - old_total).abs() < 1e-9, "{before}");
    assert!((before["byModel"]["acme-llm"].as_f64().unwrap() - old_total).abs() < 1e-9);
    assert!((after["byModel"]["acme-llm"].as_f64().unwrap() - ((batch + 20) as f64 * 2.0 * per_generation + 0.5)).abs() < 1e-9, "{after}");
    assert_eq!(after["model"], "acme-llm");
    assert!(common::trace_metrics_drift(&api.pool, "proj-a").await.is_empty());
    let stale: Vec<DateTime<Utc>> = sqlx::query_scalar("SELECT DISTINCT hour FROM metric_rollup_dirty WHERE project_id = 'proj-a' ORDER BY 1")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    let hour = |at: DateTime<Utc>| at.duration_trunc(chrono::Duration::hours(1)).unwrap();
    assert!(stale.contains(&hour(in_range)), "the changed generations' hour: {stale:?}");
    assert!(!stale.contains(&hour(before_range)), "nothing outside the range: {stale:?}");
    let listed = admin.ok("list_cost_recalculations", &[("project_id", "proj-a")]).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // The start is audited as the person who asked.
    let starts: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'cost_recalculation.start' AND actor_user_id IS NOT NULL")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(starts, 2);

    // One at a time per project.
    jobs.stop().await;
    let (f, t) = (from.to_rfc3339(), now.to_rfc3339());
    admin.ok("start_cost_recalculation", &[("project_id", "proj-a"), ("from", &f), ("to", &t)]).await;
    let again = admin.call("start_cost_recalculation", &[("project_id", "proj-a"), ("from", &f), ("to", &t)]).await;
    assert_eq!(again.status, 409, "{}", again.text());
    let backwards = admin.call("start_cost_recalculation", &[("project_id", "proj-a"), ("from", &t), ("to", &f)]).await;
    assert_eq!((backwards.status.as_u16(), backwards.json()["Invalid"]["field"].clone()), (400, json!("to")));
}

#[tokio::test]
async fn viewers_read_admins_write_and_projects_stay_apart() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let mut admin = admin(&api).await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let model = saved(&mut admin, None, &form("acme-llm", "^acme-llm$", "1", "2")).await;
    let id = model["id"].as_str().unwrap();

    // Reading: everyone in the project.
    for browser in [&mut viewer, &mut member] {
        let list = browser.ok("list_models", &[("project_id", "proj-a"), ("search", "acme")]).await;
        assert_eq!(list["rows"][0]["model_name"], "acme-llm");
        assert_eq!(test_match(browser, "acme-llm", "input: 1", "").await["total_cost"], json!(1.0));
        browser.ok("model_usage", &[("project_id", "proj-a"), ("range", ""), ("from", ""), ("to", "")]).await;
        browser.ok("list_cost_recalculations", &[("project_id", "proj-a")]).await;
        // Writing: Admins and Owners only.
        assert_eq!(save(browser, None, &form("x", "^x$", "1", "1")).await.status, 403);
        assert_eq!(save(browser, Some(id), &form("x", "^x$", "1", "1")).await.status, 403);
        assert_eq!(browser.call("delete_model", &[("project_id", "proj-a"), ("model_id", id)]).await.status, 403);
        let now = Utc::now().to_rfc3339();
        assert_eq!(browser.call("start_cost_recalculation", &[("project_id", "proj-a"), ("from", "2026-01-01"), ("to", &now)]).await.status, 403);
        let checked = browser.call_json("check_model_form", &json!({"project_id": "proj-a", "model_id": null, "form": form("x", "^x$", "1", "1")})).await;
        assert_eq!(checked.status, 403);
    }
    assert_eq!(model_count(&api).await, 1);

    // Another project's model is not this project's: not listed, not edited, not deleted.
    let theirs = other
        .call("POST", "/api/public/models", Some(json!({"modelName": "secret-of-b", "matchPattern": "^secret$", "inputPrice": 1.0})))
        .await
        .json();
    let their_id = theirs["id"].as_str().unwrap();
    let list = admin.ok("list_models", &[("project_id", "proj-a"), ("search", "")]).await.to_string();
    assert!(!list.contains("secret-of-b"), "{list}");
    assert_eq!(save(&mut admin, Some(their_id), &form("owned", "^owned$", "1", "1")).await.status, 404);
    assert_eq!(admin.call("delete_model", &[("project_id", "proj-a"), ("model_id", their_id)]).await.status, 404);
    let result = test_match(&mut admin, "secret", "input: 1", "").await;
    assert_eq!(result["model"], Value::Null, "B's definition never prices A's generations");
    let still: String = sqlx::query_scalar("SELECT model_name FROM models WHERE project_id = 'proj-b'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(still, "secret-of-b");

    // Deleting one's own model is audited with what it was.
    admin.ok("delete_model", &[("project_id", "proj-a"), ("model_id", id)]).await;
    let (action, before): (String, Value) =
        sqlx::query_as("SELECT action, before FROM audit_log WHERE resource_type = 'model' ORDER BY id DESC LIMIT 1").fetch_one(&api.pool).await.unwrap();
    assert_eq!((action.as_str(), before["model_name"].as_str()), ("model.delete", Some("acme-llm")));
    assert_eq!(model_count(&api).await, 0);
}
