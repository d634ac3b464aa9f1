//! medooze's whip-whep `WHIPClient` publishes from headless Chromium with sendonly transceivers (a fake
//! camera and microphone), from a page on another origin: the answer is recvonly, the browser keeps
//! sending and gets nothing back, the gateway reports media flowing into the media server and none out,
//! and stop()'s DELETE leaves nothing held at the bridge, the gateway or the media server. While it
//! publishes, the media server's own stats (GetSessionStats) show its video and audio arriving, in the
//! codecs the browser sends and in about the numbers the browser counts.
use std::time::Duration;

use e2e_tests::{Gateway, run_whip_driver};
use media_proto::v1::session_admin_client::SessionAdminClient;
use media_proto::v1::{
    FlowDirection, GetSessionStatsRequest, ListSessionsRequest, MediaKind, MediaStats,
};

/// The media server's view of the one live session, once its incoming video has reached 50 packets (the
/// browser starts publishing a few seconds in, after Chromium's start).
async fn server_stats(gateway: &Gateway) -> anyhow::Result<Vec<MediaStats>> {
    let channel = tonic::transport::Endpoint::from_shared(gateway.grpc_uri.clone())?
        .connect()
        .await?;
    let mut admin = SessionAdminClient::new(channel);
    let mut client = gateway.client().await?;
    let mut last = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let listed = admin
            .list_sessions(ListSessionsRequest {})
            .await?
            .into_inner();
        if let [session] = listed.sessions.as_slice() {
            let request = GetSessionStatsRequest {
                session_id: session.session_id.clone(),
            };
            if let Ok(stats) = client.get_session_stats(request).await {
                last = stats.into_inner().streams;
                let video_in = last
                    .iter()
                    .find(|s| s.kind() == MediaKind::Video && s.direction() == FlowDirection::In);
                if video_in.is_some_and(|s| s.packets >= 50) {
                    return Ok(last);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    anyhow::bail!("the media server never reported 50 incoming video packets: {last:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_whip_sendonly_publisher_is_received() -> anyhow::Result<()> {
    let _browser = e2e_tests::one_browser_at_a_time().await;
    let gateway = Gateway::start().await?;
    let e2e_tests::WhipBridge {
        web,
        page_port,
        endpoint,
    } = e2e_tests::whip_bridge(&gateway).await?;
    let (result, streams) = tokio::join!(
        run_whip_driver(
            &endpoint,
            page_port,
            4000,
            "sendonly",
            "browser-whip-sendonly.png",
        ),
        server_stats(&gateway),
    );
    let (result, streams) = (result?, streams?);
    println!("the browser reported: {}", result["after"]);
    println!("the media server reported: {streams:?}");
    assert_eq!(result["ok"], true, "{result}");
    let stream = |kind: MediaKind, direction: FlowDirection| {
        streams
            .iter()
            .find(|s| s.kind() == kind && s.direction() == direction)
    };
    let video_in = stream(MediaKind::Video, FlowDirection::In).ok_or_else(|| {
        anyhow::anyhow!("the media server reports no incoming video: {streams:?}")
    })?;
    assert!(video_in.packets > 0 && video_in.bytes > 0, "{video_in:?}");
    assert!(
        video_in.codec.eq_ignore_ascii_case("video/VP8")
            || video_in.codec.eq_ignore_ascii_case("video/H264"),
        "{video_in:?}"
    );
    let audio_in = stream(MediaKind::Audio, FlowDirection::In)
        .ok_or_else(|| anyhow::anyhow!("no incoming audio: {streams:?}"))?;
    assert!(audio_in.packets > 0, "{audio_in:?}");
    assert!(
        audio_in.codec.eq_ignore_ascii_case("audio/opus"),
        "{audio_in:?}"
    );
    // Sent back: nothing, to a sendonly publisher.
    assert!(
        stream(MediaKind::Video, FlowDirection::Out).is_none_or(|s| s.packets == 0),
        "{streams:?}"
    );
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
