//! The shared draft of a prompt's next version (`DocumentKind::PromptDraft`, keyed by the
//! prompt's name): seeded from the newest version, read when published, started again from
//! the new version afterwards. The document's layout is `loupe_domain::collab::prompt_draft`.

use sqlx::PgConnection;
use uuid::Uuid;
use yrs::{ReadTxn, StateVector, Transact};

use super::DocumentNotice;
use crate::scope::ProjectId;
use crate::store::{documents, prompts, StoreError};
use loupe_domain::collab::prompt_draft::{DraftDoc, SharedDraft};
use loupe_domain::collab::{new_doc, DocumentKind, Notice};
use loupe_domain::prompt_draft::PromptDraft;
use loupe_domain::prompts::PromptVersion;

/// The first state of the draft of `name`: its newest version (none: no such prompt).
pub async fn seed(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let versions = prompts::versions(conn, project_id, name).await?;
    Ok(versions.first().map(seed_from))
}

/// A draft document starting from `version`: its content, no labels (moving `production` is a
/// decision), the prompt's tags kept.
pub fn seed_from(version: &PromptVersion) -> Vec<u8> {
    let mut draft = PromptDraft::from_version(version.name.clone(), version);
    draft.keep_tags = true;
    let doc = new_doc();
    let roots = DraftDoc::of(&doc);
    roots.seed(&mut doc.transact_mut(), &draft, Some(version.version));
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

/// The draft as stored now, the document row locked until the caller's transaction ends (so
/// no change lands between this read and [`restart`]). `None`: nobody opened a draft.
pub async fn lock(conn: &mut PgConnection, project_id: &ProjectId, name: &str) -> Result<Option<(Uuid, i64, SharedDraft)>, StoreError> {
    let Some(stored) = documents::load(conn, project_id, DocumentKind::PromptDraft, name, true).await? else { return Ok(None) };
    let doc = stored.to_doc().map_err(|e| StoreError::BadValue(format!("document {} does not decode: {e}", stored.id)))?;
    let mut shared = loupe_domain::collab::prompt_draft::read(&doc);
    shared.draft.name = name.to_string();
    Ok(Some((stored.id, stored.generation, shared)))
}

/// The draft as stored now, without locking (the editor's first render).
pub async fn read(pool: &sqlx::PgPool, project_id: &ProjectId, name: &str) -> Result<Option<(i64, SharedDraft)>, StoreError> {
    let seed = if documents::exists(pool, project_id, DocumentKind::PromptDraft, name).await? {
        None
    } else {
        seed(&mut *pool.acquire().await?, project_id, name).await?
    };
    let Some(stored) = documents::open(pool, project_id, DocumentKind::PromptDraft, name, seed).await? else { return Ok(None) };
    let doc = stored.to_doc().map_err(|e| StoreError::BadValue(format!("document {} does not decode: {e}", stored.id)))?;
    let mut shared = loupe_domain::collab::prompt_draft::read(&doc);
    shared.draft.name = name.to_string();
    Ok(Some((stored.generation, shared)))
}

/// Starts the next generation of draft `id` from `version` in the caller's transaction and
/// tells everyone in it `notice(new generation)` (after commit, through the database).
pub async fn restart(conn: &mut PgConnection, id: Uuid, version: &PromptVersion, notice: impl FnOnce(i64) -> Notice) -> Result<i64, StoreError> {
    let snapshot = seed_from(version);
    documents::reset(conn, id, &snapshot, |generation| DocumentNotice::reset(id, generation, notice(generation))).await
}
