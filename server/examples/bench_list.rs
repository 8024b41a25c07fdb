//! The traces list benchmark behind `scripts/bench-list`: signs in, calls the `list_traces`
//! server function over HTTP as the browser does (one request at a time), and reports p50/p95 of
//! the request time per query — first page, filtered pages, sorts, search in English and CJK —
//! plus a deep pagination walk that follows the cursor page after page. With `--database-url` it
//! also prints the `EXPLAIN (ANALYZE, BUFFERS)` of each query as the store builds it.
//!
//! Usage: bench_list --url URL --email E --password P --project-id ID [--iterations 30]
//!        [--deep-pages 200] [--database-url URL]

use std::time::Instant;

use loupe_app::domain::trace_list::TraceListQuery;
use serde_json::Value;

struct Args {
    url: String,
    email: String,
    password: String,
    project_id: String,
    iterations: usize,
    deep_pages: usize,
    database_url: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        email: "bench@example.com".into(),
        password: String::new(),
        project_id: "bench".into(),
        iterations: 30,
        deep_pages: 200,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value(),
            "--email" => args.email = value(),
            "--password" => args.password = value(),
            "--project-id" => args.project_id = value(),
            "--iterations" => args.iterations = value().parse().expect("--iterations: a number"),
            "--deep-pages" => args.deep_pages = value().parse().expect("--deep-pages: a number"),
            "--database-url" => args.database_url = Some(value()),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// The queries measured: a label and the URL parameters of the list.
fn queries() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("first page (newest first)", vec![]),
        ("user = user-4242", vec![("user", "user-4242")]),
        ("tag = beta", vec![("tag", "beta")]),
        ("session = session-123456", vec![("session", "session-123456")]),
        ("level = error", vec![("level", "error")]),
        ("level = warning (and errors)", vec![("level", "warning")]),
        ("model = gpt-4o", vec![("model", "gpt-4o")]),
        ("metadata tier=enterprise", vec![("metadata", "tier=enterprise")]),
        ("metadata customer=cust-7", vec![("metadata", "customer=cust-7")]),
        ("score quality > 0.95", vec![("score", "quality"), ("score_op", ">"), ("score_value", "0.95")]),
        ("score verdict = bad", vec![("score", "verdict"), ("score_value", "bad")]),
        ("latency ≥ 60 s", vec![("latency_min", "60")]),
        ("cost between 0.01 and 0.02", vec![("cost_min", "0.01"), ("cost_max", "0.02")]),
        ("cost ≥ 1 (matches nothing)", vec![("cost_min", "1")]),
        ("last 24 hours, production", vec![("range", "24h"), ("environment", "production")]),
        ("sort latency desc", vec![("sort", "latency")]),
        ("sort latency asc", vec![("sort", "latency"), ("dir", "asc")]),
        ("sort cost desc", vec![("sort", "cost")]),
        ("sort cost asc", vec![("sort", "cost"), ("dir", "asc")]),
        ("user + sort cost", vec![("user", "user-4242"), ("sort", "cost")]),
        ("search \"refund\" (common)", vec![("search", "refund")]),
        ("search \"quarterly revenue forecast\" (rare)", vec![("search", "quarterly revenue forecast")]),
        ("search \"退款\" (CJK, common)", vec![("search", "退款")]),
        ("search \"影评人\" (CJK, rare)", vec![("search", "影评人")]),
        ("search \"要約\" (Japanese)", vec![("search", "要約")]),
        ("search + level = error", vec![("search", "refund"), ("level", "error")]),
    ]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Client {
    http: reqwest::Client,
    url: String,
    cookie: String,
    project_id: String,
}

impl Client {
    async fn post(&self, endpoint: &str, form: &[(String, String)]) -> (u16, Value, f64) {
        let body = serde_urlencoded::to_string(form).unwrap();
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}/api/ui/{endpoint}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &self.url)
            .header("cookie", &self.cookie)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), ms)
    }

    async fn list(&self, params: &[(&str, &str)]) -> (Value, f64) {
        let mut form = vec![("project_id".to_string(), self.project_id.clone())];
        form.extend(params.iter().map(|(k, v)| (format!("query[{k}]"), v.to_string())));
        let (status, body, ms) = self.post("list_traces", &form).await;
        assert_eq!(status, 200, "{params:?}: {body}");
        (body, ms)
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let http = reqwest::Client::new();
    let form = serde_urlencoded::to_string([("email", &args.email), ("password", &args.password)]).unwrap();
    let response = http
        .post(format!("{}/api/ui/sign_in", args.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &args.url)
        .body(form)
        .send()
        .await
        .expect("sign in");
    assert!(response.status().is_success(), "sign in: {}", response.status());
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .find(|pair| !pair.ends_with('='))
        .expect("a session cookie");
    let client = Client { http, url: args.url.clone(), cookie, project_id: args.project_id.clone() };

    println!("| query | rows | p50 ms | p95 ms |");
    println!("|---|---:|---:|---:|");
    for (label, params) in queries() {
        let mut times = Vec::with_capacity(args.iterations);
        let mut rows = 0;
        for i in 0..args.iterations + 3 {
            let (page, ms) = client.list(&params).await;
            rows = page["rows"].as_array().map_or(0, Vec::len);
            if i >= 3 {
                times.push(ms);
            }
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("| {label} | {rows} | {:.1} | {:.1} |", percentile(&times, 50.0), percentile(&times, 95.0));
    }

    for (label, params) in [("newest first", vec![]), ("sort latency desc", vec![("sort", "latency")]), ("search \"退款\"", vec![("search", "退款")])] {
        let mut times = Vec::new();
        let mut cursor = String::new();
        let mut last = 0.0;
        for _ in 0..args.deep_pages {
            let mut query = params.clone();
            query.push(("before", cursor.as_str()));
            let (page, ms) = client.list(&query).await;
            times.push(ms);
            last = ms;
            match page["next_before"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
        }
        let pages = times.len();
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| deep pagination, {label}: {pages} pages of 50 by cursor | {} | {:.1} | {:.1} (page {pages}: {last:.1}) |",
            pages * 50,
            percentile(&times, 50.0),
            percentile(&times, 95.0)
        );
    }

    if let Some(url) = args.database_url {
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.expect("database");
        // The same person and project the HTTP calls use, through the same access check.
        let mut conn = pool.acquire().await.expect("connection");
        let user_id = loupe_core::auth::accounts::verify_credentials(&mut conn, &args.email, &args.password).await.expect("credentials");
        drop(conn);
        let project = loupe_core::auth::access::project(&pool, &user_id, &args.project_id, loupe_app::domain::Action::ReadProjectData)
            .await
            .expect("project access");
        for (label, params) in queries() {
            let query = TraceListQuery::from_params(|k| params.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()));
            let spec = query.parse(chrono::Utc::now()).expect("valid query");
            let mut explain =
                loupe_core::store::trace_list::page_query_with_prefix("EXPLAIN (ANALYZE, BUFFERS) ", &project.project_id, &spec, 51);
            let plan: Vec<String> = explain.build_query_scalar().persistent(false).fetch_all(&pool).await.expect("explain");
            println!("\n### {label}\n```");
            for line in plan.iter().filter(|l| l.contains("Scan") || l.contains("Execution Time") || l.contains("Sort Key") || l.contains("Limit")) {
                println!("{line}");
            }
            println!("```");
        }
    }
}
