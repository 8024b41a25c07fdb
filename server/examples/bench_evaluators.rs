//! LLM-as-judge throughput (#21), run by `scripts/bench-evaluators` against a release `loupe`
//! (embedded Postgres, fsync on) whose own job runner does the evaluating, with the fake provider
//! as the judge.
//!
//! Per round: `--traces` fresh traces are stored, an evaluator is created on them and a backfill
//! started (so every execution exists within a second of the start); measured from the first
//! execution's creation to the last one's completion, in the database's clock: evaluations per
//! second through the whole path (claim, variables, judge call, judge trace + score + final
//! state in one transaction). Two judges: `instant` (no wait: the runner's own overhead) and
//! `delay-500ms` (a 500 ms judge; at most 16 calls at once per connection, so 32/s is the
//! ceiling). Medians of `--rounds` rounds.
//!
//! Usage: bench_evaluators --data-dir DIR --url URL --fake URL --secret S [--rounds 3]
//!        [--instant-traces 2000] [--slow-traces 480]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loupe_app::domain::evaluators::{EvaluatorInput, EvaluatorTarget, MappingSource, VariableMapping};
use loupe_app::domain::trace_list::TraceListQuery;
use loupe_core::ingest::model::{IngestBatch, TracePatch};
use loupe_core::scope::ProjectId;
use sqlx::PgPool;

#[path = "support/bench.rs"]
mod bench;

struct Args {
    data_dir: PathBuf,
    fake: String,
    secret: String,
    rounds: usize,
    instant_traces: usize,
    slow_traces: usize,
}

fn args() -> Args {
    let mut args = Args { data_dir: PathBuf::new(), fake: String::new(), secret: String::new(), rounds: 3, instant_traces: 2000, slow_traces: 480 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => args.data_dir = PathBuf::from(value()),
            "--url" => {
                value();
            }
            "--fake" => args.fake = value(),
            "--secret" => args.secret = value(),
            "--rounds" => args.rounds = value().parse().expect("a number of rounds"),
            "--instant-traces" => args.instant_traces = value().parse().expect("a number of traces"),
            "--slow-traces" => args.slow_traces = value().parse().expect("a number of traces"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

async fn project(pool: &PgPool) -> ProjectId {
    // The headless init's key: a ProjectId can only be had through a vouching lookup.
    loupe_core::store::api_keys::find_by_public_key(pool, "pk-lf-bench").await.expect("the store").expect("the bench key").project_id
}

/// One round: `n` traces tagged `tag`, an evaluator on them with `model`, a backfill; seconds
/// from the first execution created to the last one finished, and how many completed.
async fn round(pool: &PgPool, project_id: &ProjectId, tag: &str, model: &str, n: usize) -> (f64, i64) {
    let pricing = loupe_core::pricing::Pricing::new(pool.clone());
    let now = chrono::Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let traces = chunk
            .iter()
            .map(|i| {
                let mut t = TracePatch::new(format!("{tag}-{i}"));
                t.timestamp = Some(now);
                t.input = Some(serde_json::json!({"question": format!("What is {i} + {i}?")}));
                t.output = Some(serde_json::json!(format!("It is {}.", i * 2)));
                t.tags = vec![tag.to_string()];
                t
            })
            .collect();
        loupe_core::ingest::store(pool, &pricing, project_id, IngestBatch { traces, ..Default::default() }).await.expect("traces stored");
    }
    let input = EvaluatorInput {
        name: format!("bench {tag}"),
        score_name: None,
        template_id: "builtin:relevance".into(),
        connection: "judge".into(),
        model: model.into(),
        target: EvaluatorTarget::Trace,
        filter: TraceListQuery { tag: tag.to_string(), ..Default::default() },
        sampling: 1.0,
        delay_ms: 0,
        mapping: vec![
            VariableMapping { variable: "input".into(), source: MappingSource::Input, json_path: Some("$.question".into()) },
            VariableMapping { variable: "output".into(), source: MappingSource::Output, json_path: None },
        ],
    };
    let template = loupe_core::store::evaluators::template(pool, project_id, &input.template_id).await.unwrap().unwrap();
    let checked = input.checked(&template).expect("a valid evaluator");
    let mut tx = pool.begin().await.unwrap();
    let evaluator = loupe_core::store::evaluators::create(&mut tx, project_id, &checked, &template, "bench").await.unwrap();
    tx.commit().await.unwrap();
    let backfill = loupe_core::evaluation::backfill::start(pool, project_id, &evaluator.id, "bench").await.expect("backfill started");
    assert_eq!(backfill.total, n as i64);
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done: i64 = sqlx::query_scalar("SELECT count(*) FROM evaluation_executions WHERE project_id = $1 AND evaluator_id = $2 AND status IN ('completed', 'error')")
            .bind(project_id)
            .bind(&evaluator.id)
            .fetch_one(pool)
            .await
            .unwrap();
        if done >= n as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "round {tag}: {done} of {n} after 600 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (seconds, completed): (f64, i64) = sqlx::query_as(
        "SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8, count(*) FILTER (WHERE status = 'completed')
         FROM evaluation_executions WHERE project_id = $1 AND evaluator_id = $2",
    )
    .bind(project_id)
    .bind(&evaluator.id)
    .fetch_one(pool)
    .await
    .unwrap();
    // Paused, so its rounds' traces are not scanned again by later rounds.
    let mut tx = pool.begin().await.unwrap();
    loupe_core::evaluation::set_status(&mut tx, project_id, &evaluator.id, loupe_app::domain::evaluators::EvaluatorStatus::Paused).await.unwrap();
    tx.commit().await.unwrap();
    (seconds, completed)
}

#[tokio::main]
async fn main() {
    let args = args();
    let pool = bench::database(&args.data_dir, 8).await;
    let project_id = project(&pool).await;
    let secrets = loupe_core::secrets::ring(&pool, &args.secret, None).await.expect("the key ring");
    let input = loupe_app::domain::llm_connections::ConnectionInput {
        provider: "judge".into(),
        adapter: loupe_app::domain::llm_connections::Adapter::OpenAi,
        secret_key: "sk-bench".into(),
        base_url: Some(args.fake.clone()),
        custom_models: vec![],
        with_default_models: true,
        extra_headers: vec![],
        config: None,
    };
    let mut tx = pool.begin().await.unwrap();
    loupe_core::store::llm_connections::upsert(&mut tx, &secrets, &project_id, &input).await.unwrap();
    tx.commit().await.unwrap();

    for (label, model, n) in [("instant judge", "gpt-4o-mini-instant", args.instant_traces), ("500 ms judge, 16 at once", "gpt-4o-mini-delay-500ms", args.slow_traces)] {
        let mut rates = Vec::new();
        for r in 0..args.rounds {
            let tag = format!("{}-{r}-{}", if model.contains("instant") { "instant" } else { "slow" }, uuid::Uuid::new_v4().simple());
            let (seconds, completed) = round(&pool, &project_id, &tag, model, n).await;
            assert_eq!(completed, n as i64, "every execution completed");
            let rate = n as f64 / seconds;
            println!("{label}: round {} — {n} evaluations in {seconds:.2} s = {rate:.1}/s", r + 1);
            rates.push(rate);
        }
        rates.sort_by(f64::total_cmp);
        println!("{label}: median {:.1} evaluations/s over {} rounds ({})", bench::percentile(&rates, 0.5), rates.len(), bench::summary(&mut rates.clone()));
    }
}
