//! What the benchmark examples share: percentiles as they are reported in docs/BENCHMARKS.md,
//! and the database of a running Loupe (its embedded Postgres). Included with
//! `#[path = "support/bench.rs"] mod bench;` (Cargo builds only `examples/*.rs` as examples).

use std::path::Path;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The value at quantile `p` of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// "p50 … p95 … p99 … max … (n=…)", sorting `values`.
pub fn summary(values: &mut [f64]) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}  (n={})",
        percentile(values, 0.5),
        percentile(values, 0.95),
        percentile(values, 0.99),
        values.last().copied().unwrap_or(f64::NAN),
        values.len()
    )
}

/// The database of the running Loupe, through the socket its Postgres reports in
/// `postmaster.pid` (line 5).
pub async fn database(data_dir: &Path, connections: u32) -> PgPool {
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).expect("the embedded Postgres's postmaster.pid");
    let socket_dir = pid_file.lines().nth(4).expect("socket directory in postmaster.pid");
    let options = PgConnectOptions::new().socket(socket_dir).username("postgres").database("loupe");
    PgPoolOptions::new().max_connections(connections).connect_with(options).await.expect("the embedded Postgres")
}
