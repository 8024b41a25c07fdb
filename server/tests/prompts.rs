//! Prompt management (docs/COMPATIBILITY.md §5) on a real Postgres: versions, labels, tags, chat
//! prompts, composability, the list, deletion, bad input (nothing partially saved), linking of
//! generations, per-version metrics, the audit log, concurrency, and the UI's server functions
//! (protected labels, roles).

use crate::common;

use axum::http::StatusCode;
use common::ui::Browser;
use common::{TestApi, TestResponse};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

async fn create(api: &TestApi, body: Value) -> Value {
    let response = api.call("POST", "/api/public/v2/prompts", Some(body.clone())).await;
    assert_eq!(response.status, StatusCode::CREATED, "{body}: {}", response.text());
    response.json()
}

async fn get(api: &TestApi, path: &str) -> TestResponse {
    api.call("GET", &format!("/api/public/v2/prompts/{path}"), None).await
}

async fn get_ok(api: &TestApi, path: &str) -> Value {
    let response = get(api, path).await;
    assert_eq!(response.status, StatusCode::OK, "GET {path}: {}", response.text());
    response.json()
}

fn assert_bad(response: &TestResponse, needle: &str) {
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.text());
    let message = response.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains(needle), "message {message:?} should mention {needle:?}");
}

fn assert_not_found(response: &TestResponse, message: &str) {
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.text());
    assert_eq!(response.json(), json!({"message": message, "error": "LangfuseNotFoundError"}));
}

async fn versions(api: &TestApi, name: &str) -> Vec<(i32, Vec<String>)> {
    sqlx::query_as("SELECT version, ARRAY(SELECT l FROM unnest(labels) AS l ORDER BY l) FROM prompts WHERE project_id = $1 AND name = $2 ORDER BY version")
        .bind(&api.project_id)
        .bind(name)
        .fetch_all(&api.pool)
        .await
        .unwrap()
}

fn labels(value: &Value) -> Vec<&str> {
    value["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_seed_workflow_versions_and_labels() {
    let api = TestApi::new().await;
    let text = "作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》";
    let v1 = create(
        &api,
        json!({"name": "movie-critic", "prompt": text, "labels": ["production"], "config": {"model": "gpt-4", "temperature": 0.7}, "commitMessage": "first"}),
    )
    .await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["type"], "text");
    assert_eq!(v1["prompt"], text);
    assert_eq!(v1["createdBy"], "API");
    assert_eq!(v1["projectId"], "proj-a");
    assert_eq!(labels(&v1), ["production", "latest"]);
    assert_eq!(v1["tags"], json!([]));
    assert_eq!(v1["config"], json!({"model": "gpt-4", "temperature": 0.7}));
    assert_eq!(v1["commitMessage"], "first");

    // No query → production; by version; by label latest.
    let fetched = get_ok(&api, "movie-critic").await;
    assert_eq!((fetched["version"].as_i64(), fetched["isActive"].as_bool()), (Some(1), Some(true)));
    assert_eq!(fetched["resolutionGraph"], Value::Null);
    for key in ["id", "createdAt", "updatedAt", "projectId", "createdBy", "prompt", "name", "version", "type", "config", "labels", "tags", "commitMessage"] {
        assert!(fetched.get(key).is_some(), "missing {key}: {fetched}");
    }
    assert_eq!(get_ok(&api, "movie-critic?version=1").await["id"], v1["id"]);
    assert_eq!(get_ok(&api, "movie-critic?label=latest").await["id"], v1["id"]);

    // Version 2 takes `latest` (and `staging`); production stays on 1; tags omitted are kept.
    let v2 = create(&api, json!({"name": "movie-critic", "prompt": "v2 {{movie_name}}", "labels": ["staging"], "tags": ["movies"]})).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(labels(&v2), ["latest", "staging"]);
    assert_eq!(versions(&api, "movie-critic").await, vec![(1, vec!["production".to_string()]), (2, vec!["latest".into(), "staging".into()])]);
    assert_eq!(get_ok(&api, "movie-critic").await["version"], 1);
    assert_eq!(get_ok(&api, "movie-critic?label=latest").await["version"], 2);
    // Tags belong to the name: given on v2, every version shows them; omitted on v3, kept.
    assert_eq!(get_ok(&api, "movie-critic?version=1").await["tags"], json!(["movies"]));
    let v3 = create(&api, json!({"name": "movie-critic", "prompt": "v3"})).await;
    assert_eq!(v3["tags"], json!(["movies"]));

    // PATCH adds labels, taking them from the version that held them.
    let patched = api.call("PATCH", "/api/public/v2/prompts/movie-critic/versions/2", Some(json!({"newLabels": ["production"]}))).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    assert_eq!(labels(&patched.json()), ["production", "staging"]);
    assert_eq!(get_ok(&api, "movie-critic").await["version"], 2);
    assert!(labels(&get_ok(&api, "movie-critic?version=1").await).is_empty());
    // A label is held by one version at a time, whatever the sequence.
    let holders: i64 = sqlx::query_scalar("SELECT count(*) FROM prompts WHERE project_id = 'proj-a' AND 'production' = ANY(labels)")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(holders, 1);

    // `latest` by hand, a missing version, a missing label.
    assert_bad(
        &api.call("PATCH", "/api/public/v2/prompts/movie-critic/versions/1", Some(json!({"newLabels": ["latest"]}))).await,
        "Label 'latest' is always assigned to the latest prompt version",
    );
    assert_not_found(
        &api.call("PATCH", "/api/public/v2/prompts/movie-critic/versions/9", Some(json!({"newLabels": ["x"]}))).await,
        "Prompt not found: 'movie-critic' with version 9",
    );
    assert_not_found(&get(&api, "movie-critic?label=nope").await, "Prompt not found: 'movie-critic' with label 'nope'");
    assert_not_found(&get(&api, "does-not-exist").await, "Prompt not found: 'does-not-exist' with label 'production'");
    assert_bad(&get(&api, "movie-critic?label=x&version=1").await, "not both");
    assert_bad(&get(&api, "movie-critic?version=zero").await, "version");

    // Another project's key sees none of it.
    let b = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    assert_not_found(&get(&b, "movie-critic").await, "Prompt not found: 'movie-critic' with label 'production'");
    assert_eq!(b.call("GET", "/api/public/v2/prompts", None).await.json()["data"], json!([]));

    // Every change is in the audit log, by the key.
    let actions: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_api_key_id FROM audit_log WHERE project_id = 'proj-a' AND resource_type = 'prompt' ORDER BY id",
    )
    .fetch_all(&api.pool)
    .await
    .unwrap();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["prompt.create", "prompt.create", "prompt.create", "prompt.label_move"]);
    assert!(actions.iter().all(|(_, key)| key.is_some()), "written by the API key: {actions:?}");
}

#[tokio::test]
async fn chat_prompts_with_placeholders_and_type_rules() {
    let api = TestApi::new().await;
    let prompt = json!([
        {"role": "system", "content": "You are a {{criticlevel}} critic"},
        {"type": "placeholder", "name": "history"},
        {"type": "chatmessage", "role": "user", "content": "Rate {{movie}}"}
    ]);
    let created = create(&api, json!({"name": "chat-critic", "type": "chat", "prompt": prompt, "labels": ["production"]})).await;
    assert_eq!(created["type"], "chat");
    // The JS SDK's `"type": "chatmessage"` is accepted and dropped.
    let expected = json!([
        {"role": "system", "content": "You are a {{criticlevel}} critic"},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "Rate {{movie}}"}
    ]);
    assert_eq!(created["prompt"], expected);
    assert_eq!(get_ok(&api, "chat-critic").await["prompt"], expected);

    // A new version keeps the type.
    let response = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "chat-critic", "prompt": "text now"}))).await;
    assert_bad(&response, "chat prompt");
    assert_eq!(versions(&api, "chat-critic").await.len(), 1, "nothing saved");
}

#[tokio::test]
async fn bad_input_is_refused_by_field_and_nothing_is_saved() {
    let api = TestApi::new().await;
    create(&api, json!({"name": "base", "prompt": "Base"})).await;
    create(&api, json!({"name": "chat", "type": "chat", "prompt": [{"role": "user", "content": "x"}]})).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": "x", "type": "image", "prompt": "p"}), "type: expected \"text\" or \"chat\""),
        (json!({"name": "x", "type": "chat", "prompt": [{"role": "user", "content": "a"}, {"content": "b"}]}), "prompt[1].role"),
        (json!({"name": "x", "type": "chat", "prompt": "not a list"}), "prompt: a chat prompt is an array"),
        (json!({"name": "x", "prompt": [{"role": "user", "content": "a"}]}), "\"type\": \"chat\""),
        (json!({"name": "x", "prompt": "p", "config": "not json object"}), "config"),
        (json!({"name": "x", "prompt": "p", "config": [1, 2]}), "config"),
        (json!({"name": "a|b", "prompt": "p"}), "name"),
        (json!({"name": "<b>x</b>", "prompt": "p"}), "name"),
        (json!({"name": "a//b", "prompt": "p"}), "name"),
        (json!({"name": "new", "prompt": "p"}), "reserved"),
        (json!({"name": "", "prompt": "p"}), "name"),
        (json!({"prompt": "p"}), "name: missing"),
        (json!({"name": "x"}), "prompt: missing"),
        (json!({"name": "x", "prompt": "p", "labels": ["Production"]}), "labels[0]"),
        (json!({"name": "x", "prompt": "p", "labels": "production"}), "labels: expected an array"),
        (json!({"name": "x", "prompt": "p", "commitMessage": "m".repeat(501)}), "commitMessage"),
        (json!({"name": "x", "type": "chat", "prompt": [{"type": "placeholder", "name": "9lives"}]}), "prompt[0].name"),
        (json!({"name": "x", "type": "chat", "prompt": [{"role": "user", "content": "{{h}}"}, {"type": "placeholder", "name": "h"}]}), "both a variable and a placeholder"),
        (json!({"name": "x", "prompt": "@@@langfusePrompt:name=missing|label=production@@@"}), "does not exist"),
        (json!({"name": "x", "prompt": "@@@langfusePrompt:name=chat|version=1@@@"}), "chat prompt"),
        (json!({"name": "x", "prompt": "@@@langfusePrompt:name=x|version=1@@@"}), "cycle"),
        (json!({"name": "x", "prompt": "@@@langfusePrompt:name=base|version=2@@@"}), "does not exist"),
    ];
    for (body, needle) in cases {
        let response = api.call("POST", "/api/public/v2/prompts", Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}: {}", response.text());
        let message = response.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(needle), "{body}: {message:?} should mention {needle:?}");
    }
    let response = api
        .send(
            axum::http::Request::builder()
                .method("POST")
                .uri("/api/public/v2/prompts")
                .header("authorization", api.basic_auth())
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_bad(&response, "JSON");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM prompts").fetch_one(&api.pool).await.unwrap();
    assert_eq!(count, 2, "only the two seeded prompts exist");
    let dependencies: i64 = sqlx::query_scalar("SELECT count(*) FROM prompt_dependencies").fetch_one(&api.pool).await.unwrap();
    assert_eq!(dependencies, 0);
    // Bearer (public key only) is not enough for prompts.
    let response = api
        .send(
            axum::http::Request::builder()
                .uri("/api/public/v2/prompts/base")
                .header("authorization", format!("Bearer {}", api.public_key))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn composed_prompts_resolve_on_read_with_their_graph() {
    let api = TestApi::new().await;
    let base = create(&api, json!({"name": "shared/tone", "prompt": "Be kind.", "labels": ["production"]})).await;
    let inner = create(&api, json!({"name": "inner", "prompt": "Inner [@@@langfusePrompt:name=shared/tone|label=production@@@]"})).await;
    let composite = create(
        &api,
        json!({"name": "composite", "type": "chat", "labels": ["production"], "prompt": [
            {"role": "system", "content": "@@@langfusePrompt:name=inner|version=1@@@ and @@@langfusePrompt:name=shared/tone|label=production@@@"},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "Hi @@@langfusePrompt:name=bad|x=1@@@"}
        ]}),
    )
    .await;
    let fetched = get_ok(&api, "composite").await;
    assert_eq!(fetched["prompt"][0]["content"], "Inner [Be kind.] and Be kind.");
    assert_eq!(fetched["prompt"][1], json!({"type": "placeholder", "name": "history"}));
    // A malformed tag is left as text.
    assert_eq!(fetched["prompt"][2]["content"], "Hi @@@langfusePrompt:name=bad|x=1@@@");
    let graph = &fetched["resolutionGraph"];
    assert_eq!(graph["root"], json!({"id": composite["id"], "name": "composite", "version": 1}));
    let tone = json!({"id": base["id"], "name": "shared/tone", "version": 1});
    assert_eq!(graph["dependencies"][composite["id"].as_str().unwrap()], json!([{"id": inner["id"], "name": "inner", "version": 1}, tone]));
    assert_eq!(graph["dependencies"][inner["id"].as_str().unwrap()], json!([tone]));
    // resolve=false: the raw tags, no graph.
    let raw = get_ok(&api, "composite?resolve=false").await;
    assert_eq!(raw["prompt"][0]["content"], "@@@langfusePrompt:name=inner|version=1@@@ and @@@langfusePrompt:name=shared/tone|label=production@@@");
    assert_eq!(raw["resolutionGraph"], Value::Null);

    // Resolution follows the label when it moves.
    create(&api, json!({"name": "shared/tone", "prompt": "Be brief.", "labels": ["production"]})).await;
    assert_eq!(get_ok(&api, "composite").await["prompt"][0]["content"], "Inner [Be brief.] and Be brief.");

    // A cycle through another prompt is refused: tone → composite-text → tone.
    create(&api, json!({"name": "outer", "prompt": "O @@@langfusePrompt:name=shared/tone|label=latest@@@"})).await;
    let response = api
        .call("POST", "/api/public/v2/prompts", Some(json!({"name": "shared/tone", "prompt": "@@@langfusePrompt:name=outer|label=latest@@@"})))
        .await;
    assert_bad(&response, "cycle");
    assert_eq!(versions(&api, "shared/tone").await.len(), 2, "the cyclic version was not saved");

    // Depth: a chain of 6 nested references is too deep, 5 is fine.
    create(&api, json!({"name": "d0", "prompt": "leaf"})).await;
    for i in 1..=5 {
        create(&api, json!({"name": format!("d{i}"), "prompt": format!("@@@langfusePrompt:name=d{}|version=1@@@", i - 1)})).await;
    }
    assert_eq!(get_ok(&api, "d5?label=latest").await["prompt"], "leaf");
    let response = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "d6", "prompt": "@@@langfusePrompt:name=d5|version=1@@@"}))).await;
    assert_bad(&response, "more than 5 levels");

    // What others reference cannot be taken away.
    let response = api.call("DELETE", "/api/public/v2/prompts/inner", None).await;
    assert_bad(&response, "\"composite\" version 1");
    let response = api.call("DELETE", "/api/public/v2/prompts/shared%2Ftone?label=production", None).await;
    assert_bad(&response, "composite");
    assert_eq!(versions(&api, "inner").await.len(), 1);
}

#[tokio::test]
async fn list_filters_folders_pagination_and_deletion() {
    let api = TestApi::new().await;
    for i in 0..12 {
        create(&api, json!({"name": format!("p{i:02}"), "prompt": "x", "tags": if i % 2 == 0 { json!(["even"]) } else { json!(["odd"]) }})).await;
    }
    create(&api, json!({"name": "team/reviewer", "prompt": "v1", "labels": ["production"], "config": {"a": 1}})).await;
    create(&api, json!({"name": "team/reviewer", "prompt": "v2", "labels": ["staging"], "config": {"a": 2}})).await;

    let page = api.call("GET", "/api/public/v2/prompts", None).await.json();
    assert_eq!(page["meta"], json!({"page": 1, "limit": 10, "totalItems": 13, "totalPages": 2}));
    assert_eq!(page["pagination"], page["meta"]);
    assert_eq!(page["data"].as_array().unwrap().len(), 10);
    let page2 = api.call("GET", "/api/public/v2/prompts?page=2", None).await.json();
    let names: Vec<&str> = page2["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["p10", "p11", "team/reviewer"]);
    let reviewer = &page2["data"][2];
    assert_eq!(reviewer["versions"], json!([2, 1]));
    assert_eq!(reviewer["labels"], json!(["production", "latest", "staging"]));
    assert_eq!(reviewer["lastConfig"], json!({"a": 2}));
    assert_eq!(reviewer["type"], "text");

    let filtered = |q: &'static str| {
        let api = &api;
        async move {
            let page = api.call("GET", &format!("/api/public/v2/prompts?{q}"), None).await.json();
            page["data"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap().to_string(), p["versions"].clone())).collect::<Vec<_>>()
        }
    };
    assert_eq!(filtered("label=production").await, vec![("team/reviewer".to_string(), json!([1]))]);
    assert_eq!(filtered("name=team/reviewer&version=2").await, vec![("team/reviewer".to_string(), json!([2]))]);
    assert_eq!(filtered("tag=odd&limit=100").await.len(), 6);
    assert_eq!(filtered("fromUpdatedAt=2999-01-01T00:00:00Z").await.len(), 0);
    assert_bad(&api.call("GET", "/api/public/v2/prompts?limit=101", None).await, "limit");

    // Folder names travel URL-encoded.
    assert_eq!(get_ok(&api, "team%2Freviewer").await["prompt"], "v1");
    let patched = api.call("PATCH", "/api/public/v2/prompts/team%2Freviewer/versions/2", Some(json!({"newLabels": ["production"]}))).await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(get_ok(&api, "team%2Freviewer").await["prompt"], "v2");

    // ... and unencoded, as the 2.x Python SDK sends them.
    assert_eq!(get_ok(&api, "team/reviewer?version=1").await["prompt"], "v1");
    let patched = api.call("PATCH", "/api/public/v2/prompts/team/reviewer/versions/1", Some(json!({"newLabels": ["staging"]}))).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    assert_eq!(get_ok(&api, "team/reviewer?label=staging").await["version"], 1);
    assert_not_found(&get(&api, "team/nobody").await, "Prompt not found: 'team/nobody' with label 'production'");

    // Deleting the newest version moves `latest` back; deleting all → 404 afterwards.
    assert_eq!(api.call("DELETE", "/api/public/v2/prompts/team%2Freviewer?version=2", None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(versions(&api, "team/reviewer").await, vec![(1, vec!["latest".to_string(), "staging".to_string()])]);
    assert_not_found(&api.call("DELETE", "/api/public/v2/prompts/team%2Freviewer?version=2", None).await, "Prompt not found: 'team/reviewer' with version 2");
    assert_eq!(api.call("DELETE", "/api/public/v2/prompts/team%2Freviewer", None).await.status, StatusCode::NO_CONTENT);
    assert_not_found(&get(&api, "team%2Freviewer?label=latest").await, "Prompt not found: 'team/reviewer' with label 'latest'");
    assert_eq!(api.call("DELETE", "/api/public/v2/prompts/p00?label=latest", None).await.status, StatusCode::NO_CONTENT);
    assert!(versions(&api, "p00").await.is_empty());
}

#[tokio::test]
async fn the_v1_routes_of_older_sdks() {
    let api = TestApi::new().await;
    let response = api.call("POST", "/api/public/prompts", Some(json!({"name": "legacy", "prompt": "Hi {{x}}", "isActive": true}))).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    assert_eq!(labels(&response.json()), ["production", "latest"]);
    let fetched = api.call("GET", "/api/public/prompts?name=legacy", None).await;
    assert_eq!(fetched.json()["isActive"], true);
    assert_eq!(api.call("GET", "/api/public/prompts?name=legacy&version=1", None).await.json()["version"], 1);
    assert_eq!(api.call("GET", "/api/public/prompts?name=nope", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_versions_of_one_name_are_numbered_without_gaps() {
    let api = TestApi::new().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let api = TestApi { pool: api.pool.clone(), project_id: api.project_id.clone(), project: api.project.clone(), public_key: api.public_key.clone(), secret_key: api.secret_key.clone() };
        tasks.push(tokio::spawn(async move {
            let labels = if i % 3 == 0 { json!(["production"]) } else { json!([]) };
            api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "busy", "prompt": format!("v{i}"), "labels": labels}))).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    let stored = versions(&api, "busy").await;
    assert_eq!(stored.iter().map(|(v, _)| *v).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>());
    let holders = |label: &str| stored.iter().filter(|(_, l)| l.iter().any(|x| x == label)).map(|(v, _)| *v).collect::<Vec<_>>();
    assert_eq!(holders("latest"), vec![12]);
    assert_eq!(holders("production").len(), 1);
}

#[tokio::test]
async fn generations_link_to_their_prompt_version_and_feed_its_metrics() {
    let api = TestApi::new().await;
    let v1 = create(&api, json!({"name": "linked", "prompt": "v1", "labels": ["production"]})).await;
    let v2 = create(&api, json!({"name": "linked", "prompt": "v2"})).await;
    let generation = |id: &str, version: i64, seconds: i64, tokens: i64| {
        json!({"id": format!("e-{id}"), "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {
            "id": id, "traceId": format!("t-{id}"), "name": "gen", "model": "gpt-4o",
            "startTime": "2026-01-01T00:00:00Z", "endTime": format!("2026-01-01T00:00:{seconds:02}Z"),
            "promptName": "linked", "promptVersion": version,
            "usage": {"input": tokens, "output": tokens, "total": tokens * 2}}})
    };
    let batch = json!({"batch": [
        generation("g1", 1, 1, 10), generation("g2", 1, 3, 20), generation("g3", 2, 2, 5),
        {"id": "e-s1", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s1", "traceId": "t-g1", "observationId": "g1", "name": "quality", "value": 1.0}},
        {"id": "e-s2", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s2", "traceId": "t-g2", "observationId": "g2", "name": "quality", "value": 0.5}},
        {"id": "e-s3", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "s3", "traceId": "t-g3", "name": "thumbs", "value": 0.0}}
    ]});
    let response = api.call("POST", "/api/public/ingestion", Some(batch)).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    assert!(response.json()["errors"].as_array().unwrap().is_empty(), "{}", response.text());

    let observation = api.call("GET", "/api/public/observations/g1", None).await.json();
    assert_eq!(observation["promptId"], v1["id"]);
    assert_eq!(observation["promptName"], "linked");
    assert_eq!(api.call("GET", "/api/public/observations/g3", None).await.json()["promptId"], v2["id"]);

    let metrics = loupe_core::store::prompts::metrics(&api.pool, &api.project, "linked").await.unwrap();
    assert_eq!(metrics.iter().map(|m| (m.version, m.generations)).collect::<Vec<_>>(), vec![(2, 1), (1, 2)]);
    let m1 = &metrics[1];
    assert_eq!((m1.latency_p50, m1.input_tokens, m1.output_tokens, m1.total_tokens), (Some(2.0), 30, 30, 60));
    assert!(m1.latency_p95.unwrap() > 2.8 && m1.latency_p95.unwrap() <= 3.0);
    assert_eq!(m1.scores.len(), 1);
    assert_eq!((m1.scores[0].name.as_str(), m1.scores[0].level.as_str(), m1.scores[0].average, m1.scores[0].count), ("quality", "observation", 0.75, 2));
    let m2 = &metrics[0];
    assert_eq!(m2.scores.iter().map(|s| (s.name.as_str(), s.level.as_str(), s.average)).collect::<Vec<_>>(), vec![("thumbs", "trace", 0.0)]);
    assert!(metrics.iter().all(|m| m.total_cost > 0.0), "gpt-4o is priced: {metrics:?}");
    // Usage counts per name for the list.
    let usage = loupe_core::store::prompts::usage(&api.pool, &api.project, &["linked".to_string(), "other".to_string()]).await.unwrap();
    assert_eq!(usage.get("linked"), Some(&3));
    assert_eq!(usage.get("other"), None);
}

#[tokio::test]
async fn the_ui_server_functions_follow_roles_and_protected_labels() {
    let api = TestApi::new().await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let new = |name: &str, prompt: Value, labels: Value| json!({"project_id": "proj-a", "prompt": {"name": name, "prompt": prompt, "labels": labels, "config": {"temperature": 0.2}}});

    let created = member.call_json("create_prompt_version", &new("ui/critic", json!("Hello {{name}}"), json!(["staging"]))).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let created = created.json();
    assert_eq!(created["version"], 1);
    assert_eq!(created["author"], "member@example.com");
    assert_eq!(created["config"], json!({"temperature": 0.2}));
    // The version is visible to the SDKs at once.
    assert_eq!(get_ok(&api, "ui%2Fcritic?label=staging").await["prompt"], "Hello {{name}}");

    // Bad input is named by field.
    let bad = member.call_json("create_prompt_version", &new("ui/critic", json!([{"role": "user", "content": "x"}]), json!([]))).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("\"field\":\"type\""), "{}", bad.text());
    let bad = member.call_json("create_prompt_version", &new("a|b", json!("x"), json!([]))).await;
    assert!(bad.text().contains("\"field\":\"name\""), "{}", bad.text());

    // Viewers cannot write.
    let refused = viewer.call_json("create_prompt_version", &new("ui/critic", json!("v"), json!([]))).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(viewer.call("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1"), ("label", "x")]).await.status, 403);
    assert_eq!(viewer.ok("get_prompt_history", &[("project_id", "proj-a"), ("name", "ui/critic")]).await["can_write"], false);

    // Protected labels: only Admins set them, and then only Admins move those labels.
    assert_eq!(member.call("set_protected_prompt_labels", &[("project_id", "proj-a"), ("labels[0]", "production")]).await.status, 403);
    assert_eq!(admin.ok("set_protected_prompt_labels", &[("project_id", "proj-a"), ("labels[0]", "production")]).await, json!(["production"]));
    let refused = member.call("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1"), ("label", "production")]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("protected"));
    let refused = member.call_json("create_prompt_version", &new("ui/critic", json!("v2"), json!(["production"]))).await;
    assert_eq!(refused.status, 403);
    assert_eq!(versions(&api, "ui/critic").await.len(), 1, "nothing saved");
    let moved = admin.ok("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1"), ("label", "production")]).await;
    assert_eq!(moved["labels"], json!(["production", "latest", "staging"]));
    // Unprotected labels stay open to Members; `latest` to nobody.
    let v2 = member.call_json("create_prompt_version", &new("ui/critic", json!("Hello again {{name}}"), json!([]))).await;
    assert_eq!(v2.status, 200, "{}", v2.text());
    let moved = member.ok("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "2"), ("label", "staging")]).await;
    assert_eq!(moved["labels"], json!(["latest", "staging"]));
    let refused = member.call("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1"), ("label", "latest")]).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let removed = member
        .ok("set_prompt_label", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "2"), ("label", "staging"), ("remove", "true")])
        .await;
    assert_eq!(removed["labels"], json!(["latest"]));

    let history = member.ok("get_prompt_history", &[("project_id", "proj-a"), ("name", "ui/critic")]).await;
    assert_eq!(history["versions"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history["protected_labels"], json!(["production"]));
    assert_eq!((history["can_write"].as_bool(), history["can_move_protected"].as_bool()), (Some(true), Some(false)));
    let resolved = member.ok("resolve_prompt_version", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "2")]).await;
    assert_eq!(resolved["prompt"], "Hello again {{name}}");
    assert_eq!(member.ok("get_prompt_metrics", &[("project_id", "proj-a"), ("name", "ui/critic")]).await, json!([]));

    // The list: folders at the top, the prompt inside.
    let top = member.ok("list_prompts", &[("project_id", "proj-a")]).await;
    assert_eq!(top["entries"], json!([{"Folder": {"path": "ui", "prompts": 1}}]));
    let inside = member.ok("list_prompts", &[("project_id", "proj-a"), ("folder", "ui")]).await;
    let row = &inside["entries"][0]["Prompt"];
    assert_eq!((row["name"].as_str(), row["versions"].as_i64(), row["latest_version"].as_i64()), (Some("ui/critic"), Some(2), Some(2)));
    assert_eq!(row["labels"], json!(["production", "latest"]));
    assert_eq!(row["updated_by"], "member@example.com");
    let found = member.ok("list_prompts", &[("project_id", "proj-a"), ("search", "CRIT")]).await;
    assert_eq!(found["entries"][0]["Prompt"]["name"], "ui/critic");

    // Deleting the version holding a protected label is an Admin's call.
    assert_eq!(member.call("delete_prompt", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1")]).await.status, 403);
    assert_eq!(admin.ok("delete_prompt", &[("project_id", "proj-a"), ("name", "ui/critic"), ("version", "1")]).await, 1);
    assert_eq!(versions(&api, "ui/critic").await, vec![(2, vec!["latest".to_string()])]);

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE project_id = 'proj-a' AND actor_user_id IS NOT NULL AND action LIKE 'prompt.%' ORDER BY id",
    )
    .fetch_all(&api.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        ["prompt.create", "prompt.protected_labels", "prompt.label_move", "prompt.create", "prompt.label_move", "prompt.label_remove", "prompt.delete"]
    );
}
