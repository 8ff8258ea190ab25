//! Comparing replies: per-check comparison of a reply pair, SCAN, ZSCAN, HSCAN and SSCAN run to
//! completion, unordered replies as multisets, and the special cases of random picks (ZRANDMEMBER,
//! HRANDFIELD, SRANDMEMBER, SPOP) and lex ranges.

use std::collections::BTreeSet;
use std::net::TcpStream;

use crate::generate::{Check, Command};
use crate::reply::{
    bulk_array, integer, keyspace, parse, scan_page, show, show_command, Parser, Value,
};
use crate::{send, Servers, SCAN_CALLS_MAX};

/// Runs `SCAN 0 ...` to completion: the keys seen, or the first reply if it was not a page.
pub fn scan_all(stream: &mut TcpStream, args: &[Vec<u8>]) -> Result<BTreeSet<Vec<u8>>, Vec<u8>> {
    let mut args = args.to_vec();
    let mut seen = BTreeSet::new();
    for call in 0..SCAN_CALLS_MAX {
        let raw = send(stream, &args);
        let Some((cursor, keys)) = scan_page(&raw) else {
            assert_eq!(call, 0, "a later SCAN call failed: {}", show(&raw));
            return Err(raw);
        };
        seen.extend(keys);
        if cursor == b"0" {
            return Ok(seen);
        }
        args[1] = cursor;
    }
    panic!(
        "SCAN did not finish in {SCAN_CALLS_MAX} calls: {}",
        show_command(&args)
    );
}

/// A mismatch report: what differs, then both replies.
fn mismatch(what: &str, ferrodis: &[u8], redis: &[u8]) -> Result<(), String> {
    Err(format!(
        "{what}\n  ferrodis: {}\n  redis:    {}",
        show(ferrodis),
        show(redis)
    ))
}

/// Compares one pair of replies to `command` as its check says; `Err` describes a mismatch.
pub fn compare(
    servers: &mut Servers,
    command: &Command,
    ferrodis: &[u8],
    redis: &[u8],
) -> Result<(), String> {
    let mismatch = |what: &str| mismatch(what, ferrodis, redis);
    match command.check {
        Check::Sorted => match (bulk_array(ferrodis), bulk_array(redis)) {
            (Some(mut ours), Some(mut theirs)) => {
                ours.sort();
                theirs.sort();
                if ours != theirs {
                    return mismatch("different elements");
                }
            }
            _ if ferrodis != redis => return mismatch("different replies"),
            _ => {}
        },
        Check::Unordered(group) => match (parse(ferrodis), parse(redis)) {
            (
                Some(Value::Aggregate(our_marker, ours)),
                Some(Value::Aggregate(their_marker, theirs)),
            ) if our_marker != their_marker || groups(&ours, group) != groups(&theirs, group) => {
                return mismatch("different elements");
            }
            (Some(Value::Aggregate(..)), Some(Value::Aggregate(..))) => {}
            _ if ferrodis != redis => return mismatch("different replies"),
            _ => {}
        },
        Check::RandomKey => {
            let nil = [&b"$-1\r\n"[..], b"_\r\n"];
            if nil.contains(&redis) || redis.starts_with(b"-") {
                if ferrodis != redis {
                    return mismatch("different replies");
                }
            } else {
                let mut parser = Parser {
                    bytes: ferrodis,
                    at: 0,
                };
                let Some(key) = parser.bulk() else {
                    return mismatch("RANDOMKEY did not give a key");
                };
                let exists = send(&mut servers.ferrodis, &[b"EXISTS".to_vec(), key]);
                if exists != b":1\r\n" {
                    return mismatch("RANDOMKEY gave a key that does not exist");
                }
            }
        }
        Check::Approx(tolerance) => match (integer(ferrodis), integer(redis)) {
            (Some(ours), Some(theirs)) => {
                let close = ours >= 0 && theirs >= 0 && ours.abs_diff(theirs) <= tolerance as u64;
                if ours != theirs && !close {
                    return mismatch("different times");
                }
            }
            _ if ferrodis != redis => return mismatch("different replies"),
            _ => {}
        },
        Check::Keyspace => match (keyspace(ferrodis), keyspace(redis)) {
            (Some(ours), Some(theirs)) if ours != theirs => {
                return mismatch("different keyspace counts");
            }
            (Some(_), Some(_)) => {}
            _ if ferrodis != redis => return mismatch("different replies"),
            _ => {}
        },
        Check::RandMember => return check_randmember(servers, command, ferrodis, redis),
        Check::Exact
        | Check::Scan
        | Check::ItemScan(_)
        | Check::Lex(_)
        | Check::Pop
        | Check::AfterErrnoReset => {
            if ferrodis != redis {
                return mismatch("different replies");
            }
        }
    }
    Ok(())
}

/// An unordered reply's elements in groups of `group` (a map's or a flat list's pairs), sorted:
/// equal for two replies that hold the same groups in any order.
fn groups(elements: &[Value], group: usize) -> Vec<Vec<Value>> {
    let mut groups: Vec<Vec<Value>> = elements.chunks(group).map(<[Value]>::to_vec).collect();
    groups.sort();
    groups
}

/// Every leaf of a reply, in order (RESP3's nested pairs and RESP2's flat lists alike).
fn leaves(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Aggregate(_, elements) => {
            for element in elements {
                leaves(element, out);
            }
        }
        leaf => out.push(leaf),
    }
}

/// The reply's shape: markers and lengths, without the contents.
fn shape(value: &Value) -> String {
    match value {
        Value::Bulk(_) => "$".to_string(),
        Value::Line(marker, _) => (*marker as char).to_string(),
        Value::Aggregate(marker, elements) => {
            let inner: Vec<String> = elements.iter().map(shape).collect();
            format!("{}[{}]", *marker as char, inner.join(","))
        }
    }
}

/// ZRANDMEMBER, HRANDFIELD, SRANDMEMBER: same shape as Redis's reply; every member ferrodis
/// names exists with the score or value it gives; a non-negative count gives distinct members.
fn check_randmember(
    servers: &mut Servers,
    command: &Command,
    ferrodis: &[u8],
    redis: &[u8],
) -> Result<(), String> {
    let mismatch = |what: &str| mismatch(what, ferrodis, redis);
    let (Some(ours), Some(theirs)) = (parse(ferrodis), parse(redis)) else {
        return mismatch("unparsable replies");
    };
    let random = matches!(&theirs, Value::Bulk(_))
        || matches!(&theirs, Value::Aggregate(_, elements) if !elements.is_empty());
    if !random {
        return if ferrodis == redis {
            Ok(())
        } else {
            mismatch("different replies")
        };
    }
    if shape(&ours) != shape(&theirs) {
        return mismatch("different shapes");
    }
    let name = command.args[0].to_ascii_uppercase();
    // How ferrodis is asked for a member's score or value (SISMEMBER: whether it is there).
    let lookup: &[u8] = match name.as_slice() {
        b"HRANDFIELD" => b"HGET",
        b"SRANDMEMBER" => b"SISMEMBER",
        _ => b"ZSCORE",
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    let with_values = command.args.last().is_some_and(|arg| {
        arg.eq_ignore_ascii_case(b"WITHSCORES") || arg.eq_ignore_ascii_case(b"WITHVALUES")
    });
    let mut items = Vec::new();
    leaves(ours, &mut items);
    let step = if with_values { 2 } else { 1 };
    let mut members = BTreeSet::new();
    for chunk in items.chunks(step) {
        let Value::Bulk(member) = &chunk[0] else {
            return mismatch("a member is not a string");
        };
        members.insert(member.clone());
        let key = command.args[1].clone();
        let found = send(
            &mut servers.ferrodis,
            &[lookup.to_vec(), key, member.clone()],
        );
        let found = parse(&found).expect("a lookup reply");
        if matches!(&found, Value::Line(b'_', _)) || found == Value::Line(b':', b"0".to_vec()) {
            return mismatch(&format!("{name} gave a member that does not exist"));
        }
        if with_values && chunk.get(1) != Some(&found) {
            return mismatch(&format!(
                "{name} gave a value that {} does not",
                String::from_utf8_lossy(lookup)
            ));
        }
    }
    let distinct = command
        .args
        .get(2)
        .is_none_or(|count| !count.starts_with(b"-"));
    if distinct && members.len() != items.len() / step {
        return mismatch(&format!("{name} repeated a member for a positive count"));
    }
    Ok(())
}

/// SPOP: sent to both after reading the set from Redis (the two agree until then). The replies
/// must have the same shape, and ferrodis must have popped distinct members of the set and
/// left exactly the rest. The two popped different members, so the key is then deleted on
/// both; the DEL replies (0 where SPOP emptied the set) must match too.
pub fn check_pop(servers: &mut Servers, command: &Command) -> Result<(), String> {
    let Some(key) = command.args.get(1).cloned() else {
        let ferrodis = send(&mut servers.ferrodis, &command.args);
        let redis = send(&mut servers.redis, &command.args);
        return compare(servers, command, &ferrodis, &redis);
    };
    let members = |raw: &[u8]| match parse(raw) {
        Some(Value::Aggregate(_, elements)) => Some(elements),
        _ => None,
    };
    let read = [b"SMEMBERS".to_vec(), key.clone()];
    let before = members(&send(&mut servers.redis, &read));
    let ferrodis = send(&mut servers.ferrodis, &command.args);
    let redis = send(&mut servers.redis, &command.args);
    let mismatch = |what: &str| mismatch(what, &ferrodis, &redis);
    let (Some(ours), Some(theirs)) = (parse(&ferrodis), parse(&redis)) else {
        return mismatch("unparsable replies");
    };
    let popped = matches!(&theirs, Value::Bulk(_))
        || matches!(&theirs, Value::Aggregate(_, elements) if !elements.is_empty());
    let Some(before) = before.filter(|_| popped) else {
        return compare(servers, command, &ferrodis, &redis);
    };
    if shape(&ours) != shape(&theirs) {
        return mismatch("different shapes");
    }
    let mut items = Vec::new();
    leaves(ours, &mut items);
    let before: BTreeSet<Value> = before.into_iter().collect();
    let gone: BTreeSet<Value> = items.iter().cloned().collect();
    if gone.len() != items.len() {
        return mismatch("SPOP popped a member twice");
    }
    if !gone.is_subset(&before) {
        return mismatch("SPOP popped a member that was not in the set");
    }
    let after = members(&send(&mut servers.ferrodis, &read)).unwrap_or_default();
    let after: BTreeSet<Value> = after.into_iter().collect();
    if after != &before - &gone {
        let left: Vec<String> = after
            .iter()
            .map(|member| match member {
                Value::Bulk(bytes) => show(bytes),
                other => format!("{other:?}"),
            })
            .collect();
        return Err(format!(
            "SPOP left other members than the rest: {}\n  ferrodis: {}\n  redis:    {}",
            left.join(" "),
            show(&ferrodis),
            show(&redis)
        ));
    }
    let delete = [b"DEL".to_vec(), key];
    let ours = send(&mut servers.ferrodis, &delete);
    let theirs = send(&mut servers.redis, &delete);
    if ours != theirs {
        return Err(format!(
            "different replies to the DEL after SPOP\n  ferrodis: {}\n  redis:    {}",
            show(&ours),
            show(&theirs)
        ));
    }
    Ok(())
}

/// Runs `ZSCAN`, `HSCAN` or `SSCAN key 0 ...` to completion: the items seen, in groups of
/// `group` (member/score or field/value pairs, or members), or the first reply if it was not
/// a page.
pub fn item_scan_all(
    stream: &mut TcpStream,
    args: &[Vec<u8>],
    group: usize,
) -> Result<BTreeSet<Vec<Value>>, Vec<u8>> {
    let mut args = args.to_vec();
    let mut seen = BTreeSet::new();
    for call in 0..SCAN_CALLS_MAX {
        let raw = send(stream, &args);
        let page = match parse(&raw) {
            Some(Value::Aggregate(b'*', page)) if page.len() == 2 => page,
            _ => {
                assert_eq!(call, 0, "a later item SCAN call failed: {}", show(&raw));
                return Err(raw);
            }
        };
        let (Value::Bulk(cursor), Value::Aggregate(_, items)) = (&page[0], &page[1]) else {
            panic!("item SCAN page of the wrong shape: {}", show(&raw));
        };
        assert!(items.len() % group == 0, "odd page: {}", show(&raw));
        for item in items.chunks(group) {
            seen.insert(item.to_vec());
        }
        if cursor == b"0" {
            return Ok(seen);
        }
        args[2] = cursor.clone();
    }
    panic!(
        "{} did not finish in {SCAN_CALLS_MAX} calls: {}",
        show(&args[0]),
        show_command(&args)
    );
}

/// Whether a lex range over `key` is defined in Redis: the key holds no sorted set, or one
/// whose members all have the same score.
pub fn lex_defined(servers: &mut Servers, key: &[u8]) -> bool {
    let args = [
        b"ZRANGE".to_vec(),
        key.to_vec(),
        b"0".to_vec(),
        b"-1".to_vec(),
    ];
    let args = [&args[..], &[b"WITHSCORES".to_vec()]].concat();
    let raw = send(&mut servers.redis, &args);
    let Some(value) = parse(&raw) else {
        return true;
    };
    let mut items = Vec::new();
    leaves(value, &mut items);
    let scores: BTreeSet<&Value> = items.iter().skip(1).step_by(2).collect();
    scores.len() <= 1
}
