//! Bearer-token authentication for the MediaSession and SessionAdmin services: a tonic interceptor that
//! compares the `authorization` header with the configured token in constant time. Health and reflection
//! are never wrapped, so probes and grpcurl discovery work without the token.
//!
//! SessionAdmin has a credential of its own (`--admin-token`): it lists every session id, and a session id
//! is all it takes to watch or Stop a session, so the MediaSession token must never grant it. With a
//! MediaSession token but no admin token, SessionAdmin is closed; with neither, both are open (a
//! development setup on 127.0.0.1).

use crate::config::Secret;
use std::sync::Arc;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// Who may call a service.
#[derive(Clone)]
enum Policy {
    /// Everyone (no token configured).
    Open,
    /// Callers presenting this bearer token.
    Token(Arc<[u8]>),
    /// Nobody: the service needs a credential that is not configured (the message says which).
    Closed(&'static str),
}

/// The interceptor of one service.
#[derive(Clone)]
pub(crate) struct Auth {
    policy: Policy,
}

impl Auth {
    /// MediaSession's: the token when one is configured, else open.
    pub(crate) fn new(token: Option<&Secret>) -> Self {
        Self {
            policy: token.map_or(Policy::Open, |Secret(t)| {
                Policy::Token(Arc::from(t.as_bytes()))
            }),
        }
    }

    /// SessionAdmin's: the admin token when one is configured; closed when only a MediaSession token is
    /// (so that credential never lists, and so never reaches, other callers' sessions); open when neither.
    pub(crate) fn admin(admin: Option<&Secret>, session: Option<&Secret>) -> Self {
        match (admin, session) {
            (Some(_), _) => Self::new(admin),
            (None, Some(_)) => Self {
                policy: Policy::Closed(
                    "SessionAdmin needs the gateway's admin token (--admin-token); the MediaSession token does not grant it",
                ),
            },
            (None, None) => Self::new(None),
        }
    }
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
        let expected = match &self.policy {
            Policy::Open => return Ok(request),
            Policy::Closed(why) => return Err(Status::permission_denied(*why)),
            Policy::Token(t) => t,
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| bearer(v.as_bytes()));
        match given {
            Some(token) if service_kit::secret::constant_time_eq(token, expected) => Ok(request),
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

    #[test]
    fn the_session_token_never_grants_admin() {
        let (admin, session) = (Secret("adm".into()), Secret("ses".into()));
        let mut only_session = Auth::admin(None, Some(&session));
        assert_eq!(
            call(&mut only_session, Some("Bearer ses")),
            Err(tonic::Code::PermissionDenied)
        );
        let mut both = Auth::admin(Some(&admin), Some(&session));
        assert_eq!(call(&mut both, Some("Bearer adm")), Ok(()));
        assert_eq!(
            call(&mut both, Some("Bearer ses")),
            Err(tonic::Code::Unauthenticated)
        );
        let mut neither = Auth::admin(None, None);
        assert_eq!(call(&mut neither, None), Ok(()));
    }
}
