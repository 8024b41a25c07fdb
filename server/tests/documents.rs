//! Collaborative documents end to end (#19): real servers on ports over a real Postgres,
//! clients speaking the Yjs sync/awareness protocol over the document WebSocket
//! (`loupe-collab-client`, what the browser speaks).
//!
//! What is checked: people converge and the stored document equals what they see; viewers'
//! changes are refused by the server; hostile messages close their connection and never reach
//! the stored document; replicas share documents through the database; presence carries the
//! account's own name and goes when the connection does; access is checked again while open;
//! and, as a property over random schedules, any interleaving of edits, duplicated deliveries
//! and disconnects converges to the stored state.

use crate::common;

use common::app_state;

use std::net::SocketAddr;
use std::time::Duration;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::collab::{DocumentKind, Notice, Presence, Refusal, CLOSE_FORBIDDEN, CLOSE_MALFORMED, CLOSE_TOO_LARGE};
use loupe_collab_client::Client;
use loupe_core::collab::Collab;
use loupe_server::live::Live;
use serde_json::json;
use yrs::{GetString, Text};

const PASSWORD: &str = "correct horse battery";
/// Generous: a loaded CI machine may be slow, and nothing here measures time.
const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(150);
const PROMPT: &str = "support/answer";

/// A Loupe server for documents on a port: the live routes with the session middleware, its own
/// hub (so two of them are two replicas), access rechecked every `recheck`.
async fn replica(pool: sqlx::PgPool, recheck: Duration, compact_every: usize) -> (SocketAddr, Collab) {
    replica_hearing(pool.clone(), Live::new(pool), recheck, compact_every).await
}

/// [`replica`] hearing the other replicas through `live`.
async fn replica_hearing(pool: sqlx::PgPool, live: Live, recheck: Duration, compact_every: usize) -> (SocketAddr, Collab) {
    let mut live_state = loupe_server::http::live::LiveState::new(pool.clone(), live.clone());
    live_state.access_recheck = recheck;
    live_state.collab = Collab::with_compaction(pool.clone(), &live, compact_every);
    let collab = live_state.collab.clone();
    let state = app_state(pool);
    let app = axum::Router::new()
        .nest("/api/live", loupe_server::http::live::router(live_state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), loupe_server::http::session::layer))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    // Wait for the hub's listener, so no notification of the test is missed.
    collab.listen();
    for _ in 0..200 {
        if live.is_listening() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (addr, collab)
}

async fn person(api: &TestApi, email: &str, role: &str) -> String {
    Browser::member_of_proj_a(api, email, PASSWORD, role).await.cookie.clone().unwrap()
}

async fn text_prompt(api: &TestApi, name: &str, text: &str) {
    let response = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": name, "type": "text", "prompt": text}))).await;
    assert_eq!(response.status, 201, "{}", response.text());
}

async fn connect(addr: SocketAddr, cookie: &str) -> Client {
    let mut client = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, cookie).await.expect("connects");
    assert!(client.wait_until(WAIT, |c| c.synced).await, "the first sync completes");
    client
}

/// Types `insert` at `index` of the text prompt.
async fn type_at(client: &mut Client, index: u32, insert: &str) {
    let insert = insert.to_string();
    client.edit(move |txn, roots| {
        let text = roots.text();
        let index = index.min(text.len(txn));
        text.insert(txn, index, &insert);
    }).await;
}

/// The stored draft, read as a fresh process would (snapshot plus updates, from the database).
async fn stored_text(api: &TestApi) -> String {
    let (_, shared) = loupe_core::collab::prompt_draft::read(&api.pool, &api.project, PROMPT).await.unwrap().unwrap();
    shared.draft.text
}

#[tokio::test]
async fn two_people_typing_at_once_converge_and_what_they_see_is_stored() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "Answer: {{question}}").await;
    let (ada, bea) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "bea@example.com", "MEMBER").await);
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;

    let mut a = connect(addr, &ada).await;
    let mut b = connect(addr, &bea).await;
    assert_eq!(a.text(), "Answer: {{question}}", "the draft starts from the newest version");
    assert_eq!(a.notices.first(), Some(&Notice::Welcome { generation: 1, can_write: true }));
    // Both type at the start at once, without seeing each other's keystrokes first.
    for (i, c) in "Please. ".chars().enumerate() {
        type_at(&mut a, i as u32, &c.to_string()).await;
    }
    for c in " Thanks!".chars() {
        type_at(&mut b, u32::MAX, &c.to_string()).await;
    }

    let both = "Please. Answer: {{question}} Thanks!";
    assert!(a.wait_until(WAIT, |c| c.all_acked() && c.text() == both).await, "A: {:?}", a.text());
    assert!(b.wait_until(WAIT, |c| c.all_acked() && c.text() == both).await, "B: {:?}", b.text());
    assert_eq!(stored_text(&api).await, a.text(), "every acknowledged change is stored");
    assert_eq!(a.sent, 9, "eight keystrokes and the answer to the server's first sync step");
    assert_eq!(a.acked, 9, "one acknowledgement per change");
}

#[tokio::test]
async fn viewers_watch_but_the_server_refuses_their_changes() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "hello").await;
    let (member, viewer) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "vic@example.com", "VIEWER").await);
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut v = connect(addr, &viewer).await;
    assert_eq!(v.notices.first(), Some(&Notice::Welcome { generation: 1, can_write: false }));
    type_at(&mut v, 0, "HACKED ").await;
    assert!(v.wait_until(WAIT, |c| c.notices.contains(&Notice::Refused { reason: Refusal::ReadOnly })).await);
    assert_eq!((v.sent, v.acked, v.refused), (2, 1, 1), "the empty first answer is acknowledged, the change refused");

    let mut m = connect(addr, &member).await;
    assert_eq!(m.text(), "hello", "the viewer's change reached nobody");
    type_at(&mut m, 5, " world").await;
    assert!(v.wait_until(WAIT, |c| c.text().contains("world")).await, "viewers see others' changes live: {:?}", v.text());
    assert!(m.wait_until(WAIT, Client::all_acked).await);
    assert_eq!(stored_text(&api).await, "hello world");
}

#[tokio::test]
async fn hostile_messages_close_their_connection_and_never_reach_the_stored_document() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "safe").await;
    let ada = person(&api, "ada@example.com", "MEMBER").await;
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;

    // Garbage: not a y-sync message.
    let mut c = connect(addr, &ada).await;
    c.send_raw(vec![0, 2, 200, 1, 2, 3]).await;
    c.pump(QUIET).await;
    assert_eq!(c.closed.as_ref().map(|(code, _)| *code), Some(CLOSE_MALFORMED), "{:?}", c.closed);

    // A sync update whose payload is not a Yjs update.
    let mut c = connect(addr, &ada).await;
    use yrs::updates::encoder::Encode;
    c.send_raw(yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(vec![9, 9, 9, 9, 9, 9])).encode_v1()).await;
    c.pump(QUIET).await;
    assert_eq!(c.closed.as_ref().map(|(code, _)| *code), Some(CLOSE_MALFORMED), "{:?}", c.closed);

    // Too large for one update.
    let mut c = connect(addr, &ada).await;
    type_at(&mut c, 0, &"x".repeat(loupe_app::domain::collab::MAX_UPDATE_BYTES + 10)).await;
    c.pump(QUIET).await;
    assert!(matches!(c.closed.as_ref().map(|(code, _)| *code), Some(CLOSE_TOO_LARGE) | Some(1009)), "{:?}", c.closed);

    // Presence that claims to be someone else is stamped with the sender's account.
    let mut c = connect(addr, &ada).await;
    let mut watcher = connect(addr, &ada).await;
    c.set_presence(&Presence { account_id: "acc-of-the-boss".into(), name: "The Boss".into(), ..Presence::default() }).await;
    assert!(watcher.wait_until(WAIT, |w| !w.others.is_empty()).await);
    let seen: Presence = serde_json::from_str(watcher.others.values().next().unwrap()).unwrap();
    assert_eq!(seen.name, "ada@example.com");
    assert_ne!(seen.account_id, "acc-of-the-boss");

    // After all that, the document is intact and still works.
    type_at(&mut c, 4, "!").await;
    assert!(c.wait_until(WAIT, Client::all_acked).await);
    assert_eq!(stored_text(&api).await, "safe!");
}

#[tokio::test]
async fn one_person_may_hold_a_bounded_number_of_connections_to_a_document() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "x").await;
    let ada = person(&api, "ada@example.com", "MEMBER").await;
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut open = Vec::new();
    for _ in 0..loupe_app::domain::collab::MAX_CONNECTIONS_PER_PERSON {
        open.push(connect(addr, &ada).await);
    }
    let mut over = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, &ada).await.expect("upgraded, then closed");
    over.pump(QUIET).await;
    assert_eq!(over.closed.as_ref().map(|(code, _)| *code), Some(loupe_app::domain::collab::CLOSE_TOO_MANY), "{:?}", over.closed);
    // One leaves: there is room again.
    open.pop();
    let mut again = None;
    for _ in 0..50 {
        let mut c = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, &ada).await.unwrap();
        if c.wait_until(Duration::from_secs(1), |c| c.synced).await {
            again = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "a freed place can be taken");
}

#[tokio::test]
async fn signed_out_outsiders_and_missing_prompts_are_refused_before_the_upgrade() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "x").await;
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let refused = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, "loupe_session=nope").await.err().expect("refused");
    assert_eq!(refused.status, 401, "{}", refused.body);
    let outsider = Browser::sign_up(&api, "eve@example.com", PASSWORD).await.cookie.clone().unwrap();
    let refused = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, &outsider).await.err().expect("refused");
    assert_eq!(refused.status, 404, "not a member: not found, like a project that does not exist");
    let member = person(&api, "ada@example.com", "MEMBER").await;
    let refused = Client::connect(addr, "proj-a", DocumentKind::PromptDraft, "no-such-prompt", &member).await.err().expect("refused");
    assert_eq!(refused.status, 404);
    assert!(refused.body.contains("no-such-prompt"), "{}", refused.body);
}

#[tokio::test]
async fn an_edit_through_one_replica_reaches_a_person_connected_to_another() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "base").await;
    let (ada, bea) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "bea@example.com", "MEMBER").await);
    let (one, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let (two, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut a = connect(one, &ada).await;
    let mut b = connect(two, &bea).await;
    type_at(&mut a, 4, " from one").await;
    assert!(b.wait_until(WAIT, |c| c.text() == "base from one").await, "B on the other replica: {:?}", b.text());
    // A large paste does not fit in a notification: it is fetched from the table.
    let paste = "長".repeat(4_000);
    type_at(&mut b, 0, &paste).await;
    assert!(a.wait_until(WAIT, |c| c.text().starts_with(&paste)).await, "the large update arrives whole");
    assert_eq!(stored_text(&api).await, a.text());
}

#[tokio::test]
async fn people_connected_through_different_replicas_see_each_other() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "base").await;
    let (ada, bea) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "bea@example.com", "MEMBER").await);
    let (one, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let (two, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut a = connect(one, &ada).await;
    a.set_presence(&Presence { typing: false, ..Presence::default() }).await;
    a.pump(QUIET).await;
    // B opens the document on the other replica after A said where they are: replica two asks,
    // replica one answers with who is present through it.
    let mut b = connect(two, &bea).await;
    assert!(b.wait_until(WAIT, |c| c.others.len() == 1).await, "B sees A, who is idle");
    let seen: Presence = serde_json::from_str(b.others.values().next().unwrap()).unwrap();
    assert_eq!(seen.name, "ada@example.com");
    b.set_presence(&Presence { typing: true, ..Presence::default() }).await;
    assert!(a.wait_until(WAIT, |c| c.others.values().any(|p| p.contains("bea@example.com") && p.contains("\"typing\":true"))).await,
        "A sees B typing: {:?}", a.others);
    b.disconnect();
    assert!(a.wait_until(WAIT, |c| c.others.is_empty()).await, "B leaving the other replica disappears here too");
}

#[tokio::test]
async fn presence_goes_with_the_connection_and_access_is_checked_while_open() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "x").await;
    let (ada, bea) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "bea@example.com", "MEMBER").await);
    let (addr, _) = replica(api.pool.clone(), Duration::from_millis(200), 500).await;
    let mut a = connect(addr, &ada).await;
    let mut b = connect(addr, &bea).await;
    b.set_presence(&Presence { typing: true, ..Presence::default() }).await;
    assert!(a.wait_until(WAIT, |c| c.others.len() == 1).await);
    let seen: Presence = serde_json::from_str(a.others.values().next().unwrap()).unwrap();
    assert_eq!((seen.name.as_str(), seen.typing), ("bea@example.com", true));
    assert_eq!(seen.color, loupe_app::domain::collab::color_of(&seen.account_id));
    b.disconnect();
    assert!(a.wait_until(WAIT, |c| c.others.is_empty()).await, "someone who leaves disappears");

    // Made a Viewer while open: told, and refused from then on.
    sqlx::query("UPDATE organization_memberships SET role = 'VIEWER' WHERE user_id = (SELECT id FROM accounts WHERE email = 'ada@example.com')")
        .execute(&api.pool)
        .await
        .unwrap();
    assert!(a.wait_until(WAIT, |c| c.notices.contains(&Notice::Access { can_write: false })).await);
    type_at(&mut a, 0, "no").await;
    assert!(a.wait_until(WAIT, |c| c.notices.contains(&Notice::Refused { reason: Refusal::ReadOnly })).await);
    // Removed: disconnected.
    sqlx::query("DELETE FROM organization_memberships WHERE user_id = (SELECT id FROM accounts WHERE email = 'ada@example.com')")
        .execute(&api.pool)
        .await
        .unwrap();
    a.pump(Duration::from_secs(2)).await;
    assert_eq!(a.closed.as_ref().map(|(code, _)| *code), Some(CLOSE_FORBIDDEN), "{:?}", a.closed);
    assert_eq!(stored_text(&api).await, "x");
}

#[tokio::test]
async fn changes_waiting_for_a_commit_are_stored_together_and_block_nobody() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "").await;
    let (ada, bea) = (person(&api, "ada@example.com", "MEMBER").await, person(&api, "bea@example.com", "MEMBER").await);
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut a = connect(addr, &ada).await;
    let mut b = connect(addr, &bea).await;
    assert!(a.wait_until(WAIT, Client::all_acked).await && b.wait_until(WAIT, Client::all_acked).await);

    // Hold the document row as a publish would: the first change's commit waits on it.
    let mut holder = api.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM documents FOR UPDATE").execute(&mut *holder).await.unwrap();
    type_at(&mut a, 0, "1").await;
    let mut waiting = 0i64;
    for _ in 0..400 {
        waiting = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&api.pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(waiting, 1, "the first change's commit waits for the row");
    // More changes from both while it waits; each socket's presence after its changes proves the
    // server has taken them (frames of one socket are handled in order) and that a connection
    // whose change is being stored still forwards what the others do.
    type_at(&mut a, 1, "2").await;
    type_at(&mut a, 2, "3").await;
    type_at(&mut b, u32::MAX, "4").await;
    a.set_presence(&Presence { typing: true, ..Presence::default() }).await;
    b.set_presence(&Presence { typing: true, ..Presence::default() }).await;
    assert!(a.wait_until(WAIT, |c| c.others.len() == 1).await, "A still hears B");
    assert!(b.wait_until(WAIT, |c| c.others.len() == 1).await, "B still hears A");
    a.pump(QUIET).await;
    b.pump(QUIET).await;
    assert!(!a.all_acked() && !b.all_acked(), "nothing is acknowledged before it is stored");
    assert_eq!(b.text(), "4", "nobody sees a change before it is stored");

    holder.commit().await.unwrap();
    // B typed "4" into an empty text, concurrently with A's "123": either order is a merge.
    let merged = |c: &Client| c.all_acked() && (c.text() == "1234" || c.text() == "4123");
    assert!(a.wait_until(WAIT, merged).await, "A: {:?}", a.text());
    assert!(b.wait_until(WAIT, |c| merged(c)).await, "B: {:?}", b.text());
    assert_eq!(a.text(), b.text());
    assert_eq!(stored_text(&api).await, a.text());
    // Rows written by one transaction share its xmin: the first change alone, the three that
    // gathered while it waited in one commit.
    let transactions: Vec<String> = sqlx::query_scalar("SELECT xmin::text FROM document_updates ORDER BY seq").fetch_all(&api.pool).await.unwrap();
    assert_eq!(transactions.len(), 4, "{transactions:?}");
    assert_ne!(transactions[0], transactions[1], "{transactions:?}");
    assert!(transactions[1..].iter().all(|t| *t == transactions[1]), "one commit for the waiting changes: {transactions:?}");
}

#[tokio::test]
async fn a_long_history_is_compacted_and_opens_with_everything() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "").await;
    let ada = person(&api, "ada@example.com", "MEMBER").await;
    let (addr, collab) = replica(api.pool.clone(), Duration::from_secs(60), 20).await;
    let mut a = connect(addr, &ada).await;
    for i in 0..120u32 {
        type_at(&mut a, i, "a").await;
    }
    assert!(a.wait_until(WAIT, Client::all_acked).await);
    drop(a);
    // Compactions run in the background; wait until they have folded most updates.
    let mut left = i64::MAX;
    for _ in 0..200 {
        left = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM document_updates").fetch_one(&api.pool).await.unwrap();
        if left < 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(left < 20, "{left} updates left after compaction");
    assert_eq!(stored_text(&api).await, "a".repeat(120));
    let _ = collab;
}

#[tokio::test]
async fn a_document_read_while_it_is_compacted_has_every_update() {
    // Compaction deletes the updates it folds into the snapshot: a read that took the snapshot
    // from before a compaction and the updates from after it lost them all (seen in CI as the
    // property below failing with the stored draft back at its seed text). Each round appends
    // one update and reads the document while it is compacted.
    use loupe_core::store::documents;
    use yrs::{ReadTxn, Transact};
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "").await;
    let seed = loupe_core::collab::prompt_draft::seed(&mut *api.pool.acquire().await.unwrap(), &api.project, PROMPT).await.unwrap().unwrap();
    let stored = documents::open(&api.pool, &api.project, DocumentKind::PromptDraft, PROMPT, Some(seed)).await.unwrap().unwrap();
    let doc = stored.to_doc().unwrap();
    let roots = loupe_app::domain::collab::prompt_draft::DraftDoc::of(&doc);
    let mut expected = String::new();
    for round in 0..150u32 {
        let before = doc.transact().state_vector();
        let letter = char::from(b'a' + (round % 26) as u8).to_string();
        roots.text().insert(&mut doc.transact_mut(), round, &letter);
        expected.push_str(&letter);
        let update = doc.transact().encode_state_as_update_v1(&before);
        documents::append(&api.pool, stored.id, stored.generation, &[documents::Append { body: &update, account_id: None }], |_, _| String::new()).await.unwrap();
        let read = || async {
            let mut conn = api.pool.acquire().await.unwrap();
            let stored = documents::load(&mut conn, &api.project, DocumentKind::PromptDraft, PROMPT, false).await.unwrap().unwrap();
            loupe_app::domain::collab::prompt_draft::read(&stored.to_doc().unwrap()).draft.text
        };
        let (compacted, first, second, third) = tokio::join!(documents::compact(&api.pool, stored.id), read(), read(), read());
        compacted.unwrap();
        for text in [first, second, third] {
            assert_eq!(text, expected, "round {round}");
        }
    }
}

/// A text prompt "v1 text"; Ada signed in through a browser and Bea's session cookie, both members.
async fn prompt_with_ada_and_bea(api: &TestApi) -> (Browser<'_>, String) {
    text_prompt(api, PROMPT, "v1 text").await;
    let ada_browser = Browser::member_of_proj_a(api, "ada@example.com", PASSWORD, "MEMBER").await;
    let bea = person(api, "bea@example.com", "MEMBER").await;
    (ada_browser, bea)
}

/// Ada and Bea connected to the draft on `addr`, Bea's " by Bea" (after "v1 text") stored.
async fn both_connected_after_bea_typed(addr: SocketAddr, ada_browser: &Browser<'_>, bea: &str) -> (Client, Client) {
    let a = connect(addr, ada_browser.cookie.as_deref().unwrap()).await;
    let mut b = connect(addr, bea).await;
    type_at(&mut b, 7, " by Bea").await;
    assert!(b.wait_until(WAIT, Client::all_acked).await);
    (a, b)
}

/// The client was told that Ada published version 2 (generation 2), then closed for the reset.
async fn told_of_version_2_by_ada_and_closed(client: &mut Client) {
    assert!(client.wait_until(WAIT, |c| c.closed.is_some()).await);
    assert!(client.notices.iter().any(|n| matches!(n, Notice::Published { version: 2, by, generation: 2 } if by == "ada@example.com")), "{:?}", client.notices);
    assert_eq!(client.closed.as_ref().map(|(code, _)| *code), Some(loupe_app::domain::collab::CLOSE_RESET));
}

#[tokio::test]
async fn publishing_makes_the_version_from_the_stored_draft_and_everyone_starts_again_from_it() {
    let api = TestApi::new().await;
    let (mut ada_browser, bea) = prompt_with_ada_and_bea(&api).await;
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let (mut a, mut b) = both_connected_after_bea_typed(addr, &ada_browser, &bea).await;
    // The draft as the page loads it.
    let view = ada_browser.ok("open_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert_eq!(view["shared"]["draft"]["text"], "v1 text by Bea");
    assert_eq!(view["generation"], 1);

    let published = ada_browser.ok("publish_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert_eq!(published["version"], 2);
    assert_eq!(published["prompt"], "v1 text by Bea", "the version is the stored draft, with the other person's change");
    for client in [&mut a, &mut b] {
        told_of_version_2_by_ada_and_closed(client).await;
    }
    // The next draft starts from version 2.
    let mut a = connect(addr, ada_browser.cookie.as_deref().unwrap()).await;
    assert_eq!(a.notices.first(), Some(&Notice::Welcome { generation: 2, can_write: true }));
    assert_eq!(a.text(), "v1 text by Bea");
    assert_eq!(a.draft().base, Some(2));

    // Discarding starts again from the newest version too.
    type_at(&mut a, 0, "scrap ").await;
    assert!(a.wait_until(WAIT, Client::all_acked).await);
    ada_browser.ok("discard_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert!(a.wait_until(WAIT, |c| c.closed.is_some()).await);
    assert!(a.notices.iter().any(|n| matches!(n, Notice::Discarded { generation: 3, .. })), "{:?}", a.notices);
    assert_eq!(stored_text(&api).await, "v1 text by Bea");
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM prompts WHERE name = $1").bind(PROMPT).fetch_one(&api.pool).await.unwrap();
    assert_eq!(versions, 2, "discarding creates no version");
}

/// A replica whose listener is in another database: it hears none of this one's notifications.
/// Its address, and the listener's `application_name` (to find its connection).
async fn deaf_replica(api: &TestApi) -> (SocketAddr, String) {
    let listener = format!("deaf-{}", uuid::Uuid::new_v4().simple());
    let elsewhere = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(common::cluster_options("postgres").application_name(&listener))
        .await
        .unwrap();
    let (addr, _) = replica_hearing(api.pool.clone(), Live::new(elsewhere), Duration::from_secs(60), 500).await;
    (addr, listener)
}

/// A replica that did not hear a publish announced (its listener was reconnecting; or it read
/// the new generation before the notification arrived, which made this flaky) still tells the
/// people connected through it who published, not only that the document reloads.
#[tokio::test]
async fn people_whose_replica_missed_the_publish_are_told_who_published_once_it_catches_up() {
    let api = TestApi::new().await;
    let (mut ada_browser, bea) = prompt_with_ada_and_bea(&api).await;
    let (addr, listener) = deaf_replica(&api).await;
    let (mut a, mut b) = both_connected_after_bea_typed(addr, &ada_browser, &bea).await;

    let published = ada_browser.ok("publish_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert_eq!(published["version"], 2);
    // Its listener loses its connection: on reconnecting it reads what it may have missed. (The
    // catch-up a new listener makes once it listens may come first, also after the publish.)
    let mut admin = api.pool.acquire().await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
        .bind(&listener)
        .fetch_all(&mut *admin)
        .await
        .unwrap();
    assert!(!ended.is_empty() && ended.iter().all(|ended| *ended), "the listener's connection is found and ended");
    for client in [&mut a, &mut b] {
        told_of_version_2_by_ada_and_closed(client).await;
    }
    let a = connect(addr, ada_browser.cookie.as_deref().unwrap()).await;
    assert_eq!(a.notices.first(), Some(&Notice::Welcome { generation: 2, can_write: true }));
    assert_eq!(a.text(), "v1 text by Bea");
}

/// A change sent through a replica that has not heard of a publish yet is refused as stale (it
/// is not in the version, and is not stored), and the people there are told who published, as
/// the others are — not only that the document reloads.
#[tokio::test]
async fn a_change_that_meets_an_unheard_publish_is_refused_and_the_people_are_told_who_published() {
    let api = TestApi::new().await;
    let (mut ada_browser, bea) = prompt_with_ada_and_bea(&api).await;
    let (addr, _) = deaf_replica(&api).await;
    let (mut a, mut b) = both_connected_after_bea_typed(addr, &ada_browser, &bea).await;
    // What the replica does once its listener is up (a catch-up of its rooms) is over before the
    // publish, so what tells the people below is the refused change.
    a.pump(QUIET).await;

    let published = ada_browser.ok("publish_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert_eq!(published["version"], 2);
    type_at(&mut b, 0, "late ").await;
    told_of_version_2_by_ada_and_closed(&mut a).await;
    assert!(b.wait_until(WAIT, |c| c.closed.is_some()).await, "the refused change closes its sender's connection");
    assert_eq!(stored_text(&api).await, "v1 text by Bea", "the stale change is not stored");
}

#[tokio::test]
async fn a_draft_that_breaks_a_rule_is_not_published_and_the_field_is_named() {
    let api = TestApi::new().await;
    text_prompt(&api, PROMPT, "text").await;
    let mut ada_browser = Browser::member_of_proj_a(&api, "ada@example.com", PASSWORD, "MEMBER").await;
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;
    let mut a = connect(addr, ada_browser.cookie.as_deref().unwrap()).await;
    a.edit(|txn, roots| {
        let mut shared = roots.read(txn);
        shared.draft.config = "{not json".into();
        roots.write(txn, &shared);
    }).await;
    assert!(a.wait_until(WAIT, Client::all_acked).await);
    let refused = ada_browser.call("publish_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.text().contains("config"), "{}", refused.text());
    a.pump(QUIET).await;
    assert!(a.closed.is_none(), "nothing was published: the draft goes on");
    assert_eq!(a.draft().draft.config, "{not json");
    // A viewer cannot publish.
    let mut vic = Browser::member_of_proj_a(&api, "vic@example.com", PASSWORD, "VIEWER").await;
    assert_eq!(vic.call("publish_prompt_draft", &[("project_id", "proj-a"), ("name", PROMPT)]).await.status, 403);
}

mod property {
    //! Random schedules: N clients edit concurrently; deliveries are delayed, duplicated (a
    //! client re-sends its whole state) and cut (disconnects, edits offline, reconnects). At
    //! the end every client and the stored document agree.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Type { client: usize, at: u32, text: String },
        Delete { client: usize, at: u32, len: u32 },
        /// Handle what has arrived so far (deliveries are otherwise late).
        Deliver { client: usize },
        /// Send the whole state again (a duplicated delivery).
        Resend { client: usize },
        Disconnect { client: usize },
        Reconnect { client: usize },
    }

    fn step(clients: usize) -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..clients, 0..40u32, "[a-z長😀 ]{1,4}").prop_map(|(client, at, text)| Step::Type { client, at, text }),
            2 => (0..clients, 0..40u32, 1..4u32).prop_map(|(client, at, len)| Step::Delete { client, at, len }),
            2 => (0..clients).prop_map(|client| Step::Deliver { client }),
            1 => (0..clients).prop_map(|client| Step::Resend { client }),
            1 => (0..clients).prop_map(|client| Step::Disconnect { client }),
            1 => (0..clients).prop_map(|client| Step::Reconnect { client }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 20, ..ProptestConfig::default() })]
        #[test]
        fn any_schedule_converges_to_the_stored_state(steps in proptest::collection::vec(step(3), 10..60)) {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(run(steps));
        }
    }

    async fn run(steps: Vec<Step>) {
        let api = TestApi::new().await;
        text_prompt(&api, PROMPT, "seed text").await;
        let cookie = person(&api, "ada@example.com", "MEMBER").await;
        let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 7).await;
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(connect(addr, &cookie).await);
        }
        for step in steps {
            match step {
                Step::Type { client, at, text } => {
                    clients[client].edit(move |txn, roots| {
                        let t = roots.text();
                        let at = at.min(t.len(txn));
                        // An index inside a surrogate pair is moved past it (as the browser's
                        // selection never points there).
                        let s = t.get_string(txn);
                        let at = loupe_app::domain::collab::text::utf16_len(&s[..loupe_app::domain::collab::text::byte_index(&s, at)]);
                        t.insert(txn, at, &text);
                    }).await;
                }
                Step::Delete { client, at, len } => {
                    clients[client].edit(move |txn, roots| {
                        let t = roots.text();
                        let s = t.get_string(txn);
                        let start = loupe_app::domain::collab::text::byte_index(&s, at);
                        let end = loupe_app::domain::collab::text::byte_index(&s, at + len);
                        let (from, count) = (loupe_app::domain::collab::text::utf16_len(&s[..start]), loupe_app::domain::collab::text::utf16_len(&s[start..end]));
                        if count > 0 {
                            t.remove_range(txn, from, count);
                        }
                    }).await;
                }
                Step::Deliver { client } => clients[client].pump(Duration::from_millis(5)).await,
                Step::Resend { client } => {
                    use yrs::{ReadTxn, Transact};
                    use yrs::updates::encoder::Encode;
                    let c = &mut clients[client];
                    let all = c.doc.transact().encode_state_as_update_v1(&yrs::StateVector::default());
                    if c.is_connected() {
                        c.sent += 1;
                    }
                    c.send_raw(yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(all)).encode_v1()).await;
                }
                Step::Disconnect { client } => clients[client].disconnect(),
                Step::Reconnect { client } => {
                    if !clients[client].is_connected() {
                        let c = &mut clients[client];
                        c.reconnect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, &cookie).await.unwrap();
                    }
                }
            }
        }
        // Everyone comes back and syncs.
        for c in &mut clients {
            if !c.is_connected() {
                c.reconnect(addr, "proj-a", DocumentKind::PromptDraft, PROMPT, &cookie).await.unwrap();
            }
            assert!(c.wait_until(WAIT, |c| c.synced && c.all_acked()).await, "sent {} acked {}", c.sent, c.acked);
        }
        let stored = stored_text(&api).await;
        for c in &mut clients {
            assert!(c.wait_until(WAIT, |c| c.text() == stored).await, "client {:?} vs stored {:?}", c.text(), stored);
        }
    }
}

/// A saved playground's document: connects to it as `cookie`.
async fn connect_playground(addr: SocketAddr, id: &str, cookie: &str) -> Client {
    let mut client = Client::connect(addr, "proj-a", DocumentKind::Playground, id, cookie).await.expect("connects");
    assert!(client.wait_until(WAIT, |c| c.synced).await, "the first sync completes");
    client
}

#[tokio::test]
async fn a_saved_playground_is_a_shared_document_with_its_run_results() {
    use loupe_app::domain::collab::playground::{PlaygroundDoc, ResultStatus, SharedResult};
    use loupe_app::domain::playground::{Message, Playground, Role};
    let api = TestApi::new().await;
    let mut ana = Browser::member_of_proj_a(&api, "ana@example.com", PASSWORD, "MEMBER").await;
    let cookie_ana = ana.cookie.clone().unwrap();
    let bo = person(&api, "bo@example.com", "MEMBER").await;
    let vic = person(&api, "vic@example.com", "VIEWER").await;
    let mut saved_state = Playground::default();
    saved_state.messages[1] = Message::new(Role::User, "Hello {{who}}");
    saved_state.variables.insert("who".into(), "team".into());
    let saved = ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": "Greeting", "playground": saved_state})).await.json();
    let id = saved["id"].as_str().unwrap().to_string();
    let (addr, _) = replica(api.pool.clone(), Duration::from_secs(60), 500).await;

    let mut a = connect_playground(addr, &id, &cookie_ana).await;
    let mut b = connect_playground(addr, &id, &bo).await;
    assert_eq!(a.playground().playground, saved_state, "the document starts from the saved state");
    // Both type into the same variable at once; A records a finished run of the first variant.
    a.edit_as(|txn, roots: &PlaygroundDoc| {
        let mut now = roots.read(txn);
        now.playground.variables.insert("who".into(), "dear team".into());
        roots.write(txn, &now);
        let result = SharedResult { status: ResultStatus::Done, by: "ana".into(), text: "Hi!".into(), tool_calls: vec![], ttft_ms: Some(3), total_ms: Some(7), usage: None, cost: None, trace_id: None, error: None };
        roots.write_result(txn, &now.variant_ids[0], &result);
    })
    .await;
    b.edit_as(|txn, roots: &PlaygroundDoc| {
        let mut now = roots.read(txn);
        now.playground.variables.insert("who".into(), "team!".into());
        roots.write(txn, &now);
    })
    .await;
    let merged = |c: &Client| c.all_acked() && c.playground().playground.variables["who"] == "dear team!";
    assert!(a.wait_until(WAIT, merged).await, "A: {:?}", a.playground().playground.variables);
    assert!(b.wait_until(WAIT, merged).await, "B: {:?}", b.playground().playground.variables);
    assert_eq!(b.playground().result(0).map(|r| r.text.clone()), Some("Hi!".to_string()), "the run's answer reaches everyone");

    // The page opens what the document says now, not what was saved.
    let start = ana.ok("open_playground", &[("project_id", "proj-a"), ("saved", &id)]).await;
    assert_eq!(start["shared"]["shared"]["playground"]["variables"]["who"], "dear team!");
    assert_eq!(start["opened"]["variables"]["who"], "dear team!");

    // Viewers may not use the playground: they watch, their changes are refused.
    let mut v = connect_playground(addr, &id, &vic).await;
    assert_eq!(v.notices.first(), Some(&Notice::Welcome { generation: 1, can_write: false }));
    v.edit_as(|txn, roots: &PlaygroundDoc| {
        let mut now = roots.read(txn);
        now.playground.text = "vandal".into();
        roots.write(txn, &now);
    })
    .await;
    assert!(v.wait_until(WAIT, |c| c.notices.contains(&Notice::Refused { reason: Refusal::ReadOnly })).await);

    // Saving the bound playground under its own name keeps the document; saving another state
    // over it from elsewhere starts everyone again from that state.
    let kept = ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": "Greeting", "playground": a.playground().playground, "opened": id})).await;
    assert_eq!(kept.status, 200, "{}", kept.text());
    a.pump(QUIET).await;
    assert!(!a.notices.iter().any(|n| matches!(n, Notice::Replaced { .. })));
    let replaced = ana.call_json("save_playground", &json!({"project_id": "proj-a", "name": "Greeting", "playground": Playground::default()})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert!(b.wait_until(WAIT, |c| c.notices.iter().any(|n| matches!(n, Notice::Replaced { by, generation: 2 } if by == "ana@example.com"))).await, "{:?}", b.notices);
    let mut b = connect_playground(addr, &id, &bo).await;
    assert_eq!(b.playground().playground, Playground::default());

    // Deleting it tells everyone, and the document is gone with it.
    let deleted = ana.call("delete_saved_playground", &[("project_id", "proj-a"), ("id", &id)]).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert!(b.wait_until(WAIT, |c| c.notices.iter().any(|n| matches!(n, Notice::Deleted { .. }))).await, "{:?}", b.notices);
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM documents WHERE kind = 'playground'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(documents, 0);
    assert!(Client::connect(addr, "proj-a", DocumentKind::Playground, &id, &bo).await.is_err(), "nothing to connect to");
}
