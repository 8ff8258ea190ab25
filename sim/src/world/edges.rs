//! Configured limits at their exact edges: commands sized to take a client's query buffer to
//! `client-query-buffer-limit` or one byte either side, and replies sized to reach the hard
//! output limit or fall one byte either side; and the checks that the server closes a
//! connection exactly when a limit is reached, never before. Output limits count what is
//! pending past the first `REPLY_BUFFER_BYTES`, as Redis counts what overflows its 16 KiB
//! buffer.

use ferrodis_core::{ConnectionId, REPLY_BUFFER_BYTES};

use super::{Failure, World};
use crate::generate::{self, Args};

impl World<'_> {
    /// A command that puts `index` one byte under, at, or one byte over a limit, when its
    /// buffers are empty so that the sizes add up exactly; None when no limit is set or the
    /// buffers are not empty.
    pub(super) fn edge_command(&mut self, index: usize) -> Option<Args> {
        let client = &self.clients[index];
        let id = client.connection?;
        if !client.inflight.is_empty() || client.held > 0 || client.out.len() > client.out_sent {
            return None;
        }
        let delta = self.rng.below(3) as usize;
        let query_limit = self.options.query_buffer_bytes_max as usize;
        let output_limit = self.options.output_buffer_hard_bytes as usize;
        let quiet = self.server.reply_pending(id).is_empty() && !self.subscriber(index);
        if self.rng.bool() && output_limit > 0 && quiet {
            // ECHO's reply is `$<len>\r\n<message>\r\n`.
            let total = output_limit + REPLY_BUFFER_BYTES + delta;
            let len = bulk_len_for(total.checked_sub(1)?, 0)?;
            return Some(vec![b"ECHO".to_vec(), vec![b'e'; len]]);
        }
        if query_limit >= (1 << 30) {
            return None;
        }
        // `*3\r\n$3\r\nSET\r\n$<key len>\r\n<key>\r\n` and then the value's bulk.
        let key = generate::key(&mut self.rng, &self.options);
        let head = 13 + 5 + key.len() + key.len().to_string().len();
        let len = bulk_len_for((query_limit + delta).checked_sub(1)?, head)?;
        Some(vec![b"SET".to_vec(), key, vec![b'q'; len]])
    }

    /// Checks a close for an output limit: the connection's pending replies reach the hard
    /// limit of its class, or its soft one (which the cron enforces after its seconds).
    pub(super) fn output_close_allowed(&mut self, id: ConnectionId, subscriber: bool) -> bool {
        let pending = counted(self.server.reply_pending(id).len());
        let (hard, soft) = self.output_limits(subscriber);
        if pending == hard {
            self.coverage.output_edges_closed += 1;
        }
        (hard > 0 && pending >= hard) || (soft > 0 && pending >= soft)
    }

    /// No client's pending replies reach the hard output limit of its class without the
    /// server closing it (Redis closes at `>=`).
    pub fn check_output_limits(&mut self) -> Result<(), Failure> {
        for index in 0..self.clients.len() {
            let client = &self.clients[index];
            let Some(id) = client.connection else {
                continue;
            };
            if client.closing.is_some() {
                continue;
            }
            let (hard, _) = self.output_limits(self.subscriber(index));
            let pending = counted(self.server.reply_pending(id).len());
            if hard > 0 && pending >= hard {
                return Err(Failure::WrongReply(format!(
                    "{id}: {pending} bytes of replies pending, at or past the hard output \
                     limit of {hard}, and not closed"
                )));
            }
            if hard > 0 && pending + 1 == hard {
                self.coverage.output_edges_kept += 1;
            }
        }
        Ok(())
    }

    /// The hard and soft output limits of a normal client or a subscriber.
    fn output_limits(&self, subscriber: bool) -> (usize, usize) {
        if subscriber {
            let (hard, soft, _) = self.options.pubsub_limit;
            (hard as usize, soft as usize)
        } else {
            (self.options.output_buffer_hard_bytes as usize, 0)
        }
    }
}

/// What output limits count of `pending` reply bytes.
fn counted(pending: usize) -> usize {
    pending.saturating_sub(REPLY_BUFFER_BYTES)
}

/// The length of a bulk string whose encoding (`$<len>\r\n<bytes>\r\n`) after `head` bytes
/// makes `total` bytes; None when no length does (the digits of the length jump past it).
fn bulk_len_for(total: usize, head: usize) -> Option<usize> {
    (1..=10).find_map(|digits| {
        let len = total.checked_sub(head + digits + 5)?;
        (len.to_string().len() == digits).then_some(len)
    })
}
