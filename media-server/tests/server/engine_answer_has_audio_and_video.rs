//! A real Chromium trickle offer gets an answer with audio and video, bundled, and no candidates yet.

use crate::engine_support::{CHROMIUM_OFFER, engine};

#[tokio::test]
async fn chromium_offer_gets_audio_and_video_answer() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, _rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    assert_eq!(
        endpoint.local_sdp().await?,
        None,
        "no local SDP before negotiation"
    );
    assert_eq!(
        endpoint.remote_sdp().await?,
        None,
        "no remote SDP before negotiation"
    );

    let answer = endpoint.process_offer(CHROMIUM_OFFER).await?;

    let audio = answer
        .lines()
        .find(|l| l.starts_with("m=audio"))
        .expect("audio m-line");
    let video = answer
        .lines()
        .find(|l| l.starts_with("m=video"))
        .expect("video m-line");
    assert!(!audio.starts_with("m=audio 0 "), "audio accepted: {audio}");
    assert!(!video.starts_with("m=video 0 "), "video accepted: {video}");
    assert!(answer.contains("a=group:BUNDLE 0 1"), "bundled:\n{answer}");
    assert!(answer.contains("a=rtcp-mux"), "rtcp-mux:\n{answer}");
    assert!(answer.contains("opus/48000/2"), "opus:\n{answer}");
    assert!(answer.contains("VP8/90000"), "vp8:\n{answer}");
    assert!(
        !answer.contains("a=candidate"),
        "trickle: candidates come after gathering"
    );

    assert_eq!(
        endpoint.remote_sdp().await?.as_deref(),
        Some(CHROMIUM_OFFER)
    );
    assert_eq!(
        endpoint.local_sdp().await?.as_deref(),
        Some(answer.as_str())
    );
    endpoint.release().await;
    Ok(())
}
