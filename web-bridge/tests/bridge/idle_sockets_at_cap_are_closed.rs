//! Sockets that never send `start` cannot hold the socket cap: at the cap a newcomer gets 503, each idle
//! socket is closed (1008, with a reason) within the idle timeout, the newcomer then gets in and starts, and
//! the socket and connection gauges return to 0.
use crate::support;

use std::time::{Duration, Instant};

use crate::support::fake_gateway::FakeGateway;
use crate::support::{Bridge, close_frame, metrics, recv_json, refused_status, sample};

const IDLE: Duration = Duration::from_millis(400);
const CAP: usize = 3;

#[tokio::test]
async fn idle_sockets_at_cap_are_closed() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        // Re-attach off: this test is about the socket's own bounds, so the call stops with its socket
        // instead of waiting to be resumed (resume_* tests cover that path).
        c.limits.resume_grace = Duration::ZERO;
        c.limits.max_sockets = CAP;
        c.limits.idle_socket_timeout = IDLE;
    })
    .await?;
    let opened = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..CAP {
        idle.push(bridge.connect(None).await?);
    }
    support::eventually("the idle sockets to hold their connections", || {
        bridge.counters.open_connections() == CAP
    })
    .await?;
    assert_eq!(refused_status(bridge.connect(None).await)?, 503);

    // The newcomer retries as a page would; it gets in once the idle sockets are gone.
    let addr = bridge.addr;
    let mut newcomer = test_support::wait::until_some(IDLE + Duration::from_secs(3), || async {
        let probe = Bridge::connect_to(addr).await;
        probe.ok()
    })
    .await
    .ok_or_else(|| anyhow::anyhow!("the newcomer never got a socket"))?;
    support::send_start(&mut newcomer).await?;
    assert_eq!(recv_json(&mut newcomer).await?["id"], "startResponse");

    // The contract: each idle socket is closed within the idle timeout (plus slack for a loaded machine).
    for ws in &mut idle {
        let (code, reason) = close_frame(ws, IDLE + Duration::from_secs(2)).await?;
        assert_eq!(code, 1008);
        assert!(reason.contains("idle"), "{reason}");
    }
    assert!(opened.elapsed() >= IDLE, "closed before the idle timeout");
    support::eventually("only the newcomer's socket to be left", || {
        bridge.counters.open_sockets() == 1
    })
    .await?;
    let text = metrics(bridge.addr).await?;
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_websocket_unresponsive_total{reason="idle"}"#
        ),
        CAP as f64
    );
    drop(newcomer);
    drop(idle);
    support::nothing_open(&bridge, "every socket and session released").await?;
    // The upgraded sockets held their HTTP connection slots until they closed, and gave them back.
    support::eventually("every HTTP connection released", || {
        bridge.counters.open_connections() == 0
    })
    .await?;
    bridge.stop().await
}
