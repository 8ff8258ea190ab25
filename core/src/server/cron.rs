//! The cron: bounded periodic work (idle and output-limit checks, rehashing, active expiry) and
//! handing big expired values to the driver.

use super::{Output, Server};
use crate::config::OutputClass;
use crate::connection::CloseReason;
use crate::store::db::{REHASH_BUCKETS_PER_UNIT, REHASH_EXTRA_UNITS_PER_TICK};
use crate::time::Now;

/// Connections checked for idle timeout and output limits per cron tick (round robin), so that a
/// tick costs the same with ten clients or ten thousand.
const CLIENTS_CHECKED_PER_TICK: usize = 1000;

/// A client that sent nothing for this long gives back its whole query buffer (Redis waits
/// for more than 2 seconds too).
const QUERY_IDLE_MS: u64 = 2000;

/// Keys deleted by active expiry per database per cron tick; the rest wait for the next tick
/// (the book expires about 2000 per timer pass).
const EXPIRED_KEYS_PER_TICK: usize = 2000;

impl Server {
    /// More of the databases' resizes after a cron tick, one unit of buckets per call, while
    /// the driver's time allows (Redis gives its rehashing a millisecond a tick), at most
    /// `REHASH_EXTRA_UNITS_PER_TICK` times a tick. True when it did a unit; false once the
    /// tick's units are spent or no resize is left.
    pub fn rehash_more(&mut self) -> bool {
        if self.rehash_credit == 0 {
            return false;
        }
        self.rehash_credit -= 1;
        if !self.rehash_unit() {
            self.rehash_credit = 0;
        }
        true
    }

    /// One unit of every database's resize; true while one still runs.
    fn rehash_unit(&mut self) -> bool {
        let mut rehashing = false;
        for db in &mut self.keyspace.dbs {
            rehashing |= db.rehash_step(REHASH_BUCKETS_PER_UNIT);
        }
        rehashing
    }

    /// Periodic bounded work, `hz` times a second.
    pub(super) fn cron(&mut self, now: Now) {
        let ids = self.clients.slot_count();
        let idle_timeout_ms = self.state.config.idle_timeout_secs.saturating_mul(1000);
        for _ in 0..CLIENTS_CHECKED_PER_TICK.min(ids) {
            self.cron_cursor = (self.cron_cursor + 1) % ids;
            let Some((id, _)) = self.clients.at_slot(self.cron_cursor) else {
                continue;
            };
            if let Some(connection) = self.clients.get_mut(id) {
                let idle = now.monotonic.millis_since(connection.last_interaction) > QUERY_IDLE_MS;
                connection.trim_query(idle);
            }
            // Counted again after the trim, and to catch any change nothing counted as it
            // happened.
            self.clients.recount_memory(id);
            let Some(connection) = self.clients.get(id) else {
                continue;
            };
            let class = connection.output_class();
            // Waiting for a key, a pause's end or messages is not idleness (as in Redis).
            let idle = idle_timeout_ms > 0
                && class == OutputClass::Normal
                && !connection.waiting()
                && now.monotonic.millis_since(connection.last_interaction) > idle_timeout_ms;
            let limit = self.state.config.output_limit(class);
            let soft_ms = limit.soft_secs.saturating_mul(1000);
            // The soft limit of the class the connection is in now (Redis measures it so): a
            // subscriber that left every channel is held to a normal client's limits.
            let over_soft = limit.soft_reached(connection.output_limit_bytes());
            if let Some(reason) = connection.closing {
                // A client that asked to be closed after its reply (QUIT) and stopped reading
                // would otherwise hold its socket forever: give up on the rest of the reply.
                if idle && reason.after_reply() {
                    if let Some(connection) = self.connection_mut(id) {
                        connection.closing = Some(CloseReason::IdleTimeout);
                    }
                    self.outputs.push_back(Output::Close {
                        id,
                        reason: CloseReason::IdleTimeout,
                    });
                }
                continue;
            }
            if idle {
                self.close(id, CloseReason::IdleTimeout);
            } else if !over_soft {
                if let Some(connection) = self.connection_mut(id) {
                    connection.soft_limit_since = None;
                }
            } else if connection
                .soft_limit_since
                .is_some_and(|since| now.monotonic.millis_since(since) > soft_ms)
            {
                // Past the soft limit for more than its seconds (Redis keeps a client whose
                // time over it is at most the limit's seconds).
                self.close(id, CloseReason::OutputBufferLimit);
            }
        }
        self.rehash_credit = 0;
        if self.rehash_unit() {
            self.rehash_credit = REHASH_EXTRA_UNITS_PER_TICK;
        }
        let started = self.state.introspect.stopwatch.lap();
        // CLIENT PAUSE stops expiry: a paused server changes nothing.
        if self.state.active_expire_enabled && self.state.pause.is_none() {
            for db in &mut self.keyspace.dbs {
                db.expire_step(now.wall, EXPIRED_KEYS_PER_TICK);
            }
        }
        self.record_latency("expire-cycle", started);
        let stats = &self.state.stats;
        let counters = [
            stats.commands_processed,
            stats.net_input_bytes,
            stats.net_output_bytes,
        ];
        self.state.introspect.rates.sample(now.monotonic, counters);
        self.evict_clients();
        let started = self.state.introspect.stopwatch.lap();
        self.evict();
        self.record_latency("eviction-cycle", started);
        self.settle_keyspace();
        if !self.state.loading_dataset {
            // Half the data is no snapshot worth saving, and the file is not on yet.
            self.check_save_points();
            self.aof_cron();
        }
    }

    /// The latency monitor's sample of `event`, which began at stopwatch reading `started`.
    fn record_latency(&mut self, event: &'static str, started: u64) {
        let introspect = &mut self.state.introspect;
        let millis = introspect.stopwatch.lap().saturating_sub(started) / 1000;
        let time_secs = self.state.now.wall.as_millis().div_euclid(1000);
        let threshold = self.state.config.latency_monitor_threshold_ms;
        introspect
            .latency
            .record(event, time_secs, millis, threshold);
    }
}
