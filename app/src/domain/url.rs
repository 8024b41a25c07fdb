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
