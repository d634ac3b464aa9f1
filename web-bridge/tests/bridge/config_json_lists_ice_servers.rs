//! With `expose_turn_credentials`, `GET /config.json` hands the page every configured ICE server, and the
//! embedded page is served with its content types.

use crate::support::{Bridge, http_get};

#[tokio::test]
async fn config_json_lists_ice_servers() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.ice_servers = vec![
            "stun:127.0.0.1:3478".parse().expect("valid"),
            "turn:127.0.0.1:3478,user,pass".parse().expect("valid"),
        ];
        c.expose_turn_credentials = true;
    })
    .await?;
    let (status, head, body) = http_get(bridge.addr, "/config.json").await?;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    assert_eq!(
        v,
        serde_json::json!({"iceServers": [
            {"urls": "stun:127.0.0.1:3478"},
            {"urls": "turn:127.0.0.1:3478", "username": "user", "credential": "pass"},
        ]})
    );
    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/index.html", "text/html"),
    ] {
        let (status, head, _) = http_get(bridge.addr, path).await?;
        assert_eq!(status, 200, "{path}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-type: {kind}")),
            "{path}: {head}"
        );
    }
    bridge.stop().await
}
