//! The MediaSession gRPC service: validates requests, finds the session, and leaves the work to it.

use crate::error::Error;
use crate::links::Links;
use crate::session::registry::Lookup;
use crate::session::{self, SessionHandle, Shared, watchers::WatchStream};
use media_proto::v1::media_session_server::MediaSession;
use media_proto::v1::{
    AddIceCandidateRequest, AddIceCandidateResponse, GetIceServersRequest, GetIceServersResponse,
    GetSessionStatsRequest, GetSessionStatsResponse, IceCandidate, RestartIceRequest,
    RestartIceResponse, StartRequest, StartResponse, StopRequest, StopResponse,
    StreamCandidatesRequest,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tracing::Instrument;

/// Largest SDP offer accepted; real offers are a few KiB.
const MAX_OFFER_BYTES: usize = 64 * 1024;
/// Largest candidate line accepted; real ones are under 200 bytes.
const MAX_CANDIDATE_BYTES: usize = 1024;
/// Largest `sdp_mid` accepted; browsers use "0", "1", … or short names like "audio".
const MAX_MID_BYTES: usize = 64;

pub(crate) struct Service {
    shared: Arc<Shared>,
    links: Arc<Links>,
}

impl Service {
    pub(crate) fn new(shared: Arc<Shared>, links: Arc<Links>) -> Self {
        Self { shared, links }
    }

    fn live(&self, id: &str) -> Result<SessionHandle, Error> {
        session::ids::check(id)?;
        match self.shared.registry.lookup(id) {
            Lookup::Live(h) => Ok(h),
            Lookup::Ended | Lookup::Unknown => Err(Error::SessionNotFound(id.to_owned())),
        }
    }
}

/// A call about one session logs under its id, the same `session_id` field the session's own lines carry.
fn span(rpc: &'static str, session_id: &str) -> tracing::Span {
    // Ids come from callers: cap what a made-up one can put in a log line.
    let id = session_id.get(..64).unwrap_or(session_id);
    tracing::info_span!("rpc", rpc, session_id = %id)
}

fn check_offer(sdp: &str) -> Result<(), Error> {
    if sdp.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "sdp_offer is empty; send the peer's SDP offer".into(),
        ));
    }
    if sdp.len() > MAX_OFFER_BYTES {
        return Err(Error::InvalidArgument(format!(
            "sdp_offer is larger than {MAX_OFFER_BYTES} bytes"
        )));
    }
    Ok(())
}

fn check_candidate(c: Option<IceCandidate>) -> Result<IceCandidate, Error> {
    let c = c.ok_or_else(|| {
        Error::InvalidArgument(
            "candidate is missing (send an empty one for end-of-candidates)".into(),
        )
    })?;
    if c.candidate.len() > MAX_CANDIDATE_BYTES {
        return Err(Error::InvalidArgument(format!(
            "candidate is longer than {MAX_CANDIDATE_BYTES} bytes"
        )));
    }
    if c.sdp_mid.len() > MAX_MID_BYTES {
        return Err(Error::InvalidArgument(format!(
            "sdp_mid is longer than {MAX_MID_BYTES} bytes"
        )));
    }
    if !c.candidate.is_empty() && !c.candidate.starts_with("candidate:") {
        return Err(Error::InvalidArgument(
            "candidate must be an SDP candidate attribute value starting with \"candidate:\""
                .into(),
        ));
    }
    Ok(c)
}

#[tonic::async_trait]
impl MediaSession for Service {
    async fn start(
        &self,
        request: Request<StartRequest>,
    ) -> Result<Response<StartResponse>, Status> {
        let StartRequest {
            sdp_offer,
            wait_for_candidates,
        } = request.into_inner();
        check_offer(&sdp_offer)?;
        if self.shared.shutdown.is_cancelled() {
            return Err(Error::Unavailable(
                "the gateway is draining (shutting down); start the session on another instance"
                    .into(),
            )
            .into());
        }
        let placement = self
            .links
            .pick()
            .ok_or_else(|| Error::Unavailable("no media server is configured".into()))?;
        let r = session::start(
            self.shared.clone(),
            placement,
            sdp_offer,
            wait_for_candidates,
        )
        .await?;
        Ok(Response::new(r))
    }

    async fn add_ice_candidate(
        &self,
        request: Request<AddIceCandidateRequest>,
    ) -> Result<Response<AddIceCandidateResponse>, Status> {
        let AddIceCandidateRequest {
            session_id,
            candidate,
        } = request.into_inner();
        async {
            let candidate = check_candidate(candidate)?;
            self.live(&session_id)?.add_candidate(candidate).await?;
            Ok(Response::new(AddIceCandidateResponse {}))
        }
        .instrument(span("AddIceCandidate", &session_id))
        .await
    }

    type StreamCandidatesStream = WatchStream;

    async fn stream_candidates(
        &self,
        request: Request<StreamCandidatesRequest>,
    ) -> Result<Response<Self::StreamCandidatesStream>, Status> {
        let id = request.into_inner().session_id;
        async { Ok(Response::new(self.live(&id)?.watch().await?)) }
            .instrument(span("StreamCandidates", &id))
            .await
    }

    async fn stop(&self, request: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        let id = request.into_inner().session_id;
        async {
            session::ids::check(&id)?;
            let released = match self.shared.registry.lookup(&id) {
                Lookup::Live(h) => h.stop().await,
                Lookup::Ended => false,
                Lookup::Unknown => return Err(Error::SessionNotFound(id.clone()).into()),
            };
            Ok(Response::new(StopResponse { released }))
        }
        .instrument(span("Stop", &id))
        .await
    }

    async fn get_ice_servers(
        &self,
        _: Request<GetIceServersRequest>,
    ) -> Result<Response<GetIceServersResponse>, Status> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // The name part of a REST username is only for the TURN server's logs: random, so credentials
        // handed to two callers cannot be told apart or linked to a session.
        let name = session::ids::random_hex();
        let minted = self.shared.config.ice_servers.mint(now, &name[..16]);
        Ok(Response::new(minted.into()))
    }

    async fn restart_ice(
        &self,
        request: Request<RestartIceRequest>,
    ) -> Result<Response<RestartIceResponse>, Status> {
        let RestartIceRequest {
            session_id,
            sdp_offer,
        } = request.into_inner();
        async {
            check_offer(&sdp_offer)?;
            let sdp_answer = self.live(&session_id)?.restart_ice(sdp_offer).await?;
            Ok(Response::new(RestartIceResponse { sdp_answer }))
        }
        .instrument(span("RestartIce", &session_id))
        .await
    }

    async fn get_session_stats(
        &self,
        request: Request<GetSessionStatsRequest>,
    ) -> Result<Response<GetSessionStatsResponse>, Status> {
        let id = request.into_inner().session_id;
        async {
            let streams = self.live(&id)?.stats().await?;
            Ok(Response::new(GetSessionStatsResponse { streams }))
        }
        .instrument(span("GetSessionStats", &id))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_before_any_work() {
        assert!(matches!(
            check_offer(" \r\n"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(check_offer("v=0\r\n").is_ok());
        assert!(matches!(
            check_candidate(None),
            Err(Error::InvalidArgument(_))
        ));
        let c = |s: &str| IceCandidate {
            candidate: s.into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        assert!(check_candidate(Some(c(""))).is_ok());
        assert!(check_candidate(Some(c("candidate:1 1 udp 1 127.0.0.1 9 typ host"))).is_ok());
        assert!(matches!(
            check_candidate(Some(c("a=nonsense"))),
            Err(Error::InvalidArgument(_))
        ));
    }
}
