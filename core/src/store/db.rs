//! One keyspace (one of the numbered databases): keys, their values and their expiry times.
//!
//! As in Redis, deadlines live beside the keys, not in them: `expires` maps the keys that have a
//! TTL to their position in the TTL heap, so a key without a TTL pays nothing for the feature
//! and a keyspace without TTLs skips the lookup altogether.
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

pub struct Db {
    keys: HashTable<Value>,
    /// Key -> position of its deadline in `ttls`, for the keys that have a TTL.
    expires: HashTable<u32>,
    ttls: TtlHeap,
    /// Keys deleted by expiry since `take_expired_count` was last called (INFO's expired_keys
    /// adds them up).
    expired_since_last_count: u64,
    /// Big values removed by expiry, waiting for the server to hand them out to be freed off
    /// the event loop (see `take_garbage`).
    garbage: Vec<Value>,
}

impl Db {
    pub fn new(seed: u64) -> Db {
        Db {
            keys: HashTable::new(seed),
            expires: HashTable::new(seed.rotate_left(17)),
            ttls: TtlHeap::default(),
            expired_since_last_count: 0,
            garbage: Vec::new(),
        }
    }

    /// Everything the keyspace owns, for dropping a big one a piece at a time: the values, the
    /// big values removed by expiry and not handed out yet, the expiry table and the TTL heap.
    pub fn into_parts(self) -> (HashTable<Value>, Vec<Value>, HashTable<u32>, TtlHeap) {
        (self.keys, self.garbage, self.expires, self.ttls)
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

    fn is_expired(&self, key: &[u8], now: UnixMillis) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        self.expires
            .get(key)
            .is_some_and(|&position| self.ttls.get(position as usize).deadline <= now.as_millis())
    }

    /// Deletes `key` if its deadline has passed; true if it did.
    fn expire_if_needed(&mut self, now: UnixMillis, key: &[u8]) -> bool {
        if self.is_expired(key, now) {
            self.expire_now(key)
        } else {
            false
        }
    }

    pub fn get(&mut self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(now, key);
        self.keys.get(key)
    }

    /// Looks without deleting (for read-only callers that cannot take `&mut`).
    pub fn peek(&self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        if self.is_expired(key, now) {
            return None;
        }
        self.keys.get(key)
    }

    pub fn get_mut(&mut self, now: UnixMillis, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(now, key);
        self.keys.get_mut(key)
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
        let old = self.keys.insert(key, value);
        if old.is_some() && !keep_ttl {
            self.clear_expiry(key);
        }
        old
    }

    /// Removes a live key; an expired one is deleted too but counts as missing.
    pub fn remove(&mut self, now: UnixMillis, key: &[u8]) -> Option<Value> {
        if self.expire_if_needed(now, key) {
            return None;
        }
        self.delete(key)
    }

    fn delete(&mut self, key: &[u8]) -> Option<Value> {
        let value = self.keys.remove(key)?;
        self.clear_expiry(key);
        Some(value)
    }

    /// The key's deadline, if it has one (expired keys count as missing: check first).
    pub fn expiry(&self, key: &[u8]) -> Option<UnixMillis> {
        let position = *self.expires.get(key)?;
        Some(UnixMillis::from_millis(
            self.ttls.get(position as usize).deadline,
        ))
    }

    /// Sets the deadline of an existing key; false if there is no such key.
    pub fn set_expiry(&mut self, key: &[u8], at: UnixMillis) -> bool {
        if !self.keys.contains_key(key) {
            return false;
        }
        let position = self.expires.get(key).copied();
        let expires = &mut self.expires;
        let mut moved = |key: &[u8], position: usize| set_heap_position(expires, key, position);
        match position {
            None => self.ttls.push(
                HeapItem {
                    deadline: at.as_millis(),
                    key: key.into(),
                },
                &mut moved,
            ),
            Some(position) => self
                .ttls
                .update(position as usize, at.as_millis(), &mut moved),
        }
        true
    }

    /// Removes the key's TTL; true if it had one.
    pub fn clear_expiry(&mut self, key: &[u8]) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        let Some(position) = self.expires.remove(key) else {
            return false;
        };
        let expires = &mut self.expires;
        self.ttls.remove(position as usize, &mut |key, position| {
            set_heap_position(expires, key, position)
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

    pub fn has_garbage(&self) -> bool {
        !self.garbage.is_empty()
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
            .filter(move |(key, _)| !self.is_expired(key, now))
    }

    pub fn scan(&self, now: UnixMillis, cursor: u64, mut visit: impl FnMut(&[u8], &Value)) -> u64 {
        self.keys.scan(cursor, |key, value| {
            if !self.is_expired(key, now) {
                visit(key, value)
            }
        })
    }

    /// Key number `index % len` in table order, expired or not (RANDOMKEY checks and retries).
    pub fn key_at(&self, index: usize) -> Option<&[u8]> {
        self.keys.entry_at(index).map(|(key, _)| key)
    }

    /// Bounded background work: moves at most `buckets` buckets of a resize in progress.
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        let keys = self.keys.rehash_step(buckets);
        let expires = self.expires.rehash_step(buckets);
        keys || expires
    }

    pub fn check_invariants(&self) {
        self.keys.check_invariants();
        self.expires.check_invariants();
        self.ttls.check_invariants();
        assert_eq!(self.expires.len(), self.ttls.len());
        for (position, item) in self.ttls.items().iter().enumerate() {
            assert!(
                self.keys.contains_key(&item.key),
                "heap item names a live key"
            );
            assert_eq!(
                self.expires.get(&item.key).copied(),
                Some(position as u32),
                "heap back-pointer"
            );
        }
    }
}

fn set_heap_position(expires: &mut HashTable<u32>, key: &[u8], position: usize) {
    *expires.get_or_insert_with(key, || 0).0 = position as u32;
}
