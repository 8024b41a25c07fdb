//! Playground benchmark (#18), run by `scripts/bench-playground` against a release `loupe` and
//! the fake provider (testkit/fake-llm):
//!
//! 1. Time to first token: the same chat request streamed straight from the fake provider and
//!    through Loupe's playground (session cookie, connection lookup, key opened, `genai`, SSE),
//!    alternating one and the other `--rounds` times; p50 and p99 of each, and of the overhead.
//! 2. Memory with `--streams` concurrent runs of a slow model (a word every 250 ms): the server's
//!    RSS before, at its peak (VmHWM is process-wide, so the peak is sampled while they run) and
//!    after.
//!
//! Usage: bench_playground --url http://127.0.0.1:3874 --fake http://127.0.0.1:3875/v1 --pid PID
//!        [--rounds 300] [--streams 100]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Args {
    url: String,
    fake: String,
    pid: Option<u32>,
    rounds: usize,
    streams: usize,
}

fn args() -> Args {
    let mut args = Args { url: String::new(), fake: String::new(), pid: None, rounds: 300, streams: 100 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value(),
            "--fake" => args.fake = value(),
            "--pid" => args.pid = Some(value().parse().expect("--pid: a number")),
            "--rounds" => args.rounds = value().parse().expect("--rounds: a number"),
            "--streams" => args.streams = value().parse().expect("--streams: a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.url.is_empty() && !args.fake.is_empty(), "--url and --fake are required");
    args
}

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Reads a streamed response until `found` says a chunk holds the first token; the time it took.
async fn first_token(mut response: reqwest::Response, started: Instant, found: impl Fn(&str) -> bool) -> Duration {
    let mut seen = String::new();
    while let Some(chunk) = response.chunk().await.expect("the stream reads") {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if found(&seen) {
            return started.elapsed();
        }
    }
    panic!("no token in: {seen}");
}

#[tokio::main]
async fn main() {
    let args = args();
    let client = reqwest::Client::builder().pool_max_idle_per_host(200).build().unwrap();
    let auth = format!("Basic {}", base64_pair("pk-lf-bench", "sk-lf-bench"));
    let created = client
        .put(format!("{}/api/public/llm-connections", args.url))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(json!({"provider": "fake", "adapter": "openai", "secretKey": "sk-bench", "baseURL": args.fake}).to_string())
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.text().await.unwrap());
    let signed_in = client
        .post(format!("{}/api/ui/sign_in", args.url))
        .header("origin", &args.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=bench%40loupe.test&password=bench-password-123")
        .send()
        .await
        .unwrap();
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("loupe_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a session cookie");

    let messages = json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the benchmark"}]);
    let direct_body = json!({"model": "gpt-4o", "messages": messages, "stream": true});
    let run_body = |model: &str| json!({"mode": "chat", "messages": messages, "variant": {"connection": "fake", "model": model}});
    let run = |body: Value| {
        client
            .post(format!("{}/api/playground/projects/bench/runs", args.url))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };

    // 1. Time to first token, direct and through Loupe, alternating.
    let (mut direct, mut loupe) = (Vec::new(), Vec::new());
    for round in 0..args.rounds + 20 {
        let started = Instant::now();
        let response = client.post(format!("{}/chat/completions", args.fake)).header("content-type", "application/json").body(direct_body.to_string()).send().await.unwrap();
        let d = first_token(response, started, |s| s.contains("\"content\":\"Echo")).await;
        let started = Instant::now();
        let response = run(run_body("gpt-4o")).await.unwrap();
        assert_eq!(response.status(), 200);
        let l = first_token(response, started, |s| s.contains("\"type\":\"delta\"")).await;
        // The first rounds warm connections and caches.
        if round >= 20 {
            direct.push(d.as_secs_f64() * 1000.0);
            loupe.push(l.as_secs_f64() * 1000.0);
        }
    }
    let overhead: Vec<f64> = {
        let mut o: Vec<f64> = loupe.iter().zip(&direct).map(|(l, d)| l - d).collect();
        o.sort_by(f64::total_cmp);
        o
    };
    direct.sort_by(f64::total_cmp);
    loupe.sort_by(f64::total_cmp);
    println!("time to first token over {} rounds (ms):", args.rounds);
    println!("  direct to the fake provider  p50 {:.2}  p99 {:.2}", percentile(&direct, 0.5), percentile(&direct, 0.99));
    println!("  through Loupe's playground   p50 {:.2}  p99 {:.2}", percentile(&loupe, 0.5), percentile(&loupe, 0.99));
    println!("  overhead (paired)            p50 {:.2}  p99 {:.2}", percentile(&overhead, 0.5), percentile(&overhead, 0.99));

    // 2. Memory with many concurrent streams.
    let before = rss_kib(args.pid);
    let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
    let slow = json!({"mode": "chat", "messages": [{"role": "user", "content": words.join(" ")}], "variant": {"connection": "fake", "model": "slow"}});
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.streams {
        let response = run(slow.clone());
        tasks.push(tokio::spawn(async move {
            let mut response = response.await.unwrap();
            let mut text = String::new();
            while let Some(chunk) = response.chunk().await.unwrap() {
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
            text.contains("\"type\":\"done\"")
        }));
    }
    // The peak is sampled while the streams run (VmHWM would include the first part).
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (pid, running) = (args.pid, running.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        })
    };
    let mut done = 0;
    for task in tasks {
        done += task.await.unwrap() as usize;
    }
    let elapsed = started.elapsed();
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(args.pid);
    println!("{} concurrent slow streams (40 words, 250 ms apart): {done} completed in {:.1} s", args.streams, elapsed.as_secs_f64());
    if let (Some(before), Some(after)) = (before, after) {
        let mib = |k: u64| k as f64 / 1024.0;
        println!("  server RSS: before {:.1} MiB, peak {:.1} MiB, 2 s after {:.1} MiB", mib(before), mib(peak), mib(after));
        println!("  per stream at the peak: {:.0} KiB", (peak.saturating_sub(before)) as f64 / args.streams as f64);
    }
}

fn base64_pair(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
