//! One entry of a Redis listpack, as Redis 7.0 writes it in memory and in RDB files: an
//! encoding byte with its payload. A list's blocks (`store::list_block`) hold their entries
//! this way, so that a block is a Redis listpack's body and an RDB file's list node is the
//! block's bytes between a header and an end marker, both ways.
//!
//! ```text
//! 0xxxxxxx                      integer 0..=127
//! 10xxxxxx <bytes>              string of 0..=63 bytes
//! 110xxxxx yyyyyyyy             integer -4096..=4095, 13 bits two's complement
//! 1110xxxx yyyyyyyy <bytes>     string of 64..=4095 bytes (x << 8 | y)
//! 11110000 <4 bytes> <bytes>    string, length little-endian
//! 0xF1 / 0xF2 / 0xF3 / 0xF4     integer of 16 / 24 / 32 / 64 bits, little-endian
//! ```
//!
//! An integer takes the first form that holds it, a string the shortest length form, and a
//! string that is a canonical integer is that integer (as Redis's `lpStringToInt64` makes it):
//! an entry in stored form (`Entry::stored`) has exactly one encoding. There are no floats.

use super::listpack::{encode_string, encode_wide_int, string_len, wide_int_len, Entry, WideTags};

const STR6: u8 = 0x80;
const INT13: u8 = 0xC0;
const STR12: u8 = 0xE0;
const STR32: u8 = 0xF0;
const INT16: u8 = 0xF1;
const INT24: u8 = 0xF2;
const INT32: u8 = 0xF3;
const INT64: u8 = 0xF4;

const TAGS: WideTags = WideTags {
    str6: STR6,
    str12: STR12,
    str32: STR32,
    int16: INT16,
    int24: INT24,
    int32: INT32,
    int64: INT64,
};

/// The bytes `entry` takes, tag included. Panics on a float (lists hold none).
pub(crate) fn encoded_len(entry: &Entry<'_>) -> usize {
    match *entry {
        Entry::Int(0..=127) => 1,
        Entry::Int(-4096..=4095) => 2,
        Entry::Int(value) => wide_int_len(value),
        Entry::Bytes(bytes) => string_len(bytes),
        Entry::Float(_) => unreachable!("a Redis listpack entry holds no float"),
    }
}

/// Writes `entry` (in stored form) into `out`, exactly `encoded_len(entry)` bytes. Panics on a
/// float or a string longer than `u32::MAX` bytes.
pub(crate) fn encode_into(entry: &Entry<'_>, out: &mut [u8]) {
    let (tag, payload) = out.split_first_mut().expect("an entry has a tag");
    match *entry {
        Entry::Int(value @ 0..=127) => *tag = value as u8,
        Entry::Int(value @ -4096..=4095) => {
            let bits = (value as u16) & 0x1FFF;
            *tag = INT13 | (bits >> 8) as u8;
            payload[0] = bits as u8;
        }
        Entry::Int(value) => encode_wide_int(&TAGS, value, tag, payload),
        Entry::Bytes(bytes) => encode_string(&TAGS, bytes, tag, payload),
        Entry::Float(_) => unreachable!("a Redis listpack entry holds no float"),
    }
}

/// The entry at `at` and the offset just past it, in any form the tags allow; `None` when a
/// length runs past `bytes` or the tag is none of Redis's.
#[inline]
pub(crate) fn decode(bytes: &[u8], at: usize) -> Option<(Entry<'_>, usize)> {
    let tag = *bytes.get(at)?;
    let payload = at + 1;
    let take = |from: usize, len: usize| bytes.get(from..from.checked_add(len)?);
    let signed = |len: usize| -> Option<(Entry<'_>, usize)> {
        let mut raw = [0u8; 8];
        raw[..len].copy_from_slice(take(payload, len)?);
        let shift = 64 - 8 * len as u32;
        let value = ((u64::from_le_bytes(raw) << shift) as i64) >> shift;
        Some((Entry::Int(value), payload + len))
    };
    match tag {
        0x00..=0x7F => Some((Entry::Int(i64::from(tag)), payload)),
        0x80..=0xBF => {
            let len = usize::from(tag & 0x3F);
            Some((Entry::Bytes(take(payload, len)?), payload + len))
        }
        0xC0..=0xDF => {
            let bits = u16::from(tag & 0x1F) << 8 | u16::from(*bytes.get(payload)?);
            let value = ((bits << 3) as i16) >> 3;
            Some((Entry::Int(i64::from(value)), payload + 1))
        }
        0xE0..=0xEF => {
            let len = usize::from(tag & 0x0F) << 8 | usize::from(*bytes.get(payload)?);
            Some((Entry::Bytes(take(payload + 1, len)?), payload + 1 + len))
        }
        STR32 => {
            let len = u32::from_le_bytes(take(payload, 4)?.try_into().ok()?);
            let len = usize::try_from(len).ok()?;
            Some((Entry::Bytes(take(payload + 4, len)?), payload + 4 + len))
        }
        INT16 => signed(2),
        INT24 => signed(3),
        INT32 => signed(4),
        INT64 => signed(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            (-5000i64..5000).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..70),
            (4000usize..4200).prop_map(|len| vec![b'x'; len]),
        ]
    }

    proptest! {
        #[test]
        fn entries_round_trip_in_their_shortest_form(bytes in entry()) {
            let stored = Entry::from_bytes(&bytes);
            let mut out = vec![0; encoded_len(&stored) + 2];
            let len = encoded_len(&stored);
            encode_into(&stored, &mut out[..len]);
            prop_assert_eq!(decode(&out, 0), Some((stored, len)));
            prop_assert_eq!(decode(&out[..len - 1], 0), None);
        }
    }

    #[test]
    fn integers_take_redis_forms() {
        let cases: [(i64, &[u8]); 6] = [
            (5, &[0x05]),
            (-1, &[0xDF, 0xFF]),
            (4095, &[0xCF, 0xFF]),
            (4096, &[0xF1, 0x00, 0x10]),
            (70000, &[0xF2, 0x70, 0x11, 0x01]),
            (1 << 40, &[0xF4, 0, 0, 0, 0, 0, 1, 0, 0]),
        ];
        for (value, expected) in cases {
            let mut out = vec![0; encoded_len(&Entry::Int(value))];
            encode_into(&Entry::Int(value), &mut out);
            assert_eq!(out, expected, "{value}");
        }
    }
}
