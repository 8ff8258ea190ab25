//! SCAN and ZSCAN: the guarantee a cursor gives rather than an exact reply.
//!
//! Redis promises that a full scan (from cursor 0 until it returns 0) returns every element
//! present for the whole scan at least once, and nothing that was never there; it may return an
//! element twice, and the order follows its hash table. The server's table grows, shrinks and
//! rehashes between the calls of one scan, which is what this checks across.
//!
//! A client scans one thing at a time: the world sends the continuation of a scan in progress
//! with the cursor of the last reply (`Session::scan`), and only when nothing else is in flight.
//! Each call checks that what it returned is there now (a member with its score); the model
//! keeps what every call saw present, so that at cursor 0 every element present at each call of
//! the scan must have been returned. Between two calls a key may go and come back: its bucket is
//! only visited during a call, at which time it is present, so it must still be returned.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{format_score, Model, Session, Value, WRONGTYPE};
use crate::reply::{array_body, reply_len, Expect, Out};

/// A scan in progress on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The command as first sent (cursor 0); continuations send it with the last cursor.
    pub args: Vec<Vec<u8>>,
    /// Where the cursor is in `args`.
    pub cursor_at: usize,
    /// The cursor the server returned last.
    pub cursor: Vec<u8>,
    pub db: usize,
    /// Every element a call returned.
    pub returned: BTreeSet<Vec<u8>>,
    /// The elements present at every call so far: each must be returned by the end.
    pub always: BTreeSet<Vec<u8>>,
}

impl Scan {
    /// The next call of this scan.
    pub fn next_args(&self) -> Vec<Vec<u8>> {
        let mut args = self.args.clone();
        args[self.cursor_at] = self.cursor.clone();
        args
    }
}

/// `SCAN cursor [MATCH prefix*] [COUNT n]` or `ZSCAN key cursor [MATCH prefix*] [COUNT n]`.
pub fn run(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Expect {
    let zscan = name == "zscan";
    let cursor_at = if zscan { 2 } else { 1 };
    let prefix = args
        .windows(2)
        .skip(cursor_at)
        .find(|pair| pair[0].eq_ignore_ascii_case(b"MATCH"))
        .map(|pair| pair[1].strip_suffix(b"*").expect("MATCH prefix*").to_vec())
        .unwrap_or_default();
    let db = session.db;
    // What is there now: keys, or members with their scores.
    let present: BTreeMap<Vec<u8>, Option<f64>> = if zscan {
        let key = &args[1];
        match model.dbs[db]
            .get(key)
            .filter(|entry| entry.deadline.is_none_or(|deadline| deadline >= wall))
            .map(|entry| &entry.value)
        {
            None => BTreeMap::new(),
            Some(Value::ZSet(zset)) => zset
                .iter()
                .map(|(member, &score)| (member.clone(), Some(score)))
                .collect(),
            Some(_) => {
                session.scan = None;
                return out.error(WRONGTYPE);
            }
        }
    } else {
        model
            .alive_keys(db, wall)
            .map(|key| (key.clone(), None))
            .collect()
    };
    let mut present: BTreeMap<Vec<u8>, Option<f64>> = present
        .into_iter()
        .filter(|(element, _)| element.starts_with(&prefix))
        .collect();
    if model.wrong_scan {
        present.pop_first();
    }
    let starting = args[cursor_at] == b"0";
    let mut scan = match session.scan.take() {
        Some(scan) if !starting => scan,
        _ => Scan {
            args: args.to_vec(),
            cursor_at,
            cursor: b"0".to_vec(),
            db,
            returned: BTreeSet::new(),
            always: present.keys().cloned().collect(),
        },
    };
    if scan.db == db {
        scan.always.retain(|element| present.contains_key(element));
    } else {
        // SELECT moved the connection: the cursor now walks another keyspace.
        scan.always.clear();
        scan.db = db;
    }
    let Some(reply) = model.observed.take() else {
        // Nothing to learn from (a script's call): any shape is refused.
        return out.error("the simulator sends SCAN only where it sees the reply");
    };
    match check_reply(&reply, zscan, &present, &mut scan) {
        Ok(()) => {
            out.0.extend_from_slice(&reply);
            if scan.cursor != b"0" {
                session.scan = Some(scan);
            } else {
                model.counts.scans_completed += 1;
                if !starting {
                    model.counts.scans_several_calls += 1;
                }
            }
            Expect::Exact
        }
        Err(why) => out.error(&format!("(the scan oracle) {why}")),
    }
}

/// Parses one reply of a scan: `[cursor, [elements]]`; checks each element against `present`
/// and, at the end of the scan, that nothing present throughout was missed.
fn check_reply(
    reply: &[u8],
    zscan: bool,
    present: &BTreeMap<Vec<u8>, Option<f64>>,
    scan: &mut Scan,
) -> Result<(), String> {
    let (2, at) = array_body(reply).ok_or("not an array")? else {
        return Err("not a two-element array".into());
    };
    let (cursor, at) = bulk(reply, at).ok_or("no cursor")?;
    let digits = !cursor.is_empty() && cursor.iter().all(u8::is_ascii_digit);
    if !digits || (cursor.len() > 1 && cursor[0] == b'0') {
        return Err(format!(
            "cursor {:?} is not a number",
            cursor.escape_ascii()
        ));
    }
    let (count, mut at) = array_body(&reply[at..])
        .map(|(count, len)| (count, at + len))
        .ok_or("no element array")?;
    let mut elements = Vec::new();
    for _ in 0..count {
        let (element, next) = bulk(reply, at).ok_or("an element is not a bulk string")?;
        elements.push(element);
        at = next;
    }
    if at != reply.len() {
        return Err("bytes after the element array".into());
    }
    let width = if zscan { 2 } else { 1 };
    if elements.len() % width != 0 {
        return Err("members without scores".into());
    }
    for item in elements.chunks(width) {
        let Some(score) = present.get(&item[0]) else {
            return Err(format!(
                "returned {:?}, which is not there",
                item[0].escape_ascii().to_string()
            ));
        };
        if let (Some(score), Some(text)) = (score, item.get(1)) {
            let mut expected = Vec::new();
            format_score(*score, &mut expected);
            if *text != expected {
                return Err(format!(
                    "returned {:?} with score {:?}, not {:?}",
                    item[0].escape_ascii().to_string(),
                    text.escape_ascii().to_string(),
                    expected.escape_ascii().to_string()
                ));
            }
        }
        scan.returned.insert(item[0].clone());
    }
    scan.cursor = cursor;
    if scan.cursor == b"0" {
        if let Some(missed) = scan.always.difference(&scan.returned).next() {
            return Err(format!(
                "the scan ended without {:?}, present at every call",
                missed.escape_ascii().to_string()
            ));
        }
    }
    Ok(())
}

/// The bulk string at `reply[at..]` and where it ends.
fn bulk(reply: &[u8], at: usize) -> Option<(Vec<u8>, usize)> {
    let rest = reply.get(at..)?;
    if rest.first() != Some(&b'$') {
        return None;
    }
    let len = reply_len(rest)?;
    let header = rest.windows(2).position(|w| w == b"\r\n")? + 2;
    Some((rest[header..len - 2].to_vec(), at + len))
}
