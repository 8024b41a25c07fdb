//! Dashboard benchmark (#22) behind `scripts/bench-dashboards`: the project home's widgets
//! (`domain::dashboards::home()`, exactly what the page runs) answered by the metrics engine
//! (`loupe_core::metrics`) against the embedded Postgres of a running `loupe` on a seeded data
//! directory (`scripts/seed-traces`: 1,000,000 traces / 10,000,000 observations).
//!
//! 1. Rollups: recomputes every dirty hour (`metrics::rollups::recompute_dirty`, what the
//!    `metrics.rollup` job runs, here with no settling delay) until none is left, and reports the
//!    time it took (after seeding, that is every hour of the 30 days).
//! 2. Per scenario (a range and the board's filters): each widget's query, `--warmup` calls then
//!    `--iterations` timed calls one at a time (p50/p95, how the engine answered: rollups or raw
//!    rows), then the whole board as the `run_widgets` server function runs it — every widget's
//!    query spawned at once on a pool of the server's size (20) — `--iterations` times.
//! 3. The 30-day board with the rollups switched off (`Strategy::RawOnly`, a few calls): what
//!    the rollups buy.
//!
//! Times are the engine's (validation, the read-only transaction, its statements, shaping the
//! rows): the server time of a page, without HTTP and JSON. With `--explain FILE`, every query of
//! a widget over `--explain-ms` is run once more under `auto_explain` (ANALYZE, BUFFERS) and its
//! plans are written to FILE.
//!
//! Usage: bench_dashboards --data-dir DIR [--project-id bench] [--iterations 30] [--warmup 3]
//!        [--raw-iterations 3] [--explain FILE] [--explain-ms 100] [--skip-rollup] [--scenarios N (the first N)]
//!        [--budget 20 (seconds of timed calls per query: past it, a slow query stops at 3 calls or more)]
//!        [--jit-off (an experiment: every connection with `SET jit = off`)]
//!        [--rebuild-rollups (first mark every hour of the project's data dirty, to time the rebuild again)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use loupe_app::domain::dashboards::{home, BoardFilters, Widget};
use loupe_core::metrics::{self, rollups, ApiVersion, Plan, Strategy};
use loupe_core::scope::ProjectId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

#[path = "support/bench.rs"]
#[allow(dead_code)] // the shared file's `summary` and `database` are for the other benchmarks
mod bench;
use bench::percentile;

struct Args {
    data_dir: PathBuf,
    project_id: String,
    iterations: usize,
    warmup: usize,
    raw_iterations: usize,
    explain: Option<PathBuf>,
    explain_ms: f64,
    skip_rollup: bool,
    scenarios: usize,
    jit_off: bool,
    budget: f64,
    rebuild_rollups: bool,
}

fn args() -> Args {
    let mut args = Args {
        data_dir: PathBuf::new(),
        project_id: "bench".into(),
        iterations: 30,
        warmup: 3,
        raw_iterations: 3,
        explain: None,
        explain_ms: 100.0,
        skip_rollup: false,
        scenarios: usize::MAX,
        jit_off: false,
        budget: 20.0,
        rebuild_rollups: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => args.data_dir = value().into(),
            "--project-id" => args.project_id = value(),
            "--iterations" => args.iterations = value().parse().expect("--iterations: a number"),
            "--warmup" => args.warmup = value().parse().expect("--warmup: a number"),
            "--raw-iterations" => args.raw_iterations = value().parse().expect("--raw-iterations: a number"),
            "--explain" => args.explain = Some(value().into()),
            "--explain-ms" => args.explain_ms = value().parse().expect("--explain-ms: a number"),
            "--skip-rollup" => args.skip_rollup = true,
            "--scenarios" => args.scenarios = value().parse().expect("--scenarios: a number"),
            "--jit-off" => args.jit_off = true,
            "--rebuild-rollups" => args.rebuild_rollups = true,
            "--budget" => args.budget = value().parse().expect("--budget: seconds"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.data_dir.as_os_str().is_empty(), "--data-dir is required");
    assert!(args.iterations > 0, "--iterations must be at least 1");
    args
}

/// The embedded Postgres's socket directory (line 5 of `postmaster.pid`).
fn socket_dir(data_dir: &std::path::Path) -> String {
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).expect("the embedded Postgres's postmaster.pid");
    pid_file.lines().nth(4).expect("socket directory in postmaster.pid").to_string()
}

fn options(data_dir: &std::path::Path) -> PgConnectOptions {
    PgConnectOptions::new().socket(socket_dir(data_dir)).username("postgres").database("loupe")
}

/// What the benchmark measures for one board: its range and filters.
struct Scenario {
    label: &'static str,
    span: Duration,
    filters: BoardFilters,
}

fn scenarios() -> Vec<Scenario> {
    let f = |name: &str, value: &str| {
        let mut filters = BoardFilters::default();
        match name {
            "user" => filters.user = value.into(),
            "tag" => filters.tag = value.into(),
            "environment" => filters.environment = value.into(),
            _ => unreachable!(),
        }
        filters
    };
    vec![
        Scenario { label: "30 days", span: Duration::days(30), filters: BoardFilters::default() },
        Scenario { label: "30 days, environment = production (a rollup column)", span: Duration::days(30), filters: f("environment", "production") },
        Scenario { label: "30 days, user = user-4242 (not in the rollups)", span: Duration::days(30), filters: f("user", "user-4242") },
        Scenario { label: "30 days, tag = beta (not in the rollups)", span: Duration::days(30), filters: f("tag", "beta") },
        Scenario { label: "24 hours", span: Duration::hours(24), filters: BoardFilters::default() },
        Scenario { label: "24 hours, user = user-4242", span: Duration::hours(24), filters: f("user", "user-4242") },
    ]
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn plan_text(plan: &Plan) -> String {
    match plan {
        Plan::Raw => "raw".into(),
        Plan::Rollup { rollup_hours, rollup_days, rollup_blocks, raw_ranges } => {
            format!("rollup {rollup_hours} h ({rollup_days} d, {rollup_blocks} blocks over a day) + {raw_ranges} raw")
        }
    }
}

/// One widget's query over the board's range and filters, as `run_widgets` builds it.
fn widget_query(widget: &Widget, from: DateTime<Utc>, to: DateTime<Utc>, filters: &BoardFilters) -> metrics::MetricsQuery {
    let (extra, _ignored) = filters.for_view(widget.query.view);
    widget.query.at(from, to, &extra)
}

/// One query's time, how it was answered and its rows; a failure is reported, not fatal.
async fn run_one(pool: &PgPool, project: &ProjectId, query: &metrics::MetricsQuery, strategy: Strategy) -> Result<(f64, Plan, usize), String> {
    let started = Instant::now();
    let valid = query.validate(ApiVersion::V1).map_err(|e| format!("invalid: {e}"))?;
    let answer = metrics::execute(pool, project, &valid, strategy).await.map_err(|e| format!("failed: {e:?}"))?;
    Ok((ms(started), answer.plan, answer.rows.len()))
}

/// The whole board as `run_widgets` runs it: every widget's query spawned at once; the time
/// until the last one answers.
async fn run_board(pool: &PgPool, project: &ProjectId, queries: &[metrics::MetricsQuery], strategy: Strategy) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = queries
        .iter()
        .map(|q| {
            let (pool, project, q) = (pool.clone(), project.clone(), q.clone());
            tokio::spawn(async move {
                // Failures are reported by the per-widget runs; the board's time counts them too.
                if let Ok(valid) = q.validate(ApiVersion::V1) {
                    let _ = metrics::execute(&pool, &project, &valid, strategy).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a widget task");
    }
    ms(started)
}

fn stats(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(values, 0.5), percentile(values, 0.95), values.last().copied().unwrap_or(f64::NAN))
}

/// A writer the `sqlx::postgres::notice` events (auto_explain's plans) go to.
#[derive(Clone)]
struct PlanFile(Arc<Mutex<std::fs::File>>);

impl Write for PlanFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().flush()
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    let plan_file = args.explain.as_ref().map(|path| PlanFile(Arc::new(Mutex::new(std::fs::File::create(path).expect("the --explain file")))));
    if let Some(file) = &plan_file {
        let file = file.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("sqlx::postgres::notice=info"))
            .with_writer(move || file.clone())
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .with_level(false)
            .init();
    }
    // The server's pool size (server/src/lib.rs).
    let jit_off = args.jit_off;
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if jit_off {
                    conn.execute("SET jit = off").await?;
                }
                Ok(())
            })
        })
        .connect_with(options(&args.data_dir))
        .await
        .expect("the embedded Postgres");
    if jit_off {
        println!("experiment: every connection runs with jit = off");
    }
    let project: ProjectId = loupe_core::store::api_keys::find_by_public_key(&pool, "pk-lf-bench")
        .await
        .expect("the api keys")
        .filter(|k| k.project_id.as_str() == args.project_id)
        .map(|k| k.project_id)
        .expect("the bench project's key pk-lf-bench");
    let (traces, observations, size): (i64, i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM traces WHERE project_id = $1), (SELECT count(*) FROM observations WHERE project_id = $1),
                pg_size_pretty(pg_database_size(current_database()))",
    )
    .bind(project.as_str())
    .fetch_one(&pool)
    .await
    .unwrap();
    println!("data: {traces} traces, {observations} observations; database {size}");

    // 1. The rollups.
    let dirty = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(DISTINCT hour) FROM metric_rollup_dirty").fetch_one(&pool).await.unwrap()
    };
    if args.rebuild_rollups {
        sqlx::query(
            "SELECT loupe_metric_rollup_mark($1, array_agg(h)) FROM (
                 SELECT date_trunc('hour', start_time, 'UTC') AS h FROM observations WHERE project_id = $1
                 UNION SELECT date_trunc('hour', timestamp, 'UTC') FROM traces WHERE project_id = $1
                 UNION SELECT date_trunc('hour', timestamp, 'UTC') FROM scores WHERE project_id = $1) hours",
        )
        .bind(project.as_str())
        .execute(&pool)
        .await
        .expect("marking every hour dirty");
    }
    let before = dirty(pool.clone()).await;
    if !args.skip_rollup && before > 0 {
        let started = Instant::now();
        let mut done = 0;
        loop {
            let n = rollups::recompute_dirty(&pool, Duration::zero(), 50).await.expect("recomputing dirty hours");
            done += n;
            if n == 0 {
                break;
            }
        }
        let took = ms(started);
        let left = dirty(pool.clone()).await;
        println!(
            "rollups: {before} dirty hours before; {done} recomputed here in {:.1} s ({:.0} ms per hour); {left} dirty after (hours still settling: {})",
            took / 1000.0,
            took / done.max(1) as f64,
            left
        );
        sqlx::query("VACUUM ANALYZE metric_rollup_observations").execute(&pool).await.unwrap();
        sqlx::query("VACUUM ANALYZE metric_rollup_traces").execute(&pool).await.unwrap();
        sqlx::query("VACUUM ANALYZE metric_rollup_scores").execute(&pool).await.unwrap();
    } else {
        println!("rollups: {before} dirty hours (not recomputed here)");
    }
    let rollup_rows: (i64, i64, i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM metric_rollup_observations), (SELECT count(*) FROM metric_rollup_traces),
                (SELECT count(*) FROM metric_rollup_scores),
                pg_size_pretty(pg_total_relation_size('metric_rollup_observations') + pg_total_relation_size('metric_rollup_traces')
                               + pg_total_relation_size('metric_rollup_scores'))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    println!(
        "rollup rows: {} observations, {} traces, {} scores ({} with indexes)",
        rollup_rows.0, rollup_rows.1, rollup_rows.2, rollup_rows.3
    );

    // 2. The scenarios. One "now" for the whole run, so every iteration asks the same question.
    let now = Utc::now();
    let widgets = home();
    let mut slow: Vec<(String, metrics::MetricsQuery)> = Vec::new();
    for scenario in scenarios().into_iter().take(args.scenarios) {
        let (from, to) = (now - scenario.span, now);
        println!(
            "\n## {} ({} warm-up + up to {} timed calls per query, one at a time, at most {} s of calls per query; n = calls timed)",
            scenario.label, args.warmup, args.iterations, args.budget
        );
        println!("| widget | rows | answered from | n | p50 ms | p95 ms | max ms |");
        println!("|---|---:|---|---:|---:|---:|---:|");
        let queries: Vec<_> = widgets.iter().map(|w| widget_query(w, from, to, &scenario.filters)).collect();
        let mut sequential = 0.0;
        for (widget, query) in widgets.iter().zip(&queries) {
            if let Err(e) = run_one(&pool, &project, query, Strategy::Auto).await {
                println!("| {} | | **{}** | | | | |", widget.title, e.replace('|', "/").replace('\n', " "));
                continue;
            }
            for _ in 1..args.warmup {
                let _ = run_one(&pool, &project, query, Strategy::Auto).await;
            }
            let mut times = Vec::with_capacity(args.iterations);
            let mut last = (Plan::Raw, 0);
            let started = Instant::now();
            while times.len() < args.iterations && (times.len() < 3 || started.elapsed().as_secs_f64() < args.budget) {
                let (t, plan, rows) = run_one(&pool, &project, query, Strategy::Auto).await.expect("the query answered before");
                times.push(t);
                last = (plan, rows);
            }
            let n = times.len();
            let (p50, p95, max) = stats(&mut times);
            sequential += p50;
            println!("| {} | {} | {} | {n} | {p50:.1} | {p95:.1} | {max:.1} |", widget.title, last.1, plan_text(&last.0));
            if p95 > args.explain_ms {
                slow.push((format!("{} — {}", scenario.label, widget.title), query.clone()));
            }
        }
        for _ in 0..args.warmup {
            run_board(&pool, &project, &queries, Strategy::Auto).await;
        }
        let mut board = Vec::with_capacity(args.iterations);
        let started = Instant::now();
        while board.len() < args.iterations && (board.len() < 3 || started.elapsed().as_secs_f64() < args.budget * 3.0) {
            board.push(run_board(&pool, &project, &queries, Strategy::Auto).await);
        }
        let n = board.len();
        let (p50, p95, max) = stats(&mut board);
        println!("| **whole board, {} widgets at once** (as `run_widgets`) | | | {n} | **{p50:.1}** | **{p95:.1}** | {max:.1} |", widgets.len());
        println!("| (sum of the widgets' p50, one after another) | | | | {sequential:.1} | | |");
    }

    // 3. Without the rollups.
    if args.raw_iterations > 0 {
        let (from, to) = (now - Duration::days(30), now);
        println!("\n## 30 days, rollups off (Strategy::RawOnly; {} timed calls per query after 1 warm-up)", args.raw_iterations);
        println!("| widget | p50 ms | max ms |");
        println!("|---|---:|---:|");
        let queries: Vec<_> = widgets.iter().map(|w| widget_query(w, from, to, &BoardFilters::default())).collect();
        for (widget, query) in widgets.iter().zip(&queries) {
            if let Err(e) = run_one(&pool, &project, query, Strategy::RawOnly).await {
                println!("| {} | **{}** | |", widget.title, e.replace('|', "/").replace('\n', " "));
                continue;
            }
            let mut times: Vec<f64> = Vec::new();
            for _ in 0..args.raw_iterations {
                times.push(run_one(&pool, &project, query, Strategy::RawOnly).await.expect("the query answered before").0);
            }
            let (p50, _, max) = stats(&mut times);
            println!("| {} | {p50:.1} | {max:.1} |", widget.title);
        }
        let mut board: Vec<f64> = Vec::new();
        for _ in 0..args.raw_iterations {
            board.push(run_board(&pool, &project, &queries, Strategy::RawOnly).await);
        }
        let (p50, _, max) = stats(&mut board);
        println!("| **whole board at once** | **{p50:.1}** | {max:.1} |");
    }

    // 4. The plans of the slow queries.
    if let (Some(path), false) = (&args.explain, slow.is_empty()) {
        let threshold = format!("{}", (args.explain_ms / 4.0).max(1.0) as i64);
        let explain_pool = PgPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let threshold = threshold.clone();
                Box::pin(async move {
                    conn.execute("LOAD 'auto_explain'").await?;
                    conn.execute(
                        format!(
                            "SET auto_explain.log_min_duration = {threshold}; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
                             SET auto_explain.log_level = notice; SET client_min_messages = notice"
                        )
                        .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options(&args.data_dir))
            .await
            .expect("the explain connection");
        for (label, query) in &slow {
            tracing::info!("\n==================== {label}\n{}", serde_json::to_string(query).unwrap());
            match run_one(&explain_pool, &project, query, Strategy::Auto).await {
                Ok((t, plan, _)) => tracing::info!("(answered from {} in {t:.1} ms under auto_explain)", plan_text(&plan)),
                Err(e) => tracing::info!("({e})"),
            }
        }
        println!("\nplans of {} queries over {} ms p95 in {}", slow.len(), args.explain_ms, path.display());
    }
    let _ = plan_file.map(|mut f| f.flush());
}
