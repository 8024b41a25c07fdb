//! The HTTP surface driven in-process (`Router::oneshot`) against a real Postgres.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use loupe_app::domain::system::DatabaseMode;
use loupe_app::state::AppState;
use sqlx::PgPool;
use tower::ServiceExt;

fn state(pool: PgPool) -> AppState {
    let site_root = std::env::temp_dir();
    AppState {
        leptos_options: loupe_server::leptos_options(&site_root, "127.0.0.1:3000".parse().unwrap()),
        pool,
        database_mode: DatabaseMode::Embedded,
        settings: Default::default(),
    }
}

async fn send(pool: &PgPool, request: Request<Body>) -> (StatusCode, String) {
    let response = loupe_server::http::router(state(pool.clone())).oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_is_ok_with_version() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/api/public/health")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, serde_json::json!({ "status": "OK", "version": env!("CARGO_PKG_VERSION") }));
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let pool = common::fresh_database().await;
    pool.close().await;
    let (status, body) = send(&pool, get("/api/public/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("Database not available"), "{body}");
}

#[tokio::test]
async fn unknown_public_api_route_is_a_json_404() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/api/public/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["message"], "no public API route for GET /api/public/nothing-here");
}

/// Pages are rendered by the real binary: rendering Leptos pages in-process from the test
/// harness's per-test runtimes sometimes stalls a streamed page forever (a harness matter — the
/// server runs one runtime — seen about one run in ten), so these tests start Loupe itself.
#[test]
fn pages_render_on_the_server() {
    use common::process::{loupe, request, sign_in_cookie, Running};
    let data = common::traversable_temp_dir();
    let running = Running::start(
        loupe()
            .arg("--data-dir")
            .arg(data.path().join("data"))
            // The repository's `public/` (what a build copies into the site root), so the site
            // root holds a real static file (`favicon.svg`) whether or not a site was built.
            .arg("--site-root")
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public"))
            .env("LOUPE_PG_UNSAFE_FAST", "true")
            .env("LANGFUSE_INIT_ORG_ID", "org-pages")
            .env("LANGFUSE_INIT_PROJECT_ID", "proj-pages")
            .env("LANGFUSE_INIT_PROJECT_NAME", "Pages")
            .env("LANGFUSE_INIT_USER_EMAIL", "pages@example.com")
            .env("LANGFUSE_INIT_USER_PASSWORD", "pages-password"),
    );
    let get = |path: &str, cookie: Option<&str>| {
        let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("Cookie", c)]).unwrap_or_default();
        // Text as a reader sees it: erased views and translated sentences with arguments put
        // `<!>` markers between text nodes.
        let (status, body) = request(running.addr, "GET", path, &headers, b"").unwrap();
        (status, body.replace("<!>", ""))
    };
    // Signed out: the sign-in page renders; everything else leads there.
    let (status, body) = get("/sign-in", None);
    assert_eq!(status, 200);
    assert!(body.contains("Sign in to Loupe"), "{body}");
    assert_eq!(get("/", None).0, 303);

    let cookie = sign_in_cookie(running.addr, "pages@example.com", "pages-password");
    let (status, body) = get("/", Some(&cookie));
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to Loupe"));
    // The stylesheet: in the build directory once a site build wrote pkg/hash.txt, else plain.
    let href = body.split("rel=\"stylesheet\" id=\"loupe\" href=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    let in_build_dir = href.strip_prefix("/pkg/").and_then(|rest| rest.strip_suffix("/loupe.css")).is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(in_build_dir || href == "/pkg/loupe.css", "stylesheet {href:?}: {body}");

    let (status, body) = get("/project/proj-pages/dashboards", Some(&cookie));
    assert_eq!(status, 200);
    for label in ["Traces", "Sessions", "Users", "Prompts", "Playground", "Scores", "Annotation queues", "Datasets", "Evaluators", "Dashboards", "Settings"] {
        // (Erased views, `--cfg erase_components`, end a text with a `<!>` marker.)
        let shown = [format!("<span>{label}</span>"), format!("<span>{label}<!></span>")].iter().any(|html| body.contains(html));
        assert!(shown, "navigation lacks {label}: {body}");
    }
    assert!(body.contains("href=\"/project/proj-pages/traces\""), "links stay in the project");
    // (A translated sentence with an argument renders it as its own text node: drop the markers.)
    let text = body.replace("<!>", "").replace("<!---->", "");
    // The dashboards list (#22), rendered on the server: the built-in home dashboard first.
    assert!(text.contains("<h1") && text.contains("Home dashboard") && text.contains("href=\"/project/proj-pages\""), "{body}");

    // Someone else's (or no) project or organization: not found, whichever it is, with a 404.
    let (status, body) = get("/project/proj-elsewhere/dashboards", Some(&cookie));
    assert_eq!(status, 404);
    assert!(body.contains("This project was not found"), "{body}");
    assert!(!body.contains("Home dashboard"), "{body}");
    let (status, body) = get("/organization/org-elsewhere/members", Some(&cookie));
    assert_eq!(status, 404);
    assert!(body.contains("was not found"), "{body}");
    assert_eq!(get("/organization/org-pages", Some(&cookie)).0, 200);
    assert_eq!(get("/project/proj-pages/prompts", Some(&cookie)).0, 200);

    // Ids with dots, percent-encoding, CJK and emoji are pages like any other: signed out they
    // lead to sign-in, signed in they render for the person (a dot once made them "static files"
    // that skipped the session). The site root's real files stay public.
    for path in [
        "/project/proj-pages/users/carol%40globex.com",
        "/project/proj-pages/users/%E5%BC%A0%E4%B8%89",
        "/project/proj-pages/sessions/sess.1",
        "/project/proj-pages/sessions/%F0%9F%A6%80.chat",
        "/project/proj-pages/prompts/foo.bar",
        "/project/proj-pages/prompts/%E5%AE%A2%E6%9C%8D.v2",
        "/project/proj-pages/traces/abc.def",
    ] {
        let (status, _) = get(path, None);
        assert_eq!(status, 303, "{path} signed out");
        // Nothing by these ids exists: the page says so (404, as a missing session or trace
        // answers), inside the project, to the signed-in person.
        let (status, body) = get(path, Some(&cookie));
        assert!(matches!(status, 200 | 404), "{path}: {status} {body}");
        assert!(body.contains("href=\"/project/proj-pages/traces\""), "{path} renders in the project: {body}");
        assert!(!body.contains("Not signed in") && !body.contains("This project was not found"), "{path}: {body}");
    }
    let (status, body) = get("/favicon.svg", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<svg"), "{body}");

    // Unknown pages: a 404 in the app shell.
    let (status, body) = get("/no/such/page", Some(&cookie));
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    assert!(body.contains("aria-label=\"Main\""), "the 404 page keeps the navigation");

    // The language (issue #17): the browser's Accept-Language, until the account has a choice,
    // which then wins in every browser. The first HTML is already in it, with `<html lang>`.
    let page_in = |accept: &str| {
        let (status, body) = request(running.addr, "GET", "/project/proj-pages/dashboards", &[("Cookie", &cookie), ("Accept-Language", accept)], b"").unwrap();
        assert_eq!(status, 200, "{body}");
        body.replace("<!>", "")
    };
    let body = page_in("zh-CN,zh;q=0.9,en;q=0.8");
    assert!(body.contains("lang=\"zh\""), "{body}");
    let text = body.replace("<!>", "").replace("<!---->", "");
    assert!(text.contains("首页仪表盘") && text.contains("追踪"), "{body}");
    let body = page_in("en-US,en;q=0.9");
    assert!(body.contains("lang=\"en\"") && body.replace("<!>", "").contains("Home dashboard"), "{body}");
    let origin = format!("http://{}", running.addr);
    let set_language = |language: &str| {
        let form = format!("language={language}");
        let headers = [("Cookie", cookie.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        request(running.addr, "POST", "/api/ui/set_language", &headers, form.as_bytes()).unwrap()
    };
    assert_eq!(set_language("zh").0, 200);
    let body = page_in("en-US,en;q=0.9");
    assert!(body.contains("lang=\"zh\"") && body.replace("<!>", "").contains("首页仪表盘"), "the account's choice wins over the browser: {body}");
    let (status, body) = set_language("fr");
    assert_eq!(status, 400, "{body}");
    // Refusals are worded in the person's language too: the account's, Chinese here.
    assert!(body.contains("未知语言") && body.contains("fr"), "{body}");
    assert_eq!(set_language("").0, 200, "nothing: follow the browser again");
    assert!(page_in("en-US").replace("<!>", "").contains("Home dashboard"));
}

#[tokio::test]
async fn system_status_server_function_reads_postgres() {
    let api = common::TestApi::new().await;
    let pool = api.pool.clone();
    sqlx::query("INSERT INTO organizations (id, name) VALUES ('o1', 'One'), ('o2', 'Two')").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ('p1', 'o1', 'P')").execute(&pool).await.unwrap();
    // Signed out: refused; the instance's first account administers it and may read it.
    assert_eq!(common::ui::Browser::new(&api).call("system_status", &[]).await.status, 401);
    let mut admin = common::ui::Browser::sign_up(&api, "admin@example.com", "correct horse battery").await;
    let json = admin.ok("system_status", &[]).await;
    assert_eq!(json["n_organizations"], 3, "org-a of the harness and two here");
    assert_eq!(json["n_projects"], 2);
    assert_eq!(json["n_users"], 1);
    let mut other = common::ui::Browser::sign_up(&api, "bob@example.com", "correct horse battery").await;
    assert_eq!(other.call("system_status", &[]).await.status, 403, "other people do not see instance-wide counts");
    assert_eq!(json["database_mode"], "Embedded");
    assert!(json["postgres_version"].as_str().unwrap().starts_with(char::is_numeric));
    assert_eq!(json["jobs"], serde_json::json!([]));

    // The background jobs: per kind, and the failed one with its error.
    sqlx::query(
        "INSERT INTO jobs (kind, state, attempts, max_attempts, last_error, finished_at) VALUES
           ('media.remove_orphans', 'succeeded', 1, 5, NULL, now()),
           ('media.remove_orphans', 'failed', 5, 5, 'listing the media bucket: HTTP 403', now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let json = admin.ok("system_status", &[]).await;
    assert_eq!(json["jobs"][0]["kind"], "media.remove_orphans");
    assert_eq!((json["jobs"][0]["succeeded"].as_i64(), json["jobs"][0]["failed"].as_i64()), (Some(1), Some(1)));
    assert_eq!(json["troubled_jobs"].as_array().unwrap().len(), 1);
    assert_eq!(json["troubled_jobs"][0]["last_error"], "listing the media bucket: HTTP 403");
}
