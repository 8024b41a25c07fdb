//! Environment names (Langfuse §3.4): lowercase, any leading `langfuse`/`langfuse-`/`langfuse_`
//! prefix removed (it is reserved), at most 40 characters of `[a-z0-9-_]`; anything else, or
//! nothing, is `default`.

pub const DEFAULT: &str = "default";
const MAX_LEN: usize = 40;

pub fn normalize(raw: Option<&str>) -> String {
    let Some(raw) = raw else { return DEFAULT.to_string() };
    let mut name = raw.trim().to_lowercase();
    loop {
        let stripped = ["langfuse-", "langfuse_", "langfuse"].iter().find_map(|p| name.strip_prefix(p));
        match stripped {
            Some(rest) => name = rest.to_string(),
            None => break,
        }
    }
    let name: String = name.chars().take(MAX_LEN).collect();
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        name
    } else {
        DEFAULT.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalizes_like_langfuse() {
        assert_eq!(normalize(None), "default");
        assert_eq!(normalize(Some("Production")), "production");
        assert_eq!(normalize(Some("langfuse-staging")), "staging");
        assert_eq!(normalize(Some("langfuse_langfuse-x")), "x");
        assert_eq!(normalize(Some("langfuse")), "default");
        assert_eq!(normalize(Some("has space")), "default");
        assert_eq!(normalize(Some("sdk-experiment")), "sdk-experiment");
        assert_eq!(normalize(Some(&"a".repeat(50))).len(), 40);
        assert_eq!(normalize(Some("")), "default");
    }
}
