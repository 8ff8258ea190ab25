//! Hand-written transactions: what is queued, what runs at once, which errors doom the
//! transaction and which are answered inside EXEC's array, watches on one connection and
//! between several, and a requirepass server.

use crate::{run_scripts, Servers};

/// Each script starts from FLUSHALL on fresh connections; `A` is connection 0, `B` 1, `C` 2.
const SCRIPTS: &[&[&str]] = &[
    // The queue runs in order, one array element per command.
    &[
        "A MULTI",
        "A SET k 1",
        "A INCR k",
        "A INCRBY k 10",
        "A get k",
        "A ZADD z 1 a 2 b 2.5 c",
        "A ZRANGE z 0 -1 WITHSCORES",
        "A ZSCORE z c",
        "A ZINCRBY z 0.5 a",
        "A ZPOPMAX z",
        "A MGET k z nokey",
        "A EXEC",
        "B GET k",
        "B ZRANGE z 0 -1 WITHSCORES",
    ],
    &["A MULTI", "A EXEC", "A EXEC"],
    // Errors while queuing: unknown commands, wrong arity, unknown subcommands. EXEC aborts
    // and nothing runs.
    &[
        "A MULTI",
        "A SET a 1",
        "A SET b",
        "A NOSUCH x y",
        "A SET c 1",
        "A EXEC",
        "A EXISTS a b c",
        "A EXEC",
    ],
    &["A MULTI", "A nosuchcommand", "A EXEC"],
    &["A MULTI", "A \"\" x", "A SET k 1", "A EXEC", "A GET k"],
    &[
        "A MULTI",
        "A GET",
        "A ZADD z",
        "A ZRANGE z 0",
        "A MSET a",
        "A EXPIRE k",
        "A INCRBY k",
        "A SET k 1",
        "A EXEC",
        "A GET k",
    ],
    &[
        "A MULTI",
        "A OBJECT NOSUCH k",
        "A SET k 1",
        "A EXEC",
        "A GET k",
    ],
    &["A MULTI", "A CONFIG GET", "A SET k 1", "A EXEC", "A GET k"],
    &["A MULTI", "A CONFIG NOSUCH", "A EXEC"],
    &["A MULTI", "A CLIENT", "A EXEC"],
    &["A MULTI", "A CLIENT NOSUCH", "A EXEC"],
    &["A MULTI", "A CLIENT SETNAME", "A EXEC"],
    &["A MULTI", "A COMMAND NOSUCH", "A EXEC"],
    &["A MULTI", "A OBJECT ENCODING", "A EXEC"],
    &["A MULTI", "A FUNCTION NOSUCH", "A EXEC"],
    // The error comes after valid commands were queued, and a later valid one queues again.
    &[
        "A MULTI", "A INCR n", "A INCR n", "A ZADD z", "A INCR n", "A EXEC", "A GET n",
    ],
    // SHUTDOWN is refused inside a transaction (and dooms it); neither server stops.
    &["A MULTI", "A SET k 1", "A SHUTDOWN", "A EXEC", "A GET k"],
    &["A MULTI", "A shutdown NOSAVE", "A EXEC", "B PING"],
    // Nested MULTI and WATCH inside MULTI are refused without dooming the transaction.
    &[
        "A MULTI",
        "A SET k 1",
        "A MULTI",
        "A WATCH k",
        "A INCR k",
        "A EXEC",
        "A GET k",
    ],
    &["A MULTI", "A multi", "A EXEC"],
    // With wrong arity they are arity errors, which do doom it.
    &["A MULTI", "A MULTI x", "A PING", "A EXEC"],
    &["A MULTI", "A WATCH", "A PING", "A EXEC"],
    &["A MULTI", "A EXEC x", "A PING", "A EXEC"],
    &["A MULTI", "A DISCARD x", "A PING", "A EXEC"],
    // UNWATCH is queued like any other command.
    &["A WATCH k", "A MULTI", "A UNWATCH", "A EXEC"],
    // Without MULTI.
    &["A EXEC", "A DISCARD", "A exec", "A PING"],
    &["A MULTI", "A EXEC", "A DISCARD"],
    &["A EXEC x", "A PING"],
    &["A DISCARD x", "A MULTI x", "A PING"],
    // DISCARD drops the queue and leaves the transaction, after an error too.
    &[
        "A MULTI",
        "A SET k 1",
        "A DISCARD",
        "A GET k",
        "A EXEC",
        "A DISCARD",
    ],
    &[
        "A MULTI",
        "A NOSUCH",
        "A DISCARD",
        "A MULTI",
        "A SET k 1",
        "A EXEC",
        "A GET k",
    ],
    &[
        "A MULTI",
        "A NOSUCH",
        "A EXEC",
        "A MULTI",
        "A SET k 2",
        "A EXEC",
    ],
    // Runtime errors are elements of EXEC's array; the other commands still run.
    &[
        "A SET s text",
        "A ZADD z 1 m",
        "A MULTI",
        "A INCR s",
        "A INCRBY s abc",
        "A INCRBY n abc",
        "A ZADD s 1 m",
        "A ZADD z abc m",
        "A ZADD z nan m",
        "A ZINCRBY z inf m",
        "A ZINCRBY z -inf m",
        "A GET z",
        "A SET t v EX 0",
        "A SET t v NX XX",
        "A SET t v EX abc",
        "A SELECT 99",
        "A SELECT abc",
        "A EXPIRE s abc",
        "A INCRBYFLOAT s 1",
        "A INCRBYFLOAT f inf",
        "A SETRANGE s -1 x",
        "A ZRANGE z 0 -1 BYSCORE LIMIT 0",
        "A ZUNIONSTORE u 0 z",
        "A RENAME nosuch x",
        "A COPY s s",
        "A MOVE s 0",
        "A SWAPDB 0 99",
        "A APPEND s !",
        "A INCR n",
        "A EXEC",
        "B GET s",
        "B GET n",
        "B EXISTS t f u",
    ],
    // Commands with their own rules run inside EXEC.
    &[
        "A MULTI",
        "A AUTH nopassword",
        "A AUTH user pass",
        "A HELLO 4",
        "A HELLO abc",
        "A CLIENT SETNAME name",
        "A CLIENT GETNAME",
        "A ECHO hello",
        "A PING",
        "A PING message",
        "A DBSIZE",
        "A EXEC",
        "A CLIENT GETNAME",
    ],
    // SELECT inside EXEC applies to the commands after it, and stays after EXEC.
    &[
        "A MULTI",
        "A SELECT 2",
        "A SET k v",
        "A GET k",
        "A SELECT 0",
        "A GET k",
        "A SELECT 3",
        "A EXEC",
        "A SET k three",
        "A SELECT 2",
        "A GET k",
        "B SELECT 3",
        "B GET k",
    ],
    // Keyspace-wide commands inside EXEC.
    &[
        "A SET a 1",
        "A ZADD z 1 m",
        "A MULTI",
        "A SWAPDB 0 1",
        "A DBSIZE",
        "A SELECT 1",
        "A MOVE a 2",
        "A COPY z z2 DB 3",
        "A RENAME z y",
        "A FLUSHDB",
        "A DBSIZE",
        "A SELECT 3",
        "A ZRANGE z2 0 -1 WITHSCORES",
        "A EXEC",
        "B SELECT 2",
        "B GET a",
        "B SELECT 1",
        "B DBSIZE",
        "A FLUSHALL",
        "A DBSIZE",
    ],
    &[
        "A SET a 1",
        "A MULTI",
        "A FLUSHALL",
        "A SET b 2",
        "A FLUSHDB ASYNC",
        "A SET c 3",
        "A EXEC",
        "A MGET a b c",
    ],
    // Expiry inside EXEC: past times delete, future ones leave the key.
    &[
        "A SET a 1",
        "A SET b 2",
        "A MULTI",
        "A EXPIRE a 0",
        "A PEXPIREAT b 1",
        "A SET c 3 EX 100000",
        "A PERSIST c",
        "A TTL c",
        "A GETEX c PX 100000000",
        "A PERSIST c",
        "A GETEX c EXAT 1",
        "A EXISTS a b c",
        "A EXEC",
    ],
    // The watching client's own write fails its next EXEC; UNWATCH and EXEC forget.
    &[
        "A WATCH k",
        "A SET k 1",
        "A MULTI",
        "A GET k",
        "A EXEC",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    &[
        "A WATCH k",
        "A UNWATCH",
        "A SET k 1",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    &[
        "A WATCH k",
        "A MULTI",
        "A SET k 1",
        "A EXEC",
        "B SET k 2",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    // The transaction's own writes do not fail it.
    &[
        "A WATCH k",
        "A MULTI",
        "A SET k 1",
        "A INCR k",
        "A GET k",
        "A EXEC",
    ],
    // A doomed transaction whose watch also failed: EXECABORT wins, and the watch is gone after.
    &[
        "A WATCH k",
        "A SET k 1",
        "A MULTI",
        "A NOSUCH",
        "A EXEC",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    // DISCARD forgets the watches too.
    &[
        "A WATCH k",
        "A MULTI",
        "A DISCARD",
        "B SET k 1",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    // RESET leaves the transaction and forgets the watches.
    &[
        "A WATCH k",
        "A MULTI",
        "A SET k 1",
        "A RESET",
        "A EXEC",
        "A GET k",
        "B SET k 2",
        "A MULTI",
        "A GET k",
        "A EXEC",
    ],
    // Several watchers: each fails on a change to its own keys, including one made by another
    // watcher's transaction.
    &[
        "B SET k 1",
        "A WATCH k",
        "C WATCH k",
        "B SET k 2",
        "A MULTI",
        "A GET k",
        "A EXEC",
        "C MULTI",
        "C GET k",
        "C EXEC",
    ],
    &[
        "A WATCH k",
        "C WATCH j",
        "B SET k 1",
        "A MULTI",
        "A PING",
        "A EXEC",
        "C MULTI",
        "C PING",
        "C EXEC",
    ],
    &[
        "A WATCH k",
        "C WATCH k",
        "A MULTI",
        "A SET k 1",
        "A EXEC",
        "C MULTI",
        "C GET k",
        "C EXEC",
    ],
    // Two transactions open at once: each runs whole at its EXEC, in EXEC order.
    &[
        "A MULTI",
        "C MULTI",
        "A SET k 1",
        "C GET k",
        "C INCR k",
        "A INCRBY k 10",
        "C EXEC",
        "A EXEC",
        "B GET k",
    ],
    // An aborted transaction's queued writes never reach another client's watch.
    &[
        "C WATCH k",
        "A MULTI",
        "A SET k 1",
        "A NOSUCH",
        "A EXEC",
        "C MULTI",
        "C GET k",
        "C EXEC",
    ],
    // QUIT inside MULTI answers OK and closes; nothing queued runs.
    &["A MULTI", "A SET k 1", "A QUIT", "B GET k", "B EXISTS k"],
];

#[test]
fn hand_written_transactions_match_redis() {
    let servers = Servers::start(&[]);
    run_scripts(&servers, SCRIPTS);
}

/// A transaction written in one batch, long enough that a server runs its queue over several
/// turns of its event loop: every reply in order, the same as Redis's.
#[test]
fn a_long_pipelined_transaction_matches_redis() {
    let servers = Servers::start(&[]);
    let increments = 5000;
    let mut batch = vec![vec![b"MULTI".to_vec()]];
    for index in 0..increments {
        let key = format!("n{}", index % 7).into_bytes();
        batch.push(vec![b"INCR".to_vec(), key]);
    }
    batch.push(vec![b"MGET".to_vec(), b"n0".to_vec(), b"n6".to_vec()]);
    batch.push(vec![b"EXEC".to_vec()]);
    for protocol in crate::PROTOCOLS {
        let mut pair = servers.pair(1, protocol);
        let result = pair
            .run(0, &[b"FLUSHALL".to_vec()])
            .and_then(|_| pair.run_batch(0, &batch))
            .and_then(|_| pair.line("A MGET n0 n1 n6"));
        if let Err(report) = result {
            panic!("{report}");
        }
    }
}

/// Authentication around transactions, on servers of its own (it sets requirepass). A client
/// connected before requirepass was set stays authenticated, as in Redis; a new one is refused
/// MULTI, EXEC and DISCARD until AUTH; AUTH inside MULTI runs at EXEC; RESET inside MULTI
/// leaves it and logs out. RESP2 only: HELLO 3 needs authentication first.
#[test]
fn authentication_around_transactions_matches_redis() {
    let servers = Servers::start(&[]);
    let mut before = servers.pair(1, crate::Protocol::Resp2);
    let setup = ["A FLUSHALL", "A CONFIG SET requirepass secret"];
    if let Err(report) = before.script(&setup) {
        panic!("{report}");
    }
    // Each on a connection opened after requirepass was set.
    let scripts: &[&[&str]] = &[
        &["A MULTI", "A SET k 2", "A DISCARD", "A GET k"],
        &["A EXEC"],
        &["A MULTI", "A EXEC"],
        &[
            "A AUTH secret",
            "A MULTI",
            "A AUTH wrong",
            "A GET k",
            "A AUTH secret",
            "A EXEC",
            "A PING",
        ],
        &[
            "A AUTH secret",
            "A MULTI",
            "A SET k 3",
            "A RESET",
            "A GET k",
            "A MULTI",
            "A DISCARD",
        ],
    ];
    let mut failures = Vec::new();
    for script in scripts {
        let mut after = servers.pair(1, crate::Protocol::Resp2);
        if let Err(report) = after.script(script) {
            failures.push(report);
        }
    }
    let end = [
        "A MULTI",
        "A GET k",
        "A EXEC",
        "A CONFIG SET requirepass \"\"",
    ];
    if let Err(report) = before.script(&end) {
        failures.push(report);
    }
    crate::collect_failures(failures, scripts.len() + 1);
}
