//! Live updates of traces: the server-sent events the server streams to the browser
//! (`/api/live/...`) and how a view accumulates them. One definition for both sides.
//!
//! A stream first sends [`READY_EVENT`] once the server is listening for changes (events from
//! then on are not missed), then one [`TRACES_EVENT`] (project stream) or [`TRACE_EVENT`] (one
//! trace's stream) per change, at most one every half second, each carrying [`TracesChanged`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::url::encode_query;

/// Sent first, when the subscription is active; again after the browser reconnects.
pub const READY_EVENT: &str = "ready";
/// Traces of the project changed (the project stream).
pub const TRACES_EVENT: &str = "traces";
/// The one trace changed (the trace stream).
pub const TRACE_EVENT: &str = "trace";

/// The data of a change event: `{"traceIds": ["…", …]}`, or `{"traceIds": null}` when too many
/// traces changed to name them (or changes may have been missed): reload everything shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TracesChanged {
    pub trace_ids: Option<Vec<String>>,
}

impl TracesChanged {
    /// "Many traces changed": no ids.
    pub fn many() -> TracesChanged {
        TracesChanged { trace_ids: None }
    }
}

/// The project's stream of trace changes.
pub fn project_traces_url(project_id: &str) -> String {
    format!("/api/live/projects/{}/traces", encode_query(project_id))
}

/// The stream of one trace's changes.
pub fn trace_url(project_id: &str, trace_id: &str) -> String {
    format!("/api/live/projects/{}/traces/{}", encode_query(project_id), encode_query(trace_id))
}

/// Changes gathered since a view last caught up: the distinct trace ids, or "many". Used by the
/// server to merge the changes it holds back between two events, and by a list to count the
/// traces it does not show yet. Bounded: past [`ChangedTraces::MAX_IDS`] ids it becomes "many".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedTraces {
    ids: BTreeSet<String>,
    many: bool,
}

impl ChangedTraces {
    /// More ids than a person would count one by one, and a bound on the memory a stream holds.
    pub const MAX_IDS: usize = 1000;

    /// Adds a change: its ids, or "many" for `None`.
    pub fn add(&mut self, trace_ids: Option<&[String]>) {
        match trace_ids {
            _ if self.many => {}
            None => self.set_many(),
            Some(ids) => {
                self.ids.extend(ids.iter().cloned());
                if self.ids.len() > Self::MAX_IDS {
                    self.set_many();
                }
            }
        }
    }

    /// Adds an event's data.
    pub fn add_event(&mut self, event: &TracesChanged) {
        self.add(event.trace_ids.as_deref());
    }

    fn set_many(&mut self) {
        self.many = true;
        self.ids.clear();
    }

    pub fn is_empty(&self) -> bool {
        !self.many && self.ids.is_empty()
    }

    /// Too many to name (or changes were missed).
    pub fn is_many(&self) -> bool {
        self.many
    }

    /// The ids gathered (none when [`is_many`](Self::is_many)).
    pub fn trace_ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Whether this trace may have changed (always, when "many").
    pub fn may_include(&self, trace_id: &str) -> bool {
        self.many || self.ids.contains(trace_id)
    }

    /// How many changed traces `shown` does not know, e.g. "3 new traces" above a list; `None`
    /// for "many" (say "new traces" without a number).
    pub fn count_not_in(&self, shown: impl Fn(&str) -> bool) -> Option<usize> {
        (!self.many).then(|| self.ids.iter().filter(|id| !shown(id)).count())
    }

    /// The gathered changes as one event's data, leaving this empty; `None` when empty.
    pub fn take(&mut self) -> Option<TracesChanged> {
        if self.is_empty() {
            return None;
        }
        let event = if self.many {
            TracesChanged::many()
        } else {
            TracesChanged { trace_ids: Some(std::mem::take(&mut self.ids).into_iter().collect()) }
        };
        *self = ChangedTraces::default();
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn event_data_is_langfuse_style_camel_case_with_null_for_many() {
        let some = TracesChanged { trace_ids: Some(ids(&["a", "b"])) };
        assert_eq!(serde_json::to_string(&some).unwrap(), r#"{"traceIds":["a","b"]}"#);
        assert_eq!(serde_json::to_string(&TracesChanged::many()).unwrap(), r#"{"traceIds":null}"#);
        let parsed: TracesChanged = serde_json::from_str(r#"{"traceIds":null}"#).unwrap();
        assert_eq!(parsed, TracesChanged::many());
    }

    #[test]
    fn urls_encode_each_segment() {
        assert_eq!(project_traces_url("p-1"), "/api/live/projects/p-1/traces");
        assert_eq!(trace_url("p 1", "a/b?c"), "/api/live/projects/p%201/traces/a%2Fb%3Fc");
    }

    #[test]
    fn changes_merge_distinct_ids_and_many_absorbs_everything() {
        let mut changed = ChangedTraces::default();
        assert!(changed.is_empty());
        assert_eq!(changed.take(), None);
        changed.add(Some(&ids(&["b", "a"])));
        changed.add(Some(&ids(&["a", "c"])));
        assert_eq!(changed.trace_ids().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(changed.may_include("b") && !changed.may_include("z"));
        assert_eq!(changed.count_not_in(|id| id == "a"), Some(2));
        assert_eq!(changed.take(), Some(TracesChanged { trace_ids: Some(ids(&["a", "b", "c"])) }));
        assert!(changed.is_empty(), "take leaves it empty");

        changed.add(Some(&ids(&["a"])));
        changed.add(None);
        changed.add(Some(&ids(&["d"])));
        assert!(changed.is_many() && changed.may_include("anything"));
        assert_eq!(changed.count_not_in(|_| false), None);
        assert_eq!(changed.take(), Some(TracesChanged::many()));
        assert!(!changed.is_many());
    }

    #[test]
    fn too_many_ids_become_many() {
        let mut changed = ChangedTraces::default();
        let first: Vec<String> = (0..ChangedTraces::MAX_IDS).map(|i| format!("t{i}")).collect();
        changed.add(Some(&first));
        assert!(!changed.is_many(), "exactly the bound is still named");
        changed.add(Some(&first[..10]));
        assert!(!changed.is_many(), "repeated ids do not count twice");
        changed.add(Some(&ids(&["one-more"])));
        assert!(changed.is_many());
        assert_eq!(changed.trace_ids().count(), 0, "no memory kept for the ids");
    }
}
