//! Key space commands: DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, COPY, MOVE, SWAPDB...

use super::args::{is_option, is_subcommand};
use super::{
    c_string, unknown_subcommand, wrong_arity, ArgCursor, CommandError, CommandResult, Ctx,
    DB_OUT_OF_RANGE, NOT_INTEGER, NO_SUCH_KEY, SYNTAX,
};
use crate::garbage::Garbage;
use crate::notify;
use crate::reply::Reply;
use crate::store::access::{idle_millis, lfu_counter, Mode};
use crate::util::glob::glob_match;
use crate::util::number::parse_i64;

const SAME_OBJECT: &str = "ERR source and destination objects are the same";
const INT_OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";

/// RANDOMKEY gives up after this many expired picks in a row and returns what it has (Redis
/// does the same so that a keyspace full of expired keys cannot stall it).
const RANDOM_KEY_TRIES_MAX: usize = 100;

/// DEL key [key ...]
pub(crate) fn del(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    remove_keys(ctx, args, false)
}

/// UNLINK key [key ...]: as DEL, but values are always freed off the event loop.
pub(crate) fn unlink(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    remove_keys(ctx, args, true)
}

fn remove_keys(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, lazy: bool) -> CommandResult {
    let now = ctx.now.wall;
    let mut removed = 0;
    for key in args.rest() {
        if let Some(value) = ctx.keyspace.dbs[ctx.db].remove(now, key) {
            removed += 1;
            if lazy {
                ctx.effects.free(Garbage::value(value));
            } else {
                ctx.effects.discard(value);
            }
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.reply.integer(removed);
    Ok(())
}

/// EXISTS key [key ...]: a key named twice counts twice. Looking does not count as an access.
pub(crate) fn exists(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let count = args
        .rest()
        .filter(|key| db.get_untouched(now, key).is_some())
        .count();
    ctx.reply.integer(count as i64);
    Ok(())
}

/// TOUCH key [key ...]: EXISTS that counts as an access of each key.
pub(crate) fn touch(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let count = args.rest().filter(|key| db.contains(now, key)).count();
    ctx.reply.integer(count as i64);
    Ok(())
}

/// TYPE key
pub(crate) fn type_of(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let name = ctx.keyspace.dbs[ctx.db]
        .get_untouched(now, key)
        .map_or("none", |value| value.type_name());
    ctx.reply.simple(name);
    Ok(())
}

/// KEYS pattern
pub(crate) fn keys(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let pattern = args.next_bytes()?;
    let now = ctx.now.wall;
    let match_all = pattern == b"*";
    let matched: Vec<&[u8]> = ctx.keyspace.dbs[ctx.db]
        .iter(now)
        .map(|(key, _)| key)
        .filter(|key| match_all || glob_match(pattern, key, false))
        .collect();
    ctx.reply.array(matched.len());
    for key in matched {
        ctx.reply.bulk(key);
    }
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(crate) fn scan(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let cursor = parse_cursor(args.next_bytes()?)?;
    let options = ScanOptions::parse(args, true)?;
    let now = ctx.now.wall;
    let db = &ctx.keyspace.dbs[ctx.db];
    let found = scan_collection(ctx.reply, cursor, &options, 1, |cursor, keep| {
        db.scan(now, cursor, |key, value| {
            // Redis compares the type with strcasecmp: up to a NUL byte.
            let type_matches = options.type_name.is_none_or(|name| {
                c_string(name).eq_ignore_ascii_case(value.type_name().as_bytes())
            });
            if type_matches {
                keep(key, key.to_vec());
            }
        })
    });
    for key in found {
        ctx.reply.bulk(&key);
    }
    Ok(())
}

/// The options of SCAN (`MATCH`, `COUNT`, and `TYPE` where `with_type`) and of ZSCAN.
pub(crate) struct ScanOptions<'a> {
    /// None for no pattern (or `*`, which matches everything).
    pub(crate) pattern: Option<&'a [u8]>,
    pub(crate) count: usize,
    pub(crate) type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    pub(crate) fn parse(
        args: &mut ArgCursor<'a>,
        with_type: bool,
    ) -> Result<ScanOptions<'a>, CommandError> {
        let mut options = ScanOptions {
            pattern: None,
            count: 10,
            type_name: None,
        };
        while args.remaining() > 0 {
            let option = args.next_bytes()?;
            if is_option(option, "COUNT") && args.remaining() > 0 {
                let value = args.next_i64()?;
                if value < 1 {
                    return Err(SYNTAX.into());
                }
                options.count = value as usize;
            } else if is_option(option, "MATCH") && args.remaining() > 0 {
                let value = args.next_bytes()?;
                options.pattern = (value != b"*").then_some(value);
            } else if with_type && is_option(option, "TYPE") && args.remaining() > 0 {
                options.type_name = Some(args.next_bytes()?);
            } else {
                return Err(SYNTAX.into());
            }
        }
        Ok(options)
    }
}

/// HSCAN, SSCAN and ZSCAN's answer for a missing key: cursor 0 and no items.
pub(crate) fn reply_empty_page(reply: &mut Reply<'_>) {
    reply.array(2);
    reply.bulk(b"0");
    reply.array(0);
}

/// The loop of SCAN over a database and of HSCAN, SSCAN and ZSCAN over one collection: steps from `cursor` until `count` items
/// matched or the cursor is back at 0, at most `count * 10` steps (as Redis bounds them).
/// `step` runs one step of the collection's own scan from a cursor and hands each item, with
/// the text MATCH tests, to `keep`. Replies with the page's header (the next cursor, then an
/// array of `width` elements per item) and returns the items for the caller to write.
pub(crate) fn scan_collection<T>(
    reply: &mut Reply<'_>,
    cursor: u64,
    options: &ScanOptions<'_>,
    width: usize,
    mut step: impl FnMut(u64, &mut dyn FnMut(&[u8], T)) -> u64,
) -> Vec<T> {
    let mut found = Vec::new();
    let mut cursor = cursor;
    let mut steps_left = options.count.saturating_mul(10);
    loop {
        cursor = step(cursor, &mut |text, item| {
            if options
                .pattern
                .is_none_or(|pattern| glob_match(pattern, text, false))
            {
                found.push(item);
            }
        });
        steps_left = steps_left.saturating_sub(1);
        if cursor == 0 || steps_left == 0 || found.len() >= options.count {
            break;
        }
    }
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.array(found.len() * width);
    found
}

/// A SCAN cursor, read as Redis reads it: C's `strtoul` over the argument as a C string (so
/// a sign is allowed, `-1` wraps to `u64::MAX` and the empty string is 0), rejecting a leading
/// space, anything after the digits, and overflow.
pub(crate) fn parse_cursor(bytes: &[u8]) -> Result<u64, CommandError> {
    let invalid = || CommandError::from("ERR invalid cursor");
    let text = c_string(bytes);
    let (negative, digits) = match text.split_first() {
        Some((b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r', _)) => return Err(invalid()),
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        // strtoul converted nothing and left its end pointer at the start: fine only when
        // that is already the string's end.
        return if text.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut magnitude: u64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return Err(invalid());
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|shifted| shifted.checked_add(u64::from(digit - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// RANDOMKEY
pub(crate) fn randomkey(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    use rand_core::Rng;
    let now = ctx.now.wall;
    for _ in 0..RANDOM_KEY_TRIES_MAX {
        let pick = ctx.state.random.next_u64() as usize;
        let db = &mut ctx.keyspace.dbs[ctx.db];
        let Some(key) = db.key_at(pick) else {
            break;
        };
        let key = key.to_vec();
        if db.get(now, &key).is_some() {
            ctx.reply.bulk(&key);
            return Ok(());
        }
    }
    ctx.reply.null();
    Ok(())
}

/// RENAME key newkey
pub(crate) fn rename(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    rename_key(ctx, args, false)
}

/// RENAMENX key newkey
pub(crate) fn renamenx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    rename_key(ctx, args, true)
}

fn rename_key(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, nx: bool) -> CommandResult {
    let source = args.next_bytes()?;
    let target = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if db.get(now, source).is_none() {
        return Err(NO_SUCH_KEY.into());
    }
    if source == target {
        if nx {
            ctx.reply.integer(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    if nx && db.get(now, target).is_some() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let expiry = db.expiry(source);
    let value = db.remove(now, source).expect("checked above");
    let old = db.set_with_expiry(now, target, value, expiry);
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
    ctx.notify(notify::GENERIC, "rename_from", source);
    ctx.notify(notify::GENERIC, "rename_to", target);
    if nx {
        ctx.reply.integer(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// A database index argument, with Redis's three errors (`getIntFromObjectOrReply`, then the
/// range of databases).
pub(crate) fn parse_db_index(ctx: &Ctx<'_, '_>, bytes: &[u8]) -> Result<usize, CommandError> {
    let index = parse_i64(bytes).ok_or(CommandError::from(NOT_INTEGER))?;
    if i32::try_from(index).is_err() {
        return Err(INT_OUT_OF_RANGE.into());
    }
    if index < 0 || index as usize >= ctx.keyspace.dbs.len() {
        return Err(DB_OUT_OF_RANGE.into());
    }
    Ok(index as usize)
}

/// COPY source destination [DB destination-db] [REPLACE]
pub(crate) fn copy(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let target = args.next_bytes()?;
    let mut target_db = ctx.db;
    let mut replace = false;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if is_option(option, "REPLACE") {
            replace = true;
        } else if is_option(option, "DB") && args.remaining() > 0 {
            target_db = parse_db_index(ctx, args.next_bytes()?)?;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if target_db == ctx.db && source == target {
        return Err(SAME_OBJECT.into());
    }
    let now = ctx.now.wall;
    let source_db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(value) = source_db.get(now, source).cloned() else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let expiry = source_db.expiry(source);
    let destination = &mut ctx.keyspace.dbs[target_db];
    if destination.get(now, target).is_some() && !replace {
        ctx.reply.integer(0);
        return Ok(());
    }
    let old = destination.set_with_expiry(now, target, value, expiry);
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
    ctx.notify_in(target_db, notify::GENERIC, "copy_to", target);
    ctx.reply.integer(1);
    Ok(())
}

/// MOVE key db
pub(crate) fn move_key(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let target_db = parse_db_index(ctx, args.next_bytes()?)?;
    if target_db == ctx.db {
        return Err(SAME_OBJECT.into());
    }
    let now = ctx.now.wall;
    if ctx.keyspace.dbs[ctx.db].get(now, key).is_none()
        || ctx.keyspace.dbs[target_db].get(now, key).is_some()
    {
        ctx.reply.integer(0);
        return Ok(());
    }
    let source = &mut ctx.keyspace.dbs[ctx.db];
    let expiry = source.expiry(key);
    let value = source.remove(now, key).expect("checked above");
    let destination = &mut ctx.keyspace.dbs[target_db];
    destination.set_with_expiry(now, key, value, expiry);
    ctx.notify(notify::GENERIC, "move_from", key);
    ctx.notify_in(target_db, notify::GENERIC, "move_to", key);
    ctx.reply.integer(1);
    Ok(())
}

/// SWAPDB index1 index2: connections stay on their numbers and see the other data.
pub(crate) fn swapdb(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let first = parse_i64(args.next_bytes()?)
        .filter(|index| i32::try_from(*index).is_ok())
        .ok_or(CommandError::from("ERR invalid first DB index"))?;
    let second = parse_i64(args.next_bytes()?)
        .filter(|index| i32::try_from(*index).is_ok())
        .ok_or(CommandError::from("ERR invalid second DB index"))?;
    let count = ctx.keyspace.dbs.len() as i64;
    if !(0..count).contains(&first) || !(0..count).contains(&second) {
        return Err(DB_OUT_OF_RANGE.into());
    }
    ctx.keyspace
        .swap(first as usize, second as usize, ctx.now.wall);
    ctx.reply.ok();
    Ok(())
}

/// Redis's note on OBJECT IDLETIME and FREQ under the other kind of policy.
const SWITCHING: &str = "Please note that when switching between policies at runtime LRU and \
     LFU data will take some time to adjust.";

/// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ|HELP key
pub(crate) fn object(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "HELP") && args.remaining() == 0 {
        let lines = [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        ];
        ctx.reply.help(&lines);
        return Ok(());
    }
    let name = if is_subcommand(subcommand, "ENCODING") {
        "object|encoding"
    } else if is_subcommand(subcommand, "REFCOUNT") {
        "object|refcount"
    } else if is_subcommand(subcommand, "IDLETIME") {
        "object|idletime"
    } else if is_subcommand(subcommand, "FREQ") {
        "object|freq"
    } else {
        return Err(unknown_subcommand(subcommand, "OBJECT"));
    };
    if args.remaining() != 1 {
        return Err(wrong_arity(name));
    }
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(value) = db.get_untouched(now, key) else {
        ctx.reply.null();
        return Ok(());
    };
    let encoding = value.encoding_name();
    let clock = db.access_clock(now, key).unwrap_or_default();
    let lfu = match ctx.state.config.access_mode() {
        Mode::Lfu { decay_minutes, .. } => Some(decay_minutes),
        Mode::Lru => None,
    };
    match (name, lfu) {
        ("object|encoding", _) => ctx.reply.bulk(encoding.as_bytes()),
        ("object|refcount", _) => ctx.reply.integer(1),
        ("object|idletime", None) => ctx.reply.integer((idle_millis(clock, now) / 1000) as i64),
        ("object|idletime", Some(_)) => {
            return Err(CommandError::owned(format!(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. {SWITCHING}"
            )))
        }
        (_, Some(decay_minutes)) => {
            ctx.reply
                .integer(i64::from(lfu_counter(clock, now, decay_minutes)))
        }
        (_, None) => {
            return Err(CommandError::owned(format!(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 {SWITCHING}"
            )))
        }
    }
    Ok(())
}
