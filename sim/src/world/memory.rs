//! Memory pressure: for seeds with `maxmemory`, the simulator hands the server a model of used
//! memory as the driver's measure (`modelled_memory`: every live key's name and contents plus a
//! fixed overhead) before each call that may run commands, and checks what the server does with
//! it:
//!
//! - every eviction (`Executed::Evicted`, in order with the replies) happens while the measure
//!   is over the limit, takes a key the model holds, never under `noeviction`, and under a
//!   `volatile-*` policy only a key with a TTL; the model then drops the key, as a deletion
//!   (watchers of it fail their EXEC);
//! - every refusal for memory (`-OOM ...`, EXEC's `-EXECABORT ... OOM ...`, the book door's
//!   error) happens while the measure is over the limit, with nothing the policy may evict
//!   alive in the model, for a command Redis refuses so (one that may add data, anything queued
//!   in a transaction, an EXEC of commands that may add data, a script); under `noeviction`,
//!   where the measure alone decides, a command that may add data is always refused then;
//! - at the end, with faults off, memory comes back within the limit unless nothing is left
//!   that the policy may evict.

use ferrodis_core::{command_adds_data, Door, EvictionPolicy};

use super::{Failure, World};
use crate::model::Value;

/// What the model charges for a key beyond its name and contents.
const KEY_OVERHEAD_BYTES: u64 = 64;
/// What it charges per element of a collection beyond the element's bytes.
const ELEMENT_OVERHEAD_BYTES: u64 = 16;
/// Cron calls the end check allows for memory to come back within the limit.
const SETTLE_ROUNDS_MAX: u64 = 10_000;
const OOM: &[u8] = b"OOM command not allowed when used memory > 'maxmemory'.";
const EXEC_OOM: &[u8] = b"-EXECABORT Transaction discarded because of: OOM ";

/// A reply that refuses a command for memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The command itself (or a script's first write) was refused.
    Command,
    /// EXEC was refused: the transaction is discarded.
    Exec,
}

/// Whether `reply` (one whole reply on `door`) refuses its command for memory.
pub(super) fn refusal(reply: &[u8], door: Door) -> Option<Refusal> {
    refusal_with(reply, door, OOM, EXEC_OOM)
}

/// Whether `reply` (one whole reply on `door`) is the error that begins with `error`, or
/// EXEC's refusal that begins with `exec_error`.
pub(super) fn refusal_with(
    reply: &[u8],
    door: Door,
    error: &[u8],
    exec_error: &[u8],
) -> Option<Refusal> {
    match door {
        Door::Resp if reply.starts_with(exec_error) => Some(Refusal::Exec),
        Door::Resp
            if reply
                .strip_prefix(b"-")
                .is_some_and(|text| text.starts_with(error)) =>
        {
            Some(Refusal::Command)
        }
        Door::Book
            if reply.get(4) == Some(&1)
                && reply.windows(error.len()).any(|window| window == error) =>
        {
            Some(Refusal::Command)
        }
        _ => None,
    }
}

fn value_bytes(value: &Value) -> u64 {
    let elements = |sizes: &mut dyn Iterator<Item = usize>| {
        sizes
            .map(|size| size as u64 + ELEMENT_OVERHEAD_BYTES)
            .sum::<u64>()
    };
    match value {
        Value::Str(bytes) => bytes.len() as u64,
        Value::ZSet(members) => elements(&mut members.keys().map(|member| member.len() + 8)),
        Value::Hash(hash) => elements(
            &mut hash
                .fields
                .iter()
                .map(|(field, value)| field.len() + value.len()),
        ),
        Value::Set(set) => elements(&mut set.members.iter().map(Vec::len)),
        Value::List(list) => elements(&mut list.iter().map(Vec::len)),
    }
}

impl World<'_> {
    /// Used memory as the model sees it: every live key's name and contents, plus overheads.
    pub fn modelled_memory(&self) -> u64 {
        let wall = self.now.wall.as_millis();
        self.model
            .dbs
            .iter()
            .flat_map(|db| db.iter())
            .filter(|(_, entry)| entry.deadline.is_none_or(|deadline| deadline >= wall))
            .map(|(key, entry)| KEY_OVERHEAD_BYTES + key.len() as u64 + value_bytes(&entry.value))
            .sum()
    }

    /// Hands the server the modelled memory as the driver's measure (seeds with `maxmemory`).
    pub fn feed_memory(&mut self) {
        if self.options.memory.is_some() {
            self.memory_fed = self.modelled_memory();
            self.server.set_used_memory(self.memory_fed);
            self.trace.u64(self.memory_fed);
        }
    }

    fn policy(&self) -> Option<(u64, EvictionPolicy, bool)> {
        let memory = self.options.memory?;
        let volatile = memory.policy.volatile() || self.options.overrides.wrong_eviction;
        Some((memory.maxmemory, memory.policy, volatile))
    }

    /// Whether the server may refuse a command for memory now: the measure is over the limit
    /// and nothing the policy may evict is alive.
    pub(super) fn memory_refusable(&self) -> bool {
        self.policy()
            .is_some_and(|(maxmemory, _, _)| self.memory_fed > maxmemory)
            && self.evictable().is_none()
    }

    /// A live key the policy may evict, if the model holds one.
    fn evictable(&self) -> Option<(usize, &[u8])> {
        let (_, policy, volatile) = self.policy()?;
        if policy == EvictionPolicy::NoEviction {
            return None;
        }
        let wall = self.now.wall.as_millis();
        self.model.dbs.iter().enumerate().find_map(|(db, keys)| {
            keys.iter()
                .find(|(_, entry)| {
                    (!volatile || entry.deadline.is_some())
                        && entry.deadline.is_none_or(|deadline| deadline >= wall)
                })
                .map(|(key, _)| (db, key.as_slice()))
        })
    }

    /// The server evicted `key` of database `db`: checks that the policy allowed it and drops
    /// the key from the model.
    pub(super) fn evicted(&mut self, db: usize, key: &[u8]) -> Result<(), Failure> {
        let wrong = |what: String| {
            Err(Failure::WrongReply(format!(
                "the eviction oracle: evicted {:?} of db {db}: {what}",
                String::from_utf8_lossy(key)
            )))
        };
        let Some((maxmemory, policy, volatile)) = self.policy() else {
            return wrong("maxmemory is not set".into());
        };
        self.coverage.evictions += 1;
        if policy == EvictionPolicy::NoEviction {
            return wrong("under noeviction".into());
        }
        if self.memory_fed <= maxmemory {
            return wrong(format!(
                "memory was measured at {} of {maxmemory}",
                self.memory_fed
            ));
        }
        let Some(entry) = self.model.dbs.get(db).and_then(|keys| keys.get(key)) else {
            return wrong("the model holds no such key".into());
        };
        if volatile && entry.deadline.is_none() {
            return wrong(format!("it has no TTL, under {}", policy.name()));
        }
        let wall = self.now.wall.as_millis();
        let watched = self.model.watch_snapshot(wall);
        self.model.dbs[db].remove(key);
        self.model.settle_watches(watched, wall);
        Ok(())
    }

    /// Client `index`'s `request` got a refusal for memory: checks that the server could
    /// refuse it then and there, and does to the model what the refusal does.
    pub(super) fn refused_for_memory(
        &mut self,
        index: usize,
        request: &[Vec<u8>],
        refusal: Refusal,
    ) -> Result<(), Failure> {
        let shown = String::from_utf8_lossy(&request[0]).into_owned();
        let wrong = |what: String| {
            Failure::WrongReply(format!("the memory oracle: {shown:?} refused: {what}"))
        };
        let Some((maxmemory, _, _)) = self.policy() else {
            return Err(wrong("maxmemory is not set".into()));
        };
        self.coverage.oom_refusals += 1;
        if self.memory_fed <= maxmemory {
            return Err(wrong(format!(
                "memory was measured at {} of {maxmemory}",
                self.memory_fed
            )));
        }
        if let Some((db, key)) = self.evictable() {
            return Err(wrong(format!(
                "key {:?} of db {db} could have been evicted",
                String::from_utf8_lossy(key)
            )));
        }
        self.refused(index, request, refusal, command_adds_data, true)
            .map_err(wrong)
    }

    /// What a refused command leaves in the model (memory's refusals and disk errors'):
    /// nothing changed, but an EXEC refused drops its transaction, a command refused while
    /// queuing aborts it, and EVAL's script is cached first. `refusable` names the commands
    /// such a refusal may hit (`queued_all`: any queued command may be).
    pub(super) fn refused(
        &mut self,
        index: usize,
        request: &[Vec<u8>],
        refusal: Refusal,
        refusable: fn(&[u8]) -> bool,
        queued_all: bool,
    ) -> Result<(), String> {
        let name = request
            .first()
            .map(|name| name.to_ascii_lowercase())
            .unwrap_or_default();
        let client = &mut self.clients[index];
        let session = &mut client.session;
        match (refusal, session.transaction.as_mut()) {
            (Refusal::Exec, Some(transaction)) if name == b"exec" => {
                let hit = transaction
                    .queued
                    .iter()
                    .any(|queued| refusable(&queued[0]));
                if !hit {
                    return Err("EXEC of commands it does not refuse".into());
                }
                let session_client = session.client;
                session.transaction = None;
                self.model.unwatch_all(session_client);
            }
            (Refusal::Command, Some(transaction)) => {
                if [&b"exec"[..], b"discard", b"quit", b"reset"].contains(&name.as_slice()) {
                    return Err("inside a transaction".into());
                }
                if !queued_all && !refusable(&name) {
                    return Err("a command it does not refuse, queued".into());
                }
                transaction.aborted = true;
            }
            (Refusal::Command, None) => {
                let script = [&b"eval"[..], b"evalsha", b"fcall"].contains(&name.as_slice());
                if !refusable(&name) && !script {
                    return Err("a command it does not refuse".into());
                }
                // A script without a shebang is cached, then refused at its first write; one
                // that declares it may write is refused before it is cached.
                if let (b"eval", Some(body)) = (name.as_slice(), request.get(1)) {
                    if !body.starts_with(b"#!") {
                        self.model.scripts.insert(crate::exec_scripts::sha(body));
                    }
                }
            }
            (Refusal::Exec, _) => return Err("not an EXEC of a transaction".into()),
        }
        Ok(())
    }

    /// Under `noeviction` the measure alone decides: with memory over the limit, a command
    /// that may add data (outside a transaction, not a blocked client's served again) does not
    /// succeed. (It may fail otherwise: a wrong number of arguments is found first.)
    pub(super) fn check_not_refused(
        &self,
        index: usize,
        request: &[Vec<u8>],
    ) -> Result<(), Failure> {
        let Some((maxmemory, EvictionPolicy::NoEviction, _)) = self.policy() else {
            return Ok(());
        };
        let client = &self.clients[index];
        let outside = client.session.transaction.is_none() && client.door == Door::Resp;
        if self.memory_fed > maxmemory
            && outside
            && request.first().is_some_and(|name| command_adds_data(name))
        {
            return Err(Failure::WrongReply(format!(
                "the memory oracle: {:?} ran under noeviction with memory measured at {} of \
                 {maxmemory}",
                String::from_utf8_lossy(&request[0]),
                self.memory_fed
            )));
        }
        Ok(())
    }

    /// With faults off and nothing more sent: memory comes back within the limit, through the
    /// server's timer, unless nothing is left that the policy may evict.
    pub fn check_memory_settles(&mut self) -> Result<(), Failure> {
        let Some((maxmemory, _, _)) = self.policy() else {
            return Ok(());
        };
        for _ in 0..SETTLE_ROUNDS_MAX {
            self.feed_memory();
            if self.memory_fed <= maxmemory || self.evictable().is_none() {
                self.coverage.memory_settled += u64::from(self.coverage.evictions > 0);
                return Ok(());
            }
            let next = self.server.poll_timeout().unwrap_or(self.now.monotonic);
            let wait = next.millis_since(self.now.monotonic);
            self.advance(wait, 0);
            self.timers(false)?;
        }
        Err(Failure::Liveness(format!(
            "memory stays at {} of {maxmemory} with keys left to evict",
            self.memory_fed
        )))
    }
}
