//! Expiry: EXPIRE and friends, TTL queries, SETEX, GETEX, and the TTLs SET uses.

use super::*;

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

impl Generator {
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

    /// A SET or GETEX expiry option with a TTL of more than a day, or a value Redis rejects.
    /// SET with a time in the past stores a key that is already dead until something looks at
    /// it, so INFO keyspace would count it or not depending on each server's active expiry:
    /// such times are left to GETEX (which deletes the key, like Redis) and to the dedicated
    /// expiry test.
    pub(super) fn expiry(&mut self, past_allowed: bool) -> [Vec<u8>; 2] {
        let option = self.pick(&[b"EX", b"PX", b"EXAT", b"PXAT", b"ex", b"pXaT"]);
        loop {
            let amount = self.expiry_amount(&option);
            let past = matches!(&amount[..], b"1" | b"0" | b"1000000000");
            if past_allowed || !past {
                return [option, amount];
            }
        }
    }

    /// An expiry command.
    pub(super) fn expire_command(&mut self, check: &mut Check) -> Vec<Vec<u8>> {
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
}
