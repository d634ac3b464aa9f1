//! `recvonly` and `sendonly` WebRtcEndpoints are created, and answer offers as KMS 7.2 does: each
//! m-line by RFC 3264 from the offer (sendonly → recvonly, recvonly → sendonly, sendrecv → sendrecv),
//! the flags changing nothing, since KMS reads them only for offers it generates.

use crate::common;
use test_support::media_directions;

#[tokio::test]
async fn single_direction_endpoints_answer_by_the_offer() -> anyhow::Result<()> {
    let (b, server) = common::play_with(
        "single_direction_endpoints.txt",
        media_server::Config::default(),
    )
    .await?;
    server.shutdown().await?;
    let answer = |k: &str| {
        b.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let cases = [
        ("RECVONLY_ANSWER", ["recvonly", "recvonly"]),
        ("SENDONLY_ANSWER", ["sendonly", "sendonly"]),
        ("BOTH_ANSWER", ["sendrecv", "sendrecv"]),
        ("CONFLICT_ANSWER", ["sendrecv", "sendrecv"]),
    ];
    for (name, want) in cases {
        let sdp = answer(name);
        assert!(sdp.starts_with("v=0\r\n"), "{name}: {sdp}");
        assert_eq!(media_directions(&sdp), want, "{name}:\n{sdp}");
    }
    Ok(())
}
