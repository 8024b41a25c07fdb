//! Media files in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph...): objects
//! `<prefix>media/<sha256 hex>`, written and read by Loupe with SigV4-presigned requests. The
//! SDKs never talk to the bucket: they still use Loupe's signed URLs, so the length and hash
//! checks stay in one place and the bucket needs no public access or CORS.
//!
//! rusty-s3 signs (sans-IO, no AWS SDK); reqwest carries the requests.

use std::time::{Duration, SystemTime};

use rusty_s3::actions::ListObjectsV2;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// How long a request's presigned URL is valid: just long enough to send it.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// Per request: the largest object (32 MiB) over a slow link, not forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub struct MediaBucket {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    client: reqwest::Client,
}

fn io_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

impl MediaBucket {
    pub fn new(settings: &loupe_app::state::MediaBucket) -> Result<MediaBucket, String> {
        let endpoint = settings.endpoint.parse().map_err(|e| format!("endpoint {:?}: {e}", settings.endpoint))?;
        let style = if settings.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket = Bucket::new(endpoint, style, settings.name.clone(), settings.region.clone()).map_err(|e| format!("bucket {:?}: {e}", settings.name))?;
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(MediaBucket {
            bucket,
            credentials: Credentials::new(settings.access_key_id.clone(), settings.secret_access_key.clone()),
            prefix: format!("{}media/", settings.prefix),
            client,
        })
    }

    fn key(&self, sha256_hex: &str) -> String {
        format!("{}{sha256_hex}", self.prefix)
    }

    pub async fn exists(&self, sha256_hex: &str) -> std::io::Result<bool> {
        let key = self.key(sha256_hex);
        let url = self.bucket.head_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        let response = self.client.head(url).send().await.map_err(io_error)?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(io_error(format!("HEAD {key}: HTTP {status}"))),
        }
    }

    pub async fn put(&self, sha256_hex: &str, bytes: bytes::Bytes) -> std::io::Result<()> {
        let key = self.key(sha256_hex);
        let url = self.bucket.put_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        let response = self.client.put(url).body(bytes).send().await.map_err(io_error)?;
        if !response.status().is_success() {
            return Err(io_error(format!("PUT {key}: HTTP {}: {}", response.status(), response.text().await.unwrap_or_default())));
        }
        Ok(())
    }

    pub async fn get(&self, sha256_hex: &str) -> std::io::Result<Vec<u8>> {
        let key = self.key(sha256_hex);
        let url = self.bucket.get_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        let response = self.client.get(url).send().await.map_err(io_error)?;
        match response.status().as_u16() {
            200 => Ok(response.bytes().await.map_err(io_error)?.to_vec()),
            404 => Err(std::io::Error::new(std::io::ErrorKind::NotFound, key)),
            status => Err(io_error(format!("GET {key}: HTTP {status}"))),
        }
    }

    pub async fn delete(&self, sha256_hex: &str) -> std::io::Result<()> {
        let key = self.key(sha256_hex);
        let url = self.bucket.delete_object(Some(&self.credentials), &key).sign(SIGNED_FOR);
        let response = self.client.delete(url).send().await.map_err(io_error)?;
        // 404: already gone, which is what was wanted.
        if !response.status().is_success() && response.status().as_u16() != 404 {
            return Err(io_error(format!("DELETE {key}: HTTP {}", response.status())));
        }
        Ok(())
    }

    /// The objects under the media prefix last modified before `cutoff`, as (hash, key).
    pub async fn list_older_than(&self, cutoff: SystemTime) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
        let cutoff: chrono::DateTime<chrono::Utc> = cutoff.into();
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut list = self.bucket.list_objects_v2(Some(&self.credentials));
            list.with_prefix(self.prefix.as_str());
            if let Some(token) = &token {
                list.with_continuation_token(token.as_str());
            }
            let url = list.sign(SIGNED_FOR);
            let response = self.client.get(url).send().await.map_err(io_error)?;
            if !response.status().is_success() {
                return Err(io_error(format!("listing {}: HTTP {}", self.prefix, response.status())));
            }
            let text = response.text().await.map_err(io_error)?;
            let page = ListObjectsV2::parse_response(&text).map_err(io_error)?;
            for object in page.contents {
                let Some(hash) = object.key.strip_prefix(&self.prefix) else { continue };
                let old = object
                    .last_modified
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t < cutoff);
                if old && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    found.push((hash.to_string(), std::path::PathBuf::from(&object.key)));
                }
            }
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => return Ok(found),
            }
        }
    }
}
