//! Sorted-set commands that touch members one by one: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE,
//! ZCARD, ZRANK, ZREVRANK, ZPOPMIN, ZPOPMAX, ZRANDMEMBER, ZSCAN, and the book's ZQUERY.

use super::args::{is_option, parse_multi_pop};
use super::keys::{parse_cursor, reply_empty_page, scan_collection, ScanOptions};
use super::sample;
use super::{
    delete_if_empty, ArgCursor, CommandError, CommandResult, Ctx, NOT_FLOAT, SYNTAX, WRONGTYPE,
};
use crate::notify;
use crate::reply::Reply;
use crate::store::db::Db;
use crate::store::hash::PackedLimits;
use crate::store::zset::FULL_ERROR;
use crate::store::zset_value::{empty_for, ZSetMut, ZSetRef};
use crate::time::UnixMillis;
use crate::util::number::{format_f64, parse_f64, parse_i64};

/// The sorted set at `key`, or None if missing; WRONGTYPE for other types.
#[inline]
pub(crate) fn read_zset<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<ZSetRef<'d>>, CommandError> {
    match db.get(now, key) {
        None => Ok(None),
        Some(value) => match ZSetRef::of(value) {
            Some(zset) => Ok(Some(zset)),
            None => Err(WRONGTYPE.into()),
        },
    }
}

/// The sorted set at `key` to change, or None if missing; WRONGTYPE (changing nothing) for
/// another type.
pub(crate) fn write_zset<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<ZSetMut<'d>>, CommandError> {
    // The type is checked with read access first: a WRONGTYPE error changes nothing.
    if read_zset(db, now, key)?.is_none() {
        return Ok(None);
    }
    let value = db
        .modify(now, key)
        .expect("a live sorted set was just read");
    Ok(ZSetMut::of(value))
}

/// The sorted set at `key` to change, created empty when missing (the caller adds to it, or
/// `delete_if_empty` removes it again); WRONGTYPE for another type. A new set starts in the
/// encoding `empty_for` picks for `first`, the first member the caller adds.
pub(crate) fn zset_or_create<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
    first: &[u8],
    limits: PackedLimits,
    seed: u64,
) -> Result<ZSetMut<'d>, CommandError> {
    if read_zset(db, now, key)?.is_none() {
        db.set(now, key, empty_for(first, limits, seed), false);
    }
    let value = db
        .modify(now, key)
        .expect("a live sorted set was just read or created");
    Ok(ZSetMut::of(value).expect("a sorted set"))
}

/// A score argument as ZADD and ZINCRBY take it.
fn parse_score(bytes: &[u8]) -> Result<f64, CommandError> {
    parse_f64(bytes).ok_or(CommandError::from(NOT_FLOAT))
}

/// A member with its score, in RESP3 as a [member, score] pair when `pairs`.
pub(crate) fn reply_member(reply: &mut Reply<'_>, member: &[u8], score: Option<f64>, pairs: bool) {
    if pairs {
        reply.array(2);
    }
    reply.bulk(member);
    if let Some(score) = score {
        reply.double(score);
    }
}

#[derive(Default)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
pub(crate) fn zadd(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let mut flags = ZaddFlags::default();
    while let Some(option) = args.peek() {
        let flag = if is_option(option, "NX") {
            &mut flags.nx
        } else if is_option(option, "XX") {
            &mut flags.xx
        } else if is_option(option, "GT") {
            &mut flags.gt
        } else if is_option(option, "LT") {
            &mut flags.lt
        } else if is_option(option, "CH") {
            &mut flags.ch
        } else if is_option(option, "INCR") {
            &mut flags.incr
        } else {
            break;
        };
        *flag = true;
        args.next_bytes()?;
    }
    let count = args.remaining();
    // The first member decides the encoding of a new set.
    let first = args.peek_ahead(1).unwrap_or_default();
    let pairs = args.rest();
    if count == 0 || !count.is_multiple_of(2) {
        return Err(SYNTAX.into());
    }
    if flags.nx && flags.xx {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if ((flags.gt || flags.lt) && flags.nx) || (flags.gt && flags.lt) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if flags.incr && count > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    // Every score is checked before anything changes, as Redis does; the loop below parses them
    // again rather than keeping them (no allocation per command).
    for score in pairs.clone().step_by(2) {
        parse_score(score)?;
    }
    let now = ctx.now.wall;
    let seed = ctx.state.config.seed;
    let limits = ctx.state.config.zset_limits();
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if let Some(zset) = read_zset(db, now, key)? {
        if !zadd_changes(zset, &flags, pairs.clone()) {
            // Nothing to change: answer without taking write access, so that WATCH and the
            // dirty counter see no change, as in Redis.
            if !flags.incr {
                ctx.reply.integer(0);
                return Ok(());
            }
            // INCR has one pair: processed with an increment of 0, or refused.
            let mut pair = pairs.clone();
            let score = parse_score(pair.next().expect("a score"))?;
            let member = pair.next().expect("a member");
            match zadd_target(&flags, zset.score(member), score) {
                Ok(Some(unchanged)) => ctx.reply.double(unchanged),
                Ok(None) | Err(ResultIsNan) => ctx.reply.null(),
            }
            return Ok(());
        }
    }
    if flags.xx && read_zset(db, now, key)?.is_none() {
        // XX adds nothing to a missing key, so nothing is created.
        if flags.incr {
            ctx.reply.null();
        } else {
            ctx.reply.integer(0);
        }
        return Ok(());
    }
    let mut zset = zset_or_create(db, now, key, first, limits, seed)?;
    if !zset.has_room(count / 2) {
        return Err(FULL_ERROR.into());
    }
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last_score = 0.0;
    let mut failure = None;
    let mut pairs = pairs;
    while let (Some(score), Some(member)) = (pairs.next(), pairs.next()) {
        let score = parse_score(score)?;
        let mut nan = false;
        let (old, new) = zset.upsert(
            member,
            |current| {
                zadd_target(&flags, current, score).unwrap_or_else(|ResultIsNan| {
                    nan = true;
                    None
                })
            },
            limits,
            seed,
        );
        if nan {
            failure = Some("ERR resulting score is not a number (NaN)");
            break;
        }
        let Some(new) = new else {
            continue;
        };
        processed += 1;
        // Redis replies with the computed score even where it stores -0 as 0.
        last_score = new;
        match old {
            None => added += 1,
            Some(old) if old != new => updated += 1,
            Some(_) => {}
        }
    }
    if added + updated > 0 {
        ctx.notify(notify::ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
    }
    delete_if_empty(ctx, key);
    if let Some(failure) = failure {
        return Err(failure.into());
    }
    if flags.incr {
        if processed > 0 {
            ctx.reply.double(last_score);
        } else {
            ctx.reply.null();
        }
    } else {
        ctx.reply
            .integer(if flags.ch { added + updated } else { added });
    }
    Ok(())
}

/// An increment made the score NaN: ZADD fails.
struct ResultIsNan;

/// What ZADD does with one pair given the member's current score: the score to store, or None
/// when NX, XX, GT or LT leaves the member alone.
fn zadd_target(
    flags: &ZaddFlags,
    current: Option<f64>,
    score: f64,
) -> Result<Option<f64>, ResultIsNan> {
    let Some(current) = current else {
        return Ok((!flags.xx).then_some(score));
    };
    if flags.nx {
        return Ok(None);
    }
    let candidate = if flags.incr { current + score } else { score };
    if candidate.is_nan() {
        return Err(ResultIsNan);
    }
    let refused = (flags.lt && candidate >= current) || (flags.gt && candidate <= current);
    Ok((!refused).then_some(candidate))
}

/// True when ZADD with these flags and (score, member) pairs would add or change a member of
/// `zset`, or fail (scores were checked already).
fn zadd_changes<'a>(
    zset: ZSetRef<'_>,
    flags: &ZaddFlags,
    mut pairs: impl Iterator<Item = &'a [u8]>,
) -> bool {
    while let (Some(score), Some(member)) = (pairs.next(), pairs.next()) {
        let Ok(score) = parse_score(score) else {
            return true;
        };
        let current = zset.score(member);
        match zadd_target(flags, current, score) {
            // NaN fails the command on the write path.
            Err(ResultIsNan) => return true,
            Ok(Some(new)) if current != Some(new) => return true,
            Ok(_) => {}
        }
    }
    false
}

/// ZINCRBY key increment member
pub(crate) fn zincrby(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let increment = parse_score(args.next_bytes()?)?;
    let member = args.next_bytes()?;
    let now = ctx.now.wall;
    let seed = ctx.state.config.seed;
    let limits = ctx.state.config.zset_limits();
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let current = read_zset(db, now, key)?.and_then(|zset| zset.score(member));
    if current.is_some_and(|current| current + increment == current) {
        // An increment that leaves the score is no change (Redis's ZADD INCR path).
        ctx.reply.double(current.expect("checked") + increment);
        return Ok(());
    }
    let mut zset = zset_or_create(db, now, key, member, limits, seed)?;
    let score = current.map_or(increment, |current| current + increment);
    if score.is_nan() {
        delete_if_empty(ctx, key);
        return Err("ERR resulting score is not a number (NaN)".into());
    }
    if !zset.has_room(1) && current.is_none() {
        return Err(FULL_ERROR.into());
    }
    zset.insert(member, score, limits, seed);
    // The computed score, as Redis replies (it stores -0 as 0 but answers -0 here).
    ctx.reply.double(score);
    ctx.notify(notify::ZSET, "zincr", key);
    Ok(())
}

/// ZREM key member [member ...]
pub(crate) fn zrem(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // Removing nothing is no change (no write access, so no WATCH invalidation).
    let members = args.rest();
    let any_present = read_zset(db, now, key)?
        .is_some_and(|zset| members.clone().any(|member| zset.score(member).is_some()));
    if !any_present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let mut zset = write_zset(db, now, key)?.expect("read above");
    let removed = members
        .filter(|member| zset.remove(member).is_some())
        .count();
    ctx.notify(notify::ZSET, "zrem", key);
    delete_if_empty(ctx, key);
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// ZSCORE key member
pub(crate) fn zscore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    match zset.and_then(|zset| zset.score(member)) {
        Some(score) => ctx.reply.double(score),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
pub(crate) fn zmscore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    per_member_score(
        ctx,
        args,
        |reply: &mut Reply, score| reply.double(score),
        |reply: &mut Reply| reply.null(),
    )
}

/// `key member...`: an array of one answer per member, `found` with its score or `missing`.
/// ZMSCORE, GEOPOS and GEOHASH.
pub(super) fn per_member_score(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    found: impl Fn(&mut Reply, f64),
    missing: impl Fn(&mut Reply),
) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    ctx.reply.array(args.remaining());
    for member in args.rest() {
        match zset.and_then(|zset| zset.score(member)) {
            Some(score) => found(ctx.reply, score),
            None => missing(ctx.reply),
        }
    }
    Ok(())
}

/// ZCARD key
pub(crate) fn zcard(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?.map_or(0, |zset| zset.len());
    ctx.reply.integer(len as i64);
    Ok(())
}

fn rank_generic(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, reverse: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    match zset.and_then(|zset| zset.rank(member).map(|rank| (rank, zset.len()))) {
        Some((rank, len)) => ctx
            .reply
            .integer(if reverse { len - 1 - rank } else { rank } as i64),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZRANK key member
pub(crate) fn zrank(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    rank_generic(ctx, args, false)
}

/// ZREVRANK key member
pub(crate) fn zrevrank(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    rank_generic(ctx, args, true)
}

/// ZPOPMIN / ZPOPMAX key [count]
fn pop_generic(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, max: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => {
            // Redis gives this error for a count that is not a number too.
            match parse_i64(args.next_bytes()?) {
                Some(count) if count >= 0 => Some(count as usize),
                _ => return Err("ERR value is out of range, must be positive".into()),
            }
        }
        _ => return Err(SYNTAX.into()),
    };
    let now = ctx.now.wall;
    let pairs = ctx.reply.resp3 && count.is_some();
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // A count of 0 pops nothing: no write access, no change signalled.
    let wanted = read_zset(db, now, key)?.is_some() && count != Some(0);
    if !wanted {
        ctx.reply.array(0);
        return Ok(());
    }
    pop_members(ctx, key, count.unwrap_or(1), max, pairs);
    Ok(())
}

/// Pops up to `count` members of the live sorted set at `key` from the low (or `max`: high)
/// end, replying with them as member, score (`pairs`: as [member, score] arrays), and deletes
/// the key if it is left empty.
pub(super) fn pop_members(ctx: &mut Ctx<'_, '_>, key: &[u8], count: usize, max: bool, pairs: bool) {
    let now = ctx.now.wall;
    let mut zset = write_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)
        .ok()
        .flatten()
        .expect("the caller found a sorted set");
    let take = count.min(zset.get().len());
    ctx.reply.array(if pairs { take } else { take * 2 });
    for _ in 0..take {
        let read = zset.get();
        let pos = if max { read.last() } else { read.first() }.expect("take <= len");
        let item = read.item(pos);
        reply_member(ctx.reply, &item.member, Some(item.score), pairs);
        zset.remove_at(pos);
    }
    ctx.notify(notify::ZSET, pop_event(max), key);
    delete_if_empty(ctx, key);
}

/// The keyspace notification of a pop from the low (or `max`: high) end.
pub(super) fn pop_event(max: bool) -> &'static str {
    if max {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops from the first of the keys that
/// holds a sorted set; a null array when none does.
pub(crate) fn zmpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let (keys, max, take) = parse_multi_pop(args, parse_min_max)?;
    let now = ctx.now.wall;
    for key in keys {
        if read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?.is_some() {
            ctx.reply.array(2);
            ctx.reply.bulk(key);
            // Pairs in RESP2 too, unlike ZPOPMIN.
            pop_members(ctx, key, take, max, true);
            return Ok(());
        }
    }
    ctx.reply.null_array();
    Ok(())
}

/// ZMPOP's and BZMPOP's end: true for MAX.
pub(super) fn parse_min_max(end: &[u8]) -> Result<bool, CommandError> {
    if is_option(end, "MAX") {
        Ok(true)
    } else if is_option(end, "MIN") {
        Ok(false)
    } else {
        Err(SYNTAX.into())
    }
}

/// ZPOPMIN key [count]
pub(crate) fn zpopmin(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    pop_generic(ctx, args, false)
}

/// ZPOPMAX key [count]
pub(crate) fn zpopmax(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    pop_generic(ctx, args, true)
}

/// ZRANDMEMBER key [count [WITHSCORES]]. A positive count gives distinct members, a negative
/// one may repeat; the choice comes from the server's seeded generator.
pub(crate) fn zrandmember(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    use rand_core::Rng;
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        _ => Some(sample::parse_count(args.next_bytes()?)?),
    };
    let with_scores = match args.remaining() {
        0 => false,
        1 if is_option(args.next_bytes()?, "WITHSCORES") => true,
        _ => return Err(SYNTAX.into()),
    };
    if with_scores && count.is_some_and(|count| !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count))
    {
        return Err("ERR value is out of range".into());
    }
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let Some(count) = count else {
        match zset {
            None => ctx.reply.null(),
            Some(zset) => {
                let rank = (ctx.state.random.next_u64() % zset.len() as u64) as usize;
                let pos = zset.at_rank(rank).expect("rank < len");
                ctx.reply.bulk(&zset.item(pos).member);
            }
        }
        return Ok(());
    };
    let Some(zset) = zset else {
        ctx.reply.array(0);
        return Ok(());
    };
    let ranks = sample::positions(&mut ctx.state.random, zset.len(), count);
    let pairs = with_scores && ctx.reply.resp3;
    ctx.reply.array(if with_scores && !pairs {
        ranks.len() * 2
    } else {
        ranks.len()
    });
    zset.for_ranks(&ranks, |item| {
        reply_member(
            ctx.reply,
            &item.member,
            with_scores.then_some(item.score),
            pairs,
        );
    });
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn zscan(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(args.next_bytes()?)?;
    let now = ctx.now.wall;
    // Like Redis: the cursor, then a missing key (an empty page) or WRONGTYPE, then options.
    let Some(zset) = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)? else {
        reply_empty_page(ctx.reply);
        return Ok(());
    };
    let options = ScanOptions::parse(args, false)?;
    let found = scan_collection(ctx.reply, cursor, &options, 2, |cursor, keep| {
        zset.scan(cursor, |member, score| {
            keep(member, (member.to_vec(), score))
        })
    });
    let mut text = Vec::with_capacity(32);
    for (member, score) in found {
        ctx.reply.bulk(&member);
        text.clear();
        format_f64(score, &mut text);
        ctx.reply.bulk(&text);
    }
    Ok(())
}

/// ZQUERY key score member offset limit: the book's range query. Starts at the first member
/// at or after (score, member), moves `offset` places (negative allowed), and returns a flat
/// array of member, score: at most `limit` array elements, counted the book's way (a pair is
/// added while fewer than `limit` elements are out, so limit 3 gives two pairs).
pub(crate) fn zquery(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let score = parse_f64(args.next_bytes()?).ok_or(CommandError::from(NOT_FLOAT))?;
    let member = args.next_bytes()?;
    let offset = args.next_i64()?;
    let limit = args.next_i64()?;
    let now = ctx.now.wall;
    let Some(zset) = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let items = zset.query(score, member, offset, limit);
    ctx.reply.array(items.len() * 2);
    for pos in items {
        let item = zset.item(pos);
        reply_member(ctx.reply, &item.member, Some(item.score), false);
    }
    Ok(())
}
