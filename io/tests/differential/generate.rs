//! Random commands for the differential test: a small key space so that commands collide, and
//! arguments that stress Redis's edge cases (bad numbers, binary bytes, empty strings, option
//! combinations, wrong arity, odd capitalisation).

use rand::RngExt;
use rand_pcg::Pcg64;

/// Databases the sequences move keys between (SELECT, MOVE, COPY DB, SWAPDB); the final state
/// check walks exactly these.
pub const DB_COUNT: usize = 4;

/// How a reply pair is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// A flat array whose order depends on hash table layout (KEYS): sorted first.
    Sorted,
    /// `SCAN 0 ...`: iterated to cursor 0 on both servers, the key sets compared.
    Scan,
    /// RANDOMKEY: nil on both for an empty database, otherwise ferrodis's key must exist.
    RandomKey,
    /// An integer reply that depends on the wall clock (TTL, PTTL, EXPIRETIME, PEXPIRETIME):
    /// equal, or both non-negative and at most this far apart. The two servers run the same
    /// command a fraction of a millisecond apart, so 2 s (or 2000 ms) is a generous bound.
    Approx(i64),
    /// A lex range over the sorted set at this argument: Redis defines the result only when
    /// every member has the same score, so the command is sent only then.
    Lex(usize),
    /// ZRANDMEMBER: the same shape (length, pairs) and ferrodis's members exist with their
    /// scores; the choice itself is random.
    RandMember,
    /// `ZSCAN key 0 ...`: iterated to cursor 0 on both, the member/score pairs compared.
    ZScan,
    /// OBJECT ENCODING: byte for byte, except that ferrodis's sorted sets say `skiplist` where
    /// Redis's small ones say `listpack` (a deliberate difference).
    Encoding,
    /// `INFO keyspace`: avg_ttl depends on the clock, so only each database's keys= and
    /// expires= counts are compared.
    Keyspace,
}

pub struct Command {
    pub args: Vec<Vec<u8>>,
    pub check: Check,
}

/// Eight keys, including the empty key and one made of protocol bytes.
const KEYS: [&[u8]; 8] = [
    b"a",
    b"b",
    b"counter",
    b"",
    b"bin\r\n\0\xff",
    b"{tag}x",
    b"k:long",
    b"*?[",
];

/// Numbers Redis rejects (or accepts only in some commands), to test each parser's edges.
const BAD_NUMBERS: [&[u8]; 14] = [
    b"abc",
    b"1.5",
    b" 1",
    b"1 ",
    b"+1",
    b"0x10",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"",
    b"-0",
    b"01",
    b"1e3",
    b"\x001",
    b"18446744073709551616",
];

const EDGE_NUMBERS: [&[u8]; 6] = [
    b"9223372036854775807",
    b"-9223372036854775808",
    b"4611686018427387904",
    b"-1",
    b"0",
    b"100000000000",
];

const FLOATS: [&[u8]; 14] = [
    b"1.5",
    b"-0.25",
    b"0.1",
    b"1e3",
    b"3.0e-5",
    b"inf",
    b"-inf",
    b"nan",
    b"1.7976931348623157e308",
    b"5.0e4000",
    b" 1.5",
    b"1.5 ",
    b"0x1p3",
    b"10",
];

const PATTERNS: [&[u8]; 14] = [
    b"*", b"?", b"a*", b"*\\**", b"[a-c]", b"[^a]*", b"{*", b"b[", b"\\", b"*x", b"", b"[b-a]*",
    b"bin*", b"*[\\]]*",
];

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

/// Far-away absolute expiry times (seconds; PEXPIREAT scales them), and past ones that delete.
const ABSOLUTE_TIMES: [&[u8]; 6] = [
    b"4000000000",
    b"9999999999",
    b"5000000000",
    b"1",
    b"0",
    b"1000000000",
];

const BAD_TIMES: [&[u8]; 8] = [
    b"abc",
    b"1.5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775",
    b"-9223372036854775",
    b"",
    b"-1",
];

pub struct Generator {
    rng: Pcg64,
    /// Bumped by every relative TTL, so that no two relative deadlines land within the test's
    /// run time of each other: then GT and LT decide the same way on both servers although
    /// they run at slightly different wall times.
    ttl_counter: i64,
}

impl Generator {
    pub fn new(rng: Pcg64) -> Generator {
        Generator {
            rng,
            ttl_counter: 0,
        }
    }

    /// A relative TTL of more than a day in seconds, never the same twice.
    fn relative_seconds(&mut self) -> i64 {
        self.ttl_counter += 100;
        100_000 * (1 + self.below(3) as i64) + self.ttl_counter
    }

    /// An expiry amount for `unit` (EX, PX, EXAT, PXAT): usually valid and far away.
    fn expiry_amount(&mut self, unit: &[u8]) -> Vec<u8> {
        let unit = unit.to_ascii_uppercase();
        let millis = unit.starts_with(b"P");
        let absolute = unit.ends_with(b"AT");
        match self.below(10) {
            0 => self.pick(&BAD_TIMES),
            1 if absolute => self.pick(&ABSOLUTE_TIMES[3..]),
            1 => self.pick(&[b"0", b"-1", b"-100000"]),
            _ if absolute => {
                let mut time = self.pick(&ABSOLUTE_TIMES[..3]);
                if millis {
                    time.extend_from_slice(b"123");
                }
                time
            }
            _ => {
                let seconds = self.relative_seconds();
                if millis {
                    (seconds * 1000 + 500).to_string().into_bytes()
                } else {
                    seconds.to_string().into_bytes()
                }
            }
        }
    }

    fn below(&mut self, bound: usize) -> usize {
        self.rng.random_range(0..bound)
    }

    /// True `numerator` times in `denominator`.
    fn chance(&mut self, numerator: u32, denominator: u32) -> bool {
        self.rng.random_ratio(numerator, denominator)
    }

    fn pick(&mut self, choices: &[&[u8]]) -> Vec<u8> {
        choices[self.below(choices.len())].to_vec()
    }

    fn key(&mut self) -> Vec<u8> {
        self.pick(&KEYS)
    }

    fn keys(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.key()).collect()
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.random::<u8>()).collect()
    }

    /// A value to store: integers (shared, large, negative), non-canonical numbers, floats,
    /// binary bytes, and strings on both sides of the 44-byte embstr limit.
    fn value(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 | 1 => (self.rng.random_range(-20i64..12000))
                .to_string()
                .into_bytes(),
            2 => self.pick(&EDGE_NUMBERS),
            3 => self.pick(&BAD_NUMBERS),
            4 => self.pick(&FLOATS),
            5 => {
                let len = self.below(8);
                self.bytes(len)
            }
            6 => {
                let len = 40 + self.below(10);
                vec![b'x'; len]
            }
            7 => Vec::new(),
            _ => {
                let len = 1 + self.below(6);
                (0..len).map(|_| b'a' + self.below(26) as u8).collect()
            }
        }
    }

    /// An integer argument, usually valid.
    fn integer(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 => self.pick(&BAD_NUMBERS),
            1 => self.pick(&EDGE_NUMBERS),
            _ => (self.rng.random_range(-30i64..30)).to_string().into_bytes(),
        }
    }

    fn db_index(&mut self) -> Vec<u8> {
        match self.below(12) {
            0 => self.pick(&[b"16", b"-1", b"abc", b"99999999999", b"1.0", b""]),
            _ => self.below(DB_COUNT).to_string().into_bytes(),
        }
    }

    /// A SET or GETEX expiry option with a TTL of more than a day, or a value Redis rejects.
    /// SET with a time in the past stores a key that is already dead until something looks at
    /// it, so INFO keyspace would count it or not depending on each server's active expiry:
    /// such times are left to GETEX (which deletes the key, like Redis) and to the dedicated
    /// expiry test.
    fn expiry(&mut self, past_allowed: bool) -> [Vec<u8>; 2] {
        let option = self.pick(&[b"EX", b"PX", b"EXAT", b"PXAT", b"ex", b"pXaT"]);
        loop {
            let amount = self.expiry_amount(&option);
            let past = matches!(&amount[..], b"1" | b"0" | b"1000000000");
            if past_allowed || !past {
                return [option, amount];
            }
        }
    }

    fn set(&mut self) -> Vec<Vec<u8>> {
        let mut args = vec![b"SET".to_vec(), self.key(), self.value()];
        for _ in 0..self.below(4) {
            match self.below(7) {
                0 => args.push(self.pick(&[b"NX", b"nx"])),
                1 => args.push(self.pick(&[b"XX", b"Xx"])),
                2 => args.push(self.pick(&[b"GET", b"get"])),
                3 => args.push(self.pick(&[b"KEEPTTL", b"keepttl"])),
                4 | 5 => args.extend(self.expiry(false)),
                _ => args.push(self.pick(&[b"EX", b"PERSIST", b"XY", b"", b"NX\0"])),
            }
        }
        args
    }

    fn scan(&mut self) -> Command {
        // Other cursors than these spellings of 0 would start mid-table, where the page
        // depends on layout; the core's unit tests cover how they are read.
        let cursor = match self.below(12) {
            0 => self.pick(&[b"abc", b"18446744073709551616", b"1.0", b" 0", b"-", b"0x1"]),
            1 => self.pick(&[b"", b"+0", b"-0", b"0\0junk", b"00"]),
            _ => b"0".to_vec(),
        };
        let starts_at_zero =
            cursor.iter().all(|&byte| b"+-0".contains(&byte)) || cursor.starts_with(b"0\0");
        let mut args = vec![b"SCAN".to_vec(), cursor];
        for _ in 0..self.below(3) {
            match self.below(7) {
                0 | 1 => args.extend([b"MATCH".to_vec(), self.pick(&PATTERNS)]),
                2 => args.extend([b"COUNT".to_vec(), self.integer()]),
                3 => args.extend([b"count".to_vec(), b"2".to_vec()]),
                4 => args.extend([
                    b"TYPE".to_vec(),
                    self.pick(&[b"string", b"STRING", b"list", b"nosuchtype"]),
                ]),
                5 => args.push(self.pick(&[b"MATCH", b"COUNT", b"TYPE"])),
                _ => args.push(b"NOSUCHOPTION".to_vec()),
            }
        }
        let check = if starts_at_zero && args[1] != b"-" {
            Check::Scan
        } else {
            Check::Exact
        };
        Command { args, check }
    }

    /// One random command, sometimes with its arity broken or its name recapitalised.
    pub fn command(&mut self) -> Command {
        let mut check = Check::Exact;
        let mut args = match self.below(20) {
            0..=8 => self.string_command(&mut check),
            9..=15 => self.zset_command(&mut check),
            _ => self.expire_command(&mut check),
        };
        self.recapitalise(&mut args[0]);
        // A broken SCAN could be a valid one with another cursor, whose page is layout-dependent;
        // a broken lex range could lose the key its check looks at.
        let unbreakable = matches!(check, Check::Scan | Check::ZScan | Check::Lex(_));
        if !unbreakable && self.chance(1, 25) {
            self.break_arity(&mut args);
        }
        Command { args, check }
    }

    /// A string, keyspace or connection command.
    fn string_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(46) {
            0..=3 => vec![b"GET".to_vec(), self.key()],
            4..=8 => self.set(),
            9 => vec![b"SETNX".to_vec(), self.key(), self.value()],
            10 => vec![b"GETSET".to_vec(), self.key(), self.value()],
            11 => vec![b"GETDEL".to_vec(), self.key()],
            12 => [vec![b"MGET".to_vec()], self.keys(4)].concat(),
            13 | 14 => {
                let mut args = vec![self.pick(&[b"MSET", b"MSETNX"])];
                for _ in 0..1 + self.below(3) {
                    args.extend([self.key(), self.value()]);
                }
                if self.chance(1, 8) {
                    args.pop();
                }
                args
            }
            15 | 16 => vec![self.pick(&[b"INCR", b"DECR"]), self.key()],
            17 | 18 => vec![
                self.pick(&[b"INCRBY", b"DECRBY"]),
                self.key(),
                self.integer(),
            ],
            19 => {
                let increment = match self.below(3) {
                    0 => self.integer(),
                    _ => self.pick(&FLOATS),
                };
                vec![b"INCRBYFLOAT".to_vec(), self.key(), increment]
            }
            20 | 21 => vec![b"APPEND".to_vec(), self.key(), self.value()],
            22 => vec![b"STRLEN".to_vec(), self.key()],
            23 | 24 => vec![
                self.pick(&[b"GETRANGE", b"SUBSTR"]),
                self.key(),
                self.integer(),
                self.integer(),
            ],
            25 => {
                // 536870912 is past the 512 MB limit (an error); no offset may make either
                // server actually allocate near it.
                let offset = match self.below(8) {
                    0 => self.pick(&[b"536870912", b"-1", b"abc", b"9223372036854775807"]),
                    _ => self.below(64).to_string().into_bytes(),
                };
                vec![b"SETRANGE".to_vec(), self.key(), offset, self.value()]
            }
            26 | 27 => [vec![self.pick(&[b"DEL", b"UNLINK"])], self.keys(3)].concat(),
            28 => [vec![self.pick(&[b"EXISTS", b"TOUCH"])], self.keys(4)].concat(),
            29 => vec![b"TYPE".to_vec(), self.key()],
            30 => {
                *check = Check::Sorted;
                vec![b"KEYS".to_vec(), self.pick(&PATTERNS)]
            }
            31 => {
                let command = self.scan();
                *check = command.check;
                command.args
            }
            32 => vec![self.pick(&[b"RENAME", b"RENAMENX"]), self.key(), self.key()],
            33 => {
                let mut args = vec![b"COPY".to_vec(), self.key(), self.key()];
                if self.chance(1, 2) {
                    args.extend([b"DB".to_vec(), self.db_index()]);
                }
                if self.chance(1, 2) {
                    args.push(self.pick(&[b"REPLACE", b"replace", b"NOPE"]));
                }
                args
            }
            34 => {
                *check = Check::Encoding;
                let sub = self.pick(&[b"ENCODING", b"encoding", b"ENCODING", b"nosuch"]);
                vec![b"OBJECT".to_vec(), sub, self.key()]
            }
            35 => vec![b"SELECT".to_vec(), self.db_index()],
            36 => vec![b"MOVE".to_vec(), self.key(), self.db_index()],
            37 => vec![b"SWAPDB".to_vec(), self.db_index(), self.db_index()],
            38 => vec![b"DBSIZE".to_vec()],
            39 if self.chance(1, 4) => {
                let mut args = vec![b"FLUSHDB".to_vec()];
                if self.chance(1, 3) {
                    args.push(self.pick(&[b"SYNC", b"ASYNC", b"async", b"NOW"]));
                }
                args
            }
            40 => vec![b"ECHO".to_vec(), self.value()],
            41 => {
                let mut args = vec![b"PING".to_vec()];
                if self.chance(1, 2) {
                    args.push(self.value());
                }
                args
            }
            42 => {
                *check = Check::RandomKey;
                vec![b"RANDOMKEY".to_vec()]
            }
            43 => {
                let name = self.pick(&[b"NOSUCH", b"getx", b"", b"G\xffT", b"set\r\n"]);
                let mut args = vec![name];
                for _ in 0..self.below(4) {
                    args.push(self.value());
                }
                args
            }
            _ => vec![b"GET".to_vec(), self.key()],
        }
    }

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
    fn zset_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(40) {
            0..=7 => {
                let mut args = vec![b"ZADD".to_vec(), self.key()];
                for _ in 0..self.below(3) {
                    args.push(self.pick(&[
                        b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"nx", b"gt", b"ch",
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
            *check = Check::ZScan;
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

    /// An expiry command.
    fn expire_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(16) {
            0..=4 => {
                let name = self.pick(&[b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"]);
                let unit: &[u8] = match name.as_slice() {
                    b"EXPIRE" => b"EX",
                    b"PEXPIRE" => b"PX",
                    b"EXPIREAT" => b"EXAT",
                    _ => b"PXAT",
                };
                let amount = self.expiry_amount(unit);
                let mut args = vec![name, self.key(), amount];
                let options = match self.below(8) {
                    0..=3 => 0,
                    4..=6 => 1,
                    _ => 2,
                };
                for _ in 0..options {
                    args.push(self.pick(&[b"NX", b"XX", b"GT", b"LT", b"gt", b"FOO"]));
                }
                args
            }
            5..=8 => {
                let (name, tolerance): (&[u8], i64) = match self.below(4) {
                    0 => (b"TTL", 2),
                    1 => (b"PTTL", 2000),
                    2 => (b"EXPIRETIME", 2),
                    _ => (b"PEXPIRETIME", 2000),
                };
                *check = Check::Approx(tolerance);
                vec![name.to_vec(), self.key()]
            }
            9 => vec![b"PERSIST".to_vec(), self.key()],
            10 | 11 => {
                let (name, unit): (&[u8], &[u8]) = if self.chance(1, 2) {
                    (b"SETEX", b"EX")
                } else {
                    (b"PSETEX", b"PX")
                };
                let amount = self.expiry_amount(unit);
                vec![name.to_vec(), self.key(), amount, self.value()]
            }
            12..=14 => {
                let mut args = vec![b"GETEX".to_vec(), self.key()];
                for _ in 0..self.below(3) {
                    match self.below(4) {
                        0 => args.push(self.pick(&[b"PERSIST", b"persist", b"EX", b"NOPE"])),
                        _ => args.extend(self.expiry(true)),
                    }
                }
                args
            }
            _ => {
                *check = Check::Keyspace;
                vec![b"INFO".to_vec(), b"keyspace".to_vec()]
            }
        }
    }

    fn recapitalise(&mut self, name: &mut [u8]) {
        match self.below(4) {
            0 => name.make_ascii_lowercase(),
            1 => {
                for byte in name.iter_mut() {
                    if self.chance(1, 2) {
                        *byte = byte.to_ascii_lowercase();
                    }
                }
            }
            _ => {}
        }
    }

    /// Drops or adds arguments. The reply is then an arity or syntax error, or (for variadic
    /// commands) an ordinary reply, compared byte for byte either way.
    fn break_arity(&mut self, args: &mut Vec<Vec<u8>>) {
        if self.chance(1, 2) && args.len() > 1 {
            let keep = 1 + self.below(args.len() - 1);
            args.truncate(keep);
        } else {
            for _ in 0..1 + self.below(2) {
                args.push(self.value());
            }
        }
    }
}
