//! URL pieces shared by the server and the browser.

/// Percent-encodes a value for a URL query or path segment (everything but RFC 3986's
/// unreserved characters).
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Percent-encodes a path that may span segments (a prompt name with folders, `team/reviewer`):
/// each `/`-separated part as [`encode_query`] does, the `/` kept, so the URL reads like the name.
pub fn encode_path(value: &str) -> String {
    value.split('/').map(encode_query).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_their_slashes() {
        assert_eq!(encode_path("team/reviewer"), "team/reviewer");
        assert_eq!(encode_path("a b/影?#"), "a%20b/%E5%BD%B1%3F%23");
        assert_eq!(encode_query("a/b"), "a%2Fb");
    }
}
