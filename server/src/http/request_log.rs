//! One log line per request: method, path, status and duration. Static assets log at debug so
//! page loads do not drown the API traffic.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if path.starts_with("/pkg/") {
        tracing::debug!(target: "loupe::request", %method, %path, status, duration_ms, "request");
    } else if response.status().is_server_error() {
        tracing::error!(target: "loupe::request", %method, %path, status, duration_ms, "request");
    } else {
        tracing::info!(target: "loupe::request", %method, %path, status, duration_ms, "request");
    }
    response
}
