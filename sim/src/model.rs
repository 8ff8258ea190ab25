//! The reference model: a small, obviously correct keyspace on BTreeMaps that answers the
//! simulator's commands the way Redis 7.0 does, byte for byte in RESP2.
//!
//! Expiry: a key is gone once the wall clock at which a command runs is past its deadline (as in
//! Redis 7.0, `now > when`: during the deadline's own millisecond it is still served). The model
//! removes such a key when a command looks at it and raises `expired_floor`; the simulator never
//! moves the wall clock back to a time at which a key the server may already have removed would
//! be alive again (see `Model::deadline_floor`), so "expired" never turns back into "alive" on
//! one side only.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::exec_waiting::{Subscriptions, Waiter};
use crate::reply::Expect;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Vec<u8>),
    /// Member to score. Scores are small integers, halves and infinities, so f64 is exact.
    ZSet(BTreeMap<Vec<u8>, f64>),
    Hash(Hash),
    Set(Set),
    List(VecDeque<Vec<u8>>),
}

/// A hash: field to value, and whether it left its listpack.
///
/// Encodings (what OBJECT ENCODING reports) as Redis 7.0 moves them, one way only: a hash is a
/// listpack until a write (HSET, HMSET, HSETNX, HINCRBY) gives it a field or value longer than
/// `hash-max-listpack-value` or leaves it with more than `hash-max-listpack-entries` fields (an
/// update of an existing field counts too, under a limit lowered since); then a hashtable for
/// good. HDEL never moves it back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hash {
    pub fields: BTreeMap<Vec<u8>, Vec<u8>>,
    /// A hashtable, no longer a listpack.
    pub big: bool,
}

/// A set: its members, and whether it left its intset.
///
/// A set is an intset while every member it was given is an integer in canonical form (as
/// `intset_member` says) and no added member took it past `set-max-intset-entries`; a member
/// already there changes nothing. Then a hashtable for good. A set stored by SINTERSTORE,
/// SUNIONSTORE or SDIFFSTORE is built member by member the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Set {
    pub members: BTreeSet<Vec<u8>>,
    /// A hashtable, no longer an intset.
    pub big: bool,
}

/// When hashes and sets leave their packed encodings: the server's `hash-max-listpack-entries`,
/// `hash-max-listpack-value` and `set-max-intset-entries`, drawn per seed and changed by
/// CONFIG SET during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub hash_entries: usize,
    pub hash_value_bytes: usize,
    pub intset_entries: usize,
    /// `list-max-listpack-size`: how big the server's list blocks grow. Replies do not depend
    /// on it; it decides where lists cross blocks.
    pub list_fill: i64,
}

/// Can an intset hold `member`: an integer as Redis's string2ll reads it, at most 20 bytes.
pub fn intset_member(member: &[u8]) -> bool {
    member.len() <= 20 && parse_i64(member).is_some()
}

impl Hash {
    /// Sets `field` to `value`; true if the field is new. Moves to a hashtable as the limits
    /// say (see `Hash`).
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        let new = self.fields.insert(field.to_vec(), value.to_vec()).is_none();
        if field.len() > limits.hash_value_bytes
            || value.len() > limits.hash_value_bytes
            || self.fields.len() > limits.hash_entries
        {
            self.big = true;
        }
        new
    }
}

impl Set {
    /// Adds `member`; true if it is new. Moves to a hashtable as the limits say (see `Set`).
    pub fn insert(&mut self, member: &[u8], limits: Limits) -> bool {
        let new = self.members.insert(member.to_vec());
        if new && (!intset_member(member) || self.members.len() > limits.intset_entries) {
            self.big = true;
        }
        new
    }
}

/// What the model saw of hashes and sets, for the coverage line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Hash and set commands the model ran (queued ones included, when EXEC ran them).
    pub hash_commands: u64,
    pub set_commands: u64,
    pub list_commands: u64,
    /// Bitmap commands the model ran.
    pub bit_commands: u64,
    /// Hashes and sets the model saw leave their packed encodings.
    pub conversions: u64,
    /// OBJECT ENCODING replies checked for a hash or a set.
    pub encoding_checks: u64,
    /// Blocking pops and pub/sub commands the model ran.
    pub blocking_commands: u64,
    pub pubsub_commands: u64,
    /// Blocked clients served while another client still waited on the same key: the
    /// first-blocked-first-served check had a choice to make.
    pub contended_serves: u64,
    /// SCANs and ZSCANs that ran to cursor 0, and how many of those took several calls.
    pub scans_completed: u64,
    pub scans_several_calls: u64,
    /// INCRBYFLOAT sums the model printed itself (17th-digit ties included).
    pub float_sums_exact: u64,
    /// Commands the model expected `limited` to be denied (at the top level, in MULTI, at
    /// EXEC or from a script), and ACL SETUSER changes of its rules.
    pub acl_denials: u64,
    pub acl_changes: u64,
}

pub struct Entry {
    pub value: Value,
    /// Wall-clock milliseconds.
    pub deadline: Option<i64>,
}

/// The key holds another type.
#[derive(Debug)]
pub struct WrongType;

/// Per-connection state the model tracks.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub db: usize,
    /// Who this connection is, for WATCH (unique for the run; see `Model::new_session`).
    pub client: u64,
    /// Between MULTI and EXEC.
    pub transaction: Option<Transaction>,
    /// A SCAN or ZSCAN in progress (see `exec_scan`).
    pub scan: Option<crate::exec_scan::Scan>,
    /// Logged in as `limited` (see `Options::acl`) rather than `default`.
    pub limited: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Transaction {
    pub queued: Vec<Vec<Vec<u8>>>,
    pub queued_bytes: usize,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    pub aborted: bool,
}

/// One client's WATCH of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watcher {
    pub client: u64,
    /// The key was alive when watched: its expiry alone fails EXEC.
    pub alive: bool,
}

/// A watched key's logical state: what a change is measured against.
pub type KeyState = Option<(Value, Option<i64>)>;

pub struct Model {
    pub dbs: Vec<BTreeMap<Vec<u8>, Entry>>,
    /// Just past the largest deadline of a key the model saw expire.
    pub expired_floor: i64,
    /// `proto-max-bulk-len`: APPEND and SETRANGE may not grow a string past it.
    pub bulk_bytes_max: usize,
    /// `client-query-buffer-limit`: also the bound on a transaction's queued argument bytes.
    pub query_buffer_bytes_max: usize,
    /// (db, key) -> who watches it.
    pub watches: BTreeMap<(usize, Vec<u8>), Vec<Watcher>>,
    /// Clients whose watched key changed: their next EXEC fails.
    pub invalidated: BTreeSet<u64>,
    /// Keys a command wrote without changing what they hold (SET of the same value, INCRBY 0,
    /// an EXPIRE to the same deadline): Redis counts those as changes too.
    pub touched: Vec<(usize, Vec<u8>)>,
    next_client: u64,
    /// The encoding limits CONFIG SET last gave (or the seed drew).
    pub limits: Limits,
    /// The server's reply to the command being modelled, when the model must learn from it
    /// what a random command did: SPOP removes the members its reply names (checked to be
    /// members first). Set by the world for SPOP and EXEC; EXEC hands each queued command its
    /// own element.
    pub observed: Option<Vec<u8>>,
    pub counts: Counts,
    /// Make EXEC ignore watches: a wrong model, to prove that the WATCH oracle can fail.
    pub wrong_exec: bool,
    /// Pub/sub subscriptions by client (see `exec_waiting`).
    pub subscriptions: BTreeMap<u64, Subscriptions>,
    /// Clients waiting for a key, in the order they blocked.
    pub waiters: Vec<Waiter>,
    /// What the last command published: each receiver and the frames it must get, for the
    /// world to match in its send buffer.
    pub deliveries: Vec<(u64, Vec<Vec<u8>>)>,
    /// EXEC is running its queue: nothing blocks.
    pub in_exec: bool,
    /// Serve the last blocked client first: a wrong model, to prove that the
    /// first-blocked-first-served oracle can fail.
    pub wrong_waiting: bool,
    /// Forget pattern subscribers' messages: a wrong model, to prove that the message oracle
    /// can fail.
    pub wrong_pubsub: bool,
    /// Believe the first element of every scan is not there: a wrong model, to prove that the
    /// scan oracle can fail.
    pub wrong_scan: bool,
    /// The server may refuse for memory now (`World::memory_refusable`): a script run by EXEC
    /// may then be refused at its first write.
    pub oom_refusable: bool,
    /// The disk failed a write or fsync of the append-only file: a script run by EXEC may be
    /// refused at its first write (MISCONF) while the files are broken.
    pub misconf_refusable: bool,
    /// See `Overrides::wrong_acl`.
    pub wrong_acl: bool,
    /// The commands the user `limited` may not run (seeds with users).
    pub denied: std::collections::BTreeSet<String>,
    /// The digests of the scripts the server has cached (EVAL, SCRIPT LOAD; SCRIPT FLUSH).
    pub scripts: BTreeSet<String>,
}

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const SYNTAX: &str = "ERR syntax error";

/// Redis's strict string-to-integer rule (string2ll): no sign but '-', no leading zeros, no
/// spaces, in range.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.starts_with('0') && (digits.len() > 1 || text.starts_with('-')) {
        return None;
    }
    text.parse().ok()
}

pub fn parse_score(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let value: f64 = match text {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => text.parse().ok()?,
    };
    (!value.is_nan()).then_some(value)
}

/// As Redis prints a double (%.17g) for the values the simulator uses.
pub fn format_score(value: f64, out: &mut Vec<u8>) {
    if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 { b"inf" } else { b"-inf" });
    } else if value.fract() == 0.0 {
        out.extend_from_slice((value as i64).to_string().as_bytes());
    } else {
        out.extend_from_slice(value.to_string().as_bytes());
    }
}

/// A score range bound: `(x` is exclusive.
pub fn parse_bound(bytes: &[u8]) -> Option<(f64, bool)> {
    match bytes.strip_prefix(b"(") {
        Some(rest) => parse_score(rest).map(|v| (v, true)),
        None => parse_score(bytes).map(|v| (v, false)),
    }
}

pub fn in_range(score: f64, min: (f64, bool), max: (f64, bool)) -> bool {
    let above = if min.1 { score > min.0 } else { score >= min.0 };
    let below = if max.1 { score < max.0 } else { score <= max.0 };
    above && below
}

/// Members in (score, member) order.
pub fn sorted(zset: &BTreeMap<Vec<u8>, f64>) -> Vec<(&Vec<u8>, f64)> {
    let mut members: Vec<(&Vec<u8>, f64)> = zset.iter().map(|(m, &s)| (m, s)).collect();
    members.sort_by(|a, b| a.1.partial_cmp(&b.1).expect("no NaN").then(a.0.cmp(b.0)));
    members
}

/// Redis's rank range: negative counts from the end, clamped; None when empty.
pub fn rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        stop + len
    } else {
        stop.min(len - 1)
    };
    (start <= stop && start < len && stop >= 0).then_some((start as usize, stop as usize))
}

impl Model {
    pub fn new(databases: usize, bulk_bytes_max: usize) -> Model {
        Model {
            dbs: (0..databases).map(|_| BTreeMap::new()).collect(),
            expired_floor: i64::MIN,
            bulk_bytes_max,
            query_buffer_bytes_max: usize::MAX,
            watches: BTreeMap::new(),
            invalidated: BTreeSet::new(),
            touched: Vec::new(),
            next_client: 0,
            limits: Limits {
                hash_entries: 128,
                hash_value_bytes: 64,
                intset_entries: 512,
                list_fill: -2,
            },
            observed: None,
            counts: Counts::default(),
            wrong_exec: false,
            subscriptions: BTreeMap::new(),
            waiters: Vec::new(),
            deliveries: Vec::new(),
            in_exec: false,
            wrong_waiting: false,
            wrong_pubsub: false,
            wrong_scan: false,
            wrong_acl: false,
            oom_refusable: false,
            misconf_refusable: false,
            denied: Default::default(),
            scripts: BTreeSet::new(),
        }
    }

    /// The state of a new connection.
    pub fn new_session(&mut self) -> Session {
        self.next_client += 1;
        Session {
            client: self.next_client,
            ..Session::default()
        }
    }

    /// A connection went away: its watches, subscriptions and wait go with it.
    pub fn end_session(&mut self, session: &Session) {
        self.unwatch_all(session.client);
        self.subscriptions.remove(&session.client);
        self.waiters
            .retain(|waiter| waiter.client != session.client);
    }

    /// A write that may leave `key` as it was still counts as a change (see `touched`).
    pub fn touch(&mut self, db: usize, key: &[u8]) {
        if !self.watches.is_empty() {
            self.touched.push((db, key.to_vec()));
        }
    }

    fn key_state(&self, db: usize, key: &[u8], wall: i64) -> KeyState {
        self.dbs[db]
            .get(key)
            .filter(|entry| entry.deadline.is_none_or(|deadline| deadline >= wall))
            .map(|entry| (entry.value.clone(), entry.deadline))
    }

    /// Every watched key's state, taken before a command runs.
    pub fn watch_snapshot(&self, wall: i64) -> Vec<((usize, Vec<u8>), KeyState)> {
        self.watches
            .keys()
            .map(|(db, key)| ((*db, key.clone()), self.key_state(*db, key, wall)))
            .collect()
    }

    /// After a command: every watcher of a key that changed (or was touched) is invalidated.
    pub fn settle_watches(&mut self, before: Vec<((usize, Vec<u8>), KeyState)>, wall: i64) {
        let touched = std::mem::take(&mut self.touched);
        for ((db, key), state) in before {
            let changed = self.key_state(db, &key, wall) != state
                || touched.iter().any(|(d, k)| *d == db && *k == key);
            if !changed {
                continue;
            }
            let Some(watchers) = self.watches.get(&(db, key)).cloned() else {
                continue;
            };
            for watcher in watchers {
                self.unwatch_all(watcher.client);
                self.invalidated.insert(watcher.client);
            }
        }
    }

    pub fn watch(&mut self, client: u64, db: usize, key: &[u8], wall: i64) {
        let alive = self.key_state(db, key, wall).is_some();
        let watchers = self.watches.entry((db, key.to_vec())).or_default();
        if watchers.iter().all(|watcher| watcher.client != client) {
            watchers.push(Watcher { client, alive });
        }
    }

    pub fn unwatch_all(&mut self, client: u64) {
        self.watches.retain(|_, watchers| {
            watchers.retain(|watcher| watcher.client != client);
            !watchers.is_empty()
        });
        self.invalidated.remove(&client);
    }

    /// EXEC's check: a watched key changed, or one alive when watched is not alive now.
    pub fn watch_failed(&self, client: u64, wall: i64) -> bool {
        if self.wrong_exec {
            return false;
        }
        self.invalidated.contains(&client)
            || self.watches.iter().any(|((db, key), watchers)| {
                watchers
                    .iter()
                    .any(|watcher| watcher.client == client && watcher.alive)
                    && self.key_state(*db, key, wall).is_none()
            })
    }

    /// Drops `key` if expired at `wall`; the entry if alive.
    /// Puts `empty` (a new collection) at `key` unless a live key is there: how a write
    /// creates the collection it adds to.
    pub fn create_if_missing(&mut self, db: usize, key: &[u8], wall: i64, empty: Value) {
        if self.live(db, key, wall).is_none() {
            self.dbs[db].insert(
                key.to_vec(),
                Entry {
                    value: empty,
                    deadline: None,
                },
            );
        }
    }

    pub fn live(&mut self, db: usize, key: &[u8], wall: i64) -> Option<&mut Entry> {
        let expired = match self.dbs[db].get(key) {
            None => return None,
            Some(entry) => entry.deadline.is_some_and(|deadline| deadline < wall),
        };
        if expired {
            let entry = self.dbs[db].remove(key).expect("present");
            self.expired_floor = self.expired_floor.max(entry.deadline.expect("expired") + 1);
            return None;
        }
        self.dbs[db].get_mut(key)
    }

    pub fn exists(&mut self, db: usize, key: &[u8], wall: i64) -> bool {
        self.live(db, key, wall).is_some()
    }

    /// Keys alive at `wall`, without removing the expired ones (KEYS, DBSIZE).
    pub fn alive_keys(&self, db: usize, wall: i64) -> impl Iterator<Item = &Vec<u8>> {
        self.dbs[db]
            .iter()
            .filter(move |(_, e)| e.deadline.is_none_or(|d| d >= wall))
            .map(|(k, _)| k)
    }

    /// The earliest wall-clock time the clock may go back to: just past the deadline of every
    /// key that expired by `wall` (the server may already have removed it, so it must stay
    /// expired), and of every key the model saw expire.
    pub fn deadline_floor(&self, wall: i64) -> i64 {
        let mut floor = self.expired_floor;
        for db in &self.dbs {
            for entry in db.values() {
                if let Some(deadline) = entry.deadline.filter(|&d| d < wall) {
                    floor = floor.max(deadline + 1);
                }
            }
        }
        floor
    }

    pub fn string(
        &mut self,
        db: usize,
        key: &[u8],
        wall: i64,
    ) -> Result<Option<&mut Vec<u8>>, WrongType> {
        match self.live(db, key, wall) {
            None => Ok(None),
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => Ok(Some(s)),
            Some(_) => Err(WrongType),
        }
    }

    pub fn zset(
        &mut self,
        db: usize,
        key: &[u8],
        wall: i64,
    ) -> Result<Option<&mut BTreeMap<Vec<u8>, f64>>, WrongType> {
        match self.live(db, key, wall) {
            None => Ok(None),
            Some(Entry {
                value: Value::ZSet(z),
                ..
            }) => Ok(Some(z)),
            Some(_) => Err(WrongType),
        }
    }

    pub fn hash(
        &mut self,
        db: usize,
        key: &[u8],
        wall: i64,
    ) -> Result<Option<&mut Hash>, WrongType> {
        match self.live(db, key, wall) {
            None => Ok(None),
            Some(Entry {
                value: Value::Hash(hash),
                ..
            }) => Ok(Some(hash)),
            Some(_) => Err(WrongType),
        }
    }

    pub fn set(&mut self, db: usize, key: &[u8], wall: i64) -> Result<Option<&mut Set>, WrongType> {
        match self.live(db, key, wall) {
            None => Ok(None),
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => Ok(Some(set)),
            Some(_) => Err(WrongType),
        }
    }

    pub fn set_string(&mut self, db: usize, key: &[u8], value: Vec<u8>, deadline: Option<i64>) {
        self.dbs[db].insert(
            key.to_vec(),
            Entry {
                value: Value::Str(value),
                deadline,
            },
        );
    }

    /// Counts in the DBSIZE range: keys surely there, keys possibly there.
    pub fn dbsize(&self, db: usize, wall: i64) -> Expect {
        let alive = self.alive_keys(db, wall).count() as i64;
        Expect::IntRange(alive, self.dbs[db].len() as i64)
    }
}
