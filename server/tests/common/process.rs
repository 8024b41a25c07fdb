//! Running the real `loupe` binary from tests: a clean environment, its log captured, the
//! address it reports once ready, and a minimal HTTP client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const BIN: &str = env!("CARGO_BIN_EXE_loupe");

/// A command with a clean environment: nothing from the developer's shell leaks in.
pub fn loupe() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LOUPE_LOG", "info");
    command
}

/// `loupe` on the test's own database (`DATABASE_URL`), with headless initialization of project
/// `proj-{name}` (keys `pk-lf-{name}` / `sk-lf-{name}`) and its owner `{name}@example.com` /
/// `admin-password`.
pub fn loupe_on(pool: &sqlx::PgPool, name: &str) -> Command {
    let options = pool.connect_options();
    let database = options.get_database().unwrap().to_string();
    let socket = options.get_socket().unwrap().display().to_string();
    let mut command = loupe();
    command
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@localhost/{database}?host={socket}"),
        )
        .env("LANGFUSE_INIT_ORG_ID", format!("org-{name}"))
        .env("LANGFUSE_INIT_PROJECT_ID", format!("proj-{name}"))
        .env("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", format!("pk-lf-{name}"))
        .env("LANGFUSE_INIT_PROJECT_SECRET_KEY", format!("sk-lf-{name}"))
        .env("LANGFUSE_INIT_USER_EMAIL", format!("{name}@example.com"))
        .env("LANGFUSE_INIT_USER_PASSWORD", "admin-password");
    command
}

/// The database of a Loupe running its embedded Postgres in `data_dir`, through the socket that
/// Postgres reports in `postmaster.pid` (line 5).
pub async fn embedded_database(data_dir: &std::path::Path) -> sqlx::PgPool {
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).unwrap();
    let socket_dir = pid_file.lines().nth(4).expect("socket directory in postmaster.pid");
    let options = sqlx::postgres::PgConnectOptions::new().socket(socket_dir).username("postgres").database("loupe");
    sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(options).await.unwrap()
}

pub fn run_to_end(command: &mut Command) -> (ExitStatus, String) {
    let output = command.stdin(Stdio::null()).output().unwrap();
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status, text)
}

pub struct Running {
    pub child: Child,
    pub log: Arc<Mutex<String>>,
    pub addr: SocketAddr,
}

impl Running {
    pub fn start(command: &mut Command) -> Running {
        let mut child = command
            .arg("--addr")
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let log_for_reader = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("Loupe is ready at http://").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .parse::<SocketAddr>()
                        .unwrap();
                    let _ = addr_tx.send(addr);
                }
                let mut log = log_for_reader.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("loupe did not become ready:\n{}", log.lock().unwrap()));
        Running { child, log, addr }
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }

    pub fn wait(mut self, limit: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100)); // let the reader drain
                return (status, self.log.lock().unwrap().clone());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "loupe did not exit within {limit:?}:\n{}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A test that fails between `start` and `wait` must not leave its server behind (holding a
/// port, a data directory and, with embedded Postgres, a postmaster): kill it on the way out.
impl Drop for Running {
    fn drop(&mut self) {
        // Already reaped (by `wait`): its pid may belong to someone else by now.
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        // SIGTERM first, so an embedded Postgres is stopped too; SIGKILL if that takes too long.
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while matches!(self.child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A minimal HTTP/1.1 exchange, enough for health checks and a server function.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// One HTTP/1.1 request with headers and a body; `None` when the connection fails (e.g. the
/// server was killed mid-request).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Signs in through the UI's server function; returns the session cookie (`name=value`).
pub fn sign_in_cookie(addr: SocketAddr, email: &str, password: &str) -> String {
    let form = format!("email={}&password={}", email.replace('@', "%40"), password);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/ui/sign_in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| line[11..].trim().split(';').next().unwrap().to_string())
        })
        .unwrap_or_else(|| panic!("sign-in set no cookie: {response}"))
}

/// Signs in and reads the instance status with the session cookie (the status is for instance
/// administrators, such as the headless-init user).
pub fn status_as(addr: SocketAddr, email: &str, password: &str) -> (u16, String) {
    let cookie = sign_in_cookie(addr, email, password);
    request(
        addr,
        "POST",
        "/api/ui/system_status",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"",
    )
    .unwrap()
}
