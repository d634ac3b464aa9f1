//! Several subscriptions of one session to one event get each event once.

use crate::common;

#[tokio::test]
async fn events_once_per_session() -> anyhow::Result<()> {
    common::play("events_once_per_session.txt").await?;
    Ok(())
}
