//! Folding the patches of one request that name the same entity, in order, with the same rules
//! the database applies between requests (see `writer.rs`): a later value fills or replaces,
//! absent values keep earlier ones, metadata objects deep-merge, tags union, the earliest trace
//! timestamp and the first observation start time, trace id and environment win. Folding first
//! means each row is written once per request, whatever the SDK batched.

use serde_json::Value;

use super::model::{ObservationPatch, TracePatch};

/// Deep merge of JSON objects (later keys win, nested objects merge); a non-object replaces.
pub fn merge_json(old: Option<Value>, new: Option<Value>) -> Option<Value> {
    match (old, new) {
        (old, None) => old,
        (None, new) => new,
        (Some(Value::Object(mut old)), Some(Value::Object(new))) => {
            for (key, value) in new {
                let merged = merge_json(old.remove(&key), Some(value));
                if let Some(merged) = merged {
                    old.insert(key, merged);
                }
            }
            Some(Value::Object(old))
        }
        (_, new) => new,
    }
}

fn later<T>(old: &mut Option<T>, new: Option<T>) {
    if new.is_some() {
        *old = new;
    }
}

fn first<T>(old: &mut Option<T>, new: Option<T>) {
    if old.is_none() {
        *old = new;
    }
}

pub fn union_tags(tags: &mut Vec<String>, new: Vec<String>) {
    tags.extend(new);
    tags.sort();
    tags.dedup();
}

impl TracePatch {
    /// Folds a later patch for the same trace into this one.
    pub fn absorb(&mut self, later_patch: TracePatch) {
        let TracePatch {
            id: _,
            timestamp,
            name,
            user_id,
            session_id,
            release,
            version,
            input,
            output,
            metadata,
            tags,
            public,
            environment,
            fallback,
        } = later_patch;
        self.timestamp = match (self.timestamp, timestamp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        later(&mut self.name, name);
        later(&mut self.user_id, user_id);
        later(&mut self.session_id, session_id);
        later(&mut self.release, release);
        later(&mut self.version, version);
        later(&mut self.input, input);
        later(&mut self.output, output);
        self.metadata = merge_json(self.metadata.take(), metadata);
        union_tags(&mut self.tags, tags);
        later(&mut self.public, public);
        first(&mut self.environment, environment);
        later(&mut self.fallback.name, fallback.name);
        later(&mut self.fallback.input, fallback.input);
        later(&mut self.fallback.output, fallback.output);
    }

    /// Only says the trace exists (what OTel children say about a trace they do not describe).
    pub fn is_shallow(&self) -> bool {
        self.name.is_none()
            && self.user_id.is_none()
            && self.session_id.is_none()
            && self.release.is_none()
            && self.version.is_none()
            && self.input.is_none()
            && self.output.is_none()
            && self.metadata.is_none()
            && self.tags.is_empty()
            && self.public.is_none()
            && self.fallback.is_empty()
    }
}

impl ObservationPatch {
    /// Folds a later patch for the same observation into this one.
    pub fn absorb(&mut self, later_patch: ObservationPatch) {
        let ObservationPatch {
            id: _,
            trace_id: _,
            r#type,
            parent_observation_id,
            name,
            start_time,
            end_time,
            completion_start_time,
            model,
            model_parameters,
            input,
            output,
            metadata,
            level,
            status_message,
            version,
            environment,
            usage,
            cost,
            prompt_name,
            prompt_version,
            otel_record,
        } = later_patch;
        self.r#type = r#type;
        later(&mut self.parent_observation_id, parent_observation_id);
        later(&mut self.name, name);
        first(&mut self.start_time, start_time);
        later(&mut self.end_time, end_time);
        later(&mut self.completion_start_time, completion_start_time);
        later(&mut self.model, model);
        later(&mut self.model_parameters, model_parameters);
        later(&mut self.input, input);
        later(&mut self.output, output);
        self.metadata = merge_json(self.metadata.take(), metadata);
        later(&mut self.level, level);
        later(&mut self.status_message, status_message);
        later(&mut self.version, version);
        first(&mut self.environment, environment);
        // Each usage shape replaces its earlier self when sent again (an update with usage
        // reports the final numbers).
        later(&mut self.usage.legacy, usage.legacy);
        later(&mut self.usage.details, usage.details);
        if !usage.gen_ai.is_empty() {
            self.usage.gen_ai = usage.gen_ai;
        }
        later(&mut self.cost, cost);
        later(&mut self.prompt_name, prompt_name);
        later(&mut self.prompt_version, prompt_version);
        later(&mut self.otel_record, otel_record);
    }
}

/// Folds patches with the same id, keeping the order of first appearance.
pub fn fold_by_id<P>(patches: Vec<P>, id: impl Fn(&P) -> &str, absorb: impl Fn(&mut P, P)) -> Vec<P> {
    // foldhash: the ids are a client's, so seeded per process like SipHash, and faster (#23).
    let mut index: foldhash::HashMap<String, usize> = foldhash::HashMap::with_capacity_and_hasher(patches.len(), Default::default());
    let mut folded: Vec<P> = Vec::with_capacity(patches.len());
    for patch in patches {
        match index.get(id(&patch)) {
            Some(&at) => absorb(&mut folded[at], patch),
            None => {
                index.insert(id(&patch).to_string(), folded.len());
                folded.push(patch);
            }
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use loupe_domain::{ObservationLevel, ObservationType};
    use serde_json::json;

    #[test]
    fn json_objects_merge_deeply_and_scalars_replace() {
        let merged = merge_json(Some(json!({"a": 1, "n": {"x": 1, "y": 2}})), Some(json!({"b": 2, "n": {"y": 3}})));
        assert_eq!(merged, Some(json!({"a": 1, "b": 2, "n": {"x": 1, "y": 3}})));
        assert_eq!(merge_json(Some(json!({"a": 1})), Some(json!("s"))), Some(json!("s")));
        assert_eq!(merge_json(Some(json!({"a": 1})), None), Some(json!({"a": 1})));
    }

    #[test]
    fn trace_patches_fill_union_and_keep_the_earliest_timestamp() {
        let t1 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut a = TracePatch { timestamp: Some(t1), name: Some("first".into()), tags: vec!["b".into()], environment: Some("prod".into()), ..TracePatch::new("t") };
        a.absorb(TracePatch {
            timestamp: Some(t0),
            user_id: Some("u".into()),
            tags: vec!["a".into(), "b".into()],
            environment: Some("staging".into()),
            metadata: Some(json!({"k": 1})),
            ..TracePatch::new("t")
        });
        assert_eq!(a.timestamp, Some(t0));
        assert_eq!(a.name.as_deref(), Some("first"));
        assert_eq!(a.user_id.as_deref(), Some("u"));
        assert_eq!(a.tags, vec!["a", "b"]);
        assert_eq!(a.environment.as_deref(), Some("prod"));
        assert!(!a.is_shallow());
        assert!(TracePatch { timestamp: Some(t0), environment: Some("x".into()), ..TracePatch::new("t") }.is_shallow());
    }

    #[test]
    fn observation_updates_fill_fields_and_keep_the_first_start() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap();
        let mut create = ObservationPatch::new("o", "t", ObservationType::Generation);
        create.start_time = Some(t0);
        create.name = Some("llm".into());
        create.input = Some(json!("q"));
        let mut update = ObservationPatch::new("o", "t", ObservationType::Generation);
        update.start_time = Some(t1);
        update.end_time = Some(t1);
        update.output = Some(json!("a"));
        update.level = Some(ObservationLevel::Warning);
        update.usage.legacy = Some(json!({"input": 1}));
        let folded = fold_by_id(vec![create, update], |p| &p.id, |a, b| a.absorb(b));
        assert_eq!(folded.len(), 1);
        let o = &folded[0];
        assert_eq!(o.start_time, Some(t0));
        assert_eq!(o.end_time, Some(t1));
        assert_eq!(o.name.as_deref(), Some("llm"));
        assert_eq!(o.input, Some(json!("q")));
        assert_eq!(o.output, Some(json!("a")));
        assert_eq!(o.level, Some(ObservationLevel::Warning));
        assert_eq!(o.usage.legacy, Some(json!({"input": 1})));
    }
}
