//! COMMAND DOCS of the transactions commands.

use super::{doc, key, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "discard",
        "transactions",
        "2.0.0",
        "Abandons a transaction, dropping all commands queued since MULTI",
        &[],
    )
    .complexity("O(N) where N is the number of queued commands"),
    doc(
        "exec",
        "transactions",
        "1.2.0",
        "Atomically runs the commands queued since MULTI and returns their replies",
        &[],
    )
    .complexity("Depends on the queued commands"),
    doc(
        "multi",
        "transactions",
        "1.2.0",
        "Begins a transaction so that following commands are queued until EXEC",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "unwatch",
        "transactions",
        "2.2.0",
        "Forgets all keys previously marked with WATCH",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "watch",
        "transactions",
        "2.2.0",
        "Marks keys so that the next EXEC aborts if any of them changes",
        &[key("key", 0).multiple()],
    )
    .complexity("O(1) per key"),
];
