//! Unknown objects, factories, events and operations get KMS's errors.

use crate::common;

#[tokio::test]
async fn object_errors() -> anyhow::Result<()> {
    common::play("object_errors.txt").await?;
    Ok(())
}
