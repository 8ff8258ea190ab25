//! List commands: pushes (bursts of them when huge values are on), pops with counts, indexes
//! and ranges either side of zero, LINSERT/LSET/LREM/LTRIM, LPOS's options, LMOVE and LMPOP, and
//! now and then a CONFIG SET of the block size.

use super::{args, key, pick, small_int, value, Args, INTEGERS, NOT_INTEGERS};
use crate::entropy::Rng;
use crate::options::Options;

/// A list element: a few recurring ones (so LREM, LPOS and LINSERT match), integers, or any
/// value (huge ones included, bigger than a block).
fn element(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    match rng.below(4) {
        0 | 1 => pick(rng, &["a", "b", "1", "", "-7"]),
        2 => pick(rng, INTEGERS),
        _ => value(rng, options),
    }
}

/// An index or range end: small either side of zero, or extreme, or not a number.
fn list_index(rng: &mut Rng<'_>) -> Vec<u8> {
    match rng.below(12) {
        0 => pick(rng, NOT_INTEGERS),
        1 => pick(rng, INTEGERS),
        _ => small_int(rng, -12, 12),
    }
}

fn list_end(rng: &mut Rng<'_>) -> Vec<u8> {
    pick(rng, &["LEFT", "RIGHT", "left", "right"])
}

pub(super) fn lists(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let other = key(rng, options);
    match rng.below(30) {
        0..=5 => {
            let names: [&[u8]; 4] = [b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"];
            let name = names[if rng.below(6) == 0 {
                2 + rng.index(2)
            } else {
                rng.index(2)
            }];
            let mut a = args(&[name, &k]);
            let count = if rng.chance(options.faults.huge) {
                rng.range(100, 3000)
            } else {
                rng.range(1, 4)
            };
            for index in 0..count {
                a.push(if count > 10 {
                    index.to_string().into_bytes()
                } else {
                    element(rng, options)
                });
            }
            a
        }
        6..=8 => {
            let name: &[u8] = if rng.bool() { b"LPOP" } else { b"RPOP" };
            let mut a = args(&[name, &k]);
            if rng.bool() {
                a.push(match rng.below(8) {
                    0 => pick(rng, NOT_INTEGERS),
                    1 => b"-1".to_vec(),
                    _ => small_int(rng, 0, 6),
                });
            }
            a
        }
        9 => args(&[b"LLEN", &k]),
        10 | 11 => args(&[b"LINDEX", &k, &list_index(rng)]),
        12 => args(&[b"LSET", &k, &list_index(rng), &element(rng, options)]),
        13..=15 => args(&[b"LRANGE", &k, &list_index(rng), &list_index(rng)]),
        16 => {
            let place = pick(rng, &["BEFORE", "AFTER", "after", "aside"]);
            args(&[
                b"LINSERT",
                &k,
                &place,
                &element(rng, options),
                &element(rng, options),
            ])
        }
        17 => args(&[b"LREM", &k, &small_int(rng, -3, 3), &element(rng, options)]),
        18 => args(&[b"LTRIM", &k, &list_index(rng), &list_index(rng)]),
        19 | 20 => {
            let mut a = args(&[b"LPOS", &k, &element(rng, options)]);
            for _ in 0..rng.below(3) {
                match rng.below(7) {
                    0 | 1 => a.extend([b"RANK".to_vec(), small_int(rng, -3, 3)]),
                    2 | 3 => a.extend([b"COUNT".to_vec(), small_int(rng, -1, 4)]),
                    4 | 5 => a.extend([b"MAXLEN".to_vec(), small_int(rng, -1, 20)]),
                    _ => a.push(pick(rng, &["RANK", "BOGUS"])),
                }
            }
            a
        }
        21 | 22 => args(&[b"LMOVE", &k, &other, &list_end(rng), &list_end(rng)]),
        23 => args(&[b"RPOPLPUSH", &k, &other]),
        24 | 25 => {
            let mut a = args(&[b"LMPOP", b"2", &k, &other, &list_end(rng)]);
            if rng.bool() {
                a.extend([b"COUNT".to_vec(), small_int(rng, 0, 5)]);
            }
            if rng.below(8) == 0 {
                a.push(pick(rng, &["COUNT", "x"]));
            }
            a
        }
        26 | 27 => args(&[b"OBJECT", b"ENCODING", &k]),
        28 => {
            let name = pick(rng, &["list-max-listpack-size", "list-max-ziplist-size"]);
            let fill = pick(rng, &["-2", "-1", "0", "1", "2", "3", "128"]);
            args(&[b"CONFIG", b"SET", &name, &fill])
        }
        _ => args(&[b"RPUSH", &k, &element(rng, options), &element(rng, options)]),
    }
}
