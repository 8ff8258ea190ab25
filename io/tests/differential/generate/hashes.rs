//! Hash commands: fields and values on both sides of the listpack limits, HINCRBY's and
//! HINCRBYFLOAT's numbers, HRANDFIELD's counts, HSCAN.

use rand::RngExt;

use super::*;

/// Hash fields: a few short ones so that commands hit the same fields, integer-looking ones (a
/// listpack keeps canonical integers as numbers), one binary, and two longer than the small
/// `hash-max-listpack-value` some seeds set.
const FIELDS: [&[u8]; 10] = [
    b"f",
    b"g",
    b"h",
    b"",
    b"1",
    b"-5",
    b"007",
    b"f\r\n\0\xff",
    b"9223372036854775808",
    b"field:long",
];

/// The keys hash commands mostly use (see `key_from`): two of `KEYS`, and one that no other
/// family touches, where a hash lives long enough to grow.
const HASH_KEYS: [&[u8]; 3] = [b"a", b"{tag}x", b"h"];

const FIELD_PATTERNS: [&[u8]; 8] = [
    b"*", b"f*", b"[f-h]", b"?", b"*\\r*", b"-*", b"*0*", b"field:*",
];

impl Generator {
    fn hash_key(&mut self) -> Vec<u8> {
        self.key_from(&HASH_KEYS)
    }

    fn field(&mut self) -> Vec<u8> {
        self.pick(&FIELDS)
    }

    fn fields(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.field()).collect()
    }

    /// A value to store in a hash: any string value, small integers for HINCRBY to add to, and
    /// now and then one of 60 to 69 bytes, either side of the default 64-byte
    /// `hash-max-listpack-value`.
    fn hash_value(&mut self) -> Vec<u8> {
        match self.below(8) {
            0 => vec![b'y'; 60 + self.below(10)],
            1 | 2 => (self.rng.random_range(-10i64..10)).to_string().into_bytes(),
            _ => self.value(),
        }
    }

    /// A hash command.
    pub(super) fn hash_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(40) {
            0..=7 => {
                let mut args = vec![self.pick(&[b"HSET", b"HSET", b"HMSET"]), self.hash_key()];
                let pairs = if self.chance(1, 3) {
                    1
                } else {
                    1 + self.below(4)
                };
                for _ in 0..pairs {
                    args.extend([self.field(), self.hash_value()]);
                }
                if self.chance(1, 12) {
                    args.pop();
                }
                args
            }
            8 | 9 => vec![
                b"HSETNX".to_vec(),
                self.hash_key(),
                self.field(),
                self.hash_value(),
            ],
            10 | 11 => vec![b"HGET".to_vec(), self.hash_key(), self.field()],
            12 => [vec![b"HMGET".to_vec(), self.hash_key()], self.fields(3)].concat(),
            13 | 14 => [vec![b"HDEL".to_vec(), self.hash_key()], self.fields(3)].concat(),
            15 => vec![b"HLEN".to_vec(), self.hash_key()],
            16 => vec![b"HSTRLEN".to_vec(), self.hash_key(), self.field()],
            17 => vec![b"HEXISTS".to_vec(), self.hash_key(), self.field()],
            18 | 19 => {
                *check = Check::Unordered(1);
                vec![self.pick(&[b"HKEYS", b"HVALS"]), self.hash_key()]
            }
            20 | 21 => {
                *check = Check::Unordered(2);
                vec![b"HGETALL".to_vec(), self.hash_key()]
            }
            22..=24 => vec![
                b"HINCRBY".to_vec(),
                self.hash_key(),
                self.field(),
                self.integer(),
            ],
            25 | 26 => {
                let increment = match self.below(3) {
                    0 => self.integer(),
                    _ => self.pick(&FLOATS),
                };
                vec![
                    b"HINCRBYFLOAT".to_vec(),
                    self.hash_key(),
                    self.field(),
                    increment,
                ]
            }
            27..=30 => {
                *check = Check::RandMember;
                let mut args = vec![b"HRANDFIELD".to_vec(), self.hash_key()];
                if self.chance(3, 4) {
                    args.push(self.random_count());
                    if self.chance(1, 2) {
                        args.push(self.pick(&[b"WITHVALUES", b"withvalues", b"WITHVALUE"]));
                    }
                }
                args
            }
            31..=34 => self.hscan(check),
            35 | 36 => {
                vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), self.hash_key()]
            }
            _ => vec![
                b"HSET".to_vec(),
                self.hash_key(),
                self.field(),
                self.hash_value(),
            ],
        }
    }

    /// The count of HRANDFIELD or SRANDMEMBER: usually small, either sign (negative allows
    /// repeats), sometimes bad or huge. No huge negative counts: Redis would build a reply of
    /// that many elements.
    pub(super) fn random_count(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 => self.pick(&[b"abc", b"1.5", b"", b"-9223372036854775808", b" 1"]),
            1 => self.pick(&[
                b"0",
                b"-1",
                b"20",
                b"-20",
                b"9223372036854775807",
                b"4611686018427387904",
            ]),
            _ => (self.rng.random_range(-6i64..7)).to_string().into_bytes(),
        }
    }

    fn hscan(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        let cursor = match self.below(8) {
            // Not "-1": strtoul reads it as a valid cursor, from which a hashtable's page
            // depends on its layout.
            0 => self.pick(&[b"abc", b"1.0", b"", b"18446744073709551616", b" 0"]),
            _ => b"0".to_vec(),
        };
        // strtoul reads an empty cursor as 0.
        if cursor.is_empty() || cursor == b"0" {
            *check = Check::ItemScan(2);
        }
        let mut args = vec![b"HSCAN".to_vec(), self.hash_key(), cursor];
        for _ in 0..self.below(3) {
            match self.below(5) {
                0 | 1 => args.extend([b"MATCH".to_vec(), self.pick(&FIELD_PATTERNS)]),
                2 => args.extend([
                    b"COUNT".to_vec(),
                    self.pick(&[b"1", b"2", b"100", b"0", b"-1", b"abc"]),
                ]),
                3 => args.push(self.pick(&[b"MATCH", b"COUNT", b"NOVALUES"])),
                _ => args.extend([b"TYPE".to_vec(), b"hash".to_vec()]),
            }
        }
        args
    }
}
