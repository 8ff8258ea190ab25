//! Set commands: members on both sides of the intset's rules, SPOP's and SRANDMEMBER's counts,
//! the set operations and their STORE forms, SINTERCARD's LIMIT, SSCAN.

use super::*;

/// Set members that an intset holds: canonical integers, the smallest and largest included.
const INTEGER_MEMBERS: [&[u8]; 8] = [
    b"1",
    b"2",
    b"3",
    b"-5",
    b"0",
    b"100",
    b"9223372036854775807",
    b"-9223372036854775808",
];

/// Set members that move an intset to a hashtable: integer-looking but not canonical, out of
/// range, floats, words, the empty string, binary bytes.
const OTHER_MEMBERS: [&[u8]; 10] = [
    b"007",
    b"-0",
    b"+1",
    b" 1",
    b"9223372036854775808",
    b"1.5",
    b"a",
    b"b",
    b"",
    b"s\r\n\0\xff",
];

/// The keys set commands mostly use (see `key_from`): two of `KEYS`, and one that no other
/// family touches, where a set lives long enough to grow.
const SET_KEYS: [&[u8]; 3] = [b"b", b"*?[", b"s"];

const MEMBER_PATTERNS: [&[u8]; 8] = [b"*", b"1*", b"-*", b"[0-2]", b"?", b"*\\r*", b"a*", b"*5*"];

impl Generator {
    fn set_key(&mut self) -> Vec<u8> {
        self.key_from(&SET_KEYS)
    }

    fn set_keys(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.set_key()).collect()
    }

    /// A set member: mostly integers, so that sets stay intsets for a while.
    fn set_member(&mut self) -> Vec<u8> {
        match self.below(3) {
            0 => self.pick(&OTHER_MEMBERS),
            _ => self.pick(&INTEGER_MEMBERS),
        }
    }

    fn set_members(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.set_member()).collect()
    }

    /// A set command.
    pub(super) fn set_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(44) {
            0..=7 => [vec![b"SADD".to_vec(), self.set_key()], self.set_members(4)].concat(),
            8 | 9 => [vec![b"SREM".to_vec(), self.set_key()], self.set_members(3)].concat(),
            10 => vec![b"SISMEMBER".to_vec(), self.set_key(), self.set_member()],
            11 => [
                vec![b"SMISMEMBER".to_vec(), self.set_key()],
                self.set_members(3),
            ]
            .concat(),
            12 | 13 => {
                *check = Check::Unordered(1);
                vec![b"SMEMBERS".to_vec(), self.set_key()]
            }
            14 => vec![b"SCARD".to_vec(), self.set_key()],
            15 | 16 => {
                *check = Check::Pop;
                let mut args = vec![b"SPOP".to_vec(), self.set_key()];
                if self.chance(1, 2) {
                    args.push(match self.below(6) {
                        0 => self.pick(&[b"-1", b"abc", b"", b"1.5", b"9223372036854775807"]),
                        _ => self.below(6).to_string().into_bytes(),
                    });
                }
                args
            }
            17..=19 => {
                *check = Check::RandMember;
                let mut args = vec![b"SRANDMEMBER".to_vec(), self.set_key()];
                if self.chance(3, 4) {
                    args.push(self.random_count());
                }
                args
            }
            20 | 21 => vec![
                b"SMOVE".to_vec(),
                self.set_key(),
                self.set_key(),
                self.set_member(),
            ],
            22..=24 => {
                *check = Check::Unordered(1);
                [
                    vec![self.pick(&[b"SINTER", b"SUNION", b"SDIFF"])],
                    self.set_keys(3),
                ]
                .concat()
            }
            25..=28 => {
                let name = self.pick(&[b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]);
                [vec![name, self.set_key()], self.set_keys(3)].concat()
            }
            29 | 30 => self.sintercard(),
            31..=34 => self.sscan(check),
            35 | 36 => {
                vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), self.set_key()]
            }
            _ => [vec![b"SADD".to_vec(), self.set_key()], self.set_members(4)].concat(),
        }
    }

    /// SINTERCARD: numkeys (sometimes wrong), keys, LIMIT (sometimes bad or misspelt).
    fn sintercard(&mut self) -> Vec<Vec<u8>> {
        let count = 1 + self.below(3);
        let numkeys = match self.below(10) {
            0 => self.pick(&[b"0", b"-1", b"abc", b"4", b"9223372036854775807", b""]),
            _ => count.to_string().into_bytes(),
        };
        let mut args = vec![b"SINTERCARD".to_vec(), numkeys];
        args.extend((0..count).map(|_| self.set_key()));
        for _ in 0..self.below(3) {
            match self.below(5) {
                0..=2 => {
                    let limit = match self.below(5) {
                        0 => self.pick(&[b"-1", b"abc", b"", b"9223372036854775807", b"1.0"]),
                        _ => self.below(4).to_string().into_bytes(),
                    };
                    args.extend([self.pick(&[b"LIMIT", b"limit"]), limit]);
                }
                3 => args.push(b"LIMIT".to_vec()),
                _ => args.push(self.pick(&[b"NOPE", b"LIMITS"])),
            }
        }
        args
    }

    fn sscan(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        let cursor = match self.below(8) {
            // Not "-1": strtoul reads it as a valid cursor, from which a hashtable's page
            // depends on its layout.
            0 => self.pick(&[b"abc", b"1.0", b"", b"18446744073709551616", b" 0"]),
            _ => b"0".to_vec(),
        };
        // strtoul reads an empty cursor as 0.
        if cursor.is_empty() || cursor == b"0" {
            *check = Check::ItemScan(1);
        }
        let mut args = vec![b"SSCAN".to_vec(), self.set_key(), cursor];
        for _ in 0..self.below(3) {
            match self.below(5) {
                0 | 1 => args.extend([b"MATCH".to_vec(), self.pick(&MEMBER_PATTERNS)]),
                2 => args.extend([
                    b"COUNT".to_vec(),
                    self.pick(&[b"1", b"2", b"100", b"0", b"-1", b"abc"]),
                ]),
                3 => args.push(self.pick(&[b"MATCH", b"COUNT", b"NOVALUES"])),
                _ => args.extend([b"TYPE".to_vec(), b"set".to_vec()]),
            }
        }
        args
    }
}
