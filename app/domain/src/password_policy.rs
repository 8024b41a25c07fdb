//! What a password must be, checked in the browser as the person types and again on the server.
//! Length is what makes a password strong (NIST SP 800-63B): at least 8 characters, at most 128
//! (argon2 hashes any length, the cap bounds the work), and not trivially guessable.

/// Every rule the password breaks, as sentences to show next to the field; empty when it is fine.
pub fn problems(password: &str, email: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < 8 {
        problems.push("Use at least 8 characters.");
    }
    if length > 128 {
        problems.push("Use at most 128 characters.");
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next() {
        if length >= 8 && chars.all(|c| c == first) {
            problems.push("Do not repeat a single character.");
        }
    }
    let lower = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if !email.is_empty() && (lower == email.to_lowercase() || (local_part.len() >= 4 && lower == local_part)) {
        problems.push("Do not use your email address.");
    }
    const COMMON: [&str; 12] = [
        "password", "password1", "12345678", "123456789", "1234567890", "qwertyui", "qwerty123", "iloveyou",
        "11111111", "abc12345", "letmein1", "loupe123",
    ];
    if COMMON.contains(&lower.as_str()) {
        problems.push("This password is among the most common ones; choose another.");
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::problems;

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(problems("short", "a@b.c"), vec!["Use at least 8 characters."]);
        assert_eq!(problems("aaaaaaaaaa", "a@b.c"), vec!["Do not repeat a single character."]);
        assert_eq!(problems("Password", "a@b.c"), vec!["This password is among the most common ones; choose another."]);
        assert_eq!(problems("alice.smith", "Alice.Smith@example.com"), vec!["Do not use your email address."]);
        assert_eq!(problems(&"x1".repeat(65), "a@b.c"), vec!["Use at most 128 characters."]);
        assert!(problems("correct horse battery staple", "a@b.c").is_empty());
        assert!(problems("長いパスワードです", "a@b.c").is_empty(), "length counts characters, not bytes");
    }
}
