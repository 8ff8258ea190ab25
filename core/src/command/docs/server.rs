//! COMMAND DOCS of the server commands.

use super::{block, doc, integer, key, oneof, pattern, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "acl",
        "server",
        "6.0.0",
        "Dispatches to subcommands that manage users and access control rules",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "acl|cat",
        "server",
        "6.0.0",
        "Names the ACL command categories, or the commands that belong to one",
        &[string("categoryname").optional()],
    )
    .complexity("O(1)"),
    doc(
        "acl|deluser",
        "server",
        "6.0.0",
        "Removes ACL users and drops any connections authenticated as them",
        &[string("username").multiple()],
    )
    .complexity("O(1) per user removed"),
    doc(
        "acl|dryrun",
        "server",
        "7.0.0",
        "Tests whether a user would be allowed to run a command, without running it",
        &[
            string("username"),
            string("command"),
            string("arg").optional().multiple(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "acl|genpass",
        "server",
        "6.0.0",
        "Creates a random hex string suitable as a strong ACL password",
        &[integer("bits").optional()],
    )
    .complexity("O(1)"),
    doc(
        "acl|getuser",
        "server",
        "6.0.0",
        "Describes a user's flags, passwords, command rules and key or channel patterns",
        &[string("username")],
    )
    .complexity("O(N) where N is the number of rules of the user"),
    doc(
        "acl|help",
        "server",
        "6.0.0",
        "Describes the available ACL subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "acl|list",
        "server",
        "6.0.0",
        "Lists every user's rules in the same format as an ACL file",
        &[],
    )
    .complexity("O(N) where N is the number of users"),
    doc(
        "acl|load",
        "server",
        "6.0.0",
        "Replaces the users with those read from the configured ACL file",
        &[],
    )
    .complexity("O(N) where N is the number of users"),
    doc(
        "acl|log",
        "server",
        "6.0.0",
        "Shows recent ACL denials and failed logins, or clears that log",
        &[oneof("operation", &[integer("count"), pure("reset", "RESET")]).optional()],
    )
    .complexity("O(N) where N is the number of entries shown"),
    doc(
        "acl|save",
        "server",
        "6.0.0",
        "Writes the current users and rules out to the configured ACL file",
        &[],
    )
    .complexity("O(N) where N is the number of users"),
    doc(
        "acl|setuser",
        "server",
        "6.0.0",
        "Creates a user or updates an existing user's rules",
        &[string("username"), string("rule").optional().multiple()],
    )
    .complexity("O(N) where N is the number of rules given"),
    doc(
        "acl|users",
        "server",
        "6.0.0",
        "Names every configured ACL user",
        &[],
    )
    .complexity("O(N) where N is the number of users"),
    doc(
        "acl|whoami",
        "server",
        "6.0.0",
        "Reports which user the current connection is logged in as",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "bgrewriteaof",
        "server",
        "1.0.0",
        "Starts a background rewrite that compacts the append-only file",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "bgsave",
        "server",
        "1.0.0",
        "Starts writing a point-in-time snapshot of the dataset to disk in the background",
        &[pure("schedule", "SCHEDULE").since("3.2.2").optional()],
    )
    .complexity("O(1)"),
    doc(
        "command",
        "server",
        "2.8.13",
        "Describes every command the server implements: arity, flags, keys and more",
        &[],
    )
    .complexity("O(N) where N is the number of commands"),
    doc(
        "command|count",
        "server",
        "2.8.13",
        "Reports how many commands the server implements",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "command|docs",
        "server",
        "7.0.0",
        "Gives documentation metadata for the named commands, or for all of them",
        &[string("command-name").optional().multiple()],
    )
    .complexity("O(N) where N is the number of commands described"),
    doc(
        "command|getkeys",
        "server",
        "2.8.13",
        "Works out which arguments of a full command line are key names",
        &[],
    )
    .complexity("O(N) where N is the number of arguments"),
    doc(
        "command|getkeysandflags",
        "server",
        "7.0.0",
        "Lists the keys a full command line would touch, each with how it is accessed",
        &[],
    )
    .complexity("O(N) where N is the number of arguments"),
    doc(
        "command|info",
        "server",
        "2.8.13",
        "Describes the named commands, or all of them when none are given",
        &[string("command-name").optional().multiple()],
    )
    .complexity("O(N) where N is the number of commands described"),
    doc(
        "command|list",
        "server",
        "7.0.0",
        "Lists command names, optionally filtered by module, ACL category or pattern",
        &[oneof(
            "filterby",
            &[
                string("module-name").token("MODULE"),
                string("category").token("ACLCAT"),
                pattern("pattern").token("PATTERN"),
            ],
        )
        .token("FILTERBY")
        .optional()],
    )
    .complexity("O(N) where N is the number of commands"),
    doc(
        "config",
        "server",
        "2.0.0",
        "Dispatches to subcommands that read and change the server configuration",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "config|get",
        "server",
        "2.0.0",
        "Reports the values of configuration parameters matching the given patterns",
        &[block("parameter", &[string("parameter")]).multiple()],
    )
    .complexity("O(N) where N is the number of parameters requested"),
    doc(
        "config|resetstat",
        "server",
        "2.0.0",
        "Zeroes the statistics counters reported by INFO and related commands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "config|rewrite",
        "server",
        "2.8.0",
        "Writes the settings in force back into the config file the server started from",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "config|set",
        "server",
        "2.0.0",
        "Changes one or more configuration parameters at runtime",
        &[block("parameter_value", &[string("parameter"), string("value")]).multiple()],
    )
    .complexity("O(N) where N is the number of parameters set"),
    doc(
        "dbsize",
        "server",
        "1.0.0",
        "Reports how many keys the currently selected database holds",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "debug",
        "server",
        "1.0.0",
        "Dispatches to internal debugging and diagnostic subcommands",
        &[],
    )
    .complexity("Depends on the subcommand")
    .syscmd(),
    doc(
        "flushall",
        "server",
        "1.0.0",
        "Deletes every key in every database, optionally in the background",
        &[oneof(
            "async",
            &[
                pure("async", "ASYNC").since("4.0.0"),
                pure("sync", "SYNC").since("6.2.0"),
            ],
        )
        .optional()],
    )
    .complexity("O(N) where N is the total number of keys"),
    doc(
        "flushdb",
        "server",
        "1.0.0",
        "Deletes every key in the currently selected database",
        &[oneof(
            "async",
            &[
                pure("async", "ASYNC").since("4.0.0"),
                pure("sync", "SYNC").since("6.2.0"),
            ],
        )
        .optional()],
    )
    .complexity("O(N) where N is the number of keys in the database"),
    doc(
        "info",
        "server",
        "1.0.0",
        "Reports server state and statistics grouped in sections, optionally filtered",
        &[string("section").optional().multiple()],
    )
    .complexity("O(1)"),
    doc(
        "lastsave",
        "server",
        "1.0.0",
        "Reports when the last successful disk save happened, as a Unix time",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "latency",
        "server",
        "2.8.13",
        "Dispatches to subcommands of the latency monitoring framework",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "latency|doctor",
        "server",
        "2.8.13",
        "Produces a readable diagnosis of recorded latency spikes with advice",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "latency|help",
        "server",
        "2.8.13",
        "Describes the available LATENCY subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "latency|histogram",
        "server",
        "7.0.0",
        "Reports cumulative latency histograms for all or the named commands",
        &[string("command").optional().multiple()],
    )
    .complexity("O(N) where N is the number of commands reported"),
    doc(
        "latency|history",
        "server",
        "2.8.13",
        "Lists the timestamped latency samples recorded for one event",
        &[string("event")],
    )
    .complexity("O(1)"),
    doc(
        "latency|latest",
        "server",
        "2.8.13",
        "Reports the newest spike time, latency and maximum for each monitored event",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "latency|reset",
        "server",
        "2.8.13",
        "Discards recorded latency data for all or the named events",
        &[string("event").optional().multiple()],
    )
    .complexity("O(1)"),
    doc(
        "memory",
        "server",
        "4.0.0",
        "Dispatches to subcommands that inspect memory consumption",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "memory|doctor",
        "server",
        "4.0.0",
        "Reports what the memory figures suggest may be wrong, in plain words",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "memory|help",
        "server",
        "4.0.0",
        "Describes the available MEMORY subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "memory|malloc-stats",
        "server",
        "4.0.0",
        "Shows the memory allocator's own statistics, where it has any",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "memory|purge",
        "server",
        "4.0.0",
        "Asks the memory allocator to hand unused pages back to the system",
        &[],
    )
    .complexity("O(N) where N is the number of pages held"),
    doc(
        "memory|stats",
        "server",
        "4.0.0",
        "Reports how the server's memory divides between data and bookkeeping",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "memory|usage",
        "server",
        "4.0.0",
        "Reports roughly how many bytes a key and its value take in RAM",
        &[key("key", 0), integer("count").token("SAMPLES").optional()],
    )
    .complexity("O(N) where N is the number of samples"),
    doc(
        "monitor",
        "server",
        "1.0.0",
        "Streams every command the server processes back to this connection",
        &[],
    ),
    doc(
        "psync",
        "server",
        "2.8.0",
        "Asks a master to stream replication data, resuming partially when possible",
        &[string("replicationid"), integer("offset")],
    ),
    doc(
        "replconf",
        "server",
        "3.0.0",
        "Exchanges replication settings between a replica and its master (internal)",
        &[],
    )
    .complexity("O(1)")
    .syscmd(),
    doc(
        "save",
        "server",
        "1.0.0",
        "Writes a snapshot of the dataset to disk in the foreground, blocking clients",
        &[],
    )
    .complexity("O(N) where N is the total number of keys"),
    doc(
        "shutdown",
        "server",
        "1.0.0",
        "Stops the server, optionally saving data first",
        &[
            oneof(
                "nosave_save",
                &[pure("nosave", "NOSAVE"), pure("save", "SAVE")],
            )
            .optional(),
            pure("now", "NOW").since("7.0.0").optional(),
            pure("force", "FORCE").since("7.0.0").optional(),
            pure("abort", "ABORT").since("7.0.0").optional(),
        ],
    )
    .complexity("O(N) when saving, where N is the total number of keys"),
    doc(
        "slowlog",
        "server",
        "2.2.12",
        "Dispatches to subcommands that manage the slow command log",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "slowlog|get",
        "server",
        "2.2.12",
        "Lists recent entries of the slow command log",
        &[integer("count").optional()],
    )
    .complexity("O(N) where N is the number of entries returned"),
    doc(
        "slowlog|help",
        "server",
        "6.2.0",
        "Describes the available SLOWLOG subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "slowlog|len",
        "server",
        "2.2.12",
        "Reports how many entries the slow command log holds",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "slowlog|reset",
        "server",
        "2.2.12",
        "Empties the slow command log",
        &[],
    )
    .complexity("O(N) where N is the number of entries"),
    doc(
        "swapdb",
        "server",
        "4.0.0",
        "Exchanges the entire contents of two databases",
        &[integer("index1"), integer("index2")],
    )
    .complexity("O(N) where N is the clients watching or blocked on keys"),
    doc(
        "sync",
        "server",
        "1.0.0",
        "Requests a full copy of the dataset for replication (internal)",
        &[],
    ),
    doc(
        "time",
        "server",
        "2.6.0",
        "Reports the server clock as Unix seconds plus microseconds",
        &[],
    )
    .complexity("O(1)"),
];
