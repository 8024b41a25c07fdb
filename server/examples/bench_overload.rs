//! Overload benchmark (run by `scripts/bench-overload`, results in docs/BENCHMARKS.md).
//!
//! Two phases against a running `loupe`:
//! 1. **baseline**: the load of `scripts/bench-ingest` (8 connections, OTLP/protobuf exports of
//!    100 spans, gzip) for a few seconds: acknowledgements and their median latency;
//! 2. **burst**: `--clients` concurrent connections (default 80, ten times bench-ingest's) each
//!    sending `--rounds` large uncompressed bodies in turn, a mix of an OTLP/protobuf export near
//!    the default limit (12 MB), one far over it (40 MB; the limit before issue #13 was 64 MiB)
//!    and a 4 MB batch-ingestion JSON body. Every answer must be 2xx, 413, or 429/503 with
//!    `Retry-After`, with a body; anything else (500, empty 408, a dropped connection) is counted
//!    as bad.
//!
//! With `--pid` it reads the server's RSS from /proc: peak (VmHWM) and the RSS left `--settle`
//! seconds after the burst.
//!
//! Usage: bench_overload --url http://127.0.0.1:3000 [--public-key pk] [--secret-key sk]
//!        [--clients 80] [--rounds 3] [--baseline-seconds 10] [--pid PID] [--settle 15]
//!        bench_overload --single-spans N [--gzip]: time one export of N spans (how long the
//!        largest allowed body takes, to choose the limits)

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use flate2::write::GzEncoder;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::json;

struct Args {
    url: String,
    public_key: String,
    secret_key: String,
    clients: usize,
    rounds: usize,
    baseline_seconds: u64,
    pid: Option<u32>,
    settle: u64,
    /// Only time one export of this many spans (for choosing the body limit).
    single_spans: Option<usize>,
    gzip: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        public_key: "pk-lf-bench".into(),
        secret_key: "sk-lf-bench".into(),
        clients: 80,
        rounds: 3,
        baseline_seconds: 10,
        pid: None,
        settle: 15,
        single_spans: None,
        gzip: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value(),
            "--public-key" => args.public_key = value(),
            "--secret-key" => args.secret_key = value(),
            "--clients" => args.clients = value().parse().expect("--clients: a number"),
            "--rounds" => args.rounds = value().parse().expect("--rounds: a number"),
            "--baseline-seconds" => args.baseline_seconds = value().parse().expect("--baseline-seconds: a number"),
            "--pid" => args.pid = Some(value().parse().expect("--pid: a number")),
            "--settle" => args.settle = value().parse().expect("--settle: a number"),
            "--single-spans" => args.single_spans = Some(value().parse().expect("--single-spans: a number")),
            "--gzip" => args.gzip = true,
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }), ..Default::default() }
}

fn id(seed: u64, bytes: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect()
}

/// An OTLP export of `spans` spans (10 per trace) of about 1.4 KB each, as bench_ingest sends.
fn otlp(seed: u64, spans: usize) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let answer = format!("\"{}\"", "The customer reports that order 1234 arrived damaged and asks for a replacement. ".repeat(10));
    let spans = (0..spans as u64)
        .map(|i| {
            let trace = seed * 1_000_000 + i / 10;
            Span {
                trace_id: id(trace, 16),
                span_id: id(seed * 1_000_000_000 + i + 1, 8),
                parent_span_id: if i % 10 == 0 { vec![] } else { id(seed * 1_000_000_000 + (i / 10) * 10 + 1, 8) },
                name: format!("step-{}", i % 10),
                start_time_unix_nano: now,
                end_time_unix_nano: now + 1_500_000,
                attributes: vec![
                    kv("langfuse.observation.input", &format!("{{\"question\": \"ticket {i}\"}}")),
                    kv("langfuse.observation.output", &answer),
                    kv("langfuse.observation.metadata.step", &format!("\"step-{i}\"")),
                    kv("user.id", &format!("user-{}", i % 1000)),
                    kv("langfuse.trace.name", "overload"),
                ],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![kv("service.name", "bench-overload")], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// A batch-ingestion body of about `bytes` bytes (span-create events with 2 KB outputs).
fn batch(seed: u64, bytes: usize) -> Vec<u8> {
    let output = "x".repeat(2000);
    let events: Vec<_> = (0..bytes / 2300)
        .map(|i| {
            json!({
                "id": format!("e-{seed}-{i}"), "type": "span-create", "timestamp": "2026-12-01T00:00:00Z",
                "body": { "id": format!("s-{seed}-{i}"), "traceId": format!("t-{seed}-{}", i / 10), "name": "step",
                          "startTime": "2026-12-01T00:00:00Z", "output": output }
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "batch": events })).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<String, u64>,
    bad: Vec<String>,
    latencies: Vec<f64>,
}

impl Tally {
    fn record(&mut self, kind: &str, outcome: Result<(u16, bool, usize), String>, seconds: f64) {
        match outcome {
            Ok((status, retry_after, body_len)) => {
                *self.statuses.entry(format!("{kind} {status}")).or_default() += 1;
                let ok = match status {
                    200..=299 => true,
                    413 => body_len > 0,
                    429 | 503 => retry_after && body_len > 0,
                    _ => false,
                };
                if ok && (200..300).contains(&status) {
                    self.latencies.push(seconds);
                }
                if !ok {
                    self.bad.push(format!("{kind}: {status} (Retry-After: {retry_after}, body {body_len} B)"));
                }
            }
            Err(error) => {
                *self.statuses.entry(format!("{kind} error")).or_default() += 1;
                self.bad.push(format!("{kind}: {error}"));
            }
        }
    }
}

async fn send(client: &reqwest::Client, url: &str, auth: &str, content_type: &str, gzip: bool, body: Bytes) -> Result<(u16, bool, usize), String> {
    let mut request = client.post(url).header("authorization", auth).header("content-type", content_type).body(body);
    if gzip {
        request = request.header("content-encoding", "gzip");
    }
    let response = request.send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let body = response.bytes().await.map_err(|e| format!("body failed: {e}"))?;
    Ok((status, retry_after, body.len()))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        f64::NAN
    } else {
        values[values.len() / 2]
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", args.public_key, args.secret_key)));
    let base = args.url.trim_end_matches('/').to_string();
    let otel_url = format!("{base}/api/public/otel/v1/traces");
    let batch_url = format!("{base}/api/public/ingestion");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(150)).build().unwrap();
    let rss = |field| args.pid.and_then(|pid| rss_kib(pid, field));
    println!("server RSS at start: {}", mib(rss("VmRSS:")));
    if let Some(spans) = args.single_spans {
        let raw = otlp(99, spans);
        let body = if args.gzip { gzip(&raw) } else { raw.clone() };
        let sent = Instant::now();
        let outcome = send(&client, &otel_url, &auth, "application/x-protobuf", args.gzip, Bytes::from(body.clone())).await;
        println!(
            "one export of {spans} spans ({} bytes protobuf, {} bytes sent): {outcome:?} in {:.1} s; peak RSS {}",
            raw.len(),
            body.len(),
            sent.elapsed().as_secs_f64(),
            mib(rss("VmHWM:"))
        );
        return;
    }

    // Phase 1: bench-ingest's load, a new export (new ids) per request.
    let seeds = Arc::new(std::sync::atomic::AtomicU64::new(1_000));
    let baseline = Arc::new(Mutex::new(Tally::default()));
    let until = Instant::now() + Duration::from_secs(args.baseline_seconds);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, auth, seeds, tally) = (client.clone(), otel_url.clone(), auth.clone(), seeds.clone(), baseline.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let seed = seeds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let body = Bytes::from(tokio::task::spawn_blocking(move || gzip(&otlp(seed, 100))).await.unwrap());
                    let sent = Instant::now();
                    let outcome = send(&client, &url, &auth, "application/x-protobuf", true, body).await;
                    tally.lock().unwrap().record("otlp-100-spans", outcome, sent.elapsed().as_secs_f64());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let mut baseline = Arc::try_unwrap(baseline).ok().unwrap().into_inner().unwrap();
    println!(
        "baseline (8 connections, 100-span gzip exports, {} s): {:?}; ack median {:.0} ms; RSS {}",
        args.baseline_seconds,
        baseline.statuses,
        median(&mut baseline.latencies) * 1000.0,
        mib(rss("VmRSS:"))
    );

    // Phase 2: the burst.
    let bodies: Vec<(&str, String, &str, Bytes)> = vec![
        ("otlp-12MB", otel_url.clone(), "application/x-protobuf", Bytes::from(otlp(2, 11_000))),
        ("otlp-40MB", otel_url.clone(), "application/x-protobuf", Bytes::from(otlp(3, 37_000))),
        ("batch-4MB", batch_url.clone(), "application/json", Bytes::from(batch(4, 4_300_000))),
    ];
    for (kind, _, _, body) in &bodies {
        println!("body {kind}: {} bytes", body.len());
    }
    let bodies = Arc::new(bodies);
    let tally = Arc::new(Mutex::new(Tally::default()));
    // RSS sampled every 100 ms (VmHWM would include anything before the burst).
    let peak_sampler = {
        let pid = args.pid;
        tokio::spawn(async move {
            loop {
                if let Some(kib) = pid.and_then(|pid| rss_kib(pid, "VmRSS:")) {
                    PEAK.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let workers: Vec<_> = (0..args.clients)
        .map(|client_index| {
            let (client, auth, bodies, tally) = (client.clone(), auth.clone(), bodies.clone(), tally.clone());
            let rounds = args.rounds;
            tokio::spawn(async move {
                for round in 0..rounds {
                    let (kind, url, content_type, body) = &bodies[(client_index + round) % bodies.len()];
                    let sent = Instant::now();
                    let outcome = send(&client, url, &auth, content_type, false, body.clone()).await;
                    tally.lock().unwrap().record(kind, outcome, sent.elapsed().as_secs_f64());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let burst_seconds = started.elapsed().as_secs_f64();
    let sampled_peak = PEAK.load(std::sync::atomic::Ordering::Relaxed);
    peak_sampler.abort();
    let mut tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    println!("burst: {} clients x {} rounds in {burst_seconds:.1} s", args.clients, args.rounds);
    for (status, count) in &tally.statuses {
        println!("  {status}: {count}");
    }
    println!("  stored-request median latency: {:.1} s", median(&mut tally.latencies));
    println!("  peak RSS during the burst: {} (VmHWM {})", mib(Some(sampled_peak)), mib(rss("VmHWM:")));
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    println!("  idle RSS {} s after the burst: {}", args.settle, mib(rss("VmRSS:")));
    if tally.bad.is_empty() {
        println!("  every answer was 2xx, 413, or 429/503 with Retry-After");
    } else {
        println!("  BAD answers: {}", tally.bad.len());
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for bad in &tally.bad {
            *kinds.entry(bad.as_str()).or_default() += 1;
        }
        for (kind, count) in kinds {
            println!("    {count} x {kind}");
        }
    }
}

static PEAK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
