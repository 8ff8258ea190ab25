//! Seeded random transactions on two connections per server: the differential test's string,
//! keyspace, sorted-set, hash and set commands, queued between MULTI and EXEC or run between
//! one connection's WATCH and its EXEC, with errors while queuing, nested MULTI, WATCH inside
//! MULTI, DISCARD, and EXEC or DISCARD without MULTI mixed in. Now and then a connection writes
//! a whole transaction in one batch, as client libraries do.
//!
//! Only commands the differential test compares byte for byte are drawn (its `Check::Exact`):
//! TTLs, KEYS order, RANDOMKEY, random picks (ZRANDMEMBER, HRANDFIELD, SRANDMEMBER, SPOP),
//! SCAN pages, lex ranges over mixed scores, the order of hash fields and set members,
//! OBJECT ENCODING and INFO would differ inside EXEC's array for reasons that have nothing to
//! do with transactions. The final state check reads hashes and sets only as far as their
//! keys and types.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use crate::generate::{Check, Generator, DB_COUNT, KEYS};
use crate::pair::{Pair, Protocol};
use crate::{collect_failures, Servers};

/// Seeds run by default; `FERRODIS_TRANSACTION_SEEDS=n` runs seeds 0..n for a longer search.
const SEEDS: u64 = 100;
const STEPS_PER_SEED: usize = 250;
/// Seeds with `seed % RESP3_EVERY == RESP3_EVERY - 1` run after `HELLO 3`.
const RESP3_EVERY: u64 = 3;
/// The two racing connections; a third only reads the final state.
const CONNECTIONS: usize = 2;
const CHECKER: usize = CONNECTIONS;
/// Commands in a transaction written as one batch.
const BATCH_COMMANDS_MAX: usize = 12;
/// Keys in one WATCH.
const WATCH_KEYS_MAX: usize = 3;

/// Commands refused while queuing (unknown, wrong arity, unknown subcommand): each makes the
/// transaction's EXEC answer EXECABORT.
const REFUSED_COMMANDS: &[&[&[u8]]] = &[
    &[b"NOSUCH"],
    &[b"nosuch", b"a", b"b"],
    &[b"GET"],
    &[b"SET", b"a"],
    &[b"ZADD", b"a", b"1"],
    &[b"OBJECT", b"NOSUCH", b"a"],
    &[b"MULTI", b"x"],
    &[b"WATCH"],
];

/// How Redis answered the EXECs of a run, to show the run reached every outcome.
#[derive(Debug, Default)]
struct ExecOutcomes {
    ran: usize,
    /// A watched key changed: a null array.
    watch_failed: usize,
    /// A command was refused while queuing: EXECABORT.
    aborted: usize,
    without_multi: usize,
}

impl ExecOutcomes {
    fn count(&mut self, reply: &[u8]) {
        if reply == b"*-1\r\n" || reply == b"_\r\n" {
            self.watch_failed += 1;
        } else if reply.starts_with(b"*") {
            self.ran += 1;
        } else if reply.starts_with(b"-EXECABORT") {
            self.aborted += 1;
        } else if reply == b"-ERR EXEC without MULTI\r\n" {
            self.without_multi += 1;
        }
    }
}

/// Chooses each step: which connection acts and what it sends.
struct Script {
    rng: Pcg64,
    generator: Generator,
    /// Per connection: inside MULTI, as Redis's replies say.
    in_multi: [bool; CONNECTIONS],
    /// The connection that acted last; it usually acts again, so transactions get long.
    current: usize,
    outcomes: ExecOutcomes,
}

impl Script {
    fn new(seed: u64) -> Script {
        let mut rng = Pcg64::seed_from_u64(seed);
        let generator = Generator::new(Pcg64::seed_from_u64(rng.random()));
        Script {
            rng,
            generator,
            in_multi: [false; CONNECTIONS],
            current: 0,
            outcomes: ExecOutcomes::default(),
        }
    }

    fn words(words: &[&[u8]]) -> Vec<Vec<u8>> {
        words.iter().map(|word| word.to_vec()).collect()
    }

    /// A random command the differential test compares byte for byte.
    fn exact_command(&mut self) -> Vec<Vec<u8>> {
        loop {
            let command = self.generator.command();
            if command.check == Check::Exact {
                return command.args;
            }
        }
    }

    fn watch(&mut self) -> Vec<Vec<u8>> {
        let count = self.rng.random_range(1..=WATCH_KEYS_MAX);
        let mut args = vec![b"WATCH".to_vec()];
        for _ in 0..count {
            args.push(KEYS[self.rng.random_range(0..KEYS.len())].to_vec());
        }
        args
    }

    /// The next command for `connection`, by what it is doing.
    fn command(&mut self, connection: usize) -> Vec<Vec<u8>> {
        let roll = self.rng.random_range(0..100);
        if self.in_multi[connection] {
            match roll {
                0..=1 => {
                    let index = self.rng.random_range(0..REFUSED_COMMANDS.len());
                    Script::words(REFUSED_COMMANDS[index])
                }
                2..=3 => Script::words(&[b"MULTI"]),
                4..=5 => self.watch(),
                6..=17 => Script::words(&[b"EXEC"]),
                18..=20 => Script::words(&[b"DISCARD"]),
                21 => Script::words(&[b"UNWATCH"]),
                _ => self.exact_command(),
            }
        } else {
            match roll {
                0..=11 => self.watch(),
                12..=13 => Script::words(&[b"UNWATCH"]),
                14..=29 => Script::words(&[b"MULTI"]),
                30 => Script::words(&[b"EXEC"]),
                31 => Script::words(&[b"DISCARD"]),
                32 => Script::words(&[b"FLUSHALL"]),
                _ => self.exact_command(),
            }
        }
    }

    /// A whole transaction for one batch: maybe a WATCH, MULTI, commands (now and then one
    /// that cannot be queued), and EXEC or, rarely, DISCARD.
    fn batch(&mut self) -> Vec<Vec<Vec<u8>>> {
        let mut batch = Vec::new();
        if self.rng.random_ratio(1, 3) {
            batch.push(self.watch());
        }
        batch.push(Script::words(&[b"MULTI"]));
        for _ in 0..self.rng.random_range(0..=BATCH_COMMANDS_MAX) {
            if self.rng.random_ratio(1, 30) {
                let index = self.rng.random_range(0..REFUSED_COMMANDS.len());
                batch.push(Script::words(REFUSED_COMMANDS[index]));
            } else {
                batch.push(self.exact_command());
            }
        }
        let end: &[u8] = if self.rng.random_ratio(1, 8) {
            b"DISCARD"
        } else {
            b"EXEC"
        };
        batch.push(vec![end.to_vec()]);
        batch
    }

    /// Follows `connection` in or out of MULTI by Redis's reply to `args`, and counts how
    /// EXEC ended.
    fn observe(&mut self, connection: usize, args: &[Vec<u8>], reply: &[u8]) {
        let name = args[0].to_ascii_uppercase();
        match name.as_slice() {
            b"MULTI" if reply == b"+OK\r\n" => self.in_multi[connection] = true,
            b"EXEC" if args.len() == 1 => {
                self.in_multi[connection] = false;
                self.outcomes.count(reply);
            }
            b"DISCARD" if args.len() == 1 => self.in_multi[connection] = false,
            // Redis discards the transaction when EXEC itself is refused.
            b"EXEC" if reply.starts_with(b"-EXECABORT") => self.in_multi[connection] = false,
            _ => {}
        }
    }

    /// One step: a single command, or a whole transaction in one batch.
    fn step(&mut self, pair: &mut Pair) -> Result<(), String> {
        if self.rng.random_ratio(1, 4) {
            self.current = self.rng.random_range(0..CONNECTIONS);
        }
        let connection = self.current;
        if !self.in_multi[connection] && self.rng.random_ratio(1, 15) {
            let batch = self.batch();
            let replies = pair.run_batch(connection, &batch)?;
            for (args, reply) in batch.iter().zip(&replies) {
                self.observe(connection, args, reply);
            }
            return Ok(());
        }
        let args = self.command(connection);
        let reply = pair.run(connection, &args)?;
        self.observe(connection, &args, &reply);
        Ok(())
    }
}

/// Every key and value in every database the sequences use, read on the checker connection.
fn compare_state(pair: &mut Pair) -> Result<(), String> {
    for db in 0..DB_COUNT {
        pair.run(
            CHECKER,
            &Script::words(&[b"SELECT", db.to_string().as_bytes()]),
        )?;
        pair.run(CHECKER, &Script::words(&[b"DBSIZE"]))?;
        let keys = pair.run_unordered(CHECKER, &Script::words(&[b"KEYS", b"*"]))?;
        for key in keys {
            let kind = pair.run(CHECKER, &[b"TYPE".to_vec(), key.clone()])?;
            let read = if kind.ends_with(b"zset\r\n") {
                vec![
                    b"ZRANGE".to_vec(),
                    key,
                    b"0".to_vec(),
                    b"-1".to_vec(),
                    b"WITHSCORES".to_vec(),
                ]
            } else {
                vec![b"GET".to_vec(), key]
            };
            pair.run(CHECKER, &read)?;
        }
    }
    Ok(())
}

fn run_seed(servers: &Servers, seed: u64, outcomes: &mut ExecOutcomes) -> Result<(), String> {
    let protocol = if seed % RESP3_EVERY == RESP3_EVERY - 1 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    let mut pair = servers.pair(CONNECTIONS + 1, protocol);
    pair.run(0, &Script::words(&[b"FLUSHALL"]))?;
    let mut script = Script::new(seed);
    let mut result = Ok(());
    for step in 0..STEPS_PER_SEED {
        if let Err(report) = script.step(&mut pair) {
            result = Err(format!("seed {seed} step {step}: {report}"));
            break;
        }
    }
    outcomes.ran += script.outcomes.ran;
    outcomes.watch_failed += script.outcomes.watch_failed;
    outcomes.aborted += script.outcomes.aborted;
    outcomes.without_multi += script.outcomes.without_multi;
    result?;
    compare_state(&mut pair).map_err(|report| format!("seed {seed}, final state: {report}"))
}

#[test]
fn random_transactions_on_two_connections_match_redis() {
    let servers = Servers::start(&[]);
    let seeds = std::env::var("FERRODIS_TRANSACTION_SEEDS")
        .map(|text| {
            text.parse()
                .expect("FERRODIS_TRANSACTION_SEEDS is a number")
        })
        .unwrap_or(SEEDS);
    let mut outcomes = ExecOutcomes::default();
    // A mismatch leaves the two states apart: report it and go on with the next seed, which
    // starts from FLUSHALL on fresh connections.
    let failures: Vec<String> = (0..seeds)
        .filter_map(|seed| run_seed(&servers, seed, &mut outcomes).err())
        .collect();
    collect_failures(failures, seeds as usize);
    // The default run must reach every way an EXEC ends, or it is not testing them.
    if seeds >= SEEDS {
        let reached = [
            outcomes.ran,
            outcomes.watch_failed,
            outcomes.aborted,
            outcomes.without_multi,
        ];
        assert!(reached.iter().all(|&count| count > 0), "{outcomes:?}");
    }
}
