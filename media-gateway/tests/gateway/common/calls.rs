//! Small client-side steps the gateway tests share: start a session, open its stream and read it to the end,
//! send a candidate, wait for a link to set up or resume, ask grpc.health.

use crate::support::peer::Peer;
use media_gateway::Gateway;
use media_proto::v1::media_session_client::MediaSessionClient;
use std::time::Duration;
use tonic::transport::Channel;

/// Starts a session with `offer` (answer without waiting for candidates) and returns its id.
pub(crate) async fn start_session(client: &mut MediaSessionClient<Channel>, offer: &str) -> String {
    client
        .start(media_proto::v1::StartRequest {
            sdp_offer: offer.into(),
            wait_for_candidates: false,
        })
        .await
        .expect("Start")
        .into_inner()
        .session_id
}

/// Stops session `id`, which must have been live.
pub(crate) async fn stop(client: &mut MediaSessionClient<Channel>, id: &str) {
    let released = client
        .stop(media_proto::v1::StopRequest {
            session_id: id.to_owned(),
        })
        .await
        .expect("Stop")
        .into_inner()
        .released;
    assert!(released, "the session was live");
}

/// Opens a StreamCandidates stream on session `id`.
pub(crate) async fn open_stream(
    client: &mut MediaSessionClient<Channel>,
    id: &str,
) -> tonic::Streaming<media_proto::v1::SessionEvent> {
    client
        .stream_candidates(media_proto::v1::StreamCandidatesRequest {
            session_id: id.to_owned(),
        })
        .await
        .expect("stream")
        .into_inner()
}

/// Reads `stream` until it ends (or errors) within `limit`, and asserts its last event was SessionEnded with
/// `reason`.
pub(crate) async fn assert_stream_ends_with(
    stream: &mut tonic::Streaming<media_proto::v1::SessionEvent>,
    limit: Duration,
    reason: media_proto::v1::EndReason,
) {
    use media_proto::v1::session_event::Event;
    use tokio_stream::StreamExt;
    let last = tokio::time::timeout(limit, async {
        let mut last = None;
        while let Some(Ok(e)) = stream.next().await {
            last = e.event;
        }
        last
    })
    .await
    .unwrap_or_else(|_| panic!("the stream ends within {limit:?}"));
    match last {
        Some(Event::Ended(e)) => assert_eq!(e.reason, reason as i32, "{e:?}"),
        other => panic!("expected SessionEnded, got {other:?}"),
    }
}

/// Sends one candidate line (sdpMid "0", m-line 0; "" is end-of-candidates) for session `id`.
pub(crate) async fn add_candidate(
    client: &mut MediaSessionClient<Channel>,
    id: &str,
    line: impl Into<String>,
) -> Result<(), tonic::Status> {
    client
        .add_ice_candidate(media_proto::v1::AddIceCandidateRequest {
            session_id: id.to_owned(),
            candidate: Some(media_proto::v1::IceCandidate {
                candidate: line.into(),
                sdp_mid: "0".into(),
                sdp_m_line_index: 0,
            }),
        })
        .await
        .map(|_| ())
}

/// Waits until the gateway's link to `peer` has finished its set-up (the getInfo invoke) and the gateway
/// counts it as up (grpc.health answers SERVING, which it does while a link is up).
pub(crate) async fn wait_for_link(gateway: &Gateway, peer: &Peer) {
    let set_up = crate::support::eventually(Duration::from_secs(5), || {
        !peer.requests("invoke").is_empty()
    })
    .await;
    assert!(set_up, "the link never came up");
    let health = health_client(gateway).await;
    let counted = crate::support::eventually_async(Duration::from_secs(5), || {
        let mut health = health.clone();
        async move { serving(&mut health).await }
    })
    .await;
    assert!(counted, "the gateway never counted the link as up");
}

/// Whether grpc.health says SERVING for the MediaSession service.
pub(crate) async fn serving(
    health: &mut tonic_health::pb::health_client::HealthClient<Channel>,
) -> bool {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    health
        .check(HealthCheckRequest {
            service: "mediasession.v1.MediaSession".into(),
        })
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

/// Waits until the gateway reports every link in `uris` as up on /metrics (it needs a metrics listener).
pub(crate) async fn wait_for_links_up(gateway: &Gateway, uris: &[String]) {
    let metrics = gateway.metrics_addr().expect("a metrics listener");
    let up = crate::support::eventually_async(Duration::from_secs(5), || async move {
        let (_, text) = crate::support::http::get(metrics, "/metrics").await;
        uris.iter().all(|uri| {
            let series =
                format!(r#"media_gateway_media_server_link_state{{uri="{uri}",state="up"}}"#);
            test_support::http::sample(&text, &series) == 1.0
        })
    })
    .await;
    assert!(up, "the gateway never had all of {uris:?} up");
}

/// A grpc.health.v1 client on the gateway's port.
pub(crate) async fn health_client(
    gateway: &Gateway,
) -> tonic_health::pb::health_client::HealthClient<Channel> {
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", gateway.local_addr()))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect");
    tonic_health::pb::health_client::HealthClient::new(channel)
}

/// A `create` of a `kind` object with no constructor parameters or properties.
pub(crate) fn create(kind: &str) -> kurento::Method {
    kurento::Method::Create {
        type_name: kind.into(),
        constructor_params: serde_json::Map::new(),
        properties: serde_json::Map::new(),
    }
}

/// Whether the link came back to `peer` with a `connect` (a resume) within three seconds.
pub(crate) async fn resumed(peer: &Peer) -> bool {
    crate::support::eventually(Duration::from_secs(3), || {
        !peer.requests("connect").is_empty()
    })
    .await
}
