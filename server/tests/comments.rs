//! Comments with mentions (#20) on a real Postgres: Langfuse's public API shapes and refusals
//! (each naming its field), project isolation, mentions recorded for the project's members only
//! and kept in step with edits, the inbox and its unread count, and the UI's server functions'
//! rules — Viewers read but cannot write, people edit their own comments, Admins delete any.

use crate::common;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::comments::{ObjectType, MAX_CONTENT_CHARS};
use loupe_core::store::comments::{self, NewComment};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// A trace `t-1` in session `s-1` with an observation `o-1`, and a prompt version; returns the
/// prompt version's id.
async fn objects(api: &TestApi) -> String {
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-12-08T10:00:00Z", "body": {"id": "t-1", "name": "chat", "sessionId": "s-1"}},
        {"id": "e2", "type": "span-create", "timestamp": "2026-12-08T10:00:00Z", "body": {"id": "o-1", "traceId": "t-1", "name": "retrieve"}}
    ]});
    assert_eq!(api.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let prompt = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "team/critic", "prompt": "Review {{movie}}"}))).await;
    assert_eq!(prompt.status, 201, "{}", prompt.text());
    prompt.json()["id"].as_str().unwrap().to_string()
}

/// A person in `org`'s organization with `role` (no password: the store is called directly).
async fn person(api: &TestApi, id: &str, name: &str, org: &str, role: &str) -> String {
    sqlx::query("INSERT INTO accounts (id, email, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(format!("{id}@example.com"))
        .bind(name)
        .execute(&api.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ($1, $2, $3)").bind(org).bind(id).bind(role).execute(&api.pool).await.unwrap();
    id.to_string()
}

async fn post(api: &TestApi, body: Value) -> common::TestResponse {
    api.call("POST", "/api/public/comments", Some(body)).await
}

/// A 400 whose message names `field`.
fn refused_naming(response: &common::TestResponse, field: &str) {
    assert_eq!(response.status, 400, "{}", response.text());
    let message = response.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains(field), "the message names {field}: {message}");
}

#[tokio::test]
async fn the_public_api_speaks_langfuses_shapes_and_names_what_is_wrong() {
    let api = TestApi::new().await;
    let prompt_id = objects(&api).await;
    let author = person(&api, "ann", "Ann Lee", "org-of-proj-a", "MEMBER").await;

    // One comment on each kind of object; the answer is only the id.
    let mut ids = Vec::new();
    for (object_type, object_id) in [("TRACE", "t-1"), ("OBSERVATION", "o-1"), ("SESSION", "s-1"), ("PROMPT", prompt_id.as_str())] {
        let created = post(&api, json!({"projectId": "ignored", "objectType": object_type, "objectId": object_id, "content": format!("  on the {object_type}\n")})).await;
        assert_eq!(created.status, 200, "{object_type}: {}", created.text());
        let body = created.json();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let with_author = post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": "mine", "authorUserId": author})).await;
    assert_eq!(with_author.status, 200, "{}", with_author.text());

    let got = api.call("GET", &format!("/api/public/comments/{}", ids[0]), None).await;
    assert_eq!(got.status, 200);
    let comment = got.json();
    let keys: Vec<&str> = comment.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "projectId", "createdAt", "updatedAt", "objectType", "objectId", "content", "authorUserId"]);
    assert_eq!(comment["projectId"], "proj-a", "the key's project, whatever projectId said");
    assert_eq!(comment["content"], "on the TRACE", "trimmed, as Langfuse does");
    assert!(comment["authorUserId"].is_null());
    assert_eq!(comment["objectType"], "TRACE");

    // Lists: Langfuse's pagination, narrowed by object and author, newest first.
    let all = api.call("GET", "/api/public/comments?limit=2", None).await.json();
    assert_eq!(all["meta"], json!({"page": 1, "limit": 2, "totalItems": 5, "totalPages": 3}));
    assert_eq!(all["data"][0]["content"], "mine");
    let on_trace = api.call("GET", "/api/public/comments?objectType=TRACE&objectId=t-1", None).await.json();
    assert_eq!(on_trace["meta"]["totalItems"], 2);
    let on_prompt = api.call("GET", &format!("/api/public/comments?objectType=PROMPT&objectId={prompt_id}"), None).await.json();
    assert_eq!(on_prompt["data"][0]["id"], ids[3].as_str());
    let by_ann = api.call("GET", "/api/public/comments?authorUserId=ann", None).await.json();
    assert_eq!((by_ann["meta"]["totalItems"].as_i64(), by_ann["data"][0]["authorUserId"].as_str()), (Some(1), Some("ann")));

    // Refusals, each naming its field.
    let at_limit = "é".repeat(MAX_CONTENT_CHARS);
    assert_eq!(post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": at_limit})).await.status, 200, "the limit counts characters");
    let over = "x".repeat(MAX_CONTENT_CHARS + 1);
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": over})).await, "content");
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": " \n "})).await, "content");
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": 5})).await, "content");
    let dataset = post(&api, json!({"projectId": "p", "objectType": "DATASET", "objectId": "d", "content": "x"})).await;
    refused_naming(&dataset, "objectType");
    assert!(dataset.text().contains("DATASET") && dataset.text().contains("PROMPT"), "says what it got and what it takes: {}", dataset.text());
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "", "content": "x"})).await, "objectId");
    refused_naming(&post(&api, json!({"objectType": "TRACE", "objectId": "t-1", "content": "x"})).await, "projectId");
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": "x", "color": "red"})).await, "color");
    refused_naming(&post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": "x", "authorUserId": "nobody"})).await, "authorUserId");
    for (object_type, id) in [("TRACE", "t-404"), ("OBSERVATION", "t-1"), ("SESSION", "s-404"), ("PROMPT", "team/critic")] {
        let missing = post(&api, json!({"projectId": "p", "objectType": object_type, "objectId": id, "content": "x"})).await;
        assert_eq!(missing.status, 404, "{object_type} {id}: {}", missing.text());
        assert_eq!(missing.json()["message"], format!("Reference object, {object_type}: {id} not found. Skipping comment creation."));
    }
    refused_naming(&api.call("GET", "/api/public/comments?objectId=t-1", None).await, "objectType");
    refused_naming(&api.call("GET", "/api/public/comments?objectType=trace", None).await, "objectType");
    refused_naming(&api.call("GET", "/api/public/comments?sort=new", None).await, "sort");
    refused_naming(&api.call("GET", "/api/public/comments?limit=101", None).await, "limit");
    let missing = api.call("GET", "/api/public/comments/nope", None).await;
    assert_eq!((missing.status.as_u16(), missing.json()["message"].as_str().unwrap()), (404, "Comment not found within authorized project"));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM comments").fetch_one(&api.pool).await.unwrap();
    assert_eq!(stored, 6, "nothing refused was stored");
}

#[tokio::test]
async fn another_projects_comments_and_objects_are_not_found() {
    let a = TestApi::new().await;
    objects(&a).await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let created = post(&a, json!({"projectId": "proj-a", "objectType": "TRACE", "objectId": "t-1", "content": "secret-of-a"})).await.json();
    let id = created["id"].as_str().unwrap();

    let got = b.call("GET", &format!("/api/public/comments/{id}"), None).await;
    assert_eq!(got.status, 404);
    assert!(!got.text().contains("secret-of-a"));
    let listed = b.call("GET", "/api/public/comments?objectType=TRACE&objectId=t-1", None).await.json();
    assert_eq!(listed["meta"]["totalItems"], 0);
    // B's key cannot comment on A's trace, even naming A's project.
    let planted = post(&b, json!({"projectId": "proj-a", "objectType": "TRACE", "objectId": "t-1", "content": "planted"})).await;
    assert_eq!(planted.status, 404, "{}", planted.text());
    // Nor name A's people as authors.
    let ann = person(&a, "ann", "Ann", "org-of-proj-a", "MEMBER").await;
    refused_naming(&post(&b, json!({"projectId": "proj-b", "objectType": "TRACE", "objectId": "t-1", "content": "x", "authorUserId": ann})).await, "authorUserId");
    let in_a: Vec<String> = sqlx::query_scalar("SELECT content FROM comments WHERE project_id = 'proj-a'").fetch_all(&a.pool).await.unwrap();
    assert_eq!(in_a, ["secret-of-a"]);
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM comments WHERE project_id = 'proj-b'").fetch_one(&a.pool).await.unwrap(), 0);
}

#[tokio::test]
async fn mentions_reach_members_only_and_follow_edits() {
    let api = TestApi::new().await;
    let prompt_id = objects(&api).await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let ann = person(&api, "ann", "Ann Lee", "org-of-proj-a", "MEMBER").await;
    let bob = person(&api, "bob", "Bob", "org-of-proj-a", "VIEWER").await;
    let cy = person(&api, "cy", "Cy", "org-of-proj-a", "MEMBER").await;
    let eve = person(&api, "eve", "Eve", "org-of-proj-b", "OWNER").await;
    let project = &api.project;
    let mut conn = api.pool.acquire().await.unwrap();

    // Bob (a Viewer: he may read it) is recorded once; Eve (another organization), a stranger
    // and Ann herself are not.
    let content = "@[Bob](user:bob) look, @[Eve](user:eve) @[Ghost](user:ghost) @[Ann Lee](user:ann) and @[Bobby](user:bob) again";
    let new = NewComment { object_type: ObjectType::Observation, object_id: "o-1", content, author_user_id: Some(&ann) };
    let (comment, mentioned) = comments::create(&mut conn, project, &new).await.unwrap();
    assert_eq!(mentioned, [bob.clone()]);
    assert_eq!(comments::unread_count(&api.pool, &bob, None).await.unwrap(), 1);
    assert_eq!(comments::unread_count(&api.pool, &eve, None).await.unwrap(), 0);
    assert_eq!(comments::unread_count(&api.pool, &ann, None).await.unwrap(), 0);

    let inbox = comments::inbox(&api.pool, &bob, None, 0, 20).await.unwrap();
    assert_eq!((inbox.entries.len(), inbox.unread, inbox.more), (1, 1, false));
    let entry = &inbox.entries[0];
    assert_eq!(entry.href, "/project/proj-a/traces/t-1?observation=o-1", "an observation opens its trace at it");
    assert_eq!(entry.author_name.as_deref(), Some("Ann Lee"));
    assert_eq!((entry.project_name.as_str(), entry.read), ("Test project", false));
    assert!(entry.excerpt.starts_with("@Bob look, @Eve @Ghost @Ann Lee"), "{}", entry.excerpt);

    // An edit keeps Bob's mention as it was (read), drops a removed one and adds a new one unread.
    assert!(comments::mark_read(&api.pool, &bob, project, &comment.id).await.unwrap());
    assert!(!comments::mark_read(&api.pool, &bob, project, &comment.id).await.unwrap(), "already read");
    assert_eq!(comments::unread_count(&api.pool, &bob, None).await.unwrap(), 0);
    let edited = comments::update_own(&mut conn, project, &comment.id, &ann, "@[Bob](user:bob) and @[Cy](user:cy)").await.unwrap().unwrap();
    assert!(edited.updated_at > edited.created_at);
    assert_eq!(comments::unread_count(&api.pool, &bob, None).await.unwrap(), 0, "Bob's mention stays read");
    assert_eq!(comments::unread_count(&api.pool, &cy, None).await.unwrap(), 1);
    comments::update_own(&mut conn, project, &comment.id, &ann, "@[Cy](user:cy) only").await.unwrap().unwrap();
    assert!(comments::inbox(&api.pool, &bob, None, 0, 20).await.unwrap().entries.is_empty(), "a mention taken out leaves the inbox");
    // Only the author edits; only the author (or an Admin, through `None`) deletes.
    assert!(comments::update_own(&mut conn, project, &comment.id, &cy, "hijacked").await.unwrap().is_none());
    assert!(!comments::delete(&mut conn, project, &comment.id, Some(&cy)).await.unwrap());

    // Inboxes across projects, per project, paged, and where the comment is.
    let on_prompt = NewComment { object_type: ObjectType::Prompt, object_id: &prompt_id, content: "@[Cy](user:cy) v1?", author_user_id: Some(&ann) };
    comments::create(&mut conn, project, &on_prompt).await.unwrap();
    let on_session = NewComment { object_type: ObjectType::Session, object_id: "s-1", content: "@[Cy](user:cy) session", author_user_id: None };
    comments::create(&mut conn, project, &on_session).await.unwrap();
    let page = comments::inbox(&api.pool, &cy, None, 0, 2).await.unwrap();
    assert_eq!((page.entries.len(), page.unread, page.more), (2, 3, true));
    assert_eq!(page.entries[0].href, "/project/proj-a/sessions/s-1", "newest first");
    assert_eq!(page.entries[0].author_name, None);
    assert_eq!(page.entries[1].href, "/project/proj-a/prompts/team/critic?version=1");
    let rest = comments::inbox(&api.pool, &cy, None, 1, 2).await.unwrap();
    assert_eq!((rest.entries.len(), rest.more), (1, false));
    assert_eq!(comments::unread_count(&api.pool, &cy, Some(&other.project)).await.unwrap(), 0, "none in project B");
    assert_eq!(comments::mark_all_read(&api.pool, &cy, Some(&other.project)).await.unwrap(), 0);
    assert_eq!(comments::mark_all_read(&api.pool, &cy, Some(project)).await.unwrap(), 3);
    assert_eq!(comments::unread_count(&api.pool, &cy, None).await.unwrap(), 0);

    // Mentions through the public API reach the inbox too; leaving the organization empties it.
    let by_api = post(&api, json!({"projectId": "p", "objectType": "TRACE", "objectId": "t-1", "content": "ping @[Cy](user:cy)"})).await;
    assert_eq!(by_api.status, 200);
    assert_eq!(comments::unread_count(&api.pool, &cy, None).await.unwrap(), 1);
    sqlx::query("DELETE FROM organization_memberships WHERE user_id = 'cy'").execute(&api.pool).await.unwrap();
    assert!(comments::inbox(&api.pool, &cy, None, 0, 20).await.unwrap().entries.is_empty(), "no inbox entry for a project one left");
    assert_eq!(comments::unread_count(&api.pool, &cy, None).await.unwrap(), 0);

    // Deleting a comment takes its mentions with it.
    assert!(comments::delete(&mut conn, project, &comment.id, Some(&ann)).await.unwrap());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM comment_mentions WHERE comment_id = $1").bind(&comment.id).fetch_one(&api.pool).await.unwrap();
    assert_eq!(left, 0);
    // The database holds the limit too, whatever a caller forgets to check.
    let over = "x".repeat(MAX_CONTENT_CHARS + 1);
    let refused = comments::create(&mut conn, project, &NewComment { object_type: ObjectType::Trace, object_id: "t-1", content: &over, author_user_id: None }).await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn viewers_read_members_write_their_own_and_admins_delete_any() {
    let api = TestApi::new().await;
    objects(&api).await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "ADMIN").await;
    let viewer_id = viewer.ok("session", &[]).await["user"]["id"].as_str().unwrap().to_string();

    // The composer's list: the project's members.
    let people = member.ok("list_comment_members", &[("project_id", "proj-a")]).await;
    let emails: Vec<&str> = people.as_array().unwrap().iter().map(|p| p["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), 3, "{people}");
    assert!(emails.contains(&"viewer@example.com"));
    assert_eq!(viewer.call("list_comment_members", &[("project_id", "proj-a")]).await.status, 403, "only writers compose");

    let content = format!("Have a look @[Viewer](user:{viewer_id}) **now**");
    let created = member
        .ok("create_comment", &[("project_id", "proj-a"), ("object_type", "TRACE"), ("object_id", "t-1"), ("content", &content)])
        .await;
    assert_eq!((created["can_edit"].as_bool(), created["can_delete"].as_bool()), (Some(true), Some(true)));
    assert_eq!(created["author_name"], "member@example.com", "no name: the email");
    let id = created["comment"]["id"].as_str().unwrap().to_string();
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'comment.create' AND resource_id = $1").bind(&id).fetch_one(&api.pool).await.unwrap();
    assert_eq!(audited, 1);

    // The viewer reads the thread, sees the mention, and may do nothing else.
    let thread = viewer.ok("list_comments", &[("project_id", "proj-a"), ("object_type", "TRACE"), ("object_id", "t-1")]).await;
    assert_eq!(thread[0]["comment"]["content"], content.as_str());
    assert_eq!((thread[0]["can_edit"].as_bool(), thread[0]["can_delete"].as_bool()), (Some(false), Some(false)));
    assert_eq!(viewer.ok("unread_mention_count", &[]).await, 1);
    let inbox = viewer.ok("list_mentions", &[]).await;
    assert_eq!(inbox["entries"][0]["href"], "/project/proj-a/traces/t-1");
    let refused = viewer.call("create_comment", &[("project_id", "proj-a"), ("object_type", "TRACE"), ("object_id", "t-1"), ("content", "hi")]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(viewer.call("edit_comment", &[("project_id", "proj-a"), ("comment_id", &id), ("content", "hi")]).await.status, 403);
    assert_eq!(viewer.call("delete_comment", &[("project_id", "proj-a"), ("comment_id", &id)]).await.status, 403);
    assert_eq!(viewer.ok("mark_mentions_read", &[("project_id", "proj-a"), ("comment_id", &id)]).await, 0, "reading is the viewer's own business");
    assert_eq!(viewer.ok("list_mentions", &[("project_id", "proj-a")]).await["entries"][0]["read"], true);

    // Bad input names the field; a missing object is not found.
    let too_long = "x".repeat(MAX_CONTENT_CHARS + 1);
    let long = member.call("create_comment", &[("project_id", "proj-a"), ("object_type", "TRACE"), ("object_id", "t-1"), ("content", &too_long)]).await;
    assert_eq!(long.status, 400);
    assert_eq!(long.json()["Invalid"]["field"], "content", "{}", long.text());
    let missing = member.call("create_comment", &[("project_id", "proj-a"), ("object_type", "SESSION"), ("object_id", "s-404"), ("content", "x")]).await;
    assert_eq!(missing.status, 404);

    // Someone else's comment: the admin may not edit it but may delete it.
    let edit = admin.call("edit_comment", &[("project_id", "proj-a"), ("comment_id", &id), ("content", "rewritten")]).await;
    assert_eq!(edit.status, 403, "{}", edit.text());
    let edited = member.ok("edit_comment", &[("project_id", "proj-a"), ("comment_id", &id), ("content", "better")]).await;
    assert_eq!(edited["comment"]["content"], "better");
    let theirs = admin.ok("list_comments", &[("project_id", "proj-a"), ("object_type", "TRACE"), ("object_id", "t-1")]).await;
    assert_eq!((theirs[0]["can_edit"].as_bool(), theirs[0]["can_delete"].as_bool()), (Some(false), Some(true)));
    admin.ok("delete_comment", &[("project_id", "proj-a"), ("comment_id", &id)]).await;
    assert_eq!(member.call("delete_comment", &[("project_id", "proj-a"), ("comment_id", &id)]).await.status, 404);
    assert_eq!(viewer.ok("unread_mention_count", &[]).await, 0);
    assert_eq!(viewer.ok("list_mentions", &[]).await["entries"], json!([]));
}
