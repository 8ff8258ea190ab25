//! What a command does beyond its own reply and the keyspace: memory to free off the event
//! loop, connections to close, requests to the driver. A command records these; the server
//! carries them out after the command through one delivery path (`Server::deliver_effects`),
//! which is where limits of the receiving connection are enforced.

use crate::clients::ConnectionId;
use crate::connection::CloseReason;
use crate::garbage::{Garbage, LAZY_FREE_EFFORT_MIN};
use crate::output::Output;
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
}

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

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.list)
    }
}
