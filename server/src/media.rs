//! Media attachments' bytes: files under `<data dir>/media/<2 hex>/<sha256 hex>`, needing no
//! service beside Postgres, or objects in an S3-compatible bucket when one is configured
//! (`bucket`). Content-addressed, so the same bytes are kept once whichever project
//! sent them (a project reaches a file only through its own `media` row); written to a temporary
//! file, synced and renamed, so a file under its hash is always complete. Upload and download URLs
//! are Loupe URLs signed with HMAC-SHA256 under a key derived from `LOUPE_SECRET`, with an expiry:
//! the SDKs PUT to and GET from them without credentials, as they do with S3's presigned URLs.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine;
use sqlx::PgPool;

mod bucket;

/// The largest attachment accepted (Langfuse's self-hosted default is 1 GB). An upload is a
/// request body like any other: it must arrive within the body timeout and fit one project's
/// share of the bodies held in memory (`admission`, at least 32 MiB), so Loupe keeps it there.
pub const MAX_BYTES: i64 = 32 * 1024 * 1024;

pub use loupe_core::auth::signed_urls::{Access, URL_LIFETIME};
use loupe_core::auth::signed_urls::UrlSigner;
use loupe_core::scope::ProjectId;

/// Files younger than this are never removed as orphans: an upload may be between its file and
/// its row.
const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

/// The MIME types the SDKs may declare (Langfuse's `MediaContentType`).
pub const CONTENT_TYPES: &[&str] = &[
    "image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/svg+xml", "image/tiff", "image/bmp", "image/avif",
    "image/heic", "audio/mpeg", "audio/mp3", "audio/wav", "audio/ogg", "audio/oga", "audio/aac", "audio/mp4", "audio/flac",
    "audio/opus", "audio/webm", "video/mp4", "video/webm", "video/ogg", "video/mpeg", "video/quicktime", "video/x-msvideo",
    "video/x-matroska", "text/plain", "text/html", "text/css", "text/csv", "text/markdown", "text/x-python",
    "application/javascript", "text/x-typescript", "application/x-yaml", "application/pdf", "application/msword",
    "application/vnd.ms-excel", "application/zip", "application/json", "application/xml", "application/octet-stream",
    "application/rtf", "application/x-ndjson", "application/vnd.apache.parquet", "application/gzip", "application/x-tar",
    "application/x-7z-compressed",
];

/// Whether a download may be shown in the browser as what it is. Images (but SVG, which can
/// carry script), audio, video and plain text are inert; everything else (HTML, SVG, scripts,
/// XML, PDF, archives) is served as `application/octet-stream` and as an attachment.
pub fn is_inert(content_type: &str) -> bool {
    (content_type.starts_with("image/") && content_type != "image/svg+xml")
        || content_type.starts_with("audio/")
        || content_type.starts_with("video/")
        || content_type == "text/plain"
}

/// The id every SDK computes for the bytes: the first 22 characters of base64url(SHA-256).
pub fn media_id(sha256: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256);
    encoded[..22].to_string()
}

/// What a signed URL allows.
pub struct MediaStore {
    files: Files,
    signer: UrlSigner,
}

/// Where the bytes are.
enum Files {
    /// `<dir>/<2 hex>/<sha256 hex>`.
    Dir(PathBuf),
    /// `<prefix>media/<sha256 hex>` in an S3-compatible bucket.
    Bucket(Box<bucket::MediaBucket>),
}

impl MediaStore {
    /// Files under `dir`.
    pub fn new(dir: PathBuf, secret: &str) -> MediaStore {
        MediaStore { files: Files::Dir(dir), signer: UrlSigner::new(secret) }
    }

    /// The store the instance's settings describe, if media are configured: the bucket when one
    /// is, else the directory. A bucket whose settings cannot make a URL (checked at start by
    /// `Config::validate`) leaves media unconfigured rather than writing elsewhere.
    pub fn from_settings(settings: &loupe_app::state::InstanceSettings) -> Option<std::sync::Arc<MediaStore>> {
        let media = settings.media.as_ref()?;
        let files = match &media.bucket {
            None => Files::Dir(media.dir.clone()),
            Some(bucket) => match bucket::MediaBucket::new(bucket) {
                Ok(bucket) => Files::Bucket(Box::new(bucket)),
                Err(error) => {
                    tracing::error!(%error, "the media bucket's settings are unusable; media routes answer 503");
                    return None;
                }
            },
        };
        Some(std::sync::Arc::new(MediaStore { files, signer: UrlSigner::new(&media.secret) }))
    }

    /// `(expires, signature)` for a URL valid for [`URL_LIFETIME`].
    pub fn sign(&self, access: Access, project_id: &ProjectId, media_id: &str) -> (i64, String) {
        self.signer.sign(access, project_id, media_id)
    }

    /// The URL's project when its signature is ours and has not expired.
    pub fn verify(&self, access: Access, project_id: &str, media_id: &str, expires: i64, signature: &str) -> Option<ProjectId> {
        self.signer.verify(access, project_id, media_id, expires, signature)
    }

    /// Whether the bytes with this hash are stored.
    pub async fn exists(&self, sha256_hex: &str) -> bool {
        match &self.files {
            Files::Dir(dir) => file_path(dir, sha256_hex).is_file(),
            Files::Bucket(bucket) => bucket.exists(sha256_hex).await.unwrap_or(false),
        }
    }

    /// Stores `bytes` under their hash (already checked by the caller); a no-op when present.
    pub async fn write(&self, sha256_hex: &str, bytes: bytes::Bytes) -> std::io::Result<()> {
        let dir = match &self.files {
            Files::Dir(dir) => dir,
            // A PUT replaces an object whole: readers see the old bytes or the new, never part.
            Files::Bucket(bucket) => return bucket.put(sha256_hex, bytes).await,
        };
        let path = file_path(dir, sha256_hex);
        if path.is_file() {
            return Ok(());
        }
        let parent = path.parent().expect("a hash directory").to_path_buf();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            std::fs::create_dir_all(&parent)?;
            let mut file = tempfile::NamedTempFile::new_in(&parent)?;
            file.write_all(&bytes)?;
            file.as_file().sync_all()?;
            file.persist(&path).map_err(|e| e.error)?;
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The bytes with this hash; `NotFound` when there are none.
    pub async fn read(&self, sha256_hex: &str) -> std::io::Result<Vec<u8>> {
        match &self.files {
            Files::Dir(dir) => tokio::fs::read(file_path(dir, sha256_hex)).await,
            Files::Bucket(bucket) => bucket.get(sha256_hex).await,
        }
    }

    /// Removes files no project names any more (trace or project deleted, retention) once they are
    /// older than an hour; returns how many.
    pub async fn remove_orphans(&self, pool: &PgPool) -> Result<usize, OrphanError> {
        let files = match &self.files {
            Files::Dir(dir) => list_files(dir),
            Files::Bucket(bucket) => bucket.list_older_than(SystemTime::now() - ORPHAN_GRACE).await?,
        };
        if files.is_empty() {
            return Ok(0);
        }
        let hashes: Vec<String> = files.iter().map(|(hash, _)| hash.clone()).collect();
        let in_use = loupe_core::store::media::hashes_in_use(pool, &hashes).await?;
        let mut removed = 0;
        for (hash, path) in files {
            if in_use.contains(&hash) {
                continue;
            }
            let gone = match &self.files {
                Files::Dir(_) => std::fs::remove_file(&path).is_ok(),
                Files::Bucket(bucket) => bucket.delete(&hash).await.is_ok(),
            };
            removed += usize::from(gone);
        }
        Ok(removed)
    }
}

/// Why the orphan sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum OrphanError {
    #[error(transparent)]
    Database(#[from] loupe_core::store::StoreError),
    #[error("listing the media bucket: {0}")]
    Bucket(#[from] std::io::Error),
}

fn file_path(dir: &Path, sha256_hex: &str) -> PathBuf {
    dir.join(&sha256_hex[..2]).join(sha256_hex)
}

/// The files old enough to be judged, with their hash.
fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let cutoff = SystemTime::now() - ORPHAN_GRACE;
    let mut files = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir) else { return files };
    for shard in shards.flatten() {
        let Ok(entries) = std::fs::read_dir(shard.path()) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
            if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) && old {
                files.push((name, entry.path()));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_what_the_sdks_compute() {
        // COMPATIBILITY.md §7.5, captured from Python 5.x: sha256Hash UVjM3rk6U5f+FNcL7eVtgEq3ais8zarqQlBskT4Cu6o=.
        let hash = base64::engine::general_purpose::STANDARD.decode("UVjM3rk6U5f+FNcL7eVtgEq3ais8zarqQlBskT4Cu6o=").unwrap();
        assert_eq!(media_id(&hash), "UVjM3rk6U5f-FNcL7eVtgE");
    }

    #[test]
    fn only_inert_types_are_shown_inline() {
        assert!(is_inert("image/png") && is_inert("audio/mpeg") && is_inert("text/plain"));
        assert!(!is_inert("image/svg+xml") && !is_inert("text/html") && !is_inert("application/javascript") && !is_inert("application/pdf"));
    }
}
