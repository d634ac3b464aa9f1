//! Session ids: 128 random bits, hex encoded, so an id works as a bearer capability for its session.

use rand::RngCore;

/// A fresh, unguessable session id (32 lowercase hex digits).
pub(crate) fn session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_128_bit_hex_and_differ() {
        let a = super::session_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, super::session_id());
    }
}
