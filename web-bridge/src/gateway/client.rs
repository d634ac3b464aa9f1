//! The bridge's gRPC client for MediaSession and grpc.health.v1: one lazily connected channel, per-call
//! deadlines, every outcome counted by method and code, and clear-text errors (through `status_text`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::{
    AddIceCandidateRequest, GetIceServersRequest, GetIceServersResponse, GetSessionStatsRequest,
    GetSessionStatsResponse, IceCandidate, RestartIceRequest, SessionEvent, StartRequest,
    StartResponse, StopRequest, StreamCandidatesRequest,
};
use tonic::{Code, Request, Status, Streaming};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::Error;
use crate::config::Config;
use crate::gateway::channel::{self, GatewayChannel};
use crate::gateway::status_text;
use crate::ops::counters::Counters;

/// The service name the gateway reports health for.
const SERVICE: &str = "mediasession.v1.MediaSession";
/// How many times a Stop is tried, and the first pause between tries (doubling, with ±50% jitter): about
/// 3 s of pauses in all before the session is left to the gateway's lease.
const STOP_ATTEMPTS: u32 = 6;
const STOP_BACKOFF: Duration = Duration::from_millis(100);
/// No retry starts after this long: whoever stops the call (a socket holding its connection slot, the
/// drain) waits for the retries.
const STOP_RETRY_BUDGET: Duration = Duration::from_secs(5);

/// Whether a failed Stop may not have reached the gateway or been carried out: the connection or the
/// call failed, or the gateway could not take it now. NOT_FOUND and the caller's own errors are answers;
/// so is DEADLINE_EXCEEDED here, since the call already had its whole deadline (a hung gateway, which
/// the lease covers, would otherwise hold the caller for a deadline per try).
fn stop_may_not_have_happened(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::Cancelled
            | Code::Unavailable
            | Code::ResourceExhausted
            | Code::Internal
    )
}

/// A failed gateway call: its gRPC code, for callers that answer by code (WHIP's HTTP statuses), and the
/// person's sentence from `status_text` (the detail is already logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallError {
    pub(crate) code: Code,
    pub(crate) text: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A cheap-to-clone handle on the gateway; every call names the gateway in its error text. One pointer:
/// every held call and its two tasks keep a copy for the session's life, and the clients inside are
/// hundreds of bytes.
#[derive(Debug, Clone)]
pub(crate) struct Gateway(Arc<Clients>);

#[derive(Debug)]
struct Clients {
    client: MediaSessionClient<GatewayChannel>,
    health: HealthClient<GatewayChannel>,
    counters: Counters,
    uri: String,
    start_timeout: Duration,
    call_timeout: Duration,
}

impl Gateway {
    /// Prepares the channel without connecting: the bridge serves the page even while the gateway is down,
    /// and each Start then says why it failed.
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let channel = channel::open(
            &config.gateway,
            config.gateway_token.as_ref(),
            config.gateway_ca.as_deref(),
        )?;
        Ok(Self(Arc::new(Clients {
            client: MediaSessionClient::new(channel.clone()),
            health: HealthClient::new(channel),
            counters: config.counters.clone(),
            uri: config.gateway.clone(),
            start_timeout: config.limits.start_timeout,
            call_timeout: config.limits.call_timeout,
        })))
    }

    /// Start, bounded by `limits.start_timeout` and timed in `start_duration_seconds`.
    pub(crate) async fn start(&self, start: StartRequest) -> Result<StartResponse, CallError> {
        let mut request = Request::new(start);
        request.set_timeout(self.0.start_timeout);
        let began = Instant::now();
        let result = self.0.client.clone().start(request).await;
        self.0
            .counters
            .metrics
            .start_seconds
            .observe(began.elapsed().as_secs_f64());
        self.outcome("Start", result.map(tonic::Response::into_inner))
    }

    pub(crate) async fn add_ice_candidate(
        &self,
        session_id: &str,
        candidate: IceCandidate,
    ) -> Result<(), CallError> {
        let mut request = Request::new(AddIceCandidateRequest {
            session_id: session_id.to_owned(),
            candidate: Some(candidate),
        });
        request.set_timeout(self.0.call_timeout);
        let result = self.0.client.clone().add_ice_candidate(request).await;
        self.outcome("AddIceCandidate", result.map(|_| ()))
    }

    /// Restarts ICE on the session with `sdp_offer` (new ICE credentials); the media server's answer.
    /// Bounded like Start, since the media server negotiates again.
    pub(crate) async fn restart_ice(
        &self,
        session_id: &str,
        sdp_offer: String,
    ) -> Result<String, CallError> {
        let mut request = Request::new(RestartIceRequest {
            session_id: session_id.to_owned(),
            sdp_offer,
        });
        request.set_timeout(self.0.start_timeout);
        let result = self.0.client.clone().restart_ice(request).await;
        self.outcome("RestartIce", result.map(|r| r.into_inner().sdp_answer))
    }

    /// Opens the session's event stream; no deadline, because it lives as long as the session.
    pub(crate) async fn stream_events(
        &self,
        session_id: &str,
    ) -> Result<Streaming<SessionEvent>, CallError> {
        let request = Request::new(StreamCandidatesRequest {
            session_id: session_id.to_owned(),
        });
        let result = self.0.client.clone().stream_candidates(request).await;
        self.outcome("StreamCandidates", result.map(tonic::Response::into_inner))
    }

    /// Counts and describes an error that ended an open event stream.
    pub(crate) fn stream_failed(&self, status: &Status) -> String {
        self.0
            .counters
            .metrics
            .gateway_call("StreamCandidates", status.code());
        self.describe("StreamCandidates", status)
    }

    /// Stop, retried while its failure leaves open whether the gateway acted on it: the session would
    /// otherwise hold its pipeline until the gateway's lease runs out. Stop is idempotent (a second one
    /// answers NOT_FOUND or succeeds), so a retry can only finish the job. A mass close of 10,000 held
    /// sockets saw most first attempts fail on the bridge's own side of the connection (`transport
    /// error`, `operation was canceled`), all at once; the jittered backoff spreads the retries out.
    pub(crate) async fn stop(&self, session_id: &str) -> Result<(), CallError> {
        let began = Instant::now();
        let mut backoff = STOP_BACKOFF;
        let mut attempt = 1;
        loop {
            match self.stop_once(session_id).await {
                Err(e)
                    if attempt < STOP_ATTEMPTS
                        && began.elapsed() < STOP_RETRY_BUDGET
                        && stop_may_not_have_happened(e.code) =>
                {
                    let jitter = rand::random_range(0.5..1.5);
                    tokio::time::sleep(backoff.mul_f64(jitter)).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(e) if e.code == Code::NotFound && attempt > 1 => {
                    // An earlier attempt got through after all.
                    return Ok(());
                }
                outcome => return outcome,
            }
        }
    }

    async fn stop_once(&self, session_id: &str) -> Result<(), CallError> {
        let mut request = Request::new(StopRequest {
            session_id: session_id.to_owned(),
        });
        request.set_timeout(self.0.call_timeout);
        let result = self.0.client.clone().stop(request).await;
        self.outcome("Stop", result.map(|_| ()))
    }

    /// The ICE servers the gateway mints for one peer (TURN credentials that expire).
    pub(crate) async fn ice_servers(&self) -> Result<GetIceServersResponse, CallError> {
        let mut request = Request::new(GetIceServersRequest {});
        request.set_timeout(self.0.call_timeout);
        let result = self.0.client.clone().get_ice_servers(request).await;
        self.outcome("GetIceServers", result.map(tonic::Response::into_inner))
    }

    /// The media server's own view of the session's RTP streams.
    pub(crate) async fn session_stats(
        &self,
        session_id: &str,
    ) -> Result<GetSessionStatsResponse, CallError> {
        let mut request = Request::new(GetSessionStatsRequest {
            session_id: session_id.to_owned(),
        });
        request.set_timeout(self.0.call_timeout);
        let result = self.0.client.clone().get_session_stats(request).await;
        self.outcome("GetSessionStats", result.map(tonic::Response::into_inner))
    }

    /// grpc.health.v1 Check for the MediaSession service: `Ok` only for SERVING, otherwise a short reason.
    pub(crate) async fn health(&self, timeout: Duration) -> Result<(), String> {
        let mut request = Request::new(HealthCheckRequest {
            service: SERVICE.to_owned(),
        });
        request.set_timeout(timeout);
        // The header only bounds the server; a gateway that never accepts the connection is bounded here.
        let result = match tokio::time::timeout(timeout, self.0.health.clone().check(request)).await
        {
            Ok(result) => result,
            Err(_) => Err(Status::deadline_exceeded(format!(
                "no health answer within {} ms",
                timeout.as_millis()
            ))),
        };
        match self.outcome("Check", result.map(|r| r.into_inner().status())) {
            Ok(ServingStatus::Serving) => Ok(()),
            Ok(other) => Err(format!("media gateway reports {}", other.as_str_name())),
            Err(e) => Err(e.text),
        }
    }

    fn outcome<T>(&self, method: &'static str, result: Result<T, Status>) -> Result<T, CallError> {
        let code = result.as_ref().map_or_else(Status::code, |_| Code::Ok);
        self.0.counters.metrics.gateway_call(method, code);
        result.map_err(|s| CallError {
            code: s.code(),
            text: self.describe(method, &s),
        })
    }

    /// The browser's sentence for a failed call; the detail (addresses, the gateway's own words) is logged here,
    /// never sent. Health checks log at debug, since probes repeat them while the gateway is down.
    pub(crate) fn describe(&self, method: &'static str, status: &Status) -> String {
        let detail = status_text::detail(status, &self.0.uri);
        if method == "Check" {
            tracing::debug!(method, "gateway call failed: {detail}");
        } else {
            tracing::info!(method, "gateway call failed: {detail}");
        }
        status_text::describe(status)
    }
}
