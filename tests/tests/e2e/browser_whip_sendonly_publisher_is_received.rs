//! medooze's whip-whep `WHIPClient` publishes from headless Chromium with sendonly transceivers (a fake
//! camera and microphone), from a page on another origin: the answer is recvonly, the browser keeps
//! sending and gets nothing back, the gateway reports media flowing into the media server and none out,
//! and stop()'s DELETE leaves nothing held at the bridge, the gateway or the media server.
use e2e_tests::{Gateway, run_whip_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_whip_sendonly_publisher_is_received() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let page_port = test_support::closed_port();
    let web = e2e_tests::plain_bridge_with(&gateway, |c| {
        c.allowed_origins = vec![format!("http://127.0.0.1:{page_port}")];
    })
    .await?;
    let endpoint = format!("http://{}/whip", web.addr);
    let result = run_whip_driver(
        &endpoint,
        page_port,
        3000,
        "sendonly",
        "browser-whip-sendonly.png",
    )
    .await?;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["published"]["answerDirections"],
        serde_json::json!(["recvonly", "recvonly"]),
        "{result}"
    );
    let requests: Vec<&str> = result["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
        .unwrap_or_default();
    assert!(requests.contains(&"POST 201"), "{requests:?}");
    assert!(requests.contains(&"DELETE 200"), "{requests:?}");
    assert!(
        web.counters.whip_media_flowing("in") > 0,
        "the gateway reported media flowing into the media server: {result}"
    );
    assert_eq!(
        web.counters.whip_media_flowing("out"),
        0,
        "nothing flows back to a sendonly publisher"
    );
    assert_eq!(web.counters.whip_resources(), 0);
    assert_eq!(web.counters.live_sessions(), 0);
    gateway.assert_released().await?;
    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
