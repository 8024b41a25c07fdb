//! Ingestion benchmark (run by `scripts/bench-ingest`, results in docs/BENCHMARKS.md).
//!
//! Sends OTLP/protobuf exports, gzip-compressed like Python SDK 5.x (≈1.4 KB per span, 10 spans
//! per trace: one root and nine children, the middle one a generation with usage), from several
//! concurrent connections for a fixed time, and reports acknowledged spans/s and the latency of
//! each acknowledgement (p50/p99). With `--database-url` it also measures, over the load, the
//! WAL written per span (`pg_current_wal_lsn()` before and after) and, with `--loupe-pid`, the CPU
//! spent per span by Loupe's process and by Postgres's (the postmaster and every backend, exited
//! ones included: `utime + stime` from `/proc/<pid>/stat`), and how busy the machine's cores were
//! (`/proc/stat`: a run bound by waits leaves them idle); then it counts the spans visible in
//! the database. **The ceiling** (issue #23) is measured in the same Postgres *before* the load,
//! on the empty database (so the load's aftermath — checkpoints, autovacuum of the new rows —
//! cannot slow it, which would flatter Loupe): a raw text `COPY` of 100,000 rows, each as many
//! bytes as a span *sent* (its share of the protobuf export, ≈1.4 KB, the text taken from the
//! span's own attribute values), into a *plain* table with a primary key and three btree indexes,
//! committed once; three times on fresh tables, the median kept, then a `CHECKPOINT`. The ratio
//! is taken against it (and against a Phoenix figure given with `--phoenix-spans-per-s`), so the
//! figure cannot drift to a friendlier ceiling: it does not depend on how much Loupe chooses to
//! store per span. After the load a friendlier figure is printed beside it, labelled, for
//! comparison with earlier records: the same `COPY` with rows of the text size of a stored span.
//!
//! The exports are encoded and compressed before the load (as the ceiling's `COPY` text is built
//! before its timer), so the load measures Loupe and Postgres rather than the generator sharing
//! their cores; `--encode-during-load` restores the earlier way, and the generator's own CPU per
//! span is printed either way.
//!
//! Usage: bench_ingest --url http://127.0.0.1:3000 --public-key pk --secret-key sk
//!        [--connections 8] [--seconds 30] [--traces-per-request 10] [--database-url URL] [--project-id ID]
//!        [--loupe-pid PID] [--phoenix-spans-per-s N] [--encode-during-load] [--prose] [--root-last] [--batch-api]
//!
//! `--prose`: each span's output is ~820 characters of words drawn at random (no sentence
//! repeated) instead of one sentence ten times, and its input names random words too: text that
//! compresses like real model output, for what a span costs to store (WAL per span) rather than
//! the default's best case.
//!
//! `--root-last`: each export carries the nine children of its own traces and the roots of the
//! traces of the export sent 16 before it (the first 16: roots of traces that get no children),
//! as an SDK's batch processor sends a trace that outlives one batch — a root span ends, and is
//! exported, after its children. Each trace is then written twice: created by its children, completed by
//! its root (name, input and output) in a later request, which updates the stored row.
//!
//! `--batch-api`: the legacy batch endpoint (`/api/public/ingestion`, JSON, uncompressed, as the
//! JS SDK v3 and Python SDK v2 send it) instead of OTLP: each request carries a `trace-create`
//! and ten `span-create`/`generation-create` events (start, input, metadata) per trace, and the
//! `span-update`/`generation-update` events (end, output, usage) of the traces of the request
//! sent 16 before it — an observation that outlives the SDK's flush interval is updated in a
//! later batch. A request's spans are its hundred created observations; a 207 counts as
//! acknowledged only with no error in it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use flate2::write::GzEncoder;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

const SPANS_PER_TRACE: usize = 10;
/// Exports built before the load: enough for this many spans per second over the run (the
/// fastest run so far acknowledged ~20,600).
const PREBUILT_SPANS_PER_S: usize = 40_000;

struct Args {
    url: String,
    public_key: String,
    secret_key: String,
    connections: usize,
    seconds: u64,
    traces_per_request: usize,
    database_url: Option<String>,
    project_id: String,
    loupe_pid: Option<u32>,
    phoenix_spans_per_s: Option<f64>,
    /// Encode and compress each export during the load, as earlier records did (the generator
    /// then competes with Loupe and Postgres for the same cores).
    encode_during_load: bool,
}

/// `--prose` (see the module docs); read by `span`.
static PROSE: AtomicBool = AtomicBool::new(false);
/// `--root-last` (see the module docs); read by `export`.
static ROOT_LAST: AtomicBool = AtomicBool::new(false);
/// `--batch-api` (see the module docs); read by `body` and the workers.
static BATCH_API: AtomicBool = AtomicBool::new(false);
/// Trace numbers from here on are the first export's root-only traces under `--root-last`.
const ROOTS_ONLY_TRACES: u64 = 1 << 40;
/// How many exports after its children a root is sent: more than the connections in flight, so
/// its children's request has committed (an SDK's exporter sends one batch at a time, so a root
/// never races its children; two requests writing one trace at once would wait on each other's
/// row locks, a different benchmark).
const ROOT_LAG: u64 = 16;

/// ~`chars` characters of words picked by `seed`: unrepeated text, as a model's output is.
fn prose(seed: u64, chars: usize) -> String {
    const WORDS: [&str; 64] = [
        "order", "customer", "replacement", "damaged", "refund", "shipping", "invoice", "warehouse", "delay", "courier",
        "package", "tracking", "support", "ticket", "policy", "warranty", "return", "label", "address", "payment",
        "card", "bank", "transfer", "discount", "voucher", "account", "email", "phone", "escalate", "manager",
        "apology", "credit", "balance", "subscription", "renewal", "cancel", "upgrade", "plan", "feature", "bug",
        "crash", "login", "password", "reset", "device", "android", "browser", "latency", "timeout", "server",
        "region", "europe", "asia", "monday", "friday", "morning", "evening", "urgent", "polite", "frustrated",
        "grateful", "confused", "detailed", "brief",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = String::with_capacity(chars + 16);
    while text.len() < chars {
        let x = xorshift(&mut x);
        text.push_str(WORDS[(x % 64) as usize]);
        text.push_str(if x % 11 == 0 { ". " } else { " " });
    }
    text
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        public_key: "pk-lf-bench".into(),
        secret_key: "sk-lf-bench".into(),
        connections: 8,
        seconds: 30,
        traces_per_request: 10,
        database_url: None,
        project_id: "bench".into(),
        loupe_pid: None,
        phoenix_spans_per_s: None,
        encode_during_load: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value(),
            "--public-key" => args.public_key = value(),
            "--secret-key" => args.secret_key = value(),
            "--connections" => args.connections = value().parse().expect("--connections: a number"),
            "--seconds" => args.seconds = value().parse().expect("--seconds: a number"),
            "--traces-per-request" => args.traces_per_request = value().parse().expect("--traces-per-request: a number"),
            "--database-url" => args.database_url = Some(value()),
            "--project-id" => args.project_id = value(),
            "--loupe-pid" => args.loupe_pid = Some(value().parse().expect("--loupe-pid: a number")),
            "--phoenix-spans-per-s" => args.phoenix_spans_per_s = Some(value().parse().expect("--phoenix-spans-per-s: a number")),
            "--encode-during-load" => args.encode_during_load = true,
            "--prose" => PROSE.store(true, Ordering::Relaxed),
            "--root-last" => ROOT_LAST.store(true, Ordering::Relaxed),
            "--batch-api" => BATCH_API.store(true, Ordering::Relaxed),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }), ..Default::default() }
}

/// A random-looking but deterministic hex id.
fn hex_id(seed: u64, bytes: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..bytes).map(|_| (xorshift(&mut x) & 0xff) as u8).collect()
}

/// The next value of a xorshift64 generator (ids and `--prose` words: deterministic, not secure).
fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// The attributes of one span as the Python SDK sends them: JSON-encoded input/output, metadata,
/// propagated trace attributes; about 1.4 KB per span once encoded.
fn span(trace: u64, index: usize, start_ns: u64) -> Span {
    let trace_id = hex_id(trace, 16);
    let span_id = hex_id(trace * 100 + index as u64 + 1, 8);
    let parent = if index == 0 { vec![] } else { hex_id(trace * 100 + 1, 8) };
    let (question, answer) = if PROSE.load(Ordering::Relaxed) {
        let seed = trace * 100 + index as u64;
        (
            format!("{{\"args\": [\"Summarise ticket {trace}: {}\"], \"kwargs\": {{\"temperature\": 0.2}}}}", prose(seed, 90)),
            format!("\"{}\"", prose(seed ^ 0x5eed, 820)),
        )
    } else {
        (
            format!("{{\"args\": [\"Summarise ticket {trace} for the support team, keeping the customer's tone and all order numbers\"], \"kwargs\": {{\"temperature\": 0.2}}}}"),
            format!("\"{}\"", "The customer reports that order 1234 arrived damaged and asks for a replacement. ".repeat(10)),
        )
    };
    let mut attributes = vec![
        kv("langfuse.observation.type", if index == 5 { "generation" } else { "span" }),
        kv("langfuse.observation.input", &question),
        kv("langfuse.observation.output", &answer),
        kv("langfuse.observation.metadata.tenant", "\"acme\""),
        kv("langfuse.observation.metadata.step", &format!("\"step-{index}\"")),
        kv("user.id", &format!("user-{}", trace % 1000)),
        kv("session.id", &format!("session-{}", trace % 5000)),
        kv("langfuse.trace.name", "support-summary"),
        kv("langfuse.environment", "production"),
        kv("langfuse.release", "2026.11.26"),
    ];
    if index == 5 {
        attributes.push(kv("langfuse.observation.model.name", "gpt-4o-mini-2024-07-18"));
        attributes.push(kv("langfuse.observation.model.parameters", "{\"temperature\": 0.2, \"max_tokens\": 300}"));
        attributes.push(kv(
            "langfuse.observation.usage_details",
            "{\"prompt_tokens\": 412, \"completion_tokens\": 96, \"total_tokens\": 508, \"prompt_tokens_details\": {\"cached_tokens\": 128}}",
        ));
    }
    let offset = index as u64 * 2_000_000;
    Span {
        trace_id,
        span_id,
        parent_span_id: parent,
        name: if index == 0 { "support-summary".into() } else { format!("step-{index}") },
        kind: 1,
        start_time_unix_nano: start_ns + offset,
        end_time_unix_nano: start_ns + offset + if index == 0 { 30_000_000 } else { 1_500_000 },
        attributes,
        ..Default::default()
    }
}

fn export(first_trace: u64, traces: usize) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let spans = if ROOT_LAST.load(Ordering::Relaxed) {
        // Trace numbers start at 1 and go up by `traces` per export: the export `ROOT_LAG` before
        // this one had the `traces` numbers from `first_trace - ROOT_LAG * traces`.
        let lag = ROOT_LAG * traces as u64;
        let previous = if first_trace > lag { first_trace - lag } else { ROOTS_ONLY_TRACES + first_trace };
        let children = (0..traces as u64).flat_map(|t| (1..SPANS_PER_TRACE).map(move |i| span(first_trace + t, i, now)));
        children.chain((0..traces as u64).map(|t| span(previous + t, 0, now))).collect()
    } else {
        (0..traces as u64).flat_map(|t| (0..SPANS_PER_TRACE).map(move |i| span(first_trace + t, i, now))).collect()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "unknown_service:python"), kv("telemetry.sdk.language", "python")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "langfuse-sdk".into(), version: "5.0.4".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    request.encode_to_vec()
}

/// One request of `--batch-api`: the create events of the traces from `first_trace` and the
/// update events of the traces of the request `ROOT_LAG` before it (none for the first ones).
fn batch(first_trace: u64, traces: usize) -> Vec<u8> {
    use serde_json::json;
    let now = chrono::Utc::now();
    let iso = |ms: i64| (now + chrono::Duration::milliseconds(ms)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut events = Vec::with_capacity(traces * (2 * SPANS_PER_TRACE + 1));
    let mut event = |kind: &str, id: String, body: serde_json::Value| {
        events.push(json!({"id": format!("{kind}-{id}"), "type": kind, "timestamp": iso(0), "body": body}));
    };
    for trace in first_trace..first_trace + traces as u64 {
        let trace_id = hex::encode(hex_id(trace, 16));
        let question = format!("Summarise ticket {trace} for the support team, keeping the customer's tone and all order numbers");
        event("trace-create", trace_id.clone(), json!({"id": trace_id, "name": "support-summary", "userId": format!("user-{}", trace % 1000),
            "sessionId": format!("session-{}", trace % 5000), "release": "2026.11.26", "environment": "production", "input": {"question": question}}));
        for index in 0..SPANS_PER_TRACE {
            let id = hex::encode(hex_id(trace * 100 + index as u64 + 1, 8));
            let parent = (index > 0).then(|| hex::encode(hex_id(trace * 100 + 1, 8)));
            let mut body = json!({"id": id, "traceId": trace_id, "parentObservationId": parent, "name": format!("step-{index}"),
                "startTime": iso(index as i64 * 2), "input": {"args": [question], "kwargs": {"temperature": 0.2}},
                "metadata": {"tenant": "acme", "step": format!("step-{index}")}, "environment": "production"});
            let kind = if index == 5 {
                body["model"] = json!("gpt-4o-mini-2024-07-18");
                body["modelParameters"] = json!({"temperature": 0.2, "max_tokens": 300});
                "generation-create"
            } else {
                "span-create"
            };
            event(kind, id, body);
        }
    }
    let lag = ROOT_LAG * traces as u64;
    if first_trace > lag {
        let answer = "The customer reports that order 1234 arrived damaged and asks for a replacement. ".repeat(10);
        for trace in first_trace - lag..first_trace - lag + traces as u64 {
            let trace_id = hex::encode(hex_id(trace, 16));
            for index in 0..SPANS_PER_TRACE {
                let id = hex::encode(hex_id(trace * 100 + index as u64 + 1, 8));
                let mut body = json!({"id": id, "traceId": trace_id, "endTime": iso(30), "output": answer});
                let kind = if index == 5 {
                    body["usage"] = json!({"input": 412, "output": 96, "total": 508, "unit": "TOKENS"});
                    "generation-update"
                } else {
                    "span-update"
                };
                event(kind, id, body);
            }
        }
    }
    serde_json::to_vec(&json!({"batch": events})).unwrap()
}

/// A request's body as sent: a gzip-compressed OTLP export, or with `--batch-api` a JSON batch.
fn body(first_trace: u64, traces: usize) -> Vec<u8> {
    if BATCH_API.load(Ordering::Relaxed) {
        batch(first_trace, traces)
    } else {
        gzip(&export(first_trace, traces))
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", args.public_key, args.secret_key))
    );
    let sample = export(0, args.traces_per_request);
    println!(
        "export: {} traces x {SPANS_PER_TRACE} spans = {} spans, {} bytes protobuf ({:.0} B/span), {} bytes gzip",
        args.traces_per_request,
        args.traces_per_request * SPANS_PER_TRACE,
        sample.len(),
        sample.len() as f64 / (args.traces_per_request * SPANS_PER_TRACE) as f64,
        gzip(&sample).len()
    );
    if BATCH_API.load(Ordering::Relaxed) {
        // The ceiling stays the OTLP span's (the issue's): the batch events are compared with it.
        let sample = batch(1 + ROOT_LAG * args.traces_per_request as u64, args.traces_per_request);
        println!("batch (--batch-api): {} bytes JSON with its updates ({:.0} B per created observation)", sample.len(),
            sample.len() as f64 / (args.traces_per_request * SPANS_PER_TRACE) as f64);
    }

    // What the load costs, measured from just before it to just after it: WAL and CPU.
    let pool = match &args.database_url {
        Some(url) => Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(url).await.unwrap()),
        None => None,
    };
    let sent = sample.len() / (args.traces_per_request * SPANS_PER_TRACE);
    let mut ceiling = None;
    if let Some(pool) = &pool {
        let text = span_text(&span(0, 5, 0));
        let mut rates = Vec::new();
        for _ in 0..3 {
            rates.push(plain_copy(pool, &args.project_id, CEILING_ROWS, sent, "a sent span's", &text).await);
        }
        rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("ceiling (median of 3, before the load): {:.0} rows/s", rates[1]);
        // The copies wrote ~0.5 GB of WAL: without a checkpoint now, one would start during the
        // load and make it write full-page images the runs without a ceiling never wrote.
        sqlx::query("CHECKPOINT").execute(pool).await.unwrap();
        ceiling = Some(rates[1]);
    }
    // The exports, encoded and compressed before the load as the ceiling's COPY text is built
    // before its timer: the load then measures what Loupe and Postgres do with the bytes, not
    // the generator's protobuf and gzip on the same two cores. Enough for `PREBUILT_SPANS_PER_S`
    // over the run; past them (or with --encode-during-load) a worker encodes its own.
    let prebuilt: Arc<Vec<Vec<u8>>> = Arc::new(if args.encode_during_load {
        Vec::new()
    } else {
        let requests = (PREBUILT_SPANS_PER_S * args.seconds as usize).div_ceil(args.traces_per_request * SPANS_PER_TRACE);
        let traces = args.traces_per_request;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let built = Instant::now();
        let chunks: Vec<Vec<Vec<u8>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        (t..requests).step_by(threads).map(|r| body(1 + (r * traces) as u64, traces)).collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Back in request order (thread t built requests t, t + threads, …).
        let mut bodies = vec![Vec::new(); requests];
        for (t, chunk) in chunks.into_iter().enumerate() {
            for (k, body) in chunk.into_iter().enumerate() {
                bodies[t + k * threads] = body;
            }
        }
        println!(
            "exports built before the load: {requests} requests, {:.0} MB as sent, in {:.1} s",
            bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6,
            built.elapsed().as_secs_f64()
        );
        bodies
    });
    let next_request = Arc::new(AtomicU64::new(0));
    let encoded_during_load = Arc::new(AtomicU64::new(0));

    let mut before = None;
    if let Some(pool) = &pool {
        let postmaster = postmaster_pid(pool).await;
        before = Some((wal_lsn(pool).await, args.loupe_pid.map(|pid| cpu_ticks(pid, false)), postmaster.map(|pid| cpu_ticks(pid, true)), postmaster));
    }
    let generator_before = cpu_ticks(std::process::id(), false);
    let machine_before = machine_ticks();

    let client = reqwest::Client::builder().pool_max_idle_per_host(args.connections).build().unwrap();
    let endpoint = format!("{}/api/public/otel/v1/traces", args.url.trim_end_matches('/'));
    let batch_endpoint = format!("{}/api/public/ingestion", args.url.trim_end_matches('/'));
    let stop = Arc::new(AtomicBool::new(false));
    let next_trace = Arc::new(AtomicU64::new(1));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let acked_spans = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let (client, endpoint, batch_endpoint, auth) = (client.clone(), endpoint.clone(), batch_endpoint.clone(), auth.clone());
            let (stop, next_trace, latencies) = (stop.clone(), next_trace.clone(), latencies.clone());
            let (acked_spans, refused, failed) = (acked_spans.clone(), refused.clone(), failed.clone());
            let (prebuilt, next_request, encoded_during_load) = (prebuilt.clone(), next_request.clone(), encoded_during_load.clone());
            let traces = args.traces_per_request;
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let request = next_request.fetch_add(1, Ordering::Relaxed) as usize;
                    let body = match prebuilt.get(request) {
                        // Requests built before the load used trace numbers 1, 1 + traces, …
                        Some(body) => body.clone(),
                        None => {
                            encoded_during_load.fetch_add(1, Ordering::Relaxed);
                            let first = (prebuilt.len() + 1) as u64 * traces as u64 + next_trace.fetch_add(traces as u64, Ordering::Relaxed);
                            tokio::task::spawn_blocking(move || body(first, traces)).await.unwrap()
                        }
                    };
                    let sent = Instant::now();
                    let request = if BATCH_API.load(Ordering::Relaxed) {
                        client.post(&batch_endpoint).header("content-type", "application/json")
                    } else {
                        client
                            .post(&endpoint)
                            .header("content-type", "application/x-protobuf")
                            .header("content-encoding", "gzip")
                            .header("x-langfuse-ingestion-version", "4")
                    };
                    let response = match request.header("authorization", &auth).body(body).send().await {
                        // The batch endpoint answers 207 with the events it refused in `errors`.
                        Ok(r) if r.status().as_u16() == 207 => match r.text().await {
                            Ok(text) if text.contains("\"errors\":[]") => Ok(200),
                            Ok(text) => {
                                eprintln!("refused events: {}", &text[..text.len().min(300)]);
                                Ok(207)
                            }
                            Err(error) => Err(error),
                        },
                        other => other.map(|r| r.status().as_u16()),
                    };
                    let elapsed = sent.elapsed().as_secs_f64() * 1000.0;
                    match response {
                        Ok(200) => {
                            acked_spans.fetch_add((traces * SPANS_PER_TRACE) as u64, Ordering::Relaxed);
                            latencies.lock().unwrap().push(elapsed);
                        }
                        Ok(429 | 503) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Ok(status) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            eprintln!("unexpected status {status}");
                        }
                        Err(error) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            eprintln!("request failed: {error}");
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let generator = cpu_ticks(std::process::id(), false) - generator_before;
    let machine = machine_ticks().zip(machine_before).map(|(after, before)| after.since(before));
    let mut after = None;
    if let (Some(pool), Some((lsn0, loupe0, postgres0, postmaster))) = (&pool, &before) {
        let wal: f64 = sqlx::query_scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8")
            .bind(lsn0)
            .fetch_one(pool)
            .await
            .unwrap();
        let loupe = args.loupe_pid.zip(*loupe0).map(|(pid, t0)| cpu_ticks(pid, false) - t0);
        let postgres = postmaster.zip(*postgres0).map(|(pid, t0)| cpu_ticks(pid, true) - t0);
        after = Some((wal, loupe, postgres));
    }
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let acked = acked_spans.load(Ordering::Relaxed);
    let rate = acked as f64 / elapsed;
    println!("connections: {}, duration: {elapsed:.1} s", args.connections);
    println!(
        "acknowledged: {acked} spans, {rate:.0} spans/s; requests ok {}, refused (429/503) {}, failed {}",
        latencies.len(),
        refused.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    println!(
        "ack latency ms: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    if let Some((wal, loupe, postgres)) = after {
        let per_span = |ticks: i64| ticks as f64 * 1e6 / clock_ticks_per_second() / acked.max(1) as f64;
        let show = |ticks: Option<i64>| ticks.map_or("n/a".to_string(), |t| format!("{:.1}", per_span(t)));
        let total = loupe.zip(postgres).map(|(a, b)| a + b);
        println!(
            "CPU µs per span: loupe {}, postgres {}, total {}",
            show(loupe),
            show(postgres),
            show(total)
        );
        println!("WAL bytes per span: {:.0}", wal / acked.max(1) as f64);
        println!(
            "load generator CPU µs per span: {:.1} ({} of {} requests encoded during the load)",
            per_span(generator),
            encoded_during_load.load(Ordering::Relaxed),
            next_request.load(Ordering::Relaxed)
        );
    }
    // Whether the run was bound by the CPU: a ratio that moves while the cores sit idle points
    // at waits (commits, locks), not at the work per span.
    if let Some(m) = machine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let share = |ticks: i64| ticks as f64 / m.total.max(1) as f64;
        println!(
            "machine over the load: {:.2} of {cores:.0} cores busy (idle {:.0} %, iowait {:.0} %)",
            share(m.busy) * cores,
            share(m.idle) * 100.0,
            share(m.iowait) * 100.0
        );
    }

    if let Some(pool) = pool {
        let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = $1")
            .bind(&args.project_id)
            .fetch_one(&pool)
            .await
            .unwrap();
        println!("visible in the database right after the run: {visible} spans ({:.0} spans/s)", visible as f64 / elapsed);
        let stored = stored_row_bytes(&pool, &args.project_id).await;
        let text: String = sqlx::query_scalar(
            "SELECT concat_ws(' ', input::text, output::text, metadata::text) FROM observations WHERE project_id = $1 LIMIT 1",
        )
        .bind(&args.project_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        let plain_stored = plain_copy(&pool, &args.project_id, CEILING_ROWS, stored, "a stored span's", &text).await;
        if let Some(ceiling) = ceiling {
            println!("ratio to the plain COPY of rows of a sent span's size (the ceiling, issue #23): {:.3}", rate / ceiling);
        }
        println!("(friendlier, for earlier records: ratio to the plain COPY of rows of a stored span's size, after the load: {:.3})", rate / plain_stored);
    }
    if let Some(phoenix) = args.phoenix_spans_per_s {
        println!("ratio to Phoenix ({phoenix:.0} spans/s given): {:.1}", rate / phoenix);
    }
}

/// The text size of an observation row, on average (what the friendlier ceiling's rows match).
/// Since the OTel record is bytes, their hex text counts twice their stored size: the figure is
/// for comparison with records made before, not a measure of the bytes Loupe stores.
async fn stored_row_bytes(pool: &sqlx::PgPool, project_id: &str) -> usize {
    let bytes: i32 = sqlx::query_scalar(
        "SELECT coalesce(avg(length(o::text)), 0)::int FROM (SELECT * FROM observations WHERE project_id = $1 LIMIT 1000) o",
    )
    .bind(project_id)
    .fetch_one(pool)
    .await
    .unwrap();
    bytes as usize
}

/// Rows of each ceiling `COPY` (the issue measured 20,000; more steadies the figure, and the
/// indexes grow to about the size a 20 s load leaves).
const CEILING_ROWS: usize = 100_000;

/// The text of a span's attribute values, what the ceiling's rows are made of.
fn span_text(span: &Span) -> String {
    span.attributes
        .iter()
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ceiling (issue #23): a text `COPY` of `rows` rows of `target` bytes each (filled with
/// `source`, so they compress as span text does), into a plain table — a primary key and three
/// btree indexes, no GIN, no trigger — committed once. Ids are random hex like the spans', so
/// the indexes take inserts all over, as they do for real spans. `size` names what the row size
/// is, for the printed line.
async fn plain_copy(pool: &sqlx::PgPool, project_id: &str, rows: usize, target: usize, size: &str, source: &str) -> f64 {
    sqlx::query("DROP TABLE IF EXISTS bench_plain_copy").execute(pool).await.unwrap();
    sqlx::query(
        "CREATE TABLE bench_plain_copy (project_id text NOT NULL, id text NOT NULL, trace_id text NOT NULL, parent_id text,
                                        name text NOT NULL, start_time timestamptz NOT NULL, end_time timestamptz,
                                        body text NOT NULL, PRIMARY KEY (project_id, id))",
    )
    .execute(pool)
    .await
    .unwrap();
    for index in [
        "CREATE INDEX ON bench_plain_copy (project_id, trace_id, start_time)",
        "CREATE INDEX ON bench_plain_copy (project_id, start_time DESC, id DESC)",
        "CREATE INDEX ON bench_plain_copy (project_id, name, start_time)",
    ] {
        sqlx::query(index).execute(pool).await.unwrap();
    }
    let source: String = source.chars().filter(|c| !matches!(c, '\\' | '\t' | '\n' | '\r')).collect();
    let hex = |bytes: Vec<u8>| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut text = String::with_capacity(rows * (target + 64));
    for i in 0..rows {
        let trace = (i / SPANS_PER_TRACE) as u64;
        let head = format!(
            "{project_id}\t{}\t{}\t{}\tstep-{}\t2026-11-26T10:00:{:02}Z\t2026-11-26T10:00:{:02}Z\t",
            hex(hex_id(u64::MAX / 2 + i as u64, 8)),
            hex(hex_id(u64::MAX / 3 + trace, 16)),
            hex(hex_id(u64::MAX / 2 + trace * 10, 8)),
            i % SPANS_PER_TRACE,
            i % 60,
            (i + 1) % 60,
        );
        text.push_str(&head);
        // The body fills the row up to a stored span's size (at least one character).
        let mut room = target.saturating_sub(head.len() + 1).max(1);
        while room > 0 {
            let piece: String = source.chars().take(room).collect();
            if piece.is_empty() {
                break;
            }
            room -= piece.len().min(room);
            text.push_str(&piece);
        }
        text.push('\n');
    }
    let seconds = timed_copy(pool, "COPY bench_plain_copy (project_id, id, trace_id, parent_id, name, start_time, end_time, body) FROM STDIN", &text).await;
    sqlx::query("DROP TABLE bench_plain_copy").execute(pool).await.unwrap();
    let rate = rows as f64 / seconds;
    println!(
        "plain COPY of {rows} rows ({} B/row of text, {size} {target} B) into a table with a primary key and 3 btree indexes: {rate:.0} rows/s",
        text.len() / rows
    );
    rate
}

/// Seconds one `COPY … FROM STDIN` of `text` takes on its own connection.
async fn timed_copy(pool: &sqlx::PgPool, statement: &str, text: &str) -> f64 {
    let mut connection = pool.acquire().await.unwrap();
    let started = Instant::now();
    let mut copy = connection.copy_in_raw(statement).await.unwrap();
    copy.send(text.as_bytes()).await.unwrap();
    copy.finish().await.unwrap();
    started.elapsed().as_secs_f64()
}

async fn wal_lsn(pool: &sqlx::PgPool) -> String {
    sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(pool).await.unwrap()
}

/// The postmaster: the parent of a backend (same machine: the bench runs beside Loupe).
async fn postmaster_pid(pool: &sqlx::PgPool) -> Option<u32> {
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(pool).await.ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{backend}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()
}

/// `utime + stime` of a process (all its threads), plus — with `tree` — the reaped children's
/// (`cutime + cstime`) and every live child's own, recursively: Postgres's backends are the
/// postmaster's children, and an exited one's time moves into the postmaster's `cutime`.
fn cpu_ticks(pid: u32, tree: bool) -> i64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    let Some((_, fields)) = stat.rsplit_once(") ") else { return 0 };
    let fields: Vec<i64> = fields.split(' ').map(|f| f.parse().unwrap_or(0)).collect();
    // After the command: state, ppid, … field 14 of the file (utime) is index 11 here.
    let mut ticks = fields[11] + fields[12];
    if tree {
        ticks += fields[13] + fields[14];
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten();
        for task in tasks {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                ticks += cpu_ticks(child, true);
            }
        }
    }
    ticks
}

/// The machine's CPU time by kind, from the first line of `/proc/stat` (all cores, in ticks).
#[derive(Clone, Copy)]
struct MachineTicks {
    total: i64,
    busy: i64,
    idle: i64,
    iowait: i64,
}

impl MachineTicks {
    fn since(self, before: MachineTicks) -> MachineTicks {
        MachineTicks {
            total: self.total - before.total,
            busy: self.busy - before.busy,
            idle: self.idle - before.idle,
            iowait: self.iowait - before.iowait,
        }
    }
}

fn machine_ticks() -> Option<MachineTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is also
    // counted in user, so the first eight make the total).
    let fields: Vec<i64> = stat.lines().next()?.split_whitespace().skip(1).take(8).filter_map(|f| f.parse().ok()).collect();
    if fields.len() < 8 {
        return None;
    }
    let total: i64 = fields.iter().sum();
    let (idle, iowait) = (fields[3], fields[4]);
    Some(MachineTicks { total, busy: total - idle - iowait, idle, iowait })
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
