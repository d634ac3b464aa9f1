//! The ServerManager lists pipelines and sessions, reports resources, and raises ObjectCreated/ObjectDestroyed.

use crate::common;

#[tokio::test]
async fn server_manager() -> anyhow::Result<()> {
    common::play("server_manager.txt").await?;
    Ok(())
}
