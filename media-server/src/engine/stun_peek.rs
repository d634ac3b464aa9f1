//! A look into STUN binding messages for what one-port mode routes by: the ufrag of the receiving
//! side, which a request's USERNAME (`<receiver's ufrag>:<sender's ufrag>`, RFC 8445 §7.2.2) starts
//! with, and the transaction id that pairs a response with the request it answers. No integrity check
//! here: the endpoint a message is routed to checks it (`Rtc::accepts`, then str0m's ICE agent).
//! Pure functions on bytes; every length is checked, nothing panics.

/// STUN's fixed header: type, length, magic cookie, transaction id.
const HEADER: usize = 20;
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
/// Binding method, request class.
const BINDING_REQUEST: [u8; 2] = [0x00, 0x01];
/// Binding method, success and error response classes.
const BINDING_SUCCESS: [u8; 2] = [0x01, 0x01];
const BINDING_ERROR: [u8; 2] = [0x01, 0x11];
const USERNAME: u16 = 0x0006;
/// RFC 8489 §14.3 caps USERNAME at 513 bytes.
const MAX_USERNAME: usize = 513;

/// A STUN transaction id (RFC 8489 §5: 96 random bits, chosen by the requester).
pub(crate) type TransactionId = [u8; 12];

/// The receiver's ufrag named by `datagram` if it is a well-formed STUN binding request with a
/// USERNAME; `None` for anything else.
pub(crate) fn binding_request_ufrag(datagram: &[u8]) -> Option<&str> {
    let header = datagram.get(..HEADER)?;
    if header.get(..2)? != BINDING_REQUEST || header.get(4..8)? != MAGIC_COOKIE {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([*header.get(2)?, *header.get(3)?]));
    if length % 4 != 0 {
        return None;
    }
    // Trailing bytes beyond the declared length are not STUN's; a shorter datagram is truncated.
    let mut attributes = datagram.get(HEADER..HEADER.checked_add(length)?)?;
    while attributes.len() >= 4 {
        let kind = u16::from_be_bytes([attributes[0], attributes[1]]);
        let len = usize::from(u16::from_be_bytes([attributes[2], attributes[3]]));
        let value = attributes.get(4..4 + len)?;
        if kind == USERNAME {
            if len > MAX_USERNAME {
                return None;
            }
            let username = std::str::from_utf8(value).ok()?;
            let (ufrag, _) = username.split_once(':')?;
            return (!ufrag.is_empty()).then_some(ufrag);
        }
        // Values are padded to a multiple of four bytes.
        let padded = (4 + len).checked_next_multiple_of(4)?;
        attributes = attributes.get(padded..)?;
    }
    None
}

/// The transaction id of `datagram` if it is a STUN binding request (what an endpoint sends as an
/// ICE check), whatever its attributes.
pub(crate) fn binding_request_id(datagram: &[u8]) -> Option<TransactionId> {
    binding_id(datagram, |kind| kind == BINDING_REQUEST)
}

/// The transaction id of `datagram` if it is a STUN binding response, success or error (the answer
/// to somebody's check).
pub(crate) fn binding_response_id(datagram: &[u8]) -> Option<TransactionId> {
    binding_id(datagram, |kind| {
        kind == BINDING_SUCCESS || kind == BINDING_ERROR
    })
}

/// The transaction id of a STUN message whose type (method and class) `wanted` takes.
fn binding_id(datagram: &[u8], wanted: impl Fn([u8; 2]) -> bool) -> Option<TransactionId> {
    let header = datagram.get(..HEADER)?;
    let message_type = [*header.first()?, *header.get(1)?];
    if !wanted(message_type) || header.get(4..8)? != MAGIC_COOKIE {
        return None;
    }
    header.get(8..HEADER)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, value) in attrs {
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn finds_the_receivers_ufrag() {
        let m = request(&[(0x0024, &[0, 0, 0, 1]), (USERNAME, b"srv1:peer")]);
        assert_eq!(binding_request_ufrag(&m), Some("srv1"));
        // Padding after an odd-length attribute before USERNAME.
        let m = request(&[(0x8022, b"abc"), (USERNAME, b"x:y")]);
        assert_eq!(binding_request_ufrag(&m), Some("x"));
    }

    #[test]
    fn other_messages_name_nobody() {
        let mut response = request(&[(USERNAME, b"srv1:peer")]);
        response[0..2].copy_from_slice(&[0x01, 0x01]);
        assert_eq!(binding_request_ufrag(&response), None);
        let mut no_cookie = request(&[(USERNAME, b"srv1:peer")]);
        no_cookie[4] = 0;
        assert_eq!(binding_request_ufrag(&no_cookie), None);
        assert_eq!(binding_request_ufrag(&request(&[])), None);
        assert_eq!(
            binding_request_ufrag(&request(&[(USERNAME, b"nocolon")])),
            None
        );
        assert_eq!(
            binding_request_ufrag(&request(&[(USERNAME, b":peer")])),
            None
        );
        assert_eq!(
            binding_request_ufrag(&request(&[(USERNAME, &[0xff, b':'])])),
            None
        );
    }

    #[test]
    fn transaction_ids_pair_responses_with_requests() {
        let m = request(&[(USERNAME, b"srv1:peer")]);
        assert_eq!(binding_request_id(&m), Some([7; 12]));
        assert_eq!(binding_response_id(&m), None, "a request is no response");
        for class in [[0x01, 0x01], [0x01, 0x11]] {
            let mut response = m.clone();
            response[0..2].copy_from_slice(&class);
            assert_eq!(binding_response_id(&response), Some([7; 12]));
            assert_eq!(binding_request_id(&response), None);
        }
        // An indication, another method, no cookie, too short: none of them.
        let mut indication = m.clone();
        indication[0..2].copy_from_slice(&[0x00, 0x11]);
        assert_eq!(binding_request_id(&indication), None);
        let mut allocate = m.clone();
        allocate[0..2].copy_from_slice(&[0x01, 0x03]);
        assert_eq!(binding_response_id(&allocate), None);
        let mut no_cookie = m.clone();
        no_cookie[5] = 0;
        assert_eq!(binding_request_id(&no_cookie), None);
        for cut in 0..HEADER {
            assert_eq!(binding_request_id(&m[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn truncated_and_garbage_input_never_panics() {
        let m = request(&[(0x0024, &[0, 0, 0, 1]), (USERNAME, b"srv1:peer")]);
        for cut in 0..m.len() {
            assert_eq!(binding_request_ufrag(&m[..cut]), None, "cut at {cut}");
        }
        // A length that claims more than the datagram holds.
        let mut long = m.clone();
        long[2..4].copy_from_slice(&0xfffc_u16.to_be_bytes());
        assert_eq!(binding_request_ufrag(&long), None);
        // An attribute length running past the end.
        let mut bad = request(&[(USERNAME, b"srv1:peer")]);
        bad[22..24].copy_from_slice(&0xffff_u16.to_be_bytes());
        assert_eq!(binding_request_ufrag(&bad), None);
        let mut x: u64 = 1;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut d = m.clone();
            let i = (x as usize) % d.len();
            d[i] = (x >> 32) as u8;
            let _ = binding_request_ufrag(&d);
        }
    }
}
