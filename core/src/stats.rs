//! Counters shown by INFO stats; CONFIG RESETSTAT zeroes them.

#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    pub(crate) connections_received: u64,
    pub(crate) rejected_connections: u64,
    pub(crate) commands_processed: u64,
    pub(crate) net_input_bytes: u64,
    pub(crate) net_output_bytes: u64,
    pub(crate) keyspace_hits: u64,
    pub(crate) keyspace_misses: u64,
    pub(crate) expired_keys: u64,
}

impl Stats {
    /// A read command found (hit) or missed its key.
    pub(crate) fn record_lookup(&mut self, found: bool) {
        if found {
            self.keyspace_hits += 1;
        } else {
            self.keyspace_misses += 1;
        }
    }
}
