//! `loupe`: see `loupe --help`. Startup and shutdown live in `loupe_server::run`.

use std::process::ExitCode;

use clap::Parser;
use loupe_server::config::Config;

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
