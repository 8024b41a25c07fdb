//! Datasets through the UI's server functions (#21), on a real Postgres: creating, editing and
//! deleting datasets by role and with the rules named by field; items versioned (an edit is a
//! new version, archive too, a run records the version it used); import keeping good rows and
//! reporting bad ones by row; export reading back to the same values; traces and observations
//! made into items.

use crate::common;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::dataset_io::{apply_mapping, parse_file, to_csv, to_jsonl, ColumnTarget, FileFormat};
use loupe_app::domain::datasets::DatasetItem;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

async fn create_dataset(browser: &mut Browser<'_>, name: &str, metadata: &str) -> (u16, Value) {
    let response = browser.call_json("create_dataset", &json!({"project_id": "proj-a", "dataset": {"name": name, "description": "  About it  ", "metadata": metadata}})).await;
    let status = response.status.as_u16();
    (status, if status == 200 { response.json() } else { json!(response.text()) })
}

async fn save_item(browser: &mut Browser<'_>, dataset: &str, create: bool, item: Value) -> (u16, Value) {
    let mut full = json!({"id": null, "input": "", "expected_output": "", "metadata": "", "source_trace_id": null, "source_observation_id": null});
    for (k, v) in item.as_object().unwrap() {
        full[k] = v.clone();
    }
    let response = browser.call_json("save_dataset_item", &json!({"project_id": "proj-a", "dataset_id": dataset, "create": create, "item": full})).await;
    let status = response.status.as_u16();
    (status, if status == 200 { response.json() } else { json!(response.text()) })
}

async fn items(browser: &mut Browser<'_>, dataset: &str, status: &str) -> Value {
    browser.ok("list_dataset_items", &[("project_id", "proj-a"), ("dataset_id", dataset), ("status", status), ("page", "0"), ("page_size", "1000")]).await
}

fn invalid_field(body: &Value) -> String {
    let parsed: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
    parsed["Invalid"]["field"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn datasets_follow_the_rules_and_roles() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;

    let (status, created) = create_dataset(&mut member, "qa/support", "{\"owner\": \"team-a\"}").await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["name"], "qa/support");
    assert_eq!(created["description"], "About it", "the description is trimmed");
    assert_eq!(created["metadata"], json!({"owner": "team-a"}));
    let id = created["id"].as_str().unwrap().to_string();

    // Refusals name the field.
    let (status, body) = create_dataset(&mut member, "qa/support", "").await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "name"), "a name in use: {body}");
    assert!(body.as_str().unwrap().contains("qa/support"), "{body}");
    let (status, body) = create_dataset(&mut member, "qa//x", "").await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "name"), "{body}");
    let (status, body) = create_dataset(&mut member, "other", "{\"a\": ").await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "metadata"), "{body}");
    assert!(body.as_str().unwrap().contains("line 1"), "the position is said: {body}");
    let (status, _) = create_dataset(&mut viewer, "viewer's", "").await;
    assert_eq!(status, 403, "viewers read only");

    // The list: the folder at the top, the dataset inside it with its counts.
    let (status, _) = create_dataset(&mut member, "top-level", "").await;
    assert_eq!(status, 200);
    let top = viewer.ok("list_datasets", &[("project_id", "proj-a"), ("folder", ""), ("search", ""), ("page", "1")]).await;
    assert_eq!(top["entries"][0], json!({"Folder": {"path": "qa", "datasets": 1}}), "{top}");
    assert_eq!(top["entries"][1]["Dataset"]["dataset"]["name"], "top-level");
    assert_eq!(top["total"], 2);
    let inside = viewer.ok("list_datasets", &[("project_id", "proj-a"), ("folder", "qa"), ("search", ""), ("page", "1")]).await;
    assert_eq!(inside["entries"][0]["Dataset"]["items"], 0);
    assert_eq!(inside["entries"][0]["Dataset"]["runs"], 0);
    let found = viewer.ok("list_datasets", &[("project_id", "proj-a"), ("folder", ""), ("search", "SUPP"), ("page", "1")]).await;
    assert_eq!(found["entries"].as_array().unwrap().len(), 1, "search ignores case and folders: {found}");

    // Renaming is for Admins; a rename to a taken name names the field.
    let edit = |name: &str| json!({"project_id": "proj-a", "dataset_id": id, "dataset": {"name": name, "description": "", "metadata": ""}});
    assert_eq!(member.call_json("update_dataset", &edit("renamed")).await.status, 403);
    let taken = admin.call_json("update_dataset", &edit("top-level")).await;
    assert_eq!(taken.status, 400, "{}", taken.text());
    assert!(taken.text().contains("\"field\":\"name\""), "{}", taken.text());
    let renamed = admin.call_json("update_dataset", &edit("qa/renamed")).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.json()["description"], Value::Null, "a blank description clears it");
    assert_eq!(renamed.json()["metadata"], Value::Null);

    // Deleting takes the items along; Members may not.
    let (status, _) = save_item(&mut member, &id, true, json!({"input": "{\"q\": 1}"})).await;
    assert_eq!(status, 200);
    assert_eq!(member.call("delete_dataset", &[("project_id", "proj-a"), ("dataset_id", &id)]).await.status, 403);
    admin.ok("delete_dataset", &[("project_id", "proj-a"), ("dataset_id", &id)]).await;
    assert_eq!(viewer.call("get_dataset", &[("project_id", "proj-a"), ("dataset_id", &id)]).await.status, 404);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_items WHERE project_id = 'proj-a' AND dataset_id = $1").bind(&id).fetch_one(&api.pool).await.unwrap();
    assert_eq!(left, 0);
    let audited: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE resource_type = 'dataset' ORDER BY id").fetch_all(&api.pool).await.unwrap();
    assert_eq!(audited, vec!["dataset.create", "dataset.create", "dataset.update", "dataset.delete"]);
}

#[tokio::test]
async fn an_edited_item_is_a_new_version_and_runs_name_theirs() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let (_, dataset) = create_dataset(&mut member, "versions", "").await;
    let ds = dataset["id"].as_str().unwrap().to_string();

    let (status, body) = save_item(&mut member, &ds, true, json!({"id": "q1", "input": "{\"q\": \"2+2\"}", "expected_output": "\"4\"", "metadata": "{\"level\": 1}"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ACTIVE");
    let v1 = body["version"].as_str().unwrap().to_string();
    let created_at = body["createdAt"].clone();

    // The same id again, as a new item: refused naming the id; a bad JSON field names its field.
    let (status, body) = save_item(&mut member, &ds, true, json!({"id": "q1", "input": "1"})).await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "id"), "{body}");
    let (status, body) = save_item(&mut member, &ds, false, json!({"id": "q1", "input": "{\"q\": 2+2}"})).await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "input"), "{body}");
    assert!(body.as_str().unwrap().contains("line 1, column 8"), "the position of the `+`: {body}");
    let (status, body) = save_item(&mut member, &ds, false, json!({"id": "q1", "input": "", "expected_output": "1"})).await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "input"), "an item needs an input: {body}");
    let (status, body) = save_item(&mut member, &ds, false, json!({"id": "q1", "input": "1", "expected_output": "\"a\\u0000b\""})).await;
    assert_eq!((status, invalid_field(&body).as_str()), (400, "expectedOutput"), "{body}");
    let (status, _) = save_item(&mut viewer, &ds, false, json!({"id": "q1", "input": "1"})).await;
    assert_eq!(status, 403);

    // Edit: the fields are replaced (a blank one cleared), the id and creation time stay.
    let (status, v2) = save_item(&mut member, &ds, false, json!({"id": "q1", "input": "{\"q\": \"2+3\"}", "expected_output": "\"5\"", "metadata": ""})).await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["expectedOutput"], "5");
    assert_eq!(v2["metadata"], Value::Null, "a blank field clears it");
    assert_eq!(v2["createdAt"], created_at, "the creation time is the item's, not the version's");
    assert_ne!(v2["version"].as_str().unwrap(), v1);

    // Archive: a third version, the content kept; the filter sees it.
    let archived = member.ok("set_dataset_item_archived", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "q1"), ("archived", "true")]).await;
    assert_eq!(archived["status"], "ARCHIVED");
    assert_eq!(archived["input"], json!({"q": "2+3"}));
    assert_eq!(items(&mut viewer, &ds, "ACTIVE").await["total"], 0);
    assert_eq!(items(&mut viewer, &ds, "ARCHIVED").await["total"], 1);
    assert_eq!(items(&mut viewer, &ds, "").await["items"][0]["id"], "q1");
    let bad = viewer.call("list_dataset_items", &[("project_id", "proj-a"), ("dataset_id", &ds), ("status", "archived"), ("page", "0"), ("page_size", "50")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("\"field\":\"status\""), "{}", bad.text());

    // A run used version 2.
    let v2_time: chrono::DateTime<chrono::Utc> = serde_json::from_value(v2["version"].clone()).unwrap();
    sqlx::query("INSERT INTO dataset_runs (project_id, id, dataset_id, name) VALUES ('proj-a', 'run-1', $1, 'baseline')").bind(&ds).execute(&api.pool).await.unwrap();
    sqlx::query("INSERT INTO dataset_run_items (project_id, id, run_id, dataset_item_id, dataset_item_version, trace_id) VALUES ('proj-a', 'ri-1', 'run-1', 'q1', $1, 'trace-of-run')")
        .bind(v2_time)
        .execute(&api.pool)
        .await
        .unwrap();

    let detail = viewer.ok("get_dataset_item", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "q1")]).await;
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{detail}");
    assert_eq!(history[0]["item"]["status"], "ARCHIVED");
    assert_eq!(history[1]["item"]["expectedOutput"], "5");
    assert_eq!(history[2]["item"]["expectedOutput"], "4");
    assert_eq!(history[2]["item"]["metadata"], json!({"level": 1}));
    assert_eq!(history[2]["valid_to"], history[1]["item"]["version"], "each version ends where the next begins");
    assert_eq!(detail["item"]["status"], "ARCHIVED");
    assert_eq!(detail["can_write"], false);
    assert_eq!(detail["runs"][0]["datasetRunName"], "baseline");
    assert_eq!(detail["runs"][0]["datasetItemVersion"], v2["version"], "the run names the version it used");
    let overview = viewer.ok("get_dataset", &[("project_id", "proj-a"), ("dataset_id", &ds)]).await;
    assert_eq!((overview["summary"]["items"].as_i64(), overview["summary"]["runs"].as_i64()), (Some(1), Some(1)));

    // Deleting keeps the history; the item is gone from the list.
    member.ok("delete_dataset_item", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "q1")]).await;
    assert_eq!(items(&mut viewer, &ds, "").await["total"], 0);
    let detail = viewer.ok("get_dataset_item", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "q1")]).await;
    assert_eq!(detail["item"], Value::Null);
    assert_eq!(detail["history"].as_array().unwrap().len(), 4);
    assert_eq!(detail["history"][0]["is_deleted"], true);
    // The item is not reachable through another dataset's id.
    let (_, other) = create_dataset(&mut member, "other", "").await;
    let other = other["id"].as_str().unwrap();
    assert_eq!(viewer.call("get_dataset_item", &[("project_id", "proj-a"), ("dataset_id", other), ("item_id", "q1")]).await.status, 404);
}

#[tokio::test]
async fn an_import_keeps_good_rows_and_reports_bad_ones() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let (_, target) = create_dataset(&mut member, "import-here", "").await;
    let ds = target["id"].as_str().unwrap().to_string();
    let (_, elsewhere) = create_dataset(&mut member, "elsewhere", "").await;
    let elsewhere = elsewhere["id"].as_str().unwrap().to_string();
    let (status, _) = save_item(&mut member, &elsewhere, true, json!({"id": "taken", "input": "1"})).await;
    assert_eq!(status, 200);

    // A CSV as a person writes it: the browser parses and maps it (the same code runs here).
    let csv = "id,question,answer,notes\n,What is 2+2?,4,\"{\"\"source\"\": \"\"quiz\"\"}\"\nimp-1,Capital of France?,Paris,\ntaken,Stolen id?,no,\n,,no question,\n,\"NUL \u{0}here\",x,\n";
    let file = parse_file(FileFormat::Csv, csv).unwrap();
    let mapping = vec![ColumnTarget::Id, ColumnTarget::Input, ColumnTarget::ExpectedOutput, ColumnTarget::Metadata];
    let (rows, problems) = apply_mapping(FileFormat::Csv, &file, &mapping);
    assert_eq!(problems.len(), 1, "the row without a question is left out in the browser: {problems:?}");
    assert_eq!(problems[0].row, 5);
    let response = member.call_json("import_dataset_items", &json!({"project_id": "proj-a", "dataset_id": ds, "rows": rows})).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 0);
    assert_eq!(
        report["failed"],
        json!([
            {"row": 4, "field": "id", "problem": {"IdInOtherDataset": "elsewhere"}},
            {"row": 6, "field": "input", "problem": "NulCharacter"},
        ])
    );
    let listed = items(&mut member, &ds, "").await;
    assert_eq!(listed["total"], 2);
    let by_id = |id: &str| listed["items"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned();
    assert_eq!(by_id("imp-1").unwrap()["expectedOutput"], "Paris");
    let fresh = listed["items"].as_array().unwrap().iter().find(|i| i["id"] != "imp-1").unwrap();
    assert_eq!(fresh["input"], "What is 2+2?");
    assert_eq!(fresh["metadata"], json!({"source": "quiz"}), "a JSON cell is parsed");

    // The same id again is a new version of that item; no input is refused by the server too.
    let again = json!({"project_id": "proj-a", "dataset_id": ds, "rows": [
        {"row": 2, "id": "imp-1", "input": "Capital of France?", "expected_output": "Paris, France", "metadata": null},
        {"row": 3, "id": null, "input": null, "expected_output": "x", "metadata": null},
    ]});
    let report = member.call_json("import_dataset_items", &again).await.json();
    assert_eq!((report["created"].as_i64(), report["updated"].as_i64()), (Some(0), Some(1)), "{report}");
    assert_eq!(report["failed"], json!([{"row": 3, "field": "input", "problem": "EmptyInput"}]));
    let detail = member.ok("get_dataset_item", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "imp-1")]).await;
    assert_eq!(detail["history"].as_array().unwrap().len(), 2);
    assert_eq!(detail["item"]["expectedOutput"], "Paris, France");

    // Bounds: nothing, or more than the maximum, is refused as a whole.
    let none = member.call_json("import_dataset_items", &json!({"project_id": "proj-a", "dataset_id": ds, "rows": []})).await;
    assert_eq!(none.status, 400);
    let many: Vec<Value> = (0..10_001).map(|n| json!({"row": n, "id": null, "input": "x", "expected_output": null, "metadata": null})).collect();
    let too_many = member.call_json("import_dataset_items", &json!({"project_id": "proj-a", "dataset_id": ds, "rows": many})).await;
    assert!(too_many.status == 400 || too_many.status == 413, "{}", too_many.status);
    assert_eq!(items(&mut member, &ds, "").await["total"], 2, "nothing of a refused import is kept");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'dataset_item.import'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn an_import_reports_rows_failing_the_datasets_schema_and_keeps_the_rest() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let (_, target) = create_dataset(&mut member, "with-schema", "").await;
    let ds = target["id"].as_str().unwrap().to_string();
    let (status, _) = save_item(&mut member, &ds, true, json!({"id": "kept", "input": "{\"q\": \"old\"}"})).await;
    assert_eq!(status, 200);
    sqlx::query("UPDATE datasets SET input_schema = '{\"type\": \"object\", \"required\": [\"q\"]}' WHERE id = $1")
        .bind(&ds)
        .execute(&api.pool)
        .await
        .unwrap();
    let rows = json!([
        {"row": 2, "id": null, "input": {"q": "fine"}, "expected_output": null, "metadata": null},
        {"row": 3, "id": null, "input": "not an object", "expected_output": null, "metadata": null},
        {"row": 4, "id": "kept", "input": {"other": 1}, "expected_output": null, "metadata": null},
    ]);
    let response = member.call_json("import_dataset_items", &json!({"project_id": "proj-a", "dataset_id": ds, "rows": rows})).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!((report["created"].as_i64(), report["updated"].as_i64()), (Some(1), Some(0)), "{report}");
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2, "{report}");
    assert_eq!((failed[0]["row"].as_i64(), failed[0]["field"].as_str()), (Some(3), Some("input")));
    assert_eq!(failed[0]["problem"]["Schema"]["pointer"], "", "the whole value fails");
    assert_eq!((failed[1]["row"].as_i64(), failed[1]["field"].as_str()), (Some(4), Some("input")));
    assert!(failed[1]["problem"]["Schema"]["message"].as_str().unwrap().contains("\"q\""), "{report}");
    assert_eq!(items(&mut member, &ds, "").await["total"], 2, "the good row is kept beside the refused ones");
    let kept = member.ok("get_dataset_item", &[("project_id", "proj-a"), ("dataset_id", &ds), ("item_id", "kept")]).await;
    assert_eq!(kept["item"]["input"], json!({"q": "old"}), "the refused upsert left the item as it was");
}

#[tokio::test]
async fn an_export_reads_back_as_the_same_items() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let (_, dataset) = create_dataset(&mut member, "export-me", "").await;
    let ds = dataset["id"].as_str().unwrap().to_string();
    for (id, input, expected) in [("e1", "{\"q\": \"a, \\\"quoted\\\"\\nline\"}", "\"plain\""), ("e2", "\"{not json}\"", "[1, 2]"), ("e3", "42", "")] {
        let (status, body) = save_item(&mut member, &ds, true, json!({"id": id, "input": input, "expected_output": expected})).await;
        assert_eq!(status, 200, "{body}");
    }
    // The export's calls: pages of at most 1000; a bigger page is refused naming the field.
    let page = items(&mut member, &ds, "").await;
    assert_eq!(page["total"], 3);
    let too_big = member.call("list_dataset_items", &[("project_id", "proj-a"), ("dataset_id", &ds), ("status", ""), ("page", "0"), ("page_size", "1001")]).await;
    assert_eq!(too_big.status, 400);
    assert!(too_big.text().contains("page_size"), "{}", too_big.text());
    let exported: Vec<DatasetItem> = serde_json::from_value(page["items"].clone()).unwrap();

    let csv = to_csv(&exported);
    assert_eq!(csv.lines().count(), 4, "a header and one line per item (the newline inside is escaped JSON): {csv}");
    let file = parse_file(FileFormat::Csv, &csv).unwrap();
    let (rows, problems) = apply_mapping(FileFormat::Csv, &file, &ColumnTarget::guess_all(&file.columns));
    assert!(problems.is_empty(), "{problems:?}");
    let row = |id: &str| rows.iter().find(|r| r.id.as_deref() == Some(id)).unwrap().clone();
    assert_eq!(row("e1").input, json!({"q": "a, \"quoted\"\nline"}));
    assert_eq!(row("e1").expected_output, Some(json!("plain")));
    assert_eq!(row("e2").input, json!("{not json}"), "a string that looks like JSON stays a string");
    assert_eq!(row("e2").expected_output, Some(json!([1, 2])));
    assert_eq!(row("e3").expected_output, None);

    let jsonl = to_jsonl(&exported);
    let file = parse_file(FileFormat::Jsonl, &jsonl).unwrap();
    let (rows, _) = apply_mapping(FileFormat::Jsonl, &file, &ColumnTarget::guess_all(&file.columns));
    assert_eq!(rows.iter().find(|r| r.id.as_deref() == Some("e3")).unwrap().input, json!(42), "JSONL keeps numbers");
    // Importing the export again makes a new version of each item, nothing new.
    let report = member.call_json("import_dataset_items", &json!({"project_id": "proj-a", "dataset_id": ds, "rows": rows})).await.json();
    assert_eq!((report["created"].as_i64(), report["updated"].as_i64()), (Some(0), Some(3)), "{report}");
}

#[tokio::test]
async fn traces_and_observations_become_items() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-12-01T10:00:00Z",
            "body": {"id": "t1", "name": "answer", "timestamp": "2026-12-01T10:00:00Z", "input": {"question": "Refunds?"}, "output": "30 days", "metadata": {"tier": "gold"}}},
        {"id": "e2", "type": "trace-create", "timestamp": "2026-12-01T10:00:00Z",
            "body": {"id": "t2", "name": "answer", "timestamp": "2026-12-01T10:00:00Z", "input": "hi"}},
        {"id": "e3", "type": "generation-create", "timestamp": "2026-12-01T10:00:00Z",
            "body": {"id": "g1", "traceId": "t1", "name": "llm", "startTime": "2026-12-01T10:00:00Z", "input": [{"role": "user", "content": "Refunds?"}], "output": {"role": "assistant", "content": "30 days"}}}
    ]});
    let response = api.call("POST", "/api/public/ingestion", Some(batch)).await;
    assert!(response.status.is_success(), "{}", response.text());
    let (_, dataset) = create_dataset(&mut member, "from-traces", "").await;
    let ds = dataset["id"].as_str().unwrap().to_string();

    // The bulk action: one item per trace; an unknown trace id is skipped.
    let add = |ids: Value| json!({"project_id": "proj-a", "dataset_id": ds, "trace_ids": ids});
    assert_eq!(viewer.call_json("add_traces_to_dataset", &add(json!(["t1"]))).await.status, 403);
    let added = member.call_json("add_traces_to_dataset", &add(json!(["t1", "t2", "t1", "nope"]))).await;
    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(added.json(), 2);
    assert_eq!(member.call_json("add_traces_to_dataset", &add(json!([]))).await.status, 400);
    let listed = items(&mut member, &ds, "").await;
    let from = |trace: &str| listed["items"].as_array().unwrap().iter().find(|i| i["sourceTraceId"] == trace).cloned().unwrap();
    assert_eq!(from("t1")["input"], json!({"question": "Refunds?"}));
    assert_eq!(from("t1")["expectedOutput"], "30 days");
    assert_eq!(from("t1")["metadata"], json!({"tier": "gold"}));
    assert_eq!(from("t2")["expectedOutput"], Value::Null);
    assert_eq!(from("t2")["metadata"], Value::Null, "empty trace metadata is no metadata");

    // The trace page's form starts from the trace or the observation, and keeps both ids.
    let draft = viewer.ok("dataset_item_draft", &[("project_id", "proj-a"), ("trace_id", "t1"), ("observation_id", "g1")]).await;
    assert_eq!(draft["input"], json!([{"role": "user", "content": "Refunds?"}]));
    assert_eq!(draft["expected_output"], json!({"role": "assistant", "content": "30 days"}));
    let draft = viewer.ok("dataset_item_draft", &[("project_id", "proj-a"), ("trace_id", "t1")]).await;
    assert_eq!(draft["expected_output"], "30 days");
    assert_eq!(viewer.call("dataset_item_draft", &[("project_id", "proj-a"), ("trace_id", "t2"), ("observation_id", "g1")]).await.status, 404);
    let (status, saved) = save_item(&mut member, &ds, true, json!({"input": "{\"question\": \"Refunds, edited?\"}", "expected_output": "\"30 days\"",
        "source_trace_id": "t1", "source_observation_id": "g1"})).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["sourceObservationId"], "g1");
    assert_eq!(saved["sourceTraceId"], "t1");
    let names = viewer.ok("list_dataset_names", &[("project_id", "proj-a")]).await;
    assert_eq!(names, json!([[ds, "from-traces"]]));
    let audited: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'dataset_item.%' ORDER BY id").fetch_all(&api.pool).await.unwrap();
    assert_eq!(audited, vec!["dataset_item.add_traces", "dataset_item.create"]);
}
