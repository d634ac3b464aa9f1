//! A sendonly WHIP publisher (a str0m peer offering audio and video `a=sendonly`, as OBS or GStreamer's
//! `whipsink` do) on the real stack: POST answers 201 with a recvonly answer holding the media server's
//! candidates, the publisher connects from them alone, its media flows into the media server (the
//! gateway's MediaFlow IN events reach the bridge), nothing comes back, and DELETE releases everything.
use std::time::Duration;

use e2e_tests::Gateway;
use test_support::http::request;
use test_support::media_directions;
use test_support::publisher::Publisher;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whip_sendonly_publisher_is_received() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let web = e2e_tests::plain_bridge(&gateway).await?;
    let sdp = [("Content-Type", "application/sdp")];

    let mut publisher = Publisher::offer().await?;
    let created = request(web.addr, "POST", "/whip", &sdp, publisher.sdp.as_bytes()).await?;
    assert_eq!(created.status, 201, "{}", created.text());
    let answer = created.text();
    assert_eq!(
        media_directions(&answer),
        ["recvonly", "recvonly"],
        "{answer}"
    );
    assert!(answer.contains("a=candidate:"), "{answer}");
    // The answer's candidates are enough: the media server learns the publisher's address from its
    // checks (a peer-reflexive candidate), so no PATCH is needed.
    publisher.start(&answer, &[])?;

    let flowing = test_support::wait::eventually(Duration::from_secs(10), || {
        web.counters.whip_media_flowing("in") >= 2
    })
    .await;
    assert!(
        flowing,
        "audio and video reported flowing in: {} events, the publisher sent {} frames",
        web.counters.whip_media_flowing("in"),
        publisher.sent()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(publisher.sent() > 0);
    assert_eq!(
        publisher.received(),
        0,
        "nothing is sent to a sendonly peer"
    );
    assert_eq!(web.counters.whip_media_flowing("out"), 0);

    let location = created.header("location").unwrap_or_default().to_owned();
    let deleted = request(web.addr, "DELETE", &location, &[], b"").await?;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    gateway.assert_released().await?;
    assert_eq!(web.counters.whip_resources(), 0);
    assert_eq!(web.counters.live_sessions(), 0);

    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
