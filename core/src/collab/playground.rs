//! A saved playground as a shared document (`DocumentKind::Playground`, keyed by the saved
//! playground's id): seeded from the state it was saved with, read when the page opens, started
//! again when somebody saves another playground over it, removed with it. The layout is
//! `loupe_domain::collab::playground`.

use sqlx::{PgConnection, PgPool};
use yrs::{ReadTxn, StateVector, Transact};

use super::DocumentNotice;
use crate::scope::ProjectId;
use crate::store::{documents, saved_playgrounds, StoreError};
use loupe_domain::collab::playground::{PlaygroundDoc, SharedPlayground};
use loupe_domain::collab::{new_doc, DocumentKind, Notice};
use loupe_domain::playground::Playground;

/// The first state of the document of saved playground `id` (none: no such playground).
pub async fn seed(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(saved_playgrounds::get(pool, project_id, id).await?.map(|(_, state)| seed_from(&state)))
}

/// A playground document holding `state`.
pub fn seed_from(state: &Playground) -> Vec<u8> {
    let doc = new_doc();
    let roots = PlaygroundDoc::of(&doc);
    roots.seed(&mut doc.transact_mut(), state);
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

/// The playground as stored now (made from its saved state on first open). `None`: no such
/// saved playground.
pub async fn read(pool: &PgPool, project_id: &ProjectId, id: &str) -> Result<Option<(i64, SharedPlayground)>, StoreError> {
    let seed = if documents::exists(pool, project_id, DocumentKind::Playground, id).await? { None } else { seed(pool, project_id, id).await? };
    let Some(stored) = documents::open(pool, project_id, DocumentKind::Playground, id, seed).await? else { return Ok(None) };
    let doc = stored.to_doc().map_err(|e| StoreError::BadValue(format!("document {} does not decode: {e}", stored.id)))?;
    Ok(Some((stored.generation, loupe_domain::collab::playground::read(&doc))))
}

/// Somebody saved `state` over saved playground `id`, in the caller's transaction: its
/// document (if anyone opened it) starts again from `state` and everyone in it is told.
pub async fn replace(conn: &mut PgConnection, project_id: &ProjectId, id: &str, state: &Playground, by: String) -> Result<(), StoreError> {
    let Some(stored) = documents::load(conn, project_id, DocumentKind::Playground, id, true).await? else { return Ok(()) };
    let document = stored.id;
    documents::reset(conn, document, &seed_from(state), |generation| {
        DocumentNotice::reset(document, generation, Notice::Replaced { by, generation })
    })
    .await?;
    Ok(())
}

/// Saved playground `id` is being deleted, in the caller's transaction: its document goes too
/// and everyone in it is told.
pub async fn delete(conn: &mut PgConnection, project_id: &ProjectId, id: &str, by: String) -> Result<(), StoreError> {
    let Some(stored) = documents::load(conn, project_id, DocumentKind::Playground, id, true).await? else { return Ok(()) };
    documents::delete(conn, stored.id, &DocumentNotice::reset(stored.id, stored.generation, Notice::Deleted { by })).await
}
