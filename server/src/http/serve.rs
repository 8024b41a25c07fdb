//! Serving connections with limits (axum's `serve` has none): hyper's HTTP/1 connection builder
//! per accepted socket (with hyper-util's tokio and tower adapters), plus
//!
//! - **a connection cap**: past `max_connections` a new connection is answered with a minimal
//!   `503` + `Retry-After` and closed, rather than left unaccepted: a client stuck in the
//!   kernel's accept queue only sees a hang (then a connect timeout), while a 503 tells an SDK to
//!   back off and retry. Refusals are themselves bounded (see [`MAX_REFUSALS_IN_PROGRESS`]).
//! - **a header read timeout**: once a client started sending a request, its headers must be
//!   complete within `header_timeout`;
//! - **an idle timeout**: a connection with no request in progress (a fresh connection sending
//!   nothing, or keep-alive between requests) is closed after `idle_timeout`. A request is in
//!   progress from its headers until its response body ends, so long-lived responses (live
//!   update streams) are never idle, and bodies that arrive slowly are bounded by the ingestion
//!   body deadline and the request timeout instead.
//!
//! hyper's own `header_read_timeout` is not used: its timer also runs while a keep-alive
//! connection waits for the next request, so it cannot tell idle from slow. Both timeouts are
//! decided here from what the connection's bytes and requests did ([`Activity`]).
//!
//! Graceful shutdown: on the stop signal the listener closes and every connection gets hyper's
//! graceful shutdown (finish the request in progress, then close); `run` waits for them.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// Connections being refused at once; past it a connection over the cap is closed without an
/// answer, so a flood cannot make refusals the new unbounded resource.
pub const MAX_REFUSALS_IN_PROGRESS: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl From<&crate::config::Limits> for ConnectionLimits {
    fn from(limits: &crate::config::Limits) -> Self {
        ConnectionLimits {
            max_connections: limits.max_connections,
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }
}

/// Why a connection was closed by the server (for the debug log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    HeaderTimeout,
    Idle,
}

/// What a connection is doing, updated by its I/O and its requests, read by its watchdog.
struct Activity {
    state: Mutex<ActivityState>,
}

struct ActivityState {
    /// Requests whose response has not ended.
    in_flight: usize,
    /// When the connection last became free of requests (or was accepted).
    idle_since: Instant,
    /// When the first byte of a next request arrived while no request was in progress.
    head_started: Option<Instant>,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            state: Mutex::new(ActivityState { in_flight: 0, idle_since: Instant::now(), head_started: None }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        // A poisoned lock only means a panic elsewhere; the counters are still meaningful.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bytes_read(&self) {
        let mut state = self.lock();
        if state.in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
        }
    }

    fn request_started(self: &Arc<Self>) -> RequestGuard {
        let mut state = self.lock();
        state.in_flight += 1;
        state.head_started = None;
        RequestGuard(self.clone())
    }

    /// What to do now: close for a reason, or check again after the returned delay.
    fn check(&self, limits: &ConnectionLimits) -> Result<Duration, Closed> {
        let state = self.lock();
        if state.in_flight > 0 {
            return Ok(limits.header_timeout.min(limits.idle_timeout));
        }
        let now = Instant::now();
        match state.head_started {
            Some(started) => match (started + limits.header_timeout).checked_duration_since(now) {
                Some(left) if !left.is_zero() => Ok(left),
                _ => Err(Closed::HeaderTimeout),
            },
            None => match (state.idle_since + limits.idle_timeout).checked_duration_since(now) {
                Some(left) if !left.is_zero() => Ok(left),
                _ => Err(Closed::Idle),
            },
        }
    }
}

/// Held by a request until its response body ends (or is dropped).
struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_started = None;
        }
    }
}

/// The socket, telling [`Activity`] when bytes arrive.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains: connections finish their
/// request in progress and close. Returns once every connection is closed, or when `grace`
/// has passed since the signal (the connections left are then dropped).
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_IN_PROGRESS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let open = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            if let Ok(refusal) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop_rx = stop_rx.clone();
        let open = open.clone();
        let done_tx = done_tx.clone();
        open.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            serve_connection(stream, remote, app, limits, stop_rx).await;
            drop(slot);
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = done_tx.send(());
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = async {
        while open.load(Ordering::SeqCst) > 0 {
            if done_rx.changed().await.is_err() {
                break;
            }
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("{} connections still open after {}s; closing them", open.load(Ordering::SeqCst), grace.as_secs());
    }
    Ok(())
}

/// Answers a connection past the cap: a minimal 503 with `Retry-After`, then close. The request
/// is not read; what the client sent is drained briefly so closing does not reset the
/// connection before the client reads the answer.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = r#"{"message":"Loupe has too many open connections; retry after the delay in Retry-After","error":"ServiceUnavailableError"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let exchange = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), exchange).await;
}

async fn serve_connection(
    stream: TcpStream,
    remote: std::net::SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stop_rx: watch::Receiver<bool>,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Tracked { stream, activity: activity.clone() });
    let service_activity = activity.clone();
    let service = tower::service_fn(move |mut request: Request<Incoming>| {
        let guard = service_activity.request_started();
        request.extensions_mut().insert(ConnectInfo(remote));
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::new)).await.unwrap_or_else(|never: Infallible| match never {});
            // The guard lives in the body: the request is in progress until the body ends.
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &guard;
                    frame
                }))
            }))
        }
    });
    // HTTP/1.1 only, as axum::serve without its http2 feature served before.
    let connection = http1::Builder::new().serve_connection(io, TowerToHyperService::new(service)).with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let watchdog = async {
        loop {
            match activity.check(&limits) {
                Ok(wait) => tokio::time::sleep(wait.max(Duration::from_millis(10))).await,
                Err(reason) => return reason,
            }
        }
    };
    let mut watchdog = std::pin::pin!(watchdog);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::trace!(%error, "connection ended with an error");
                }
                return;
            }
            reason = &mut watchdog => {
                // No request is in progress: dropping the connection closes the socket.
                tracing::debug!(?reason, %remote, "closing connection");
                return;
            }
            changed = stop_rx.changed(), if !stopping => {
                if changed.is_err() || *stop_rx.borrow() {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
