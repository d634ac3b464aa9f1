//! By default the bridge serves HTTPS with a self-signed certificate for localhost: the page and the WebSocket
//! both work over it.
use crate::support;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use web_bridge::TlsMode;

#[tokio::test]
async fn tls_self_signed_serves_page_and_socket() -> anyhow::Result<()> {
    let bridge =
        support::Bridge::start("http://127.0.0.1:1", |c| c.tls = TlsMode::SelfSigned).await?;
    let connector = support::tls::connector();
    let name = ServerName::try_from("localhost")?;

    let tcp = TcpStream::connect(bridge.addr).await?;
    let mut tls = connector.connect(name.clone(), tcp).await?;
    let (_, conn) = tls.get_ref();
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    assert!(!cert.is_empty(), "the server presented a certificate");
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut page = Vec::new();
    tls.read_to_end(&mut page).await?;
    let page = String::from_utf8_lossy(&page);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("id=\"videoOutput\""));

    let tcp = TcpStream::connect(bridge.addr).await?;
    let tls = connector.connect(name, tcp).await?;
    let request = "wss://localhost/helloworld".into_client_request()?;
    let (mut ws, _) = tokio_tungstenite::client_async(request, tls).await?;
    use futures_util::{SinkExt as _, StreamExt as _};
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        "{\"id\":\"nope\"}",
    ))
    .await?;
    let reply = ws.next().await.ok_or_else(|| anyhow::anyhow!("closed"))??;
    assert_eq!(
        reply.into_text()?.as_str(),
        r#"{"id":"error","message":"unknown message id \"nope\""}"#
    );
    bridge.stop().await
}
