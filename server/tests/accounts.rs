//! Accounts storage on a real Postgres: sign-in sessions, the audit log and invitations' rules.
//! (The sign-up/sign-in flows and their pages build on these.)

mod common;

use loupe_app::store::audit_log::{self, Actor, Entry};
use loupe_app::store::user_sessions;
use serde_json::json;

async fn user(pool: &sqlx::PgPool, email: &str) -> String {
    let mut conn = pool.acquire().await.unwrap();
    let (id, _) = loupe_app::store::users::create_if_missing(&mut conn, email, None, "$argon2id$x").await.unwrap();
    id
}

#[tokio::test]
async fn sessions_authenticate_until_they_expire_or_end() {
    let pool = common::fresh_database().await;
    let alice = user(&pool, "alice@example.com").await;
    let mut conn = pool.acquire().await.unwrap();
    let token = user_sessions::create(&mut conn, &alice, Some("test-agent"), Some("127.0.0.1")).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM user_sessions").fetch_one(&pool).await.unwrap();
    assert_ne!(stored, token, "only the digest is stored");
    assert_eq!(user_sessions::user_for(&pool, &token).await.unwrap().as_deref(), Some(alice.as_str()));
    assert_eq!(user_sessions::user_for(&pool, "forged-token").await.unwrap(), None);

    sqlx::query("UPDATE user_sessions SET expires_at = now() - interval '1 second'").execute(&pool).await.unwrap();
    assert_eq!(user_sessions::user_for(&pool, &token).await.unwrap(), None, "an expired session does not authenticate");
    assert_eq!(user_sessions::delete_expired(&pool, chrono::Utc::now()).await.unwrap(), 1);

    let first = user_sessions::create(&mut conn, &alice, None, None).await.unwrap();
    let second = user_sessions::create(&mut conn, &alice, None, None).await.unwrap();
    assert_eq!(user_sessions::delete_all_for_user(&mut conn, &alice, Some(&second)).await.unwrap(), 1);
    assert_eq!(user_sessions::user_for(&pool, &first).await.unwrap(), None);
    assert!(user_sessions::user_for(&pool, &second).await.unwrap().is_some(), "the current session survives");
    assert!(user_sessions::delete(&pool, &second).await.unwrap());
    assert_eq!(user_sessions::user_for(&pool, &second).await.unwrap(), None);
}

#[tokio::test]
async fn audit_entries_commit_and_roll_back_with_their_change() {
    let pool = common::fresh_database().await;
    let alice = user(&pool, "alice@example.com").await;
    let mut tx = pool.begin().await.unwrap();
    loupe_app::store::organizations::create_if_missing(&mut tx, "org-1", "Org").await.unwrap();
    tx.commit().await.unwrap();

    let entry = |action: &'static str, resource_type: &'static str| Entry {
        org_id: "org-1",
        project_id: None,
        actor: Actor::User(alice.clone()),
        action,
        resource_type,
        resource_id: "r-1",
        before: Some(json!({"role": "VIEWER"})),
        after: Some(json!({"role": "MEMBER"})),
    };
    let mut tx = pool.begin().await.unwrap();
    audit_log::record(&mut tx, entry("member.role_change", "member")).await.unwrap();
    tx.rollback().await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert!(audit_log::list(&mut conn, "org-1", None, None, 10).await.unwrap().is_empty(), "a rolled-back change leaves no entry");

    let mut tx = pool.begin().await.unwrap();
    audit_log::record(&mut tx, entry("member.role_change", "member")).await.unwrap();
    audit_log::record(&mut tx, Entry { actor: Actor::ApiKey("key-1".into()), ..entry("api_key.create", "api_key") }).await.unwrap();
    tx.commit().await.unwrap();
    let all = audit_log::list(&mut conn, "org-1", None, None, 10).await.unwrap();
    assert_eq!(all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["api_key.create", "member.role_change"]);
    assert_eq!(all[1].before, Some(json!({"role": "VIEWER"})));
    assert_eq!(all[0].actor_api_key_id.as_deref(), Some("key-1"));
    let members = audit_log::list(&mut conn, "org-1", Some("member"), None, 10).await.unwrap();
    assert_eq!(members.len(), 1);
    let older = audit_log::list(&mut conn, "org-1", None, Some(all[0].id), 10).await.unwrap();
    assert_eq!(older.len(), 1);
    assert!(audit_log::list(&mut conn, "org-other", None, None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn one_open_invitation_per_person_and_organization() {
    let pool = common::fresh_database().await;
    let mut tx = pool.begin().await.unwrap();
    loupe_app::store::organizations::create_if_missing(&mut tx, "org-1", "Org").await.unwrap();
    tx.commit().await.unwrap();
    let invite = |id: &str, email: &str, token: &str| {
        sqlx::query(
            "INSERT INTO invitations (id, org_id, email, role, token_hash, expires_at) VALUES ($1, 'org-1', $2, 'MEMBER', $3, now() + interval '7 days')",
        )
        .bind(id.to_string())
        .bind(email.to_string())
        .bind(loupe_app::auth::tokens::digest(token))
    };
    invite("i1", "bob@example.com", "t1").execute(&pool).await.unwrap();
    assert!(invite("i2", "Bob@Example.com", "t2").execute(&pool).await.is_err(), "same person, case-insensitive");
    sqlx::query("UPDATE invitations SET accepted_at = now() WHERE id = 'i1'").execute(&pool).await.unwrap();
    invite("i3", "bob@example.com", "t3").execute(&pool).await.unwrap();
}
