//! `HashTable<V>`: the keyspace's dictionary, keyed by byte strings.
//!
//! A chained hashtable with Redis's progressive rehashing and Redis's reverse-binary SCAN cursor, laid
//! out with indices instead of pointers:
//!
//! - `nodes` is a dense slab: entry number `i` lives in `nodes[i]`, with no holes. Removal is a
//!   `swap_remove` that relinks the node moved from the end. A dense slab makes `iter` a linear walk
//!   and `entry_at` (Redis's `dictGetFairRandomKey`) O(1) and uniform, without Redis's detour through
//!   random buckets that favours keys in short chains.
//! - `tables[0]` and `tables[1]` hold bucket heads. While resizing, `tables[0]` is the old table and
//!   `tables[1]` the new one; otherwise `tables[1]` is empty. Rehashing only relinks `u32` indices: no
//!   node is copied or moved.
//! - Links are `u32` holding `slot + 1`, so that 0 means "no node". With 0 as the empty marker a new
//!   bucket array is `vec![0; n]`, which the allocator serves from lazily zeroed pages: starting a resize
//!   of a big table does not touch every bucket up front (Redis relies on `calloc` the same way).
//! - Keys up to `INLINE_KEY_BYTES_MAX` bytes are stored inside the node, so a small key and its value
//!   share one allocation (the slab's); longer keys go to the heap.
//!
//! The node keeps no hash: rehashing and relinking hash the key again (foldhash is a few
//! nanoseconds for a short key), and a chain walk compares key bytes directly. Chains average
//! under one node, and the 4 or 8 bytes saved per entry are a tenth of a small key's cost.
//!
//! Memory per entry with a 10-byte key and a 16-byte value: a 48-byte node, 4 bytes of bucket head per
//! bucket (between 1 and 8 buckets per entry, about 1.5 on average after a grow), so about 54 bytes.
//! Redis spends about 88 bytes on the same key.
//!
//! The slab is a `ChunkedVec`: it grows by fixed chunks, so no push ever copies the slab (no O(len)
//! step hides in an insert) and the spare room is at most one chunk, not half the slab.
//!
//! The hash is foldhash keyed with the table's seed (as its per-hasher seed; the shared seed is
//! foldhash's fixed one, so that a table does not carry 48 bytes of it: small hashes and sets are
//! many), so that a client cannot aim many keys at one chain without knowing the seed, and a given
//! seed gives the same behaviour on every run (the core is deterministic).
//!
//! Slots: entry `i` of the slab is in slot `i`, for `0 <= i < len`. A slot changes hands only when
//! `remove_entry` moves the last entry into the removed one's slot, `swap_slots` exchanges two, or an
//! insert appends at `len`; rehashing never moves an entry. A keyspace snapshot walks the slots in
//! order and relies on exactly this (see store/snapshot.rs).
//!
//! Limit: at most `LEN_MAX` entries, because links are `u32`; `insert` panics beyond it.
use core::fmt;
use core::hash::Hasher;
use core::mem;

use foldhash::fast::FoldHasher;
use foldhash::SharedSeed;

use crate::store::bytes::SmallBytes;
use crate::store::chunked::ChunkedVec;

/// Buckets of the old table that each mutating operation moves to the new one (Redis moves 1).
pub const REHASH_BUCKETS_PER_OPERATION: usize = 1;
/// Empty buckets a rehash step may skip per bucket it was asked to move, so that a step over a sparse
/// table stays bounded (Redis's `empty_visits = n * 10`).
pub const REHASH_EMPTY_VISITS_PER_BUCKET: usize = 10;
/// The smallest bucket array; the table never shrinks below it (Redis's `DICT_HT_INITIAL_SIZE`).
pub const BUCKETS_MIN: usize = 4;
/// Shrink when fewer than one entry per `SHRINK_BUCKETS_PER_ENTRY` buckets (Redis's `HASHTABLE_MIN_FILL`).
/// Growth happens above one entry per bucket; the gap between the two keeps a table that hovers around
/// a size from resizing back and forth.
pub const SHRINK_BUCKETS_PER_ENTRY: usize = 8;
/// The most entries a table holds: links are `u32` storing `slot + 1`, with 0 reserved for "none".
pub const LEN_MAX: usize = u32::MAX as usize - 2;
/// Keys up to this length are stored inline in the node.
pub const INLINE_KEY_BYTES_MAX: usize = crate::store::bytes::INLINE_BYTES_MAX;

/// A link to a node: `slot + 1`, or `END`.
type Link = u32;
const END: Link = 0;

fn link_to(slot: usize) -> Link {
    debug_assert!(slot < LEN_MAX);
    (slot + 1) as Link
}

fn slot_of(link: Link) -> Option<usize> {
    (link != END).then(|| link as usize - 1)
}

fn bucket_index(hash: u32, heads: &[Link]) -> usize {
    debug_assert!(heads.len().is_power_of_two());
    hash as usize & (heads.len() - 1)
}

struct Node<V, M> {
    key: SmallBytes,
    value: V,
    /// The next node in the same bucket chain.
    next: Link,
    /// What the owner keeps beside the entry (the keyspace: its access clock); `()` costs nothing,
    /// and a `u32` fits in the padding a 24-byte value leaves.
    meta: M,
}

/// Where a link to a node is stored: a bucket head or the previous node in the chain.
#[derive(Clone, Copy)]
enum LinkSite {
    Bucket { table: usize, index: usize },
    Next { slot: usize },
}

/// A found node: the table whose chain holds it, the site that links to it, and its slot.
struct Found {
    table: usize,
    site: LinkSite,
    slot: usize,
}

/// A map from byte strings to `V` with progressive rehashing and a resize-proof SCAN cursor; see the
/// module documentation for the layout and its limits. `M` is a small value kept beside each entry
/// (the keyspace's access clock); a new entry starts with `M::default()`.
pub struct HashTable<V, M = ()> {
    nodes: ChunkedVec<Node<V, M>>,
    /// Bucket heads. Both are powers of two of at least `BUCKETS_MIN` while rehashing; `tables[1]` is
    /// empty otherwise.
    tables: [Vec<Link>; 2],
    /// Entries linked from each table; rehashing is complete when `table_lens[0]` reaches 0, which
    /// (like Redis) ends a shrink without walking the old table's empty tail.
    table_lens: [u32; 2],
    /// The buckets `reserve` set up for entries still to come, as a power of two's exponent (0
    /// for none): the table keeps them, whatever its length, until an entry is removed.
    reserved_log2: u8,
    /// While rehashing, every bucket of `tables[0]` below this index is empty (already moved). 0 otherwise.
    rehash_index: usize,
    seed: u64,
}

impl<V> HashTable<V> {
    /// An empty table keyed by `seed`, with nothing beside its entries.
    pub fn new(seed: u64) -> Self {
        HashTable::with_meta(seed)
    }
}

impl<V, M: Copy + Default> HashTable<V, M> {
    /// The seed this table was made with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An empty table keyed by `seed`, keeping an `M` beside each entry.
    pub fn with_meta(seed: u64) -> Self {
        HashTable {
            nodes: ChunkedVec::default(),
            tables: [vec![END; BUCKETS_MIN], Vec::new()],
            table_lens: [0, 0],
            reserved_log2: 0,
            rehash_index: 0,
            seed,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let found = self.find(key, self.hash(key))?;
        Some(&self.nodes[found.slot].value)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        let found = self.find(key, self.hash(key))?;
        let node = &self.nodes[found.slot];
        Some((node.key.as_bytes(), &node.value))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key, self.hash(key)).is_some()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.advance_rehash(REHASH_BUCKETS_PER_OPERATION);
        let found = self.find(key, self.hash(key))?;
        Some(&mut self.nodes[found.slot].value)
    }

    /// Inserts or replaces; returns the old value if the key existed (the stored key bytes and the
    /// entry's meta are kept).
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.insert_with_meta(key, value, |old| old.unwrap_or_default())
    }

    /// `insert`, setting the entry's meta to `meta(the old meta, if the key existed)`.
    pub fn insert_with_meta(
        &mut self,
        key: &[u8],
        value: V,
        meta: impl FnOnce(Option<M>) -> M,
    ) -> Option<V> {
        self.advance_rehash(REHASH_BUCKETS_PER_OPERATION);
        let hash = self.hash(key);
        if let Some(found) = self.find(key, hash) {
            let node = &mut self.nodes[found.slot];
            node.meta = meta(Some(node.meta));
            return Some(mem::replace(&mut node.value, value));
        }
        let slot = self.push_node(key, value, hash);
        self.nodes[slot].meta = meta(None);
        None
    }

    /// The value with write access to its meta (a read that leaves a mark, such as the keyspace's
    /// access clock). Like `get`, this moves no rehash step.
    pub fn get_marking(&mut self, key: &[u8]) -> Option<(&V, &mut M)> {
        let found = self.find(key, self.hash(key))?;
        let node = &mut self.nodes[found.slot];
        Some((&node.value, &mut node.meta))
    }

    /// `get_mut` with write access to the entry's meta too.
    pub fn get_mut_marking(&mut self, key: &[u8]) -> Option<(&mut V, &mut M)> {
        self.advance_rehash(REHASH_BUCKETS_PER_OPERATION);
        let found = self.find(key, self.hash(key))?;
        let node = &mut self.nodes[found.slot];
        Some((&mut node.value, &mut node.meta))
    }

    /// The entry's meta.
    pub fn meta(&self, key: &[u8]) -> Option<M> {
        let found = self.find(key, self.hash(key))?;
        Some(self.nodes[found.slot].meta)
    }

    /// Returns the value for key, inserting `make()` first if absent; bool = inserted.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (&mut V, bool) {
        self.advance_rehash(REHASH_BUCKETS_PER_OPERATION);
        let hash = self.hash(key);
        match self.find(key, hash) {
            Some(found) => (&mut self.nodes[found.slot].value, false),
            None => {
                let slot = self.push_node(key, make(), hash);
                (&mut self.nodes[slot].value, true)
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, value)| value)
    }

    /// Removes and returns key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        self.advance_rehash(REHASH_BUCKETS_PER_OPERATION);
        let found = self.find(key, self.hash(key))?;
        let next = self.nodes[found.slot].next;
        self.set_link(found.site, next);
        self.table_lens[found.table] -= 1;
        self.reserved_log2 = 0;

        // Keep the slab dense: the last node takes the freed slot, so the one link to it must follow.
        let last = self.nodes.len() - 1;
        if found.slot != last {
            let moved = self
                .find_node(self.hash(self.nodes[last].key.as_bytes()), |slot| {
                    slot == last
                })
                .expect("every node is linked from its bucket chain");
            self.set_link(moved.site, link_to(found.slot));
        }
        let node = self.nodes.swap_remove(found.slot);
        self.resize_if_needed();
        Some((node.key.into_boxed(), node.value))
    }

    pub fn is_rehashing(&self) -> bool {
        !self.tables[1].is_empty()
    }

    /// Moves up to `buckets` buckets of the old table (skipping at most
    /// `buckets * REHASH_EMPTY_VISITS_PER_BUCKET` empty ones) and starts a resize if one is due.
    /// Returns true while rehashing is still in progress. The server calls this from its timer so that
    /// an idle table finishes its resize (Redis's `databasesCron` does the same).
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        self.advance_rehash(buckets);
        self.is_rehashing()
    }

    /// Calls `visit` for the entries of one cursor step; returns the next cursor (0 = done).
    ///
    /// Redis's `dictScan`: the cursor counts with its bits reversed over the bucket mask, so that the
    /// buckets a bucket splits into (on grow) or merges with (on shrink) are visited together relative to
    /// it. Every key present for the whole scan is returned at least once even if the table resizes
    /// between calls; keys may be returned more than once. While rehashing, one step visits a bucket of
    /// the smaller table and every bucket of the larger table that expands from it.
    pub fn scan<'t>(&'t self, cursor: u64, mut visit: impl FnMut(&'t [u8], &'t V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut cursor = cursor;
        if !self.is_rehashing() {
            let mask = self.tables[0].len() as u64 - 1;
            self.visit_bucket(0, (cursor & mask) as usize, &mut visit);
            return next_cursor(cursor, mask);
        }
        let (small, large) = if self.tables[0].len() < self.tables[1].len() {
            (0, 1)
        } else {
            (1, 0)
        };
        let small_mask = self.tables[small].len() as u64 - 1;
        let large_mask = self.tables[large].len() as u64 - 1;
        self.visit_bucket(small, (cursor & small_mask) as usize, &mut visit);
        loop {
            self.visit_bucket(large, (cursor & large_mask) as usize, &mut visit);
            cursor = next_cursor(cursor, large_mask);
            // The expansions of one small bucket differ only in the bits of the larger mask; once those
            // wrap to zero the carry has moved the cursor on to the next small bucket.
            if cursor & (small_mask ^ large_mask) == 0 {
                return cursor;
            }
        }
    }

    /// Iterates every entry in slab order (deterministic for a given sequence of operations).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.nodes
            .iter()
            .map(|node| (node.key.as_bytes(), &node.value))
    }

    /// Entry number `index % len` in slab order (the caller passes a seeded random number): O(1).
    pub fn entry_at(&self, index: usize) -> Option<(&[u8], &V)> {
        if self.is_empty() {
            return None;
        }
        let node = &self.nodes[index % self.nodes.len()];
        Some((node.key.as_bytes(), &node.value))
    }

    /// `entry_at` with the entry's meta.
    pub fn entry_with_meta_at(&self, index: usize) -> Option<(&[u8], &V, M)> {
        if self.is_empty() {
            return None;
        }
        let node = &self.nodes[index % self.nodes.len()];
        Some((node.key.as_bytes(), &node.value, node.meta))
    }

    /// The slot holding `key`. Unlike the writes, this moves no rehash step.
    pub fn slot_of(&self, key: &[u8]) -> Option<usize> {
        self.find(key, self.hash(key)).map(|found| found.slot)
    }

    /// The entry in `slot` (below `len`).
    pub fn entry_in_slot(&self, slot: usize) -> (&[u8], &V) {
        let node = &self.nodes[slot];
        (node.key.as_bytes(), &node.value)
    }

    /// The meta of the entry in slot `slot` (below `len`).
    pub fn meta_in_slot(&self, slot: usize) -> M {
        self.nodes[slot].meta
    }

    /// Every entry with its meta, in slab order.
    pub fn iter_with_meta(&self) -> impl Iterator<Item = (&[u8], &V, M)> {
        self.nodes
            .iter()
            .map(|node| (node.key.as_bytes(), &node.value, node.meta))
    }

    /// Exchanges the entries in slots `a` and `b` (both below `len`); each stays in its bucket. Two
    /// chain walks, like two lookups.
    pub fn swap_slots(&mut self, a: usize, b: usize) {
        assert!(
            a < self.len() && b < self.len(),
            "slots {a} and {b} out of {}",
            self.len()
        );
        if a == b {
            return;
        }
        // Unlink both (b's link site is looked up after a's unlinking, which may have been it),
        // exchange the nodes, and link each again at the head of the chain it left.
        let unlinked_a = self.unlink_slot(a);
        let unlinked_b = self.unlink_slot(b);
        self.nodes.swap(a, b);
        self.link_at_head(unlinked_a, b);
        self.link_at_head(unlinked_b, a);
    }

    /// Removes every entry, returning the values (the server may hand big ones to another thread to drop).
    pub fn drain_values(&mut self) -> Vec<V> {
        self.take()
            .nodes
            .into_iter()
            .map(|node| node.value)
            .collect()
    }

    /// The values, consuming the table lazily: its node memory is given back a chunk at a time
    /// as the iterator moves on (see `server::Garbage`).
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.nodes.into_iter().map(|node| node.value)
    }

    /// Returns the full table and leaves an empty one with the same seed. Cheaper than `drain_values`
    /// for handing a whole keyspace to another thread: nothing is walked here.
    pub fn take(&mut self) -> HashTable<V, M> {
        mem::replace(self, HashTable::with_meta(self.seed))
    }

    /// Bytes held by nodes and bucket heads (not the heap blocks of long keys): what MEMORY
    /// USAGE reports for a table, cheaply.
    pub fn memory_bytes(&self) -> usize {
        self.nodes.len() * mem::size_of::<Node<V, M>>()
            + self.bucket_count() * mem::size_of::<Link>()
    }

    /// Buckets of both tables.
    pub fn bucket_count(&self) -> usize {
        self.tables[0].len() + self.tables[1].len()
    }

    /// Panics unless every node is reachable exactly once from exactly one table, in the right bucket
    /// for its hash, with no dangling link, and the sizes, counts and rehash index agree.
    pub fn check_invariants(&self) {
        let len = self.nodes.len();
        assert!(len <= LEN_MAX);
        for (table, heads) in self.tables.iter().enumerate() {
            if table == 0 || !heads.is_empty() {
                assert!(heads.len().is_power_of_two() && heads.len() >= BUCKETS_MIN);
            }
        }
        if self.is_rehashing() {
            assert_ne!(self.tables[0].len(), self.tables[1].len());
            assert!(self.rehash_index < self.tables[0].len());
            assert!(
                self.table_lens[0] > 0,
                "a rehash with nothing left to move is finished"
            );
            assert!(
                self.tables[0][..self.rehash_index]
                    .iter()
                    .all(|&head| head == END),
                "buckets below the rehash index have been moved"
            );
            // Each operation advances the rehash index, so inserts during a resize are bounded by the
            // old table's size, and a resize starts with len at most the new table's size.
            assert!(len <= self.bucket_count());
        } else {
            assert_eq!(self.rehash_index, 0);
            assert_eq!(self.table_lens[1], 0);
            let buckets = self.tables[0].len();
            assert!(len <= buckets, "grow above one entry per bucket");
            assert!(
                buckets <= self.shrink_floor() || len * SHRINK_BUCKETS_PER_ENTRY >= buckets,
                "shrink below one entry per {SHRINK_BUCKETS_PER_ENTRY} buckets"
            );
        }

        let mut seen = vec![false; len];
        for (table, heads) in self.tables.iter().enumerate() {
            let mut linked = 0;
            for (index, &head) in heads.iter().enumerate() {
                let mut link = head;
                while let Some(slot) = slot_of(link) {
                    assert!(slot < len, "dangling link to slot {slot}");
                    assert!(!seen[slot], "slot {slot} linked twice (or a cycle)");
                    seen[slot] = true;
                    linked += 1;
                    let node = &self.nodes[slot];
                    assert_eq!(
                        bucket_index(self.hash(node.key.as_bytes()), heads),
                        index,
                        "node in the wrong bucket"
                    );
                    link = node.next;
                }
            }
            assert_eq!(linked, self.table_lens[table] as usize);
        }
        assert_eq!((self.table_lens[0] + self.table_lens[1]) as usize, len);
    }

    fn hash(&self, key: &[u8]) -> u32 {
        let mut hasher = FoldHasher::with_seed(self.seed, SharedSeed::global_fixed());
        hasher.write(key);
        let hash = hasher.finish();
        (hash ^ (hash >> 32)) as u32
    }

    fn find(&self, key: &[u8], hash: u32) -> Option<Found> {
        self.find_node(hash, |slot| self.nodes[slot].key.as_bytes() == key)
    }

    /// Walks the chains where a node with this hash can be: the old table's bucket unless it was already
    /// moved, then the new table's bucket (which also receives inserts made during the rehash).
    fn find_node(&self, hash: u32, mut matches: impl FnMut(usize) -> bool) -> Option<Found> {
        for table in 0..2 {
            let heads = &self.tables[table];
            if heads.is_empty() {
                continue;
            }
            let index = bucket_index(hash, heads);
            if table == 0 && index < self.rehash_index {
                continue;
            }
            let mut site = LinkSite::Bucket { table, index };
            let mut link = heads[index];
            while let Some(slot) = slot_of(link) {
                if matches(slot) {
                    return Some(Found { table, site, slot });
                }
                site = LinkSite::Next { slot };
                link = self.nodes[slot].next;
            }
        }
        None
    }

    /// Takes the node in `slot` out of its chain (the table's count is left as it is: the node is
    /// linked again at once); returns the table and bucket it was in.
    fn unlink_slot(&mut self, slot: usize) -> (usize, usize) {
        let hash = self.hash(self.nodes[slot].key.as_bytes());
        let found = self
            .find_node(hash, |candidate| candidate == slot)
            .expect("every node is linked from its bucket chain");
        let next = self.nodes[slot].next;
        self.set_link(found.site, next);
        (found.table, bucket_index(hash, &self.tables[found.table]))
    }

    fn link_at_head(&mut self, (table, index): (usize, usize), slot: usize) {
        self.nodes[slot].next = self.tables[table][index];
        self.tables[table][index] = link_to(slot);
    }

    fn set_link(&mut self, site: LinkSite, link: Link) {
        match site {
            LinkSite::Bucket { table, index } => self.tables[table][index] = link,
            LinkSite::Next { slot } => self.nodes[slot].next = link,
        }
    }

    /// Appends a node for a key known to be absent and links it at the head of its chain, in the new
    /// table while rehashing (as Redis does, so the old table only ever loses entries).
    fn push_node(&mut self, key: &[u8], value: V, hash: u32) -> usize {
        assert!(
            self.nodes.len() < LEN_MAX,
            "a hashtable holds at most {LEN_MAX} entries"
        );
        let slot = self.nodes.len();
        let table = usize::from(self.is_rehashing());
        let index = bucket_index(hash, &self.tables[table]);
        let next = self.tables[table][index];
        self.nodes.push(Node {
            key: SmallBytes::new(key),
            value,
            next,
            meta: M::default(),
        });
        self.tables[table][index] = link_to(slot);
        self.table_lens[table] += 1;
        self.resize_if_needed();
        slot
    }

    fn advance_rehash(&mut self, buckets: usize) {
        self.rehash_buckets(buckets);
        self.resize_if_needed();
    }

    /// Moves up to `buckets` non-empty buckets from the old table to the new one, skipping at most
    /// `buckets * REHASH_EMPTY_VISITS_PER_BUCKET` empty buckets.
    fn rehash_buckets(&mut self, buckets: usize) {
        let mut empty_visits_left = buckets.saturating_mul(REHASH_EMPTY_VISITS_PER_BUCKET);
        let mut moved = 0;
        while self.is_rehashing() && moved < buckets && self.table_lens[0] > 0 {
            // In bounds: table 0 still links a node, and none sits below the rehash index.
            let head = mem::replace(&mut self.tables[0][self.rehash_index], END);
            self.rehash_index += 1;
            if head == END {
                if empty_visits_left == 0 {
                    break;
                }
                empty_visits_left -= 1;
                continue;
            }
            let mut link = head;
            while let Some(slot) = slot_of(link) {
                let hash = self.hash(self.nodes[slot].key.as_bytes());
                let node = &mut self.nodes[slot];
                link = node.next;
                let index = bucket_index(hash, &self.tables[1]);
                node.next = self.tables[1][index];
                self.tables[1][index] = link_to(slot);
                self.table_lens[0] -= 1;
                self.table_lens[1] += 1;
            }
            moved += 1;
        }
        self.finish_rehash_if_done();
    }

    fn finish_rehash_if_done(&mut self) {
        if self.is_rehashing() && self.table_lens[0] == 0 {
            self.tables[0] = mem::take(&mut self.tables[1]);
            self.table_lens = [self.table_lens[1], 0];
            self.rehash_index = 0;
        }
    }

    /// Starts a resize when the load leaves its bounds, never while one is in progress (Redis's
    /// `_dictExpandIfNeeded` and `htNeedsShrink`). Called after every change of `len` and after every
    /// rehash step, so a table at rest is always within its bounds.
    fn resize_if_needed(&mut self) {
        self.finish_rehash_if_done();
        if self.is_rehashing() {
            return;
        }
        let len = self.nodes.len();
        let buckets = self.tables[0].len();
        let buckets_new = if len > buckets {
            len.next_power_of_two()
        } else if buckets > self.shrink_floor() && len * SHRINK_BUCKETS_PER_ENTRY < buckets {
            // Give back the slab's spare capacity too. Shrinking a block in place is cheap for the
            // allocator, and the copy it may cost is of the few entries that remain.
            self.nodes.trim();
            len.next_power_of_two().max(BUCKETS_MIN)
        } else {
            return;
        };
        self.tables[1] = vec![END; buckets_new];
        // An empty table has nothing to move: switch at once.
        self.finish_rehash_if_done();
    }

    /// The fewest buckets a shrink leaves: `BUCKETS_MIN`, or what `reserve` set up.
    fn shrink_floor(&self) -> usize {
        match self.reserved_log2 {
            0 => BUCKETS_MIN,
            log2 => 1 << log2,
        }
    }

    /// Makes room for `entries` entries before they arrive (an RDB file's RESIZEDB), so that
    /// adding them moves none: an empty table takes the buckets they need at once, and keeps
    /// them, even if fewer arrive, until an entry is removed or `release_reserve`. Does nothing
    /// to a table that holds entries.
    pub fn reserve(&mut self, entries: usize) {
        let buckets = entries.min(LEN_MAX).next_power_of_two();
        if !self.is_empty() || self.is_rehashing() || buckets <= self.tables[0].len() {
            return;
        }
        self.tables[0] = vec![END; buckets];
        self.reserved_log2 = buckets.trailing_zeros() as u8;
    }

    /// Ends what `reserve` kept: from now on the usual bounds hold, and a table left bigger
    /// than its entries need starts to shrink.
    pub fn release_reserve(&mut self) {
        self.reserved_log2 = 0;
        self.resize_if_needed();
    }

    fn visit_bucket<'t>(
        &'t self,
        table: usize,
        index: usize,
        visit: &mut impl FnMut(&'t [u8], &'t V),
    ) {
        let mut link = self.tables[table][index];
        while let Some(slot) = slot_of(link) {
            let node = &self.nodes[slot];
            visit(node.key.as_bytes(), &node.value);
            link = node.next;
        }
    }
}

/// Increments the cursor's masked bits in reverse bit order. Setting the unmasked bits first makes the
/// carry of the reversed increment run straight into the masked ones; a full wrap yields 0, the end.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

impl<V: Clone, M: Copy + Default> Clone for HashTable<V, M> {
    /// An equal table with the same seed, built by inserting every entry (COPY of a hash or set).
    fn clone(&self) -> Self {
        let mut copy = HashTable::with_meta(self.seed);
        for node in self.nodes.iter() {
            copy.insert_with_meta(node.key.as_bytes(), node.value.clone(), |_| node.meta);
        }
        copy
    }
}

impl<V: PartialEq, M: Copy + Default> PartialEq for HashTable<V, M> {
    /// The same entries, whatever their order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

impl<V: fmt::Debug, M: Copy + Default> fmt::Debug for HashTable<V, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(key, value)| (String::from_utf8_lossy(key), value)),
            )
            .finish()
    }
}

#[cfg(test)]
#[path = "hashtable_tests.rs"]
mod tests;
