//! The ingestion policy: how a write request (OTLP, batch, scores) gets in, in one place used by
//! the three handlers, with the plan's quota (issue #22).
//!
//! [`Admission::admit`], in order:
//! 0. **Quota.** A write that creates units, for an organization that has used its plan's
//!    included units this month on a plan that refuses past them, gets 429 naming the plan, the
//!    limit and the usage, with `Retry-After` until the month ends — before its body is read
//!    (`loupe_core::limits::check_ingestion`, cached per process; the units themselves are counted
//!    in the ingestion transaction, `loupe_core::ingest::metering`).
//! 1. **Per-tenant limits.** A project may have `per_project` requests in progress (body arriving
//!    included) and a quarter of the body bytes in flight (at least one largest body); requests
//!    authenticated by a public key alone — which browsers carry, so anyone may hold one — get a
//!    quarter of their project's request share under that key. Past either: 429 with
//!    `Retry-After`. So one tenant, or one leaked public key, cannot take what the others need.
//! 2. **Bounded body read.** A `Content-Length` over the route's limit is refused before anything
//!    is read (413 JSON naming the limit). The body's bytes are reserved in a byte-weighted
//!    semaphore (up front when the length is known, else as chunks arrive): when the process
//!    already holds its budget of bodies, 503 with `Retry-After`. The whole body must arrive
//!    within `body_timeout`, else 408 JSON: a client trickling bytes holds only its own
//!    project's share, for a bounded time.
//! 3. **In-flight slot**, taken only once the body is here (429 when all are taken).
//!
//! The handler then parses, and [`Admitted::store`] takes a database writer slot (503 after
//! `writer_wait`), stores, and releases it; everything else is released when the [`Admitted`]
//! is dropped with the response.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::sync::{Semaphore, SemaphorePermit};

use loupe_core::scope::ProjectId;
use sqlx::PgPool;

use super::auth::{AccessLevel, ProjectKey, ScoreAccess};
use super::error::ApiError;
use super::PublicState;
use crate::ingest;

/// Which write route a body is for (each has its body limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Otel,
    /// OTLP with a `Content-Encoding`: its bytes weigh [`GZIP_WEIGHT`] times as much in the
    /// budget, since the decoded export is what takes the memory.
    OtelCompressed,
    /// `/ingestion` and `/scores`.
    Batch,
    /// The bytes of a media attachment, to its signed upload URL (at most `media::MAX_BYTES`,
    /// which stays within one project's share of the budget).
    Media,
}

/// Who sends: the project, and the public key when it authenticated alone.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub project_id: String,
    pub public_key_only: Option<String>,
    /// The project whose organization's quota applies: writes that create units (traces,
    /// observations, scores); `None` for the media upload's bytes.
    pub metered: Option<ProjectId>,
}

impl From<&ProjectKey> for Tenant {
    fn from(key: &ProjectKey) -> Self {
        Tenant { project_id: key.project_id.to_string(), public_key_only: None, metered: Some(key.project_id.clone()) }
    }
}

impl From<&ScoreAccess> for Tenant {
    fn from(access: &ScoreAccess) -> Self {
        Tenant {
            project_id: access.key.project_id.to_string(),
            public_key_only: (access.level == AccessLevel::Scores).then(|| access.key.api_key_id.clone()),
            metered: Some(access.key.project_id.clone()),
        }
    }
}

/// A plan limit as the public API answers it: 429 for units (with `Retry-After` until the period
/// ends; SDKs retry later), 405 for annotation queues (Langfuse's status for its Hobby queue
/// limit), 403 for members. The message names the plan, the limit and the usage; `error` carries
/// them as data for scripts.
pub fn limit_error(error: loupe_core::limits::LimitError) -> ApiError {
    use loupe_core::limits::{Limit, LimitError};
    let reached = match error {
        LimitError::Store(error) => return error.into(),
        LimitError::Reached(reached) => reached,
    };
    let (status, name) = match reached.limit {
        Limit::Units => (StatusCode::TOO_MANY_REQUESTS, "UsageLimitExceeded"),
        Limit::AnnotationQueues => (StatusCode::METHOD_NOT_ALLOWED, "AnnotationQueueLimitExceeded"),
        Limit::Members => (StatusCode::FORBIDDEN, "MemberLimitExceeded"),
    };
    ApiError {
        status,
        message: reached.to_string(),
        error: serde_json::json!({
            "name": name,
            "plan": reached.plan_id,
            "planName": reached.plan_name,
            "limit": reached.allowed,
            "used": reached.used,
        }),
        retry_after: reached.retry_after(chrono::Utc::now()).map(|s| s as u64),
    }
}

/// The numbers of the policy (from `config::Limits`).
#[derive(Debug, Clone)]
pub struct Policy {
    pub max_requests: usize,
    pub per_project: usize,
    pub max_bytes_in_flight: usize,
    pub body_timeout: Duration,
    pub otel_max_body: usize,
    pub batch_max_body: usize,
    pub max_writers: usize,
    pub writer_wait: Duration,
    /// Transactions one project's ingestion may have going at once; requests arriving while
    /// they are all busy are written together by the next (`ingest::combine`).
    pub writers_per_project: usize,
}

impl From<&crate::config::Limits> for Policy {
    fn from(limits: &crate::config::Limits) -> Self {
        Policy {
            max_requests: limits.ingest_max_requests,
            per_project: limits.ingest_max_requests_per_project,
            max_bytes_in_flight: limits.ingest_max_bytes_in_flight,
            body_timeout: limits.body_timeout,
            otel_max_body: limits.otel_max_body,
            batch_max_body: limits.batch_max_body,
            // Each writer on a connection the writers keep out of the pool (`ingest::combine`),
            // so their number is the connection budget's share for them (16 by default).
            max_writers: limits.database().writers,
            writer_wait: Duration::from_secs(10),
            writers_per_project: limits.ingest_writers_per_project,
        }
    }
}

/// Bytes are counted in KiB so that the semaphore's `u32` permits cover up to 4 TiB.
const UNIT: usize = 1024;

fn units(bytes: usize) -> usize {
    bytes.div_ceil(UNIT)
}

/// A body without a known length reserves in steps of this many bytes.
const STEP: usize = 256 * 1024;

/// How much a compressed OTLP byte weighs: the export is decoded in memory (up to
/// `otel::MAX_DECODED_BYTES`), and OTLP compresses about 5–10× (28× for repetitive spans).
const GZIP_WEIGHT: usize = 8;
use crate::ingest::otel::MAX_DECODED_BYTES;

#[derive(Default)]
struct Usage {
    requests: usize,
    bytes: usize,
}

pub struct Admission {
    policy: Policy,
    in_flight: Semaphore,
    writers: Semaphore,
    /// Each project's write queue (step 4).
    combiner: Arc<ingest::combine::Combiner>,
    /// Body bytes held, in [`UNIT`]s.
    bytes: Semaphore,
    /// Per project (`p:<id>`) and per lone public key (`k:<id>`): requests and bytes held.
    tenants: Mutex<HashMap<String, Usage>>,
    /// The database the quota is read from (step 0); `None` leaves it out (the policy's tests).
    quota: Option<PgPool>,
}

impl Admission {
    pub fn new(policy: Policy) -> Self {
        Admission {
            in_flight: Semaphore::new(policy.max_requests),
            writers: Semaphore::new(policy.max_writers),
            combiner: ingest::combine::Combiner::new(policy.writers_per_project, policy.max_writers),
            bytes: Semaphore::new(units(policy.max_bytes_in_flight)),
            tenants: Mutex::new(HashMap::new()),
            quota: None,
            policy,
        }
    }

    /// With step 0: plans' quotas read from `pool`.
    pub fn with_quota(mut self, pool: PgPool) -> Self {
        self.quota = Some(pool);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn tenants(&self) -> std::sync::MutexGuard<'_, HashMap<String, Usage>> {
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most one request may reserve: its body, compressed OTLP weighed up to its decoded
    /// size, never more than the whole budget (so a largest request always fits when alone).
    fn ceiling(&self, limit: usize, weight: usize) -> usize {
        let decoded = if weight > 1 { MAX_DECODED_BYTES.min(limit.saturating_mul(weight)) } else { 0 };
        limit.max(decoded).min(self.policy.max_bytes_in_flight)
    }

    /// The body bytes one project may hold: a quarter of the budget, at least one largest request.
    fn project_bytes(&self) -> usize {
        let largest = self.ceiling(self.policy.otel_max_body, GZIP_WEIGHT).max(self.ceiling(self.policy.batch_max_body, 1));
        (self.policy.max_bytes_in_flight / 4).max(largest)
    }

    /// Steps 1–3 of the policy (module docs): the body, and what holds its place until the
    /// response is built.
    pub async fn admit(&self, tenant: impl Into<Tenant>, body: Body, route: Route) -> Result<(Admitted<'_>, Bytes), ApiError> {
        let mut body = body;
        match self.admit_body(tenant.into(), &mut body, route).await {
            Ok(admitted) => Ok(admitted),
            Err((error, unread)) => {
                if unread {
                    drain(&mut body).await;
                }
                Err(error)
            }
        }
    }

    /// [`Self::admit`] itself; on refusal, whether the body is still there to be drained.
    async fn admit_body(&self, tenant: Tenant, body: &mut Body, route: Route) -> Result<(Admitted<'_>, Bytes), (ApiError, bool)> {
        if let (Some(pool), Some(project_id)) = (&self.quota, &tenant.metered) {
            loupe_core::limits::check_ingestion(pool, project_id).await.map_err(|error| (limit_error(error), true))?;
        }
        let compressed = matches!(route, Route::OtelCompressed);
        let mut keys = vec![(format!("p:{}", tenant.project_id), self.policy.per_project)];
        if let Some(key_id) = &tenant.public_key_only {
            keys.push((format!("k:{key_id}"), self.policy.per_project.div_ceil(4)));
        }
        {
            let mut tenants = self.tenants();
            if let Some((_, limit)) = keys.iter().find(|(key, limit)| tenants.get(key).is_some_and(|u| u.requests >= *limit)) {
                let message = format!("this project already has {limit} ingestion requests in progress; retry after the delay in Retry-After");
                return Err((ApiError::too_many_requests(message, 1), true));
            }
            for (key, _) in &keys {
                tenants.entry(key.clone()).or_default().requests += 1;
            }
        }
        let mut admitted = Admitted { admission: self, keys: keys.into_iter().map(|(key, _)| key).collect(), bytes: 0, byte_permits: None, slot: None };

        let limit = match route {
            Route::Otel | Route::OtelCompressed => self.policy.otel_max_body,
            Route::Batch => self.policy.batch_max_body,
            Route::Media => crate::media::MAX_BYTES as usize,
        };
        let known_length = axum::body::HttpBody::size_hint(&*body).exact().and_then(|n| usize::try_from(n).ok());
        if known_length.is_some_and(|length| length > limit) {
            return Err((ApiError::payload_too_large(limit), true));
        }
        let weight = if compressed { GZIP_WEIGHT } else { 1 };
        let ceiling = self.ceiling(limit, weight);
        if let Some(length) = known_length {
            admitted.reserve(length.saturating_mul(weight).min(ceiling)).map_err(|error| (error, true))?;
        }
        let read = read_body(body, limit, known_length, (weight, ceiling), &mut admitted);
        let bytes = match tokio::time::timeout(self.policy.body_timeout, read).await {
            // A body refused midway is drained too, so its client reads the answer.
            Ok(read) => read.map_err(|error| (error, true))?,
            Err(_) => {
                return Err((ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "RequestTimeoutError",
                    format!(
                        "the request body did not arrive within {} s; send smaller batches or check the connection",
                        self.policy.body_timeout.as_secs()
                    ),
                ), false))
            }
        };
        admitted.slot = Some(self.in_flight.try_acquire().map_err(|_| {
            (ApiError::too_many_requests("Too many ingestion requests in flight; retry after the delay in Retry-After", 1), false)
        })?);
        Ok((admitted, bytes))
    }
}

/// Reads and discards what is left of a refused body — bounded in bytes and time, holding no
/// share or budget — so that the client, which reads the answer only once it has sent its
/// body, gets the 413/429/503 rather than a connection reset.
async fn drain(body: &mut Body) {
    const MAX_DRAIN: usize = 64 * 1024 * 1024;
    let discard = async {
        let mut drained = 0;
        while let Some(Ok(frame)) = body.frame().await {
            drained += frame.data_ref().map_or(0, |data| data.len());
            if drained > MAX_DRAIN {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), discard).await;
}

/// Reads the body up to `limit` bytes, growing the reservation as it arrives: each byte weighs
/// `weight`, the reservation stays under `ceiling`.
async fn read_body(
    body: &mut Body,
    limit: usize,
    known_length: Option<usize>,
    (weight, ceiling): (usize, usize),
    admitted: &mut Admitted<'_>,
) -> Result<Bytes, ApiError> {
    let mut buffer = BytesMut::with_capacity(known_length.unwrap_or(0).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| ApiError::invalid(format!("could not read the request body: {error}")))?;
        let Ok(data) = frame.into_data() else { continue };
        let total = buffer.len() + data.len();
        if total > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        let weighed = total.saturating_mul(weight).min(ceiling);
        if weighed > admitted.bytes {
            admitted.reserve((weighed + STEP).min(ceiling))?;
        }
        buffer.extend_from_slice(&data);
    }
    Ok(buffer.freeze())
}

/// An admitted write request: holds its tenant counts, body bytes and in-flight slot until
/// dropped.
pub struct Admitted<'a> {
    admission: &'a Admission,
    keys: Vec<String>,
    /// Bytes reserved so far (tenant and global).
    bytes: usize,
    byte_permits: Option<SemaphorePermit<'a>>,
    slot: Option<SemaphorePermit<'a>>,
}

impl<'a> Admitted<'a> {
    /// Grows the reservation to `total` bytes: 429 past the project's share, 503 past the
    /// process's budget.
    fn reserve(&mut self, total: usize) -> Result<(), ApiError> {
        if total <= self.bytes {
            return Ok(());
        }
        let extra = total - self.bytes;
        let project_share = self.admission.project_bytes();
        {
            let mut tenants = self.admission.tenants();
            let project = tenants.entry(self.keys[0].clone()).or_default();
            if project.bytes + extra > project_share {
                return Err(ApiError::too_many_requests(
                    format!("this project already has {} bytes of request bodies in flight (its share is {project_share}); retry after the delay in Retry-After", project.bytes),
                    1,
                ));
            }
            project.bytes += extra;
        }
        let more = units(total) - units(self.bytes);
        let permit = match u32::try_from(more).ok().and_then(|n| self.admission.bytes.try_acquire_many(n).ok()) {
            Some(permit) => permit,
            None => {
                let mut tenants = self.admission.tenants();
                if let Some(project) = tenants.get_mut(&self.keys[0]) {
                    project.bytes -= extra;
                }
                return Err(ApiError::unavailable(
                    "Loupe holds as many request bodies as it may right now; retry after the delay in Retry-After",
                    2,
                ));
            }
        };
        match &mut self.byte_permits {
            Some(held) => held.merge(permit),
            None => self.byte_permits = Some(permit),
        }
        self.bytes = total;
        Ok(())
    }

    /// Step 4: a database writer slot (503 when none frees up in time), the store, the release.
    /// What the database refused unit by unit is in `Stored::unstored` (see `ingest::store`).
    pub async fn store(&self, state: &PublicState, key: &ProjectKey, batch: ingest::model::IngestBatch) -> Result<ingest::Stored, ApiError> {
        let fallback = batch.clone();
        self.store_or_again(state, key, batch, || async move { Some(fallback) }).await
    }

    /// [`Admitted::store`] for a caller that can make the batch again should the first attempt
    /// fail (`ingest::store_or_again`), instead of copying it ahead of every write.
    ///
    /// The request's key is checked in the write's own transaction (`writer::lock_project`), so
    /// a key revoked or a project deleted since the credentials were verified stores nothing and
    /// answers 401, as the key's check before the write would have ([`super::auth::IngestAccess`]
    /// leaves that check to this write). A batch with nothing to write has no transaction: its
    /// key is checked on its own.
    pub async fn store_or_again<F, Fut>(
        &self,
        state: &PublicState,
        key: &ProjectKey,
        batch: ingest::model::IngestBatch,
        again: F,
    ) -> Result<ingest::Stored, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<ingest::model::IngestBatch>>,
    {
        if batch.is_empty() {
            super::auth::require_live(state, key).await?;
        }
        let permit = match tokio::time::timeout(self.admission.policy.writer_wait, self.admission.writers.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                return Err(ApiError::unavailable(
                    "Loupe cannot keep up with ingestion right now; retry after the delay in Retry-After",
                    2,
                ))
            }
        };
        let project_id = &key.project_id;
        let stored = ingest::store_combined(Some(&self.admission.combiner), &state.pool, &state.pricing, project_id, Some(&key.api_key_id), batch, again).await;
        drop(permit);
        let stored = match stored {
            Ok(stored) => stored,
            // The write's lock refused: the key or its project is gone.
            Err(error) if loupe_core::store::fault::fault(&error) == loupe_core::store::fault::Fault::Gone => {
                return Err(super::auth::revoked(state, key));
            }
            Err(error) => return Err(error.into()),
        };
        let created = &stored.summary;
        let units = created.traces_created + created.observations_created + created.scores_created;
        loupe_core::limits::note_units(&state.pool, project_id, units as i64);
        Ok(stored)
    }
}

impl std::fmt::Debug for Admitted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted").field("tenants", &self.keys).field("bytes", &self.bytes).finish()
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let mut tenants = self.admission.tenants();
        for (index, key) in self.keys.iter().enumerate() {
            let empty = match tenants.get_mut(key) {
                Some(usage) => {
                    usage.requests = usage.requests.saturating_sub(1);
                    if index == 0 {
                        usage.bytes = usage.bytes.saturating_sub(self.bytes);
                    }
                    usage.requests == 0 && usage.bytes == 0
                }
                None => false,
            };
            if empty {
                tenants.remove(key);
            }
        }
    }
}

/// Only for tests and in-process use: the shared ingestion numbers Loupe starts with.
impl Default for Admission {
    fn default() -> Self {
        Admission::new((&crate::config::Limits::default()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    fn policy() -> Policy {
        Policy {
            max_requests: 2,
            per_project: 2,
            max_bytes_in_flight: 64 * 1024,
            body_timeout: Duration::from_millis(200),
            otel_max_body: 16 * 1024,
            batch_max_body: 8 * 1024,
            max_writers: 1,
            writer_wait: Duration::from_millis(20),
            writers_per_project: 2,
        }
    }

    fn tenant(project: &str) -> Tenant {
        Tenant { project_id: project.into(), public_key_only: None, metered: None }
    }

    #[tokio::test]
    async fn tenants_slots_and_bytes_are_limited_and_released() {
        let admission = Admission::new(policy());
        let (first, body) = admission.admit(tenant("a"), Body::from(vec![1u8; 100]), Route::Batch).await.unwrap();
        assert_eq!(body.len(), 100);
        let (second, _) = admission.admit(tenant("a"), Body::from("x"), Route::Batch).await.unwrap();
        // Project a has its two requests; b is refused only because the two global slots are
        // taken after the body arrived.
        let refused = admission.admit(tenant("a"), Body::from("x"), Route::Batch).await.unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "1");
        let refused = admission.admit(tenant("b"), Body::from("x"), Route::Batch).await.unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        drop(first);
        drop(second);
        assert!(admission.tenants().is_empty(), "every count is released");
        assert_eq!(admission.bytes.available_permits(), units(64 * 1024));

        let too_big = admission.admit(tenant("a"), Body::from(vec![0u8; 8 * 1024 + 1]), Route::Batch).await.unwrap_err();
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(too_big.message.contains("8192"), "{}", too_big.message);
        assert!(admission.admit(tenant("a"), Body::from(vec![0u8; 16 * 1024]), Route::Otel).await.is_ok());
        assert!(admission.tenants().is_empty());
    }

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_408_and_releases_its_share() {
        let admission = Admission::new(policy());
        let (_tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let stalled = Body::from_stream(tokio_stream_from(rx));
        let error = admission.admit(tenant("a"), stalled, Route::Batch).await.unwrap_err();
        assert_eq!(error.status, StatusCode::REQUEST_TIMEOUT);
        assert!(admission.tenants().is_empty());
    }

    #[tokio::test]
    async fn the_writer_slot_is_bounded() {
        let admission = Admission::new(policy());
        let held = admission.writers.acquire().await.unwrap();
        let wait = tokio::time::timeout(admission.policy.writer_wait, admission.writers.acquire()).await;
        assert!(wait.is_err(), "no second writer while one is held");
        drop(held);
        assert!(admission.writers.try_acquire().is_ok());
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
