//! One-port mode keeps the datagram filter: while two endpoints on the shared port are set up and echo,
//! another socket sprays that port with spoofed DTLS alerts, junk, STUN with a made-up username, and
//! binding requests naming each endpoint's real ufrag without its password. Nothing reaches DTLS: the
//! unknown ones are dropped at the socket (`packets_unrouted`), the forged checks by the endpoint
//! (`packets_refused`), the attacker's address is never routed, and both sessions echo intact.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::engine_spoofed_datagrams_are_dropped::hostile;
use crate::engine_support::{candidate_addr, gathered, one_port_engine};
use anyhow::Context;
use media_probe::{EchoCheckConfig, Peer, PeerConfig};
use media_server::engine::{Endpoint, EndpointEvent, Engine};
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;

/// A binding request naming `ufrag` as the receiver, with a MESSAGE-INTEGRITY that cannot be right.
fn forged_check(ufrag: &str, rng: &mut rand::rngs::StdRng) -> Vec<u8> {
    let mut username = format!("{ufrag}:evil").into_bytes();
    let len = u16::try_from(username.len()).unwrap_or(0);
    while username.len() % 4 != 0 {
        username.push(0);
    }
    let body = 4 + username.len() + 24;
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&u16::try_from(body).unwrap_or(0).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend((0..12).map(|_| rng.random::<u8>()));
    m.extend_from_slice(&[0x00, 0x06]);
    m.extend_from_slice(&len.to_be_bytes());
    m.extend_from_slice(&username);
    m.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
    m.extend((0..20).map(|_| rng.random::<u8>()));
    m
}

async fn spray(
    target: SocketAddr,
    ufrags: Vec<String>,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) {
    let Ok(socket) = tokio::net::UdpSocket::bind("127.0.0.1:0").await else {
        return;
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut seq = 0u16;
    while !stop.load(Ordering::Relaxed) {
        let mut batch = vec![hostile(seq, &mut rng)];
        batch.extend(ufrags.iter().map(|u| forged_check(u, &mut rng)));
        for datagram in batch {
            if socket.send_to(&datagram, target).await.is_ok() {
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        seq = seq.wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

struct Session {
    endpoint: Endpoint,
    events: mpsc::Receiver<EndpointEvent>,
    peer: Peer,
    found: Vec<(String, String, u32)>,
    ufrag: String,
}

/// An endpoint with its answer and candidates, but the peer not told yet.
async fn half_open(engine: &Engine) -> anyhow::Result<Session> {
    let (tx, mut events) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;
    let (peer, offer) = Peer::start(PeerConfig::default()).await?;
    let answer = endpoint.process_offer(&offer).await?;
    peer.set_answer(&answer).await?;
    endpoint.gather_candidates().await?;
    let found = gathered(&mut events).await?;
    let ufrag = answer
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .context("answer without ufrag")?
        .trim()
        .to_owned();
    Ok(Session {
        endpoint,
        events,
        peer,
        found,
        ufrag,
    })
}

async fn finish(s: &Session) -> anyhow::Result<()> {
    for (candidate, mid, index) in &s.found {
        s.peer.add_remote_candidate(candidate, mid, *index).await?;
    }
    for c in s.peer.local_candidates() {
        s.endpoint
            .add_ice_candidate(&c.candidate, Some(&c.sdp_mid), c.sdp_m_line_index)
            .await?;
    }
    Ok(())
}

#[tokio::test]
async fn spoofed_datagrams_on_the_shared_port_disturb_no_session() -> anyhow::Result<()> {
    let engine = one_port_engine();
    let mut sessions = vec![half_open(&engine).await?, half_open(&engine).await?];
    let target = sessions[0]
        .found
        .iter()
        .find_map(|(c, _, _)| candidate_addr(c))
        .context("no endpoint address")?;
    // One session is up before the attack, the other is set up during it.
    finish(&sessions[0]).await?;
    let ufrags = sessions.iter().map(|s| s.ufrag.clone()).collect();
    let (stop, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let attacker = tokio::spawn(spray(target, ufrags, Arc::clone(&stop), Arc::clone(&sent)));
    let dropped = |n: u64| {
        let engine = engine.clone();
        async move {
            test_support::wait::eventually(Duration::from_secs(5), || {
                let s = engine.stats();
                s.packets_refused + s.packets_unrouted >= n
            })
            .await
        }
    };
    anyhow::ensure!(dropped(300).await, "{:?}", engine.stats());
    finish(&sessions[1]).await?;

    let config = EchoCheckConfig {
        duration: Duration::from_secs(2),
        ..EchoCheckConfig::default()
    };
    let (a, b) = tokio::join!(
        sessions[0].peer.echo_check(config.clone()),
        sessions[1].peer.echo_check(config)
    );
    stop.store(true, Ordering::Relaxed);
    attacker.await?;
    for report in [a?, b?] {
        assert!(report.is_intact(0.9), "{report:?}");
        assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
    }
    for s in &mut sessions {
        let events: Vec<EndpointEvent> = std::iter::from_fn(|| s.events.try_recv().ok()).collect();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, EndpointEvent::Error { .. })),
            "a session failed: {events:?}"
        );
    }
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        dropped(sent * 9 / 10).await,
        "sent {sent}: {:?}",
        engine.stats()
    );
    let stats = engine.stats();
    assert!(
        stats.packets_unrouted > 0 && stats.packets_refused > 0,
        "{stats:?}"
    );
    assert_eq!(
        stats.routed_addresses, 2,
        "only the two peers are routed by address: {stats:?}"
    );
    Ok(())
}
