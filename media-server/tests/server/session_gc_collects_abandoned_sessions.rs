//! The garbage collector releases what a session held once its connection is closed (one to two periods
//! later), and never touches a session whose connection stays open.

use crate::common;

use serde_json::json;
use std::time::Duration;

async fn pipeline_with_endpoint(ws: &mut common::Ws) -> anyhow::Result<()> {
    let r = common::call(
        ws,
        json!({"jsonrpc":"2.0","method":"create","params":{"type":"MediaPipeline"},"id":1}),
    )
    .await?;
    let p = r["result"]["value"].clone();
    let r = common::call(
        ws,
        json!({"jsonrpc":"2.0","method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":p}},"id":2}),
    )
    .await?;
    anyhow::ensure!(r["result"]["value"].is_string(), "{r}");
    Ok(())
}

#[tokio::test]
async fn session_gc_collects_abandoned_sessions() -> anyhow::Result<()> {
    let period = Duration::from_millis(100);
    let config = media_server::Config {
        gc_period: period,
        ..Default::default()
    };
    let server = common::start(config).await?;
    let mut stays = common::connect(&server.url()).await?;
    pipeline_with_endpoint(&mut stays).await?;
    let mut leaves = common::connect(&server.url()).await?;
    pipeline_with_endpoint(&mut leaves).await?;
    let s = server.stats();
    assert_eq!((s.sessions, s.pipelines, s.endpoints), (2, 2, 2), "{s:?}");

    // Several periods with both sockets open: nothing is collected, however idle. This sleep checks an
    // absence, so there is nothing to poll for; the GC runs on the server's real clock (it serves real
    // sockets), so the paused clock cannot stand in for it.
    tokio::time::sleep(period * 5).await;
    assert_eq!(server.stats().pipelines, 2);

    leaves.close(None).await?;
    common::wait_for_stats(&server, Duration::from_secs(5), |s| {
        (s.sessions, s.pipelines, s.endpoints, s.engine.endpoints) == (1, 1, 1, 1)
    })
    .await?;
    // The open connection's session is still usable.
    let r = common::call(&mut stays, json!({"jsonrpc":"2.0","method":"invoke","params":{"object":"manager_ServerManager","operation":"getPipelines"},"id":3})).await?;
    assert_eq!(
        r["result"]["value"].as_array().map(Vec::len),
        Some(1),
        "{r}"
    );
    stays.close(None).await?;
    server.shutdown().await?;
    Ok(())
}
