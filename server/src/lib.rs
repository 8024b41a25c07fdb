//! The Loupe server: configuration, the embedded Postgres, the database, headless
//! initialization and the HTTP surface, put together by [`run`].

pub mod bootstrap;
pub mod config;
pub mod data_dir;
pub mod database;
pub mod embedded_postgres;
pub mod http;
pub mod ingest;
/// The live-update hub (in `loupe-core`, so server functions can reach it too).
pub use loupe_core::live;
pub mod logging;
pub mod maintenance;
pub mod media;
/// Model prices and cost (in `loupe-core`).
pub use loupe_core::pricing;
pub mod shutdown;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use leptos::prelude::LeptosOptions;
use loupe_app::domain::system::DatabaseMode;
use loupe_app::state::{AppState, InstanceSettings};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;

use crate::config::{Config, ConfigError};
use crate::data_dir::{DataDir, DataDirError};
use crate::database::DatabaseError;
use crate::embedded_postgres::{EmbeddedPostgres, LaunchError, PostgresSettings};

/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything that can stop Loupe from starting, each with a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: port {} is already in use by another program; stop it or choose another address with --addr / LOUPE_ADDR", addr.port())]
    PortInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}; choose another address with --addr / LOUPE_ADDR")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    EmbeddedPostgres(#[from] LaunchError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("invalid DATABASE_URL: {0}")]
    DatabaseUrl(sqlx::Error),
    #[error(transparent)]
    Bootstrap(#[from] bootstrap::BootstrapError),
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error("the secrets at rest could not be prepared: {0}")]
    Secrets(#[from] loupe_core::secrets::RingError),
}

impl StartupError {
    /// 2 for configuration mistakes (like clap's usage errors), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartupError::Config(_) | StartupError::DatabaseUrl(_) => 2,
            _ => 1,
        }
    }
}

/// Binds the listen address first, so a port clash is reported before anything is started.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, StartupError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => StartupError::PortInUse { addr },
        _ => StartupError::Listen { addr, source },
    })?;
    listener.set_nonblocking(true).map_err(|source| StartupError::Listen { addr, source })?;
    Ok(listener)
}

/// Where the browser assets are: the configured directory, else `site/` beside the executable
/// (a deployed layout), else `../site` from it (cargo's `target/<profile>/loupe`).
pub fn resolve_site_root(configured: Option<&PathBuf>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.clone();
    }
    let exe_dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(PathBuf::from));
    if let Some(exe_dir) = exe_dir {
        for candidate in [exe_dir.join("site"), exe_dir.join("../site")] {
            if candidate.join("pkg").is_dir() {
                return candidate.canonicalize().unwrap_or(candidate);
            }
        }
    }
    PathBuf::from("target/site")
}

/// The Leptos options for the site at `site_root`. When the site build assembled the bundle in
/// a content-addressed directory (`pkg/<hash>/`, named by `pkg/hash.txt`; see `hash_site_assets`
/// in scripts/lib.sh) and it is complete, pages link the files there (`/pkg/<hash>/loupe.js`, …),
/// which [`http::assets`] serves as immutable; otherwise the plain `pkg/` (tests run without a
/// site). The directory is chosen at start: a rebuild under a running server keeps the older
/// directories (the newest three), so the pages it serves keep working until it restarts.
pub fn leptos_options(site_root: &std::path::Path, addr: SocketAddr) -> LeptosOptions {
    let pkg_dir = match http::assets::build_dir(site_root) {
        Some(hash) => format!("pkg/{hash}"),
        None => "pkg".to_string(),
    };
    LeptosOptions::builder()
        .output_name("loupe")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir(pkg_dir)
        .site_addr(addr)
        .build()
}

/// Starts Loupe and serves until a stop signal; then drains requests, closes the pool and stops
/// the embedded Postgres, in that order.
pub async fn run(config: Config) -> Result<(), StartupError> {
    config.validate()?;
    let listener = bind(config.addr)?;
    let data_dir = DataDir::open(&config.data_dir)?;
    let secret = data_dir.secret(config.secret.as_deref())?;
    let media = loupe_app::state::MediaSettings { dir: data_dir.media_dir(), secret, bucket: config.media_bucket.settings()? };

    let site_root = resolve_site_root(config.site_root.as_ref());
    if !site_root.join("pkg").join("loupe.js").is_file() {
        tracing::warn!(site_root = %site_root.display(), "browser assets not found: pages will render but not become interactive; build them with `scripts/build` or pass --site-root");
    }

    // The pool's share of the connection budget; the writers' and the listener's are outside it.
    let pooled = config.limits.database().pooled;
    let (pool, postgres, database_mode) = match &config.database_url {
        Some(url) => {
            let options: PgConnectOptions = url.parse().map_err(StartupError::DatabaseUrl)?;
            tracing::info!(target = %database::describe_target(&options), "using the database from DATABASE_URL");
            let pool = database::connect_with_retry(options, pooled, config.db_connect_timeout).await?;
            (pool, None, DatabaseMode::External)
        }
        None => {
            let settings = PostgresSettings {
                data_dir: data_dir.postgres_dir(),
                socket_dir: data_dir.socket_dir(),
                unsafe_fast: config.pg_unsafe_fast,
                extra: config.embedded_postgres_settings(),
            };
            let postgres = EmbeddedPostgres::start(&settings).await?;
            match database::connect_with_retry(postgres.connect_options(), pooled, config.db_connect_timeout).await {
                Ok(pool) => (pool, Some(postgres), DatabaseMode::Embedded),
                Err(error) => {
                    postgres.stop().await;
                    return Err(error.into());
                }
            }
        }
    };

    let result = serve(&config, listener, pool.clone(), database_mode, &site_root, media).await;
    pool.close().await;
    if let Some(postgres) = postgres {
        postgres.stop().await;
    }
    drop(data_dir);
    result
}

async fn serve(
    config: &Config,
    listener: std::net::TcpListener,
    pool: PgPool,
    database_mode: DatabaseMode,
    site_root: &std::path::Path,
    media: loupe_app::state::MediaSettings,
) -> Result<(), StartupError> {
    database::migrate(&pool).await?;
    // Units counted at ingestion (#22); off only for the metering benchmark.
    loupe_core::ingest::metering::set_enabled(config.metering);
    if let Some(plan) = config.init.plan()? {
        bootstrap::apply(&pool, &plan).await?;
    }
    // The key version of this LOUPE_SECRET, and a rotation from LOUPE_PREVIOUS_SECRET if asked.
    let secrets = loupe_core::secrets::ring(&pool, &media.secret, config.previous_secret.as_deref()).await?;

    let settings = InstanceSettings {
        public_url: config.public_url.as_ref().map(|url| url.as_str().trim_end_matches('/').to_string()),
        sign_up_enabled: !config.disable_signup,
        secure_cookies: config.public_url.as_ref().is_some_and(|url| url.scheme() == "https"),
        mailer: config.mailer()?.map(std::sync::Arc::new),
        media: Some(media.clone()),
        secrets: Some(secrets),
    };
    let state = AppState { leptos_options: leptos_options(site_root, config.addr), pool, database_mode, settings };
    let media_store = media::MediaStore::from_settings(&state.settings);
    // The upkeep kinds, and the work people ask for: "add all matching traces" to a queue (#20).
    let mut kinds = maintenance::kinds(&state.pool, media_store);
    kinds.push(loupe_core::annotation::import_kind(&state.pool));
    // LLM-as-judge evaluators (#21): the scan for new targets, executions, backfills.
    let evaluation = loupe_core::evaluation::Engine::new(state.pool.clone(), state.settings.secrets.clone(), Default::default());
    kinds.extend(loupe_core::evaluation::kinds(&evaluation));
    // Experiment runs started from a dataset's runs (#21): provider calls, so the key ring too.
    kinds.push(loupe_core::experiments::run_kind(&state.pool, state.settings.secrets.clone()));
    // Cost recalculations asked for on the models page (#22): a time range re-priced in batches.
    kinds.push(loupe_core::model_prices::recalculate::kind(&state.pool));
    // Data retention (#22): the daily schedule and each project's run, in small batches.
    kinds.extend(loupe_core::retention::kinds(&state.pool, Default::default()));
    // Metric rollups (#22): recomputes the hours ingestion and deletes marked dirty.
    kinds.push(loupe_core::metrics::rollups::kind(&state.pool));
    let jobs = loupe_core::jobs::Runner::start(state.pool.clone(), kinds, Default::default());
    // Listening from the start: a database that refuses LISTEN shows in the log at once.
    let live = live::Live::new(state.pool.clone());
    live.start();
    let app = http::router_with_limits(state, live.clone(), &config.limits);
    let listener = tokio::net::TcpListener::from_std(listener).map_err(StartupError::Serve)?;
    let local_addr = listener.local_addr().map_err(StartupError::Serve)?;
    tracing::info!(public_url = %config.public_url(), "Loupe is ready at http://{local_addr}");

    let stopping = live.clone();
    let stop = async move {
        shutdown::signal().await;
        // Open event streams would otherwise hold the drain until the grace period ends.
        stopping.shutdown();
    };
    let served = http::serve::run(listener, app, (&config.limits).into(), stop, SHUTDOWN_GRACE).await.map_err(StartupError::Serve);
    // Running jobs get their grace period; what is cut off is handed back for another replica.
    jobs.stop().await;
    served
}
