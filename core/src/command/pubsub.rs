//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB.
//!
//! A publish counts its receivers now and leaves the delivery to the server (an effect), which
//! writes each subscriber's copy through the one delivery path and its output limits.

use super::args::is_subcommand;
use super::{ArgCursor, CommandError, CommandResult, Ctx};

/// At most this many channels, patterns and shard channels per connection (the server's
/// tables are then bounded by this times `maxclients`).
pub(crate) const SUBSCRIPTIONS_PER_CONNECTION_MAX: usize = 1 << 20;
use crate::pubsub::{self, Kind};

/// Confirms one (un)subscription: [kind, name, count], pushed in RESP3.
fn confirm(ctx: &mut Ctx<'_, '_>, kind: Kind, subscribe: bool, name: Option<&[u8]>) {
    let count = ctx.session.subscriptions.count(kind);
    ctx.reply.push(3);
    ctx.reply.bulk(kind.confirmation(subscribe));
    match name {
        Some(name) => ctx.reply.bulk(name),
        None => ctx.reply.null(),
    }
    ctx.reply.integer(count as i64);
}

fn subscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, kind: Kind) -> CommandResult {
    if ctx.reply.book {
        return Err("ERR pub/sub is not available on the book's protocol".into());
    }
    let held: usize = pubsub::Kind::ALL
        .iter()
        .map(|&kind| ctx.session.subscriptions.names(kind).count())
        .sum();
    if held + args.remaining() > SUBSCRIPTIONS_PER_CONNECTION_MAX {
        return Err(CommandError::owned(format!(
            "ERR too many subscriptions (at most {SUBSCRIPTIONS_PER_CONNECTION_MAX} channels, \
             patterns and shard channels per connection)"
        )));
    }
    for name in args.rest() {
        let pubsub = &mut ctx.state.pubsub;
        pubsub.subscribe(&mut ctx.session.subscriptions, ctx.id, kind, name);
        confirm(ctx, kind, true, Some(name));
    }
    Ok(())
}

/// Unsubscribes from the names given, or from every one of `kind` when none is.
fn unsubscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, kind: Kind) -> CommandResult {
    let pubsub = &mut ctx.state.pubsub;
    if args.remaining() == 0 {
        let names = pubsub.unsubscribe_all(&mut ctx.session.subscriptions, ctx.id, kind);
        if names.is_empty() {
            confirm(ctx, kind, false, None);
        }
        // Each confirmation counts what is left after it, as Redis's one-by-one removal does.
        let left = ctx.session.subscriptions.count(kind);
        for (index, name) in names.iter().enumerate() {
            let count = left + names.len() - 1 - index;
            ctx.reply.push(3);
            ctx.reply.bulk(kind.confirmation(false));
            ctx.reply.bulk(name);
            ctx.reply.integer(count as i64);
        }
        return Ok(());
    }
    for name in args.rest() {
        let pubsub = &mut ctx.state.pubsub;
        pubsub.unsubscribe(&mut ctx.session.subscriptions, ctx.id, kind, name);
        confirm(ctx, kind, false, Some(name));
    }
    Ok(())
}

/// SUBSCRIBE channel [channel ...]
pub(crate) fn subscribe_channels(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    subscribe(ctx, args, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
pub(crate) fn psubscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    subscribe(ctx, args, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub(crate) fn ssubscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    subscribe(ctx, args, Kind::Shard)
}

/// UNSUBSCRIBE [channel ...]
pub(crate) fn unsubscribe_channels(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
) -> CommandResult {
    unsubscribe(ctx, args, Kind::Channel)
}

/// PUNSUBSCRIBE [pattern ...]
pub(crate) fn punsubscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    unsubscribe(ctx, args, Kind::Pattern)
}

/// SUNSUBSCRIBE [shardchannel ...]
pub(crate) fn sunsubscribe(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    unsubscribe(ctx, args, Kind::Shard)
}

fn publish_to(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, shard: bool) -> CommandResult {
    let channel = args.next_bytes()?;
    let message = args.next_bytes()?;
    let mut receivers = Vec::new();
    let mut to_self = false;
    for receiver in ctx.state.pubsub.receivers(channel, shard) {
        if receiver.id == ctx.id {
            // As Redis 7.0 does, a subscriber publishing to itself gets its copies before the
            // reply, unless inside EXEC (where `may_block` is off), whose reply must stay whole:
            // there they come after it, with everyone else's.
            to_self = ctx.may_block;
            if to_self {
                let resp3 = ctx.reply.resp3;
                let out = &mut *ctx.reply.out;
                pubsub::write_message(out, resp3, shard, receiver.pattern, channel, message);
            }
        }
        receivers.push((receiver.id, receiver.pattern.map(Box::from)));
    }
    let count = receivers.len();
    if count > 0 {
        let skip = to_self.then_some(ctx.id);
        ctx.effects
            .publish_to(channel, message, shard, skip, receivers);
    }
    ctx.reply.integer(count as i64);
    Ok(())
}

/// PUBLISH channel message: how many subscriptions received it.
pub(crate) fn publish(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    publish_to(ctx, args, false)
}

/// SPUBLISH shardchannel message
pub(crate) fn spublish(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    publish_to(ctx, args, true)
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB | HELP
pub(crate) fn pubsub(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    let pubsub = &ctx.state.pubsub;
    if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(PUBSUB_HELP);
    } else if is_subcommand(subcommand, "NUMPAT") {
        ctx.reply.integer(pubsub.pattern_count() as i64);
    } else if is_subcommand(subcommand, "CHANNELS") || is_subcommand(subcommand, "SHARDCHANNELS") {
        let kind = if is_subcommand(subcommand, "CHANNELS") {
            Kind::Channel
        } else {
            Kind::Shard
        };
        let pattern = args.peek();
        let names: Vec<&[u8]> = pubsub.names(kind, pattern).collect();
        ctx.reply.array(names.len());
        for name in names {
            ctx.reply.bulk(name);
        }
    } else {
        let kind = if is_subcommand(subcommand, "NUMSUB") {
            Kind::Channel
        } else {
            Kind::Shard
        };
        let names: Vec<&[u8]> = args.rest().collect();
        // An array even in RESP3, as Redis answers.
        ctx.reply.array(names.len() * 2);
        for name in names {
            ctx.reply.bulk(name);
            ctx.reply
                .integer(ctx.state.pubsub.subscriber_count(kind, name) as i64);
        }
    }
    Ok(())
}
