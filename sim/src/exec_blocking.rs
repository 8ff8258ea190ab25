//! The model's blocking pops: BLPOP, BRPOP, BLMPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX,
//! BZMPOP.
//!
//! A blocking pop that finds something answers as its non-blocking twin. One that finds nothing
//! answers `Expect::Blocks` where it may block (a RESP connection, outside EXEC) and a null
//! otherwise; the world then registers it as a `Waiter` (`Model::block`) and, when the server
//! answers it later, `Model::serve` checks the reply: the key it names held something to pop,
//! no client that blocked on that key earlier could have taken it instead (first blocked, first
//! served), and the values are the model's. A null array is a timeout, which the world checks
//! against the waiter's deadline.

use std::collections::VecDeque;

use crate::exec::{drop_if_empty, sorted_members, zset_for_write};
use crate::model::{parse_i64, Model, Session, Value, SYNTAX, WRONGTYPE};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// What a blocking command pops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pops {
    List,
    ZSet,
}

/// How a blocking command pops, once it has a key.
#[derive(Debug, Clone, PartialEq)]
enum How {
    /// BLPOP, BRPOP: [key, element].
    Pop { left: bool },
    /// BLMPOP: [key, [element ...]].
    Many { left: bool, count: usize },
    /// BLMOVE, BRPOPLPUSH: the element, pushed onto the destination.
    Move {
        destination: Vec<u8>,
        from_left: bool,
        to_left: bool,
    },
    /// BZPOPMIN, BZPOPMAX: [key, member, score].
    ZPop { max: bool },
    /// BZMPOP: [key, [[member, score] ...]].
    ZMany { max: bool, count: usize },
}

impl How {
    fn pops(&self) -> Pops {
        match self {
            How::Pop { .. } | How::Many { .. } | How::Move { .. } => Pops::List,
            How::ZPop { .. } | How::ZMany { .. } => Pops::ZSet,
        }
    }
}

/// A blocking command, parsed as the server parses it (errors in its order).
struct Blocking {
    keys: Vec<Vec<u8>>,
    timeout_ms: u64,
    how: How,
}

/// A client waiting for a key: registered when the server left its command unanswered.
#[derive(Debug, Clone)]
pub struct Waiter {
    pub client: u64,
    pub db: usize,
    /// Each key once, in the command's order.
    pub keys: Vec<Vec<u8>>,
    pub pops: Pops,
    /// Monotonic milliseconds; None waits for ever.
    pub deadline_ms: Option<u64>,
    pub args: Vec<Vec<u8>>,
    /// The server asked to close its connection: it is no longer served.
    pub closing: bool,
}

/// Redis 7.0's timeout: seconds as a float, times 1000, truncated; negative is an error.
fn timeout_arg(arg: &[u8]) -> Result<u64> {
    let seconds: f64 = std::str::from_utf8(arg)
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|seconds: &f64| seconds.is_finite())
        .ok_or("ERR timeout is not a float or out of range")?;
    let millis = (seconds * 1000.0).trunc();
    if millis < 0.0 {
        return Err("ERR timeout is negative");
    }
    Ok(millis as u64)
}

fn left(arg: &[u8]) -> Result<bool> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn max(arg: &[u8]) -> Result<bool> {
    if arg.eq_ignore_ascii_case(b"MAX") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"MIN") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

/// BLMPOP's and BZMPOP's `numkeys key [key ...] END [COUNT count]`.
struct MultiPop<'a> {
    keys: Vec<Vec<u8>>,
    end: &'a [u8],
    count: usize,
}

/// `numkeys key [key ...] END [COUNT count]` of BLMPOP and BZMPOP, from `args[2..]`.
fn multi_pop(args: &[Vec<u8>]) -> Result<MultiPop<'_>> {
    let keys = match parse_i64(&args[2]) {
        Some(keys) if keys > 0 => keys as usize,
        _ => return Err("ERR numkeys should be greater than 0"),
    };
    if keys >= args.len() - 3 {
        return Err(SYNTAX);
    }
    let end = &args[3 + keys][..];
    let mut count = None;
    let mut options = args[4 + keys..].iter();
    while let Some(option) = options.next() {
        let value = options.next();
        let (None, true, Some(value)) = (count, option.eq_ignore_ascii_case(b"COUNT"), value)
        else {
            return Err(SYNTAX);
        };
        count = match parse_i64(value) {
            Some(count) if count > 0 => Some(count as usize),
            _ => return Err("ERR count should be greater than 0"),
        };
    }
    Ok(MultiPop {
        keys: args[3..3 + keys].to_vec(),
        end,
        count: count.unwrap_or(1),
    })
}

fn parse(name: &str, args: &[Vec<u8>]) -> Result<Blocking> {
    let last = args.len() - 1;
    Ok(match name {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let timeout_ms = timeout_arg(&args[last])?;
            let how = match name {
                "blpop" => How::Pop { left: true },
                "brpop" => How::Pop { left: false },
                "bzpopmin" => How::ZPop { max: false },
                _ => How::ZPop { max: true },
            };
            Blocking {
                keys: args[1..last].to_vec(),
                timeout_ms,
                how,
            }
        }
        "blmpop" | "bzmpop" => {
            let MultiPop { keys, end, count } = multi_pop(args)?;
            let how = if name == "blmpop" {
                How::Many {
                    left: left(end)?,
                    count,
                }
            } else {
                How::ZMany {
                    max: max(end)?,
                    count,
                }
            };
            Blocking {
                keys,
                timeout_ms: timeout_arg(&args[1])?,
                how,
            }
        }
        "brpoplpush" => Blocking {
            keys: vec![args[1].clone()],
            timeout_ms: timeout_arg(&args[3])?,
            how: How::Move {
                destination: args[2].clone(),
                from_left: false,
                to_left: true,
            },
        },
        _ => {
            let (from_left, to_left) = (left(&args[3])?, left(&args[4])?);
            Blocking {
                keys: vec![args[1].clone()],
                timeout_ms: timeout_arg(&args[5])?,
                how: How::Move {
                    destination: args[2].clone(),
                    from_left,
                    to_left,
                },
            }
        }
    })
}

/// Does `key` hold what `pops` takes (Ok(false): nothing there; Err: another type)?
fn holds(model: &mut Model, db: usize, key: &[u8], pops: Pops, wall: i64) -> Result<bool> {
    match (model.live(db, key, wall).map(|entry| &entry.value), pops) {
        (None, _) => Ok(false),
        (Some(Value::List(_)), Pops::List) | (Some(Value::ZSet(_)), Pops::ZSet) => Ok(true),
        (Some(_), _) => Err(WRONGTYPE),
    }
}

/// Does `key` hold what `pops` takes, without removing an expired key (the world's checks)?
pub fn holds_now(model: &Model, db: usize, key: &[u8], pops: Pops, wall: i64) -> bool {
    let entry = model.dbs[db]
        .get(key)
        .filter(|entry| entry.deadline.is_none_or(|deadline| deadline >= wall));
    matches!(
        (entry.map(|entry| &entry.value), pops),
        (Some(Value::List(_)), Pops::List) | (Some(Value::ZSet(_)), Pops::ZSet)
    )
}

fn list<'m>(model: &'m mut Model, db: usize, key: &[u8], wall: i64) -> &'m mut VecDeque<Vec<u8>> {
    match model.live(db, key, wall).map(|entry| &mut entry.value) {
        Some(Value::List(list)) => list,
        _ => unreachable!("the caller found a list"),
    }
}

/// Pops from `key`, which holds what `how` pops, as the non-blocking twin would.
fn pop_from(
    model: &mut Model,
    db: usize,
    key: &[u8],
    how: &How,
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    match how {
        How::Pop { left } => {
            let element = take(list(model, db, key, wall), *left);
            drop_if_empty(model, db, key);
            out.array(2);
            out.bulk(key);
            out.bulk(&element);
        }
        How::Many { left, count } => {
            let list = list(model, db, key, wall);
            let popped: Vec<Vec<u8>> = (0..(*count).min(list.len()))
                .map(|_| take(list, *left))
                .collect();
            drop_if_empty(model, db, key);
            out.array(2);
            out.bulk(key);
            out.array(popped.len());
            for element in &popped {
                out.bulk(element);
            }
        }
        How::Move {
            destination,
            from_left,
            to_left,
        } => {
            // As LMOVE: the destination's type is checked before anything moves.
            if !matches!(
                model.live(db, destination, wall).map(|entry| &entry.value),
                None | Some(Value::List(_))
            ) {
                return Err(WRONGTYPE);
            }
            let element = take(list(model, db, key, wall), *from_left);
            model.create_if_missing(db, destination, wall, Value::List(VecDeque::new()));
            let target = list(model, db, destination, wall);
            if *to_left {
                target.push_front(element.clone());
            } else {
                target.push_back(element.clone());
            }
            drop_if_empty(model, db, key);
            model.touch(db, key);
            model.touch(db, destination);
            out.bulk(&element);
        }
        How::ZPop { max } => {
            let (member, score) = zpop(model, db, key, *max, 1, wall).remove(0);
            out.array(3);
            out.bulk(key);
            out.bulk(&member);
            out.score(score);
        }
        How::ZMany { max, count } => {
            let popped = zpop(model, db, key, *max, *count, wall);
            out.array(2);
            out.bulk(key);
            out.array(popped.len());
            for (member, score) in &popped {
                out.array(2);
                out.bulk(member);
                out.score(*score);
            }
        }
    }
    Ok(Expect::Exact)
}

fn take(list: &mut VecDeque<Vec<u8>>, left: bool) -> Vec<u8> {
    if left {
        list.pop_front()
    } else {
        list.pop_back()
    }
    .expect("a list is never empty")
}

/// Pops up to `count` members from the low (or `max`: high) end.
fn zpop(
    model: &mut Model,
    db: usize,
    key: &[u8],
    max: bool,
    count: usize,
    wall: i64,
) -> Vec<(Vec<u8>, f64)> {
    let zset = zset_for_write(model, db, key, wall).expect("the caller found a sorted set");
    let mut members = sorted_members(zset);
    if max {
        members.reverse();
    }
    members.truncate(count);
    for (member, _) in &members {
        zset.remove(member);
    }
    drop_if_empty(model, db, key);
    members
}

/// A blocking command's first run: it pops from the first of its keys that holds something, or
/// waits (`Expect::Blocks`) where it may, or answers a null.
pub(crate) fn blocking(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let command = parse(name, args)?;
    let pops = command.how.pops();
    for key in &command.keys {
        if holds(model, db, key, pops, wall)? {
            return pop_from(model, db, key, &command.how, wall, out);
        }
    }
    if !model.in_exec {
        return Ok(Expect::Blocks);
    }
    // Inside EXEC nothing waits: a null array, or a null for BLMOVE as for LMOVE.
    Ok(match command.how {
        How::Move { .. } => out.nil(),
        _ => {
            out.0.extend_from_slice(b"*-1\r\n");
            Expect::Exact
        }
    })
}

impl Model {
    /// The server left `client`'s blocking command unanswered: it must have found nothing, and
    /// now waits. `now_ms` is the monotonic time it blocked at.
    pub fn block(
        &mut self,
        session: &Session,
        args: &[Vec<u8>],
        now_ms: u64,
        wall: i64,
    ) -> std::result::Result<(), String> {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        if session.transaction.is_some()
            || self
                .subscriptions(session.client)
                .is_some_and(crate::exec_pubsub::Subscriptions::any)
        {
            return Err(format!("{name} queued or refused, yet unanswered"));
        }
        let mut scratch = Vec::new();
        let result = crate::exec::execute(self, &mut session.clone(), args, wall, &mut scratch);
        if result != Expect::Blocks {
            return Err(format!(
                "{name} left unanswered, but the model answers {:?}",
                String::from_utf8_lossy(&scratch)
            ));
        }
        let command = parse(&name, args).expect("it blocked, so it parsed");
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for key in command.keys {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        self.waiters.push(Waiter {
            client: session.client,
            db: session.db,
            keys,
            pops: command.how.pops(),
            deadline_ms: (command.timeout_ms > 0).then(|| now_ms + command.timeout_ms),
            args: args.to_vec(),
            closing: false,
        });
        Ok(())
    }

    pub fn waiter(&self, client: u64) -> Option<&Waiter> {
        self.waiters.iter().find(|waiter| waiter.client == client)
    }

    /// The server answered `client`'s blocked command with `reply`, not a timeout: writes the
    /// model's answer into `out`, or says why the server should not have served it so.
    pub fn serve(
        &mut self,
        client: u64,
        reply: &[u8],
        wall: i64,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        let at = self
            .waiters
            .iter()
            .position(|waiter| waiter.client == client)
            .expect("the caller found a waiter");
        let waiter = self.waiters.remove(at);
        let name = String::from_utf8_lossy(&waiter.args[0]).to_ascii_lowercase();
        let command = parse(&name, &waiter.args).expect("it blocked, so it parsed");
        // The reply names the key it was served from, except BLMOVE's (one key).
        let key = match &command.how {
            How::Move { .. } => waiter.keys[0].clone(),
            _ => crate::reply::items(reply)
                .and_then(|items| items.first().and_then(|item| crate::reply::bulk(item)))
                .ok_or_else(|| format!("{name} served with a reply that names no key"))?,
        };
        if !waiter.keys.contains(&key) {
            return Err(format!(
                "{name} served from {:?}, not one of its keys",
                String::from_utf8_lossy(&key)
            ));
        }
        if !holds_now(self, waiter.db, &key, waiter.pops, wall) {
            return Err(format!(
                "{name} served from {:?}, which holds nothing it pops",
                String::from_utf8_lossy(&key)
            ));
        }
        // First blocked, first served: no client that blocked on this key before (after, in
        // the deliberately wrong model) could have taken it, unless its connection is closing.
        let earlier = if self.wrong_waiting {
            &self.waiters[at..]
        } else {
            &self.waiters[..at]
        };
        if let Some(first) = earlier.iter().find(|other| {
            !other.closing
                && other.db == waiter.db
                && other.pops == waiter.pops
                && other.keys.contains(&key)
        }) {
            return Err(format!(
                "{name} of client {client} served from {:?} before client {} that blocked on \
                 it earlier (first blocked, first served)",
                String::from_utf8_lossy(&key),
                first.client
            ));
        }
        let eligible = |other: &&Waiter| {
            !other.closing
                && other.db == waiter.db
                && other.pops == waiter.pops
                && other.keys.contains(&key)
        };
        if self.waiters.iter().any(|other| eligible(&other)) {
            self.counts.contended_serves += 1;
        }
        let mut writer = Out(out);
        match pop_from(self, waiter.db, &key, &command.how, wall, &mut writer) {
            Ok(_) => Ok(()),
            // A BLMOVE whose destination holds another type keeps waiting in the server,
            // answers the error (Redis does too), or moves: the model takes the error.
            Err(error) => {
                writer.error(error);
                Ok(())
            }
        }
    }

    /// The server timed `client`'s blocked command out.
    pub fn time_out(&mut self, client: u64) -> Waiter {
        let at = self
            .waiters
            .iter()
            .position(|waiter| waiter.client == client)
            .expect("the caller found a waiter");
        self.waiters.remove(at)
    }

    /// `client`'s connection is closing (or gone): it waits for nothing and receives nothing
    /// from now on.
    pub fn mark_closing(&mut self, client: u64) {
        for waiter in &mut self.waiters {
            if waiter.client == client {
                waiter.closing = true;
            }
        }
    }
}
