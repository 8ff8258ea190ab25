//! `Block`: one piece of a list (`store::list`), its entries back to back in one byte buffer,
//! each written as a Redis listpack entry (`store::redis_entry`: a tag and a payload, integers
//! in their shortest form) followed by its *back length*: the entry's own size, written so that
//! it can be read from its last byte backwards. One byte holds sizes below 128; each further
//! byte adds 7 bits, the high bit of a byte saying whether another byte precedes it. So a block
//! is walked forward by decoding entries and backward by reading back lengths, and the last
//! entry is found without a walk. The entries are exactly a Redis listpack's body: an RDB
//! file's list node is a block's bytes between a header and an end marker (`from_listpack`,
//! `data`).
//!
//! The buffer keeps free room at both ends: room at the front for pushes at the head (`head`
//! counts it), spare capacity at the back for pushes at the tail. Either grows by an eighth of
//! the block when it runs out, so a push costs O(1) amortized and a block wastes at most about
//! an eighth; popping at the head only moves `head`.

use super::listpack::Entry;
use super::redis_entry::{decode, encode_into, encoded_len};

/// How many bytes a block whose limit is a number of entries may still reach (Redis's
/// `SIZE_SAFETY_LIMIT`).
const ENTRIES_LIMIT_BYTES_MAX: usize = 8192;

/// Free room a block adds when it runs out, as a fraction of its bytes (1/8), and at least
/// `GROWTH_MIN` bytes.
const GROWTH_DIVISOR: usize = 8;
const GROWTH_MIN: usize = 16;

/// How big a block may grow, from `list-max-listpack-size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockLimit {
    /// At most this many entries (and at most 8 KiB of them).
    Entries(usize),
    /// At most this many bytes of entries.
    Bytes(usize),
}

impl BlockLimit {
    /// The limit `list-max-listpack-size` sets, as Redis reads it: a positive number of entries
    /// (at most 32768), or -1 to -5 for 4, 8, 16, 32 or 64 KiB (lower values are -5). 0 lets
    /// every element have a block of its own.
    pub fn from_config(fill: i64) -> BlockLimit {
        match fill {
            0.. => BlockLimit::Entries(fill.min(1 << 15) as usize),
            _ => {
                let level = fill.unsigned_abs().min(5) - 1;
                BlockLimit::Bytes(4096 << level)
            }
        }
    }

    /// Whether `block` may take one more entry of `item_bytes` bytes (back length included).
    pub(super) fn allows(self, block: &Block, item_bytes: usize) -> bool {
        self.fits(block.len(), block.bytes_len(), item_bytes)
    }

    /// Whether a block of `entries` entries and `bytes` bytes may take one more entry of
    /// `item_bytes` bytes.
    pub(super) fn fits(self, entries: usize, bytes: usize, item_bytes: usize) -> bool {
        let bytes = bytes.saturating_add(item_bytes);
        match self {
            BlockLimit::Entries(max) => entries < max && bytes <= ENTRIES_LIMIT_BYTES_MAX,
            BlockLimit::Bytes(max) => bytes <= max,
        }
    }

    /// Whether `block` is within the limit (a block of one entry always is).
    pub(super) fn holds(self, block: &Block) -> bool {
        block.len() <= 1
            || match self {
                BlockLimit::Entries(entries) => {
                    block.len() <= entries && block.bytes_len() <= ENTRIES_LIMIT_BYTES_MAX
                }
                BlockLimit::Bytes(max) => block.bytes_len() <= max,
            }
    }
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Front,
    Back,
}

/// Bytes a back length of `len` takes, by Redis's thresholds (`lpEncodeBacklen`: each width
/// stops one short of the most its bits hold, so 16,383 already takes three bytes). A reader
/// walking forward computes the width from the entry's size, so it must be exactly Redis's.
pub(crate) fn back_len_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Writes the back length `len` into `out` (exactly `back_len_size(len)` bytes): the last byte
/// holds the lowest 7 bits, each byte before it the next 7; every byte but the first has its
/// high bit set.
pub(crate) fn write_back_len(len: usize, out: &mut [u8]) {
    let last = out.len() - 1;
    for (index, byte) in out.iter_mut().enumerate() {
        let bits = ((len >> (7 * (last - index))) & 0x7F) as u8;
        *byte = if index == 0 { bits } else { bits | 0x80 };
    }
}

/// The element at `at` of untrusted listpack entries (a file's): the entry, its encoded size,
/// and the offset of the next one; `None` when the entry runs past `entries`, its tag is none
/// of Redis's, or its back length is not the bytes a writer gives it (compared as they are:
/// read backwards, a run of flagged bytes could walk out of the entries). Any encoding passes,
/// not only the shortest.
#[inline]
pub(crate) fn read_item(entries: &[u8], at: usize) -> Option<(Entry<'_>, usize, usize)> {
    let (entry, end) = decode(entries, at)?;
    let len = end - at;
    let size = back_len_size(len);
    let next = end.checked_add(size)?;
    let sound = match size {
        // Nearly every entry: one byte, the length itself (no call to a slice compare).
        1 => *entries.get(end)? == len as u8,
        _ => {
            let mut expected = [0u8; 5];
            write_back_len(len, &mut expected[..size]);
            entries.get(end..next)? == &expected[..size]
        }
    };
    sound.then_some((entry, len, next))
}

/// Reads the back length that ends just before `end`: the entry size and where the back length
/// starts.
fn read_back_len(bytes: &[u8], end: usize) -> (usize, usize) {
    let mut len = 0;
    let mut at = end;
    for shift in (0..5).map(|group| 7 * group) {
        at -= 1;
        let byte = bytes[at];
        len |= usize::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    (len, at)
}

/// Bytes an element takes in a block: its entry and its back length (`entry` in stored form).
pub(crate) fn item_len(entry: &Entry<'_>) -> usize {
    let len = encoded_len(entry);
    len + back_len_size(len)
}

/// Writes an element (`entry` in stored form) into `out`, exactly `item_len(entry)` bytes.
pub(crate) fn write_item(entry: &Entry<'_>, out: &mut [u8]) {
    let len = encoded_len(entry);
    let (text, back) = out.split_at_mut(len);
    encode_into(entry, text);
    write_back_len(len, back);
}

/// Entries packed in one buffer; see the module documentation. Offsets are byte offsets into
/// the entries (`data()`), 0 being the first entry and `bytes_len()` the end.
#[derive(Clone, Default)]
pub struct Block {
    /// Free room, then the entries; spare capacity after them.
    buf: Vec<u8>,
    /// Bytes of free room before the first entry.
    head: usize,
    count: u32,
}

impl Block {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the block holds no entry (only ever true while it is being built).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of entries, without the free room.
    pub fn bytes_len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Bytes the buffer holds, free room included.
    pub(super) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The entries, as a Redis listpack holds them between its header and its end marker.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// A block holding `entries`, a Redis listpack's body that should hold `count` entries
    /// (`None` when its header does not say: 65,535 or more) (an RDB file's list node), if
    /// there is one at least and every entry is well formed and in stored form with its
    /// shortest encoding and the right back length, and the count matches; `None` otherwise (the
    /// caller then reads the node entry by entry, which tells corrupt from merely uncommon).
    /// Reads what it checks once, copies it once.
    pub fn from_listpack(entries: &[u8], count: Option<usize>) -> Option<Block> {
        let mut at = 0;
        let mut walked = 0;
        while at < entries.len() {
            let (entry, len, next) = read_item(entries, at)?;
            let canonical = match entry {
                Entry::Bytes(bytes) => bytes.len() > 20 || Entry::from_bytes(bytes) == entry,
                _ => true,
            };
            if !canonical || encoded_len(&entry) != len {
                return None;
            }
            walked += 1;
            at = next;
        }
        if walked == 0 || count.is_some_and(|count| count != walked) {
            return None;
        }
        Some(Block {
            buf: entries.to_vec(),
            head: 0,
            count: u32::try_from(walked).ok()?,
        })
    }

    /// The entry at offset `at` and the offset of the next one.
    pub(super) fn entry(&self, at: usize) -> (Entry<'_>, usize) {
        let data = self.data();
        let (entry, end) = decode(data, at).expect("a block's offsets are entry boundaries");
        (entry, end + back_len_size(end - at))
    }

    /// Offset of the entry that ends at `end` (`end` > 0).
    pub(super) fn before(&self, end: usize) -> usize {
        let (len, back_start) = read_back_len(self.data(), end);
        back_start - len
    }

    /// Offset of entry number `index` (`index == len()` gives the end), walked from the nearer
    /// end of the block.
    pub(super) fn offset_of(&self, index: usize) -> usize {
        if index <= self.len() / 2 {
            (0..index).fold(0, |at, _| self.entry(at).1)
        } else {
            (index..self.len()).fold(self.bytes_len(), |end, _| self.before(end))
        }
    }

    /// Free room to add when `needed` more bytes do not fit.
    fn growth(&self, needed: usize) -> usize {
        needed
            .max(self.bytes_len() / GROWTH_DIVISOR)
            .max(GROWTH_MIN)
    }

    pub(super) fn push_back(&mut self, entry: &Entry<'_>) {
        let size = item_len(entry);
        self.reserve(End::Back, size);
        let end = self.buf.len();
        self.buf.resize(end + size, 0);
        write_item(entry, &mut self.buf[end..]);
        self.count += 1;
    }

    /// Makes room for `bytes` more bytes at `end` at once, so that pushing them does not grow
    /// the buffer again: exactly that much when it is more than the usual growth.
    pub(super) fn reserve(&mut self, end: End, bytes: usize) {
        match end {
            End::Back if self.buf.capacity() - self.buf.len() < bytes => {
                if self.head >= self.bytes_len() {
                    // Popped from the front more than it holds: reuse that room first.
                    self.buf.drain(..self.head);
                    self.head = 0;
                }
                let growth = self.growth(bytes);
                self.buf.reserve_exact(growth);
            }
            End::Front if self.head < bytes => {
                let room = self.growth(bytes);
                let mut buf = Vec::with_capacity(room + self.bytes_len());
                buf.resize(room, 0);
                buf.extend_from_slice(self.data());
                self.buf = buf;
                self.head = room;
            }
            End::Back | End::Front => {}
        }
    }

    pub(super) fn push_front(&mut self, entry: &Entry<'_>) {
        let size = item_len(entry);
        self.reserve(End::Front, size);
        self.head -= size;
        let start = self.head;
        write_item(entry, &mut self.buf[start..start + size]);
        self.count += 1;
    }

    /// Inserts an entry at offset `at` (an entry boundary or the end).
    pub(super) fn insert(&mut self, at: usize, entry: &Entry<'_>) {
        if at == 0 {
            return self.push_front(entry);
        }
        let size = item_len(entry);
        let end = self.buf.len();
        if self.buf.capacity() - end < size {
            let growth = self.growth(size);
            self.buf.reserve_exact(growth);
        }
        let at = self.head + at;
        self.buf.resize(end + size, 0);
        self.buf.copy_within(at..end, at + size);
        write_item(entry, &mut self.buf[at..at + size]);
        self.count += 1;
    }

    /// Replaces the entry at offset `at` with `entry`.
    pub(super) fn replace(&mut self, at: usize, entry: &Entry<'_>) {
        let (_, next) = self.entry(at);
        let size = item_len(entry);
        let (start, stop) = (self.head + at, self.head + next);
        if stop - start != size {
            let mut item = vec![0; size];
            write_item(entry, &mut item);
            self.buf.splice(start..stop, item);
        } else {
            write_item(entry, &mut self.buf[start..stop]);
        }
    }

    /// Removes the `count` entries between offsets `at` and `stop`.
    pub(super) fn remove(&mut self, at: usize, stop: usize, count: usize) {
        if at == 0 {
            // Popping at the head only moves it.
            self.head += stop;
        } else {
            let head = self.head;
            self.buf.drain(head + at..head + stop);
        }
        self.count -= count as u32;
        if self.count == 0 {
            *self = Block::default();
        }
    }

    /// Splits off the entries from offset `at` (entry number `index`) into a new block.
    pub(super) fn split_off(&mut self, at: usize, index: usize) -> Block {
        let rest = Block {
            buf: self.data()[at..].to_vec(),
            head: 0,
            count: (self.len() - index) as u32,
        };
        self.buf.truncate(self.head + at);
        self.count = index as u32;
        rest
    }

    /// Keeps the entries for which `keep` says true, in order; returns how many were removed.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Entry<'_>) -> bool) -> usize {
        let mut kept = Vec::with_capacity(self.bytes_len());
        let mut at = 0;
        let mut removed = 0;
        while at < self.bytes_len() {
            let (entry, next) = self.entry(at);
            if keep(&entry) {
                kept.extend_from_slice(&self.data()[at..next]);
            } else {
                removed += 1;
            }
            at = next;
        }
        self.buf = kept;
        self.head = 0;
        self.count -= removed as u32;
        removed
    }

    /// Gives back the free room at both ends.
    pub(super) fn shrink(&mut self) {
        if self.head > 0 {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.shrink_to_fit();
    }

    /// The entries in order.
    pub(super) fn entries(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            (at < self.bytes_len()).then(|| {
                let (entry, next) = self.entry(at);
                at = next;
                entry
            })
        })
    }

    /// Asserts that the entries are well formed and canonical, that each back length matches
    /// its entry, and that the count matches.
    pub(super) fn check_invariants(&self) {
        assert!(self.head <= self.buf.len(), "free room within the buffer");
        let mut at = 0;
        let mut starts = Vec::new();
        while at < self.bytes_len() {
            let (entry, end) = decode(self.data(), at).expect("entries decode");
            assert!(!matches!(entry, Entry::Float(_)), "no floats in a list");
            assert_eq!(entry, entry.stored(), "entries are in stored form");
            assert_eq!(
                end - at,
                encoded_len(&entry),
                "entries take their shortest form"
            );
            let next = end + back_len_size(end - at);
            assert!(next <= self.bytes_len(), "a back length within the block");
            assert_eq!(read_back_len(self.data(), next), (end - at, end));
            starts.push(at);
            at = next;
        }
        assert_eq!(at, self.bytes_len(), "nothing after the last entry");
        assert_eq!(starts.len(), self.len(), "the count matches the entries");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(elements: &[&[u8]]) -> Block {
        let mut block = Block::default();
        for element in elements {
            block.push_back(&Entry::from_bytes(element));
        }
        block
    }

    #[test]
    fn a_block_is_taken_back_from_its_own_bytes_and_nothing_uncommon_is() {
        let long = vec![b'x'; 300];
        let block = block_of(&[b"a", b"12", b"-4096", b"70000", &long, b"0012"]);
        block.check_invariants();
        let again = Block::from_listpack(block.data(), Some(6)).expect("its own bytes");
        again.check_invariants();
        assert_eq!(again.data(), block.data());
        assert!(
            Block::from_listpack(block.data(), None).is_some(),
            "count unknown"
        );
        assert!(
            Block::from_listpack(block.data(), Some(5)).is_none(),
            "a wrong count"
        );
        assert!(Block::from_listpack(&[], None).is_none(), "no entries");
        // "12" as a string, 5 in 16 bits, a back length that lies, a cut entry, a back length
        // whose flags would walk out of the node read backwards.
        let uncommon: [&[u8]; 5] = [
            &[0x82, b'1', b'2', 3],
            &[0xF1, 5, 0, 3],
            &[0x81, b'a', 3],
            &[0x83, b'a', b'b'],
            &[0x80, 0x81],
        ];
        for bytes in uncommon {
            assert!(Block::from_listpack(bytes, None).is_none(), "{bytes:?}");
        }
    }

    #[test]
    fn back_lengths_take_redis_widths() {
        // An entry of 16,383 bytes (a 16,378-byte string and its 5-byte header) takes a
        // 3-byte back length in Redis's listpacks, one of 16,382 bytes 2.
        for (text, back) in [(16_378, 3), (16_377, 2)] {
            let block = block_of(&[&vec![b'x'; text]]);
            assert_eq!(block.data().len(), text + 5 + back);
            assert!(Block::from_listpack(block.data(), Some(1)).is_some());
        }
    }

    #[test]
    fn back_lengths_round_trip_at_every_width() {
        for len in [
            0,
            1,
            0x7F,
            0x80,
            0x3FFF,
            0x4000,
            0x1F_FFFF,
            0x20_0000,
            0xFFF_FFFF,
            0x1000_0000,
        ] {
            let size = back_len_size(len);
            let mut bytes = vec![0xAA; size + 3];
            write_back_len(len, &mut bytes[3..]);
            assert_eq!(read_back_len(&bytes, bytes.len()), (len, 3), "length {len}");
        }
    }
}
