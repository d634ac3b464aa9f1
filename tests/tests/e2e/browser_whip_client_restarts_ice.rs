//! medooze's whip-whep `WHIPClient` in headless Chromium publishes sendrecv, then restarts ICE the way
//! it does (`restart()`: RTCPeerConnection.restartIce() and a PATCH with `If-Match: *` and only the new
//! credentials): the bridge answers 200 with the media server's new credentials and candidates, both
//! ufrags change, and the echo keeps decoding and playing afterwards. The media server counted one
//! ICE restart, and after stop() nothing is left anywhere.
use e2e_tests::{Gateway, run_whip_driver_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_whip_client_restarts_ice() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let gateway = Gateway::start().await?;
    let e2e_tests::WhipBridge {
        web,
        page_port,
        endpoint,
    } = e2e_tests::whip_bridge(&gateway).await?;
    let result = run_whip_driver_with(
        &endpoint,
        page_port,
        2000,
        "sendrecv",
        "browser-whip-restart.png",
        &["--restart"],
    )
    .await?;
    assert_eq!(result["ok"], true, "{result}");
    let requests: Vec<&str> = result["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    assert!(requests.contains(&"PATCH 200"), "the restart: {requests:?}");
    println!(
        "ICE restart through WHIP: PATCH answered and applied in {} ms",
        result["restart"]["ms"]
    );
    assert_eq!(gateway.media_stats().engine.ice_restarts, 1);
    assert_eq!(web.counters.whip_resources(), 0);
    gateway.assert_released().await?;
    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
