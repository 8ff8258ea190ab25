//! The server's shared state: what every command may read and admin commands may change.

use crate::config::Config;
use crate::protocol::resp::Limits;
use crate::pubsub::PubSub;
use crate::stats::Stats;
use crate::time::Now;

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
    /// DEBUG SET-ACTIVE-EXPIRE: when false only lookups expire keys.
    pub(crate) active_expire_enabled: bool,
    /// Every subscription of every connection.
    pub(crate) pubsub: PubSub,
}

impl ServerState {
    /// CONFIG SET: the new settings take effect from the next command on.
    pub(crate) fn apply_config(&mut self, config: Config) {
        self.limits.bulk_bytes_max = config.bulk_bytes_max;
        self.config = config;
    }
}
