//! A point-in-time snapshot of one keyspace, handed out a bounded step at a time while clients
//! keep writing: what BGSAVE (and later the append-only file's rewrite) writes, without fork and
//! without stopping the event loop. Every key present at `Db::snapshot_begin` is visited exactly
//! once, with the value and deadline it had at that instant; keys created since are not visited.
//! Keys whose deadline had already passed but were still stored are visited like any other, as
//! Redis's forked save writes them (the loader drops them).
//!
//! # Which entries are still to visit
//!
//! A step walks the key table's slots upwards (`HashTable`'s slab: entry `i` in slot `i`, no
//! holes). Not its buckets: a bucket cursor survives resizing only as SCAN does, returning a key
//! at least once but maybe twice, and telling the repeats apart would take a set of every key
//! visited, as big as the keyspace. Slots are not moved by rehashing (in either direction: it
//! relinks bucket heads, never nodes), so the walk ignores it. Slots change hands in three ways
//! only: an insert appends at `len`, a removal moves the last entry into the hole
//! (`swap_remove`), and `swap_slots`, which only this module calls. The snapshot is two slot
//! numbers, `cursor <= limit <= len`, and a list of pending images, with one invariant:
//!
//! > Slots `cursor..limit` hold exactly the entries present at the beginning that are neither
//! > visited nor pending, each unchanged since.
//!
//! Slots below `cursor` are done with; slots from `limit` up hold keys created since. A step
//! hands out the pending images, then visits slot `cursor` and moves `cursor` on. Every way the
//! slots change keeps the invariant:
//!
//! - An insert appends at `len`, which is at least `limit`: a new key is never in the range.
//! - A key in the range is about to change (an overwrite, `modify`, a deadline set or cleared, a
//!   removal by a command or by expiry): the write path calls `snapshot_before_write` first,
//!   which clones the entry (key, value, deadline) into `pending`, swaps it into slot `cursor`
//!   and moves `cursor` past it. Later changes to the key find it below `cursor` and cost a
//!   lookup; a key is cloned at most once per snapshot. A key below `cursor` or from `limit` up
//!   is left alone.
//! - A removal: the removed entry is outside the range (it was just moved out if it was in it).
//!   If its slot is below `cursor` while the last entry is in the range, `swap_remove` would drop
//!   an unvisited entry into the visited part; so `snapshot_before_remove` first swaps the removed
//!   entry into slot `cursor - 1` and moves `cursor` back by one: the hole is then the range's
//!   first slot, and the last entry lands there. A last entry from `limit` up (a new key) lands
//!   below `cursor` or stays above `limit`, outside the range either way. Then `limit` follows
//!   `len` down: no entry of the range was in the last slot any more.
//! - `Db::flush` and `Db::swap_contents` move the table whole, and the snapshot with it: after a
//!   SWAPDB each snapshot follows the contents it was taken of, and the keyspace `flush` returns
//!   keeps its running snapshot, which the caller steps to completion; nothing writes to that
//!   keyspace any more. `origin` is the caller's tag (the database number the snapshot was taken
//!   from) and travels along, so that the writer knows which number to write it under.
//! - `Db::reencode` changes a value's encoding, not its contents: the snapshot keeps no image,
//!   so a later visit may see the new encoding of the same contents.
//!
//! A deadline lives beside its key (`expires`); any change to it passes `snapshot_before_write`
//! first, so a visit reads the deadline where it is.
//!
//! # Costs
//!
//! No snapshot: a null `Option<Box<_>>` in each `Db`, and one test of it on each write. While one
//! runs: two slot numbers, plus one clone per key changed before its visit (held until a step
//! hands it out), plus a slot lookup per write. Nothing per key otherwise.
//!
//! # Work per step
//!
//! `snapshot_step` counts work in units, one per key plus `value_work` for its value (an element
//! of a collection, or a started KiB of a string, each a unit), and stops before an entry that
//! would take it past its budget, unless that entry is the step's first: a step does at most its
//! budget, or the work of one entry, and always makes progress.

use std::collections::VecDeque;

use super::Db;
use crate::garbage::LAZY_FREE_EFFORT_MIN;
use crate::time::UnixMillis;
use crate::value::Value;

/// Bytes of a string that count as one unit of work.
pub const STRING_BYTES_PER_WORK_UNIT: usize = 1024;

/// A running snapshot (see the module documentation for the invariant).
pub(super) struct Snapshot {
    /// The caller's tag: the number of the database the snapshot was taken from.
    origin: usize,
    /// Slots below this are done with.
    cursor: usize,
    /// Slots from this up hold keys created since the beginning.
    limit: usize,
    /// Entries that changed before their visit, as they were at the beginning.
    pending: VecDeque<Image>,
}

/// An entry as it was when the snapshot began.
struct Image {
    key: Box<[u8]>,
    value: Value,
    deadline: Option<UnixMillis>,
    /// The key's access clock when the image was taken.
    clock: u32,
}

/// Units of work to write `value` out: one per element of a collection, one per started
/// `STRING_BYTES_PER_WORK_UNIT` bytes of a string, at least one.
pub fn value_work(value: &Value) -> usize {
    let units = match value {
        Value::Int(_) => 1,
        Value::Str(bytes) => bytes.len().div_ceil(STRING_BYTES_PER_WORK_UNIT),
        Value::RawStr(bytes) => bytes.len().div_ceil(STRING_BYTES_PER_WORK_UNIT),
        Value::PackedZSet(packed) => packed.len() / 2,
        Value::ZSet(zset) => zset.len(),
        Value::PackedHash(packed) => packed.len() / 2,
        Value::Hash(table) => table.len(),
        Value::IntSet(ints) => ints.len(),
        Value::Set(table) => table.len(),
        Value::List(list) => list.len(),
    };
    units.max(1)
}

/// Units of work to write an entry out: its key, then its value.
fn entry_work(value: &Value) -> usize {
    1 + value_work(value)
}

impl Db {
    /// Starts a snapshot of this keyspace as it is now; `origin` is the caller's tag for it (the
    /// database number), which stays with the snapshot wherever SWAPDB or FLUSHDB moves it.
    /// Panics if one is running: a keyspace has at most one snapshot (Redis refuses a second
    /// BGSAVE while one runs, and so must the caller).
    pub fn snapshot_begin(&mut self, origin: usize) {
        assert!(
            self.snapshot.is_none(),
            "a snapshot of this keyspace is running already"
        );
        self.snapshot = Some(Box::new(Snapshot {
            origin,
            cursor: 0,
            limit: self.keys.len(),
            pending: VecDeque::new(),
        }));
    }

    pub fn snapshot_running(&self) -> bool {
        self.snapshot.is_some()
    }

    /// The tag given to `snapshot_begin`, while the snapshot runs.
    pub fn snapshot_origin(&self) -> Option<usize> {
        self.snapshot.as_ref().map(|snapshot| snapshot.origin)
    }

    /// Visits entries not visited yet, as they were when the snapshot began, until the next one
    /// would take the step past `budget` units of work (see the module documentation; the first
    /// entry is visited whatever its work). Returns true when the snapshot is complete; it is then
    /// no longer running. Panics if none runs, or if `budget` is 0.
    pub fn snapshot_step(
        &mut self,
        budget: usize,
        mut visit: impl FnMut(&[u8], &Value, Option<UnixMillis>, u32),
    ) -> bool {
        assert!(budget > 0, "a snapshot step needs a budget");
        let snapshot = self
            .snapshot
            .as_deref_mut()
            .expect("a snapshot step needs a running snapshot");
        let mut work = 0;
        loop {
            if let Some(image) = snapshot.pending.front() {
                let entry = entry_work(&image.value);
                if work > 0 && work + entry > budget {
                    break;
                }
                let image = snapshot.pending.pop_front().expect("just looked");
                visit(&image.key, &image.value, image.deadline, image.clock);
                work += entry;
                // The image is the last copy of what a write replaced: a big one is freed off
                // the event loop, as expiry's are.
                if image.value.free_effort() > LAZY_FREE_EFFORT_MIN {
                    self.garbage.push(image.value);
                }
                continue;
            }
            if snapshot.cursor == snapshot.limit {
                break;
            }
            let (key, value) = self.keys.entry_in_slot(snapshot.cursor);
            let entry = entry_work(value);
            if work > 0 && work + entry > budget {
                break;
            }
            let deadline = if self.expires.is_empty() {
                None
            } else {
                self.expires.get(key).map(|&position| {
                    UnixMillis::from_millis(self.ttls.get(position as usize).deadline)
                })
            };
            visit(
                key,
                value,
                deadline,
                self.keys.meta_in_slot(snapshot.cursor),
            );
            work += entry;
            snapshot.cursor += 1;
        }
        let complete = snapshot.pending.is_empty() && snapshot.cursor == snapshot.limit;
        if complete {
            self.snapshot = None;
        }
        complete
    }

    /// Drops a running snapshot (BGSAVE failed or was cancelled); nothing if none runs.
    pub fn snapshot_abort(&mut self) {
        let Some(snapshot) = self.snapshot.take() else {
            return;
        };
        self.garbage.extend(
            snapshot
                .pending
                .into_iter()
                .map(|image| image.value)
                .filter(|value| value.free_effort() > LAZY_FREE_EFFORT_MIN),
        );
    }

    /// The write path, before `key` changes in any way (its value or its deadline): keeps the
    /// entry's image if the snapshot has yet to visit it.
    #[inline]
    pub(super) fn snapshot_before_write(&mut self, key: &[u8]) {
        if self.snapshot.is_some() {
            self.keep_image(key);
        }
    }

    /// The write path, before `key` is removed from the table: keeps its image, and arranges for
    /// the entry `swap_remove` will move into its slot to stay in the range still to visit.
    #[inline]
    pub(super) fn snapshot_before_remove(&mut self, key: &[u8]) {
        if self.snapshot.is_some() {
            self.keep_image(key);
            self.prepare_removal(key);
        }
    }

    fn keep_image(&mut self, key: &[u8]) {
        let Some(slot) = self.keys.slot_of(key) else {
            return;
        };
        let snapshot = self.snapshot.as_deref().expect("checked by the caller");
        if slot < snapshot.cursor || slot >= snapshot.limit {
            return;
        }
        let (stored_key, value) = self.keys.entry_in_slot(slot);
        let image = Image {
            key: stored_key.into(),
            value: value.clone(),
            deadline: self.expiry(key),
            clock: self.keys.meta_in_slot(slot),
        };
        let snapshot = self.snapshot.as_deref_mut().expect("checked by the caller");
        snapshot.pending.push_back(image);
        self.keys.swap_slots(slot, snapshot.cursor);
        snapshot.cursor += 1;
    }

    fn prepare_removal(&mut self, key: &[u8]) {
        let Some(slot) = self.keys.slot_of(key) else {
            return;
        };
        let last = self.keys.len() - 1;
        let snapshot = self.snapshot.as_deref_mut().expect("checked by the caller");
        assert!(
            slot < snapshot.cursor || slot >= snapshot.limit,
            "a key about to be removed has its image kept"
        );
        if slot < snapshot.cursor && (snapshot.cursor..snapshot.limit).contains(&last) {
            snapshot.cursor -= 1;
            self.keys.swap_slots(slot, snapshot.cursor);
        }
        // After the removal the table is one shorter, and the range's entries are all below its
        // new length: the last slot is outside the range, or its entry moves to `cursor`.
        snapshot.limit = snapshot.limit.min(last);
        snapshot.cursor = snapshot.cursor.min(snapshot.limit);
    }

    /// Panics unless the snapshot's slot numbers fit the table and no pending key is still in
    /// the range to visit.
    pub(super) fn check_snapshot(&self) {
        let Some(snapshot) = self.snapshot.as_deref() else {
            return;
        };
        assert!(snapshot.cursor <= snapshot.limit);
        assert!(snapshot.limit <= self.keys.len());
        for image in &snapshot.pending {
            if let Some(slot) = self.keys.slot_of(&image.key) {
                assert!(
                    !(snapshot.cursor..snapshot.limit).contains(&slot),
                    "a key with a pending image is not visited again"
                );
            }
        }
        let mut keys: Vec<&[u8]> = snapshot.pending.iter().map(|image| &*image.key).collect();
        keys.sort_unstable();
        assert!(
            keys.windows(2).all(|pair| pair[0] != pair[1]),
            "a key has one pending image at most"
        );
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
