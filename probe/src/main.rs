//! The `media-probe` CLI: points a WebRTC probe at a gateway, prints what it measured, and exits 0 only
//! when media came back intact and the session ended cleanly.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use media_probe::{EchoCheckConfig, ProbeConfig};

/// Check a MediaSession gateway end to end: Start, trickle ICE, echo audio and video, Stop. With
/// `--janus`, the same check against Janus's echotest over its HTTP API.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The gateway's gRPC address.
    #[arg(
        long,
        env = "MEDIA_PROBE_GATEWAY",
        default_value = "http://127.0.0.1:50051"
    )]
    gateway: String,
    /// Probe Janus's echotest at this HTTP API URL (e.g. http://10.77.0.2:8088/janus) instead of a
    /// gateway.
    #[arg(long, env = "MEDIA_PROBE_JANUS", conflicts_with = "gateway")]
    janus: Option<String>,
    /// How long to send media once connected, in seconds.
    #[arg(long, env = "MEDIA_PROBE_DURATION", default_value_t = 3.0)]
    duration: f64,
    /// Frames per second on each of audio and video.
    #[arg(long, env = "MEDIA_PROBE_RATE", default_value_t = 50)]
    rate: u32,
    /// Put the probe's candidates in the offer and ask for an answer with the server's
    /// (wait_for_candidates) instead of trickling them.
    #[arg(long, env = "MEDIA_PROBE_NO_TRICKLE")]
    no_trickle: bool,
    /// Check ICE pairs as soon as they form, as browsers do, instead of at str0m's paced wake-ups.
    #[arg(long, env = "MEDIA_PROBE_EAGER_CHECKS")]
    eager_checks: bool,
    /// The IP the probe's UDP socket binds to (its only candidate).
    #[arg(long, env = "MEDIA_PROBE_BIND_IP", default_value = "127.0.0.1")]
    bind_ip: IpAddr,
    /// Share of each kind's frames that must come back for a pass.
    #[arg(long, env = "MEDIA_PROBE_MIN_ECHO_RATIO", default_value_t = 0.9)]
    min_echo_ratio: f64,
    /// Print the report as one JSON object instead of the table.
    #[arg(long, env = "MEDIA_PROBE_JSON")]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,media_probe=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let duration = match Duration::try_from_secs_f64(args.duration) {
        Ok(d) if !d.is_zero() => d,
        _ => {
            eprintln!(
                "media-probe: --duration must be a positive number of seconds, not {}",
                args.duration
            );
            return ExitCode::from(2);
        }
    };
    let config = ProbeConfig {
        bind_ip: args.bind_ip,
        trickle: !args.no_trickle,
        eager_checks: args.eager_checks,
        min_echo_ratio: args.min_echo_ratio,
        echo: EchoCheckConfig {
            duration,
            packets_per_second: args.rate,
            ..EchoCheckConfig::default()
        },
        ..ProbeConfig::default()
    };

    let result = match &args.janus {
        Some(url) => media_probe::run_janus(url, config).await,
        None => media_probe::run(&args.gateway, config).await,
    };
    match result {
        Ok(report) => {
            if args.json {
                println!("{:#}", report.to_json());
            } else {
                println!("{report}");
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("media-probe: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
