//! Redis's RDB format: the CRC64 that seals a file or a DUMP payload, LZF, the length and
//! string encodings, Redis's packed layouts, and values in their object encodings.
//!
//! A DUMP-style payload (DUMP, FUNCTION DUMP) is RDB-encoded content followed by the RDB
//! version as two little-endian bytes and the CRC64 of everything before the checksum, as
//! eight little-endian bytes. Reading never trusts a length it was given: every read is
//! bounds-checked against the input and a decoded string is capped by `STRING_BYTES_MAX`.

pub(crate) mod crc64;
pub(crate) mod encoding;
pub(crate) mod file;
pub(crate) mod lzf;
pub(crate) mod packed;
pub(crate) mod value;
#[cfg(test)]
mod value_tests;

/// The RDB version Redis 7.0 writes, and the newest this reads.
pub(crate) const RDB_VERSION: u16 = 10;

/// The opcode before each library in an RDB file and in FUNCTION DUMP's payload.
pub(crate) const OPCODE_FUNCTION2: u8 = 245;

/// Content plus the footer that makes it a payload DUMP or FUNCTION DUMP returns.
pub(crate) fn seal_payload(mut content: Vec<u8>) -> Vec<u8> {
    content.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let checksum = crc64::crc64(0, &content);
    content.extend_from_slice(&checksum.to_le_bytes());
    content
}

/// The content of a payload whose footer holds a version this reads and a checksum that
/// matches; `None` otherwise (Redis: "DUMP payload version or checksum are wrong").
pub(crate) fn open_payload(payload: &[u8]) -> Option<&[u8]> {
    let content_len = payload.len().checked_sub(10)?;
    let (content, footer) = payload.split_at(content_len);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let checksum = u64::from_le_bytes(footer[2..].try_into().expect("eight bytes"));
    let sealed = &payload[..content_len + 2];
    (version <= RDB_VERSION && crc64::crc64(0, sealed) == checksum).then_some(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_payload_opens_to_its_content() {
        let payload = seal_payload(b"content".to_vec());
        assert_eq!(payload.len(), 7 + 10);
        assert_eq!(open_payload(&payload), Some(&b"content"[..]));
    }

    #[test]
    fn a_changed_byte_or_a_newer_version_is_refused() {
        let payload = seal_payload(b"content".to_vec());
        for index in 0..payload.len() {
            let mut changed = payload.clone();
            changed[index] ^= 1;
            assert_eq!(open_payload(&changed), None, "byte {index} flipped");
        }
        let mut newer = b"content".to_vec();
        newer.extend_from_slice(&(RDB_VERSION + 1).to_le_bytes());
        let checksum = crc64::crc64(0, &newer);
        newer.extend_from_slice(&checksum.to_le_bytes());
        assert_eq!(open_payload(&newer), None);
        assert_eq!(open_payload(&payload[..9]), None);
    }
}
