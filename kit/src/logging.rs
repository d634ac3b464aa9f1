//! Tracing set-up, the same for every binary: the filter from `RUST_LOG` (or the binary's default),
//! lines on stderr (stdout is kept for the one line scripts read: where the service listens), text for
//! people or JSON for log pipelines.

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the fields of the current span and of every enclosing span (such
    /// as `session_id`), so logs can be queried by session.
    Json,
}

/// Installs the global subscriber. `default_filter` applies when `RUST_LOG` is unset or invalid (e.g.
/// `"info"`, or `"info,str0m=warn"` for a binary that runs media). Calling it twice is harmless: the
/// second call leaves the first subscriber in place.
pub fn init(format: LogFormat, default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    use std::io::IsTerminal;
    // Colour codes only for a person at a terminal: in a pipe or a log file they are noise.
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Text => fmt.try_init(),
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}
