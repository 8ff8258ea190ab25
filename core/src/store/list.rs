//! `List`: a sequence of byte strings as a chain of packed blocks (Redis's quicklist), so that
//! pushing and popping at either end is O(1), a short element costs a few bytes, and finding
//! the element at an index walks blocks, not elements.
//!
//! The blocks are `store::list_block::Block`s: entries back to back in one buffer, walkable
//! both ways, with free room at both ends. How big a block may grow is `BlockLimit`, from
//! `list-max-listpack-size`: a number of entries (and at most 8 KiB), or a number of bytes. A
//! block always takes at least one element, so an element bigger than the limit gets a block of
//! its own. No block is ever empty: a block emptied by a removal is dropped. A block that stops
//! being an end of its list (a new block is started next to it) gives its free room back.

use std::collections::VecDeque;
use std::fmt;

use super::list_block::{item_len, Block};
pub use super::list_block::{BlockLimit, End};
use super::listpack::Entry;

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

    /// Each block's element count and entries (a Redis listpack's body), front to back: an
    /// RDB file writes a list block by block, as Redis writes its quicklist's nodes.
    pub fn block_entries(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.blocks.iter().map(|block| (block.len(), block.data()))
    }

    /// Appends a whole block at the back (a list read from an RDB file, node by node) when
    /// `limit` holds it; gives it back otherwise, for its elements to be pushed one by one.
    pub fn push_block(&mut self, block: Block, limit: BlockLimit) -> Result<(), Block> {
        if !limit.holds(&block) {
            return Err(block);
        }
        if let Some(sealed) = self.blocks.back_mut() {
            // It stops being the list's end: it gives its room back, as in `push_entries`.
            sealed.shrink();
        }
        self.len += block.len();
        self.blocks.push_back(block);
        Ok(())
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
        self.push_entries(end, elements.map(Entry::from_bytes), limit);
    }

    /// `push_all` for elements already read as entries, each in the form it is stored in (a
    /// canonical integer as `Entry::Int`, as `Entry::from_bytes` gives it).
    pub fn push_entries<'e>(
        &mut self,
        end: End,
        entries: impl Iterator<Item = Entry<'e>> + Clone,
        limit: BlockLimit,
    ) {
        let mut rest = entries;
        loop {
            let mut sizes = rest.clone().map(|entry| item_len(&entry));
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
            for entry in rest.by_ref().take(taken) {
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
