//! COMMAND DOCS of the cluster commands, which a standalone server refuses as Redis does.

use super::{block, doc, integer, oneof, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "asking",
        "cluster",
        "3.0.0",
        "Tells a cluster node the next command follows an ASK redirection",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster",
        "cluster",
        "3.0.0",
        "Groups the cluster management subcommands (a standalone server refuses them)",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "cluster|addslots",
        "cluster",
        "3.0.0",
        "Makes this node the owner of the given hash slots",
        &[integer("slot").multiple()],
    )
    .complexity("O(N) where N is the number of slots given"),
    doc(
        "cluster|addslotsrange",
        "cluster",
        "7.0.0",
        "Makes this node the owner of the hash slots in the given ranges",
        &[block(
            "start-slot_end-slot",
            &[integer("start-slot"), integer("end-slot")],
        )
        .multiple()],
    )
    .complexity("O(N) where N is the number of slots in the ranges"),
    doc(
        "cluster|bumpepoch",
        "cluster",
        "3.0.0",
        "Moves this node's configuration epoch forward",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|count-failure-reports",
        "cluster",
        "3.0.0",
        "Counts the live failure reports about a node",
        &[string("node-id")],
    )
    .complexity("O(N) where N is the number of failure reports"),
    doc(
        "cluster|countkeysinslot",
        "cluster",
        "3.0.0",
        "Counts this node's keys in one hash slot",
        &[integer("slot")],
    )
    .complexity("O(1)"),
    doc(
        "cluster|delslots",
        "cluster",
        "3.0.0",
        "Releases the given hash slots from this node",
        &[integer("slot").multiple()],
    )
    .complexity("O(N) where N is the number of slots given"),
    doc(
        "cluster|delslotsrange",
        "cluster",
        "7.0.0",
        "Releases the hash slots in the given ranges from this node",
        &[block(
            "start-slot_end-slot",
            &[integer("start-slot"), integer("end-slot")],
        )
        .multiple()],
    )
    .complexity("O(N) where N is the number of slots in the ranges"),
    doc(
        "cluster|failover",
        "cluster",
        "3.0.0",
        "Makes a replica take over from its primary on request",
        &[oneof(
            "options",
            &[pure("force", "FORCE"), pure("takeover", "TAKEOVER")],
        )
        .optional()],
    )
    .complexity("O(1)"),
    doc(
        "cluster|flushslots",
        "cluster",
        "3.0.0",
        "Forgets which hash slots this node owns",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|forget",
        "cluster",
        "3.0.0",
        "Drops a node from this node's view of the cluster",
        &[string("node-id")],
    )
    .complexity("O(1)"),
    doc(
        "cluster|getkeysinslot",
        "cluster",
        "3.0.0",
        "Lists up to count of this node's keys in one hash slot",
        &[integer("slot"), integer("count")],
    )
    .complexity("O(log(N)) where N is the number of keys asked for"),
    doc(
        "cluster|help",
        "cluster",
        "5.0.0",
        "Lists the CLUSTER subcommands and what they do",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|info",
        "cluster",
        "3.0.0",
        "Reports this node's view of the cluster's state",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|keyslot",
        "cluster",
        "3.0.0",
        "Computes the hash slot a key name maps to",
        &[string("key")],
    )
    .complexity("O(N) where N is the length of the key name"),
    doc(
        "cluster|links",
        "cluster",
        "7.0.0",
        "Lists the connections between this node and its peers",
        &[],
    )
    .complexity("O(N) where N is the number of nodes"),
    doc(
        "cluster|meet",
        "cluster",
        "3.0.0",
        "Introduces this node to another node so they join one cluster",
        &[
            string("ip"),
            integer("port"),
            integer("cluster_bus_port").since("4.0.0").optional(),
        ],
    )
    .complexity("O(1)"),
    doc(
        "cluster|myid",
        "cluster",
        "3.0.0",
        "Reports this node's identifier",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|nodes",
        "cluster",
        "3.0.0",
        "Reports the cluster's nodes in the configuration file format",
        &[],
    )
    .complexity("O(N) where N is the number of nodes"),
    doc(
        "cluster|replicas",
        "cluster",
        "5.0.0",
        "Lists the replicas of a primary node",
        &[string("node-id")],
    )
    .complexity("O(1)"),
    doc(
        "cluster|replicate",
        "cluster",
        "3.0.0",
        "Turns this node into a replica of the given primary",
        &[string("node-id")],
    )
    .complexity("O(1)"),
    doc(
        "cluster|reset",
        "cluster",
        "3.0.0",
        "Returns this node to a fresh cluster state",
        &[oneof("hard_soft", &[pure("hard", "HARD"), pure("soft", "SOFT")]).optional()],
    )
    .complexity("O(N) where N is the number of known nodes; it may flush every key"),
    doc(
        "cluster|saveconfig",
        "cluster",
        "3.0.0",
        "Writes this node's cluster configuration to disk",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "cluster|set-config-epoch",
        "cluster",
        "3.0.0",
        "Sets the configuration epoch of a node that has none yet",
        &[integer("config-epoch")],
    )
    .complexity("O(1)"),
    doc(
        "cluster|setslot",
        "cluster",
        "3.0.0",
        "Changes how one hash slot is bound: importing, migrating, owned or stable",
        &[
            integer("slot"),
            oneof(
                "subcommand",
                &[
                    string("node-id").token("IMPORTING"),
                    string("node-id").token("MIGRATING"),
                    string("node-id").token("NODE"),
                    pure("stable", "STABLE"),
                ],
            ),
        ],
    )
    .complexity("O(1)"),
    doc(
        "cluster|shards",
        "cluster",
        "7.0.0",
        "Lists the cluster's shards with their slot ranges and nodes",
        &[],
    )
    .complexity("O(N) where N is the number of nodes"),
    doc(
        "cluster|slaves",
        "cluster",
        "3.0.0",
        "Lists the replicas of a primary node (old name of CLUSTER REPLICAS)",
        &[string("node-id")],
    )
    .complexity("O(1)")
    .deprecated("5.0.0"),
    doc(
        "cluster|slots",
        "cluster",
        "3.0.0",
        "Maps each hash slot range to its nodes (replaced by CLUSTER SHARDS)",
        &[],
    )
    .complexity("O(N) where N is the number of nodes")
    .deprecated("7.0.0"),
    doc(
        "readonly",
        "cluster",
        "3.0.0",
        "Lets this connection read from a cluster replica",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "readwrite",
        "cluster",
        "3.0.0",
        "Stops this connection from reading from a cluster replica",
        &[],
    )
    .complexity("O(1)"),
];
