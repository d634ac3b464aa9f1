//! A browser that stops answering (here: it never reads, so it never answers a ping) is closed within the ping
//! interval plus the pong timeout, and its session is stopped; a browser that answers its pings stays open.
use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::{Bridge, metrics, recv_json, sample};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;

const PING: Duration = Duration::from_millis(200);
const PONG: Duration = Duration::from_millis(300);

#[tokio::test]
async fn silent_browser_is_closed_and_stopped() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        // Re-attach off: this test is about the socket's own bounds, so the call stops with its socket
        // instead of waiting to be resumed (resume_* tests cover that path).
        c.limits.resume_grace = Duration::ZERO;
        c.limits.ping_interval = PING;
        c.limits.pong_timeout = PONG;
    })
    .await?;

    let opened = Instant::now();
    let mut silent = bridge.connect(None).await?;
    support::send_start(&mut silent).await?;
    support::eventually("the silent browser's session to start", || {
        gateway.calls().contains(&Call::Stream {
            session: "session-1".into(),
        })
    })
    .await?;

    // A browser that reads, so tungstenite answers each ping with a pong; it counts the pings it saw.
    let mut live = bridge.connect(None).await?;
    support::send_start(&mut live).await?;
    assert_eq!(recv_json(&mut live).await?["id"], "startResponse");
    let pings = Arc::new(AtomicUsize::new(0));
    let reader = tokio::spawn({
        let pings = pings.clone();
        async move {
            while let Some(Ok(frame)) = live.next().await {
                if matches!(frame, Message::Ping(_)) {
                    pings.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });

    // The contract under test: closed one ping interval plus one pong timeout after it opened (plus slack for
    // the Stop call and a loaded machine).
    test_support::wait::wait_for(
        "the silent browser's Stop",
        PING + PONG + Duration::from_secs(2),
        || {
            gateway.calls().contains(&Call::Stop {
                session: "session-1".into(),
            })
        },
    )
    .await?;
    assert!(
        opened.elapsed() >= PING + PONG,
        "closed before its pong was due"
    );
    support::eventually("only the live socket to be left", || {
        bridge.counters.open_sockets() == 1 && bridge.counters.live_sessions() == 1
    })
    .await?;

    // Three pings answered span more than one ping interval plus a pong timeout: pongs keep it open.
    support::eventually("the live browser to answer three pings", || {
        pings.load(Ordering::Relaxed) >= 3
    })
    .await?;
    assert_eq!(bridge.counters.open_sockets(), 1);
    assert!(
        !gateway.calls().contains(&Call::Stop {
            session: "session-2".into()
        }),
        "the live browser's session was stopped"
    );
    let text = metrics(bridge.addr).await?;
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_websocket_unresponsive_total{reason="pong_timeout"}"#
        ),
        1.0
    );

    reader.abort();
    drop(silent);
    support::nothing_open(&bridge, "every socket and session released").await?;
    bridge.stop().await
}
