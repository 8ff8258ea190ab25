//! `ChunkedVec<T>`: a vector kept in fixed-size chunks, for slabs that grow large.
//!
//! A plain `Vec` doubles: a push that outgrows it copies (or remaps) everything, one operation
//! pays O(n), and up to half of the allocation sits unused. Here only the first chunk grows, by a
//! quarter at a time (small collections stay small); after it, chunks of `CHUNK_LEN` are added and never
//! moved, so growth costs O(1) per push and the spare room is at most one chunk.

use std::ops::{Index, IndexMut};

/// Elements per chunk. A power of two, so indexing is a shift and a mask.
const CHUNK_LEN: usize = 4096;
/// The first chunk grows by at least this many elements at a time.
const FIRST_CHUNK_GROWTH_MIN: usize = 4;

pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
    /// One emptied chunk kept back, so that pushes and pops across a chunk boundary do not
    /// allocate and free a chunk each time.
    spare: Option<Vec<T>>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
            spare: None,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK_LEN) && self.len / CHUNK_LEN == self.chunks.len() {
            let chunk = if self.chunks.is_empty() {
                Vec::new()
            } else {
                self.spare
                    .take()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK_LEN))
            };
            self.chunks.push(chunk);
        }
        let chunk = self.chunks.last_mut().expect("a chunk was ensured");
        debug_assert!(chunk.len() < CHUNK_LEN);
        if chunk.len() == chunk.capacity() {
            // Only the first chunk grows (later ones are made whole). By a quarter, not double:
            // a small collection (a set of ten members) wastes at most a quarter of its slab,
            // and growth stays amortised O(1).
            let more = (chunk.len() / 4).clamp(FIRST_CHUNK_GROWTH_MIN, CHUNK_LEN - chunk.len());
            chunk.reserve_exact(more);
        }
        chunk.push(value);
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<T> {
        let chunk = self.chunks.last_mut()?;
        let value = chunk.pop()?;
        self.len -= 1;
        if chunk.is_empty() && self.chunks.len() > 1 {
            let emptied = self.chunks.pop().expect("checked above");
            self.spare = Some(emptied);
        }
        Some(value)
    }

    /// Removes element `index`, moving the last element into its place.
    pub fn swap_remove(&mut self, index: usize) -> T {
        assert!(
            index < self.len,
            "swap_remove index {index} out of {}",
            self.len
        );
        let last = self.pop().expect("not empty");
        if index == self.len {
            last
        } else {
            std::mem::replace(&mut self[index], last)
        }
    }

    /// Exchanges elements `a` and `b`.
    pub fn swap(&mut self, a: usize, b: usize) {
        assert!(
            a < self.len && b < self.len,
            "swap of {a} and {b} out of {}",
            self.len
        );
        let (low, high) = (a.min(b), a.max(b));
        let (low_chunk, high_chunk) = (low / CHUNK_LEN, high / CHUNK_LEN);
        if low_chunk == high_chunk {
            self.chunks[low_chunk].swap(low % CHUNK_LEN, high % CHUNK_LEN);
        } else {
            let (before, from_high) = self.chunks.split_at_mut(high_chunk);
            std::mem::swap(
                &mut before[low_chunk][low % CHUNK_LEN],
                &mut from_high[0][high % CHUNK_LEN],
            );
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Gives back the spare chunk and the first chunk's unused room.
    pub fn trim(&mut self) {
        self.spare = None;
        if self.chunks.len() == 1 {
            self.chunks[0].shrink_to_fit();
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ChunkedVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> IntoIterator for ChunkedVec<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

impl<T> Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK_LEN][index % CHUNK_LEN]
    }
}

impl<T> IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index / CHUNK_LEN][index % CHUNK_LEN]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec((0u8..5, any::<u32>()), 0..20_000)) {
            let mut chunked = ChunkedVec::default();
            let mut model = Vec::new();
            for (kind, value) in ops {
                match kind {
                    0 | 1 => {
                        chunked.push(value);
                        model.push(value);
                    }
                    2 => prop_assert_eq!(chunked.pop(), model.pop()),
                    3 if !model.is_empty() => {
                        // Far apart often enough to cross chunks.
                        let a = value as usize % model.len();
                        let b = (value as usize).wrapping_mul(7919) % model.len();
                        chunked.swap(a, b);
                        model.swap(a, b);
                    }
                    _ if !model.is_empty() => {
                        let index = value as usize % model.len();
                        prop_assert_eq!(chunked.swap_remove(index), model.swap_remove(index));
                    }
                    _ => {}
                }
                prop_assert_eq!(chunked.len(), model.len());
            }
            prop_assert!(chunked.iter().eq(model.iter()));
            for (index, value) in model.iter().enumerate() {
                prop_assert_eq!(chunked[index], *value);
            }
            chunked.trim();
            prop_assert!(chunked.into_iter().eq(model.into_iter()));
        }
    }
}
