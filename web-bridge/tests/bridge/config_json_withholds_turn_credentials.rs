//! By default `GET /config.json`, which anyone who can reach the page may load, lists only the ICE servers
//! without credentials: TURN usernames and credentials are not handed to anonymous pages.

use crate::support::{Bridge, http_get};

#[tokio::test]
async fn config_json_withholds_turn_credentials() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.ice_servers = vec![
            "stun:127.0.0.1:3478".parse().expect("valid"),
            "turn:127.0.0.1:3478,user,s3cret".parse().expect("valid"),
        ];
    })
    .await?;
    let (status, _, body) = http_get(bridge.addr, "/config.json").await?;
    assert_eq!(status, 200);
    let text = String::from_utf8(body)?;
    assert!(
        !text.contains("s3cret") && !text.contains("credential") && !text.contains("turn:"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text)?;
    assert_eq!(
        v,
        serde_json::json!({"iceServers": [{"urls": "stun:127.0.0.1:3478"}]})
    );
    bridge.stop().await
}
