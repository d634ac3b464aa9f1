//! The Kurento events a session subscribes to (what they mean for the caller is in `convert.rs`).

/// The endpoint events a session subscribes to, in the order it subscribes.
pub(crate) const ENDPOINT_EVENTS: &[&str] = &[
    "IceCandidateFound",
    "IceGatheringDone",
    "IceComponentStateChanged",
    "NewCandidatePairSelected",
    "MediaFlowInStateChanged",
    "MediaFlowOutStateChanged",
    "MediaStateChanged",
    "ConnectionStateChanged",
    "Error",
];

/// The pipeline events a session subscribes to.
pub(crate) const PIPELINE_EVENTS: &[&str] = &["Error"];
