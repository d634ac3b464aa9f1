//! Session ids: 128 random bits, hex encoded, so an id works as a bearer capability for its session.

use crate::error::Error;
use rand::RngCore;

/// How long every id this gateway issues is.
const ID_LEN: usize = 32;

/// 128 random bits as 32 lowercase hex digits: unguessable, so fit for a capability or a secret.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh, unguessable session id (32 lowercase hex digits).
pub(crate) fn session_id() -> String {
    random_hex()
}

/// Checks a caller's id before it is used, looked up, logged or echoed: anything but the shape this
/// gateway issues is refused as malformed, without repeating it.
pub(crate) fn check(id: &str) -> Result<(), Error> {
    if id.len() == ID_LEN && id.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "session_id must be the {ID_LEN} hexadecimal digits Start returned"
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_128_bit_hex_and_differ() {
        let a = super::session_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, super::session_id());
        assert!(super::check(&a).is_ok());
        for bad in [
            "",
            "zz",
            &"0".repeat(33),
            &"g".repeat(32),
            "0123456789abcdef0123456789abcde\n",
        ] {
            assert!(super::check(bad).is_err(), "{bad:?}");
        }
    }
}
