//! Releasing pipelines stops their endpoints and frees their sockets at once; closeSession and closing
//! the socket bring every count back to zero.

use crate::common;

use serde_json::{Value, json};
use std::time::Duration;

pub(crate) async fn create(
    ws: &mut common::Ws,
    id: u64,
    ty: &str,
    pipeline: Option<&str>,
) -> anyhow::Result<String> {
    let mut params = json!({"type": ty, "properties": {}});
    if let Some(p) = pipeline {
        params["constructorParams"] = json!({"mediaPipeline": p});
    }
    let r = common::call(
        ws,
        json!({"jsonrpc":"2.0","method":"create","params":params,"id":id}),
    )
    .await?;
    r["result"]["value"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("create failed: {r}"))
}

#[tokio::test]
async fn release_frees_everything() -> anyhow::Result<()> {
    let server = common::start(media_server::Config::default()).await?;
    let mut ws = common::connect(&server.url()).await?;
    let p1 = create(&mut ws, 1, "MediaPipeline", None).await?;
    let e1 = create(&mut ws, 2, "WebRtcEndpoint", Some(&p1)).await?;
    let _e2 = create(&mut ws, 3, "WebRtcEndpoint", Some(&p1)).await?;
    let p2 = create(&mut ws, 4, "MediaPipeline", None).await?;
    let _e3 = create(&mut ws, 5, "WebRtcEndpoint", Some(&p2)).await?;
    let offer = test_support::CHROMIUM_OFFER.to_owned();
    let r = common::call(
        &mut ws,
        json!({"jsonrpc":"2.0","method":"invoke","params":{"object":e1,"operation":"processOffer","operationParams":{"offer":offer}},"id":6}),
    )
    .await?;
    assert!(
        r["result"]["value"]
            .as_str()
            .is_some_and(|a| a.starts_with("v=0")),
        "{r}"
    );

    let s = server.stats();
    assert_eq!(
        (s.sessions, s.pipelines, s.endpoints, s.connections),
        (1, 2, 3, 1),
        "{s:?}"
    );
    assert_eq!(s.engine.endpoints, 3, "{s:?}");
    assert!(s.engine.udp_sockets >= 3, "{s:?}");

    // Release answers only once media is stopped: the counts are already down when it returns.
    let r = common::call(
        &mut ws,
        json!({"jsonrpc":"2.0","method":"release","params":{"object":p1},"id":7}),
    )
    .await?;
    assert!(r["result"]["sessionId"].is_string(), "{r}");
    let s = server.stats();
    assert_eq!(
        (
            s.pipelines,
            s.endpoints,
            s.engine.endpoints,
            s.engine.udp_sockets
        ),
        (1, 1, 1, 1),
        "{s:?}"
    );

    let r = common::call(
        &mut ws,
        json!({"jsonrpc":"2.0","method":"closeSession","params":{"release":true},"id":8}),
    )
    .await?;
    assert_eq!(r["result"], Value::Null, "{r}");
    let s = server.stats();
    assert_eq!(
        (
            s.sessions,
            s.pipelines,
            s.endpoints,
            s.engine.endpoints,
            s.engine.udp_sockets
        ),
        (0, 0, 0, 0, 0),
        "{s:?}"
    );

    ws.close(None).await?;
    common::wait_for_stats(&server, Duration::from_secs(5), |s| s.connections == 0).await?;
    server.shutdown().await?;
    Ok(())
}
