//! With a metrics listener, `/metrics` is served there (with `/healthz` and `/readyz`) and answers 404 on the
//! public port, which keeps serving the page and its probes.

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use web_bridge::{Config, Listeners, TlsMode};

use crate::support::http_get;

#[tokio::test]
async fn metrics_can_move_off_the_public_port() -> anyhow::Result<()> {
    let page = TcpListener::bind("127.0.0.1:0").await?;
    let ops = TcpListener::bind("127.0.0.1:0").await?;
    let (page_addr, ops_addr) = (page.local_addr()?, ops.local_addr()?);
    let config = Config {
        gateway: "http://127.0.0.1:1".into(),
        tls: TlsMode::Plain,
        ..Config::default()
    };
    let shutdown = CancellationToken::new();
    let listeners = Listeners {
        page,
        metrics: Some(ops),
    };
    let task = tokio::spawn(web_bridge::run_with(listeners, config, shutdown.clone()));

    let (status, _, body) = http_get(ops_addr, "/metrics").await?;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body)?.contains("web_bridge_http_connections_open"));
    assert_eq!(http_get(ops_addr, "/healthz").await?.0, 200);
    assert_eq!(http_get(page_addr, "/metrics").await?.0, 404);
    assert_eq!(http_get(page_addr, "/healthz").await?.0, 200);
    assert_eq!(http_get(page_addr, "/").await?.0, 200);

    shutdown.cancel();
    task.await??;
    Ok(())
}
