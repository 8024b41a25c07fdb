//! Backpressure for the write routes. A write request first takes an in-flight slot (refused at
//! once with 429 when all are taken, so request bodies are never buffered without bound), reads
//! its body, then waits a bounded time for a database writer slot (503 with `Retry-After` when the
//! database cannot keep up). The SDKs retry both after the delay.

use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

use super::error::ApiError;

pub struct Admission {
    in_flight: std::sync::Arc<Semaphore>,
    writers: Semaphore,
    writer_wait: Duration,
}

impl Admission {
    pub fn new(max_in_flight: usize, max_writers: usize, writer_wait: Duration) -> Self {
        Admission {
            in_flight: std::sync::Arc::new(Semaphore::new(max_in_flight)),
            writers: Semaphore::new(max_writers),
            writer_wait,
        }
    }

    /// A slot for one write request, held until its response is built.
    pub fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.in_flight.clone().try_acquire_owned().map_err(|_| {
            ApiError::too_many_requests("Too many ingestion requests in flight; retry after the delay in Retry-After", 1)
        })
    }

    /// A database writer slot, or 503 when none frees up in time.
    pub async fn writer(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(self.writer_wait, self.writers.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::unavailable("Loupe cannot keep up with ingestion right now; retry after the delay in Retry-After", 2)),
        }
    }
}

impl Default for Admission {
    fn default() -> Self {
        // 16 writers stay below the pool's 20 connections so reads still get through.
        Admission::new(256, 16, Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    #[tokio::test]
    async fn full_slots_answer_429_and_503_with_retry_after() {
        let admission = Admission::new(1, 1, Duration::from_millis(20));
        let slot = admission.enter().unwrap();
        let refused = admission.enter().unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "1");
        drop(slot);
        assert!(admission.enter().is_ok(), "a freed slot is reusable");

        let writer = admission.writer().await.unwrap();
        let busy = admission.writer().await.unwrap_err().into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()["retry-after"], "2");
        drop(writer);
        assert!(admission.writer().await.is_ok());
    }
}
