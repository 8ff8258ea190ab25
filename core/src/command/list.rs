//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LINDEX, LSET, LRANGE,
//! LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP. (The blocking pops, in blocking.rs,
//! share their pops.)

use super::args::{is_option, parse_multi_pop};
use super::{
    delete_if_empty, index_range, ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER,
    NO_SUCH_KEY, SYNTAX, WRONGTYPE,
};
use crate::notify;
use crate::store::db::Db;
use crate::store::list::{BlockLimit, End, List};
use crate::store::listpack::Entry;
use crate::time::UnixMillis;
use crate::util::number::parse_i64;
use crate::value::Value;

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

/// The list at `key`, or None if missing; WRONGTYPE for other types.
pub(crate) fn read_list<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<&'d List>, CommandError> {
    match db.get(now, key) {
        None => Ok(None),
        Some(Value::List(list)) => Ok(Some(list)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// The list at `key` to change, or None if missing; WRONGTYPE (changing nothing) otherwise.
pub(super) fn write_list<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<Option<&'d mut List>, CommandError> {
    if read_list(db, now, key)?.is_none() {
        return Ok(None);
    }
    match db.modify(now, key) {
        Some(Value::List(list)) => Ok(Some(list)),
        _ => unreachable!("a live list was just read"),
    }
}

/// The list at `key` to change, created empty when missing: the caller adds to it.
fn list_or_create<'d>(
    db: &'d mut Db,
    now: UnixMillis,
    key: &[u8],
) -> Result<&'d mut List, CommandError> {
    if read_list(db, now, key)?.is_none() {
        db.set(now, key, Value::List(Box::default()), false);
    }
    Ok(write_list(db, now, key)?.expect("the list exists now"))
}

/// How big the blocks of a list grow (`list-max-listpack-size`).
fn block_limit(ctx: &Ctx<'_, '_>) -> BlockLimit {
    BlockLimit::from_config(ctx.state.config.list_max_listpack_size)
}

/// `LEFT` or `RIGHT`, as LMOVE and LMPOP name a list's ends.
pub(super) fn parse_end(arg: &[u8]) -> Result<End, CommandError> {
    if is_option(arg, "LEFT") {
        Ok(End::Front)
    } else if is_option(arg, "RIGHT") {
        Ok(End::Back)
    } else {
        Err(SYNTAX.into())
    }
}

/// A position counted from the front, or from the back when negative, as an index if it
/// falls within a list of `len` elements.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let index = if index < 0 { index + len } else { index };
    (0..len).contains(&index).then_some(index as usize)
}

fn push(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    end: End,
    existing: bool,
) -> CommandResult {
    let key = args.next_bytes()?;
    let limit = block_limit(ctx);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if existing && read_list(db, now, key)?.is_none() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let list = list_or_create(db, now, key)?;
    list.push_all(end, args.rest(), limit);
    ctx.reply.integer(list.len() as i64);
    ctx.notify(notify::LIST, push_event(end), key);
    Ok(())
}

/// The keyspace notification of a push at `end`.
pub(super) fn push_event(end: End) -> &'static str {
    match end {
        End::Front => "lpush",
        End::Back => "rpush",
    }
}

/// The keyspace notification of a pop from `end`.
pub(super) fn pop_event(end: End) -> &'static str {
    match end {
        End::Front => "lpop",
        End::Back => "rpop",
    }
}

/// LPUSH key element [element ...]: the new length.
pub(crate) fn lpush(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    push(ctx, args, End::Front, false)
}

/// RPUSH key element [element ...]
pub(crate) fn rpush(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    push(ctx, args, End::Back, false)
}

/// LPUSHX key element [element ...]: pushes only onto an existing list; 0 otherwise.
pub(crate) fn lpushx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    push(ctx, args, End::Front, true)
}

/// RPUSHX key element [element ...]
pub(crate) fn rpushx(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    push(ctx, args, End::Back, true)
}

/// Pops up to `count` elements of the (existing) list at `key` from `end` into the reply as
/// an array; deletes the list if emptied.
pub(super) fn pop_into_reply(ctx: &mut Ctx<'_, '_>, key: &[u8], end: End, count: usize) {
    let now = ctx.now.wall;
    let list = write_list(&mut ctx.keyspace.dbs[ctx.db], now, key)
        .ok()
        .flatten()
        .expect("the caller found a list");
    let count = count.min(list.len());
    ctx.reply.array(count);
    for _ in 0..count {
        ctx.reply
            .entry(list.peek(end).expect("the list holds count elements"));
        list.pop(end);
    }
    ctx.notify(notify::LIST, pop_event(end), key);
    delete_if_empty(ctx, key);
}

fn pop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, end: End) -> CommandResult {
    let key = args.next_bytes()?;
    let count = match args.remaining() {
        0 => None,
        1 => match parse_i64(args.next_bytes()?) {
            Some(count) if count >= 0 => Some(count as usize),
            _ => return Err(NOT_POSITIVE.into()),
        },
        _ => {
            return Err(super::wrong_arity(if end == End::Front {
                "lpop"
            } else {
                "rpop"
            }))
        }
    };
    let now = ctx.now.wall;
    if read_list(&mut ctx.keyspace.dbs[ctx.db], now, key)?.is_none() {
        match count {
            None => ctx.reply.null(),
            Some(_) => ctx.reply.null_array(),
        }
        return Ok(());
    }
    match count {
        // Reads nothing: an empty array, and the key is not touched.
        Some(0) => ctx.reply.array(0),
        Some(count) => pop_into_reply(ctx, key, end, count),
        None => {
            let list = write_list(&mut ctx.keyspace.dbs[ctx.db], now, key)?
                .expect("the list was just read");
            ctx.reply
                .entry(list.peek(end).expect("a list is never empty"));
            list.pop(end);
            ctx.notify(notify::LIST, pop_event(end), key);
            delete_if_empty(ctx, key);
        }
    }
    Ok(())
}

/// LPOP key [count]: the first element, or up to `count` of them as an array.
pub(crate) fn lpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    pop(ctx, args, End::Front)
}

/// RPOP key [count]
pub(crate) fn rpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    pop(ctx, args, End::Back)
}

/// LLEN key
pub(crate) fn llen(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let len = read_list(ctx.db(), now, key)?.map_or(0, List::len);
    ctx.reply.integer(len as i64);
    Ok(())
}

/// LINDEX key index: the element there (negative counts from the end), or null.
pub(crate) fn lindex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let index = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // The key is looked up before the index is read, as Redis does.
    let Some(list) = read_list(db, now, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = parse_i64(index).ok_or(NOT_INTEGER)?;
    let element = position(index, list.len()).and_then(|index| list.get(index));
    match element {
        Some(entry) => ctx.reply.entry(entry),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// LSET key index element
pub(crate) fn lset(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let index = args.next_bytes()?;
    let element = args.next_bytes()?;
    let limit = block_limit(ctx);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // The key is looked up before the index is read, as Redis does.
    let len = read_list(db, now, key)?.ok_or(NO_SUCH_KEY)?.len();
    let index = parse_i64(index).ok_or(NOT_INTEGER)?;
    let index = position(index, len).ok_or("ERR index out of range")?;
    let list = write_list(db, now, key)?.expect("the list was just read");
    list.set(index, element, limit);
    ctx.reply.ok();
    ctx.notify(notify::LIST, "lset", key);
    Ok(())
}

/// LRANGE key start stop: the elements in the range, both ends included.
pub(crate) fn lrange(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(list) = read_list(db, now, key)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let (first, count) = index_range(start, stop, list.len());
    ctx.reply.array(count);
    for entry in list.iter_from(first).take(count) {
        ctx.reply.entry(entry);
    }
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 when the pivot is missing, 0
/// when the key is.
pub(crate) fn linsert(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let place = args.next_bytes()?;
    let after = if is_option(place, "AFTER") {
        true
    } else if is_option(place, "BEFORE") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    let pivot = args.next_bytes()?;
    let element = args.next_bytes()?;
    let limit = block_limit(ctx);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(list) = read_list(db, now, key)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let pivot = Entry::from_bytes(pivot);
    let Some(found) = list.iter().position(|entry| entry.is(&pivot)) else {
        ctx.reply.integer(-1);
        return Ok(());
    };
    let list = write_list(db, now, key)?.expect("the list was just read");
    list.insert(found + usize::from(after), element, limit);
    ctx.reply.integer(list.len() as i64);
    ctx.notify(notify::LIST, "linsert", key);
    Ok(())
}

/// LREM key count element: removes the first `count` matches (the last `-count` when
/// negative, all when 0); the number removed.
pub(crate) fn lrem(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let count = args.next_i64()?;
    let element = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let needle = Entry::from_bytes(element);
    let present = read_list(db, now, key)?.is_some_and(|list| list.iter().any(|e| e.is(&needle)));
    if !present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let list = write_list(db, now, key)?.expect("the list was just read");
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(element, limit, count < 0);
    ctx.notify(notify::LIST, "lrem", key);
    delete_if_empty(ctx, key);
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// LTRIM key start stop: keeps only the range; an empty range deletes the list.
pub(crate) fn ltrim(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if let Some(list) = write_list(db, now, key)? {
        let (first, count) = index_range(start, stop, list.len());
        if count == 0 {
            *list = List::new();
        } else {
            list.trim(first, first + count - 1);
        }
        ctx.notify(notify::LIST, "ltrim", key);
        delete_if_empty(ctx, key);
    }
    ctx.reply.ok();
    Ok(())
}

/// LPOS's options.
struct PosOptions {
    /// Which match to start from: 1 the first, -1 the last, walking from the back.
    rank: i64,
    /// How many positions to return; 0 all. None: one position, not an array.
    count: Option<usize>,
    /// Elements compared at most; 0 all.
    max_len: usize,
}

impl PosOptions {
    fn parse(args: &mut ArgCursor<'_>) -> Result<PosOptions, CommandError> {
        let mut options = PosOptions {
            rank: 1,
            count: None,
            max_len: 0,
        };
        while args.remaining() > 0 {
            let option = args.next_bytes()?;
            let known = ["RANK", "COUNT", "MAXLEN"]
                .into_iter()
                .find(|name| is_option(option, name));
            let (Some(name), Some(value)) = (known, args.peek()) else {
                return Err(SYNTAX.into());
            };
            args.next_bytes()?;
            match name {
                "RANK" => {
                    options.rank = parse_i64(value).ok_or(NOT_INTEGER)?;
                    if options.rank == 0 {
                        return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
                    }
                }
                "COUNT" => {
                    let count = parse_i64(value).and_then(|count| usize::try_from(count).ok());
                    options.count = Some(count.ok_or("ERR COUNT can't be negative")?);
                }
                _ => {
                    let max_len = parse_i64(value).and_then(|len| usize::try_from(len).ok());
                    options.max_len = max_len.ok_or("ERR MAXLEN can't be negative")?;
                }
            }
        }
        Ok(options)
    }
}

/// LPOS key element [RANK rank] [COUNT count] [MAXLEN len]: the index of a match, or the
/// indexes of several.
pub(crate) fn lpos(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let element = args.next_bytes()?;
    let options = PosOptions::parse(args)?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let found = match read_list(db, now, key)? {
        None => Vec::new(),
        Some(list) => {
            let needle = Entry::from_bytes(element);
            let len = list.len();
            let compared = if options.max_len == 0 {
                len
            } else {
                options.max_len.min(len)
            };
            // A negative rank walks from the back; i64::MIN, which has no positive, acts as -1
            // (Redis's negation leaves it negative, and every match then counts).
            let skip = match options.rank {
                i64::MIN => 0,
                rank => usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX),
            };
            let wanted = match options.count {
                None => 1,
                Some(0) => usize::MAX,
                Some(count) => count,
            };
            let indexes: Box<dyn Iterator<Item = (usize, Entry<'_>)> + '_> = if options.rank > 0 {
                Box::new(list.iter().enumerate().take(compared))
            } else {
                Box::new(
                    list.iter()
                        .rev()
                        .enumerate()
                        .take(compared)
                        .map(move |(n, e)| (len - 1 - n, e)),
                )
            };
            indexes
                .filter(|(_, entry)| entry.is(&needle))
                .skip(skip)
                .take(wanted)
                .map(|(index, _)| index)
                .collect()
        }
    };
    match options.count {
        None => match found.first() {
            Some(&index) => ctx.reply.integer(index as i64),
            None => ctx.reply.null(),
        },
        Some(_) => {
            ctx.reply.array(found.len());
            for index in found {
                ctx.reply.integer(index as i64);
            }
        }
    }
    Ok(())
}

/// Moves the element at `from`'s end of `source` to `to`'s end of `destination` (the same
/// list when the keys are equal), replying with it; null when `source` is missing.
pub(super) fn move_element(
    ctx: &mut Ctx<'_, '_>,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> CommandResult {
    let limit = block_limit(ctx);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let Some(list) = read_list(db, now, source)? else {
        ctx.reply.null();
        return Ok(());
    };
    let element = list.peek(from).expect("a list is never empty").to_vec();
    // The destination's type is checked before anything moves.
    read_list(db, now, destination)?;
    write_list(db, now, source)?
        .expect("the list was just read")
        .pop(from);
    list_or_create(db, now, destination)?.push(to, &element, limit);
    ctx.notify(notify::LIST, push_event(to), destination);
    ctx.notify(notify::LIST, pop_event(from), source);
    delete_if_empty(ctx, source);
    ctx.reply.bulk(&element);
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: the element moved.
pub(crate) fn lmove(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let from = parse_end(args.next_bytes()?)?;
    let to = parse_end(args.next_bytes()?)?;
    move_element(ctx, source, destination, from, to)
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
pub(crate) fn rpoplpush(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    move_element(ctx, source, destination, End::Back, End::Front)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list,
/// replying with its key and the elements.
pub(crate) fn lmpop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let (keys, end, count) = parse_multi_pop(args, parse_end)?;
    let now = ctx.now.wall;
    for key in keys {
        if read_list(&mut ctx.keyspace.dbs[ctx.db], now, key)?.is_some() {
            ctx.reply.array(2);
            ctx.reply.bulk(key);
            pop_into_reply(ctx, key, end, count);
            return Ok(());
        }
    }
    ctx.reply.null_array();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::index_range;
    use super::position;

    #[test]
    fn ranges_clamp_as_redis_does() {
        assert_eq!(index_range(0, -1, 5), (0, 5));
        assert_eq!(index_range(-100, 100, 5), (0, 5));
        assert_eq!(index_range(2, 1, 5), (0, 0));
        assert_eq!(index_range(5, 10, 5), (0, 0));
        assert_eq!(index_range(-2, -1, 5), (3, 2));
        assert_eq!(index_range(0, -6, 5), (0, 0));
        assert_eq!(index_range(i64::MIN, i64::MAX, 5), (0, 5));
        assert_eq!(index_range(0, 0, 0), (0, 0));
        assert_eq!(position(-1, 3), Some(2));
        assert_eq!(position(-4, 3), None);
        assert_eq!(position(3, 3), None);
        assert_eq!(position(i64::MIN, 3), None);
    }
}
