//! One keyspace (one of the numbered databases): keys, their values and their expiry times.
//!
//! As in Redis, deadlines live beside the keys, not in them: `expires` maps the keys that have a
//! TTL to their position in the TTL heap, so a key without a TTL pays nothing for the feature
//! and a keyspace without TTLs skips the lookup altogether.
//!
//! Expiry follows Redis: lazy (a lookup of an expired key deletes it and finds nothing) and
//! active (`expire_step`, from the cron, deletes a bounded number of expired keys per call).
//! Deadlines are wall-clock milliseconds; if the wall clock jumps back, keys simply live longer.
//! As in Redis 7.0 (`keyIsExpired`: `now > when`), a key is still served during the millisecond
//! of its deadline and gone after it. (Setting a deadline that is already at or before now is
//! different: EXPIRE and friends delete the key at once, as Redis's `checkAlreadyExpired` does.)
//!
//! # The write path
//! Every change to a key passes `touched` (or, for whole keyspaces, `flush` and `swap_contents`):
//! `set`, `remove`, `modify`, `set_expiry`, `clear_expiry` and expiry itself. It counts the
//! change (in the `Tally`, Redis's dirty counter) and invalidates the clients watching the key
//! (WATCH). Nothing else hands out a value for writing, so a new command cannot change a key
//! without the signal. Commands that take write access and then change nothing (a ZADD whose
//! members already have their scores) check first with read access, as Redis signals only real
//! changes.
//!
//! Before a key changes (its value, its deadline, or its removal), the write path calls
//! `snapshot_before_write` or `snapshot_before_remove`, which keep the entry's image for a
//! running snapshot that has yet to visit it (store/snapshot.rs).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::clients::ConnectionId;
use crate::store::access::{AccessClock, Mode};
use crate::store::hashtable::HashTable;
use crate::store::heap::{HeapItem, TtlHeap};
use crate::time::UnixMillis;
use crate::value::Value;

#[path = "snapshot.rs"]
mod snapshot;

/// Buckets moved per unit of a keyspace's resize: one unit each cron tick, on top of the bounded
/// work every operation already does, then more units while the driver's time allows
/// (`Server::rehash_more`). Small, because a unit's cost is its memory's: a moved key lands in
/// a random bucket of the new array, whose pages are touched for the first time (a page fault
/// each) while a resize is young (1,000 buckets took 0.5 to 0.7 ms on a 5,000,000-key
/// keyspace), and on a virtual machine whose host reclaims memory left idle, each node touched
/// after some seconds took 20 to 100 us (100 buckets, 5 to 10 ms).
pub const REHASH_BUCKETS_PER_UNIT: usize = 10;

/// Units the driver may add after a tick: at most 10,000 buckets a tick in all.
pub const REHASH_EXTRA_UNITS_PER_TICK: u32 = 1000;

pub struct Db {
    /// Each key with its value and its access clock (see store/access.rs).
    keys: HashTable<Value, u32>,
    /// Stamps the access clocks: reads and writes through `get`, `modify` and `set` count as
    /// accesses; `get_untouched`, `peek` and the scans do not.
    access: AccessClock,
    /// Key -> position of its deadline in `ttls`, for the keys that have a TTL.
    expires: HashTable<u32>,
    ttls: TtlHeap,
    /// Keys deleted by expiry since `take_expired_count` was last called (INFO's expired_keys
    /// adds them up).
    expired_since_last_count: u64,
    /// Big values removed by expiry, waiting for the server to hand them out to be freed off
    /// the event loop (see `take_garbage`).
    garbage: Vec<Value>,
    /// The change count (Redis's dirty counter) and the expiry flag, shared with the
    /// keyspace's other databases.
    tally: Arc<Tally>,
    /// Keys removed by expiry, in order, while `record_expired` is on: each propagates as DEL.
    expired_keys_log: Vec<Box<[u8]>>,
    record_expired: bool,
    /// Who watches which key. They stay with the database's number: SWAPDB and FLUSHDB move the
    /// contents, not the watchers (as Redis keeps `watched_keys` on the db).
    watches: Watches,
    /// Who waits for which key (BLPOP and friends), first come first served. They stay with
    /// the database's number, as watchers do.
    blockers: Blockers,
    /// Keys created since the last `take_new_keys`, while someone asked (`new` notifications).
    new_keys: Option<Vec<Box<[u8]>>>,
    /// CLIENT PAUSE: a read finds an expired key missing but leaves it in place.
    expiry_paused: bool,
    /// Replaying the append-only file: no key counts as expired (as Redis loads it), so that
    /// every command finds the data it found when it ran.
    loading: bool,
    /// Keys changed since the last `take_changed_keys`, while someone asked (client-side
    /// caching's invalidations).
    changed_keys: Option<Vec<Box<[u8]>>>,
    /// A point-in-time snapshot being handed out, which travels with the contents (SWAPDB,
    /// FLUSHDB): see store/snapshot.rs.
    snapshot: Option<Box<snapshot::Snapshot>>,
}

#[derive(Default)]
struct Waiting {
    clients: VecDeque<ConnectionId>,
    /// The key is in `Blockers::ready`.
    ready: bool,
}

struct Blockers {
    by_key: HashTable<Waiting>,
    /// Keys with waiting clients that changed since the server last served them, each once.
    ready: Vec<Box<[u8]>>,
}

/// One client's WATCH of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Watcher {
    client: ConnectionId,
    /// The key was already logically expired when watched: its deletion by expiry is no change
    /// (Redis 7.0's `watchedKey.expired`).
    expired: bool,
}

/// What propagation asks after every command about all of a keyspace's databases, kept in
/// one place they share (`Db::share_tally`), so that one look answers instead of one per
/// database. Atomic only because a database may be freed on another thread; one thread
/// changes it, so plain loads and stores suffice.
#[derive(Debug, Default)]
pub struct Tally {
    changes: AtomicU64,
    expired_logged: AtomicBool,
}

impl Tally {
    /// Changes made to the databases that share it.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    fn add_changes(&self, count: u64) {
        self.changes
            .store(self.changes() + count, Ordering::Relaxed);
    }

    /// Whether a database that shares it logged a key removed by expiry since the last
    /// `take_expired_logged` (it may have been taken already).
    pub fn take_expired_logged(&self) -> bool {
        // A plain load first: asked after every command, the flag is almost always clear, and
        // a swap is a locked instruction each time.
        self.expired_logged.load(Ordering::Relaxed)
            && self.expired_logged.swap(false, Ordering::Relaxed)
    }
}

struct Watches {
    by_key: HashTable<Vec<Watcher>>,
    /// Clients whose watched key changed since the server last collected them (a client may
    /// appear more than once; a closed one is skipped by its stale id).
    invalidated: Vec<ConnectionId>,
}

impl Db {
    pub fn new(seed: u64) -> Db {
        Db {
            keys: HashTable::with_meta(seed),
            access: AccessClock::new(seed.rotate_left(53)),
            expires: HashTable::new(seed.rotate_left(17)),
            ttls: TtlHeap::default(),
            expired_since_last_count: 0,
            garbage: Vec::new(),
            tally: Arc::default(),
            expired_keys_log: Vec::new(),
            record_expired: false,
            watches: Watches {
                by_key: HashTable::new(seed.rotate_left(31)),
                invalidated: Vec::new(),
            },
            blockers: Blockers {
                by_key: HashTable::new(seed.rotate_left(47)),
                ready: Vec::new(),
            },
            new_keys: None,
            expiry_paused: false,
            loading: false,
            changed_keys: None,
            snapshot: None,
        }
    }

    /// The write path: `key` changed (it is already stored or removed when this runs).
    fn touched(&mut self, key: &[u8]) {
        self.log_change(key);
        let exists = !self.watches.by_key.is_empty() && self.keys.contains_key(key);
        record_change(
            &self.tally,
            &mut self.watches,
            &mut self.blockers,
            key,
            exists,
        );
    }

    /// Starts (or stops) keeping the keys that change.
    pub fn record_changed_keys(&mut self, on: bool) {
        if on != self.changed_keys.is_some() {
            self.changed_keys = on.then(Vec::new);
        }
    }

    /// Keys changed since the last call, in order (a key once per change).
    pub fn take_changed_keys(&mut self) -> Vec<Box<[u8]>> {
        self.changed_keys
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn log_change(&mut self, key: &[u8]) {
        if let Some(changed) = self.changed_keys.as_mut() {
            changed.push(key.into());
        }
    }

    /// Starts (or stops) keeping the keys `set` creates.
    pub fn record_new_keys(&mut self, on: bool) {
        if on != self.new_keys.is_some() {
            self.new_keys = on.then(Vec::new);
        }
    }

    /// Keys created since the last call, in order.
    pub fn take_new_keys(&mut self) -> Vec<Box<[u8]>> {
        self.new_keys
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn created(&mut self, key: &[u8]) {
        if let Some(new_keys) = self.new_keys.as_mut() {
            new_keys.push(key.into());
        }
    }

    /// `client` waits for `key` (after the clients already waiting for it).
    pub fn block(&mut self, key: &[u8], client: ConnectionId) {
        let (waiting, _) = self
            .blockers
            .by_key
            .get_or_insert_with(key, Waiting::default);
        waiting.clients.push_back(client);
    }

    /// `client` no longer waits for `key`.
    pub fn unblock(&mut self, key: &[u8], client: ConnectionId) {
        let Some(waiting) = self.blockers.by_key.get_mut(key) else {
            return;
        };
        waiting.clients.retain(|&id| id != client);
        if waiting.clients.is_empty() {
            self.blockers.by_key.remove(key);
        }
    }

    /// The clients waiting for `key`, first come first.
    pub fn blocked_on(&self, key: &[u8]) -> Vec<ConnectionId> {
        self.blockers
            .by_key
            .get(key)
            .map_or_else(Vec::new, |waiting| {
                waiting.clients.iter().copied().collect()
            })
    }

    /// Keys with waiting clients that changed since the last call, in the order they changed.
    pub fn take_ready(&mut self) -> Vec<Box<[u8]>> {
        let ready = std::mem::take(&mut self.blockers.ready);
        for key in &ready {
            if let Some(waiting) = self.blockers.by_key.get_mut(key) {
                waiting.ready = false;
            }
        }
        ready
    }

    /// Entries in the queues of waiting clients, a client once per key it waits for.
    pub fn blocked_count(&self) -> usize {
        self.blockers
            .by_key
            .iter()
            .map(|(_, waiting)| waiting.clients.len())
            .sum()
    }

    pub fn has_ready(&self) -> bool {
        !self.blockers.ready.is_empty()
    }

    /// Every key someone waits for is ready: the whole contents changed (SWAPDB, FLUSHDB).
    fn all_blocked_ready(&mut self) {
        let keys: Vec<Box<[u8]>> = self
            .blockers
            .by_key
            .iter()
            .map(|(key, _)| key.into())
            .collect();
        for key in keys {
            let waiting = self.blockers.by_key.get_mut(&key).expect("just listed");
            if !waiting.ready {
                waiting.ready = true;
                self.blockers.ready.push(key);
            }
        }
    }

    /// Counts this database's changes (flushes count one per key) and expiries in `tally` from
    /// now on, with those of the other databases given the same one.
    pub fn share_tally(&mut self, tally: &Arc<Tally>) {
        self.tally = Arc::clone(tally);
    }

    /// WATCH: `client` watches `key`; false if it already did.
    pub fn watch(&mut self, now: UnixMillis, key: &[u8], client: ConnectionId) -> bool {
        let expired = self.keys.contains_key(key) && self.is_expired(key, now);
        let (watchers, _) = self.watches.by_key.get_or_insert_with(key, Vec::new);
        if watchers.iter().any(|watcher| watcher.client == client) {
            return false;
        }
        watchers.push(Watcher { client, expired });
        true
    }

    /// Forgets `client`'s watch of `key`.
    pub fn unwatch(&mut self, key: &[u8], client: ConnectionId) {
        let Some(watchers) = self.watches.by_key.get_mut(key) else {
            return;
        };
        watchers.retain(|watcher| watcher.client != client);
        if watchers.is_empty() {
            self.watches.by_key.remove(key);
        }
    }

    /// True when `client` still watches `key`, the key was alive when watched, and its time has
    /// come since (Redis's EXEC check `isWatchedKeyExpired`: expiry invalidates even before the
    /// key is deleted).
    pub fn watched_key_expired(&self, now: UnixMillis, key: &[u8], client: ConnectionId) -> bool {
        self.watches.by_key.get(key).is_some_and(|watchers| {
            watchers
                .iter()
                .any(|watcher| watcher.client == client && !watcher.expired)
        }) && self.is_expired(key, now)
    }

    /// Clients whose watched keys changed since the last call.
    pub fn take_invalidated(&mut self) -> Vec<ConnectionId> {
        std::mem::take(&mut self.watches.invalidated)
    }

    pub fn has_invalidated(&self) -> bool {
        !self.watches.invalidated.is_empty()
    }

    pub fn invalidated_contains(&self, client: ConnectionId) -> bool {
        self.watches.invalidated.contains(&client)
    }

    pub fn forget_invalidated(&mut self, client: ConnectionId) {
        self.watches.invalidated.retain(|&id| id != client);
    }

    /// True when `client` watches `key` here.
    pub fn is_watched_by(&self, key: &[u8], client: ConnectionId) -> bool {
        self.watches
            .by_key
            .get(key)
            .is_some_and(|watchers| watchers.iter().any(|watcher| watcher.client == client))
    }

    /// Starts or stops logging keys deleted by expiry (for propagation as DEL).
    pub fn record_expired(&mut self, on: bool) {
        self.record_expired = on;
        if !on {
            self.expired_keys_log.clear();
        }
    }

    /// Keys expiry deleted since the last call, in order.
    pub fn take_expired_keys(&mut self) -> Vec<Box<[u8]>> {
        std::mem::take(&mut self.expired_keys_log)
    }

    pub fn has_expired_keys(&self) -> bool {
        !self.expired_keys_log.is_empty()
    }

    /// Empties the keyspace and returns what it held (watchers stay). Watchers of keys that
    /// existed are invalidated, as FLUSHDB touches every watched key it deletes.
    /// A running snapshot goes with the contents: the caller steps it on the returned keyspace.
    pub fn flush(&mut self, now: UnixMillis) -> Db {
        let mut old = Db::new(self.keys.seed());
        self.swap_contents(&mut old, now);
        old
    }

    /// SWAPDB: the two keyspaces exchange their keys, values and deadlines; each keeps its
    /// watchers, and a watcher is invalidated when its key exists on either side (Redis 7.0's
    /// `touchAllWatchedKeysInDb`, with its rules for keys that were already expired). Running
    /// snapshots are exchanged too: each follows the contents it was taken of.
    pub fn swap_contents(&mut self, other: &mut Db, now: UnixMillis) {
        self.invalidate_for_swap(other, now);
        other.invalidate_for_swap(self, now);
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.ttls, &mut other.ttls);
        std::mem::swap(&mut self.garbage, &mut other.garbage);
        std::mem::swap(&mut self.snapshot, &mut other.snapshot);
        self.tally.add_changes((self.len() + other.len()) as u64);
        self.all_blocked_ready();
        other.all_blocked_ready();
    }

    /// Invalidates this keyspace's watchers as if its contents were replaced by `incoming`'s.
    fn invalidate_for_swap(&mut self, incoming: &Db, now: UnixMillis) {
        if self.watches.by_key.is_empty() {
            return;
        }
        let affected: Vec<Vec<u8>> = self
            .watches
            .by_key
            .iter()
            .map(|(key, _)| key)
            .filter(|key| self.keys.contains_key(key) || incoming.keys.contains_key(key))
            .map(<[u8]>::to_vec)
            .collect();
        for key in affected {
            let exists_here = self.keys.contains_key(&key);
            let exists_there = incoming.keys.contains_key(&key);
            let expired_there = exists_there && incoming.is_expired(&key, now);
            let Some(watchers) = self.watches.by_key.get_mut(&key) else {
                continue;
            };
            let invalidated = &mut self.watches.invalidated;
            watchers.retain_mut(|watcher| {
                if watcher.expired {
                    if !exists_there {
                        // The expired key is now gone: no logical change.
                        watcher.expired = false;
                        return true;
                    }
                    if expired_there {
                        // Expired before, expired after.
                        return true;
                    }
                } else if !exists_here && expired_there {
                    // A missing key replaced by an expired one: still logically missing.
                    watcher.expired = true;
                    return true;
                }
                invalidated.push(watcher.client);
                false
            });
            if watchers.is_empty() {
                self.watches.by_key.remove(&key);
            }
        }
    }

    /// Everything the keyspace owns, for dropping a big one a piece at a time: the values, the
    /// big values removed by expiry and not handed out yet, the expiry table and the TTL heap.
    pub fn into_parts(self) -> (HashTable<Value, u32>, Vec<Value>, HashTable<u32>, TtlHeap) {
        assert!(
            self.snapshot.is_none(),
            "a snapshot is stepped to its end or aborted before its keyspace is dropped"
        );
        (self.keys, self.garbage, self.expires, self.ttls)
    }

    /// Keys, including expired ones not yet removed (as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Makes room for `keys` keys, `expires` of them with a deadline, before they arrive (an
    /// RDB file's RESIZEDB): loading them then moves none. Nothing changes for a database that
    /// holds keys.
    pub fn reserve(&mut self, keys: usize, expires: usize) {
        self.keys.reserve(keys);
        self.expires.reserve(expires);
    }

    /// Ends what `reserve` kept, once the load is over (a file that said more keys than it
    /// held leaves no table bigger than its keys need).
    pub fn release_reserve(&mut self) {
        self.keys.release_reserve();
        self.expires.release_reserve();
    }

    /// Bytes of bookkeeping (MEMORY STATS): the key table's nodes and buckets (not what the
    /// values hold), and the expiry table's and heap's.
    pub fn overhead_bytes(&self) -> (usize, usize) {
        let main = self.keys.memory_bytes();
        let expires = self.expires.memory_bytes() + self.ttls.memory_bytes();
        (main, expires)
    }

    /// Keys with a TTL (INFO keyspace's `expires=`).
    pub fn expires_count(&self) -> usize {
        self.ttls.len()
    }

    fn is_expired(&self, key: &[u8], now: UnixMillis) -> bool {
        if self.expires.is_empty() || self.loading {
            return false;
        }
        self.expires
            .get(key)
            .is_some_and(|&position| self.ttls.get(position as usize).deadline < now.as_millis())
    }

    /// Deletes `key` if its deadline has passed; true if it did.
    fn expire_if_needed(&mut self, now: UnixMillis, key: &[u8]) -> bool {
        if self.is_expired(key, now) {
            self.expire_now(key)
        } else {
            false
        }
    }

    /// A live key's value; the read counts as an access of the key.
    pub fn get(&mut self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        if self.expiry_paused {
            if self.is_expired(key, now) {
                return None;
            }
        } else {
            self.expire_if_needed(now, key);
        }
        let (value, clock) = self.keys.get_marking(key)?;
        *clock = self.access.touched(*clock, now);
        Some(value)
    }

    /// A live key's value, leaving its access clock as it was (TYPE, EXISTS, the TTL family and
    /// OBJECT look without touching, as in Redis).
    pub fn get_untouched(&mut self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        if self.expiry_paused {
            return self.peek(now, key);
        }
        self.expire_if_needed(now, key);
        self.keys.get(key)
    }

    /// The access clock of a live key (see store/access.rs).
    pub fn access_clock(&self, now: UnixMillis, key: &[u8]) -> Option<u32> {
        if self.is_expired(key, now) {
            return None;
        }
        self.keys.meta(key)
    }

    /// Sets a key's access clock as RESTORE's IDLETIME or FREQ says (see
    /// `AccessClock::restored`); nothing changes when the option the mode reads is absent.
    pub fn restore_access(
        &mut self,
        now: UnixMillis,
        key: &[u8],
        idle_secs: Option<u64>,
        frequency: Option<u8>,
    ) {
        if let Some(clock) = self.access.restored(now, idle_secs, frequency) {
            if let Some((_, stored)) = self.keys.get_marking(key) {
                *stored = clock;
            }
        }
    }

    /// How access clocks are kept from now on (the keys keep their clocks: under a new mode
    /// they read oddly until accessed again, as in Redis).
    pub fn set_access_mode(&mut self, mode: Mode) {
        self.access.set_mode(mode);
    }

    /// While paused (CLIENT PAUSE), reads leave expired keys in place and the cron removes none;
    /// a write still removes the expired key it replaces.
    pub fn pause_expiry(&mut self, paused: bool) {
        self.expiry_paused = paused;
    }

    /// While loading, no key counts as expired (see `loading`).
    pub fn set_loading(&mut self, loading: bool) {
        self.loading = loading;
    }

    /// Looks without deleting (for read-only callers that cannot take `&mut`).
    pub fn peek(&self, now: UnixMillis, key: &[u8]) -> Option<&Value> {
        if self.is_expired(key, now) {
            return None;
        }
        self.keys.get(key)
    }

    /// Write access to a live key's value. The key counts as changed: take it only to change it.
    pub fn modify(&mut self, now: UnixMillis, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(now, key);
        self.snapshot_before_write(key);
        let (value, clock) = self.keys.get_mut_marking(key)?;
        *clock = self.access.touched(*clock, now);
        if let Some(changed) = self.changed_keys.as_mut() {
            changed.push(key.into());
        }
        record_change(
            &self.tally,
            &mut self.watches,
            &mut self.blockers,
            key,
            true,
        );
        Some(value)
    }

    /// Write access to a live key's value for a change of its encoding only, which Redis does
    /// not signal (SORT turns a small sorted set into a tree): no change is counted and WATCH
    /// does not see it, nor a running snapshot, which may visit the value in its new encoding.
    /// The caller must leave the contents as they were.
    pub fn reencode(&mut self, now: UnixMillis, key: &[u8]) -> Option<&mut Value> {
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
        self.snapshot_before_write(key);
        let old = self.insert(now, key, value);
        if old.is_some() && !keep_ttl {
            self.remove_deadline(key);
        }
        if old.is_none() {
            self.created(key);
        }
        self.touched(key);
        old
    }

    /// Stores a value: a new key's clock starts fresh; an overwritten key's counts an access
    /// (the LFU counter survives a new value, as in Redis).
    fn insert(&mut self, now: UnixMillis, key: &[u8], value: Value) -> Option<Value> {
        let access = &mut self.access;
        self.keys.insert_with_meta(key, value, |old| match old {
            Some(clock) => access.touched(clock, now),
            None => access.fresh(now),
        })
    }

    /// Removes a live key; an expired one is deleted too but counts as missing.
    pub fn remove(&mut self, now: UnixMillis, key: &[u8]) -> Option<Value> {
        if self.expire_if_needed(now, key) {
            return None;
        }
        self.delete(key)
    }

    fn delete(&mut self, key: &[u8]) -> Option<Value> {
        self.snapshot_before_remove(key);
        let value = self.keys.remove(key)?;
        self.remove_deadline(key);
        self.touched(key);
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
        self.snapshot_before_write(key);
        self.put_deadline(key, at);
        self.touched(key);
        true
    }

    /// Stores `value` under `key` with the deadline `at`, returning what was there: one change
    /// (SET with EX, RENAME, COPY and MOVE of a key with a TTL).
    pub fn set_expiring(
        &mut self,
        now: UnixMillis,
        key: &[u8],
        value: Value,
        at: UnixMillis,
    ) -> Option<Value> {
        self.expire_if_needed(now, key);
        self.snapshot_before_write(key);
        let old = self.insert(now, key, value);
        self.put_deadline(key, at);
        if old.is_none() {
            self.created(key);
        }
        self.touched(key);
        old
    }

    /// `set_expiring` with a deadline, `set` (clearing any TTL) without one.
    pub fn set_with_expiry(
        &mut self,
        now: UnixMillis,
        key: &[u8],
        value: Value,
        at: Option<UnixMillis>,
    ) -> Option<Value> {
        match at {
            Some(at) => self.set_expiring(now, key, value, at),
            None => self.set(now, key, value, false),
        }
    }

    fn put_deadline(&mut self, key: &[u8], at: UnixMillis) {
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
    }

    /// Removes the key's TTL; true if it had one.
    pub fn clear_expiry(&mut self, key: &[u8]) -> bool {
        if self.snapshot.is_some() && self.expires.contains_key(key) {
            self.snapshot_before_write(key);
        }
        let removed = self.remove_deadline(key);
        if removed {
            self.touched(key);
        }
        removed
    }

    fn remove_deadline(&mut self, key: &[u8]) -> bool {
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
    /// many it deleted (none while loading).
    pub fn expire_step(&mut self, now: UnixMillis, keys_max: usize) -> usize {
        if self.loading {
            return 0;
        }
        let mut expired = 0;
        while expired < keys_max {
            let Some(first) = self.ttls.peek() else {
                break;
            };
            if first.deadline >= now.as_millis() {
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
        if self.record_expired {
            self.expired_keys_log.push(key.into());
            self.tally.expired_logged.store(true, Ordering::Relaxed);
        }
        self.expired_since_last_count += 1;
        if value.free_effort() > crate::garbage::LAZY_FREE_EFFORT_MIN {
            self.garbage.push(value);
        }
        true
    }

    /// Entry number `index % count` of the keys (or, when `volatile`, of the keys with a TTL), for
    /// eviction's sampling: O(1) and uniform (both tables are dense slabs).
    pub fn sample(&self, volatile: bool, index: usize) -> Option<Sample<'_>> {
        if !volatile {
            let (key, _, clock) = self.keys.entry_with_meta_at(index)?;
            return Some(Sample {
                key,
                clock,
                deadline: None,
            });
        }
        let (key, &position) = self.expires.entry_at(index)?;
        Some(Sample {
            key,
            clock: self.keys.meta(key)?,
            deadline: Some(self.ttls.get(position as usize).deadline),
        })
    }

    /// Whether `key` is stored (with a TTL, when `volatile`), expired or not: an eviction
    /// candidate is still there to evict.
    pub fn holds(&self, key: &[u8], volatile: bool) -> bool {
        if volatile {
            self.expires.contains_key(key)
        } else {
            self.keys.contains_key(key)
        }
    }

    /// Removes `key` to free memory, through the write path as a DEL does, expired or not.
    pub fn evict(&mut self, key: &[u8]) -> Option<Value> {
        self.delete(key)
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

    /// `iter` with each key's access clock (what an RDB file keeps of it).
    pub fn iter_with_clocks(&self, now: UnixMillis) -> impl Iterator<Item = (&[u8], &Value, u32)> {
        self.keys
            .iter_with_meta()
            .filter(move |(key, _, _)| !self.is_expired(key, now))
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
        self.blockers.by_key.check_invariants();
        for (key, waiting) in self.blockers.by_key.iter() {
            assert!(
                !waiting.clients.is_empty(),
                "no empty lists of waiting clients"
            );
            assert_eq!(
                waiting.ready,
                self.blockers.ready.iter().any(|ready| &ready[..] == key),
                "a key is flagged ready exactly while it is in the ready list"
            );
        }
        self.watches.by_key.check_invariants();
        for (_, watchers) in self.watches.by_key.iter() {
            assert!(!watchers.is_empty(), "no empty watcher lists");
        }
        self.keys.check_invariants();
        for (_, value) in self.keys.iter() {
            value.check_invariants();
        }
        self.expires.check_invariants();
        self.ttls.check_invariants();
        self.check_snapshot();
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

/// One key drawn for eviction (`Db::sample`).
pub struct Sample<'a> {
    pub key: &'a [u8],
    /// Its access clock (store/access.rs).
    pub clock: u32,
    /// Its deadline in wall-clock milliseconds: drawn from the keys with a TTL only (what
    /// `volatile-ttl` ranks by), None otherwise.
    pub deadline: Option<i64>,
}

/// Bytes a key and its value take, roughly (MEMORY USAGE, and what evicting the key frees): the
/// keyspace node with a short key inline and the value's 24 bytes, a long key's own block, and
/// what the value holds.
pub fn entry_bytes(key: &[u8], value: &Value) -> usize {
    /// A keyspace node: the key inline, the value, a link, the access clock.
    const NODE_BYTES: usize = 56;
    let key_bytes = if key.len() > crate::store::bytes::INLINE_BYTES_MAX {
        key.len()
    } else {
        0
    };
    NODE_BYTES + key_bytes + value.heap_bytes()
}

/// The write path's bookkeeping for a change to `key` (`exists`: it is stored now): count it,
/// and invalidate its watchers, but for the deletion of a key that was already expired when
/// watched, which is no logical change.
fn record_change(
    tally: &Tally,
    watches: &mut Watches,
    blockers: &mut Blockers,
    key: &[u8],
    exists: bool,
) {
    tally.add_changes(1);
    if !blockers.by_key.is_empty() {
        if let Some(waiting) = blockers.by_key.get_mut(key) {
            if !waiting.ready {
                waiting.ready = true;
                blockers.ready.push(key.into());
            }
        }
    }
    if watches.by_key.is_empty() {
        return;
    }
    let Some(watchers) = watches.by_key.get_mut(key) else {
        return;
    };
    let invalidated = &mut watches.invalidated;
    watchers.retain_mut(|watcher| {
        if watcher.expired && !exists {
            // From now on the key is plainly missing.
            watcher.expired = false;
            return true;
        }
        invalidated.push(watcher.client);
        false
    });
    if watchers.is_empty() {
        watches.by_key.remove(key);
    }
}

fn set_heap_position(expires: &mut HashTable<u32>, key: &[u8], position: usize) {
    *expires.get_or_insert_with(key, || 0).0 = position as u32;
}
