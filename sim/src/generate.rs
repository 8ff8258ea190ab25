//! Commands the virtual clients send, drawn from the seed's command families.

use crate::entropy::Rng;
use crate::options::Options;

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

/// A string value: short text, an integer (so INCR has something to work on), or a huge one.
pub(crate) fn value(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    if rng.chance(options.faults.huge) {
        let len = rng.range(1, (2 * 1024 * 1024).min(options.bulk_bytes_max)) as usize;
        return vec![b'a' + rng.below(26) as u8; len];
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
    ]);
    let k = key(rng, options);
    match family {
        0 => strings(rng, options, k),
        1 => keys(rng, options, k),
        2 => expiry(rng, k),
        3 => zsets(rng, options, k),
        4 => connection(rng, options),
        5 => errors(rng, options, k),
        _ => transactions(rng, options, k),
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
    match rng.below(16) {
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
        _ => args(&[b"SET", &k, &value(rng, options)]),
    }
}

fn keys(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let other = key(rng, options);
    match rng.below(12) {
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
        _ => args(&[b"KEYS", b"*"]),
    }
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
            let pairs = if rng.chance(options.faults.huge) {
                rng.range(100, 3000)
            } else {
                rng.range(1, 3)
            };
            for index in 0..pairs {
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
