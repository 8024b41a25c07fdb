//! Test harness: one throw-away Postgres cluster per test process, started by the same launcher
//! Loupe uses, and a fresh migrated database per test.

#![allow(dead_code)] // the harness serves every test file; a helper may lose its last caller for a while

pub mod process;
pub mod ui;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use loupe_server::embedded_postgres::{
    create_database_if_missing, EmbeddedPostgres, PostgresSettings,
};
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
            if let Some(pid) = name
                .strip_prefix("loupe-test-")
                .and_then(|p| p.parse::<u32>().ok())
            {
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
    let dir = tempfile::Builder::new()
        .prefix("loupe-it-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        // Started on its own runtime: each #[tokio::test] has a runtime that ends with the test.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let root = cluster_root();
                std::fs::create_dir_all(&root).unwrap();
                std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
                let settings = PostgresSettings {
                    data_dir: root.join("postgres"),
                    socket_dir: root.join("run"),
                    unsafe_fast: true,
                    extra: Vec::new(),
                };
                let postgres = EmbeddedPostgres::start(&settings)
                    .await
                    .expect("test cluster starts");
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
    let mut admin = sqlx::PgConnection::connect_with(&cluster_options("postgres"))
        .await
        .unwrap();
    create_database_if_missing(&mut admin, &name).await.unwrap();
    admin.close().await.unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(cluster_options(&name))
        .await
        .unwrap();
    loupe_server::database::migrate(&pool).await.unwrap();
    pool
}

/// An app over a fresh database with one organization, project and API key, for driving the
/// public API in-process.
pub struct TestApi {
    pub pool: PgPool,
    pub project_id: String,
    /// The same project as a store scope, for calling the store directly.
    pub project: loupe_core::scope::ProjectId,
    pub public_key: String,
    pub secret_key: String,
}

pub struct TestResponse {
    pub status: axum::http::StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: bytes::Bytes,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestApi {
    /// Fresh database, project `proj-a` in org `org-of-proj-a`, key `pk-lf-a` / `sk-lf-a`.
    pub async fn new() -> TestApi {
        TestApi::in_database(fresh_database().await, "proj-a", "pk-lf-a", "sk-lf-a").await
    }

    /// Another project (and key) in the same database, e.g. to prove isolation.
    pub async fn with_project(
        &self,
        project_id: &str,
        public_key: &str,
        secret_key: &str,
    ) -> TestApi {
        TestApi::in_database(self.pool.clone(), project_id, public_key, secret_key).await
    }

    /// A project someone else created (the binary's headless init), reached through its key.
    pub async fn existing(pool: PgPool, public_key: &str, secret_key: &str) -> TestApi {
        let key = loupe_core::store::api_keys::find_by_public_key(&pool, public_key)
            .await
            .unwrap()
            .expect("the key exists");
        TestApi {
            pool,
            project_id: key.project_id.to_string(),
            project: key.project_id,
            public_key: public_key.to_string(),
            secret_key: secret_key.to_string(),
        }
    }

    async fn in_database(
        pool: PgPool,
        project_id: &str,
        public_key: &str,
        secret_key: &str,
    ) -> TestApi {
        let mut tx = pool.begin().await.unwrap();
        let org_id = format!("org-of-{project_id}");
        loupe_core::store::organizations::create_if_missing(&mut tx, &org_id, "Test org")
            .await
            .unwrap();
        let (_, project) = loupe_core::store::projects::create_if_missing(
            &mut tx,
            &org_id,
            project_id,
            "Test project",
        )
        .await
        .unwrap();
        loupe_core::store::api_keys::create_if_missing(
            &mut tx, &project, public_key, secret_key, "test",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        TestApi {
            pool,
            project_id: project_id.to_string(),
            project,
            public_key: public_key.to_string(),
            secret_key: secret_key.to_string(),
        }
    }

    /// The router as `loupe` serves it, media storage included (under a directory of this test
    /// process, so the media routes are real in every test).
    pub fn router(&self) -> axum::Router {
        let media = loupe_app::state::MediaSettings {
            dir: std::env::temp_dir().join(format!("loupe-test-media-{}", std::process::id())),
            secret: "the test process's secret, 32+ chars".into(),
            bucket: None,
        };
        let secrets = Some(test_secrets());
        self.router_with(loupe_app::state::InstanceSettings {
            media: Some(media),
            secrets,
            ..Default::default()
        })
    }

    pub fn router_with(&self, settings: loupe_app::state::InstanceSettings) -> axum::Router {
        let site_root = std::env::temp_dir();
        let state = loupe_app::state::AppState {
            leptos_options: loupe_server::leptos_options(
                &site_root,
                "127.0.0.1:3000".parse().unwrap(),
            ),
            pool: self.pool.clone(),
            database_mode: loupe_app::domain::system::DatabaseMode::Embedded,
            settings,
        };
        loupe_server::http::router(state)
    }

    pub fn basic_auth(&self) -> String {
        use base64::Engine;
        let pair = format!("{}:{}", self.public_key, self.secret_key);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// Sends one request with this project's Basic auth. `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut builder = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", self.basic_auth());
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                axum::body::Body::from(serde_json::to_vec(&json).unwrap())
            }
            None => axum::body::Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// Sends a request as built (headers and all) to a fresh router over this database.
    pub async fn send(&self, request: axum::http::Request<axum::body::Body>) -> TestResponse {
        send(&self.router(), request).await
    }
}

/// Sends one request to `router` and reads the whole response.
pub async fn send(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> TestResponse {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A refusal the per-event rules do not foresee, standing in for any future constraint: the
/// database refuses every observation named `poison` (SQLSTATE 22023, "poison refused").
pub async fn refuse_poisoned_observations(pool: &PgPool) {
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poison refused' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON observations FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Every trace of `project_id` whose `trace_metrics` row disagrees with its aggregates recomputed
/// from the stored `observations` (every column; costs up to float summation order) or with its
/// trace's timestamp, or that has no row: one line each, stored against recomputed. Empty when
/// ingestion kept the aggregates exact (a delta applied twice shows here).
pub async fn trace_metrics_drift(pool: &PgPool, project_id: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT coalesce(m.trace_id, o.trace_id, t.id) || ': stored ' || coalesce(to_jsonb(m)::text, 'none')
                || ' recomputed ' || coalesce(to_jsonb(o)::text, 'none') || ' trace time ' || coalesce(t.timestamp::text, 'none')
         FROM (SELECT * FROM trace_metrics WHERE project_id = $1) m
         FULL JOIN (SELECT trace_id, count(*)::int AS observation_count, min(start_time) AS start_time,
                           max(greatest(start_time, end_time)) AS end_time, coalesce(sum(total_cost), 0)::float8 AS total_cost,
                           coalesce(sum((usage_details ->> 'total')::bigint), 0)::bigint AS total_tokens,
                           max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END)::smallint AS level,
                           count(*) FILTER (WHERE level = 'ERROR')::int AS error_count,
                           count(*) FILTER (WHERE level = 'WARNING')::int AS warning_count,
                           coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), '{}') AS models
                    FROM observations WHERE project_id = $1 GROUP BY trace_id) o ON o.trace_id = m.trace_id
         FULL JOIN (SELECT id, timestamp FROM traces WHERE project_id = $1) t ON t.id = coalesce(m.trace_id, o.trace_id)
         WHERE m.trace_id IS NULL
            OR m.timestamp IS DISTINCT FROM t.timestamp
            OR m.observation_count <> coalesce(o.observation_count, 0)
            OR m.start_time IS DISTINCT FROM o.start_time
            OR m.end_time IS DISTINCT FROM o.end_time
            OR abs(m.total_cost - coalesce(o.total_cost, 0)) > 1e-9 * greatest(1, abs(o.total_cost))
            OR m.total_tokens <> coalesce(o.total_tokens, 0)
            OR m.level <> coalesce(o.level, 0)
            OR m.error_count <> coalesce(o.error_count, 0)
            OR m.warning_count <> coalesce(o.warning_count, 0)
            OR m.models <> coalesce(o.models, '{}')",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The key ring the test routers seal LLM connections with.
pub fn test_secrets() -> loupe_core::secrets::SecretBox {
    loupe_core::secrets::SecretBox::new("the test process's secret, 32+ chars", 1)
}

/// Everything in the test's database as `pg_dump` writes it: what someone with a copy of the
/// database would read. (Its own database, not `pg_dumpall` of the cluster: every test of the
/// binary shares the cluster, and the others' databases come and go while it runs.)
pub async fn dump_database(pool: &PgPool) -> String {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's binaries under /usr/lib/postgresql")
        .flatten()
        .map(|entry| entry.path().join("bin/pg_dump"))
        .find(|path| path.exists())
        .expect("pg_dump");
    let options = cluster_options(&database);
    let output = tokio::process::Command::new(bin)
        .arg("--host")
        .arg(cluster().postgres.socket_dir())
        .arg("--username")
        .arg(options.get_username())
        .arg("--no-password")
        .arg(&database)
        .output()
        .await
        .expect("pg_dump runs");
    assert!(
        output.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The app's state over `pool` for a router a test serves itself (live streams, documents):
/// external database, default settings.
pub fn app_state(pool: PgPool) -> loupe_app::state::AppState {
    loupe_app::state::AppState {
        leptos_options: loupe_server::leptos_options(
            &std::env::temp_dir(),
            "127.0.0.1:3000".parse().unwrap(),
        ),
        pool,
        database_mode: loupe_app::domain::system::DatabaseMode::External,
        settings: Default::default(),
    }
}

/// An OpenAI-compatible connection named "judge" at `base` (a `loupe_fake_llm` server) in the
/// test project: what evaluators and experiments call.
pub async fn judge_connection(api: &TestApi, secrets: &loupe_core::secrets::SecretBox, base: &str) {
    let input = loupe_app::domain::llm_connections::ConnectionInput {
        provider: "judge".into(),
        adapter: loupe_app::domain::llm_connections::Adapter::OpenAi,
        secret_key: "sk-judge".into(),
        base_url: Some(base.to_string()),
        custom_models: vec![],
        with_default_models: true,
        extra_headers: vec![],
        config: None,
    };
    let mut tx = api.pool.begin().await.unwrap();
    loupe_core::store::llm_connections::upsert(&mut tx, secrets, &api.project, &input).await.unwrap();
    tx.commit().await.unwrap();
}

/// Stores an evaluator as the server function would (checked against its template); its id.
pub async fn create_evaluator(api: &TestApi, input: &loupe_app::domain::evaluators::EvaluatorInput) -> String {
    let template = loupe_core::store::evaluators::template(&api.pool, &api.project, &input.template_id).await.unwrap().unwrap();
    let checked = input.checked(&template).unwrap();
    let mut tx = api.pool.begin().await.unwrap();
    let created = loupe_core::store::evaluators::create(&mut tx, &api.project, &checked, &template, "test").await.unwrap();
    tx.commit().await.unwrap();
    created.id
}
