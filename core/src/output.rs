//! What the core asks of its driver.

use crate::clients::ConnectionId;
use crate::connection::CloseReason;
use crate::garbage::Garbage;
use crate::persistence::{DiskRequest, DiskToken};

/// What the core asks of its driver, read with `poll_output`.
#[derive(Debug)]
pub enum Output {
    /// The connection's interest or reply bytes changed: write `send_buffer(id)` and re-arm.
    Wake { id: ConnectionId },
    /// Close the connection, then call `connection_closed(id)`. When `reason.after_reply()`
    /// (QUIT, a protocol error), first write all of `send_buffer(id)`, waiting for writability as
    /// long as it takes; otherwise write only what the socket takes without waiting. The core
    /// takes no more input from it. A client that stops reading while closing after its reply
    /// gets a second Close (IdleTimeout, with `timeout` set): then close at once.
    Close {
        id: ConnectionId,
        reason: CloseReason,
    },
    /// Drop this somewhere off the event loop.
    Free { garbage: Garbage },
    /// DEBUG SLEEP: block the whole server for this long, as Redis does.
    Pause { millis: u64 },
    /// SHUTDOWN: stop serving and exit.
    Shutdown,
    /// Do this with a file, then call `disk_done(token, result)`. Requests come one at a time
    /// per save; do them in the order given.
    Disk {
        token: DiskToken,
        request: DiskRequest,
    },
    /// A line for the server's log.
    Log { level: LogLevel, message: String },
}

/// How much a log line matters, as Redis's `loglevel` ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}
