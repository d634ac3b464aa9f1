//! kurento-client-js's start-up (ping, describe ServerManager, getInfo) gets what its strict mode needs.

use crate::common;

#[tokio::test]
async fn client_js_startup() -> anyhow::Result<()> {
    common::play("client_js_startup.txt").await?;
    Ok(())
}
