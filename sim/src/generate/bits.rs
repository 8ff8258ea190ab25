//! Bit commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, offsets
//! mostly near the start and sometimes far or bad.

use super::*;

/// A bit offset: mostly within the first bytes, sometimes far, now and then bad.
fn bit_offset(rng: &mut Rng<'_>) -> Vec<u8> {
    match rng.below(20) {
        0 => pick(rng, &["-1", "abc", "4294967296", "9223372036854775807"]),
        1 => small_int(rng, 0, 100_000),
        _ => small_int(rng, 0, 100),
    }
}

pub(super) fn bits(rng: &mut Rng<'_>, options: &Options, k: Vec<u8>) -> Args {
    let range = |rng: &mut Rng<'_>| small_int(rng, -20, 20);
    let unit = |rng: &mut Rng<'_>| pick(rng, &["BIT", "BYTE", "bit"]);
    match rng.below(12) {
        0..=2 => {
            let on = pick(rng, &["0", "1", "1", "0", "1", "2"]);
            args(&[b"SETBIT", &k, &bit_offset(rng), &on])
        }
        3 => args(&[b"GETBIT", &k, &bit_offset(rng)]),
        4 => match rng.below(3) {
            0 => args(&[b"BITCOUNT", &k]),
            1 => args(&[b"BITCOUNT", &k, &range(rng), &range(rng)]),
            _ => args(&[b"BITCOUNT", &k, &range(rng), &range(rng), &unit(rng)]),
        },
        5 => {
            let bit = pick(rng, &["0", "1"]);
            match rng.below(4) {
                0 => args(&[b"BITPOS", &k, &bit]),
                1 => args(&[b"BITPOS", &k, &bit, &range(rng)]),
                2 => args(&[b"BITPOS", &k, &bit, &range(rng), &range(rng)]),
                _ => args(&[b"BITPOS", &k, &bit, &range(rng), &range(rng), &unit(rng)]),
            }
        }
        6 | 7 => {
            let op = pick(rng, &["AND", "OR", "XOR", "NOT", "not"]);
            let mut a = args(&[b"BITOP", &op, &k]);
            let sources = if op.eq_ignore_ascii_case(b"NOT") {
                1
            } else {
                rng.range(1, 3)
            };
            a.extend((0..sources).map(|_| key(rng, options)));
            a
        }
        _ => {
            let read_only = rng.below(5) == 0;
            let name: &[u8] = if read_only {
                b"BITFIELD_RO"
            } else {
                b"BITFIELD"
            };
            let mut a = args(&[name, &k]);
            for _ in 0..rng.range(1, 4) {
                if rng.below(4) == 0 {
                    let mode = pick(rng, &["WRAP", "SAT", "FAIL", "fail"]);
                    a.extend(args(&[b"OVERFLOW", &mode]));
                }
                let signed = rng.bool();
                let width = if signed {
                    rng.range(1, 64)
                } else {
                    rng.range(1, 63)
                };
                let kind = match rng.below(30) {
                    0 => b"u64".to_vec(),
                    _ => format!("{}{width}", if signed { 'i' } else { 'u' }).into_bytes(),
                };
                let offset = if rng.below(4) == 0 {
                    format!("#{}", rng.below(6)).into_bytes()
                } else {
                    bit_offset(rng)
                };
                let number = match rng.below(4) {
                    0 => pick(rng, INTEGERS),
                    1 => (1i64 << rng.below(63)).to_string().into_bytes(),
                    _ => small_int(rng, -300, 300),
                };
                match rng.below(if read_only { 6 } else { 3 }) {
                    0 => a.extend(args(&[b"SET", &kind, &offset, &number])),
                    1 => a.extend(args(&[b"INCRBY", &kind, &offset, &number])),
                    _ => a.extend(args(&[b"GET", &kind, &offset])),
                }
            }
            a
        }
    }
}
