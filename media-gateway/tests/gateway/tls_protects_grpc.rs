//! With --tls-cert/--tls-key the gRPC port speaks TLS: a client trusting the certificate calls the API, a
//! plaintext client gets nowhere.

use crate::common;
use crate::support;

use crate::common::Script;
use media_gateway::{Secret, TlsIdentity};
use media_proto::v1::StopRequest;
use media_proto::v1::media_session_client::MediaSessionClient;
use std::time::Duration;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

#[tokio::test]
async fn only_tls_clients_get_through() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let cert_pem = certified.cert.pem();
    let tls = TlsIdentity {
        cert_pem: cert_pem.clone().into_bytes(),
        key_pem: Secret(certified.signing_key.serialize_pem().into_bytes()),
    };
    // `on_peer_with` connects its own plaintext client, which cannot work here: build the gateway by hand.
    let peer =
        support::peer::Peer::with_handler("server-1", common::hello_world(Script::default())).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("addr");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let config = media_gateway::Config {
        tls: Some(tls),
        ..common::config(vec![peer.uri()])
    };
    let gateway = media_gateway::spawn(listener, config, shutdown.clone())
        .await
        .expect("gateway starts");

    let channel = Endpoint::from_shared(format!("https://127.0.0.1:{}", addr.port()))
        .expect("endpoint")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(cert_pem))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect()
        .await
        .expect("TLS connect");
    let mut client = MediaSessionClient::new(channel);
    let status = client
        .stop(StopRequest {
            session_id: "00".repeat(16),
        })
        .await
        .expect_err("an id never issued");
    // NOT_FOUND means the call crossed TLS and reached the service.
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");

    let plain = tokio::time::timeout(Duration::from_secs(5), async {
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await?;
        MediaSessionClient::new(channel)
            .stop(StopRequest {
                session_id: "00".repeat(16),
            })
            .await
            .map(drop)
            .map_err(|s| Box::new(s) as Box<dyn std::error::Error + Send + Sync>)
    })
    .await
    .expect("the plaintext attempt ends");
    assert!(plain.is_err(), "a plaintext client was served");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), gateway.join())
        .await
        .expect("shuts down")
        .expect("clean");
}
