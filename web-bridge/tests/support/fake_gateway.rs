//! A recording MediaSession gRPC server for bridge tests: remembers every call, can hold Start open until the
//! test releases it, streams one server candidate per session until that session is stopped, answers
//! grpc.health.v1 (SERVING until told otherwise), and optionally demands a bearer token or serves TLS.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use media_proto::v1::media_session_server::{MediaSession, MediaSessionServer};
use media_proto::v1::{
    AddIceCandidateRequest, AddIceCandidateResponse, IceCandidate, SessionEvent, StartRequest,
    StartResponse, StopRequest, StopResponse, StreamCandidatesRequest, session_event::Event,
};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::ServerTlsConfig;
use tonic::{Request, Response, Status};
use tonic_health::server::HealthReporter;

/// One call as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Start,
    AddIceCandidate { session: String, candidate: String },
    Stream { session: String },
    Stop { session: String },
}

/// The server candidate every session streams.
pub const SERVER_CANDIDATE: &str = "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host";

/// Where each open event stream's sender lives until its session is stopped.
type Streams = HashMap<String, mpsc::Sender<Result<SessionEvent, Status>>>;

#[derive(Clone, Default)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
    streams: Arc<Mutex<Streams>>,
    next: Arc<Mutex<u32>>,
}

/// Handle kept by the test.
pub struct FakeGateway {
    pub addr: SocketAddr,
    shared: Shared,
    /// Start waits for a permit when `hold_start` was asked for.
    gate: Option<Arc<Semaphore>>,
    pub task: tokio::task::JoinHandle<()>,
    health: HealthReporter,
    scheme: &'static str,
}

/// How the fake serves.
#[derive(Default)]
pub struct Options {
    /// Every Start blocks until [`FakeGateway::release_start`].
    pub hold_start: bool,
    /// MediaSession calls without `authorization: Bearer <token>` get UNAUTHENTICATED.
    pub token: Option<String>,
    /// Serve gRPC over TLS (the URI becomes `https://`).
    pub tls: Option<ServerTlsConfig>,
}

/// The health service name the bridge checks.
pub const SERVICE: &str = "mediasession.v1.MediaSession";

#[derive(Clone)]
struct Service {
    shared: Shared,
    gate: Option<Arc<Semaphore>>,
}

impl FakeGateway {
    /// Serves on 127.0.0.1; with `hold_start`, every Start blocks until [`FakeGateway::release_start`].
    pub async fn start(hold_start: bool) -> anyhow::Result<Self> {
        Self::start_with(Options {
            hold_start,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        let gate = options.hold_start.then(|| Arc::new(Semaphore::new(0)));
        let service = Service {
            shared: shared.clone(),
            gate: gate.clone(),
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

    pub fn calls(&self) -> Vec<Call> {
        self.shared
            .calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

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

impl Shared {
    fn record(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

#[tonic::async_trait]
impl MediaSession for Service {
    async fn start(
        &self,
        request: Request<StartRequest>,
    ) -> Result<Response<StartResponse>, Status> {
        self.shared.record(Call::Start);
        if request.get_ref().sdp_offer.contains("reject-me") {
            return Err(Status::invalid_argument("the offer has no media sections"));
        }
        if let Some(gate) = &self.gate {
            let permit = gate
                .acquire()
                .await
                .map_err(|_| Status::internal("gate closed"))?;
            permit.forget();
        }
        let n = {
            let mut next = self
                .shared
                .next
                .lock()
                .map_err(|_| Status::internal("poisoned"))?;
            *next += 1;
            *next
        };
        Ok(Response::new(StartResponse {
            session_id: format!("session-{n}"),
            sdp_answer: format!("v=0\r\ns=answer-{n}\r\n"),
        }))
    }

    async fn add_ice_candidate(
        &self,
        request: Request<AddIceCandidateRequest>,
    ) -> Result<Response<AddIceCandidateResponse>, Status> {
        let r = request.into_inner();
        let candidate = r.candidate.map(|c| c.candidate).unwrap_or_default();
        self.shared.record(Call::AddIceCandidate {
            session: r.session_id,
            candidate,
        });
        Ok(Response::new(AddIceCandidateResponse {}))
    }

    type StreamCandidatesStream =
        Pin<Box<dyn tokio_stream::Stream<Item = Result<SessionEvent, Status>> + Send>>;

    async fn stream_candidates(
        &self,
        request: Request<StreamCandidatesRequest>,
    ) -> Result<Response<Self::StreamCandidatesStream>, Status> {
        let session = request.into_inner().session_id;
        self.shared.record(Call::Stream {
            session: session.clone(),
        });
        let (tx, rx) = mpsc::channel(8);
        let candidate = IceCandidate {
            candidate: SERVER_CANDIDATE.into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        let _ = tx
            .send(Ok(SessionEvent {
                event: Some(Event::Candidate(candidate)),
            }))
            .await;
        if let Ok(mut streams) = self.shared.streams.lock() {
            streams.insert(session, tx);
        }
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn stop(&self, request: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        let session = request.into_inner().session_id;
        self.shared.record(Call::Stop {
            session: session.clone(),
        });
        let released = self
            .shared
            .streams
            .lock()
            .map(|mut s| s.remove(&session).is_some())
            .unwrap_or(false);
        Ok(Response::new(StopResponse { released }))
    }
}
