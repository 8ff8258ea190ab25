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

pub struct Generator {
    rng: Pcg64,
}

impl Generator {
    pub fn new(rng: Pcg64) -> Generator {
        Generator { rng }
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

    /// A SET expiry option with a TTL of at least a day, or a value Redis rejects.
    fn expiry(&mut self) -> [Vec<u8>; 2] {
        let option = self.pick(&[b"EX", b"PX", b"EXAT", b"PXAT", b"ex", b"pXaT"]);
        let large: &[u8] = match option.to_ascii_uppercase().as_slice() {
            b"EX" => b"100000",
            b"PX" => b"100000000",
            b"EXAT" => b"9999999999",
            _ => b"9999999999999",
        };
        let amount = match self.below(8) {
            0 => b"0".to_vec(),
            1 => b"-1".to_vec(),
            2 => self.pick(&BAD_NUMBERS),
            3 => self.pick(&[
                b"9223372036854775807",
                b"9223372036854775",
                b"-9223372036854775808",
            ]),
            _ => large.to_vec(),
        };
        [option, amount]
    }

    fn set(&mut self) -> Vec<Vec<u8>> {
        let mut args = vec![b"SET".to_vec(), self.key(), self.value()];
        for _ in 0..self.below(4) {
            match self.below(7) {
                0 => args.push(self.pick(&[b"NX", b"nx"])),
                1 => args.push(self.pick(&[b"XX", b"Xx"])),
                2 => args.push(self.pick(&[b"GET", b"get"])),
                3 => args.push(self.pick(&[b"KEEPTTL", b"keepttl"])),
                4 | 5 => args.extend(self.expiry()),
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
        let mut args: Vec<Vec<u8>> = match self.below(46) {
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
                check = Check::Sorted;
                vec![b"KEYS".to_vec(), self.pick(&PATTERNS)]
            }
            31 => {
                let command = self.scan();
                check = command.check;
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
                check = Check::RandomKey;
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
        };
        self.recapitalise(&mut args[0]);
        // A broken SCAN could be a valid one with another cursor, whose page is layout-dependent.
        if check != Check::Scan && self.chance(1, 25) {
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
