//! The end-to-end check, done the way any backend would do it, once for every signaling backend: offer,
//! answer, trickle, media, close, and what the server said meanwhile. [`run`] drives the gateway's
//! public gRPC API (Start, StreamCandidates, AddIceCandidate, Stop, the stream's final SessionEnded),
//! [`run_janus`] Janus's echotest over its HTTP API, both through [`drive`]. At the end of the echo
//! window, before the close, the gateway is asked for its own view of the session (GetSessionStats).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::echo_config::EchoCheckConfig;
use crate::error::ProbeError;
use crate::events::EventLog;
use crate::gateway::Gateway;
use crate::janus::Janus;
use crate::peer::{Peer, PeerConfig};
use crate::report::{Backend, ProbeReport, StartFacts};
use crate::signaling::{ServerEvents as _, Signaling};

/// How the probe runs. `Default`: audio + video, trickle, 127.0.0.1, the default echo check.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The IP the probe's peer binds its UDP socket to.
    pub bind_ip: IpAddr,
    /// Offer and check an Opus audio track.
    pub audio: bool,
    /// Offer and check a VP8 video track.
    pub video: bool,
    /// Trickle ICE both ways. Without it Start asks for an answer that already holds the server's
    /// candidates (`wait_for_candidates`), the offer holds the probe's, and no AddIceCandidate is sent.
    pub trickle: bool,
    /// Check ICE pairs as soon as they form, as browsers do ([`PeerConfig::eager_checks`]).
    pub eager_checks: bool,
    /// The settings of the echo check run once the session is up.
    pub echo: EchoCheckConfig,
    /// Limit for connecting and for each unary call (Start waits for gathering without trickle).
    pub rpc_timeout: Duration,
    /// How long after Stop the stream may take to deliver SessionEnded and end.
    pub end_timeout: Duration,
    /// The verdict needs at least this share of each kind's frames back (a server may lose the first
    /// frames while its pipeline connects).
    pub min_echo_ratio: f64,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            audio: true,
            video: true,
            trickle: true,
            eager_checks: false,
            echo: EchoCheckConfig::default(),
            rpc_timeout: Duration::from_secs(10),
            end_timeout: Duration::from_secs(5),
            min_echo_ratio: 0.9,
        }
    }
}

/// Probes the gateway at `gateway` (e.g. "http://127.0.0.1:50051"). `Ok` means the probe ran to the end;
/// whether the deployment passed is [`ProbeReport::passed`]. The session is stopped on every path after
/// Start succeeded.
pub async fn run(gateway: &str, config: ProbeConfig) -> Result<ProbeReport, ProbeError> {
    drive(
        Backend::Gateway,
        gateway,
        Gateway::connect(gateway, config.rpc_timeout),
        config,
    )
    .await
}

/// Probes Janus's echotest at `url` (its HTTP API, e.g. "http://10.77.0.2:8088/janus"): create a
/// session, attach `janus.plugin.echotest`, send the offer in a message, take the answer from the long
/// poll, trickle, check the echo, destroy. The report's signaling latency runs from sending the message
/// to the answer event; creating the session and attaching is `start.setup`.
pub async fn run_janus(url: &str, config: ProbeConfig) -> Result<ProbeReport, ProbeError> {
    drive(
        Backend::Janus,
        url,
        Janus::connect(url, config.audio, config.video, config.rpc_timeout),
        config,
    )
    .await
}

/// The one flow for every backend. `connect` makes the backend's session ready for an offer; its time is
/// `start.setup`. From the offer on, every path reaches [`Signaling::close`].
async fn drive<S: Signaling>(
    backend: Backend,
    addr: &str,
    connect: impl Future<Output = Result<S, ProbeError>>,
    config: ProbeConfig,
) -> Result<ProbeReport, ProbeError> {
    // The peer first: nothing exists on the server yet if it fails.
    let (peer, offer) = Peer::start(PeerConfig {
        bind_ip: config.bind_ip,
        audio: config.audio,
        video: config.video,
        trickle: config.trickle,
        eager_checks: config.eager_checks,
    })
    .await
    .map_err(|source| ProbeError::Peer {
        addr: addr.to_owned(),
        source,
    })?;
    let connecting = Instant::now();
    let mut signaling = connect.await?;
    let setup = connecting.elapsed();
    let addr = signaling.addr().to_owned();

    let started = Instant::now();
    let answer = signaling.offer(offer, config.trickle).await?;
    let start_latency = started.elapsed();
    let session_id = signaling.session_id();
    tracing::info!(%session_id, ?start_latency, "session started");

    // From here on the session exists: every path must reach close.
    let (events, sent_candidates) = match prepare(&mut signaling, &peer, &answer, &config).await {
        Ok(prepared) => prepared,
        Err(e) => {
            if let Err(close_error) = signaling.close().await {
                tracing::warn!(error = %close_error, "closing after a failed setup failed too");
            }
            return Err(e);
        }
    };

    // The watcher must outlive the close to see the end it causes, but not by more than end_timeout.
    let mut log = EventLog::default();
    let (stopped_tx, stopped_rx) = oneshot::channel::<()>();
    let watcher = async {
        let watching = events.watch(&peer, config.trickle, started, &mut log);
        let deadline = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(config.end_timeout).await;
        };
        tokio::select! {
            () = watching => {}
            () = deadline => tracing::warn!("the session's events did not end after the close"),
        }
    };
    let main = async {
        let echo_started_after = started.elapsed();
        let echo = peer.echo_check(config.echo.clone()).await;
        // The server's view while the session still exists. After the drain (1 s by default, the
        // embedded media server's stats interval) its counters include every frame the probe sent.
        // A failed call is reported, never a reason to skip Stop or to fail the echo verdict.
        let server_stats = match &echo {
            Ok(_) => signaling
                .stats()
                .await
                .map(|r| r.map_err(|e| error_chain(&e))),
            Err(_) => None,
        };
        let closed = signaling.close().await;
        let _ = stopped_tx.send(());
        (echo, echo_started_after, server_stats, closed)
    };
    let ((), (echo, echo_started_after, server_stats, closed)) = tokio::join!(watcher, main);
    let echo = echo.map_err(|source| ProbeError::Peer {
        addr: addr.clone(),
        source,
    })?;
    let released = closed?;

    Ok(ProbeReport {
        backend,
        gateway: addr,
        session_id,
        trickle: config.trickle,
        audio: config.audio,
        video: config.video,
        min_echo_ratio: config.min_echo_ratio,
        start: StartFacts {
            setup,
            latency: start_latency,
            answer_candidates: count_candidates(&answer),
        },
        local_candidates_sent: sent_candidates,
        server_candidates: log.candidates,
        bad_server_candidates: log.bad_candidates,
        gathering_done: log.gathering_done,
        states: log.states,
        ended: log.ended,
        stream_error: log.stream_error,
        echo,
        echo_started_after,
        server_stats,
        released,
    })
}

/// Applies the answer, opens the event feed and sends the peer's candidates (trickle only, then an
/// end-of-candidates). Returns the feed and how many real candidates were sent.
async fn prepare<S: Signaling>(
    signaling: &mut S,
    peer: &Peer,
    answer: &str,
    config: &ProbeConfig,
) -> Result<(S::Events, usize), ProbeError> {
    peer.set_answer(answer)
        .await
        .map_err(|source| ProbeError::Peer {
            addr: signaling.addr().to_owned(),
            source,
        })?;
    let events = signaling.events().await?;
    let mut sent = 0;
    if config.trickle {
        for candidate in peer.local_candidates() {
            signaling.candidate(Some(candidate)).await?;
            sent += 1;
        }
        signaling.candidate(None).await?;
    }
    Ok((events, sent))
}

/// An error and its causes on one line, for the report.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

fn count_candidates(sdp: &str) -> usize {
    sdp.lines()
        .filter(|l| l.trim_start().starts_with("a=candidate:"))
        .count()
}
