//! COMMAND DOCS of the hyperloglog commands.

use super::{doc, key, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "pfadd",
        "hyperloglog",
        "2.8.9",
        "Feeds elements into a HyperLogLog, creating the key if needed",
        &[key("key", 0), string("element").optional().multiple()],
    )
    .complexity("O(1) per element"),
    doc(
        "pfcount",
        "hyperloglog",
        "2.8.9",
        "Estimates how many distinct elements one or more HyperLogLogs have seen",
        &[key("key", 0).multiple()],
    )
    .complexity("O(1) for one key; O(N) for N keys"),
    doc(
        "pfdebug",
        "hyperloglog",
        "2.8.9",
        "Exposes the internal representation of a HyperLogLog for debugging",
        &[string("subcommand"), key("key", 0)],
    )
    .complexity("O(N) where N is the number of registers")
    .syscmd(),
    doc(
        "pfmerge",
        "hyperloglog",
        "2.8.9",
        "Combines several HyperLogLogs into one stored under a destination key",
        &[key("destkey", 0), key("sourcekey", 1).multiple()],
    )
    .complexity("O(N) where N is the number of source keys"),
    doc(
        "pfselftest",
        "hyperloglog",
        "2.8.9",
        "Runs internal consistency checks of the HyperLogLog implementation",
        &[],
    )
    .complexity("O(N) where N is the size of the test workload")
    .syscmd(),
];
