//! Hash commands: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS,
//! HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.

use super::args::is_option;
use super::keys::{parse_cursor, reply_empty_page, scan_collection, ScanOptions};
use super::{
    delete_if_empty, sample, ArgCursor, CommandError, CommandResult, Ctx, NOT_FLOAT, NOT_INTEGER,
    SYNTAX, WRONGTYPE,
};
use crate::notify;
use crate::store::db::Db;
use crate::store::hash::{HashMut, HashRef};
use crate::store::listpack::{Entry, Listpack};
use crate::time::UnixMillis;
use crate::util::number::{incr_by_float, parse_i64, IncrByFloatError, LongDouble};
use crate::value::Value;

/// The hash at `key`, or None if missing; WRONGTYPE for other types.
pub(crate) fn read_hash<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<HashRef<'d>>, CommandError> {
    match db.get(now, key) {
        None => Ok(None),
        Some(value) => HashRef::of(value).map(Some).ok_or(WRONGTYPE.into()),
    }
}

/// The hash at `key` to change, or None if missing; WRONGTYPE (changing nothing) for another
/// type.
fn write_hash<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<HashMut<'d>>, CommandError> {
    if read_hash(db, now, key)?.is_none() {
        return Ok(None);
    }
    let value = db.modify(now, key).expect("a live hash was just read");
    Ok(HashMut::of(value))
}

/// The hash at `key` to change, created empty (and small) when missing: the caller adds to it.
fn hash_or_create<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<HashMut<'d>, CommandError> {
    if read_hash(db, now, key)?.is_none() {
        db.set(now, key, Value::PackedHash(Listpack::new()), false);
    }
    let value = db
        .modify(now, key)
        .expect("a live hash was just read or created");
    Ok(HashMut::of(value).expect("a hash"))
}

/// HSET key field value [field value ...]: the number of new fields.
pub(crate) fn hset(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let added = set_pairs(ctx, args, "hset")?;
    ctx.reply.integer(added as i64);
    Ok(())
}

/// HMSET key field value [field value ...]: OK.
pub(crate) fn hmset(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    set_pairs(ctx, args, "hmset")?;
    ctx.reply.ok();
    Ok(())
}

fn set_pairs(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    name: &str,
) -> Result<usize, CommandError> {
    let key = args.next_bytes()?;
    if !args.remaining().is_multiple_of(2) {
        return Err(super::wrong_arity(name));
    }
    let limits = ctx.state.config.hash_limits();
    let seed = ctx.state.config.seed;
    let now = ctx.now.wall;
    let mut hash = hash_or_create(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let mut pairs = args.rest();
    let mut added = 0;
    while let (Some(field), Some(value)) = (pairs.next(), pairs.next()) {
        added += usize::from(hash.set(field, value, limits, seed));
    }
    ctx.notify(notify::HASH, "hset", key);
    Ok(added)
}

/// HSETNX key field value
pub(crate) fn hsetnx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let value = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if read_hash(db, now, key)?.is_some_and(|hash| hash.get(field).is_some()) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let limits = ctx.state.config.hash_limits();
    let seed = ctx.state.config.seed;
    hash_or_create(db, now, key)?.set(field, value, limits, seed);
    ctx.reply.integer(1);
    ctx.notify(notify::HASH, "hset", key);
    Ok(())
}

/// HGET key field
pub(crate) fn hget(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let now = ctx.now.wall;
    match read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?.and_then(|hash| hash.get(field)) {
        Some(value) => ctx.reply.entry(value),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
pub(crate) fn hmget(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let hash = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    ctx.reply.array(args.remaining());
    for field in args.rest() {
        match hash.and_then(|hash| hash.get(field)) {
            Some(value) => ctx.reply.entry(value),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]: the number of fields removed; an emptied hash is deleted.
pub(crate) fn hdel(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // Only a hash holding one of the fields is written to (WATCH and the dirty count see no
    // change otherwise, as in Redis).
    let fields = args.rest();
    let present = read_hash(db, now, key)?
        .is_some_and(|hash| fields.clone().any(|field| hash.get(field).is_some()));
    if !present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let mut hash = write_hash(db, now, key)?.expect("the hash was just read");
    let removed = fields.filter(|field| hash.remove(field)).count();
    ctx.notify(notify::HASH, "hdel", key);
    delete_if_empty(ctx, key);
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// HLEN key
pub(crate) fn hlen(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?.map_or(0, |hash| hash.len());
    ctx.reply.integer(len as i64);
    Ok(())
}

/// HSTRLEN key field
pub(crate) fn hstrlen(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = match read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?.and_then(|h| h.get(field)) {
        Some(Entry::Bytes(bytes)) => bytes.len(),
        Some(value) => value.to_vec().len(),
        None => 0,
    };
    ctx.reply.integer(len as i64);
    Ok(())
}

/// HEXISTS key field
pub(crate) fn hexists(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let now = ctx.now.wall;
    let hash = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    ctx.reply.integer(i64::from(
        hash.is_some_and(|hash| hash.get(field).is_some()),
    ));
    Ok(())
}

/// What HKEYS, HVALS and HGETALL return of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

fn get_all(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, parts: Parts) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let pairs = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?
        .map(|hash| hash.pairs())
        .unwrap_or_default();
    if parts == Parts::Both {
        ctx.reply.map(pairs.len());
    } else {
        ctx.reply.array(pairs.len());
    }
    for (field, value) in pairs {
        if parts != Parts::Values {
            ctx.reply.entry(field);
        }
        if parts != Parts::Fields {
            ctx.reply.entry(value);
        }
    }
    Ok(())
}

/// HKEYS key
pub(crate) fn hkeys(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    get_all(ctx, args, Parts::Fields)
}

/// HVALS key
pub(crate) fn hvals(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    get_all(ctx, args, Parts::Values)
}

/// HGETALL key: a map in RESP3.
pub(crate) fn hgetall(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    get_all(ctx, args, Parts::Both)
}

/// HINCRBY key field increment
pub(crate) fn hincrby(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let increment = parse_i64(args.next_bytes()?).ok_or(CommandError::from(NOT_INTEGER))?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let current = match read_hash(db, now, key)?.and_then(|hash| hash.get(field)) {
        None => 0,
        Some(Entry::Int(number)) => number,
        Some(Entry::Bytes(text)) => {
            parse_i64(text).ok_or(CommandError::from("ERR hash value is not an integer"))?
        }
        Some(Entry::Float(_)) => return Err("ERR hash value is not an integer".into()),
    };
    let sum = current.checked_add(increment).ok_or(CommandError::from(
        "ERR increment or decrement would overflow",
    ))?;
    let mut digits = [0u8; 20];
    let text = crate::reply::integer_text(sum, &mut digits);
    let limits = ctx.state.config.hash_limits();
    let seed = ctx.state.config.seed;
    hash_or_create(db, now, key)?.set(field, text, limits, seed);
    ctx.reply.integer(sum);
    ctx.notify(notify::HASH, "hincrby", key);
    Ok(())
}

/// HINCRBYFLOAT key field increment: the sum as text, propagated as an HSET of that text.
pub(crate) fn hincrbyfloat(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let increment = args.next_bytes()?;
    // Redis reads the increment before it looks at the hash.
    let parsed = LongDouble::parse(increment).ok_or(CommandError::from(NOT_FLOAT))?;
    if !parsed.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let current = read_hash(db, now, key)?
        .and_then(|hash| hash.get(field))
        .map(|value| value.to_vec());
    let mut text = Vec::with_capacity(32);
    incr_by_float(current.as_deref().unwrap_or(b"0"), increment, &mut text).map_err(|error| {
        match error {
            IncrByFloatError::NotAFloat => CommandError::from("ERR hash value is not a float"),
            other => CommandError::owned(format!("ERR {}", other.message())),
        }
    })?;
    let limits = ctx.state.config.hash_limits();
    let seed = ctx.state.config.seed;
    hash_or_create(db, now, key)?.set(field, &text, limits, seed);
    ctx.reply.bulk(&text);
    ctx.propagate(&[b"HSET", key, field, &text]);
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]
pub(crate) fn hrandfield(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        _ => Some(sample::parse_count(args.next_bytes()?)?),
    };
    let with_values = match args.remaining() {
        0 => false,
        1 if is_option(args.next_bytes()?, "WITHVALUES") => true,
        _ => return Err(SYNTAX.into()),
    };
    if with_values && count.is_some_and(|count| !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count))
    {
        return Err("ERR value is out of range".into());
    }
    let now = ctx.now.wall;
    let hash = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let Some(count) = count else {
        match hash {
            None => ctx.reply.null(),
            Some(hash) => {
                let index = sample::positions(&mut ctx.state.random, hash.len(), -1)[0];
                ctx.reply.entry(hash.pair_at(index).0);
            }
        }
        return Ok(());
    };
    let Some(hash) = hash else {
        ctx.reply.array(0);
        return Ok(());
    };
    let picked = sample::positions(&mut ctx.state.random, hash.len(), count);
    let pairs = with_values && ctx.reply.resp3;
    ctx.reply.array(if with_values && !pairs {
        picked.len() * 2
    } else {
        picked.len()
    });
    let all = match hash {
        // A small hash is walked once, not once per pick.
        HashRef::Packed(_) => Some(hash.pairs()),
        HashRef::Table(_) => None,
    };
    for index in picked {
        let (field, value) = match &all {
            Some(all) => all[index],
            None => hash.pair_at(index),
        };
        if pairs {
            ctx.reply.array(2);
        }
        ctx.reply.entry(field);
        if with_values {
            ctx.reply.entry(value);
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn hscan(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(args.next_bytes()?)?;
    let now = ctx.now.wall;
    // Like Redis: the cursor, then a missing key (an empty page) or WRONGTYPE, then options.
    let Some(hash) = read_hash(&mut ctx.keyspace.dbs[ctx.db], now, key)? else {
        reply_empty_page(ctx.reply);
        return Ok(());
    };
    let options = ScanOptions::parse(args, false)?;
    let mut text = Vec::new();
    let found = scan_collection(ctx.reply, cursor, &options, 2, |cursor, keep| {
        hash.scan(cursor, |field, value| {
            text.clear();
            field.write_text(&mut text);
            keep(&text, (field, value));
        })
    });
    for (field, value) in found {
        ctx.reply.entry(field);
        ctx.reply.entry(value);
    }
    Ok(())
}
