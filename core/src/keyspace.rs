//! Every database, and what the write path does across them: whole-keyspace changes (FLUSHDB,
//! FLUSHALL, SWAPDB), the watchers a change invalidated, the big values expiry removed.
//!
//! Changes to single keys go through `Db` (see its module doc: `touched` is the one place a
//! change is counted and signalled); this type owns the databases and collects what those
//! changes left for the server to act on.

use crate::effects::Effects;
use crate::server::{ConnectionId, Garbage, LAZY_FREE_EFFORT_MIN};
use crate::store::db::Db;
use crate::time::UnixMillis;

pub(crate) struct Keyspace {
    pub(crate) dbs: Vec<Db>,
}

impl Keyspace {
    pub(crate) fn new(databases: usize, seed: u64) -> Keyspace {
        Keyspace {
            dbs: (0..databases)
                .map(|index| Db::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)))
                .collect(),
        }
    }

    /// Changes made to every database so far (Redis's dirty counter).
    pub(crate) fn changes(&self) -> u64 {
        self.dbs.iter().map(Db::changes).sum()
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
        if lazy || old.len() > LAZY_FREE_EFFORT_MIN {
            effects.free(Garbage::keyspace(old));
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
