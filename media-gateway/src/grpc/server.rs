//! The gRPC server: MediaSession and SessionAdmin (behind the bearer token when one is set), server
//! reflection (v1 and v1alpha, since grpcurl 1.8.6 asks v1alpha) and grpc.health.v1 on one listener, with
//! optional TLS, grpc-web over HTTP/1.1 on the same port, one metrics layer around everything, the
//! connection caps, and graceful shutdown.

use super::admin::Admin;
use super::auth::Auth;
use super::rpc_metrics::RpcMetricsLayer;
use super::service::Service;
use crate::config::TlsIdentity;
use crate::error::Error;
use crate::metrics::Metrics;
use media_proto::v1::media_session_server::MediaSessionServer;
use media_proto::v1::session_admin_server::SessionAdminServer;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};
use tonic_health::pb::health_server::HealthServer;
use tonic_web::GrpcWebLayer;

/// What the gRPC port serves.
pub(crate) struct Services<H> {
    pub(crate) session: Service,
    pub(crate) admin: Admin,
    pub(crate) health: HealthServer<H>,
    pub(crate) auth: Auth,
    pub(crate) admin_auth: Auth,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) tls: Option<TlsIdentity>,
    pub(crate) tls_handshake_timeout: std::time::Duration,
    pub(crate) keepalive: Keepalive,
    /// The caps every accepted connection counts against (shared with the metrics listener).
    pub(crate) admission: service_kit::admission::Admission,
}

/// How a dead peer is noticed: HTTP/2 PINGs answer for the stream layer, TCP keepalive for the kernel's
/// (a peer whose host vanished without a FIN or RST).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keepalive {
    pub(crate) interval: std::time::Duration,
    pub(crate) timeout: std::time::Duration,
}

/// Serves until `stop` resolves, then stops accepting and lets open calls finish.
pub(crate) async fn serve<H>(
    listener: TcpListener,
    services: Services<H>,
    stop: impl Future<Output = ()> + Send,
) -> Result<(), Error>
where
    H: tonic_health::pb::health_server::Health,
{
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(media_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let v1 = reflection().build_v1()?;
    let v1alpha = reflection().build_v1alpha()?;
    let ka = services.keepalive;
    let mut builder = tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(ka.interval))
        .http2_keepalive_timeout(Some(ka.timeout));
    if let Some(tls) = &services.tls {
        let identity = Identity::from_pem(&tls.cert_pem, &tls.key_pem.0);
        let tls = ServerTlsConfig::new()
            .identity(identity)
            .timeout(services.tls_handshake_timeout);
        builder = builder.tls_config(tls)?;
    }
    let auth = services.auth;
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(ka.interval))
        .with_keepalive_interval(Some(ka.interval))
        .with_keepalive_retries(Some(3));
    let incoming = super::incoming::admitted(incoming, services.admission);
    builder
        // grpc-web clients (browsers, Envoy-less setups) speak HTTP/1.1; gRPC clients keep HTTP/2.
        .accept_http1(true)
        // Outermost first: grpc-web is translated to gRPC before the metrics layer reads its status.
        .layer(GrpcWebLayer::new())
        .layer(RpcMetricsLayer::new(services.metrics))
        .add_service(MediaSessionServer::with_interceptor(services.session, auth))
        .add_service(SessionAdminServer::with_interceptor(
            services.admin,
            services.admin_auth,
        ))
        .add_service(services.health)
        .add_service(v1)
        .add_service(v1alpha)
        .serve_with_incoming_shutdown(incoming, stop)
        .await?;
    Ok(())
}
