//! The book's door (docs/book-protocol.md): the requests book clients send, and the model's
//! tagged replies for them, framed byte for byte.
//!
//! Book clients share the RESP clients' keyspace. The book's ten commands (names matched
//! exactly, lowercase) have the book's semantics: `set` keeps a TTL, `zadd` answers 0 for any
//! update, `del` removes any type, a negative `pexpire` removes the TTL, a wrong argument count is
//! error 1 "unknown command.", and so is one of their names in another case (`GET`). Any other
//! name the RESP table knows runs with Redis's semantics
//! (the model's RESP2 reply, turned into the nearest tags); any other name is error 1.
//!
//! The model writes its own tags here rather than calling the core's writers, so that it stays
//! an independent oracle; requests are encoded with the core's `encode_request`, as the brief of
//! a client would.

use crate::entropy::Rng;
use crate::exec;
use crate::generate::{self, Args, SCORES};
use crate::model::{parse_score, sorted, Entry, Model, Session, Value};
use crate::options::Options;
use crate::reply::Expect;

const NIL: u8 = 0;
const ERR: u8 = 1;
const STR: u8 = 2;
const INT: u8 = 3;
const DBL: u8 = 4;
const ARR: u8 = 5;

const ERR_UNKNOWN: u32 = 1;
const ERR_TYPE: u32 = 3;
const ERR_ARG: u32 = 4;

/// The book's `k_max_msg` and `k_max_args` (docs/book-protocol.md, "Frames").
const MESSAGE_BYTES_MAX: u32 = 32 << 20;
const ARGS_MAX: u32 = 200_000;

/// The book's commands and their argument counts, name included.
const COMMANDS: [(&str, usize); 10] = [
    ("get", 2),
    ("set", 3),
    ("del", 2),
    ("keys", 1),
    ("pexpire", 3),
    ("pttl", 2),
    ("zadd", 4),
    ("zrem", 3),
    ("zscore", 3),
    ("zquery", 6),
];

/// Integers for `pexpire`, `zquery`'s offset and limit: good, odd but accepted (`strtoll` skips
/// leading white space and takes a `+`), and rejected.
const BOOK_INTEGERS: &[&str] = &[
    "-1",
    " 5",
    "+7",
    "007",
    "\t-3",
    "abc",
    "",
    "1.5",
    "5 ",
    "-",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
];
const BAD_SCORES: &[&str] = &["abc", "", "nan", "1x"];

/// The refusal a book client gets past `clients_max`: error 4, framed.
pub fn refused_reply() -> Vec<u8> {
    let mut out = Vec::new();
    let start = begin(&mut out);
    err(&mut out, ERR_ARG, b"max number of clients reached");
    end(&mut out, start);
    out
}

/// Draws one book request.
pub fn command(rng: &mut Rng<'_>, options: &Options) -> Args {
    // A frame of exactly the most arguments the book takes is served (a `get` with that many
    // arguments is unknown); one more is refused (`garbage`).
    if rng.chance(options.faults.edges) && rng.below(1024) == 0 {
        let mut parts = vec![b"get".to_vec()];
        parts.resize(ARGS_MAX as usize, Vec::new());
        return parts;
    }
    if rng.chance(options.book_table) {
        return table_command(rng, options);
    }
    let k = generate::key(rng, options);
    let parts: Vec<Vec<u8>> = match rng.below(14) {
        0 | 1 => vec![b"get".to_vec(), k],
        2 | 3 => vec![b"set".to_vec(), k, generate::value(rng, options)],
        4 => vec![b"del".to_vec(), k],
        5 => vec![b"keys".to_vec()],
        6 => vec![b"pexpire".to_vec(), k, integer(rng, -10, 5000)],
        7 => vec![b"pttl".to_vec(), k],
        8 | 9 => vec![b"zadd".to_vec(), k, score(rng), generate::member(rng)],
        10 => vec![b"zrem".to_vec(), k, generate::member(rng)],
        11 => vec![b"zscore".to_vec(), k, generate::member(rng)],
        12 => {
            let name = if rng.below(4) == 0 {
                Vec::new()
            } else {
                generate::member(rng)
            };
            vec![
                b"zquery".to_vec(),
                k,
                score(rng),
                name,
                integer(rng, -3, 3),
                integer(rng, -1, 8),
            ]
        }
        // A wrong argument count.
        _ => match rng.below(3) {
            0 => vec![b"get".to_vec(), k.clone(), k],
            1 => vec![b"keys".to_vec(), b"*".to_vec()],
            _ => vec![b"zadd".to_vec(), k, b"1".to_vec()],
        },
    };
    parts
}

fn integer(rng: &mut Rng<'_>, low: i64, high: i64) -> Vec<u8> {
    if rng.below(8) == 0 {
        generate::pick(rng, BOOK_INTEGERS)
    } else {
        generate::small_int(rng, low, high)
    }
}

fn score(rng: &mut Rng<'_>) -> Vec<u8> {
    if rng.below(16) == 0 {
        generate::pick(rng, BAD_SCORES)
    } else {
        generate::pick(rng, SCORES)
    }
}

/// A command from the RESP table on the book's door, or a name nobody knows. Only commands whose
/// replies the model knows exactly (no doubles, no unordered arrays) are sent.
fn table_command(rng: &mut Rng<'_>, options: &Options) -> Args {
    let k = generate::key(rng, options);
    let other = generate::key(rng, options);
    let parts: Vec<&[u8]> = match rng.below(24) {
        // A book name in upper case: unknown on this door.
        0 => vec![b"GET", &k],
        1 => vec![b"GETSET", &k, b"t"],
        2 => {
            let secs = generate::small_int(rng, 1, 3);
            return vec![b"EXPIRE".to_vec(), k, secs];
        }
        3 => vec![b"UNLINK", &k, &other],
        4 => vec![b"EXISTS", &k, &other],
        5 => vec![b"TYPE", &k],
        6 => vec![b"incr", &k],
        7 => vec![b"INCR", &k],
        8 => vec![b"STRLEN", &k],
        9 => vec![b"ZCARD", &k],
        10 => {
            let m = generate::member(rng);
            return vec![b"ZRANK".to_vec(), k, m];
        }
        11 => vec![b"MGET", &k, &other],
        12 => vec![b"PING"],
        13 => vec![b"ECHO", &other],
        14 => {
            let db = generate::small_int(rng, 0, options.databases as i64);
            return vec![b"SELECT".to_vec(), db];
        }
        15 => vec![b"PERSIST", &k],
        16 => vec![b"TTL", &k],
        17 => vec![b"GET"],
        18 => vec![b"NOSUCHCMD", b"a"],
        19 => vec![b"HSET", &k, b"f", &other],
        20 => vec![b"HGET", &k, b"f"],
        21 => vec![b"SADD", &k, &other],
        22 => vec![b"SCARD", &k],
        _ => vec![],
    };
    parts.into_iter().map(<[u8]>::to_vec).collect()
}

/// Garbage: a frame over the limits, truncated inside its declared length, or with bytes left
/// over. The server must close without a reply.
pub fn garbage(rng: &mut Rng<'_>) -> Vec<u8> {
    let words: &[u32] = match rng.below(5) {
        // Over 32 MiB: refused on the header alone.
        0 => &[MESSAGE_BYTES_MAX + 1],
        1 => &[4, ARGS_MAX + 1],
        // One argument of 100 bytes in an 8-byte body.
        2 => &[8, 1, 100],
        // Bytes left after the last (no) argument.
        3 => &[8, 0, 0x0102_0304],
        // A body too short for `nstr`: two bytes.
        _ => &[2],
    };
    let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if words == [2] {
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// Length of the first complete reply frame in `bytes`, None if incomplete.
pub fn frame_len(bytes: &[u8]) -> Option<usize> {
    let header: [u8; 4] = bytes.get(..4)?.try_into().expect("four bytes");
    let len = 4 + u32::from_le_bytes(header) as usize;
    (bytes.len() >= len).then_some(len)
}

/// The keys of a `keys` reply frame, sorted (the order is the hash table's).
pub fn keys_of(frame: &[u8]) -> Option<Vec<Vec<u8>>> {
    let body = frame.get(4..)?;
    if *body.first()? != ARR {
        return None;
    }
    let count = u32_at(body, 1)? as usize;
    let mut at = 5;
    let mut keys = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        if *body.get(at)? != STR {
            return None;
        }
        let len = u32_at(body, at + 1)? as usize;
        keys.push(body.get(at + 5..at + 5 + len)?.to_vec());
        at += 5 + len;
    }
    if at != body.len() {
        return None;
    }
    keys.sort();
    Some(keys)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn begin(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&[0; 4]);
    out.len() - 4
}

fn end(out: &mut [u8], start: usize) {
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&(value as u32).to_le_bytes());
}

fn err(out: &mut Vec<u8>, code: u32, message: &[u8]) {
    out.push(ERR);
    out.extend_from_slice(&code.to_le_bytes());
    put_u32(out, message.len());
    out.extend_from_slice(message);
}

fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(STR);
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn int(out: &mut Vec<u8>, value: i64) {
    out.push(INT);
    out.extend_from_slice(&value.to_le_bytes());
}

fn dbl(out: &mut Vec<u8>, value: f64) {
    out.push(DBL);
    out.extend_from_slice(&value.to_le_bytes());
}

fn arr(out: &mut Vec<u8>, count: usize) {
    out.push(ARR);
    put_u32(out, count);
}

/// C's `strtoll` over the whole argument, as the book reads integers: leading white space, an
/// optional sign, decimal digits; out of range rejected (ferrodis is stricter than the book there).
fn book_i64(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Runs one book request on the model, writing the whole expected reply frame into `out`.
pub fn execute(
    model: &mut Model,
    session: &mut Session,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Vec<u8>,
) -> Expect {
    let start = begin(out);
    let expect = body(model, session, args, wall, out);
    end(out, start);
    expect
}

fn body(
    model: &mut Model,
    session: &mut Session,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Vec<u8>,
) -> Expect {
    let name = args.first().map_or(&[][..], |name| &name[..]);
    match COMMANDS
        .iter()
        .find(|(command, _)| command.as_bytes() == name)
    {
        Some(&(_, count)) if args.len() != count => err(out, ERR_UNKNOWN, b"unknown command."),
        Some(&(command, _)) => return book_command(model, session.db, command, args, wall, out),
        // One of the book's names in another case is no command there.
        None if COMMANDS
            .iter()
            .any(|(command, _)| command.as_bytes().eq_ignore_ascii_case(name)) =>
        {
            err(out, ERR_UNKNOWN, b"unknown command.")
        }
        None if !name.is_empty() && exec::known(name) => {
            let mut resp = Vec::new();
            let expect = exec::execute(model, session, args, wall, &mut resp);
            assert_eq!(
                expect,
                Expect::Exact,
                "the book door only sends table commands with exact replies"
            );
            let end = resp_to_tags(&resp, 0, out);
            assert_eq!(end, resp.len(), "one RESP2 reply");
        }
        None => err(out, ERR_UNKNOWN, b"unknown command."),
    }
    Expect::Exact
}

/// Turns the model's RESP2 reply at `resp[at..]` into the tag the book's door writes for it;
/// returns where it ends.
fn resp_to_tags(resp: &[u8], at: usize, out: &mut Vec<u8>) -> usize {
    let line_end = at
        + resp[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a complete reply");
    let line = &resp[at + 1..line_end];
    let number = || -> i64 {
        std::str::from_utf8(line)
            .ok()
            .and_then(|text| text.parse().ok())
            .expect("a number")
    };
    let next = line_end + 2;
    match resp[at] {
        b'+' => string(out, line),
        b'-' => {
            let code = if line.starts_with(b"ERR unknown command")
                || line.starts_with(b"ERR wrong number of")
            {
                ERR_UNKNOWN
            } else if line.starts_with(b"WRONGTYPE") {
                ERR_TYPE
            } else {
                ERR_ARG
            };
            err(out, code, line);
        }
        b':' => int(out, number()),
        b'$' => {
            let len = number();
            if len < 0 {
                out.push(NIL);
            } else {
                string(out, &resp[next..next + len as usize]);
                return next + len as usize + 2;
            }
        }
        b'*' => {
            let count = number();
            if count < 0 {
                out.push(NIL);
            } else {
                arr(out, count as usize);
                let mut at = next;
                for _ in 0..count {
                    at = resp_to_tags(resp, at, out);
                }
                return at;
            }
        }
        other => panic!("the model wrote a reply starting with {other:#04x}"),
    }
    next
}

fn book_command(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Vec<u8>,
) -> Expect {
    let key = args.get(1).map_or(&[][..], |key| &key[..]);
    match name {
        "get" => match model.live(db, key, wall) {
            None => out.push(NIL),
            Some(Entry {
                value: Value::Str(value),
                ..
            }) => string(out, value),
            Some(_) => err(out, ERR_TYPE, b"not a string value"),
        },
        "set" => match model.live(db, key, wall) {
            Some(Entry {
                value: Value::ZSet(_) | Value::Hash(_) | Value::Set(_) | Value::List(_),
                ..
            }) => err(out, ERR_TYPE, b"a non-string value exists"),
            Some(entry) => {
                entry.value = Value::Str(args[2].clone());
                model.touch(db, key);
                out.push(NIL);
            }
            None => {
                model.set_string(db, key, args[2].clone(), None);
                out.push(NIL);
            }
        },
        "del" => {
            let existed = model.exists(db, key, wall);
            model.dbs[db].remove(key);
            int(out, i64::from(existed));
        }
        "keys" => return Expect::BookKeys(model.alive_keys(db, wall).cloned().collect()),
        "pexpire" => {
            let Some(millis) = book_i64(&args[2]) else {
                err(out, ERR_ARG, b"expect int64");
                return Expect::Exact;
            };
            let entry = model.live(db, key, wall);
            let exists = entry.is_some();
            if let Some(entry) = entry {
                entry.deadline = (millis >= 0).then(|| wall.saturating_add(millis));
                if millis >= 0 {
                    model.touch(db, key);
                }
            }
            int(out, i64::from(exists));
        }
        "pttl" => {
            let left = match model.live(db, key, wall) {
                None => -2,
                Some(Entry { deadline: None, .. }) => -1,
                Some(Entry {
                    deadline: Some(deadline),
                    ..
                }) => *deadline - wall,
            };
            int(out, left);
        }
        "zadd" => {
            let Some(score) = parse_score(&args[2]) else {
                err(out, ERR_ARG, b"expect float");
                return Expect::Exact;
            };
            let Ok(zset) = exec::zset_for_write(model, db, key, wall) else {
                err(out, ERR_TYPE, b"expect zset");
                return Expect::Exact;
            };
            let added = zset.insert(args[3].clone(), score).is_none();
            // The book's zadd writes even an unchanged score.
            model.touch(db, key);
            int(out, i64::from(added));
        }
        "zrem" => match model.zset(db, key, wall) {
            Err(_) => err(out, ERR_TYPE, b"expect zset"),
            Ok(None) => int(out, 0),
            Ok(Some(zset)) => {
                let removed = zset.remove(&args[2]).is_some();
                exec::drop_if_empty(model, db, key);
                int(out, i64::from(removed));
            }
        },
        "zscore" => match model.zset(db, key, wall) {
            Err(_) => err(out, ERR_TYPE, b"expect zset"),
            Ok(zset) => match zset.and_then(|zset| zset.get(&args[2]).copied()) {
                Some(score) => dbl(out, score),
                None => out.push(NIL),
            },
        },
        "zquery" => zquery(model, db, args, wall, out),
        _ => unreachable!("{name} is in COMMANDS"),
    }
    Expect::Exact
}

fn zquery(model: &mut Model, db: usize, args: &[Vec<u8>], wall: i64, out: &mut Vec<u8>) {
    let Some(score) = parse_score(&args[2]) else {
        return err(out, ERR_ARG, b"expect fp number");
    };
    let (Some(offset), Some(limit)) = (book_i64(&args[4]), book_i64(&args[5])) else {
        return err(out, ERR_ARG, b"expect int");
    };
    let zset = match model.zset(db, &args[1], wall) {
        Err(_) => return err(out, ERR_TYPE, b"expect zset"),
        Ok(None) => return arr(out, 0),
        Ok(Some(zset)) => zset,
    };
    let members = sorted(zset);
    let name = &args[3][..];
    // The first member at or after (score, name); an offset from nothing is nothing.
    let first = members.iter().position(|&(member, member_score)| {
        member_score > score || member_score == score && &member[..] >= name
    });
    let start = first
        .and_then(|first| (first as i64).checked_add(offset))
        .filter(|&start| start >= 0 && (start as usize) < members.len());
    let Some(start) = start else {
        return arr(out, 0);
    };
    // A pair goes out while fewer than `limit` elements are out.
    let pairs = if limit <= 0 {
        0
    } else {
        (limit / 2 + limit % 2).min((members.len() - start as usize) as i64) as usize
    };
    arr(out, pairs * 2);
    for &(member, member_score) in &members[start as usize..start as usize + pairs] {
        string(out, member);
        dbl(out, member_score);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeedEntropy;
    use ferrodis_core::protocol::book::{encode_request, FrameParser, Parse};

    const WALL: i64 = 1_700_000_000_000;

    fn run(model: &mut Model, args: &[&str]) -> (Expect, Vec<u8>) {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        let expect = execute(model, &mut Session::default(), &args, WALL, &mut out);
        (expect, out)
    }

    #[test]
    fn the_protocol_examples() {
        let mut request = Vec::new();
        encode_request(&["set", "k", "v"], &mut request);
        assert_eq!(
            request,
            b"\x15\0\0\0\x03\0\0\0\x03\0\0\0set\x01\0\0\0k\x01\0\0\0v".to_vec()
        );
        let mut model = Model::new(1, 1 << 20);
        assert_eq!(run(&mut model, &["set", "k", "v"]).1, b"\x01\0\0\0\x00");
        assert_eq!(
            run(&mut model, &["get", "k"]).1,
            b"\x06\0\0\0\x02\x01\0\0\0v"
        );
    }

    #[test]
    fn book_semantics() {
        let mut model = Model::new(1, 1 << 20);
        run(&mut model, &["set", "k", "v"]);
        run(&mut model, &["pexpire", "k", " 500"]);
        run(&mut model, &["set", "k", "w"]);
        assert_eq!(run(&mut model, &["pttl", "k"]).1[5..], 500i64.to_le_bytes());
        run(&mut model, &["pexpire", "k", "-1"]);
        assert_eq!(
            run(&mut model, &["pttl", "k"]).1[5..],
            (-1i64).to_le_bytes()
        );
        assert_eq!(
            run(&mut model, &["zadd", "z", "1", "a"]).1[5..],
            1i64.to_le_bytes()
        );
        assert_eq!(
            run(&mut model, &["zadd", "z", "1", "a"]).1[5..],
            0i64.to_le_bytes()
        );
        assert_eq!(run(&mut model, &["zadd", "k", "1", "a"]).1[4], ERR);
        run(&mut model, &["zadd", "z", "2", "b"]);
        run(&mut model, &["zadd", "z", "3", "c"]);
        // Limit 3 is two pairs; offset 1 from (1, "") starts at b.
        let (_, out) = run(&mut model, &["zquery", "z", "1", "", "1", "3"]);
        let mut expected = vec![0; 4];
        arr(&mut expected, 4);
        for (member, score) in [("b", 2.0), ("c", 3.0)] {
            string(&mut expected, member.as_bytes());
            dbl(&mut expected, score);
        }
        end(&mut expected, 0);
        assert_eq!(out, expected);
        assert_eq!(run(&mut model, &["del", "z"]).1[5..], 1i64.to_le_bytes());
        assert_eq!(
            run(&mut model, &["keys"]).0,
            Expect::BookKeys(vec![b"k".to_vec()])
        );
        assert_eq!(
            run(&mut model, &["get", "k", "k"]).1[5..],
            *b"\x01\0\0\0\x10\0\0\0unknown command."
        );
    }

    #[test]
    fn garbage_frames_fail_to_parse() {
        let mut entropy = SeedEntropy::new(3);
        let mut rng = Rng::new(&mut entropy);
        for _ in 0..50 {
            let frame = garbage(&mut rng);
            let mut parser = FrameParser::default();
            assert!(matches!(parser.parse(&frame), Parse::Error(_)), "{frame:?}");
        }
    }

    #[test]
    fn integers_as_strtoll() {
        assert_eq!(book_i64(b" 5"), Some(5));
        assert_eq!(book_i64(b"+7"), Some(7));
        assert_eq!(book_i64(b"007"), Some(7));
        assert_eq!(book_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"5 ",
            b"1.5",
            b"99999999999999999999",
            b"+-1",
        ] {
            assert_eq!(book_i64(bad), None);
        }
    }
}
