//! grpc.health.v1 says SERVING, for "" and for the MediaSession service, only while the media server
//! link is up.

use crate::common;

use crate::support::eventually_async;
use std::time::Duration;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn status(client: &mut HealthClient<tonic::transport::Channel>, service: &str) -> i32 {
    client
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status
}

#[tokio::test]
async fn health_tracks_the_link() {
    let (gw, peer) = common::on_peer(common::Script::default()).await;
    let mut health = common::health_client(&gw.gateway).await;
    for service in ["", "mediasession.v1.MediaSession"] {
        assert_eq!(
            status(&mut health, service).await,
            ServingStatus::Serving as i32,
            "{service:?}"
        );
    }
    peer.kill().await;
    let down = eventually_async(Duration::from_millis(2500), || {
        let mut health = health.clone();
        async move {
            status(&mut health, "mediasession.v1.MediaSession").await
                == ServingStatus::NotServing as i32
        }
    })
    .await;
    assert!(down, "still SERVING with the media server gone");
    assert_eq!(
        status(&mut health, "").await,
        ServingStatus::NotServing as i32
    );
}
