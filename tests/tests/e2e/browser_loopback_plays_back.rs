//! In headless Chromium, the page's own picture comes back from the media server: the remote video plays,
//! frames keep being decoded with no loss, its centre pixel is the colour the page drew, and Stop releases
//! everything.
use e2e_tests::{Stack, run_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_loopback_plays_back() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let stack = Stack::start().await?;
    let result = run_driver(&stack.url, "single", "browser-loopback.png").await?;
    assert_eq!(result["ok"], true, "{result}");
    assert!(
        result["failures"]
            .as_array()
            .is_some_and(std::vec::Vec::is_empty),
        "{result}"
    );
    assert_eq!(result["after"]["packetsLost"], 0);
    assert!(
        result["after"]["framesDecoded"].as_u64().unwrap_or(0) > 0,
        "{result}"
    );
    stack.assert_nothing_left().await?;
    stack.stop().await
}
