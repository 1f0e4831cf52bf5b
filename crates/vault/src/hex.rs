//! Lower-case hex encoding and decoding: file names, ids and key-file fields are hex so that
//! they are readable and safe on every file system.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes any even-length hex string; `None` for anything else.
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

/// Decodes exactly 32 bytes (64 hex digits).
pub(crate) fn decode_32(s: &str) -> Option<[u8; 32]> {
    decode(s)?.try_into().ok()
}

/// True for a string made only of hex digits (any length); used for id prefixes.
pub(crate) fn is_hex(s: &str) -> bool {
    s.bytes().all(|c| nibble(c).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(encode(&bytes), "00017f80ff");
        assert_eq!(decode("00017F80ff"), Some(bytes.to_vec()));
        assert_eq!(decode("0"), None);
        assert_eq!(decode("zz"), None);
        assert!(decode_32(&"ab".repeat(32)).is_some());
        assert!(decode_32(&"ab".repeat(31)).is_none());
    }
}
