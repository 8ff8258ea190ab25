//! The model's pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH,
//! SPUBLISH, PUBSUB; RESP2 frames.
//!
//! A publish counts its receivers (every channel subscription, and every matching pattern
//! subscription of a connection, each once) and leaves the frames each receiver must get in
//! `Model::deliveries`, which the world matches against the receivers' send buffers.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Model, Session};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// One connection's subscriptions, by kind; each a set, as the server keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    pub channels: BTreeSet<Vec<u8>>,
    pub patterns: BTreeSet<Vec<u8>>,
    pub shards: BTreeSet<Vec<u8>>,
}

impl Subscriptions {
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shards.is_empty())
    }
}

impl Model {
    pub fn subscriptions(&self, client: u64) -> Option<&Subscriptions> {
        self.subscriptions.get(&client)
    }
}

/// The kinds of subscription, as the confirmations name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn of(name: &str) -> Kind {
        match name.trim_start_matches("un") {
            "subscribe" => Kind::Channel,
            "psubscribe" | "punsubscribe" => Kind::Pattern,
            _ => Kind::Shard,
        }
    }

    fn names(self, subscriptions: &mut Subscriptions) -> &mut BTreeSet<Vec<u8>> {
        match self {
            Kind::Channel => &mut subscriptions.channels,
            Kind::Pattern => &mut subscriptions.patterns,
            Kind::Shard => &mut subscriptions.shards,
        }
    }

    /// What a confirmation counts: channels and patterns together, shard channels alone.
    fn count(self, subscriptions: &Subscriptions) -> usize {
        match self {
            Kind::Channel | Kind::Pattern => {
                subscriptions.channels.len() + subscriptions.patterns.len()
            }
            Kind::Shard => subscriptions.shards.len(),
        }
    }

    fn confirmation(self, subscribe: bool) -> &'static [u8] {
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

fn confirm(out: &mut Out<'_>, kind: Kind, subscribe: bool, name: Option<&[u8]>, count: usize) {
    out.array(3);
    out.bulk(kind.confirmation(subscribe));
    out.maybe_bulk(name);
    out.int(count as i64);
}

/// Redis's glob for the patterns the simulator sends: `*`, `?` and `[set]` (no ranges, no
/// negation, no escapes). Iterative: a star remembers where to resume.
pub fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => {
                let close = p + pattern[p..]
                    .iter()
                    .position(|&b| b == b']')
                    .expect("closed");
                pattern[p + 1..close]
                    .contains(&text[t])
                    .then_some(close + 1)
            }
            Some(&byte) => (byte == text[t]).then_some(p + 1),
            None => None,
        };
        match (step, star) {
            (Some(next), _) => {
                p = next;
                t += 1;
            }
            (None, Some((star_at, star_text))) => {
                p = star_at + 1;
                t = star_text + 1;
                star = Some((star_at, star_text + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

pub(crate) fn pubsub(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    out: &mut Out<'_>,
) -> Result<Expect> {
    match name {
        "subscribe" | "psubscribe" | "ssubscribe" => {
            let kind = Kind::of(name);
            let subscriptions = model.subscriptions.entry(session.client).or_default();
            for channel in &args[1..] {
                kind.names(subscriptions).insert(channel.clone());
                confirm(out, kind, true, Some(channel), kind.count(subscriptions));
            }
        }
        "unsubscribe" | "punsubscribe" | "sunsubscribe" => {
            let kind = Kind::of(name);
            let subscriptions = model.subscriptions.entry(session.client).or_default();
            if args.len() == 1 {
                let names = std::mem::take(kind.names(subscriptions));
                if names.is_empty() {
                    confirm(out, kind, false, None, kind.count(subscriptions));
                }
                // Each confirmation counts what is left after it.
                let left = kind.count(subscriptions);
                for (index, channel) in names.iter().enumerate() {
                    confirm(
                        out,
                        kind,
                        false,
                        Some(channel),
                        left + names.len() - 1 - index,
                    );
                }
            } else {
                for channel in &args[1..] {
                    kind.names(subscriptions).remove(channel);
                    confirm(out, kind, false, Some(channel), kind.count(subscriptions));
                }
            }
        }
        "publish" | "spublish" => {
            let shard = name == "spublish";
            let (channel, message) = (&args[1], &args[2]);
            let mut receivers = 0;
            for (&client, subscriptions) in &model.subscriptions {
                let mut frames = Vec::new();
                let direct = if shard {
                    &subscriptions.shards
                } else {
                    &subscriptions.channels
                };
                if direct.contains(channel) {
                    let kind: &[u8] = if shard { b"smessage" } else { b"message" };
                    frames.push(frame(&[kind, channel, message]));
                }
                for pattern in subscriptions.patterns.iter().filter(|_| !shard) {
                    if glob(pattern, channel) {
                        receivers += 1;
                        // The deliberately wrong model forgets pattern messages.
                        if !model.wrong_pubsub {
                            frames.push(frame(&[b"pmessage", pattern, channel, message]));
                        }
                    }
                }
                receivers += usize::from(direct.contains(channel));
                if !frames.is_empty() {
                    model.deliveries.push((client, frames));
                }
            }
            out.int(receivers as i64);
        }
        _ => return pubsub_introspection(model, args, out),
    }
    Ok(Expect::Exact)
}

/// An array of bulk strings, as a message frame is in RESP2.
fn frame(parts: &[&[u8]]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut out = Out(&mut bytes);
    out.array(parts.len());
    for part in parts {
        out.bulk(part);
    }
    bytes
}

/// PUBSUB CHANNELS | SHARDCHANNELS [pattern], NUMSUB | SHARDNUMSUB [channel ...], NUMPAT.
fn pubsub_introspection(model: &Model, args: &[Vec<u8>], out: &mut Out<'_>) -> Result<Expect> {
    let subcommand = args[1].to_ascii_uppercase();
    let mut counts: [BTreeMap<&[u8], i64>; 3] = Default::default();
    for subscriptions in model.subscriptions.values() {
        let kinds = [
            &subscriptions.channels,
            &subscriptions.patterns,
            &subscriptions.shards,
        ];
        for (count, names) in counts.iter_mut().zip(kinds) {
            for name in names {
                *count.entry(&name[..]).or_default() += 1;
            }
        }
    }
    let [channels, patterns, shards] = counts;
    Ok(match &subcommand[..] {
        b"NUMPAT" if args.len() == 2 => out.int(patterns.len() as i64),
        b"CHANNELS" | b"SHARDCHANNELS" if args.len() <= 3 => {
            let table = if subcommand == b"CHANNELS" {
                &channels
            } else {
                &shards
            };
            let names = table
                .keys()
                .filter(|name| args.get(2).is_none_or(|pattern| glob(pattern, name)))
                .map(|name| name.to_vec())
                .collect();
            Expect::SortedBulks(names)
        }
        b"NUMSUB" | b"SHARDNUMSUB" => {
            let table = if subcommand == b"NUMSUB" {
                &channels
            } else {
                &shards
            };
            out.array((args.len() - 2) * 2);
            for channel in &args[2..] {
                out.bulk(channel);
                out.int(table.get(&channel[..]).copied().unwrap_or(0));
            }
            Expect::Exact
        }
        _ => return Err("ERR the simulator sends only well-formed PUBSUB subcommands"),
    })
}
