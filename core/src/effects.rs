//! What a command does beyond its own reply and the keyspace: memory to free off the event
//! loop, connections to close, messages to subscribers, blocked clients to release, requests to
//! the driver. A command records these; the server
//! carries them out after the command through one delivery path (`Server::deliver_effects`),
//! which is where limits of the receiving connection are enforced.

use crate::clients::ConnectionId;
use crate::connection::CloseReason;
use crate::garbage::{Garbage, LAZY_FREE_EFFORT_MIN};
use crate::output::Output;
use crate::tracking::Invalidated;
use crate::value::Value;

#[derive(Debug)]
pub(crate) enum Effect {
    /// Close a connection (CLIENT KILL), possibly the caller itself.
    Close {
        id: ConnectionId,
        reason: CloseReason,
    },
    /// Something for the driver (a lazy free, DEBUG SLEEP's pause, SHUTDOWN).
    Output(Output),
    /// A message for the subscribers of `channel` (a shard channel's when `shard`), but
    /// `skip`, which already has its copies. `receivers` are the subscribers at the time of
    /// publishing (each with the pattern it matched): a PUBLISH or a keyspace notification
    /// inside EXEC reaches those subscribed when it ran, as in Redis, not those the rest of the
    /// transaction subscribes or unsubscribes.
    Publish {
        channel: Box<[u8]>,
        message: Box<[u8]>,
        shard: bool,
        skip: Option<ConnectionId>,
        receivers: Receivers,
    },
    /// CLIENT UNBLOCK: the blocked connection answers now, as at its timeout or (`error`) with
    /// an UNBLOCKED error.
    Unblock { id: ConnectionId, error: bool },
    /// A line for every connection in MONITOR mode.
    Monitor { line: Box<[u8]> },
    /// Client-side caching: tell tracking connection `id` that keys changed, unless it asked
    /// not to hear of its own changes (NOLOOP) and `by` is itself.
    Invalidate {
        id: ConnectionId,
        what: Invalidated,
        by: Option<ConnectionId>,
    },
}

/// Who a published message goes to: each connection, with the pattern it matched (None for a
/// channel or shard channel subscription).
pub(crate) type Receivers = Vec<(ConnectionId, Option<Box<[u8]>>)>;

/// The effects of the commands run since the server last delivered them, in order.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    list: Vec<Effect>,
}

impl Effects {
    /// A value a command removed: freed off the event loop when dropping it here would be slow,
    /// dropped at once otherwise.
    pub(crate) fn discard(&mut self, value: Value) {
        if value.free_effort() > LAZY_FREE_EFFORT_MIN {
            self.free(Garbage::value(value));
        }
    }

    /// Memory to free off the event loop whatever its size (UNLINK, FLUSHALL ASYNC).
    pub(crate) fn free(&mut self, garbage: Garbage) {
        self.list.push(Effect::Output(Output::Free { garbage }));
    }

    pub(crate) fn output(&mut self, output: Output) {
        self.list.push(Effect::Output(output));
    }

    pub(crate) fn close(&mut self, id: ConnectionId, reason: CloseReason) {
        self.list.push(Effect::Close { id, reason });
    }

    /// A message for `receivers`, the subscribers when it was published (see
    /// `Effect::Publish`).
    pub(crate) fn publish_to(
        &mut self,
        channel: &[u8],
        message: &[u8],
        shard: bool,
        skip: Option<ConnectionId>,
        receivers: Receivers,
    ) {
        self.list.push(Effect::Publish {
            channel: channel.into(),
            message: message.into(),
            shard,
            skip,
            receivers,
        });
    }

    pub(crate) fn unblock(&mut self, id: ConnectionId, error: bool) {
        self.list.push(Effect::Unblock { id, error });
    }

    pub(crate) fn monitor(&mut self, line: Vec<u8>) {
        self.list.push(Effect::Monitor { line: line.into() });
    }

    pub(crate) fn invalidate(
        &mut self,
        id: ConnectionId,
        what: Invalidated,
        by: Option<ConnectionId>,
    ) {
        self.list.push(Effect::Invalidate { id, what, by });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.list)
    }
}
