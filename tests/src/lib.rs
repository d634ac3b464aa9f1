//! The harness for tests across services: a gateway with its embedded media server on 127.0.0.1, and a
//! small Kurento client that asks the media server itself what it holds (so leaks are counted where they
//! would live, not in the gateway's own bookkeeping).
#![forbid(unsafe_code)]

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use kurento::{Message, Method, Request, SERVER_MANAGER};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;

/// A gateway on 127.0.0.1:0 with its embedded media server, serving until [`Gateway::stop`].
pub struct Gateway {
    pub handle: media_gateway::Gateway,
    pub grpc_uri: String,
    shutdown: CancellationToken,
}

impl Gateway {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(media_gateway::Config::default()).await
    }

    pub async fn start_with(config: media_gateway::Config) -> anyhow::Result<Self> {
        init_tracing();
        let shutdown = CancellationToken::new();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let grpc_uri = format!("http://{}", listener.local_addr()?);
        let handle = media_gateway::spawn(listener, config, shutdown.clone()).await?;
        Ok(Self {
            handle,
            grpc_uri,
            shutdown,
        })
    }

    /// The media server's Kurento JSON-RPC address.
    pub fn kms_uri(&self) -> &str {
        &self.handle.kms_uris()[0]
    }

    /// A gRPC client for the MediaSession API.
    pub async fn client(
        &self,
    ) -> anyhow::Result<
        media_proto::v1::media_session_client::MediaSessionClient<tonic::transport::Channel>,
    > {
        Ok(
            media_proto::v1::media_session_client::MediaSessionClient::connect(
                self.grpc_uri.clone(),
            )
            .await?,
        )
    }

    /// Waits (up to 5 s) until the media server holds no pipeline and the gateway no session.
    pub async fn assert_released(&self) -> anyhow::Result<()> {
        let mut last = (usize::MAX, usize::MAX);
        for _ in 0..100 {
            last = (pipelines(self.kms_uri()).await?, self.handle.sessions());
            if last == (0, 0) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "still held after 5 s: {} pipelines on the media server, {} gateway sessions",
            last.0,
            last.1
        )
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.handle.join().await?;
        Ok(())
    }
}

/// Asks a Kurento media server for `ServerManager.getPipelines` over its own JSON-RPC, on a fresh connection.
pub async fn pipelines(kms_uri: &str) -> anyhow::Result<usize> {
    let value = kms_call(
        kms_uri,
        Method::invoke(SERVER_MANAGER, "getPipelines", None),
    )
    .await?;
    Ok(value
        .as_array()
        .context("getPipelines returned no list")?
        .len())
}

/// One Kurento request on a fresh connection; returns the result's `value`.
pub async fn kms_call(kms_uri: &str, method: Method) -> anyhow::Result<Value> {
    let (mut ws, _) = tokio_tungstenite::connect_async(kms_uri)
        .await
        .with_context(|| format!("connecting {kms_uri}"))?;
    ws.send(tungstenite::Message::text(
        Request::new(method, None).encode(1.into()),
    ))
    .await?;
    let reply = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = ws.next().await {
            if let tungstenite::Message::Text(text) = frame? {
                if let Ok(Message::Response(r)) = Message::decode(&text) {
                    if r.id.as_ref().and_then(kurento::Id::as_u64) == Some(1) {
                        return Ok(r.outcome);
                    }
                }
            }
        }
        bail!("{kms_uri} closed before answering")
    })
    .await
    .context("the media server did not answer within 5 s")??;
    let _ = ws.close(None).await;
    let result = reply.map_err(|e| anyhow::anyhow!("media server error: {e}"))?;
    Ok(result.get("value").cloned().unwrap_or(Value::Null))
}

/// Logs to the test's output when RUST_LOG is set.
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    }
}
