//! `fake-llm [PORT]`: serves the fake provider on 127.0.0.1 (port 0: a free one) and prints its
//! base URL on the first line of stdout, for the browser tests to read.

use std::io::Write;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("fake-llm: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("a bound listener has an address");
    println!("http://{addr}/v1");
    let _ = std::io::stdout().flush();
    loupe_fake_llm::serve(listener, Default::default()).await;
}
