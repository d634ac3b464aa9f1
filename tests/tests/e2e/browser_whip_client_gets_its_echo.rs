//! A third-party WHIP client, medooze's whip-whep `WHIPClient` (npm), publishes sendrecv from headless
//! Chromium with a fake camera to the bridge, from a page on another origin (so CORS is exercised): the
//! echo comes back (its video decodes and plays), the gateway reports media flowing into the media
//! server, the client's trickle PATCHes succeed, and its stop() sends DELETE, after which the bridge, the
//! gateway and the media server hold nothing.
use e2e_tests::{Gateway, run_whip_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_whip_client_gets_its_echo() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let gateway = Gateway::start().await?;
    let e2e_tests::WhipBridge {
        web,
        page_port,
        endpoint,
    } = e2e_tests::whip_bridge(&gateway).await?;
    let result =
        run_whip_driver(&endpoint, page_port, 4000, "sendrecv", "browser-whip.png").await?;
    assert_eq!(result["ok"], true, "{result}");
    assert!(
        result["after"]["framesDecoded"].as_u64().unwrap_or(0) > 0,
        "{result}"
    );
    let requests: Vec<&str> = result["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    assert!(requests.contains(&"POST 201"), "{requests:?}");
    assert!(requests.contains(&"PATCH 204"), "{requests:?}");
    assert!(requests.contains(&"DELETE 200"), "{requests:?}");
    assert!(
        web.counters.whip_media_flowing("in") > 0,
        "the gateway reported media flowing into the media server"
    );
    assert_eq!(web.counters.whip_resources(), 0);
    assert_eq!(web.counters.live_sessions(), 0);
    gateway.assert_released().await?;
    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
