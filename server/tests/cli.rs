//! The real `loupe` binary: flags, errors a person can act on, and the lifecycle of the process
//! with its embedded Postgres (start, refuse a second instance, stop on SIGTERM/SIGINT, survive
//! SIGKILL, keep data across restarts).

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use common::process::{http, loupe, run_to_end, status_as, Running};

fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    condition()
}

fn postmaster_running(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

#[test]
fn help_documents_every_setting() {
    let (status, text) = run_to_end(loupe().arg("--help"));
    assert!(status.success(), "{text}");
    for name in [
        "LOUPE_ADDR", "LOUPE_DATA_DIR", "DATABASE_URL", "LOUPE_PUBLIC_URL", "LOUPE_LOG", "LOUPE_SECRET",
        "LANGFUSE_INIT_ORG_ID", "LANGFUSE_INIT_ORG_NAME", "LANGFUSE_INIT_PROJECT_ID", "LANGFUSE_INIT_PROJECT_NAME",
        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "LANGFUSE_INIT_PROJECT_SECRET_KEY", "LANGFUSE_INIT_USER_EMAIL",
        "LANGFUSE_INIT_USER_NAME", "LANGFUSE_INIT_USER_PASSWORD",
    ] {
        assert!(text.contains(name), "--help does not mention {name}");
    }
    assert!(text.contains("127.0.0.1:3000") && text.contains("./data"), "defaults are documented");
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let (status, text) = run_to_end(loupe().arg("--bogus-flag"));
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(text.contains("--bogus-flag"), "{text}");

    let (status, text) = run_to_end(loupe().env("LOUPE_ADDR", "not-an-address"));
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(text.contains("--addr"), "{text}");

    let (status, text) = run_to_end(loupe().env("LOUPE_SECRET", "too-short"));
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(text.contains("LOUPE_SECRET") && text.contains("32"), "{text}");

    let (status, text) = run_to_end(loupe().env("LANGFUSE_INIT_PROJECT_ID", "p"));
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(text.contains("LANGFUSE_INIT_ORG_ID"), "{text}");
}

#[test]
fn port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data = common::traversable_temp_dir();
    let (status, text) = run_to_end(loupe().arg("--addr").arg(format!("127.0.0.1:{port}")).arg("--data-dir").arg(data.path()));
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("port {port} is already in use")), "{text}");
    assert!(!data.path().join("postgres").exists(), "nothing was started before the port check");
}

#[test]
fn unreachable_database_is_retried_then_reported() {
    let data = common::traversable_temp_dir();
    let started = Instant::now();
    let (status, text) = run_to_end(
        loupe()
            .env("DATABASE_URL", "postgres://loupe:hunter2@127.0.0.1:9/loupe")
            .env("LOUPE_DB_CONNECT_TIMEOUT", "2")
            .arg("--addr").arg("127.0.0.1:0")
            .arg("--data-dir").arg(data.path()),
    );
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("retrying"), "each retry is logged:\n{text}");
    assert!(text.contains("could not reach the database at 127.0.0.1:9"), "{text}");
    assert!(!text.contains("hunter2"), "the password never reaches the log");
    assert!(started.elapsed() >= Duration::from_secs(2), "it kept trying for the configured time");
}

#[test]
fn lifecycle_with_embedded_postgres() {
    let data = common::traversable_temp_dir();
    let data_dir = data.path().join("data");
    let on_data_dir = || {
        let mut command = loupe();
        command.arg("--data-dir").arg(&data_dir).env("LOUPE_PG_UNSAFE_FAST", "false");
        command
    };

    // First start: creates the cluster and, through headless init, one organization.
    let first = Running::start(
        on_data_dir()
            .env("LANGFUSE_INIT_ORG_ID", "org-lifecycle")
            .env("LANGFUSE_INIT_USER_EMAIL", "admin@example.com")
            .env("LANGFUSE_INIT_USER_PASSWORD", "admin-password"),
    );
    let (status, body) = http(first.addr, "GET", "/api/public/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""status":"OK""#), "{body}");
    assert!(postmaster_running(&data_dir));

    // A second Loupe on the same data directory is refused before it touches anything.
    let (status, text) = run_to_end(on_data_dir().arg("--addr").arg("127.0.0.1:0"));
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("already in use by another Loupe process"), "{text}");
    assert!(text.contains(&first.child.id().to_string()), "names the pid holding it: {text}");

    // SIGTERM: a clean stop, Postgres included.
    first.signal(Signal::SIGTERM);
    let (status, log) = first.wait(Duration::from_secs(60));
    assert!(status.success(), "{log}");
    assert!(log.contains("embedded postgres stopped"), "{log}");
    assert!(!postmaster_running(&data_dir), "postgres is gone after a clean stop");

    // Restart without init: the organization is still there.
    let second_run = Running::start(&mut on_data_dir());
    let (status, body) = status_as(second_run.addr, "admin@example.com", "admin-password");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""n_organizations":1"#), "data survived the restart: {body}");

    // SIGKILL gives Loupe no chance to clean up: Postgres must stop on its own.
    second_run.signal(Signal::SIGKILL);
    let (_, log) = second_run.wait(Duration::from_secs(10));
    assert!(wait_until(Duration::from_secs(30), || !postmaster_running(&data_dir)), "postgres outlived a killed Loupe:\n{log}");

    // And the next start recovers; Ctrl-C (SIGINT) stops it cleanly too.
    let third = Running::start(&mut on_data_dir());
    let (status, body) = status_as(third.addr, "admin@example.com", "admin-password");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""n_organizations":1"#), "{body}");
    third.signal(Signal::SIGINT);
    let (status, log) = third.wait(Duration::from_secs(60));
    assert!(status.success(), "{log}");
    assert!(!postmaster_running(&data_dir));
}

#[test]
fn database_url_mode_starts_no_postgres() {
    let data = common::traversable_temp_dir();
    // The harness's own cluster plays the external database, reached through its socket.
    let options = common::cluster_options("postgres");
    let socket = options.get_socket().unwrap().display().to_string();
    let database_url = format!("postgres://postgres@localhost/postgres?host={socket}");
    let mut command = loupe();
    command
        .env("DATABASE_URL", &database_url)
        .env("LANGFUSE_INIT_ORG_ID", "org-external")
        .env("LANGFUSE_INIT_USER_EMAIL", "external@example.com")
        .env("LANGFUSE_INIT_USER_PASSWORD", "admin-password")
        .arg("--data-dir")
        .arg(data.path());
    let running = Running::start(&mut command);
    let (status, body) = status_as(running.addr, "external@example.com", "admin-password");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""database_mode":"External""#), "{body}");
    assert!(!data.path().join("postgres").exists(), "no embedded cluster with DATABASE_URL");
    running.signal(Signal::SIGTERM);
    let (status, log) = running.wait(Duration::from_secs(30));
    assert!(status.success(), "{log}");
}
