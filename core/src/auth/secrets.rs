//! Hashing for passwords and API secret keys: argon2id, PHC strings in the database.
//!
//! Secret keys are usually random, but headless initialization accepts any operator-chosen
//! string, so they get the same slow hash as passwords; the request path will cache successful
//! verifications in memory rather than weaken the stored form.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// An argon2id PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash(pub String);

impl SecretHash {
    pub fn of(secret: &str) -> SecretHash {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            // Only fails for parameter/salt misconfiguration, which the defaults rule out.
            .expect("argon2 with default parameters hashes any input");
        SecretHash(hash.to_string())
    }

    /// Constant-time verification (argon2's comparison). A malformed stored hash verifies nothing.
    pub fn verify(&self, secret: &str) -> bool {
        match PasswordHash::new(&self.0) {
            Ok(parsed) => Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }
}

/// The masked form of a secret key shown in lists: the prefix up to the last dash, then the last
/// four characters (`sk-lf-...abcd`). Never reveals more than four characters of the secret.
pub fn display_form(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    let prefix = if secret.starts_with("sk-lf-") { "sk-lf-" } else { "" };
    format!("{prefix}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_original_secret() {
        let hash = SecretHash::of("sk-lf-1234567890");
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(!hash.0.contains("1234567890"));
        assert!(hash.verify("sk-lf-1234567890"));
        assert!(!hash.verify("sk-lf-1234567891"));
        assert!(!SecretHash("not a hash".into()).verify("anything"));
    }

    #[test]
    fn display_form_shows_at_most_four_characters() {
        assert_eq!(display_form("sk-lf-abcdef123456"), "sk-lf-...3456");
        assert_eq!(display_form("mysecret"), "...cret");
        assert_eq!(display_form("ab"), "...ab");
    }
}
