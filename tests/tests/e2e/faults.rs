//! The fault suite: every way a session can end badly, on the real binaries, counted on the media server
//! itself. Small sizes here; `cargo bench -p e2e-tests --bench chaos` runs the sizes (4000 held
//! sessions, 3000 churned) and prints the table.

use e2e_tests::faults::{self, Outcome};

fn assert_clean(o: &Outcome) {
    println!("{}", o.row());
    assert_eq!(o.left, 0, "{o:?}");
    assert!(o.held > 0, "the fault hit no pipeline: {o:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_disconnect_through_the_bridge_leaves_nothing() -> anyhow::Result<()> {
    assert_clean(&faults::mass_disconnect(60).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_with_closes_mid_start_leaves_nothing() -> anyhow::Result<()> {
    assert_clean(&faults::churn(150, 50).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_cuts_mid_start_and_mid_stop_leave_nothing() -> anyhow::Result<()> {
    assert_clean(&faults::link_cuts(40).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_after_the_timeout_leave_nothing() -> anyhow::Result<()> {
    assert_clean(&faults::late_answers(10).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateway_restarted_with_its_identity_cleans_up() -> anyhow::Result<()> {
    let o = faults::gateway_killed(10, 5).await?;
    assert_clean(&o);
    // The pass that runs as the new link comes up: well within one period.
    assert!(o.to_zero.is_some_and(|d| d.as_secs() < 5), "{o:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_bridge_is_released_within_the_lease() -> anyhow::Result<()> {
    let o = faults::bridge_killed(10, 3).await?;
    assert_clean(&o);
    assert!(
        o.to_zero.is_some_and(|d| d.as_secs_f64() < 3.0 + 2.0),
        "{o:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_watcher_is_noticed_and_released() -> anyhow::Result<()> {
    let o = faults::silent_watchers(5, 2).await?;
    assert_clean(&o);
    // Lease (2 s) + keepalive interval and timeout (1 s + 1 s), with a second of slack.
    assert!(o.to_zero.is_some_and(|d| d.as_secs_f64() < 5.0), "{o:?}");
    Ok(())
}
