//! The model's list commands, on a `VecDeque` of elements. Every reply is exact: a list has one
//! order, whatever blocks the server keeps it in.

use std::collections::VecDeque;

use crate::exec::drop_if_empty;
use crate::model::{parse_i64, rank_range, Model, Value, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// The list commands the simulator sends, with Redis's arity.
pub fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "llen" => 2,
        "lindex" | "rpoplpush" => 3,
        "lset" | "lrange" | "lrem" | "ltrim" => 4,
        "linsert" | "lmove" => 5,
        "lpush" | "rpush" | "lpushx" | "rpushx" | "lpos" => -3,
        "lpop" | "rpop" => -2,
        "lmpop" => -4,
        _ => return None,
    })
}

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

fn list<'m>(
    model: &'m mut Model,
    db: usize,
    key: &[u8],
    wall: i64,
) -> Result<Option<&'m mut VecDeque<Vec<u8>>>> {
    match model.live(db, key, wall).map(|entry| &mut entry.value) {
        None => Ok(None),
        Some(Value::List(list)) => Ok(Some(list)),
        Some(_) => Err(WRONGTYPE),
    }
}

fn list_or_create<'m>(
    model: &'m mut Model,
    db: usize,
    key: &[u8],
    wall: i64,
) -> Result<&'m mut VecDeque<Vec<u8>>> {
    model.create_if_missing(db, key, wall, Value::List(VecDeque::new()));
    Ok(list(model, db, key, wall)?.expect("just created"))
}

/// `LEFT` (true) or `RIGHT` (false).
fn left(arg: &[u8]) -> Result<bool> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn pop(list: &mut VecDeque<Vec<u8>>, left: bool) -> Option<Vec<u8>> {
    if left {
        list.pop_front()
    } else {
        list.pop_back()
    }
}

fn push(list: &mut VecDeque<Vec<u8>>, left: bool, element: Vec<u8>) {
    if left {
        list.push_front(element)
    } else {
        list.push_back(element)
    }
}

/// An index from the front, or from the back when negative, if inside a list of `len`.
fn position(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    usize::try_from(index).ok().filter(|&index| index < len)
}

/// LRANGE and LTRIM's inclusive `start stop`: the indexes kept, as Redis clamps them.
fn range(start: i64, stop: i64, len: usize) -> std::ops::Range<usize> {
    rank_range(start, stop, len).map_or(0..0, |(start, stop)| start..stop + 1)
}

fn write_all(out: &mut Out<'_>, elements: &[Vec<u8>]) -> Expect {
    out.array(elements.len());
    for element in elements {
        out.bulk(element);
    }
    Expect::Exact
}

/// Pops up to `count` elements from the existing list at `key`.
fn pop_many(
    model: &mut Model,
    db: usize,
    key: &[u8],
    left: bool,
    count: usize,
    wall: i64,
) -> Vec<Vec<u8>> {
    let list = list(model, db, key, wall)
        .ok()
        .flatten()
        .expect("the caller found a list");
    let popped = std::iter::from_fn(|| pop(list, left)).take(count).collect();
    drop_if_empty(model, db, key);
    popped
}

pub fn run(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    model.counts.list_commands += 1;
    let key = &args[1][..];
    Ok(match name {
        "lpush" | "rpush" | "lpushx" | "rpushx" => {
            let exists = list(model, db, key, wall)?.is_some();
            if name.ends_with('x') && !exists {
                return Ok(out.int(0));
            }
            let list = list_or_create(model, db, key, wall)?;
            for element in &args[2..] {
                push(list, name.starts_with('l'), element.clone());
            }
            let len = list.len();
            out.int(len as i64)
        }
        "lpop" | "rpop" => {
            let count = match args.len() {
                2 => None,
                3 => match parse_i64(&args[2]) {
                    Some(count) if count >= 0 => Some(count as usize),
                    _ => return Err(NOT_POSITIVE),
                },
                _ => {
                    return Err(if name == "lpop" {
                        "ERR wrong number of arguments for 'lpop' command"
                    } else {
                        "ERR wrong number of arguments for 'rpop' command"
                    })
                }
            };
            if list(model, db, key, wall)?.is_none() {
                return Ok(match count {
                    None => out.nil(),
                    Some(_) => {
                        out.0.extend_from_slice(b"*-1\r\n");
                        Expect::Exact
                    }
                });
            }
            match count {
                Some(0) => out.array(0),
                Some(count) => {
                    let popped = pop_many(model, db, key, name == "lpop", count, wall);
                    write_all(out, &popped)
                }
                None => {
                    let popped = pop_many(model, db, key, name == "lpop", 1, wall);
                    out.bulk(&popped[0])
                }
            }
        }
        "llen" => {
            let len = list(model, db, key, wall)?.map_or(0, |list| list.len());
            out.int(len as i64)
        }
        "lindex" => {
            let Some(list) = list(model, db, key, wall)? else {
                return Ok(out.nil());
            };
            let index = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
            let element = position(index, list.len()).map(|index| list[index].clone());
            out.maybe_bulk(element.as_deref())
        }
        "lset" => {
            let list = list(model, db, key, wall)?.ok_or("ERR no such key")?;
            let index = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
            let index = position(index, list.len()).ok_or("ERR index out of range")?;
            list[index] = args[3].clone();
            model.touch(db, key);
            out.ok()
        }
        "lrange" => {
            let start = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
            let stop = parse_i64(&args[3]).ok_or(NOT_INTEGER)?;
            let elements: Vec<Vec<u8>> = match list(model, db, key, wall)? {
                None => Vec::new(),
                Some(list) => list
                    .range(range(start, stop, list.len()))
                    .cloned()
                    .collect(),
            };
            write_all(out, &elements)
        }
        "linsert" => {
            let after = if args[2].eq_ignore_ascii_case(b"AFTER") {
                true
            } else if args[2].eq_ignore_ascii_case(b"BEFORE") {
                false
            } else {
                return Err(SYNTAX);
            };
            let Some(list) = list(model, db, key, wall)? else {
                return Ok(out.int(0));
            };
            let Some(found) = list.iter().position(|element| *element == args[3]) else {
                return Ok(out.int(-1));
            };
            list.insert(found + usize::from(after), args[4].clone());
            let len = list.len();
            out.int(len as i64)
        }
        "lrem" => {
            let count = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
            let Some(list) = list(model, db, key, wall)? else {
                return Ok(out.int(0));
            };
            let mut left = if count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            let mut positions: Vec<usize> = (0..list.len()).collect();
            if count < 0 {
                positions.reverse();
            }
            let mut gone = Vec::new();
            for index in positions {
                if left > 0 && list[index] == args[3] {
                    gone.push(index);
                    left -= 1;
                }
            }
            gone.sort_unstable();
            for index in gone.iter().rev() {
                list.remove(*index);
            }
            drop_if_empty(model, db, key);
            out.int(gone.len() as i64)
        }
        "ltrim" => {
            let start = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
            let stop = parse_i64(&args[3]).ok_or(NOT_INTEGER)?;
            if let Some(list) = list(model, db, key, wall)? {
                let kept = range(start, stop, list.len());
                *list = list.range(kept).cloned().collect();
                model.touch(db, key);
                drop_if_empty(model, db, key);
            }
            out.ok()
        }
        "lpos" => lpos(model, db, args, wall, out)?,
        "lmove" | "rpoplpush" => {
            let (from_left, to_left) = if name == "lmove" {
                (left(&args[3])?, left(&args[4])?)
            } else {
                (false, true)
            };
            let destination = &args[2][..];
            if list(model, db, key, wall)?.is_none() {
                return Ok(out.nil());
            }
            list(model, db, destination, wall)?;
            // Popped and pushed before the source is dropped when empty: a list moving its
            // only element onto itself stays, TTL and all.
            let source = list(model, db, key, wall)?.expect("just seen");
            let element = pop(source, from_left).expect("a list is never empty");
            push(
                list_or_create(model, db, destination, wall)?,
                to_left,
                element.clone(),
            );
            drop_if_empty(model, db, key);
            model.touch(db, key);
            model.touch(db, destination);
            out.bulk(&element)
        }
        "lmpop" => {
            let keys = match parse_i64(&args[1]) {
                Some(keys) if keys > 0 => keys as usize,
                _ => return Err("ERR numkeys should be greater than 0"),
            };
            if keys >= args.len() - 2 {
                return Err(SYNTAX);
            }
            let from_left = left(&args[2 + keys])?;
            // COUNT and its value are read before anything left over is refused.
            let mut count = None;
            let mut options = args[3 + keys..].iter();
            while let Some(option) = options.next() {
                let value = options.next();
                let (None, true, Some(value)) =
                    (count, option.eq_ignore_ascii_case(b"COUNT"), value)
                else {
                    return Err(SYNTAX);
                };
                count = match parse_i64(value) {
                    Some(count) if count > 0 => Some(count as usize),
                    _ => return Err("ERR count should be greater than 0"),
                };
            }
            let count = count.unwrap_or(1);
            for key in &args[2..2 + keys] {
                if list(model, db, key, wall)?.is_some() {
                    let popped = pop_many(model, db, key, from_left, count, wall);
                    out.array(2);
                    out.bulk(key);
                    return Ok(write_all(out, &popped));
                }
            }
            out.0.extend_from_slice(b"*-1\r\n");
            Expect::Exact
        }
        _ => return Err("ERR the model has no such list command"),
    })
}

fn lpos(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let (mut rank, mut count, mut max_len): (i64, Option<usize>, usize) = (1, None, 0);
    let mut options = args[3..].chunks(2);
    for pair in options.by_ref() {
        let [option, value] = pair else {
            return Err(SYNTAX);
        };
        let option = option.to_ascii_uppercase();
        match &option[..] {
            b"RANK" => {
                rank = parse_i64(value).ok_or(NOT_INTEGER)?;
                if rank == 0 {
                    return Err(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from \
                                the second ... or use negative to start from the end of the list",
                    );
                }
            }
            b"COUNT" => {
                count = Some(
                    parse_i64(value)
                        .and_then(|count| usize::try_from(count).ok())
                        .ok_or("ERR COUNT can't be negative")?,
                )
            }
            b"MAXLEN" => {
                max_len = parse_i64(value)
                    .and_then(|len| usize::try_from(len).ok())
                    .ok_or("ERR MAXLEN can't be negative")?
            }
            _ => return Err(SYNTAX),
        }
    }
    let found: Vec<usize> = match list(model, db, &args[1], wall)? {
        None => Vec::new(),
        Some(list) => {
            let len = list.len();
            let compared = if max_len == 0 { len } else { max_len.min(len) };
            let mut order: Vec<usize> = (0..len).collect();
            if rank < 0 {
                order.reverse();
            }
            // i64::MIN has no positive: every match counts, as for -1.
            let skip = if rank == i64::MIN {
                0
            } else {
                (rank.unsigned_abs() - 1) as usize
            };
            let wanted = match count {
                None => 1,
                Some(0) => usize::MAX,
                Some(count) => count,
            };
            order
                .into_iter()
                .take(compared)
                .filter(|&index| list[index] == args[2])
                .skip(skip)
                .take(wanted)
                .collect()
        }
    };
    Ok(match count {
        None => match found.first() {
            Some(&index) => out.int(index as i64),
            None => out.nil(),
        },
        Some(_) => {
            out.array(found.len());
            for index in found {
                out.int(index as i64);
            }
            Expect::Exact
        }
    })
}
