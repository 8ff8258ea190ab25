//! String commands: GET, SET and friends, counters, ranges.

use super::args::is_option;
use super::{
    wrong_arity, ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, STRING_TOO_LONG, SYNTAX,
    WRONGTYPE,
};
use crate::notify;
use crate::reply::integer_text;
use crate::store::bytes::SmallBytes;
use crate::time::UnixMillis;
use crate::util::number::{incr_by_float, parse_i64};
use crate::value::Value;

/// The bytes of a string value (an int-encoded one rendered into `digits`), or WRONGTYPE.
pub(crate) fn string_bytes<'v>(
    value: &'v Value,
    digits: &'v mut [u8; 20],
) -> Result<&'v [u8], CommandError> {
    match value {
        Value::Int(number) => Ok(integer_text(*number, digits)),
        Value::Str(bytes) => Ok(bytes.as_bytes()),
        Value::RawStr(bytes) => Ok(bytes.as_slice()),
        _ => Err(WRONGTYPE.into()),
    }
}

/// GET key
pub(crate) fn get(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let value = ctx.keyspace.dbs[ctx.db].get(now, key);
    let found = value.is_some();
    let result = reply_string(ctx.reply, value);
    ctx.state.stats.record_lookup(found);
    result
}

/// Same as `reply_string` but borrowing only the reply, so callers can hold a keyspace borrow.
pub(crate) fn reply_string(
    reply: &mut crate::reply::Reply<'_>,
    value: Option<&Value>,
) -> CommandResult {
    match value {
        None => reply.null(),
        Some(Value::Int(number)) => reply.bulk_integer(*number),
        Some(Value::Str(bytes)) => reply.bulk(bytes),
        Some(Value::RawStr(bytes)) => reply.bulk(bytes),
        Some(_) => return Err(WRONGTYPE.into()),
    }
    Ok(())
}

/// When a SET-like command wants the key to expire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Remove any TTL (plain SET).
    None,
    /// KEEPTTL.
    Keep,
    At(UnixMillis),
}

/// The unit (milliseconds per step) and relativeness of an EX / PX / EXAT / PXAT option.
pub(crate) fn expiry_unit(option: &[u8]) -> Option<(i64, bool)> {
    if is_option(option, "EX") {
        Some((1000, true))
    } else if is_option(option, "PX") {
        Some((1, true))
    } else if is_option(option, "EXAT") {
        Some((1000, false))
    } else if is_option(option, "PXAT") {
        Some((1, false))
    } else {
        None
    }
}

/// Turns an EX/PX/EXAT/PXAT argument into an absolute time, with Redis's checks and texts.
pub(crate) fn expiry_from(
    arg: &[u8],
    unit_millis: i64,
    relative: bool,
    now: UnixMillis,
    command: &str,
) -> Result<UnixMillis, CommandError> {
    let amount = parse_i64(arg).ok_or(CommandError::from(NOT_INTEGER))?;
    let invalid = || CommandError::owned(format!("ERR invalid expire time in '{command}' command"));
    if amount <= 0 {
        return Err(invalid());
    }
    let millis = amount.checked_mul(unit_millis).ok_or_else(invalid)?;
    let at = if relative {
        millis.checked_add(now.as_millis()).ok_or_else(invalid)?
    } else {
        millis
    };
    if at <= 0 {
        return Err(invalid());
    }
    Ok(UnixMillis::from_millis(at))
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
pub(crate) fn set(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    let (mut nx, mut xx, mut get) = (false, false, false);
    let mut keepttl = false;
    // The expiry's argument, unit and whether it is relative. Redis lets the same expiry option
    // repeat (the last one wins) but rejects two different ones, or one with KEEPTTL.
    let mut expire: Option<(&[u8], i64, bool)> = None;
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        let unit = expiry_unit(option);
        // An expiry option is taken when no other kind (nor KEEPTTL) came before it.
        let expiry_allowed = !keepttl
            && expire
                .is_none_or(|(_, unit_millis, relative)| unit == Some((unit_millis, relative)))
            && args.peek().is_some();
        if is_option(option, "NX") && !xx {
            nx = true;
        } else if is_option(option, "XX") && !nx {
            xx = true;
        } else if is_option(option, "GET") {
            get = true;
        } else if is_option(option, "KEEPTTL") && expire.is_none() {
            keepttl = true;
        } else if let (Some((unit_millis, relative)), true) = (unit, expiry_allowed) {
            expire = Some((args.next_bytes()?, unit_millis, relative));
        } else {
            return Err(SYNTAX.into());
        }
    }
    let now = ctx.now.wall;
    let expiry = match expire {
        Some((arg, unit, relative)) => Expiry::At(expiry_from(arg, unit, relative, now, "set")?),
        None if keepttl => Expiry::Keep,
        None => Expiry::None,
    };
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let old = db.get(now, key);
    if get {
        reply_string(ctx.reply, old)?;
    }
    let exists = old.is_some();
    if (nx && exists) || (xx && !exists) {
        if !get {
            ctx.reply.null();
        }
        return Ok(());
    }
    store_string(ctx, key, value, expiry);
    if !get {
        ctx.reply.ok();
    }
    Ok(())
}

/// Stores a string under `key`, replacing any value of any type, with the given expiry.
pub(crate) fn store_string(ctx: &mut Ctx<'_, '_>, key: &[u8], value: &[u8], expiry: Expiry) {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let stored = Value::from_bytes(value);
    let old = match expiry {
        Expiry::At(at) => db.set_expiring(now, key, stored, at),
        Expiry::Keep => db.set(now, key, stored, true),
        Expiry::None => db.set(now, key, stored, false),
    };
    if let Expiry::At(at) = expiry {
        // A relative expiry (EX, PX, SETEX) would replay later than it was meant.
        let mut digits = [0u8; 20];
        ctx.propagate(&[
            b"SET",
            key,
            value,
            b"PXAT",
            integer_text(at.as_millis(), &mut digits),
        ]);
    }
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
    ctx.notify(notify::STRING, "set", key);
    if let Expiry::At(_) = expiry {
        ctx.notify(notify::GENERIC, "expire", key);
    }
}

/// SETNX key value
pub(crate) fn setnx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    let now = ctx.now.wall;
    if ctx.keyspace.dbs[ctx.db].get(now, key).is_some() {
        ctx.reply.integer(0);
    } else {
        store_string(ctx, key, value, Expiry::None);
        ctx.reply.integer(1);
    }
    Ok(())
}

/// GETSET key value
pub(crate) fn getset(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    let now = ctx.now.wall;
    reply_string(ctx.reply, ctx.keyspace.dbs[ctx.db].get(now, key))?;
    store_string(ctx, key, value, Expiry::None);
    Ok(())
}

/// GETDEL key
pub(crate) fn getdel(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    reply_string(ctx.reply, ctx.keyspace.dbs[ctx.db].get(now, key))?;
    if let Some(old) = ctx.keyspace.dbs[ctx.db].remove(now, key) {
        ctx.effects.discard(old);
        ctx.notify(notify::GENERIC, "del", key);
    }
    Ok(())
}

/// MGET key [key ...]: nil for missing keys and for keys of other types.
pub(crate) fn mget(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let now = ctx.now.wall;
    ctx.reply.array(args.remaining());
    for key in args.rest() {
        match ctx.keyspace.dbs[ctx.db].get(now, key) {
            Some(value) if value.is_string() => reply_string(ctx.reply, Some(value))?,
            _ => ctx.reply.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]
pub(crate) fn mset(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if !args.remaining().is_multiple_of(2) {
        return Err(wrong_arity("mset"));
    }
    while args.remaining() > 0 {
        let key = args.next_bytes()?;
        let value = args.next_bytes()?;
        store_string(ctx, key, value, Expiry::None);
    }
    ctx.reply.ok();
    Ok(())
}

/// MSETNX key value [key value ...]: all or nothing.
pub(crate) fn msetnx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if !args.remaining().is_multiple_of(2) {
        return Err(wrong_arity("msetnx"));
    }
    let now = ctx.now.wall;
    let pairs: Vec<&[u8]> = args.rest().collect();
    let any_exists = pairs
        .chunks(2)
        .any(|pair| ctx.keyspace.dbs[ctx.db].get(now, pair[0]).is_some());
    if any_exists {
        ctx.reply.integer(0);
        return Ok(());
    }
    for pair in pairs.chunks(2) {
        store_string(ctx, pair[0], pair[1], Expiry::None);
    }
    ctx.reply.integer(1);
    Ok(())
}

/// Adds `delta` to the integer at `key` (0 if missing), keeping its TTL.
fn increment(ctx: &mut Ctx<'_, '_>, key: &[u8], delta: i64) -> CommandResult {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let current = match db.get(now, key) {
        None => 0,
        Some(Value::Int(number)) => *number,
        Some(value @ (Value::Str(_) | Value::RawStr(_))) => {
            let bytes = value.string_bytes().expect("a string");
            parse_i64(bytes).ok_or(CommandError::from(NOT_INTEGER))?
        }
        Some(_) => return Err(WRONGTYPE.into()),
    };
    let next = current.checked_add(delta).ok_or(CommandError::from(
        "ERR increment or decrement would overflow",
    ))?;
    db.set(now, key, Value::Int(next), true);
    ctx.reply.integer(next);
    ctx.notify(notify::STRING, "incrby", key);
    Ok(())
}

/// INCR key
pub(crate) fn incr(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    increment(ctx, key, 1)
}

/// DECR key
pub(crate) fn decr(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    increment(ctx, key, -1)
}

/// INCRBY key increment
pub(crate) fn incrby(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let delta = args.next_i64()?;
    increment(ctx, key, delta)
}

/// DECRBY key decrement
pub(crate) fn decrby(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let delta = args.next_i64()?;
    let delta = delta
        .checked_neg()
        .ok_or(CommandError::from("ERR decrement would overflow"))?;
    increment(ctx, key, delta)
}

/// INCRBYFLOAT key increment. Computed in emulated x87 `long double`, as Redis does, so that
/// `0.1 + 0.2` gives `0.3` and the digits match Redis's.
pub(crate) fn incrbyfloat(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let increment = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let mut digits = [0u8; 20];
    let current = match db.get(now, key) {
        None => &b"0"[..],
        Some(value) => string_bytes(value, &mut digits)?,
    };
    let mut text = Vec::with_capacity(32);
    incr_by_float(current, increment, &mut text)
        .map_err(|error| CommandError::owned(format!("ERR {}", error.message())))?;
    ctx.reply.bulk(&text);
    db.set(now, key, Value::Str(SmallBytes::new(&text)), true);
    // The sum as text: floating point need not round alike elsewhere.
    ctx.propagate(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    Ok(())
}

/// The string at `key` as a mutable byte vector, converting an int-encoded value; WRONGTYPE for
/// other types. Missing keys are not created.
pub(crate) fn raw_string_mut<'d>(
    db: &'d mut crate::store::db::Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<&'d mut Vec<u8>>, CommandError> {
    let Some(value) = db.modify(now, key) else {
        return Ok(None);
    };
    match value {
        Value::Int(number) => {
            let mut digits = [0u8; 20];
            *value = Value::RawStr(Box::new(integer_text(*number, &mut digits).to_vec()));
        }
        Value::Str(bytes) => *value = Value::RawStr(Box::new(bytes.to_vec())),
        Value::RawStr(_) => {}
        _ => return Err(WRONGTYPE.into()),
    }
    match value {
        Value::RawStr(bytes) => Ok(Some(bytes.as_mut())),
        _ => unreachable!("converted to RawStr above"),
    }
}

/// APPEND key value
pub(crate) fn append(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let suffix = args.next_bytes()?;
    let now = ctx.now.wall;
    let limit = ctx.state.config.bulk_bytes_max;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if let Some(value) = db.get(now, key) {
        let mut digits = [0u8; 20];
        let len = string_bytes(value, &mut digits)?.len();
        if len + suffix.len() > limit {
            return Err(STRING_TOO_LONG.into());
        }
        let bytes = raw_string_mut(db, now, key)?.expect("the key exists");
        bytes.extend_from_slice(suffix);
        let len = bytes.len();
        ctx.reply.integer(len as i64);
    } else {
        // A new key is stored as SET would store it (int, embstr or raw); only appending to an
        // existing string makes it raw.
        db.set(now, key, Value::from_bytes(suffix), false);
        ctx.reply.integer(suffix.len() as i64);
    }
    ctx.notify(notify::STRING, "append", key);
    Ok(())
}

/// STRLEN key
pub(crate) fn strlen(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = match ctx.keyspace.dbs[ctx.db].get(now, key) {
        None => 0,
        Some(value) => {
            let mut digits = [0u8; 20];
            string_bytes(value, &mut digits)?.len()
        }
    };
    ctx.reply.integer(len as i64);
    Ok(())
}

/// GETRANGE key start end (and SUBSTR, its old name).
pub(crate) fn getrange(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    let bytes = match ctx.keyspace.dbs[ctx.db].get(now, key) {
        None => &[][..],
        Some(value) => string_bytes(value, &mut digits)?,
    };
    let len = bytes.len() as i64;
    // Redis 7.0: two negative indexes in the wrong order give an empty string before clamping.
    if start < 0 && end < 0 && start > end {
        ctx.reply.bulk(b"");
        return Ok(());
    }
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { (len + end).max(0) } else { end };
    let end = end.min(len - 1);
    if len == 0 || start > end {
        ctx.reply.bulk(b"");
    } else {
        ctx.reply.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

/// SETRANGE key offset value
pub(crate) fn setrange(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset = args.next_i64()?;
    let patch = args.next_bytes()?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let now = ctx.now.wall;
    let limit = ctx.state.config.bulk_bytes_max as i64;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let existing_len = match db.get(now, key) {
        None => None,
        Some(value) => {
            let mut digits = [0u8; 20];
            Some(string_bytes(value, &mut digits)?.len())
        }
    };
    if patch.is_empty() {
        // Nothing to write: Redis replies with the current length and creates no key.
        ctx.reply.integer(existing_len.unwrap_or(0) as i64);
        return Ok(());
    }
    if offset.saturating_add(patch.len() as i64) > limit {
        return Err(STRING_TOO_LONG.into());
    }
    let offset = offset as usize;
    if existing_len.is_none() {
        db.set(now, key, Value::RawStr(Box::default()), false);
    }
    let bytes = raw_string_mut(db, now, key)?.expect("the key exists");
    if bytes.len() < offset + patch.len() {
        bytes.resize(offset + patch.len(), 0);
    }
    bytes[offset..offset + patch.len()].copy_from_slice(patch);
    let len = bytes.len();
    ctx.reply.integer(len as i64);
    ctx.notify(notify::STRING, "setrange", key);
    Ok(())
}
