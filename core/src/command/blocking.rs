//! The blocking pops: BLPOP, BRPOP, BLMPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! Each does what its non-blocking twin does when one of its keys holds something, and is
//! propagated as that twin. When none does, it asks to wait (`Ctx::block`) on its keys until its
//! timeout. The server then runs the same command again each time one of those keys changes,
//! with `Ctx::ready_key` naming it: the command looks at that key only (as Redis 7.0 serves a
//! blocked client from the key that became ready), a key of another type leaves it waiting, and
//! it answers once the key holds what it pops. Where a command may not block (inside EXEC, on the
//! book's door), it answers a null array at once, as Redis does inside MULTI.

use super::args::parse_multi_pop;
use super::list::{move_element, parse_end, pop_event, pop_into_reply, read_list, write_list};
use super::zset::{
    parse_min_max, pop_event as zset_pop_event, pop_members, read_zset, reply_member, write_zset,
};
use super::{delete_if_empty, ArgCursor, CommandError, CommandResult, Ctx};
use crate::notify;
use crate::store::list::End;
use crate::util::number::{parse_f64_lenient, LongDouble};

/// What a blocking command waits for: any of its keys to change, for at most `timeout_ms`
/// milliseconds (0: for ever).
#[derive(Debug)]
pub(crate) struct BlockOn {
    pub(crate) keys: Vec<Box<[u8]>>,
    pub(crate) timeout_ms: u64,
}

impl Ctx<'_, '_> {
    /// Asks to wait on `keys`: the command has written no reply and answers later. Where the
    /// command may not block, it answers a null array now instead.
    fn block(&mut self, keys: &[&[u8]], timeout_ms: u64) {
        if self.may_block {
            self.block = Some(BlockOn {
                keys: keys.iter().map(|&key| key.into()).collect(),
                timeout_ms,
            });
        } else {
            self.reply.null_array();
        }
    }
}

/// What a blocking command pops from.
#[derive(Clone, Copy)]
enum Holds {
    List,
    ZSet,
}

/// Whether the command should pop from `key` now: it holds a value of the kind popped, and
/// it is the key that became ready when the server runs a blocked command again. A key of
/// another type is an error on the first run; when serving a blocked client, it keeps the
/// client waiting, as in Redis.
fn ready(ctx: &mut Ctx<'_, '_>, key: &[u8], kind: Holds) -> Result<bool, CommandError> {
    if ctx.ready_key.is_some_and(|ready| ready != key) {
        return Ok(false);
    }
    let serving = ctx.ready_key.is_some();
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let found = match kind {
        Holds::List => read_list(db, now, key).map(|list| list.is_some()),
        Holds::ZSet => read_zset(db, now, key).map(|zset| zset.is_some()),
    };
    match found {
        Err(_) if serving => Ok(false),
        found => found,
    }
}

/// A timeout in seconds (a float; 0 waits for ever) as whole milliseconds, read as Redis 7.0
/// reads it: a long double times 1000, truncated to a 64-bit integer, where anything out of
/// that range comes out negative (x86's conversion of an out-of-range value).
fn parse_timeout(arg: &[u8]) -> Result<u64, CommandError> {
    if LongDouble::parse(arg).is_none() {
        return Err("ERR timeout is not a float or out of range".into());
    }
    let millis = parse_f64_lenient(arg).unwrap_or(f64::NAN) * 1000.0;
    // 2^63: the first value a signed 64-bit integer cannot hold.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&millis) || millis.trunc() < 0.0 {
        return Err("ERR timeout is negative".into());
    }
    Ok(millis.trunc() as u64)
}

/// The keys and the timeout of BLPOP, BRPOP, BZPOPMIN and BZPOPMAX: `key [key ...] timeout`.
fn keys_then_timeout<'a>(args: &mut ArgCursor<'a>) -> Result<(Vec<&'a [u8]>, u64), CommandError> {
    let mut keys: Vec<&[u8]> = args.rest().collect();
    let timeout = parse_timeout(keys.pop().expect("the arity asks for a timeout"))?;
    Ok((keys, timeout))
}

fn pop_word(end: End) -> &'static [u8] {
    match end {
        End::Front => b"LPOP",
        End::Back => b"RPOP",
    }
}

fn end_word(end: End) -> &'static [u8] {
    match end {
        End::Front => b"LEFT",
        End::Back => b"RIGHT",
    }
}

/// BLPOP / BRPOP key [key ...] timeout: [key, element] from the first list that has one.
fn list_pop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, end: End) -> CommandResult {
    let (keys, timeout) = keys_then_timeout(args)?;
    let now = ctx.now.wall;
    for &key in &keys {
        if !ready(ctx, key, Holds::List)? {
            continue;
        }
        let list =
            write_list(&mut ctx.keyspace.dbs[ctx.db], now, key)?.expect("the list was just read");
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        ctx.reply
            .entry(list.peek(end).expect("a list is never empty"));
        list.pop(end);
        ctx.notify(notify::LIST, pop_event(end), key);
        delete_if_empty(ctx, key);
        ctx.propagate(&[pop_word(end), key]);
        return Ok(());
    }
    ctx.block(&keys, timeout);
    Ok(())
}

/// BLPOP key [key ...] timeout
pub(crate) fn blpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    list_pop(ctx, args, End::Front)
}

/// BRPOP key [key ...] timeout
pub(crate) fn brpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    list_pop(ctx, args, End::Back)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn blmpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let timeout = args.next_bytes()?;
    let (keys, end, count) = parse_multi_pop(args, parse_end)?;
    let timeout = parse_timeout(timeout)?;
    for &key in &keys {
        if !ready(ctx, key, Holds::List)? {
            continue;
        }
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        pop_into_reply(ctx, key, end, count);
        let count = count.to_string();
        ctx.propagate(&[pop_word(end), key, count.as_bytes()]);
        return Ok(());
    }
    ctx.block(&keys, timeout);
    Ok(())
}

/// Moves one element as LMOVE, or waits for `source`.
fn list_move(
    ctx: &mut Ctx<'_, '_>,
    source: &[u8],
    destination: &[u8],
    (from, to): (End, End),
    timeout: u64,
) -> CommandResult {
    if !ready(ctx, source, Holds::List)? {
        if ctx.may_block {
            ctx.block(&[source], timeout);
        } else {
            // As LMOVE answers a missing source.
            ctx.reply.null();
        }
        return Ok(());
    }
    move_element(ctx, source, destination, from, to)?;
    ctx.propagate(&[b"LMOVE", source, destination, end_word(from), end_word(to)]);
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(crate) fn blmove(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let from = parse_end(args.next_bytes()?)?;
    let to = parse_end(args.next_bytes()?)?;
    let timeout = parse_timeout(args.next_bytes()?)?;
    list_move(ctx, source, destination, (from, to), timeout)
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT.
pub(crate) fn brpoplpush(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let timeout = parse_timeout(args.next_bytes()?)?;
    list_move(ctx, source, destination, (End::Back, End::Front), timeout)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from the first sorted set
/// that has a member.
fn zset_pop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, max: bool) -> CommandResult {
    let (keys, timeout) = keys_then_timeout(args)?;
    let now = ctx.now.wall;
    for &key in &keys {
        if !ready(ctx, key, Holds::ZSet)? {
            continue;
        }
        let mut zset = write_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?
            .expect("the sorted set was just read");
        let read = zset.get();
        let pos = if max { read.last() } else { read.first() }.expect("a set is never empty");
        let item = read.item(pos);
        ctx.reply.array(3);
        ctx.reply.bulk(key);
        reply_member(ctx.reply, &item.member, Some(item.score), false);
        zset.remove_at(pos);
        ctx.notify(notify::ZSET, zset_pop_event(max), key);
        delete_if_empty(ctx, key);
        let word: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.propagate(&[word, key]);
        return Ok(());
    }
    ctx.block(&keys, timeout);
    Ok(())
}

/// BZPOPMIN key [key ...] timeout
pub(crate) fn bzpopmin(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    zset_pop(ctx, args, false)
}

/// BZPOPMAX key [key ...] timeout
pub(crate) fn bzpopmax(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    zset_pop(ctx, args, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn bzmpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let timeout = args.next_bytes()?;
    let (keys, max, count) = parse_multi_pop(args, parse_min_max)?;
    let timeout = parse_timeout(timeout)?;
    for &key in &keys {
        if !ready(ctx, key, Holds::ZSet)? {
            continue;
        }
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        pop_members(ctx, key, count, max, true);
        let word: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let count = count.to_string();
        ctx.propagate(&[word, key, count.as_bytes()]);
        return Ok(());
    }
    ctx.block(&keys, timeout);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;

    #[test]
    fn timeouts_read_as_redis_reads_them() {
        assert_eq!(parse_timeout(b"0"), Ok(0));
        assert_eq!(parse_timeout(b"1.5"), Ok(1500));
        // Truncated toward zero: a tiny timeout, even a negative one, waits for ever.
        assert_eq!(parse_timeout(b"0.0001"), Ok(0));
        assert_eq!(parse_timeout(b"-0.0001"), Ok(0));
        assert_eq!(parse_timeout(b"0x10"), Ok(16_000));
        let negative = Err("ERR timeout is negative".into());
        assert_eq!(parse_timeout(b"-1"), negative);
        assert_eq!(parse_timeout(b"inf"), negative);
        assert_eq!(parse_timeout(b"1e100"), negative);
        let not_float = Err("ERR timeout is not a float or out of range".into());
        assert_eq!(parse_timeout(b"abc"), not_float);
        assert_eq!(parse_timeout(b"nan"), not_float);
        assert_eq!(parse_timeout(b""), not_float);
    }
}
