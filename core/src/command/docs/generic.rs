//! COMMAND DOCS of the generic commands.

use super::{block, doc, integer, key, oneof, pattern, pure, string, unix_time, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "copy",
        "generic",
        "6.2.0",
        "Duplicates the value of a key under another name, optionally in another database",
        &[
            key("source", 0),
            key("destination", 1),
            integer("destination-db").token("DB").optional(),
            pure("replace", "REPLACE").optional(),
        ],
    )
    .complexity("O(N) worst case, where N is the number of nested values"),
    doc(
        "del",
        "generic",
        "1.0.0",
        "Deletes the given keys and reports how many of them were removed",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) for N keys; O(M) for a key holding M elements"),
    doc(
        "dump",
        "generic",
        "2.6.0",
        "Serializes a key's value into an opaque blob that RESTORE can load",
        &[key("key", 0)],
    )
    .complexity("O(1) to find the key, plus O(N*M) to serialize N items of size M"),
    doc(
        "exists",
        "generic",
        "1.0.0",
        "Counts how many of the given keys are present",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "expire",
        "generic",
        "1.0.0",
        "Gives a key a time to live in seconds, with optional NX/XX/GT/LT conditions",
        &[
            key("key", 0),
            integer("seconds"),
            oneof(
                "condition",
                &[
                    pure("nx", "NX"),
                    pure("xx", "XX"),
                    pure("gt", "GT"),
                    pure("lt", "LT"),
                ],
            )
            .since("7.0.0")
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "expireat",
        "generic",
        "1.2.0",
        "Schedules a key to expire at a Unix time in seconds",
        &[
            key("key", 0),
            unix_time("unix-time-seconds"),
            oneof(
                "condition",
                &[
                    pure("nx", "NX"),
                    pure("xx", "XX"),
                    pure("gt", "GT"),
                    pure("lt", "LT"),
                ],
            )
            .since("7.0.0")
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "expiretime",
        "generic",
        "7.0.0",
        "Reports the Unix time in seconds at which a key will expire, or a status code",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "keys",
        "generic",
        "1.0.0",
        "Lists every key whose name matches a glob-style pattern",
        &[pattern("pattern")],
    )
    .complexity("O(N) where N is the number of keys in the database"),
    doc(
        "move",
        "generic",
        "1.0.0",
        "Transfers a key from the current database to another, if absent there",
        &[key("key", 0), integer("db")],
    )
    .complexity("O(1)"),
    doc(
        "object",
        "generic",
        "2.2.3",
        "Dispatches to subcommands that inspect the internals of stored values",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "object|encoding",
        "generic",
        "2.2.3",
        "Reports how the value at a key is represented internally",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "object|freq",
        "generic",
        "4.0.0",
        "Reports the LFU popularity counter of a key (needs an LFU eviction policy)",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "object|help",
        "generic",
        "6.2.0",
        "Describes the available OBJECT subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "object|idletime",
        "generic",
        "2.2.3",
        "Reports seconds elapsed since a key was last read or written",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "object|refcount",
        "generic",
        "2.2.3",
        "Reports how many references point to the value stored at a key",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "persist",
        "generic",
        "2.2.0",
        "Clears any expiry on a key, making it persistent",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "pexpire",
        "generic",
        "2.6.0",
        "Gives a key a time to live in milliseconds, with optional NX/XX/GT/LT conditions",
        &[
            key("key", 0),
            integer("milliseconds"),
            oneof(
                "condition",
                &[
                    pure("nx", "NX"),
                    pure("xx", "XX"),
                    pure("gt", "GT"),
                    pure("lt", "LT"),
                ],
            )
            .since("7.0.0")
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "pexpireat",
        "generic",
        "2.6.0",
        "Schedules a key to expire at a Unix time in milliseconds",
        &[
            key("key", 0),
            unix_time("unix-time-milliseconds"),
            oneof(
                "condition",
                &[
                    pure("nx", "NX"),
                    pure("xx", "XX"),
                    pure("gt", "GT"),
                    pure("lt", "LT"),
                ],
            )
            .since("7.0.0")
            .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "pexpiretime",
        "generic",
        "7.0.0",
        "Reports the Unix time in milliseconds at which a key will expire, or a status code",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "pttl",
        "generic",
        "2.6.0",
        "Reports how many milliseconds a key has left to live",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "randomkey",
        "generic",
        "1.0.0",
        "Picks a random existing key from the current database and returns its name",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "rename",
        "generic",
        "1.0.0",
        "Gives a key a new name, replacing any key already at that name",
        &[key("key", 0), key("newkey", 1)],
    )
    .complexity("O(1)"),
    doc(
        "renamenx",
        "generic",
        "1.0.0",
        "Gives a key a new name unless that name is already taken",
        &[key("key", 0), key("newkey", 1)],
    )
    .complexity("O(1)"),
    doc(
        "restore",
        "generic",
        "2.6.0",
        "Recreates a key from a blob produced by DUMP, with optional TTL and replace",
        &[
            key("key", 0),
            integer("ttl"),
            string("serialized-value"),
            pure("replace", "REPLACE").since("3.0.0").optional(),
            pure("absttl", "ABSTTL").since("5.0.0").optional(),
            integer("seconds")
                .token("IDLETIME")
                .since("5.0.0")
                .optional(),
            integer("frequency").token("FREQ").since("5.0.0").optional(),
        ],
    )
    .complexity("O(1) to create, plus O(N*M) to rebuild N items of size M"),
    doc(
        "scan",
        "generic",
        "2.8.0",
        "Walks through the key space with a cursor, optionally filtering by pattern or type",
        &[
            integer("cursor"),
            pattern("pattern").token("MATCH").optional(),
            integer("count").token("COUNT").optional(),
            string("type").token("TYPE").since("6.0.0").optional(),
        ],
    )
    .complexity("O(1) per call; O(N) for a full iteration"),
    doc(
        "sort",
        "generic",
        "1.0.0",
        "Orders the elements of a list, set or sorted set, with options to fetch or store",
        &[
            key("key", 0),
            pattern("pattern").key_spec(1).token("BY").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
            pattern("pattern")
                .key_spec(1)
                .token("GET")
                .optional()
                .multiple()
                .multiple_token(),
            oneof("order", &[pure("asc", "ASC"), pure("desc", "DESC")]).optional(),
            pure("sorting", "ALPHA").optional(),
            key("destination", 2).token("STORE").optional(),
        ],
    )
    .complexity("O(N+M*log(M)) for N elements and M returned"),
    doc(
        "sort_ro",
        "generic",
        "7.0.0",
        "Orders the elements of a list, set or sorted set without storing the result",
        &[
            key("key", 0),
            pattern("pattern").key_spec(1).token("BY").optional(),
            block("offset_count", &[integer("offset"), integer("count")])
                .token("LIMIT")
                .optional(),
            pattern("pattern")
                .key_spec(1)
                .token("GET")
                .optional()
                .multiple()
                .multiple_token(),
            oneof("order", &[pure("asc", "ASC"), pure("desc", "DESC")]).optional(),
            pure("sorting", "ALPHA").optional(),
        ],
    )
    .complexity("O(N+M*log(M)) for N elements and M returned"),
    doc(
        "touch",
        "generic",
        "3.2.1",
        "Marks the given keys as accessed and reports how many of them exist",
        &[key("key", 0).multiple()],
    )
    .complexity("O(N) where N is the number of keys"),
    doc(
        "ttl",
        "generic",
        "1.0.0",
        "Reports how many seconds a key has left to live",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "type",
        "generic",
        "1.0.0",
        "Reports the data type (string, list, hash and so on) of the value at a key",
        &[key("key", 0)],
    )
    .complexity("O(1)"),
    doc(
        "unlink",
        "generic",
        "4.0.0",
        "Detaches keys at once and reclaims their memory in a background thread",
        &[key("key", 0).multiple()],
    )
    .complexity("O(1) per key; large values are freed in the background"),
];
