//! The model's hash commands. Replies whose order is the server's (HKEYS, HVALS, HGETALL) are
//! compared in any order; HRANDFIELD's picks are checked to be fields (and values) of the hash,
//! distinct for a positive count, as many as Redis gives.

use crate::exec::drop_if_empty;
use crate::model::{parse_i64, Hash, Model, Value, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

fn int_arg(bytes: &[u8]) -> Result<i64> {
    parse_i64(bytes).ok_or(NOT_INTEGER)
}

/// The hash at `key` for a write, created empty when missing.
fn hash_for_write<'m>(
    model: &'m mut Model,
    db: usize,
    key: &[u8],
    wall: i64,
) -> Result<&'m mut Hash> {
    model.create_if_missing(db, key, wall, Value::Hash(Hash::default()));
    model
        .hash(db, key, wall)
        .map_err(|_| WRONGTYPE)
        .map(|hash| hash.expect("just created"))
}

/// Sets `pairs` in the hash at `key` (created when missing): the number of new fields. Redis
/// counts the write as a change even when every value was there already.
fn set_pairs(
    model: &mut Model,
    db: usize,
    key: &[u8],
    pairs: &[Vec<u8>],
    wall: i64,
) -> Result<i64> {
    let limits = model.limits;
    let hash = hash_for_write(model, db, key, wall)?;
    let was_big = hash.big;
    let mut added = 0;
    for pair in pairs.chunks(2) {
        added += i64::from(hash.insert(&pair[0], &pair[1], limits));
    }
    if hash.big && !was_big {
        model.counts.conversions += 1;
    }
    model.touch(db, key);
    Ok(added)
}

pub fn run(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    if crate::exec_lists::arity(name).is_some() {
        return crate::exec_lists::run(model, db, name, args, wall, out);
    }
    if !name.starts_with('h') {
        return crate::exec_sets::run(model, db, name, args, wall, out);
    }
    model.counts.hash_commands += 1;
    let key = &args[1][..];
    Ok(match name {
        "hset" | "hmset" => {
            if args.len() % 2 == 1 {
                return Err(if name == "hset" {
                    "ERR wrong number of arguments for 'hset' command"
                } else {
                    "ERR wrong number of arguments for 'hmset' command"
                });
            }
            let added = set_pairs(model, db, key, &args[2..], wall)?;
            if name == "hset" {
                out.int(added)
            } else {
                out.ok()
            }
        }
        "hsetnx" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            if hash.is_some_and(|hash| hash.fields.contains_key(&args[2])) {
                out.int(0)
            } else {
                set_pairs(model, db, key, &args[2..], wall)?;
                out.int(1)
            }
        }
        "hget" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            let value = hash.and_then(|hash| hash.fields.get(&args[2]));
            out.maybe_bulk(value.map(|v| &v[..]))
        }
        "hmget" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.array(args.len() - 2);
            for field in &args[2..] {
                out.maybe_bulk(
                    hash.as_ref()
                        .and_then(|hash| hash.fields.get(field))
                        .map(|v| &v[..]),
                );
            }
            Expect::Exact
        }
        "hdel" => {
            let Some(hash) = model.hash(db, key, wall).map_err(|_| WRONGTYPE)? else {
                return Ok(out.int(0));
            };
            let removed = args[2..]
                .iter()
                .filter(|field| hash.fields.remove(&field[..]).is_some())
                .count();
            drop_if_empty(model, db, key);
            out.int(removed as i64)
        }
        "hlen" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(hash.map_or(0, |hash| hash.fields.len() as i64))
        }
        "hstrlen" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            let value = hash.and_then(|hash| hash.fields.get(&args[2]));
            out.int(value.map_or(0, |value| value.len() as i64))
        }
        "hexists" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(i64::from(
                hash.is_some_and(|hash| hash.fields.contains_key(&args[2])),
            ))
        }
        "hkeys" | "hvals" | "hgetall" => {
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            let fields = hash.map(|hash| hash.fields.clone()).unwrap_or_default();
            match name {
                "hkeys" => Expect::SortedBulks(fields.into_keys().collect()),
                "hvals" => {
                    let mut values: Vec<Vec<u8>> = fields.into_values().collect();
                    values.sort();
                    Expect::SortedBulks(values)
                }
                _ => Expect::SortedPairs(fields.into_iter().collect()),
            }
        }
        "hincrby" => {
            // Redis reads the increment before it looks at the hash.
            let by = int_arg(&args[3])?;
            let hash = model.hash(db, key, wall).map_err(|_| WRONGTYPE)?;
            let current = match hash.and_then(|hash| hash.fields.get(&args[2])) {
                None => 0,
                Some(value) => parse_i64(value).ok_or("ERR hash value is not an integer")?,
            };
            let next = current
                .checked_add(by)
                .ok_or("ERR increment or decrement would overflow")?;
            let pair = [args[2].clone(), next.to_string().into_bytes()];
            set_pairs(model, db, key, &pair, wall)?;
            out.int(next)
        }
        "hrandfield" => hrandfield(model, db, args, wall, out)?,
        _ => unreachable!("the arity table lists {name}"),
    })
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let count = match args.get(2) {
        None => None,
        Some(count) => Some(crate::exec_sets::count_arg(count)?),
    };
    let with_values = match &args[2.min(args.len())..] {
        [] | [_] => false,
        [_, option] if option.eq_ignore_ascii_case(b"WITHVALUES") => true,
        _ => return Err(SYNTAX),
    };
    if with_values && count.is_some_and(|count| count.unsigned_abs() > i64::MAX as u64 / 2) {
        return Err("ERR value is out of range");
    }
    let hash = model.hash(db, &args[1], wall).map_err(|_| WRONGTYPE)?;
    let Some(hash) = hash else {
        return Ok(match count {
            None => out.nil(),
            Some(_) => out.array(0),
        });
    };
    let from = hash
        .fields
        .iter()
        .map(|(field, value)| {
            if with_values {
                vec![field.clone(), value.clone()]
            } else {
                vec![field.clone()]
            }
        })
        .collect();
    Ok(match count {
        Some(0) => out.array(0),
        None => crate::exec_sets::picks(from, 1, true),
        Some(count) if count > 0 => {
            let count = (count as usize).min(hash.fields.len());
            crate::exec_sets::picks(from, count, false)
        }
        Some(count) => Expect::Picks {
            from,
            count: count.unsigned_abs() as usize,
            distinct: false,
            single: false,
        },
    })
}
