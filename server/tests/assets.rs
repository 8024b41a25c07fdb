//! The browser bundle in a content-addressed build directory (issue #16): pages link the files of
//! the directory named by the site's `pkg/hash.txt`, which are cached for good; the unhashed
//! copies are revalidated.
//! Pages are rendered by the real binary (see `pages_render_on_the_server` in http.rs for why).

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::process::{loupe, Running};

const BUILD: &str = "0123456789abcdef";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site root as `build_site` leaves it: the unhashed files, the build directory with the same
/// files (here with other contents, to tell which one is served) and the build file.
fn site_root(build_file: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("loupe-site-").tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join(BUILD)).unwrap();
    let files: [(String, &[u8]); 7] = [
        ("loupe.js".into(), b"// the unhashed glue"),
        ("loupe_bg.wasm".into(), b"\0asm unhashed"),
        ("loupe.css".into(), b"/* the unhashed stylesheet */"),
        (format!("{BUILD}/loupe.js"), b"// the hashed glue"),
        (format!("{BUILD}/loupe_bg.wasm"), b"\0asm hashed"),
        (format!("{BUILD}/loupe.css"), b"/* the hashed stylesheet */"),
        (format!("{BUILD}/split_home_route_view_1.wasm"), b"\0asm a lazy route"),
    ];
    for (name, contents) in files {
        std::fs::write(pkg.join(name), contents).unwrap();
    }
    if let Some(text) = build_file {
        std::fs::write(pkg.join("hash.txt"), text).unwrap();
    }
    dir
}

fn complete_build_file() -> String {
    format!("build: {BUILD}\n")
}

struct Response {
    status: u16,
    /// The header block, names lower-cased.
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| line.split_once(':').filter(|(n, _)| *n == name).map(|(_, v)| v.trim()))
    }
}

/// A plain GET (no `Accept-Encoding`: bodies come back as stored).
fn get(addr: SocketAddr, path: &str) -> Response {
    get_accepting(addr, path, None)
}

/// A GET with an `Accept-Encoding` header when one is given.
fn get_accepting(addr: SocketAddr, path: &str, accept_encoding: Option<&str>) -> Response {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let accept = accept_encoding.map(|a| format!("Accept-Encoding: {a}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let head = head.lines().skip(1).map(|line| match line.split_once(':') {
        Some((name, value)) => format!("{}:{value}\n", name.to_ascii_lowercase()),
        None => format!("{line}\n"),
    });
    Response { status, head: head.collect(), body: body.to_string() }
}

/// The real binary serving `site_root`, after its data directory: bound in this order, the
/// server stops before the directory is removed.
fn serve(site_root: &Path) -> (tempfile::TempDir, Running) {
    let data = common::traversable_temp_dir();
    let running = Running::start(
        loupe()
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .arg("--site-root")
            .arg(site_root)
            .env("LOUPE_PG_UNSAFE_FAST", "true"),
    );
    (data, running)
}

#[test]
fn pages_link_the_build_directory_which_is_cached_for_good() {
    let site = site_root(Some(&complete_build_file()));
    let (_data, running) = serve(site.path());
    let addr = running.addr;

    let page = get(addr, "/sign-in");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to Loupe"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/pkg/{BUILD}/loupe.js\"")), "modulepreload of the glue: {}", page.body);
    assert!(page.body.contains(&format!("href=\"/pkg/{BUILD}/loupe_bg.wasm\"")), "preload of the wasm: {}", page.body);
    assert!(page.body.contains(&format!("rel=\"stylesheet\" id=\"loupe\" href=\"/pkg/{BUILD}/loupe.css\"")), "{}", page.body);
    assert!(!page.body.contains("\"/pkg/loupe"), "no unhashed file is linked: {}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"), "pages are not cached");

    for (name, contents, content_type) in [
        ("loupe.js", "// the hashed glue", "javascript"),
        ("loupe_bg.wasm", "\0asm hashed", "application/wasm"),
        ("loupe.css", "/* the hashed stylesheet */", "text/css"),
        ("split_home_route_view_1.wasm", "\0asm a lazy route", "application/wasm"),
    ] {
        let file = get(addr, &format!("/pkg/{BUILD}/{name}"));
        assert_eq!(file.status, 200, "{name}");
        assert_eq!(file.body, contents, "{name}");
        assert_eq!(file.header("cache-control"), Some(IMMUTABLE), "{name}:\n{}", file.head);
        assert!(file.header("content-type").is_some_and(|t| t.contains(content_type)), "{name}:\n{}", file.head);
    }

    for (name, contents) in [("loupe.js", "// the unhashed glue"), ("loupe_bg.wasm", "\0asm unhashed"), ("loupe.css", "/* the unhashed stylesheet */")] {
        let file = get(addr, &format!("/pkg/{name}"));
        assert_eq!(file.status, 200, "{name}");
        assert_eq!(file.body, contents, "{name}");
        assert_eq!(file.header("cache-control"), Some("no-cache"), "{name} is revalidated:\n{}", file.head);
        assert!(file.header("last-modified").is_some(), "{name} can be revalidated:\n{}", file.head);
    }

    // A file of another build (removed since): not found, and not cached for good.
    let gone = get(addr, "/pkg/aaaaaaaaaaaaaaaa/loupe.js");
    assert_eq!(gone.status, 404);
    assert_eq!(gone.header("cache-control"), Some("no-cache"), "{}", gone.head);
}

/// A release build directory holds each file's brotli and gzip variants (`xtask compress`): the
/// server sends the one the browser accepts as it is, with `Vary`, and compresses per response
/// only what has none.
#[test]
fn precompressed_variants_are_sent_to_browsers_that_accept_them() {
    let site = site_root(Some(&complete_build_file()));
    let build = site.path().join("pkg").join(BUILD);
    // The variants' bytes are told apart from the file's; the server does not decode them.
    std::fs::write(build.join("loupe_bg.wasm.br"), "the brotli variant").unwrap();
    std::fs::write(build.join("loupe_bg.wasm.gz"), "the gzip variant").unwrap();
    // Large enough for the compression layer (it leaves bodies under 32 bytes alone).
    std::fs::write(build.join("loupe.css"), "/* a stylesheet */ ".repeat(100)).unwrap();
    let (_data, running) = serve(site.path());
    let wasm = format!("/pkg/{BUILD}/loupe_bg.wasm");
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), Some("br"), "the brotli variant"),
        (Some("gzip, deflate"), Some("gzip"), "the gzip variant"),
        (None, None, "\0asm hashed"),
    ] {
        let file = get_accepting(running.addr, &wasm, accept);
        assert_eq!(file.status, 200, "{accept:?}");
        assert_eq!(file.body, body, "{accept:?}");
        assert_eq!(file.header("content-encoding"), encoding, "{accept:?}:\n{}", file.head);
        assert!(file.header("content-type").is_some_and(|t| t.contains("application/wasm")), "{accept:?}:\n{}", file.head);
        assert_eq!(file.header("cache-control"), Some(IMMUTABLE), "{accept:?}:\n{}", file.head);
        if encoding.is_some() {
            assert_eq!(file.header("vary"), Some("accept-encoding"), "a shared cache keeps one copy per encoding:\n{}", file.head);
        }
    }
    // A file without variants (the stylesheet here; every file of a debug build) is compressed
    // for the response, as before.
    let css = get_accepting(running.addr, &format!("/pkg/{BUILD}/loupe.css"), Some("gzip"));
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-encoding"), Some("gzip"), "{}", css.head);
    assert_eq!(css.header("cache-control"), Some(IMMUTABLE), "{}", css.head);
}

#[test]
fn the_build_directory_is_linked_only_when_complete() {
    let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
    let options = |site: &Path| loupe_server::leptos_options(site, addr);

    let plain = site_root(None);
    assert_eq!(loupe_server::http::assets::build_dir(plain.path()), None);
    assert_eq!(options(plain.path()).site_pkg_dir.as_ref(), "pkg", "no build file: the unhashed copies");

    let other = site_root(Some("build: 9999999999999999\n"));
    assert_eq!(loupe_server::http::assets::build_dir(other.path()), None, "names a directory that is not there");
    assert_eq!(options(other.path()).site_pkg_dir.as_ref(), "pkg");

    let incomplete = site_root(Some(&complete_build_file()));
    std::fs::remove_file(incomplete.path().join("pkg").join(BUILD).join("loupe.css")).unwrap();
    assert_eq!(loupe_server::http::assets::build_dir(incomplete.path()), None, "the stylesheet is missing");

    let built = site_root(Some(&complete_build_file()));
    assert_eq!(loupe_server::http::assets::build_dir(built.path()).as_deref(), Some(BUILD));
    let options = options(built.path());
    assert_eq!(options.site_pkg_dir.as_ref(), format!("pkg/{BUILD}"));
    assert!(!options.hash_files, "Leptos's per-file hashing stays off: the directory carries the hash");
}
