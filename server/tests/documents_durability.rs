//! An acknowledged change to a collaborative document survives `kill -9` (#19): three people type
//! unique markers into one prompt draft as fast as the server answers (up to [`IN_FLIGHT`]
//! changes each awaiting their acknowledgement), the real `loupe` binary is killed in the middle
//! (fsync on, as in production) and restarted on the same data directory. Every marker whose
//! change was acknowledged is then in the document exactly once, and nothing is there that
//! nobody typed. A server that acknowledged before its commit fails this: with changes always in
//! flight, the kill lands between some acknowledgement and its commit. (Counting the next two
//! in-flight changes of each person as acknowledged, as a server acknowledging two ahead of its
//! commits would, makes this test fail.)
//!
//! Then the three reconnect with the documents they kept, as the browser does: what was sent
//! but never acknowledged is merged, and every marker typed is there exactly once.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::process::{loupe, request, sign_in_cookie, Running};
use loupe_app::domain::collab::DocumentKind;
use loupe_collab_client::Client;
use nix::sys::signal::Signal;
use yrs::{GetString, Text};

const PEOPLE: usize = 3;
/// Changes a client sends ahead of its acknowledgements.
const IN_FLIGHT: usize = 16;
/// Acknowledged changes per client before the kill.
const ACKED_BEFORE_KILL: usize = 40;
const PROMPT: &str = "durable/draft";
const EMAIL: &str = "owner@example.com";
const PASSWORD: &str = "admin-password-123";
const WAIT: Duration = Duration::from_secs(20);

fn loupe_on(data_dir: &Path) -> Running {
    Running::start(
        loupe()
            .arg("--data-dir")
            .arg(data_dir)
            .env("LOUPE_PG_UNSAFE_FAST", "false")
            .env("LANGFUSE_INIT_ORG_ID", "org-dd")
            .env("LANGFUSE_INIT_PROJECT_ID", "proj-dd")
            .env("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-dd")
            .env("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-dd")
            .env("LANGFUSE_INIT_USER_EMAIL", EMAIL)
            .env("LANGFUSE_INIT_USER_PASSWORD", PASSWORD),
    )
}

async fn connect(addr: SocketAddr, cookie: &str) -> Client {
    let mut client = match Client::connect(addr, "proj-dd", DocumentKind::PromptDraft, PROMPT, cookie).await {
        Ok(client) => client,
        Err(refused) => panic!("connecting: {} {}", refused.status, refused.body),
    };
    assert!(client.wait_until(WAIT, |c| c.synced && c.all_acked()).await, "the first sync completes: {:?}", client.closed);
    client
}

/// Markers `<person:n>` in a text, with how often each occurs.
fn markers(text: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for part in text.split('<').skip(1) {
        if let Some((inside, _)) = part.split_once('>') {
            *found.entry(format!("<{inside}>")).or_default() += 1;
        }
    }
    found
}

/// One person typing: each change inserts a new marker right after another marker (never inside
/// one), at a place that moves around the text.
struct Typist {
    client: Client,
    /// Each marker with the `sent` count its change was sent as (acknowledged when `acked`
    /// reaches it: acknowledgements come one per change, in order).
    typed: Vec<(String, usize)>,
    /// Sent but unanswered when the connection dropped.
    in_flight_at_kill: usize,
}

async fn type_until_gone(me: usize, mut client: Client, acked: Arc<[AtomicUsize; PEOPLE]>) -> Typist {
    let mut typed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.is_connected() && Instant::now() < deadline {
        if client.sent - client.acked < IN_FLIGHT {
            let n = typed.len();
            let marker = format!("<{me}:{n}>");
            let insert = marker.clone();
            client.edit(move |txn, roots| {
                let text = roots.text();
                let current = text.get_string(txn);
                let from = (n * 7919 + me * 104_729) % (current.len() + 1);
                let at = current[from..].find('>').map_or(current.len(), |i| from + i + 1);
                text.insert(txn, at as u32, &insert);
            }).await;
            typed.push((marker, client.sent));
        }
        client.wait_until(Duration::from_millis(1), |_| false).await;
        acked[me].store(client.acked, Ordering::SeqCst);
    }
    assert!(Instant::now() < deadline, "the connection of person {me} outlived the server");
    let in_flight_at_kill = client.sent - client.acked;
    Typist { client, typed, in_flight_at_kill }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_document_changes_survive_kill_9() {
    let data = common::traversable_temp_dir();
    let data_dir = data.path().join("data");
    let running = loupe_on(&data_dir);
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-lf-dd:sk-lf-dd"));
    let body = serde_json::json!({"name": PROMPT, "type": "text", "prompt": "Draft:"}).to_string();
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let (status, text) = request(running.addr, "POST", "/api/public/v2/prompts", &headers, body.as_bytes()).unwrap();
    assert_eq!(status, 201, "{text}");
    let cookie = sign_in_cookie(running.addr, EMAIL, PASSWORD);

    let acked = Arc::new([const { AtomicUsize::new(0) }; PEOPLE]);
    let mut tasks = Vec::new();
    for me in 0..PEOPLE {
        let client = connect(running.addr, &cookie).await;
        tasks.push(tokio::spawn(type_until_gone(me, client, acked.clone())));
    }
    // Killed without warning once everyone has had changes acknowledged, in mid-typing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.iter().any(|a| a.load(Ordering::SeqCst) < ACKED_BEFORE_KILL + 1) {
        assert!(Instant::now() < deadline, "typing too slow: {acked:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.signal(Signal::SIGKILL);
    let _ = running.wait(Duration::from_secs(10));
    let mut typists = Vec::new();
    for task in tasks {
        typists.push(task.await.unwrap());
    }
    let acknowledged: Vec<String> =
        typists.iter().flat_map(|t| t.typed.iter().filter(|(_, sent)| *sent <= t.client.acked).map(|(m, _)| m.clone())).collect();
    let typed: BTreeSet<String> = typists.iter().flat_map(|t| t.typed.iter().map(|(m, _)| m.clone())).collect();
    let in_flight: usize = typists.iter().map(|t| t.in_flight_at_kill).sum();
    eprintln!("at the kill: {} markers typed, {} acknowledged, {in_flight} changes in flight", typed.len(), acknowledged.len());
    assert!(acknowledged.len() >= PEOPLE * ACKED_BEFORE_KILL, "everyone had changes acknowledged");
    assert!(in_flight > 0, "the kill landed while changes were in flight");

    // Restarted on the same data directory: every acknowledged marker is there, once.
    let running = loupe_on(&data_dir);
    let cookie = sign_in_cookie(running.addr, EMAIL, PASSWORD);
    let reader = connect(running.addr, &cookie).await;
    let stored = markers(&reader.text());
    let missing: Vec<&String> = acknowledged.iter().filter(|m| !stored.contains_key(*m)).collect();
    assert!(missing.is_empty(), "{} acknowledged markers lost: {missing:?}", missing.len());
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "markers stored twice: {twice:?}");
    let unknown: Vec<_> = stored.keys().filter(|m| !typed.contains(*m)).collect();
    assert!(unknown.is_empty(), "markers nobody typed: {unknown:?}");
    assert!(reader.text().starts_with("Draft:"), "{:?}", reader.text());
    eprintln!("after the restart: {} markers stored ({} typed but unacknowledged ones among them)", stored.len(), stored.len() - acknowledged.len());

    // The people reconnect with what they kept: everything typed is there, exactly once.
    for typist in &mut typists {
        typist.client.disconnect();
        typist.client.reconnect(running.addr, "proj-dd", DocumentKind::PromptDraft, PROMPT, &cookie).await.unwrap_or_else(|r| panic!("{} {}", r.status, r.body));
        assert!(typist.client.wait_until(WAIT, |c| c.synced && c.all_acked()).await, "the kept changes are stored");
    }
    let mut reader = connect(running.addr, &cookie).await;
    reader.pump(Duration::from_millis(200)).await;
    let merged = markers(&reader.text());
    assert_eq!(merged.len(), typed.len(), "every marker typed is stored after the reconnects");
    assert!(merged.values().all(|n| *n == 1), "each once: {merged:?}");
    for typist in &mut typists {
        assert!(typist.client.wait_until(WAIT, |c| c.text() == reader.text()).await, "everyone sees the same document");
    }
    drop((reader, typists));

    running.signal(Signal::SIGTERM);
    let (status, log) = running.wait(Duration::from_secs(60));
    assert!(status.success(), "{log}");
}
