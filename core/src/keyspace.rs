//! Every database, and what the write path does across them: whole-keyspace changes (FLUSHDB,
//! FLUSHALL, SWAPDB), the watchers a change invalidated, the big values expiry removed.
//!
//! Changes to single keys go through `Db` (see its module doc: `touched` is the one place a
//! change is counted and signalled); this type owns the databases and collects what those
//! changes left for the server to act on.

use std::sync::Arc;

use crate::clients::ConnectionId;
use crate::effects::Effects;
use crate::garbage::{Garbage, LAZY_FREE_EFFORT_MIN};
use crate::notify;
use crate::store::db::{Db, Tally};
use crate::time::UnixMillis;

pub(crate) struct Keyspace {
    pub(crate) dbs: Vec<Db>,
    /// Contents FLUSHDB or FLUSHALL removed while a background save still had to write them:
    /// kept (nothing changes them) until their snapshot is written or dropped.
    pub(crate) detached: Vec<Db>,
    /// The changes as they propagate, while a consumer asked for them (`Server::propagate`).
    propagation: Option<Propagation>,
    /// Changes taken from the stream so far (`take_propagated`), over the server's life.
    changes_taken: u64,
    /// Keys expiry removed, kept for `expired` notifications while they are on.
    expired_events: Option<Vec<(usize, Box<[u8]>)>>,
    /// CLIENT PAUSE stopped expiry (see `Db::pause_expiry`).
    expiry_paused: bool,
    /// The change count and the expiry log of every database in `dbs`.
    tally: Arc<Tally>,
}

/// One change as it propagates: a command that, run on database `db`, makes the same change
/// on any server with the same data, whatever its clock. Relative expiry becomes absolute
/// (`PEXPIREAT`, `SET ... PXAT`), INCRBYFLOAT becomes `SET ... KEEPTTL`, a key removed by
/// expiry becomes `DEL`, a transaction is wrapped in `MULTI` ... `EXEC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagated {
    pub db: usize,
    pub args: Vec<Vec<u8>>,
}

/// Changes in the order they were recorded: each one's command encoded as RESP, back to back
/// in one buffer (so that recording a change allocates nothing of its own, and the
/// append-only file takes the bytes as they are), with its database.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Per change: its database and where its bytes end.
    ends: Vec<(usize, usize)>,
    bytes: Vec<u8>,
}

impl Changes {
    fn push<'a>(&mut self, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]>) {
        crate::protocol::resp::encode_args_into(&mut self.bytes, args);
        self.ends.push((db, self.bytes.len()));
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn start_of(&self, index: usize) -> usize {
        index.checked_sub(1).map_or(0, |before| self.ends[before].1)
    }

    /// Each change's database and its command as RESP, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.ends
            .iter()
            .enumerate()
            .map(|(index, &(db, end))| (db, &self.bytes[self.start_of(index)..end]))
    }

    /// Takes out the first `count` changes.
    fn take_front(&mut self, count: usize) -> Changes {
        let split = self.start_of(count);
        let bytes = self.bytes.drain(..split).collect();
        let ends = self.ends.drain(..count).collect();
        for (_, end) in &mut self.ends {
            *end -= split;
        }
        Changes { ends, bytes }
    }

    /// Inserts a change of `args` on `db` before the change at `index`.
    fn insert(&mut self, index: usize, db: usize, args: &[&[u8]]) {
        let at = self.start_of(index);
        let mut encoded = Vec::new();
        crate::protocol::resp::encode_request_into(&mut encoded, args);
        self.bytes.splice(at..at, encoded.iter().copied());
        for (_, end) in &mut self.ends[index..] {
            *end += encoded.len();
        }
        self.ends.insert(index, (db, at + encoded.len()));
    }

    /// Each change with its arguments apart (for whoever observes the stream).
    pub(crate) fn to_propagated(&self) -> Vec<Propagated> {
        self.iter()
            .map(|(db, bytes)| Propagated {
                db,
                args: decode_request(bytes),
            })
            .collect()
    }
}

/// The arguments of a request `encode_request_into` wrote.
fn decode_request(bytes: &[u8]) -> Vec<Vec<u8>> {
    // A decimal up to the CRLF at `at`, and the offset after that CRLF.
    fn number(bytes: &[u8], at: usize) -> (usize, usize) {
        let end = at
            + bytes[at..]
                .iter()
                .position(|&byte| byte == b'\r')
                .expect("CRLF");
        let text = std::str::from_utf8(&bytes[at..end]).expect("digits");
        (text.parse().expect("a length"), end + 2)
    }
    let (count, mut at) = number(bytes, 1);
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let (length, start) = number(bytes, at + 1);
        args.push(bytes[start..start + length].to_vec());
        at = start + length + 2;
    }
    args
}

struct Propagation {
    stream: Changes,
    /// Keys the server removed itself (expiry, eviction), recorded as DEL so far: a command's
    /// own change is what remains of the change count once these are taken out.
    removed_recorded: u64,
    /// The running command recorded its change itself (a rewrite): it is not recorded again
    /// as it was sent.
    recorded_by_command: bool,
    /// Where the changes of a script still running begin: they leave together, wrapped as a
    /// transaction, once it ends (see `begin_script`).
    script_from: Option<usize>,
}

impl Keyspace {
    pub(crate) fn new(databases: usize, seed: u64) -> Keyspace {
        let tally = Arc::new(Tally::default());
        Keyspace {
            dbs: (0..databases)
                .map(|index| {
                    let mut db = Db::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                    db.share_tally(&tally);
                    db
                })
                .collect(),
            detached: Vec::new(),
            propagation: None,
            changes_taken: 0,
            expired_events: None,
            expiry_paused: false,
            tally,
        }
    }

    /// Keeps what the notifications `notify-keyspace-events` asks for need: the keys expiry
    /// removes (`expired`) and the keys created (`new`).
    /// Starts (or stops) keeping the keys that change, in every database (while a connection
    /// tracks keys for client-side caching).
    pub(crate) fn record_changed_keys(&mut self, on: bool) {
        for db in &mut self.dbs {
            db.record_changed_keys(on);
        }
    }

    /// Keys changed since the last call, in every database (keys are not per database for
    /// client-side caching).
    pub(crate) fn take_changed_keys(&mut self) -> Vec<Box<[u8]>> {
        let mut changed = Vec::new();
        for db in &mut self.dbs {
            changed.extend(db.take_changed_keys());
        }
        changed
    }

    /// Stops or resumes expiry in every database (CLIENT PAUSE and its end).
    pub(crate) fn pause_expiry(&mut self, paused: bool) {
        if paused != self.expiry_paused {
            self.expiry_paused = paused;
            for db in &mut self.dbs {
                db.pause_expiry(paused);
            }
        }
    }

    /// What the keyspace keeps depends on: the notifications asked for and how access clocks
    /// are kept.
    pub(crate) fn apply_config(&mut self, config: &crate::config::Config) {
        self.set_notifications(config.notify_keyspace_events);
        let mode = config.access_mode();
        for db in &mut self.dbs {
            db.set_access_mode(mode);
        }
    }

    fn set_notifications(&mut self, flags: notify::Class) {
        let expired = flags & notify::EXPIRED != 0;
        if expired != self.expired_events.is_some() {
            self.expired_events = expired.then(Vec::new);
            self.record_expired_keys();
        }
        for db in &mut self.dbs {
            db.record_new_keys(flags & notify::NEW != 0);
        }
    }

    /// Keys expiry removed since the last call, by database (when `set_expired_events` is on).
    pub(crate) fn take_expired_events(&mut self) -> Vec<(usize, Box<[u8]>)> {
        self.expired_events
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn record_expired_keys(&mut self) {
        let on = self.propagation.is_some() || self.expired_events.is_some();
        for db in &mut self.dbs {
            db.record_expired(on);
        }
    }

    /// Loading the append-only file: no key counts as expired meanwhile.
    pub(crate) fn set_loading(&mut self, loading: bool) {
        for db in &mut self.dbs {
            db.set_loading(loading);
        }
    }

    /// Starts (or stops) recording changes for propagation.
    pub(crate) fn set_propagation(&mut self, on: bool) {
        self.propagation = on.then(|| Propagation {
            stream: Changes::default(),
            removed_recorded: 0,
            recorded_by_command: false,
            script_from: None,
        });
        self.record_expired_keys();
    }

    pub(crate) fn propagating(&self) -> bool {
        self.propagation.is_some()
    }

    /// The changes recorded since the last call, but those of a script still running.
    pub(crate) fn take_propagated(&mut self) -> Changes {
        let Some(propagation) = self.propagation.as_mut() else {
            return Changes::default();
        };
        let changes = match propagation.script_from.as_mut() {
            Some(from) => propagation.stream.take_front(std::mem::take(from)),
            None => std::mem::take(&mut propagation.stream),
        };
        self.changes_taken += changes.len() as u64;
        changes
    }

    /// Bytes of the changes not yet taken from the stream (they reach the append-only file's
    /// buffer at the end of the turn).
    pub(crate) fn pending_bytes(&self) -> u64 {
        self.propagation
            .as_ref()
            .map_or(0, |propagation| propagation.stream.bytes.len() as u64)
    }

    /// Changes taken from the stream so far.
    pub(crate) fn changes_taken(&self) -> u64 {
        self.changes_taken
    }

    /// The count `changes_taken` reaches once the changes recorded so far are taken (those of
    /// a script still running come later): a reply waits until that many are durable.
    pub(crate) fn changes_recorded(&self) -> u64 {
        let pending = self.propagation.as_ref().map_or(0, |propagation| {
            propagation.script_from.unwrap_or(propagation.stream.len())
        });
        self.changes_taken + pending as u64
    }

    /// Changes taken and read: their buffers serve the next ones (a busy server then records
    /// without growing them again every turn).
    pub(crate) fn recycle_propagated(&mut self, mut changes: Changes) {
        let Some(propagation) = self.propagation.as_mut() else {
            return;
        };
        if propagation.stream.is_empty()
            && changes.bytes.capacity() > propagation.stream.bytes.capacity()
        {
            changes.ends.clear();
            changes.bytes.clear();
            propagation.stream = changes;
        }
    }

    /// A script starts: what it changes is kept back until `end_script`, so that no reader of
    /// the stream (the append-only file) gets part of it, even while the script is suspended
    /// between slices.
    pub(crate) fn begin_script(&mut self) {
        if let Some(propagation) = self.propagation.as_mut() {
            propagation.script_from = Some(propagation.stream.len());
        }
    }

    /// The script ended: two changes or more are wrapped in MULTI ... EXEC (one is atomic as
    /// it is), as Redis 7 propagates a script's effects, unless the script ran inside EXEC,
    /// whose own wrapping covers it.
    pub(crate) fn end_script(&mut self, in_exec: bool) {
        let Some(propagation) = self.propagation.as_mut() else {
            return;
        };
        let Some(start) = propagation.script_from.take() else {
            return;
        };
        if !in_exec && propagation.stream.len() - start > 1 {
            self.wrap_in_transaction(start);
        }
    }

    /// Records a change as the command `args` run on database `db` (a command's rewrite of
    /// itself; a no-op unless propagating). Keys expiry removed before it come first.
    pub(crate) fn propagate(&mut self, db: usize, args: &[&[u8]]) {
        if self.propagation.is_none() {
            return;
        }
        self.propagate_expired();
        let propagation = self.propagation.as_mut().expect("checked above");
        propagation.recorded_by_command = true;
        propagation.stream.push(db, args.iter().copied());
    }

    /// Records the keys expiry removed as DELs.
    /// (And keeps them for notifications, when asked to.)
    pub(crate) fn propagate_expired(&mut self) {
        if !self.tally.take_expired_logged() {
            return;
        }
        for (index, db) in self.dbs.iter_mut().enumerate() {
            if !db.has_expired_keys() {
                continue;
            }
            for key in db.take_expired_keys() {
                if let Some(events) = self.expired_events.as_mut() {
                    events.push((index, key.clone()));
                }
                if let Some(propagation) = self.propagation.as_mut() {
                    propagation.removed_recorded += 1;
                    propagation
                        .stream
                        .push(index, [&b"DEL"[..], &key].into_iter());
                }
            }
        }
    }

    /// Records a key eviction removed as a DEL (after the expired keys before it). Like expiry's,
    /// it is not the running command's own change.
    pub(crate) fn propagate_evicted(&mut self, db: usize, key: &[u8]) {
        if self.propagation.is_none() {
            return;
        }
        self.propagate_expired();
        let propagation = self.propagation.as_mut().expect("checked above");
        propagation.removed_recorded += 1;
        propagation.stream.push(db, [&b"DEL"[..], key].into_iter());
    }

    /// Where a command starts: the change count and the expired keys recorded so far.
    pub(crate) fn propagation_mark(&self) -> Option<(u64, u64)> {
        let propagation = self.propagation.as_ref()?;
        Some((self.changes(), propagation.removed_recorded))
    }

    /// Whether the running command changed anything since `mark` (a `propagation_mark`)
    /// beyond the keys expiry removed on the way: false when nothing is recorded.
    pub(crate) fn changed_since(&mut self, (changes_before, removed_before): (u64, u64)) -> bool {
        self.propagate_expired();
        let changes = self.changes() - changes_before;
        self.propagation
            .as_ref()
            .is_some_and(|propagation| changes > propagation.removed_recorded - removed_before)
    }

    /// After a command ran: unless it recorded its change itself, a write command that changed
    /// anything (beyond expiring keys on the way) propagates as it was sent.
    pub(crate) fn propagate_command(
        &mut self,
        db: usize,
        args: crate::protocol::resp::Args<'_>,
        write: bool,
        (changes_before, removed_before): (u64, u64),
    ) {
        self.propagate_expired();
        let changes = self.changes() - changes_before;
        let Some(propagation) = self.propagation.as_mut() else {
            return;
        };
        let changed = changes > propagation.removed_recorded - removed_before;
        if !std::mem::take(&mut propagation.recorded_by_command) && write && changed {
            propagation.stream.push(db, args.iter());
        }
    }

    /// How many changes were recorded so far (EXEC wraps what its commands add).
    pub(crate) fn propagated_len(&self) -> usize {
        self.propagation
            .as_ref()
            .map_or(0, |propagation| propagation.stream.len())
    }

    /// Wraps the changes recorded from `start` on in MULTI ... EXEC (a transaction that wrote).
    pub(crate) fn wrap_in_transaction(&mut self, start: usize) {
        let Some(propagation) = self.propagation.as_mut() else {
            return;
        };
        if propagation.stream.len() == start {
            return;
        }
        let db = propagation.stream.ends[start].0;
        propagation.stream.insert(start, db, &[b"MULTI"]);
        propagation.stream.push(db, [&b"EXEC"[..]].into_iter());
    }

    /// Changes made to every database so far (Redis's dirty counter).
    pub(crate) fn changes(&self) -> u64 {
        self.tally.changes()
    }

    /// Empties database `index`; its contents leave through `effects` when `lazy` or big.
    pub(crate) fn flush(
        &mut self,
        index: usize,
        now: UnixMillis,
        lazy: bool,
        effects: &mut Effects,
    ) {
        let old = self.dbs[index].flush(now);
        if old.snapshot_running() {
            // A background save still needs the flushed contents as they were.
            self.detached.push(old);
            return;
        }
        if lazy || old.len() > LAZY_FREE_EFFORT_MIN {
            effects.free(Garbage::keyspace(old));
        }
    }

    /// The keyspace (a database's contents, wherever SWAPDB or FLUSHDB moved them) whose
    /// running snapshot was begun for database `origin`.
    pub(crate) fn snapshot_of(&mut self, origin: usize) -> Option<&mut Db> {
        self.dbs
            .iter_mut()
            .chain(self.detached.iter_mut())
            .find(|db| db.snapshot_origin() == Some(origin))
    }

    /// Drops every running snapshot, and the flushed contents kept for them.
    pub(crate) fn abort_snapshots(&mut self, effects: &mut Effects) {
        for db in &mut self.dbs {
            db.snapshot_abort();
        }
        self.release_detached(effects, true);
    }

    /// Frees the flushed contents whose snapshot is written (all of them when `all`).
    pub(crate) fn release_detached(&mut self, effects: &mut Effects, all: bool) {
        let mut index = 0;
        while index < self.detached.len() {
            if all || !self.detached[index].snapshot_running() {
                let mut old = self.detached.swap_remove(index);
                old.snapshot_abort();
                effects.free(Garbage::keyspace(old));
            } else {
                index += 1;
            }
        }
    }

    /// SWAPDB: the two databases exchange their contents; connections and watchers stay with
    /// the numbers.
    pub(crate) fn swap(&mut self, first: usize, second: usize, now: UnixMillis) {
        if first == second {
            return;
        }
        let (low, high) = (first.min(second), first.max(second));
        let (left, right) = self.dbs.split_at_mut(high);
        left[low].swap_contents(&mut right[0], now);
    }

    /// The connections whose watched keys changed since the last call.
    pub(crate) fn take_invalidated_watchers(&mut self) -> Vec<ConnectionId> {
        let mut invalidated = Vec::new();
        for db in &mut self.dbs {
            // Read-only check first: this runs after every batch of commands.
            if db.has_invalidated() {
                invalidated.extend(db.take_invalidated());
            }
        }
        invalidated
    }

    /// True when a change invalidated a watch of `id` that the server has not collected yet.
    pub(crate) fn is_invalidated(&self, id: ConnectionId) -> bool {
        self.dbs.iter().any(|db| db.invalidated_contains(id))
    }

    /// Drops `id` from the invalidations not collected yet (it unwatched everything).
    pub(crate) fn forget_invalidation(&mut self, id: ConnectionId) {
        for db in &mut self.dbs {
            if db.has_invalidated() {
                db.forget_invalidated(id);
            }
        }
    }

    /// Hands the big values expiry removed to `effects`, to be freed off the event loop.
    pub(crate) fn collect_garbage(&mut self, effects: &mut Effects) {
        for db in &mut self.dbs {
            if db.has_garbage() {
                for value in db.take_garbage() {
                    effects.free(Garbage::value(value));
                }
            }
        }
    }

    pub(crate) fn check_invariants(&self) {
        for db in &self.dbs {
            db.check_invariants();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(db: usize, args: &[&str]) -> Propagated {
        Propagated {
            db,
            args: args.iter().map(|arg| arg.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn changes_keep_their_order_through_an_insert_and_a_split() {
        let mut changes = Changes::default();
        changes.push(0, [&b"SET"[..], b"k", b""].into_iter());
        changes.push(3, [&b"DEL"[..], b"a\r\nb"].into_iter());
        changes.push(3, [&b"INCR"[..], b"n"].into_iter());
        changes.insert(1, 3, &[b"MULTI"]);
        let front = changes.take_front(2);
        assert_eq!(
            front.to_propagated(),
            [change(0, &["SET", "k", ""]), change(3, &["MULTI"])]
        );
        assert_eq!(
            changes.to_propagated(),
            [change(3, &["DEL", "a\r\nb"]), change(3, &["INCR", "n"])]
        );
        let mut expected = Vec::new();
        crate::protocol::resp::encode_request_into(&mut expected, &[&b"INCR"[..], b"n"]);
        assert_eq!(changes.iter().nth(1), Some((3, &expected[..])));
    }
}
