//! Accounts storage on a real Postgres: sign-in sessions, the audit log and invitations' rules.
//! (The sign-up/sign-in flows and their pages build on these.)

use crate::common;

use loupe_core::store::audit_log::{self, Actor, Entry};
use loupe_core::store::sign_in_sessions;
use serde_json::json;

async fn user(pool: &sqlx::PgPool, email: &str) -> String {
    let mut conn = pool.acquire().await.unwrap();
    let (id, _) = loupe_core::store::accounts::create_if_missing(&mut conn, email, None, "$argon2id$x").await.unwrap();
    id
}

#[tokio::test]
async fn sessions_authenticate_until_they_expire_or_end() {
    let pool = common::fresh_database().await;
    let alice = user(&pool, "alice@example.com").await;
    let mut conn = pool.acquire().await.unwrap();
    let token = sign_in_sessions::create(&mut conn, &alice, Some("test-agent"), Some("127.0.0.1")).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM sign_in_sessions").fetch_one(&pool).await.unwrap();
    assert_ne!(stored, token, "only the digest is stored");
    assert_eq!(sign_in_sessions::user_for(&pool, &token).await.unwrap().as_deref(), Some(alice.as_str()));
    assert_eq!(sign_in_sessions::user_for(&pool, "forged-token").await.unwrap(), None);

    sqlx::query("UPDATE sign_in_sessions SET expires_at = now() - interval '1 second'").execute(&pool).await.unwrap();
    assert_eq!(sign_in_sessions::user_for(&pool, &token).await.unwrap(), None, "an expired session does not authenticate");
    assert_eq!(sign_in_sessions::delete_expired(&pool, chrono::Utc::now()).await.unwrap(), 1);

    let first = sign_in_sessions::create(&mut conn, &alice, None, None).await.unwrap();
    let second = sign_in_sessions::create(&mut conn, &alice, None, None).await.unwrap();
    assert_eq!(sign_in_sessions::delete_all_for_user(&mut conn, &alice, Some(&second)).await.unwrap(), 1);
    assert_eq!(sign_in_sessions::user_for(&pool, &first).await.unwrap(), None);
    assert!(sign_in_sessions::user_for(&pool, &second).await.unwrap().is_some(), "the current session survives");
    assert!(sign_in_sessions::delete(&pool, &second).await.unwrap());
    assert_eq!(sign_in_sessions::user_for(&pool, &second).await.unwrap(), None);
}

#[tokio::test]
async fn audit_entries_commit_and_roll_back_with_their_change() {
    let pool = common::fresh_database().await;
    let alice = user(&pool, "alice@example.com").await;
    let mut tx = pool.begin().await.unwrap();
    let (_, org) = loupe_core::store::organizations::create_if_missing(&mut tx, "org-1", "Org").await.unwrap();
    let (_, other) = loupe_core::store::organizations::create_if_missing(&mut tx, "org-other", "Other").await.unwrap();
    tx.commit().await.unwrap();

    let entry = |action: &'static str, resource_type: &'static str| Entry {
        org_id: &org,
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
    assert!(audit_log::list(&mut conn, &org, None, None, 10).await.unwrap().is_empty(), "a rolled-back change leaves no entry");

    let mut tx = pool.begin().await.unwrap();
    audit_log::record(&mut tx, entry("member.role_change", "member")).await.unwrap();
    audit_log::record(&mut tx, Entry { actor: Actor::ApiKey("key-1".into()), ..entry("api_key.create", "api_key") }).await.unwrap();
    tx.commit().await.unwrap();
    let all = audit_log::list(&mut conn, &org, None, None, 10).await.unwrap();
    assert_eq!(all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["api_key.create", "member.role_change"]);
    assert_eq!(all[1].before, Some(json!({"role": "VIEWER"})));
    assert_eq!(all[0].actor_api_key_id.as_deref(), Some("key-1"));
    let members = audit_log::list(&mut conn, &org, Some("member"), None, 10).await.unwrap();
    assert_eq!(members.len(), 1);
    let older = audit_log::list(&mut conn, &org, None, Some(all[0].id), 10).await.unwrap();
    assert_eq!(older.len(), 1);
    assert!(audit_log::list(&mut conn, &other, None, None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn one_open_invitation_per_person_and_organization() {
    let pool = common::fresh_database().await;
    let mut tx = pool.begin().await.unwrap();
    loupe_core::store::organizations::create_if_missing(&mut tx, "org-1", "Org").await.unwrap();
    tx.commit().await.unwrap();
    let invite = |id: &str, email: &str, token: &str| {
        sqlx::query(
            "INSERT INTO invitations (id, org_id, email, role, token_hash, expires_at) VALUES ($1, 'org-1', $2, 'MEMBER', $3, now() + interval '7 days')",
        )
        .bind(id.to_string())
        .bind(email.to_string())
        .bind(loupe_core::auth::tokens::digest(token))
    };
    invite("i1", "bob@example.com", "t1").execute(&pool).await.unwrap();
    assert!(invite("i2", "Bob@Example.com", "t2").execute(&pool).await.is_err(), "same person, case-insensitive");
    sqlx::query("UPDATE invitations SET accepted_at = now() WHERE id = 'i1'").execute(&pool).await.unwrap();
    invite("i3", "bob@example.com", "t3").execute(&pool).await.unwrap();
}

mod sign_up_and_in {
    use loupe_core::auth::accounts::{self, AccountError};

    #[tokio::test]
    async fn sign_up_sign_in_and_change_password() {
        let pool = super::common::fresh_database().await;
        let mut tx = pool.begin().await.unwrap();
        let alice = accounts::sign_up(&mut tx, "Alice@Example.com", Some("Alice"), "correct horse battery", true).await.unwrap();
        tx.commit().await.unwrap();
        let admin: bool = sqlx::query_scalar("SELECT is_instance_admin FROM accounts WHERE id = $1").bind(&alice).fetch_one(&pool).await.unwrap();
        assert!(admin, "the first account administers the instance");
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1").bind(&alice).fetch_one(&pool).await.unwrap();
        assert!(stored.starts_with("$argon2id$") && !stored.contains("horse"));

        let mut conn = pool.acquire().await.unwrap();
        let bob = accounts::sign_up(&mut conn, "bob@example.com", None, "another long password", true).await.unwrap();
        let bob_admin: bool = sqlx::query_scalar("SELECT is_instance_admin FROM accounts WHERE id = $1").bind(&bob).fetch_one(&pool).await.unwrap();
        assert!(!bob_admin);

        // Bad input says what is wrong and creates nothing.
        assert_eq!(accounts::sign_up(&mut conn, "alice@example.com", None, "yet another password", true).await, Err(AccountError::EmailTaken));
        assert_eq!(accounts::sign_up(&mut conn, "not-an-email", None, "yet another password", true).await, Err(AccountError::InvalidEmail));
        let weak = accounts::sign_up(&mut conn, "carol@example.com", None, "short", true).await.unwrap_err();
        assert_eq!(weak.to_string(), "Use at least 8 characters.");
        assert_eq!(accounts::sign_up(&mut conn, "carol@example.com", None, "a fine password", false).await, Err(AccountError::SignUpDisabled));
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(&pool).await.unwrap();
        assert_eq!(users, 2);

        // Sign-in: case-insensitive email; one message for unknown email and wrong password.
        assert_eq!(accounts::verify_credentials(&mut conn, "ALICE@example.com", "correct horse battery").await.unwrap(), alice);
        assert_eq!(accounts::verify_credentials(&mut conn, "alice@example.com", "wrong password").await, Err(AccountError::WrongCredentials));
        assert_eq!(accounts::verify_credentials(&mut conn, "nobody@example.com", "wrong password").await, Err(AccountError::WrongCredentials));

        // Password change: needs the current password, ends other sessions, keeps this one.
        let this = loupe_core::store::sign_in_sessions::create(&mut conn, &alice, None, None).await.unwrap();
        let other = loupe_core::store::sign_in_sessions::create(&mut conn, &alice, None, None).await.unwrap();
        assert_eq!(accounts::change_password(&mut conn, &alice, "wrong", "a new long password", Some(&this)).await, Err(AccountError::WrongCredentials));
        assert!(matches!(accounts::change_password(&mut conn, &alice, "correct horse battery", "short", Some(&this)).await, Err(AccountError::WeakPassword(_))));
        accounts::change_password(&mut conn, &alice, "correct horse battery", "a new long password", Some(&this)).await.unwrap();
        assert_eq!(accounts::verify_credentials(&mut conn, "alice@example.com", "a new long password").await.unwrap(), alice);
        assert!(loupe_core::store::sign_in_sessions::user_for(&pool, &this).await.unwrap().is_some());
        assert!(loupe_core::store::sign_in_sessions::user_for(&pool, &other).await.unwrap().is_none());
    }
}
