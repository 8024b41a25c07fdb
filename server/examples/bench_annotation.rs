//! "Next item" benchmark of annotation queues (#20), run by `scripts/bench-annotation` against the
//! embedded Postgres of a release `loupe` (fsync on; Loupe's migrations applied by it).
//!
//! A queue of `--items` pending traces; `--reviewers` people each asking for the next item,
//! completing it and asking again, back to back, for `--seconds` (a closed loop: the busiest a
//! review team can be). Measured: the latency of `claim_next` (the statement the review page's
//! "next" runs), and of recording the review, as p50/p95/p99; one reviewer alone first, as the
//! baseline in the same run.
//!
//! Usage: bench_annotation --data-dir DIR [--items 100000] [--reviewers 10] [--seconds 15]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loupe_app::domain::annotation::Outcome;
use loupe_core::scope::ProjectId;
use loupe_core::store::annotation_queues;
use sqlx::PgPool;


#[path = "support/bench.rs"]
mod bench;
use bench::{database, summary};

const PROJECT: &str = "bench";
const ORG: &str = "bench";

struct Args {
    data_dir: PathBuf,
    items: i64,
    reviewers: usize,
    seconds: f64,
}

fn args() -> Args {
    let mut args = Args { data_dir: PathBuf::new(), items: 100_000, reviewers: 10, seconds: 15.0 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => args.data_dir = value().into(),
            "--items" => args.items = value().parse().expect("--items: a number"),
            "--reviewers" => args.reviewers = value().parse().expect("--reviewers: a number"),
            "--seconds" => args.seconds = value().parse().expect("--seconds: a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.data_dir.as_os_str().is_empty(), "--data-dir is required");
    args
}

/// A queue of `items` pending traces and `reviewers` members: the queue's id and the reviewers.
async fn seed(pool: &PgPool, name: &str, items: i64, reviewers: usize) -> (String, Vec<String>) {
    let queue_id = format!("bench-{name}");
    sqlx::query("INSERT INTO annotation_queues (project_id, id, name, score_config_ids) VALUES ($1, $2, $3, ARRAY['bench-config'])")
        .bind(PROJECT)
        .bind(&queue_id)
        .bind(name)
        .execute(pool)
        .await
        .unwrap();
    let started = Instant::now();
    // Items a millisecond apart, so "the oldest" is a real order, not ties.
    sqlx::query(
        "INSERT INTO annotation_queue_items (project_id, id, queue_id, object_id, object_type, created_at, updated_at)
         SELECT $1, $2 || '-' || n, $2, 'trace-' || n, 'TRACE', now() - make_interval(secs => ($3 - n) / 1000.0), now()
         FROM generate_series(1, $3) AS n",
    )
    .bind(PROJECT)
    .bind(&queue_id)
    .bind(items)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE annotation_queue_items").execute(pool).await.unwrap();
    println!("  seeded {items} items in {:.1} s", started.elapsed().as_secs_f64());
    let mut ids = Vec::new();
    for r in 0..reviewers {
        let id = format!("{queue_id}-reviewer-{r}");
        sqlx::query("INSERT INTO accounts (id, email) VALUES ($1, $2)").bind(&id).bind(format!("{id}@loupe.test")).execute(pool).await.unwrap();
        sqlx::query("INSERT INTO organization_memberships (org_id, user_id, role) VALUES ($1, $2, 'MEMBER')").bind(ORG).bind(&id).execute(pool).await.unwrap();
        ids.push(id);
    }
    (queue_id, ids)
}

/// Reviewers working back to back: claim latencies, review latencies (ms), and items reviewed.
async fn run(pool: &PgPool, queue_id: &str, reviewers: &[String], seconds: f64) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    // The project as its key names it (a `ProjectId` is only minted where access is established).
    let project: ProjectId = loupe_core::store::api_keys::find_by_public_key(pool, "pk-lf-bench").await.unwrap().expect("the bench key").project_id;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let tasks = reviewers.iter().map(|reviewer| {
        let (pool, project, queue_id, reviewer) = (pool.clone(), project.clone(), queue_id.to_string(), reviewer.clone());
        tokio::spawn(async move {
            let (mut claims, mut reviews, mut items) = (Vec::new(), Vec::new(), Vec::new());
            let mut conn = pool.acquire().await.unwrap();
            while Instant::now() < deadline {
                let started = Instant::now();
                let claimed = annotation_queues::claim_next(&mut conn, &project, &queue_id, &reviewer).await.unwrap();
                claims.push(started.elapsed().as_secs_f64() * 1000.0);
                let Some(claimed) = claimed else { break };
                let started = Instant::now();
                let mut tx = sqlx::Acquire::begin(&mut *conn).await.unwrap();
                annotation_queues::review(&mut tx, &project, &queue_id, &claimed.item.id, &reviewer, Outcome::Completed).await.unwrap();
                tx.commit().await.unwrap();
                reviews.push(started.elapsed().as_secs_f64() * 1000.0);
                items.push(claimed.item.id);
            }
            (claims, reviews, items)
        })
    });
    let (mut claims, mut reviews, mut items) = (Vec::new(), Vec::new(), Vec::new());
    for task in futures_util::future::join_all(tasks).await {
        let (c, r, i) = task.unwrap();
        claims.extend(c);
        reviews.extend(r);
        items.extend(i);
    }
    (claims, reviews, items)
}

#[tokio::main]
async fn main() {
    let args = args();
    let pool = database(&args.data_dir, args.reviewers as u32 + 2).await;
    for (name, reviewers) in [("alone", 1), ("team", args.reviewers)] {
        println!("== {reviewers} reviewer(s), a queue of {} pending items, {} s back to back ==", args.items, args.seconds);
        let (queue_id, people) = seed(&pool, name, args.items, reviewers).await;
        let (mut claims, mut reviews, items) = run(&pool, &queue_id, &people, args.seconds).await;
        let mut unique = items.clone();
        unique.sort();
        unique.dedup();
        println!("  next item (claim_next) latency (ms): {}", summary(&mut claims));
        println!("  completing it (review + commit) (ms): {}", summary(&mut reviews));
        println!(
            "  items reviewed: {} ({:.0}/s); handed to two reviewers at once: {}",
            items.len(),
            items.len() as f64 / args.seconds,
            items.len() - unique.len()
        );
    }
    pool.close().await;
}
