//! Bitmap commands and LCS: offsets near the string's end and past it, negative and extreme
//! ranges in bytes and bits, BITOP over missing keys and binary values, BITFIELD with every
//! overflow mode and `#` offsets, and bad arguments of each kind.

use super::*;

/// The keys bit commands mostly use (see `key_from`): two of `KEYS`, and one that no other
/// family touches, where a bitmap lives long enough to grow.
const BIT_KEYS: [&[u8]; 3] = [b"a", b"bin\r\n\0\xff", b"bits"];

/// Offsets Redis refuses: negative, past the 512 MB limit, not numbers; `#` only for BITFIELD.
const BAD_OFFSETS: [&[u8]; 8] = [
    b"-1",
    b"4294967296",
    b"9223372036854775807",
    b"abc",
    b"",
    b"1.5",
    b"#1",
    b"+1",
];

const TYPES: [&[u8]; 12] = [
    b"i1", b"u1", b"i8", b"u8", b"i5", b"u7", b"i16", b"u16", b"i63", b"u63", b"i64", b"i32",
];

const BAD_TYPES: [&[u8]; 8] = [b"u64", b"i65", b"i0", b"I8", b"x8", b"i", b"i08", b""];

/// Range ends: small ones around the strings' lengths, negative ones, the extremes.
const RANGE_ENDS: [&[u8]; 6] = [
    b"9223372036854775807",
    b"-9223372036854775808",
    b"-1",
    b"0",
    b"100000",
    b"-100000",
];

impl Generator {
    fn bit_key(&mut self) -> Vec<u8> {
        self.key_from(&BIT_KEYS)
    }

    /// A bit offset: mostly within the first few bytes, sometimes far or bad.
    fn bit_offset(&mut self) -> Vec<u8> {
        match self.below(12) {
            0 => self.pick(&BAD_OFFSETS),
            1 => self
                .rng
                .random_range(0u64..200_000)
                .to_string()
                .into_bytes(),
            _ => self.below(80).to_string().into_bytes(),
        }
    }

    fn range_end(&mut self) -> Vec<u8> {
        match self.below(8) {
            0 => self.pick(&RANGE_ENDS),
            1 => self.pick(&BAD_NUMBERS),
            _ => self.rng.random_range(-40i64..40).to_string().into_bytes(),
        }
    }

    fn unit(&mut self) -> Vec<u8> {
        self.pick(&[b"BIT", b"BYTE", b"bit", b"byte", b"BITS", b""])
    }

    /// A bit command.
    pub(super) fn bit_command(&mut self) -> Vec<Vec<u8>> {
        match self.below(40) {
            0..=5 => {
                let value = match self.below(10) {
                    0 => self.pick(&[b"2", b"-1", b"abc", b"", b"01"]),
                    _ => self.pick(&[b"0", b"1"]),
                };
                vec![b"SETBIT".to_vec(), self.bit_key(), self.bit_offset(), value]
            }
            6..=8 => vec![b"GETBIT".to_vec(), self.bit_key(), self.bit_offset()],
            9..=12 => {
                let mut args = vec![b"BITCOUNT".to_vec(), self.bit_key()];
                match self.below(6) {
                    0 => {}
                    1 => args.push(self.range_end()),
                    2 | 3 => args.extend([self.range_end(), self.range_end()]),
                    _ => args.extend([self.range_end(), self.range_end(), self.unit()]),
                }
                args
            }
            13..=17 => {
                let bit = match self.below(10) {
                    0 => self.pick(&[b"2", b"-1", b"abc", b""]),
                    _ => self.pick(&[b"0", b"1"]),
                };
                let mut args = vec![b"BITPOS".to_vec(), self.bit_key(), bit];
                for _ in 0..self.below(4) {
                    args.push(self.range_end());
                }
                if args.len() == 6 {
                    args[5] = self.unit();
                }
                if self.chance(1, 20) {
                    args.push(self.unit());
                }
                args
            }
            18..=22 => self.bitop(),
            23..=32 => self.bitfield(),
            33 => vec![
                b"SETRANGE".to_vec(),
                self.bit_key(),
                self.integer(),
                self.value(),
            ],
            34 => vec![b"APPEND".to_vec(), self.bit_key(), self.value()],
            _ => self.lcs(),
        }
    }

    fn bitop(&mut self) -> Vec<Vec<u8>> {
        let op = match self.below(12) {
            0 => self.pick(&[b"NAND", b"", b"AND\0"]),
            _ => self.pick(&[b"AND", b"OR", b"XOR", b"NOT", b"and", b"Or", b"xor", b"not"]),
        };
        let sources = if op.eq_ignore_ascii_case(b"NOT") && self.chance(7, 8) {
            1
        } else {
            1 + self.below(3)
        };
        let mut args = vec![b"BITOP".to_vec(), op, self.bit_key()];
        args.extend((0..sources).map(|_| self.bit_key()));
        args
    }

    fn bitfield(&mut self) -> Vec<Vec<u8>> {
        let read_only = self.chance(1, 5);
        let name: &[u8] = if read_only {
            b"BITFIELD_RO"
        } else {
            b"BITFIELD"
        };
        let mut args = vec![name.to_vec(), self.bit_key()];
        for _ in 0..self.below(5) {
            let kind = match self.below(15) {
                0 => self.pick(&BAD_TYPES),
                _ => self.pick(&TYPES),
            };
            let offset = match self.below(4) {
                0 => format!("#{}", self.below(8)).into_bytes(),
                _ => self.bit_offset(),
            };
            let value = match self.below(4) {
                0 => self.pick(&EDGE_NUMBERS),
                1 => self.integer(),
                _ => self.rng.random_range(-300i64..300).to_string().into_bytes(),
            };
            let write_chance = if read_only { 1 } else { 3 };
            match self.below(4 + write_chance) {
                0 | 1 => args.extend([b"GET".to_vec(), kind, offset]),
                2 => {
                    let mode = match self.below(8) {
                        0 => self.pick(&[b"SATURATE", b"", b"fail\0"]),
                        _ => self.pick(&[b"WRAP", b"SAT", b"FAIL", b"sat", b"fail"]),
                    };
                    args.extend([b"OVERFLOW".to_vec(), mode]);
                }
                3 => {
                    // A missing argument or a misspelt operation.
                    args.push(self.pick(&[b"GET", b"SET", b"INCR", b"OVERFLOW"]));
                }
                _ => {
                    let operation = self.pick(&[b"SET", b"INCRBY", b"set", b"incrby"]);
                    args.extend([operation, kind, offset, value]);
                }
            }
        }
        args
    }

    fn lcs(&mut self) -> Vec<Vec<u8>> {
        let mut args = vec![b"LCS".to_vec(), self.bit_key(), self.bit_key()];
        for _ in 0..self.below(4) {
            match self.below(7) {
                0 => args.push(b"LEN".to_vec()),
                1 | 2 => args.push(self.pick(&[b"IDX", b"idx"])),
                3 => args.push(b"WITHMATCHLEN".to_vec()),
                4 => {
                    let length = match self.below(5) {
                        0 => self.pick(&[b"-1", b"abc", b"", b"9223372036854775807"]),
                        _ => self.below(4).to_string().into_bytes(),
                    };
                    args.extend([b"MINMATCHLEN".to_vec(), length]);
                }
                5 => args.push(b"MINMATCHLEN".to_vec()),
                _ => args.push(self.pick(&[b"LENGTH", b"IDX\0"])),
            }
        }
        args
    }
}
