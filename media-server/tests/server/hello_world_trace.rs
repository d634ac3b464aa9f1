//! The hello-world trace (§8) with a real Chromium offer: answer, one candidate per m-line, release.

use crate::common;

#[tokio::test]
async fn hello_world_trace() -> anyhow::Result<()> {
    let (b, server) = common::play_with("hello_world.txt", media_server::Config::default()).await?;
    let get = |k: &str| {
        b.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (p, e) = (get("P"), get("E"));
    assert!(p.ends_with("_kurento.MediaPipeline"), "{p}");
    assert!(
        e.starts_with(&format!("{p}/")) && e.ends_with("_kurento.WebRtcEndpoint"),
        "{e}"
    );
    let answer = get("ANSWER");
    assert!(answer.starts_with("v=0\r\n"), "{answer}");
    assert!(answer.contains("a=group:BUNDLE"), "{answer}");
    let cand = get("CAND");
    assert!(
        cand.starts_with("candidate:") && cand.contains(" 127.0.0.1 "),
        "{cand}"
    );
    let local = get("LOCAL");
    assert!(
        local.contains(&format!("a={cand}")),
        "local SDP lacks the gathered candidate:\n{local}"
    );
    // The release freed the endpoint at once.
    let s = server.stats();
    assert_eq!(
        (s.pipelines, s.endpoints, s.engine.endpoints),
        (0, 0, 0),
        "{s:?}"
    );
    server.shutdown().await?;
    Ok(())
}
