//! Annotation queues (#20) on a real Postgres: Langfuse's public API shapes and refusals, and the
//! review flow's locking — reviewers asking at the same instant never get the same item, a
//! reviewer never gets an item they completed or skipped, a lapsed lock is anybody's, and an
//! item needing two reviewers completes with the second.

use crate::common;

use common::TestApi;
use loupe_app::domain::annotation::{ItemStatus, ObjectType, Outcome};
use loupe_core::store::annotation_queues;
use serde_json::{json, Value};

/// A person in proj-a's organization (no password: the store functions are called directly).
async fn reviewer(api: &TestApi, n: usize) -> String {
    let id = format!("reviewer-{n}");
    sqlx::query("INSERT INTO accounts (id, email) VALUES ($1, $2)").bind(&id).bind(format!("r{n}@example.com")).execute(&api.pool).await.unwrap();
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ('org-of-proj-a', $1, 'MEMBER')")
        .bind(&id)
        .execute(&api.pool)
        .await
        .unwrap();
    id
}

async fn config(api: &TestApi, name: &str) -> String {
    let created = api.call("POST", "/api/public/score-configs", Some(json!({"name": name, "dataType": "BOOLEAN"}))).await;
    assert_eq!(created.status, 200, "{}", created.text());
    created.json()["id"].as_str().unwrap().to_string()
}

async fn queue(api: &TestApi, name: &str, reviewers_per_item: i32) -> String {
    let config = config(api, &format!("{name} ok")).await;
    let created = api
        .call("POST", "/api/public/annotation-queues", Some(json!({"name": name, "scoreConfigIds": [config], "reviewersPerItem": reviewers_per_item})))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    created.json()["id"].as_str().unwrap().to_string()
}

async fn add_traces(api: &TestApi, queue_id: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let (item, new) = annotation_queues::add_item(&api.pool, &api.project, queue_id, ObjectType::Trace, &format!("trace-{i:03}"), ItemStatus::Pending).await.unwrap();
        assert!(new);
        ids.push(item.id);
    }
    ids
}

#[tokio::test]
async fn the_public_api_speaks_langfuses_shapes_and_names_what_is_wrong() {
    let api = TestApi::new().await;
    let config = config(&api, "correct").await;
    let created = api
        .call("POST", "/api/public/annotation-queues", Some(json!({"name": "Support review", "description": "Check tone", "scoreConfigIds": [config]})))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let queue: Value = created.json();
    for key in ["id", "name", "description", "scoreConfigIds", "createdAt", "updatedAt"] {
        assert!(queue.get(key).is_some(), "{key} in {queue}");
    }
    assert_eq!(queue["reviewersPerItem"], 1);
    let id = queue["id"].as_str().unwrap();

    // Refusals name the problem.
    let same_name = api.call("POST", "/api/public/annotation-queues", Some(json!({"name": "Support review", "scoreConfigIds": [config]}))).await;
    assert_eq!((same_name.status.as_u16(), same_name.json()["message"].as_str().unwrap()), (400, "A queue with this name already exists."));
    let no_configs = api.call("POST", "/api/public/annotation-queues", Some(json!({"name": "Empty", "scoreConfigIds": []}))).await;
    assert_eq!(no_configs.status, 400);
    assert!(no_configs.text().contains("scoreConfigIds"), "{}", no_configs.text());
    let foreign = api.call("POST", "/api/public/annotation-queues", Some(json!({"name": "Foreign", "scoreConfigIds": ["nope"]}))).await;
    assert_eq!(foreign.json()["message"], "At least one of the score config IDs cannot be found for the given project.");
    let unknown_field = api.call("POST", "/api/public/annotation-queues", Some(json!({"name": "X", "scoreConfigIds": [config], "color": "red"}))).await;
    assert_eq!(unknown_field.status, 400);
    assert!(unknown_field.text().contains("color"), "{}", unknown_field.text());
    assert_eq!(api.call("GET", "/api/public/annotation-queues?page=1&sort=name", None).await.status, 400, "strict query");
    assert_eq!(api.call("GET", "/api/public/annotation-queues/missing", None).await.json()["message"], "Annotation queue not found");

    // Items: added once per object, listed newest first, completed by PATCH, deleted.
    let items_path = format!("/api/public/annotation-queues/{id}/items");
    let add = |object: &'static str| api.call("POST", &items_path, Some(json!({"objectId": object, "objectType": "TRACE"})));
    let first = add("t-1").await.json();
    let again = add("t-1").await.json();
    assert_eq!(first["id"], again["id"], "adding the same object twice does not duplicate it");
    assert_eq!((first["status"].as_str(), first["completedAt"].is_null()), (Some("PENDING"), true));
    add("t-2").await;
    let bad_type = api.call("POST", &format!("/api/public/annotation-queues/{id}/items"), Some(json!({"objectId": "x", "objectType": "DATASET"}))).await;
    assert_eq!(bad_type.status, 400);
    assert!(bad_type.text().contains("DATASET"), "{}", bad_type.text());
    let listed = api.call("GET", &format!("/api/public/annotation-queues/{id}/items?limit=10"), None).await.json();
    assert_eq!(listed["meta"]["totalItems"], 2);
    assert_eq!(listed["data"][0]["objectId"], "t-2", "newest first");
    let item = first["id"].as_str().unwrap();
    let done = api.call("PATCH", &format!("/api/public/annotation-queues/{id}/items/{item}"), Some(json!({"status": "COMPLETED"}))).await.json();
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["completedAt"].is_string());
    let pending = api.call("GET", &format!("/api/public/annotation-queues/{id}/items?status=PENDING"), None).await.json();
    assert_eq!(pending["meta"]["totalItems"], 1);
    assert_eq!(api.call("GET", &format!("/api/public/annotation-queues/{id}/items?status=DONE"), None).await.status, 400);
    let deleted = api.call("DELETE", &format!("/api/public/annotation-queues/{id}/items/{item}"), None).await.json();
    assert_eq!(deleted, json!({"success": true, "message": "Annotation queue item deleted successfully"}));
    assert_eq!(api.call("GET", &format!("/api/public/annotation-queues/{id}/items/{item}"), None).await.json()["message"], "Annotation queue item not found");

    // Assignments: members only, idempotent.
    let member = reviewer(&api, 1).await;
    let assigned = api.call("POST", &format!("/api/public/annotation-queues/{id}/assignments"), Some(json!({"userId": member}))).await;
    assert_eq!(assigned.json(), json!({"userId": member, "projectId": api.project_id, "queueId": id}));
    assert_eq!(api.call("POST", &format!("/api/public/annotation-queues/{id}/assignments"), Some(json!({"userId": member}))).await.status, 200);
    let stranger = api.call("POST", &format!("/api/public/annotation-queues/{id}/assignments"), Some(json!({"userId": "nobody"}))).await;
    assert_eq!((stranger.status.as_u16(), stranger.json()["message"].as_str().unwrap()), (404, "User not found or not authorized for this project"));
    assert_eq!(api.call("DELETE", &format!("/api/public/annotation-queues/{id}/assignments"), Some(json!({"userId": member}))).await.json(), json!({"success": true}));
    let queues = api.call("GET", "/api/public/annotation-queues", None).await.json();
    assert_eq!(queues["meta"]["totalItems"], 1);
}

#[tokio::test]
async fn twenty_reviewers_asking_at_once_each_get_a_different_item() {
    let api = TestApi::new().await;
    let queue_id = queue(&api, "Busy", 1).await;
    add_traces(&api, &queue_id, 25).await;
    let mut reviewers = Vec::new();
    for n in 0..20 {
        reviewers.push(reviewer(&api, n).await);
    }
    let claims = futures_util::future::join_all(reviewers.iter().map(|r| {
        let (pool, project, queue_id, r) = (api.pool.clone(), api.project.clone(), queue_id.clone(), r.clone());
        async move {
            let mut conn = pool.acquire().await.unwrap();
            annotation_queues::claim_next(&mut conn, &project, &queue_id, &r).await.unwrap().expect("an item for everyone")
        }
    }))
    .await;
    let mut items: Vec<&str> = claims.iter().map(|c| c.item.id.as_str()).collect();
    items.sort();
    items.dedup();
    assert_eq!(items.len(), 20, "no item was handed to two reviewers");
    // Asking again resumes the one held (a reload), renewed.
    let mut conn = api.pool.acquire().await.unwrap();
    let again = annotation_queues::claim_next(&mut conn, &api.project, &queue_id, &reviewers[0]).await.unwrap().unwrap();
    assert_eq!(again.item.id, claims[0].item.id);
    assert!(again.locked_until >= claims[0].locked_until);
}

#[tokio::test]
async fn reviewers_never_get_what_they_finished_and_two_reviews_complete_an_item() {
    let api = TestApi::new().await;
    let queue_id = queue(&api, "Double", 2).await;
    let items = add_traces(&api, &queue_id, 2).await;
    let (ann, bob, cy) = (reviewer(&api, 1).await, reviewer(&api, 2).await, reviewer(&api, 3).await);
    let mut conn = api.pool.acquire().await.unwrap();
    let claim = |who: String| {
        let (pool, project, queue_id) = (api.pool.clone(), api.project.clone(), queue_id.clone());
        async move {
            let mut conn = pool.acquire().await.unwrap();
            annotation_queues::claim_next(&mut conn, &project, &queue_id, &who).await.unwrap().map(|c| c.item.id)
        }
    };

    // Ann takes the oldest; Bob, asking meanwhile, gets the other.
    assert_eq!(claim(ann.clone()).await.as_deref(), Some(items[0].as_str()));
    assert_eq!(claim(bob.clone()).await.as_deref(), Some(items[1].as_str()));
    // Ann completes: one of two reviews, still pending, and free for the others.
    let after = annotation_queues::review(&mut conn, &api.project, &queue_id, &items[0], &ann, Outcome::Completed).await.unwrap().unwrap();
    assert_eq!(after.status, ItemStatus::Pending);
    // Ann is not handed it again, and Bob holds the other: nothing for her.
    assert_eq!(claim(ann.clone()).await, None);
    // Cy gets the first; completing it makes two reviews: COMPLETED.
    assert_eq!(claim(cy.clone()).await.as_deref(), Some(items[0].as_str()));
    let done = annotation_queues::review(&mut conn, &api.project, &queue_id, &items[0], &cy, Outcome::Completed).await.unwrap().unwrap();
    assert_eq!(done.status, ItemStatus::Completed);
    assert!(done.completed_at.is_some());
    // Bob skips his: he is not handed it again, but it stays pending for Ann.
    annotation_queues::review(&mut conn, &api.project, &queue_id, &items[1], &bob, Outcome::Skipped).await.unwrap();
    assert_eq!(claim(bob.clone()).await, None);
    assert_eq!(claim(ann.clone()).await.as_deref(), Some(items[1].as_str()));

    // A lapsed lock is anybody's: Ann's lock is made to lapse, Cy gets the item.
    sqlx::query("UPDATE annotation_queue_items SET locked_until = now() - interval '1 second' WHERE id = $1").bind(&items[1]).execute(&api.pool).await.unwrap();
    assert_eq!(claim(cy.clone()).await.as_deref(), Some(items[1].as_str()));
    // Ann renewing now fails (it is Cy's), and releasing it does nothing to Cy's lock.
    assert_eq!(annotation_queues::renew(&api.pool, &api.project, &items[1], &ann).await.unwrap(), None);
    annotation_queues::release(&api.pool, &api.project, &items[1], &ann).await.unwrap();
    assert!(annotation_queues::renew(&api.pool, &api.project, &items[1], &cy).await.unwrap().is_some());
    // Cy lets go (closed the tab): Ann can have it again.
    annotation_queues::release(&api.pool, &api.project, &items[1], &cy).await.unwrap();
    assert_eq!(claim(ann).await.as_deref(), Some(items[1].as_str()));
}

#[tokio::test]
async fn another_projects_key_sees_none_of_it() {
    let api = TestApi::new().await;
    let queue_id = queue(&api, "Private", 1).await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    assert_eq!(other.call("GET", &format!("/api/public/annotation-queues/{queue_id}"), None).await.status, 404);
    assert_eq!(other.call("GET", &format!("/api/public/annotation-queues/{queue_id}/items"), None).await.status, 404);
    let add = other.call("POST", &format!("/api/public/annotation-queues/{queue_id}/items"), Some(json!({"objectId": "t", "objectType": "TRACE"}))).await;
    assert_eq!(add.status, 404);
    assert_eq!(other.call("GET", "/api/public/annotation-queues", None).await.json()["meta"]["totalItems"], 0);
}
