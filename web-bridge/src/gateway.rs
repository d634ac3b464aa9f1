//! The bridge's gRPC client for MediaSession: one lazily connected channel, per-call deadlines, and clear-text
//! errors (through `status_text`).

use std::time::Duration;

use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::{
    AddIceCandidateRequest, IceCandidate, SessionEvent, StartRequest, StartResponse, StopRequest,
    StreamCandidatesRequest,
};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Streaming};

use crate::Error;
use crate::protocol::Candidate;
use crate::status_text;

/// A cheap-to-clone handle on the gateway; every call names the gateway in its error text.
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    client: MediaSessionClient<Channel>,
    uri: String,
    start_timeout: Duration,
    call_timeout: Duration,
}

impl Gateway {
    /// Prepares the channel without connecting: the bridge serves the page even while the gateway is down,
    /// and each Start then says why it failed.
    pub(crate) fn new(
        uri: &str,
        start_timeout: Duration,
        call_timeout: Duration,
    ) -> Result<Self, Error> {
        let endpoint = Endpoint::from_shared(uri.to_owned())
            .map_err(|e| Error::GatewayUri {
                uri: uri.to_owned(),
                reason: e.to_string(),
            })?
            .connect_timeout(Duration::from_secs(5));
        Ok(Self {
            client: MediaSessionClient::new(endpoint.connect_lazy()),
            uri: uri.to_owned(),
            start_timeout,
            call_timeout,
        })
    }

    pub(crate) async fn start(&self, sdp_offer: String) -> Result<StartResponse, String> {
        let mut request = Request::new(StartRequest {
            sdp_offer,
            wait_for_candidates: false,
        });
        request.set_timeout(self.start_timeout);
        self.client
            .clone()
            .start(request)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.describe(&s))
    }

    pub(crate) async fn add_ice_candidate(
        &self,
        session_id: &str,
        candidate: Candidate,
    ) -> Result<(), String> {
        let mut request = Request::new(AddIceCandidateRequest {
            session_id: session_id.to_owned(),
            candidate: Some(IceCandidate {
                candidate: candidate.candidate,
                sdp_mid: candidate.sdp_mid,
                sdp_m_line_index: candidate.sdp_m_line_index,
            }),
        });
        request.set_timeout(self.call_timeout);
        self.client
            .clone()
            .add_ice_candidate(request)
            .await
            .map(|_| ())
            .map_err(|s| self.describe(&s))
    }

    /// Opens the session's event stream; no deadline, because it lives as long as the session.
    pub(crate) async fn stream_events(
        &self,
        session_id: &str,
    ) -> Result<Streaming<SessionEvent>, String> {
        let request = Request::new(StreamCandidatesRequest {
            session_id: session_id.to_owned(),
        });
        self.client
            .clone()
            .stream_candidates(request)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.describe(&s))
    }

    pub(crate) async fn stop(&self, session_id: &str) -> Result<(), String> {
        let mut request = Request::new(StopRequest {
            session_id: session_id.to_owned(),
        });
        request.set_timeout(self.call_timeout);
        self.client
            .clone()
            .stop(request)
            .await
            .map(|_| ())
            .map_err(|s| self.describe(&s))
    }

    pub(crate) fn describe(&self, status: &tonic::Status) -> String {
        status_text::describe(status, &self.uri)
    }
}
