//! Runs a private PostgreSQL cluster when no `DATABASE_URL` is given.
//!
//! The cluster lives in `<data dir>/postgres`, listens on a unix socket only (no TCP port to
//! clash or expose) in a 0700 directory, and trusts local connections because only its own OS
//! user (and root) can reach that socket. When Loupe runs as root, Postgres (which refuses root)
//! runs as the owner of an existing cluster or as the `postgres` OS user.
//!
//! Process ownership: the postmaster is spawned from a dedicated supervisor thread that waits on
//! it, in its own process group (a terminal's Ctrl-C reaches Loupe only, which then shuts down in
//! order), with a parent-death signal so that it stops even if Loupe is killed with SIGKILL.
//! A postmaster orphaned anyway (e.g. by a crash before that signal was set) is stopped at the
//! next start; the data directory lock guarantees it is not another Loupe's.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{Gid, Pid, Uid, User};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::watch;

/// The database Loupe creates inside its cluster.
pub const DATABASE_NAME: &str = "loupe";
/// The cluster's superuser role (created by initdb with `-U`).
const SUPERUSER: &str = "postgres";
/// Socket paths are limited to 107 bytes on Linux; leave room for `/.s.PGSQL.5432`.
const MAX_SOCKET_DIR_LEN: usize = 90;
const STDERR_TAIL_LINES: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("PostgreSQL server binaries were not found (looked for initdb and postgres in {searched}). Either install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`) so Loupe can run its own, or set DATABASE_URL to use an existing database")]
    BinariesNotFound { searched: String },
    #[error("Loupe is running as root and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as. Install PostgreSQL from your distribution (it creates that user), run Loupe as a non-root user, or set DATABASE_URL")]
    NoUnprivilegedUser,
    #[error("the PostgreSQL OS user `{user}` cannot reach {path} (a parent directory is not traversable for it). Choose a --data-dir / LOUPE_DATA_DIR outside private directories such as /root, or make {path} traversable (chmod o+x)")]
    NotTraversable { user: String, path: PathBuf },
    #[error("/dev/null is not a character device on this machine, so PostgreSQL cannot start. Restore it as root: `rm /dev/null && mknod -m 666 /dev/null c 1 3`")]
    DevNullBroken,
    #[error("the cluster in {path} was created by PostgreSQL {data_version}, but only PostgreSQL {bin_version} is installed; install PostgreSQL {data_version} (or upgrade the cluster with pg_upgrade)")]
    VersionMismatch { path: PathBuf, data_version: String, bin_version: String },
    #[error("initdb failed for {path}:\n{output}")]
    InitdbFailed { path: PathBuf, output: String },
    #[error("PostgreSQL did not start:\n{output}")]
    StartFailed { output: String },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("could not prepare the embedded database: {0}")]
    Database(#[from] sqlx::Error),
}

fn io_context(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LaunchError {
    let context = context.into();
    move |source| LaunchError::Io { context, source }
}

#[derive(Debug, Clone)]
pub struct PostgresSettings {
    /// PGDATA.
    pub data_dir: PathBuf,
    /// Where the unix socket goes; replaced by a short path under the temp dir if too long.
    pub socket_dir: PathBuf,
    /// fsync off and friends: only for throw-away clusters (tests).
    pub unsafe_fast: bool,
    /// `name=value` settings applied after Loupe's own: the operator's, and `max_connections`
    /// when Loupe's connection budget needs more (`Config::embedded_postgres_settings`).
    pub extra: Vec<String>,
}

/// The embedded Postgres's `max_connections` unless Loupe's connection budget needs more
/// (`Config::embedded_postgres_settings`) or the operator sets it.
pub const MAX_CONNECTIONS: usize = 100;

/// The OS identity Postgres runs as.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    /// `Some` when Loupe is root and must switch to this uid/gid for Postgres.
    switch_to: Option<(Uid, Gid)>,
}

impl RunAs {
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.switch_to {
            // std drops supplementary groups when switching uid as root.
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command.env("LC_ALL", "C").env_remove("PGDATA").stdin(Stdio::null());
        command
    }

    fn chown(&self, path: &Path) -> Result<(), LaunchError> {
        if let Some((uid, gid)) = self.switch_to {
            nix::unistd::chown(path, Some(uid), Some(gid))
                .map_err(|e| LaunchError::Io { context: format!("chown {}", path.display()), source: e.into() })?;
        }
        Ok(())
    }
}

/// A running cluster. Stop it with [`EmbeddedPostgres::stop`]; dropping it without stopping
/// leaves the postmaster to the parent-death signal.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    pid: Pid,
    socket_dir: PathBuf,
    exited: watch::Receiver<Option<String>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl EmbeddedPostgres {
    /// Initializes the cluster if needed, starts it, waits until it accepts connections and
    /// makes sure the `loupe` database exists.
    pub async fn start(settings: &PostgresSettings) -> Result<EmbeddedPostgres, LaunchError> {
        check_dev_null()?;
        let existing_version = fs::read_to_string(settings.data_dir.join("PG_VERSION")).ok().map(|v| v.trim().to_string());
        let bin_dir = find_bin_dir(existing_version.as_deref())?;
        let bin_version = binary_major_version(&bin_dir)?;
        if let Some(data_version) = &existing_version {
            if *data_version != bin_version {
                return Err(LaunchError::VersionMismatch {
                    path: settings.data_dir.clone(),
                    data_version: data_version.clone(),
                    bin_version,
                });
            }
        }
        let run_as = run_as_for(&settings.data_dir)?;
        let socket_dir = usable_socket_dir(&settings.socket_dir);
        for dir in [&settings.data_dir, &socket_dir] {
            if let Some(parent) = dir.parent() {
                check_traversable(parent, &run_as)?;
            }
        }

        if existing_version.is_none() {
            init_cluster(&bin_dir, &settings.data_dir, &run_as, settings.unsafe_fast)?;
        }
        prepare_private_dir(&socket_dir, &run_as)?;
        stop_orphaned_postmaster(&bin_dir, &settings.data_dir, &run_as)?;

        let postgres = spawn_postmaster(&bin_dir, settings, &socket_dir, &run_as)?;
        postgres.wait_until_ready().await?;
        postgres.ensure_database().await?;
        Ok(postgres)
    }

    /// Connection options for the `loupe` database over the unix socket.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.connect_options_for(DATABASE_NAME)
    }

    pub fn connect_options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(SUPERUSER)
            .database(database)
            .application_name("loupe")
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    fn exit_report(&self) -> Option<String> {
        self.exited.borrow().clone()
    }

    fn stderr_tail(&self) -> String {
        self.stderr_tail.lock().map(|tail| tail.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }

    async fn wait_until_ready(&self) -> Result<(), LaunchError> {
        // Crash recovery after an unclean stop can take a while on a large cluster.
        let deadline = Instant::now() + Duration::from_secs(120);
        let options = self.connect_options_for("postgres").disable_statement_logging();
        loop {
            if let Some(exit) = self.exit_report() {
                return Err(LaunchError::StartFailed { output: format!("{exit}\n{}", self.stderr_tail()) });
            }
            match sqlx::PgConnection::connect_with(&options).await {
                Ok(connection) => {
                    let _ = connection.close().await;
                    return Ok(());
                }
                Err(error) if Instant::now() > deadline => {
                    return Err(LaunchError::StartFailed { output: format!("not accepting connections after 120s: {error}\n{}", self.stderr_tail()) });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn ensure_database(&self) -> Result<(), LaunchError> {
        let mut connection = sqlx::PgConnection::connect_with(&self.connect_options_for("postgres")).await?;
        create_database_if_missing(&mut connection, DATABASE_NAME).await?;
        connection.close().await?;
        Ok(())
    }

    /// Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), escalating to immediate
    /// shutdown if it takes more than a minute.
    pub async fn stop(mut self) {
        if self.exit_report().is_some() {
            return;
        }
        tracing::info!(pid = self.pid.as_raw(), "stopping embedded postgres");
        let _ = kill(self.pid, Signal::SIGINT);
        for (signal, wait) in [(Signal::SIGQUIT, Duration::from_secs(60)), (Signal::SIGKILL, Duration::from_secs(10))] {
            let exited = tokio::time::timeout(wait, self.exited.wait_for(Option::is_some)).await;
            if exited.is_ok() {
                tracing::info!("embedded postgres stopped");
                return;
            }
            tracing::warn!(?signal, "embedded postgres did not stop in time; escalating");
            let _ = kill(self.pid, signal);
        }
        let _ = self.exited.wait_for(Option::is_some).await;
    }
}

/// `CREATE DATABASE` cannot take parameters; the name is validated instead.
pub async fn create_database_if_missing(connection: &mut sqlx::PgConnection, name: &str) -> Result<(), sqlx::Error> {
    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "database names are internal identifiers");
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *connection)
        .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
            .execute(&mut *connection)
            .await?;
        tracing::info!(database = name, "created database");
    }
    Ok(())
}

fn check_dev_null() -> Result<(), LaunchError> {
    use std::os::unix::fs::FileTypeExt;
    match fs::metadata("/dev/null") {
        Ok(meta) if meta.file_type().is_char_device() => Ok(()),
        _ => Err(LaunchError::DevNullBroken),
    }
}

/// Candidate directories, newest version first; a directory matching an existing cluster's
/// version wins.
fn find_bin_dir(preferred_version: Option<&str>) -> Result<PathBuf, LaunchError> {
    let mut fallbacks = vec![PathBuf::from("/usr/local/pgsql/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        fallbacks.extend(std::env::split_paths(&path));
    }
    find_bin_dir_in(Path::new("/usr/lib/postgresql"), fallbacks, preferred_version)
}

/// `versioned_root` holds `<major>/bin` directories (Debian's layout); `fallbacks` are tried
/// after them, in order.
fn find_bin_dir_in(versioned_root: &Path, fallbacks: Vec<PathBuf>, preferred_version: Option<&str>) -> Result<PathBuf, LaunchError> {
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(versioned_root) {
        for entry in entries.flatten() {
            if let Some(version) = entry.file_name().to_str().and_then(|v| v.parse::<u32>().ok()) {
                candidates.push((version, entry.path().join("bin")));
            }
        }
    }
    candidates.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    if let Some(preferred) = preferred_version.and_then(|v| v.parse::<u32>().ok()) {
        candidates.sort_by_key(|(version, _)| *version != preferred);
    }
    let mut dirs: Vec<PathBuf> = candidates.into_iter().map(|(_, dir)| dir).collect();
    dirs.extend(fallbacks);
    let found = dirs.iter().find(|dir| dir.join("postgres").is_file() && dir.join("initdb").is_file());
    match found {
        Some(dir) => Ok(dir.clone()),
        None => Err(LaunchError::BinariesNotFound { searched: format!("{}/*/bin, /usr/local/pgsql/bin and PATH", versioned_root.display()) }),
    }
}

/// `postgres (PostgreSQL) 15.18 (Debian ...)` → `15` (the PG_VERSION format of 10+).
fn binary_major_version(bin_dir: &Path) -> Result<String, LaunchError> {
    let output = Command::new(bin_dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(io_context(format!("running {}/postgres --version", bin_dir.display())))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_major_version(&text).ok_or_else(|| LaunchError::StartFailed { output: format!("unexpected `postgres --version` output: {text}") })
}

fn parse_major_version(version_output: &str) -> Option<String> {
    let version = version_output.split_whitespace().find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    version.split('.').next().map(str::to_string)
}

fn run_as_for(data_dir: &Path) -> Result<RunAs, LaunchError> {
    if !Uid::effective().is_root() {
        let name = User::from_uid(Uid::effective()).ok().flatten().map(|u| u.name).unwrap_or_else(|| "current user".into());
        return Ok(RunAs { name, switch_to: None });
    }
    // An existing cluster keeps its owner (it may have been created by a non-root Loupe).
    if let Ok(meta) = fs::metadata(data_dir) {
        if meta.uid() != 0 {
            if let Ok(Some(owner)) = User::from_uid(Uid::from_raw(meta.uid())) {
                return Ok(RunAs { name: owner.name, switch_to: Some((owner.uid, owner.gid)) });
            }
        }
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(RunAs { name: user.name, switch_to: Some((user.uid, user.gid)) }),
        _ => Err(LaunchError::NoUnprivilegedUser),
    }
}

/// Whether every directory from `/` down to `path` (which must exist) is searchable by the user.
fn check_traversable(path: &Path, run_as: &RunAs) -> Result<(), LaunchError> {
    let Some((uid, gid)) = run_as.switch_to else { return Ok(()) };
    let user_groups: Vec<u32> = User::from_uid(uid)
        .ok()
        .flatten()
        .and_then(|user| {
            let name = std::ffi::CString::new(user.name).ok()?;
            nix::unistd::getgrouplist(&name, gid).ok()
        })
        .map(|groups| groups.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_else(|| vec![gid.as_raw()]);
    let mut current = PathBuf::new();
    for component in path.components() {
        current.push(component);
        let Ok(meta) = fs::metadata(&current) else { continue };
        let mode = meta.permissions().mode();
        let searchable = if meta.uid() == uid.as_raw() {
            mode & 0o100 != 0
        } else if user_groups.contains(&meta.gid()) {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !searchable {
            return Err(LaunchError::NotTraversable { user: run_as.name.clone(), path: current });
        }
    }
    Ok(())
}

fn usable_socket_dir(preferred: &Path) -> PathBuf {
    if preferred.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        return preferred.to_path_buf();
    }
    // Deterministic per data directory, so a restart finds the same place.
    let hash = preferred.as_os_str().as_encoded_bytes().iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3));
    std::env::temp_dir().join(format!("loupe-pg-{hash:016x}"))
}

fn prepare_private_dir(dir: &Path, run_as: &RunAs) -> Result<(), LaunchError> {
    fs::create_dir_all(dir).map_err(io_context(format!("creating {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_context(format!("chmod {}", dir.display())))?;
    run_as.chown(dir)
}

/// initdb into a sibling directory, then rename: an interrupted initdb never leaves a half-made
/// cluster where the next start would find it.
fn init_cluster(bin_dir: &Path, data_dir: &Path, run_as: &RunAs, unsafe_fast: bool) -> Result<(), LaunchError> {
    if data_dir.exists() && fs::read_dir(data_dir).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return Err(LaunchError::InitdbFailed {
            path: data_dir.to_path_buf(),
            output: "the directory is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or choose another data directory".into(),
        });
    }
    let staging = data_dir.with_extension("initdb");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io_context(format!("removing {}", staging.display())))?;
    }
    prepare_private_dir(&staging, run_as)?;
    tracing::info!(path = %data_dir.display(), user = %run_as.name, "initializing embedded postgres cluster");
    let mut command = run_as.command(&bin_dir.join("initdb"));
    command
        .arg("-D")
        .arg(&staging)
        .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions"]);
    if unsafe_fast {
        command.arg("--no-sync");
    }
    let output = command.output().map_err(io_context("running initdb"))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        return Err(LaunchError::InitdbFailed { path: data_dir.to_path_buf(), output: text });
    }
    if data_dir.exists() {
        fs::remove_dir(data_dir).map_err(io_context(format!("removing empty {}", data_dir.display())))?;
    }
    fs::rename(&staging, data_dir).map_err(io_context(format!("moving the new cluster to {}", data_dir.display())))?;
    Ok(())
}

fn stop_orphaned_postmaster(bin_dir: &Path, data_dir: &Path, run_as: &RunAs) -> Result<(), LaunchError> {
    let Ok(pid_file) = fs::read_to_string(data_dir.join("postmaster.pid")) else { return Ok(()) };
    let Some(pid) = pid_file.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) else { return Ok(()) };
    let is_postgres = || fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "postgres");
    if !is_postgres() {
        return Ok(()); // stale pid file: Postgres itself handles it
    }
    tracing::warn!(pid, "a postgres from an earlier Loupe run is still running on this data directory; stopping it");
    let status = run_as
        .command(&bin_dir.join("pg_ctl"))
        .arg("stop")
        .arg("-D")
        .arg(data_dir)
        .args(["-m", "fast", "-w", "-t", "120"])
        .stdout(Stdio::null())
        .status()
        .map_err(io_context("running pg_ctl stop"))?;
    if status.success() {
        return Ok(());
    }
    // `pg_ctl` also fails when the postmaster is already on its way out — its parent-death
    // signal came with the earlier Loupe's death, and it removed its pid file after we read it
    // ("PID file does not exist"): wait for it to be gone rather than refuse to start.
    let deadline = Instant::now() + Duration::from_secs(120);
    while is_postgres() {
        if Instant::now() >= deadline {
            return Err(LaunchError::StartFailed { output: format!("could not stop the orphaned postgres (pid {pid}) holding {}", data_dir.display()) });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn spawn_postmaster(bin_dir: &Path, settings: &PostgresSettings, socket_dir: &Path, run_as: &RunAs) -> Result<EmbeddedPostgres, LaunchError> {
    let mut command = run_as.command(&bin_dir.join("postgres"));
    command.arg("-D").arg(&settings.data_dir).arg("-k").arg(socket_dir);
    let max_connections = format!("max_connections={MAX_CONNECTIONS}");
    let mut parameters = vec![
        "listen_addresses=",
        "unix_socket_permissions=0700",
        max_connections.as_str(),
        "shared_buffers=128MB",
        "log_min_messages=warning",
        "log_line_prefix=",
    ];
    if settings.unsafe_fast {
        parameters.extend(["fsync=off", "synchronous_commit=off", "full_page_writes=off"]);
    }
    for parameter in parameters.into_iter().chain(settings.extra.iter().map(String::as_str)) {
        command.arg("-c").arg(OsStr::new(parameter));
    }
    command.stdout(Stdio::null()).stderr(Stdio::piped()).process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
        });
    }

    let (spawned_tx, spawned_rx) = std::sync::mpsc::channel();
    let (exited_tx, exited_rx) = watch::channel(None);
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let tail_for_reader = stderr_tail.clone();
    // The parent-death signal fires when the *thread* that spawned the child exits, so the
    // spawning thread must live exactly as long as the postmaster: it spawns, then waits.
    std::thread::Builder::new()
        .name("postgres-supervisor".into())
        .spawn(move || {
            let mut child = match command.spawn() {
                Ok(child) => child,
                Err(error) => {
                    let _ = spawned_tx.send(Err(error));
                    return;
                }
            };
            let _ = spawned_tx.send(Ok(child.id()));
            let stderr = child.stderr.take();
            let reader = std::thread::Builder::new().name("postgres-log".into()).spawn(move || {
                let Some(stderr) = stderr else { return };
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    forward_log_line(&line);
                    if let Ok(mut tail) = tail_for_reader.lock() {
                        if tail.len() == STDERR_TAIL_LINES {
                            tail.pop_front();
                        }
                        tail.push_back(line);
                    }
                }
            });
            let report = match child.wait() {
                Ok(status) => format!("postgres exited ({status})"),
                Err(error) => format!("waiting for postgres failed: {error}"),
            };
            if let Ok(reader) = reader {
                let _ = reader.join();
            }
            let _ = exited_tx.send(Some(report));
        })
        .map_err(io_context("starting the postgres supervisor thread"))?;

    let pid = spawned_rx
        .recv()
        .map_err(|_| LaunchError::StartFailed { output: "the supervisor thread ended before spawning postgres".into() })?
        .map_err(io_context(format!("starting {}/postgres", bin_dir.display())))?;
    tracing::info!(pid, socket_dir = %socket_dir.display(), user = %run_as.name, "embedded postgres started");
    Ok(EmbeddedPostgres {
        pid: Pid::from_raw(pid as i32),
        socket_dir: socket_dir.to_path_buf(),
        exited: exited_rx,
        stderr_tail,
    })
}

/// FATAL lines Postgres writes in normal operation: connections probing while it starts, and
/// connections closed by its own shutdown. Logged at debug so an operator's log shows only news.
const EXPECTED_FATAL: [&str; 2] = ["the database system is starting up", "terminating connection due to administrator command"];

/// Postgres's own log lines, at a level matching their severity.
fn forward_log_line(line: &str) {
    let severity = line.split(':').next().unwrap_or_default().trim();
    match severity {
        "FATAL" if EXPECTED_FATAL.iter().any(|expected| line.contains(expected)) => {
            tracing::debug!(target: "postgres", "{line}")
        }
        "PANIC" | "FATAL" | "ERROR" => tracing::error!(target: "postgres", "{line}"),
        "WARNING" => tracing::warn!(target: "postgres", "{line}"),
        _ => tracing::debug!(target: "postgres", "{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_version_from_version_output() {
        assert_eq!(parse_major_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(), Some("15"));
        assert_eq!(parse_major_version("postgres (PostgreSQL) 17devel").as_deref(), Some("17devel"));
        assert_eq!(parse_major_version("garbage"), None);
    }

    fn fake_bin_dir(root: &Path, version: &str) -> PathBuf {
        let bin = root.join(version).join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::write(bin.join("postgres"), "").unwrap();
        fs::write(bin.join("initdb"), "").unwrap();
        bin
    }

    #[test]
    fn missing_binaries_name_both_fixes() {
        let empty = tempfile::tempdir().unwrap();
        let error = find_bin_dir_in(empty.path(), vec![empty.path().to_path_buf()], None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("install PostgreSQL"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }

    #[test]
    fn newest_version_wins_unless_the_cluster_needs_another() {
        let root = tempfile::tempdir().unwrap();
        let v9 = fake_bin_dir(root.path(), "9");
        let v15 = fake_bin_dir(root.path(), "15");
        let v16 = fake_bin_dir(root.path(), "16");
        assert_eq!(find_bin_dir_in(root.path(), vec![], None).unwrap(), v16);
        assert_eq!(find_bin_dir_in(root.path(), vec![], Some("15")).unwrap(), v15);
        assert_eq!(find_bin_dir_in(root.path(), vec![], Some("9")).unwrap(), v9);
    }

    #[test]
    fn long_socket_dirs_are_replaced_by_a_stable_short_one() {
        let short = Path::new("/var/lib/loupe/run");
        assert_eq!(usable_socket_dir(short), short);
        let long = PathBuf::from(format!("/{}", "x".repeat(120)));
        let replacement = usable_socket_dir(&long);
        assert!(replacement.as_os_str().len() <= MAX_SOCKET_DIR_LEN);
        assert_eq!(replacement, usable_socket_dir(&long));
    }
}
