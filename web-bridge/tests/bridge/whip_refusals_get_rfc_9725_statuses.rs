//! Every way a WHIP request is refused gets the status RFC 9725 (and HTTP) gives it, with a one-line text
//! body, and a refused request changes nothing at the gateway: 401 without the bearer token (OPTIONS needs
//! none), 403 from a foreign page, 405 for other methods, 415 for another body type, 400 for a body that is
//! not SDP or not a trickle fragment (or names an unknown mid), 413 past the body limit, 422 for an offer
//! the media server refuses, an offer that publishes nothing (only recvonly media, or no audio or video)
//! and an ICE restart, 428 without If-Match, 412 with another ETag, 404 for an unknown resource.
use crate::support::Bridge;
use crate::support::fake_gateway::{Call, FakeGateway, REJECTED_OFFER_MARK};
use crate::support::whip::{self, WHIP_OFFER};
use web_bridge::WhipToken;

const AUTH: (&str, &str) = ("Authorization", "Bearer t0ken");

#[tokio::test]
async fn whip_refusals_get_rfc_9725_statuses() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.whip_token = Some(WhipToken::new("t0ken"));
    })
    .await?;
    let addr = bridge.addr;

    let anonymous = whip::post(addr, WHIP_OFFER, &[]).await?;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    let wrong = whip::post(addr, WHIP_OFFER, &[("Authorization", "Bearer t0keN")]).await?;
    assert_eq!(wrong.status, 401);
    let options = test_support::http::request(addr, "OPTIONS", "/whip", &[], b"").await?;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("allow"), Some("POST, OPTIONS"));
    let foreign = whip::post(
        addr,
        WHIP_OFFER,
        &[AUTH, ("Origin", "https://evil.example")],
    )
    .await?;
    assert_eq!(foreign.status, 403);
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    let get = test_support::http::request(addr, "GET", "/whip", &[AUTH], b"").await?;
    assert_eq!(get.status, 405);
    let plain = test_support::http::request(
        addr,
        "POST",
        "/whip",
        &[AUTH, ("Content-Type", "text/plain")],
        WHIP_OFFER.as_bytes(),
    )
    .await?;
    assert_eq!(plain.status, 415);
    assert_eq!(whip::post(addr, "hello", &[AUTH]).await?.status, 400);
    let huge = format!("{WHIP_OFFER}a=x-pad:{}\r\n", "x".repeat(70_000));
    let too_big = whip::post(addr, &huge, &[AUTH]).await?;
    assert_eq!(too_big.status, 413, "{}", too_big.text());
    let viewer = WHIP_OFFER.replace("a=sendrecv", "a=recvonly");
    let refused = whip::post(addr, &viewer, &[AUTH]).await?;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("recvonly"), "{}", refused.text());
    let data_only =
        "v=0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
    let refused = whip::post(addr, data_only, &[AUTH]).await?;
    assert_eq!(refused.status, 422);
    assert!(
        refused.text().contains("no audio or video"),
        "{}",
        refused.text()
    );
    assert!(
        !gateway.calls().contains(&Call::Start),
        "nothing refused so far reached the gateway"
    );
    let rejected = WHIP_OFFER.replace("s=-", &format!("s={REJECTED_OFFER_MARK}"));
    let unprocessable = whip::post(addr, &rejected, &[AUTH]).await?;
    assert_eq!(unprocessable.status, 422, "{}", unprocessable.text());
    assert!(
        unprocessable.text().contains("rejected"),
        "{}",
        unprocessable.text()
    );

    let created = whip::post(addr, WHIP_OFFER, &[AUTH]).await?;
    assert_eq!(created.status, 201);
    let location = created.header("location").unwrap_or_default().to_owned();
    let etag = created.header("etag").unwrap_or_default().to_owned();
    let good = whip::fragment(&[whip::candidate(5000)], false);
    let if_match = ("If-Match", etag.as_str());
    let status = |r: anyhow::Result<whip::Response>| r.map(|r| r.status);
    assert_eq!(
        status(whip::patch(addr, &location, &good, &[if_match]).await)?,
        401
    );
    assert_eq!(
        status(
            whip::patch(
                addr,
                "/whip/0123456789abcdef0123456789abcdef",
                &good,
                &[AUTH, if_match]
            )
            .await
        )?,
        404
    );
    assert_eq!(
        status(whip::patch(addr, &location, &good, &[AUTH]).await)?,
        428
    );
    let other = ("If-Match", "\"not-it\"");
    assert_eq!(
        status(whip::patch(addr, &location, &good, &[AUTH, other]).await)?,
        412
    );
    let restart = whip::patch(addr, &location, &good, &[AUTH, ("If-Match", "*")]).await?;
    assert_eq!(restart.status, 422);
    assert!(restart.text().contains("ICE restart"), "{}", restart.text());
    let new_ufrag = good.replace("ice-ufrag:abcd", "ice-ufrag:wxyz");
    assert_eq!(
        status(whip::patch(addr, &location, &new_ufrag, &[AUTH, if_match]).await)?,
        422
    );
    let sdp_type = test_support::http::request(
        addr,
        "PATCH",
        &location,
        &[AUTH, if_match, ("Content-Type", "application/sdp")],
        good.as_bytes(),
    )
    .await?;
    assert_eq!(sdp_type.status, 415);
    assert_eq!(
        status(whip::patch(addr, &location, "garbage", &[AUTH, if_match]).await)?,
        400
    );
    let unknown_mid = format!(
        "{good}m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:7\r\na={}\r\n",
        whip::candidate(6000)
    );
    assert_eq!(
        status(whip::patch(addr, &location, &unknown_mid, &[AUTH, if_match]).await)?,
        400
    );
    assert!(
        !gateway
            .calls()
            .iter()
            .any(|c| matches!(c, Call::AddIceCandidate { .. })),
        "no refused fragment added a candidate: {:?}",
        gateway.calls()
    );
    assert_eq!(status(whip::delete(addr, &location, &[]).await)?, 401);
    assert_eq!(
        bridge.counters.whip_resources(),
        1,
        "a refused DELETE leaves the resource"
    );
    assert_eq!(
        status(whip::patch(addr, &location, &good, &[AUTH, if_match]).await)?,
        204
    );
    assert_eq!(status(whip::delete(addr, &location, &[AUTH]).await)?, 200);
    bridge.stop().await
}
