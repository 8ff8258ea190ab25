//! Transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH) over real sockets.
//!
//! The differential half sends the same hand-written and seeded-random sequences to ferrodis and
//! to a real `redis-server` (7.0.x, the reference), over one or more connections per server in
//! the same interleaving, in RESP2 and after `HELLO 3`, and requires byte-identical replies.
//! What is compared is what a client sees: QUEUED, the errors that doom a transaction and the
//! ones that do not, EXEC's array with runtime errors as elements, the null array after a
//! watched key changed, and the keys and values left behind.
//!
//! Left out, because the two servers differ there for reasons that have nothing to do with
//! transactions (see differential.rs): HELLO's reply (it carries the connection id), TTL values,
//! KEYS order (compared sorted), RANDOMKEY, ZRANDMEMBER, SCAN pages, OBJECT ENCODING of sorted
//! sets, INFO, CLIENT LIST.
//!
//! The other half runs the `redis` crate's transaction helpers against ferrodis alone.
//!
//! The commands that wait on other connections (pub/sub, the blocking pops) are compared the
//! same way, in waiting.rs.

#[path = "transactions/client.rs"]
mod client;
mod common;
#[allow(dead_code)]
#[path = "differential/generate.rs"]
mod generate;
#[path = "transactions/pair.rs"]
mod pair;
#[path = "transactions/races.rs"]
mod races;
#[path = "transactions/random.rs"]
mod random;
#[allow(dead_code)]
#[path = "differential/reply.rs"]
mod reply;
#[path = "transactions/scripting.rs"]
mod scripting;
#[path = "transactions/scripts.rs"]
mod scripts;
#[path = "transactions/waiting.rs"]
mod waiting;

use common::{start_ferrodis, start_redis, ServerProcess};
use pair::{Pair, Protocol};

/// Every hand-written sequence runs in both protocols.
const PROTOCOLS: [Protocol; 2] = [Protocol::Resp2, Protocol::Resp3];

/// A ferrodis and a Redis, started side by side on free loopback ports.
struct Servers {
    ferrodis: ServerProcess,
    redis: ServerProcess,
}

impl Servers {
    /// Fails the test when `redis-server` is missing: a skipped comparison would prove nothing.
    fn start(extra: &[&str]) -> Servers {
        Servers {
            redis: start_redis(extra),
            ferrodis: start_ferrodis(extra),
        }
    }

    /// `connections` fresh connections to each server.
    fn pair(&self, connections: usize, protocol: Protocol) -> Pair {
        Pair::connect(&self.ferrodis, &self.redis, connections, protocol)
    }
}

/// Fails with every report, or passes when there is none.
fn collect_failures(failures: Vec<String>, runs: usize) {
    assert!(
        failures.is_empty(),
        "{} failures in {runs} runs (each in both protocols where it applies):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs each script from FLUSHALL on three fresh connections per server, in both protocols,
/// and fails with every mismatch found.
fn run_scripts(servers: &Servers, scripts: &[&[&str]]) {
    let mut failures = Vec::new();
    for protocol in PROTOCOLS {
        for script in scripts {
            let mut pair = servers.pair(3, protocol);
            if let Err(report) = pair.line("B FLUSHALL").and_then(|_| pair.script(script)) {
                failures.push(report);
            }
        }
    }
    collect_failures(failures, scripts.len());
}

/// The comparison can fail: with a key only ferrodis holds, the same transaction must be
/// reported as a mismatch, with both replies.
#[test]
fn the_comparison_reports_a_difference() {
    let servers = Servers::start(&[]);
    let mut pair = servers.pair(1, Protocol::Resp2);
    pair.line("A FLUSHALL").unwrap();
    let mut stray = servers.ferrodis.connect();
    assert_eq!(common::call(&mut stray, &["SET", "k", "1"]), b"+OK\r\n");
    let report = pair
        .script(&["A WATCH k", "A MULTI", "A GET k", "A EXEC"])
        .expect_err("EXEC's array differs");
    assert!(
        report.contains("A \"EXEC\": different replies")
            && report.contains("ferrodis: \"*1\\r\\n$1\\r\\n1\\r\\n\"")
            && report.contains("redis:    \"*1\\r\\n$-1\\r\\n\""),
        "{report}"
    );
}
