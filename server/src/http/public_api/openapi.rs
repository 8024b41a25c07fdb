//! `GET /api/public/openapi.json`: an OpenAPI 3.1 description of every route of the public API
//! (no auth: it is documentation). The document is hand-maintained JSON embedded at build time;
//! a test reads the router's source and fails when a route and the document disagree, so the
//! two cannot drift apart unnoticed.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, validated as OpenAPI 3.1 when it was written; the tests check it parses and
/// matches the router.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::DOCUMENT;

    const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

    /// `/traces/{id}` and `/traces/{traceId}` describe the same route.
    fn normalized(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// `(METHOD path)` of every `.route("...", ...)` call in the router source, following the
    /// call to its closing parenthesis so routes written over several lines count too.
    fn router_routes() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let method_call = regex::Regex::new(r"\b(get|post|put|patch|delete)\(").unwrap();
        let mut routes = BTreeSet::new();
        let mut rest = source;
        while let Some(start) = rest.find(".route(\"") {
            let call = &rest[start + ".route(".len()..];
            let mut depth = 1;
            let end = call
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(i)
                })
                .expect("route call is closed");
            let call = &call[..end];
            let path = call[1..].split('"').next().unwrap();
            for m in method_call.captures_iter(call) {
                routes.insert((m[1].to_string(), normalized(&format!("/api/public{path}"))));
            }
            rest = &rest[start + 1..];
        }
        routes
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("openapi.json is valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys().filter(|k| METHODS.contains(&k.as_str())) {
                routes.insert((method.clone(), normalized(path)));
            }
        }
        routes
    }

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let registered = router_routes();
        assert!(registered.len() > 20, "the router scan found only {registered:?}");
        assert!(registered.contains(&("patch".into(), "/api/public/score-configs/{}".into())));
        let documented = documented_routes();
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
        let phantom: Vec<_> = documented.difference(&registered).collect();
        assert!(phantom.is_empty(), "openapi.json documents routes the router does not have: {phantom:?}");
    }

    #[test]
    fn every_reference_resolves_and_security_schemes_exist() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["basicAuth"]["scheme"], "basic");
        assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
        let mut pending = vec![&doc];
        while let Some(value) = pending.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                        let pointer = target.strip_prefix('#').expect("local reference");
                        assert!(doc.pointer(pointer).is_some(), "dangling $ref {target}");
                    }
                    pending.extend(map.values());
                }
                serde_json::Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
    }
}
