//! The book's ten commands on the book's door, with the book's semantics and error texts
//! (docs/book-protocol.md), and the fall-through to the RESP command table for any other
//! name, whose replies the `Reply` writer turns into book tags.
//!
//! Where the book differs from Redis, the book wins here: `set` keeps an existing TTL, `zadd`
//! replies 0 for any update, a negative `pexpire` removes the TTL, `del` takes one key, `keys`
//! takes no pattern, and a wrong argument count is "unknown command.". Names are matched
//! exactly, as the book does: `GET`, one of its names in another case, is an unknown command.

use super::delete_if_empty;
use super::zset::zset_or_create;
use super::{dispatch, lookup, Ctx};
use crate::protocol::book::{
    write_arr, write_dbl, write_err, write_int, write_nil, write_str, ERR_ARG, ERR_TYPE,
    ERR_UNKNOWN,
};
use crate::protocol::resp::Args;
use crate::reply::integer_text;
use crate::store::db::Db;
use crate::store::zset_value::{ZSetMut, ZSetRef};
use crate::time::UnixMillis;
use crate::util::number::{format_f64, parse_f64};
use crate::value::Value;

/// A book command's failure: its code and its exact text.
type BookResult = Result<(), (u32, &'static str)>;

type Handler = fn(&mut Ctx<'_, '_>, Args<'_>) -> BookResult;

const UNKNOWN: &[u8] = b"unknown command.";

/// The book's commands: name, argument count (with the name), handler.
const COMMANDS: [(&str, usize, Handler); 10] = [
    ("get", 2, get),
    ("set", 3, set),
    ("del", 2, del),
    ("keys", 1, keys),
    ("pexpire", 3, pexpire),
    ("pttl", 2, pttl),
    ("zadd", 4, zadd),
    ("zrem", 3, zrem),
    ("zscore", 3, zscore),
    ("zquery", 6, zquery),
];

/// Runs one request from the book's door, writing exactly one tagged value to the reply (which
/// is in book mode; the caller frames it).
pub(crate) fn dispatch_book(ctx: &mut Ctx<'_, '_>, args: Args<'_>) {
    debug_assert!(ctx.reply.book);
    let name = args.get(0).unwrap_or(b"");
    let command = COMMANDS
        .iter()
        .find(|(command, _, _)| command.as_bytes() == name);
    // With requirepass set, the table's check answers NOAUTH for everything but AUTH and the like.
    let Some(&(command_name, count, handler)) = command.filter(|_| ctx.session.authenticated)
    else {
        // The book's server knows its names in lower case only: `GET` is no command there.
        let book_name_in_other_case = command.is_none()
            && COMMANDS
                .iter()
                .any(|(command, _, _)| command.as_bytes().eq_ignore_ascii_case(name));
        if book_name_in_other_case || lookup(name).is_none() {
            write_err(ctx.reply.out, ERR_UNKNOWN, UNKNOWN);
        } else {
            dispatch(ctx, args);
        }
        return;
    };
    if args.len() != count {
        write_err(ctx.reply.out, ERR_UNKNOWN, UNKNOWN);
        return;
    }
    ctx.session.last_command = command_name;
    if ctx.state.loading_dataset {
        write_err(ctx.reply.out, ERR_UNKNOWN, super::LOADING.as_bytes());
        return;
    }
    // `maxmemory` holds on this door too: eviction first, and with nothing left to evict the
    // commands that add data are refused with Redis's text.
    let out_of_memory = crate::eviction::before_command(ctx.keyspace, ctx.state, ctx.effects);
    if out_of_memory && matches!(command_name, "set" | "zadd") {
        write_err(ctx.reply.out, ERR_UNKNOWN, crate::eviction::OOM.as_bytes());
        return;
    }
    let write = matches!(command_name, "set" | "del" | "pexpire" | "zadd" | "zrem");
    // Nor does a write go on while the data cannot be persisted (MISCONF).
    if let Some(error) = super::disk_error(ctx.state).filter(|_| write) {
        write_err(ctx.reply.out, ERR_UNKNOWN, error.as_bytes());
        return;
    }
    let mark = ctx.keyspace.propagation_mark();
    let started = ctx.state.introspect.stopwatch.last();
    let result = handler(ctx, args);
    let micros = ctx.state.introspect.stopwatch.lap().saturating_sub(started);
    if let Some(spec) = lookup(command_name.as_bytes()) {
        let failed = result.is_err();
        super::command_ran(
            ctx.state,
            ctx.effects,
            ctx.session,
            spec,
            args,
            micros,
            failed,
        );
    }
    if let Err((code, text)) = result {
        write_err(ctx.reply.out, code, text.as_bytes());
    }
    if let Some(mark) = mark {
        ctx.keyspace.propagate_command(ctx.db, args, write, mark);
    }
}

fn arg<'a>(args: Args<'a>, index: usize) -> &'a [u8] {
    args.get(index).expect("the argument count was checked")
}

/// Like C's `strtoll` over the whole argument, as the book's `str2int`: leading white space, a
/// sign, decimal digits. Stricter than the book on purpose: an empty string and values out of
/// range are rejected rather than read as 0 or clamped.
fn parse_book_i64(bytes: &[u8]) -> Option<i64> {
    let start = bytes
        .iter()
        .position(|&byte| !matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let (negative, digits) = match bytes[start] {
        b'-' => (true, &bytes[start + 1..]),
        b'+' => (false, &bytes[start + 1..]),
        _ => (false, &bytes[start..]),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i64 = 0;
    for &digit in digits {
        let digit = i64::from(digit - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}

/// Like the book's `str2dbl`: `strtod` over the whole argument, NaN rejected. Redis's stricter
/// reading (no leading space, no overflow to infinity) is used.
fn parse_book_f64(bytes: &[u8]) -> Option<f64> {
    parse_f64(bytes).filter(|value| !value.is_nan())
}

/// get k: STR, NIL if missing.
fn get(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    match ctx.keyspace.dbs[ctx.db].get(now, arg(args, 1)) {
        None => write_nil(ctx.reply.out),
        Some(Value::Int(number)) => {
            let mut digits = [0u8; 20];
            write_str(ctx.reply.out, integer_text(*number, &mut digits));
        }
        Some(Value::Str(bytes)) => write_str(ctx.reply.out, bytes),
        Some(Value::RawStr(bytes)) => write_str(ctx.reply.out, bytes),
        Some(
            Value::PackedZSet(_)
            | Value::ZSet(_)
            | Value::PackedHash(_)
            | Value::Hash(_)
            | Value::IntSet(_)
            | Value::Set(_)
            | Value::List(_),
        ) => return Err((ERR_TYPE, "not a string value")),
    }
    Ok(())
}

/// set k v: NIL. Unlike Redis's SET, an existing TTL stays.
fn set(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    let key = arg(args, 1);
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if matches!(db.get(now, key), Some(value) if !value.is_string()) {
        return Err((ERR_TYPE, "a non-string value exists"));
    }
    db.set(now, key, Value::from_bytes(arg(args, 2)), true);
    ctx.propagate(&[b"SET", key, arg(args, 2), b"KEEPTTL"]);
    write_nil(ctx.reply.out);
    Ok(())
}

/// del k: INT 1 if it existed (any type), else 0.
fn del(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    let removed = ctx.keyspace.dbs[ctx.db].remove(now, arg(args, 1));
    let existed = removed.is_some();
    if let Some(value) = removed {
        ctx.effects.discard(value);
    }
    write_int(ctx.reply.out, i64::from(existed));
    Ok(())
}

/// keys: ARR of every key.
fn keys(ctx: &mut Ctx<'_, '_>, _args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    let db = &ctx.keyspace.dbs[ctx.db];
    // Count first: expired keys not yet collected are skipped by `iter`.
    let count = db.iter(now).count();
    write_arr(ctx.reply.out, count);
    for (key, _) in db.iter(now) {
        write_str(ctx.reply.out, key);
    }
    Ok(())
}

/// pexpire k ms: INT 1 if k exists, else 0; a negative `ms` removes the TTL.
fn pexpire(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let millis = parse_book_i64(arg(args, 2)).ok_or((ERR_ARG, "expect int64"))?;
    let now = ctx.now.wall;
    let key = arg(args, 1);
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let exists = db.get(now, key).is_some();
    if exists {
        if millis < 0 {
            if db.clear_expiry(key) {
                ctx.propagate(&[b"PERSIST", key]);
            }
        } else {
            let at = now.as_millis().saturating_add(millis);
            db.set_expiry(key, UnixMillis::from_millis(at));
            let mut digits = [0u8; 20];
            ctx.propagate(&[b"PEXPIREAT", key, integer_text(at, &mut digits)]);
        }
    }
    write_int(ctx.reply.out, i64::from(exists));
    Ok(())
}

/// pttl k: INT ms left; -1 without TTL; -2 missing.
fn pttl(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    let key = arg(args, 1);
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let left = if db.get(now, key).is_none() {
        -2
    } else {
        match db.expiry(key) {
            None => -1,
            Some(at) => at.as_millis().saturating_sub(now.as_millis()).max(0),
        }
    };
    write_int(ctx.reply.out, left);
    Ok(())
}

const EXPECT_ZSET: (u32, &str) = (ERR_TYPE, "expect zset");

/// The sorted set at `key` to read (None if missing); "expect zset" for another type.
fn zset_to_read<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<ZSetRef<'d>>, (u32, &'static str)> {
    match db.get(now, key) {
        None => Ok(None),
        Some(value) => ZSetRef::of(value).map(Some).ok_or(EXPECT_ZSET),
    }
}

/// The sorted set at `key` to change (None if missing); "expect zset" for another type.
fn zset_at<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<ZSetMut<'d>>, (u32, &'static str)> {
    // The type is checked with read access first: an error changes nothing.
    if zset_to_read(db, now, key)?.is_none() {
        return Ok(None);
    }
    let value = db
        .modify(now, key)
        .expect("a live sorted set was just read");
    Ok(ZSetMut::of(value))
}

/// zadd k score name: INT 1 added, 0 updated (even to the same score).
fn zadd(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let score = parse_book_f64(arg(args, 2)).ok_or((ERR_ARG, "expect float"))?;
    let key = arg(args, 1);
    let member = arg(args, 3);
    let seed = ctx.state.config.seed;
    let limits = ctx.state.config.zset_limits();
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let mut zset = zset_or_create(db, now, key, member, limits, seed).map_err(|_| EXPECT_ZSET)?;
    if !zset.has_room(1) && zset.get().score(member).is_none() {
        return Err((ERR_ARG, "sorted set is full"));
    }
    let added = zset.insert(member, score, limits, seed).is_none();
    if ctx.propagating() {
        // The score as Redis would read it back exactly (the book's parsing differs).
        let mut text = Vec::new();
        format_f64(score, &mut text);
        ctx.propagate(&[b"ZADD", key, &text, arg(args, 3)]);
    }
    write_int(ctx.reply.out, i64::from(added));
    Ok(())
}

/// zrem k name: INT 1 removed, 0 not there. A set left empty is deleted, as Redis keeps no empty
/// collections (the book keeps the empty key).
fn zrem(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let key = arg(args, 1);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // Removing a member that is not there changes nothing: no write access then.
    let present =
        zset_to_read(db, now, key)?.is_some_and(|zset| zset.score(arg(args, 2)).is_some());
    let removed = present
        && zset_at(db, now, key)?
            .expect("read above")
            .remove(arg(args, 2))
            .is_some();
    if removed {
        delete_if_empty(ctx, key);
    }
    write_int(ctx.reply.out, i64::from(removed));
    Ok(())
}

/// zscore k name: DBL, NIL if no member or no key.
fn zscore(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let now = ctx.now.wall;
    let zset = zset_to_read(&mut ctx.keyspace.dbs[ctx.db], now, arg(args, 1))?;
    let score = zset.and_then(|zset| zset.score(arg(args, 2)));
    match score {
        Some(score) => write_dbl(ctx.reply.out, score),
        None => write_nil(ctx.reply.out),
    }
    Ok(())
}

/// zquery k score name offset limit: name, score pairs from the first member at or after
/// (score, name), moved by `offset`, at most `limit` elements counted the book's way (a pair is
/// added while fewer than `limit` elements are out).
fn zquery(ctx: &mut Ctx<'_, '_>, args: Args<'_>) -> BookResult {
    let score = parse_book_f64(arg(args, 2)).ok_or((ERR_ARG, "expect fp number"))?;
    let name = arg(args, 3);
    let offset = parse_book_i64(arg(args, 4)).ok_or((ERR_ARG, "expect int"))?;
    let limit = parse_book_i64(arg(args, 5)).ok_or((ERR_ARG, "expect int"))?;
    let now = ctx.now.wall;
    let Some(zset) = zset_to_read(&mut ctx.keyspace.dbs[ctx.db], now, arg(args, 1))? else {
        write_arr(ctx.reply.out, 0);
        return Ok(());
    };
    let items = zset.query(score, name, offset, limit);
    let out = &mut *ctx.reply.out;
    write_arr(out, items.len() * 2);
    for pos in items {
        let item = zset.item(pos);
        write_str(out, &item.member);
        write_dbl(out, item.score);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_like_strtoll_over_the_whole_argument() {
        assert_eq!(parse_book_i64(b"10"), Some(10));
        assert_eq!(parse_book_i64(b"-5"), Some(-5));
        assert_eq!(parse_book_i64(b"+7"), Some(7));
        assert_eq!(parse_book_i64(b" 007"), Some(7));
        assert_eq!(parse_book_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_book_i64(b"9223372036854775808"), None);
        for bad in [&b""[..], b" ", b"-", b"1x", b"1 ", b"0x10", b"1.5"] {
            assert_eq!(
                parse_book_i64(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn doubles_reject_nan() {
        assert_eq!(parse_book_f64(b"1.1"), Some(1.1));
        assert_eq!(parse_book_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_book_f64(b"nan"), None);
        assert_eq!(parse_book_f64(b"1.1x"), None);
    }
}
