//! Cancelling `run`'s shutdown token drains: /readyz answers 503 at once, new WebSocket upgrades get 503,
//! every open socket gets an `error` and a 1001 close, every gateway session (including one whose Start was
//! still running) is stopped, and `run` returns with every count back to zero.
use crate::support;

use std::time::Duration;

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::{Bridge, Ws, http_get, recv_error, recv_json};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::{self, Message, protocol::frame::coding::CloseCode};

async fn started(bridge: &Bridge, gateway: &FakeGateway) -> anyhow::Result<Ws> {
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    gateway.release_start();
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    Ok(ws)
}

/// The `error` the drain sends, then the close frame: returns the close code.
async fn drained(ws: &mut Ws) -> anyhow::Result<CloseCode> {
    loop {
        let v = recv_json(ws).await?;
        if v["id"] == "error" {
            assert_eq!(v["message"], "the server is shutting down");
            break;
        }
    }
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await? {
            Some(Ok(Message::Close(Some(frame)))) => return Ok(frame.code),
            Some(Ok(Message::Close(None))) | None => anyhow::bail!("closed without a close code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

#[tokio::test]
async fn drain_closes_sockets_and_stops_sessions() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(true).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut first = started(&bridge, &gateway).await?;
    let mut second = started(&bridge, &gateway).await?;
    // A third socket whose Start the gateway holds until after the drain began.
    let mut starting = bridge.connect(None).await?;
    support::send_start(&mut starting).await?;
    support::eventually("the third Start to reach the gateway", || {
        gateway
            .calls()
            .iter()
            .filter(|c| **c == Call::Start)
            .count()
            == 3
    })
    .await?;
    assert_eq!(bridge.counters.live_sessions(), 3);

    bridge.shutdown.cancel();
    let (status, _, body) = http_get(bridge.addr, "/readyz").await?;
    assert_eq!(status, 503);
    assert!(String::from_utf8(body)?.contains("draining"));
    match bridge.connect(None).await {
        Err(e) => match e.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
            _ => anyhow::bail!("expected an HTTP 503 refusal, got {e}"),
        },
        Ok(_) => anyhow::bail!("a WebSocket upgrade was accepted while draining"),
    }
    assert_eq!(drained(&mut first).await?, CloseCode::Away);
    assert_eq!(drained(&mut second).await?, CloseCode::Away);
    assert_eq!(
        recv_error(&mut starting).await?,
        "the server is shutting down"
    );
    assert!(
        !bridge.task.is_finished(),
        "the drain waits for the Start still running"
    );

    gateway.release_start();
    let Bridge { task, counters, .. } = bridge;
    tokio::time::timeout(Duration::from_secs(5), task).await???;
    for n in 1..=3 {
        assert!(
            gateway.calls().contains(&Call::Stop {
                session: format!("session-{n}")
            }),
            "session-{n} was not stopped: {:?}",
            gateway.calls()
        );
    }
    assert_eq!(counters.open_sockets(), 0);
    assert_eq!(counters.live_sessions(), 0);
    Ok(())
}
