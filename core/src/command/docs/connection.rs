//! COMMAND DOCS of the connection commands.

use super::{block, doc, integer, oneof, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "auth",
        "connection",
        "1.0.0",
        "Logs the connection in with a password, or with a username and password",
        &[
            string("username").since("6.0.0").optional(),
            string("password"),
        ],
    )
    .complexity("O(N) where N is the number of passwords of the user"),
    doc(
        "client",
        "connection",
        "2.4.0",
        "Dispatches to subcommands that inspect and manage client connections",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "client|caching",
        "connection",
        "6.0.0",
        "Opts the next command in or out of key tracking in OPTIN/OPTOUT modes",
        &[oneof("mode", &[pure("yes", "YES"), pure("no", "NO")])],
    )
    .complexity("O(1)"),
    doc(
        "client|getname",
        "connection",
        "2.6.9",
        "Returns the name assigned to the current connection, or nil if unset",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|getredir",
        "connection",
        "6.0.0",
        "Reports which client receives this connection's invalidation messages",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|help",
        "connection",
        "5.0.0",
        "Describes the available CLIENT subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|id",
        "connection",
        "5.0.0",
        "Gives the numeric identifier the server assigned to this connection",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|info",
        "connection",
        "6.2.0",
        "Reports details and statistics about the current connection",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|kill",
        "connection",
        "2.4.0",
        "Closes client connections selected by address, ID, type, user or other filters",
        &[oneof(
            "filter",
            &[
                string("ip:port").deprecated("2.8.12"),
                oneof(
                    "new-format",
                    &[
                        integer("client-id").token("ID").since("2.8.12").optional(),
                        oneof(
                            "normal_master_slave_pubsub",
                            &[
                                pure("normal", "NORMAL"),
                                pure("master", "MASTER").since("3.2.0"),
                                pure("slave", "SLAVE"),
                                pure("replica", "REPLICA").since("5.0.0"),
                                pure("pubsub", "PUBSUB"),
                            ],
                        )
                        .token("TYPE")
                        .since("2.8.12")
                        .optional(),
                        string("username").token("USER").optional(),
                        string("ip:port").token("ADDR").optional(),
                        string("ip:port").token("LADDR").since("6.2.0").optional(),
                        string("yes/no").token("SKIPME").optional(),
                    ],
                )
                .multiple(),
            ],
        )],
    )
    .complexity("O(N) where N is the number of clients"),
    doc(
        "client|list",
        "connection",
        "2.4.0",
        "Reports details and statistics for every connected client, optionally filtered",
        &[
            oneof(
                "normal_master_replica_pubsub",
                &[
                    pure("normal", "NORMAL"),
                    pure("master", "MASTER"),
                    pure("replica", "REPLICA"),
                    pure("pubsub", "PUBSUB"),
                ],
            )
            .token("TYPE")
            .since("5.0.0")
            .optional(),
            block("id", &[integer("client-id").multiple()])
                .token("ID")
                .since("6.2.0")
                .optional(),
        ],
    )
    .complexity("O(N) where N is the number of clients"),
    doc(
        "client|no-evict",
        "connection",
        "7.0.0",
        "Turns client eviction protection on or off for the current connection",
        &[oneof("enabled", &[pure("on", "ON"), pure("off", "OFF")])],
    )
    .complexity("O(1)"),
    doc(
        "client|pause",
        "connection",
        "2.9.50",
        "Holds off all or only write commands from clients for some milliseconds",
        &[
            integer("timeout"),
            oneof("mode", &[pure("write", "WRITE"), pure("all", "ALL")])
                .since("6.2.0")
                .optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "client|reply",
        "connection",
        "3.2.0",
        "Switches server replies for this connection on, off, or off for one command",
        &[oneof(
            "on_off_skip",
            &[pure("on", "ON"), pure("off", "OFF"), pure("skip", "SKIP")],
        )],
    )
    .complexity("O(1)"),
    doc(
        "client|setname",
        "connection",
        "2.6.9",
        "Assigns a name to the current connection",
        &[string("connection-name")],
    )
    .complexity("O(1)"),
    doc(
        "client|tracking",
        "connection",
        "6.0.0",
        "Enables or disables key invalidation messages for client-side caching",
        &[
            oneof("status", &[pure("on", "ON"), pure("off", "OFF")]),
            integer("client-id").token("REDIRECT").optional(),
            string("prefix")
                .token("PREFIX")
                .optional()
                .multiple()
                .multiple_token(),
            pure("bcast", "BCAST").optional(),
            pure("optin", "OPTIN").optional(),
            pure("optout", "OPTOUT").optional(),
            pure("noloop", "NOLOOP").optional(),
        ],
    )
    .complexity("O(1), or O(N) for N prefixes given"),
    doc(
        "client|trackinginfo",
        "connection",
        "6.2.0",
        "Describes the client-side caching tracking mode and options of this connection",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "client|unblock",
        "connection",
        "5.0.0",
        "Wakes a client stuck in a blocking command, as a timeout or with an error",
        &[
            integer("client-id"),
            oneof(
                "timeout_error",
                &[pure("timeout", "TIMEOUT"), pure("error", "ERROR")],
            )
            .optional(),
        ],
    )
    .complexity("O(log(N)) where N is the number of clients"),
    doc(
        "client|unpause",
        "connection",
        "6.2.0",
        "Lifts a pause set by CLIENT PAUSE so clients are served again",
        &[],
    )
    .complexity("O(N) where N is the number of paused clients"),
    doc(
        "echo",
        "connection",
        "1.0.0",
        "Replies with the message it was given, unchanged",
        &[string("message")],
    )
    .complexity("O(1)"),
    doc(
        "hello",
        "connection",
        "6.0.0",
        "Negotiates the protocol version and optionally authenticates and names the connection",
        &[block(
            "arguments",
            &[
                integer("protover"),
                block(
                    "username_password",
                    &[string("username"), string("password")],
                )
                .token("AUTH")
                .optional(),
                string("clientname").token("SETNAME").optional(),
            ],
        )
        .optional()],
    )
    .complexity("O(1)"),
    doc(
        "ping",
        "connection",
        "1.0.0",
        "Checks that the connection is alive, answering PONG or echoing a message",
        &[string("message").optional()],
    )
    .complexity("O(1)"),
    doc(
        "quit",
        "connection",
        "1.0.0",
        "Asks the server to close the connection once it has replied",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "reset",
        "connection",
        "6.2.0",
        "Returns the connection to its initial state, ending transactions and subscriptions",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "select",
        "connection",
        "1.0.0",
        "Switches the connection to the database with the given index",
        &[integer("index")],
    )
    .complexity("O(1)"),
];
