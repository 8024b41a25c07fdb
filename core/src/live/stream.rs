//! One event stream's share of the hub's changes: filtered to its project (and trace) before
//! anything else, merged so a browser gets at most one event per [`MIN_INTERVAL`], and robust
//! to falling behind (a lagging stream is told "many changed" instead of being cut off).

use std::sync::Arc;
use std::time::Duration;

use loupe_domain::live::{ChangedTraces, TracesChanged};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::Change;

/// At most one change event per stream this often: a busy project (hundreds of requests a
/// second) must not make every open page reload hundreds of times a second.
pub const MIN_INTERVAL: Duration = Duration::from_millis(500);

/// Which changes a stream is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Any trace of the project.
    Project { project_id: String },
    /// One trace of the project.
    Trace { project_id: String, trace_id: String },
}

impl Filter {
    fn project_id(&self) -> &str {
        match self {
            Filter::Project { project_id } | Filter::Trace { project_id, .. } => project_id,
        }
    }

    /// What `change` means for this stream: `None` nothing, `Some(None)` "many changed",
    /// `Some(Some(ids))` these traces.
    fn select(&self, change: &Change) -> Option<Option<Vec<String>>> {
        let (project_id, trace_ids) = match change {
            Change::Resync => return Some(None),
            Change::Traces { project_id, trace_ids } => (project_id, trace_ids),
        };
        // Another project's change goes no further, whatever it names.
        if project_id != self.project_id() {
            return None;
        }
        match (self, trace_ids) {
            (_, None) => Some(None),
            (Filter::Project { .. }, Some(ids)) => Some(Some(ids.clone())),
            (Filter::Trace { trace_id, .. }, Some(ids)) => ids.contains(trace_id).then(|| Some(vec![trace_id.clone()])),
        }
    }
}

/// What a stream sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// The hub listens: changes committed from now on will arrive. Sent first, once.
    Ready,
    /// Traces changed (merged since the previous event).
    Changed(TracesChanged),
}

/// A stream's subscription; [`Subscription::next`] gives its outputs until shutdown.
pub struct Subscription {
    filter: Filter,
    changes: broadcast::Receiver<Arc<Change>>,
    listening: watch::Receiver<bool>,
    stop: watch::Receiver<bool>,
    ready_sent: bool,
    pending: ChangedTraces,
    /// When the next change event may go out.
    next_allowed: Instant,
}

impl Subscription {
    pub(crate) fn new(
        filter: Filter,
        changes: broadcast::Receiver<Arc<Change>>,
        listening: watch::Receiver<bool>,
        stop: watch::Receiver<bool>,
    ) -> Subscription {
        Subscription { filter, changes, listening, stop, ready_sent: false, pending: ChangedTraces::default(), next_allowed: Instant::now() }
    }

    /// The next output; `None` once the server shuts down. Cancel-safe: what was received is
    /// kept in `self`, so this can sit in a `select!` (the caller's periodic access check).
    pub async fn next(&mut self) -> Option<Output> {
        loop {
            if *self.stop.borrow() {
                return None;
            }
            if !self.pending.is_empty() && Instant::now() >= self.next_allowed {
                self.next_allowed = Instant::now() + MIN_INTERVAL;
                return self.pending.take().map(Output::Changed);
            }
            let flush_at = (!self.pending.is_empty()).then_some(self.next_allowed);
            let received = tokio::select! {
                biased;
                // Shutdown (or the hub dropped).
                _ = self.stop.changed() => return None,
                listening = self.listening.wait_for(|listening| *listening), if !self.ready_sent => {
                    if listening.is_err() {
                        return None; // the listener is gone: shutting down
                    }
                    self.ready_sent = true;
                    return Some(Output::Ready);
                }
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => continue,
                received = self.changes.recv() => received,
            };
            match received {
                Ok(change) => self.absorb(&change),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live stream fell behind; sending \"many changed\"");
                    self.pending.add(None);
                }
                Err(RecvError::Closed) => return None,
            }
            // Whatever else is already queued joins this event.
            loop {
                match self.changes.try_recv() {
                    Ok(change) => self.absorb(&change),
                    Err(TryRecvError::Lagged(_)) => self.pending.add(None),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
        }
    }

    fn absorb(&mut self, change: &Change) {
        if let Some(ids) = self.filter.select(change) {
            self.pending.add(ids.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Harness {
        changes: broadcast::Sender<Arc<Change>>,
        listening: watch::Sender<bool>,
        stop: watch::Sender<bool>,
    }

    fn harness(filter: Filter, capacity: usize) -> (Harness, Subscription) {
        let (changes, rx) = broadcast::channel(capacity);
        let (listening, listening_rx) = watch::channel(true);
        let (stop, stop_rx) = watch::channel(false);
        (Harness { changes, listening, stop }, Subscription::new(filter, rx, listening_rx, stop_rx))
    }

    fn traces(project_id: &str, ids: &[&str]) -> Arc<Change> {
        Arc::new(Change::Traces { project_id: project_id.into(), trace_ids: Some(ids.iter().map(|s| s.to_string()).collect()) })
    }

    fn changed(ids: &[&str]) -> Option<Output> {
        Some(Output::Changed(TracesChanged { trace_ids: Some(ids.iter().map(|s| s.to_string()).collect()) }))
    }

    fn project(id: &str) -> Filter {
        Filter::Project { project_id: id.into() }
    }

    #[tokio::test]
    async fn ready_first_then_changes_of_the_project_only_merged() {
        let (hub, mut sub) = harness(project("a"), 16);
        hub.listening.send_replace(false);
        hub.changes.send(traces("b", &["other"])).unwrap();
        hub.listening.send_replace(true);
        assert_eq!(sub.next().await, Some(Output::Ready));
        // Queued before the stream looks: one event, other projects left out.
        hub.changes.send(traces("a", &["t2", "t1"])).unwrap();
        hub.changes.send(traces("b", &["b1"])).unwrap();
        hub.changes.send(traces("a", &["t1", "t3"])).unwrap();
        assert_eq!(sub.next().await, changed(&["t1", "t2", "t3"]));
        // Within the interval: held back, then merged into one event.
        hub.changes.send(traces("a", &["t4"])).unwrap();
        hub.changes.send(traces("a", &["t5"])).unwrap();
        assert_eq!(sub.next().await, changed(&["t4", "t5"]));
        // "Many" from the writer, and a resync, are "many" on the stream.
        hub.changes.send(Arc::new(Change::Traces { project_id: "a".into(), trace_ids: None })).unwrap();
        assert_eq!(sub.next().await, Some(Output::Changed(TracesChanged::many())));
        hub.changes.send(Arc::new(Change::Resync)).unwrap();
        assert_eq!(sub.next().await, Some(Output::Changed(TracesChanged::many())));
    }

    #[tokio::test]
    async fn a_trace_stream_hears_only_its_trace() {
        let (hub, mut sub) = harness(Filter::Trace { project_id: "a".into(), trace_id: "t1".into() }, 16);
        assert_eq!(sub.next().await, Some(Output::Ready));
        hub.changes.send(traces("a", &["t2"])).unwrap();
        hub.changes.send(traces("b", &["t1"])).unwrap(); // same id, other project
        hub.changes.send(traces("a", &["t0", "t1", "t9"])).unwrap();
        assert_eq!(sub.next().await, changed(&["t1"]));
        hub.changes.send(traces("a", &["t2"])).unwrap();
        hub.stop.send_replace(true);
        assert_eq!(sub.next().await, None, "nothing for t1 before the stop");
    }

    #[tokio::test]
    async fn a_lagging_stream_says_many_and_goes_on() {
        let (hub, mut sub) = harness(project("a"), 2);
        assert_eq!(sub.next().await, Some(Output::Ready));
        for i in 0..10 {
            hub.changes.send(traces("a", &[&format!("t{i}")])).unwrap();
        }
        assert_eq!(sub.next().await, Some(Output::Changed(TracesChanged::many())));
        hub.changes.send(traces("a", &["later"])).unwrap();
        assert_eq!(sub.next().await, changed(&["later"]), "still streaming after the lag");
    }

    #[tokio::test]
    async fn shutdown_and_a_dropped_hub_end_the_stream() {
        let (hub, mut sub) = harness(project("a"), 4);
        assert_eq!(sub.next().await, Some(Output::Ready));
        hub.changes.send(traces("a", &["t1"])).unwrap();
        hub.stop.send_replace(true);
        assert_eq!(sub.next().await, None);

        let (hub, mut sub) = harness(project("a"), 4);
        assert_eq!(sub.next().await, Some(Output::Ready));
        drop(hub);
        assert_eq!(sub.next().await, None);
    }
}
