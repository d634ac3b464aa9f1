//! In headless Chromium, the page's signalling connection is cut (reset, as a network cut would) while its
//! video plays: the page reconnects, resumes the same call with its token, and the video never stops. The
//! bridge saw one `start` and one `resume`, the gateway one session, and Stop then releases everything.
use e2e_tests::{Gateway, Stack, run_driver_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_resumes_after_socket_cut() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    // The driver's proxy listens here; the page is loaded through it, so the bridge must allow its origin.
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let stack = Stack::start_bridge(
        Gateway::start().await?,
        std::net::Ipv4Addr::LOCALHOST.into(),
        |c| {
            c.allowed_origins = vec![format!("https://127.0.0.1:{proxy_port}")];
        },
    )
    .await?;
    let result = run_driver_in(
        None,
        &stack.url,
        "resume",
        "browser-resume.png",
        &["--proxy-port", &proxy_port.to_string()],
    )
    .await?;
    println!("{result}");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["resumes"], 1, "{result}");
    assert!(
        result["connectionsCut"].as_u64().unwrap_or(0) >= 1,
        "{result}"
    );

    let metrics = stack.bridge_counters.prometheus_text();
    let sample = |line: &str| test_support::http::sample(&metrics, line);
    assert_eq!(
        sample(r#"web_bridge_browser_messages_total{type="start"}"#),
        1.0,
        "the page started a second call instead of resuming:\n{metrics}"
    );
    assert_eq!(
        sample(r#"web_bridge_browser_messages_total{type="resume"}"#),
        1.0
    );
    // The bridge saw the reset at once (parked, then resumed); a half-open socket would be taken over instead.
    assert_eq!(
        stack.bridge_counters.resumes("resumed") + stack.bridge_counters.resumes("taken_over"),
        1
    );
    stack.assert_nothing_left().await?;
    stack.stop().await
}
