//! With an external address configured (KMS `externalIPv4`), host candidates name it in place of the
//! interface's, with the bound port, in both socket modes; and an endpoint bound on the wildcard address
//! behind it (the Docker case: bind 0.0.0.0, advertise the host's address) still connects and echoes,
//! because datagrams reach str0m addressed to the candidate they were sent to.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::engine_support::{CHROMIUM_OFFER, candidate_addr, gathered, negotiate_probe};
use media_probe::EchoCheckConfig;
use media_server::engine::{Engine, EngineConfig};

const EXTERNAL: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);

fn config(one_port: bool) -> EngineConfig {
    EngineConfig {
        udp_port: one_port.then_some(0),
        ..EngineConfig::default()
    }
}

#[tokio::test]
async fn candidates_name_the_external_address() -> anyhow::Result<()> {
    for one_port in [false, true] {
        let engine = Engine::new(EngineConfig {
            external_ipv4: Some(EXTERNAL),
            ..config(one_port)
        })?;
        let (tx, mut rx) = engine.event_channel();
        let endpoint = engine.create_endpoint(tx)?;
        endpoint.process_offer(CHROMIUM_OFFER).await?;
        endpoint.gather_candidates().await?;
        let found = gathered(&mut rx).await?;
        anyhow::ensure!(!found.is_empty(), "one_port={one_port}: no candidate");
        for (candidate, _, _) in &found {
            let addr = candidate_addr(candidate);
            assert_eq!(
                addr.map(|a| a.ip()),
                Some(IpAddr::V4(EXTERNAL)),
                "one_port={one_port}: {candidate}"
            );
            assert!(
                addr.is_some_and(|a| a.port() != 0) && candidate.contains("typ host"),
                "{candidate}"
            );
        }
        let sdp = endpoint.local_sdp().await?.unwrap_or_default();
        assert!(sdp.contains("203.0.113.7"), "one_port={one_port}: {sdp}");
        assert!(
            !sdp.contains("a=candidate") || !sdp.contains("127.0.0.1 "),
            "{sdp}"
        );
        endpoint.release().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_wildcard_bound_endpoint_behind_its_external_address_echoes() -> anyhow::Result<()> {
    for one_port in [false, true] {
        let engine = Engine::new(EngineConfig {
            interfaces: vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)],
            // What the peer reaches the wildcard socket on; no NAT needed on one host.
            external_ipv4: Some(Ipv4Addr::LOCALHOST),
            ..config(one_port)
        })?;
        let (tx, mut rx) = engine.event_channel();
        let endpoint = engine.create_endpoint(tx)?;
        endpoint.connect(&endpoint).await?;
        let peer = negotiate_probe(&endpoint, &mut rx).await?;
        let config = EchoCheckConfig {
            duration: Duration::from_secs(1),
            ..EchoCheckConfig::default()
        };
        let report = peer.echo_check(config).await?;
        assert_eq!(report.mismatches, 0, "{:?}", report.mismatch_examples);
        assert!(report.is_intact(0.9), "one_port={one_port}: {report:?}");
        drop(peer);
        endpoint.release().await;
    }
    Ok(())
}
