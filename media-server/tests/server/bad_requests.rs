//! Frames that are not valid requests get JSON-RPC errors.

use crate::common;

#[tokio::test]
async fn bad_requests() -> anyhow::Result<()> {
    common::play("bad_requests.txt").await?;
    Ok(())
}
