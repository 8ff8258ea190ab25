//! Comparing replies: per-check comparison of a reply pair, SCAN and ZSCAN run to completion, and
//! ZRANDMEMBER's and lex ranges' special cases.

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
        Check::Exact | Check::Encoding | Check::Scan | Check::ZScan | Check::Lex(_) => {
            if ferrodis != redis {
                return mismatch("different replies");
            }
        }
    }
    Ok(())
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

/// ZRANDMEMBER: same shape as Redis's reply; every member ferrodis names exists with the score
/// it gives; a non-negative count gives distinct members.
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
    let with_scores = command
        .args
        .last()
        .is_some_and(|arg| arg.eq_ignore_ascii_case(b"WITHSCORES"));
    let mut items = Vec::new();
    leaves(ours, &mut items);
    let step = if with_scores { 2 } else { 1 };
    let mut members = BTreeSet::new();
    for chunk in items.chunks(step) {
        let Value::Bulk(member) = &chunk[0] else {
            return mismatch("a member is not a string");
        };
        members.insert(member.clone());
        let key = command.args[1].clone();
        let score = send(
            &mut servers.ferrodis,
            &[b"ZSCORE".to_vec(), key, member.clone()],
        );
        let score = parse(&score).expect("ZSCORE reply");
        if matches!(score, Value::Line(b'_', _)) {
            return mismatch("ZRANDMEMBER gave a member that does not exist");
        }
        if with_scores && chunk.get(1) != Some(&score) {
            return mismatch("ZRANDMEMBER gave a score that ZSCORE does not");
        }
    }
    let distinct = command
        .args
        .get(2)
        .is_none_or(|count| !count.starts_with(b"-"));
    if distinct && members.len() != items.len() / step {
        return mismatch("ZRANDMEMBER repeated a member for a positive count");
    }
    Ok(())
}

/// Runs `ZSCAN key 0 ...` to completion: the (member, score) pairs seen, or the first reply if
/// it was not a page.
pub fn zscan_all(
    stream: &mut TcpStream,
    args: &[Vec<u8>],
) -> Result<BTreeSet<Vec<Value>>, Vec<u8>> {
    let mut args = args.to_vec();
    let mut seen = BTreeSet::new();
    for call in 0..SCAN_CALLS_MAX {
        let raw = send(stream, &args);
        let page = match parse(&raw) {
            Some(Value::Aggregate(b'*', page)) if page.len() == 2 => page,
            _ => {
                assert_eq!(call, 0, "a later ZSCAN call failed: {}", show(&raw));
                return Err(raw);
            }
        };
        let (Value::Bulk(cursor), Value::Aggregate(_, items)) = (&page[0], &page[1]) else {
            panic!("ZSCAN page of the wrong shape: {}", show(&raw));
        };
        assert!(items.len() % 2 == 0, "odd ZSCAN page: {}", show(&raw));
        for pair in items.chunks(2) {
            seen.insert(pair.to_vec());
        }
        if cursor == b"0" {
            return Ok(seen);
        }
        args[2] = cursor.clone();
    }
    panic!(
        "ZSCAN did not finish in {SCAN_CALLS_MAX} calls: {}",
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
