//! ferrodis-core: the sans-IO state machine of ferrodis.
//!
//! [`Server`] owns every keyspace and every client connection. The driver (the real event loop
//! in `ferrodis-io`, or the simulator) feeds it events with the time, and pulls out what it
//! wants done. Nothing here reads a clock, a socket, a file or the OS random source, or starts a
//! thread: the same calls with the same times give the same bytes, on every machine.

mod acl;
pub mod aof;
mod clients;
mod command;
mod config;
mod connection;
mod digest;
mod effects;
mod eviction;
mod garbage;
mod introspect;
mod keyspace;
mod notify;
mod output;
mod persistence;
pub mod protocol;
mod pubsub;
mod rdb;
pub mod reply;
mod script;
pub(crate) mod server;
mod state;
mod stats;
pub mod store;
mod time;
mod tracking;
pub mod util;
mod value;

pub use config::{Allowed, ClientsMemory, Config, EvictionPolicy, Host, OutputLimit};
pub use connection::{CloseReason, Door, Interest, REPLY_BUFFER_BYTES, REPLY_PAUSE_BYTES};
pub use garbage::FREE_STEP_EFFORT;
pub use introspect::CpuTimes;
pub use keyspace::Propagated;
pub use output::LogLevel;
pub use persistence::{DiskRequest, DiskToken, SavePoint, DEFAULT_SAVE_POINTS};
pub use server::persistence::{check_rdb, LoadError, Loaded, RdbReport};
pub use server::{ConnectionId, Executed, Garbage, Output, Refused, Server, COMMANDS_PER_CALL_MAX};
pub use store::db::REHASH_EXTRA_UNITS_PER_TICK;
pub use time::{Instant, Now, UnixMillis};
pub use value::Value;

/// `content` (an RDB type byte and value) sealed as a DUMP payload: the RDB version and the
/// CRC64 appended, so that RESTORE reads it (for tools, tests and fuzzing).
pub fn seal_dump_payload(content: &[u8]) -> Vec<u8> {
    rdb::seal_payload(content.to_vec())
}

/// Whether the command `name` may add data (its table entry is flagged `denyoom`): refused while
/// memory is over `maxmemory` with nothing left to evict.
pub fn command_adds_data(name: &[u8]) -> bool {
    command::adds_data(name)
}

/// Whether the command `name` writes (its table entry is flagged `write`): refused while the
/// data cannot be persisted (MISCONF).
pub fn command_writes(name: &[u8]) -> bool {
    command::writes(name)
}

/// The name of every command the server knows, lower case, in the command table's order.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    command::command_names()
}
