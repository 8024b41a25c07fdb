//! Test harness: one throw-away Postgres cluster per test binary, started by the same launcher
//! Loupe uses, and a fresh migrated database per test.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use loupe_server::embedded_postgres::{create_database_if_missing, EmbeddedPostgres, PostgresSettings};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

struct Cluster {
    postgres: EmbeddedPostgres,
    root: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// `/tmp/loupe-test-<pid>`: under /tmp (not the target dir) because when tests run as root the
/// `postgres` OS user must be able to traverse every parent directory.
fn cluster_root() -> PathBuf {
    let base = std::env::temp_dir();
    // Clusters of earlier, finished test runs: their process is gone, so remove them.
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("loupe-test-").and_then(|p| p.parse::<u32>().ok()) {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    base.join(format!("loupe-test-{}", std::process::id()))
}

/// A directory under /tmp that the Postgres OS user can traverse (mode 0755).
pub fn traversable_temp_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("loupe-it-").tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        // Started on its own runtime: each #[tokio::test] has a runtime that ends with the test.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let root = cluster_root();
                std::fs::create_dir_all(&root).unwrap();
                std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
                let settings = PostgresSettings {
                    data_dir: root.join("postgres"),
                    socket_dir: root.join("run"),
                    unsafe_fast: true,
                };
                let postgres = EmbeddedPostgres::start(&settings).await.expect("test cluster starts");
                Cluster { postgres, root }
            })
        })
        .join()
        .expect("cluster thread")
    })
}

pub fn cluster_options(database: &str) -> PgConnectOptions {
    cluster().postgres.connect_options_for(database)
}

/// A new, migrated database for one test.
pub async fn fresh_database() -> PgPool {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect_with(&cluster_options("postgres")).await.unwrap();
    create_database_if_missing(&mut admin, &name).await.unwrap();
    admin.close().await.unwrap();
    let pool = PgPoolOptions::new().max_connections(5).connect_with(cluster_options(&name)).await.unwrap();
    loupe_server::database::migrate(&pool).await.unwrap();
    pool
}
