//! Connect resumes a session after a reconnect (events follow), or answers 40007.

use crate::common;

#[tokio::test]
async fn resume_with_connect() -> anyhow::Result<()> {
    common::play("resume_with_connect.txt").await?;
    Ok(())
}
