//! With `EngineConfig::stun_server`, the media server learns its server-reflexive address from a real
//! STUN server (Debian's coturn) and advertises it as a `srflx` candidate naming its host candidate as
//! `raddr`/`rport`, in both socket modes. The media server sits behind a real NAT: a network namespace
//! the test makes with nftables `masquerade`, between this namespace (the media server's host) and
//! another one running coturn, so the address coturn reports is the NAT's, not the socket's. A STUN
//! server that never answers costs at most `stun_timeout`: gathering then ends with the host candidate.
//! With the srflx candidate signalled, a peer reaching the host address still gets its echo.
//! Skipped, saying why, where namespaces, nft or coturn are missing.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::engine_support::{CHROMIUM_OFFER, candidate_addr, gathered, negotiate_probe};
use media_probe::EchoCheckConfig;
use media_server::engine::{Engine, EngineConfig};
use test_support::coturn::{self, Coturn};
use test_support::netns::{self, Net, Side};

/// The srflx candidates (text, each once: events repeat them per m-line) of one new endpoint after
/// gathering, and all it gathered.
async fn gather(engine: &Engine) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.process_offer(CHROMIUM_OFFER).await?;
    endpoint.gather_candidates().await?;
    let all: Vec<String> = gathered(&mut rx).await?.into_iter().map(|c| c.0).collect();
    endpoint.release().await;
    let mut srflx: Vec<String> = all
        .iter()
        .filter(|c| c.contains("typ srflx"))
        .cloned()
        .collect();
    srflx.dedup();
    Ok((srflx, all))
}

#[tokio::test]
async fn srflx_candidate_names_the_nats_address() -> anyhow::Result<()> {
    let missing = netns::unavailable()
        .or_else(netns::nat_unavailable)
        .or_else(coturn::missing);
    if let Some(why) = missing {
        println!("skipped: {why}");
        return Ok(());
    }
    // This namespace S.1 ── S.2 [nat ns, masquerade] N.1 ── N.2 [stun ns: coturn]
    let mut net = Net::new();
    let nat = net.namespace("nat")?;
    let stun = net.namespace("stun")?;
    let (s, n) = (net.subnet(), net.subnet());
    net.link(Side::Root, s.host(1), Side::Ns(&nat), s.host(2))?;
    let (outside, _) = net.link(Side::Ns(&nat), n.host(1), Side::Ns(&stun), n.host(2))?;
    net.masquerade(&nat, &outside)?;
    let via = s.host(2).to_string();
    net.ip_in(Side::Root, &["route", "add", &n.cidr(), "via", &via])?;
    let coturn = Coturn::start_with(
        &coturn::Setup {
            netns: Some(stun.clone()),
            listen: n.host(2).into(),
            relay: n.host(2).into(),
            port: 3478,
        },
        "unused-secret",
    )?;
    let server = SocketAddr::new(n.host(2).into(), 3478);

    for one_port in [false, true] {
        let engine = Engine::new(EngineConfig {
            interfaces: vec![IpAddr::V4(s.host(1))],
            udp_port: one_port.then_some(0),
            stun_server: Some(server),
            ..EngineConfig::default()
        })?;
        // In one-port mode the shared socket asks once at start: endpoints made before its answer
        // arrives have host candidates only, so poll for one made after.
        let deadline = Instant::now() + Duration::from_secs(5);
        let (srflx, all) = loop {
            let (srflx, all) = gather(&engine).await?;
            if !srflx.is_empty() || Instant::now() > deadline {
                break (srflx, all);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let [candidate] = srflx.as_slice() else {
            anyhow::bail!("one_port={one_port}: one srflx candidate expected: {all:?}");
        };
        let host = all
            .iter()
            .find(|c| c.contains("typ host"))
            .and_then(|c| candidate_addr(c))
            .expect("a host candidate");
        assert_eq!(host.ip(), IpAddr::V4(s.host(1)), "{all:?}");
        let mapped = candidate_addr(candidate).expect("srflx address");
        assert_eq!(
            mapped.ip(),
            IpAddr::V4(n.host(1)),
            "one_port={one_port}: the NAT's outside address: {candidate}"
        );
        assert!(
            candidate.contains(&format!("raddr {} rport {}", host.ip(), host.port())),
            "one_port={one_port}: {candidate}"
        );
        println!("one_port={one_port}: host {host}, behind NAT {candidate}");

        // The srflx candidate only adds to what is signalled: a peer that reaches the host address
        // still gets its echo (str0m sends from the candidate's base, the host socket).
        let (tx, mut rx) = engine.event_channel();
        let endpoint = engine.create_endpoint(tx)?;
        endpoint.connect(&endpoint).await?;
        let peer = negotiate_probe(&endpoint, &mut rx).await?;
        let report = peer
            .echo_check(EchoCheckConfig {
                duration: Duration::from_secs(1),
                ..EchoCheckConfig::default()
            })
            .await?;
        assert!(report.is_intact(0.9), "one_port={one_port}: {report:?}");
        drop(peer);
        endpoint.release().await;
    }
    drop(coturn);
    drop(net);
    Ok(())
}

#[tokio::test]
async fn a_silent_stun_server_delays_gathering_at_most_its_timeout() -> anyhow::Result<()> {
    // A UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let engine = Engine::new(EngineConfig {
        stun_server: Some(silent.local_addr()?),
        stun_timeout: Duration::from_millis(400),
        ..EngineConfig::default()
    })?;
    let started = Instant::now();
    let (srflx, all) = gather(&engine).await?;
    assert!(srflx.is_empty(), "{all:?}");
    assert!(all.iter().any(|c| c.contains("typ host")), "{all:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let mut buf = [0u8; 64];
    silent.set_read_timeout(Some(Duration::from_millis(100)))?;
    let (len, _) = silent.recv_from(&mut buf)?;
    assert!(len >= 20, "a STUN Binding request was sent");
    Ok(())
}
