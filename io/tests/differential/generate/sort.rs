//! SORT and SORT_RO over lists and sets: numeric and ALPHA sorts, DESC, LIMIT,
//! BY weights (`w_*` strings and `h_*` hash fields the generator writes) and GET patterns,
//! STORE; only in forms whose reply Redis defines apart from its hash table order.
//!
//! Left out, because Redis's answer then follows its own hash table order: BY a constant on a
//! set without STORE (with STORE Redis sorts the set anyway, and the STORE comes first, so that
//! dropping arguments cannot leave the set unsorted), and ALPHA with a BY pattern anywhere but
//! a list-only key without LIMIT (equal weights then keep the list's order on both servers).

use super::*;

/// Elements whose weight keys and hashes exist: the lists' common elements and the sets'
/// small integers.
const WEIGHTED: [&[u8]; 11] = [
    b"a", b"b", b"1", b"-1", b"", b"007", b"2", b"3", b"0", b"100", b"-5",
];

/// Keys only list commands (and SORT's STORE) write, so they hold a list or nothing.
const LIST_ONLY_KEYS: [&[u8]; 3] = [b"c", b"l", b"queue"];

/// Weight patterns: a string, a hash field, a missing field, a string read as a hash.
const BY_PATTERNS: [&[u8]; 4] = [b"w_*", b"h_*->f", b"h_*->g", b"w_*->f"];

/// GET patterns: the element, strings, hash fields, no `*`, a hash read as a string.
const GET_PATTERNS: [&[u8]; 6] = [b"#", b"w_*", b"h_*->f", b"h_*->g", b"nosuch", b"h_*"];

/// Sources besides the list-only keys: a set-only key, SORT's own destination (a list), a
/// hash and a string (WRONGTYPE). Never a key that may hold a sorted set: Redis's SORT turns a
/// small one into a skiplist, which keeps a -0 score as -0 where ferrodis's tree stores 0 (a
/// difference store/zset.rs chooses), so SORT of sorted sets is left to the core tests.
const OTHER_SOURCES: [&[u8]; 5] = [b"s", b"s", b"sorted", b"h", b"w_1"];

const DESTINATIONS: [&[u8]; 4] = [b"sorted", b"l", b"sorted", b"c"];

impl Generator {
    /// A weight: mostly small numbers (often equal ones, so ties occur), sometimes any value.
    fn weight_value(&mut self) -> Vec<u8> {
        match self.below(4) {
            0 => self.value(),
            _ => (self.rng.random_range(-3i64..4)).to_string().into_bytes(),
        }
    }

    /// A SORT (or a write of the weights it reads).
    pub(super) fn sort_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
        match self.below(12) {
            0 | 1 => {
                let element = self.pick(&WEIGHTED);
                vec![
                    b"SET".to_vec(),
                    [b"w_".as_slice(), &element].concat(),
                    self.weight_value(),
                ]
            }
            2 => {
                let element = self.pick(&WEIGHTED);
                let mut args = vec![b"HSET".to_vec(), [b"h_".as_slice(), &element].concat()];
                args.extend([b"f".to_vec(), self.weight_value()]);
                if self.chance(1, 3) {
                    args.extend([b"g".to_vec(), self.weight_value()]);
                }
                args
            }
            3 => {
                let element = self.pick(&WEIGHTED);
                let prefix: &[u8] = if self.chance(1, 2) { b"w_" } else { b"h_" };
                vec![b"DEL".to_vec(), [prefix, &element].concat()]
            }
            _ => {
                *check = Check::AfterErrnoReset;
                self.sort()
            }
        }
    }

    fn sort(&mut self) -> Vec<Vec<u8>> {
        let read_only = self.chance(1, 4);
        let name = if read_only {
            b"SORT_RO".to_vec()
        } else {
            b"SORT".to_vec()
        };
        let list_only = self.chance(1, 3);
        let key = if list_only {
            self.pick(&LIST_ONLY_KEYS)
        } else {
            self.pick(&OTHER_SOURCES)
        };
        let mut args = vec![name, key];
        // SORT_RO with STORE is a syntax error (and stores nothing).
        let store = (!read_only || self.chance(1, 10)) && self.chance(1, 3);
        let constant_by = self.chance(1, 6) && (list_only || store);
        if store && constant_by {
            args.extend([b"STORE".to_vec(), self.pick(&DESTINATIONS)]);
        }
        let mut alpha = self.chance(1, 3);
        let by_pattern = !constant_by && self.chance(1, 2);
        if constant_by {
            args.extend([b"BY".to_vec(), self.pick(&[b"nosort", b"NOSORT", b"x"])]);
        } else if by_pattern {
            args.extend([b"BY".to_vec(), self.pick(&BY_PATTERNS)]);
        }
        let mut limited = self.chance(1, 3);
        if alpha && by_pattern {
            // Equal ALPHA weights keep the iteration order: defined only for a list.
            if list_only {
                limited = false;
            } else {
                alpha = false;
            }
        }
        if limited {
            args.extend([b"LIMIT".to_vec(), self.integer(), self.integer()]);
        }
        for _ in 0..self.below(3) {
            args.extend([b"GET".to_vec(), self.pick(&GET_PATTERNS)]);
        }
        match self.below(4) {
            0 => args.push(self.pick(&[b"ASC", b"asc"])),
            1 => args.push(self.pick(&[b"DESC", b"desc"])),
            _ => {}
        }
        if alpha {
            args.push(self.pick(&[b"ALPHA", b"alpha"]));
        }
        if store && !constant_by {
            args.extend([b"STORE".to_vec(), self.pick(&DESTINATIONS)]);
        }
        if self.chance(1, 30) {
            args.push(self.pick(&[b"NOSUCH", b"LIMIT", b"BY", b"STORE"]));
        }
        args
    }
}
