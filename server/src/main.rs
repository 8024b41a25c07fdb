//! `loupe`: see `loupe --help`. Startup and shutdown live in `loupe_server::run`.

use std::process::ExitCode;

use clap::Parser;
use loupe_server::config::Config;

/// jemalloc rather than glibc's malloc: after a burst of large request bodies glibc kept the
/// peak resident (3.4 GB idle after 8 × 43 MB exports); jemalloc returns freed memory to the OS
/// (numbers in docs/BENCHMARKS.md, "Overload").
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A background thread purges freed pages (without it purging only happens while allocating,
/// so an idle server would keep them), dirty pages after 1 s rather than 10 s.
#[cfg(feature = "jemalloc")]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000\0";

fn main() -> ExitCode {
    // Usage errors (unknown flag, bad value) exit with code 2 and name the flag.
    let config = Config::parse();
    if let Err(error) = config.validate() {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    loupe_server::logging::init(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("loupe").build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(loupe_server::run(config)) {
        Ok(()) => {
            tracing::info!("Loupe stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
