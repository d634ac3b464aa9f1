//! The flag → config pattern every binary follows: a clap `Parser` whose every flag also reads an
//! environment variable, turned into the library's `Config` in one checked step ([`Flags::into_config`]),
//! so the library never sees a flag and a test builds the same `Config` by hand.

use std::fmt::Display;
use std::time::Duration;
use tokio::net::{TcpListener, ToSocketAddrs};

/// A binary's flags: how to log, and the library configuration they describe.
pub trait Flags: clap::Parser {
    /// The library's configuration.
    type Config;

    /// The log line format the flags ask for.
    fn log_format(&self) -> crate::LogFormat {
        crate::LogFormat::Text
    }

    /// Checks the flags together and builds the configuration; errors name the flag at fault.
    fn into_config(self) -> anyhow::Result<Self::Config>;

    /// Parses the command line and environment (exiting with clap's usage message on bad flags) and sets
    /// up logging with `default_filter` (see [`crate::logging::init`]). The caller takes what it binds
    /// (listen addresses) from the flags, then calls [`Flags::into_config`].
    fn init(default_filter: &str) -> Self {
        let flags = Self::parse();
        crate::logging::init(flags.log_format(), default_filter);
        flags
    }
}

/// A flag's seconds as a [`Duration`].
pub fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// Binds `addr` (an address, or `host:port` text), saying in the error what the port was for.
pub async fn bind(addr: impl ToSocketAddrs + Display, what: &str) -> anyhow::Result<TcpListener> {
    use anyhow::Context;
    let shown = addr.to_string();
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {shown} ({what})"))
}

/// One line on stdout, the channel scripts read. Whoever started us may have stopped reading (closed the
/// pipe): that is not worth a panic, so the error is ignored.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
