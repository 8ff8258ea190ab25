//! `Listpack`: a sequence of entries packed in one byte array, for small hashes and small
//! sorted sets, where a handful of short strings would otherwise cost an allocation each. A
//! list's blocks (`store::list`) write their entries in the same form.
//!
//! Layout: one exactly sized `Box<[u8]>`. The first `START` bytes are the number of entries
//! (little-endian `u32`); the entries follow back to back, each a tag byte and a payload:
//!
//! ```text
//! 0xxxxxxx                    integer 0..=127, in the tag itself
//! 10xxxxxx <bytes>            byte string of length 0..=63 (the tag's low 6 bits)
//! 1100xxxx yyyyyyyy <bytes>   byte string of length 64..=4095 (x << 8 | y)
//! 0xD0 <2 bytes>              integer, i16 little-endian
//! 0xD1 <3 bytes>              integer, i24 little-endian, sign-extended
//! 0xD2 <4 bytes>              integer, i32 little-endian
//! 0xD3 <8 bytes>              integer, i64 little-endian
//! 0xD4 <8 bytes>              float, the bits of an f64 little-endian
//! 0xE0 <4 bytes> <bytes>      byte string of length 4096..=u32::MAX (u32 little-endian)
//! ```
//!
//! Every other tag is corrupt. Each value has exactly one encoding: integers and strings take
//! the shortest form that holds them, and a byte string that is a canonical integer
//! (`parse_i64`: no leading zeros, no `+`, no `-0`, fits i64) is stored as that integer. So the
//! same logical string is always the same bytes, two listpacks are equal when their bytes are,
//! and a lookup compares entries without turning integers back into text. A float is stored
//! only when the caller passes `Entry::Float` (a sorted set's non-integral score); it never
//! equals a byte string.
//!
//! Limits:
//! - Every change builds the whole array again (one allocation of the new size), so a change
//!   costs O(bytes): the structure is meant for small collections that are converted to a real
//!   one past a size limit.
//! - There is no per-entry back length: the walk goes forward only, and finding entry `i` walks
//!   the `i` entries before it.
//! - At most `u32::MAX` entries, and byte strings of at most `u32::MAX` bytes; writing past
//!   either is a bug in the caller and panics.
//! - The encoding is this crate's own, not Redis's listpack byte format.
//!
//! `from_bytes` accepts exactly the arrays this module writes: it checks every tag and length
//! against what is left (never trusting a length), the count and the shortest forms, and never
//! panics or allocates more than the input's size. A float may hold any bits, NaN included:
//! what a float means is the caller's business.

use std::fmt;

use crate::util::number::{format_f64, format_i64, parse_i64};

/// One entry as stored: an integer, a byte string that is not a canonical integer, or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// An integer, or a byte string that is an integer's canonical text.
    Int(i64),
    /// A byte string.
    Bytes(&'a [u8]),
    /// A float, stored as its bits.
    Float(f64),
}

impl<'a> Entry<'a> {
    /// The entry a byte string is stored as: `Int` when it is a canonical integer (at most 20
    /// bytes, as `parse_i64` reads it), `Bytes` otherwise.
    pub fn from_bytes(bytes: &'a [u8]) -> Entry<'a> {
        match parse_i64(bytes) {
            Some(value) => Entry::Int(value),
            None => Entry::Bytes(bytes),
        }
    }

    /// Whether this entry is the same value as `needle`: integers by value, byte strings by
    /// content, an integer and a byte string when the string is that integer's canonical text
    /// (so a needle need not be passed through `from_bytes` first), floats by their bits. A
    /// float never equals an integer or a byte string.
    pub fn is(&self, needle: &Entry<'_>) -> bool {
        match (*self, *needle) {
            (Entry::Int(a), Entry::Int(b)) => a == b,
            (Entry::Bytes(a), Entry::Bytes(b)) => a == b,
            (Entry::Int(a), Entry::Bytes(b)) | (Entry::Bytes(b), Entry::Int(a)) => {
                parse_i64(b) == Some(a)
            }
            (Entry::Float(a), Entry::Float(b)) => a.to_bits() == b.to_bits(),
            (Entry::Float(_), _) | (_, Entry::Float(_)) => false,
        }
    }

    /// Appends the entry's text to `out`: integers in decimal, floats as `format_f64` writes
    /// them (`%.17g`), byte strings as they are.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match *self {
            Entry::Int(value) => format_i64(value, out),
            Entry::Bytes(bytes) => out.extend_from_slice(bytes),
            Entry::Float(value) => format_f64(value, out),
        }
    }

    /// The entry's text (see `write_text`).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_text(&mut out);
        out
    }

    /// The numeric value: an integer as f64, a float as it is; `None` for a byte string.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Entry::Int(value) => Some(value as f64),
            Entry::Float(value) => Some(value),
            Entry::Bytes(_) => None,
        }
    }

    /// The form this entry is written in: a byte string that is a canonical integer becomes
    /// that integer.
    pub(crate) fn stored(self) -> Entry<'a> {
        match self {
            Entry::Bytes(bytes) => Entry::from_bytes(bytes),
            other => other,
        }
    }

    /// Whether two stored entries are equal (both already in stored form: no parsing).
    fn same_stored(&self, other: &Entry<'_>) -> bool {
        match (*self, *other) {
            (Entry::Int(a), Entry::Int(b)) => a == b,
            (Entry::Bytes(a), Entry::Bytes(b)) => a == b,
            (Entry::Float(a), Entry::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

/// An encoding that `from_bytes` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("corrupt packed encoding")
    }
}

impl std::error::Error for Corrupt {}

const TAG_UINT7_MAX: u8 = 0x7F;
const TAG_STR6: u8 = 0x80;
const TAG_STR6_LAST: u8 = 0xBF;
const TAG_STR12: u8 = 0xC0;
const TAG_STR12_LAST: u8 = 0xCF;
const TAG_I16: u8 = 0xD0;
const TAG_I24: u8 = 0xD1;
const TAG_I32: u8 = 0xD2;
const TAG_I64: u8 = 0xD3;
const TAG_F64: u8 = 0xD4;
const TAG_STR32: u8 = 0xE0;

const UINT7_MAX: i64 = 0x7F;
const STR6_MAX: usize = 0x3F;
const STR12_MAX: usize = 0xFFF;
const I24_MIN: i64 = -(1 << 23);
const I24_MAX: i64 = (1 << 23) - 1;

/// The tags an entry format gives its byte strings and its integers of 16 bits and wider: this
/// module's format and Redis's listpack (`store::redis_entry`) lay these out the same way and
/// differ only in the tags, their small integers and floats.
pub(crate) struct WideTags {
    /// Strings of up to 63 bytes: the length in the low 6 bits.
    pub(crate) str6: u8,
    /// Strings of up to 4095 bytes: the length's high 4 bits in the tag, its low byte after.
    pub(crate) str12: u8,
    /// Longer strings: a 4-byte length after the tag.
    pub(crate) str32: u8,
    pub(crate) int16: u8,
    pub(crate) int24: u8,
    pub(crate) int32: u8,
    pub(crate) int64: u8,
}

const OUR_TAGS: WideTags = WideTags {
    str6: TAG_STR6,
    str12: TAG_STR12,
    str32: TAG_STR32,
    int16: TAG_I16,
    int24: TAG_I24,
    int32: TAG_I32,
    int64: TAG_I64,
};

/// Bytes a byte string takes, tag included.
pub(crate) fn string_len(bytes: &[u8]) -> usize {
    let header = if bytes.len() <= STR6_MAX {
        1
    } else if bytes.len() <= STR12_MAX {
        2
    } else {
        5
    };
    header + bytes.len()
}

/// Bytes an integer takes in the first of the 16-, 24-, 32- and 64-bit forms that holds it,
/// tag included.
pub(crate) fn wide_int_len(value: i64) -> usize {
    match value {
        _ if i16::try_from(value).is_ok() => 3,
        I24_MIN..=I24_MAX => 4,
        _ if i32::try_from(value).is_ok() => 5,
        _ => 9,
    }
}

/// Writes `value` in the first of the 16-, 24-, 32- and 64-bit forms that holds it:
/// `wide_int_len(value)` bytes, the tag's and `payload`'s.
pub(crate) fn encode_wide_int(tags: &WideTags, value: i64, tag: &mut u8, payload: &mut [u8]) {
    match value {
        _ if i16::try_from(value).is_ok() => {
            *tag = tags.int16;
            payload.copy_from_slice(&(value as i16).to_le_bytes());
        }
        I24_MIN..=I24_MAX => {
            *tag = tags.int24;
            payload.copy_from_slice(&(value as i32).to_le_bytes()[..3]);
        }
        _ if i32::try_from(value).is_ok() => {
            *tag = tags.int32;
            payload.copy_from_slice(&(value as i32).to_le_bytes());
        }
        _ => {
            *tag = tags.int64;
            payload.copy_from_slice(&value.to_le_bytes());
        }
    }
}

/// Writes a byte string in its shortest length form: `string_len(bytes)` bytes, the tag's and
/// `payload`'s. Panics on a string longer than `u32::MAX` bytes.
pub(crate) fn encode_string(tags: &WideTags, bytes: &[u8], tag: &mut u8, payload: &mut [u8]) {
    let len = bytes.len();
    let text = if len <= STR6_MAX {
        *tag = tags.str6 | len as u8;
        payload
    } else if len <= STR12_MAX {
        *tag = tags.str12 | (len >> 8) as u8;
        payload[0] = len as u8;
        &mut payload[1..]
    } else {
        let len = u32::try_from(len).expect("a listpack string holds at most u32::MAX bytes");
        *tag = tags.str32;
        payload[..4].copy_from_slice(&len.to_le_bytes());
        &mut payload[4..]
    };
    text.copy_from_slice(bytes);
}

/// Bytes an entry takes in its shortest form (`entry` already in stored form).
pub(crate) fn encoded_len(entry: &Entry<'_>) -> usize {
    match *entry {
        Entry::Int(0..=UINT7_MAX) => 1,
        Entry::Int(value) => wide_int_len(value),
        Entry::Bytes(bytes) => string_len(bytes),
        Entry::Float(_) => 9,
    }
}

/// Appends `entry` (already in stored form) in its shortest form.
///
/// Panics on a byte string longer than `u32::MAX` bytes.
fn encode(entry: &Entry<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(entry), 0);
    encode_into(entry, &mut out[start..]);
}

/// Writes `entry` (already in stored form) in its shortest form into `out`, which must be
/// exactly `encoded_len(entry)` bytes.
///
/// Panics on a byte string longer than `u32::MAX` bytes or a wrong-sized `out`.
pub(crate) fn encode_into(entry: &Entry<'_>, out: &mut [u8]) {
    let (tag, payload) = out.split_first_mut().expect("an entry has a tag");
    match *entry {
        Entry::Int(value @ 0..=UINT7_MAX) => *tag = value as u8,
        Entry::Int(value) => encode_wide_int(&OUR_TAGS, value, tag, payload),
        Entry::Bytes(bytes) => encode_string(&OUR_TAGS, bytes, tag, payload),
        Entry::Float(value) => {
            *tag = TAG_F64;
            payload.copy_from_slice(&value.to_bits().to_le_bytes());
        }
    }
}

/// `N` bytes starting at `from`, if there are that many.
fn fixed<const N: usize>(bytes: &[u8], from: usize) -> Result<[u8; N], Corrupt> {
    let end = from.checked_add(N).ok_or(Corrupt)?;
    let slice = bytes.get(from..end).ok_or(Corrupt)?;
    slice.try_into().map_err(|_| Corrupt)
}

/// A byte string of `len` bytes starting at `from`, and the offset just past it.
fn string(bytes: &[u8], from: usize, len: usize) -> Result<(Entry<'_>, usize), Corrupt> {
    let end = from.checked_add(len).ok_or(Corrupt)?;
    let slice = bytes.get(from..end).ok_or(Corrupt)?;
    Ok((Entry::Bytes(slice), end))
}

/// Reads the entry at `at` in any form the tags allow, checking every length against what is
/// left; returns it and the offset of the next entry.
pub(crate) fn decode(bytes: &[u8], at: usize) -> Result<(Entry<'_>, usize), Corrupt> {
    let tag = *bytes.get(at).ok_or(Corrupt)?;
    let payload = at + 1;
    match tag {
        0..=TAG_UINT7_MAX => Ok((Entry::Int(i64::from(tag)), payload)),
        TAG_STR6..=TAG_STR6_LAST => string(bytes, payload, usize::from(tag & 0x3F)),
        TAG_STR12..=TAG_STR12_LAST => {
            let [low] = fixed::<1>(bytes, payload)?;
            let len = usize::from(tag & 0x0F) << 8 | usize::from(low);
            string(bytes, payload + 1, len)
        }
        TAG_I16 => {
            let value = i16::from_le_bytes(fixed(bytes, payload)?);
            Ok((Entry::Int(i64::from(value)), payload + 2))
        }
        TAG_I24 => {
            let [a, b, c] = fixed(bytes, payload)?;
            // The three bytes go to the top of an i32; the shift back extends the sign.
            let value = i32::from_le_bytes([0, a, b, c]) >> 8;
            Ok((Entry::Int(i64::from(value)), payload + 3))
        }
        TAG_I32 => {
            let value = i32::from_le_bytes(fixed(bytes, payload)?);
            Ok((Entry::Int(i64::from(value)), payload + 4))
        }
        TAG_I64 => {
            let value = i64::from_le_bytes(fixed(bytes, payload)?);
            Ok((Entry::Int(value), payload + 8))
        }
        TAG_F64 => {
            let bits = u64::from_le_bytes(fixed(bytes, payload)?);
            Ok((Entry::Float(f64::from_bits(bits)), payload + 8))
        }
        TAG_STR32 => {
            let len = u32::from_le_bytes(fixed(bytes, payload)?);
            let len = usize::try_from(len).map_err(|_| Corrupt)?;
            string(bytes, payload + 4, len)
        }
        _ => Err(Corrupt),
    }
}

/// Checks a whole encoding: the header, every entry well formed and in the one form a writer
/// gives it, the count, and nothing after the last entry.
fn validate(bytes: &[u8]) -> Result<(), Corrupt> {
    let header = fixed::<{ Listpack::START }>(bytes, 0)?;
    let count = u32::from_le_bytes(header);
    let mut at = Listpack::START;
    let mut walked: u32 = 0;
    while at < bytes.len() {
        let (entry, next) = decode(bytes, at)?;
        let stored = entry.stored();
        let canonical = matches!(
            (entry, stored),
            (Entry::Int(_), Entry::Int(_))
                | (Entry::Bytes(_), Entry::Bytes(_))
                | (Entry::Float(_), Entry::Float(_))
        ) && encoded_len(&stored) == next - at;
        if !canonical || walked == count {
            return Err(Corrupt);
        }
        walked += 1;
        at = next;
    }
    if walked == count {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Most bytes the collections let a listpack reach, whatever their configured limits (Redis
/// bounds its listpacks at 1 GiB too): far below the format's 4 GiB lengths, so that no element
/// the limits allow can make one panic.
pub const BYTES_MAX: usize = 1 << 30;

/// Bytes an entry takes beyond its text, at most: a tag and a 4-byte length, or a tag and an
/// 8-byte number.
pub const ENTRY_OVERHEAD_MAX: usize = 9;

/// Whether an array of `bytes` bytes stays within `BYTES_MAX` after `entries` more entries with
/// `text_bytes` bytes of text in all.
pub fn has_room(bytes: usize, entries: usize, text_bytes: usize) -> bool {
    bytes
        .saturating_add(text_bytes)
        .saturating_add(entries.saturating_mul(ENTRY_OVERHEAD_MAX))
        <= BYTES_MAX
}

/// A sequence of entries in one byte array; see the module documentation for the layout and
/// its limits.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    bytes: Box<[u8]>,
}

impl Listpack {
    /// Byte offset of the first entry (the header is the entry count).
    pub const START: usize = 4;

    /// An empty listpack: the header alone.
    pub fn new() -> Listpack {
        Listpack {
            bytes: Box::new([0; Listpack::START]),
        }
    }

    /// Number of entries, from the header.
    pub fn len(&self) -> usize {
        let header: [u8; Listpack::START] = fixed(&self.bytes, 0).expect("a listpack has a header");
        u32::from_le_bytes(header) as usize
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, header included (what the array costs, less the allocator's rounding).
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// The whole encoding, header included; `from_bytes` reads it back.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A listpack from its encoding, if that encoding is exactly what this module writes (see
    /// the module documentation). Never panics; allocates only the copy.
    pub fn from_bytes(bytes: &[u8]) -> Result<Listpack, Corrupt> {
        validate(bytes)?;
        Ok(Listpack {
            bytes: bytes.into(),
        })
    }

    /// Offset just past the last entry (`START` when empty).
    pub fn end(&self) -> usize {
        self.bytes.len()
    }

    /// The entry at byte offset `at` and the offset of the next entry (`end()` after the last).
    ///
    /// `at` must be an entry boundary below `end()`; panics past the end, and reads nonsense or
    /// panics inside an entry.
    pub fn entry(&self, at: usize) -> (Entry<'_>, usize) {
        assert!(
            (Listpack::START..self.end()).contains(&at),
            "entry offset {at} outside the entries"
        );
        decode(&self.bytes, at).expect("an offset inside a listpack is an entry boundary")
    }

    /// The entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            bytes: &self.bytes,
            at: Listpack::START,
            remaining: self.len(),
        }
    }

    /// Offset of the first entry among entries number 0, `step`, 2 * `step`, ... that `is`
    /// `needle` (a hash's fields are every second entry: step 2). `step` must be at least 1.
    pub fn find(&self, needle: &Entry<'_>, step: usize) -> Option<usize> {
        assert!(step >= 1, "find steps at least one entry at a time");
        let needle = needle.stored();
        let mut at = Listpack::START;
        let mut index = 0;
        while at < self.end() {
            let (entry, next) = self.entry(at);
            if index % step == 0 && entry.same_stored(&needle) {
                return Some(at);
            }
            index += 1;
            at = next;
        }
        None
    }

    /// Appends one entry. A byte string that is a canonical integer is stored as the integer.
    ///
    /// Panics past `u32::MAX` entries or on a string longer than `u32::MAX` bytes.
    pub fn push(&mut self, entry: Entry<'_>) {
        self.insert(self.end(), &[entry]);
    }

    /// Appends the entries in order, in one reallocation.
    pub fn push_all(&mut self, entries: &[Entry<'_>]) {
        self.insert(self.end(), entries);
    }

    /// Inserts the entries before the entry at offset `at` (`at == end()` appends), in one
    /// reallocation. `at` must be an entry boundary; panics outside the entries, past
    /// `u32::MAX` entries or on a string longer than `u32::MAX` bytes.
    pub fn insert(&mut self, at: usize, entries: &[Entry<'_>]) {
        assert!(
            (Listpack::START..=self.end()).contains(&at),
            "insert offset {at} outside the entries"
        );
        if entries.is_empty() {
            return;
        }
        let added: usize = entries
            .iter()
            .map(|entry| encoded_len(&entry.stored()))
            .sum();
        let count = self.len() + entries.len();
        let mut bytes = Vec::with_capacity(self.bytes.len() + added);
        bytes.extend_from_slice(&header(count));
        bytes.extend_from_slice(&self.bytes[Listpack::START..at]);
        for entry in entries {
            encode(&entry.stored(), &mut bytes);
        }
        bytes.extend_from_slice(&self.bytes[at..]);
        self.bytes = bytes.into_boxed_slice();
    }

    /// Replaces the single entry at offset `at` (an entry boundary below `end()`).
    pub fn replace(&mut self, at: usize, entry: Entry<'_>) {
        let (_, next) = self.entry(at);
        let entry = entry.stored();
        let mut bytes = Vec::with_capacity(self.bytes.len() - (next - at) + encoded_len(&entry));
        bytes.extend_from_slice(&self.bytes[..at]);
        encode(&entry, &mut bytes);
        bytes.extend_from_slice(&self.bytes[next..]);
        self.bytes = bytes.into_boxed_slice();
    }

    /// Removes `count` consecutive entries starting at offset `at` (an entry boundary). Panics
    /// if fewer than `count` entries start there.
    pub fn remove(&mut self, at: usize, count: usize) {
        if count == 0 {
            return;
        }
        let mut stop = at;
        for _ in 0..count {
            stop = self.entry(stop).1;
        }
        let mut bytes = Vec::with_capacity(self.bytes.len() - (stop - at));
        bytes.extend_from_slice(&header(self.len() - count));
        bytes.extend_from_slice(&self.bytes[Listpack::START..at]);
        bytes.extend_from_slice(&self.bytes[stop..]);
        self.bytes = bytes.into_boxed_slice();
    }

    /// Asserts that the header's count matches the entries, that every entry is well formed and
    /// in its one canonical form, and that nothing follows the last entry.
    pub fn check_invariants(&self) {
        assert_eq!(
            validate(&self.bytes),
            Ok(()),
            "listpack encoding is canonical: {self:?}"
        );
    }
}

/// The header for `count` entries. Panics past `u32::MAX`.
fn header(count: usize) -> [u8; Listpack::START] {
    u32::try_from(count)
        .expect("a listpack holds at most u32::MAX entries")
        .to_le_bytes()
}

impl Default for Listpack {
    fn default() -> Listpack {
        Listpack::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// An entry with its bytes shown as text.
        struct Shown<'a>(Entry<'a>);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Entry::Int(value) => write!(f, "{value}"),
                    Entry::Bytes(bytes) => write!(f, "{:?}", String::from_utf8_lossy(bytes)),
                    Entry::Float(value) => write!(f, "{value:?}f"),
                }
            }
        }
        // Walks with `decode` so that a broken encoding still prints what precedes the break.
        let mut list = f.debug_list();
        let mut at = Listpack::START;
        while at < self.bytes.len() {
            match decode(&self.bytes, at) {
                Ok((entry, next)) => {
                    list.entry(&Shown(entry));
                    at = next;
                }
                Err(Corrupt) => {
                    list.entry(&format_args!("<corrupt at {at}>"));
                    break;
                }
            }
        }
        list.finish()
    }
}

/// The entries of a listpack in order.
#[derive(Clone)]
pub struct Iter<'a> {
    bytes: &'a [u8],
    at: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let (entry, next) =
            decode(self.bytes, self.at).expect("a listpack's entries are well formed");
        self.at = next;
        self.remaining -= 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Listpack {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
#[path = "listpack_tests.rs"]
mod tests;
