//! Pub/sub: who listens to which channel, pattern and shard channel, and the messages they get.
//!
//! The server keeps one table per kind (channel or pattern -> subscribers) and every connection
//! keeps its own names (`Subscriptions`); the two change together through `PubSub`'s methods,
//! and `check_invariants` holds them in step. Both are ordered maps, so that PUBSUB CHANNELS and
//! the delivery order are the same on every run. The tables hold only names someone listens to:
//! they are bounded by the connections (`maxclients`) and what each sent.

use std::collections::{BTreeMap, BTreeSet};

use crate::clients::ConnectionId;
use crate::reply::Reply;
use crate::util::glob::glob_match;

/// What a subscription names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SUBSCRIBE: one channel, matched exactly.
    Channel,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: a shard channel (SPUBLISH), apart from the others.
    Shard,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Channel, Kind::Pattern, Kind::Shard];

    fn index(self) -> usize {
        match self {
            Kind::Channel => 0,
            Kind::Pattern => 1,
            Kind::Shard => 2,
        }
    }

    /// The first element of a (un)subscription confirmation.
    pub(crate) fn confirmation(self, subscribe: bool) -> &'static [u8] {
        match (self, subscribe) {
            (Kind::Channel, true) => b"subscribe",
            (Kind::Channel, false) => b"unsubscribe",
            (Kind::Pattern, true) => b"psubscribe",
            (Kind::Pattern, false) => b"punsubscribe",
            (Kind::Shard, true) => b"ssubscribe",
            (Kind::Shard, false) => b"sunsubscribe",
        }
    }
}

type Names = BTreeSet<Box<[u8]>>;

/// One connection's subscriptions.
#[derive(Default)]
pub(crate) struct Subscriptions {
    names: [Names; 3],
}

impl Subscriptions {
    /// The count a confirmation of `kind` carries: channels and patterns together, as Redis
    /// counts them, or shard channels alone.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.names[0].len() + self.names[1].len(),
            Kind::Shard => self.names[2].len(),
        }
    }

    /// True when the connection is subscribed to anything: in RESP2 it may then run only the
    /// commands of the pub/sub context, and its output buffer is limited as a subscriber's.
    pub(crate) fn any(&self) -> bool {
        self.names.iter().any(|names| !names.is_empty())
    }

    pub(crate) fn names(&self, kind: Kind) -> impl Iterator<Item = &[u8]> {
        self.names[kind.index()].iter().map(|name| &name[..])
    }
}

/// Every subscription on the server, by kind and name.
#[derive(Default)]
pub(crate) struct PubSub {
    tables: [BTreeMap<Box<[u8]>, BTreeSet<ConnectionId>>; 3],
}

/// Who gets a published message: a connection, and the pattern it matched (None for a
/// channel or shard subscription).
pub(crate) struct Receiver<'a> {
    pub(crate) id: ConnectionId,
    pub(crate) pattern: Option<&'a [u8]>,
}

impl PubSub {
    /// Subscribes `id` to `name`; false if it already was.
    pub(crate) fn subscribe(
        &mut self,
        subscriptions: &mut Subscriptions,
        id: ConnectionId,
        kind: Kind,
        name: &[u8],
    ) -> bool {
        if !subscriptions.names[kind.index()].insert(name.into()) {
            return false;
        }
        self.tables[kind.index()]
            .entry(name.into())
            .or_default()
            .insert(id);
        true
    }

    /// Unsubscribes `id` from `name`; false if it was not subscribed.
    pub(crate) fn unsubscribe(
        &mut self,
        subscriptions: &mut Subscriptions,
        id: ConnectionId,
        kind: Kind,
        name: &[u8],
    ) -> bool {
        if !subscriptions.names[kind.index()].remove(name) {
            return false;
        }
        let table = &mut self.tables[kind.index()];
        if let Some(subscribers) = table.get_mut(name) {
            subscribers.remove(&id);
            if subscribers.is_empty() {
                table.remove(name);
            }
        }
        true
    }

    /// Unsubscribes `id` from every name of `kind`, returning them in order.
    pub(crate) fn unsubscribe_all(
        &mut self,
        subscriptions: &mut Subscriptions,
        id: ConnectionId,
        kind: Kind,
    ) -> Vec<Box<[u8]>> {
        let names = std::mem::take(&mut subscriptions.names[kind.index()]);
        let table = &mut self.tables[kind.index()];
        for name in &names {
            if let Some(subscribers) = table.get_mut(name) {
                subscribers.remove(&id);
                if subscribers.is_empty() {
                    table.remove(name);
                }
            }
        }
        names.into_iter().collect()
    }

    /// Drops every subscription of `id` (RESET, a closed connection).
    pub(crate) fn forget(&mut self, subscriptions: &mut Subscriptions, id: ConnectionId) {
        for kind in Kind::ALL {
            self.unsubscribe_all(subscriptions, id, kind);
        }
    }

    /// The connections a message on `channel` reaches: its subscribers, then every pattern's
    /// subscribers whose pattern matches (a connection with both gets it once for each). Shard
    /// channels (`shard`) have no patterns.
    pub(crate) fn receivers<'a>(
        &'a self,
        channel: &'a [u8],
        shard: bool,
    ) -> impl Iterator<Item = Receiver<'a>> + 'a {
        let kind = if shard { Kind::Shard } else { Kind::Channel };
        let direct = self.tables[kind.index()]
            .get(channel)
            .into_iter()
            .flatten()
            .map(|&id| Receiver { id, pattern: None });
        let patterns = self.tables[Kind::Pattern.index()]
            .iter()
            .filter(move |(pattern, _)| !shard && glob_match(pattern, channel, false))
            .flat_map(|(pattern, subscribers)| {
                subscribers.iter().map(move |&id| Receiver {
                    id,
                    pattern: Some(&pattern[..]),
                })
            });
        direct.chain(patterns)
    }

    /// Names of `kind` with at least one subscriber, matching `pattern` if given (PUBSUB
    /// CHANNELS, SHARDCHANNELS).
    pub(crate) fn names<'a>(
        &'a self,
        kind: Kind,
        pattern: Option<&'a [u8]>,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.tables[kind.index()]
            .keys()
            .map(|name| &name[..])
            .filter(move |name| pattern.is_none_or(|pattern| glob_match(pattern, name, false)))
    }

    /// Subscribers of one name (PUBSUB NUMSUB, SHARDNUMSUB).
    pub(crate) fn subscriber_count(&self, kind: Kind, name: &[u8]) -> usize {
        self.tables[kind.index()].get(name).map_or(0, BTreeSet::len)
    }

    /// Patterns with at least one subscriber (PUBSUB NUMPAT).
    pub(crate) fn pattern_count(&self) -> usize {
        self.tables[Kind::Pattern.index()].len()
    }

    /// Every table entry is some connection's subscription, and the other way round.
    pub(crate) fn check_invariants<'a>(
        &self,
        connections: impl Iterator<Item = (ConnectionId, &'a Subscriptions)>,
    ) {
        let mut entries = 0;
        for (id, subscriptions) in connections {
            for kind in Kind::ALL {
                for name in subscriptions.names(kind) {
                    entries += 1;
                    assert!(
                        self.tables[kind.index()]
                            .get(name)
                            .is_some_and(|subscribers| subscribers.contains(&id)),
                        "a connection's subscription is in the server's table"
                    );
                }
            }
        }
        let table_entries: usize = self
            .tables
            .iter()
            .flat_map(|table| table.values())
            .inspect(|subscribers| assert!(!subscribers.is_empty(), "no empty subscriber set"))
            .map(BTreeSet::len)
            .sum();
        assert_eq!(
            entries, table_entries,
            "the server's tables hold only open connections' subscriptions"
        );
    }
}

/// Writes one message as a subscriber gets it: `message`, `pmessage` (with the pattern) or
/// `smessage`, a push in RESP3 and an array in RESP2.
pub(crate) fn write_message(
    out: &mut Vec<u8>,
    resp3: bool,
    shard: bool,
    pattern: Option<&[u8]>,
    channel: &[u8],
    message: &[u8],
) {
    let mut reply = Reply::new(out, resp3);
    match (shard, pattern) {
        (true, _) => {
            reply.push(3);
            reply.bulk(b"smessage");
        }
        (false, None) => {
            reply.push(3);
            reply.bulk(b"message");
        }
        (false, Some(pattern)) => {
            reply.push(4);
            reply.bulk(b"pmessage");
            reply.bulk(pattern);
        }
    }
    reply.bulk(channel);
    reply.bulk(message);
}
