//! Waiting for something to happen: poll the observable condition until it holds or a deadline passes,
//! instead of sleeping for a guessed time.

use std::future::Future;
use std::time::Duration;

/// How often the waits poll.
pub const POLL: Duration = Duration::from_millis(10);

/// Polls `cond` every [`POLL`] until it holds or `limit` passes; says whether it held.
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    eventually_async(limit, || std::future::ready(cond())).await
}

/// [`eventually`] with an async condition (e.g. a request to the server under test).
pub async fn eventually_async<F, Fut>(limit: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until_some(limit, || {
        let held = cond();
        async move { held.await.then_some(()) }
    })
    .await
    .is_some()
}

/// [`eventually`] as a `Result`: the error says `what` was awaited.
pub async fn wait_for(
    what: &str,
    limit: Duration,
    cond: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    if eventually(limit, cond).await {
        Ok(())
    } else {
        anyhow::bail!("timed out after {limit:?} waiting for {what}")
    }
}

/// Calls `f` every [`POLL`] until it gives a value or `limit` passes.
pub async fn until_some<T, F, Fut>(limit: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= end {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Awaits `fut`, panicking if it takes longer than `limit`. For deadlines that are part of the contract
/// under test (say so at the call site); everything else should wait for a condition instead.
pub async fn within<F: Future>(what: &str, limit: Duration, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {limit:?}"),
    }
}
