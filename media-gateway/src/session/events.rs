//! The Kurento events a session subscribes to (what they mean for the caller is in `convert.rs`).

use kurento::EventType;

/// The endpoint events a session subscribes to, in the order it subscribes.
pub(crate) const ENDPOINT_EVENTS: &[EventType] = &[
    EventType::IceCandidateFound,
    EventType::IceGatheringDone,
    EventType::IceComponentStateChanged,
    EventType::NewCandidatePairSelected,
    EventType::MediaFlowInStateChanged,
    EventType::MediaFlowOutStateChanged,
    EventType::MediaStateChanged,
    EventType::ConnectionStateChanged,
    EventType::Error,
];

/// The pipeline events a session subscribes to.
pub(crate) const PIPELINE_EVENTS: &[EventType] = &[EventType::Error];
