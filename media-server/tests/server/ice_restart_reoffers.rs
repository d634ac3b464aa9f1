//! A second processOffer that restarts ICE is answered; other re-offers keep KMS's 40208.

use crate::common;

#[tokio::test]
async fn ice_restart_reoffers() -> anyhow::Result<()> {
    common::play("ice_restart.txt").await?;
    Ok(())
}
