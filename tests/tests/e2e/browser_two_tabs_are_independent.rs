//! Two tabs of one browser (one cookie jar) each get their own loopback, each sees its own colour, and closing
//! one tab leaves the other playing (the tutorial shared one session per cookie).
use e2e_tests::{Stack, run_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_two_tabs_are_independent() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let stack = Stack::start().await?;
    let result = run_driver(&stack.url, "two-tabs", "browser-two-tabs.png").await?;
    assert_eq!(result["ok"], true, "{result}");
    assert!(
        result["failures"]
            .as_array()
            .is_some_and(std::vec::Vec::is_empty),
        "{result}"
    );
    stack.assert_nothing_left().await?;
    stack.stop().await
}
