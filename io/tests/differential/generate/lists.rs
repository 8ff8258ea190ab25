//! List commands: pushes and pops at both ends (with counts), indexes and ranges on both sides
//! of zero, LINSERT/LSET/LREM/LTRIM, LPOS's options, LMOVE between and within lists, LMPOP;
//! elements of every encoding, some bigger than a block, so that lists span blocks.

use super::*;

/// The keys list commands mostly use (see `key_from`): one of `KEYS`, and two that no other
/// family touches, where lists grow long.
const LIST_KEYS: [&[u8]; 3] = [b"c", b"l", b"queue"];

/// Elements that recur, so that LREM, LPOS and LINSERT find matches.
const COMMON_ELEMENTS: [&[u8]; 6] = [b"a", b"b", b"1", b"-1", b"", b"007"];

const ENDS: [&[u8]; 4] = [b"LEFT", b"RIGHT", b"left", b"Right"];

impl Generator {
    fn list_key(&mut self) -> Vec<u8> {
        self.key_from(&LIST_KEYS)
    }

    /// An element: a common one, any value, or (rarely) one bigger than a 4 KiB block.
    fn element(&mut self) -> Vec<u8> {
        match self.below(20) {
            0..=8 => self.pick(&COMMON_ELEMENTS),
            9 => {
                let len = 4000 + self.below(300);
                vec![b'e'; len]
            }
            _ => self.value(),
        }
    }

    fn elements(&mut self, max: usize) -> Vec<Vec<u8>> {
        let count = 1 + self.below(max);
        (0..count).map(|_| self.element()).collect()
    }

    /// An index: mostly small and either side of zero, sometimes extreme or not a number.
    fn list_index(&mut self) -> Vec<u8> {
        match self.below(12) {
            0 => self.pick(&BAD_NUMBERS),
            1 => self.pick(&EDGE_NUMBERS),
            _ => (self.rng.random_range(-40i64..40)).to_string().into_bytes(),
        }
    }

    /// A count for LPOP/RPOP, LMPOP's COUNT, LPOS's options and LREM.
    fn list_count(&mut self) -> Vec<u8> {
        match self.below(10) {
            0 => self.pick(&[b"-1", b"abc", b"", b"1.5", b"9223372036854775807"]),
            1 => b"0".to_vec(),
            _ => (1 + self.below(8)).to_string().into_bytes(),
        }
    }

    /// A list command.
    pub(super) fn list_command(&mut self) -> Vec<Vec<u8>> {
        match self.below(48) {
            0..=9 => {
                let name = self.pick(&[b"LPUSH", b"RPUSH", b"rpush"]);
                [vec![name, self.list_key()], self.elements(4)].concat()
            }
            10 => {
                // A burst, so that lists reach past a block.
                let count = 20 + self.below(60);
                let mut args = vec![b"RPUSH".to_vec(), self.list_key()];
                args.extend((0..count).map(|_| self.element()));
                args
            }
            11 => {
                let name = self.pick(&[b"LPUSHX", b"RPUSHX"]);
                [vec![name, self.list_key()], self.elements(3)].concat()
            }
            12..=15 => {
                let mut args = vec![self.pick(&[b"LPOP", b"RPOP"]), self.list_key()];
                if self.chance(1, 2) {
                    args.push(self.list_count());
                }
                args
            }
            16 => vec![b"LLEN".to_vec(), self.list_key()],
            17 | 18 => vec![b"LINDEX".to_vec(), self.list_key(), self.list_index()],
            19 | 20 => vec![
                b"LSET".to_vec(),
                self.list_key(),
                self.list_index(),
                self.element(),
            ],
            21..=24 => vec![
                b"LRANGE".to_vec(),
                self.list_key(),
                self.list_index(),
                self.list_index(),
            ],
            25 | 26 => vec![
                b"LINSERT".to_vec(),
                self.list_key(),
                self.pick(&[b"BEFORE", b"AFTER", b"after", b"middle"]),
                self.element(),
                self.element(),
            ],
            27 | 28 => vec![
                b"LREM".to_vec(),
                self.list_key(),
                match self.below(3) {
                    0 => self.list_index(),
                    _ => self.rng.random_range(-3i64..4).to_string().into_bytes(),
                },
                self.element(),
            ],
            29 => vec![
                b"LTRIM".to_vec(),
                self.list_key(),
                self.list_index(),
                self.pick(&[b"-1", b"-2", b"100", b"30"]),
            ],
            30..=33 => self.lpos(),
            34..=36 => vec![
                b"LMOVE".to_vec(),
                self.list_key(),
                self.list_key(),
                self.pick(&ENDS),
                match self.below(20) {
                    0 => b"UP".to_vec(),
                    _ => self.pick(&ENDS),
                },
            ],
            37 => vec![b"RPOPLPUSH".to_vec(), self.list_key(), self.list_key()],
            38 | 39 => self.lmpop(),
            40 | 41 => vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), self.list_key()],
            _ => [vec![b"RPUSH".to_vec(), self.list_key()], self.elements(3)].concat(),
        }
    }

    /// LPOS key element [RANK r] [COUNT n] [MAXLEN m], options in any order, sometimes twice
    /// or broken.
    fn lpos(&mut self) -> Vec<Vec<u8>> {
        let mut args = vec![b"LPOS".to_vec(), self.list_key(), self.element()];
        for _ in 0..self.below(4) {
            match self.below(8) {
                0 | 1 => args.extend([
                    b"RANK".to_vec(),
                    match self.below(6) {
                        0 => self.pick(&[
                            b"0",
                            b"-9223372036854775808",
                            b"x",
                            b"9223372036854775807",
                        ]),
                        _ => self.rng.random_range(-4i64..5).to_string().into_bytes(),
                    },
                ]),
                2 | 3 => args.extend([b"COUNT".to_vec(), self.list_count()]),
                4 | 5 => args.extend([
                    b"MAXLEN".to_vec(),
                    match self.below(6) {
                        0 => self.pick(&[b"-1", b"9223372036854775807"]),
                        _ => self.below(30).to_string().into_bytes(),
                    },
                ]),
                6 => args.push(b"RANK".to_vec()),
                _ => args.extend([b"FOO".to_vec(), b"1".to_vec()]),
            }
        }
        args
    }

    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT n], with numkeys sometimes wrong.
    fn lmpop(&mut self) -> Vec<Vec<u8>> {
        let count = 1 + self.below(3);
        let numkeys = match self.below(10) {
            0 => self.pick(&[b"0", b"-1", b"x", b"9"]),
            _ => count.to_string().into_bytes(),
        };
        let mut args = vec![b"LMPOP".to_vec(), numkeys];
        args.extend((0..count).map(|_| self.list_key()));
        args.push(match self.below(15) {
            0 => b"MIDDLE".to_vec(),
            _ => self.pick(&ENDS),
        });
        if self.chance(1, 2) {
            args.extend([b"COUNT".to_vec(), self.list_count()]);
        }
        args
    }
}
