//! The gateway as a signaling backend: MediaSession over gRPC (Start, StreamCandidates,
//! AddIceCandidate, GetSessionStats, Stop), each unary call under `rpc_timeout`.

use std::future::Future;
use std::time::{Duration, Instant};

use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::{
    AddIceCandidateRequest, GetSessionStatsRequest, IceCandidate as ProtoCandidate, SessionEvent,
    StartRequest, StopRequest, StreamCandidatesRequest,
};
use tonic::Streaming;
use tonic::transport::{Channel, Endpoint};

use crate::error::ProbeError;
use crate::events::{self, EventLog};
use crate::peer::{IceCandidate, Peer};
use crate::server_stats::ServerStream;
use crate::signaling::{ServerEvents, Signaling};

/// One MediaSession session on the gateway at `addr`.
pub(crate) struct Gateway {
    addr: String,
    client: MediaSessionClient<Channel>,
    rpc_timeout: Duration,
    session_id: String,
}

impl Gateway {
    /// Connects the gRPC channel (within `rpc_timeout`).
    pub(crate) async fn connect(addr: &str, rpc_timeout: Duration) -> Result<Self, ProbeError> {
        let endpoint = Endpoint::from_shared(addr.to_owned())
            .map_err(|e| ProbeError::BadAddress {
                addr: addr.to_owned(),
                reason: e.to_string(),
            })?
            .connect_timeout(rpc_timeout);
        let channel = endpoint
            .connect()
            .await
            .map_err(|source| ProbeError::Connect {
                addr: addr.to_owned(),
                source,
            })?;
        Ok(Gateway {
            addr: addr.to_owned(),
            client: MediaSessionClient::new(channel),
            rpc_timeout,
            session_id: String::new(),
        })
    }
}

impl Signaling for Gateway {
    type Events = GatewayEvents;

    fn addr(&self) -> &str {
        &self.addr
    }

    fn session_id(&self) -> String {
        self.session_id.clone()
    }

    async fn offer(&mut self, sdp: String, trickle: bool) -> Result<String, ProbeError> {
        let start = StartRequest {
            sdp_offer: sdp,
            wait_for_candidates: !trickle,
        };
        let fut = self.client.start(start);
        let reply = call(&self.addr, "Start", self.rpc_timeout, fut).await?;
        self.session_id = reply.session_id;
        Ok(reply.sdp_answer)
    }

    async fn events(&mut self) -> Result<GatewayEvents, ProbeError> {
        let request = StreamCandidatesRequest {
            session_id: self.session_id.clone(),
        };
        let fut = self.client.stream_candidates(request);
        let stream = call(&self.addr, "StreamCandidates", self.rpc_timeout, fut).await?;
        Ok(GatewayEvents(stream))
    }

    async fn candidate(&mut self, candidate: Option<&IceCandidate>) -> Result<(), ProbeError> {
        // An empty candidate is MediaSession's end-of-candidates.
        let candidate = candidate.map_or_else(ProtoCandidate::default, |c| ProtoCandidate {
            candidate: c.candidate.clone(),
            sdp_mid: c.sdp_mid.clone(),
            sdp_m_line_index: c.sdp_m_line_index,
        });
        let request = AddIceCandidateRequest {
            session_id: self.session_id.clone(),
            candidate: Some(candidate),
        };
        let fut = self.client.add_ice_candidate(request);
        call(&self.addr, "AddIceCandidate", self.rpc_timeout, fut).await?;
        Ok(())
    }

    async fn stats(&mut self) -> Option<Result<Vec<ServerStream>, ProbeError>> {
        let request = GetSessionStatsRequest {
            session_id: self.session_id.clone(),
        };
        let fut = self.client.get_session_stats(request);
        let reply = call(&self.addr, "GetSessionStats", self.rpc_timeout, fut).await;
        Some(reply.map(|r| r.streams.iter().map(ServerStream::from_pb).collect()))
    }

    async fn close(&mut self) -> Result<bool, ProbeError> {
        let request = StopRequest {
            session_id: self.session_id.clone(),
        };
        let fut = self.client.stop(request);
        Ok(call(&self.addr, "Stop", self.rpc_timeout, fut)
            .await?
            .released)
    }
}

/// The session's StreamCandidates stream.
pub(crate) struct GatewayEvents(Streaming<SessionEvent>);

impl ServerEvents for GatewayEvents {
    async fn watch(self, peer: &Peer, apply_candidates: bool, since: Instant, log: &mut EventLog) {
        events::watch(self.0, peer, apply_candidates, since, log).await;
    }
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
