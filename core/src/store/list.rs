//! `List`: a sequence of byte strings as a chain of packed blocks (Redis's quicklist), so that
//! pushing and popping at either end is O(1), a short element costs a few bytes, and finding
//! the element at an index walks blocks, not elements.
//!
//! A `Block` holds its entries back to back in one byte buffer, each written as a listpack
//! entry (`store::listpack`: a tag and a payload, integers in their shortest form) followed by
//! its *back length*: the entry's own size, written so that it can be read from its last byte
//! backwards. One byte holds sizes below 128; each further byte adds 7 bits, the high bit of a
//! byte saying whether another byte precedes it. So a block is walked forward by decoding
//! entries and backward by reading back lengths, and the last entry is found without a walk.
//!
//! The buffer keeps free room at both ends: room at the front for pushes at the head (`head`
//! counts it), spare capacity at the back for pushes at the tail. Either grows by an eighth of
//! the block when it runs out, so a push costs O(1) amortized and a block wastes at most about
//! an eighth; popping at the head only moves `head`. A block that stops being an end of its
//! list (a new block is started next to it) gives its free room back.
//!
//! How big a block may grow is `BlockLimit`, from `list-max-listpack-size`: a number of entries
//! (and at most 8 KiB), or a number of bytes. A block always takes at least one element, so an
//! element bigger than the limit gets a block of its own. No block is ever empty: a block
//! emptied by a removal is dropped.

use std::collections::VecDeque;
use std::fmt;

use super::listpack::{decode, encode_into, encoded_len, Entry};

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
    fn allows(self, block: &Block, item_bytes: usize) -> bool {
        self.fits(block.len(), block.bytes_len(), item_bytes)
    }

    /// Whether a block of `entries` entries and `bytes` bytes may take one more entry of
    /// `item_bytes` bytes.
    fn fits(self, entries: usize, bytes: usize, item_bytes: usize) -> bool {
        let bytes = bytes.saturating_add(item_bytes);
        match self {
            BlockLimit::Entries(max) => entries < max && bytes <= ENTRIES_LIMIT_BYTES_MAX,
            BlockLimit::Bytes(max) => bytes <= max,
        }
    }

    /// Whether `block` is within the limit (a block of one entry always is).
    fn holds(self, block: &Block) -> bool {
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

/// Bytes a back length of `len` takes.
fn back_len_size(len: usize) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0xFFF_FFFF => 4,
        _ => 5,
    }
}

/// Writes the back length `len` into `out` (exactly `back_len_size(len)` bytes): the last byte
/// holds the lowest 7 bits, each byte before it the next 7; every byte but the first has its
/// high bit set.
fn write_back_len(len: usize, out: &mut [u8]) {
    let last = out.len() - 1;
    for (index, byte) in out.iter_mut().enumerate() {
        let bits = ((len >> (7 * (last - index))) & 0x7F) as u8;
        *byte = if index == 0 { bits } else { bits | 0x80 };
    }
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
fn item_len(entry: &Entry<'_>) -> usize {
    let len = encoded_len(entry);
    len + back_len_size(len)
}

/// Writes an element (`entry` in stored form) into `out`, exactly `item_len(entry)` bytes.
fn write_item(entry: &Entry<'_>, out: &mut [u8]) {
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
    fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// The entry at offset `at` and the offset of the next one.
    fn entry(&self, at: usize) -> (Entry<'_>, usize) {
        let data = self.data();
        let (entry, end) = decode(data, at).expect("a block's offsets are entry boundaries");
        (entry, end + back_len_size(end - at))
    }

    /// Offset of the entry that ends at `end` (`end` > 0).
    fn before(&self, end: usize) -> usize {
        let (len, back_start) = read_back_len(self.data(), end);
        back_start - len
    }

    /// Offset of entry number `index` (`index == len()` gives the end), walked from the nearer
    /// end of the block.
    fn offset_of(&self, index: usize) -> usize {
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

    fn push_back(&mut self, entry: &Entry<'_>) {
        let size = item_len(entry);
        self.reserve(End::Back, size);
        let end = self.buf.len();
        self.buf.resize(end + size, 0);
        write_item(entry, &mut self.buf[end..]);
        self.count += 1;
    }

    /// Makes room for `bytes` more bytes at `end` at once, so that pushing them does not grow
    /// the buffer again: exactly that much when it is more than the usual growth.
    fn reserve(&mut self, end: End, bytes: usize) {
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

    fn push_front(&mut self, entry: &Entry<'_>) {
        let size = item_len(entry);
        self.reserve(End::Front, size);
        self.head -= size;
        let start = self.head;
        write_item(entry, &mut self.buf[start..start + size]);
        self.count += 1;
    }

    /// Inserts an entry at offset `at` (an entry boundary or the end).
    fn insert(&mut self, at: usize, entry: &Entry<'_>) {
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
    fn replace(&mut self, at: usize, entry: &Entry<'_>) {
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
    fn remove(&mut self, at: usize, stop: usize, count: usize) {
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
    fn split_off(&mut self, at: usize, index: usize) -> Block {
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
    fn retain(&mut self, mut keep: impl FnMut(&Entry<'_>) -> bool) -> usize {
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
    fn shrink(&mut self) {
        if self.head > 0 {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.shrink_to_fit();
    }

    /// The entries in order.
    fn entries(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
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
    fn check_invariants(&self) {
        assert!(self.head <= self.buf.len(), "free room within the buffer");
        let mut at = 0;
        let mut starts = Vec::new();
        while at < self.bytes_len() {
            let (entry, end) = decode(self.data(), at).expect("entries decode");
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

/// A list of byte strings: blocks in order; see the module documentation.
#[derive(Clone, Default)]
pub struct List {
    blocks: VecDeque<Block>,
    len: usize,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of blocks (each one allocation).
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// The blocks, to be dropped one at a time (lazy free).
    pub fn into_blocks(self) -> impl Iterator<Item = Block> + Send {
        self.blocks.into_iter()
    }

    /// Bytes held outside the `List` itself: the block array and every block's buffer.
    pub fn memory_bytes(&self) -> usize {
        self.blocks.capacity() * std::mem::size_of::<Block>()
            + self.blocks.iter().map(Block::capacity).sum::<usize>()
    }

    /// Adds an element at `end`, in the block there if `limit` lets it grow, else in a new one.
    pub fn push(&mut self, end: End, bytes: &[u8], limit: BlockLimit) {
        self.push_all(end, std::iter::once(bytes), limit);
    }

    /// Adds the elements at `end` one after the other (at the front, the last one ends up
    /// first), filling the block there while `limit` lets it grow, then new ones. Each block
    /// makes room for what it takes in one step.
    pub fn push_all<'e>(
        &mut self,
        end: End,
        elements: impl Iterator<Item = &'e [u8]> + Clone,
        limit: BlockLimit,
    ) {
        let mut rest = elements;
        loop {
            let mut sizes = rest
                .clone()
                .map(|bytes| item_len(&Entry::from_bytes(bytes)));
            let Some(first) = sizes.next() else {
                return;
            };
            let block = match end {
                End::Front => self.blocks.front_mut(),
                End::Back => self.blocks.back_mut(),
            };
            match block {
                Some(block) if limit.allows(block, first) => {}
                other => {
                    // The block there is full: it stops being an end and gives its room back.
                    if let Some(sealed) = other {
                        sealed.shrink();
                    }
                    if self.blocks.capacity() == 0 {
                        // Most lists fit one block: no room for more until they need it.
                        self.blocks.reserve_exact(1);
                    }
                    match end {
                        End::Front => self.blocks.push_front(Block::default()),
                        End::Back => self.blocks.push_back(Block::default()),
                    }
                }
            }
            let block = match end {
                End::Front => self.blocks.front_mut(),
                End::Back => self.blocks.back_mut(),
            }
            .expect("a block at the end");
            // Always the first (a new block takes an element bigger than the limit), then as
            // many as the limit lets in.
            let (mut entries, mut bytes, mut taken) =
                (block.len() + 1, block.bytes_len() + first, 1);
            for size in sizes {
                if !limit.fits(entries, bytes, size) {
                    break;
                }
                (entries, bytes, taken) = (entries + 1, bytes + size, taken + 1);
            }
            block.reserve(end, bytes - block.bytes_len());
            for element in rest.by_ref().take(taken) {
                let entry = Entry::from_bytes(element);
                match end {
                    End::Front => block.push_front(&entry),
                    End::Back => block.push_back(&entry),
                }
            }
            self.len += taken;
        }
    }

    /// The element at `end`.
    pub fn peek(&self, end: End) -> Option<Entry<'_>> {
        match end {
            End::Front => self.get(0),
            End::Back => self.len.checked_sub(1).and_then(|last| self.get(last)),
        }
    }

    /// Removes the element at `end`, if any; says whether there was one.
    pub fn pop(&mut self, end: End) -> bool {
        let Some(last) = self.len.checked_sub(1) else {
            return false;
        };
        self.remove_range(if end == End::Front { 0 } else { last }, 1);
        true
    }

    /// The block holding element `index` and the element's offset in it, walking blocks from
    /// the nearer end of the list, then entries from the nearer end of the block. `index` must
    /// be below `len()`.
    fn locate(&self, index: usize) -> (usize, usize, usize) {
        let (block, within) = if index < self.len / 2 {
            let mut left = index;
            let mut found = 0;
            for (number, block) in self.blocks.iter().enumerate() {
                if left < block.len() {
                    found = number;
                    break;
                }
                left -= block.len();
            }
            (found, left)
        } else {
            let mut from_end = self.len - 1 - index;
            let mut found = 0;
            for (number, block) in self.blocks.iter().enumerate().rev() {
                if from_end < block.len() {
                    found = number;
                    break;
                }
                from_end -= block.len();
            }
            (found, self.blocks[found].len() - 1 - from_end)
        };
        (block, self.blocks[block].offset_of(within), within)
    }

    /// The element at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        (index < self.len).then(|| {
            let (block, at, _) = self.locate(index);
            self.blocks[block].entry(at).0
        })
    }

    /// Replaces the element at `index` (below `len()`). A block that grows past `limit` is
    /// split so that the element has a block of its own.
    pub fn set(&mut self, index: usize, bytes: &[u8], limit: BlockLimit) {
        let (number, at, within) = self.locate(index);
        let block = &mut self.blocks[number];
        block.replace(at, &Entry::from_bytes(bytes));
        if !limit.holds(block) {
            let next = block.entry(at).1;
            let after = block.split_off(next, within + 1);
            let element = block.split_off(at, within);
            let pieces = [element, after]
                .into_iter()
                .filter(|piece| !piece.is_empty());
            for (place, piece) in (number + 1..).zip(pieces) {
                self.blocks.insert(place, piece);
            }
            if self.blocks[number].is_empty() {
                self.blocks.remove(number);
            }
        }
    }

    /// Inserts an element before element `index` (`index == len()` appends). A full block is
    /// split at the place of the insertion.
    pub fn insert(&mut self, index: usize, bytes: &[u8], limit: BlockLimit) {
        if index == 0 || index >= self.len {
            let end = if index == 0 { End::Front } else { End::Back };
            return self.push(end, bytes, limit);
        }
        let entry = Entry::from_bytes(bytes);
        let size = item_len(&entry);
        let (number, at, within) = self.locate(index);
        if limit.allows(&self.blocks[number], size) {
            self.blocks[number].insert(at, &entry);
        } else if within == 0 && limit.allows(&self.blocks[number - 1], size) {
            self.blocks[number - 1].push_back(&entry);
        } else {
            // Between two blocks: the left one, the right one, or one of its own.
            let right = if within == 0 {
                number
            } else {
                let rest = self.blocks[number].split_off(at, within);
                self.blocks.insert(number + 1, rest);
                number + 1
            };
            let left = right - 1;
            if limit.allows(&self.blocks[left], size) {
                self.blocks[left].push_back(&entry);
            } else if limit.allows(&self.blocks[right], size) {
                self.blocks[right].push_front(&entry);
            } else {
                let mut block = Block::default();
                block.push_back(&entry);
                self.blocks.insert(right, block);
            }
        }
        self.len += 1;
    }

    /// Removes `count` elements starting at element `first` (the range must lie within the
    /// list), dropping every block it empties.
    pub fn remove_range(&mut self, first: usize, count: usize) {
        assert!(
            first
                .checked_add(count)
                .is_some_and(|stop| stop <= self.len),
            "a removed range lies within the list"
        );
        if count == 0 {
            return;
        }
        let (mut number, mut at, mut within) = self.locate(first);
        let mut left = count;
        while left > 0 {
            let block = &mut self.blocks[number];
            let taken = left.min(block.len() - within);
            let stop = if within + taken == block.len() {
                block.bytes_len()
            } else {
                (0..taken).fold(at, |at, _| block.entry(at).1)
            };
            block.remove(at, stop, taken);
            left -= taken;
            if block.is_empty() {
                self.blocks.remove(number);
            } else {
                number += 1;
            }
            (at, within) = (0, 0);
        }
        self.len -= count;
    }

    /// Keeps only elements `start..=stop` (LTRIM); an empty range empties the list.
    pub fn trim(&mut self, start: usize, stop: usize) {
        if start > stop || start >= self.len {
            *self = List::default();
            return;
        }
        let stop = stop.min(self.len - 1);
        self.remove_range(stop + 1, self.len - stop - 1);
        self.remove_range(0, start);
    }

    /// Removes elements equal to `needle`: at most `limit` of them (0: all), the first ones or,
    /// `from_back`, the last ones. Returns how many were removed.
    pub fn remove_matching(&mut self, needle: &[u8], limit: usize, from_back: bool) -> usize {
        let needle = Entry::from_bytes(needle);
        let mut left = if limit == 0 { usize::MAX } else { limit };
        let order: Vec<usize> = if from_back {
            (0..self.blocks.len()).rev().collect()
        } else {
            (0..self.blocks.len()).collect()
        };
        let mut removed = 0;
        for number in order {
            if left == 0 {
                break;
            }
            let block = &mut self.blocks[number];
            let matches = block.entries().filter(|entry| entry.is(&needle)).count();
            if matches == 0 {
                continue;
            }
            let taken = matches.min(left);
            // From the back, the block's last `taken` matches go; otherwise its first.
            let mut skip = if from_back { matches - taken } else { 0 };
            let mut take = taken;
            block.retain(|entry| {
                if take == 0 || !entry.is(&needle) {
                    return true;
                }
                if skip > 0 {
                    skip -= 1;
                    return true;
                }
                take -= 1;
                false
            });
            left -= taken;
            removed += taken;
        }
        self.blocks.retain(|block| !block.is_empty());
        self.len -= removed;
        removed
    }

    /// The elements in order; reversible.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// The elements from element `index` on (none when `index >= len()`); reversible, the
    /// reverse walk starting at the last element.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        let back = match self.blocks.back() {
            Some(block) => (self.blocks.len() - 1, block.bytes_len()),
            None => (0, 0),
        };
        if index >= self.len {
            return Iter {
                blocks: &self.blocks,
                front: (0, 0),
                back,
                remaining: 0,
            };
        }
        let (block, at, _) = self.locate(index);
        Iter {
            blocks: &self.blocks,
            front: (block, at),
            back,
            remaining: self.len - index,
        }
    }

    /// Asserts what a list keeps true: every block well formed and non-empty, the counts adding
    /// up, and the forward and backward walks agreeing.
    pub fn check_invariants(&self) {
        let mut total = 0;
        for block in &self.blocks {
            block.check_invariants();
            assert!(!block.is_empty(), "no block is empty");
            total += block.len();
        }
        assert_eq!(total, self.len, "the blocks' counts add up to the length");
        let forward: Vec<Entry<'_>> = self.iter().collect();
        let mut backward: Vec<Entry<'_>> = self.iter().rev().collect();
        backward.reverse();
        assert_eq!(forward, backward, "both walks see the same elements");
        assert_eq!(forward.len(), self.len);
    }

    /// Asserts that every block is within `limit` (a block of one entry always is).
    pub fn check_limit(&self, limit: BlockLimit) {
        for block in &self.blocks {
            assert!(limit.holds(block), "a block within {limit:?}");
        }
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|entry| String::from_utf8_lossy(&entry.to_vec()).into_owned()),
            )
            .finish()
    }
}

/// A walk over a list's elements from both ends; `remaining` stops the two from crossing.
pub struct Iter<'a> {
    blocks: &'a VecDeque<Block>,
    /// Block number and offset of the next element from the front.
    front: (usize, usize),
    /// Block number and offset just past the next element from the back.
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let blocks: &'a VecDeque<Block> = self.blocks;
        let (mut number, mut at) = self.front;
        if at == blocks[number].bytes_len() {
            (number, at) = (number + 1, 0);
        }
        let (entry, next) = blocks[number].entry(at);
        self.front = (number, next);
        self.remaining -= 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Entry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let blocks: &'a VecDeque<Block> = self.blocks;
        let (mut number, mut end) = self.back;
        if end == 0 {
            number -= 1;
            end = blocks[number].bytes_len();
        }
        let block = &blocks[number];
        let at = block.before(end);
        self.back = (number, at);
        self.remaining -= 1;
        Some(block.entry(at).0)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
