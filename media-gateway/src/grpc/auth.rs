//! Bearer-token authentication for the MediaSession and SessionAdmin services: a tonic interceptor that
//! compares the `authorization` header with the configured token in constant time. Health and reflection
//! are never wrapped, so probes and grpcurl discovery work without the token.

use crate::config::Secret;
use std::sync::Arc;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The interceptor; with no token configured it lets every call through.
#[derive(Clone)]
pub(crate) struct Auth {
    token: Option<Arc<[u8]>>,
}

impl Auth {
    pub(crate) fn new(token: Option<&Secret>) -> Self {
        Self {
            token: token.map(|Secret(t)| Arc::from(t.as_bytes())),
        }
    }
}

/// Equal or not, in time that depends only on the lengths: no early exit at the first differing byte, so
/// response times do not reveal how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of an `authorization: Bearer <token>` value (the scheme is case-insensitive, RFC 6750).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    if value.len() < SCHEME.len() || !value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    Some(value[SCHEME.len()..].trim_ascii())
}

impl Interceptor for Auth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.token else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| bearer(v.as_bytes()));
        match given {
            Some(token) if same(token, expected) => Ok(request),
            Some(_) => Err(Status::unauthenticated("the bearer token is not valid")),
            None => Err(Status::unauthenticated(
                "send `authorization: Bearer <token>` with the gateway's token",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(auth: &mut Auth, header: Option<&str>) -> Result<(), tonic::Code> {
        let mut r = Request::new(());
        if let Some(h) = header {
            r.metadata_mut()
                .insert("authorization", h.parse().expect("ascii"));
        }
        auth.call(r).map(drop).map_err(|s| s.code())
    }

    #[test]
    fn only_the_right_bearer_token_passes() {
        let mut auth = Auth::new(Some(&Secret("s3cret".into())));
        assert_eq!(call(&mut auth, Some("Bearer s3cret")), Ok(()));
        assert_eq!(call(&mut auth, Some("bearer s3cret")), Ok(()));
        let denied = Err(tonic::Code::Unauthenticated);
        assert_eq!(call(&mut auth, None), denied);
        assert_eq!(call(&mut auth, Some("Bearer s3cres")), denied);
        assert_eq!(call(&mut auth, Some("Bearer s3cret2")), denied);
        assert_eq!(call(&mut auth, Some("Basic s3cret")), denied);
        let mut open = Auth::new(None);
        assert_eq!(call(&mut open, None), Ok(()));
    }
}
