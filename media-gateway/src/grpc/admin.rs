//! The SessionAdmin gRPC service: operators list the live sessions (read-only; no lease is touched).

use crate::session::Shared;
use media_proto::v1::session_admin_server::SessionAdmin;
use media_proto::v1::{ListSessionsRequest, ListSessionsResponse};
use std::sync::Arc;
use tonic::{Request, Response, Status};

pub(crate) struct Admin {
    shared: Arc<Shared>,
}

impl Admin {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

#[tonic::async_trait]
impl SessionAdmin for Admin {
    async fn list_sessions(
        &self,
        _request: Request<ListSessionsRequest>,
    ) -> Result<Response<ListSessionsResponse>, Status> {
        Ok(Response::new(ListSessionsResponse {
            sessions: self.shared.registry.summaries(),
        }))
    }
}
