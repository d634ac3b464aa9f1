//! Each answered m-line mirrors the offer's direction, by RFC 3264's rule as KMS applies it: sendonly
//! gets recvonly, recvonly gets sendonly, inactive stays inactive, and a section naming no direction is
//! taken as sendrecv.

use crate::engine_support::{CHROMIUM_OFFER, engine};
use test_support::media_directions;

/// The answer's directions for `offer`, from a fresh default (sendrecv) endpoint.
async fn answered(offer: &str) -> anyhow::Result<Vec<String>> {
    let engine = engine();
    let (tx, _rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    let answer = endpoint.process_offer(offer).await?;
    endpoint.release().await;
    Ok(media_directions(&answer)
        .into_iter()
        .map(str::to_owned)
        .collect())
}

/// `CHROMIUM_OFFER` with its audio and video sections set to `audio` and `video` (`""`: no attribute).
fn offer(audio: &str, video: &str) -> String {
    let line = |dir: &str| {
        if dir.is_empty() {
            String::new()
        } else {
            format!("a={dir}\r\n")
        }
    };
    let mut sections = CHROMIUM_OFFER.split("a=sendrecv\r\n");
    let (head, mid, tail) = (
        sections.next().unwrap_or_default(),
        sections.next().unwrap_or_default(),
        sections.next().unwrap_or_default(),
    );
    format!("{head}{}{mid}{}{tail}", line(audio), line(video))
}

#[tokio::test]
async fn answer_directions_mirror_the_offer() -> anyhow::Result<()> {
    assert_eq!(
        media_directions(&offer("sendonly", "recvonly")),
        ["sendonly", "recvonly"],
        "the offers are built as meant"
    );
    let cases = [
        (("sendrecv", "sendrecv"), ["sendrecv", "sendrecv"]),
        (("sendonly", "sendonly"), ["recvonly", "recvonly"]),
        (("recvonly", "recvonly"), ["sendonly", "sendonly"]),
        (("sendonly", "recvonly"), ["recvonly", "sendonly"]),
        (("inactive", "sendonly"), ["inactive", "recvonly"]),
        (("", ""), ["sendrecv", "sendrecv"]),
    ];
    for ((audio, video), want) in cases {
        let got = answered(&offer(audio, video)).await?;
        assert_eq!(got, want, "offer audio {audio:?}, video {video:?}");
    }
    Ok(())
}
