//! Signed media URLs: Loupe URLs the SDKs PUT to and GET from without credentials, as they do
//! with S3's presigned URLs. HMAC-SHA256 over (access, project, media, expiry) under a key derived
//! from `LOUPE_SECRET`. A verified signature is a capability for one media object of one project,
//! so [`UrlSigner::verify`] is where such a request gets its [`ProjectId`].

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::scope::ProjectId;

/// How long a signed upload or download URL is valid.
pub const URL_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Upload,
    Download,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Upload => "upload",
            Access::Download => "download",
        }
    }
}

pub struct UrlSigner {
    key: [u8; 32],
}

impl UrlSigner {
    pub fn new(secret: &str) -> UrlSigner {
        // A key of its own, so a signature here is worth nothing anywhere else the secret is used.
        UrlSigner { key: Sha256::new().chain_update(b"loupe media urls v1\0").chain_update(secret.as_bytes()).finalize().into() }
    }

    fn mac(&self, access: Access, project_id: &str, media_id: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        for part in [access.as_str(), project_id, media_id, &expires.to_string()] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac
    }

    /// `(expires, signature)` for a URL valid for [`URL_LIFETIME`].
    pub fn sign(&self, access: Access, project_id: &ProjectId, media_id: &str) -> (i64, String) {
        let expires = unix_now() + URL_LIFETIME.as_secs() as i64;
        let signature = hex::encode(self.mac(access, project_id.as_str(), media_id, expires).finalize().into_bytes());
        (expires, signature)
    }

    /// The URL's project when its signature is ours and has not expired (compared in constant
    /// time); `None` otherwise.
    pub fn verify(&self, access: Access, project_id: &str, media_id: &str, expires: i64, signature: &str) -> Option<ProjectId> {
        let signature = hex::decode(signature).ok()?;
        let valid = expires >= unix_now() && self.mac(access, project_id, media_id, expires).verify_slice(&signature).is_ok();
        valid.then(|| ProjectId::vouched(project_id))
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_access_project_media_and_expiry() {
        let signer = UrlSigner::new("a secret of at least thirty-two chars");
        let (expires, signature) = signer.sign(Access::Upload, &ProjectId::vouched("p"), "m");
        assert_eq!(signer.verify(Access::Upload, "p", "m", expires, &signature), Some(ProjectId::vouched("p")));
        assert!(signer.verify(Access::Download, "p", "m", expires, &signature).is_none(), "an upload URL is no download URL");
        assert!(signer.verify(Access::Upload, "q", "m", expires, &signature).is_none(), "nor another project's");
        assert!(signer.verify(Access::Upload, "p", "n", expires, &signature).is_none());
        assert!(signer.verify(Access::Upload, "p", "m", expires + 1, &signature).is_none(), "the expiry is signed");
        assert!(signer.verify(Access::Upload, "p", "m", 1, &signature).is_none(), "expired");
        assert!(signer.verify(Access::Upload, "p", "m", expires, "zz").is_none());
        let other = UrlSigner::new("another secret of at least thirty-two");
        assert!(other.verify(Access::Upload, "p", "m", expires, &signature).is_none(), "another secret");
    }
}
