//! COMMAND DOCS of the set commands.

use super::{doc, integer, key, pattern, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "sadd",
        "set",
        "1.0.0",
        "Inserts members into a set and reports how many were new",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(1) per member"),
    doc(
        "scard",
        "set",
        "1.0.0",
        "Counts the members of a set",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "sdiff",
        "set",
        "1.0.0",
        "Lists the members of the first set that appear in none of the other sets",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) where N is the total number of members in all sets"),
    doc(
        "sdiffstore",
        "set",
        "1.0.0",
        "Computes a set difference and saves it under a destination key, returning its size",
        &[key("destination", 0), key("key", 1).multiple()],
    )
    .complexity("O(N) where N is the total number of members in all sets"),
    doc(
        "sinter",
        "set",
        "1.0.0",
        "Lists the members that every one of the given sets contains",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N*M) with N the smallest set size and M the number of sets"),
    doc(
        "sintercard",
        "set",
        "7.0.0",
        "Computes the size of a set intersection, stopping early at an optional limit",
        &[
            integer("numkeys"),
            key("key", 0).multiple(),
            integer("limit").token("LIMIT").optional(),
        ],
    )
    .complexity("O(N*M) with N the smallest set size and M the number of sets"),
    doc(
        "sinterstore",
        "set",
        "1.0.0",
        "Computes the intersection of sets and saves it under a destination key",
        &[key("destination", 0), key("key", 1).multiple()],
    )
    .complexity("O(N*M) with N the smallest set size and M the number of sets"),
    doc(
        "sismember",
        "set",
        "1.0.0",
        "Tells whether a given value is contained in a set",
        &[key("key", 0), string("member")],
    )
    .complexity("O(1)"),
    doc(
        "smembers",
        "set",
        "1.0.0",
        "Lists every member of a set",
        &[key("key", 0)],
    )
    .complexity("O(N) where N is the size of the set"),
    doc(
        "smismember",
        "set",
        "6.2.0",
        "Tells, for each of several values, whether it belongs to a set",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(N) where N is the number of values checked"),
    doc(
        "smove",
        "set",
        "1.0.0",
        "Transfers a member from a source set to a destination set",
        &[key("source", 0), key("destination", 1), string("member")],
    )
    .complexity("O(1)"),
    doc(
        "spop",
        "set",
        "1.0.0",
        "Removes random members from a set and returns them",
        &[key("key", 0), integer("count").since("3.2.0").optional()],
    )
    .complexity("O(1), or O(N) where N is the count"),
    doc(
        "srandmember",
        "set",
        "1.0.0",
        "Picks random members of a set without removing them; negative counts allow repeats",
        &[key("key", 0), integer("count").since("2.6.0").optional()],
    )
    .complexity("O(1), or O(N) where N is the count"),
    doc(
        "srem",
        "set",
        "1.0.0",
        "Deletes members from a set and reports how many were removed",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(N) where N is the number of members removed"),
    doc(
        "sscan",
        "set",
        "2.8.0",
        "Walks through the members of a set with a cursor",
        &[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").optional(),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(1) per call; O(N) for a full iteration"),
    doc(
        "sunion",
        "set",
        "1.0.0",
        "Lists the members found in at least one of the given sets",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) where N is the total number of members in all sets"),
    doc(
        "sunionstore",
        "set",
        "1.0.0",
        "Computes the union of sets and saves it under a destination key",
        &[key("destination", 0), key("key", 1).multiple()],
    )
    .complexity("O(N) where N is the total number of members in all sets"),
];
