//! By default the bridge serves HTTPS with a self-signed certificate for localhost: the page and the WebSocket
//! both work over it.
use crate::support;

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use web_bridge::TlsMode;

#[tokio::test]
async fn tls_self_signed_serves_page_and_socket() -> anyhow::Result<()> {
    let bridge =
        support::Bridge::start("http://127.0.0.1:1", |c| c.tls = TlsMode::SelfSigned).await?;
    let connector = connector();
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

fn connector() -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth()
        });
    match config {
        Ok(config) => TlsConnector::from(Arc::new(config)),
        Err(e) => panic!("client TLS config: {e}"),
    }
}

/// The browser test's `--ignore-certificate-errors`, for a certificate made at start-up: checks signatures,
/// trusts any certificate.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
