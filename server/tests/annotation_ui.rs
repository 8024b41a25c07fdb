//! Human annotation through the UI's server functions (#20), on a real Postgres: score configs
//! (who may create and archive, the rules), annotations (one per person, config and target;
//! values outside a config refused naming the field; own vs Admin edits), queues (creation rules,
//! adding items without duplicates, the background "add all matching"), the review flow (two
//! reviewers get different items, completing needs a score), and agreement between reviewers
//! against values computed by hand.

use crate::common;

use std::time::Duration;

use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

async fn ingest_traces(api: &TestApi, ids: &[&str]) {
    let batch: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": format!("event-{id}"), "type": "trace-create", "timestamp": "2026-12-01T10:00:00Z",
            "body": {"id": id, "name": "support-answer", "timestamp": "2026-12-01T10:00:00Z", "input": "q", "output": "a"}}))
        .collect();
    let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": batch}))).await;
    assert!(response.status.is_success(), "{}", response.text());
}

async fn create_config(browser: &mut Browser<'_>, config: Value) -> Value {
    let response = browser.call_json("create_score_config", &json!({"project_id": "proj-a", "config": config})).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn numeric(name: &str) -> Value {
    json!({"name": name, "data_type": "NUMERIC", "min_value": 0.0, "max_value": 1.0, "categories": [], "description": "How good"})
}

fn categorical(name: &str) -> Value {
    json!({"name": name, "data_type": "CATEGORICAL", "min_value": null, "max_value": null,
        "categories": [{"label": "good", "value": 2.0}, {"label": "ok", "value": 1.0}, {"label": "bad", "value": 0.0}], "description": null})
}

fn annotation(target: Value, config_id: &str, value: Value) -> Value {
    json!({"target": target, "config_id": config_id, "value": value, "comment": null, "queue_id": null, "score_id": null})
}

async fn annotate(browser: &mut Browser<'_>, input: Value) -> (u16, Value) {
    let response = browser.call_json("save_annotation", &json!({"project_id": "proj-a", "input": input})).await;
    let status = response.status.as_u16();
    (status, if status == 200 { response.json() } else { json!(response.text()) })
}

fn trace(id: &str) -> Value {
    json!({"type": "trace", "traceId": id})
}

#[tokio::test]
async fn configs_follow_the_rules_and_roles() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;

    let created = create_config(&mut member, numeric("quality")).await;
    assert_eq!(created["dataType"], "NUMERIC", "{created}");
    let boolean = create_config(&mut member, json!({"name": "correct", "data_type": "BOOLEAN", "min_value": null, "max_value": null, "categories": [], "description": null})).await;
    assert_eq!(boolean["categories"], json!([{"label": "True", "value": 1.0}, {"label": "False", "value": 0.0}]));

    // Bad configs are refused naming the field.
    let bad = member
        .call_json("create_score_config", &json!({"project_id": "proj-a", "config": {"name": "range", "data_type": "NUMERIC", "min_value": 5.0, "max_value": 1.0, "categories": [], "description": null}}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("maxValue"), "{}", bad.text());
    let bad = member
        .call_json("create_score_config", &json!({"project_id": "proj-a", "config": {"name": "labels", "data_type": "CATEGORICAL", "min_value": null, "max_value": null,
            "categories": [{"label": "a", "value": 1.0}, {"label": "a", "value": 2.0}], "description": null}}))
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("categories"), "{}", bad.text());

    // Viewers create nothing; Members do not archive; Admins do.
    let refused = viewer.call_json("create_score_config", &json!({"project_id": "proj-a", "config": numeric("sneaky")})).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let id = created["id"].as_str().unwrap();
    let refused = member.call("set_score_config_archived", &[("project_id", "proj-a"), ("config_id", id), ("archived", "true")]).await;
    assert_eq!(refused.status, 403);
    let archived = admin.ok("set_score_config_archived", &[("project_id", "proj-a"), ("config_id", id), ("archived", "true")]).await;
    assert_eq!(archived["isArchived"], true);
    let listed = viewer.ok("list_score_configs", &[("project_id", "proj-a"), ("include_archived", "false")]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "the archived config is left out: {listed}");

    // An archived config takes no new annotations, and the message says so.
    ingest_traces(&api, &["t1"]).await;
    let (status, body) = annotate(&mut member, annotation(trace("t1"), id, json!(0.5))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.as_str().unwrap().contains("configId") && body.as_str().unwrap().contains("archived"), "{body}");
}

#[tokio::test]
async fn annotations_are_one_per_person_and_checked_against_their_config() {
    let api = TestApi::new().await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let mut bob = Browser::member_of_proj_a(&api, "bob@example.com", PASSWORD, "MEMBER").await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    ingest_traces(&api, &["t1"]).await;
    let quality = create_config(&mut alice, numeric("quality")).await["id"].as_str().unwrap().to_string();
    let tone = create_config(&mut alice, categorical("tone")).await["id"].as_str().unwrap().to_string();

    let (status, first) = annotate(&mut alice, annotation(trace("t1"), &quality, json!(0.7))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["source"].as_str(), first["value"].as_f64(), first["name"].as_str()), (Some("ANNOTATION"), Some(0.7), Some("quality")));
    let alice_id: String = sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'alice@example.com'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(first["authorUserId"], json!(alice_id));
    // Saving again replaces it: one score per person, config and target.
    let (_, again) = annotate(&mut alice, annotation(trace("t1"), &quality, json!(0.9))).await;
    assert_eq!(again["id"], first["id"]);
    let (_, label) = annotate(&mut alice, annotation(trace("t1"), &tone, json!("good"))).await;
    assert_eq!((label["stringValue"].as_str(), label["value"].as_f64()), (Some("good"), Some(2.0)));
    let (_, bobs) = annotate(&mut bob, annotation(trace("t1"), &quality, json!(0.2))).await;
    assert_ne!(bobs["id"], first["id"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM scores WHERE project_id = 'proj-a' AND trace_id = 't1'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(count, 3);

    // Refusals name the field; nothing is stored.
    for (input, field) in [
        (annotation(trace("t1"), &quality, json!(1.5)), "value"),
        (annotation(trace("t1"), &tone, json!("great")), "value"),
        (annotation(trace("missing"), &quality, json!(0.5)), "missing"),
        (json!({"target": trace("t1"), "config_id": quality, "value": 0.5, "comment": "x".repeat(3001), "queue_id": null, "score_id": null}), "comment"),
    ] {
        let (status, body) = annotate(&mut alice, input).await;
        assert!(status == 400 || status == 404, "{status} {body}");
        assert!(body.as_str().unwrap().contains(field), "{field}: {body}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM scores WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(count, 3, "refused annotations stored nothing");

    // The form shows everyone's annotations with names; viewers read but cannot write.
    let form = viewer.call_json("get_annotation_form", &json!({"project_id": "proj-a", "target": trace("t1")})).await.json();
    assert_eq!(form["scores"].as_array().unwrap().len(), 3);
    assert_eq!(form["can_annotate"], false);
    assert!(form["people"].as_array().unwrap().iter().any(|p| p["name"] == "alice@example.com"), "{form}");
    let (status, _) = annotate(&mut viewer, annotation(trace("t1"), &quality, json!(0.5))).await;
    assert_eq!(status, 403);

    // Bob may not delete Alice's annotation; an Admin may; Alice deletes her own.
    let first_id = first["id"].as_str().unwrap();
    let refused = bob.call("delete_annotation", &[("project_id", "proj-a"), ("score_id", first_id)]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    admin.ok("delete_annotation", &[("project_id", "proj-a"), ("score_id", bobs["id"].as_str().unwrap())]).await;
    alice.ok("delete_annotation", &[("project_id", "proj-a"), ("score_id", first_id)]).await;
    let left: Vec<String> = sqlx::query_scalar("SELECT name FROM scores WHERE project_id = 'proj-a' ORDER BY name").fetch_all(&api.pool).await.unwrap();
    assert_eq!(left, ["tone"]);
}

#[tokio::test]
async fn a_queue_is_filled_without_duplicates_and_reviewed_by_two_people() {
    let api = TestApi::new().await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let mut bob = Browser::member_of_proj_a(&api, "bob@example.com", PASSWORD, "MEMBER").await;
    ingest_traces(&api, &["t1", "t2", "t3"]).await;
    let tone = create_config(&mut alice, categorical("tone")).await["id"].as_str().unwrap().to_string();

    let no_configs = alice
        .call_json("create_annotation_queue", &json!({"project_id": "proj-a", "queue": {"name": "Q", "description": null, "score_config_ids": [], "assignee_ids": [], "reviewers_per_item": 1}}))
        .await;
    assert_eq!(no_configs.status, 400);
    assert!(no_configs.text().contains("scoreConfigIds"), "{}", no_configs.text());
    let queue = alice
        .call_json("create_annotation_queue", &json!({"project_id": "proj-a", "queue": {"name": "Support", "description": "Be **kind**", "score_config_ids": [tone], "assignee_ids": [], "reviewers_per_item": 1}}))
        .await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let queue_id = queue.json()["id"].as_str().unwrap().to_string();
    let duplicate = alice
        .call_json("create_annotation_queue", &json!({"project_id": "proj-a", "queue": {"name": "Support", "description": null, "score_config_ids": [tone], "assignee_ids": [], "reviewers_per_item": 1}}))
        .await;
    assert_eq!(duplicate.status, 400);
    assert!(duplicate.text().contains("name"), "{}", duplicate.text());

    let targets = json!([trace("t1"), trace("t2"), trace("t3"), trace("not-a-trace")]);
    let added = alice.call_json("add_to_queue", &json!({"project_id": "proj-a", "queue_id": queue_id, "targets": targets})).await;
    assert_eq!(added.json(), 3, "{}", added.text());
    let again = alice.call_json("add_to_queue", &json!({"project_id": "proj-a", "queue_id": queue_id, "targets": targets})).await;
    assert_eq!(again.json(), 0, "adding twice adds nothing");

    // Two reviewers asking get different items.
    let a = alice.ok("next_review_item", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    let b = bob.ok("next_review_item", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    let (a_item, b_item) = (a["item"]["item"]["id"].as_str().unwrap().to_string(), b["item"]["item"]["id"].as_str().unwrap().to_string());
    assert_ne!(a_item, b_item);
    assert_eq!(a["counts"]["in_progress"], 1);
    // Asking again resumes the held item.
    let resumed = alice.ok("next_review_item", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    assert_eq!(resumed["item"]["item"]["id"], json!(a_item));

    // Completing needs a score first.
    let early = alice.call("finish_review", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("item_id", &a_item), ("outcome", "completed")]).await;
    assert_eq!(early.status, 400, "{}", early.text());
    let a_trace = a["item"]["target"]["traceId"].as_str().unwrap();
    let mut input = annotation(trace(a_trace), &tone, json!("good"));
    input["queue_id"] = json!(queue_id);
    let (status, _) = annotate(&mut alice, input).await;
    assert_eq!(status, 200);
    let next = alice.ok("finish_review", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("item_id", &a_item), ("outcome", "completed")]).await;
    let next_item = next["item"]["item"]["id"].as_str().unwrap().to_string();
    assert!(next_item != a_item && next_item != b_item, "the third item: {next}");
    assert_eq!((next["counts"]["completed"].as_i64(), next["done_by_me"].as_i64()), (Some(1), Some(1)));

    // The queue page: statuses and per-reviewer progress.
    let items = bob.ok("list_queue_items", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("filter", "Completed"), ("page_number", "0")]).await;
    assert_eq!(items["total"], 1);
    assert_eq!(items["rows"][0]["completed_by"][0]["name"], "alice@example.com");
    assert_eq!(items["rows"][0]["label"], "support-answer");
    let in_progress = bob.ok("list_queue_items", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("filter", "InProgress"), ("page_number", "0")]).await;
    assert_eq!(in_progress["total"], 2, "bob's and alice's next: {in_progress}");
    let overview = bob.ok("get_annotation_queue", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    assert_eq!(overview["reviewers"][0]["person"]["name"], "alice@example.com");
    assert_eq!(overview["reviewers"][0]["completed"], 1);

    // Releasing lets go: Alice's next item is free again for Bob after he finishes his.
    alice.ok("release_review", &[("project_id", "proj-a"), ("item_id", &next_item)]).await;
    bob.ok("finish_review", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("item_id", &b_item), ("outcome", "skipped")]).await;
    let bobs_next = bob.ok("next_review_item", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    let bobs_next_id = bobs_next["item"]["item"]["id"].as_str().unwrap();
    assert!(bobs_next_id == next_item || bobs_next_id == a_item || bobs_next_id != b_item, "never the item he skipped: {bobs_next}");
    assert_ne!(bobs_next_id, b_item);
}

#[tokio::test]
async fn all_matching_traces_are_added_in_the_background_with_progress() {
    let api = TestApi::new().await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let ids: Vec<String> = (0..1200).map(|i| format!("bulk-{i:04}")).collect();
    for chunk in ids.chunks(400) {
        ingest_traces(&api, &chunk.iter().map(String::as_str).collect::<Vec<_>>()).await;
    }
    ingest_traces(&api, &["other"]).await;
    sqlx::query("UPDATE traces SET name = 'other-name' WHERE project_id = 'proj-a' AND id = 'other'").execute(&api.pool).await.unwrap();
    let tone = create_config(&mut alice, categorical("tone")).await["id"].as_str().unwrap().to_string();
    let queue_id = alice
        .call_json("create_annotation_queue", &json!({"project_id": "proj-a", "queue": {"name": "Bulk", "description": null, "score_config_ids": [tone], "assignee_ids": [], "reviewers_per_item": 1}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // One trace is there already: it is not added twice.
    alice.call_json("add_to_queue", &json!({"project_id": "proj-a", "queue_id": queue_id, "targets": [trace("bulk-0000")]})).await;

    let started = alice.call_json("add_matching_to_queue", &json!({"project_id": "proj-a", "queue_id": queue_id, "query": {"name": "support-answer"}})).await;
    assert_eq!(started.status, 200, "{}", started.text());
    let import_id = started.json()["id"].as_str().unwrap().to_string();
    let runner = loupe_core::jobs::Runner::start(
        api.pool.clone(),
        vec![loupe_core::annotation::import_kind(&api.pool)],
        loupe_core::jobs::RunnerOptions { worker: "test".into(), poll: Duration::from_millis(20), retry_base: Duration::from_millis(10), stop_grace: Duration::from_millis(200) },
    );
    let mut seen_progress = Vec::new();
    let done = loop {
        let import = alice.ok("get_queue_import", &[("project_id", "proj-a"), ("import_id", &import_id)]).await;
        seen_progress.push(import["seen"].as_i64().unwrap());
        if import["done"] == true {
            break import;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    runner.stop().await;
    assert_eq!((done["seen"].as_i64(), done["added"].as_i64(), done["error"].clone()), (Some(1200), Some(1199), Value::Null), "{done}");
    assert!(seen_progress.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {seen_progress:?}");
    let in_queue: i64 = sqlx::query_scalar("SELECT count(*) FROM annotation_queue_items WHERE project_id = 'proj-a' AND queue_id = $1")
        .bind(&queue_id)
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(in_queue, 1200, "the filter's traces once each, not the other one");
}

#[tokio::test]
async fn agreement_between_reviewers_matches_hand_computed_values() {
    let api = TestApi::new().await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let mut bob = Browser::member_of_proj_a(&api, "bob@example.com", PASSWORD, "MEMBER").await;
    let traces: Vec<String> = (0..6).map(|i| format!("a{i}")).collect();
    ingest_traces(&api, &traces.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let tone = create_config(&mut alice, categorical("tone")).await["id"].as_str().unwrap().to_string();
    let quality = create_config(&mut alice, numeric("quality")).await["id"].as_str().unwrap().to_string();
    let queue_id = alice
        .call_json("create_annotation_queue", &json!({"project_id": "proj-a", "queue": {"name": "Pair", "description": null, "score_config_ids": [tone, quality], "assignee_ids": [], "reviewers_per_item": 2}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let targets: Vec<Value> = traces.iter().map(|t| trace(t)).collect();
    alice.call_json("add_to_queue", &json!({"project_id": "proj-a", "queue_id": queue_id, "targets": targets})).await;

    // Labels: alice good good ok ok bad bad; bob good ok ok ok bad good.
    // Agreement on 4 of 6: p_o = 4/6. Marginals: alice good 2, ok 2, bad 2; bob good 2, ok 3, bad 1.
    // p_e = (2·2 + 2·3 + 2·1)/36 = 12/36 = 1/3. κ = (2/3 − 1/3)/(1 − 1/3) = 0.5.
    let alice_labels = ["good", "good", "ok", "ok", "bad", "bad"];
    let bob_labels = ["good", "ok", "ok", "ok", "bad", "good"];
    // Numbers: alice 0.1 0.2 0.3 0.4 0.5 0.6; bob 0.2 0.1 0.4 0.3 0.6 0.5.
    // Spearman: ranks differ by 1 on every item, Σd² = 6, ρ = 1 − 6·6/(6·35) = 1 − 36/210 = 29/35.
    let alice_numbers = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let bob_numbers = [0.2, 0.1, 0.4, 0.3, 0.6, 0.5];
    for (who, labels, numbers) in [(&mut alice, alice_labels, alice_numbers), (&mut bob, bob_labels, bob_numbers)] {
        for _ in 0..traces.len() {
            let state = who.ok("next_review_item", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
            let item = state["item"]["item"]["id"].as_str().unwrap().to_string();
            let trace_id = state["item"]["target"]["traceId"].as_str().unwrap().to_string();
            let index = traces.iter().position(|t| *t == trace_id).unwrap();
            for (config, value) in [(&tone, json!(labels[index])), (&quality, json!(numbers[index]))] {
                let mut input = annotation(trace(&trace_id), config, value);
                input["queue_id"] = json!(queue_id);
                let (status, body) = annotate(who, input).await;
                assert_eq!(status, 200, "{body}");
            }
            who.ok("finish_review", &[("project_id", "proj-a"), ("queue_id", &queue_id), ("item_id", &item), ("outcome", "completed")]).await;
        }
    }
    let agreement = alice.ok("queue_agreement", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    let by_name = |name: &str| agreement.as_array().unwrap().iter().find(|a| a["config_name"] == name).cloned().unwrap();
    let tone_agreement = by_name("tone");
    assert_eq!(tone_agreement["pooled"]["shared"], 6);
    assert!((tone_agreement["pooled"]["kappa"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{tone_agreement}");
    let quality_agreement = by_name("quality");
    assert!((quality_agreement["pooled"]["spearman"].as_f64().unwrap() - 29.0 / 35.0).abs() < 1e-9, "{quality_agreement}");
    let overview = alice.ok("get_annotation_queue", &[("project_id", "proj-a"), ("queue_id", &queue_id)]).await;
    assert_eq!(overview["counts"]["completed"], 6, "two reviewers each: {overview}");
}
