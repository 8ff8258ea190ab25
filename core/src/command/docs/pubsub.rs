//! COMMAND DOCS of the pubsub commands.

use super::{block, doc, pattern, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "psubscribe",
        "pubsub",
        "2.0.0",
        "Subscribes to all channels whose names match the given glob patterns",
        &[block("pattern", &[pattern("pattern")]).multiple()],
    )
    .complexity("O(N) where N is the number of patterns"),
    doc(
        "publish",
        "pubsub",
        "2.0.0",
        "Sends a message to a channel and reports how many clients received it",
        &[string("channel"), string("message")],
    )
    .complexity("O(N+M) for N channel subscribers and M patterns"),
    doc(
        "pubsub",
        "pubsub",
        "2.8.0",
        "Dispatches to subcommands that inspect the Pub/Sub system",
        &[],
    )
    .complexity("Depends on the subcommand"),
    doc(
        "pubsub|channels",
        "pubsub",
        "2.8.0",
        "Lists channels with at least one subscriber, optionally matching a pattern",
        &[pattern("pattern").optional()],
    )
    .complexity("O(N) where N is the number of active channels"),
    doc(
        "pubsub|help",
        "pubsub",
        "6.2.0",
        "Describes the available PUBSUB subcommands",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "pubsub|numpat",
        "pubsub",
        "2.8.0",
        "Reports how many distinct patterns clients are subscribed to",
        &[],
    )
    .complexity("O(1)"),
    doc(
        "pubsub|numsub",
        "pubsub",
        "2.8.0",
        "Reports the number of subscribers for each named channel",
        &[string("channel").optional().multiple()],
    )
    .complexity("O(N) where N is the number of channels requested"),
    doc(
        "pubsub|shardchannels",
        "pubsub",
        "7.0.0",
        "Lists shard channels with subscribers, optionally matching a pattern",
        &[pattern("pattern").optional()],
    )
    .complexity("O(N) where N is the number of active shard channels"),
    doc(
        "pubsub|shardnumsub",
        "pubsub",
        "7.0.0",
        "Reports the number of subscribers for each named shard channel",
        &[string("shardchannel").optional().multiple()],
    )
    .complexity("O(N) where N is the number of shard channels requested"),
    doc(
        "punsubscribe",
        "pubsub",
        "2.0.0",
        "Drops pattern subscriptions, either the given ones or all of them",
        &[pattern("pattern").optional().multiple()],
    )
    .complexity("O(N+M) for N client patterns and M total patterns"),
    doc(
        "spublish",
        "pubsub",
        "7.0.0",
        "Sends a message to a shard channel and reports how many clients got it",
        &[string("shardchannel"), string("message")],
    )
    .complexity("O(N) where N is the number of subscribers"),
    doc(
        "ssubscribe",
        "pubsub",
        "7.0.0",
        "Subscribes the connection to one or more shard channels",
        &[string("shardchannel").multiple()],
    )
    .complexity("O(N) where N is the number of shard channels"),
    doc(
        "subscribe",
        "pubsub",
        "2.0.0",
        "Starts receiving messages published to one or more channels",
        &[string("channel").multiple()],
    )
    .complexity("O(N) where N is the number of channels"),
    doc(
        "sunsubscribe",
        "pubsub",
        "7.0.0",
        "Drops shard channel subscriptions, either the given ones or all of them",
        &[string("shardchannel").optional().multiple()],
    )
    .complexity("O(N) where N is the number of shard channels"),
    doc(
        "unsubscribe",
        "pubsub",
        "2.0.0",
        "Drops channel subscriptions, either the given ones or all of them",
        &[string("channel").optional().multiple()],
    )
    .complexity("O(N) where N is the number of channels"),
];
