//! COMMAND DOCS of the string commands.

use super::{block, doc, double, integer, key, oneof, pure, string, unix_time, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "append",
        "string",
        "2.0.0",
        "Adds bytes to the end of a string value, creating the key if needed",
        &[key("key", 0), string("value")],
    )
    .complexity("O(1) amortized"),
    doc(
        "decr",
        "string",
        "1.0.0",
        "Subtracts one from the integer held in a key, starting from 0 if absent",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "decrby",
        "string",
        "1.0.0",
        "Subtracts the given integer from the integer held in a key",
        &[key("key", 0), integer("decrement")],
    )
    .complexity("O(1)"),
    doc(
        "get",
        "string",
        "1.0.0",
        "Returns the string stored at a key, or nil if the key is missing",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "getdel",
        "string",
        "6.2.0",
        "Fetches a string value and removes its key in the same step",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "getex",
        "string",
        "6.2.0",
        "Fetches a string value and optionally changes or clears the key's expiry",
        &[
            key("key", 0),
            oneof(
                "expiration",
                &[
                    integer("seconds").token("EX"),
                    integer("milliseconds").token("PX"),
                    unix_time("unix-time-seconds").token("EXAT"),
                    unix_time("unix-time-milliseconds").token("PXAT"),
                    pure("persist", "PERSIST"),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "getrange",
        "string",
        "2.4.0",
        "Extracts the bytes between two inclusive offsets of a string value",
        &[key("key", 0), integer("start"), integer("end")],
    )
    .complexity("O(N) where N is the length of the result"),
    doc(
        "getset",
        "string",
        "1.0.0",
        "Replaces a string value and hands back the one it held before",
        &[key("key", 0), string("value")],
    )
    .complexity("O(1)")
    .deprecated("6.2.0"),
    doc(
        "incr",
        "string",
        "1.0.0",
        "Adds one to the integer held in a key, starting from 0 if absent",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "incrby",
        "string",
        "1.0.0",
        "Adds the given integer to the integer held in a key",
        &[key("key", 0), integer("increment")],
    )
    .complexity("O(1)"),
    doc(
        "incrbyfloat",
        "string",
        "2.6.0",
        "Adds a floating-point amount to the number held in a key",
        &[key("key", 0), double("increment")],
    )
    .complexity("O(1)"),
    doc(
        "lcs",
        "string",
        "7.0.0",
        "Finds the longest common subsequence of two strings, optionally with match positions",
        &[
            key("key1", 0),
            key("key2", 0),
            pure("len", "LEN").optional(),
            pure("idx", "IDX").optional(),
            integer("len").token("MINMATCHLEN").optional(),
            pure("withmatchlen", "WITHMATCHLEN").optional(),
        ],
    )
    .complexity("O(N*M) where N and M are the string lengths"),
    doc(
        "mget",
        "string",
        "1.0.0",
        "Fetches the values of several string keys, with nil for missing ones",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "mset",
        "string",
        "1.0.1",
        "Writes several string keys in one atomic step",
        &[block("key_value", &[key("key", 0), string("value")]).multiple()],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "msetnx",
        "string",
        "1.0.1",
        "Writes several string keys only if none of them exist yet",
        &[block("key_value", &[key("key", 0), string("value")]).multiple()],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "psetex",
        "string",
        "2.6.0",
        "Stores a string value together with a time to live in milliseconds",
        &[key("key", 0), integer("milliseconds"), string("value")],
    )
    .complexity("O(1)"),
    doc(
        "set",
        "string",
        "1.0.0",
        "Sets a key to a string value, optionally with an expiry or a condition",
        &[
            key("key", 0),
            string("value"),
            oneof("condition", &[pure("nx", "NX"), pure("xx", "XX")])
                .since("2.6.12")
                .optional(),
            pure("get", "GET").since("6.2.0").optional(),
            oneof(
                "expiration",
                &[
                    integer("seconds").token("EX").since("2.6.12"),
                    integer("milliseconds").token("PX").since("2.6.12"),
                    unix_time("unix-time-seconds").token("EXAT").since("6.2.0"),
                    unix_time("unix-time-milliseconds")
                        .token("PXAT")
                        .since("6.2.0"),
                    pure("keepttl", "KEEPTTL").since("6.0.0"),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "setex",
        "string",
        "2.0.0",
        "Stores a string value together with a time to live in seconds",
        &[key("key", 0), integer("seconds"), string("value")],
    )
    .complexity("O(1)"),
    doc(
        "setnx",
        "string",
        "1.0.0",
        "Creates a string key with a value, doing nothing if the key exists",
        &[key("key", 0), string("value")],
    )
    .complexity("O(1)"),
    doc(
        "setrange",
        "string",
        "2.2.0",
        "Writes bytes into a string at an offset, zero-padding if it is too short",
        &[key("key", 0), integer("offset"), string("value")],
    )
    .complexity("O(1), plus O(M) if the string grows to M bytes"),
    doc(
        "strlen",
        "string",
        "2.2.0",
        "Gives the byte length of the string held in a key",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "substr",
        "string",
        "1.0.0",
        "Extracts part of a string between two offsets; superseded by GETRANGE",
        &[key("key", 0), integer("start"), integer("end")],
    )
    .complexity("O(N) where N is the length of the result")
    .deprecated("2.0.0"),
];
