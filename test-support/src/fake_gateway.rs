//! A stand-in MediaSession gateway over real gRPC on 127.0.0.1: remembers every call, can hold Start open
//! until the test releases it, answers grpc.health.v1 (SERVING until told otherwise), and optionally
//! demands a bearer token or serves TLS.
//!
//! Each session either answers with a fixed SDP and streams one fixed server candidate (a recording
//! gateway, for the web bridge's tests), or, with [`Options::media`], is a str0m [`EchoPeer`] answerer that
//! trickles its candidate on the stream (or puts it in the answer for `wait_for_candidates`) followed by
//! GatheringDone (for the probe's tests). Every stream replays the session's events so far. Stop ends the
//! session's streams with `END_REASON_STOPPED`, as the proto promises; Stop of an unknown session answers
//! `released: false`, as the real gateway's idempotent Stop does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use media_proto::v1::media_session_server::{MediaSession, MediaSessionServer};
use media_proto::v1::session_event::Event;
use media_proto::v1::{
    AddIceCandidateRequest, AddIceCandidateResponse, Capabilities, EndReason, FlowDirection,
    GatheringDone, GetIceServersRequest, GetIceServersResponse, GetSessionStatsRequest,
    GetSessionStatsResponse, IceCandidate, MediaKind, MediaStats, RestartIceRequest,
    RestartIceResponse, SessionEnded, SessionEvent, StartRequest, StartResponse, StopRequest,
    StopResponse, StreamCandidatesRequest,
};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::ServerTlsConfig;
use tonic::{Request, Response, Status};
use tonic_health::server::HealthReporter;

use crate::echo_peer::{Echo, EchoPeer};

/// One call as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A Start, recorded on arrival (before the offer is checked or a held Start is released).
    Start,
    /// An AddIceCandidate, recorded even when the session is unknown.
    AddIceCandidate {
        /// The session id the caller named.
        session: String,
        /// The candidate line as sent; empty for end-of-candidates.
        candidate: String,
    },
    /// A StreamCandidates, recorded even when the session is unknown.
    Stream {
        /// The session id the caller named.
        session: String,
    },
    /// A Stop, recorded even when the session is unknown.
    Stop {
        /// The session id the caller named.
        session: String,
    },
    /// A GetIceServers.
    GetIceServers,
    /// A GetSessionStats, recorded even when the session is unknown.
    GetSessionStats {
        /// The session id the caller named.
        session: String,
    },
    /// A RestartIce, recorded even when the session is unknown.
    RestartIce {
        /// The session id the caller named.
        session: String,
        /// The offer's `a=ice-ufrag`.
        ufrag: String,
    },
}

/// The server candidate every session of a recording fake streams.
pub const SERVER_CANDIDATE: &str = "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host";

/// The ICE credentials a recording fake's RestartIce answer carries, and its one new candidate.
pub const RESTART_UFRAG: &str = "fakeRestartUfrag";
/// See [`RESTART_UFRAG`].
pub const RESTART_PWD: &str = "fakeRestartPasswordxxxxx";
/// See [`RESTART_UFRAG`].
pub const RESTART_CANDIDATE: &str = "candidate:2 1 UDP 2015363327 127.0.0.1 40002 typ host";

/// The health service name the bridge checks.
pub const SERVICE: &str = "mediasession.v1.MediaSession";

/// An offer containing this text gets INVALID_ARGUMENT from Start.
pub const REJECTED_OFFER_MARK: &str = "reject-me";

/// How the fake serves.
#[derive(Default)]
pub struct Options {
    /// Every Start blocks until [`FakeGateway::release_start`].
    pub hold_start: bool,
    /// MediaSession calls without `authorization: Bearer <token>` get UNAUTHENTICATED.
    pub token: Option<String>,
    /// Serve gRPC over TLS (the URI becomes `https://`).
    pub tls: Option<ServerTlsConfig>,
    /// Each session is a str0m answerer echoing media as this says (else a fixed answer, no media).
    pub media: Option<Echo>,
    /// What GetIceServers answers (default: no servers).
    pub ice_servers: GetIceServersResponse,
    /// Sessions can restart ICE (`StartResponse.capabilities.ice_restart`; RestartIce answers with
    /// [`RESTART_UFRAG`]); else RestartIce gets FAILED_PRECONDITION, as the gateway gives for KMS.
    pub ice_restart: bool,
    /// The first this many Stops answer UNAVAILABLE (recorded, the session left as it was), as a
    /// gateway that cannot take them yet would.
    pub failing_stops: usize,
}

struct Session {
    peer: Option<Arc<EchoPeer>>,
    /// Every event so far, replayed to each new stream.
    events: Vec<SessionEvent>,
    watchers: Vec<mpsc::Sender<Result<SessionEvent, Status>>>,
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Call>>,
    sessions: Mutex<HashMap<String, Session>>,
    next: Mutex<u32>,
}

/// A poisoned lock only means another test task panicked; the data is still what it recorded.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn record(&self, call: Call) {
        lock(&self.calls).push(call);
    }
}

#[derive(Clone)]
struct Service {
    shared: Arc<Shared>,
    gate: Option<Arc<Semaphore>>,
    media: Option<Echo>,
    ice_servers: GetIceServersResponse,
    ice_restart: bool,
    /// Stops still to refuse (see [`Options::failing_stops`]).
    failing_stops: Arc<AtomicUsize>,
}

/// Handle kept by the test; dropping it stops the server.
pub struct FakeGateway {
    /// The address the fake listens on (127.0.0.1, an ephemeral port).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    /// Start waits for a permit when `hold_start` was asked for.
    gate: Option<Arc<Semaphore>>,
    /// The task serving gRPC; aborting it stops the server, as dropping the handle does.
    pub task: tokio::task::JoinHandle<()>,
    health: HealthReporter,
    scheme: &'static str,
}

impl FakeGateway {
    /// A recording fake; with `hold_start`, every Start blocks until [`FakeGateway::release_start`].
    pub async fn start(hold_start: bool) -> anyhow::Result<Self> {
        Self::start_with(Options {
            hold_start,
            ..Options::default()
        })
        .await
    }

    /// Starts a fake on 127.0.0.1 with an ephemeral port, serving as `options` say.
    pub async fn start_with(options: Options) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let gate = options.hold_start.then(|| Arc::new(Semaphore::new(0)));
        let service = Service {
            shared: shared.clone(),
            gate: gate.clone(),
            media: options.media,
            ice_servers: options.ice_servers,
            ice_restart: options.ice_restart,
            failing_stops: Arc::new(AtomicUsize::new(options.failing_stops)),
        };
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status(SERVICE, tonic_health::ServingStatus::Serving)
            .await;
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = options.tls {
            builder = builder.tls_config(tls)?;
        }
        let expected = options.token.map(|t| format!("Bearer {t}"));
        let checked = MediaSessionServer::with_interceptor(service, move |request: Request<()>| {
            let Some(expected) = &expected else {
                return Ok(request);
            };
            let given = request
                .metadata()
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given == Some(expected.as_str()) {
                Ok(request)
            } else {
                Err(Status::unauthenticated("missing or wrong bearer token"))
            }
        });
        let router = builder.add_service(health_service).add_service(checked);
        let task = tokio::spawn(async move {
            let _ = router
                .serve_with_incoming(TcpListenerStream::new(listener))
                .await;
        });
        Ok(Self {
            addr,
            shared,
            gate,
            task,
            health,
            scheme,
        })
    }

    /// The address to give a gRPC client: `http://` (or `https://` with TLS) followed by [`addr`](Self::addr).
    pub fn uri(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// What grpc.health.v1 answers for the MediaSession service from now on.
    pub async fn set_serving(&self, serving: bool) {
        let status = if serving {
            tonic_health::ServingStatus::Serving
        } else {
            tonic_health::ServingStatus::NotServing
        };
        self.health.set_service_status(SERVICE, status).await;
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Streams one more server candidate to `session`'s watchers (as the media server trickling late);
    /// false when no such session is live.
    pub fn push_candidate(&self, session: &str, line: &str) -> bool {
        let mut sessions = lock(&self.shared.sessions);
        let Some(session) = sessions.get_mut(session) else {
            return false;
        };
        let event = candidate(line);
        for watcher in &session.watchers {
            let _ = watcher.try_send(Ok(event.clone()));
        }
        session.events.push(event);
        true
    }

    /// Lets one held Start go on.
    pub fn release_start(&self) {
        if let Some(gate) = &self.gate {
            gate.add_permits(1);
        }
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn event(e: Event) -> SessionEvent {
    SessionEvent { event: Some(e) }
}

fn candidate(line: &str) -> SessionEvent {
    event(Event::Candidate(IceCandidate {
        candidate: line.to_owned(),
        sdp_mid: "0".into(),
        sdp_m_line_index: 0,
    }))
}

impl Service {
    /// A session with a fixed answer and the fixed server candidate.
    fn recording_session(&self) -> Result<(String, String, Session), Status> {
        let n = {
            let mut next = lock(&self.shared.next);
            *next += 1;
            *next
        };
        let session = Session {
            peer: None,
            events: vec![candidate(SERVER_CANDIDATE)],
            watchers: Vec::new(),
        };
        Ok((
            format!("session-{n}"),
            format!("v=0\r\ns=answer-{n}\r\n"),
            session,
        ))
    }

    /// A session whose media an echo peer answers.
    async fn echo_session(
        &self,
        req: &StartRequest,
        echo: Echo,
    ) -> Result<(String, String, Session), Status> {
        let peer = EchoPeer::answer(&req.sdp_offer, echo)
            .await
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let mut events = Vec::new();
        let mut answer = String::new();
        for line in peer.sdp.lines() {
            match line.strip_prefix("a=") {
                Some(c) if c.starts_with("candidate:") && !req.wait_for_candidates => {
                    events.push(candidate(c));
                }
                _ => {
                    answer.push_str(line);
                    answer.push_str("\r\n");
                }
            }
        }
        events.push(event(Event::GatheringDone(GatheringDone {})));
        let session = Session {
            peer: Some(Arc::new(peer)),
            events,
            watchers: Vec::new(),
        };
        Ok((format!("{:032x}", rand::random::<u128>()), answer, session))
    }
}

#[tonic::async_trait]
impl MediaSession for Service {
    async fn start(
        &self,
        request: Request<StartRequest>,
    ) -> Result<Response<StartResponse>, Status> {
        self.shared.record(Call::Start);
        let req = request.into_inner();
        if req.sdp_offer.contains(REJECTED_OFFER_MARK) {
            return Err(Status::invalid_argument("the offer has no media sections"));
        }
        if let Some(gate) = &self.gate {
            let permit = gate
                .acquire()
                .await
                .map_err(|_| Status::internal("gate closed"))?;
            permit.forget();
        }
        let (session_id, sdp_answer, session) = match self.media {
            Some(echo) => self.echo_session(&req, echo).await?,
            None => self.recording_session()?,
        };
        lock(&self.shared.sessions).insert(session_id.clone(), session);
        Ok(Response::new(StartResponse {
            session_id,
            sdp_answer,
            capabilities: Some(Capabilities {
                ice_restart: self.ice_restart,
            }),
        }))
    }

    async fn add_ice_candidate(
        &self,
        request: Request<AddIceCandidateRequest>,
    ) -> Result<Response<AddIceCandidateResponse>, Status> {
        let req = request.into_inner();
        let candidate = req.candidate.map(|c| c.candidate).unwrap_or_default();
        self.shared.record(Call::AddIceCandidate {
            session: req.session_id.clone(),
            candidate: candidate.clone(),
        });
        let peer = lock(&self.shared.sessions)
            .get(&req.session_id)
            .map(|s| s.peer.clone())
            .ok_or_else(|| Status::not_found("no such session"))?;
        if let Some(peer) = peer
            && !candidate.is_empty()
        {
            peer.add_remote_candidate(&candidate)
                .await
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
        }
        Ok(Response::new(AddIceCandidateResponse {}))
    }

    type StreamCandidatesStream = ReceiverStream<Result<SessionEvent, Status>>;

    async fn stream_candidates(
        &self,
        request: Request<StreamCandidatesRequest>,
    ) -> Result<Response<Self::StreamCandidatesStream>, Status> {
        let id = request.into_inner().session_id;
        self.shared.record(Call::Stream {
            session: id.clone(),
        });
        let mut sessions = lock(&self.shared.sessions);
        let session = sessions
            .get_mut(&id)
            .ok_or_else(|| Status::not_found("no such session"))?;
        let (tx, rx) = mpsc::channel(32);
        for e in &session.events {
            tx.try_send(Ok(e.clone()))
                .map_err(|_| Status::resource_exhausted("too many events"))?;
        }
        session.watchers.push(tx);
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn stop(&self, request: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        let id = request.into_inner().session_id;
        self.shared.record(Call::Stop {
            session: id.clone(),
        });
        let failing = self
            .failing_stops
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(Status::unavailable("the fake gateway refuses this Stop"));
        }
        let session = lock(&self.shared.sessions).remove(&id);
        let Some(session) = session else {
            return Ok(Response::new(StopResponse { released: false }));
        };
        let ended = event(Event::Ended(SessionEnded {
            reason: EndReason::Stopped.into(),
            message: "stopped by the caller".into(),
        }));
        for watcher in &session.watchers {
            let _ = watcher.try_send(Ok(ended.clone()));
        }
        // Dropping the session drops the watchers' senders, which ends their streams.
        Ok(Response::new(StopResponse { released: true }))
    }

    async fn get_ice_servers(
        &self,
        _: Request<GetIceServersRequest>,
    ) -> Result<Response<GetIceServersResponse>, Status> {
        self.shared.record(Call::GetIceServers);
        Ok(Response::new(self.ice_servers.clone()))
    }

    /// A recording session answers with [`RESTART_UFRAG`] and streams [`RESTART_CANDIDATE`]; without
    /// [`Options::ice_restart`], FAILED_PRECONDITION.
    async fn restart_ice(
        &self,
        request: Request<RestartIceRequest>,
    ) -> Result<Response<RestartIceResponse>, Status> {
        let req = request.into_inner();
        let ufrag = req
            .sdp_offer
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .unwrap_or_default()
            .to_owned();
        self.shared.record(Call::RestartIce {
            session: req.session_id.clone(),
            ufrag,
        });
        let mut sessions = lock(&self.shared.sessions);
        let session = sessions
            .get_mut(&req.session_id)
            .ok_or_else(|| Status::not_found("no such session"))?;
        if !self.ice_restart {
            return Err(Status::failed_precondition(
                "the media server holding this session cannot restart ICE",
            ));
        }
        let restarted = candidate(RESTART_CANDIDATE);
        let done = event(Event::GatheringDone(GatheringDone {}));
        for e in [restarted, done] {
            session.events.push(e.clone());
            for watcher in &session.watchers {
                let _ = watcher.try_send(Ok(e.clone()));
            }
        }
        Ok(Response::new(RestartIceResponse {
            sdp_answer: format!(
                "v=0\r\ns=restarted\r\na=ice-ufrag:{RESTART_UFRAG}\r\na=ice-pwd:{RESTART_PWD}\r\n\
                 m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na={RESTART_CANDIDATE}\r\n"
            ),
        }))
    }

    /// Always empty: the fake's sessions have no media server to ask.
    async fn get_session_stats(
        &self,
        request: Request<GetSessionStatsRequest>,
    ) -> Result<Response<GetSessionStatsResponse>, Status> {
        let session = request.into_inner().session_id;
        let live = lock(&self.shared.sessions).contains_key(&session);
        self.shared.record(Call::GetSessionStats { session });
        if !live {
            return Err(Status::not_found("no such session"));
        }
        // A fixed view, so a caller can check every field made it through.
        Ok(Response::new(GetSessionStatsResponse {
            streams: vec![MediaStats {
                kind: MediaKind::Video.into(),
                direction: FlowDirection::In.into(),
                packets: 1200,
                bytes: 1_000_000,
                packets_lost: 3,
                jitter_seconds: 0.004,
                round_trip_time_seconds: 0.012,
                bitrate_bps: 480_000,
                codec: "video/VP8".into(),
            }],
        }))
    }
}
