//! Released objects are unknown afterwards; release never fails.

use crate::common;

#[tokio::test]
async fn released_objects() -> anyhow::Result<()> {
    common::play("released_objects.txt").await?;
    Ok(())
}
