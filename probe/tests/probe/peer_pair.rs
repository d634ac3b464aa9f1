//! The probe's peer against a str0m echo answerer on 127.0.0.1: media comes back intact with and without
//! trickle, damage is caught, bad input is refused, and dropping the peer frees its socket.

use std::time::Duration;

use media_probe::{EchoCheckConfig, Peer, PeerConfig, PeerError};
use test_support::echo_peer::{Echo, EchoPeer};

fn short_check() -> EchoCheckConfig {
    EchoCheckConfig {
        duration: Duration::from_millis(800),
        packets_per_second: 50,
        connect_timeout: Duration::from_secs(5),
        drain: Duration::from_secs(1),
        ..EchoCheckConfig::default()
    }
}

/// Starts a peer, answers it, relays its candidates (with trickle) and returns both.
async fn connected_pair(config: PeerConfig, echo: Echo) -> anyhow::Result<(Peer, EchoPeer)> {
    let (peer, offer) = Peer::start(config).await?;
    let answerer = EchoPeer::answer(&offer, echo).await?;
    peer.set_answer(&answerer.sdp).await?;
    for c in peer.local_candidates() {
        answerer.add_remote_candidate(&c.candidate).await?;
    }
    peer.add_remote_candidate("", "0", 0).await?;
    Ok((peer, answerer))
}

#[tokio::test]
async fn trickled_peer_gets_every_frame_back_intact() -> anyhow::Result<()> {
    let (peer, _answerer) = connected_pair(PeerConfig::default(), Echo::Faithful).await?;
    assert_eq!(peer.local_candidates().len(), 1);
    assert!(peer.local_candidates()[0].candidate.contains("127.0.0.1"));

    let report = peer.echo_check(short_check()).await?;
    assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
    assert!(report.audio.sent >= 30, "{report:?}");
    assert!(report.video.sent >= 30, "{report:?}");
    assert_eq!(report.audio.echoed, report.audio.sent);
    assert_eq!(report.video.echoed, report.video.sent);
    let rtt = report.rtt.ok_or_else(|| anyhow::anyhow!("no RTT"))?;
    assert!(rtt.min <= rtt.median && rtt.median <= rtt.p95 && rtt.p95 <= rtt.max);
    assert!(rtt.max < Duration::from_millis(500), "{rtt:?}");
    assert!(report.first_echo_after.is_some());
    assert!(report.is_intact(1.0));

    // A second check on the same connection works too and reports an already-made connection.
    let again = peer.echo_check(short_check()).await?;
    assert_eq!(again.connected_after, Duration::ZERO);
    assert!(again.is_intact(1.0), "{again:?}");
    Ok(())
}

#[tokio::test]
async fn peer_without_trickle_puts_its_candidate_in_the_offer() -> anyhow::Result<()> {
    let config = PeerConfig {
        trickle: false,
        ..PeerConfig::default()
    };
    let (peer, offer) = Peer::start(config).await?;
    assert!(peer.local_candidates().is_empty());
    let port = peer.local_addr().port().to_string();
    assert!(
        offer
            .lines()
            .any(|l| l.starts_with("a=candidate:") && l.contains(&port)),
        "offer lacks the host candidate:\n{offer}"
    );
    let answerer = EchoPeer::answer(&offer, Echo::Faithful).await?;
    peer.set_answer(&answerer.sdp).await?;
    let report = peer.echo_check(short_check()).await?;
    assert!(report.is_intact(1.0), "{report:?}");
    Ok(())
}

#[tokio::test]
async fn damaged_video_is_counted_as_mismatches() -> anyhow::Result<()> {
    let (peer, _answerer) = connected_pair(PeerConfig::default(), Echo::CorruptVideo).await?;
    let report = peer.echo_check(short_check()).await?;
    assert_eq!(report.audio.echoed, report.audio.sent);
    assert_eq!(report.video.echoed, 0);
    assert_eq!(report.mismatches, report.video.sent);
    assert!(!report.mismatch_examples.is_empty());
    assert!(!report.is_intact(0.0));
    Ok(())
}

#[tokio::test]
async fn audio_only_peer_sends_no_video() -> anyhow::Result<()> {
    let config = PeerConfig {
        video: false,
        ..PeerConfig::default()
    };
    let (peer, _answerer) = connected_pair(config, Echo::Faithful).await?;
    let report = peer.echo_check(short_check()).await?;
    assert_eq!(report.video.sent, 0);
    assert!(report.audio.sent > 0);
    assert!(report.is_intact(1.0), "{report:?}");
    Ok(())
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason() -> anyhow::Result<()> {
    let no_media = PeerConfig {
        audio: false,
        video: false,
        ..PeerConfig::default()
    };
    assert!(matches!(
        Peer::start(no_media).await,
        Err(PeerError::NoMedia)
    ));

    let (peer, offer) = Peer::start(PeerConfig::default()).await?;
    assert!(matches!(
        peer.echo_check(short_check()).await,
        Err(PeerError::NoAnswer)
    ));
    let zero_rate = EchoCheckConfig {
        packets_per_second: 0,
        ..short_check()
    };
    assert!(matches!(
        peer.echo_check(zero_rate).await,
        Err(PeerError::BadConfig(_))
    ));
    assert!(matches!(
        peer.add_remote_candidate("candidate:nonsense", "0", 0)
            .await,
        Err(PeerError::BadCandidate { .. })
    ));
    assert!(matches!(
        peer.set_answer("not sdp").await,
        Err(PeerError::BadAnswer(_))
    ));

    let answerer = EchoPeer::answer(&offer, Echo::Faithful).await?;
    peer.set_answer(&answerer.sdp).await?;
    assert!(matches!(
        peer.set_answer(&answerer.sdp).await,
        Err(PeerError::AnswerAlreadySet)
    ));
    // A candidate with the "a=" prefix, as some signaling carries it, is accepted.
    peer.add_remote_candidate(
        "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "0",
        0,
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn unanswered_peer_times_out_connecting() -> anyhow::Result<()> {
    let (peer, offer) = Peer::start(PeerConfig::default()).await?;
    // The answerer never learns the peer's candidate and the peer never gets one: nothing can connect.
    let answerer = EchoPeer::answer(&offer, Echo::Faithful).await?;
    let answer: String = answerer
        .sdp
        .lines()
        .filter(|l| !l.starts_with("a=candidate:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    peer.set_answer(&answer).await?;
    let check = EchoCheckConfig {
        connect_timeout: Duration::from_millis(500),
        ..short_check()
    };
    assert!(matches!(
        peer.echo_check(check).await,
        Err(PeerError::ConnectTimeout(_))
    ));
    Ok(())
}

#[tokio::test]
async fn dropping_the_peer_frees_its_socket() -> anyhow::Result<()> {
    let (peer, _offer) = Peer::start(PeerConfig::default()).await?;
    let addr = peer.local_addr();
    drop(peer);
    let freed = test_support::wait::eventually(Duration::from_secs(1), || {
        std::net::UdpSocket::bind(addr).is_ok()
    })
    .await;
    if freed {
        return Ok(());
    }
    anyhow::bail!("{addr} is still bound a second after the peer was dropped")
}
