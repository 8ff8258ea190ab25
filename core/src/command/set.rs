//! Set commands: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD, SPOP, SRANDMEMBER, SMOVE,
//! SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN.

use super::args::is_option;
use super::keys::{parse_cursor, reply_empty_page, scan_collection, ScanOptions};
use super::{delete_if_empty, sample, ArgCursor, CommandError, CommandResult, Ctx, WRONGTYPE};
use crate::notify;
use crate::store::db::Db;
use crate::store::intset::IntSet;
use crate::store::set::{empty_for, SetMut, SetRef};
use crate::time::UnixMillis;
use crate::util::number::parse_i64;
use crate::value::Value;

/// The set at `key`, or None if missing; WRONGTYPE for other types.
pub(crate) fn read_set<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<SetRef<'d>>, CommandError> {
    match db.get(now, key) {
        None => Ok(None),
        Some(value) => SetRef::of(value).map(Some).ok_or(WRONGTYPE.into()),
    }
}

/// The set at `key` to change, or None if missing; WRONGTYPE (changing nothing) otherwise.
fn write_set<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<SetMut<'d>>, CommandError> {
    if read_set(db, now, key)?.is_none() {
        return Ok(None);
    }
    let value = db.modify(now, key).expect("a live set was just read");
    Ok(SetMut::of(value))
}

/// SADD key member [member ...]: the number of new members.
pub(crate) fn sadd(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let (intset_max, seed) = (
        ctx.state.config.set_max_intset_entries,
        ctx.state.config.seed,
    );
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let members = args.rest();
    match read_set(db, now, key)? {
        // Only a set that gains a member is written to (WATCH sees no change otherwise).
        Some(set) if members.clone().all(|member| set.contains(member)) => {
            ctx.reply.integer(0);
            return Ok(());
        }
        Some(_) => {}
        None => {
            let first = members.clone().next().expect("arity gives a member");
            db.set(now, key, empty_for(first, seed), false);
        }
    }
    let mut set = write_set(db, now, key)?.expect("the set exists now");
    let added = members
        .filter(|member| set.add(member, intset_max, seed))
        .count();
    ctx.reply.integer(added as i64);
    ctx.notify(notify::SET, "sadd", key);
    Ok(())
}

/// SREM key member [member ...]: the number removed; an emptied set is deleted.
pub(crate) fn srem(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let members = args.rest();
    let present = read_set(db, now, key)?
        .is_some_and(|set| members.clone().any(|member| set.contains(member)));
    if !present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let mut set = write_set(db, now, key)?.expect("the set was just read");
    let removed = members.filter(|member| set.remove(member)).count();
    ctx.notify(notify::SET, "srem", key);
    delete_if_empty(ctx, key);
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// SISMEMBER key member
pub(crate) fn sismember(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    let now = ctx.now.wall;
    let set = read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    ctx.reply
        .integer(i64::from(set.is_some_and(|set| set.contains(member))));
    Ok(())
}

/// SMISMEMBER key member [member ...]
pub(crate) fn smismember(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let set = read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    ctx.reply.array(args.remaining());
    for member in args.rest() {
        ctx.reply
            .integer(i64::from(set.is_some_and(|set| set.contains(member))));
    }
    Ok(())
}

/// SCARD key
pub(crate) fn scard(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)?.map_or(0, |set| set.len());
    ctx.reply.integer(len as i64);
    Ok(())
}

/// SMEMBERS key: a set in RESP3.
pub(crate) fn smembers(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    match read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)? {
        None => ctx.reply.set(0),
        Some(set) => {
            ctx.reply.set(set.len());
            for member in set.members() {
                ctx.reply.entry(member);
            }
        }
    }
    Ok(())
}

/// SRANDMEMBER key [count]
pub(crate) fn srandmember(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => Some(sample::parse_count(args.next_bytes()?)?),
        _ => return Err(super::SYNTAX.into()),
    };
    let now = ctx.now.wall;
    let set = read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    match (set, count) {
        (None, None) => ctx.reply.null(),
        (None, Some(_)) => ctx.reply.array(0),
        (Some(set), None) => {
            let index = sample::positions(&mut ctx.state.random, set.len(), -1)[0];
            ctx.reply.entry(set.member_at(index));
        }
        (Some(set), Some(count)) => {
            let picked = sample::positions(&mut ctx.state.random, set.len(), count);
            ctx.reply.array(picked.len());
            for index in picked {
                ctx.reply.entry(set.member_at(index));
            }
        }
    }
    Ok(())
}

/// SPOP key [count]: removes random members; propagated as the SREM (or DEL) it amounted to.
pub(crate) fn spop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        // Redis says the same of a count that is not a number.
        1 => match parse_i64(args.next_bytes()?) {
            Some(count) if count >= 0 => Some(count),
            _ => return Err("ERR value is out of range, must be positive".into()),
        },
        _ => return Err(super::SYNTAX.into()),
    };
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(set) = read_set(db, now, key)? else {
        match count {
            None => ctx.reply.null(),
            Some(_) => ctx.reply.set(0),
        }
        return Ok(());
    };
    let len = set.len();
    if count == Some(0) {
        ctx.reply.set(0);
        return Ok(());
    }
    let picked = sample::positions(&mut ctx.state.random, len, count.unwrap_or(1));
    let members: Vec<Vec<u8>> = picked
        .iter()
        .map(|&index| set.member_at(index).to_vec())
        .collect();
    let whole = members.len() == len;
    if whole {
        db.remove(now, key);
    } else {
        let mut set = write_set(db, now, key)?.expect("the set was just read");
        for member in &members {
            set.remove(member);
        }
    }
    match count {
        None => ctx.reply.bulk(&members[0]),
        Some(_) => {
            ctx.reply.set(members.len());
            for member in &members {
                ctx.reply.bulk(member);
            }
        }
    }
    ctx.notify(notify::SET, "spop", key);
    if whole {
        ctx.notify(notify::GENERIC, "del", key);
    }
    if ctx.propagating() {
        if whole {
            ctx.propagate(&[b"DEL", key]);
        } else {
            let mut rewrite: Vec<&[u8]> = vec![b"SREM", key];
            rewrite.extend(members.iter().map(Vec::as_slice));
            ctx.propagate(&rewrite);
        }
    }
    Ok(())
}

/// SMOVE source destination member
pub(crate) fn smove(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let member = args.next_bytes()?;
    let now = ctx.now.wall;
    let (intset_max, seed) = (
        ctx.state.config.set_max_intset_entries,
        ctx.state.config.seed,
    );
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let in_source = read_set(db, now, source)?.map(|set| set.contains(member));
    // A missing source moves nothing whatever the destination holds, as in Redis.
    if in_source.is_some() {
        read_set(db, now, destination)?;
    }
    let Some(true) = in_source else {
        ctx.reply.integer(0);
        return Ok(());
    };
    if source == destination {
        ctx.reply.integer(1);
        return Ok(());
    }
    write_set(db, now, source)?
        .expect("the source was just read")
        .remove(member);
    ctx.notify(notify::SET, "srem", source);
    delete_if_empty(ctx, source);
    let db = &mut ctx.keyspace.dbs[ctx.db];
    match read_set(db, now, destination)? {
        // Already there: the destination is not written to (WATCH sees no change).
        Some(set) if set.contains(member) => {}
        found => {
            if found.is_none() {
                db.set(now, destination, empty_for(member, seed), false);
            }
            write_set(db, now, destination)?
                .expect("the destination exists now")
                .add(member, intset_max, seed);
            ctx.notify(notify::SET, "sadd", destination);
        }
    }
    ctx.reply.integer(1);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Inter,
    Union,
    Diff,
}

/// The members of `operation` over the sets at `keys` (missing keys are empty sets), after
/// checking every key's type, as Redis does before it computes anything.
fn compute(
    ctx: &mut Ctx<'_, '_>,
    keys: &[&[u8]],
    operation: Operation,
    limit: usize,
) -> Result<Vec<Vec<u8>>, CommandError> {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    for key in keys {
        read_set(db, now, key)?;
    }
    let sets: Vec<Option<SetRef<'_>>> = keys
        .iter()
        .map(|key| SetRef::of(db.peek(now, key)?))
        .collect();
    let mut result = Vec::new();
    match operation {
        Operation::Inter => {
            if sets.iter().any(Option::is_none) {
                return Ok(result);
            }
            let mut sets: Vec<SetRef<'_>> = sets.into_iter().flatten().collect();
            // Smallest first: every member of the result is one of its members.
            sets.sort_by_key(SetRef::len);
            let mut text = Vec::new();
            for member in sets[0].members() {
                text.clear();
                member.write_text(&mut text);
                if sets[1..].iter().all(|set| set.contains(&text)) {
                    result.push(text.clone());
                    if result.len() == limit {
                        break;
                    }
                }
            }
        }
        Operation::Union => {
            let mut seen = crate::store::hashtable::HashTable::new(ctx.state.config.seed);
            for set in sets.iter().flatten() {
                for member in set.members() {
                    let text = member.to_vec();
                    if seen.insert(&text, ()).is_none() {
                        result.push(text);
                    }
                }
            }
        }
        Operation::Diff => {
            if let Some(first) = sets[0] {
                for member in first.members() {
                    let text = member.to_vec();
                    if !sets[1..].iter().flatten().any(|set| set.contains(&text)) {
                        result.push(text);
                    }
                }
            }
        }
    }
    Ok(result)
}

fn reply_members(ctx: &mut Ctx<'_, '_>, members: &[Vec<u8>]) {
    ctx.reply.set(members.len());
    for member in members {
        ctx.reply.bulk(member);
    }
}

/// Stores `members` at `destination` as a new set (deleting it when there are none), built
/// the way Redis builds one: an intset while it can be.
fn store(ctx: &mut Ctx<'_, '_>, destination: &[u8], members: &[Vec<u8>], event: &str) {
    let now = ctx.now.wall;
    let (intset_max, seed) = (
        ctx.state.config.set_max_intset_entries,
        ctx.state.config.seed,
    );
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if members.is_empty() {
        if db.remove(now, destination).is_some() {
            ctx.notify(notify::GENERIC, "del", destination);
        }
    } else {
        let mut value = Value::IntSet(IntSet::new());
        let mut set = SetMut::of(&mut value).expect("a set");
        for member in members {
            set.add(member, intset_max, seed);
        }
        if let Some(old) = db.set(now, destination, value, false) {
            ctx.effects.discard(old);
        }
        ctx.notify(notify::SET, event, destination);
    }
    ctx.reply.integer(members.len() as i64);
}

fn keys_of<'a>(args: &mut ArgCursor<'a>) -> Vec<&'a [u8]> {
    args.rest().collect()
}

/// SINTER key [key ...]
pub(crate) fn sinter(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let members = compute(ctx, &keys_of(args), Operation::Inter, usize::MAX)?;
    reply_members(ctx, &members);
    Ok(())
}

/// SUNION key [key ...]
pub(crate) fn sunion(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let members = compute(ctx, &keys_of(args), Operation::Union, usize::MAX)?;
    reply_members(ctx, &members);
    Ok(())
}

/// SDIFF key [key ...]
pub(crate) fn sdiff(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let members = compute(ctx, &keys_of(args), Operation::Diff, usize::MAX)?;
    reply_members(ctx, &members);
    Ok(())
}

fn store_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    operation: Operation,
) -> CommandResult {
    let destination = args.next_bytes()?;
    let members = compute(ctx, &keys_of(args), operation, usize::MAX)?;
    let event = match operation {
        Operation::Inter => "sinterstore",
        Operation::Union => "sunionstore",
        Operation::Diff => "sdiffstore",
    };
    store(ctx, destination, &members, event);
    Ok(())
}

/// SINTERSTORE destination key [key ...]
pub(crate) fn sinterstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    store_generic(ctx, args, Operation::Inter)
}

/// SUNIONSTORE destination key [key ...]
pub(crate) fn sunionstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    store_generic(ctx, args, Operation::Union)
}

/// SDIFFSTORE destination key [key ...]
pub(crate) fn sdiffstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    store_generic(ctx, args, Operation::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn sintercard(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let count = match parse_i64(args.next_bytes()?) {
        Some(count) if count > 0 => count,
        _ => return Err("ERR numkeys should be greater than 0".into()),
    };
    if count as usize > args.remaining() {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let keys: Vec<&[u8]> = (0..count)
        .map(|_| args.next_bytes())
        .collect::<Result<_, _>>()?;
    let mut limit = usize::MAX;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if is_option(option, "LIMIT") && args.remaining() > 0 {
            limit = match parse_i64(args.next_bytes()?) {
                Some(0) => usize::MAX,
                Some(value) if value > 0 => value as usize,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
        } else {
            return Err(super::SYNTAX.into());
        }
    }
    let members = compute(ctx, &keys, Operation::Inter, limit)?;
    ctx.reply.integer(members.len() as i64);
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn sscan(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(args.next_bytes()?)?;
    let now = ctx.now.wall;
    // Like Redis: the cursor, then a missing key (an empty page) or WRONGTYPE, then options.
    let Some(set) = read_set(&mut ctx.keyspace.dbs[ctx.db], now, key)? else {
        reply_empty_page(ctx.reply);
        return Ok(());
    };
    let options = ScanOptions::parse(args, false)?;
    let mut text = Vec::new();
    let found = scan_collection(ctx.reply, cursor, &options, 1, |cursor, keep| {
        set.scan(cursor, |member| {
            text.clear();
            member.write_text(&mut text);
            keep(&text, member);
        })
    });
    for member in found {
        ctx.reply.entry(member);
    }
    Ok(())
}
