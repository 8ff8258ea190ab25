//! MULTI / EXEC / DISCARD / WATCH as clients see them: Redis 7.0's exact replies, driven
//! through the core with virtual time.

mod common;

use common::{request, Harness};
use ferrodis_core::{Allowed, Config, ConnectionId, COMMANDS_PER_CALL_MAX};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";

fn harness() -> (Harness, ConnectionId, ConnectionId) {
    let mut harness = Harness::new(Config {
        enable_debug_command: Allowed::Yes,
        ..Config::default()
    });
    let first = harness.open();
    let second = harness.open();
    (harness, first, second)
}

/// What `MULTI`, `PING`, `EXEC` answer when the transaction runs, and when a watch failed it.
const RAN: &str = "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n";
const WATCH_FAILED: &str = "+OK\r\n+QUEUED\r\n*-1\r\n";

/// A transaction of one PING: its replies say whether EXEC ran.
fn ping_transaction(harness: &mut Harness, id: ConnectionId) -> String {
    script(harness, id, &["MULTI", "PING", "EXEC"])
}

/// Sends each line in turn and returns the replies, concatenated.
fn script(harness: &mut Harness, id: ConnectionId, lines: &[&str]) -> String {
    lines.iter().map(|line| harness.command(id, line)).collect()
}

#[test]
fn exec_runs_the_queue_and_answers_one_array() {
    let (mut h, a, _) = harness();
    let replies = script(
        &mut h,
        a,
        &["MULTI", "SET k 1", "INCR k", "ZADD k 1 m", "GET k", "EXEC"],
    );
    assert_eq!(
        replies,
        format!("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:2\r\n{WRONGTYPE}$1\r\n2\r\n")
    );
    // After EXEC the connection is out of the transaction.
    assert_eq!(h.command(a, "GET k"), "$1\r\n2\r\n");
    assert_eq!(h.command(a, "EXEC"), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn an_empty_transaction_answers_an_empty_array() {
    let (mut h, a, _) = harness();
    assert_eq!(script(&mut h, a, &["MULTI", "EXEC"]), "+OK\r\n*0\r\n");
}

#[test]
fn a_command_refused_while_queuing_makes_exec_abort_and_nothing_runs() {
    let (mut h, a, _) = harness();
    let replies = script(
        &mut h,
        a,
        &[
            "MULTI",
            "SET b 1",
            "SET a",
            "NOSUCHCOMMAND x",
            "SET c 1",
            "EXEC",
        ],
    );
    assert_eq!(
        replies,
        format!(
            "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'set' command\r\n\
             -ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \r\n\
             +QUEUED\r\n{EXECABORT}"
        )
    );
    assert_eq!(h.command(a, "EXISTS b c"), ":0\r\n");
}

#[test]
fn discard_drops_the_queue() {
    let (mut h, a, _) = harness();
    let replies = script(&mut h, a, &["MULTI", "SET k 1", "DISCARD", "GET k"]);
    assert_eq!(replies, "+OK\r\n+QUEUED\r\n+OK\r\n$-1\r\n");
    assert_eq!(h.command(a, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
}

#[test]
fn commands_that_run_at_once_inside_multi_and_their_errors() {
    let (mut h, a, _) = harness();
    // A nested MULTI and a WATCH inside MULTI are errors that do not doom the transaction.
    let replies = script(&mut h, a, &["MULTI", "MULTI", "WATCH k", "PING", "EXEC"]);
    assert_eq!(
        replies,
        "+OK\r\n-ERR MULTI calls can not be nested\r\n\
         -ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+PONG\r\n"
    );
    // SHUTDOWN is refused inside a transaction, and that does doom it.
    let replies = script(&mut h, a, &["MULTI", "SHUTDOWN", "EXEC"]);
    assert_eq!(
        replies,
        format!("+OK\r\n-ERR Command not allowed inside a transaction\r\n{EXECABORT}")
    );
}

#[test]
fn select_inside_exec_applies_to_the_commands_after_it() {
    let (mut h, a, _) = harness();
    let replies = script(&mut h, a, &["MULTI", "SELECT 3", "SET k v", "EXEC"]);
    assert_eq!(replies, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n");
    assert_eq!(h.command(a, "GET k"), "$1\r\nv\r\n");
    assert_eq!(script(&mut h, a, &["SELECT 0", "GET k"]), "+OK\r\n$-1\r\n");
}

/// WATCH k, let `change` run (on `other`), then a transaction: its EXEC reply.
fn exec_after(
    h: &mut Harness,
    watcher: ConnectionId,
    other: ConnectionId,
    change: &[&str],
) -> String {
    h.command(watcher, "WATCH k");
    script(h, other, change);
    ping_transaction(h, watcher)
}

#[test]
fn a_change_by_another_client_fails_exec_with_a_null_array() {
    let (mut h, a, b) = harness();
    assert_eq!(exec_after(&mut h, a, b, &["SET k 1"]), WATCH_FAILED);
    // The failed EXEC ended the watch: the next transaction runs.
    assert_eq!(ping_transaction(&mut h, a), RAN);
    // RESP3 says null with `_`.
    h.command(a, "HELLO 3");
    assert!(exec_after(&mut h, a, b, &["DEL k"]).ends_with("+QUEUED\r\n_\r\n"));
}

#[test]
fn changes_that_invalidate_a_watch() {
    let setups: [&[&str]; 12] = [
        &["SET k 2"],
        &["DEL k"],
        &["EXPIRE k 100"],
        &["PERSIST k"],
        &["APPEND k x"],
        &["INCRBY k 0"],
        &["RENAME k k2"],
        &["MOVE k 1"],
        &["FLUSHDB"],
        &["FLUSHALL"],
        &["SWAPDB 0 1"],
        &["MULTI", "SET k 3", "EXEC"],
    ];
    for change in setups {
        let (mut h, a, b) = harness();
        h.command(b, "SET k 1 EX 1000");
        assert_eq!(
            exec_after(&mut h, a, b, change),
            WATCH_FAILED,
            "{change:?} should invalidate the watch"
        );
    }
}

#[test]
fn changes_that_leave_a_watch_alone() {
    // k does not exist here, so neither FLUSHDB nor PERSIST changes it.
    let setups: [&[&str]; 8] = [
        &["GET k"],
        &["SET other 1"],
        &["ZADD z 1 m", "WATCH z"],
        &["PERSIST k"],
        &["DEL missing"],
        &["FLUSHDB"],
        &["SELECT 1", "SET k 1"],
        &["RENAME nosuch k"],
    ];
    for change in setups {
        let (mut h, a, b) = harness();
        assert_eq!(
            exec_after(&mut h, a, b, change),
            RAN,
            "{change:?} should not invalidate the watch"
        );
    }
}

#[test]
fn no_op_sorted_set_writes_leave_a_watch_alone_as_in_redis() {
    for change in [
        "ZADD z 1 m",
        "ZADD z NX 5 m",
        "ZADD z XX 1 other",
        "ZREM z nosuch",
        "ZINCRBY z 0 m",
        "ZPOPMIN z 0",
        "ZREMRANGEBYSCORE z 5 6",
        "ZADD k 1 m", // WRONGTYPE changes nothing either
    ] {
        let (mut h, a, b) = harness();
        h.command(b, "ZADD z 1 m");
        h.command(b, "SET k s");
        h.command(a, "WATCH z k");
        h.command(b, change);
        assert_eq!(
            ping_transaction(&mut h, a),
            RAN,
            "{change} should not invalidate the watch"
        );
    }
}

#[test]
fn the_watching_clients_own_write_invalidates_too() {
    let (mut h, a, _) = harness();
    let replies = script(&mut h, a, &["WATCH k", "SET k 1", "MULTI", "PING", "EXEC"]);
    assert_eq!(replies, "+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n");
}

#[test]
fn unwatch_and_exec_forget_the_watches() {
    let (mut h, a, b) = harness();
    script(&mut h, a, &["WATCH k", "UNWATCH"]);
    h.command(b, "SET k 1");
    assert_eq!(ping_transaction(&mut h, a), RAN);
    // EXEC unwatched k: a later change does not reach the next transaction.
    h.command(b, "SET k 2");
    assert_eq!(ping_transaction(&mut h, a), RAN);
}

#[test]
fn a_watched_key_that_expires_fails_exec_even_before_it_is_deleted() {
    let (mut h, a, b) = harness();
    h.command(b, "SET k v PX 100");
    h.command(a, "WATCH k");
    h.advance(200);
    // No timer has run: the key is expired but still stored.
    assert_eq!(ping_transaction(&mut h, a), WATCH_FAILED);

    // Active expiry deleting it fails EXEC too.
    h.command(b, "SET j v PX 100");
    h.command(a, "WATCH j");
    h.advance(200);
    h.run_timers();
    assert_eq!(ping_transaction(&mut h, a), WATCH_FAILED);
}

#[test]
fn a_key_already_expired_when_watched_may_be_deleted_by_expiry() {
    let (mut h, a, b) = harness();
    h.command(b, "DEBUG SET-ACTIVE-EXPIRE 0");
    h.command(b, "SET k v PX 100");
    h.advance(200);
    h.command(a, "WATCH k");
    // The lookup deletes the expired key: no logical change, as Redis 7.0 decides.
    assert_eq!(h.command(b, "GET k"), "$-1\r\n");
    assert_eq!(ping_transaction(&mut h, a), RAN);
    // But setting it again is a change.
    h.command(b, "SET j v PX 100");
    h.advance(200);
    h.command(a, "WATCH j");
    h.command(b, "SET j w");
    assert_eq!(ping_transaction(&mut h, a), WATCH_FAILED);
}

#[test]
fn reset_and_a_closed_connection_drop_the_transaction_and_the_watches() {
    let (mut h, a, b) = harness();
    let replies = script(&mut h, a, &["WATCH k", "MULTI", "SET k 1", "RESET", "EXEC"]);
    assert_eq!(
        replies,
        "+OK\r\n+OK\r\n+QUEUED\r\n+RESET\r\n-ERR EXEC without MULTI\r\n"
    );
    assert_eq!(h.command(a, "GET k"), "$-1\r\n");
    h.command(b, "SET k 1");
    assert_eq!(ping_transaction(&mut h, a), RAN);

    // A closed watcher's slot is reused by a new connection, which must not inherit the watch.
    h.command(a, "WATCH k");
    h.server.connection_closed(h.now, a);
    let c = h.open();
    assert_eq!(c.index(), a.index());
    h.command(b, "SET k 2");
    assert_eq!(ping_transaction(&mut h, c), RAN);
}

#[test]
fn a_transaction_longer_than_the_per_call_budget_is_not_interleaved() {
    let (mut h, a, b) = harness();
    let increments = COMMANDS_PER_CALL_MAX * 2 + 10;
    let mut pipeline = request(&[b"MULTI"]);
    for _ in 0..increments {
        pipeline.extend(request(&[b"INCR", b"n"]));
    }
    pipeline.extend(request(&[b"EXEC"]));
    // One write: the core runs the first budget's worth, the rest from its timer.
    h.send(a, &pipeline);
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(h.command(b, "GET n"));
        h.run_timers();
    }
    let total = increments.to_string();
    for reply in &seen {
        assert!(
            reply == "$-1\r\n" || *reply == format!("${}\r\n{total}\r\n", total.len()),
            "another client saw a partial transaction: {reply:?}"
        );
    }
    assert_eq!(
        h.command(b, "GET n"),
        format!("${}\r\n{total}\r\n", total.len())
    );
    let replies = h.take_replies(a);
    assert!(replies.ends_with(&format!(":{total}\r\n")));
}

#[test]
fn the_queue_is_bounded_in_bytes() {
    let config = Config {
        query_buffer_bytes_max: 64 * 1024,
        ..Config::default()
    };
    let mut h = Harness::new(config);
    let a = h.open();
    h.command(a, "MULTI");
    let value = "x".repeat(1000);
    let mut errors = 0;
    for _ in 0..80 {
        let reply = h.command(a, &format!("SET k {value}"));
        if reply.starts_with("-ERR transaction queue is full") {
            errors += 1;
        } else {
            assert_eq!(reply, "+QUEUED\r\n");
        }
    }
    assert!(errors > 0, "64 KiB of arguments fill the queue");
    assert_eq!(h.command(a, "EXEC"), EXECABORT);
    assert_eq!(h.command(a, "GET k"), "$-1\r\n");
}

#[test]
fn client_list_shows_the_transaction_and_a_failed_watch() {
    let (mut h, a, b) = harness();
    script(&mut h, a, &["WATCH k", "MULTI", "SET k 1", "SET k 2"]);
    let list = h.command(b, "CLIENT LIST");
    let line_of_a = list
        .lines()
        .find(|line| line.contains("id=1 "))
        .unwrap()
        .to_string();
    assert!(line_of_a.contains(" flags=x "), "{line_of_a}");
    assert!(line_of_a.contains(" multi=2 "), "{line_of_a}");
    h.command(b, "SET k 0");
    h.command(b, "PING");
    let list = h.command(b, "CLIENT LIST");
    let line_of_a = list
        .lines()
        .find(|line| line.contains("id=1 "))
        .unwrap()
        .to_string();
    assert!(line_of_a.contains(" flags=xd "), "{line_of_a}");
    let line_of_b = list
        .lines()
        .find(|line| line.contains("id=2 "))
        .unwrap()
        .to_string();
    assert!(line_of_b.contains(" flags=N ") && line_of_b.contains(" multi=-1 "));
}

#[test]
fn a_pipelined_transaction_split_at_every_byte_gives_the_same_replies() {
    let pipeline = [
        request(&[b"WATCH", b"k"]),
        request(&[b"MULTI"]),
        request(&[b"SET", b"k", b"1"]),
        request(&[b"INCR", b"k"]),
        request(&[b"NOSUCH"]),
        request(&[b"EXEC"]),
        request(&[b"MULTI"]),
        request(&[b"INCRBY", b"k", b"40"]),
        request(&[b"GET", b"k"]),
        request(&[b"EXEC"]),
    ]
    .concat();
    let whole = {
        let mut h = Harness::new(Config::default());
        let a = h.open();
        h.send(a, &pipeline);
        h.take_replies(a)
    };
    assert!(whole.ends_with("*2\r\n:40\r\n$2\r\n40\r\n"), "{whole}");
    for split in 1..pipeline.len() {
        let mut h = Harness::new(Config::default());
        let a = h.open();
        h.send(a, &pipeline[..split]);
        h.send(a, &pipeline[split..]);
        assert_eq!(h.take_replies(a), whole, "split at byte {split}");
    }
}
