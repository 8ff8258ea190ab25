//! COMMAND DOCS of the hash commands.

use super::{block, doc, double, integer, key, pattern, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "hdel",
        "hash",
        "2.0.0",
        "Deletes the given fields from a hash and reports how many were removed",
        &[key("key", 0), string("field").multiple()],
    )
    .complexity("O(N) where N is the number of fields removed"),
    doc(
        "hexists",
        "hash",
        "2.0.0",
        "Tells whether a hash contains a given field",
        &[key("key", 0), string("field")],
    )
    .complexity("O(1)"),
    doc(
        "hget",
        "hash",
        "2.0.0",
        "Looks up a single hash field and returns its value, or nil",
        &[key("key", 0), string("field")],
    )
    .complexity("O(1)"),
    doc(
        "hgetall",
        "hash",
        "2.0.0",
        "Lists every field together with its value in a hash",
        &[key("key", 0)],
    )
    .complexity("O(N) where N is the size of the hash"),
    doc(
        "hincrby",
        "hash",
        "2.0.0",
        "Adds an integer to the numeric value of a hash field",
        &[key("key", 0), string("field"), integer("increment")],
    )
    .complexity("O(1)"),
    doc(
        "hincrbyfloat",
        "hash",
        "2.6.0",
        "Adds a floating-point amount to the numeric value of a hash field",
        &[key("key", 0), string("field"), double("increment")],
    )
    .complexity("O(1)"),
    doc(
        "hkeys",
        "hash",
        "2.0.0",
        "Lists every field name stored in a hash",
        &[key("key", 0)],
    )
    .complexity("O(N) where N is the size of the hash"),
    doc(
        "hlen",
        "hash",
        "2.0.0",
        "Counts the fields stored in a hash",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "hmget",
        "hash",
        "2.0.0",
        "Fetches the values of several hash fields in one call, nil for missing ones",
        &[key("key", 0), string("field").multiple()],
    )
    .complexity("O(N) where N is the number of fields requested"),
    doc(
        "hmset",
        "hash",
        "2.0.0",
        "Writes several hash fields at once; superseded by HSET",
        &[
            key("key", 0),
            block("field_value", &[string("field"), string("value")]).multiple(),
        ],
    )
    .complexity("O(N) where N is the number of fields set")
    .deprecated("4.0.0"),
    doc(
        "hrandfield",
        "hash",
        "6.2.0",
        "Picks random fields from a hash, optionally with their values",
        &[
            key("key", 0),
            block(
                "options",
                &[
                    integer("count"),
                    pure("withvalues", "WITHVALUES").optional(),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(N) where N is the count requested"),
    doc(
        "hscan",
        "hash",
        "2.8.0",
        "Walks through the fields and values of a hash with a cursor",
        &[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").optional(),
            integer("count").token("COUNT").optional(),
        ],
    )
    .complexity("O(1) per call; O(N) for a full iteration"),
    doc(
        "hset",
        "hash",
        "2.0.0",
        "Writes one or more field-value pairs into a hash and reports how many fields are new",
        &[
            key("key", 0),
            block("field_value", &[string("field"), string("value")]).multiple(),
        ],
    )
    .complexity("O(1) per field set"),
    doc(
        "hsetnx",
        "hash",
        "2.0.0",
        "Writes a hash field only if the field is not already present",
        &[key("key", 0), string("field"), string("value")],
    )
    .complexity("O(1)"),
    doc(
        "hstrlen",
        "hash",
        "3.2.0",
        "Gives the byte length of the value held in a hash field",
        &[key("key", 0), string("field")],
    )
    .complexity("O(1)"),
    doc(
        "hvals",
        "hash",
        "2.0.0",
        "Lists every value stored in a hash",
        &[key("key", 0)],
    )
    .complexity("O(N) where N is the size of the hash"),
];
