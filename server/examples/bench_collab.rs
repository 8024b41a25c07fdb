//! Collaborative editing benchmark (#19), run by `scripts/bench-collab` against a release `loupe`
//! on a fresh data directory (embedded Postgres, fsync on):
//!
//! 1. **Live editing**: `--editors` people in one prompt draft (one account each: a person may
//!    hold at most 8 connections to a document), each inserting a unique marker `<editor:n>` at a
//!    random place between markers `--rate` times a second for `--seconds` (an open loop: the
//!    schedule does not wait for answers). The *remote-edit latency* is the time from a sender's
//!    send until another client has applied the change to its document, measured by the first
//!    `--observers` clients (a text observer on their document) for every marker of the others.
//!    The *acknowledgement latency* is the time from send until the sender's ack (the update is
//!    committed). Server CPU from `/proc/<pid>/stat` (the `loupe` process, and its embedded
//!    Postgres apart), RSS before the document opens, with it open, and after it closed. Beside
//!    the run: when the document's compactions committed, and how long one small commit takes
//!    (the disk's part of every acknowledgement).
//! 2. **A long history**: `--history` updates (three simulated people typing and deleting on top
//!    of the seeded draft, made with yrs here) written straight into `document_updates`; then the
//!    time to open the document (connect → first sync complete, with nobody else in it so the
//!    server loads it from the database): uncompacted, then after the server compacted it and
//!    499 more updates were appended through the server (the most a document carries between
//!    two compactions), and joining it while somebody holds it open.
//!
//! Usage: bench_collab --url http://127.0.0.1:3876 --pid PID --data-dir DIR
//!        [--editors 50] [--rate 5] [--seconds 20] [--observers 3] [--history 100000] [--rounds 20]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loupe_app::domain::collab::prompt_draft::DraftDoc;
use loupe_app::domain::collab::{new_doc_with_client, DocumentKind};
use loupe_collab_client::Client;
use sqlx::PgPool;
use yrs::types::Delta;
use yrs::updates::decoder::Decode;
use yrs::{Any, GetString, Observable, Out, ReadTxn, StateVector, Text, Transact, Update};


#[path = "support/bench.rs"]
mod bench;
use bench::{database, summary};

const PROJECT: &str = "bench";
const ORG: &str = "bench";
const LIVE: &str = "bench-collab/live";
const HISTORY: &str = "bench-collab/history";
const PASSWORD: &str = "correct horse battery staple";
const WAIT: Duration = Duration::from_secs(60);

struct Args {
    url: String,
    pid: u32,
    data_dir: PathBuf,
    editors: usize,
    rate: f64,
    seconds: f64,
    observers: usize,
    history: usize,
    rounds: usize,
}

fn args() -> Args {
    let mut args = Args { url: String::new(), pid: 0, data_dir: PathBuf::new(), editors: 50, rate: 5.0, seconds: 20.0, observers: 3, history: 100_000, rounds: 20 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value(),
            "--pid" => args.pid = value().parse().expect("--pid: a number"),
            "--data-dir" => args.data_dir = value().into(),
            "--editors" => args.editors = value().parse().expect("--editors: a number"),
            "--rate" => args.rate = value().parse().expect("--rate: a number"),
            "--seconds" => args.seconds = value().parse().expect("--seconds: a number"),
            "--observers" => args.observers = value().parse().expect("--observers: a number"),
            "--history" => args.history = value().parse().expect("--history: a number"),
            "--rounds" => args.rounds = value().parse().expect("--rounds: a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.url.is_empty() && args.pid != 0 && !args.data_dir.as_os_str().is_empty(), "--url, --pid and --data-dir are required");
    assert!(args.editors >= 2 && args.observers >= 1 && args.observers < args.editors, "at least two editors, one of them observing");
    args
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// utime + stime of a `/proc/<pid>/stat` line, and the parent pid.
fn stat_ticks(stat: &str) -> Option<(u32, u64)> {
    // The command name may hold spaces and parentheses: fields are counted after its end.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) … utime(14) stime(15).
    let ppid = fields.get(1)?.parse().ok()?;
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((ppid, ticks))
}

/// CPU time in clock ticks: (the process, its descendants — the embedded Postgres).
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let mut procs: Vec<(u32, u32, u64)> = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        if let Some((ppid, ticks)) = stat_ticks(&stat) {
            procs.push((p, ppid, ticks));
        }
    }
    let own = procs.iter().find(|(p, _, _)| *p == pid).map_or(0, |(_, _, t)| *t);
    let mut tree = vec![pid];
    let mut descendants = 0;
    while let Some(parent) = tree.pop() {
        for (p, ppid, ticks) in &procs {
            if *ppid == parent {
                descendants += ticks;
                tree.push(*p);
            }
        }
    }
    (own, descendants)
}

/// This load client's own CPU time, in clock ticks.
fn self_ticks() -> u64 {
    stat_ticks(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default()).map_or(0, |(_, ticks)| ticks)
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("loupe_session=") && !v.starts_with("loupe_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

async fn create_prompt(http: &reqwest::Client, url: &str, name: &str, text: &str) {
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-lf-bench:sk-lf-bench"));
    let response = http
        .post(format!("{url}/api/public/v2/prompts"))
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(serde_json::json!({"name": name, "type": "text", "prompt": text}).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(status.is_success(), "creating prompt {name}: {status} {}", response.text().await.unwrap_or_default());
}

/// One account per editor, each a member of the organization: their session cookies.
async fn editor_cookies(http: &reqwest::Client, url: &str, pool: &PgPool, count: usize) -> Vec<String> {
    let mut cookies = Vec::with_capacity(count);
    for i in 0..count {
        let form = serde_urlencoded::to_string([("email", format!("editor-{i}@loupe.test")), ("password", PASSWORD.to_string())]).unwrap();
        let response = http
            .post(format!("{url}/api/ui/sign_up"))
            .header("origin", url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let cookie = session_cookie(&response);
        let status = response.status();
        let Some(cookie) = cookie else { panic!("sign-up of editor {i}: {status} {}", response.text().await.unwrap_or_default()) };
        cookies.push(cookie);
    }
    let added = sqlx::query(
        "INSERT INTO organization_memberships (org_id, user_id, role) SELECT $1, id, 'MEMBER' FROM accounts WHERE email LIKE 'editor-%@loupe.test'
         ON CONFLICT DO NOTHING",
    )
    .bind(ORG)
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(added.rows_affected() as usize, count, "every editor joined the organization");
    cookies
}

async fn connect(addr: SocketAddr, key: &str, cookie: &str) -> Client {
    let mut client = match Client::connect(addr, PROJECT, DocumentKind::PromptDraft, key, cookie).await {
        Ok(client) => client,
        Err(refused) => panic!("connecting to {key}: {} {}", refused.status, refused.body),
    };
    assert!(client.wait_until(WAIT, |c| c.synced && c.all_acked()).await, "the first sync of {key} completes (closed: {:?})", client.closed);
    client
}

/// Where to insert so that no marker is split: the start, or right after a marker's `>` (the
/// first one at or after a random place; the end when there is none).
fn boundary(text: &str, random: u64) -> u32 {
    let at = (random % (text.len() as u64 + 1)) as usize;
    match text.as_bytes()[at..].iter().position(|&b| b == b'>') {
        Some(offset) => (at + offset + 1) as u32,
        None => text.len() as u32,
    }
}

/// xorshift64*: enough randomness for places in a text, no dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// What the live phase shares between the editors' tasks.
struct Live {
    /// When each marker (editor, n) was sent.
    sent_at: Mutex<HashMap<(usize, usize), Instant>>,
    /// Remote-edit latencies seen by the observers (ms), and how many markers each observer saw.
    remote: Mutex<Vec<f64>>,
    seen: Mutex<Vec<usize>>,
}

/// Markers `<editor:n>` in an inserted piece of text.
fn markers(inserted: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    inserted.split('<').skip(1).filter_map(|part| {
        let (inside, _) = part.split_once('>')?;
        let (editor, n) = inside.split_once(':')?;
        Some((editor.parse().ok()?, n.parse().ok()?))
    })
}

/// Makes client `me` an observer: every marker of another editor applied to its document is
/// timed against its send.
fn observe(client: &Client, me: usize, live: Arc<Live>) {
    let text = DraftDoc::of(&client.doc).text().clone();
    text.observe("bench", move |txn, event: &yrs::types::text::TextEvent| {
        let now = Instant::now();
        for delta in event.delta(txn) {
            if let Delta::Inserted(Out::Any(Any::String(inserted)), _) = delta {
                let found: Vec<(usize, usize)> = markers(inserted).filter(|(editor, _)| *editor != me).collect();
                if found.is_empty() {
                    continue;
                }
                let sent_at = live.sent_at.lock().unwrap();
                let mut remote = live.remote.lock().unwrap();
                for marker in &found {
                    if let Some(at) = sent_at.get(marker) {
                        remote.push(now.duration_since(*at).as_secs_f64() * 1000.0);
                    }
                }
                drop((sent_at, remote));
                live.seen.lock().unwrap()[me] += found.len();
            }
        }
    });
}

struct EditorResult {
    client: Client,
    sent: usize,
    acked: usize,
    /// (sent, acknowledged) of each edit.
    acks: Vec<(Instant, Instant)>,
    /// Sends that were late on the schedule by more than one period.
    late: usize,
}

/// One editor: a marker every `period` from `start + offset` until `end`, handling what arrives
/// in between; then waits for its acknowledgements.
async fn editor(me: usize, mut client: Client, live: Arc<Live>, start: Instant, offset: Duration, period: Duration, end: Instant) -> EditorResult {
    let mut random = 0x9e37_79b9_7f4a_7c15u64 ^ ((me as u64 + 1) * 0x1000_0000_01b3);
    // Send times of the updates not yet acknowledged, in order (acks come in order), the acks
    // counted so far, and (sent, acknowledged) of those answered.
    let pending: Mutex<(std::collections::VecDeque<Instant>, usize, Vec<(Instant, Instant)>)> = Mutex::new((Default::default(), client.acked, Vec::new()));
    let track = |c: &Client| {
        let mut pending = pending.lock().unwrap();
        while pending.1 < c.acked {
            pending.1 += 1;
            if let Some(at) = pending.0.pop_front() {
                pending.2.push((at, Instant::now()));
            }
        }
    };
    let (mut next, mut sent, mut late) = (start + offset, 0usize, 0usize);
    loop {
        let now = Instant::now();
        if next > now {
            client.wait_until(next - now, |c| {
                track(c);
                false
            }).await;
        } else if now - next > period {
            late += 1;
        }
        if !client.is_connected() || Instant::now() >= end {
            break;
        }
        let marker = format!("<{me}:{sent}>");
        let r = next_random(&mut random);
        let now = Instant::now();
        live.sent_at.lock().unwrap().insert((me, sent), now);
        pending.lock().unwrap().0.push_back(now);
        client.edit(move |txn, roots| {
            let text = roots.text();
            let at = boundary(&text.get_string(txn), r);
            text.insert(txn, at, &marker);
        }).await;
        sent += 1;
        next += period;
    }
    client.wait_until(WAIT, |c| {
        track(c);
        c.all_acked()
    }).await;
    let acked = pending.lock().unwrap().1;
    let acks = std::mem::take(&mut pending.lock().unwrap().2);
    EditorResult { client, sent, acked, acks, late }
}

/// When the document's compactions committed (its `snapshot_seq` moved), polled every 5 ms
/// until `stop`.
async fn compactions(pool: PgPool, key: &'static str, stop: Arc<AtomicBool>) -> Vec<Instant> {
    let mut seen = 0i64;
    let mut commits = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let seq: Option<i64> = sqlx::query_scalar("SELECT snapshot_seq FROM documents WHERE project_id = $1 AND kind = 'prompt-draft' AND key = $2")
            .bind(PROJECT)
            .bind(key)
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten();
        if let Some(seq) = seq {
            if seq != seen {
                if seen != 0 {
                    commits.push(Instant::now());
                }
                seen = seq;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    commits
}

/// How long one small committed write takes on this disk now (a row in a table of the
/// benchmark's own; `synchronous_commit` on, as for the documents): `count` of them, one every
/// `every`, until `stop` (when given).
async fn commit_probe(pool: PgPool, count: usize, every: Duration, stop: Option<Arc<AtomicBool>>) -> Vec<f64> {
    let mut times = Vec::new();
    for _ in 0..count {
        if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
            break;
        }
        let started = Instant::now();
        sqlx::query("INSERT INTO bench_commit_probe DEFAULT VALUES").execute(&pool).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(every).await;
    }
    times
}

async fn live_phase(args: &Args, addr: SocketAddr, cookies: &[String], ticks_per_second: f64, pool: &PgPool) {
    println!("== live editing: {} editors in one document, {} edits/s each, {} s ==", args.editors, args.rate, args.seconds);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_kib(args.pid);
    let live = Arc::new(Live { sent_at: Mutex::new(HashMap::new()), remote: Mutex::new(Vec::new()), seen: Mutex::new(vec![0; args.editors]) });
    let opened = Instant::now();
    let mut clients = Vec::with_capacity(args.editors);
    for cookie in cookies.iter().take(args.editors) {
        clients.push(connect(addr, LIVE, cookie).await);
    }
    println!("  {} clients connected and synced in {:.2} s", clients.len(), opened.elapsed().as_secs_f64());
    for (me, client) in clients.iter().enumerate().take(args.observers) {
        observe(client, me, live.clone());
    }
    // The messages of the others' first syncs are handled before the run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for client in &mut clients {
        client.pump(Duration::from_millis(20)).await;
    }
    let rss_open = rss_kib(args.pid);
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_commit_probe (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())").execute(pool).await.unwrap();
    let mut idle_commits = commit_probe(pool.clone(), 200, Duration::from_millis(2), None).await;
    println!("  one small commit with nothing else going on (ms): {}", summary(&mut idle_commits));

    let period = Duration::from_secs_f64(1.0 / args.rate);
    let cpu_before = cpu_ticks(args.pid);
    let self_before = self_ticks();
    let stop = Arc::new(AtomicBool::new(false));
    let monitor = tokio::spawn(compactions(pool.clone(), LIVE, stop.clone()));
    let probe = tokio::spawn(commit_probe(pool.clone(), usize::MAX, Duration::from_millis(100), Some(stop.clone())));
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs_f64(args.seconds);
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(me, client)| {
            let offset = period.mul_f64(me as f64 / args.editors as f64);
            tokio::spawn(editor(me, client, live.clone(), start, offset, period, end))
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    let sending = end.duration_since(start).as_secs_f64();
    let cpu_after = cpu_ticks(args.pid);
    let self_after = self_ticks();
    stop.store(true, Ordering::Relaxed);
    let compacted = monitor.await.unwrap();
    let mut busy_commits = probe.await.unwrap();
    // The observers receive what is still on its way.
    let sent: usize = results.iter().map(|r| r.sent).sum();
    for (me, result) in results.iter_mut().enumerate().take(args.observers) {
        let expected = sent - result.sent;
        let live = live.clone();
        result.client.wait_until(Duration::from_secs(20), move |_| live.seen.lock().unwrap()[me] >= expected).await;
    }
    let rss_after = rss_kib(args.pid);

    let acked: usize = results.iter().map(|r| r.acked).sum();
    let late: usize = results.iter().map(|r| r.late).sum();
    let closed: Vec<_> = results.iter().filter_map(|r| r.client.closed.clone()).collect();
    let acks: Vec<(Instant, Instant)> = results.iter().flat_map(|r| r.acks.iter().copied()).collect();
    let mut ack_latencies: Vec<f64> = acks.iter().map(|(sent, acked)| acked.duration_since(*sent).as_secs_f64() * 1000.0).collect();
    // Slow acknowledgements that waited through a compaction (it committed between the send and
    // the ack, +5 ms for the polling).
    let slow: Vec<&(Instant, Instant)> = acks.iter().filter(|(sent, acked)| acked.duration_since(*sent) > Duration::from_millis(50)).collect();
    let through_compaction = slow.iter().filter(|(sent, acked)| compacted.iter().any(|at| at > sent && *at <= *acked + Duration::from_millis(5))).count();
    let mut remote = live.remote.lock().unwrap().clone();
    let seen = live.seen.lock().unwrap().clone();
    let final_text = results[0].client.text();
    let in_text = markers(&final_text).count();
    println!(
        "  edits sent {sent} in {sending:.1} s = {:.1}/s (target {:.0}/s); sent more than a period late: {late}; last acknowledgement after {elapsed:.1} s",
        sent as f64 / sending,
        args.rate * args.editors as f64
    );
    println!(
        "  acknowledgements (beyond the first sync) {} of {sent}; connections closed by the server: {} {:?}",
        acked.saturating_sub(args.editors),
        closed.len(),
        closed.iter().map(|(code, reason)| format!("{code} {reason}")).collect::<std::collections::BTreeSet<_>>()
    );
    for (me, seen) in seen.iter().enumerate().take(args.observers) {
        println!("  observer {me} saw {seen} of {} markers of the others", sent - results[me].sent);
    }
    println!("  markers in the final document (as editor 0 has it): {in_text} of {sent}");
    println!("  remote-edit latency (ms, send → applied by an observer): {}", summary(&mut remote));
    println!("  acknowledgement latency (ms, send → ack = committed): {}", summary(&mut ack_latencies));
    println!("  one small commit beside the run, every 100 ms (ms): {}", summary(&mut busy_commits));
    println!(
        "  compactions during the run: {}; acknowledgements over 50 ms: {} ({:.1}%), {} of them waited through a compaction commit",
        compacted.len(),
        slow.len(),
        slow.len() as f64 * 100.0 / acks.len().max(1) as f64,
        through_compaction
    );
    let own_s = (cpu_after.0 - cpu_before.0) as f64 / ticks_per_second;
    let pg_s = cpu_after.1.saturating_sub(cpu_before.1) as f64 / ticks_per_second;
    println!(
        "  server CPU over the run: loupe {:.1}% of one core ({:.3} ms per edit), its Postgres {:.1}% ({:.3} ms per edit)",
        own_s / elapsed * 100.0,
        own_s * 1000.0 / sent as f64,
        pg_s / elapsed * 100.0,
        pg_s * 1000.0 / sent as f64
    );
    println!("  this load client: {:.1}% of one core", (self_after - self_before) as f64 / ticks_per_second / elapsed * 100.0);
    for client in results.iter_mut().map(|r| &mut r.client) {
        client.disconnect();
    }
    drop(results);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_closed = rss_kib(args.pid);
    println!(
        "  loupe RSS: {:.1} MiB idle, {:.1} MiB with the document open ({} connections), {:.1} MiB after the run, {:.1} MiB 3 s after everyone left",
        mib(rss_idle),
        mib(rss_open),
        args.editors,
        mib(rss_after),
        mib(rss_closed)
    );
    println!(
        "  per open document: +{:.0} KiB opened with {} people (+{:.1} KiB per connection), +{:.0} KiB after the run (text {} bytes)",
        rss_open.saturating_sub(rss_idle) as f64,
        args.editors,
        rss_open.saturating_sub(rss_idle) as f64 / args.editors as f64,
        rss_after.saturating_sub(rss_idle) as f64,
        final_text.len()
    );
}

/// `count` updates of three people taking turns at a prompt (a session of 100–300 keystrokes
/// each, at a caret put somewhere in the text): typing a character or deleting the one before
/// the caret, the text growing to about 3,000 characters and then staying around there (as a
/// prompt is rewritten rather than made ever longer). Starts from the document `seed`; the
/// updates, one per keystroke, and the text at the end.
fn make_history(seed: &[u8], count: usize) -> (Vec<Vec<u8>>, String) {
    let docs: Vec<yrs::Doc> = (0..3).map(|i| new_doc_with_client(7_000_000 + i)).collect();
    let roots: Vec<DraftDoc> = docs.iter().map(DraftDoc::of).collect();
    for doc in &docs {
        doc.transact_mut().apply_update(Update::decode_v1(seed).unwrap()).unwrap();
    }
    let mut random = 0x2545_f491_4f6c_dd1du64;
    let mut updates = Vec::with_capacity(count);
    let letters = b"etaoin shrdlu cmfwyp vbgkqjxz";
    let (mut who, mut left, mut caret) = (0usize, 0u64, 0u32);
    for _ in 0..count {
        if left == 0 {
            // The next person's turn: they get what the others did, and put their caret
            // somewhere.
            let next = (who + 1) % docs.len();
            let missing = docs[who].transact().encode_state_as_update_v1(&docs[next].transact().state_vector());
            docs[next].transact_mut().apply_update(Update::decode_v1(&missing).unwrap()).unwrap();
            who = next;
            left = 100 + next_random(&mut random) % 201;
            let len = roots[who].text().len(&docs[who].transact());
            caret = (next_random(&mut random) % (len as u64 + 1)) as u32;
        }
        left -= 1;
        let roll = next_random(&mut random) % 100;
        let r = next_random(&mut random);
        let text = roots[who].text();
        let mut txn = docs[who].transact_mut();
        let len = text.len(&txn);
        let typing = if len < 3_000 { 80 } else { 45 };
        if roll < typing || caret == 0 {
            let letter = letters[(r % letters.len() as u64) as usize] as char;
            text.insert(&mut txn, caret, &letter.to_string());
            caret += 1;
        } else {
            text.remove_range(&mut txn, caret - 1, 1);
            caret -= 1;
        }
        updates.push(txn.encode_update_v1());
    }
    let last = docs[who].transact().encode_state_as_update_v1(&StateVector::default());
    let check = loupe_app::domain::collab::new_doc();
    let roots = DraftDoc::of(&check);
    check.transact_mut().apply_update(Update::decode_v1(&last).unwrap()).unwrap();
    let text = roots.text().get_string(&check.transact());
    (updates, text)
}

/// Connect → first sync complete (the server's state received), `rounds` times, each on a
/// closed room (nobody else connected: the server loads the document from the database) unless
/// somebody else holds it open.
async fn open_times(addr: SocketAddr, cookie: &str, rounds: usize, expected: &str) -> Vec<f64> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        // The server drops a room (and a connection) a moment after the socket closed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let mut client = match Client::connect(addr, PROJECT, DocumentKind::PromptDraft, HISTORY, cookie).await {
            Ok(client) => client,
            Err(refused) => panic!("connecting to {HISTORY}: {} {}", refused.status, refused.body),
        };
        assert!(client.wait_until(WAIT, |c| c.synced).await, "the first sync completes (closed: {:?})", client.closed);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let text = client.text();
        assert!(text.len() == expected.len() && text == expected, "the opened document has the whole history ({} vs {} bytes)", text.len(), expected.len());
    }
    times
}

async fn stored(pool: &PgPool, id: uuid::Uuid) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT length(snapshot)::bigint, (SELECT count(*) FROM document_updates WHERE document_id = $1),
                (SELECT coalesce(sum(length(body)), 0)::bigint FROM document_updates WHERE document_id = $1)
         FROM documents WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn history_phase(args: &Args, addr: SocketAddr, cookie: &str, other_cookie: &str, pool: &PgPool) {
    println!("== a document with {} updates in its history ==", args.history);
    // Opened once: the server makes the document and seeds it from the prompt's version.
    let client = connect(addr, HISTORY, cookie).await;
    let seed = client.doc.transact().encode_state_as_update_v1(&StateVector::default());
    drop(client);
    let (id, generation): (uuid::Uuid, i64) = sqlx::query_as("SELECT id, generation FROM documents WHERE project_id = $1 AND kind = 'prompt-draft' AND key = $2")
        .bind(PROJECT)
        .bind(HISTORY)
        .fetch_one(pool)
        .await
        .unwrap();

    let made = Instant::now();
    let (updates, mut expected) = make_history(&seed, args.history);
    let bytes: usize = updates.iter().map(Vec::len).sum();
    println!(
        "  made {} updates ({:.2} MiB, {:.1} bytes each; text of {} chars) in {:.1} s",
        updates.len(),
        bytes as f64 / 1048576.0,
        bytes as f64 / updates.len() as f64,
        expected.len(),
        made.elapsed().as_secs_f64()
    );
    let written = Instant::now();
    for batch in updates.chunks(5_000) {
        sqlx::query(
            "INSERT INTO document_updates (document_id, generation, body)
             SELECT $1, $2, body FROM UNNEST($3::bytea[]) WITH ORDINALITY AS u (body, i) ORDER BY i",
        )
        .bind(id)
        .bind(generation)
        .bind(batch)
        .execute(pool)
        .await
        .unwrap();
    }
    let (snapshot, rows, row_bytes) = stored(pool, id).await;
    println!("  written straight into document_updates in {:.1} s: snapshot {snapshot} bytes + {rows} updates ({row_bytes} bytes)", written.elapsed().as_secs_f64());

    // 1. Uncompacted (as if compaction never ran).
    let rounds = args.rounds.clamp(1, 5);
    let mut uncompacted = open_times(addr, cookie, rounds, &expected).await;
    println!("  open, {rows} updates not compacted (ms): {}", summary(&mut uncompacted));

    // 2. The server compacts on the next append (the room counts the updates it loaded).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut client = connect(addr, HISTORY, cookie).await;
    let appended = Instant::now();
    client.edit(|txn, roots| roots.text().insert(txn, 0, "!")).await;
    assert!(client.wait_until(WAIT, Client::all_acked).await);
    let acked = appended.elapsed();
    loop {
        let (_, left, _) = stored(pool, id).await;
        if left == 0 {
            break;
        }
        assert!(appended.elapsed() < Duration::from_secs(300), "compaction did not finish: {left} updates left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let compacted_in = appended.elapsed();
    let (snapshot, _, _) = stored(pool, id).await;
    println!(
        "  compaction of {} updates: the triggering edit acked in {:.1} ms, all folded after {:.0} ms; snapshot {snapshot} bytes",
        rows + 1,
        acked.as_secs_f64() * 1000.0,
        compacted_in.as_secs_f64() * 1000.0
    );

    // 3. The most a document carries between compactions: 499 more updates, through the server.
    let appended = Instant::now();
    for i in 0..499u32 {
        client.edit(move |txn, roots| {
            let text = roots.text();
            let at = text.len(txn).min(i * 7);
            text.insert(txn, at, "y");
        }).await;
    }
    assert!(client.wait_until(WAIT, Client::all_acked).await);
    println!(
        "  499 updates appended through one connection (pipelined) in {:.0} ms = {:.0} updates/s",
        appended.elapsed().as_secs_f64() * 1000.0,
        499.0 / appended.elapsed().as_secs_f64()
    );
    expected = client.text();
    drop(client);
    let (snapshot, rows, row_bytes) = stored(pool, id).await;
    println!("  stored now: snapshot {snapshot} bytes + {rows} updates ({row_bytes} bytes)");
    let mut closed = open_times(addr, cookie, args.rounds, &expected).await;
    println!("  open (room closed: loaded from the database) (ms): {}", summary(&mut closed));

    // 4. Joining while somebody has it open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let holder = connect(addr, HISTORY, other_cookie).await;
    let mut joined = open_times(addr, cookie, args.rounds, &expected).await;
    println!("  join while open (ms): {}", summary(&mut joined));
    drop(holder);
}

#[tokio::main]
async fn main() {
    let args = args();
    let addr: SocketAddr = args.url.trim_start_matches("http://").trim_end_matches('/').parse().expect("--url: http://HOST:PORT");
    let http = reqwest::Client::new();
    let pool = database(&args.data_dir, 3).await;
    create_prompt(&http, &args.url, LIVE, "Collaborative editing benchmark: ").await;
    create_prompt(&http, &args.url, HISTORY, "History: ").await;
    let cookies = editor_cookies(&http, &args.url, &pool, args.editors).await;
    let ticks_per_second = clock_ticks_per_second();
    live_phase(&args, addr, &cookies, ticks_per_second, &pool).await;
    history_phase(&args, addr, &cookies[0], &cookies[1], &pool).await;
    pool.close().await;
}
