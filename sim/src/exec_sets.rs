//! The model's set commands. Replies whose order is the server's (SMEMBERS, SINTER, SUNION,
//! SDIFF) are compared in any order. SRANDMEMBER's picks are checked to be members, distinct for
//! a positive count, as many as Redis gives; SPOP's too, and then the model removes the members
//! the server's reply names (`Model::observed`).

use std::collections::BTreeSet;

use crate::exec::drop_if_empty;
use crate::model::{parse_i64, Model, Set, Value, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::reply::{picked, Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// The count of SRANDMEMBER and HRANDFIELD: any integer but `i64::MIN`.
pub fn count_arg(bytes: &[u8]) -> Result<i64> {
    match parse_i64(bytes) {
        None => Err(NOT_INTEGER),
        Some(i64::MIN) => Err(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ),
        Some(count) => Ok(count),
    }
}

/// `count` distinct picks of `from` (sorted); `single` is one bulk string, not an array.
pub fn picks(from: Vec<Vec<Vec<u8>>>, count: usize, single: bool) -> Expect {
    Expect::Picks {
        from,
        count,
        distinct: true,
        single,
    }
}

/// Adds `members` to the set at `key` (created when missing): the number added. Nothing is
/// written, and nothing touched, when every member is there already.
fn add_members(
    model: &mut Model,
    db: usize,
    key: &[u8],
    members: &[Vec<u8>],
    wall: i64,
) -> Result<i64> {
    let limits = model.limits;
    model.create_if_missing(db, key, wall, Value::Set(Set::default()));
    let set = model
        .set(db, key, wall)
        .map_err(|_| WRONGTYPE)?
        .expect("just created");
    let was_big = set.big;
    let added = members
        .iter()
        .filter(|member| set.insert(member, limits))
        .count();
    if set.big && !was_big {
        model.counts.conversions += 1;
    }
    Ok(added as i64)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Inter,
    Union,
    Diff,
}

impl Operation {
    /// The operation of SINTER, SUNION or SDIFF, or of their STORE forms.
    fn of(name: &str) -> Operation {
        match name.trim_end_matches("store") {
            "sinter" => Operation::Inter,
            "sunion" => Operation::Union,
            _ => Operation::Diff,
        }
    }
}

/// `operation` over the sets at `keys`, a missing key an empty set, after checking every key's
/// type as Redis does.
fn operation(
    model: &mut Model,
    db: usize,
    keys: &[Vec<u8>],
    operation: Operation,
    wall: i64,
) -> Result<BTreeSet<Vec<u8>>> {
    let mut sets = Vec::with_capacity(keys.len());
    for key in keys {
        let set = model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
        sets.push(set.map(|set| set.members.clone()).unwrap_or_default());
    }
    let mut sets = sets.into_iter();
    let first = sets.next().expect("the arity gives a key");
    Ok(sets.fold(first, |result, set| match operation {
        Operation::Inter => result.intersection(&set).cloned().collect(),
        Operation::Union => result.union(&set).cloned().collect(),
        Operation::Diff => result.difference(&set).cloned().collect(),
    }))
}

pub fn run(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    model.counts.set_commands += 1;
    let key = &args[1][..];
    Ok(match name {
        "sadd" => {
            model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(add_members(model, db, key, &args[2..], wall)?)
        }
        "srem" => {
            let Some(set) = model.set(db, key, wall).map_err(|_| WRONGTYPE)? else {
                return Ok(out.int(0));
            };
            let removed = args[2..]
                .iter()
                .filter(|member| set.members.remove(&member[..]))
                .count();
            drop_if_empty(model, db, key);
            out.int(removed as i64)
        }
        "sismember" => {
            let set = model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(i64::from(
                set.is_some_and(|set| set.members.contains(&args[2])),
            ))
        }
        "smismember" => {
            let set = model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.array(args.len() - 2);
            for member in &args[2..] {
                out.int(i64::from(
                    set.as_ref().is_some_and(|set| set.members.contains(member)),
                ));
            }
            Expect::Exact
        }
        "scard" => {
            let set = model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(set.map_or(0, |set| set.members.len() as i64))
        }
        "smembers" => {
            let set = model.set(db, key, wall).map_err(|_| WRONGTYPE)?;
            Expect::SortedBulks(
                set.map(|set| set.members.iter().cloned().collect())
                    .unwrap_or_default(),
            )
        }
        "smove" => {
            let (destination, member) = (&args[2], &args[3]);
            // A missing source answers 0 before the destination's type is looked at.
            if model.set(db, key, wall).map_err(|_| WRONGTYPE)?.is_none() {
                return Ok(out.int(0));
            }
            model.set(db, destination, wall).map_err(|_| WRONGTYPE)?;
            let source = model.set(db, key, wall).expect("checked").expect("checked");
            if !source.members.contains(member) {
                return Ok(out.int(0));
            }
            if key == &destination[..] {
                return Ok(out.int(1));
            }
            source.members.remove(member);
            drop_if_empty(model, db, key);
            add_members(model, db, destination, std::slice::from_ref(member), wall)?;
            out.int(1)
        }
        "sinter" | "sunion" | "sdiff" => {
            let result = operation(model, db, &args[1..], Operation::of(name), wall)?;
            Expect::SortedBulks(result.into_iter().collect())
        }
        "sinterstore" | "sunionstore" | "sdiffstore" => {
            let result = operation(model, db, &args[2..], Operation::of(name), wall)?;
            // The destination is replaced whatever it held (its TTL goes too), or deleted.
            model.live(db, key, wall);
            model.dbs[db].remove(key);
            if !result.is_empty() {
                let members: Vec<Vec<u8>> = result.iter().cloned().collect();
                add_members(model, db, key, &members, wall)?;
                model.touch(db, key);
            }
            out.int(result.len() as i64)
        }
        "sintercard" => sintercard(model, db, args, wall, out)?,
        "spop" => spop(model, db, args, wall, out)?,
        "srandmember" => {
            if args.len() > 3 {
                return Err(SYNTAX);
            }
            let count = args.get(2).map(|count| count_arg(count)).transpose()?;
            let Some(set) = model.set(db, key, wall).map_err(|_| WRONGTYPE)? else {
                return Ok(match count {
                    None => out.nil(),
                    Some(_) => out.array(0),
                });
            };
            let from = set
                .members
                .iter()
                .map(|member| vec![member.clone()])
                .collect();
            match count {
                None => picks(from, 1, true),
                Some(0) => out.array(0),
                Some(count) if count > 0 => {
                    picks(from, (count as usize).min(set.members.len()), false)
                }
                Some(count) => Expect::Picks {
                    from,
                    count: count.unsigned_abs() as usize,
                    distinct: false,
                    single: false,
                },
            }
        }
        _ => unreachable!("the arity table lists {name}"),
    })
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let keys = match parse_i64(&args[1]) {
        Some(keys) if keys > 0 => keys as usize,
        _ => return Err("ERR numkeys should be greater than 0"),
    };
    if keys > args.len() - 2 {
        return Err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0;
    let mut at = 2 + keys;
    while at < args.len() {
        if !args[at].eq_ignore_ascii_case(b"LIMIT") || at + 1 == args.len() {
            return Err(SYNTAX);
        }
        limit = match parse_i64(&args[at + 1]) {
            Some(limit) if limit >= 0 => limit as usize,
            _ => return Err("ERR LIMIT can't be negative"),
        };
        at += 2;
    }
    let inter = operation(model, db, &args[2..2 + keys], Operation::Inter, wall)?;
    // LIMIT 0 is no limit.
    let count = if limit == 0 {
        inter.len()
    } else {
        inter.len().min(limit)
    };
    Ok(out.int(count as i64))
}

/// SPOP key [count]: the picks are checked like SRANDMEMBER's; the model then removes the
/// members the server's reply names (all of them when the count covers the set).
fn spop(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let count = match args.get(2).map(|count| parse_i64(count)) {
        None => None,
        Some(Some(count)) if count >= 0 => Some(count as usize),
        Some(_) => return Err("ERR value is out of range, must be positive"),
    };
    let key = &args[1][..];
    let observed = model.observed.take();
    let Some(set) = model.set(db, key, wall).map_err(|_| WRONGTYPE)? else {
        return Ok(match count {
            None => out.nil(),
            Some(_) => out.array(0),
        });
    };
    if count == Some(0) {
        return Ok(out.array(0));
    }
    let take = count.unwrap_or(1).min(set.members.len());
    let from = set
        .members
        .iter()
        .map(|member| vec![member.clone()])
        .collect();
    let expect = picks(from, take, count.is_none());
    if take == set.members.len() {
        set.members.clear();
    } else if let Some(popped) = observed.and_then(|reply| picked(&expect, &reply)) {
        for member in popped {
            set.members.remove(&member);
        }
    }
    drop_if_empty(model, db, key);
    Ok(expect)
}
