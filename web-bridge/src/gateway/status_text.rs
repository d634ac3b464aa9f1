//! The one place where gateway (gRPC) failures become sentences: a generic one for the person at the browser
//! (no addresses, no media server or session ids: those are internal detail), and the full one for the log.

use tonic::{Code, Status};

/// The sentence the browser gets for a failed gateway call. Only INVALID_ARGUMENT keeps the gateway's
/// detail, which is about the caller's own offer or candidate, with anything that looks like an address cut.
pub(crate) fn describe(status: &Status) -> String {
    match status.code() {
        Code::Unavailable if is_transport_failure(status) => {
            "the media gateway is unreachable; try again later".to_owned()
        }
        Code::Unavailable => "the media server is unavailable; try again later".to_owned(),
        Code::InvalidArgument => format!(
            "the media server rejected the request: {}",
            redact(status.message())
        ),
        Code::NotFound => "the media session no longer exists".to_owned(),
        Code::ResourceExhausted => "the media server is at capacity, try again later".to_owned(),
        Code::DeadlineExceeded => "the media server took too long to answer".to_owned(),
        Code::Cancelled => "the request was cancelled".to_owned(),
        Code::Unimplemented | Code::Unauthenticated | Code::PermissionDenied => {
            "the media service is misconfigured; the operator has been told".to_owned()
        }
        _ => "the media service failed; try again later".to_owned(),
    }
}

/// The full text for operators' logs and `/readyz`'s log line: code, the gateway's message, and where.
pub(crate) fn detail(status: &Status, gateway: &str) -> String {
    let detail = status.message();
    match status.code() {
        Code::Unavailable if is_transport_failure(status) => {
            format!("media gateway at {gateway} is unreachable: {detail}")
        }
        Code::Unimplemented => {
            format!("the media gateway at {gateway} does not speak mediasession.v1: {detail}")
        }
        Code::Unauthenticated | Code::PermissionDenied => format!(
            "the media gateway at {gateway} refused the bridge's credentials (check --gateway-token): {detail}"
        ),
        code => format!("media gateway at {gateway}: {code:?}: {detail}"),
    }
}

/// Cuts words that look like an address (a URI, `host:port`, an IP) out of a gateway message.
pub(crate) fn redact(text: &str) -> String {
    let words: Vec<&str> = text
        .split(' ')
        .map(|word| if looks_internal(word) { "[…]" } else { word })
        .collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

fn looks_internal(word: &str) -> bool {
    let bare = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '[' && c != ']');
    word.contains("://")
        || bare.parse::<std::net::IpAddr>().is_ok()
        || bare.parse::<std::net::SocketAddr>().is_ok()
        || bare
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
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
    fn browsers_get_no_addresses_or_ids() {
        let lost = Status::unavailable(
            "lost the connection to the media server at ws://10.0.0.5:8888/kurento",
        );
        assert_eq!(
            describe(&lost),
            "the media server is unavailable; try again later"
        );
        assert!(detail(&lost, "http://g:50051").contains("ws://10.0.0.5:8888/kurento"));
        let gone = Status::not_found("no session 7d3f… on kms-2");
        assert_eq!(describe(&gone), "the media session no longer exists");
        let internal = Status::internal("media server at ws://kms:8888 reported an error");
        assert!(!describe(&internal).contains("kms"));
        let s = describe(&Status::invalid_argument("bad SDP"));
        assert_eq!(s, "the media server rejected the request: bad SDP");
        let s = describe(&Status::invalid_argument(
            "rejected by ws://10.0.0.5:8888/kurento at 10.0.0.5 (kms:8888)",
        ));
        assert!(!s.contains("10.0.0.5") && !s.contains("8888"), "{s}");
        assert!(describe(&Status::resource_exhausted("limit 10 on kms-1")).contains("capacity"));
        assert!(!describe(&Status::unauthenticated("token")).contains("token"));
    }
}
