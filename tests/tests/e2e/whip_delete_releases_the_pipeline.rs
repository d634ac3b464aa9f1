//! WHIP on the real stack (gateway, embedded media server, plain-HTTP bridge): POST with Chromium's offer
//! answers 201 with an answer that already holds the media server's candidates (WHIP cannot trickle them)
//! and one pipeline exists; PATCH feeds a candidate and end-of-candidates (204); DELETE releases the
//! pipeline and the gateway session (200), a second DELETE gets 404. A sendonly offer (a publisher's) is
//! created too (201, every m-line of the answer recvonly), and its DELETE releases everything as well.
use e2e_tests::Gateway;
use test_support::CHROMIUM_OFFER;
use test_support::http::request;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whip_delete_releases_the_pipeline() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let web = e2e_tests::plain_bridge(&gateway).await?;
    let sdp = [("Content-Type", "application/sdp")];

    let created = request(web.addr, "POST", "/whip", &sdp, CHROMIUM_OFFER.as_bytes()).await?;
    assert_eq!(created.status, 201, "{}", created.text());
    assert!(
        created.text().contains("a=candidate:"),
        "{}",
        created.text()
    );
    assert_eq!(e2e_tests::pipelines(gateway.kms()).await?, 1);
    assert_eq!(gateway.handle.sessions(), 1);
    assert_eq!(web.counters.whip_resources(), 1);
    let location = created.header("location").unwrap_or_default().to_owned();
    let etag = created.header("etag").unwrap_or_default().to_owned();

    let fragment = "a=ice-ufrag:wKVo\r\na=ice-pwd:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n\
        a=candidate:1 1 udp 2122260223 127.0.0.1 40999 typ host\r\na=end-of-candidates\r\n";
    let patched = request(
        web.addr,
        "PATCH",
        &location,
        &[
            ("Content-Type", "application/trickle-ice-sdpfrag"),
            ("If-Match", &etag),
        ],
        fragment.as_bytes(),
    )
    .await?;
    assert_eq!(patched.status, 204, "{}", patched.text());

    let deleted = request(web.addr, "DELETE", &location, &[], b"").await?;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    gateway.assert_released().await?;
    assert_eq!(
        request(web.addr, "DELETE", &location, &[], b"")
            .await?
            .status,
        404
    );
    assert_eq!(web.counters.whip_resources(), 0);
    assert_eq!(web.counters.live_sessions(), 0);

    let sendonly = test_support::chromium_offer_with("sendonly");
    let published = request(web.addr, "POST", "/whip", &sdp, sendonly.as_bytes()).await?;
    assert_eq!(published.status, 201, "{}", published.text());
    assert_eq!(
        test_support::media_directions(&published.text()),
        ["recvonly", "recvonly"],
        "{}",
        published.text()
    );
    assert_eq!(e2e_tests::pipelines(gateway.kms()).await?, 1);
    let location = published.header("location").unwrap_or_default().to_owned();
    let deleted = request(web.addr, "DELETE", &location, &[], b"").await?;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    gateway.assert_released().await?;
    assert_eq!(web.counters.whip_resources(), 0);

    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
