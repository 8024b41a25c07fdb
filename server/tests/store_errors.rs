//! Database failures become distinct outcomes, classified in one place (`store::fault`) and
//! answered alike by the server functions (`AppError`) and the public API (`ApiError`): an
//! outage 503, a duplicate 409, a missing row 404, a refused value 400, anything else 500.

use crate::common;

use loupe_app::error::AppError;
use loupe_core::store::StoreError;
use loupe_server::http::public_api::error::ApiError;

fn statuses(error: sqlx::Error) -> (u16, u16) {
    let api = ApiError::from(StoreError::from(sqlx_clone(&error))).status.as_u16();
    (AppError::from(StoreError::from(error)).status(), api)
}

/// `sqlx::Error` is not `Clone`; the cases below are re-created instead.
fn sqlx_clone(error: &sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::RowNotFound => sqlx::Error::RowNotFound,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Protocol(format!("{other}")),
    }
}

#[tokio::test]
async fn database_errors_become_distinct_outcomes() {
    let pool = common::fresh_database().await;
    let insert = |name: &'static str| sqlx::query("INSERT INTO organizations (id, name) VALUES ('o', $1)").bind(name);
    insert("One").execute(&pool).await.unwrap();

    let duplicate = insert("One").execute(&pool).await.unwrap_err();
    match StoreError::from(insert("One").execute(&pool).await.unwrap_err()) {
        StoreError::Conflict { constraint } => assert_eq!(constraint, "organizations_pkey"),
        other => panic!("a duplicate is a conflict, got {other:?}"),
    }
    assert_eq!(AppError::from(StoreError::from(duplicate)).status(), 409);
    assert_eq!(ApiError::from(StoreError::from(insert("One").execute(&pool).await.unwrap_err())).status.as_u16(), 409);

    let missing = || sqlx::query("SELECT 1 FROM organizations WHERE id = 'none'").fetch_one(&pool);
    assert!(matches!(StoreError::from(missing().await.unwrap_err()), StoreError::NotFound));
    assert_eq!(statuses(missing().await.unwrap_err()), (404, 404));

    let nul = || sqlx::query("INSERT INTO organizations (id, name) VALUES ('p', $1)").bind("a\0b").execute(&pool);
    match StoreError::from(nul().await.unwrap_err()) {
        StoreError::BadValue(message) => assert!(message.contains("NUL"), "{message}"),
        other => panic!("a NUL is a bad value, got {other:?}"),
    }
    assert_eq!(AppError::from(StoreError::from(nul().await.unwrap_err())).status(), 400);

    let broken = sqlx::query("SELECT * FROM no_such_table").execute(&pool).await.unwrap_err();
    assert!(matches!(StoreError::from(broken), StoreError::Other(_)), "a bug is neither the client's nor an outage");

    pool.close().await;
    let closed = sqlx::query("SELECT 1").execute(&pool).await.unwrap_err();
    assert!(matches!(StoreError::from(sqlx_clone(&closed)), StoreError::Unavailable(_)));
    assert_eq!(statuses(closed), (503, 503));
}
