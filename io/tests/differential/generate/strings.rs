//! String, keyspace and connection commands: SET's options, SCAN's cursors, SELECT's indices.

use super::*;

const PATTERNS: [&[u8]; 14] = [
    b"*", b"?", b"a*", b"*\\**", b"[a-c]", b"[^a]*", b"{*", b"b[", b"\\", b"*x", b"", b"[b-a]*",
    b"bin*", b"*[\\]]*",
];

impl Generator {
    fn db_index(&mut self) -> Vec<u8> {
        match self.below(12) {
            0 => self.pick(&[b"16", b"-1", b"abc", b"99999999999", b"1.0", b""]),
            _ => self.below(DB_COUNT).to_string().into_bytes(),
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
                    self.pick(&[
                        b"string",
                        b"STRING",
                        b"list",
                        b"nosuchtype",
                        b"hash",
                        b"set",
                        b"Set",
                        b"zset",
                    ]),
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

    /// A string, keyspace or connection command.
    pub(super) fn string_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
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
}
