//! Headless initialization and the account tables, on a real Postgres.

use crate::common;

use clap::Parser;
use loupe_core::auth::secrets::SecretHash;
use loupe_server::bootstrap::{self, BootstrapError};
use loupe_server::config::{Config, InitPlan};
use sqlx::PgPool;

fn plan(args: &[&str]) -> InitPlan {
    let config = Config::try_parse_from(std::iter::once("loupe").chain(args.iter().copied())).unwrap();
    config.init.plan().unwrap().expect("a plan")
}

fn full_plan() -> InitPlan {
    plan(&[
        "--init-org-id", "org-1", "--init-org-name", "Acme",
        "--init-project-id", "proj-1", "--init-project-name", "Chatbot",
        "--init-project-public-key", "pk-lf-public", "--init-project-secret-key", "sk-lf-secret-value",
        "--init-user-email", "Owner@Example.com", "--init-user-name", "Olive Owner", "--init-user-password", "correct horse",
    ])
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn creates_everything_once() {
    let pool = common::fresh_database().await;
    let plan = full_plan();
    bootstrap::apply(&pool, &plan).await.unwrap();
    bootstrap::apply(&pool, &plan).await.unwrap();

    for table in ["organizations", "projects", "api_keys", "accounts", "organization_memberships"] {
        assert_eq!(count(&pool, table).await, 1, "{table}");
    }
    let (org_name, project_name, project_org): (String, String, String) = sqlx::query_as(
        "SELECT o.name, p.name, p.org_id FROM projects p JOIN organizations o ON o.id = p.org_id WHERE p.id = 'proj-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((org_name.as_str(), project_name.as_str(), project_org.as_str()), ("Acme", "Chatbot", "org-1"));

    let (role, is_admin, name): (String, bool, Option<String>) = sqlx::query_as(
        "SELECT m.role, u.is_instance_admin, u.name FROM organization_memberships m JOIN accounts u ON u.id = m.user_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(role, "OWNER");
    assert!(is_admin, "the first user administers the instance");
    assert_eq!(name.as_deref(), Some("Olive Owner"));
}

#[tokio::test]
async fn secrets_and_passwords_are_stored_only_as_hashes() {
    let pool = common::fresh_database().await;
    bootstrap::apply(&pool, &full_plan()).await.unwrap();

    let (secret_hash, display): (String, String) =
        sqlx::query_as("SELECT secret_hash, display_secret_key FROM api_keys WHERE public_key = 'pk-lf-public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!secret_hash.contains("sk-lf-secret-value"));
    assert!(SecretHash(secret_hash).verify("sk-lf-secret-value"));
    assert_eq!(display, "sk-lf-...alue");

    let password_hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts").fetch_one(&pool).await.unwrap();
    assert!(password_hash.starts_with("$argon2id$"));
    assert!(SecretHash(password_hash).verify("correct horse"));

    // Nothing anywhere in the database holds the clear secrets.
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(t::text, ' ') FROM (
            SELECT row_to_json(a)::text AS t FROM api_keys a UNION ALL SELECT row_to_json(u)::text FROM accounts u) rows",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!dump.contains("sk-lf-secret-value") && !dump.contains("correct horse"));
}

#[tokio::test]
async fn existing_resources_are_not_overwritten() {
    let pool = common::fresh_database().await;
    bootstrap::apply(&pool, &full_plan()).await.unwrap();

    let changed = plan(&[
        "--init-org-id", "org-1", "--init-org-name", "Renamed",
        "--init-project-id", "proj-1",
        "--init-project-public-key", "pk-lf-public", "--init-project-secret-key", "sk-lf-rotated",
        "--init-user-email", "owner@example.com", "--init-user-password", "another password",
    ]);
    bootstrap::apply(&pool, &changed).await.unwrap();

    let org_name: String = sqlx::query_scalar("SELECT name FROM organizations").fetch_one(&pool).await.unwrap();
    assert_eq!(org_name, "Acme");
    let secret_hash: String = sqlx::query_scalar("SELECT secret_hash FROM api_keys").fetch_one(&pool).await.unwrap();
    assert!(SecretHash(secret_hash.clone()).verify("sk-lf-secret-value"), "the stored key is kept");
    assert!(!SecretHash(secret_hash).verify("sk-lf-rotated"));
    // The email matched case-insensitively: still one user, with the original password.
    assert_eq!(count(&pool, "accounts").await, 1);
    let password_hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts").fetch_one(&pool).await.unwrap();
    assert!(SecretHash(password_hash).verify("correct horse"));
}

#[tokio::test]
async fn conflicts_are_reported_and_nothing_is_half_done() {
    let pool = common::fresh_database().await;
    bootstrap::apply(&pool, &full_plan()).await.unwrap();

    // Same project id under another organization: refused, and the new organization is rolled back.
    let other_org = plan(&["--init-org-id", "org-2", "--init-project-id", "proj-1"]);
    let error = bootstrap::apply(&pool, &other_org).await.unwrap_err();
    assert!(matches!(error, BootstrapError::Conflict(_)), "{error:?}");
    assert!(error.to_string().contains("proj-1"), "{error}");
    assert_eq!(count(&pool, "organizations").await, 1);

    // A public key already used by another project.
    let key_elsewhere = plan(&[
        "--init-org-id", "org-1", "--init-project-id", "proj-2",
        "--init-project-public-key", "pk-lf-public", "--init-project-secret-key", "sk-lf-x",
    ]);
    let error = bootstrap::apply(&pool, &key_elsewhere).await.unwrap_err();
    assert!(error.to_string().contains("pk-lf-public"), "{error}");
    assert_eq!(count(&pool, "projects").await, 1, "proj-2 was rolled back");
}

#[tokio::test]
async fn only_the_first_user_becomes_instance_admin() {
    let pool = common::fresh_database().await;
    bootstrap::apply(&pool, &full_plan()).await.unwrap();
    let second = plan(&["--init-org-id", "org-1", "--init-user-email", "second@example.com", "--init-user-password", "pw-second"]);
    bootstrap::apply(&pool, &second).await.unwrap();
    let admins: Vec<String> = sqlx::query_scalar("SELECT email FROM accounts WHERE is_instance_admin").fetch_all(&pool).await.unwrap();
    assert_eq!(admins, vec!["Owner@Example.com".to_string()]);
}

#[tokio::test]
async fn schema_rejects_invalid_rows() {
    let pool = common::fresh_database().await;
    bootstrap::apply(&pool, &full_plan()).await.unwrap();
    let bad_role = sqlx::query("UPDATE organization_memberships SET role = 'SUPERUSER'").execute(&pool).await;
    assert!(bad_role.is_err());
    let duplicate_email = sqlx::query("INSERT INTO accounts (id, email) VALUES ('u2', 'OWNER@example.COM')").execute(&pool).await;
    assert!(duplicate_email.is_err(), "emails are unique case-insensitively");
    let empty_org = sqlx::query("INSERT INTO organizations (id, name) VALUES ('', 'x')").execute(&pool).await;
    assert!(empty_org.is_err());
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let pool = common::fresh_database().await;
    loupe_server::database::migrate(&pool).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&pool).await.unwrap();
    assert_eq!(applied as usize, loupe_server::database::MIGRATOR.iter().count());
}

/// The owner takes a seat like an accepted invitation (#22): on a default plan with no seat left
/// the start goes on, everything else is created, the account exists but is not made a member,
/// and what was refused names the plan and its member limit. Once the plan allows, the next start
/// makes it an owner.
#[tokio::test]
async fn the_init_owner_respects_the_plans_member_limit_without_failing_the_start() {
    let pool = common::fresh_database().await;
    // The default plan allows one member, and the organization has one already (made in the UI).
    sqlx::query("INSERT INTO plans (id, name, member_limit, over_quota, position) VALUES ('solo', 'Solo', 1, 'warn', 9)").execute(&pool).await.unwrap();
    sqlx::query("UPDATE plans SET is_default = false").execute(&pool).await.unwrap();
    sqlx::query("UPDATE plans SET is_default = true WHERE id = 'solo'").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO organizations (id, name) VALUES ('org-1', 'Acme')").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO accounts (id, email, password_hash) VALUES ('u-first', 'first@example.com', 'x')").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ('org-1', 'u-first', 'OWNER')").execute(&pool).await.unwrap();

    let applied = bootstrap::apply(&pool, &full_plan()).await.expect("the start goes on");
    let refused = applied.membership_refused.expect("the membership was refused");
    assert!(refused.contains("Member limit reached") && refused.contains("\"Solo\"") && refused.contains("allows 1 members"), "{refused}");
    assert_eq!((count(&pool, "projects").await, count(&pool, "api_keys").await, count(&pool, "accounts").await), (1, 1, 2), "the rest is created");
    let members: Vec<String> = sqlx::query_scalar("SELECT user_id FROM organization_memberships").fetch_all(&pool).await.unwrap();
    assert_eq!(members, vec!["u-first".to_string()], "the seat taken before is kept; no seat past the limit");

    sqlx::query("UPDATE plans SET member_limit = 2 WHERE id = 'solo'").execute(&pool).await.unwrap();
    let applied = bootstrap::apply(&pool, &full_plan()).await.unwrap();
    assert_eq!(applied.membership_refused, None);
    assert_eq!(count(&pool, "organization_memberships").await, 2);
    // A member already takes no new seat: at the limit, a restart changes nothing and refuses nothing.
    sqlx::query("UPDATE plans SET member_limit = 1 WHERE id = 'solo'").execute(&pool).await.unwrap();
    assert_eq!(bootstrap::apply(&pool, &full_plan()).await.unwrap().membership_refused, None);
}
