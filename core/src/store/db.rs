//! One keyspace (one of the numbered databases): keys, their values and their expiry times.
//!
//! Expiry follows Redis: lazy (a lookup of an expired key deletes it and finds nothing) and
//! active (`expire_step`, from the cron, deletes a bounded number of expired keys per call).
//! Deadlines are wall-clock milliseconds; if the wall clock jumps back, keys simply live longer.

use crate::store::hashtable::HashTable;
use crate::store::heap::{HeapItem, TtlHeap};
use crate::time::UnixMillis;
use crate::value::Value;

/// Buckets moved per cron tick while a keyspace's table is resizing, on top of the bounded work
/// every operation already does.
pub const REHASH_BUCKETS_PER_TICK: usize = 1000;

/// `heap_position` of a key without a TTL.
const NO_TTL: u32 = u32::MAX;

/// A key's value and where its deadline sits in the TTL heap.
#[derive(Debug)]
pub struct Entry {
    pub value: Value,
    heap_position: u32,
}

pub struct Db {
    keys: HashTable<Entry>,
    ttls: TtlHeap,
    /// Keys deleted by lazy expiry since `take_expired_count` was last called (INFO's
    /// expired_keys adds them up).
    expired_since_last_count: u64,
    /// Big values removed by expiry, waiting for the server to hand them out to be freed off
    /// the event loop (see `take_garbage`).
    garbage: Vec<Value>,
}

impl Db {
    pub fn new(seed: u64) -> Db {
        Db {
            keys: HashTable::new(seed),
            ttls: TtlHeap::default(),
            expired_since_last_count: 0,
            garbage: Vec::new(),
        }
    }

    /// Keys, including expired ones not yet removed (as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys with a TTL (INFO keyspace's `expires=`).
    pub fn expires_count(&self) -> usize {
        self.ttls.len()
    }

    fn is_expired(&self, entry: &Entry, now: UnixMillis) -> bool {
        entry.heap_position != NO_TTL
            && self.ttls.get(entry.heap_position as usize).deadline <= now.as_millis()
    }

    /// Deletes `key` if its deadline has passed; true if it did.
    fn expire_if_needed(&mut self, now: UnixMillis, key: &[u8]) -> bool {
        match self.keys.get(key) {
            Some(entry) if self.is_expired(entry, now) => {
                self.expire_now(key);
                true
            }
            _ => false,
        }
    }

    pub fn get(&mut self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(now, key);
        self.keys.get(key).map(|entry| &entry.value)
    }

    /// Looks without deleting (for read-only callers that cannot take `&mut`).
    pub fn peek(&self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        let entry = self.keys.get(key)?;
        (!self.is_expired(entry, now)).then_some(&entry.value)
    }

    pub fn get_mut(&mut self, now: UnixMillis, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(now, key);
        self.keys.get_mut(key).map(|entry| &mut entry.value)
    }

    pub fn contains(&mut self, now: UnixMillis, key: &[u8]) -> bool {
        self.get(now, key).is_some()
    }

    /// Stores `value` under `key`, returning what was there. The key's TTL is cleared unless
    /// `keep_ttl` (KEEPTTL, INCR and the other in-place updates keep it, as Redis).
    pub fn set(
        &mut self,
        now: UnixMillis,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
    ) -> Option<Value> {
        self.expire_if_needed(now, key);
        if let Some(entry) = self.keys.get_mut(key) {
            let old = std::mem::replace(&mut entry.value, value);
            if !keep_ttl {
                self.clear_expiry(key);
            }
            return Some(old);
        }
        self.keys.insert(
            key,
            Entry {
                value,
                heap_position: NO_TTL,
            },
        );
        None
    }

    /// Removes a live key; an expired one is deleted too but counts as missing.
    pub fn remove(&mut self, now: UnixMillis, key: &[u8]) -> Option<Value> {
        if self.expire_if_needed(now, key) {
            return None;
        }
        self.delete(key)
    }

    fn delete(&mut self, key: &[u8]) -> Option<Value> {
        let entry = self.keys.remove(key)?;
        if entry.heap_position != NO_TTL {
            let keys = &mut self.keys;
            self.ttls
                .remove(entry.heap_position as usize, &mut |key, position| {
                    set_heap_position(keys, key, position)
                });
        }
        Some(entry.value)
    }

    /// The key's deadline, if it has one (expired keys count as missing: check first).
    pub fn expiry(&self, key: &[u8]) -> Option<UnixMillis> {
        let entry = self.keys.get(key)?;
        (entry.heap_position != NO_TTL)
            .then(|| UnixMillis::from_millis(self.ttls.get(entry.heap_position as usize).deadline))
    }

    /// Sets the deadline of an existing key; false if there is no such key.
    pub fn set_expiry(&mut self, key: &[u8], at: UnixMillis) -> bool {
        let Some(entry) = self.keys.get(key) else {
            return false;
        };
        let position = entry.heap_position;
        let keys = &mut self.keys;
        let mut moved = |key: &[u8], position: usize| set_heap_position(keys, key, position);
        if position == NO_TTL {
            self.ttls.push(
                HeapItem {
                    deadline: at.as_millis(),
                    key: key.into(),
                },
                &mut moved,
            );
        } else {
            self.ttls
                .update(position as usize, at.as_millis(), &mut moved);
        }
        true
    }

    /// Removes the key's TTL; true if it had one.
    pub fn clear_expiry(&mut self, key: &[u8]) -> bool {
        let Some(entry) = self.keys.get_mut(key) else {
            return false;
        };
        let position = std::mem::replace(&mut entry.heap_position, NO_TTL);
        if position == NO_TTL {
            return false;
        }
        let keys = &mut self.keys;
        self.ttls.remove(position as usize, &mut |key, position| {
            set_heap_position(keys, key, position)
        });
        true
    }

    /// Active expiry: deletes at most `keys_max` keys whose deadline has passed, returning how
    /// many it deleted.
    pub fn expire_step(&mut self, now: UnixMillis, keys_max: usize) -> usize {
        let mut expired = 0;
        while expired < keys_max {
            let Some(first) = self.ttls.peek() else {
                break;
            };
            if first.deadline > now.as_millis() {
                break;
            }
            let key = first.key.clone();
            assert!(self.expire_now(&key), "every heap item names a live key");
            expired += 1;
        }
        expired
    }

    /// Deletes a key whose time has come; big values wait in `garbage`.
    fn expire_now(&mut self, key: &[u8]) -> bool {
        let Some(value) = self.delete(key) else {
            return false;
        };
        self.expired_since_last_count += 1;
        if value.free_effort() > crate::server::LAZY_FREE_EFFORT_MIN {
            self.garbage.push(value);
        }
        true
    }

    /// Big values expiry removed since the last call.
    pub fn take_garbage(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.garbage)
    }

    /// Keys expired since the last call.
    pub fn take_expired_count(&mut self) -> u64 {
        std::mem::take(&mut self.expired_since_last_count)
    }

    /// The earliest deadline, for the cron.
    pub fn next_deadline(&self) -> Option<UnixMillis> {
        self.ttls
            .peek()
            .map(|item| UnixMillis::from_millis(item.deadline))
    }

    /// Every key and value, skipping expired keys, in table order.
    pub fn iter(&self, now: UnixMillis) -> impl Iterator<Item = (&[u8], &Value)> {
        self.keys
            .iter()
            .filter(move |(_, entry)| !self.is_expired(entry, now))
            .map(|(key, entry)| (key, &entry.value))
    }

    pub fn scan(&self, now: UnixMillis, cursor: u64, mut visit: impl FnMut(&[u8], &Value)) -> u64 {
        self.keys.scan(cursor, |key, entry| {
            if !self.is_expired(entry, now) {
                visit(key, &entry.value)
            }
        })
    }

    /// Entry number `index % len` in table order, expired or not (RANDOMKEY retries).
    pub fn entry_at(&self, index: usize) -> Option<(&[u8], bool)> {
        self.keys
            .entry_at(index)
            .map(|(key, entry)| (key, entry.heap_position != NO_TTL))
    }

    /// Bounded background work: moves at most `buckets` buckets of a resize in progress.
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        self.keys.rehash_step(buckets)
    }

    /// The whole table, to be dropped elsewhere.
    pub(crate) fn into_table(self) -> HashTable<Entry> {
        self.keys
    }

    pub fn check_invariants(&self) {
        self.keys.check_invariants();
        self.ttls.check_invariants();
        for (position, item) in self.ttls.items().iter().enumerate() {
            let entry = self
                .keys
                .get(&item.key)
                .expect("heap item names a live key");
            assert_eq!(entry.heap_position as usize, position, "heap back-pointer");
        }
        let with_ttl = self
            .keys
            .iter()
            .filter(|(_, entry)| entry.heap_position != NO_TTL)
            .count();
        assert_eq!(with_ttl, self.ttls.len());
    }
}

fn set_heap_position(keys: &mut HashTable<Entry>, key: &[u8], position: usize) {
    keys.get_mut(key)
        .expect("heap item names a live key")
        .heap_position = position as u32;
}
