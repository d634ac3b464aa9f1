//! The end-to-end check of a gateway over the public gRPC API, done the way any backend would do it:
//! Start, StreamCandidates, AddIceCandidate, media, Stop, and the stream's final SessionEnded.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::{
    AddIceCandidateRequest, IceCandidate, SessionEvent, StartRequest, StopRequest,
    StreamCandidatesRequest,
};
use tokio::sync::oneshot;
use tonic::Streaming;
use tonic::transport::{Channel, Endpoint};

use crate::echo_config::EchoCheckConfig;
use crate::error::ProbeError;
use crate::events::{self, EventLog};
use crate::peer::{Peer, PeerConfig};
use crate::report::{ProbeReport, StartFacts};

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
    let addr = gateway.to_owned();
    let endpoint = Endpoint::from_shared(addr.clone())
        .map_err(|e| ProbeError::BadAddress {
            addr: addr.clone(),
            reason: e.to_string(),
        })?
        .connect_timeout(config.rpc_timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|source| ProbeError::Connect {
            addr: addr.clone(),
            source,
        })?;
    let mut client = MediaSessionClient::new(channel);
    let peer_error = |source| ProbeError::Peer {
        addr: addr.clone(),
        source,
    };

    let (peer, offer) = Peer::start(PeerConfig {
        bind_ip: config.bind_ip,
        audio: config.audio,
        video: config.video,
        trickle: config.trickle,
    })
    .await
    .map_err(peer_error)?;

    let started = Instant::now();
    let start = StartRequest {
        sdp_offer: offer,
        wait_for_candidates: !config.trickle,
    };
    let reply = call(&addr, "Start", config.rpc_timeout, client.start(start)).await?;
    let start_latency = started.elapsed();
    let session_id = reply.session_id;
    let answer = reply.sdp_answer;
    tracing::info!(%session_id, ?start_latency, "session started");

    // From here on the session exists: every path must reach Stop.
    let stop_request = StopRequest {
        session_id: session_id.clone(),
    };
    let (stream, sent_candidates) =
        match prepare(&addr, &mut client, &peer, &session_id, &answer, &config).await {
            Ok(prepared) => prepared,
            Err(e) => {
                if let Err(stop_error) =
                    call(&addr, "Stop", config.rpc_timeout, client.stop(stop_request)).await
                {
                    tracing::warn!(error = %stop_error, "Stop after a failed setup failed too");
                }
                return Err(e);
            }
        };

    // The watcher must outlive Stop to see the SessionEnded it causes, but not by more than end_timeout.
    let mut log = EventLog::default();
    let (stopped_tx, stopped_rx) = oneshot::channel::<()>();
    let watcher = async {
        let watching = events::watch(stream, &peer, config.trickle, started, &mut log);
        let deadline = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(config.end_timeout).await;
        };
        tokio::select! {
            () = watching => {}
            () = deadline => tracing::warn!("the session's stream did not end after Stop"),
        }
    };
    let main = async {
        let echo_started_after = started.elapsed();
        let echo = peer.echo_check(config.echo.clone()).await;
        let stop = call(&addr, "Stop", config.rpc_timeout, client.stop(stop_request)).await;
        let _ = stopped_tx.send(());
        (echo, echo_started_after, stop)
    };
    let ((), (echo, echo_started_after, stop)) = tokio::join!(watcher, main);
    let echo = echo.map_err(|source| ProbeError::Peer {
        addr: addr.clone(),
        source,
    })?;
    let released = stop?.released;

    Ok(ProbeReport {
        gateway: addr,
        session_id,
        trickle: config.trickle,
        audio: config.audio,
        video: config.video,
        min_echo_ratio: config.min_echo_ratio,
        start: StartFacts {
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
        released,
    })
}

/// Applies the answer, opens the event stream and sends the peer's candidates (trickle only, then an
/// end-of-candidates). Returns the stream and how many real candidates were sent.
async fn prepare(
    addr: &str,
    client: &mut MediaSessionClient<Channel>,
    peer: &Peer,
    session_id: &str,
    answer: &str,
    config: &ProbeConfig,
) -> Result<(Streaming<SessionEvent>, usize), ProbeError> {
    peer.set_answer(answer)
        .await
        .map_err(|source| ProbeError::Peer {
            addr: addr.to_owned(),
            source,
        })?;
    let request = StreamCandidatesRequest {
        session_id: session_id.to_owned(),
    };
    let stream = call(
        addr,
        "StreamCandidates",
        config.rpc_timeout,
        client.stream_candidates(request),
    )
    .await?;

    let mut sent = 0;
    if config.trickle {
        let ours = peer.local_candidates().iter().map(|c| IceCandidate {
            candidate: c.candidate.clone(),
            sdp_mid: c.sdp_mid.clone(),
            sdp_m_line_index: c.sdp_m_line_index,
        });
        let end = IceCandidate::default();
        for candidate in ours.chain([end]) {
            let real = !candidate.candidate.is_empty();
            let request = AddIceCandidateRequest {
                session_id: session_id.to_owned(),
                candidate: Some(candidate),
            };
            call(
                addr,
                "AddIceCandidate",
                config.rpc_timeout,
                client.add_ice_candidate(request),
            )
            .await?;
            sent += usize::from(real);
        }
    }
    Ok((stream, sent))
}

/// One unary call with a deadline; the error names the gateway and the call.
async fn call<T>(
    addr: &str,
    name: &'static str,
    timeout: Duration,
    fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(ProbeError::Rpc {
            addr: addr.to_owned(),
            call: name,
            status: Box::new(status),
        }),
        Err(_) => Err(ProbeError::Timeout {
            addr: addr.to_owned(),
            call: name,
            timeout,
        }),
    }
}

fn count_candidates(sdp: &str) -> usize {
    sdp.lines()
        .filter(|l| l.trim_start().starts_with("a=candidate:"))
        .count()
}
