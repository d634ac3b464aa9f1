//! A session nobody calls or watches for the lease is released with END_REASON_LEASE_EXPIRED; one that is
//! watched lives on, and a dropped stream only starts the countdown.

use crate::common;
use crate::support;

use crate::common::{OFFER, Script, on_peer_with, released};
use media_proto::v1::StopRequest;
use std::time::Duration;

const LEASE: Duration = Duration::from_millis(400);

#[tokio::test]
async fn abandoned_sessions_are_released_and_watched_ones_live() {
    let (mut gw, peer) = on_peer_with(Script::default(), |mut c| {
        c.lease = LEASE;
        c
    })
    .await;
    let abandoned = common::start_session(&mut gw.client, OFFER).await;
    let watched = common::start_session(&mut gw.client, OFFER).await;
    let stream = common::open_stream(&mut gw.client, &watched).await;

    assert!(
        support::eventually(Duration::from_secs(3), || released(&peer).len() == 1).await,
        "the abandoned session is released"
    );
    // An absence over time (the watched session outlives two leases), so this one sleeps. Real time: the
    // sessions talk to the peer over a real WebSocket, which the paused clock would race.
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(
        released(&peer).len(),
        1,
        "the watched session lives past its lease"
    );
    assert_eq!(gw.gateway.sessions(), 1);
    let r = gw
        .client
        .stop(StopRequest {
            session_id: abandoned,
        })
        .await
        .expect("Stop")
        .into_inner();
    assert!(!r.released, "the lease already ended it");

    // Dropping the stream does not end the session at once, only after the lease.
    drop(stream);
    // Again an absence: the session is still there a quarter lease later.
    tokio::time::sleep(LEASE / 4).await;
    assert_eq!(gw.gateway.sessions(), 1);
    assert!(support::eventually(Duration::from_secs(3), || released(&peer).len() == 2).await);
    // The release goes out just before the session leaves the registry.
    assert!(
        support::eventually(Duration::from_secs(3), || gw.gateway.sessions() == 0).await,
        "the session is gone after its release"
    );
}
