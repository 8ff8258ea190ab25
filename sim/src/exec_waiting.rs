//! The model's waiting commands: the blocking pops (exec_blocking.rs) and pub/sub
//! (exec_pubsub.rs), RESP2 only.

pub use crate::exec_blocking::{holds_now, Pops, Waiter};
pub use crate::exec_pubsub::{glob, Subscriptions};
use crate::model::{Model, Session};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// The waiting commands the simulator sends, with Redis's arity.
pub fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => -3,
        "blmpop" | "bzmpop" => -5,
        "brpoplpush" => 4,
        "blmove" => 6,
        "subscribe" | "psubscribe" | "ssubscribe" | "pubsub" => -2,
        "unsubscribe" | "punsubscribe" | "sunsubscribe" => -1,
        "publish" | "spublish" => 3,
        _ => return None,
    })
}

/// Does this command (any case) wait for a key when it finds nothing?
pub fn blocks(name: &[u8]) -> bool {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    matches!(
        name.as_str(),
        "blpop" | "brpop" | "blmpop" | "brpoplpush" | "blmove" | "bzpopmin" | "bzpopmax" | "bzmpop"
    )
}

/// What a RESP2 connection subscribed to anything may still run (Redis's pub/sub context).
pub fn subscriber_context(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "psubscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "punsubscribe"
            | "sunsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

pub fn run(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    if blocks(name.as_bytes()) {
        model.counts.blocking_commands += 1;
        return crate::exec_blocking::blocking(model, session.db, name, args, wall, out);
    }
    model.counts.pubsub_commands += 1;
    crate::exec_pubsub::pubsub(model, session, name, args, out)
}
