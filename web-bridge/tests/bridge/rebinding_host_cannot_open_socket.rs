//! The Origin check does not trust the Host header: a DNS-rebinding page (Origin and Host both
//! `evil.example:PORT`, the name pointing at the bridge) and origins that differ from the listen address's
//! own only in scheme or port are refused with 403, while the page's own origins (by IP and as `localhost`)
//! open the socket.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::support::{Bridge, Ws, refused_status};

#[tokio::test]
async fn rebinding_host_cannot_open_socket() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let port = bridge.addr.port();
    let evil = format!("evil.example:{port}");
    assert_eq!(
        refused_status(upgrade(&bridge, &format!("http://{evil}"), &evil).await)?,
        403
    );
    for origin in [
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "null".to_owned(),
    ] {
        let host = bridge.addr.to_string();
        assert_eq!(
            refused_status(upgrade(&bridge, &origin, &host).await)?,
            403,
            "{origin}"
        );
    }
    let own_host = bridge.addr.to_string();
    upgrade(&bridge, &format!("http://127.0.0.1:{port}"), &own_host).await?;
    upgrade(
        &bridge,
        &format!("http://localhost:{port}"),
        &format!("localhost:{port}"),
    )
    .await?;
    bridge.stop().await
}

/// An upgrade with exactly this Origin and Host.
async fn upgrade(bridge: &Bridge, origin: &str, host: &str) -> anyhow::Result<Ws> {
    let mut request = format!("ws://{}/helloworld", bridge.addr).into_client_request()?;
    request.headers_mut().insert("origin", origin.parse()?);
    request.headers_mut().insert("host", host.parse()?);
    let tcp = TcpStream::connect(bridge.addr).await?;
    let (ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
    Ok(ws)
}
