//! One-port mode's routing table has one owner per entry, the endpoint: every way a session ends
//! (release of a pipeline, closeSession, the garbage collector after the socket closed, shutdown, and
//! on the engine an endpoint handle dropped without release) takes its ufrag and addresses out, counted
//! by `EngineStats::routed_ufrags`, `routed_addresses` and `routed_checks`.

use crate::common;
use crate::engine_support::{negotiate_probe, one_port_engine};
use crate::release_frees_everything::create;

use media_probe::EchoCheckConfig;
use media_server::engine::EngineConfig;
use serde_json::json;
use std::time::Duration;

fn routes(s: &media_server::ServerStats) -> (usize, usize) {
    (s.engine.routed_ufrags, s.engine.routed_addresses)
}

#[tokio::test]
async fn every_way_a_session_ends_empties_the_table() -> anyhow::Result<()> {
    let config = media_server::Config {
        engine: EngineConfig {
            udp_port: Some(0),
            ..EngineConfig::default()
        },
        gc_period: Duration::from_millis(100),
        ..media_server::Config::default()
    };
    let server = common::start(config).await?;
    let mut ws = common::connect(&server.url()).await?;
    let p1 = create(&mut ws, 1, "MediaPipeline", None).await?;
    create(&mut ws, 2, "WebRtcEndpoint", Some(&p1)).await?;
    create(&mut ws, 3, "WebRtcEndpoint", Some(&p1)).await?;
    let p2 = create(&mut ws, 4, "MediaPipeline", None).await?;
    create(&mut ws, 5, "WebRtcEndpoint", Some(&p2)).await?;
    let s = server.stats();
    assert_eq!((s.engine.endpoints, s.engine.udp_sockets), (3, 1), "{s:?}");
    assert_eq!(routes(&s), (3, 0), "{s:?}");

    common::call(
        &mut ws,
        json!({"jsonrpc":"2.0","method":"release","params":{"object":p1},"id":6}),
    )
    .await?;
    assert_eq!(
        routes(&server.stats()),
        (1, 0),
        "release answers once routes are gone"
    );
    common::call(
        &mut ws,
        json!({"jsonrpc":"2.0","method":"closeSession","params":{"release":true},"id":7}),
    )
    .await?;
    assert_eq!(routes(&server.stats()), (0, 0));

    // A session left behind by its socket: collected, routes and all.
    let mut leaves = common::connect(&server.url()).await?;
    let p3 = create(&mut leaves, 1, "MediaPipeline", None).await?;
    create(&mut leaves, 2, "WebRtcEndpoint", Some(&p3)).await?;
    assert_eq!(routes(&server.stats()), (1, 0));
    leaves.close(None).await?;
    common::wait_for_stats(&server, Duration::from_secs(5), |s| {
        s.engine.endpoints == 0 && routes(s) == (0, 0)
    })
    .await?;

    // Shutdown releases what is still there.
    let p4 = create(&mut ws, 8, "MediaPipeline", None).await?;
    create(&mut ws, 9, "WebRtcEndpoint", Some(&p4)).await?;
    assert_eq!(routes(&server.stats()), (1, 0));
    ws.close(None).await?;
    let engine = server.engine();
    server.shutdown().await?;
    let s = engine.stats();
    assert_eq!(
        (s.endpoints, s.routed_ufrags, s.routed_addresses),
        (0, 0, 0),
        "{s:?}"
    );
    Ok(())
}

#[tokio::test]
async fn dropped_endpoints_take_their_verified_addresses_with_them() -> anyhow::Result<()> {
    let engine = one_port_engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;
    let peer = negotiate_probe(&endpoint, &mut rx).await?;
    let config = EchoCheckConfig {
        duration: Duration::from_millis(500),
        ..EchoCheckConfig::default()
    };
    let report = peer.echo_check(config).await?;
    assert!(report.is_intact(0.8), "{report:?}");
    let s = engine.stats();
    assert_eq!((s.routed_ufrags, s.routed_addresses), (1, 1), "{s:?}");
    assert!(s.routed_checks > 0, "the endpoint's own checks: {s:?}");
    // The answers to the endpoint's checks found it, whether or not they came before the probe's own
    // first check claimed its address; nothing else was lost on the way either.
    assert_eq!(s.packets_unrouted, 0, "{s:?}");

    // No release: the last handle goes, the task is cancelled, its registration dropped.
    drop(endpoint);
    let emptied = test_support::wait::eventually(Duration::from_secs(2), || {
        let s = engine.stats();
        (
            s.endpoints,
            s.routed_ufrags,
            s.routed_addresses,
            s.routed_checks,
        ) == (0, 0, 0, 0)
    })
    .await;
    assert!(emptied, "{:?}", engine.stats());
    Ok(())
}
