//! A stand-in MediaSession gateway for testing the probe over real gRPC: each session is a str0m echo
//! answerer. It trickles its candidate on the stream (or puts it in the answer for wait_for_candidates),
//! and ends the stream with END_REASON_STOPPED on Stop, as the proto promises.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use media_proto::v1::media_session_server::{MediaSession, MediaSessionServer};
use media_proto::v1::session_event::Event;
use media_proto::v1::{
    AddIceCandidateRequest, AddIceCandidateResponse, EndReason, GatheringDone, IceCandidate,
    SessionEnded, SessionEvent, StartRequest, StartResponse, StopRequest, StopResponse,
    StreamCandidatesRequest,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::common::{Answerer, Echo};

struct Session {
    answerer: Arc<Answerer>,
    /// Every event so far, replayed to each new stream.
    events: Vec<SessionEvent>,
    watchers: Vec<mpsc::Sender<Result<SessionEvent, Status>>>,
}

#[derive(Clone)]
struct Gateway {
    echo: Echo,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

/// Serves the fake gateway on 127.0.0.1:0 until the test ends; returns its URI.
pub async fn spawn(echo: Echo) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let gateway = Gateway {
        echo,
        sessions: Arc::default(),
    };
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(MediaSessionServer::new(gateway))
            .serve_with_incoming(incoming),
    );
    Ok(format!("http://{addr}"))
}

fn event(e: Event) -> SessionEvent {
    SessionEvent { event: Some(e) }
}

fn lock(
    m: &Mutex<HashMap<String, Session>>,
) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[tonic::async_trait]
impl MediaSession for Gateway {
    async fn start(
        &self,
        request: Request<StartRequest>,
    ) -> Result<Response<StartResponse>, Status> {
        let req = request.into_inner();
        let answerer = Answerer::start(&req.sdp_offer, self.echo)
            .await
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let mut events = Vec::new();
        let mut answer = String::new();
        for line in answerer.answer.lines() {
            match line.strip_prefix("a=") {
                Some(c) if c.starts_with("candidate:") && !req.wait_for_candidates => {
                    events.push(event(Event::Candidate(IceCandidate {
                        candidate: c.to_owned(),
                        sdp_mid: "0".into(),
                        sdp_m_line_index: 0,
                    })));
                }
                _ => {
                    answer.push_str(line);
                    answer.push_str("\r\n");
                }
            }
        }
        events.push(event(Event::GatheringDone(GatheringDone {})));
        let session_id = format!("{:032x}", rand::random::<u128>());
        let session = Session {
            answerer: Arc::new(answerer),
            events,
            watchers: Vec::new(),
        };
        lock(&self.sessions).insert(session_id.clone(), session);
        Ok(Response::new(StartResponse {
            session_id,
            sdp_answer: answer,
        }))
    }

    async fn add_ice_candidate(
        &self,
        request: Request<AddIceCandidateRequest>,
    ) -> Result<Response<AddIceCandidateResponse>, Status> {
        let req = request.into_inner();
        let candidate = req.candidate.unwrap_or_default().candidate;
        let answerer = lock(&self.sessions)
            .get(&req.session_id)
            .map(|s| s.answerer.clone())
            .ok_or_else(|| Status::not_found("no such session"))?;
        if !candidate.is_empty() {
            answerer
                .add_remote_candidate(&candidate)
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
        let mut sessions = lock(&self.sessions);
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
        let session = lock(&self.sessions).remove(&id);
        let Some(session) = session else {
            return Err(Status::not_found("no such session"));
        };
        let ended = event(Event::Ended(SessionEnded {
            reason: EndReason::Stopped.into(),
            message: "stopped by the caller".into(),
        }));
        for watcher in &session.watchers {
            let _ = watcher.send(Ok(ended.clone())).await;
        }
        // Dropping the session drops the watchers' senders, which ends their streams.
        Ok(Response::new(StopResponse { released: true }))
    }
}
