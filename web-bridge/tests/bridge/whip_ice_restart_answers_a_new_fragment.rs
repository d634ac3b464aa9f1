//! RFC 9725 section 4.3.2 against a gateway whose sessions can restart ICE: a PATCH with `If-Match: *`
//! and new credentials becomes RestartIce (the client's offer with the new ufrag), and answers 200
//! with the server's new ufrag, pwd and candidate as a trickle-ice-sdpfrag and a new ETag; the
//! fragment's candidates follow to AddIceCandidate. The old ETag is then stale (412), the new one
//! trickles (204), and a fragment without credentials or with the current ufrag is a 400. Against a
//! gateway whose sessions cannot (KMS), the same PATCH is RFC 9725's 422 and RestartIce is never
//! called.
use crate::support::Bridge;
use crate::support::fake_gateway::{
    Call, FakeGateway, Options, RESTART_CANDIDATE, RESTART_PWD, RESTART_UFRAG,
};
use crate::support::whip::{self, WHIP_OFFER};

/// A restart fragment with ufrag `ufrag` and one candidate on `port`.
fn restart_fragment(ufrag: &str, port: u16) -> String {
    format!(
        "a=ice-ufrag:{ufrag}\r\na=ice-pwd:newpassword0123456789ab\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n\
         a=mid:0\r\na={}\r\n",
        whip::candidate(port)
    )
}

#[tokio::test]
async fn whip_ice_restart_answers_a_new_fragment() -> anyhow::Result<()> {
    let gateway = FakeGateway::start_with(Options {
        ice_restart: true,
        ..Options::default()
    })
    .await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let created = whip::post(bridge.addr, WHIP_OFFER, &[]).await?;
    assert_eq!(created.status, 201, "{}", created.text());
    let location = created.header("location").unwrap_or_default().to_owned();
    let etag = created.header("etag").unwrap_or_default().to_owned();

    let any = ("If-Match", "*");
    let restarted = whip::patch(
        bridge.addr,
        &location,
        &restart_fragment("efgh", 6000),
        &[any],
    )
    .await?;
    assert_eq!(restarted.status, 200, "{}", restarted.text());
    assert_eq!(
        restarted.header("content-type"),
        Some("application/trickle-ice-sdpfrag")
    );
    let body = restarted.text();
    assert!(
        body.starts_with(&format!(
            "a=ice-ufrag:{RESTART_UFRAG}\r\na=ice-pwd:{RESTART_PWD}\r\n"
        )),
        "{body}"
    );
    assert!(
        body.contains("a=mid:0\r\n") && body.contains(&format!("a={RESTART_CANDIDATE}")),
        "{body}"
    );
    let new_etag = restarted.header("etag").unwrap_or_default().to_owned();
    assert!(
        new_etag.starts_with('"') && new_etag != etag,
        "{new_etag} vs {etag}"
    );
    let calls = gateway.calls();
    assert!(
        calls.contains(&Call::RestartIce {
            session: "session-1".into(),
            ufrag: "efgh".into()
        }),
        "{calls:?}"
    );
    let restart_at = calls
        .iter()
        .position(|c| matches!(c, Call::RestartIce { .. }));
    let candidate_at = calls.iter().rposition(|c| {
        matches!(c, Call::AddIceCandidate { candidate, .. } if *candidate == whip::candidate(6000))
    });
    assert!(
        candidate_at > restart_at,
        "the fragment's candidate follows the restart: {calls:?}"
    );

    // The old ICE session's ETag is stale; the new one trickles with the new ufrag.
    let trickle = restart_fragment("efgh", 6001);
    let stale = whip::patch(bridge.addr, &location, &trickle, &[("If-Match", &etag)]).await?;
    assert_eq!(stale.status, 412, "{}", stale.text());
    let fresh = whip::patch(bridge.addr, &location, &trickle, &[("If-Match", &new_etag)]).await?;
    assert_eq!(fresh.status, 204, "{}", fresh.text());

    let same = whip::patch(
        bridge.addr,
        &location,
        &restart_fragment("efgh", 6002),
        &[any],
    )
    .await?;
    assert_eq!(
        same.status,
        400,
        "the current ufrag is no restart: {}",
        same.text()
    );
    let bare = whip::patch(
        bridge.addr,
        &location,
        &format!("a={}\r\n", whip::candidate(6003)),
        &[any],
    )
    .await?;
    assert_eq!(bare.status, 400, "no credentials: {}", bare.text());
    let only_credentials = whip::patch(
        bridge.addr,
        &location,
        "a=ice-ufrag:ijkl\r\na=ice-pwd:anotherpassword0123456\r\n",
        &[any],
    )
    .await?;
    assert_eq!(only_credentials.status, 200, "{}", only_credentials.text());

    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 200);
    bridge.stop().await
}

#[tokio::test]
async fn whip_ice_restart_without_the_capability_is_422() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let created = whip::post(bridge.addr, WHIP_OFFER, &[]).await?;
    let location = created.header("location").unwrap_or_default().to_owned();
    let refused = whip::patch(
        bridge.addr,
        &location,
        &restart_fragment("efgh", 6000),
        &[("If-Match", "*")],
    )
    .await?;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("DELETE this resource"),
        "{}",
        refused.text()
    );
    assert!(
        !gateway
            .calls()
            .iter()
            .any(|c| matches!(c, Call::RestartIce { .. })),
        "the bridge knew from Start's capabilities"
    );
    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 200);
    bridge.stop().await
}
