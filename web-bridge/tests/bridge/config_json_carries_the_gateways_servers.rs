//! `GET /config.json` asks the gateway's GetIceServers on every page load, so each page gets TURN
//! credentials minted for it (never cached: `no-store`), followed by the bridge's own credential-free
//! servers.

use crate::support::fake_gateway::{Call, FakeGateway, Options};
use crate::support::{Bridge, http_get};
use media_proto::v1::{GetIceServersResponse, IceServer};

#[tokio::test]
async fn config_json_carries_the_gateways_servers() -> anyhow::Result<()> {
    let gateway = FakeGateway::start_with(Options {
        ice_servers: GetIceServersResponse {
            ice_servers: vec![
                IceServer {
                    urls: vec!["stun:192.0.2.1:3478".into()],
                    ..IceServer::default()
                },
                IceServer {
                    urls: vec![
                        "turn:192.0.2.1:3478?transport=udp".into(),
                        "turn:192.0.2.1:3478?transport=tcp".into(),
                    ],
                    username: "1733200000:a1b2c3".into(),
                    credential: "minted".into(),
                },
            ],
            expires_at_unix: 1_733_200_000,
        },
        ..Options::default()
    })
    .await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.ice_servers = vec!["stun:127.0.0.1:3478".parse().expect("valid")];
    })
    .await?;
    let (status, head, body) = http_get(bridge.addr, "/config.json").await?;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    assert_eq!(
        v,
        serde_json::json!({"iceServers": [
            {"urls": "stun:192.0.2.1:3478"},
            {"urls": "turn:192.0.2.1:3478?transport=udp", "username": "1733200000:a1b2c3", "credential": "minted"},
            {"urls": "turn:192.0.2.1:3478?transport=tcp", "username": "1733200000:a1b2c3", "credential": "minted"},
            {"urls": "stun:127.0.0.1:3478"},
        ]})
    );
    http_get(bridge.addr, "/config.json").await?;
    let asked = gateway
        .calls()
        .iter()
        .filter(|c| **c == Call::GetIceServers)
        .count();
    assert_eq!(asked, 2, "one GetIceServers per page load");
    bridge.stop().await
}
