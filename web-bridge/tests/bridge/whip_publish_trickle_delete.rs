//! A WHIP resource's life against the recording gateway: POST answers 201 with the answer, a Location that
//! is not the session id, an ETag; the session is watched (StreamCandidates) so its lease never runs out;
//! PATCH sends each candidate and end-of-candidates to AddIceCandidate in order and answers 204; DELETE
//! stops the session and answers 200; a second DELETE, and a PATCH after it, get 404; nothing is left.
use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::whip::{self, WHIP_OFFER};
use crate::support::{Bridge, eventually, metrics, sample};

#[tokio::test]
async fn whip_publish_trickle_delete() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;

    let created = whip::post(bridge.addr, WHIP_OFFER, &[]).await?;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("content-type"), Some("application/sdp"));
    assert_eq!(created.text(), "v=0\r\ns=answer-1\r\n");
    let location = created.header("location").unwrap_or_default().to_owned();
    let id = location.strip_prefix("/whip/").unwrap_or_default();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{location}"
    );
    assert!(
        !location.contains("session-1"),
        "the Location is not the session id"
    );
    let etag = created.header("etag").unwrap_or_default().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
    assert!(
        created.headers("link").is_empty(),
        "no ICE servers configured"
    );
    eventually("the session to be watched", || {
        gateway.calls().contains(&Call::Stream {
            session: "session-1".into(),
        })
    })
    .await?;
    assert_eq!(bridge.counters.whip_resources(), 1);
    assert_eq!(bridge.counters.live_sessions(), 1);

    let (a, b) = (whip::candidate(5000), whip::candidate(5001));
    let fragment = whip::fragment(&[a.clone(), b.clone()], true);
    let patched = whip::patch(bridge.addr, &location, &fragment, &[("If-Match", &etag)]).await?;
    assert_eq!(patched.status, 204, "{}", patched.text());
    let added: Vec<String> = gateway
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::AddIceCandidate { session, candidate } if session == "session-1" => {
                Some(candidate)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        [a, b, String::new()],
        "in order, then end-of-candidates"
    );

    let deleted = whip::delete(bridge.addr, &location, &[]).await?;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert!(gateway.calls().contains(&Call::Stop {
        session: "session-1".into()
    }));
    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 404);
    let late = whip::patch(bridge.addr, &location, &fragment, &[("If-Match", &etag)]).await?;
    assert_eq!(late.status, 404);
    eventually("the resource and its session to be gone", || {
        bridge.counters.whip_resources() == 0 && bridge.counters.live_sessions() == 0
    })
    .await?;

    let text = metrics(bridge.addr).await?;
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_whip_requests_total{method="POST",status="201"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_whip_requests_total{method="DELETE",status="404"}"#
        ),
        1.0
    );
    assert_eq!(sample(&text, "web_bridge_whip_resources_open"), 0.0);
    bridge.stop().await
}
