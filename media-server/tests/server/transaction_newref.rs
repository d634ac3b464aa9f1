//! Transaction with newref: ids, newref substitution, stop at first failure.

use crate::common;

#[tokio::test]
async fn transaction_newref() -> anyhow::Result<()> {
    common::play("transaction_newref.txt").await?;
    Ok(())
}
