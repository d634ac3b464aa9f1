//! Transaction with newref: ids, newref substitution, stop at first failure.

mod common;

#[tokio::test]
async fn transaction_newref() -> anyhow::Result<()> {
    common::play("transaction_newref.txt").await?;
    Ok(())
}
