//! The models API (docs/COMPATIBILITY.md §7.3) and project model prices on Postgres: create, list,
//! get and delete; validation messages; project isolation; a project model overriding a
//! built-in one in `ProjectPrices::price` once the cache entry is invalidated.

use crate::common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::TestApi;
use loupe_app::domain::{ObservationLevel, ObservationType};
use loupe_server::pricing::{builtin, Priced, Pricing, PricingInput, ProjectPrices};
use serde_json::{json, Value};

const N_BUILTIN: i64 = 167;

fn flat_model() -> Value {
    json!({
        "modelName": "my-gpt",
        "matchPattern": "(?i)^(acme/)?my-gpt$",
        "unit": "TOKENS",
        "inputPrice": 0.000001,
        "outputPrice": 0.000002,
        "tokenizerId": "openai",
        "tokenizerConfig": {"tokenizerModel": "gpt-4o", "tokensPerMessage": 3, "tokensPerName": 1}
    })
}

async fn create(api: &TestApi, body: Value) -> Value {
    let response = api.call("POST", "/api/public/models", Some(body)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

fn price(prices: &ProjectPrices, model: &str, usage: Value) -> Priced {
    let usage: BTreeMap<String, i64> = serde_json::from_value(usage).unwrap();
    prices.price(&PricingInput {
        r#type: ObservationType::Generation,
        level: ObservationLevel::Default,
        model: Some(model),
        provided_usage: &usage,
        provided_cost: &BTreeMap::new(),
        model_parameters: None,
        metadata: None,
        input: None,
        output: None,
    })
}

#[tokio::test]
async fn create_get_list_and_delete_a_model() {
    let api = TestApi::new().await;
    let created = create(&api, flat_model()).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created,
        json!({
            "id": id,
            "modelName": "my-gpt",
            "matchPattern": "(?i)^(acme/)?my-gpt$",
            "startDate": null,
            "unit": "TOKENS",
            "inputPrice": 0.000001,
            "outputPrice": 0.000002,
            "totalPrice": null,
            "tokenizerId": "openai",
            "tokenizerConfig": {"tokenizerModel": "gpt-4o", "tokensPerMessage": 3, "tokensPerName": 1},
            "isLangfuseManaged": false,
            "createdAt": created["createdAt"],
            "prices": {"input": {"price": 0.000001}, "output": {"price": 0.000002}},
            "pricingTiers": [{
                "id": format!("{id}_tier_default"), "name": "Standard", "isDefault": true, "priority": 0,
                "conditions": [], "prices": {"input": 0.000001, "output": 0.000002}
            }]
        })
    );
    assert!(created["createdAt"].as_str().is_some_and(|at| at.starts_with("20")), "{created}");

    // The same JSON comes back from GET.
    let fetched = api.call("GET", &format!("/api/public/models/{id}"), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json(), created);

    // Project models first, then the built-ins, as one paginated list.
    let list = api.call("GET", "/api/public/models", None).await.json();
    assert_eq!(list["meta"], json!({"page": 1, "limit": 50, "totalItems": N_BUILTIN + 1, "totalPages": 4}));
    assert_eq!(list["data"].as_array().unwrap().len(), 50);
    assert_eq!(list["data"][0], created);
    assert_eq!(list["data"][1]["isLangfuseManaged"], json!(true));
    let second = api.call("GET", "/api/public/models?page=2&limit=1", None).await.json();
    assert_eq!(second["data"][0]["id"], list["data"][1]["id"]);
    let last = api.call("GET", "/api/public/models?page=4&limit=50", None).await.json();
    assert_eq!(last["data"].as_array().unwrap().len(), (N_BUILTIN + 1 - 150) as usize);
    let beyond = api.call("GET", "/api/public/models?page=9&limit=50", None).await.json();
    assert_eq!(beyond["data"], json!([]));
    // Every id listed is unique across all pages.
    let mut ids = std::collections::HashSet::new();
    for page in 1..=2 {
        let data = api.call("GET", &format!("/api/public/models?page={page}&limit=100"), None).await.json()["data"].clone();
        for model in data.as_array().unwrap() {
            assert!(ids.insert(model["id"].as_str().unwrap().to_string()), "{model}");
        }
    }
    assert_eq!(ids.len() as i64, N_BUILTIN + 1);

    let deleted = api.call("DELETE", &format!("/api/public/models/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.json(), json!({"message": "Model successfully deleted"}));
    let gone = api.call("GET", &format!("/api/public/models/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["message"], "No model with this id found.");
    assert_eq!(api.call("DELETE", &format!("/api/public/models/{id}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.call("GET", "/api/public/models", None).await.json()["meta"]["totalItems"], json!(N_BUILTIN));
}

#[tokio::test]
async fn built_in_models_can_be_read_but_not_deleted() {
    let api = TestApi::new().await;
    let response = api.call("GET", "/api/public/models/clyrjp56f0000t0mzapoocd7u", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let model = response.json();
    assert_eq!(model["modelName"], "gpt-4o-mini");
    assert_eq!(model["isLangfuseManaged"], json!(true));
    assert_eq!(model["inputPrice"], json!(1.5e-7));
    assert_eq!(model["prices"]["input_cached_tokens"], json!({"price": 7.5e-8}));
    assert_eq!(
        model["pricingTiers"][1]["conditions"][0],
        json!({"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["fast", "priority"]})
    );
    assert_eq!(model["tokenizerConfig"]["tokenizerModel"], "gpt-4o");

    let response = api.call("DELETE", "/api/public/models/clyrjp56f0000t0mzapoocd7u", None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let message = response.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("built-in") && message.contains("gpt-4o-mini"), "{message}");
    assert_eq!(api.call("GET", "/api/public/models/clyrjp56f0000t0mzapoocd7u", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn models_with_pricing_tiers_round_trip() {
    let api = TestApi::new().await;
    let tiers = json!([
        {"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1.0, "output": 2.0}},
        {"name": "Large Context", "isDefault": false, "priority": 1,
         "conditions": [{"usageDetailPattern": "(input|prompt)", "operator": "gt", "value": 1000, "caseSensitive": false}],
         "prices": {"input": 10.0, "output": 20.0}},
        {"name": "Flex", "isDefault": false, "priority": 2,
         "conditions": [{"source": "metadata", "key": "tier", "operator": "in", "values": ["flex"]}],
         "prices": {"input": 0.5, "output": 1.0}}
    ]);
    let created = create(
        &api,
        json!({"modelName": "tiered", "matchPattern": "^tiered$", "pricingTiers": tiers, "startDate": "2024-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(created["startDate"], "2024-01-01T00:00:00Z");
    assert_eq!(created["inputPrice"], json!(1.0), "flat prices mirror the default tier");
    assert_eq!(created["totalPrice"], json!(null));
    assert_eq!(created["unit"], json!(null));
    let names: Vec<&str> = created["pricingTiers"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Standard", "Large Context", "Flex"]);
    assert_eq!(created["pricingTiers"][1]["conditions"][0]["usageDetailPattern"], "(input|prompt)");

    let pricing = Pricing::new(api.pool.clone());
    let prices = pricing.project(&api.project).await.unwrap();
    let small = price(&prices, "tiered", json!({"input": 10, "output": 1}));
    assert_eq!((small.tier_name.as_deref(), small.total_cost), (Some("Standard"), Some(12.0)));
    let large = price(&prices, "tiered", json!({"input": 2000, "output": 1}));
    assert_eq!((large.tier_name.as_deref(), large.total_cost), (Some("Large Context"), Some(20020.0)));
    assert_eq!(large.internal_model_id.as_deref(), created["id"].as_str());
    assert_eq!(large.tier_id.as_deref(), created["pricingTiers"][1]["id"].as_str());
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let api = TestApi::new().await;
    let with = |key: &str, value: Value| {
        let mut body = flat_model();
        body[key] = value;
        body
    };
    let default_tier = json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}});
    let cases = [
        (json!({"matchPattern": "x", "inputPrice": 1}), "modelName: is required"),
        (with("matchPattern", json!("gpt-(4")), "matchPattern: is not a valid regular expression"),
        (with("totalPrice", json!(0.5)), "totalPrice: must be null when inputPrice or outputPrice is set"),
        (json!({"modelName": "m", "matchPattern": "x"}), "provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers"),
        (with("pricingTiers", json!([default_tier])), "not both"),
        (
            json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "A", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}},
                                                                         {"name": "A", "isDefault": false, "priority": 1, "prices": {"input": 2},
                                                                          "conditions": [{"source": "metadata", "key": "k", "operator": "in", "values": ["v"]}]}]}),
            "pricingTiers: pricing tier names must be unique",
        ),
        (
            json!({"modelName": "m", "matchPattern": "x", "pricingTiers": [{"name": "A", "isDefault": false, "priority": 0, "conditions": [], "prices": {"input": 1}}]}),
            "pricingTiers: exactly one pricing tier must have isDefault: true",
        ),
        (with("unit", json!("LITRES")), "unit: must be one of"),
        (with("tokenizerId", json!("llama")), "tokenizerId"),
        (with("inputPrice", json!(-0.1)), "inputPrice: must be a non-negative number"),
        (with("startDate", json!("soon")), "startDate"),
    ];
    for (body, expected) in cases {
        let response = api.call("POST", "/api/public/models", Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        let json = response.json();
        let message = json["message"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
        assert_eq!(json["error"], "InvalidRequestError");
    }
    let response = api
        .send(
            axum::http::Request::post("/api/public/models")
                .header("authorization", api.basic_auth())
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.json()["message"].as_str().unwrap().contains("not valid JSON"));

    for query in ["limit=0", "limit=101", "page=0", "limit=ten"] {
        let response = api.call("GET", &format!("/api/public/models?{query}"), None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
    }

    // The same name, start date and unit twice in one project.
    create(&api, flat_model()).await;
    let response = api.call("POST", "/api/public/models", Some(flat_model())).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.json()["message"].as_str().unwrap().contains("already exists"), "{}", response.text());
    // A new start date is a new price for the same name.
    create(&api, with("startDate", json!("2030-01-01"))).await;
}

#[tokio::test]
async fn projects_cannot_see_or_delete_each_others_models() {
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let created = create(&a, flat_model()).await;
    let id = created["id"].as_str().unwrap();

    assert_eq!(b.call("GET", &format!("/api/public/models/{id}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.call("DELETE", &format!("/api/public/models/{id}"), None).await.status, StatusCode::NOT_FOUND);
    let list = b.call("GET", "/api/public/models?limit=100", None).await.json();
    assert_eq!(list["meta"]["totalItems"], json!(N_BUILTIN));
    assert!(list["data"].as_array().unwrap().iter().all(|m| m["isLangfuseManaged"] == json!(true)));
    assert_eq!(a.call("GET", &format!("/api/public/models/{id}"), None).await.status, StatusCode::OK, "still there for A");

    // Pricing follows the same boundary.
    let pricing = Pricing::new(a.pool.clone());
    let for_a = price(&pricing.project(&a.project).await.unwrap(), "my-gpt", json!({"input": 1000}));
    let for_b = price(&pricing.project(&b.project).await.unwrap(), "my-gpt", json!({"input": 1000}));
    assert_eq!(for_a.internal_model_id.as_deref(), Some(id));
    assert_eq!(for_a.total_cost, Some(0.001));
    assert_eq!((for_b.internal_model_id, for_b.total_cost), (None, None));
}

#[tokio::test]
async fn a_project_model_overrides_a_built_in_after_invalidation() {
    let api = TestApi::new().await;
    let pricing = Pricing::new(api.pool.clone());
    let usage = json!({"input": 1000, "output": 100});

    let before = price(&pricing.project(&api.project).await.unwrap(), "gpt-4o-mini", usage.clone());
    let builtin_id = builtin::models().iter().find(|m| m.model_name == "gpt-4o-mini").unwrap().id.clone();
    assert_eq!(before.internal_model_id.as_deref(), Some(builtin_id.as_str()));
    assert_eq!(before.total_cost, Some(0.00021), "1000 × 1.5e-7 + 100 × 6e-7, exactly");

    // Another replica creates the override (stored directly: no invalidation reaches this
    // process).
    let body = json!({"modelName": "gpt-4o-mini", "matchPattern": "(?i)^(openai/)?gpt-4o-mini$", "inputPrice": 1.0, "outputPrice": 10.0});
    let new_model = loupe_server::pricing::check::check_model(&body, &api.project_id, "override-1", |_| false).unwrap();
    let stored = loupe_server::pricing::store::insert(&api.pool, new_model).await.unwrap();
    let created = json!({"id": stored.id});

    // Within the cache lifetime this replica still prices with what it loaded ...
    let cached = price(&pricing.project(&api.project).await.unwrap(), "gpt-4o-mini", usage.clone());
    assert_eq!(cached.internal_model_id.as_deref(), Some(builtin_id.as_str()));
    // ... and with the entry invalidated, the project model wins.
    pricing.invalidate(&api.project);
    let after = price(&pricing.project(&api.project).await.unwrap(), "gpt-4o-mini", usage.clone());
    assert_eq!(after.internal_model_id.as_deref(), created["id"].as_str());
    assert_eq!(after.total_cost, Some(2000.0));
    assert_eq!(after.tier_name.as_deref(), Some("Standard"));
    // Names only the built-in covers stay with the built-in.
    let other = price(&pricing.project(&api.project).await.unwrap(), "gpt-4o-mini-2024-07-18", usage.clone());
    assert_ne!(other.internal_model_id.as_deref(), created["id"].as_str());

    // Deleting the override through this process's API brings the built-in back at once: every
    // `Pricing` of the process drops the project's entry (`pricing::models_changed`).
    let id = created["id"].as_str().unwrap();
    assert_eq!(api.call("DELETE", &format!("/api/public/models/{id}"), None).await.status, StatusCode::OK);
    let restored = price(&pricing.project(&api.project).await.unwrap(), "gpt-4o-mini", usage);
    assert_eq!(restored.internal_model_id.as_deref(), Some(builtin_id.as_str()));
}

#[tokio::test]
async fn the_cache_expires_on_its_own_and_future_models_wait_for_their_start_date() {
    let api = TestApi::new().await;
    let pricing = Pricing::with_ttl(api.pool.clone(), std::time::Duration::from_millis(50));
    assert!(price(&pricing.project(&api.project).await.unwrap(), "my-gpt", json!({"input": 1})).internal_model_id.is_none());
    // Stored by another replica: nothing tells this process.
    let later = {
        let mut m = flat_model();
        m["startDate"] = json!("2999-01-01T00:00:00Z");
        m["inputPrice"] = json!(5.0);
        m
    };
    for (n, body) in [flat_model(), later].iter().enumerate() {
        let model = loupe_server::pricing::check::check_model(body, &api.project_id, &format!("elsewhere-{n}"), |_| false).unwrap();
        loupe_server::pricing::store::insert(&api.pool, model).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    // Another replica (no invalidation) sees the model once its entry expired; the definition
    // starting in 2999 does not apply yet.
    let priced = price(&pricing.project(&api.project).await.unwrap(), "acme/my-gpt", json!({"input": 1000}));
    assert_eq!(priced.total_cost, Some(0.001));
}

#[tokio::test]
async fn stored_tokenizers_count_missing_usage() {
    let api = TestApi::new().await;
    create(&api, flat_model()).await;
    let pricing = Pricing::new(api.pool.clone());
    let prices = pricing.project(&api.project).await.unwrap();
    let empty = BTreeMap::new();
    let input = json!([{"role": "user", "content": "How many tokens is this sentence?"}]);
    let priced = prices.price(&PricingInput {
        r#type: ObservationType::Generation,
        level: ObservationLevel::Default,
        model: Some("my-gpt"),
        provided_usage: &empty,
        provided_cost: &BTreeMap::new(),
        model_parameters: None,
        metadata: None,
        input: Some(&input),
        output: Some(&json!("Eight.")),
    });
    assert!(priced.usage_details["input"] > 7, "{:?}", priced.usage_details);
    assert!(priced.usage_details["output"] >= 1);
    assert!(priced.total_cost.is_some_and(|cost| cost > 0.0));
}
