//! Datasets and experiments (docs/COMPATIBILITY.md §7.2) on a real Postgres: Langfuse's public
//! shapes key by key as the SDKs parse them, paging with exact `totalPages`, upserts (datasets by
//! name, items by id keeping what is not sent), versions and `?version=`, ACTIVE-only lists,
//! deletion, runs and run items with the stable experiment id, OTLP experiment spans turned into
//! runs and run items, project isolation, and every refusal naming what is wrong.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::{TestApi, TestResponse};
use loupe_core::store::datasets as store;
use serde_json::{json, Value};

/// A 4xx with `status` whose message names every one of `words`.
#[track_caller]
fn refused(response: &TestResponse, status: u16, words: &[&str]) {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("a message: {body}"));
    assert!(body.get("error").is_some(), "{body}");
    for word in words {
        assert!(
            message.contains(word),
            "the message names {word:?}: {message}"
        );
    }
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

async fn dataset(api: &TestApi, body: Value) -> Value {
    let response = api
        .call("POST", "/api/public/v2/datasets", Some(body))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn item(api: &TestApi, body: Value) -> Value {
    let response = api
        .call("POST", "/api/public/dataset-items", Some(body))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn get(api: &TestApi, path: &str) -> Value {
    let response = api.call("GET", path, None).await;
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

fn ids(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn datasets_are_upserted_by_name_in_langfuses_shape() {
    let api = TestApi::new().await;
    let created = dataset(
        &api,
        json!({"name": "evals/qa set", "description": "first", "metadata": {"team": "a"}, "inputSchema": {"type": "object"}}),
    )
    .await;
    assert_eq!(
        keys(&created),
        [
            "createdAt",
            "description",
            "expectedOutputSchema",
            "id",
            "inputSchema",
            "metadata",
            "name",
            "projectId",
            "updatedAt"
        ]
    );
    assert_eq!(created["name"], "evals/qa set");
    assert_eq!(created["projectId"], "proj-a");
    assert_eq!(created["description"], "first");
    assert_eq!(created["metadata"], json!({"team": "a"}));
    assert_eq!(created["inputSchema"], json!({"type": "object"}));
    assert!(created["expectedOutputSchema"].is_null());

    // Upsert by name: null description kept, metadata replaced, an absent schema kept.
    let updated = dataset(
        &api,
        json!({"name": "evals/qa set", "description": null, "metadata": {"team": "b"}}),
    )
    .await;
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["description"], "first");
    assert_eq!(updated["metadata"], json!({"team": "b"}));
    assert_eq!(updated["inputSchema"], json!({"type": "object"}));
    // A schema sent as null is cleared.
    let cleared = dataset(&api, json!({"name": "evals/qa set", "inputSchema": null, "expectedOutputSchema": {"type": "string"}})).await;
    assert!(cleared["inputSchema"].is_null());
    assert_eq!(cleared["expectedOutputSchema"], json!({"type": "string"}));

    // By name: `%2F` in the segment is part of the name; unencoded folders read whole.
    for path in [
        "/api/public/v2/datasets/evals%2Fqa%20set",
        "/api/public/v2/datasets/evals/qa%20set",
    ] {
        let got = get(&api, path).await;
        assert_eq!(got["id"], created["id"], "{path}");
        assert!(got["inputSchema"].is_null());
    }
    refused(
        &api.call("GET", "/api/public/v2/datasets/nope", None).await,
        404,
        &["Dataset not found"],
    );
    assert_eq!(
        api.call("GET", "/api/public/v2/datasets/nope", None)
            .await
            .json()["error"],
        "LangfuseNotFoundError"
    );

    // v1: the same upsert, answered with empty items and runs.
    let v1 = api
        .call(
            "POST",
            "/api/public/datasets",
            Some(json!({"name": "plain"})),
        )
        .await;
    assert_eq!(v1.status, 200, "{}", v1.text());
    assert_eq!(v1.json()["items"], json!([]));
    assert_eq!(v1.json()["runs"], json!([]));
    assert!(v1.json()["metadata"].is_null());

    // Refusals name the field.
    let post = |body: Value| api.call("POST", "/api/public/v2/datasets", Some(body));
    refused(&post(json!({})).await, 400, &["name", "required"]);
    refused(&post(json!({"name": ""})).await, 400, &["name"]);
    refused(
        &post(json!({"name": "<b>x</b>"})).await,
        400,
        &["name", "'<'"],
    );
    refused(
        &post(json!({"name": "a//b"})).await,
        400,
        &["name", "folders"],
    );
    refused(
        &post(json!({"name": 7})).await,
        400,
        &["name must be a string"],
    );
    refused(
        &post(json!({"name": "x", "description": ["no"]})).await,
        400,
        &["description must be a string"],
    );
    refused(
        &post(json!({"name": "x", "inputSchema": "string"})).await,
        400,
        &["inputSchema"],
    );
    refused(
        &post(json!({"name": "a\u{0}b"})).await,
        400,
        &["name", "NUL"],
    );
    refused(&post(json!([1])).await, 400, &["JSON object"]);
    let not_json = Request::post("/api/public/v2/datasets")
        .header("authorization", api.basic_auth())
        .header("content-type", "application/json")
        .body(Body::from("{broken"))
        .unwrap();
    refused(&api.send(not_json).await, 400, &["JSON"]);
    // Nothing was stored by the refusals.
    assert_eq!(
        get(&api, "/api/public/v2/datasets").await["meta"]["totalItems"],
        2
    );
}

#[tokio::test]
async fn lists_page_with_exact_total_pages() {
    let api = TestApi::new().await;
    for name in ["d1", "d2", "d3"] {
        dataset(&api, json!({"name": name})).await;
    }
    let first = get(&api, "/api/public/v2/datasets?page=1&limit=2").await;
    assert_eq!(
        first["meta"],
        json!({"page": 1, "limit": 2, "totalItems": 3, "totalPages": 2})
    );
    // Newest first.
    let names: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["d3", "d2"]);
    let second = get(&api, "/api/public/v2/datasets?page=2&limit=2").await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["name"], "d1");
    assert_eq!(
        get(&api, "/api/public/v2/datasets?page=3&limit=2").await["data"],
        json!([])
    );

    for i in 0..5 {
        item(
            &api,
            json!({"datasetName": "d1", "id": format!("i{i}"), "input": i}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut page = 1;
    // The Python SDK's loop: fetch until totalPages <= page.
    loop {
        let body = get(
            &api,
            &format!("/api/public/dataset-items?datasetName=d1&page={page}&limit=2"),
        )
        .await;
        assert_eq!(body["meta"]["totalItems"], 5);
        assert_eq!(body["meta"]["totalPages"], 3);
        seen.extend(ids(&body).into_iter().map(str::to_string));
        if body["meta"]["totalPages"].as_i64().unwrap() <= page {
            break;
        }
        page += 1;
    }
    assert_eq!(seen, ["i4", "i3", "i2", "i1", "i0"], "validFrom desc");
    // An empty dataset: totalPages 0, so the loop stops after page 1.
    dataset(&api, json!({"name": "empty"})).await;
    assert_eq!(
        get(&api, "/api/public/dataset-items?datasetName=empty").await["meta"],
        json!({"page": 1, "limit": 50, "totalItems": 0, "totalPages": 0})
    );

    refused(
        &api.call("GET", "/api/public/v2/datasets?limit=500", None)
            .await,
        400,
        &["limit"],
    );
    refused(
        &api.call("GET", "/api/public/dataset-items?page=0", None)
            .await,
        400,
        &["page"],
    );
}

#[tokio::test]
async fn items_keep_unsent_fields_and_keep_their_versions() {
    let api = TestApi::new().await;
    let qa = dataset(&api, json!({"name": "qa"})).await;
    dataset(&api, json!({"name": "other"})).await;

    // Without an id: a new UUID, nulls, ACTIVE, every key the SDKs need.
    let fresh = item(&api, json!({"datasetName": "qa", "input": {"q": "2+2"}})).await;
    assert_eq!(fresh["id"].as_str().unwrap().len(), 36, "{fresh}");
    assert_eq!(
        keys(&fresh),
        [
            "createdAt",
            "datasetId",
            "datasetName",
            "expectedOutput",
            "id",
            "input",
            "mediaReferences",
            "metadata",
            "sourceObservationId",
            "sourceTraceId",
            "status",
            "updatedAt",
            "version"
        ]
    );
    assert_eq!(fresh["mediaReferences"], json!([]));
    assert_eq!(fresh["status"], "ACTIVE");
    assert_eq!(fresh["datasetId"], qa["id"]);
    assert_eq!(fresh["datasetName"], "qa");
    assert!(
        fresh["expectedOutput"].is_null()
            && fresh["metadata"].is_null()
            && fresh["sourceTraceId"].is_null()
    );

    // As Python 5 sends it: unset fields as null.
    let v1 = item(
        &api,
        json!({"datasetName": "qa", "id": "item-1", "input": {"q": "capital of France"}, "expectedOutput": "Paris",
               "metadata": {"level": 1}, "sourceTraceId": "t-src", "sourceObservationId": null, "status": null}),
    )
    .await;
    assert_eq!(v1["expectedOutput"], "Paris");
    assert_eq!(v1["sourceTraceId"], "t-src");
    // An upsert: null and absent keep the stored value.
    let v2 = item(&api, json!({"datasetName": "qa", "id": "item-1", "input": null, "expectedOutput": "Paris, France"})).await;
    assert_eq!(v2["input"], json!({"q": "capital of France"}));
    assert_eq!(v2["expectedOutput"], "Paris, France");
    assert_eq!(v2["metadata"], json!({"level": 1}));
    assert_eq!(v2["sourceTraceId"], "t-src");
    assert_eq!(v2["createdAt"], v1["createdAt"], "created once");
    let (t1, t2) = (
        v1["version"].as_str().unwrap(),
        v2["version"].as_str().unwrap(),
    );
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    assert!(parse(t2) > parse(t1), "{t1} < {t2}");
    assert_eq!(v2["updatedAt"], v2["version"]);

    // ?version= reads the dataset as it was: item-1's first version, and not the fresh item if
    // it came later... it came earlier, so both are there.
    let then = get(
        &api,
        &format!(
            "/api/public/dataset-items?datasetName=qa&version={}",
            urlencode(t1)
        ),
    )
    .await;
    let old = then["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "item-1")
        .unwrap();
    assert_eq!(old["expectedOutput"], "Paris");
    assert_eq!(then["meta"]["totalItems"], 2);
    let before_all = get(
        &api,
        "/api/public/dataset-items?datasetName=qa&version=2000-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(before_all["meta"]["totalItems"], 0);
    refused(
        &api.call(
            "GET",
            "/api/public/dataset-items?version=2026-01-01T00:00:00Z",
            None,
        )
        .await,
        400,
        &["version", "datasetName"],
    );
    refused(
        &api.call(
            "GET",
            "/api/public/dataset-items?datasetName=qa&version=yesterday",
            None,
        )
        .await,
        400,
        &["version"],
    );
    refused(
        &api.call("GET", "/api/public/dataset-items?datasetName=nope", None)
            .await,
        404,
        &["Dataset not found"],
    );

    // Archived items are not listed, but can be read; restoring lists them again.
    let archived = item(
        &api,
        json!({"datasetName": "qa", "id": "item-1", "status": "ARCHIVED"}),
    )
    .await;
    assert_eq!(archived["status"], "ARCHIVED");
    assert_eq!(archived["expectedOutput"], "Paris, France");
    let listed = get(&api, "/api/public/dataset-items?datasetName=qa").await;
    assert_eq!(ids(&listed), [fresh["id"].as_str().unwrap()]);
    assert_eq!(
        get(&api, "/api/public/dataset-items/item-1").await["status"],
        "ARCHIVED"
    );
    item(
        &api,
        json!({"datasetName": "qa", "id": "item-1", "status": "ACTIVE"}),
    )
    .await;
    assert_eq!(
        get(&api, "/api/public/dataset-items?datasetName=qa").await["meta"]["totalItems"],
        2
    );
    // The store's archive/restore is the same kind of version.
    let mut conn = api.pool.acquire().await.unwrap();
    let restored = store::set_item_status(
        &mut conn,
        &api.project,
        "item-1",
        loupe_app::domain::datasets::ItemStatus::Archived,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        restored.status,
        loupe_app::domain::datasets::ItemStatus::Archived
    );
    store::set_item_status(
        &mut conn,
        &api.project,
        "item-1",
        loupe_app::domain::datasets::ItemStatus::Active,
    )
    .await
    .unwrap()
    .unwrap();

    // Filters by source.
    let by_trace = get(&api, "/api/public/dataset-items?sourceTraceId=t-src").await;
    assert_eq!(ids(&by_trace), ["item-1"]);
    assert_eq!(
        get(&api, "/api/public/dataset-items?sourceObservationId=o-none").await["meta"]
            ["totalItems"],
        0
    );

    // Ids are unique per project: the same id in another dataset is a 409, nothing written.
    let clash = api
        .call(
            "POST",
            "/api/public/dataset-items",
            Some(json!({"datasetName": "other", "id": "item-1", "input": "x"})),
        )
        .await;
    refused(&clash, 409, &["item-1", "qa"]);
    assert_eq!(clash.json()["error"], "LangfuseConflictError");
    assert_eq!(
        get(&api, "/api/public/dataset-items/item-1").await["datasetName"],
        "qa"
    );

    // Deletion: a tombstone; reads 404, the history stays for ?version=.
    let deleted = api
        .call("DELETE", "/api/public/dataset-items/item-1", None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(
        deleted.json(),
        json!({"message": "Dataset item successfully deleted"})
    );
    refused(
        &api.call("GET", "/api/public/dataset-items/item-1", None)
            .await,
        404,
        &["Dataset item not found"],
    );
    refused(
        &api.call("DELETE", "/api/public/dataset-items/item-1", None)
            .await,
        404,
        &["item-1", "proj-a"],
    );
    assert_eq!(
        get(&api, "/api/public/dataset-items?datasetName=qa").await["meta"]["totalItems"],
        1
    );
    let still = get(
        &api,
        &format!(
            "/api/public/dataset-items?datasetName=qa&version={}",
            urlencode(t2)
        ),
    )
    .await;
    assert!(ids(&still).contains(&"item-1"));
    let history = store::item_history(&api.pool, &api.project, "item-1")
        .await
        .unwrap();
    // create, update, archive, restore, archive, restore, delete.
    assert_eq!(history.len(), 7);
    assert!(history[0].is_deleted && history[0].valid_to.is_none());
    assert!(history[1..]
        .iter()
        .all(|v| !v.is_deleted && v.valid_to.is_some()));
    assert!(
        history
            .windows(2)
            .all(|w| w[1].valid_to == Some(w[0].item.version)),
        "each version closed where the next starts"
    );
    // A deleted id may be used again, in another dataset too.
    let reborn = item(
        &api,
        json!({"datasetName": "other", "id": "item-1", "input": "again"}),
    )
    .await;
    assert_eq!(reborn["datasetName"], "other");
    assert!(
        reborn["expectedOutput"].is_null(),
        "a deleted item's values are not carried over"
    );

    // Refusals name the field.
    let post = |body: Value| api.call("POST", "/api/public/dataset-items", Some(body));
    refused(
        &post(json!({"input": 1})).await,
        400,
        &["datasetName", "required"],
    );
    refused(
        &post(json!({"datasetName": "nope"})).await,
        404,
        &["Dataset not found"],
    );
    refused(
        &post(json!({"datasetName": "qa", "id": ""})).await,
        400,
        &["id", "1 to 255"],
    );
    refused(
        &post(json!({"datasetName": "qa", "id": "x".repeat(256)})).await,
        400,
        &["id"],
    );
    refused(
        &post(json!({"datasetName": "qa", "id": 5})).await,
        400,
        &["id must be a string"],
    );
    refused(
        &post(json!({"datasetName": "qa", "status": "archived"})).await,
        400,
        &["status", "ACTIVE, ARCHIVED"],
    );
    refused(
        &post(json!({"datasetName": "qa", "input": {"k": "a\u{0}b"}})).await,
        400,
        &[],
    );
    refused(
        &api.call("GET", "/api/public/dataset-items/nope", None)
            .await,
        404,
        &["Dataset item not found"],
    );
}

/// Percent-encodes a timestamp for a query string (`+` and `:`).
fn urlencode(text: &str) -> String {
    loupe_app::domain::url::encode_query(text)
}

/// A trace `t-1` with observation `o-1`, through the batch API.
async fn trace(api: &TestApi) {
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-12-09T10:00:00Z", "body": {"id": "t-1", "name": "run"}},
        {"id": "e2", "type": "span-create", "timestamp": "2026-12-09T10:00:00Z", "body": {"id": "o-1", "traceId": "t-1", "name": "task"}}
    ]});
    assert_eq!(
        api.call("POST", "/api/public/ingestion", Some(batch))
            .await
            .status,
        207
    );
}

#[tokio::test]
async fn run_items_create_runs_with_the_stable_experiment_id() {
    let api = TestApi::new().await;
    trace(&api).await;
    let qa = dataset(&api, json!({"name": "qa"})).await;
    let dataset_id = qa["id"].as_str().unwrap();
    let i1 = item(&api, json!({"datasetName": "qa", "id": "i1", "input": 1})).await;
    item(&api, json!({"datasetName": "qa", "id": "i2", "input": 2})).await;
    let post = |body: Value| api.call("POST", "/api/public/dataset-run-items", Some(body));

    // As Python 2's item.link sends it.
    let linked = post(json!({"runName": "run 1", "runDescription": "first run", "metadata": {"model": "m"}, "datasetItemId": "i1",
                            "traceId": "t-1", "observationId": null}))
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let link = linked.json();
    assert_eq!(
        keys(&link),
        [
            "createdAt",
            "datasetItemId",
            "datasetItemVersion",
            "datasetRunId",
            "datasetRunName",
            "id",
            "observationId",
            "traceId",
            "updatedAt"
        ]
    );
    let run_id = store::experiment_id("proj-a", dataset_id, "run 1");
    assert_eq!(
        link["datasetRunId"],
        run_id.as_str(),
        "the hash Python 5 computes"
    );
    assert_eq!(link["datasetRunName"], "run 1");
    assert_eq!(link["traceId"], "t-1");
    assert!(link["observationId"].is_null());
    assert_eq!(link["datasetItemVersion"], i1["version"]);
    // The same link again is the same run item; an observation fills it.
    let again = post(json!({"runName": "run 1", "datasetItemId": "i1", "traceId": "t-1", "observationId": "o-1"})).await.json();
    assert_eq!(again["id"], link["id"]);
    assert_eq!(again["observationId"], "o-1");
    // observationId alone: the trace is looked up; createdAt is the client's.
    let by_observation = post(json!({"runName": "run 1", "datasetItemId": "i2", "observationId": "o-1", "createdAt": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(by_observation.status, 200, "{}", by_observation.text());
    assert_eq!(by_observation.json()["traceId"], "t-1");
    assert_eq!(by_observation.json()["createdAt"], "2020-01-01T00:00:00Z");
    assert_eq!(by_observation.json()["datasetRunId"], run_id.as_str());

    // The run keeps the first call's description and metadata.
    let mut conn = api.pool.acquire().await.unwrap();
    let run = store::run(&mut conn, &api.project, &run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.description.as_deref(), Some("first run"));
    assert_eq!(run.metadata, json!({"model": "m"}));
    assert_eq!(run.dataset_name.as_deref(), Some("qa"));

    // datasetVersion: the item as it was then, recorded in the run's metadata.
    let versioned = post(json!({"runName": "pinned", "datasetItemId": "i1", "traceId": "t-1", "datasetVersion": i1["version"]})).await;
    assert_eq!(versioned.status, 200, "{}", versioned.text());
    let pinned = store::run_by_name(&mut conn, &api.project, dataset_id, "pinned")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pinned.metadata["dataset_version"], i1["version"]);
    refused(&post(json!({"runName": "pinned", "datasetItemId": "i1", "traceId": "t-1", "datasetVersion": "2000-01-01T00:00:00Z"})).await, 404, &["Dataset item not found"]);

    // Refusals.
    refused(
        &post(json!({"runName": "r", "datasetItemId": "i1"})).await,
        400,
        &["traceId", "observationId"],
    );
    refused(
        &post(json!({"runName": "r", "datasetItemId": "i1", "traceId": "t-1", "extra": 1})).await,
        400,
        &["extra"],
    );
    refused(
        &post(json!({"datasetItemId": "i1", "traceId": "t-1"})).await,
        400,
        &["runName"],
    );
    refused(
        &post(json!({"runName": "r", "traceId": "t-1"})).await,
        400,
        &["datasetItemId"],
    );
    refused(
        &post(
            json!({"runName": "r", "datasetItemId": "i1", "traceId": "t-1", "createdAt": "soon"}),
        )
        .await,
        400,
        &["createdAt"],
    );
    refused(
        &post(json!({"runName": "r", "datasetItemId": "nope", "traceId": "t-1"})).await,
        404,
        &["Dataset item not found"],
    );
    refused(
        &post(json!({"runName": "r", "datasetItemId": "i1", "observationId": "o-none"})).await,
        404,
        &["o-none"],
    );
    item(
        &api,
        json!({"datasetName": "qa", "id": "i2", "status": "ARCHIVED"}),
    )
    .await;
    refused(
        &post(json!({"runName": "r", "datasetItemId": "i2", "traceId": "t-1"})).await,
        404,
        &["Dataset item not found"],
    );

    // Reads: the run's items, the dataset's runs, one run with its items.
    let items = get(
        &api,
        &format!("/api/public/dataset-run-items?datasetId={dataset_id}&runName=run%201"),
    )
    .await;
    assert_eq!(items["meta"]["totalItems"], 2);
    let items_by_item: Vec<&str> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["datasetItemId"].as_str().unwrap())
        .collect();
    assert_eq!(
        items_by_item,
        ["i2", "i1"],
        "oldest first (i2's createdAt was set earlier)"
    );
    refused(
        &api.call("GET", "/api/public/dataset-run-items?runName=run%201", None)
            .await,
        400,
        &["datasetId"],
    );
    refused(
        &api.call(
            "GET",
            &format!("/api/public/dataset-run-items?datasetId={dataset_id}"),
            None,
        )
        .await,
        400,
        &["runName"],
    );
    refused(
        &api.call(
            "GET",
            &format!("/api/public/dataset-run-items?datasetId={dataset_id}&runName=nope"),
            None,
        )
        .await,
        404,
        &["Dataset run not found"],
    );
    let runs = get(&api, "/api/public/datasets/qa/runs").await;
    assert_eq!(runs["meta"]["totalItems"], 2);
    let names: Vec<&str> = runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pinned", "run 1"], "newest first");
    assert_eq!(
        keys(&runs["data"][1]),
        [
            "createdAt",
            "datasetId",
            "datasetName",
            "description",
            "id",
            "metadata",
            "name",
            "updatedAt"
        ]
    );
    let one = get(&api, "/api/public/datasets/qa/runs/run%201").await;
    assert_eq!(one["id"], run_id.as_str());
    assert_eq!(one["datasetRunItems"].as_array().unwrap().len(), 2);
    assert_eq!(one["datasetRunItems"][1]["datasetRunName"], "run 1");
    refused(
        &api.call("GET", "/api/public/datasets/qa/runs/nope", None)
            .await,
        404,
        &["Dataset run not found"],
    );
    refused(
        &api.call("GET", "/api/public/datasets/nope/runs", None)
            .await,
        404,
        &["Dataset not found"],
    );

    // v1 reads: ACTIVE items and run names.
    let v1 = get(&api, "/api/public/datasets/qa").await;
    let v1_items: Vec<&str> = v1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(v1_items, ["i1"], "i2 is archived");
    assert_eq!(v1["items"][0]["mediaReferences"], json!([]));
    assert_eq!(v1["runs"], json!(["pinned", "run 1"]));
    let list = get(&api, "/api/public/datasets").await;
    assert_eq!(list["data"][0]["items"], json!(["i1"]));
    assert_eq!(list["data"][0]["runs"], json!(["pinned", "run 1"]));

    // Deleting a run deletes its items.
    let deleted = api
        .call("DELETE", "/api/public/datasets/qa/runs/run%201", None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(
        deleted.json(),
        json!({"message": "Dataset run successfully deleted"})
    );
    refused(
        &api.call("GET", "/api/public/datasets/qa/runs/run%201", None)
            .await,
        404,
        &["Dataset run not found"],
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dataset_run_items WHERE project_id = 'proj-a' AND run_id = $1",
    )
    .bind(&run_id)
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    refused(
        &api.call("DELETE", "/api/public/datasets/qa/runs/run%201", None)
            .await,
        404,
        &["Dataset run not found"],
    );
    refused(
        &api.call("DELETE", "/api/public/datasets/qa/runs", None)
            .await,
        405,
        &["DELETE"],
    );
}

#[tokio::test]
async fn folder_names_reach_runs_encoded_or_not() {
    let api = TestApi::new().await;
    trace(&api).await;
    // A folder called `runs` must not be mistaken for the runs route.
    for name in ["evals/qa", "evals/runs"] {
        dataset(&api, json!({"name": name})).await;
        item(
            &api,
            json!({"datasetName": name, "id": format!("{name}-item")}),
        )
        .await;
        let linked = api
            .call("POST", "/api/public/dataset-run-items", Some(json!({"runName": "r/1", "datasetItemId": format!("{name}-item"), "traceId": "t-1"})))
            .await;
        assert_eq!(linked.status, 200, "{}", linked.text());
    }
    for path in [
        "/api/public/datasets/evals%2Fqa",
        "/api/public/datasets/evals/qa",
    ] {
        assert_eq!(get(&api, path).await["name"], "evals/qa", "{path}");
    }
    assert_eq!(
        get(&api, "/api/public/datasets/evals/runs").await["name"],
        "evals/runs"
    );
    for path in [
        "/api/public/datasets/evals%2Fqa/runs",
        "/api/public/datasets/evals/qa/runs",
    ] {
        assert_eq!(get(&api, path).await["data"][0]["name"], "r/1", "{path}");
    }
    for path in [
        "/api/public/datasets/evals%2Fqa/runs/r%2F1",
        "/api/public/datasets/evals/qa/runs/r/1",
        "/api/public/datasets/evals/runs/runs/r/1",
    ] {
        let run = get(&api, path).await;
        assert_eq!(run["name"], "r/1", "{path}");
        assert_eq!(
            run["datasetRunItems"].as_array().unwrap().len(),
            1,
            "{path}"
        );
    }
    assert_eq!(
        get(&api, "/api/public/datasets/evals/runs/runs/r/1").await["datasetName"],
        "evals/runs"
    );
    refused(
        &api.call("GET", "/api/public/datasets/evals/nothing/runs", None)
            .await,
        404,
        &["Dataset not found"],
    );
}

/// An OTLP/JSON string attribute.
fn attr(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

fn span(
    trace_id: &str,
    span_id: &str,
    parent: Option<&str>,
    name: &str,
    attributes: Vec<Value>,
) -> Value {
    let mut span = json!({"traceId": trace_id, "spanId": span_id, "name": name, "attributes": attributes,
                          "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000"});
    if let Some(parent) = parent {
        span["parentSpanId"] = json!(parent);
    }
    span
}

async fn export(api: &TestApi, spans: Vec<Value>) {
    let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk", "version": "5.0.4"}, "spans": spans}]}]});
    let response = api.call("POST", "/api/public/otel/v1/traces", Some(body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Python 5's spans for one item: the item-run root and the task span (the item's root
/// observation), both carrying the experiment's attributes.
fn item_spans(
    experiment: &[Value],
    trace_id: &str,
    root: &str,
    task: &str,
    item_id: &str,
    extra: Vec<Value>,
) -> Vec<Value> {
    let mut attributes = experiment.to_vec();
    attributes.push(attr("langfuse.experiment.item.id", item_id));
    attributes.push(attr("langfuse.experiment.item.root_observation_id", task));
    attributes.push(attr("langfuse.environment", "sdk-experiment"));
    attributes.extend(extra);
    vec![
        span(
            trace_id,
            root,
            None,
            "experiment-item-run",
            attributes.clone(),
        ),
        span(
            trace_id,
            task,
            Some(root),
            "experiment-item-task",
            attributes,
        ),
    ]
}

#[tokio::test]
async fn otlp_experiment_spans_make_runs_and_run_items() {
    let api = TestApi::new().await;
    let qa = dataset(&api, json!({"name": "qa"})).await;
    let dataset_id = qa["id"].as_str().unwrap();
    let i1 = item(&api, json!({"datasetName": "qa", "id": "i1", "input": 1})).await;
    let i2_v1 = item(&api, json!({"datasetName": "qa", "id": "i2", "input": 2})).await;
    let i2_v2 = item(&api, json!({"datasetName": "qa", "id": "i2", "input": 22})).await;
    let run_name = "exp-1 - 2026-12-03T01:08:28.777651Z";
    let experiment_id = store::experiment_id("proj-a", dataset_id, run_name);
    let experiment = vec![
        attr("langfuse.experiment.id", &experiment_id),
        attr("langfuse.experiment.name", run_name),
        attr("langfuse.experiment.description", "nightly"),
        attr("langfuse.experiment.metadata", "{\"model\":\"gpt-4o\"}"),
        attr("langfuse.experiment.dataset.id", dataset_id),
    ];
    let t1 = "aa000000000000000000000000000001";
    let t2 = "aa000000000000000000000000000002";
    // i2 read as of its first version (Python 5's `get_dataset(version=…)`).
    let version = vec![attr(
        "langfuse.experiment.item.version",
        i2_v1["version"].as_str().unwrap(),
    )];
    let mut spans = item_spans(
        &experiment,
        t1,
        "a100000000000001",
        "b100000000000001",
        "i1",
        vec![],
    );
    spans.extend(item_spans(
        &experiment,
        t2,
        "a200000000000002",
        "b200000000000002",
        "i2",
        version,
    ));
    // A local-data experiment (no dataset) and one naming a dataset this project does not have.
    let local = vec![
        attr("langfuse.experiment.id", "0123456789abcdef"),
        attr("langfuse.experiment.name", "local run"),
    ];
    spans.extend(item_spans(
        &local,
        "aa000000000000000000000000000003",
        "a300000000000003",
        "b300000000000003",
        "3f2a9c",
        vec![],
    ));
    let foreign = vec![
        attr("langfuse.experiment.id", "fedcba9876543210"),
        attr("langfuse.experiment.dataset.id", "someone-elses"),
    ];
    spans.extend(item_spans(
        &foreign,
        "aa000000000000000000000000000004",
        "a400000000000004",
        "b400000000000004",
        "x",
        vec![],
    ));
    export(&api, spans.clone()).await;
    // A retried export changes nothing.
    export(&api, spans).await;

    let observations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = 'proj-a'")
            .fetch_one(&api.pool)
            .await
            .unwrap();
    assert_eq!(
        observations, 8,
        "every span is stored, experiments with unknown datasets included"
    );

    let mut conn = api.pool.acquire().await.unwrap();
    let run = store::run(&mut conn, &api.project, &experiment_id)
        .await
        .unwrap()
        .expect("the run");
    assert_eq!(run.name, run_name);
    assert_eq!(run.description.as_deref(), Some("nightly"));
    assert_eq!(run.metadata, json!({"model": "gpt-4o"}));
    assert_eq!(run.dataset_id.as_deref(), Some(dataset_id));
    let items = store::all_run_items(&api.pool, &api.project, &experiment_id)
        .await
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    let by_item = |id: &str| items.iter().find(|i| i.dataset_item_id == id).unwrap();
    assert_eq!(by_item("i1").trace_id, t1);
    assert_eq!(
        by_item("i1").observation_id.as_deref(),
        Some("b100000000000001"),
        "the item's root observation"
    );
    assert_eq!(
        serde_json::to_value(by_item("i1").dataset_item_version).unwrap(),
        i1["version"]
    );
    assert_eq!(by_item("i2").trace_id, t2);
    assert_eq!(
        serde_json::to_value(by_item("i2").dataset_item_version).unwrap(),
        i2_v1["version"],
        "the version read, not {}",
        i2_v2["version"]
    );

    let local_run = store::run(&mut conn, &api.project, "0123456789abcdef")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local_run.name, "local run");
    assert_eq!(local_run.dataset_id, None);
    assert_eq!(
        store::all_run_items(&api.pool, &api.project, "0123456789abcdef")
            .await
            .unwrap()
            .len(),
        1
    );
    let foreign_run = store::run(&mut conn, &api.project, "fedcba9876543210")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        foreign_run.dataset_id, None,
        "an unknown dataset is no dataset"
    );
    assert_eq!(
        foreign_run.name, "fedcba9876543210",
        "named by its id when the span names nothing"
    );

    // The public reads see the OTLP run; JS 5 / Python 4 linking the same (dataset, run name)
    // land in it (its id is the hash they get back).
    let runs = get(&api, "/api/public/datasets/qa/runs").await;
    assert_eq!(ids(&runs), [experiment_id.as_str()]);
    let linked = api
        .call("POST", "/api/public/dataset-run-items", Some(json!({"runName": run_name, "datasetItemId": "i1", "traceId": t1, "observationId": "b100000000000001"})))
        .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    assert_eq!(linked.json()["datasetRunId"], experiment_id.as_str());
    assert_eq!(
        store::all_run_items(&api.pool, &api.project, &experiment_id)
            .await
            .unwrap()
            .len(),
        2,
        "no second link"
    );

    // Run-level scores (Python 5's run evaluators) carry the experiment id.
    let score = api
        .call(
            "POST",
            "/api/public/scores",
            Some(json!({"name": "avg_accuracy", "value": 0.5, "datasetRunId": experiment_id})),
        )
        .await;
    assert_eq!(score.status, 200, "{}", score.text());
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT dataset_run_id FROM scores WHERE project_id = 'proj-a' AND name = 'avg_accuracy'",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();
    assert_eq!(stored.as_deref(), Some(experiment_id.as_str()));

    // A later export describing the run fills what the run lacks, and keeps what it has.
    let more = vec![
        attr("langfuse.experiment.id", "fedcba9876543210"),
        attr("langfuse.experiment.description", "late"),
        attr("langfuse.experiment.metadata.owner", "\"qa-team\""),
    ];
    export(
        &api,
        vec![span(
            "aa000000000000000000000000000005",
            "a500000000000005",
            None,
            "x",
            more,
        )],
    )
    .await;
    let filled = store::run(&mut conn, &api.project, "fedcba9876543210")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filled.description.as_deref(), Some("late"));
    assert_eq!(filled.metadata, json!({"owner": "qa-team"}));
}

#[tokio::test]
async fn another_projects_datasets_are_out_of_reach() {
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    trace(&a).await;
    let qa = dataset(&a, json!({"name": "qa", "description": "secret-of-a"})).await;
    item(
        &a,
        json!({"datasetName": "qa", "id": "shared-id", "input": "secret-of-a"}),
    )
    .await;
    let link = a
        .call(
            "POST",
            "/api/public/dataset-run-items",
            Some(json!({"runName": "r", "datasetItemId": "shared-id", "traceId": "t-1"})),
        )
        .await;
    assert_eq!(link.status, 200);
    let dataset_id = qa["id"].as_str().unwrap();

    for path in [
        "/api/public/v2/datasets/qa".to_string(),
        "/api/public/datasets/qa".to_string(),
        "/api/public/datasets/qa/runs".to_string(),
        "/api/public/datasets/qa/runs/r".to_string(),
        "/api/public/dataset-items/shared-id".to_string(),
        "/api/public/dataset-items?datasetName=qa".to_string(),
        format!("/api/public/dataset-run-items?datasetId={dataset_id}&runName=r"),
    ] {
        let response = b.call("GET", &path, None).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert!(!response.text().contains("secret-of-a"));
    }
    for path in [
        "/api/public/v2/datasets",
        "/api/public/datasets",
        "/api/public/dataset-items",
    ] {
        assert_eq!(get(&b, path).await["meta"]["totalItems"], 0, "{path}");
    }
    refused(
        &b.call("DELETE", "/api/public/dataset-items/shared-id", None)
            .await,
        404,
        &[],
    );
    refused(
        &b.call("DELETE", "/api/public/datasets/qa/runs/r", None)
            .await,
        404,
        &[],
    );
    let post = b
        .call(
            "POST",
            "/api/public/dataset-run-items",
            Some(json!({"runName": "r", "datasetItemId": "shared-id", "traceId": "t-1"})),
        )
        .await;
    refused(&post, 404, &["Dataset item not found"]);
    // Item ids are unique per project, not across projects; names likewise.
    dataset(&b, json!({"name": "qa"})).await;
    let own = item(
        &b,
        json!({"datasetName": "qa", "id": "shared-id", "input": "b's"}),
    )
    .await;
    assert_eq!(own["input"], "b's");
    assert_eq!(
        get(&a, "/api/public/dataset-items/shared-id").await["input"],
        "secret-of-a"
    );
    assert_eq!(
        get(&a, "/api/public/datasets/qa/runs").await["meta"]["totalItems"],
        1
    );
}

#[tokio::test]
async fn the_uis_list_groups_folders_and_counts() {
    let api = TestApi::new().await;
    trace(&api).await;
    for name in ["alpha", "evals/qa", "evals/sub/deep", "evals/zeta"] {
        dataset(&api, json!({"name": name})).await;
    }
    item(&api, json!({"datasetName": "alpha", "id": "a1"})).await;
    item(
        &api,
        json!({"datasetName": "alpha", "id": "a2", "status": "ARCHIVED"}),
    )
    .await;
    item(&api, json!({"datasetName": "alpha", "id": "a3"})).await;
    api.call("DELETE", "/api/public/dataset-items/a3", None)
        .await;
    api.call(
        "POST",
        "/api/public/dataset-run-items",
        Some(json!({"runName": "r", "datasetItemId": "a1", "traceId": "t-1"})),
    )
    .await;
    use loupe_app::domain::datasets::DatasetListEntry;
    let top = store::list_page(&api.pool, &api.project, "", "", 1)
        .await
        .unwrap();
    assert_eq!(top.total, 2);
    match &top.entries[..] {
        [DatasetListEntry::Folder { path, datasets }, DatasetListEntry::Dataset(alpha)] => {
            assert_eq!((path.as_str(), *datasets), ("evals", 3));
            assert_eq!(alpha.dataset.name, "alpha");
            assert_eq!(
                (alpha.items, alpha.runs),
                (2, 1),
                "archived counted, deleted not"
            );
            assert!(alpha.last_run_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    let evals = store::list_page(&api.pool, &api.project, "evals/", "", 1)
        .await
        .unwrap();
    let shown: Vec<String> = evals
        .entries
        .iter()
        .map(|e| match e {
            DatasetListEntry::Folder { path, .. } => format!("folder {path}"),
            DatasetListEntry::Dataset(s) => s.dataset.name.clone(),
        })
        .collect();
    assert_eq!(shown, ["folder evals/sub", "evals/qa", "evals/zeta"]);
    let found = store::list_page(&api.pool, &api.project, "", "DEEP", 1)
        .await
        .unwrap();
    assert_eq!(found.entries.len(), 1);
    let (runs, total) = store::run_summaries(
        &api.pool,
        &api.project,
        None,
        loupe_core::store::query::Page {
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!((total, runs[0].items), (1, 1));
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas (§7.2): enforced on the dataset's items, as Langfuse does.

/// The total of `GET /dataset-items?datasetName=…` (ACTIVE items).
async fn item_total(api: &TestApi, dataset: &str) -> i64 {
    get(api, &format!("/api/public/dataset-items?datasetName={dataset}")).await["meta"]["totalItems"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn schemas_are_enforced_on_existing_and_new_items() {
    let api = TestApi::new().await;
    let post_dataset = |body: Value| api.call("POST", "/api/public/v2/datasets", Some(body));
    let post_item = |body: Value| api.call("POST", "/api/public/dataset-items", Some(body));
    dataset(&api, json!({"name": "typed"})).await;
    item(&api, json!({"datasetName": "typed", "id": "ok-1", "input": {"q": "a"}, "expectedOutput": {"answer": "x"}})).await;
    item(&api, json!({"datasetName": "typed", "id": "ok-2", "input": {"q": "b"}})).await;
    item(&api, json!({"datasetName": "typed", "id": "bad-text", "input": "just text"})).await;
    item(&api, json!({"datasetName": "typed", "id": "bad-q", "input": {"q": 5}, "status": "ARCHIVED"})).await;
    // A deleted item is not checked (only current ones are).
    item(&api, json!({"datasetName": "typed", "id": "gone", "input": 42})).await;
    assert_eq!(api.call("DELETE", "/api/public/dataset-items/gone", None).await.status, 200);

    // Setting a schema checks every current item, archived ones included: 400 with the count,
    // naming the items and where they fail; the schema is not stored.
    let input_schema = json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
    let refusal = post_dataset(json!({"name": "typed", "inputSchema": input_schema})).await;
    refused(
        &refusal,
        400,
        &["Schema validation failed for 2 item(s). Details: ", "\"bad-q\": input at /q", "\"bad-text\": input (the whole value)"],
    );
    assert!(!refusal.json()["message"].as_str().unwrap().contains("ok-1"));
    assert!(get(&api, "/api/public/v2/datasets/typed").await["inputSchema"].is_null());

    // Fixed, the same schema is accepted (a null expected output is never checked).
    item(&api, json!({"datasetName": "typed", "id": "bad-q", "input": {"q": "5"}})).await;
    assert_eq!(api.call("DELETE", "/api/public/dataset-items/bad-text", None).await.status, 200);
    let expected_schema = json!({"type": "object", "properties": {"answer": {"type": "string"}}});
    let typed = dataset(&api, json!({"name": "typed", "inputSchema": input_schema, "expectedOutputSchema": expected_schema})).await;
    assert_eq!(typed["inputSchema"], input_schema);
    assert_eq!(typed["expectedOutputSchema"], expected_schema);

    // An item violating a schema: 400 naming the field and the JSON pointer; nothing stored.
    let before = item_total(&api, "typed").await;
    refused(
        &post_item(json!({"datasetName": "typed", "input": {"q": 1}})).await,
        400,
        &["Dataset item validation failed: ", "input at /q"],
    );
    refused(
        &post_item(json!({"datasetName": "typed", "id": "new-1", "input": {"q": "a"}, "expectedOutput": {"answer": ["no"]}})).await,
        400,
        &["Dataset item validation failed: ", "expectedOutput at /answer"],
    );
    assert_eq!(api.call("GET", "/api/public/dataset-items/new-1", None).await.status, 404);
    // An update is checked as it would be stored: the kept input with the new expected output.
    refused(
        &post_item(json!({"datasetName": "typed", "id": "ok-1", "expectedOutput": {"answer": 3}})).await,
        400,
        &["expectedOutput at /answer"],
    );
    assert_eq!(get(&api, "/api/public/dataset-items/ok-1").await["expectedOutput"], json!({"answer": "x"}));
    assert_eq!(item_total(&api, "typed").await, before);
    // Valid items pass; null input and expected output are not checked (Langfuse skips nulls).
    item(&api, json!({"datasetName": "typed", "id": "ok-1", "expectedOutput": {"answer": "y"}})).await;
    item(&api, json!({"datasetName": "typed", "input": {"q": "c"}, "expectedOutput": {"answer": "z"}})).await;
    item(&api, json!({"datasetName": "typed", "input": null, "expectedOutput": null})).await;

    // A schema sent as null is cleared; the other one is kept and still enforced.
    let cleared = dataset(&api, json!({"name": "typed", "inputSchema": null})).await;
    assert!(cleared["inputSchema"].is_null());
    assert_eq!(cleared["expectedOutputSchema"], expected_schema);
    item(&api, json!({"datasetName": "typed", "input": {"q": 1}})).await;
    refused(
        &post_item(json!({"datasetName": "typed", "expectedOutput": "text"})).await,
        400,
        &["expectedOutput (the whole value)"],
    );
}

#[tokio::test]
async fn a_schema_refusal_names_a_few_items_and_stays_short() {
    let api = TestApi::new().await;
    dataset(&api, json!({"name": "many"})).await;
    let long = "x".repeat(100_000);
    for n in 0..40 {
        item(&api, json!({"datasetName": "many", "id": format!("item-{n:02}"), "input": {"text": long, "n": n}})).await;
    }
    // An enum of many values: the validator's words would quote them all.
    let choices: Vec<String> = (0..1000).map(|n| format!("choice-{n}")).collect();
    let refusal = api
        .call("POST", "/api/public/v2/datasets", Some(json!({"name": "many", "inputSchema": {"properties": {"text": {"enum": choices}}}})))
        .await;
    refused(&refusal, 400, &["Schema validation failed for 40 item(s)", "item-00", "item-02", "and 37 more"]);
    let message = refusal.json()["message"].as_str().unwrap().to_string();
    assert!(!message.contains("item-03"), "{message}");
    assert!(!message.contains(&"x".repeat(50)), "the values are not quoted: {message}");
    assert!(message.len() < 2_000, "{} bytes: {message}", message.len());
}

#[tokio::test]
async fn invalid_schemas_are_refused_naming_the_field() {
    let api = TestApi::new().await;
    let post = |body: Value| api.call("POST", "/api/public/v2/datasets", Some(body));
    refused(&post(json!({"name": "s", "inputSchema": {"type": 12}})).await, 400, &["inputSchema is not a valid JSON Schema"]);
    refused(
        &post(json!({"name": "s", "expectedOutputSchema": {"properties": {"a": {"minLength": -1}}}})).await,
        400,
        &["expectedOutputSchema is not a valid JSON Schema"],
    );
    refused(&post(json!({"name": "s", "expectedOutputSchema": 3})).await, 400, &["expectedOutputSchema"]);

    // A `$ref` to a URL is never fetched (SSRF): refused at once, and the address named — a
    // listener here — never sees a connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/schema.json", listener.local_addr().unwrap());
    let started = std::time::Instant::now();
    for field in ["inputSchema", "expectedOutputSchema"] {
        let nested = json!({"type": "object", "properties": {"a": {"$ref": url}}});
        refused(&post(json!({"name": "s", field: nested})).await, 400, &[field]);
    }
    refused(&post(json!({"name": "s", "inputSchema": {"$ref": "file:///etc/passwd"}})).await, 400, &["inputSchema"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "the schema's URL was requested"
    );
    // Nothing was stored; local references work.
    assert_eq!(api.call("GET", "/api/public/v2/datasets/s", None).await.status, 404);
    let local = json!({"$defs": {"q": {"type": "string"}}, "properties": {"q": {"$ref": "#/$defs/q"}}});
    dataset(&api, json!({"name": "s", "inputSchema": local})).await;
    refused(
        &api.call("POST", "/api/public/dataset-items", Some(json!({"datasetName": "s", "input": {"q": 1}}))).await,
        400,
        &["input at /q"],
    );
}

#[tokio::test]
async fn every_store_write_path_enforces_the_schemas() {
    use loupe_core::datasets_schema::{SchemaError, Subject};
    use loupe_core::store::StoreError;
    let api = TestApi::new().await;
    trace(&api).await; // t-1: no input, no output
    let with_input = json!({"batch": [{"id": "e3", "type": "trace-create", "timestamp": "2026-12-09T10:00:00Z",
        "body": {"id": "t-2", "name": "run", "input": {"q": 7}, "output": "seven"}}]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(with_input)).await.status, 207);
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}});
    let ds = dataset(&api, json!({"name": "ui", "inputSchema": schema})).await;
    let dataset_id = ds["id"].as_str().unwrap();
    let mut conn = api.pool.acquire().await.unwrap();
    fn item_refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (Option<Subject>, String) {
        match result {
            Err(StoreError::Schema(SchemaError::Item { subject, violation })) => (subject, violation.pointer),
            other => panic!("a schema refusal: {other:?}"),
        }
    }

    // The UI's form (replace_item).
    let (bad, null) = (json!({"q": 1}), Value::Null);
    let replacement = store::ItemReplacement {
        dataset_id,
        id: Some("form-1"),
        mode: store::ReplaceMode::Create,
        input: &bad,
        expected_output: &null,
        metadata: &null,
        source_trace_id: None,
        source_observation_id: None,
    };
    assert_eq!(item_refusal(store::replace_item(&mut conn, &api.project, &replacement).await), (None, "/q".into()));
    let good = json!({"q": "1"});
    let saved = store::replace_item(&mut conn, &api.project, &store::ItemReplacement { input: &good, ..replacement.clone() }).await.unwrap();
    assert!(matches!(saved, store::ItemReplace::Saved(_)));

    // An import's new rows: all or none, the row named.
    let rows = [
        store::NewItemValues { input: json!({"q": "ok"}), expected_output: None, metadata: None },
        store::NewItemValues { input: json!({"q": false}), expected_output: None, metadata: None },
    ];
    let refusal = store::insert_new_items(&mut conn, &api.project, dataset_id, &rows).await;
    assert_eq!(item_refusal(refusal), (Some(Subject::Row(2)), "/q".into()));
    // The checks an import can run first, row by row.
    let schemas = store::item_schemas(&mut conn, &api.project, dataset_id).await.unwrap();
    assert!(schemas.check(&rows[0].input, &Value::Null).is_ok());
    assert_eq!(schemas.check(&rows[1].input, &Value::Null).unwrap_err().field.as_str(), "input");

    // Traces added to the dataset: refused naming the trace, none added.
    let refusal = store::add_traces(&mut conn, &api.project, dataset_id, &["t-1".into(), "t-2".into()]).await;
    assert_eq!(item_refusal(refusal), (Some(Subject::Trace("t-2".into())), "/q".into()));
    assert_eq!(store::add_traces(&mut conn, &api.project, dataset_id, &["t-1".into()]).await.unwrap(), 1);
    // Only the form's item and t-1's: nothing of the refused writes stayed.
    assert_eq!(item_total(&api, "ui").await, 2);
}
