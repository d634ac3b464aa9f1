//! release() stops the endpoint's task and closes its sockets before it returns; dropping the last
//! handle does the same shortly after.

use std::time::Duration;

use crate::engine_support::{CHROMIUM_OFFER, engine};
use media_server::engine::EngineError;

#[tokio::test]
async fn release_and_drop_bring_stats_back_to_zero() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, _rx) = engine.event_channel();
    let a = engine.create_endpoint(tx.clone())?;
    let b = engine.create_endpoint(tx.clone())?;
    let c = engine.create_endpoint(tx)?;
    a.process_offer(CHROMIUM_OFFER).await?;
    a.gather_candidates().await?;
    a.connect(&a).await?;
    a.connect(&b).await?;
    let stats = engine.stats();
    assert_eq!((stats.endpoints, stats.udp_sockets), (3, 3), "{stats:?}");

    a.release().await;
    let stats = engine.stats();
    assert_eq!(
        (stats.endpoints, stats.udp_sockets),
        (2, 2),
        "freed at once: {stats:?}"
    );
    let after = a.gather_candidates().await;
    assert!(matches!(after, Err(EngineError::Released)), "{after:?}");
    a.release().await; // idempotent

    let b_clone = b.clone();
    b.release().await;
    assert!(matches!(
        b_clone.local_sdp().await,
        Err(EngineError::Released)
    ));
    assert_eq!(engine.stats().udp_sockets, 1);

    drop(c);
    let freed =
        test_support::wait::eventually(Duration::from_secs(2), || engine.stats().udp_sockets == 0)
            .await;
    assert!(freed, "drop did not free: {:?}", engine.stats());
    assert_eq!(engine.stats().endpoints, 0);
    Ok(())
}
