//! `maxmemory`: when used memory is over the limit, keys are evicted as `maxmemory-policy` says,
//! or (with `noeviction`, or nothing left to evict) commands that would add data are refused.
//!
//! Used memory is the driver's measure (`Server::set_used_memory`), less what the evictions since
//! that measure are estimated to have freed (`store::db::entry_bytes` of each victim): the core
//! cannot read the allocator, and the driver measures again before it hands in more input.
//!
//! Victims are chosen as Redis chooses them, approximately, by sampling: each round draws
//! `maxmemory-samples` keys from every database (every key, or those with a TTL under the
//! `volatile-*` policies), ranks them (idle time for LRU, 255 minus the decayed counter for LFU,
//! nearness of the deadline for `volatile-ttl`) into a pool of the best 16 candidates kept from
//! round to round, and evicts the best candidate still stored. The random policies take a random
//! key of the next database in turn. Draws come from the core's seeded source and clocks from its
//! wall time, so the simulator replays eviction exactly.
//!
//! Each victim leaves through the write path (WATCH, client-side caching and the change count see
//! it), propagates as DEL, publishes the `evicted` keyspace event and counts in INFO's
//! `evicted_keys`. One call evicts at most `keys_per_call` keys (`maxmemory-eviction-tenacity`);
//! if memory is still over then, the command runs anyway and the server goes on evicting from
//! its timer, as Redis does.

use rand_core::Rng;

use crate::config::{EvictionPolicy, Ranking};
use crate::effects::Effects;
use crate::garbage::Garbage;
use crate::keyspace::Keyspace;
use crate::notify;
use crate::state::ServerState;
use crate::store::access::{idle_millis, lfu_counter};
use crate::store::db::{entry_bytes, Sample};
use crate::time::UnixMillis;

/// Candidates kept between rounds (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// Redis's reply to a command that would add data while memory is over the limit.
pub(crate) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Where eviction stands.
#[derive(Debug, Default)]
pub(crate) struct Eviction {
    /// The best candidates seen so far, worst first.
    pool: Vec<Candidate>,
    /// The database the random policies draw from next.
    next_db: usize,
    /// What the victims since the driver's last measure are estimated to have freed.
    freed_since_measured: u64,
    /// Memory was still over the limit when the last call stopped at its bound: the timer goes
    /// on (`Server::poll_timeout`).
    pub(crate) running: bool,
    /// The last check before a command found memory over the limit with nothing left to evict
    /// (Redis's `pre_command_oom_state`, which scripts consult for the commands they call).
    pub(crate) out_of_memory: bool,
    /// The keys evicted, by database, while the server records what it does
    /// (`Server::record_execution`).
    recorded: Option<Vec<(usize, Box<[u8]>)>>,
}

#[derive(Debug)]
struct Candidate {
    /// Higher is a better victim.
    score: u64,
    db: usize,
    key: Box<[u8]>,
}

/// How a call ended (Redis's `EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Memory is within the limit (or there is no limit).
    Within,
    /// Still over the limit after the most keys one call may evict: the timer goes on.
    Running,
    /// Over the limit with nothing (more) to evict.
    Failed,
}

impl Eviction {
    /// The driver measured `bytes` of used memory (the victims before it are counted in it).
    pub(crate) fn measured(&mut self) {
        self.freed_since_measured = 0;
    }

    pub(crate) fn record(&mut self, on: bool) {
        self.recorded = on.then(Vec::new);
    }

    /// The evictions recorded since the last call.
    pub(crate) fn take_recorded(&mut self) -> Vec<(usize, Box<[u8]>)> {
        self.recorded
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Offers a sampled key to the pool.
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if let Some(index) = self
            .pool
            .iter()
            .position(|candidate| candidate.db == db && *candidate.key == *key)
        {
            self.pool.remove(index);
        }
        let at = self
            .pool
            .partition_point(|candidate| candidate.score < score);
        if self.pool.len() == POOL_SIZE {
            if at == 0 {
                return;
            }
            self.pool.remove(0);
            self.pool.insert(at - 1, Candidate::new(score, db, key));
        } else {
            self.pool.insert(at, Candidate::new(score, db, key));
        }
    }
}

impl Candidate {
    fn new(score: u64, db: usize, key: &[u8]) -> Candidate {
        Candidate {
            score,
            db,
            key: key.into(),
        }
    }
}

/// Used memory as the core judges it: the driver's last measure less what was evicted since.
pub(crate) fn used_memory(state: &ServerState) -> u64 {
    state
        .used_memory_bytes
        .saturating_sub(state.eviction.freed_since_measured)
}

/// The most keys one call may evict: Redis bounds a call by time (`evictionTimeLimitUs`: 50 µs
/// per point of tenacity up to 10, then 15% more per point, none at 100); ferrodis counts work
/// instead, one key per microsecond of Redis's bound, and at least 16 (Redis checks its clock
/// every 16 keys).
pub(crate) fn keys_per_call(tenacity: u32) -> u64 {
    let micros = match tenacity {
        0..=10 => 50.0 * f64::from(tenacity),
        11..=99 => 500.0 * 1.15f64.powi(tenacity as i32 - 10),
        _ => return u64::MAX,
    };
    (micros as u64).max(16)
}

/// What every command does first while `maxmemory` is set (unless a script is suspended):
/// evicts, and says whether memory is still over the limit with nothing left to evict. Scripts
/// consult the answer for the commands they call (`Eviction::out_of_memory`).
pub(crate) fn before_command(
    keyspace: &mut Keyspace,
    state: &mut ServerState,
    effects: &mut Effects,
) -> bool {
    let out_of_memory = state.config.maxmemory_bytes > 0
        && state.scripts.busy.is_none()
        && !state.loading_dataset
        && evict(keyspace, state, effects) == Outcome::Failed;
    state.eviction.out_of_memory = out_of_memory;
    out_of_memory
}

/// Evicts keys until used memory is within `maxmemory`, nothing is left to evict, or the call's
/// bound is reached. While CLIENT PAUSE holds, nothing is evicted (a paused server changes
/// nothing), as in Redis.
pub(crate) fn evict(
    keyspace: &mut Keyspace,
    state: &mut ServerState,
    effects: &mut Effects,
) -> Outcome {
    let maxmemory = state.config.maxmemory_bytes;
    if maxmemory == 0 || state.pause.is_some() {
        state.eviction.running = false;
        return Outcome::Within;
    }
    let policy = state.config.maxmemory_policy;
    let keys_max = keys_per_call(state.config.maxmemory_eviction_tenacity);
    let mut evicted = 0;
    let outcome = loop {
        if used_memory(state) <= maxmemory {
            break Outcome::Within;
        }
        if evicted == keys_max {
            break Outcome::Running;
        }
        let Some((db, key)) = pick(keyspace, state, policy) else {
            break Outcome::Failed;
        };
        let value = keyspace.dbs[db]
            .evict(&key)
            .expect("a picked key is stored");
        state.eviction.freed_since_measured += entry_bytes(&key, &value) as u64;
        state.stats.evicted_keys += 1;
        evicted += 1;
        if let Some(recorded) = state.eviction.recorded.as_mut() {
            recorded.push((db, key.clone()));
        }
        keyspace.propagate_evicted(db, &key);
        notify::publish(
            effects,
            &state.pubsub,
            state.config.notify_keyspace_events,
            notify::EVICTED,
            db,
            "evicted",
            &key,
        );
        if state.config.lazyfree_lazy_eviction {
            effects.free(Garbage::value(value));
        } else {
            effects.discard(value);
        }
    };
    state.eviction.running = outcome == Outcome::Running;
    outcome
}

/// The next victim under `policy`, if any key may go.
fn pick(
    keyspace: &Keyspace,
    state: &mut ServerState,
    policy: EvictionPolicy,
) -> Option<(usize, Box<[u8]>)> {
    let ranking = policy.ranking()?;
    let volatile = policy.volatile();
    let count = |db: &crate::store::db::Db| {
        if volatile {
            db.expires_count()
        } else {
            db.len()
        }
    };
    if ranking == Ranking::Random {
        let databases = keyspace.dbs.len();
        for step in 0..databases {
            let index = (state.eviction.next_db + step) % databases;
            let db = &keyspace.dbs[index];
            if count(db) == 0 {
                continue;
            }
            state.eviction.next_db = (index + 1) % databases;
            let drawn = state.random.next_u64() as usize;
            let sample = db.sample(volatile, drawn)?;
            return Some((index, sample.key.into()));
        }
        return None;
    }
    let now = state.now.wall;
    // Each round offers at least one key still stored, so the pool then yields a victim; a
    // round that offers none (nothing to evict) ends the search.
    loop {
        let mut offered = 0;
        for (index, db) in keyspace.dbs.iter().enumerate() {
            let draws = (state.config.maxmemory_samples as usize).min(count(db));
            for _ in 0..draws {
                let drawn = state.random.next_u64() as usize;
                let Some(sample) = db.sample(volatile, drawn) else {
                    break;
                };
                let score = score(&sample, ranking, now, state.config.lfu_decay_time_mins);
                state.eviction.offer(score, index, sample.key);
                offered += 1;
            }
        }
        if offered == 0 {
            return None;
        }
        while let Some(best) = state.eviction.pool.pop() {
            if keyspace.dbs[best.db].holds(&best.key, volatile) {
                return Some((best.db, best.key));
            }
        }
    }
}

/// How good a victim a sampled key is (higher is better).
fn score(sample: &Sample<'_>, ranking: Ranking, now: UnixMillis, decay_minutes: u32) -> u64 {
    match ranking {
        Ranking::Lru => idle_millis(sample.clock, now),
        Ranking::Lfu => 255 - u64::from(lfu_counter(sample.clock, now, decay_minutes)),
        Ranking::Ttl => u64::MAX - sample.deadline.map_or(0, |deadline| deadline.max(0) as u64),
        Ranking::Random => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_per_call_follows_tenacity() {
        assert_eq!(keys_per_call(0), 16);
        assert_eq!(keys_per_call(1), 50);
        assert_eq!(keys_per_call(10), 500);
        assert_eq!(keys_per_call(11), 575);
        assert_eq!(keys_per_call(100), u64::MAX);
    }

    #[test]
    fn the_pool_keeps_the_best_sixteen_once_each() {
        let mut eviction = Eviction::default();
        for score in 0..40u64 {
            eviction.offer(score * 7 % 40, 0, format!("k{}", score * 7 % 40).as_bytes());
        }
        eviction.offer(39, 0, b"k39");
        let scores: Vec<u64> = eviction
            .pool
            .iter()
            .map(|candidate| candidate.score)
            .collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        eviction.offer(1, 0, b"k39");
        assert_eq!(eviction.pool.len(), 16);
        assert_eq!(*eviction.pool[0].key, *b"k39");
        let named = |candidate: &&Candidate| *candidate.key == *b"k39";
        assert_eq!(eviction.pool.iter().filter(named).count(), 1);
    }
}
