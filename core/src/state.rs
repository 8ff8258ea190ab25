//! The server's shared state: what every command may read and admin commands may change.

use std::collections::BTreeSet;

use crate::clients::ConnectionId;
use crate::config::Config;
use crate::protocol::resp::Limits;
use crate::pubsub::PubSub;
use crate::script::Scripts;
use crate::stats::Stats;
use crate::time::{Instant, Now};
use crate::tracking::Tracking;

/// What every command may read, and admin commands may change: the server's settings, its
/// counters, the time, the seeded random source.
pub(crate) struct ServerState {
    pub(crate) config: Config,
    pub(crate) limits: Limits,
    pub(crate) stats: Stats,
    /// Random choices (RANDOMKEY, ZRANDMEMBER) come from here: seeded, so runs replay.
    pub(crate) random: rand_pcg::Pcg64Mcg,
    /// The latest time seen, for INFO's uptime and replies that need it.
    pub(crate) now: Now,
    pub(crate) started: Now,
    /// Bytes the process has allocated, as the driver measured it (INFO used_memory).
    pub(crate) used_memory_bytes: u64,
    /// The process's resident memory, as the driver measured it (INFO used_memory_rss).
    pub(crate) resident_memory_bytes: u64,
    /// DEBUG SET-ACTIVE-EXPIRE: when false only lookups expire keys.
    pub(crate) active_expire_enabled: bool,
    /// The driver loads the dataset while it serves (`Server::set_loading_dataset`).
    pub(crate) loading_dataset: bool,
    /// Every subscription of every connection.
    pub(crate) pubsub: PubSub,
    /// CLIENT PAUSE in force, if any.
    pub(crate) pause: Option<Pause>,
    /// The connections in MONITOR mode.
    pub(crate) monitors: BTreeSet<ConnectionId>,
    /// Client-side caching: who may hold which key.
    pub(crate) tracking: Tracking,
    /// Lua scripts: the cache and the engine.
    pub(crate) scripts: Scripts,
    /// RDB saves: the one running, the last one's outcome.
    pub(crate) persistence: crate::persistence::Persistence,
    /// Users and permissions, and the ACL LOG.
    pub(crate) acl: crate::acl::Acl,
    /// ACL LOAD and ACL SAVE waiting for the disk.
    pub(crate) files: crate::persistence::FileRequests,
    /// `maxmemory`: the eviction pool and where eviction stands.
    pub(crate) eviction: crate::eviction::Eviction,
    /// The append-only file: what is buffered, written, durable; the rewrite.
    pub(crate) aof: crate::aof::Aof,
    /// Command counters and durations, the slow log, the latency monitor, CPU time.
    pub(crate) introspect: crate::introspect::Introspect,
}

/// CLIENT PAUSE: until when (inclusive), and whether every command waits or only those that
/// write (or may, as PUBLISH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pause {
    pub(crate) end: Instant,
    pub(crate) all: bool,
}

impl ServerState {
    /// CONFIG SET: the new settings take effect from the next command on.
    pub(crate) fn apply_config(&mut self, config: Config) {
        self.limits.bulk_bytes_max = config.bulk_bytes_max;
        if config.requirepass != self.config.requirepass {
            self.acl.set_default_password(config.requirepass.as_deref());
        }
        self.config = config;
    }

    /// Whether CLIENT PAUSE holds back a command now; `writes` when it writes or may (an EXEC
    /// counts when it would run such a command).
    pub(crate) fn paused(&self, writes: bool) -> bool {
        self.pause
            .is_some_and(|pause| pause.end >= self.now.monotonic && (pause.all || writes))
    }
}
