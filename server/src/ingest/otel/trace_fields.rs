//! Trace-level fields carried by span attributes (§4.2, §4.3): user, session, tags, public,
//! environment, release, version, and whether a span says anything about its trace at all. Each
//! field has several spellings (Langfuse SDK, OpenTelemetry conventions, integrations that pass
//! them as `langfuse_*` metadata, the Vercel AI SDK), tried in Langfuse's order.

use serde_json::Value;

use super::attributes::{is_truthy, to_text, unquote, Attributes};
use crate::ingest::environment;

/// `(key, is_metadata)`: values of metadata-style keys may be JSON-quoted by the Python SDK 5.
type Source = (&'static str, bool);

const USER_ID: [Source; 5] = [
    ("langfuse.user.id", false),
    ("user.id", false),
    ("langfuse.observation.metadata.langfuse_user_id", true),
    ("langfuse.trace.metadata.langfuse_user_id", true),
    ("ai.telemetry.metadata.userId", false),
];

const SESSION_ID: [Source; 6] = [
    ("langfuse.session.id", false),
    ("session.id", false),
    ("gen_ai.conversation.id", false),
    ("langfuse.observation.metadata.langfuse_session_id", true),
    ("langfuse.trace.metadata.langfuse_session_id", true),
    ("ai.telemetry.metadata.sessionId", false),
];

const TAGS: [&str; 6] = [
    "langfuse.trace.tags",
    "langfuse.tags",
    "langfuse.observation.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_tags",
    "ai.telemetry.metadata.tags",
    "tag.tags",
];

/// Attributes that make a non-root span update its trace (Langfuse's `hasTraceUpdates`), besides
/// any key starting with `langfuse.trace.metadata`.
const TRACE_UPDATE_KEYS: [&str; 20] = [
    "langfuse.trace.name",
    "langfuse.trace.input",
    "langfuse.trace.output",
    "langfuse.trace.metadata",
    "user.id",
    "session.id",
    "langfuse.trace.public",
    "langfuse.trace.tags",
    "langfuse.user.id",
    "langfuse.session.id",
    "langfuse.observation.metadata.langfuse_user_id",
    "langfuse.observation.metadata.langfuse_session_id",
    "langfuse.observation.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_session_id",
    "langfuse.trace.metadata.langfuse_user_id",
    "langfuse.trace.metadata.langfuse_tags",
    "ai.telemetry.metadata.sessionId",
    "ai.telemetry.metadata.userId",
    "ai.telemetry.metadata.tags",
    "tag.tags",
];

const ENVIRONMENT_KEYS: [&str; 3] = ["langfuse.environment", "deployment.environment.name", "deployment.environment"];

fn first_id(attrs: &Attributes, sources: &[Source]) -> Option<String> {
    sources.iter().find_map(|(key, is_metadata)| {
        attrs.truthy(key).map(|v| match v {
            Value::String(s) if *is_metadata => unquote(s),
            other => to_text(other),
        })
    })
}

pub fn user_id(attrs: &Attributes) -> Option<String> {
    first_id(attrs, &USER_ID)
}

pub fn session_id(attrs: &Attributes) -> Option<String> {
    first_id(attrs, &SESSION_ID)
}

/// Tags as a string array, a JSON array in a string, a comma-separated string or one tag.
pub fn tags(attrs: &Attributes) -> Vec<String> {
    let Some(value) = TAGS.iter().find_map(|k| attrs.truthy(k)) else { return Vec::new() };
    let tags: Vec<String> = match value {
        Value::Array(items) => items.iter().map(to_text).collect(),
        Value::String(text) => {
            let parsed = if text.trim_start().starts_with('[') { serde_json::from_str::<Vec<Value>>(text).ok() } else { None };
            match parsed {
                Some(items) => items.iter().map(to_text).collect(),
                None if text.contains(',') => text.split(',').map(|t| t.trim().to_string()).collect(),
                None => vec![unquote(text)],
            }
        }
        other => vec![to_text(other)],
    };
    tags.into_iter().filter(|t| !t.trim().is_empty()).collect()
}

/// `true` or `"true"` makes a trace public; any other value makes it private.
pub fn public(attrs: &Attributes) -> Option<bool> {
    let value = attrs.get("langfuse.trace.public").or_else(|| attrs.get("langfuse.public"))?;
    Some(matches!(value, Value::Bool(true)) || value.as_str() == Some("true"))
}

/// For each spelling in order, the span's attribute then the resource's; normalized (§3.4).
pub fn environment(attrs: &Attributes, resource: &Attributes) -> String {
    let raw = ENVIRONMENT_KEYS.iter().find_map(|k| attrs.truthy(k).or_else(|| resource.truthy(k)));
    match raw {
        Some(Value::String(s)) => environment::normalize(Some(s)),
        Some(other) => environment::normalize(Some(&to_text(other))),
        None => environment::DEFAULT.to_string(),
    }
}

fn non_empty_text(value: Option<&Value>) -> Option<String> {
    value.map(to_text).filter(|s| !s.is_empty())
}

pub fn release(attrs: &Attributes, resource: &Attributes) -> Option<String> {
    attrs
        .attempt(|| non_empty_text(attrs.get("langfuse.release")))
        .or_else(|| resource.attempt(|| non_empty_text(resource.get("langfuse.release"))))
}

pub fn version(attrs: &Attributes, resource: &Attributes) -> Option<String> {
    attrs
        .attempt(|| non_empty_text(attrs.get("langfuse.version")))
        .or_else(|| resource.attempt(|| non_empty_text(resource.get("service.version"))))
}

pub fn has_trace_updates(attrs: &Attributes) -> bool {
    TRACE_UPDATE_KEYS.iter().any(|k| attrs.peek(k).is_some_and(is_truthy)) || attrs.has_prefix("langfuse.trace.metadata")
}

/// A root span describes its trace: it has no parent, or the SDK marked it as the root.
pub fn is_root(has_parent: bool, attrs: &Attributes) -> bool {
    !has_parent
        || match attrs.peek("langfuse.internal.as_root") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn user_and_session_in_priority_order() {
        let attrs = Attributes::from_pairs([("user.id", json!("u-otel")), ("langfuse.user.id", json!("u-lf")), ("session.id", json!("s"))]);
        assert_eq!(user_id(&attrs).as_deref(), Some("u-lf"));
        assert_eq!(session_id(&attrs).as_deref(), Some("s"));
        let attrs = Attributes::from_pairs([("gen_ai.conversation.id", json!("conv")), ("ai.telemetry.metadata.userId", json!(42))]);
        assert_eq!(session_id(&attrs).as_deref(), Some("conv"));
        assert_eq!(user_id(&attrs).as_deref(), Some("42"));
    }

    #[test]
    fn metadata_style_ids_are_unquoted() {
        let attrs = Attributes::from_pairs([("langfuse.observation.metadata.langfuse_user_id", json!("\"u1\""))]);
        assert_eq!(user_id(&attrs).as_deref(), Some("u1"));
        assert_eq!(user_id(&Attributes::from_pairs([("user.id", json!(""))])), None);
    }

    #[test]
    fn tags_in_every_shape() {
        let tags_of = |v: Value| tags(&Attributes::from_pairs([("langfuse.trace.tags", v)]));
        assert_eq!(tags_of(json!(["tag-a", "tag-b"])), ["tag-a", "tag-b"]);
        assert_eq!(tags_of(json!("[\"x\", \"y\"]")), ["x", "y"]);
        assert_eq!(tags_of(json!("a, b,c")), ["a", "b", "c"]);
        assert_eq!(tags_of(json!("single")), ["single"]);
        assert_eq!(tags_of(json!("\"quoted\"")), ["quoted"]);
        assert_eq!(tags_of(json!([1, "", "x"])), ["1", "x"]);
        assert!(tags_of(json!("")).is_empty());
        assert!(tags(&Attributes::default()).is_empty());
        assert_eq!(tags(&Attributes::from_pairs([("tag.tags", json!("llama"))])), ["llama"]);
    }

    #[test]
    fn public_flag() {
        assert_eq!(public(&Attributes::from_pairs([("langfuse.trace.public", json!(true))])), Some(true));
        assert_eq!(public(&Attributes::from_pairs([("langfuse.public", json!("true"))])), Some(true));
        assert_eq!(public(&Attributes::from_pairs([("langfuse.trace.public", json!("yes"))])), Some(false));
        assert_eq!(public(&Attributes::default()), None);
    }

    #[test]
    fn environment_span_first_then_resource_per_key() {
        let resource = Attributes::from_pairs([("langfuse.environment", json!("Staging"))]);
        assert_eq!(environment(&Attributes::default(), &resource), "staging");
        let span = Attributes::from_pairs([("deployment.environment.name", json!("prod"))]);
        // langfuse.environment on the resource outranks the span's deployment.environment.name.
        assert_eq!(environment(&span, &resource), "staging");
        assert_eq!(environment(&span, &Attributes::default()), "prod");
        let span = Attributes::from_pairs([("langfuse.environment", json!("langfuse-js-env"))]);
        assert_eq!(environment(&span, &resource), "js-env");
        assert_eq!(environment(&Attributes::default(), &Attributes::default()), "default");
        let resource = Attributes::from_pairs([("deployment.environment", json!("has space"))]);
        assert_eq!(environment(&Attributes::default(), &resource), "default");
    }

    #[test]
    fn release_and_version_fall_back_to_resource() {
        let resource = Attributes::from_pairs([("langfuse.release", json!("rel-42")), ("service.version", json!("1.2.3"))]);
        assert_eq!(release(&Attributes::default(), &resource).as_deref(), Some("rel-42"));
        assert_eq!(version(&Attributes::default(), &resource).as_deref(), Some("1.2.3"));
        let span = Attributes::from_pairs([("langfuse.release", json!("span-rel")), ("langfuse.version", json!("v-app-1"))]);
        assert_eq!(release(&span, &resource).as_deref(), Some("span-rel"));
        assert_eq!(version(&span, &resource).as_deref(), Some("v-app-1"));
    }

    #[test]
    fn trace_update_triggers() {
        assert!(!has_trace_updates(&Attributes::from_pairs([("langfuse.observation.type", json!("span"))])));
        assert!(has_trace_updates(&Attributes::from_pairs([("user.id", json!("u"))])));
        assert!(has_trace_updates(&Attributes::from_pairs([("langfuse.trace.metadata.k", json!("v"))])));
        assert!(has_trace_updates(&Attributes::from_pairs([("tag.tags", json!("t"))])));
        assert!(!has_trace_updates(&Attributes::from_pairs([("user.id", json!(""))])));
    }

    #[test]
    fn roots() {
        assert!(is_root(false, &Attributes::default()));
        assert!(!is_root(true, &Attributes::default()));
        assert!(is_root(true, &Attributes::from_pairs([("langfuse.internal.as_root", json!("true"))])));
        assert!(is_root(true, &Attributes::from_pairs([("langfuse.internal.as_root", json!(true))])));
        assert!(!is_root(true, &Attributes::from_pairs([("langfuse.internal.is_app_root", json!(true))])));
    }
}
