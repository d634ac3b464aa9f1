//! The gRPC server: MediaSession, server reflection (v1 and v1alpha, since grpcurl 1.8.6 asks v1alpha) and
//! grpc.health.v1 on one listener, with graceful shutdown.

use crate::error::Error;
use crate::service::Service;
use media_proto::v1::media_session_server::MediaSessionServer;
use std::future::Future;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic_health::pb::health_server::HealthServer;

/// Serves until `stop` resolves, then stops accepting and lets open calls finish.
pub async fn serve<H>(
    listener: TcpListener,
    service: Service,
    health: HealthServer<H>,
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
    tonic::transport::Server::builder()
        .add_service(MediaSessionServer::new(service))
        .add_service(health)
        .add_service(v1)
        .add_service(v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop)
        .await?;
    Ok(())
}
