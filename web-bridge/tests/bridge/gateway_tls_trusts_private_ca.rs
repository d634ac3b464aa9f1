//! An `https://` gateway is reached over TLS: with `gateway_ca` naming the private CA that signed the
//! gateway's certificate a session starts; without it the certificate is not trusted and the page is told
//! the gateway is unreachable.
use crate::support;

use crate::support::fake_gateway::{FakeGateway, Options};
use crate::support::{Bridge, recv_error, recv_json, send};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tonic::transport::{Identity, ServerTlsConfig};

#[tokio::test]
async fn gateway_tls_trusts_private_ca() -> anyhow::Result<()> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "web-bridge test CA");
    let ca = ca_params.self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])?
        .signed_by(&server_key, &Issuer::from_params(&ca_params, &ca_key))?;
    let identity = Identity::from_pem(server.pem(), server_key.serialize_pem());
    let gateway = FakeGateway::start_with(Options {
        tls: Some(ServerTlsConfig::new().identity(identity)),
        ..Options::default()
    })
    .await?;
    assert!(gateway.uri().starts_with("https://127.0.0.1:"));

    let ca_file = std::env::temp_dir().join(format!(
        "web-bridge-test-ca-{}-{}.pem",
        std::process::id(),
        gateway.addr.port()
    ));
    std::fs::write(&ca_file, ca.pem())?;
    let start = support::start_message();

    let bridge = Bridge::start(&gateway.uri(), |c| c.gateway_ca = Some(ca_file.clone())).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, start.clone()).await?;
    let reply = recv_json(&mut ws).await;
    let _ = std::fs::remove_file(&ca_file);
    assert_eq!(reply?["id"], "startResponse");
    bridge.stop().await?;

    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, start).await?;
    let text = recv_error(&mut ws).await?;
    assert!(text.contains("unreachable"), "{text}");
    bridge.stop().await
}
