//! Redis's packed byte formats as RDB files and DUMP payloads carry them: the listpack (small
//! hashes, small sorted sets, list nodes; written and read) and the ziplist and intset (read;
//! the intset written too). These are Redis's layouts, not the ones ferrodis keeps in memory
//! (`store::listpack`, `store::intset`): a value is translated entry by entry on its way in or
//! out.
//!
//! A listpack is a 4-byte total length and a 2-byte entry count (both little-endian; the count
//! is 65535 when it does not fit), the entries, and a 0xFF terminator. Each entry is an
//! encoding byte with its payload, then its own length again as a "back length" of 1 to 5
//! bytes, so that the list can be walked from either end:
//!
//! ```text
//! 0xxxxxxx                      integer 0..=127
//! 10xxxxxx <bytes>              string of 0..=63 bytes
//! 110xxxxx yyyyyyyy             integer of 13 bits, two's complement
//! 1110xxxx yyyyyyyy <bytes>     string of 0..=4095 bytes
//! 11110000 <4 bytes> <bytes>    string, length little-endian
//! 0xF1 / 0xF2 / 0xF3 / 0xF4     integer of 16 / 24 / 32 / 64 bits, little-endian
//! ```
//!
//! Reading trusts nothing: every length is checked against what is left, every back length
//! against its entry, the count against the entries, and the total against the blob.

use crate::store::list_block::{item_len, read_item, write_item};
use crate::store::listpack::Entry;
use crate::util::number::parse_i64;

/// A packed blob that is not what its format says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// One entry of a packed blob: an integer or a byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Item<'a> {
    /// The entry's value as text.
    pub(crate) fn to_vec(self) -> Vec<u8> {
        match self {
            Item::Int(number) => number.to_string().into_bytes(),
            Item::Bytes(bytes) => bytes.to_vec(),
        }
    }

    /// The entry as ferrodis stores it (a string that is an integer's canonical text becomes
    /// that integer).
    pub(crate) fn entry(self) -> Entry<'a> {
        match self {
            Item::Int(number) => Entry::Int(number),
            Item::Bytes(bytes) => Entry::from_bytes(bytes),
        }
    }
}

const LISTPACK_HEADER_BYTES: usize = 6;
const LISTPACK_END: u8 = 0xFF;
const LISTPACK_COUNT_UNKNOWN: u16 = u16::MAX;

/// Builds a listpack in Redis's format.
pub(crate) struct ListpackWriter {
    bytes: Vec<u8>,
    count: usize,
}

impl ListpackWriter {
    pub(crate) fn new() -> ListpackWriter {
        ListpackWriter {
            bytes: vec![0; LISTPACK_HEADER_BYTES],
            count: 0,
        }
    }

    /// Appends a byte string; one that is an integer's canonical text is stored as that
    /// integer, as Redis stores it.
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        match parse_i64(bytes) {
            Some(number) if bytes.len() <= 20 => self.push_int(number),
            _ => self.push_string(bytes),
        }
    }

    /// Appends a byte string as a string, for one known not to be an integer's canonical text.
    pub(crate) fn push_string(&mut self, bytes: &[u8]) {
        self.push_stored(&Entry::Bytes(bytes));
    }

    pub(crate) fn push_int(&mut self, number: i64) {
        self.push_stored(&Entry::Int(number));
    }

    /// Appends an entry and its back length, as a list block writes them.
    fn push_stored(&mut self, entry: &Entry<'_>) {
        let start = self.bytes.len();
        self.bytes.resize(start + item_len(entry), 0);
        write_item(entry, &mut self.bytes[start..]);
        self.count += 1;
    }

    /// The finished blob, borrowed: `clear` then starts the next one in the same room.
    pub(crate) fn seal(&mut self) -> &[u8] {
        self.bytes.push(LISTPACK_END);
        let total = u32::try_from(self.bytes.len()).expect("a listpack of at most 4 GiB");
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&count| count != LISTPACK_COUNT_UNKNOWN)
            .unwrap_or(LISTPACK_COUNT_UNKNOWN);
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        self.bytes[4..6].copy_from_slice(&count.to_le_bytes());
        &self.bytes
    }

    /// Appends `count` entries already in Redis's form, back lengths included (a list block's
    /// bytes).
    pub(crate) fn push_encoded(&mut self, entries: &[u8], count: usize) {
        self.bytes.extend_from_slice(entries);
        self.count += count;
    }

    /// Starts a new, empty blob.
    pub(crate) fn clear(&mut self) {
        self.bytes.truncate(LISTPACK_HEADER_BYTES);
        self.count = 0;
    }
}

/// A slice cursor for the packed formats.
struct Cursor<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(count).ok_or(Malformed)?;
        let taken = self.input.get(self.at..end).ok_or(Malformed)?;
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn le(&mut self, count: usize) -> Result<u64, Malformed> {
        let mut bytes = [0u8; 8];
        bytes[..count].copy_from_slice(self.take(count)?);
        Ok(u64::from_le_bytes(bytes))
    }

    /// A little-endian two's complement integer of `count` bytes.
    fn signed(&mut self, count: usize) -> Result<i64, Malformed> {
        let raw = self.le(count)?;
        let shift = 64 - 8 * count as u32;
        Ok(((raw << shift) as i64) >> shift)
    }
}

/// Every entry of a listpack in Redis's format, checked from end to end: the header's total
/// and count, every entry and its back length (`list_block::read_item`), the end marker.
pub(crate) fn listpack_items(blob: &[u8]) -> Result<Vec<Item<'_>>, Malformed> {
    let (entries, count) = listpack_body(blob).ok_or(Malformed)?;
    // Each entry takes at least two bytes: the count never reserves more than the blob holds.
    let mut items = Vec::with_capacity(count.unwrap_or(0).min(entries.len() / 2));
    let mut at = 0;
    while at < entries.len() {
        let (entry, _, next) = read_item(entries, at).ok_or(Malformed)?;
        items.push(match entry {
            Entry::Int(number) => Item::Int(number),
            Entry::Bytes(bytes) => Item::Bytes(bytes),
            Entry::Float(_) => unreachable!("a Redis listpack entry holds no float"),
        });
        at = next;
    }
    if count.is_some_and(|count| count != items.len()) {
        return Err(Malformed);
    }
    Ok(items)
}

/// A listpack's entries and their count as its header gives it (`None` for 65,535, which says
/// "count them"), when its total length and end marker are right; nothing is decoded.
pub(crate) fn listpack_body(blob: &[u8]) -> Option<(&[u8], Option<usize>)> {
    let header: [u8; LISTPACK_HEADER_BYTES] = blob.get(..LISTPACK_HEADER_BYTES)?.try_into().ok()?;
    let total = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let count = u16::from_le_bytes([header[4], header[5]]);
    if total as usize != blob.len()
        || blob.len() <= LISTPACK_HEADER_BYTES
        || blob.last() != Some(&LISTPACK_END)
    {
        return None;
    }
    let count = (count != LISTPACK_COUNT_UNKNOWN).then_some(usize::from(count));
    Some((&blob[LISTPACK_HEADER_BYTES..blob.len() - 1], count))
}

const ZIPLIST_HEADER_BYTES: usize = 10;
const ZIPLIST_END: u8 = 0xFF;

/// Every entry of a ziplist (the packed format of RDB files before Redis 7.0), checked from end
/// to end: the header's total, tail offset and count, each entry's previous-entry length.
pub(crate) fn ziplist_items(blob: &[u8]) -> Result<Vec<Item<'_>>, Malformed> {
    let mut cursor = Cursor { input: blob, at: 0 };
    let total = cursor.le(4)?;
    let tail = cursor.le(4)?;
    let count = cursor.le(2)? as u16;
    if total != blob.len() as u64 || blob.last() != Some(&ZIPLIST_END) {
        return Err(Malformed);
    }
    let end = blob.len() - 1;
    let mut items = Vec::new();
    let (mut previous_len, mut last_start) = (0, ZIPLIST_HEADER_BYTES);
    while cursor.at < end {
        let start = cursor.at;
        let stated_previous = match cursor.byte()? {
            0xFE => cursor.le(4)?,
            0xFF => return Err(Malformed),
            small => u64::from(small),
        };
        if stated_previous != previous_len as u64 {
            return Err(Malformed);
        }
        let first = cursor.byte()?;
        let item = match first >> 6 {
            0 => Item::Bytes(cursor.take(usize::from(first & 0x3F))?),
            1 => {
                let len = usize::from(first & 0x3F) << 8 | usize::from(cursor.byte()?);
                Item::Bytes(cursor.take(len)?)
            }
            2 if first == 0x80 => {
                let len = u32::from_be_bytes(cursor.take(4)?.try_into().map_err(|_| Malformed)?);
                Item::Bytes(cursor.take(usize::try_from(len).map_err(|_| Malformed)?)?)
            }
            2 => return Err(Malformed),
            _ => match first {
                0xC0 => Item::Int(cursor.signed(2)?),
                0xD0 => Item::Int(cursor.signed(4)?),
                0xE0 => Item::Int(cursor.signed(8)?),
                0xF0 => Item::Int(cursor.signed(3)?),
                0xFE => Item::Int(cursor.signed(1)?),
                0xF1..=0xFD => Item::Int(i64::from(first & 0x0F) - 1),
                _ => return Err(Malformed),
            },
        };
        items.push(item);
        previous_len = cursor.at - start;
        last_start = start;
    }
    let count_matches = count == u16::MAX || usize::from(count) == items.len();
    if cursor.at != end || !count_matches || tail != last_start as u64 {
        return Err(Malformed);
    }
    Ok(items)
}

/// Redis's intset layout: the width (2, 4 or 8) as a little-endian u32, the count as one, then
/// the values ascending, little-endian.
pub(crate) fn intset_blob(width: usize, values: impl ExactSizeIterator<Item = i64>) -> Vec<u8> {
    let mut blob = Vec::with_capacity(8 + width * values.len());
    blob.extend_from_slice(&(width as u32).to_le_bytes());
    blob.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for value in values {
        blob.extend_from_slice(&value.to_le_bytes()[..width]);
    }
    blob
}

/// The values of an intset in Redis's layout, with its width; order is the caller's to check.
pub(crate) fn intset_values(blob: &[u8]) -> Result<(usize, Vec<i64>), Malformed> {
    let mut cursor = Cursor { input: blob, at: 0 };
    let width = cursor.le(4)? as usize;
    let count = cursor.le(4)?;
    if !matches!(width, 2 | 4 | 8) || (blob.len() - 8) as u64 != count * width as u64 {
        return Err(Malformed);
    }
    let mut values = Vec::with_capacity(count as usize);
    for _ in 0..count {
        values.push(cursor.signed(width)?);
    }
    Ok((width, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn listpack_entries_take_redis_encodings() {
        let mut writer = ListpackWriter::new();
        writer.push_bytes(b"a");
        writer.push_bytes(b"100");
        writer.push_bytes(b"-1");
        writer.push_bytes(b"70000");
        let blob = writer.seal().to_vec();
        // Header: 20 bytes in all, 4 entries.
        let expected: &[u8] = &[
            20, 0, 0, 0, 4, 0, // header
            0x81, b'a', 2, // "a"
            100, 1, // 100
            0xDF, 0xFF, 2, // -1 in 13 bits
            0xF2, 0x70, 0x11, 0x01, 4, // 70000 in 24 bits
            0xFF,
        ];
        assert_eq!(blob, expected);
        let items = listpack_items(&blob).unwrap();
        assert_eq!(
            items,
            [
                Item::Bytes(b"a"),
                Item::Int(100),
                Item::Int(-1),
                Item::Int(70000)
            ]
        );
    }

    #[test]
    fn long_entries_have_multi_byte_back_lengths() {
        let long = vec![b'x'; 300];
        let mut writer = ListpackWriter::new();
        writer.push_bytes(&long);
        let blob = writer.seal().to_vec();
        // 2 encoding bytes + 300 = 302 = 2 * 128 + 46: back length [2, 46 | 0x80].
        assert_eq!(&blob[blob.len() - 3..blob.len() - 1], &[2, 46 | 0x80]);
        assert_eq!(listpack_items(&blob).unwrap(), [Item::Bytes(&long)]);
    }

    #[test]
    fn a_ziplist_from_redis_reads() {
        // A ziplist Redis 6 wrote for RPUSH l a 1 300.
        let blob: &[u8] = &[
            0x14, 0, 0, 0, 0x0F, 0, 0, 0, 3, 0, // header: 20 bytes, tail at 15, 3 entries
            0x00, 0x01, b'a', // "a"
            0x03, 0xF2, // 1 (immediate)
            0x02, 0xC0, 0x2C, 0x01, // 300 as int16
            0xFF,
        ];
        assert_eq!(
            ziplist_items(blob).unwrap(),
            [Item::Bytes(b"a"), Item::Int(1), Item::Int(300)]
        );
        let mut wrong_tail = blob.to_vec();
        wrong_tail[4] = 13;
        assert_eq!(ziplist_items(&wrong_tail), Err(Malformed));
    }

    #[test]
    fn intsets_keep_redis_layout() {
        let blob = intset_blob(2, [-3i64, 5].into_iter());
        assert_eq!(blob, [2, 0, 0, 0, 2, 0, 0, 0, 0xFD, 0xFF, 5, 0]);
        assert_eq!(intset_values(&blob).unwrap(), (2, vec![-3, 5]));
        assert_eq!(intset_values(&blob[..11]), Err(Malformed));
    }

    proptest! {
        #[test]
        fn listpacks_round_trip(
            strings in proptest::collection::vec(
                prop_oneof![
                    any::<i64>().prop_map(|n| n.to_string().into_bytes()),
                    proptest::collection::vec(any::<u8>(), 0..5000),
                ],
                0..40,
            )
        ) {
            let mut writer = ListpackWriter::new();
            for string in &strings {
                writer.push_bytes(string);
            }
            let blob = writer.seal().to_vec();
            let items = listpack_items(&blob).unwrap();
            let back: Vec<Vec<u8>> = items.into_iter().map(Item::to_vec).collect();
            prop_assert_eq!(back, strings);
        }

        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = listpack_items(&bytes);
            let _ = ziplist_items(&bytes);
            let _ = intset_values(&bytes);
        }

        #[test]
        fn a_changed_byte_never_panics_and_is_mostly_caught(
            index in 0usize..1000, bit in 0u8..8
        ) {
            let mut writer = ListpackWriter::new();
            for string in [&b"field"[..], b"12", b"a longer value of some bytes", b"-70000"] {
                writer.push_bytes(string);
            }
            let mut blob = writer.seal().to_vec();
            let index = index % blob.len();
            blob[index] ^= 1 << bit;
            let _ = listpack_items(&blob);
        }
    }
}
