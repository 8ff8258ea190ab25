//! Two connections per server racing on a watched key: A watches, B (or A itself) changes the
//! key, another key, or nothing at all, then A runs MULTI / GET k / SET done yes / EXEC. Both
//! connections' replies are compared with Redis's, and Redis's EXEC reply must confirm which
//! list the race is in (so a race that stopped testing what it says fails too).

use std::time::Duration;

use crate::pair::Protocol;
use crate::{collect_failures, Servers, PROTOCOLS};

/// Races after which EXEC fails with a null array. k exists only where the setup makes it.
const INVALIDATING: &[&[&str]] = &[
    &["B SET k 1", "A WATCH k", "B SET k 2"],
    &["B SET k 1", "A WATCH k", "B SET k 1"],
    &["B SET k 1", "A WATCH k", "B SET k 2 GET"],
    &["B SET k 1", "A WATCH k", "B DEL k"],
    &["B SET k 1", "A WATCH k", "B UNLINK k"],
    &["B SET k 1", "A WATCH k", "B GETDEL k"],
    &["B SET k 1", "A WATCH k", "B GETSET k 2"],
    &["B SET k 1", "A WATCH k", "B APPEND k x"],
    &["B SET k 1", "A WATCH k", "B INCR k"],
    &["B SET k 1", "A WATCH k", "B DECR k"],
    &["B SET k 1", "A WATCH k", "B INCRBY k 0"],
    &["B SET k 1", "A WATCH k", "B INCRBYFLOAT k 0"],
    &["B SET k 1", "A WATCH k", "B SETRANGE k 0 x"],
    &["B SET k 1", "A WATCH k", "B EXPIRE k 100"],
    &["B SET k 1", "A WATCH k", "B EXPIREAT k 1"],
    &["B SET k 1", "A WATCH k", "B PEXPIRE k -1"],
    &["B SET k 1 EX 100", "A WATCH k", "B PERSIST k"],
    &["B SET k 1 EX 100", "A WATCH k", "B EXPIRE k 50 LT"],
    &["B SET k 1 EX 100", "A WATCH k", "B GETEX k PERSIST"],
    &["B SET k 1", "A WATCH k", "B GETEX k EX 100"],
    &["B SET k 1", "A WATCH k", "B RENAME k k2"],
    &["B SET k 1", "B SET o 1", "A WATCH k", "B RENAME o k"],
    &["B SET o 1", "A WATCH k", "B RENAMENX o k"],
    &["B SET k 1", "B SET o 1", "A WATCH k", "B COPY o k REPLACE"],
    &["B SET o 1", "A WATCH k", "B COPY o k"],
    &["B SET k 1", "A WATCH k", "B MOVE k 1"],
    &["B SET k 1", "A SELECT 1", "A WATCH k", "B MOVE k 1"],
    &["B SET k 1", "A WATCH k", "B FLUSHDB"],
    &["B SET k 1", "A WATCH k", "B FLUSHDB ASYNC"],
    &["B SET k 1", "A WATCH k", "B FLUSHALL"],
    &["B SET k 1", "A WATCH k", "B SWAPDB 0 1"],
    &["B SELECT 1", "B SET k 1", "A WATCH k", "B SWAPDB 0 1"],
    &["B SET k 1", "A WATCH k", "B MSET a 1 k 2"],
    &["A WATCH k", "B MSETNX a 1 k 2"],
    &["A WATCH k", "B SETNX k v"],
    &["B SET k 1", "A WATCH k", "B SET k v XX"],
    &["A WATCH k", "B SET k v PX 100000000"],
    &["B SET k 1", "A WATCH k", "B SETEX k 100 v"],
    &["A WATCH k", "B ZADD k 1 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k 2 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k GT CH 5 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZINCRBY k 1 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZREM k m"],
    &["B ZADD k 1 m 2 n", "A WATCH k", "B ZPOPMIN k"],
    &["B ZADD k 1 m 2 n", "A WATCH k", "B ZPOPMAX k 1"],
    &["B ZADD k 1 m", "A WATCH k", "B ZREMRANGEBYSCORE k -inf inf"],
    &["B ZADD k 1 m 2 n", "A WATCH k", "B ZREMRANGEBYRANK k 0 0"],
    &["B ZADD z 1 m", "A WATCH k", "B ZUNIONSTORE k 1 z"],
    &["B ZADD z 1 m", "A WATCH k", "B ZRANGESTORE k z 0 -1"],
    &["B ZADD k 1 m", "A WATCH k", "B ZINTERSTORE k 2 k nosuch"],
    &["B SET k 1", "A WATCH k", "B ZRANGESTORE k nosuch 0 -1"],
    &["B ZADD k 1 m", "A WATCH k", "B ZUNIONSTORE k 1 k"],
    &["B SET k 1", "A WATCH k", "B APPEND k \"\""],
    &["B SET k 1", "A WATCH k", "B SET k v KEEPTTL"],
    &["B SET k 1", "A WATCH k", "B SET k v EXAT 1"],
    &["A WATCH k", "B SET k v PXAT 1"],
    &["B SET k 1", "A WATCH k", "B GETEX k EXAT 1"],
    &["B SET k 1", "A SELECT 1", "A WATCH k", "B SWAPDB 0 1"],
    &["B SET o 1", "A SELECT 1", "A WATCH k", "B COPY o k DB 1"],
    &["B SET k 1", "A WATCH k", "B MULTI", "B FLUSHALL", "B EXEC"],
    &["B SET k 1", "A WATCH k", "B FLUSHALL ASYNC"],
    // The watcher's own write, inside another client's transaction, in another database.
    &["B SET k 1", "A WATCH k", "A SET k 2"],
    &["A WATCH k", "B MULTI", "B SET k 3", "B EXEC"],
    &["A SELECT 1", "A WATCH k", "B SELECT 1", "B SET k 1"],
    &["A WATCH k", "B INCR k"],
    &["A WATCH k", "B INCRBYFLOAT k 1.5"],
    &["A WATCH k", "B APPEND k x"],
    &["A WATCH k", "B ZADD k INCR 1 m"],
    &[
        "B SET k 1 EXAT 4000000000",
        "A WATCH k",
        "B EXPIREAT k 4000000000",
    ],
    &["B ZADD k 1 m", "A WATCH k", "B ZRANGESTORE k k 0 0"],
    // Several keys, the same key in two databases, WATCH twice, WATCH after the change.
    &["A WATCH x y k", "B SET k 1"],
    &[
        "A WATCH k",
        "A SELECT 1",
        "A WATCH k",
        "B SELECT 1",
        "B SET k 1",
    ],
    &["A WATCH k", "A WATCH other", "B SET k 1"],
    &["A WATCH k", "B SET k 1", "A WATCH other"],
];

/// Races after which EXEC still runs: reads, other keys, other databases, and writes that
/// change nothing.
const HARMLESS: &[&[&str]] = &[
    &["B SET k 1", "A WATCH k"],
    &[
        "B SET k 1",
        "A WATCH k",
        "B GET k",
        "B EXISTS k",
        "B STRLEN k",
    ],
    &["B SET k 1", "A WATCH k", "B TOUCH k", "B TYPE k", "B TTL k"],
    &["B SET k 1", "A WATCH k", "B OBJECT ENCODING k"],
    &["B SET k 1", "A WATCH k", "B SET other 1"],
    &["A WATCH k", "B DEL k"],
    &["A WATCH k", "B SELECT 1", "B SET k 1"],
    &["B SET k 1", "A WATCH k", "B SETNX k 2"],
    &["B SET k 1", "A WATCH k", "B SET k 2 NX"],
    &["B SET k 1", "A WATCH k", "B MSETNX k 2 a 1"],
    &["A WATCH k", "B SET k 2 XX"],
    &["B SET k 1", "A WATCH k", "B SETRANGE k 0 \"\""],
    &["A WATCH k", "B SETRANGE k 0 \"\""],
    &["B SET k 1", "A WATCH k", "B PERSIST k"],
    &["B SET k 1", "A WATCH k", "B EXPIRE k 100 GT"],
    &["B SET k 1 EX 100", "A WATCH k", "B EXPIRE k 1000 LT"],
    &["B SET k 1 EX 100", "A WATCH k", "B EXPIRE k 1000 NX"],
    &["A WATCH k", "B EXPIRE k 10"],
    &["B SET k 1", "A WATCH k", "B GETEX k"],
    &["B SET k 1", "A WATCH k", "B RENAME k k"],
    &["B SET k 1", "B SET o 1", "A WATCH k", "B RENAMENX o k"],
    &["B SET k 1", "B SET o 1", "A WATCH k", "B COPY o k"],
    &["B SET k 1", "A WATCH k", "B COPY k k2"],
    &["A WATCH k", "B COPY nosuch k"],
    &["A WATCH k", "B RENAME nosuch k"],
    &[
        "B SET k 1",
        "B SELECT 1",
        "B SET k 2",
        "B SELECT 0",
        "A WATCH k",
        "B MOVE k 1",
    ],
    &["A WATCH k", "B SET x 1", "B FLUSHDB"],
    &["A WATCH k", "B SET x 1", "B FLUSHALL"],
    &["B SET k 1", "A WATCH k", "B SELECT 1", "B FLUSHDB"],
    &["B SELECT 1", "B SET x 1", "A WATCH k", "B SWAPDB 0 1"],
    &["B SET k 1", "A WATCH k", "B SWAPDB 2 3"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k 1 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k NX 5 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k XX 1 other"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k GT 0 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZREM k nosuch"],
    &["B ZADD k 1 m", "A WATCH k", "B ZINCRBY k 0 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k INCR 0 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZADD k LT 5 m"],
    &["B ZADD k 1 m", "A WATCH k", "B ZPOPMIN k 0"],
    &["B ZADD k 1 m", "A WATCH k", "B ZREMRANGEBYSCORE k 5 6"],
    &["B ZADD k 1 m", "A WATCH k", "B ZREMRANGEBYRANK k 5 6"],
    &["A WATCH k", "B ZREM k m", "B ZPOPMIN k"],
    &["A WATCH k", "B ZUNIONSTORE k 1 nosuch"],
    &["B SET k text", "A WATCH k", "B ZADD k 1 m"],
    &["B SET k text", "A WATCH k", "B INCR k"],
    &["B SET k 1", "A WATCH k", "B INCRBYFLOAT k abc"],
    &["B SET k 1", "A WATCH k", "A UNWATCH", "B SET k 2"],
    &["A WATCH k", "B MULTI", "B SET k 1", "B DISCARD"],
    &["A WATCH k", "B MULTI", "B SET k 1", "B NOSUCH", "B EXEC"],
    &["A WATCH k", "A MULTI", "A DISCARD", "B SET k 1"],
    &["A WATCH k", "B SET k 1", "A UNWATCH"],
    &[
        "A WATCH k",
        "B GETDEL k",
        "B GETEX k PX 100000",
        "B PERSIST k",
    ],
    &["A WATCH k", "B ZADD k XX 1 m", "B EXPIRE k 0"],
    &["B SET k 1", "A WATCH k", "B EXPIRE k 100 XX"],
    &["B SET k 1", "A WATCH k", "B RENAMENX k k"],
    &["B SET k 1", "A WATCH k", "B SWAPDB 0 0"],
    &["B SELECT 1", "B SET k 1", "A WATCH k", "B FLUSHALL"],
    &["B ZADD z 1 m", "A WATCH k", "B ZINTERSTORE k 2 z nosuch"],
    &["A WATCH k", "B ZDIFFSTORE k 1 nosuch"],
    &["B SET k -9223372036854775808", "A WATCH k", "B DECR k"],
];

/// A's transaction after the race.
const TRANSACTION: &[&str] = &["A MULTI", "A GET k", "A SET done yes", "A EXEC"];

fn exec_failed(reply: &[u8]) -> bool {
    reply == b"*-1\r\n" || reply == b"_\r\n"
}

/// Runs one race on fresh connections; a mismatch with Redis or a broken premise is an error.
fn run_race(
    servers: &Servers,
    protocol: Protocol,
    race: &[&str],
    exec_fails: bool,
) -> Result<(), String> {
    let mut pair = servers.pair(2, protocol);
    pair.line("A FLUSHALL")?;
    pair.script(race)?;
    let exec = pair.script(TRANSACTION)?;
    pair.script(&["A GET done", "B PING"])?;
    if exec_failed(&exec) != exec_fails {
        return Err(format!(
            "the race {race:?} ({protocol:?}) was listed as {}, but Redis's EXEC said {}:\n    {}",
            if exec_fails {
                "failing EXEC"
            } else {
                "harmless"
            },
            crate::reply::show(&exec),
            pair.transcript()
        ));
    }
    Ok(())
}

#[test]
fn races_on_a_watched_key_match_redis() {
    let servers = Servers::start(&[]);
    let mut failures = Vec::new();
    for protocol in PROTOCOLS {
        for (races, exec_fails) in [(INVALIDATING, true), (HARMLESS, false)] {
            for race in races {
                if let Err(report) = run_race(&servers, protocol, race, exec_fails) {
                    failures.push(report);
                }
            }
        }
    }
    collect_failures(failures, INVALIDATING.len() + HARMLESS.len());
}

/// After the wait: each watcher's transaction, and whether Redis fails its EXEC.
fn expiry_checks(pair: &mut crate::pair::Pair) -> Result<(), String> {
    let checks: [(&[&str], bool); 4] = [
        // Expired at WATCH, then deleted on lookup: no logical change.
        (
            &[
                "C WATCH dead1",
                "A GET dead1",
                "C MULTI",
                "C PING",
                "C EXEC",
            ],
            false,
        ),
        // Expired at WATCH, then written: a change.
        (
            &[
                "D WATCH dead2",
                "A SET dead2 w",
                "D MULTI",
                "D PING",
                "D EXEC",
            ],
            true,
        ),
        // Expired at WATCH and left alone.
        (
            &["E WATCH dead3", "E MULTI", "E GET dead3", "E EXEC"],
            false,
        ),
        // Alive at WATCH, expired since.
        (&["B MULTI", "B PING", "B EXEC"], true),
    ];
    for (steps, exec_fails) in checks {
        let exec = pair.script(steps)?;
        if exec_failed(&exec) != exec_fails {
            return Err(format!(
                "{steps:?} should {} EXEC, but Redis said {}:\n    {}",
                if exec_fails { "fail" } else { "not fail" },
                crate::reply::show(&exec),
                pair.transcript()
            ));
        }
    }
    Ok(())
}

/// Watched keys and real expiry, with one bounded wait: a key alive at WATCH that expires
/// fails EXEC; a key already expired at WATCH fails it only when it is written again, not
/// when expiry deletes it (Redis 7.0's rules). Active expiry is off during the wait, so both
/// servers keep the dead keys until something looks at them.
#[test]
fn watched_keys_that_expire_match_redis() {
    let servers = Servers::start(&["--enable-debug-command", "yes"]);
    let ttl_ms = 300;
    let wait = Duration::from_millis(600);
    let mut failures = Vec::new();
    for protocol in PROTOCOLS {
        let mut pair = servers.pair(5, protocol);
        let setup = [
            "A FLUSHALL".to_string(),
            "A DEBUG SET-ACTIVE-EXPIRE 0".to_string(),
            format!("A SET alive v PX {ttl_ms}"),
            format!("A SET dead1 v PX {ttl_ms}"),
            format!("A SET dead2 v PX {ttl_ms}"),
            format!("A SET dead3 v PX {ttl_ms}"),
            "B WATCH alive".to_string(),
        ];
        let setup: Vec<&str> = setup.iter().map(String::as_str).collect();
        let result = pair.script(&setup).and_then(|_| {
            std::thread::sleep(wait);
            expiry_checks(&mut pair)?;
            // Active expiry was off: the keys nothing looked at are still stored.
            pair.script(&["A DBSIZE", "A DEBUG SET-ACTIVE-EXPIRE 1"])
        });
        if let Err(report) = result {
            failures.push(format!("{protocol:?}: {report}"));
        }
    }
    collect_failures(failures, 1);
}
