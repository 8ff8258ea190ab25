//! Random commands for the differential test: a small key space so that commands collide, and
//! arguments that stress Redis's edge cases (bad numbers, binary bytes, empty strings, option
//! combinations, wrong arity, odd capitalisation).

use rand::RngExt;
use rand_pcg::Pcg64;

#[path = "generate/bits.rs"]
mod bits;
#[path = "generate/expiry.rs"]
mod expiry;
#[path = "generate/hashes.rs"]
mod hashes;
#[path = "generate/lists.rs"]
mod lists;
#[path = "generate/sets.rs"]
mod sets;
#[path = "generate/sort.rs"]
mod sort;
#[path = "generate/strings.rs"]
mod strings;
#[path = "generate/zsets.rs"]
mod zsets;

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
    /// An array, set or map whose order depends on the encoding and on hash table layout
    /// (HKEYS, HVALS, HGETALL, SMEMBERS, SINTER, SUNION, SDIFF): the same marker, and the same
    /// elements in groups of this many (2 for HGETALL's field/value pairs) as multisets.
    Unordered(usize),
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
    /// ZRANDMEMBER, HRANDFIELD, SRANDMEMBER: the same shape (length, pairs) and ferrodis's
    /// members exist with their scores or values; the choice itself is random.
    RandMember,
    /// `ZSCAN`, `HSCAN` or `SSCAN key 0 ...`: iterated to cursor 0 on both, the items compared
    /// as sets, in groups of this many (member/score or field/value pairs, or members).
    ItemScan(usize),
    /// SPOP: the set is read first; the same shape, ferrodis's members were in the set and left
    /// it; then the two sets differ, so the key is deleted on both.
    Pop,
    /// `INFO keyspace`: avg_ttl depends on the clock, so only each database's keys= and
    /// expires= counts are compared.
    Keyspace,
    /// SORT: byte for byte, after a `ZADD` that parses a score and changes nothing. Redis's SORT
    /// reads C's `errno` after `strtod` without clearing it first, so a range error left by an
    /// earlier command on the connection (a float overflow) fails a later SORT of plain
    /// numbers with "One or more scores can't be converted"; the ZADD's score parsing clears
    /// `errno` first. Not in batches, where the ZADD could not come right before.
    AfterErrnoReset,
}

pub struct Command {
    pub args: Vec<Vec<u8>>,
    pub check: Check,
}

/// Eight keys, including the empty key and one made of protocol bytes (public so that other
/// tests can watch the keys the commands touch; hash and set commands also use a key of their
/// own each, see `key_from`).
pub const KEYS: [&[u8]; 8] = [
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

    /// A key for a hash or set command: usually one of the family's own `home` keys, where a
    /// value can grow past the encoding limits before a string or sorted set command replaces
    /// it, otherwise any (another type's, for WRONGTYPE).
    fn key_from(&mut self, home: &[&[u8]]) -> Vec<u8> {
        if self.chance(3, 4) {
            self.pick(home)
        } else {
            self.key()
        }
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

    /// The CONFIG commands a seed starts with: a CONFIG GET of each encoding limit (Redis's
    /// defaults in the first seed), then in half the seeds a CONFIG SET of small limits on
    /// packed hashes and intsets, so that a few fields or members convert them to hashtables,
    /// otherwise of Redis's defaults; and a list block size, often a few elements or 4 KiB, so
    /// that lists span blocks (the servers outlive a seed, so each seed sets every limit).
    /// Names are Redis's or their pre-7.0 aliases.
    pub fn encoding_limits(&mut self) -> Vec<Command> {
        let [entries, value, intset] = if self.chance(1, 2) {
            match self.below(8) {
                0 => [b"0".to_vec(), b"0".to_vec(), b"0".to_vec()],
                _ => [
                    self.pick(&[b"1", b"2", b"4", b"6"]),
                    self.pick(&[b"4", b"8", b"16"]),
                    self.pick(&[b"1", b"2", b"4", b"6"]),
                ],
            }
        } else {
            [b"512".to_vec(), b"64".to_vec(), b"512".to_vec()]
        };
        let list_size = self.pick(&[b"-2", b"-1", b"1", b"2", b"3", b"0", b"-5", b"128"]);
        let names = [
            self.pick(&[b"hash-max-listpack-entries", b"hash-max-ziplist-entries"]),
            self.pick(&[b"hash-max-listpack-value", b"HASH-MAX-ZIPLIST-VALUE"]),
            b"set-max-intset-entries".to_vec(),
            self.pick(&[b"list-max-listpack-size", b"list-max-ziplist-size"]),
        ];
        // One name a CONFIG GET: Redis lists several in hash table order. In lower case:
        // Redis answers with the name as asked, ferrodis in lower case, a CONFIG difference
        // this test leaves aside.
        let mut commands: Vec<Command> = names
            .iter()
            .map(|name| Command {
                args: vec![
                    b"CONFIG".to_vec(),
                    b"GET".to_vec(),
                    name.to_ascii_lowercase(),
                ],
                check: Check::Exact,
            })
            .collect();
        let mut set = vec![b"CONFIG".to_vec(), b"SET".to_vec()];
        for (name, limit) in names.into_iter().zip([entries, value, intset, list_size]) {
            set.extend([name, limit]);
        }
        commands.push(Command {
            args: set,
            check: Check::Exact,
        });
        commands
    }

    /// One random command, sometimes with its arity broken or its name recapitalised.
    pub fn command(&mut self) -> Command {
        let mut check = Check::Exact;
        let mut args = match self.below(44) {
            0..=8 => self.string_command(&mut check),
            9..=14 => self.zset_command(&mut check),
            15..=18 => self.expire_command(&mut check),
            19..=23 => self.hash_command(&mut check),
            24..=29 => self.list_command(),
            30..=35 => self.set_command(&mut check),
            36..=39 => self.bit_command(),
            _ => self.sort_command(&mut check),
        };
        self.recapitalise(&mut args[0]);
        // A broken SCAN could be a valid one with another cursor, whose page is layout-dependent;
        // a broken lex range could lose the key its check looks at.
        let unbreakable = matches!(check, Check::Scan | Check::ItemScan(_) | Check::Lex(_));
        if !unbreakable && self.chance(1, 25) {
            self.break_arity(&mut args);
        }
        Command { args, check }
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
