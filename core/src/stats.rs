//! Counters shown by INFO stats and errorstats; CONFIG RESETSTAT zeroes them.

use std::collections::BTreeMap;

/// Distinct error codes INFO errorstats counts, as Redis: a code first seen past this many is
/// counted in the total only.
const ERROR_CODES_MAX: usize = 128;

#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    /// Error replies sent, in all and by code (the error's first word).
    pub(crate) total_error_replies: u64,
    pub(crate) error_codes: BTreeMap<Vec<u8>, u64>,
    pub(crate) connections_received: u64,
    pub(crate) rejected_connections: u64,
    pub(crate) commands_processed: u64,
    pub(crate) net_input_bytes: u64,
    pub(crate) net_output_bytes: u64,
    pub(crate) keyspace_hits: u64,
    pub(crate) keyspace_misses: u64,
    pub(crate) expired_keys: u64,
    pub(crate) evicted_keys: u64,
    /// Clients closed by `maxmemory-clients`.
    pub(crate) evicted_clients: u64,
    /// Reads and writes the driver did on client sockets (`connection_receive`,
    /// `connection_sent`).
    pub(crate) reads_processed: u64,
    pub(crate) writes_processed: u64,
    /// The error a command is answering was counted already: a script's error that a command
    /// it called answered (Redis's `ERR_REPLY_FLAG_NO_STATS_UPDATE`). `command::run` takes it.
    pub(crate) reply_error_counted: bool,
}

impl Stats {
    /// An error reply went out; `text` follows its `-`.
    pub(crate) fn record_error(&mut self, text: &[u8]) {
        self.total_error_replies += 1;
        let end = text
            .iter()
            .position(|&byte| byte == b' ' || byte == b'\r')
            .unwrap_or(text.len());
        let code = &text[..end];
        if let Some(count) = self.error_codes.get_mut(code) {
            *count += 1;
        } else if self.error_codes.len() < ERROR_CODES_MAX {
            self.error_codes.insert(code.to_vec(), 1);
        }
    }

    /// A read command found (hit) or missed its key.
    pub(crate) fn record_lookup(&mut self, found: bool) {
        if found {
            self.keyspace_hits += 1;
        } else {
            self.keyspace_misses += 1;
        }
    }
}
