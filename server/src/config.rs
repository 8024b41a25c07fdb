//! Every setting Loupe reads, in one place: each is a `--flag` and an environment variable, with
//! its default and meaning in `loupe --help`. Nothing else in the server reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use url::Url;

use crate::logging::LogConfig;

const ABOUT: &str = "Loupe: open-source LLM engineering platform (tracing, prompts, evaluation), \
compatible with the Langfuse SDKs. One binary and Postgres.";

const AFTER_HELP: &str = "\
Without DATABASE_URL, Loupe runs its own PostgreSQL under <DATA_DIR>/postgres (unix socket only; \
PostgreSQL server binaries must be installed, e.g. `apt-get install postgresql`).

Headless initialization (compatible with Langfuse self-hosting): LANGFUSE_INIT_ORG_ID, \
LANGFUSE_INIT_ORG_NAME, LANGFUSE_INIT_PROJECT_ID, LANGFUSE_INIT_PROJECT_NAME, \
LANGFUSE_INIT_PROJECT_PUBLIC_KEY, LANGFUSE_INIT_PROJECT_SECRET_KEY, LANGFUSE_INIT_USER_EMAIL, \
LANGFUSE_INIT_USER_NAME and LANGFUSE_INIT_USER_PASSWORD create that organization, project, API key \
pair and owner at start if they do not exist yet.";

#[derive(Debug, Clone, Parser)]
#[command(name = "loupe", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Config {
    /// Address (host:port) the HTTP server listens on.
    #[arg(long, env = "LOUPE_ADDR", value_name = "HOST:PORT", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for Loupe's own state: the embedded Postgres cluster, the generated secret and
    /// the lock that keeps a second Loupe away from the same data.
    #[arg(long, env = "LOUPE_DATA_DIR", value_name = "DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Postgres connection URL. When set, Loupe uses this database and starts no Postgres of its own.
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The URL people and SDKs use to reach Loupe (for links and SDK snippets). Defaults to
    /// http://<addr>.
    #[arg(long, env = "LOUPE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,

    /// Log filter and format: tracing directives plus an optional `json` or `text` token,
    /// e.g. `info`, `debug,sqlx=warn`, `info,json`.
    #[arg(long = "log", env = "LOUPE_LOG", value_name = "SPEC", default_value = "info", value_parser = LogConfig::parse)]
    pub log: LogConfig,

    /// Secret for sessions and encryption at rest (at least 32 characters). Generated on first run
    /// and kept in <DATA_DIR>/secret when not given.
    #[arg(long, env = "LOUPE_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub secret: Option<String>,

    /// The secret Loupe ran with before this one, to rotate LOUPE_SECRET: secrets stored under
    /// it (LLM connections' keys) are resealed under the new one at start (docs/OPERATIONS.md).
    #[arg(long = "previous-secret", env = "LOUPE_PREVIOUS_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub previous_secret: Option<String>,

    /// Directory holding the browser assets (pkg/loupe.js, pkg/loupe_bg.wasm, pkg/loupe.css).
    /// Defaults to `site/` next to the executable, or `../site` from it (cargo's target layout).
    #[arg(long, env = "LOUPE_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,

    /// How long to keep retrying the database at start before giving up, in seconds.
    #[arg(long, env = "LOUPE_DB_CONNECT_TIMEOUT", value_name = "SECONDS", default_value = "30",
          value_parser = parse_seconds)]
    pub db_connect_timeout: Duration,

    /// Embedded Postgres only: trade crash safety for speed (fsync off). For throw-away test
    /// instances; never for data you want to keep.
    #[arg(long, env = "LOUPE_PG_UNSAFE_FAST", hide = true)]
    pub pg_unsafe_fast: bool,

    /// Embedded Postgres only: a server setting `NAME=VALUE` passed to `postgres -c`, after (and
    /// so over) Loupe's own (`embedded_postgres::spawn_postmaster`). Repeat the flag, or separate
    /// them with `;` in the variable: `LOUPE_POSTGRES_SETTINGS="shared_buffers=2GB;max_wal_size=8GB"`.
    /// Read through [`Config::embedded_postgres_settings`].
    #[arg(long = "postgres-setting", env = "LOUPE_POSTGRES_SETTINGS", value_name = "NAME=VALUE",
          value_delimiter = ';', value_parser = parse_postgres_setting)]
    pub postgres_settings: Vec<String>,

    /// Refuse new accounts except for people holding an invitation (as Langfuse's
    /// AUTH_DISABLE_SIGNUP). Headless initialization still creates its user.
    #[arg(long = "disable-signup", env = "AUTH_DISABLE_SIGNUP")]
    pub disable_signup: bool,

    /// Benchmark only (docs/BENCHMARKS.md): `off` stops counting units at ingestion, so the
    /// benchmark can compare throughput with and without metering. Quotas then see no new units;
    /// never turn it off for an instance whose plans matter.
    #[arg(long, env = "LOUPE_METERING", value_name = "on|off", default_value = "on", hide = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub metering: bool,

    /// SMTP server for invitation emails, e.g. smtps://user:pass@smtp.example.com:465 or
    /// smtp://localhost:25 (as Langfuse's SMTP_CONNECTION_URL). Without it, invitation links are
    /// only shown in the UI.
    #[arg(long = "smtp-url", env = "SMTP_CONNECTION_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of Loupe's emails, e.g. "Loupe <loupe@example.com>" (EMAIL_FROM_ADDRESS).
    #[arg(long = "email-from", env = "EMAIL_FROM_ADDRESS", value_name = "ADDRESS")]
    pub email_from: Option<String>,

    #[command(flatten)]
    pub media_bucket: MediaBucketConfig,

    #[command(flatten)]
    pub init: HeadlessInit,

    #[command(flatten)]
    pub limits: Limits,
}

/// Connection, request and ingestion limits: what one client or one tenant can hold of the
/// server. The defaults fit the largest allowed body inside the request timeout on a 2-core
/// machine (docs/BENCHMARKS.md, "Overload") and bound the memory of bodies in flight.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct Limits {
    /// Most open client connections. Past it a new connection is answered `503` with
    /// `Retry-After` and closed (so clients back off instead of hanging in the accept queue).
    #[arg(long, env = "LOUPE_MAX_CONNECTIONS", value_name = "N", default_value = "1024", value_parser = parse_count)]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers once it started sending them.
    #[arg(long, env = "LOUPE_HEADER_TIMEOUT", value_name = "SECONDS", default_value = "10", value_parser = parse_positive_seconds)]
    pub header_timeout: Duration,

    /// Seconds a connection may stay open with no request in progress (keep-alive idle, or a
    /// new connection sending nothing). Responses still streaming (live updates) are requests
    /// in progress.
    #[arg(long, env = "LOUPE_IDLE_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = parse_positive_seconds)]
    pub idle_timeout: Duration,

    /// Seconds a request may take until its response starts; then `408` with a JSON body.
    #[arg(long, env = "LOUPE_REQUEST_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = parse_positive_seconds)]
    pub request_timeout: Duration,

    /// Seconds an ingestion request's whole body has to arrive in; then `408` with a JSON body.
    #[arg(long, env = "LOUPE_BODY_TIMEOUT", value_name = "SECONDS", default_value = "20", value_parser = parse_positive_seconds)]
    pub body_timeout: Duration,

    /// Ingestion requests (OTLP, batch, scores) being parsed and stored at once, all projects
    /// together; past it `429` with `Retry-After`. Bodies still arriving do not count.
    #[arg(long, env = "LOUPE_INGEST_MAX_REQUESTS", value_name = "N", default_value = "256", value_parser = parse_count)]
    pub ingest_max_requests: usize,

    /// Ingestion requests one project may have in progress (body arriving included); past it
    /// `429`. Requests authenticated by a public key alone (browser score widgets) get a
    /// quarter of it.
    #[arg(long, env = "LOUPE_INGEST_MAX_REQUESTS_PER_PROJECT", value_name = "N", default_value = "64", value_parser = parse_count)]
    pub ingest_max_requests_per_project: usize,

    /// Transactions one project's ingestion may have going at once. Requests that arrive while
    /// they are all busy wait, and the next transaction writes them together: fewer, larger
    /// transactions cost Postgres less CPU per span (docs/BENCHMARKS.md). Each request is still
    /// acknowledged only after the commit that holds its data.
    #[arg(long, env = "LOUPE_INGEST_WRITERS_PER_PROJECT", value_name = "N", default_value = "4", value_parser = parse_count)]
    pub ingest_writers_per_project: usize,

    /// Most connections Loupe opens to Postgres, all together (see [`Limits::database`]): the
    /// ingestion writers' (up to 16, which they keep between writes), the live updates'
    /// listener's (up to 2) and a pool for everything else. Lower it for a Postgres whose
    /// `max_connections` is small; fewer writers then take ingestion's transactions in turn.
    #[arg(long, env = "LOUPE_DB_MAX_CONNECTIONS", value_name = "N", default_value = "38", value_parser = parse_database_connections)]
    pub db_max_connections: usize,

    /// Request body bytes of ingestion held in memory at once, all projects together (e.g.
    /// `128MiB`; compressed OTLP bytes weigh 8 times, up to the decoded limit); past it `503`
    /// with `Retry-After`. One project may hold a quarter of it (at least one largest body).
    /// Parsing takes several times a body's size, so peak memory is a multiple of this.
    #[arg(long, env = "LOUPE_INGEST_MAX_BYTES_IN_FLIGHT", value_name = "SIZE", default_value = "128MiB", value_parser = parse_size)]
    pub ingest_max_bytes_in_flight: usize,

    /// Largest OTLP request body (`POST /api/public/otel/v1/traces`), compressed as sent;
    /// larger ones get `413`.
    #[arg(long, env = "LOUPE_OTEL_MAX_BODY", value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub otel_max_body: usize,

    /// Largest batch ingestion or score request body (`/api/public/ingestion`,
    /// `/api/public/scores`); Langfuse's own limit is 4.5 MB.
    #[arg(long, env = "LOUPE_BATCH_MAX_BODY", value_name = "SIZE", default_value = "4.5MB", value_parser = parse_size)]
    pub batch_max_body: usize,

    /// Largest request body of the UI's server functions (`/api/ui/*`); larger ones get `413`.
    #[arg(long, env = "LOUPE_UI_MAX_BODY", value_name = "SIZE", default_value = "2MiB", value_parser = parse_size)]
    pub ui_max_body: usize,

    /// Playground runs one project may have going at once (each column of each person is one);
    /// past it the run fails at once with a message saying so.
    #[arg(long, env = "LOUPE_PLAYGROUND_MAX_RUNS_PER_PROJECT", value_name = "N", default_value = "8", value_parser = parse_count)]
    pub playground_max_runs_per_project: usize,

    /// Seconds an LLM provider may stay silent in a playground run (before its first token or
    /// between two) before the run is cut off.
    #[arg(long, env = "LOUPE_PLAYGROUND_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = parse_positive_seconds)]
    pub playground_timeout: Duration,
}

impl Default for Limits {
    /// The documented defaults (a unit test holds them equal to the flags' defaults).
    fn default() -> Self {
        const MIB: usize = 1024 * 1024;
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(20),
            ingest_max_requests: 256,
            ingest_max_requests_per_project: 64,
            ingest_writers_per_project: 4,
            db_max_connections: 38,
            ingest_max_bytes_in_flight: 128 * MIB,
            otel_max_body: 16 * MIB,
            batch_max_body: 4_500_000,
            ui_max_body: 2 * MIB,
            playground_max_runs_per_project: 8,
            playground_timeout: Duration::from_secs(60),
        }
    }
}

impl From<&Limits> for loupe_core::playground::RunLimits {
    fn from(limits: &Limits) -> Self {
        loupe_core::playground::RunLimits { per_project: limits.playground_max_runs_per_project, idle_timeout: limits.playground_timeout }
    }
}

impl Limits {
    /// Relations between the limits; each error names the flag to change.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |setting: &'static str, message: String| Err(ConfigError { setting, message });
        if self.ingest_max_requests_per_project > self.ingest_max_requests {
            return err(
                "--ingest-max-requests-per-project / LOUPE_INGEST_MAX_REQUESTS_PER_PROJECT",
                format!("{} is more than --ingest-max-requests ({})", self.ingest_max_requests_per_project, self.ingest_max_requests),
            );
        }
        let largest = self.otel_max_body.max(self.batch_max_body);
        if self.ingest_max_bytes_in_flight < largest {
            return err(
                "--ingest-max-bytes-in-flight / LOUPE_INGEST_MAX_BYTES_IN_FLIGHT",
                format!("{} bytes cannot hold one largest allowed body ({largest} bytes)", self.ingest_max_bytes_in_flight),
            );
        }
        // Counted in KiB by a semaphore of at most u32::MAX >> 3 permits.
        if self.ingest_max_bytes_in_flight > 64 * 1024 * 1024 * 1024 {
            return err("--ingest-max-bytes-in-flight / LOUPE_INGEST_MAX_BYTES_IN_FLIGHT", "is more than 64GiB".into());
        }
        if self.body_timeout >= self.request_timeout {
            return err(
                "--body-timeout / LOUPE_BODY_TIMEOUT",
                format!("must be shorter than --request-timeout ({} s), which would answer first", self.request_timeout.as_secs()),
            );
        }
        Ok(())
    }
}

/// Langfuse-compatible headless initialization (`LANGFUSE_INIT_*`).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Headless initialization")]
pub struct HeadlessInit {
    /// Organization to create at start.
    #[arg(long = "init-org-id", env = "LANGFUSE_INIT_ORG_ID", value_name = "ID")]
    pub org_id: Option<String>,
    /// Its name (defaults to the id).
    #[arg(long = "init-org-name", env = "LANGFUSE_INIT_ORG_NAME", value_name = "NAME")]
    pub org_name: Option<String>,
    /// Project to create in that organization.
    #[arg(long = "init-project-id", env = "LANGFUSE_INIT_PROJECT_ID", value_name = "ID")]
    pub project_id: Option<String>,
    /// Its name (defaults to the id).
    #[arg(long = "init-project-name", env = "LANGFUSE_INIT_PROJECT_NAME", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Public API key (pk-lf-...) to create for that project.
    #[arg(long = "init-project-public-key", env = "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", value_name = "KEY")]
    pub project_public_key: Option<String>,
    /// Its secret key (sk-lf-...); stored only as a hash.
    #[arg(long = "init-project-secret-key", env = "LANGFUSE_INIT_PROJECT_SECRET_KEY", value_name = "KEY", hide_env_values = true)]
    pub project_secret_key: Option<String>,
    /// Email of the owner to create in the organization.
    #[arg(long = "init-user-email", env = "LANGFUSE_INIT_USER_EMAIL", value_name = "EMAIL")]
    pub user_email: Option<String>,
    /// The owner's display name.
    #[arg(long = "init-user-name", env = "LANGFUSE_INIT_USER_NAME", value_name = "NAME")]
    pub user_name: Option<String>,
    /// The owner's password; stored only as a hash.
    #[arg(long = "init-user-password", env = "LANGFUSE_INIT_USER_PASSWORD", value_name = "PASSWORD", hide_env_values = true)]
    pub user_password: Option<String>,
}

/// A setting that parsed but does not make sense; reported like clap's own errors (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for {setting}: {message}")]
pub struct ConfigError {
    /// The flag and variable, e.g. `--secret / LOUPE_SECRET`.
    pub setting: &'static str,
    pub message: String,
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    let seconds: u64 = value.trim().parse().map_err(|_| format!("{value:?} is not a whole number of seconds"))?;
    Ok(Duration::from_secs(seconds))
}

fn parse_positive_seconds(value: &str) -> Result<Duration, String> {
    match parse_seconds(value)? {
        d if d.is_zero() => Err("must be at least 1 second".into()),
        d if d > Duration::from_secs(24 * 3600) => Err("must be at most 86400 seconds".into()),
        d => Ok(d),
    }
}

/// A connection budget leaving the pool two and the writers one ([`Limits::database`]).
fn parse_database_connections(value: &str) -> Result<usize, String> {
    match parse_count(value)? {
        n if n < MIN_DATABASE_CONNECTIONS => Err(format!("must be at least {MIN_DATABASE_CONNECTIONS}: two pooled, one writer's, two the listener's")),
        n => Ok(n),
    }
}

const MIN_DATABASE_CONNECTIONS: usize = 5;

/// The embedded Postgres's connections left over Loupe's budget for others (three of them
/// reserved for superusers; `psql`, backups).
const EMBEDDED_SPARE_CONNECTIONS: usize = 10;

/// How [`Limits::db_max_connections`] is shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseConnections {
    /// The pool's size: requests' reads and writes, the UI, background jobs.
    pub pooled: u32,
    /// Ingestion transactions at once, all projects together; each writer's connection is kept
    /// out of the pool between its writes (`ingest::combine`).
    pub writers: usize,
}

impl Limits {
    /// `db_max_connections` shared out: the live updates' listener's own (at most
    /// `live::LISTENER_CONNECTIONS`) first, then half of the rest for ingestion's writers, at
    /// most 16 (as many as the public API ever let write at once), the rest pooled. The default,
    /// 38, is 2 + 16 + 20: what Loupe opened before the budget had a setting.
    pub fn database(&self) -> DatabaseConnections {
        let rest = self.db_max_connections.saturating_sub(loupe_core::live::LISTENER_CONNECTIONS as usize);
        let writers = (rest / 2).clamp(1, 16);
        DatabaseConnections { pooled: rest.saturating_sub(writers).max(2) as u32, writers }
    }
}

fn parse_count(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) if n > 1_000_000 => Err("must be at most 1000000".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{value:?} is not a whole number")),
    }
}

/// `name=value` for `postgres -c`: a setting's name (letters, digits, `_` and `.` for an
/// extension's), then any value (Postgres says what is wrong with it at start). Empty (an
/// empty variable, or `;;`) is no setting: [`Config::embedded_postgres_settings`] leaves it out.
fn parse_postgres_setting(value: &str) -> Result<String, String> {
    let text = value.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let Some((name, setting)) = text.split_once('=') else {
        return Err(format!("{text:?} is not NAME=VALUE"));
    };
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return Err(format!("{name:?} is not a Postgres setting's name"));
    }
    Ok(format!("{name}={}", setting.trim()))
}

/// A size in bytes: `4500000`, `4.5MB` (decimal units kB, MB, GB) or `16MiB` (binary KiB,
/// MiB, GiB); at least 1 KiB.
fn parse_size(value: &str) -> Result<usize, String> {
    let text = value.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("{value:?}: unknown unit; use bytes, kB, MB, GB, KiB, MiB or GiB")),
    };
    let number: f64 = number.parse().map_err(|_| format!("{value:?} is not a size such as 4.5MB or 16MiB"))?;
    let bytes = (number * multiplier).round();
    if !(1024.0..=1024.0_f64.powi(4)).contains(&bytes) {
        return Err(format!("{value:?} must be between 1KiB and 1TiB"));
    }
    Ok(bytes as usize)
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Config {
    /// The settings for the embedded Postgres over its defaults: its `max_connections` raised
    /// when Loupe's connection budget would not fit in the default 100 (leaving
    /// [`EMBEDDED_SPARE_CONNECTIONS`] for superusers, `psql` and backups), then the operator's,
    /// empty ones left out — after, so an operator's `max_connections` wins.
    pub fn embedded_postgres_settings(&self) -> Vec<String> {
        let needed = self.limits.db_max_connections + EMBEDDED_SPARE_CONNECTIONS;
        let raised = (needed > crate::embedded_postgres::MAX_CONNECTIONS).then(|| format!("max_connections={needed}"));
        raised.into_iter().chain(self.postgres_settings.iter().filter(|s| !s.is_empty()).cloned()).collect()
    }

    /// Checks relations between settings that clap cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.secret {
            if secret.chars().count() < 32 {
                return Err(ConfigError {
                    setting: "--secret / LOUPE_SECRET",
                    message: "must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
                });
            }
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError {
                    setting: "--database-url / DATABASE_URL",
                    message: "must be a postgres:// or postgresql:// URL".into(),
                });
            }
        }
        if let Some(url) = &self.public_url {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError {
                    setting: "--public-url / LOUPE_PUBLIC_URL",
                    message: format!("must be an http:// or https:// URL, got {url}"),
                });
            }
        }
        self.mailer()?;
        self.media_bucket.settings()?;
        self.limits.validate()?;
        self.init.validate()
    }

    /// The base URL for links: `LOUPE_PUBLIC_URL`, else derived from the listen address.
    /// The invitation mailer, when SMTP is configured; both settings or neither.
    pub fn mailer(&self) -> Result<Option<loupe_core::mail::Mailer>, ConfigError> {
        match (&self.smtp_url, &self.email_from) {
            (None, None) => Ok(None),
            (Some(url), Some(from)) => loupe_core::mail::Mailer::new(url, from)
                .map(Some)
                .map_err(|message| ConfigError { setting: "--smtp-url / SMTP_CONNECTION_URL", message }),
            (Some(_), None) => Err(ConfigError {
                setting: "--email-from / EMAIL_FROM_ADDRESS",
                message: "is needed with SMTP_CONNECTION_URL: the sender of invitation emails".into(),
            }),
            (None, Some(_)) => Err(ConfigError {
                setting: "--smtp-url / SMTP_CONNECTION_URL",
                message: "is needed with EMAIL_FROM_ADDRESS: the SMTP server to send through".into(),
            }),
        }
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{}", self.addr),
        }
    }
}

/// What headless initialization should create, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitPlan {
    pub org_id: String,
    pub org_name: String,
    pub project: Option<InitProject>,
    pub user: Option<InitUser>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProject {
    pub id: String,
    pub name: String,
    pub key_pair: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitUser {
    pub email: String,
    pub name: Option<String>,
    pub password: String,
}

impl HeadlessInit {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.plan().map(|_| ())
    }

    /// Turns the variables into what to create; `None` when no initialization was asked for.
    /// Each resource needs its parent: a project needs an organization, keys need a project, a
    /// user needs an organization to own.
    pub fn plan(&self) -> Result<Option<InitPlan>, ConfigError> {
        let err = |setting: &'static str, message: &str| ConfigError { setting, message: message.to_string() };
        let org_id = non_blank(&self.org_id);
        let project_id = non_blank(&self.project_id);
        let public_key = non_blank(&self.project_public_key);
        let secret_key = non_blank(&self.project_secret_key);
        let email = non_blank(&self.user_email);
        let password = non_blank(&self.user_password);

        let Some(org_id) = org_id else {
            if project_id.is_some() {
                return Err(err("--init-project-id / LANGFUSE_INIT_PROJECT_ID", "needs LANGFUSE_INIT_ORG_ID: a project belongs to an organization"));
            }
            if email.is_some() {
                return Err(err("--init-user-email / LANGFUSE_INIT_USER_EMAIL", "needs LANGFUSE_INIT_ORG_ID: the user is created as that organization's owner"));
            }
            if public_key.is_some() || secret_key.is_some() {
                return Err(err("--init-project-public-key / LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "needs LANGFUSE_INIT_ORG_ID and LANGFUSE_INIT_PROJECT_ID"));
            }
            return Ok(None);
        };

        let key_pair = match (public_key, secret_key) {
            (Some(pk), Some(sk)) => {
                if project_id.is_none() {
                    return Err(err("--init-project-public-key / LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "needs LANGFUSE_INIT_PROJECT_ID: keys belong to a project"));
                }
                if pk == sk {
                    return Err(err("--init-project-secret-key / LANGFUSE_INIT_PROJECT_SECRET_KEY", "must differ from the public key"));
                }
                Some((pk.to_string(), sk.to_string()))
            }
            (Some(_), None) => return Err(err("--init-project-secret-key / LANGFUSE_INIT_PROJECT_SECRET_KEY", "is required when LANGFUSE_INIT_PROJECT_PUBLIC_KEY is set")),
            (None, Some(_)) => return Err(err("--init-project-public-key / LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "is required when LANGFUSE_INIT_PROJECT_SECRET_KEY is set")),
            (None, None) => None,
        };

        let user = match (email, password) {
            (Some(email), Some(password)) => {
                if !email.contains('@') {
                    return Err(err("--init-user-email / LANGFUSE_INIT_USER_EMAIL", "is not an email address"));
                }
                Some(InitUser {
                    email: email.to_string(),
                    name: non_blank(&self.user_name).map(str::to_string),
                    password: password.to_string(),
                })
            }
            (Some(_), None) => return Err(err("--init-user-password / LANGFUSE_INIT_USER_PASSWORD", "is required when LANGFUSE_INIT_USER_EMAIL is set")),
            (None, Some(_)) => return Err(err("--init-user-email / LANGFUSE_INIT_USER_EMAIL", "is required when LANGFUSE_INIT_USER_PASSWORD is set")),
            (None, None) => None,
        };

        Ok(Some(InitPlan {
            org_id: org_id.to_string(),
            org_name: non_blank(&self.org_name).unwrap_or(org_id).to_string(),
            project: project_id.map(|id| InitProject {
                id: id.to_string(),
                name: non_blank(&self.project_name).unwrap_or(id).to_string(),
                key_pair,
            }),
            user,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("loupe").chain(args.iter().copied()))
    }

    #[test]
    fn smtp_needs_both_settings_and_a_usable_url() {
        let error = parse(&["--email-from", "loupe@example.com"]).unwrap().validate().unwrap_err();
        assert_eq!(error.setting, "--smtp-url / SMTP_CONNECTION_URL");
        let error = parse(&["--smtp-url", "smtp://localhost:25"]).unwrap().validate().unwrap_err();
        assert_eq!(error.setting, "--email-from / EMAIL_FROM_ADDRESS");
        let error = parse(&["--smtp-url", "ftp://x", "--email-from", "loupe@example.com"]).unwrap().validate().unwrap_err();
        assert!(error.message.contains("SMTP_CONNECTION_URL is not usable"), "{}", error.message);
        let error = parse(&["--smtp-url", "smtp://localhost:25", "--email-from", "not an address"]).unwrap().validate().unwrap_err();
        assert!(error.message.contains("is not an email address"), "{}", error.message);
        let config = parse(&["--smtp-url", "smtp://localhost:25", "--email-from", "Loupe <loupe@example.com>"]).unwrap();
        assert!(config.validate().is_ok());
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.public_url(), "http://127.0.0.1:3000");
        assert_eq!(config.db_connect_timeout, Duration::from_secs(30));
    }

    #[test]
    fn unknown_flags_and_bad_values_name_the_flag() {
        let error = parse(&["--nope"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--nope"), "{error}");
        let error = parse(&["--addr", "localhost"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--addr"), "{error}");
        let error = parse(&["--log", "info,,=?"]).unwrap_err();
        assert!(error.to_string().contains("--log"), "{error}");
    }

    #[test]
    fn postgres_settings_are_name_value_pairs_and_repeat() {
        let config = parse(&["--postgres-setting", "shared_buffers=1GB", "--postgres-setting", " pg_trgm.similarity_threshold = 0.4 "]).unwrap();
        assert_eq!(config.postgres_settings, vec!["shared_buffers=1GB", "pg_trgm.similarity_threshold=0.4"]);
        let config = parse(&["--postgres-setting", "max_wal_size=4GB;wal_buffers=16MB"]).unwrap();
        assert_eq!(config.postgres_settings, vec!["max_wal_size=4GB", "wal_buffers=16MB"]);
        // An empty one (an empty variable) is none; no name, or not a name, is refused.
        assert_eq!(parse(&["--postgres-setting", ""]).unwrap().postgres_settings, vec![String::new()]);
        assert!(parse(&["--postgres-setting", ""]).unwrap().embedded_postgres_settings().is_empty());
        assert_eq!(parse(&["--postgres-setting", "a=1;;b=2"]).unwrap().embedded_postgres_settings(), vec!["a=1", "b=2"]);
        // A connection budget past the embedded Postgres's 100 raises it, under the operator's.
        assert_eq!(parse(&["--db-max-connections", "90"]).unwrap().embedded_postgres_settings(), Vec::<String>::new());
        assert_eq!(parse(&["--db-max-connections", "91"]).unwrap().embedded_postgres_settings(), vec!["max_connections=101"]);
        assert_eq!(
            parse(&["--db-max-connections", "200", "--postgres-setting", "max_connections=500"]).unwrap().embedded_postgres_settings(),
            vec!["max_connections=210", "max_connections=500"]
        );
        for bad in ["shared_buffers", "=1GB", "shared buffers=1GB", "a;b=c"] {
            let error = parse(&["--postgres-setting", bad]).unwrap_err();
            assert!(error.to_string().contains("--postgres-setting"), "{bad}: {error}");
        }
        assert!(parse(&[]).unwrap().postgres_settings.is_empty());
    }

    #[test]
    fn the_database_connections_are_shared_out_within_the_budget() {
        let share = |n: &str| parse(&["--db-max-connections", n]).unwrap().limits.database();
        // The default is what Loupe opened before the budget had a setting.
        assert_eq!(Limits::default().database(), DatabaseConnections { pooled: 20, writers: 16 });
        assert_eq!(share("38"), DatabaseConnections { pooled: 20, writers: 16 });
        assert_eq!(share("100"), DatabaseConnections { pooled: 82, writers: 16 });
        assert_eq!(share("10"), DatabaseConnections { pooled: 4, writers: 4 });
        assert_eq!(share("5"), DatabaseConnections { pooled: 2, writers: 1 });
        for n in 5..200 {
            let limits = Limits { db_max_connections: n, ..Limits::default() };
            let DatabaseConnections { pooled, writers } = limits.database();
            assert_eq!(pooled as usize + writers + loupe_core::live::LISTENER_CONNECTIONS as usize, n, "{n}");
        }
        for bad in ["4", "0", "many"] {
            let error = parse(&["--db-max-connections", bad]).unwrap_err();
            assert!(error.to_string().contains("--db-max-connections"), "{bad}: {error}");
        }
    }

    #[test]
    fn limits_default_to_the_documented_values_and_are_checked() {
        assert_eq!(parse(&[]).unwrap().limits, Limits::default());
        assert!(parse(&[]).unwrap().validate().is_ok());
        let config = parse(&["--otel-max-body", "8MiB", "--batch-max-body", "4.5MB", "--header-timeout", "2"]).unwrap();
        assert_eq!(config.limits.otel_max_body, 8 * 1024 * 1024);
        assert_eq!(config.limits.batch_max_body, 4_500_000);
        assert_eq!(config.limits.header_timeout, Duration::from_secs(2));
        for bad in [
            &["--max-connections", "0"][..],
            &["--header-timeout", "0"],
            &["--idle-timeout", "x"],
            &["--otel-max-body", "12 parsecs"],
            &["--otel-max-body", "10"],
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
            assert!(error.to_string().contains(bad[0]), "{error}");
        }
        let error = parse(&["--ingest-max-bytes-in-flight", "1MiB"]).unwrap().validate().unwrap_err();
        assert!(error.setting.contains("LOUPE_INGEST_MAX_BYTES_IN_FLIGHT"), "{error}");
        let error = parse(&["--body-timeout", "60"]).unwrap().validate().unwrap_err();
        assert!(error.setting.contains("LOUPE_BODY_TIMEOUT"), "{error}");
        let error = parse(&["--ingest-max-requests", "4"]).unwrap().validate().unwrap_err();
        assert!(error.setting.contains("PER_PROJECT"), "{error}");
    }

    #[test]
    fn short_secret_is_rejected() {
        let config = parse(&["--secret", "short"]).unwrap();
        assert_eq!(config.validate().unwrap_err().setting, "--secret / LOUPE_SECRET");
        assert!(parse(&["--secret", &"x".repeat(32)]).unwrap().validate().is_ok());
    }

    #[test]
    fn public_url_loses_trailing_slash() {
        let config = parse(&["--public-url", "https://loupe.example.com/"]).unwrap();
        assert_eq!(config.public_url(), "https://loupe.example.com");
        assert!(parse(&["--public-url", "ftp://x"]).unwrap().validate().is_err());
    }

    #[test]
    fn init_plan_requires_parents() {
        let project_without_org = parse(&["--init-project-id", "p"]).unwrap();
        assert!(project_without_org.init.plan().unwrap_err().message.contains("LANGFUSE_INIT_ORG_ID"));

        let keys_without_project = parse(&["--init-org-id", "o", "--init-project-public-key", "pk", "--init-project-secret-key", "sk"]).unwrap();
        assert!(keys_without_project.init.plan().unwrap_err().message.contains("LANGFUSE_INIT_PROJECT_ID"));

        let half_key = parse(&["--init-org-id", "o", "--init-project-id", "p", "--init-project-public-key", "pk"]).unwrap();
        assert!(half_key.init.plan().unwrap_err().setting.contains("SECRET_KEY"));

        let user_without_password = parse(&["--init-org-id", "o", "--init-user-email", "a@b.c"]).unwrap();
        assert!(user_without_password.init.plan().unwrap_err().setting.contains("PASSWORD"));

        assert_eq!(parse(&[]).unwrap().init.plan().unwrap(), None);
    }

    #[test]
    fn init_plan_fills_names_from_ids() {
        let config = parse(&[
            "--init-org-id", "org-1", "--init-project-id", "proj-1",
            "--init-project-public-key", "pk-lf-1", "--init-project-secret-key", "sk-lf-1",
            "--init-user-email", "a@example.com", "--init-user-password", "password123",
        ])
        .unwrap();
        let plan = config.init.plan().unwrap().unwrap();
        assert_eq!(plan.org_name, "org-1");
        let project = plan.project.unwrap();
        assert_eq!(project.name, "proj-1");
        assert_eq!(project.key_pair, Some(("pk-lf-1".into(), "sk-lf-1".into())));
        assert_eq!(plan.user.unwrap().email, "a@example.com");
    }
}

/// An S3-compatible bucket for media attachments instead of the data directory (the variables are
/// Langfuse's, so a Langfuse configuration carries over). Needed when several replicas share one
/// database: each can then read what another received.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MediaBucketConfig {
    /// Bucket name. Setting it moves media from <DATA_DIR>/media to the bucket.
    #[arg(long = "media-bucket", env = "LANGFUSE_S3_MEDIA_UPLOAD_BUCKET", value_name = "NAME")]
    pub bucket: Option<String>,
    /// The S3 API's URL, e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000.
    #[arg(long = "media-bucket-endpoint", env = "LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<Url>,
    #[arg(long = "media-bucket-region", env = "LANGFUSE_S3_MEDIA_UPLOAD_REGION", value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    #[arg(long = "media-bucket-access-key-id", env = "LANGFUSE_S3_MEDIA_UPLOAD_ACCESS_KEY_ID", value_name = "ID", hide_env_values = true)]
    pub access_key_id: Option<String>,
    #[arg(long = "media-bucket-secret-access-key", env = "LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY", value_name = "KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,
    /// Address the bucket as <endpoint>/<bucket> (MinIO and most self-hosted stores) rather than
    /// <bucket>.<endpoint> (AWS).
    #[arg(long = "media-bucket-path-style", env = "LANGFUSE_S3_MEDIA_UPLOAD_FORCE_PATH_STYLE", value_name = "BOOL", default_value = "false",
          action = clap::ArgAction::Set)]
    pub path_style: bool,
    /// Key prefix inside the bucket, e.g. `loupe/`.
    #[arg(long = "media-bucket-prefix", env = "LANGFUSE_S3_MEDIA_UPLOAD_PREFIX", value_name = "PREFIX", default_value = "")]
    pub prefix: String,
}

impl MediaBucketConfig {
    /// The bucket's settings when one is configured; every setting it needs, or an error naming
    /// the missing one.
    pub fn settings(&self) -> Result<Option<loupe_app::state::MediaBucket>, ConfigError> {
        let Some(name) = &self.bucket else {
            return Ok(None);
        };
        let missing = |setting: &'static str| ConfigError { setting, message: "is needed with LANGFUSE_S3_MEDIA_UPLOAD_BUCKET".into() };
        let endpoint = self.endpoint.clone().ok_or_else(|| missing("--media-bucket-endpoint / LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT"))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(ConfigError {
                setting: "--media-bucket-endpoint / LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT",
                message: format!("must be an http:// or https:// URL with a host, got {endpoint}"),
            });
        }
        let access_key_id = self.access_key_id.clone().ok_or_else(|| missing("--media-bucket-access-key-id / LANGFUSE_S3_MEDIA_UPLOAD_ACCESS_KEY_ID"))?;
        let secret_access_key =
            self.secret_access_key.clone().ok_or_else(|| missing("--media-bucket-secret-access-key / LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY"))?;
        Ok(Some(loupe_app::state::MediaBucket {
            endpoint: endpoint.to_string(),
            name: name.clone(),
            region: self.region.clone(),
            access_key_id,
            secret_access_key,
            path_style: self.path_style,
            prefix: self.prefix.clone(),
        }))
    }
}
