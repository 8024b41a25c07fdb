//! Collaborative documents (`documents`, `document_updates`; issue #19): a Yjs document is its
//! snapshot plus the updates appended since. Updates are appended (and announced to the other
//! replicas with `NOTIFY`, delivered at commit) in one transaction before the server
//! acknowledges them; compaction folds the updates into the snapshot so a long history still
//! opens with one row and a few updates.
//!
//! Appends take the document row `FOR SHARE` and check its generation: publishing a draft holds
//! it `FOR UPDATE` while it reads the draft, creates the version and starts the next
//! generation, so no update can slip in between the read and the reset and be lost unseen (one
//! that waits finds the new generation and is refused as stale; it was never acknowledged).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact};

use super::StoreError;
use crate::scope::ProjectId;
use loupe_domain::collab::DocumentKind;

/// The channel every replica listens on for document updates (see [`crate::collab`]).
pub const CHANNEL: &str = "loupe_documents";

/// A document as stored: its snapshot and the updates since, in order.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: Uuid,
    pub generation: i64,
    pub snapshot: Vec<u8>,
    pub updates: Vec<(i64, Vec<u8>)>,
    pub size_bytes: i64,
}

impl Stored {
    /// The state as one document.
    pub fn to_doc(&self) -> Result<yrs::Doc, yrs::encoding::read::Error> {
        let doc = loupe_domain::collab::new_doc();
        {
            let mut txn = doc.transact_mut();
            // Stored bytes were decoded and applied once before they were stored; an error here
            // means the row was damaged outside Loupe.
            let _ = txn.apply_update(yrs::Update::decode_v1(&self.snapshot)?);
            for (_, body) in &self.updates {
                let _ = txn.apply_update(yrs::Update::decode_v1(body)?);
            }
        }
        Ok(doc)
    }

    /// The highest sequence number in it (the snapshot's when no update follows).
    pub fn last_seq(&self) -> Option<i64> {
        self.updates.last().map(|(seq, _)| *seq)
    }
}

/// The document, made from `seed()` if it does not exist yet (two replicas making it at once:
/// one row wins, both read it).
pub async fn open(
    pool: &PgPool,
    project_id: &ProjectId,
    kind: DocumentKind,
    key: &str,
    seed: Option<Vec<u8>>,
) -> Result<Option<Stored>, StoreError> {
    let mut conn = pool.acquire().await?;
    if let Some(stored) = load(&mut conn, project_id, kind, key, false).await? {
        return Ok(Some(stored));
    }
    let Some(seed) = seed else { return Ok(None) };
    sqlx::query(
        "INSERT INTO documents (id, project_id, kind, key, snapshot, size_bytes) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (project_id, kind, key) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(project_id)
    .bind(kind.as_str())
    .bind(key)
    .bind(&seed)
    .bind(seed.len() as i64)
    .execute(&mut *conn)
    .await?;
    load(&mut conn, project_id, kind, key, false).await
}

/// Whether the document exists (without making it).
pub async fn exists(pool: &PgPool, project_id: &ProjectId, kind: DocumentKind, key: &str) -> Result<bool, StoreError> {
    let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM documents WHERE project_id = $1 AND kind = $2 AND key = $3")
        .bind(project_id)
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// The document with its updates; `lock`: `FOR UPDATE` (publishing, compacting).
///
/// The snapshot and its updates must come from one view of the database: a compaction that
/// commits between reading the row and reading the updates has deleted the updates it folded
/// in, and the document would open without them (the old snapshot, none of its updates).
/// Unlocked, one statement reads both; locked, the row is read first and holds off compaction
/// and reset (which take it `FOR UPDATE`) and appends (`FOR SHARE`) until the caller's
/// transaction ends, so the updates read next are exactly those of that snapshot.
pub async fn load(conn: &mut PgConnection, project_id: &ProjectId, kind: DocumentKind, key: &str, lock: bool) -> Result<Option<Stored>, StoreError> {
    if lock {
        let row: Option<(Uuid, i64, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, generation, snapshot, size_bytes FROM documents WHERE project_id = $1 AND kind = $2 AND key = $3 FOR UPDATE",
        )
        .bind(project_id)
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((id, generation, snapshot, size_bytes)) = row else { return Ok(None) };
        let updates = updates_after(&mut *conn, id, generation, 0).await?;
        return Ok(Some(Stored { id, generation, snapshot, updates, size_bytes }));
    }
    type Row = (Uuid, i64, Vec<u8>, i64, Vec<i64>, Vec<Vec<u8>>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.id, d.generation, d.snapshot, d.size_bytes,
                ARRAY(SELECT u.seq FROM document_updates u WHERE u.document_id = d.id AND u.generation = d.generation ORDER BY u.seq),
                ARRAY(SELECT u.body FROM document_updates u WHERE u.document_id = d.id AND u.generation = d.generation ORDER BY u.seq)
         FROM documents d WHERE d.project_id = $1 AND d.kind = $2 AND d.key = $3",
    )
    .bind(project_id)
    .bind(kind.as_str())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, generation, snapshot, size_bytes, seqs, bodies)) = row else { return Ok(None) };
    let updates = seqs.into_iter().zip(bodies).collect();
    Ok(Some(Stored { id, generation, snapshot, updates, size_bytes }))
}

/// The updates of `generation` after `seq`, in order.
pub async fn updates_after(conn: &mut PgConnection, id: Uuid, generation: i64, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    Ok(sqlx::query_as("SELECT seq, body FROM document_updates WHERE document_id = $1 AND generation = $2 AND seq > $3 ORDER BY seq")
        .bind(id)
        .bind(generation)
        .bind(seq)
        .fetch_all(conn)
        .await?)
}

/// Bytes stored for the document's current generation: its snapshot and the updates since
/// (what the size bound counts). `None`: no such document.
pub async fn stored_size(pool: &PgPool, id: Uuid) -> Result<Option<usize>, StoreError> {
    let size: Option<(i64,)> = sqlx::query_as(
        "SELECT length(d.snapshot) + coalesce((SELECT sum(length(u.body)) FROM document_updates u
                                               WHERE u.document_id = d.id AND u.generation = d.generation), 0)::bigint
         FROM documents d WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(size.map(|(n,)| n.max(0) as usize))
}

/// One update (a notification too large to carry it names it instead).
pub async fn update(pool: &PgPool, id: Uuid, seq: i64) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT body FROM document_updates WHERE document_id = $1 AND seq = $2")
        .bind(id)
        .bind(seq)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(body,)| body))
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The document started a new generation (published or discarded) or was deleted.
    #[error("the document was reset")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One change to append: its bytes and who made it.
pub struct Append<'a> {
    pub body: &'a [u8],
    pub account_id: Option<&'a str>,
}

/// Appends `changes`, in order, to generation `generation` of document `id` and announces each
/// with `notice(seq, body)` (a `NOTIFY` payload), all committed together: the sequence numbers,
/// in the order of `changes`. One transaction (one WAL flush) for everything a room gathered
/// while the previous commit was under way is what keeps a busy document's latency flat.
pub async fn append(
    pool: &PgPool,
    id: Uuid,
    generation: i64,
    changes: &[Append<'_>],
    notice: impl Fn(i64, &[u8]) -> String,
) -> Result<Vec<i64>, AppendError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    let current: Option<(i64,)> = sqlx::query_as("SELECT generation FROM documents WHERE id = $1 FOR SHARE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if current.map(|(g,)| g) != Some(generation) {
        return Err(AppendError::Stale);
    }
    let bodies: Vec<&[u8]> = changes.iter().map(|c| c.body).collect();
    let accounts: Vec<Option<&str>> = changes.iter().map(|c| c.account_id).collect();
    // Rows are inserted in `ordinality` order, so the sequence hands out ascending numbers in
    // the order of `changes`; sorting what RETURNING gives back pairs them up again.
    let mut seqs: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO document_updates (document_id, generation, body, account_id)
         SELECT $1, $2, c.body, c.account_id FROM unnest($3::bytea[], $4::text[]) WITH ORDINALITY AS c(body, account_id, n)
         ORDER BY c.n
         RETURNING seq",
    )
    .bind(id)
    .bind(generation)
    .bind(&bodies)
    .bind(&accounts)
    .fetch_all(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    seqs.sort_unstable();
    // The row is held FOR SHARE: the size is kept by compaction and reset (which hold it FOR
    // UPDATE) and counted from the updates here, so concurrent appends do not queue on it.
    let notices: Vec<String> = seqs.iter().zip(changes).map(|(seq, c)| notice(*seq, c.body)).collect();
    sqlx::query("SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n")
        .bind(CHANNEL)
        .bind(&notices)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(seqs)
}

/// Folds the updates of the current generation into the snapshot (the document row locked):
/// the number of updates folded.
pub async fn compact(pool: &PgPool, id: Uuid) -> Result<usize, StoreError> {
    let mut tx = pool.begin().await?;
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as("SELECT generation, snapshot FROM documents WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((generation, snapshot)) = row else { return Ok(0) };
    let updates = updates_after(&mut tx, id, generation, 0).await?;
    let Some(&(last, _)) = updates.last() else { return Ok(0) };
    let stored = Stored { id, generation, snapshot, updates, size_bytes: 0 };
    let doc = stored.to_doc().map_err(|e| StoreError::BadValue(format!("document {id} does not decode: {e}")))?;
    let merged = doc.transact().encode_state_as_update_v1(&StateVector::default());
    sqlx::query("UPDATE documents SET snapshot = $2, snapshot_seq = $3, size_bytes = $4, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(&merged)
        .bind(last)
        .bind(merged.len() as i64)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM document_updates WHERE document_id = $1 AND seq <= $2").bind(id).bind(last).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(stored.updates.len())
}

/// Starts the next generation of document `id` from `snapshot` (the updates of the old one are
/// deleted) in the caller's transaction, which holds the row (see [`load`] with `lock`), and
/// announces it with `notice(generation)`. The new generation.
pub async fn reset(conn: &mut PgConnection, id: Uuid, snapshot: &[u8], notice: impl FnOnce(i64) -> String) -> Result<i64, StoreError> {
    let (generation,): (i64,) = sqlx::query_as(
        "UPDATE documents SET generation = generation + 1, snapshot = $2, snapshot_seq = 0, size_bytes = $3, updated_at = now()
         WHERE id = $1 RETURNING generation",
    )
    .bind(id)
    .bind(snapshot)
    .bind(snapshot.len() as i64)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM document_updates WHERE document_id = $1").bind(id).execute(&mut *conn).await?;
    // Kept with the row as well as sent: a replica that misses the notification reads it there
    // (see [`reset_notice`]).
    sqlx::query("WITH kept AS (UPDATE documents SET reset_notice = $3::jsonb WHERE id = $1) SELECT pg_notify($2, $3)")
        .bind(id)
        .bind(CHANNEL)
        .bind(notice(generation))
        .execute(&mut *conn)
        .await?;
    Ok(generation)
}

/// The notification that announced document `id`'s current generation (see [`reset`]); none
/// for a first generation.
pub async fn reset_notice(pool: &PgPool, id: Uuid) -> Result<Option<String>, StoreError> {
    let notice: Option<Option<String>> = sqlx::query_scalar("SELECT reset_notice::text FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(notice.flatten())
}

/// Deletes document `id` (its updates go with it) in the caller's transaction and announces it
/// with `notice` (delivered at commit).
pub async fn delete(conn: &mut PgConnection, id: Uuid, notice: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM documents WHERE id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(notice).execute(&mut *conn).await?;
    Ok(())
}
