//! A WHIP client on the real stack (a str0m peer publishing sendrecv, so its media is echoed back)
//! moves to a new socket and restarts ICE the RFC 9725 way: PATCH with `If-Match: "*"` and a fragment
//! carrying its new ice-ufrag/pwd and candidate. The bridge answers 200 with the media server's new
//! credentials and candidates and a new ETag, the peer applies them, and the echo comes back on the
//! new path; DELETE then releases everything.
use std::time::Duration;

use e2e_tests::Gateway;
use test_support::http::request;
use test_support::restart_peer::RestartPeer;
use test_support::wait::eventually;

/// The first value of attribute `name` (`a=<name>:<value>`) in `sdp`.
fn attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("a={name}:");
    sdp.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::trim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whip_ice_restart_keeps_media_flowing() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let web = e2e_tests::plain_bridge(&gateway).await?;
    let sdp = [("Content-Type", "application/sdp")];

    let mut peer = RestartPeer::offer().await?;
    let created = request(web.addr, "POST", "/whip", &sdp, peer.sdp.as_bytes()).await?;
    assert_eq!(created.status, 201, "{}", created.text());
    let answer = created.text();
    let location = created.header("location").unwrap_or_default().to_owned();
    let etag = created.header("etag").unwrap_or_default().to_owned();
    peer.start(&answer, &[])?;
    anyhow::ensure!(
        eventually(Duration::from_secs(10), || peer.received() > 25).await,
        "no echo before the restart"
    );

    let restart = peer.restart(true).await?;
    let (ufrag, pwd) = (
        attribute(&restart.offer, "ice-ufrag").unwrap_or_default(),
        attribute(&restart.offer, "ice-pwd").unwrap_or_default(),
    );
    let mid = attribute(&peer.sdp, "mid").unwrap_or("0");
    let fragment = format!(
        "a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{mid}\r\n\
         a={}\r\n",
        restart.candidate
    );
    let patched = request(
        web.addr,
        "PATCH",
        &location,
        &[
            ("Content-Type", "application/trickle-ice-sdpfrag"),
            ("If-Match", "*"),
        ],
        fragment.as_bytes(),
    )
    .await?;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let new_etag = patched.header("etag").unwrap_or_default().to_owned();
    assert!(!new_etag.is_empty() && new_etag != etag, "{new_etag}");
    let server = patched.text();
    let (server_ufrag, server_pwd) = (
        attribute(&server, "ice-ufrag").unwrap_or_default(),
        attribute(&server, "ice-pwd").unwrap_or_default(),
    );
    assert_ne!(
        Some(server_ufrag),
        attribute(&answer, "ice-ufrag"),
        "{server}"
    );
    let candidates: Vec<&str> = server
        .lines()
        .filter_map(|l| l.strip_prefix("a="))
        .filter(|l| l.starts_with("candidate:"))
        .collect();
    assert!(!candidates.is_empty(), "the server's candidates: {server}");

    // What the client makes of the fragment: its first answer with the new credentials.
    let mut restarted_answer = String::new();
    for line in answer.lines() {
        if line.starts_with("a=candidate:") || line.starts_with("a=end-of-candidates") {
            continue;
        }
        if line.starts_with("a=ice-ufrag:") {
            restarted_answer.push_str(&format!("a=ice-ufrag:{server_ufrag}"));
        } else if line.starts_with("a=ice-pwd:") {
            restarted_answer.push_str(&format!("a=ice-pwd:{server_pwd}"));
        } else {
            restarted_answer.push_str(line);
        }
        restarted_answer.push_str("\r\n");
    }
    let at_restart = peer.received();
    peer.accept_answer(&restarted_answer).await?;
    for c in candidates {
        peer.add_remote_candidate(c).await?;
    }
    anyhow::ensure!(
        eventually(Duration::from_secs(10), || peer.received()
            > at_restart + 50)
        .await,
        "media did not come back: {at_restart} echoed before the restart, {} now",
        peer.received()
    );
    assert_eq!(gateway.media_stats().engine.ice_restarts, 1);

    drop(peer);
    let deleted = request(web.addr, "DELETE", &location, &[], b"").await?;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    gateway.assert_released().await?;
    assert_eq!(web.counters.whip_resources(), 0);
    assert_eq!(gateway.media_stats().engine.endpoints, 0);
    web.shutdown.cancel();
    web.task.await??;
    gateway.stop().await
}
