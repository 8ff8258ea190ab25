//! Sorted set commands: scores, lex and rank ranges, LIMIT, set operations with weights, ZSCAN.

use rand::RngExt;

use super::*;

/// Sorted set members: short (Redis keeps sets of at most 128 members of at most 64 bytes in
/// a listpack, and ferrodis copies listpack's -0 handling), some numeric-looking, one binary.
const MEMBERS: [&[u8]; 10] = [
    b"a",
    b"b",
    b"c",
    b"d",
    b"e",
    b"",
    b"m\r\n\0\xff",
    b"1",
    b"-1",
    b"0.5",
];

/// Scores: small integers and halves so that ties happen, -0, infinities, and doubles whose
/// shortest text needs up to 17 significant digits.
const SCORES: [&[u8]; 20] = [
    b"0",
    b"1",
    b"2",
    b"3",
    b"-1",
    b"-2.5",
    b"0.5",
    b"1.5",
    b"-0",
    b"0.0",
    b"inf",
    b"-inf",
    b"+inf",
    b"0.1",
    b"1e-7",
    b"123456789.123",
    b"10",
    b"1e3",
    b"-0.1",
    b"4.5e15",
];

const BAD_SCORES: [&[u8]; 10] = [
    b"abc", b"nan", b"1e400", b"", b" 1", b"(", b"(abc", b"1.5x", b"NaN", b"-nan",
];

const LEX_BOUNDS: [&[u8]; 14] = [
    b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[d", b"(e", b"[", b"(", b"[1", b"a", b"", b"+x",
];

const RANKS: [&[u8]; 8] = [
    b"9223372036854775807",
    b"-9223372036854775808",
    b"100",
    b"-100",
    b"abc",
    b"1.0",
    b"",
    b"4611686018427387904",
];

const WEIGHTS: [&[u8]; 10] = [
    b"1", b"2", b"0", b"-1", b"0.5", b"inf", b"-inf", b"nan", b"abc", b"1e400",
];

impl Generator {
    fn member(&mut self) -> Vec<u8> {
        self.pick(&MEMBERS)
    }

    fn members(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.member()).collect()
    }

    /// A score to store, now and then one Redis rejects.
    fn score(&mut self) -> Vec<u8> {
        match self.below(12) {
            0 => self.pick(&BAD_SCORES),
            _ => self.pick(&SCORES),
        }
    }

    /// A score range bound: inclusive, exclusive `(`, infinite, or bad.
    fn score_bound(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 => self.pick(&BAD_SCORES),
            1 => self.pick(&[b"-inf", b"+inf", b"(inf", b"(-inf", b"inf"]),
            2..=4 => [b"(".to_vec(), self.pick(&SCORES)].concat(),
            _ => self.pick(&SCORES),
        }
    }

    fn lex_bound(&mut self) -> Vec<u8> {
        match self.below(3) {
            0 => self.pick(&LEX_BOUNDS),
            _ => {
                let member = self.member();
                [self.pick(&[b"[", b"("]), member].concat()
            }
        }
    }

    /// A rank or index: usually within a small set, sometimes huge or bad.
    fn rank(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 => self.pick(&RANKS),
            _ => (self.rng.random_range(-6i64..7)).to_string().into_bytes(),
        }
    }

    fn limit(&mut self) -> [Vec<u8>; 3] {
        let offset = match self.below(6) {
            0 => self.pick(&RANKS),
            1 => b"-1".to_vec(),
            _ => self.below(5).to_string().into_bytes(),
        };
        let count = match self.below(6) {
            0 => self.pick(&RANKS),
            1 => self.pick(&[b"-1", b"-5", b"0"]),
            _ => (1 + self.below(4)).to_string().into_bytes(),
        };
        [self.pick(&[b"LIMIT", b"limit"]), offset, count]
    }

    fn withscores(&mut self, args: &mut Vec<Vec<u8>>) {
        if self.chance(1, 2) {
            args.push(self.pick(&[b"WITHSCORES", b"withscores", b"WITHSCORE"]));
        }
    }

    /// ZUNIONSTORE and friends: numkeys (sometimes wrong), keys, WEIGHTS, AGGREGATE.
    fn set_operation(&mut self, args: &mut Vec<Vec<u8>>, weights_allowed: bool) {
        let count = 1 + self.below(3);
        let numkeys = match self.below(10) {
            0 => self.pick(&[b"0", b"-1", b"abc", b"4", b"9223372036854775807", b""]),
            _ => count.to_string().into_bytes(),
        };
        args.push(numkeys);
        args.extend(self.keys_exactly(count));
        for _ in 0..self.below(3) {
            match self.below(5) {
                0 | 1 if weights_allowed => {
                    args.push(self.pick(&[b"WEIGHTS", b"weights"]));
                    let weights = if self.chance(1, 6) {
                        count + 1 - 2 * self.below(2)
                    } else {
                        count
                    };
                    for _ in 0..weights {
                        args.push(self.pick(&WEIGHTS));
                    }
                }
                2 | 3 => args.extend([
                    self.pick(&[b"AGGREGATE", b"aggregate"]),
                    self.pick(&[b"SUM", b"MIN", b"MAX", b"max", b"AVG"]),
                ]),
                _ => args.push(self.pick(&[b"WEIGHTS", b"AGGREGATE", b"NOPE"])),
            }
        }
    }

    fn keys_exactly(&mut self, count: usize) -> Vec<Vec<u8>> {
        (0..count).map(|_| self.key()).collect()
    }

    /// A sorted set command.
    pub(super) fn zset_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(40) {
            0..=7 => {
                let mut args = vec![b"ZADD".to_vec(), self.key()];
                for _ in 0..self.below(3) {
                    args.push(self.pick(&[
                        b"NX",
                        b"XX",
                        b"GT",
                        b"LT",
                        b"CH",
                        b"INCR",
                        b"nx",
                        b"gt",
                        b"ch",
                        b"xx\0",
                        b"CH\0junk",
                    ]));
                }
                let pairs = if self.chance(1, 3) {
                    1
                } else {
                    1 + self.below(4)
                };
                for _ in 0..pairs {
                    args.extend([self.score(), self.member()]);
                }
                if self.chance(1, 12) {
                    args.pop();
                }
                args
            }
            8 | 9 => [vec![b"ZREM".to_vec(), self.key()], self.members(3)].concat(),
            10 => vec![b"ZSCORE".to_vec(), self.key(), self.member()],
            11 => [vec![b"ZMSCORE".to_vec(), self.key()], self.members(3)].concat(),
            12 | 13 => {
                let increment = self.score();
                vec![b"ZINCRBY".to_vec(), self.key(), increment, self.member()]
            }
            14 => vec![b"ZCARD".to_vec(), self.key()],
            15 => vec![
                b"ZCOUNT".to_vec(),
                self.key(),
                self.score_bound(),
                self.score_bound(),
            ],
            16 => {
                *check = Check::Lex(1);
                vec![
                    b"ZLEXCOUNT".to_vec(),
                    self.key(),
                    self.lex_bound(),
                    self.lex_bound(),
                ]
            }
            17 => vec![
                self.pick(&[b"ZRANK", b"ZREVRANK"]),
                self.key(),
                self.member(),
            ],
            18..=21 => {
                let store = self.chance(1, 4);
                let mut args = if store {
                    vec![b"ZRANGESTORE".to_vec(), self.key(), self.key()]
                } else {
                    vec![b"ZRANGE".to_vec(), self.key()]
                };
                let by = self.below(3);
                match by {
                    0 => args.extend([self.rank(), self.rank()]),
                    1 => args.extend([self.score_bound(), self.score_bound()]),
                    _ => args.extend([self.lex_bound(), self.lex_bound()]),
                }
                let mut options = Vec::new();
                match by {
                    1 => options.push(self.pick(&[b"BYSCORE", b"byscore"])),
                    2 => {
                        options.push(self.pick(&[b"BYLEX", b"bylex"]));
                        *check = Check::Lex(args.len() - 3);
                    }
                    _ => {}
                }
                if self.chance(1, 2) {
                    options.push(self.pick(&[b"REV", b"rev"]));
                }
                if self.chance(2, 5) {
                    options.extend(self.limit());
                }
                if !store {
                    self.withscores(&mut options);
                }
                if self.chance(1, 10) {
                    options.push(self.pick(&[b"BYSCORE", b"BYLEX", b"LIMIT", b"NOPE"]));
                }
                // Options go in any order.
                let len = options.len();
                if len > 1 && self.chance(1, 3) {
                    options.rotate_left(1 + self.below(len - 1));
                }
                args.extend(options);
                args
            }
            22 | 23 => {
                let name = self.pick(&[b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]);
                let mut args = vec![name, self.key(), self.score_bound(), self.score_bound()];
                self.withscores(&mut args);
                if self.chance(1, 2) {
                    args.extend(self.limit());
                }
                args
            }
            24 | 25 => {
                let name = self.pick(&[b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"]);
                *check = Check::Lex(1);
                let mut args = vec![name, self.key(), self.lex_bound(), self.lex_bound()];
                if self.chance(1, 2) {
                    args.extend(self.limit());
                }
                if self.chance(1, 10) {
                    args.push(b"WITHSCORES".to_vec());
                }
                args
            }
            26 => {
                let mut args = vec![b"ZREVRANGE".to_vec(), self.key(), self.rank(), self.rank()];
                self.withscores(&mut args);
                args
            }
            27 => vec![
                b"ZREMRANGEBYRANK".to_vec(),
                self.key(),
                self.rank(),
                self.rank(),
            ],
            28 => vec![
                b"ZREMRANGEBYSCORE".to_vec(),
                self.key(),
                self.score_bound(),
                self.score_bound(),
            ],
            29 => {
                *check = Check::Lex(1);
                vec![
                    b"ZREMRANGEBYLEX".to_vec(),
                    self.key(),
                    self.lex_bound(),
                    self.lex_bound(),
                ]
            }
            30 | 31 => {
                let mut args = vec![self.pick(&[b"ZPOPMIN", b"ZPOPMAX"]), self.key()];
                if self.chance(1, 2) {
                    args.push(match self.below(5) {
                        0 => self.pick(&RANKS),
                        1 => self.pick(&[b"-1", b"0"]),
                        _ => (1 + self.below(4)).to_string().into_bytes(),
                    });
                }
                args
            }
            32 | 33 => {
                let name = self.pick(&[b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"]);
                let weights = name != b"ZDIFFSTORE" || self.chance(1, 5);
                let mut args = vec![name, self.key()];
                self.set_operation(&mut args, weights);
                args
            }
            34 | 35 => {
                let name = self.pick(&[b"ZUNION", b"ZINTER", b"ZDIFF"]);
                let weights = name != b"ZDIFF" || self.chance(1, 5);
                let mut args = vec![name];
                self.set_operation(&mut args, weights);
                self.withscores(&mut args);
                args
            }
            36 | 37 => {
                *check = Check::RandMember;
                let mut args = vec![b"ZRANDMEMBER".to_vec(), self.key()];
                if self.chance(3, 4) {
                    args.push(match self.below(8) {
                        0 => self.pick(&[b"abc", b"1.5", b"", b"-9223372036854775808"]),
                        1 => self.pick(&[b"0", b"-1", b"20", b"-20"]),
                        _ => (self.rng.random_range(-6i64..7)).to_string().into_bytes(),
                    });
                    self.withscores(&mut args);
                }
                args
            }
            _ => self.zscan(check),
        }
    }

    fn zscan(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        let cursor = match self.below(8) {
            // Not "-1": strtoul reads it as a valid cursor, and Redis answers any cursor with
            // the whole of a small (listpack) set, where ferrodis resumes mid-table.
            0 => self.pick(&[b"abc", b"1.0", b"", b"18446744073709551616", b" 0"]),
            _ => b"0".to_vec(),
        };
        // strtoul reads an empty cursor as 0.
        if cursor.is_empty() || cursor == b"0" {
            *check = Check::ItemScan(2);
        }
        let mut args = vec![b"ZSCAN".to_vec(), self.key(), cursor];
        for _ in 0..self.below(3) {
            match self.below(5) {
                0 | 1 => args.extend([
                    b"MATCH".to_vec(),
                    self.pick(&[b"*", b"a*", b"[a-c]", b"?", b"*\\r*", b"-*"]),
                ]),
                2 => args.extend([
                    b"COUNT".to_vec(),
                    self.pick(&[b"1", b"2", b"100", b"0", b"-1", b"abc"]),
                ]),
                3 => args.push(self.pick(&[b"MATCH", b"COUNT", b"NOVALUES"])),
                _ => args.extend([b"TYPE".to_vec(), b"zset".to_vec()]),
            }
        }
        args
    }
}
