//! Structured logs via `tracing`. `LOUPE_LOG` is a tracing filter plus an optional format token.

use std::str::FromStr;

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub directives: String,
    pub format: LogFormat,
}

impl LogConfig {
    /// Parses `info`, `debug,sqlx=warn`, `info,json`, `json` (level defaults to info).
    pub fn parse(spec: &str) -> Result<LogConfig, String> {
        let mut format = LogFormat::Text;
        let mut directives = Vec::new();
        for token in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match token {
                "json" => format = LogFormat::Json,
                "text" | "pretty" => format = LogFormat::Text,
                directive => directives.push(directive),
            }
        }
        if directives.is_empty() {
            directives.push("info");
        }
        let directives = directives.join(",");
        EnvFilter::from_str(&directives).map_err(|e| format!("{directives:?} is not a valid log filter ({e})"))?;
        Ok(LogConfig { directives, format })
    }
}

/// Installs the global subscriber. Noisy dependencies are capped at `warn` unless the filter
/// names them. The LLM client (`genai`) is silent: it logs provider failures that the playground
/// already shows in its column, and at debug level it would log requests, whose headers carry
/// provider keys.
pub fn init(config: &LogConfig) {
    let mut filter_spec = String::from("sqlx=warn,hyper=warn,tower_http=warn,genai=off");
    filter_spec.push(',');
    filter_spec.push_str(&config.directives);
    let filter = EnvFilter::from_str(&filter_spec).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colors only for a person at a terminal; pipes and files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    // A second init (tests) is harmless; ignore the "already set" error.
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_tokens_are_split_from_directives() {
        let config = LogConfig::parse("debug,json").unwrap();
        assert_eq!(config.format, LogFormat::Json);
        assert_eq!(config.directives, "debug");
        let config = LogConfig::parse("json").unwrap();
        assert_eq!(config.directives, "info");
        let config = LogConfig::parse("info,sqlx=debug").unwrap();
        assert_eq!(config.format, LogFormat::Text);
        assert_eq!(config.directives, "info,sqlx=debug");
        assert!(LogConfig::parse("info,=?").is_err());
    }
}
