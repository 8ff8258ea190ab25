//! Commands the virtual clients send, drawn from the seed's command families.

use crate::entropy::Rng;
use crate::options::Options;

mod bits;
mod lists;
mod waiting;

use bits::bits;
use lists::lists;
pub use waiting::subscriber;
use waiting::waiting;

pub type Args = Vec<Vec<u8>>;

pub(crate) const SCORES: &[&str] = &[
    "0", "1", "2", "-1", "1.5", "-0.5", "3", "10", "2.5", "inf", "-inf",
];
const BOUNDS: &[&str] = &[
    "-inf", "+inf", "0", "1", "(1", "1.5", "(2.5", "-1", "3", "(0",
];
const INTEGERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "5",
    "42",
    "-17",
    "100",
    "9223372036854775807",
    "-9223372036854775808",
];
const NOT_INTEGERS: &[&str] = &[
    "abc",
    "",
    "1.5",
    "007",
    "+1",
    "-0",
    " 1",
    "99999999999999999999",
];

pub(crate) fn key(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    format!("k{}", rng.below(options.keys)).into_bytes()
}

pub(crate) fn member(rng: &mut Rng<'_>) -> Vec<u8> {
    format!("m{}", rng.below(12)).into_bytes()
}

pub(crate) fn pick(rng: &mut Rng<'_>, list: &[&str]) -> Vec<u8> {
    list[rng.index(list.len())].as_bytes().to_vec()
}

pub(crate) fn small_int(rng: &mut Rng<'_>, low: i64, high: i64) -> Vec<u8> {
    rng.range_i64(low, high).to_string().into_bytes()
}

/// Values as long as this at most; a seed whose `proto-max-bulk-len` is below it also gets
/// values of exactly that length and one byte either side.
const HUGE_BYTES_MAX: u64 = 2 * 1024 * 1024;

/// A string value: short text, an integer (so INCR has something to work on), or a huge one.
pub(crate) fn value(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    if rng.chance(options.faults.huge) {
        let limit = options.bulk_bytes_max;
        let len = if limit <= HUGE_BYTES_MAX && rng.bool() {
            limit - 1 + rng.below(3)
        } else {
            rng.range(1, HUGE_BYTES_MAX.min(limit))
        };
        return vec![b'a' + rng.below(26) as u8; len as usize];
    }
    match rng.below(4) {
        0 => pick(rng, INTEGERS),
        1 => Vec::new(),
        _ => {
            let len = rng.size(64) as usize;
            let byte = b'a' + rng.below(26) as u8;
            vec![byte; len]
        }
    }
}

fn args(parts: &[&[u8]]) -> Args {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// Draws one command.
pub fn command(rng: &mut Rng<'_>, options: &Options) -> Args {
    let f = &options.families;
    let family = rng.weighted(&[
        f.strings,
        f.keys,
        f.expiry,
        f.zsets,
        f.connection,
        f.errors,
        f.transactions,
        f.hashes,
        f.sets,
        f.lists,
        f.bits,
        f.waiting,
        f.scripts,
        f.acl,
    ]);
    let k = key(rng, options);
    match family {
        0 => strings(rng, options, k),
        1 => keys(rng, options, k),
        2 => expiry(rng, k),
        3 => zsets(rng, options, k),
        4 => connection(rng, options),
        5 => errors(rng, options, k),
        6 => transactions(rng, options, k),
        7 => hashes(rng, options, k),
        8 => sets(rng, options, k),
        9 => lists(rng, options, k),
        10 => bits(rng, options, k),
        11 => waiting(rng, options),
        12 => scripts(rng, options, k),
        _ => acl(rng),
    }
}

/// Logging in as the restricted user or the default one (both `nopass`), changing what the
/// restricted one may run, asking who one is.
fn acl(rng: &mut Rng<'_>) -> Args {
    let command = pick(rng, crate::options::DENIABLE);
    match rng.below(10) {
        0..=3 => args(&[b"AUTH", b"limited", b"any"]),
        4..=6 => args(&[b"AUTH", b"default", b"any"]),
        7 | 8 => {
            let sign: &[u8] = if rng.bool() { b"+" } else { b"-" };
            args(&[b"ACL", b"SETUSER", b"limited", &[sign, &command].concat()])
        }
        _ => args(&[b"ACL", b"WHOAMI"]),
    }
}

/// EVAL of the simulator's scripts (`exec_scripts::SCRIPTS`), EVALSHA of them (NOSCRIPT until
/// cached), and SCRIPT LOAD, EXISTS and FLUSH.
fn scripts(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let body = pick(rng, crate::exec_scripts::SCRIPTS);
    let sha = crate::exec_scripts::sha(&body).into_bytes();
    let first = match rng.below(3) {
        0 => small_int(rng, -5, 20),
        1 => pick(rng, &["a", "b", "1.5", "x"]),
        _ => member(rng),
    };
    let second = member(rng);
    match rng.below(12) {
        0..=5 => args(&[b"EVAL", &body, b"1", &k, &first, &second]),
        6..=8 => args(&[b"EVALSHA", &sha, b"1", &k, &first, &second]),
        9 => args(&[b"SCRIPT", b"LOAD", &body]),
        10 => args(&[b"SCRIPT", b"EXISTS", &sha, &key(rng, options)]),
        _ => args(&[b"SCRIPT", b"FLUSH"]),
    }
}

/// Transaction control; what is queued between MULTI and EXEC comes from the other families.
fn transactions(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    match rng.below(10) {
        0..=2 => args(&[b"MULTI"]),
        3..=5 => args(&[b"EXEC"]),
        6 => args(&[b"DISCARD"]),
        7 => args(&[b"WATCH", &k]),
        8 => args(&[b"WATCH", &k, &key(rng, options)]),
        _ => args(&[b"UNWATCH"]),
    }
}

fn strings(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    match rng.below(17) {
        0 => args(&[b"GET", &k]),
        1 => {
            let mut a = args(&[b"SET", &k, &value(rng, options)]);
            match rng.below(3) {
                0 => a.push(b"NX".to_vec()),
                1 => a.push(b"XX".to_vec()),
                _ => {}
            }
            if rng.below(3) == 0 {
                a.push(b"GET".to_vec());
            }
            match rng.below(6) {
                0 => a.extend(args(&[b"EX", &small_int(rng, 0, 5)])),
                1 => a.extend(args(&[b"PX", &small_int(rng, 1, 5000)])),
                _ => {}
            }
            a
        }
        2 => args(&[b"SETNX", &k, &value(rng, options)]),
        3 => args(&[b"GETSET", &k, &value(rng, options)]),
        4 => args(&[b"GETDEL", &k]),
        5 => {
            let mut a = args(&[b"MGET"]);
            a.extend((0..rng.range(1, 4)).map(|_| key(rng, options)));
            a
        }
        6 => {
            let mut a = args(&[b"MSET"]);
            for _ in 0..rng.range(1, 3) {
                a.push(key(rng, options));
                a.push(value(rng, options));
            }
            a
        }
        7 => args(&[b"INCR", &k]),
        8 => args(&[b"DECR", &k]),
        9 => args(&[b"INCRBY", &k, &pick(rng, INTEGERS)]),
        10 => args(&[b"DECRBY", &k, &small_int(rng, -100, 100)]),
        11 => args(&[b"APPEND", &k, &value(rng, options)]),
        12 => args(&[b"STRLEN", &k]),
        13 => args(&[
            b"GETRANGE",
            &k,
            &small_int(rng, -10, 10),
            &small_int(rng, -10, 10),
        ]),
        14 => args(&[
            b"SETRANGE",
            &k,
            &small_int(rng, 0, 40),
            &value(rng, options),
        ]),
        15 => args(&[
            b"INCRBYFLOAT",
            &k,
            &pick(rng, crate::exec_floats::INCREMENTS),
        ]),
        _ => args(&[b"SET", &k, &value(rng, options)]),
    }
}

fn keys(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let other = key(rng, options);
    match rng.below(14) {
        0 => args(&[b"DEL", &k, &other]),
        1 => args(&[b"UNLINK", &k]),
        2 => args(&[b"EXISTS", &k, &other, &k]),
        3 => args(&[b"TYPE", &k]),
        4 => args(&[b"RENAME", &k, &other]),
        5 => args(&[b"RENAMENX", &k, &other]),
        6 => args(&[b"COPY", &k, &other]),
        7 => args(&[b"COPY", &k, &other, b"REPLACE"]),
        8 => args(&[b"DBSIZE"]),
        9 => args(&[b"SELECT", &small_int(rng, 0, options.databases as i64)]),
        10 if rng.below(20) == 0 => args(&[b"FLUSHDB"]),
        10 if rng.bool() => args(&[b"MOVE", &k, &small_int(rng, 0, options.databases as i64)]),
        12 | 13 => scan(rng, args(&[b"SCAN", b"0"])),
        _ => args(&[b"KEYS", b"*"]),
    }
}

/// A scan's first call (cursor 0), with a small COUNT so that it takes many calls, and now and
/// then a MATCH of a prefix; the world sends the rest of it with the server's cursors.
fn scan(rng: &mut Rng<'_>, mut command: Args) -> Args {
    if rng.below(4) == 0 {
        let prefix = if command[0] == b"SCAN" { "k1" } else { "m1" };
        command.extend(args(&[b"MATCH", format!("{prefix}*").as_bytes()]));
    }
    if rng.below(4) != 0 {
        command.extend(args(&[b"COUNT", &small_int(rng, 1, 10)]));
    }
    command
}

fn expiry(rng: &mut Rng<'_>, k: Vec<u8>) -> Args {
    let mut command = match rng.below(7) {
        0 => args(&[b"EXPIRE", &k, &small_int(rng, -1, 5)]),
        1 => args(&[b"PEXPIRE", &k, &small_int(rng, -10, 5000)]),
        // Absolute: the world rewrites the placeholder into wall-clock time when it is sent.
        2 => args(&[b"PEXPIREAT", &k, &small_int(rng, -1000, 8000)]),
        3 => args(&[b"TTL", &k]),
        4 => args(&[b"PTTL", &k]),
        5 => args(&[b"PERSIST", &k]),
        _ => args(&[b"SET", &k, b"v", b"PX", &small_int(rng, 1, 3000)]),
    };
    if command[0].starts_with(b"EXPIRE") || command[0].starts_with(b"PEXPIRE") {
        // NX, XX, GT, LT: sometimes one, now and then two (some pairs are errors).
        let options: &[&str] = &["NX", "XX", "GT", "LT", "gt"];
        for _ in 0..[0, 0, 1, 1, 2][rng.index(5)] {
            command.push(pick(rng, options));
        }
    }
    command
}

fn zsets(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    match rng.below(12) {
        0 | 1 => {
            let mut a = args(&[b"ZADD", &k]);
            let flags: &[&[u8]] = &[b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"];
            for flag in flags {
                if rng.below(6) == 0 {
                    a.push(flag.to_vec());
                }
            }
            // Huge adds name members from one of four ranges, so that a sorted set can grow
            // past what one lazy-free step drops.
            let (pairs, first) = if rng.chance(options.faults.huge) {
                (rng.range(100, 3000), rng.below(4) * 3000)
            } else {
                (rng.range(1, 3), 0)
            };
            for index in first..first + pairs {
                a.push(pick(rng, SCORES));
                a.push(if pairs > 3 {
                    format!("big{index}").into_bytes()
                } else {
                    member(rng)
                });
            }
            a
        }
        2 => args(&[b"ZREM", &k, &member(rng), &member(rng)]),
        3 => args(&[b"ZSCORE", &k, &member(rng)]),
        4 => args(&[b"ZCARD", &k]),
        5 => args(&[b"ZRANK", &k, &member(rng)]),
        6 => {
            let mut a = args(&[
                b"ZRANGE",
                &k,
                &small_int(rng, -5, 5),
                &small_int(rng, -5, 5),
            ]);
            if rng.bool() {
                a.push(b"WITHSCORES".to_vec());
            }
            a
        }
        7 => {
            let mut a = args(&[b"ZRANGEBYSCORE", &k, &pick(rng, BOUNDS), &pick(rng, BOUNDS)]);
            if rng.bool() {
                a.push(b"WITHSCORES".to_vec());
            }
            a
        }
        8 => args(&[b"ZINCRBY", &k, &pick(rng, &SCORES[..9]), &member(rng)]),
        9 if rng.bool() => args(&[b"ZPOPMIN", &k]),
        9 => args(&[b"ZPOPMIN", &k, &small_int(rng, 0, 4)]),
        10 => args(&[b"ZCOUNT", &k, &pick(rng, BOUNDS), &pick(rng, BOUNDS)]),
        11 if rng.bool() => scan(rng, args(&[b"ZSCAN", &k, b"0"])),
        _ => args(&[b"ZADD", &k, &pick(rng, SCORES), &member(rng)]),
    }
}

fn connection(rng: &mut Rng<'_>, options: &Options) -> Args {
    match rng.below(4) {
        0 => args(&[b"PING"]),
        1 => args(&[b"PING", &value(rng, options)]),
        2 => args(&[b"ECHO", &value(rng, options)]),
        _ => args(&[b"SELECT", &small_int(rng, 0, options.databases as i64 - 1)]),
    }
}

fn errors(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    match rng.below(8) {
        0 => args(&[b"GET"]),
        1 => args(&[b"GET", &k, &k]),
        2 => args(&[b"NOSUCHCMD", b"a", b"b"]),
        3 => args(&[b"INCRBY", &k, &pick(rng, NOT_INTEGERS)]),
        4 => args(&[b"EXPIRE", &k, &pick(rng, NOT_INTEGERS)]),
        5 => args(&[b"ZADD", &k, b"notafloat", b"m"]),
        6 => args(&[b"SET", &k, b"v", b"BOGUS"]),
        _ => {
            let mut a = args(&[b"MSET", &k]);
            if rng.bool() {
                a.push(value(rng, options));
                a.push(key(rng, options));
            }
            a
        }
    }
}

/// Fields and set members that look like integers but are not all canonical ones (so not all
/// fit an intset), and binary ones.
const ODD_MEMBERS: &[&[u8]] = &[
    b"1",
    b"-5",
    b"007",
    b"-0",
    b"+1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"1.5",
    b"",
    b"a",
    b"b",
    b"\x00\xff",
    b"two words\r\n",
];

fn odd_member(rng: &mut Rng<'_>) -> Vec<u8> {
    ODD_MEMBERS[rng.index(ODD_MEMBERS.len())].to_vec()
}

/// A hash field: mostly a few names, now and then an odd one.
fn field(rng: &mut Rng<'_>) -> Vec<u8> {
    if rng.below(4) == 0 {
        odd_member(rng)
    } else {
        format!("f{}", rng.below(8)).into_bytes()
    }
}

/// A hash value: integers (for HINCRBY), odd ones, text of lengths around the small
/// `hash-max-listpack-value` limits, any string value, or often one same value (an HSET that
/// changes nothing still counts as a write for WATCH).
fn field_value(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    match rng.below(8) {
        0 => pick(rng, INTEGERS),
        1 => small_int(rng, -20, 20),
        2 => odd_member(rng),
        3 => value(rng, options),
        4 | 5 => vec![b'a' + rng.below(26) as u8; rng.size(24) as usize],
        _ => b"v".to_vec(),
    }
}

/// A set member: half the commands send only canonical integers (an intset stays one), the
/// others anything.
fn set_member(rng: &mut Rng<'_>, integers: bool) -> Vec<u8> {
    if integers || rng.bool() {
        small_int(rng, -3, 24)
    } else {
        odd_member(rng)
    }
}

/// CONFIG SET of an encoding limit: small ones (so encodings change mid-run) or the default.
fn config_set(rng: &mut Rng<'_>, hashes: bool) -> Args {
    let (name, value): (&[u8], u64) = if !hashes {
        let value = if rng.below(4) == 0 {
            512
        } else {
            rng.range(0, 8)
        };
        (b"set-max-intset-entries", value)
    } else if rng.bool() {
        let name: &[u8] = if rng.below(4) == 0 {
            b"hash-max-ziplist-entries"
        } else {
            b"hash-max-listpack-entries"
        };
        (name, [0, 1, 2, 4, 128][rng.index(5)])
    } else {
        let value = if rng.below(4) == 0 {
            64
        } else {
            rng.range(0, 16)
        };
        (b"hash-max-listpack-value", value)
    };
    args(&[b"CONFIG", b"SET", name, value.to_string().as_bytes()])
}

/// A random-pick count: mostly small, sometimes negative (repeats), now and then not one.
fn pick_count(rng: &mut Rng<'_>) -> Vec<u8> {
    match rng.below(16) {
        0 => pick(rng, NOT_INTEGERS),
        1 => b"-9223372036854775808".to_vec(),
        _ => small_int(rng, -6, 6),
    }
}

fn hashes(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    match rng.below(22) {
        0..=2 => {
            let mut a = args(&[if rng.below(4) == 0 { b"HMSET" } else { b"HSET" }, &k]);
            let (pairs, first) = if rng.chance(options.faults.huge) {
                (rng.range(100, 1000), rng.below(8) * 1000)
            } else {
                (rng.range(1, 3), 0)
            };
            for index in first..first + pairs {
                a.push(if pairs > 3 {
                    format!("big{index}").into_bytes()
                } else {
                    field(rng)
                });
                a.push(field_value(rng, options));
            }
            a
        }
        3 => args(&[b"HSETNX", &k, &field(rng), &field_value(rng, options)]),
        4 => args(&[b"HGET", &k, &field(rng)]),
        5 => args(&[b"HMGET", &k, &field(rng), &field(rng), &field(rng)]),
        6 => args(&[b"HDEL", &k, &field(rng)]),
        7 => args(&[b"HDEL", &k, &field(rng), &field(rng), &field(rng)]),
        8 => args(&[b"HLEN", &k]),
        9 => args(&[b"HSTRLEN", &k, &field(rng)]),
        10 => args(&[b"HEXISTS", &k, &field(rng)]),
        11 => {
            let by = match rng.below(8) {
                0 => pick(rng, NOT_INTEGERS),
                1 | 2 => pick(rng, INTEGERS),
                _ => small_int(rng, -10, 10),
            };
            args(&[b"HINCRBY", &k, &field(rng), &by])
        }
        12 => args(&[b"HKEYS", &k]),
        13 => args(&[b"HVALS", &k]),
        14 => args(&[b"HGETALL", &k]),
        15 => match rng.below(4) {
            0 => args(&[b"HRANDFIELD", &k]),
            1 => args(&[b"HRANDFIELD", &k, &pick_count(rng)]),
            2 => args(&[b"HRANDFIELD", &k, &pick_count(rng), b"WITHVALUES"]),
            _ => args(&[b"HRANDFIELD", &k, &pick_count(rng), b"withvalues", b"x"]),
        },
        16 | 17 => args(&[b"OBJECT", b"ENCODING", &k]),
        18 if rng.below(4) == 0 => config_set(rng, true),
        // Wrong argument counts.
        19 => match rng.below(3) {
            0 => args(&[b"HSET", &k, &field(rng), b"v", &field(rng)]),
            1 => args(&[b"HMSET", &k, &field(rng)]),
            _ => args(&[b"HSET", &k, &field(rng)]),
        },
        _ => args(&[b"HSET", &k, &field(rng), &field_value(rng, options)]),
    }
}

fn sets(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let other = key(rng, options);
    let integers = rng.bool();
    match rng.below(26) {
        0..=3 => {
            let mut a = args(&[b"SADD", &k]);
            if rng.chance(options.faults.huge) {
                let big = rng.bool();
                let first = rng.below(4) * 2000;
                for index in first..first + rng.range(100, 2000) {
                    a.push(if big {
                        format!("big{index}").into_bytes()
                    } else {
                        index.to_string().into_bytes()
                    });
                }
            } else {
                for _ in 0..rng.range(1, 4) {
                    a.push(set_member(rng, integers));
                }
            }
            a
        }
        4 => args(&[b"SREM", &k, &set_member(rng, integers)]),
        5 => args(&[
            b"SREM",
            &k,
            &set_member(rng, integers),
            &set_member(rng, integers),
        ]),
        6 => args(&[b"SISMEMBER", &k, &set_member(rng, integers)]),
        7 => args(&[
            b"SMISMEMBER",
            &k,
            &set_member(rng, integers),
            &set_member(rng, integers),
        ]),
        8 => args(&[b"SCARD", &k]),
        9 => args(&[b"SMEMBERS", &k]),
        10 => args(&[b"SMOVE", &k, &other, &set_member(rng, integers)]),
        11..=13 => {
            let names: [&[u8]; 3] = [b"SINTER", b"SUNION", b"SDIFF"];
            let mut a = args(&[names[rng.index(3)], &k, &other]);
            if rng.bool() {
                a.push(key(rng, options));
            }
            a
        }
        14..=16 => {
            let names: [&[u8]; 3] = [b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"];
            let mut a = args(&[names[rng.index(3)], &key(rng, options), &k]);
            for _ in 0..rng.below(3) {
                a.push(key(rng, options));
            }
            a
        }
        17 => {
            let keys = rng.range(1, 3);
            let numkeys = match rng.below(10) {
                0 => pick(rng, NOT_INTEGERS),
                1 => small_int(rng, -1, 0),
                2 => (keys + 1).to_string().into_bytes(),
                _ => keys.to_string().into_bytes(),
            };
            let mut a = args(&[b"SINTERCARD", &numkeys, &k]);
            for _ in 1..keys {
                a.push(key(rng, options));
            }
            match rng.below(6) {
                0 => a.extend(args(&[b"LIMIT", &pick(rng, NOT_INTEGERS)])),
                1 | 2 => a.extend(args(&[b"limit", &small_int(rng, -1, 3)])),
                3 if rng.bool() => a.push(b"LIMIT".to_vec()),
                _ => {}
            }
            a
        }
        18 | 19 => match rng.below(4) {
            0 => args(&[b"SPOP", &k]),
            1 => args(&[b"SPOP", &k, &k, &k]),
            _ => {
                let count = if rng.below(8) == 0 {
                    pick(rng, NOT_INTEGERS)
                } else {
                    small_int(rng, -1, 5)
                };
                args(&[b"SPOP", &k, &count])
            }
        },
        20 => match rng.below(4) {
            0 => args(&[b"SRANDMEMBER", &k]),
            1 => args(&[b"SRANDMEMBER", &k, &pick_count(rng), b"x"]),
            _ => args(&[b"SRANDMEMBER", &k, &pick_count(rng)]),
        },
        21 | 22 => args(&[b"OBJECT", b"ENCODING", &k]),
        23 if rng.below(4) == 0 => config_set(rng, false),
        _ => args(&[b"SADD", &k, &set_member(rng, integers)]),
    }
}
