//! The model's key, expiry and sorted-set commands.

use crate::exec::{drop_if_empty, ranks, score_arg, sorted_members, zset_for_write};
use crate::model::{
    in_range, parse_bound, parse_i64, Entry, Model, Session, Value, NOT_INTEGER, SYNTAX, WRONGTYPE,
};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

fn int_arg(bytes: &[u8]) -> Result<i64> {
    parse_i64(bytes).ok_or(NOT_INTEGER)
}

fn clone_entry(entry: &Entry) -> Entry {
    Entry {
        value: match &entry.value {
            Value::Str(s) => Value::Str(s.clone()),
            Value::ZSet(z) => Value::ZSet(z.clone()),
            Value::Hash(hash) => Value::Hash(hash.clone()),
            Value::Set(set) => Value::Set(set.clone()),
            Value::List(list) => Value::List(list.clone()),
        },
        deadline: entry.deadline,
    }
}

pub fn run(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let db = session.db;
    let key = &args[1.min(args.len() - 1)][..];
    Ok(match name {
        "del" | "unlink" => {
            let mut removed = 0;
            for key in &args[1..] {
                if model.exists(db, key, wall) {
                    model.dbs[db].remove(&key[..]);
                    // A script may put back what it deleted: the key was touched all the same.
                    model.touch(db, key);
                    removed += 1;
                }
            }
            out.int(removed)
        }
        "exists" => {
            let found = args[1..]
                .iter()
                .filter(|k| model.exists(db, k, wall))
                .count();
            out.int(found as i64)
        }
        "type" => match model.live(db, key, wall).map(|entry| &entry.value) {
            None => out.simple("none"),
            Some(Value::Str(_)) => out.simple("string"),
            Some(Value::ZSet(_)) => out.simple("zset"),
            Some(Value::Hash(_)) => out.simple("hash"),
            Some(Value::Set(_)) => out.simple("set"),
            Some(Value::List(_)) => out.simple("list"),
        },
        "move" => {
            let target = int_arg(&args[2])?;
            if i32::try_from(target).is_err() {
                return Err(NOT_INTEGER);
            }
            if target < 0 || target as usize >= model.dbs.len() {
                return Err("ERR DB index is out of range");
            }
            let target = target as usize;
            if target == db {
                return Err("ERR source and destination objects are the same");
            }
            if !model.exists(db, key, wall) || model.exists(target, key, wall) {
                return Ok(out.int(0));
            }
            // The TTL goes along.
            let entry = model.dbs[db].remove(key).expect("exists");
            model.dbs[target].insert(key.to_vec(), entry);
            out.int(1)
        }
        "object" => {
            if args.len() != 3 || !args[1].eq_ignore_ascii_case(b"ENCODING") {
                return Err("ERR the simulator sends only OBJECT ENCODING key");
            }
            let value = model.live(db, &args[2], wall).map(|entry| &entry.value);
            let encoding: &[u8] = match value {
                None => return Ok(out.nil()),
                Some(Value::Hash(hash)) if hash.big => b"hashtable",
                Some(Value::Hash(_)) => b"listpack",
                Some(Value::Set(set)) if set.big => b"hashtable",
                Some(Value::Set(_)) => b"intset",
                Some(Value::List(_)) => b"quicklist",
                // Encodings the model does not follow (strings, sorted sets): any that Redis 7.0
                // may report.
                Some(Value::Str(_) | Value::ZSet(_)) => {
                    let names: &[&[u8]] = match value {
                        Some(Value::Str(_)) => &[b"int", b"embstr", b"raw"],
                        _ => &[b"skiplist", b"listpack"],
                    };
                    let replies = names
                        .iter()
                        .map(|name| {
                            let mut reply = Vec::new();
                            Out(&mut reply).bulk(name);
                            reply
                        })
                        .collect();
                    return Ok(Expect::OneOf(replies));
                }
            };
            model.counts.encoding_checks += 1;
            out.bulk(encoding)
        }
        "config" => {
            // CONFIG SET name value [name value]: the encoding limits only.
            let pairs = &args[2..];
            if !args[1].eq_ignore_ascii_case(b"SET") || pairs.is_empty() || pairs.len() % 2 == 1 {
                return Err("ERR the simulator sends only CONFIG SET of the encoding limits");
            }
            let mut limits = model.limits;
            for pair in pairs.chunks(2) {
                let text = std::str::from_utf8(&pair[1]).unwrap_or("");
                let name = pair[0].to_ascii_lowercase();
                if let b"list-max-listpack-size" | b"list-max-ziplist-size" = &name[..] {
                    limits.list_fill = text
                        .parse()
                        .map_err(|_| "ERR the simulator sends only limits in plain digits")?;
                    continue;
                }
                let value = text
                    .parse::<usize>()
                    .map_err(|_| "ERR the simulator sends only limits in plain digits")?;
                match &name[..] {
                    b"hash-max-listpack-entries" | b"hash-max-ziplist-entries" => {
                        limits.hash_entries = value
                    }
                    b"hash-max-listpack-value" | b"hash-max-ziplist-value" => {
                        limits.hash_value_bytes = value
                    }
                    b"set-max-intset-entries" => limits.intset_entries = value,
                    _ => {
                        return Err(
                            "ERR the simulator sends only CONFIG SET of the encoding limits",
                        )
                    }
                }
            }
            model.limits = limits;
            out.ok()
        }
        "rename" | "renamenx" => {
            if !model.exists(db, key, wall) {
                return Err("ERR no such key");
            }
            let nx = name == "renamenx";
            if args[1] == args[2] {
                return Ok(if nx { out.int(0) } else { out.ok() });
            }
            if nx && model.exists(db, &args[2], wall) {
                return Ok(out.int(0));
            }
            let entry = model.dbs[db].remove(key).expect("exists");
            model.dbs[db].insert(args[2].clone(), entry);
            model.touch(db, &args[2]);
            if nx {
                out.int(1)
            } else {
                out.ok()
            }
        }
        "copy" => {
            let mut replace = false;
            for option in &args[3..] {
                if option.eq_ignore_ascii_case(b"REPLACE") {
                    replace = true;
                } else {
                    return Err(SYNTAX);
                }
            }
            if args[1] == args[2] {
                return Err("ERR source and destination objects are the same");
            }
            let Some(entry) = model.live(db, key, wall).map(|e| clone_entry(e)) else {
                return Ok(out.int(0));
            };
            if model.exists(db, &args[2], wall) && !replace {
                return Ok(out.int(0));
            }
            model.dbs[db].insert(args[2].clone(), entry);
            model.touch(db, &args[2]);
            out.int(1)
        }
        "dbsize" => model.dbsize(db, wall),
        "flushdb" => {
            if args.len() > 2 {
                return Err(SYNTAX);
            }
            model.dbs[db].clear();
            out.ok()
        }
        "keys" => {
            if args[1] != b"*" {
                return Err("ERR the simulator only sends KEYS *");
            }
            Expect::SortedBulks(model.alive_keys(db, wall).cloned().collect())
        }
        "expire" | "pexpire" | "pexpireat" => {
            // Redis reads the options before the amount.
            let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
            for option in &args[3..] {
                match &option.to_ascii_uppercase()[..] {
                    b"NX" => nx = true,
                    b"XX" => xx = true,
                    b"GT" => gt = true,
                    b"LT" => lt = true,
                    _ => return Err("ERR the simulator sends only NX, XX, GT and LT"),
                }
            }
            if nx && (xx || gt || lt) {
                return Err("ERR NX and XX, GT or LT options at the same time are not compatible");
            }
            if gt && lt {
                return Err("ERR GT and LT options at the same time are not compatible");
            }
            let amount = int_arg(&args[2])?;
            let deadline = match name {
                "expire" => wall + amount * 1000,
                "pexpire" => wall + amount,
                _ => amount,
            };
            match model.live(db, key, wall) {
                None => out.int(0),
                // No TTL counts as an infinite one.
                Some(entry)
                    if (nx && entry.deadline.is_some())
                        || (xx && entry.deadline.is_none())
                        || (gt && entry.deadline.is_none_or(|current| deadline <= current))
                        || (lt && entry.deadline.is_some_and(|current| deadline >= current)) =>
                {
                    out.int(0)
                }
                Some(entry) => {
                    if deadline <= wall {
                        // Redis deletes a key given a deadline in the past at once.
                        model.dbs[db].remove(key);
                    } else {
                        entry.deadline = Some(deadline);
                        model.touch(db, key);
                    }
                    out.int(1)
                }
            }
        }
        "ttl" | "pttl" => match model.live(db, key, wall) {
            None => out.int(-2),
            Some(Entry { deadline: None, .. }) => out.int(-1),
            Some(Entry {
                deadline: Some(deadline),
                ..
            }) => {
                let left = *deadline - wall;
                out.int(if name == "ttl" {
                    (left + 500) / 1000
                } else {
                    left
                })
            }
        },
        "persist" => match model.live(db, key, wall) {
            Some(entry) if entry.deadline.is_some() => {
                entry.deadline = None;
                out.int(1)
            }
            _ => out.int(0),
        },
        _ => return zsets(model, db, name, args, wall, out),
    })
}

fn zsets(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let key = &args[1][..];
    Ok(match name {
        "zadd" => zadd(model, db, args, wall, out)?,
        "zincrby" => {
            let by = score_arg(&args[2])?;
            let zset = zset_for_write(model, db, key, wall)?;
            let score = zset.get(&args[3]).copied().unwrap_or(0.0) + by;
            if score.is_nan() {
                drop_if_empty(model, db, key);
                return Err("ERR resulting score is not a number (NaN)");
            }
            zset.insert(args[3].clone(), score);
            out.score(score)
        }
        "zrem" => {
            let Some(zset) = model.zset(db, key, wall).map_err(|_| WRONGTYPE)? else {
                return Ok(out.int(0));
            };
            let removed = args[2..]
                .iter()
                .filter(|m| zset.remove(&m[..]).is_some())
                .count();
            drop_if_empty(model, db, key);
            out.int(removed as i64)
        }
        "zscore" => {
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            match zset.and_then(|z| z.get(&args[2]).copied()) {
                Some(score) => out.score(score),
                None => out.nil(),
            }
        }
        "zcard" => {
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(zset.map_or(0, |z| z.len() as i64))
        }
        "zrank" => {
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            let members = zset.map(|z| sorted_members(z)).unwrap_or_default();
            match members.iter().position(|(m, _)| *m == args[2]) {
                Some(rank) => out.int(rank as i64),
                None => out.nil(),
            }
        }
        "zrange" => {
            let (start, stop) = (int_arg(&args[2])?, int_arg(&args[3])?);
            let withscores = match &args[4..] {
                [] => false,
                [option] if option.eq_ignore_ascii_case(b"WITHSCORES") => true,
                _ => return Err(SYNTAX),
            };
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            let members = zset.map(|z| sorted_members(z)).unwrap_or_default();
            let picked = match ranks(start, stop, members.len()) {
                Some((low, high)) => &members[low..=high],
                None => &[][..],
            };
            write_members(out, picked, withscores)
        }
        "zrangebyscore" | "zcount" => {
            let bound = |b: &[u8]| parse_bound(b).ok_or("ERR min or max is not a float");
            let (min, max) = (bound(&args[2])?, bound(&args[3])?);
            let withscores = match &args[4..] {
                [] => false,
                [option]
                    if name == "zrangebyscore" && option.eq_ignore_ascii_case(b"WITHSCORES") =>
                {
                    true
                }
                _ => return Err(SYNTAX),
            };
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            let members = zset.map(|z| sorted_members(z)).unwrap_or_default();
            let picked: Vec<(Vec<u8>, f64)> = members
                .into_iter()
                .filter(|&(_, score)| in_range(score, min, max))
                .collect();
            if name == "zcount" {
                out.int(picked.len() as i64)
            } else {
                write_members(out, &picked, withscores)
            }
        }
        "zpopmin" => {
            let count = match args.get(2) {
                None => None,
                Some(count) => {
                    let count = int_arg(count)?;
                    if count < 0 {
                        return Err("ERR value is out of range, must be positive");
                    }
                    Some(count as usize)
                }
            };
            if args.len() > 3 {
                return Err(SYNTAX);
            }
            let zset = model.zset(db, key, wall).map_err(|_| WRONGTYPE)?;
            let members = zset.map(|z| sorted_members(z)).unwrap_or_default();
            let take = count.unwrap_or(1).min(members.len());
            if let Some(zset) = model.zset(db, key, wall).expect("checked") {
                for (member, _) in &members[..take] {
                    zset.remove(member);
                }
            }
            drop_if_empty(model, db, key);
            write_members(out, &members[..take], true)
        }
        _ => return crate::exec_hashes::run(model, db, name, args, wall, out),
    })
}

fn write_members(out: &mut Out<'_>, members: &[(Vec<u8>, f64)], withscores: bool) -> Expect {
    out.array(members.len() * if withscores { 2 } else { 1 });
    for (member, score) in members {
        out.bulk(member);
        if withscores {
            out.score(*score);
        }
    }
    Expect::Exact
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
fn zadd(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, false);
    let mut at = 2;
    while at < args.len() {
        let flag = args[at].to_ascii_uppercase();
        match &flag[..] {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            b"CH" => ch = true,
            b"INCR" => incr = true,
            _ => break,
        }
        at += 1;
    }
    let pairs = &args[at..];
    if pairs.is_empty() || pairs.len() % 2 == 1 {
        return Err(SYNTAX);
    }
    if nx && xx {
        return Err("ERR XX and NX options at the same time are not compatible");
    }
    if (gt || lt) && nx || (gt && lt) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && pairs.len() > 2 {
        return Err("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        scores.push(score_arg(&pair[0])?);
    }
    if let Some(Entry {
        value: Value::Str(_),
        ..
    }) = model.live(db, &args[1], wall)
    {
        return Err(WRONGTYPE);
    }
    if xx && !model.exists(db, &args[1], wall) {
        // Redis creates nothing with XX.
        return Ok(if incr { out.nil() } else { out.int(0) });
    }
    let zset = zset_for_write(model, db, &args[1], wall)?;
    let (mut added, mut changed) = (0, 0);
    let mut incr_result = None;
    for (pair, &score) in pairs.chunks(2).zip(&scores) {
        let member = &pair[1];
        match zset.get(member).copied() {
            None => {
                if xx {
                    continue;
                }
                zset.insert(member.clone(), score);
                added += 1;
                incr_result = Some(score);
            }
            Some(current) => {
                if nx {
                    continue;
                }
                let new = if incr { current + score } else { score };
                if new.is_nan() {
                    drop_if_empty(model, db, &args[1]);
                    return Err("ERR resulting score is not a number (NaN)");
                }
                if (gt && new <= current) || (lt && new >= current) {
                    continue;
                }
                incr_result = Some(new);
                if new != current {
                    zset.insert(member.clone(), new);
                    changed += 1;
                }
            }
        }
    }
    // A member set to another score and back within one ZADD ends as it was, but Redis
    // counts each update: the key is signalled as modified (WATCH sees it).
    if added + changed > 0 {
        model.touch(db, &args[1]);
    }
    drop_if_empty(model, db, &args[1]);
    Ok(if incr {
        match incr_result {
            Some(score) => out.score(score),
            None => out.nil(),
        }
    } else {
        out.int(if ch { added + changed } else { added })
    })
}
