//! Datagrams from anyone but the ICE peer never reach DTLS: while an endpoint is being set up with a
//! real peer, another socket on the same host sprays its port with spoofed DTLS alerts, a forged DTLS
//! handshake record, STUN without the endpoint's credentials and random junk. The session survives,
//! media echoes once the real peer connects, and the engine counts what it dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::engine_support::{candidate_addr, engine, gathered};
use anyhow::Context;
use media_probe::{EchoCheckConfig, Peer, PeerConfig};
use media_server::engine::EndpointEvent;
use rand::{Rng, SeedableRng};

/// A DTLS 1.2 record (epoch 0) of `content_type` carrying `body`.
fn dtls_record(content_type: u8, seq: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0];
    r.extend_from_slice(&seq.to_be_bytes());
    r.extend_from_slice(&u16::try_from(body.len()).unwrap_or(0).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// What the attacker sends, in turn: fatal alerts (close_notify, handshake_failure, bad_certificate),
/// a handshake record, a STUN binding request with a made-up username and integrity, and junk.
pub(crate) fn hostile(seq: u16, rng: &mut rand::rngs::StdRng) -> Vec<u8> {
    match seq % 6 {
        0 => dtls_record(21, seq, &[2, 0]),
        1 => dtls_record(21, seq, &[2, 40]),
        2 => dtls_record(21, seq, &[2, 42]),
        3 => dtls_record(
            22,
            seq,
            &[1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0xfe, 0xfd, 0, 0],
        ),
        4 => {
            // Binding request, USERNAME "evil:evil", MESSAGE-INTEGRITY of zeros.
            let mut m = vec![0x00, 0x01, 0x00, 0x24, 0x21, 0x12, 0xa4, 0x42];
            m.extend((0..12).map(|_| rng.random::<u8>()));
            m.extend_from_slice(&[0x00, 0x06, 0x00, 0x09]);
            m.extend_from_slice(b"evil:evil\0\0\0");
            m.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
            m.extend_from_slice(&[0; 20]);
            m
        }
        _ => (0..rng.random_range(1..1200))
            .map(|_| rng.random::<u8>())
            .collect(),
    }
}

/// Sprays every target until `stop`, counting what it sent.
async fn spray(targets: Vec<SocketAddr>, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    let Ok(socket) = tokio::net::UdpSocket::bind("127.0.0.1:0").await else {
        return;
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut seq = 0u16;
    while !stop.load(Ordering::Relaxed) {
        for target in &targets {
            if socket
                .send_to(&hostile(seq, &mut rng), target)
                .await
                .is_ok()
            {
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        seq = seq.wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn spoofed_dtls_alerts_and_junk_do_not_kill_the_session() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;

    let (peer, offer) = Peer::start(PeerConfig::default()).await?;
    let answer = endpoint.process_offer(&offer).await?;
    peer.set_answer(&answer).await?;
    endpoint.gather_candidates().await?;
    let found = gathered(&mut rx).await?;
    let targets: Vec<SocketAddr> = found
        .iter()
        .filter_map(|(c, _, _)| candidate_addr(c))
        .collect();
    anyhow::ensure!(!targets.is_empty(), "no endpoint address in {found:?}");

    // The attack starts before the real peer knows where the endpoint is, and goes on throughout.
    let (stop, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let attacker = tokio::spawn(spray(targets, Arc::clone(&stop), Arc::clone(&sent)));
    let refused_by = |n: u64| {
        let engine = engine.clone();
        async move {
            test_support::wait::eventually(Duration::from_secs(5), || {
                engine.stats().packets_refused >= n
            })
            .await
        }
    };
    anyhow::ensure!(refused_by(200).await, "{:?}", engine.stats());

    for (candidate, mid, index) in &found {
        peer.add_remote_candidate(candidate, mid, *index).await?;
    }
    for c in peer.local_candidates() {
        endpoint
            .add_ice_candidate(&c.candidate, Some(&c.sdp_mid), c.sdp_m_line_index)
            .await?;
    }
    let config = EchoCheckConfig {
        duration: Duration::from_secs(2),
        ..EchoCheckConfig::default()
    };
    let report = peer.echo_check(config).await.context("echo check")?;
    stop.store(true, Ordering::Relaxed);
    attacker.await?;

    assert!(report.is_intact(0.9), "{report:?}");
    assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
    let events: Vec<EndpointEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EndpointEvent::Error { .. })),
        "the session failed: {events:?}"
    );
    assert!(
        events.contains(&EndpointEvent::ConnectionStateChanged { connected: true }),
        "{events:?}"
    );
    let sent = sent.load(Ordering::Relaxed);
    // Loopback UDP loses nothing at this rate, but allow for a full receive buffer now and then; the
    // last datagrams may still be queued, hence the wait.
    assert!(
        refused_by(sent * 9 / 10).await,
        "sent {sent}: {:?}",
        engine.stats()
    );
    drop(peer);
    endpoint.release().await;
    assert_eq!(engine.stats().udp_sockets, 0);
    Ok(())
}
