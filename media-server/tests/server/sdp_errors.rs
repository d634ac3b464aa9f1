//! Bad SDP offers and a second offer get SDP errors.

use crate::common;

#[tokio::test]
async fn sdp_errors() -> anyhow::Result<()> {
    common::play("sdp_errors.txt").await?;
    Ok(())
}
