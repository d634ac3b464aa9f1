//! Reconciliation: the gateway's second line of defence for the ownership invariant. On each media server,
//! at start-up, whenever its link comes (back) up and every `reconcile_period`, it lists the pipelines
//! (`getPipelines`), reads the owner marks (`getTags`) of those no live session holds, and releases every
//! one marked with this gateway's instance id whose session is not live. That covers what the session's
//! own release cannot: a release the gateway never got to send (SIGKILL, a crash), and one the link gave up
//! on (its owed-release queue full). A restarted gateway with the same instance id cleans up its previous
//! life within one pass of its link coming up.
//!
//! Bounded: `reconcile_batch` `getTags` calls in flight at a time; pipelines found to be someone else's are
//! remembered (while they exist) so a shared media server is not re-read every period.

use crate::kms::{KmsError, KmsLink, LinkState, Released};
use crate::owner::Owner;
use crate::session::Shared;
use futures_util::future::join_all;
use kurento::{ErrorCode, MediaObjectOp, Method, ObjectId, ServerManagerOp};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pass {
    /// Pipelines the media server listed.
    pub(crate) listed: usize,
    /// Pipelines whose marks were read.
    pub(crate) inspected: usize,
    /// Pipelines of this instance with no live session, released (or owed by the link).
    pub(crate) reconciled: usize,
}

/// How often an unmarked pipeline is re-read before it is taken to be someone else's: a pipeline made
/// without transactions is marked just after its create, so one unmarked reading proves nothing.
const UNMARKED_READINGS: u8 = 2;

/// What a reconciler remembers between passes.
#[derive(Default)]
struct Memory {
    /// Pipelines known not to be ours (marked by another instance, or repeatedly unmarked).
    foreign: HashSet<ObjectId>,
    /// Unmarked pipelines, and how often they were found so.
    unmarked: HashMap<ObjectId, u8>,
}

/// Runs reconciliation on `link` until `stop` is cancelled.
pub(crate) async fn run(link: KmsLink, shared: Arc<Shared>, stop: CancellationToken) {
    let period = shared.config.reconcile_period;
    let mut state = link.state();
    let mut memory = Memory::default();
    let mut next = Instant::now() + period;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            changed = state.changed() => {
                if changed.is_err() {
                    return;
                }
                // Only the edge into Up (start-up, a reconnection, a resumed or fresh rpc session) runs a pass.
                if !matches!(*state.borrow_and_update(), LinkState::Up) {
                    continue;
                }
            }
            () = tokio::time::sleep_until(next) => {}
        }
        next = Instant::now() + period;
        if !matches!(*link.state().borrow(), LinkState::Up) {
            continue;
        }
        let outcome = tokio::select! {
            () = stop.cancelled() => return,
            r = pass(&link, &shared, &mut memory) => r,
        };
        match outcome {
            Ok(p) => {
                shared.metrics.reconciled(true, p.reconciled);
                if p.reconciled > 0 {
                    tracing::info!(uri = %link.uri(), listed = p.listed, inspected = p.inspected,
                        reconciled = p.reconciled, "reconciliation released pipelines no live session held");
                } else {
                    tracing::debug!(uri = %link.uri(), listed = p.listed, inspected = p.inspected, "reconciliation pass");
                }
            }
            Err(e) => {
                shared.metrics.reconciled(false, 0);
                tracing::warn!(uri = %link.uri(), error = %e, "reconciliation pass failed; retrying next period");
            }
        }
    }
}

/// One pass over `link`'s media server.
async fn pass(link: &KmsLink, shared: &Shared, memory: &mut Memory) -> Result<Pass, KmsError> {
    let listed = link
        .call(Method::invoke_op(
            ObjectId::server_manager(),
            ServerManagerOp::GetPipelines,
        ))
        .await?;
    let listed: HashSet<ObjectId> = listed
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(ObjectId::new)
                .collect()
        })
        .unwrap_or_default();
    memory.foreign.retain(|id| listed.contains(id));
    memory.unmarked.retain(|id, _| listed.contains(id));
    let held = shared.registry.live_pipelines();
    let mut todo: Vec<ObjectId> = listed
        .iter()
        .filter(|id| !held.contains(*id) && !memory.foreign.contains(*id))
        .cloned()
        .collect();
    todo.sort();
    let mut out = Pass {
        listed: listed.len(),
        ..Pass::default()
    };
    let me = &shared.config.instance_id;
    for batch in todo.chunks(shared.config.reconcile_batch.max(1)) {
        let tags = join_all(
            batch
                .iter()
                .map(|id| link.call(Method::invoke_op(id, MediaObjectOp::GetTags))),
        )
        .await;
        let mut orphans = Vec::new();
        for (id, tags) in batch.iter().zip(tags) {
            let tags = match tags {
                Ok(t) => t,
                // Released since it was listed.
                Err(KmsError::Rpc(e)) if e.is(ErrorCode::MediaObjectNotFound) => continue,
                Err(e) => return Err(e),
            };
            out.inspected += 1;
            match Owner::from_tags(&tags) {
                Some(o) if &o.instance == me => {
                    // A session still starting holds a marked pipeline it has not reported yet.
                    if !shared.registry.is_live(&o.session) {
                        orphans.push((id.clone(), o.session));
                    }
                }
                Some(_) => {
                    memory.foreign.insert(id.clone());
                }
                None => {
                    let seen = memory.unmarked.entry(id.clone()).or_default();
                    *seen += 1;
                    if *seen >= UNMARKED_READINGS {
                        memory.unmarked.remove(id);
                        memory.foreign.insert(id.clone());
                    }
                }
            }
        }
        let released = join_all(orphans.iter().map(|(id, _)| link.release(id))).await;
        for ((pipeline, session), r) in orphans.iter().zip(released) {
            out.reconciled += 1;
            match r {
                Released::Confirmed => {
                    tracing::info!(%pipeline, session_id = %session, "reconciled: released a pipeline no live session held");
                }
                Released::Owed(e) => {
                    tracing::info!(%pipeline, session_id = %session, error = %e, "reconciled: release owed by the link");
                }
            }
        }
    }
    Ok(out)
}
