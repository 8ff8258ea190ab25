//! Connections that wait: blocked clients (deadlines in virtual time, CLIENT UNBLOCK, closing
//! while blocked) and subscribers (delivery, their output limit, cleanup on close). Replies
//! that Redis also gives are compared with it in io/tests/transactions/waiting.rs; these are
//! the parts that need the core's clock or its internals.

mod common;

use common::Harness;
use ferrodis_core::{CloseReason, Config, OutputLimit, REPLY_BUFFER_BYTES};

fn client_id(harness: &mut Harness, id: ferrodis_core::ConnectionId) -> String {
    let reply = harness.command(id, "CLIENT ID");
    reply.trim_start_matches(':').trim_end().to_string()
}

#[test]
fn a_blocked_client_times_out_at_its_deadline_and_not_before() {
    let mut harness = Harness::new(Config::default());
    let waiter = harness.open();
    assert_eq!(harness.command(waiter, "BLPOP q 1.5"), "");
    let deadline = harness.server.poll_timeout().unwrap();
    assert!(
        deadline.as_millis() <= harness.now.monotonic.as_millis() + 1500,
        "poll_timeout asks to be called back by the deadline"
    );
    harness.advance(1499);
    harness.run_timers();
    assert_eq!(harness.take_replies(waiter), "", "still waiting 1 ms early");
    harness.advance(1);
    harness.run_timers();
    assert_eq!(harness.take_replies(waiter), "*-1\r\n");
    // It runs commands again.
    assert_eq!(harness.command(waiter, "PING"), "+PONG\r\n");
}

#[test]
fn a_blocked_client_runs_nothing_else_until_served() {
    let mut harness = Harness::new(Config::default());
    let waiter = harness.open();
    let pusher = harness.open();
    assert_eq!(harness.command(waiter, "BLPOP q 0"), "");
    assert_eq!(
        harness.command(waiter, "SET after 1"),
        "",
        "queued behind the pop"
    );
    let list = harness.command(pusher, "CLIENT LIST");
    assert!(list.contains("flags=b "), "{list}");
    let info = harness.command(pusher, "INFO clients");
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    assert_eq!(harness.command(pusher, "EXISTS after"), ":0\r\n");
    assert_eq!(harness.command(pusher, "RPUSH q v"), ":1\r\n");
    harness.run_timers();
    assert_eq!(
        harness.take_replies(waiter),
        "*2\r\n$1\r\nq\r\n$1\r\nv\r\n+OK\r\n"
    );
    let info = harness.command(pusher, "INFO clients");
    assert!(info.contains("blocked_clients:0\r\n"), "{info}");
}

#[test]
fn client_unblock_answers_as_a_timeout_or_an_error() {
    let mut harness = Harness::new(Config::default());
    let waiter = harness.open();
    let admin = harness.open();
    let waiter_id = client_id(&mut harness, waiter);
    assert_eq!(
        harness.command(admin, &format!("CLIENT UNBLOCK {waiter_id}")),
        ":0\r\n",
        "not blocked yet"
    );
    assert_eq!(harness.command(waiter, "BZPOPMIN z 0"), "");
    assert_eq!(
        harness.command(admin, &format!("CLIENT UNBLOCK {waiter_id} TIMEOUT")),
        ":1\r\n"
    );
    assert_eq!(harness.take_replies(waiter), "*-1\r\n");
    assert_eq!(harness.command(waiter, "BRPOP q 0"), "");
    assert_eq!(
        harness.command(admin, &format!("CLIENT UNBLOCK {waiter_id} ERROR")),
        ":1\r\n"
    );
    assert_eq!(
        harness.take_replies(waiter),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(
        harness.command(admin, &format!("CLIENT UNBLOCK {waiter_id} maybe")),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    // Each error reply counts once, where it went out.
    let errors = harness.command(admin, "INFO errorstats");
    assert!(
        errors.contains("errorstat_UNBLOCKED:count=1\r\n"),
        "{errors}"
    );
    assert!(errors.contains("errorstat_ERR:count=1\r\n"), "{errors}");
}

#[test]
fn a_blocked_client_that_closes_is_forgotten() {
    let mut harness = Harness::new(Config::default());
    let gone = harness.open();
    let waiter = harness.open();
    let pusher = harness.open();
    assert_eq!(harness.command(gone, "BLPOP q 10"), "");
    assert_eq!(harness.command(waiter, "BLPOP q 0"), "");
    harness.server.connection_closed(harness.now, gone);
    harness.drain();
    assert_eq!(harness.command(pusher, "RPUSH q v"), ":1\r\n");
    assert_eq!(
        harness.take_replies(waiter),
        "*2\r\n$1\r\nq\r\n$1\r\nv\r\n",
        "the next in line gets the element"
    );
    // The closed client's deadline is gone with it.
    harness.advance(20_000);
    harness.run_timers();
}

#[test]
fn waiting_is_not_idleness() {
    let config = Config {
        idle_timeout_secs: 1,
        ..Config::default()
    };
    let mut harness = Harness::new(config);
    let waiter = harness.open();
    let subscriber = harness.open();
    let idle = harness.open();
    assert_eq!(harness.command(waiter, "BLPOP q 0"), "");
    harness.command(subscriber, "SUBSCRIBE c");
    harness.advance(5_000);
    harness.run_timers();
    let closed: Vec<_> = harness.closes().into_iter().map(|(id, _)| id).collect();
    assert_eq!(closed, vec![idle]);
}

#[test]
fn a_subscriber_that_cannot_keep_up_is_closed_and_the_publisher_is_not() {
    let config = Config {
        pubsub_output_limit: OutputLimit {
            hard_bytes: 64 * 1024,
            soft_bytes: 16 * 1024,
            soft_secs: 2,
        },
        ..Config::default()
    };
    let mut harness = Harness::new(config);
    let slow = harness.open();
    let soft = harness.open();
    let publisher = harness.open();
    harness.command(slow, "SUBSCRIBE c");
    harness.command(soft, "SUBSCRIBE d");
    let message = "x".repeat(1000);
    // Past the soft limit (counted past the first 16 KiB pending, as Redis counts what
    // overflows its reply buffer), under the hard one: closed once it stays there for 2 s.
    for _ in 0..40 {
        assert_eq!(
            harness.command(publisher, &format!("PUBLISH d {message}")),
            ":1\r\n"
        );
    }
    // The cron checks at its own pace (hz 10): at every 100 ms up to exactly 2 s over the
    // soft limit, which is not more than 2 s, it stays open, as in Redis.
    for _ in 0..20 {
        harness.advance(100);
        harness.run_timers();
        assert!(harness.closes().is_empty());
    }
    harness.advance(100);
    harness.run_timers();
    assert_eq!(
        harness.closes(),
        vec![(soft, CloseReason::OutputBufferLimit)]
    );
    // Past the hard limit: closed at once.
    for _ in 0..100 {
        harness.command(publisher, &format!("PUBLISH c {message}"));
    }
    assert!(harness
        .closes()
        .contains(&(slow, CloseReason::OutputBufferLimit)));
    assert_eq!(harness.command(publisher, "PING"), "+PONG\r\n");
    // Once closed, its subscriptions are gone.
    for id in [slow, soft] {
        harness.server.connection_closed(harness.now, id);
    }
    harness.drain();
    assert_eq!(harness.command(publisher, "PUBLISH c m"), ":0\r\n");
    assert_eq!(
        harness.command(publisher, "PUBSUB CHANNELS"),
        "*0\r\n",
        "no channel is left without subscribers"
    );
}

#[test]
fn a_reply_that_reaches_the_hard_output_limit_exactly_closes_and_one_byte_less_does_not() {
    // Redis closes a client whose output uses as much as the hard limit (`>=`), not only more;
    // what it counts is what overflows its 16 KiB reply buffer.
    let value = "v".repeat(REPLY_BUFFER_BYTES + 1000);
    let reply_len = format!("${}\r\n{value}\r\n", value.len()).len();
    let counted = reply_len - REPLY_BUFFER_BYTES;
    for (hard_bytes, closed) in [(counted + 1, false), (counted, true)] {
        let config = Config {
            output_buffer_hard_bytes: hard_bytes,
            ..Config::default()
        };
        let mut harness = Harness::new(config);
        let client = harness.open();
        assert_eq!(
            harness.command(client, &format!("SET k {value}")),
            "+OK\r\n"
        );
        // The reply stays unread: it is all pending.
        harness.send(client, &common::request(&[b"GET", b"k"]));
        assert_eq!(harness.server.send_buffer(client).len(), reply_len);
        let expected = if closed {
            vec![(client, CloseReason::OutputBufferLimit)]
        } else {
            vec![]
        };
        assert_eq!(harness.closes(), expected, "hard limit {hard_bytes}");
    }
}

#[test]
fn a_late_reply_is_held_to_the_output_limit_too() {
    // A blocked client's timeout reply, CLIENT UNBLOCK's error: output added outside the
    // command that asked for it still closes a client that reaches its hard limit.
    let message = "m".repeat(REPLY_BUFFER_BYTES + 1000);
    let echo_len = format!("${}\r\n{message}\r\n", message.len()).len();
    for unblock in [false, true] {
        let config = Config {
            output_buffer_hard_bytes: echo_len - REPLY_BUFFER_BYTES + 1,
            ..Config::default()
        };
        let mut harness = Harness::new(config);
        let waiter = harness.open();
        let admin = harness.open();
        let id = client_id(&mut harness, waiter);
        harness.send(waiter, &common::request(&[b"ECHO", message.as_bytes()]));
        harness.send(waiter, &common::request(&[b"BLPOP", b"q", b"1"]));
        assert!(harness.closes().is_empty(), "one byte under the limit");
        if unblock {
            assert_eq!(
                harness.command(admin, &format!("CLIENT UNBLOCK {id} ERROR")),
                ":1\r\n"
            );
        } else {
            harness.advance(1_001);
            harness.run_timers();
        }
        assert_eq!(
            harness.closes(),
            vec![(waiter, CloseReason::OutputBufferLimit)],
            "unblocked by {}",
            if unblock {
                "CLIENT UNBLOCK"
            } else {
                "its timeout"
            }
        );
    }
}

#[test]
fn a_blocking_pop_propagates_as_the_pop_it_did() {
    let mut harness = Harness::new(Config::default());
    harness.server.record_propagation(true);
    let waiter = harness.open();
    let pusher = harness.open();
    harness.command(waiter, "BLPOP a b 0");
    harness.command(pusher, "RPUSH b 1 2");
    harness.command(waiter, "BZMPOP 0 1 z MAX COUNT 2");
    harness.command(pusher, "ZADD z 1 x 2 y 3 w");
    harness.command(pusher, "BLMOVE b a RIGHT LEFT 0");
    let propagated: Vec<String> = harness
        .server
        .take_propagated()
        .into_iter()
        .map(|entry| {
            let words: Vec<String> = entry
                .args
                .iter()
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            words.join(" ")
        })
        .collect();
    assert_eq!(
        propagated,
        [
            "RPUSH b 1 2",
            "LPOP b",
            "ZADD z 1 x 2 y 3 w",
            "ZPOPMAX z 2",
            "LMOVE b a RIGHT LEFT",
        ]
    );
}

#[test]
fn a_publish_inside_exec_reaches_those_subscribed_when_it_ran() {
    // Redis writes a message to its subscribers as PUBLISH runs: a SUBSCRIBE later in the same
    // transaction does not receive it, and an UNSUBSCRIBE later in it does not take it back.
    let mut harness = Harness::new(Config::default());
    let late = harness.open();
    assert_eq!(harness.command(late, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(late, "PUBLISH ch x"), "+QUEUED\r\n");
    assert_eq!(harness.command(late, "SUBSCRIBE ch"), "+QUEUED\r\n");
    assert_eq!(
        harness.command(late, "EXEC"),
        "*2\r\n:0\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(
        harness.take_replies(late),
        "",
        "no message from before it subscribed"
    );
    let early = harness.open();
    assert_eq!(harness.command(early, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(early, "SUBSCRIBE news"), "+QUEUED\r\n");
    assert_eq!(harness.command(early, "PUBLISH news y"), "+QUEUED\r\n");
    assert_eq!(harness.command(early, "UNSUBSCRIBE news"), "+QUEUED\r\n");
    assert_eq!(
        harness.command(early, "EXEC"),
        "*3\r\n*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n:1\r\n\
         *3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n\
         *3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\ny\r\n",
        "the message it counted comes after the reply"
    );
}

#[test]
fn a_subscriber_past_its_soft_limit_that_unsubscribes_is_held_to_a_normal_clients_limits() {
    // Redis measures the soft limit of a client's class at the time it checks: once the client
    // has left every channel it is a normal client again, whose limits are off by default.
    let config = Config {
        pubsub_output_limit: OutputLimit {
            hard_bytes: 64 * 1024,
            soft_bytes: 16 * 1024,
            soft_secs: 2,
        },
        ..Config::default()
    };
    let mut harness = Harness::new(config);
    let listener = harness.open();
    let publisher = harness.open();
    harness.command(listener, "SUBSCRIBE d");
    let message = "x".repeat(1000);
    for _ in 0..20 {
        harness.command(publisher, &format!("PUBLISH d {message}"));
    }
    harness.advance(100);
    harness.run_timers();
    assert!(
        harness.closes().is_empty(),
        "past the soft limit, not for 2 s yet"
    );
    harness.send(listener, b"*1\r\n$11\r\nUNSUBSCRIBE\r\n");
    harness.advance(5_000);
    harness.run_timers();
    assert!(
        harness.closes().is_empty(),
        "a normal client has no soft limit by default"
    );
}

#[test]
fn a_notification_inside_exec_reaches_those_subscribed_when_it_was_raised() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    harness.command(client, "CONFIG SET notify-keyspace-events KEA");
    for command in [
        "MULTI",
        "SET k 1",
        "SUBSCRIBE __keyevent@0__:set",
        "SET k 2",
    ] {
        harness.command(client, command);
    }
    let replies = harness.command(client, "EXEC");
    // The first SET ran before the SUBSCRIBE: only the second one's event comes. Redis writes
    // it between EXEC's elements; here it follows the whole reply.
    assert_eq!(
        replies,
        "*3\r\n+OK\r\n*3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:set\r\n:1\r\n+OK\r\n\
         *3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"
    );
}
