//! The model's commands: what Redis 7.0 replies to each command the simulator sends, given the
//! model's keyspace and the wall-clock time at which the server ran it.

use std::collections::BTreeMap;

use crate::model::{
    parse_i64, parse_score, rank_range, sorted, Entry, Model, Session, Transaction, Value,
    NOT_FLOAT, NOT_INTEGER, SYNTAX, WRONGTYPE,
};
use crate::reply::{Expect, Out};

/// Redis's arity of the commands the simulator sends (N exact, -N at least N).
fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "get" | "getdel" | "incr" | "decr" | "strlen" | "type" | "ttl" | "pttl" | "persist"
        | "zcard" | "keys" | "echo" | "select" | "hlen" | "hkeys" | "hvals" | "hgetall"
        | "scard" | "smembers" => 2,
        "getbit" => 3,
        "setbit" => 4,
        "bitcount" | "bitfield" | "bitfield_ro" => -2,
        "bitpos" => -3,
        "bitop" => -4,
        "setnx" | "getset" | "incrby" | "incrbyfloat" | "decrby" | "append" | "rename"
        | "renamenx" | "zscore" | "zrank" | "move" | "hget" | "hstrlen" | "hexists"
        | "sismember" => 3,
        "getrange" | "setrange" | "zincrby" | "zcount" | "hsetnx" | "hincrby" | "smove" => 4,
        "dbsize" => 1,
        "scan" => -2,
        "zscan" => -3,
        "set" | "mset" | "copy" | "expire" | "pexpire" | "pexpireat" | "zrem" | "hmget"
        | "hdel" | "sadd" | "srem" | "smismember" | "sintercard" | "sinterstore"
        | "sunionstore" | "sdiffstore" => -3,
        "mget" | "del" | "unlink" | "exists" | "zpopmin" | "watch" | "object" | "config"
        | "hrandfield" | "spop" | "srandmember" | "sinter" | "sunion" | "sdiff" => -2,
        "zadd" | "zrange" | "zrangebyscore" | "hset" | "hmset" => -4,
        "flushdb" | "ping" | "quit" => -1,
        "auth" | "acl" => -2,
        "multi" | "exec" | "discard" | "unwatch" => 1,
        _ => {
            return crate::exec_lists::arity(name)
                .or_else(|| crate::exec_waiting::arity(name))
                .or_else(|| crate::exec_scripts::arity(name))
        }
    })
}

/// Does the model know this command (any case)?
pub fn known(name: &[u8]) -> bool {
    arity(&String::from_utf8_lossy(name).to_ascii_lowercase()).is_some()
}

fn int_arg(bytes: &[u8]) -> Result<i64> {
    parse_i64(bytes).ok_or(NOT_INTEGER)
}

/// Runs one command on the model, writing the expected reply into `out`; between MULTI and
/// EXEC, queues it as Redis does.
pub fn execute(
    model: &mut Model,
    session: &mut Session,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Vec<u8>,
) -> Expect {
    let mut out = Out(out);
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let checked = check(&name, args)
        .and_then(|()| permission_check(model, session, &name))
        .and_then(|()| subscriber_check(model, session, &name));
    if let (Err(error), "exec") = (&checked, name.as_str()) {
        // A refused EXEC ends the transaction, if any (Redis's execCommandAbort).
        session.transaction = None;
        model.unwatch_all(session.client);
        let reason = error.strip_prefix("ERR ").unwrap_or(error);
        return out.error(&format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ));
    }
    if let Some(transaction) = session.transaction.as_mut() {
        match checked {
            Err(error) => {
                transaction.aborted = true;
                return out.error(&error);
            }
            // These run at once inside MULTI.
            Ok(())
                if matches!(
                    name.as_str(),
                    "multi" | "exec" | "discard" | "watch" | "quit"
                ) => {}
            Ok(()) => {
                // The core counts each argument's bytes plus 16 bytes of its bookkeeping.
                let bytes: usize = args.iter().map(|arg| arg.len() + 16).sum();
                // An aborted transaction keeps nothing more, and cannot fill up.
                let full = transaction.queued_bytes + bytes > model.query_buffer_bytes_max;
                if full && !transaction.aborted {
                    transaction.aborted = true;
                    return out.error(&format!(
                        "ERR transaction queue is full (at most 1048576 commands and {} bytes of \
                         arguments, the client-query-buffer-limit)",
                        model.query_buffer_bytes_max
                    ));
                } else if !transaction.aborted {
                    transaction.queued_bytes += bytes;
                    transaction.queued.push(args.to_vec());
                }
                return out.simple("QUEUED");
            }
        }
    } else if let Err(error) = checked {
        return out.error(&error);
    }
    match run(model, session, &name, args, wall, &mut out) {
        Ok(expect) => expect,
        Err(error) => out.error(error),
    }
}

/// Redis's checks before running or queuing: a known name, the arity.
fn check(name: &str, args: &[Vec<u8>]) -> std::result::Result<(), String> {
    let Some(arity) = arity(name) else {
        let mut listed = String::new();
        for arg in &args[1..] {
            listed.push_str(&format!("'{}' ", String::from_utf8_lossy(arg)));
        }
        return Err(format!(
            "ERR unknown command '{}', with args beginning with: {listed}",
            String::from_utf8_lossy(&args[0])
        ));
    };
    let count = args.len() as i32;
    if (arity > 0 && count != arity) || count < -arity {
        return Err(format!(
            "ERR wrong number of arguments for '{name}' command"
        ));
    }
    Ok(())
}

/// Whether the connection's user may not run `name`: the restricted user `limited` is denied
/// the commands in `Model::denied` (unless the model is told to forget them).
pub(crate) fn denied(model: &Model, session: &Session, name: &str) -> bool {
    session.limited && !model.wrong_acl && model.denied.contains(name)
}

/// Redis's ACL check, after the arity and before the pub/sub context.
fn permission_check(
    model: &mut Model,
    session: &Session,
    name: &str,
) -> std::result::Result<(), String> {
    if denied(model, session, name) {
        model.counts.acl_denials += 1;
        return Err(format!(
            "NOPERM this user has no permissions to run the '{name}' command"
        ));
    }
    Ok(())
}

/// AUTH user password (both users have `nopass`), ACL SETUSER limited +name|-name, ACL
/// WHOAMI.
fn acl(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    out: &mut Out<'_>,
) -> Result<Expect> {
    let word = |index: usize| String::from_utf8_lossy(&args[index]).to_ascii_lowercase();
    Ok(match (name, args.len()) {
        ("auth", 3) => {
            session.limited = word(1) == "limited";
            out.ok()
        }
        ("acl", 2) if word(1) == "whoami" => out.bulk(if session.limited {
            b"limited"
        } else {
            b"default"
        }),
        ("acl", 4) if word(1) == "setuser" => {
            let rule = word(3);
            match rule.split_at(1) {
                ("+", command) => model.denied.remove(command),
                (_, command) => model.denied.insert(command.to_string()),
            };
            model.counts.acl_changes += 1;
            out.ok()
        }
        _ => return Err("ERR the simulator sends AUTH user pass, ACL WHOAMI and ACL SETUSER"),
    })
}

/// A RESP2 connection subscribed to anything runs only the pub/sub context's commands.
fn subscriber_check(
    model: &Model,
    session: &Session,
    name: &str,
) -> std::result::Result<(), String> {
    let subscribed = model
        .subscriptions(session.client)
        .is_some_and(crate::exec_waiting::Subscriptions::any);
    if subscribed && !crate::exec_waiting::subscriber_context(name) {
        return Err(format!(
            "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context"
        ));
    }
    Ok(())
}

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
fn transaction(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    Ok(match name {
        "multi" => {
            if session.transaction.is_some() {
                return Err("ERR MULTI calls can not be nested");
            }
            session.transaction = Some(Transaction::default());
            out.ok()
        }
        "discard" => {
            if session.transaction.take().is_none() {
                return Err("ERR DISCARD without MULTI");
            }
            model.unwatch_all(session.client);
            out.ok()
        }
        "watch" => {
            if session.transaction.is_some() {
                return Err("ERR WATCH inside MULTI is not allowed");
            }
            if !model.invalidated.contains(&session.client) {
                for key in &args[1..] {
                    model.watch(session.client, session.db, key, wall);
                }
            }
            out.ok()
        }
        "unwatch" => {
            model.unwatch_all(session.client);
            out.ok()
        }
        _ => {
            let Some(transaction) = session.transaction.take() else {
                return Err("ERR EXEC without MULTI");
            };
            let failed = model.watch_failed(session.client, wall);
            model.unwatch_all(session.client);
            if transaction.aborted {
                return Err("EXECABORT Transaction discarded because of previous errors.");
            }
            if failed {
                out.0.extend_from_slice(b"*-1\r\n");
                return Ok(Expect::Exact);
            }
            out.array(transaction.queued.len());
            // The server's EXEC reply, one element per queued command (see `Model::observed`).
            // The server's EXEC reply, one element per queued command (see `Model::observed`);
            // an element may be several frames (see `reply::span`), known once its command ran.
            let observed = model.observed.take();
            let mut cursor = observed
                .as_deref()
                .and_then(crate::reply::array_body)
                .filter(|&(count, _)| count == transaction.queued.len());
            let mut items = Vec::with_capacity(transaction.queued.len());
            model.in_exec = true;
            for queued in &transaction.queued {
                let rest = cursor.and_then(|(_, at)| observed.as_deref().map(|o| &o[at..]));
                model.observed = rest
                    .and_then(|rest| crate::reply::reply_len(rest).map(|len| rest[..len].to_vec()));
                let mut bytes = Vec::new();
                let mut item = Out(&mut bytes);
                let name = String::from_utf8_lossy(&queued[0]).to_ascii_lowercase();
                // Watches are settled after every command: one may change a key and a later
                // one put it back, and that is still a change.
                let watched = model.watch_snapshot(wall);
                let expect = if denied(model, session, &name) {
                    // The rules changed since it was queued: EXEC checks again.
                    model.counts.acl_denials += 1;
                    item.error(
                        "NOPERM ACLs rules changed between the moment the transaction was \
                         accumulated and the EXEC call. This command is no longer allowed for \
                         the following reason: no permission to execute the command or \
                         subcommand",
                    )
                } else {
                    match run(model, session, &name, queued, wall, &mut item) {
                        Ok(expect) => expect,
                        Err(error) => item.error(error),
                    }
                };
                model.settle_watches(watched, wall);
                cursor = cursor.and_then(|(count, at)| {
                    let rest = &observed.as_deref()?[at..];
                    (!rest.is_empty())
                        .then(|| crate::reply::span(&expect, &bytes, rest))
                        .flatten()
                        .map(|len| (count, at + len))
                });
                items.push((expect, bytes));
            }
            model.observed = None;
            model.in_exec = false;
            if items.iter().all(|(expect, _)| *expect == Expect::Exact) {
                for (_, bytes) in items {
                    out.0.extend_from_slice(&bytes);
                }
                Expect::Exact
            } else {
                Expect::Items(items)
            }
        }
    })
}

const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

type Result<T> = std::result::Result<T, &'static str>;

/// Runs one command on the model (not queued): what EXEC and scripts run.
pub(crate) fn run(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let db = session.db;
    let key = args.get(1).map_or(&[][..], |k| &k[..]);
    Ok(match name {
        "multi" | "exec" | "discard" | "watch" | "unwatch" => {
            return transaction(model, session, name, args, wall, out);
        }
        "eval" | "evalsha" | "script" => {
            return crate::exec_scripts::run(model, session, name, args, wall, out);
        }
        "auth" | "acl" => return acl(model, session, name, args, out),
        "ping"
            if args.len() <= 2 && model.subscriptions(session.client).is_some_and(|s| s.any()) =>
        {
            // A RESP2 subscriber reads everything as messages: PING answers as one.
            out.array(2);
            out.bulk(b"pong");
            out.bulk(args.get(1).map_or(&[][..], |text| &text[..]))
        }
        "ping" => match args.len() {
            1 => out.simple("PONG"),
            2 => out.bulk(&args[1]),
            _ => return Err("ERR wrong number of arguments for 'ping' command"),
        },
        "echo" => out.bulk(&args[1]),
        "quit" => out.ok(),
        "select" => {
            let index = int_arg(&args[1])?;
            if index < 0 || index as usize >= model.dbs.len() {
                return Err("ERR DB index is out of range");
            }
            session.db = index as usize;
            out.ok()
        }
        "get" => {
            let value = model.string(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.maybe_bulk(value.map(|v| &v[..]))
        }
        "set" => set(model, db, args, wall, out)?,
        "setnx" => {
            if model.exists(db, key, wall) {
                out.int(0)
            } else {
                model.set_string(db, key, args[2].clone(), None);
                out.int(1)
            }
        }
        "getset" => {
            let old = model.string(db, key, wall).map_err(|_| WRONGTYPE)?.cloned();
            model.set_string(db, key, args[2].clone(), None);
            model.touch(db, key);
            out.maybe_bulk(old.as_deref())
        }
        "getdel" => {
            let old = model.string(db, key, wall).map_err(|_| WRONGTYPE)?.cloned();
            model.dbs[db].remove(key);
            out.maybe_bulk(old.as_deref())
        }
        "mget" => {
            out.array(args.len() - 1);
            for key in &args[1..] {
                match model.string(db, key, wall) {
                    Ok(Some(value)) => {
                        let value = value.clone();
                        out.bulk(&value)
                    }
                    _ => out.nil(),
                };
            }
            Expect::Exact
        }
        "mset" => {
            if args.len().is_multiple_of(2) {
                return Err("ERR wrong number of arguments for 'mset' command");
            }
            for pair in args[1..].chunks(2) {
                model.set_string(db, &pair[0], pair[1].clone(), None);
                model.touch(db, &pair[0]);
            }
            out.ok()
        }
        "incr" | "decr" | "incrby" | "decrby" => {
            let by = match name {
                "incr" => 1,
                "decr" => -1,
                "incrby" => int_arg(&args[2])?,
                _ => {
                    let by = int_arg(&args[2])?;
                    if by == i64::MIN {
                        return Err("ERR decrement would overflow");
                    }
                    -by
                }
            };
            let current = match model.string(db, key, wall).map_err(|_| WRONGTYPE)? {
                None => 0,
                Some(value) => int_arg(value)?,
            };
            let next = current
                .checked_add(by)
                .ok_or("ERR increment or decrement would overflow")?;
            let text = next.to_string().into_bytes();
            match model.string(db, key, wall).expect("checked") {
                Some(value) => *value = text,
                None => model.set_string(db, key, text, None),
            }
            model.touch(db, key);
            out.int(next)
        }
        "incrbyfloat" => crate::exec_floats::incrbyfloat(model, db, args, wall, out)?,
        "scan" | "zscan" => crate::exec_scan::run(model, session, name, args, wall, out),
        "append" => {
            let current = model.string(db, key, wall).map_err(|_| WRONGTYPE)?;
            if current.map_or(0, |v| v.len()) + args[2].len() > model.bulk_bytes_max {
                return Err(TOO_BIG);
            }
            let len = match model.string(db, key, wall).map_err(|_| WRONGTYPE)? {
                Some(value) => {
                    value.extend_from_slice(&args[2]);
                    value.len()
                }
                None => {
                    model.set_string(db, key, args[2].clone(), None);
                    args[2].len()
                }
            };
            model.touch(db, key);
            out.int(len as i64)
        }
        "strlen" => {
            let value = model.string(db, key, wall).map_err(|_| WRONGTYPE)?;
            out.int(value.map_or(0, |v| v.len() as i64))
        }
        "getrange" => {
            let (start, end) = (int_arg(&args[2])?, int_arg(&args[3])?);
            let value = model.string(db, key, wall).map_err(|_| WRONGTYPE)?;
            let value = value.map_or(&[][..], |v| &v[..]);
            out.bulk(getrange(value, start, end))
        }
        "setrange" => {
            let offset = int_arg(&args[2])?;
            if offset < 0 {
                return Err("ERR offset is out of range");
            }
            let offset = offset as usize;
            let piece = &args[3];
            model.string(db, key, wall).map_err(|_| WRONGTYPE)?;
            if !piece.is_empty() && offset + piece.len() > model.bulk_bytes_max {
                return Err(TOO_BIG);
            }
            let len = match model.string(db, key, wall).map_err(|_| WRONGTYPE)? {
                Some(value) => {
                    if !piece.is_empty() {
                        if value.len() < offset + piece.len() {
                            value.resize(offset + piece.len(), 0);
                        }
                        value[offset..offset + piece.len()].copy_from_slice(piece);
                    }
                    value.len()
                }
                None if piece.is_empty() => 0,
                None => {
                    let mut value = vec![0; offset];
                    value.extend_from_slice(piece);
                    let len = value.len();
                    model.set_string(db, key, value, None);
                    len
                }
            };
            if !piece.is_empty() {
                model.touch(db, key);
            }
            out.int(len as i64)
        }
        "setbit" | "getbit" | "bitcount" | "bitpos" | "bitop" | "bitfield" | "bitfield_ro" => {
            return crate::exec_bits::run(model, db, name, args, wall, out);
        }
        _ if crate::exec_waiting::arity(name).is_some() => {
            return crate::exec_waiting::run(model, session, name, args, wall, out)
        }
        _ => return crate::exec_keys::run(model, session, name, args, wall, out),
    })
}

fn getrange(value: &[u8], start: i64, end: i64) -> &[u8] {
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { (len + end).max(0) } else { end };
    let end = end.min(len - 1);
    if start > end || len == 0 {
        return &[];
    }
    &value[start as usize..=end as usize]
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds]
fn set(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let (mut nx, mut xx, mut get, mut deadline) = (false, false, false, None);
    let mut at = 3;
    while at < args.len() {
        let option = args[at].to_ascii_uppercase();
        match &option[..] {
            b"NX" if !xx => nx = true,
            b"XX" if !nx => xx = true,
            b"GET" => get = true,
            b"EX" | b"PX" if deadline.is_none() && at + 1 < args.len() => {
                at += 1;
                let amount = int_arg(&args[at])?;
                let unit = if option == b"EX" { 1000 } else { 1 };
                if amount <= 0 || amount > i64::MAX / unit - wall.max(0) {
                    return Err("ERR invalid expire time in 'set' command");
                }
                deadline = Some(wall + amount * unit);
            }
            _ => return Err(SYNTAX),
        }
        at += 1;
    }
    let key = &args[1][..];
    let old = match model.live(db, key, wall) {
        None => None,
        Some(Entry {
            value: Value::Str(value),
            ..
        }) => Some(value.clone()),
        Some(_) if get => return Err(WRONGTYPE),
        Some(_) => Some(Vec::new()),
    };
    let perform = !(nx && old.is_some() || xx && old.is_none());
    if perform {
        model.set_string(db, key, args[2].clone(), deadline);
        model.touch(db, key);
    }
    Ok(if get {
        out.maybe_bulk(old.as_deref())
    } else if perform {
        out.ok()
    } else {
        out.nil()
    })
}

/// The sorted set at `key` for a write, created empty when missing.
pub fn zset_for_write<'m>(
    model: &'m mut Model,
    db: usize,
    key: &[u8],
    wall: i64,
) -> Result<&'m mut BTreeMap<Vec<u8>, f64>> {
    model.create_if_missing(db, key, wall, Value::ZSet(BTreeMap::new()));
    model
        .zset(db, key, wall)
        .map_err(|_| WRONGTYPE)
        .map(|z| z.expect("just created"))
}

/// Deletes the key of a collection left empty, as Redis does.
pub fn drop_if_empty(model: &mut Model, db: usize, key: &[u8]) {
    let empty = match model.dbs[db].get(key).map(|entry| &entry.value) {
        Some(Value::ZSet(z)) => z.is_empty(),
        Some(Value::Hash(hash)) => hash.fields.is_empty(),
        Some(Value::Set(set)) => set.members.is_empty(),
        Some(Value::List(list)) => list.is_empty(),
        Some(Value::Str(_)) | None => false,
    };
    if empty {
        model.dbs[db].remove(key);
    }
}

pub fn score_arg(bytes: &[u8]) -> Result<f64> {
    parse_score(bytes).ok_or(NOT_FLOAT)
}

pub fn sorted_members(zset: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
    sorted(zset)
        .into_iter()
        .map(|(m, s)| (m.clone(), s))
        .collect()
}

pub fn ranks(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    rank_range(start, stop, len)
}
