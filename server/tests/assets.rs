//! The browser bundle under content-hashed names (issue #16): pages link the hashed files named
//! by the site's `pkg/hash.txt`, which are cached for good; the unhashed files are revalidated.
//! Pages are rendered by the real binary (see `pages_render_on_the_server` in http.rs for why).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::process::{loupe, Running};

const JS: &str = "0123456789abcdef";
const WASM: &str = "fedcba9876543210";
const CSS: &str = "00112233445566ff";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site root as `build_site` leaves it: the unhashed files, their hashed copies (here with
/// other contents, to tell which one is served) and the hash file.
fn site_root(hash_file: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("loupe-site-").tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let files: [(&str, &[u8]); 6] = [
        ("loupe.js", b"// the unhashed glue"),
        ("loupe_bg.wasm", b"\0asm unhashed"),
        ("loupe.css", b"/* the unhashed stylesheet */"),
        (&format!("loupe.{JS}.js"), b"// the hashed glue"),
        (&format!("loupe.{WASM}.wasm"), b"\0asm hashed"),
        (&format!("loupe.{CSS}.css"), b"/* the hashed stylesheet */"),
    ];
    for (name, contents) in files {
        std::fs::write(pkg.join(name), contents).unwrap();
    }
    if let Some(text) = hash_file {
        std::fs::write(pkg.join("hash.txt"), text).unwrap();
    }
    dir
}

fn complete_hash_file() -> String {
    format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n")
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
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
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

#[test]
fn pages_link_the_hashed_bundle_which_is_cached_for_good() {
    let site = site_root(Some(&complete_hash_file()));
    let data = common::traversable_temp_dir();
    let running = Running::start(
        loupe()
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .arg("--site-root")
            .arg(site.path())
            .env("LOUPE_PG_UNSAFE_FAST", "true"),
    );
    let addr = running.addr;

    let page = get(addr, "/sign-in");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to Loupe"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/pkg/loupe.{JS}.js\"")), "modulepreload of the hashed glue: {}", page.body);
    assert!(page.body.contains(&format!("href=\"/pkg/loupe.{WASM}.wasm\"")), "preload of the hashed wasm: {}", page.body);
    assert!(page.body.contains(&format!("\"loupe.{JS}\", \"loupe.{WASM}\"")), "the hydration script loads the hashed files: {}", page.body);
    assert!(page.body.contains(&format!("rel=\"stylesheet\" id=\"loupe\" href=\"/pkg/loupe.{CSS}.css\"")), "{}", page.body);
    assert!(!page.body.contains("/pkg/loupe.css") && !page.body.contains("loupe_bg"), "no unhashed name is linked: {}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"), "pages are not cached");

    for (name, contents, content_type) in [
        (format!("loupe.{JS}.js"), "// the hashed glue", "javascript"),
        (format!("loupe.{WASM}.wasm"), "\0asm hashed", "application/wasm"),
        (format!("loupe.{CSS}.css"), "/* the hashed stylesheet */", "text/css"),
    ] {
        let file = get(addr, &format!("/pkg/{name}"));
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

    // A hashed name of another build (removed since): not found, and not cached for good.
    let gone = get(addr, "/pkg/loupe.aaaaaaaaaaaaaaaa.js");
    assert_eq!(gone.status, 404);
    assert_eq!(gone.header("cache-control"), Some("no-cache"), "{}", gone.head);
}

#[test]
fn hashing_is_on_only_with_a_complete_hash_file() {
    let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
    let options = |site: &Path| loupe_server::leptos_options(site, addr);

    let plain = site_root(None);
    assert_eq!(loupe_server::http::assets::hash_file(plain.path()), None);
    assert!(!options(plain.path()).hash_files, "no hash file: the unhashed names");
    assert_eq!(loupe_app::state::stylesheet_href(&options(plain.path())), "/pkg/loupe.css");

    let broken = site_root(Some(&format!("js: {JS}\nwasm: {WASM}\ncss: 9999999999999999\n")));
    assert_eq!(loupe_server::http::assets::hash_file(broken.path()), None, "names a stylesheet that is not there");
    assert!(!options(broken.path()).hash_files);

    let hashed = site_root(Some(&complete_hash_file()));
    let with_hashes = options(hashed.path());
    assert!(with_hashes.hash_files);
    let hash_file = Path::new(with_hashes.hash_file.as_ref());
    assert!(hash_file.is_absolute(), "Leptos joins it to the executable's directory: {}", hash_file.display());
    assert_eq!(hash_file, hashed.path().join("pkg/hash.txt"));
    assert_eq!(loupe_app::state::stylesheet_href(&with_hashes), format!("/pkg/loupe.{CSS}.css"));
}
