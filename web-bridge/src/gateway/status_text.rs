//! The one place where gateway (gRPC) failures become sentences for the person at the browser.

use tonic::{Code, Status};

/// A clear text for a failed gateway call. `gateway` names the gRPC endpoint for "cannot reach" cases.
pub(crate) fn describe(status: &Status, gateway: &str) -> String {
    let detail = status.message();
    match status.code() {
        // tonic reports a failed connection to the gateway itself as UNAVAILABLE with a transport error as
        // source; the gateway reports an unreachable media server as UNAVAILABLE with its own message.
        Code::Unavailable if is_transport_failure(status) => {
            format!("media gateway at {gateway} is unreachable: {detail}")
        }
        Code::Unavailable => format!("media server unavailable: {detail}"),
        Code::InvalidArgument => format!("the media server rejected the request: {detail}"),
        Code::NotFound => format!("the media session no longer exists: {detail}"),
        Code::ResourceExhausted => {
            format!("the media server is at capacity, try again later: {detail}")
        }
        Code::DeadlineExceeded => format!("the media server took too long to answer: {detail}"),
        Code::Cancelled => format!("the request was cancelled: {detail}"),
        Code::Unimplemented => {
            format!("the media gateway at {gateway} does not speak mediasession.v1: {detail}")
        }
        Code::Unauthenticated | Code::PermissionDenied => format!(
            "the media gateway at {gateway} refused the bridge's credentials (check --gateway-token): {detail}"
        ),
        code => format!("media gateway error ({code:?}): {detail}"),
    }
}

fn is_transport_failure(status: &Status) -> bool {
    use std::error::Error as _;
    let mut source = status.source();
    while let Some(err) = source {
        if err.downcast_ref::<tonic::transport::Error>().is_some() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_sentences() {
        let s = describe(
            &Status::unavailable("media server at ws://127.0.0.1:1/kurento is unreachable"),
            "http://g",
        );
        assert_eq!(
            s,
            "media server unavailable: media server at ws://127.0.0.1:1/kurento is unreachable"
        );
        let s = describe(&Status::invalid_argument("bad SDP"), "http://g");
        assert!(s.contains("rejected") && s.contains("bad SDP"));
        assert!(describe(&Status::resource_exhausted("limit 10"), "g").contains("capacity"));
    }
}
