//! Accounts and teams through the UI's server functions, in-process on a real Postgres: sign-up
//! and sign-in (cookies, throttling, CSRF), organizations, projects, API keys, invitations, roles
//! and the last-owner rule, the audit log — and the isolation table: a member of one organization
//! can read or change nothing of another through any server function or public API route.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn count(api: &TestApi, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&api.pool).await.unwrap()
}

#[tokio::test]
async fn sign_up_sign_in_and_sign_out_with_a_session_cookie() {
    let api = TestApi::new().await;
    let mut browser = Browser::new(&api);
    // Not signed in: pages redirect to sign-in (keeping where the person wanted to go).
    let page = browser.send(Request::get("/project/p1/traces?x=1").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.headers["location"], "/sign-in?next=/project/p1/traces%3Fx%3D1");
    assert_eq!(browser.call("session", &[]).await.json(), Value::Null, "no session yet");

    // Bad input says what is wrong.
    let weak = browser.call("sign_up", &[("email", "alice@example.com"), ("password", "short")]).await;
    assert_eq!(weak.status, 400);
    assert_eq!(weak.json(), json!({"Invalid": {"field": "password", "message": "Use at least 8 characters."}}));
    let bad_email = browser.call("sign_up", &[("email", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(bad_email.status, 400);
    assert_eq!(bad_email.json()["Invalid"]["field"], "email");

    let response = browser.call("sign_up", &[("email", "alice@example.com"), ("name", "Alice"), ("password", PASSWORD)]).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let cookie = response.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    let session = browser.ok("session", &[]).await;
    assert_eq!(session["user"]["email"], "alice@example.com");
    let signed_in_page = Request::get("/sign-in").header("cookie", browser.cookie.clone().unwrap()).body(Body::empty()).unwrap();
    let page = browser.send(signed_in_page).await;
    assert_eq!((page.status.as_u16(), page.headers["location"].to_str().unwrap()), (303, "/"), "signed in: sign-in leads home");
    assert_eq!(session["user"]["is_instance_admin"], true, "the first account administers the instance");
    assert_eq!(session["organizations"], json!([]));

    let duplicate = Browser::new(&api).call("sign_up", &[("email", "ALICE@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(duplicate.status, 400);
    assert!(duplicate.text().contains("already exists"), "{}", duplicate.text());
    assert_eq!(count(&api, "SELECT count(*) FROM accounts").await, 1, "nothing half-done");

    browser.ok("sign_out", &[]).await;
    assert!(browser.cookie.is_none(), "sign-out clears the cookie");
    assert_eq!(count(&api, "SELECT count(*) FROM sign_in_sessions").await, 0);

    let wrong = browser.call("sign_in", &[("email", "alice@example.com"), ("password", "not it at all")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("Wrong email or password"));
    let unknown = browser.call("sign_in", &[("email", "nobody@example.com"), ("password", "not it at all")]).await;
    assert_eq!(unknown.text(), wrong.text(), "an unknown email looks like a wrong password");
    let next = browser.ok("sign_in", &[("email", "alice@example.com"), ("password", PASSWORD), ("next", "//evil.example")]).await;
    assert_eq!(next, "/", "only local redirects");
    assert_eq!(browser.ok("session", &[]).await["user"]["name"], "Alice");

    // A Secure cookie when served over https; sign-up can be turned off (invitations still work).
    let mut https = Browser::new(&api);
    https.settings.secure_cookies = true;
    https.settings.sign_up_enabled = false;
    let refused = https.call("sign_up", &[("email", "carol@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("Sign-up is disabled"));
    let response = https.call("sign_in", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert!(response.headers["set-cookie"].to_str().unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_address() {
    let api = TestApi::new().await;
    Browser::sign_up(&api, "alice@example.com", PASSWORD).await;
    let mut browser = Browser::new(&api);
    for _ in 0..loupe_core::auth::throttle::PER_ACCOUNT_AND_IP {
        let response = browser.call("sign_in", &[("email", "alice@example.com"), ("password", "wrong password!")]).await;
        assert_eq!(response.status, 400);
    }
    let throttled = browser.call("sign_in", &[("email", "Alice@Example.com"), ("password", PASSWORD)]).await;
    assert_eq!(throttled.status, 429, "even the right password waits");
    assert!(throttled.text().contains("Too many failed sign-in attempts") && throttled.text().contains("minutes"), "{}", throttled.text());
    // Other accounts are not affected.
    Browser::sign_up(&api, "bob@example.com", PASSWORD).await;
    browser.ok("sign_in", &[("email", "bob@example.com"), ("password", PASSWORD)]).await;
    // Once the window has passed, Alice can sign in again.
    sqlx::query("UPDATE sign_in_failures SET failed_at = failed_at - interval '16 minutes'").execute(&api.pool).await.unwrap();
    browser.ok("sign_in", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let api = TestApi::new().await;
    let browser = Browser::sign_up(&api, "alice@example.com", PASSWORD).await;
    let forged = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = Request::post("/api/ui/create_organization")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "loupe.test")
            .header("cookie", browser.cookie.clone().unwrap());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.body(Body::from("name=Evil&project_name=Evil")).unwrap()
    };
    for (origin, site) in [(Some("https://evil.example"), None), (Some("null"), None), (None, Some("cross-site"))] {
        let response = browser.send(forged(origin, site)).await;
        assert_eq!(response.status, 403, "{origin:?} {site:?}");
    }
    assert_eq!(count(&api, "SELECT count(*) FROM organizations WHERE name = 'Evil'").await, 0);
    let response = browser.send(forged(Some("http://loupe.test"), Some("same-origin"))).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn organizations_projects_api_keys_and_the_audit_log() {
    let api = TestApi::new().await;
    let mut alice = Browser::sign_up(&api, "alice@example.com", PASSWORD).await;
    let empty = alice.call("create_organization", &[("name", "  "), ("project_name", "p")]).await;
    assert_eq!(empty.status, 400);
    let (org, project) = alice.create_org("Acme", "Chatbot").await;
    let session = alice.ok("session", &[]).await;
    assert_eq!(session["organizations"][0]["role"], "OWNER");
    assert_eq!(session["organizations"][0]["projects"][0]["name"], "Chatbot");

    let second = alice.ok("create_project", &[("org_id", &org), ("name", "Search")]).await;
    let taken = alice.call("create_project", &[("org_id", &org), ("name", "search")]).await;
    assert_eq!(taken.status, 400, "project names are unique in an organization");

    // A key: the secret comes back once, the list masks it, the public API accepts it.
    let created = alice.ok("create_api_key", &[("project_id", &project), ("note", "ci")]).await;
    let secret = created["secret_key"].as_str().unwrap().to_string();
    let public = created["key"]["public_key"].as_str().unwrap().to_string();
    assert!(public.starts_with("pk-lf-") && secret.starts_with("sk-lf-"));
    assert_eq!(created["host"], "http://loupe.test");
    let listed = alice.ok("list_api_keys", &[("project_id", &project)]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["display_secret_key"], format!("sk-lf-...{}", &secret[secret.len() - 4..]));
    assert!(!listed.to_string().contains(&secret), "the secret is never listed");
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM api_keys WHERE public_key = $1").bind(&public).fetch_one(&api.pool).await.unwrap();
    assert!(stored.starts_with("$argon2id$"), "only a hash is stored");
    let with_key = |public: &str, secret: &str| {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{public}:{secret}"));
        Request::get("/api/public/projects").header("authorization", format!("Basic {auth}")).body(Body::empty()).unwrap()
    };
    let projects = alice.send(with_key(&public, &secret)).await;
    assert_eq!(projects.status, 200);
    assert_eq!(projects.json()["data"][0]["id"], project);

    // Revoking takes effect at once, even though the key's verification is cached.
    let key_id = listed[0]["id"].as_str().unwrap().to_string();
    alice.ok("revoke_api_key", &[("project_id", &project), ("key_id", &key_id)]).await;
    assert_eq!(alice.send(with_key(&public, &secret)).await.status, 401);

    // Rename and delete (type the name to confirm).
    alice.ok("rename_project", &[("project_id", &project), ("name", "Chatbot v2")]).await;
    let created = alice.ok("create_api_key", &[("project_id", &project)]).await;
    let (public, secret) = (created["key"]["public_key"].as_str().unwrap().to_string(), created["secret_key"].as_str().unwrap().to_string());
    assert_eq!(alice.send(with_key(&public, &secret)).await.status, 200);
    let wrong = alice.call("delete_project", &[("project_id", &project), ("confirm_name", "Chatbot")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("Chatbot v2"), "says what to type: {}", wrong.text());
    alice.ok("delete_project", &[("project_id", &project), ("confirm_name", "Chatbot v2")]).await;
    assert_eq!(alice.send(with_key(&public, &secret)).await.status, 401, "a deleted project's keys stop at once");
    let gone = alice.call("delete_project", &[("project_id", &project), ("confirm_name", "Chatbot v2")]).await;
    assert_eq!(gone.status, 404);
    assert_eq!(alice.ok("session", &[]).await["organizations"][0]["projects"].as_array().unwrap().len(), 1);
    // The purge removes the project's rows in the background.
    while loupe_server::maintenance::purge_deleted_projects(&api.pool).await.unwrap() > 0 {}
    assert_eq!(count(&api, &format!("SELECT count(*) FROM projects WHERE id = '{project}'")).await, 0);

    // Every change is in the audit log, newest first, with before and after; filters work.
    let log = alice.ok("list_audit_log", &[("org_id", &org), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", "")]).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["project.delete", "api_key.create", "project.rename", "api_key.revoke", "api_key.create", "project.create", "project.create", "organization.create"]);
    let rename = &log["entries"][2];
    assert_eq!((rename["before"]["name"].as_str(), rename["after"]["name"].as_str()), (Some("Chatbot"), Some("Chatbot v2")));
    assert_eq!(rename["actor"], "alice@example.com");
    let keys_only = alice.ok("list_audit_log", &[("org_id", &org), ("filter[action]", "api_key.create"), ("filter[actor]", "alice"), ("filter[project_id]", "")]).await;
    assert_eq!(keys_only["entries"].as_array().unwrap().len(), 2);
    let other_project = alice.ok("list_audit_log", &[("org_id", &org), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", second.as_str().unwrap())]).await;
    assert_eq!(other_project["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn invitations_roles_and_the_last_owner() {
    let api = TestApi::new().await;
    let mut alice = Browser::sign_up(&api, "alice@example.com", PASSWORD).await;
    let (org, project) = alice.create_org("Acme", "Chatbot").await;
    let invite = |email: &'static str, role: &'static str| [("org_id", org.clone()), ("email", email.to_string()), ("role", role.to_string())];

    let created = alice.ok("create_invitation", &invite("bob@example.com", "VIEWER").each_ref().map(|(k, v)| (*k, v.as_str()))).await;
    let link = created["link"].as_str().unwrap().to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(link.starts_with("http://loupe.test/invite/"));
    let again = alice.call("create_invitation", &invite("BOB@example.com", "MEMBER").each_ref().map(|(k, v)| (*k, v.as_str()))).await;
    assert_eq!(again.status, 400, "one open invitation per person");

    // Anyone with the link sees what it offers; Bob signs up through it and joins as Viewer.
    let mut bob = Browser::new(&api);
    let preview = bob.ok("preview_invitation", &[("token", &token)]).await;
    assert_eq!((preview["organization_name"].as_str(), preview["role"].as_str(), preview["state"].as_str()), (Some("Acme"), Some("VIEWER"), Some("Open")));
    let mallory = bob.call("sign_up", &[("email", "mallory@example.com"), ("password", PASSWORD), ("invite", &token)]).await;
    assert_eq!(mallory.status, 400, "an invitation is for its email only");
    assert_eq!(count(&api, "SELECT count(*) FROM accounts WHERE email = 'mallory@example.com'").await, 0, "nothing half-done");
    let next = bob.ok("sign_up", &[("email", "bob@example.com"), ("password", PASSWORD), ("invite", &token)]).await;
    assert_eq!(next, "/");
    let session = bob.ok("session", &[]).await;
    assert_eq!(session["organizations"][0]["role"], "VIEWER");
    assert_eq!(session["organizations"][0]["projects"][0]["role"], "VIEWER");
    let reused = bob.call("accept_invitation", &[("token", &token)]).await;
    assert_eq!(reused.status, 400);
    assert!(reused.text().contains("already been used"));

    // Viewers read but may not manage keys, members or settings.
    let refused = bob.call("create_api_key", &[("project_id", &project)]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["Forbidden"], "Your role (Viewer) may not manage API keys; ask an Admin or Owner of the organization");
    assert_eq!(bob.call("list_api_keys", &[("project_id", &project)]).await.status, 403);
    assert_eq!(bob.call("rename_project", &[("project_id", &project), ("name", "x")]).await.status, 403);
    let missing = bob.call("list_audit_log", &[("org_id", &org)]).await;
    assert_eq!(missing.status, 400, "arguments that do not decode are the caller's mistake: {}", missing.text());
    assert_eq!(missing.json()["Invalid"]["field"], "arguments");
    let audit = bob.call("list_audit_log", &[("org_id", &org), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", "")]).await;
    assert_eq!(audit.status, 403);
    assert_eq!(bob.ok("list_members", &[("org_id", &org)]).await.as_array().unwrap().len(), 2);

    // A project role override: Bob is Admin in this project only.
    let bob_id = session["user"]["id"].as_str().unwrap().to_string();
    alice.ok("set_project_role", &[("project_id", &project), ("user_id", &bob_id), ("role", "ADMIN")]).await;
    bob.ok("create_api_key", &[("project_id", &project)]).await;
    assert_eq!(bob.call("create_project", &[("org_id", &org), ("name", "x")]).await.status, 403, "still a Viewer of the organization");
    alice.ok("set_project_role", &[("project_id", &project), ("user_id", &bob_id)]).await;
    assert_eq!(bob.call("create_api_key", &[("project_id", &project)]).await.status, 403, "override cleared");

    // Roles: Admins cannot make Owners; the last Owner can neither leave nor be demoted.
    alice.ok("change_member_role", &[("org_id", &org), ("user_id", &bob_id), ("role", "ADMIN")]).await;
    let promote = bob.call("change_member_role", &[("org_id", &org), ("user_id", &bob_id), ("role", "OWNER")]).await;
    assert_eq!(promote.status, 403);
    let alice_id = alice.ok("session", &[]).await["user"]["id"].as_str().unwrap().to_string();
    let demote_owner = bob.call("change_member_role", &[("org_id", &org), ("user_id", &alice_id), ("role", "VIEWER")]).await;
    assert_eq!(demote_owner.status, 403, "an Admin cannot change an Owner");
    let leave = alice.call("remove_member", &[("org_id", &org), ("user_id", &alice_id)]).await;
    assert_eq!(leave.status, 400);
    assert!(leave.text().contains("at least one Owner"), "{}", leave.text());
    let demote = alice.call("change_member_role", &[("org_id", &org), ("user_id", &alice_id), ("role", "ADMIN")]).await;
    assert_eq!(demote.status, 400);
    alice.ok("change_member_role", &[("org_id", &org), ("user_id", &bob_id), ("role", "OWNER")]).await;
    alice.ok("remove_member", &[("org_id", &org), ("user_id", &alice_id)]).await;
    assert_eq!(alice.ok("session", &[]).await["organizations"], json!([]), "Alice left");

    // Expired and revoked invitations say so.
    let created = bob.ok("create_invitation", &[("org_id", &org), ("email", "carol@example.com"), ("role", "MEMBER")]).await;
    let carol_token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE lower(email) = 'carol@example.com'").execute(&api.pool).await.unwrap();
    let expired = Browser::new(&api).call("sign_up", &[("email", "carol@example.com"), ("password", PASSWORD), ("invite", &carol_token)]).await;
    assert_eq!(expired.status, 400);
    assert!(expired.text().contains("expired"));
    let id = created["invitation"]["id"].as_str().unwrap();
    bob.ok("revoke_invitation", &[("org_id", &org), ("invitation_id", id)]).await;
    let preview = Browser::new(&api).ok("preview_invitation", &[("token", &carol_token)]).await;
    assert_eq!(preview["state"], "Revoked");

    let log = bob.ok("list_audit_log", &[("org_id", &org), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", "")]).await;
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for expected in ["invitation.create", "member.join", "member.project_role_change", "member.role_change", "member.leave", "invitation.revoke", "api_key.create"] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
}

/// Server functions that act on no existing organization or project of the caller's choosing
/// (the session, signing in and out, an invitation link whose token is the credential, creating
/// a new organization, the instance status, which needs an instance administrator); every other
/// one is in the isolation table below.
const NOT_SCOPED: [&str; 13] = [
    "session", "sign_up_enabled", "sign_in", "sign_up", "sign_out", "change_password",
    // The caller's own account only.
    "set_language",
    "preview_invitation", "accept_invitation", "create_organization", "system_status",
    // The caller's own projects only (checked below).
    "project_activity",
    // The caller's own mentions only (checked below).
    "unread_mention_count",
];

#[tokio::test]
async fn a_member_of_one_organization_can_reach_nothing_of_another() {
    let api = TestApi::new().await;
    let mut victim = Browser::sign_up(&api, "victim@example.com", PASSWORD).await;
    let (org_b, project_b) = victim.create_org("Victim Org", "Victim Project").await;
    let key_b = victim.ok("create_api_key", &[("project_id", &project_b)]).await["key"]["id"].as_str().unwrap().to_string();
    let invitation_b = victim.ok("create_invitation", &[("org_id", &org_b), ("email", "friend@example.com"), ("role", "MEMBER")]).await["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let victim_id = victim.ok("session", &[]).await["user"]["id"].as_str().unwrap().to_string();
    let llm_b = victim
        .ok("save_llm_connection", &[("project_id", &project_b), ("provider", "victim-llm"), ("adapter", "openai"), ("secret_key", "sk-victim-1234"), ("with_default_models", "on")])
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let view_b = victim.ok("create_saved_view", &[("project_id", &project_b), ("name", "Victim view")]).await["id"].as_str().unwrap().to_string();
    let playground_b = victim
        .call_json("save_playground", &json!({"project_id": project_b, "name": "Victim playground", "playground": loupe_app::domain::playground::Playground::default()}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = victim
        .call_json("create_prompt_version", &json!({"project_id": project_b, "prompt": {"name": "victim-prompt", "prompt": "Victim secret"}}))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    victim.ok("open_prompt_draft", &[("project_id", &project_b), ("name", "victim-prompt")]).await;
    let prompt_b: String = sqlx::query_scalar("SELECT id FROM prompts WHERE project_id = $1").bind(&project_b).fetch_one(&api.pool).await.unwrap();
    let comment_b = victim
        .ok("create_comment", &[("project_id", &project_b), ("object_type", "PROMPT"), ("object_id", &prompt_b), ("content", &format!("Victim note @[Victim](user:{victim_id})"))])
        .await["comment"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Annotation (#20): a config, a queue with an item and an import, an annotation score.
    let config_b = victim
        .call_json("create_score_config", &json!({"project_id": project_b, "config": {"name": "Victim quality", "data_type": "NUMERIC",
            "min_value": 0.0, "max_value": 1.0, "categories": [], "description": null}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let queue_b = victim
        .call_json("create_annotation_queue", &json!({"project_id": project_b, "queue": {"name": "Victim queue", "description": "Victim instructions",
            "score_config_ids": [config_b], "assignee_ids": [], "reviewers_per_item": 1}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    sqlx::query("INSERT INTO annotation_queue_items (project_id, id, queue_id, object_id, object_type) VALUES ($1, 'victim-item', $2, 'victim-trace', 'TRACE')")
        .bind(&project_b)
        .bind(&queue_b)
        .execute(&api.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO annotation_queue_imports (project_id, id, queue_id, query, max_items) VALUES ($1, 'victim-import', $2, '{}', 10)")
        .bind(&project_b)
        .bind(&queue_b)
        .execute(&api.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO scores (project_id, id, timestamp, name, value, data_type, source, session_id, config_id, author_user_id)
         VALUES ($1, 'victim-score', now(), 'Victim quality', 0.5, 'NUMERIC', 'ANNOTATION', 'victim-session', $2, $3)",
    )
    .bind(&project_b)
    .bind(&config_b)
    .bind(&victim_id)
    .execute(&api.pool)
    .await
    .unwrap();

    // Datasets (#21): a dataset with an item.
    let dataset_b = victim
        .call_json("create_dataset", &json!({"project_id": project_b, "dataset": {"name": "Victim dataset", "description": "Victim description", "metadata": ""}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let saved = victim
        .call_json("save_dataset_item", &json!({"project_id": project_b, "dataset_id": dataset_b, "create": true,
            "item": {"id": "victim-ds-item", "input": "\"Victim input\"", "expected_output": "", "metadata": "", "source_trace_id": null, "source_observation_id": null}}))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    // Experiments (#21): a run of that dataset, started from the UI (its execution row too).
    for sql in [
        "INSERT INTO dataset_runs (project_id, id, dataset_id, name) VALUES ($1, 'victim-run', $2, 'Victim run')",
        "INSERT INTO experiment_executions (project_id, run_id, dataset_id, prompt_name, prompt_version, connection, model, items_as_of, total)
         VALUES ($1, 'victim-run', $2, 'victim-prompt', 1, 'victim-llm', 'gpt-4o', now(), 1)",
    ] {
        sqlx::query(sql).bind(&project_b).bind(&dataset_b).execute(&api.pool).await.unwrap();
    }

    // Evaluators (#21): an evaluator on the victim's connection and a template.
    let victim_evaluator = json!({"name": "Victim evaluator", "templateId": "builtin:relevance", "connection": "victim-llm", "model": "gpt-4o",
        "target": {"kind": "trace"}, "filter": {}, "sampling": 1.0, "delayMs": 0,
        "mapping": [{"variable": "input", "source": "input"}, {"variable": "output", "source": "output"}]});
    let created = victim.call_json("create_evaluator", &json!({"project_id": project_b, "evaluator": victim_evaluator})).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let evaluator_b = created.json()["id"].as_str().unwrap().to_string();
    let template = victim
        .call_json("create_evaluation_template", &json!({"project_id": project_b, "template": {"name": "Victim template", "prompt": "Victim {{output}}",
            "output": {"dataType": "BOOLEAN", "reasoning": "why", "score": "yes or no"}}}))
        .await;
    assert_eq!(template.status, 200, "{}", template.text());
    let backfill_b = victim.ok("start_backfill", &[("project_id", &project_b), ("evaluator_id", &evaluator_b)]).await["id"].as_str().unwrap().to_string();
    // Dashboards (#22): a custom dashboard with one of the home's widgets.
    let dashboard_b = victim
        .ok("create_dashboard", &[("project_id", &project_b), ("name", "Victim dashboard"), ("description", "Victim board"), ("from_home", "true")])
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Model prices (#22): a project model and a cost recalculation (its job waits: no runner).
    let model_b = victim
        .call_json("save_model", &json!({"project_id": project_b, "model_id": null, "form": {"model_name": "Victim model", "match_pattern": "^victim$",
            "tiers": [{"name": "Standard", "is_default": true, "priority": "0", "prices": [{"usage_type": "input", "price": "1"}]}]}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let recalculation_b = victim.ok("start_cost_recalculation", &[("project_id", &project_b), ("from", "2026-01-01"), ("to", "2026-01-02")]).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut attacker = Browser::sign_up(&api, "attacker@example.com", PASSWORD).await;
    let (org_a, project_a) = attacker.create_org("Attacker Org", "Attacker Project").await;
    let snapshot = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT concat_ws('|',
                (SELECT string_agg(id || name || coalesce(deleted_at::text, ''), ',' ORDER BY id) FROM projects WHERE org_id = $1),
                (SELECT string_agg(name, ',') FROM organizations WHERE id = $1),
                (SELECT string_agg(id, ',' ORDER BY id) FROM api_keys WHERE project_id = $2),
                (SELECT string_agg(user_id || role, ',' ORDER BY user_id) FROM organization_memberships WHERE org_id = $1),
                (SELECT string_agg(user_id || role, ',' ORDER BY user_id) FROM project_memberships WHERE project_id = $2),
                (SELECT string_agg(id || coalesce(revoked_at::text, ''), ',' ORDER BY id) FROM invitations WHERE org_id = $1),
                (SELECT string_agg(id || name, ',' ORDER BY id) FROM saved_views WHERE project_id = $2),
                (SELECT string_agg(name || version || array_to_string(labels, ';'), ',' ORDER BY name, version) FROM prompts WHERE project_id = $2),
                (SELECT string_agg(label, ',' ORDER BY label) FROM prompt_protected_labels WHERE project_id = $2),
                (SELECT string_agg(id || provider || display_secret_key, ',' ORDER BY id) FROM llm_connections WHERE project_id = $2),
                (SELECT string_agg(id || name || state::text, ',' ORDER BY id) FROM saved_playgrounds WHERE project_id = $2),
                (SELECT string_agg(kind || key || generation, ',' ORDER BY key) FROM documents WHERE project_id = $2),
                (SELECT string_agg(id || content, ',' ORDER BY id) FROM comments WHERE project_id = $2),
                (SELECT string_agg(comment_id || account_id || coalesce(read_at::text, ''), ',' ORDER BY comment_id) FROM comment_mentions WHERE project_id = $2),
                (SELECT string_agg(id || name || is_archived::text, ',' ORDER BY id) FROM score_configs WHERE project_id = $2),
                (SELECT string_agg(id || name, ',' ORDER BY id) FROM annotation_queues WHERE project_id = $2),
                (SELECT string_agg(id || status || coalesce(locked_by, ''), ',' ORDER BY id) FROM annotation_queue_items WHERE project_id = $2),
                (SELECT count(*)::text FROM annotation_queue_assignments WHERE project_id = $2),
                (SELECT count(*)::text FROM annotation_reviews WHERE project_id = $2),
                (SELECT string_agg(id || state, ',' ORDER BY id) FROM annotation_queue_imports WHERE project_id = $2),
                (SELECT string_agg(id || coalesce(value::text, '') || source, ',' ORDER BY id) FROM scores WHERE project_id = $2),
                (SELECT string_agg(id || name || coalesce(description, ''), ',' ORDER BY id) FROM datasets WHERE project_id = $2),
                (SELECT string_agg(id || name, ',' ORDER BY id) FROM dataset_runs WHERE project_id = $2),
                (SELECT string_agg(run_id || state, ',' ORDER BY run_id) FROM experiment_executions WHERE project_id = $2),
                (SELECT string_agg(id || valid_from::text || status || coalesce(input::text, ''), ',' ORDER BY id, valid_from) FROM dataset_items WHERE project_id = $2),
                (SELECT string_agg(id || name || status || prompt, ',' ORDER BY id) FROM evaluators WHERE project_id = $2),
                (SELECT string_agg(id || name, ',' ORDER BY id) FROM evaluation_templates WHERE project_id = $2),
                (SELECT string_agg(id || state, ',' ORDER BY id) FROM evaluation_backfills WHERE project_id = $2),
                (SELECT string_agg(id || name || coalesce(description, '') || widgets::text, ',' ORDER BY id) FROM dashboards WHERE project_id = $2),
                (SELECT string_agg(id || coalesce(retention_days::text, 'plan'), ',' ORDER BY id) FROM projects WHERE org_id = $1),
                (SELECT count(*)::text FROM retention_runs WHERE project_id = $2),
                (SELECT count(*)::text FROM jobs WHERE payload->>'projectId' = $2),
                (SELECT coalesce(plan_id, 'default') FROM organizations WHERE id = $1),
                (SELECT string_agg(id || coalesce(included_units::text, '-') || is_default::text, ',' ORDER BY id) FROM plans),
                (SELECT string_agg(id || model_name || pricing_tiers::text, ',' ORDER BY id) FROM models WHERE project_id = $2),
                (SELECT string_agg(id || state, ',' ORDER BY id) FROM cost_recalculations WHERE project_id = $2),
                (SELECT count(*)::text FROM audit_log WHERE org_id = $1))",
        )
        .bind(&org_b)
        .bind(&project_b)
        .fetch_one(&api.pool)
        .await
        .unwrap()
    };
    let before = snapshot().await;

    let target_b = json!({"type": "trace", "traceId": "victim-trace"});
    let planted_config = json!({"project_id": project_b, "config": {"name": "Planted", "data_type": "BOOLEAN", "min_value": null, "max_value": null, "categories": [], "description": null}}).to_string();
    let planted_form = json!({"project_id": project_b, "target": target_b}).to_string();
    let planted_annotation = |project: &str| json!({"project_id": project, "input": {"target": {"type": "session", "sessionId": "victim-session"},
        "config_id": config_b, "value": 1.0, "comment": null, "queue_id": null, "score_id": null}}).to_string();
    let (planted_annotation_b, planted_annotation_a) = (planted_annotation(&project_b), planted_annotation(&project_a));
    let planted_queue = json!({"project_id": project_b, "queue": {"name": "Planted", "description": null, "score_config_ids": [config_b], "assignee_ids": [], "reviewers_per_item": 1}}).to_string();
    let planted_items = |project: &str| json!({"project_id": project, "queue_id": queue_b, "targets": [{"type": "trace", "traceId": "victim-trace"}]}).to_string();
    let (planted_items_b, planted_items_a) = (planted_items(&project_b), planted_items(&project_a));
    let planted_matching = json!({"project_id": project_b, "queue_id": queue_b, "query": {}}).to_string();
    let planted_prompt = json!({"project_id": project_b, "prompt": {"name": "victim-prompt", "prompt": "planted"}}).to_string();
    let planted_playground =
        json!({"project_id": project_b, "name": "Victim playground", "playground": loupe_app::domain::playground::Playground::default()}).to_string();
    let planted_dataset = json!({"project_id": project_b, "dataset": {"name": "Planted", "description": "", "metadata": ""}}).to_string();
    let one_widget = serde_json::to_value(&loupe_app::domain::dashboards::home()[..1]).unwrap();
    let planted_board = json!({"project_id": project_b, "widgets": one_widget, "range": {"range": "24h"}, "filters": {}}).to_string();
    let planted_widgets = |project: &str| json!({"project_id": project, "dashboard_id": dashboard_b, "widgets": one_widget}).to_string();
    let (planted_widgets_b, planted_widgets_a) = (planted_widgets(&project_b), planted_widgets(&project_a));
    let planted_dataset_edit = |project: &str| json!({"project_id": project, "dataset_id": dataset_b, "dataset": {"name": "Owned", "description": "", "metadata": ""}}).to_string();
    let (planted_dataset_edit_b, planted_dataset_edit_a) = (planted_dataset_edit(&project_b), planted_dataset_edit(&project_a));
    let planted_ds_item = |project: &str, create: bool| json!({"project_id": project, "dataset_id": dataset_b, "create": create,
        "item": {"id": "victim-ds-item", "input": "\"owned\"", "expected_output": "", "metadata": "", "source_trace_id": null, "source_observation_id": null}}).to_string();
    let (planted_ds_item_b, planted_ds_item_a, planted_ds_new_a) = (planted_ds_item(&project_b, false), planted_ds_item(&project_a, false), planted_ds_item(&project_a, true));
    let planted_import = |project: &str| json!({"project_id": project, "dataset_id": dataset_b, "rows": [{"row": 2, "id": "victim-ds-item", "input": "owned", "expected_output": null, "metadata": null}]}).to_string();
    let (planted_import_b, planted_import_a) = (planted_import(&project_b), planted_import(&project_a));
    let planted_from_traces = |project: &str| json!({"project_id": project, "dataset_id": dataset_b, "trace_ids": ["victim-trace"]}).to_string();
    let (planted_from_traces_b, planted_from_traces_a) = (planted_from_traces(&project_b), planted_from_traces(&project_a));
    let planted_evaluator = |project: &str| json!({"project_id": project, "evaluator_id": evaluator_b, "evaluator": {"name": "Planted", "templateId": "builtin:relevance",
        "connection": "victim-llm", "model": "gpt-4o", "target": {"kind": "trace"}, "filter": {}, "sampling": 1.0, "delayMs": 0,
        "mapping": [{"variable": "input", "source": "input"}, {"variable": "output", "source": "output"}]}, "trace_id": null}).to_string();
    let (planted_evaluator_b, planted_evaluator_a) = (planted_evaluator(&project_b), planted_evaluator(&project_a));
    let planted_template = json!({"project_id": project_b, "template": {"name": "Planted", "prompt": "{{output}}",
        "output": {"dataType": "BOOLEAN", "reasoning": "why", "score": "yes"}}}).to_string();
    let planted_run = |project: &str| json!({"project_id": project, "input": {"datasetId": dataset_b, "promptName": "victim-prompt",
        "prompt": {"kind": "version", "value": 1}, "connection": "victim-llm", "model": "gpt-4o", "params": {}, "runName": "Planted", "description": null}}).to_string();
    let (planted_run_b, planted_run_a) = (planted_run(&project_b), planted_run(&project_a));
    let model_form = json!({"model_name": "Owned", "match_pattern": "^owned$",
        "tiers": [{"name": "Standard", "is_default": true, "priority": "0", "prices": [{"usage_type": "input", "price": "9"}]}]});
    let planted_model = |project: &str, id: Option<&str>| json!({"project_id": project, "model_id": id, "form": model_form}).to_string();
    let (planted_model_b, planted_model_edit_b, planted_model_edit_a) =
        (planted_model(&project_b, None), planted_model(&project_b, Some(&model_b)), planted_model(&project_a, Some(&model_b)));
    let planted_model_check = json!({"project_id": project_b, "model_id": model_b, "form": model_form}).to_string();
    let planted_probe = json!({"project_id": project_b, "probe": {"model": "victim", "usage": "input: 1"}}).to_string();
    // Plans (#22): only instance administrators (the victim, the first account) change them.
    let planted_plan = json!({"plan": {"id": "planted", "name": "Planted", "included_units": "", "retention_days": "", "member_limit": "",
        "annotation_queue_limit": "", "over_quota": "warn", "position": ""}, "create": true}).to_string();
    let planted_change = json!({"change": {"Assign": {"org_id": org_b, "plan_id": "hobby"}}}).to_string();
    // Every scoped server function, aimed at the other organization's ids.
    let table: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("get_org_usage", vec![("org_id", &org_b)]),
        ("get_usage_banner", vec![("org_id", &org_b)]),
        ("list_plans", vec![]),
        ("save_plan", vec![("json", &planted_plan)]),
        ("set_default_plan", vec![("plan_id", "hobby")]),
        ("delete_plan", vec![("plan_id", "enterprise")]),
        ("assign_plan", vec![("org_id", &org_b), ("plan_id", "hobby")]),
        ("preview_plan_change", vec![("json", &planted_change)]),
        ("list_projects", vec![("org_id", &org_b)]),
        ("create_project", vec![("org_id", &org_b), ("name", "Planted")]),
        ("rename_organization", vec![("org_id", &org_b), ("name", "Owned")]),
        ("delete_organization", vec![("org_id", &org_b), ("confirm_name", "Victim Org")]),
        ("rename_project", vec![("project_id", &project_b), ("name", "Owned")]),
        ("delete_project", vec![("project_id", &project_b), ("confirm_name", "Victim Project")]),
        ("get_retention", vec![("project_id", &project_b)]),
        ("preview_retention", vec![("project_id", &project_b), ("days", "1")]),
        ("set_retention", vec![("project_id", &project_b), ("days", "1"), ("confirm", "true")]),
        ("run_retention_now", vec![("project_id", &project_b)]),
        ("list_api_keys", vec![("project_id", &project_b)]),
        ("create_api_key", vec![("project_id", &project_b)]),
        ("revoke_api_key", vec![("project_id", &project_b), ("key_id", &key_b)]),
        ("revoke_api_key", vec![("project_id", &project_a), ("key_id", &key_b)]),
        ("list_llm_connections", vec![("project_id", &project_b)]),
        ("save_llm_connection", vec![("project_id", &project_b), ("provider", "victim-llm"), ("adapter", "openai"), ("secret_key", "sk-planted-0000")]),
        ("delete_llm_connection", vec![("project_id", &project_b), ("connection_id", &llm_b)]),
        ("delete_llm_connection", vec![("project_id", &project_a), ("connection_id", &llm_b)]),
        ("test_llm_connection", vec![("project_id", &project_b), ("provider", "victim-llm")]),
        ("open_playground", vec![("project_id", &project_b)]),
        ("open_playground", vec![("project_id", &project_a), ("saved", &playground_b)]),
        ("delete_saved_playground", vec![("project_id", &project_b), ("id", &playground_b)]),
        ("delete_saved_playground", vec![("project_id", &project_a), ("id", &playground_b)]),
        ("save_playground", vec![("json", &planted_playground)]),
        ("list_members", vec![("org_id", &org_b)]),
        ("change_member_role", vec![("org_id", &org_b), ("user_id", &victim_id), ("role", "VIEWER")]),
        ("remove_member", vec![("org_id", &org_b), ("user_id", &victim_id)]),
        ("set_project_role", vec![("project_id", &project_b), ("user_id", &victim_id), ("role", "VIEWER")]),
        ("list_invitations", vec![("org_id", &org_b)]),
        ("create_invitation", vec![("org_id", &org_b), ("email", "spy@example.com"), ("role", "OWNER")]),
        ("create_invitation", vec![("org_id", &org_a), ("email", "spy@example.com"), ("role", "MEMBER"), ("project_id", &project_b), ("project_role", "ADMIN")]),
        ("revoke_invitation", vec![("org_id", &org_b), ("invitation_id", &invitation_b)]),
        ("revoke_invitation", vec![("org_id", &org_a), ("invitation_id", &invitation_b)]),
        ("list_audit_log", vec![("org_id", &org_b), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", "")]),
        ("list_audit_log", vec![("org_id", &org_a), ("filter[action]", ""), ("filter[actor]", ""), ("filter[project_id]", &project_b)]),
        ("list_traces", vec![("project_id", &project_b)]),
        ("get_trace", vec![("project_id", &project_b), ("trace_id", "any")]),
        ("get_trace_tree", vec![("project_id", &project_b), ("trace_id", "any")]),
        ("set_trace_public", vec![("project_id", &project_b), ("trace_id", "any"), ("public", "true")]),
        ("get_observation", vec![("project_id", &project_b), ("trace_id", "any"), ("observation_id", "any")]),
        ("list_users", vec![("project_id", &project_b)]),
        ("get_user", vec![("project_id", &project_b), ("user_id", "any")]),
        ("list_sessions", vec![("project_id", &project_b)]),
        ("get_session", vec![("project_id", &project_b), ("session_id", "any")]),
        ("list_scores", vec![("project_id", &project_b)]),
        ("list_score_names", vec![("project_id", &project_b)]),
        ("score_analytics", vec![("project_id", &project_b), ("query[name]", "any")]),
        ("score_agreement", vec![("project_id", &project_b), ("a[name]", "any"), ("b[name]", "other")]),
        ("bulk_traces", vec![("project_id", &project_b), ("action", "Delete"), ("trace_ids[0]", "any")]),
        ("list_saved_views", vec![("project_id", &project_b)]),
        ("create_saved_view", vec![("project_id", &project_b), ("name", "Planted")]),
        ("delete_saved_view", vec![("project_id", &project_b), ("view_id", &view_b)]),
        ("delete_saved_view", vec![("project_id", &project_a), ("view_id", &view_b)]),
        ("list_prompts", vec![("project_id", &project_b)]),
        ("get_prompt_history", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        ("resolve_prompt_version", vec![("project_id", &project_b), ("name", "victim-prompt"), ("version", "1")]),
        ("get_prompt_metrics", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        ("set_prompt_label", vec![("project_id", &project_b), ("name", "victim-prompt"), ("version", "1"), ("label", "production")]),
        ("delete_prompt", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        ("set_protected_prompt_labels", vec![("project_id", &project_b), ("labels[0]", "production")]),
        ("open_prompt_draft", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        ("publish_prompt_draft", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        ("discard_prompt_draft", vec![("project_id", &project_b), ("name", "victim-prompt")]),
        // JSON-encoded: the form's one field is the body.
        ("create_prompt_version", vec![("json", &planted_prompt)]),
        ("list_comments", vec![("project_id", &project_b), ("object_type", "PROMPT"), ("object_id", &prompt_b)]),
        ("create_comment", vec![("project_id", &project_b), ("object_type", "PROMPT"), ("object_id", &prompt_b), ("content", "Planted")]),
        ("create_comment", vec![("project_id", &project_a), ("object_type", "PROMPT"), ("object_id", &prompt_b), ("content", "Planted")]),
        ("edit_comment", vec![("project_id", &project_b), ("comment_id", &comment_b), ("content", "Owned")]),
        ("edit_comment", vec![("project_id", &project_a), ("comment_id", &comment_b), ("content", "Owned")]),
        ("delete_comment", vec![("project_id", &project_b), ("comment_id", &comment_b)]),
        ("delete_comment", vec![("project_id", &project_a), ("comment_id", &comment_b)]),
        ("list_comment_members", vec![("project_id", &project_b)]),
        ("list_mentions", vec![("project_id", &project_b)]),
        ("mark_mentions_read", vec![("project_id", &project_b), ("comment_id", &comment_b)]),
        ("mark_mentions_read", vec![("project_id", &project_b)]),
        ("list_score_configs", vec![("project_id", &project_b), ("include_archived", "true")]),
        ("create_score_config", vec![("json", &planted_config)]),
        ("set_score_config_archived", vec![("project_id", &project_b), ("config_id", &config_b), ("archived", "true")]),
        ("set_score_config_archived", vec![("project_id", &project_a), ("config_id", &config_b), ("archived", "true")]),
        ("get_annotation_form", vec![("json", &planted_form)]),
        ("save_annotation", vec![("json", &planted_annotation_b)]),
        ("save_annotation", vec![("json", &planted_annotation_a)]),
        ("delete_annotation", vec![("project_id", &project_b), ("score_id", "victim-score")]),
        ("delete_annotation", vec![("project_id", &project_a), ("score_id", "victim-score")]),
        ("list_annotation_queues", vec![("project_id", &project_b)]),
        ("list_project_people", vec![("project_id", &project_b)]),
        ("create_annotation_queue", vec![("json", &planted_queue)]),
        ("get_annotation_queue", vec![("project_id", &project_b), ("queue_id", &queue_b)]),
        ("get_annotation_queue", vec![("project_id", &project_a), ("queue_id", &queue_b)]),
        ("list_queue_items", vec![("project_id", &project_b), ("queue_id", &queue_b), ("filter", "All"), ("page_number", "0")]),
        ("list_queue_items", vec![("project_id", &project_a), ("queue_id", &queue_b), ("filter", "All"), ("page_number", "0")]),
        ("add_to_queue", vec![("json", &planted_items_b)]),
        ("add_to_queue", vec![("json", &planted_items_a)]),
        ("add_matching_to_queue", vec![("json", &planted_matching)]),
        ("get_queue_import", vec![("project_id", &project_b), ("import_id", "victim-import")]),
        ("get_queue_import", vec![("project_id", &project_a), ("import_id", "victim-import")]),
        ("next_review_item", vec![("project_id", &project_b), ("queue_id", &queue_b)]),
        ("next_review_item", vec![("project_id", &project_a), ("queue_id", &queue_b)]),
        ("renew_review", vec![("project_id", &project_b), ("item_id", "victim-item")]),
        ("release_review", vec![("project_id", &project_b), ("item_id", "victim-item")]),
        ("finish_review", vec![("project_id", &project_b), ("queue_id", &queue_b), ("item_id", "victim-item"), ("outcome", "skipped")]),
        ("finish_review", vec![("project_id", &project_a), ("queue_id", &queue_b), ("item_id", "victim-item"), ("outcome", "skipped")]),
        ("queue_agreement", vec![("project_id", &project_b), ("queue_id", &queue_b)]),
        ("queue_agreement", vec![("project_id", &project_a), ("queue_id", &queue_b)]),
        ("list_experiment_runs", vec![("project_id", &project_b), ("dataset_id", &dataset_b)]),
        ("list_experiment_runs", vec![("project_id", &project_a), ("dataset_id", &dataset_b)]),
        ("get_experiment_run", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("run_id", "victim-run")]),
        ("get_experiment_run", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("run_id", "victim-run")]),
        ("compare_experiment_runs", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("runs", "victim-run,victim-run-2")]),
        ("compare_experiment_runs", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("runs", "victim-run,victim-run-2")]),
        ("experiment_run_options", vec![("project_id", &project_b)]),
        ("start_experiment_run", vec![("json", &planted_run_b)]),
        ("start_experiment_run", vec![("json", &planted_run_a)]),
        ("experiment_run_progress", vec![("project_id", &project_b), ("run_id", "victim-run")]),
        ("experiment_run_progress", vec![("project_id", &project_a), ("run_id", "victim-run")]),
        ("delete_experiment_run", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("run_id", "victim-run")]),
        ("delete_experiment_run", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("run_id", "victim-run")]),
        ("list_evaluation_templates", vec![("project_id", &project_b)]),
        ("create_evaluation_template", vec![("json", &planted_template)]),
        ("list_evaluators", vec![("project_id", &project_b)]),
        ("get_evaluator", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("get_evaluator", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("create_evaluator", vec![("json", &planted_evaluator_b)]),
        ("update_evaluator", vec![("json", &planted_evaluator_b)]),
        ("update_evaluator", vec![("json", &planted_evaluator_a)]),
        ("pause_evaluator", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("pause_evaluator", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("resume_evaluator", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("resume_evaluator", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("preview_evaluator", vec![("json", &planted_evaluator_b)]),
        ("count_backfill", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("count_backfill", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("start_backfill", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("start_backfill", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("get_backfill", vec![("project_id", &project_b), ("backfill_id", &backfill_b)]),
        ("get_backfill", vec![("project_id", &project_a), ("backfill_id", &backfill_b)]),
        ("list_evaluator_executions", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b), ("page", "0")]),
        ("list_evaluator_executions", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b), ("page", "0")]),
        ("evaluator_form_start", vec![("project_id", &project_b)]),
        ("evaluators_overview", vec![("project_id", &project_b)]),
        ("evaluator_overview", vec![("project_id", &project_b), ("evaluator_id", &evaluator_b)]),
        ("evaluator_overview", vec![("project_id", &project_a), ("evaluator_id", &evaluator_b)]),
        ("list_datasets", vec![("project_id", &project_b), ("folder", ""), ("search", ""), ("page", "1")]),
        ("create_dataset", vec![("json", &planted_dataset)]),
        ("update_dataset", vec![("json", &planted_dataset_edit_b)]),
        ("update_dataset", vec![("json", &planted_dataset_edit_a)]),
        ("delete_dataset", vec![("project_id", &project_b), ("dataset_id", &dataset_b)]),
        ("delete_dataset", vec![("project_id", &project_a), ("dataset_id", &dataset_b)]),
        ("get_dataset", vec![("project_id", &project_b), ("dataset_id", &dataset_b)]),
        ("get_dataset", vec![("project_id", &project_a), ("dataset_id", &dataset_b)]),
        ("list_dataset_items", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("status", ""), ("page", "0"), ("page_size", "50")]),
        ("list_dataset_items", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("status", ""), ("page", "0"), ("page_size", "50")]),
        ("save_dataset_item", vec![("json", &planted_ds_item_b)]),
        ("save_dataset_item", vec![("json", &planted_ds_item_a)]),
        ("save_dataset_item", vec![("json", &planted_ds_new_a)]),
        ("set_dataset_item_archived", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item"), ("archived", "true")]),
        ("set_dataset_item_archived", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item"), ("archived", "true")]),
        ("delete_dataset_item", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item")]),
        ("delete_dataset_item", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item")]),
        ("get_dataset_item", vec![("project_id", &project_b), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item")]),
        ("get_dataset_item", vec![("project_id", &project_a), ("dataset_id", &dataset_b), ("item_id", "victim-ds-item")]),
        ("import_dataset_items", vec![("json", &planted_import_b)]),
        ("import_dataset_items", vec![("json", &planted_import_a)]),
        ("list_dataset_names", vec![("project_id", &project_b)]),
        ("dataset_item_draft", vec![("project_id", &project_b), ("trace_id", "victim-trace")]),
        ("add_traces_to_dataset", vec![("json", &planted_from_traces_b)]),
        ("add_traces_to_dataset", vec![("json", &planted_from_traces_a)]),
        ("list_models", vec![("project_id", &project_b), ("search", "")]),
        ("check_model_form", vec![("json", &planted_model_check)]),
        ("save_model", vec![("json", &planted_model_b)]),
        ("save_model", vec![("json", &planted_model_edit_b)]),
        ("save_model", vec![("json", &planted_model_edit_a)]),
        ("delete_model", vec![("project_id", &project_b), ("model_id", &model_b)]),
        ("delete_model", vec![("project_id", &project_a), ("model_id", &model_b)]),
        ("test_model_match", vec![("json", &planted_probe)]),
        ("model_usage", vec![("project_id", &project_b), ("range", "7d"), ("from", ""), ("to", "")]),
        ("start_cost_recalculation", vec![("project_id", &project_b), ("from", "2026-01-01"), ("to", "2026-01-03")]),
        ("list_cost_recalculations", vec![("project_id", &project_b)]),
        ("get_cost_recalculation", vec![("project_id", &project_b), ("recalculation_id", &recalculation_b)]),
        ("get_cost_recalculation", vec![("project_id", &project_a), ("recalculation_id", &recalculation_b)]),
        ("run_widgets", vec![("json", &planted_board)]),
        ("dashboard_setup", vec![("project_id", &project_b)]),
        ("list_dashboards", vec![("project_id", &project_b)]),
        ("get_dashboard", vec![("project_id", &project_b), ("dashboard_id", &dashboard_b)]),
        ("get_dashboard", vec![("project_id", &project_a), ("dashboard_id", &dashboard_b)]),
        ("create_dashboard", vec![("project_id", &project_b), ("name", "Planted"), ("description", ""), ("from_home", "false")]),
        ("rename_dashboard", vec![("project_id", &project_b), ("dashboard_id", &dashboard_b), ("name", "Owned"), ("description", "")]),
        ("rename_dashboard", vec![("project_id", &project_a), ("dashboard_id", &dashboard_b), ("name", "Owned"), ("description", "")]),
        ("save_dashboard_widgets", vec![("json", &planted_widgets_b)]),
        ("save_dashboard_widgets", vec![("json", &planted_widgets_a)]),
        ("delete_dashboard", vec![("project_id", &project_b), ("dashboard_id", &dashboard_b)]),
        ("delete_dashboard", vec![("project_id", &project_a), ("dashboard_id", &dashboard_b)]),
    ];
    let mut covered: Vec<&str> = table.iter().map(|(endpoint, _)| *endpoint).collect();
    for (endpoint, form) in &table {
        let response = match form.as_slice() {
            [("json", body)] => attacker.call_json(endpoint, &serde_json::from_str(body).unwrap()).await,
            _ => attacker.call(endpoint, form).await,
        };
        let text = response.text();
        assert!(
            matches!(response.status.as_u16(), 403 | 404) || (endpoint == &"list_audit_log" && response.status == 200),
            "{endpoint} {form:?} answered {}: {text}",
            response.status
        );
        let echoed = form.iter().any(|(_, v)| *v == key_b);
        assert!(!text.contains("Victim") && (echoed || !text.contains(&key_b)) && !text.contains("victim@"), "{endpoint} leaked: {text}");
    }
    // The home page's figures name the caller's own projects, never another organization's.
    let activity = attacker.ok("project_activity", &[]).await.to_string();
    assert!(activity.contains(&project_a) && !activity.contains(&project_b), "{activity}");
    // Mentions are the caller's own: nothing of the victim's, whatever the attacker marks.
    assert_eq!(attacker.ok("unread_mention_count", &[]).await, 0);
    assert_eq!(attacker.ok("mark_mentions_read", &[]).await, 0);
    assert_eq!(attacker.ok("list_mentions", &[]).await["entries"], json!([]));
    assert_eq!(snapshot().await, before, "nothing of the other organization changed");

    // The table covers every server function there is (a new one must be added here).
    covered.extend(NOT_SCOPED);
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let endpoint = path.trim_start_matches("/api/ui/");
        assert!(covered.contains(&endpoint), "server function {path} is missing from the isolation table");
    }
}

#[tokio::test]
async fn an_api_key_reaches_nothing_of_another_project_through_any_route() {
    // Project A has data; project B's key tries every route of the public API on A's ids.
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "trace-a", "name": "secret-of-a", "sessionId": "session-a"}},
        {"id": "e2", "type": "generation-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "obs-a", "traceId": "trace-a", "name": "secret-of-a", "model": "gpt-4o"}},
        {"id": "e3", "type": "score-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "score-a", "traceId": "trace-a", "name": "secret-of-a", "value": 1}}
    ]});
    assert_eq!(a.call("POST", "/api/public/ingestion", Some(batch)).await.status, 207);
    let config = a.call("POST", "/api/public/score-configs", Some(json!({"name": "secret-of-a", "dataType": "NUMERIC"}))).await.json();
    let model = a.call("POST", "/api/public/models", Some(json!({"modelName": "secret-of-a", "matchPattern": "(?i)^secret$", "unit": "TOKENS", "inputPrice": 1.0}))).await.json();
    let prompt = a.call("POST", "/api/public/v2/prompts", Some(json!({"name": "prompt-of-a", "prompt": "secret-of-a", "labels": ["production"]}))).await;
    assert_eq!(prompt.status, 201, "{}", prompt.text());
    // A dataset named like the prompt (the `{name}` routes), with an item whose id is the trace's
    // (the `{id}` routes) and a run.
    assert_eq!(a.call("POST", "/api/public/v2/datasets", Some(json!({"name": "prompt-of-a", "description": "secret-of-a"}))).await.status, 200);
    assert_eq!(a.call("POST", "/api/public/dataset-items", Some(json!({"datasetName": "prompt-of-a", "id": "trace-a", "input": "secret-of-a"}))).await.status, 200);
    let run_item = a.call("POST", "/api/public/dataset-run-items", Some(json!({"runName": "x", "datasetItemId": "trace-a", "traceId": "trace-a"}))).await;
    assert_eq!(run_item.status, 200, "{}", run_item.text());
    let ids = [("{id}", "trace-a")];
    let snapshot = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT concat_ws('|', (SELECT count(*) FROM traces WHERE project_id = 'proj-a'), (SELECT count(*) FROM observations WHERE project_id = 'proj-a'),
                    (SELECT count(*) FROM scores WHERE project_id = 'proj-a'), (SELECT count(*) FROM score_configs WHERE project_id = 'proj-a'),
                    (SELECT count(*) FROM models WHERE project_id = 'proj-a'), (SELECT string_agg(name, ',') FROM traces WHERE project_id = 'proj-a'),
                    (SELECT string_agg(name || version || array_to_string(labels, ';'), ',') FROM prompts WHERE project_id = 'proj-a'),
                    (SELECT count(*) FROM comments),
                    (SELECT string_agg(name || coalesce(description, ''), ',') FROM datasets WHERE project_id = 'proj-a'),
                    (SELECT string_agg(id || valid_from::text || coalesce(input::text, ''), ',') FROM dataset_items WHERE project_id = 'proj-a'),
                    (SELECT string_agg(id || name, ',') FROM dataset_runs WHERE project_id = 'proj-a'),
                    (SELECT count(*) FROM dataset_run_items WHERE project_id = 'proj-a'))",
        )
        .fetch_one(&a.pool)
        .await
        .unwrap()
    };
    let before = snapshot().await;

    let spec: Value = serde_json::from_str(include_str!("../src/http/public_api/openapi.json")).unwrap();
    let mut tried = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            // Each route's id parameter filled with project A's id of that resource.
            let id = match path.as_str() {
                p if p.contains("/scores/") => "score-a",
                p if p.contains("/observations/") => "obs-a",
                p if p.contains("/sessions/") => "session-a",
                p if p.contains("/score-configs/") => config["id"].as_str().unwrap(),
                p if p.contains("/models/") => model["id"].as_str().unwrap(),
                _ => ids[0].1,
            };
            let uri = path.replace("{id}", id).replace("{name}", "prompt-of-a").replace("{version}", "1").replace("{rest}", "x");
            let uri = if method == "delete" && path == "/api/public/traces" { uri } else { uri };
            let body = match (method.as_str(), path.as_str()) {
                ("delete", "/api/public/traces") => Some(json!({"traceIds": ["trace-a"]})),
                ("patch", p) if p.contains("/prompts/") => Some(json!({"newLabels": ["owned"]})),
                ("patch", _) => Some(json!({"description": "owned"})),
                ("post", "/api/public/scores") => Some(json!({"traceId": "trace-a", "name": "planted", "value": 1})),
                ("post", "/api/public/ingestion") => Some(json!({"batch": [{"id": "x", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "trace-a", "name": "overwritten"}}]})),
                ("post", "/api/public/score-configs") => Some(json!({"name": "planted", "dataType": "NUMERIC"})),
                ("post", "/api/public/comments") => Some(json!({"projectId": "proj-a", "objectType": "TRACE", "objectId": "trace-a", "content": "planted"})),
                ("post", "/api/public/models") => Some(json!({"modelName": "planted", "matchPattern": "planted", "unit": "TOKENS"})),
                ("post", "/api/public/otel/v1/traces") => Some(json!({"resourceSpans": []})),
                ("post", "/api/public/dataset-items") => Some(json!({"datasetName": "prompt-of-a", "id": "trace-a", "input": "planted"})),
                ("post", "/api/public/dataset-run-items") => Some(json!({"runName": "x", "datasetItemId": "trace-a", "traceId": "trace-a"})),
                // B's own dataset (named apart, so the `{name}` routes still look for A's).
                ("post", p) if p.ends_with("/datasets") => Some(json!({"name": "planted-by-b", "description": "planted"})),
                _ => None,
            };
            let uri = if path == "/api/public/prompts" && method == "get" { format!("{uri}?name=prompt-of-a") } else { uri };
            let response = b.call(&method.to_uppercase(), &uri, body).await;
            let text = response.text();
            assert!(!text.contains("secret-of-a"), "{method} {uri} leaked project A's data: {text}");
            let by_name = path.contains("{name}") || (path == "/api/public/prompts" && method == "get");
            // Signed media URLs take no key at all: without a valid signature, 403.
            if path.contains("/media/upload/") || path.contains("/media/download/") {
                assert_eq!(response.status, 403, "{method} {uri}: {text}");
            } else if (path.contains("{id}") && method != "patch") || by_name {
                assert_eq!(response.status, 404, "{method} {uri}: {text}");
            }
            tried += 1;
        }
    }
    assert!(tried >= 30, "every route was tried ({tried})");
    assert_eq!(snapshot().await, before, "nothing of project A changed");
}

/// A minimal SMTP server: accepts one message per connection and hands over its DATA.
async fn fake_smtp() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            tx.send(data.take().unwrap()).unwrap();
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn invitations_are_emailed_when_smtp_is_configured() {
    let api = TestApi::new().await;
    let (port, mut inbox) = fake_smtp().await;
    let mut alice = Browser::new(&api);
    alice.settings.mailer = Some(std::sync::Arc::new(
        loupe_core::mail::Mailer::new(&format!("smtp://127.0.0.1:{port}"), "Loupe <loupe@example.com>").unwrap(),
    ));
    alice.ok("sign_up", &[("email", "alice@example.com"), ("name", "Alice"), ("password", PASSWORD)]).await;
    let (org, _) = alice.create_org("Acme", "Chatbot").await;
    let created = alice.ok("create_invitation", &[("org_id", &org), ("email", "bob@example.com"), ("role", "MEMBER")]).await;
    assert_eq!(created["emailed"], true, "{created}");
    let link = created["link"].as_str().unwrap();
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv()).await.unwrap().unwrap();
    assert!(message.contains("To: bob@example.com"), "{message}");
    assert!(message.contains("Subject: You are invited to Acme on Loupe"), "{message}");
    assert!(message.contains("Alice invited you to join Acme on Loupe as Member."), "{message}");
    assert!(message.contains(link), "the email carries the link: {message}");

    // An SMTP server that is down: the invitation stands, and the page says to share the link.
    let mut carol = Browser::new(&api);
    carol.cookie = alice.cookie.clone();
    carol.settings.mailer = Some(std::sync::Arc::new(loupe_core::mail::Mailer::new("smtp://127.0.0.1:9", "loupe@example.com").unwrap()));
    let created = carol.ok("create_invitation", &[("org_id", &org), ("email", "dave@example.com"), ("role", "VIEWER")]).await;
    assert_eq!(created["emailed"], false);
    assert!(created["email_error"].as_str().is_some_and(|e| !e.is_empty()), "{created}");
    assert_eq!(count(&api, "SELECT count(*) FROM invitations WHERE email = 'dave@example.com'").await, 1);
}
