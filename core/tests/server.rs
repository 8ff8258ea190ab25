//! The core driven directly, with virtual time: the sans-IO contract as a driver sees it.

mod common;

use common::Harness;
use ferrodis_core::{
    Allowed, CloseReason, Config, Output, UnixMillis, REHASH_EXTRA_UNITS_PER_TICK,
    REPLY_BUFFER_BYTES,
};

#[test]
fn pipelined_commands_reply_in_order() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.send(
        id,
        b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\nGET a\r\n",
    );
    assert_eq!(harness.take_replies(id), "+OK\r\n:2\r\n$1\r\n2\r\n");
}

#[test]
fn a_command_split_at_every_byte_gives_the_same_reply() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    let request =
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    for byte in request {
        harness.send(id, std::slice::from_ref(byte));
    }
    assert_eq!(harness.take_replies(id), "+OK\r\n$5\r\nvalue\r\n");
}

#[test]
fn partial_writes_are_resumed_from_the_core_buffer() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.send(id, b"ECHO hello\r\n");
    let mut got = Vec::new();
    loop {
        let pending = harness.server.send_buffer(id);
        if pending.is_empty() {
            break;
        }
        // One byte at a time, with a zero-byte write in between.
        got.push(pending[0]);
        harness.server.connection_sent(harness.now, id, 0);
        harness.server.connection_sent(harness.now, id, 1);
        harness.drain();
    }
    assert_eq!(got, b"$5\r\nhello\r\n");
}

#[test]
fn protocol_error_replies_then_closes_only_that_client() {
    let mut harness = Harness::new(Config::default());
    let bad = harness.open();
    let good = harness.open();
    harness.send(bad, b"*1\r\n$abc\r\n");
    assert_eq!(
        harness.take_replies(bad),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(harness.closes(), vec![(bad, CloseReason::ProtocolError)]);
    // Input after the error is ignored.
    assert_eq!(
        harness
            .server
            .connection_receive(harness.now, bad, b"PING\r\n"),
        0
    );
    harness.server.connection_closed(harness.now, bad);
    assert_eq!(harness.command(good, "PING"), "+PONG\r\n");
}

#[test]
fn quit_replies_ok_then_asks_to_close() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.send(id, b"QUIT\r\nPING\r\n");
    assert_eq!(harness.take_replies(id), "+OK\r\n");
    assert_eq!(harness.closes(), vec![(id, CloseReason::Quit)]);
}

#[test]
fn idle_clients_are_closed_after_timeout_seconds() {
    let mut harness = Harness::new(Config {
        idle_timeout_secs: 2,
        ..Config::default()
    });
    let idle = harness.open();
    let busy = harness.open();
    for _ in 0..20 {
        harness.advance(100);
        harness.command(busy, "PING");
        harness.run_timers();
    }
    assert!(
        harness.closes().is_empty(),
        "2 s idle is not yet past the timeout"
    );
    harness.advance(200);
    harness.command(busy, "PING");
    harness.run_timers();
    let closes = harness.closes();
    assert_eq!(closes, vec![(idle, CloseReason::IdleTimeout)]);
}

#[test]
fn writing_a_reply_counts_as_activity_for_the_idle_timeout() {
    let mut harness = Harness::new(Config {
        idle_timeout_secs: 1,
        ..Config::default()
    });
    let id = harness.open();
    harness.send(id, b"ECHO a-reply-read-slowly\r\n");
    // The client takes one byte every 500 ms: it never sends, but it is not idle.
    while !harness.server.send_buffer(id).is_empty() {
        harness.advance(500);
        harness.server.connection_sent(harness.now, id, 1);
        harness.drain();
        harness.run_timers();
        assert!(harness.closes().is_empty());
    }
    harness.advance(1500);
    harness.run_timers();
    assert_eq!(harness.closes(), vec![(id, CloseReason::IdleTimeout)]);
}

#[test]
fn a_quit_client_that_stops_reading_is_closed_by_the_idle_timeout() {
    let mut harness = Harness::new(Config {
        idle_timeout_secs: 1,
        ..Config::default()
    });
    let id = harness.open();
    harness.send(id, b"ECHO unread\r\nQUIT\r\n");
    assert_eq!(harness.closes(), vec![(id, CloseReason::Quit)]);
    // The driver waits to write the reply; the client never reads it.
    harness.advance(1100);
    harness.run_timers();
    assert_eq!(
        harness.closes(),
        vec![(id, CloseReason::Quit), (id, CloseReason::IdleTimeout)]
    );
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let mut harness = Harness::new(Config {
        clients_max: 2,
        ..Config::default()
    });
    let first = harness.open();
    harness.open();
    let refused = harness
        .server
        .connection_open(harness.now, "127.0.0.1:9")
        .unwrap_err();
    assert_eq!(refused.reply, b"-ERR max number of clients reached\r\n");
    harness.server.connection_closed(harness.now, first);
    harness.open();
}

#[test]
fn protected_mode_logs_its_refusals_at_most_once_a_second() {
    fn refusals_logged(harness: &mut Harness) -> Vec<String> {
        harness.drain();
        harness
            .outputs
            .drain(..)
            .filter_map(|output| match output {
                Output::Log { message, .. } if message.starts_with("Refused a connection") => {
                    Some(message)
                }
                _ => None,
            })
            .collect()
    }
    let mut harness = Harness::new(Config::default());
    for attempt in 0..5 {
        let refused = harness
            .server
            .connection_open(harness.now, &format!("10.0.0.{attempt}:5000"))
            .unwrap_err();
        assert!(refused.reply.starts_with(b"-DENIED"));
        harness.advance(100);
    }
    let first = refusals_logged(&mut harness);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("10.0.0.0:5000"), "{}", first[0]);
    harness.advance(600);
    let _ = harness.server.connection_open(harness.now, "10.0.0.9:5000");
    let second = refusals_logged(&mut harness);
    assert_eq!(second.len(), 1, "{second:?}");
    assert!(second[0].contains("(4 more refused since"), "{}", second[0]);
    // All counted, logged or not; a loopback client still gets in.
    let id = harness.open();
    harness.send(id, b"INFO stats\r\n");
    assert!(harness.take_replies(id).contains("rejected_connections:6"));
}

#[test]
fn stale_connection_ids_are_ignored() {
    let mut harness = Harness::new(Config::default());
    let old = harness.open();
    harness.server.connection_closed(harness.now, old);
    let new = harness.open();
    assert_ne!(old, new);
    assert_eq!(
        harness
            .server
            .connection_receive(harness.now, old, b"PING\r\n"),
        0
    );
    assert!(harness.server.send_buffer(old).is_empty());
    assert_eq!(harness.command(new, "PING"), "+PONG\r\n");
}

#[test]
fn query_buffer_limit_closes_the_client() {
    let mut harness = Harness::new(Config {
        query_buffer_bytes_max: 1024,
        ..Config::default()
    });
    let id = harness.open();
    harness.send(id, b"*2\r\n$4\r\nECHO\r\n$5000\r\n");
    harness.send(id, &[b'x'; 2000]);
    assert_eq!(harness.closes(), vec![(id, CloseReason::QueryBufferLimit)]);
}

#[test]
fn a_client_that_does_not_read_is_paused_not_grown_without_bound() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.command(id, &format!("SET big {}", "x".repeat(100_000)));
    let request = b"GET big\r\n".repeat(100);
    harness.send(id, &request);
    let pending = harness.server.send_buffer(id).len();
    assert!(pending < 2 * 1024 * 1024, "{pending} bytes pending");
    assert!(
        !harness.server.interest(id).read,
        "reading stops while replies are paused"
    );
    // Reading everything lets the rest run.
    let mut total = 0;
    for _ in 0..1000 {
        let pending = harness.server.send_buffer(id).len();
        if pending == 0 {
            break;
        }
        total += pending;
        harness.server.connection_sent(harness.now, id, pending);
        harness.drain();
        harness.run_timers();
    }
    assert_eq!(total, 100 * (100_000 + "$100000\r\n\r\n".len()));
    assert!(harness.server.interest(id).read);
}

#[test]
fn output_buffer_hard_limit_closes() {
    let mut harness = Harness::new(Config {
        output_buffer_hard_bytes: 10_000,
        ..Config::default()
    });
    let id = harness.open();
    harness.command(id, &format!("SET big {}", "x".repeat(40_000)));
    harness.send(id, b"GET big\r\n");
    assert_eq!(harness.closes(), vec![(id, CloseReason::OutputBufferLimit)]);
}

#[test]
fn a_tiny_output_limit_lets_ordinary_replies_through() {
    // `client-output-buffer-limit normal 1 1 0`: Redis counts only what overflows a client's
    // 16 KiB reply buffer, so clients that read their replies carry on.
    let mut harness = Harness::new(Config {
        output_buffer_hard_bytes: 1,
        output_buffer_soft_bytes: 1,
        ..Config::default()
    });
    let id = harness.open();
    let value = "x".repeat(REPLY_BUFFER_BYTES - 100);
    assert_eq!(harness.command(id, &format!("SET k {value}")), "+OK\r\n");
    assert_eq!(
        harness.command(id, "GET k"),
        format!("${}\r\n{value}\r\n", value.len())
    );
    assert!(harness.closes().is_empty());
    // A reply that overflows the buffer by a byte closes it.
    let value = "x".repeat(REPLY_BUFFER_BYTES);
    harness.command(id, &format!("SET k {value}"));
    harness.send(id, b"GET k\r\n");
    assert_eq!(harness.closes(), vec![(id, CloseReason::OutputBufferLimit)]);
}

#[test]
fn keys_expire_lazily_and_actively_on_wall_time() {
    let mut harness = Harness::new(Config {
        enable_debug_command: Allowed::Yes,
        ..Config::default()
    });
    let id = harness.open();
    assert_eq!(harness.command(id, "SET a 1 PX 1500"), "+OK\r\n");
    assert_eq!(harness.command(id, "SET b 1 PX 1500"), "+OK\r\n");
    harness.command(id, "DEBUG SET-ACTIVE-EXPIRE 0");
    harness.advance(1000);
    harness.run_timers();
    assert_eq!(harness.command(id, "GET a"), "$1\r\n1\r\n");
    harness.advance(600);
    harness.run_timers();
    // Lazy: the key is gone for readers, DBSIZE still counts b until something touches it.
    assert_eq!(harness.command(id, "GET a"), "$-1\r\n");
    assert_eq!(harness.command(id, "DBSIZE"), ":1\r\n");
    harness.command(id, "DEBUG SET-ACTIVE-EXPIRE 1");
    harness.advance(200);
    harness.run_timers();
    assert_eq!(harness.command(id, "DBSIZE"), ":0\r\n");
}

#[test]
fn wall_clock_jumping_back_keeps_keys() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.command(id, "SET a 1 PX 5000");
    harness.now.wall = UnixMillis::from_millis(harness.now.wall.as_millis() - 3_600_000);
    harness.advance(100);
    harness.run_timers();
    assert_eq!(harness.command(id, "GET a"), "$1\r\n1\r\n");
}

#[test]
fn unlink_and_flushall_async_hand_values_out() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    harness.command(id, "SET a 1");
    harness.command(id, "SET b 2");
    assert_eq!(harness.command(id, "UNLINK a nosuch"), ":1\r\n");
    assert_eq!(harness.command(id, "FLUSHALL ASYNC"), "+OK\r\n");
    let frees = harness
        .outputs
        .iter()
        .filter(|output| matches!(output, Output::Free { .. }))
        .count();
    assert!(
        frees >= 2,
        "UNLINK and FLUSHALL ASYNC free off the loop ({frees})"
    );
    assert_eq!(harness.command(id, "DBSIZE"), ":0\r\n");
}

#[test]
fn same_calls_same_bytes() {
    let run = || {
        let mut harness = Harness::new(Config {
            seed: 42,
            ..Config::default()
        });
        let id = harness.open();
        for number in 0..200 {
            harness.command(id, &format!("SET key:{number} {number}"));
        }
        let keys = harness.command(id, "KEYS *");
        let scan = harness.command(id, "SCAN 0 COUNT 7");
        let random = harness.command(id, "RANDOMKEY");
        (keys, scan, random)
    };
    assert_eq!(run(), run());
}

#[test]
fn a_key_is_served_during_the_millisecond_of_its_deadline() {
    // Redis 7.0 expires a key when `now > deadline` (keyIsExpired, activeExpireCycleTryExpire).
    let mut h = Harness::new(Config::default());
    let id = h.open();
    h.command(id, "SET k v PX 100");
    h.advance(100);
    h.run_timers();
    assert_eq!(h.command(id, "PTTL k"), ":0\r\n");
    assert_eq!(h.command(id, "GET k"), "$1\r\nv\r\n");
    assert_eq!(h.command(id, "DBSIZE"), ":1\r\n");
    h.advance(1);
    assert_eq!(h.command(id, "GET k"), "$-1\r\n");

    // Active expiry draws the same line.
    h.command(id, "SET j v PX 100");
    h.advance(100);
    h.run_timers();
    assert_eq!(h.command(id, "DBSIZE"), ":1\r\n");
    h.advance(1000);
    h.run_timers();
    assert_eq!(h.command(id, "DBSIZE"), ":0\r\n");

    // A deadline set at or before now removes the key at once (Redis's checkAlreadyExpired).
    h.command(id, "SET i v");
    let now = h.now.wall.as_millis().to_string();
    assert_eq!(h.command(id, &format!("PEXPIREAT i {now}")), ":1\r\n");
    assert_eq!(h.command(id, "EXISTS i"), ":0\r\n");
}

#[test]
fn a_client_that_has_not_authenticated_may_leave_little_unread() {
    // As patched Redis 7.0: past its 16 KiB reply buffer, 1 KiB of replies left unread closes
    // a client that has not authenticated; once authenticated, the normal limits hold (none).
    let mut harness = Harness::new(Config {
        requirepass: Some(b"pw".to_vec()),
        ..Config::default()
    });
    let noauth = "-NOAUTH Authentication required.\r\n".len();
    let under = (REPLY_BUFFER_BYTES + 1024) / noauth;
    let stranger = harness.open();
    harness.send(stranger, &b"PING\r\n".repeat(under));
    assert_eq!(harness.closes(), vec![]);
    harness.send(stranger, &b"PING\r\n".repeat(2));
    assert_eq!(
        harness.closes(),
        vec![(stranger, CloseReason::OutputBufferLimit)]
    );
    let member = harness.open();
    assert_eq!(harness.command(member, "AUTH pw"), "+OK\r\n");
    harness.send(member, &b"PING\r\n".repeat(10 * under));
    assert_eq!(
        harness.closes(),
        vec![(stranger, CloseReason::OutputBufferLimit)],
        "the stranger alone is closed"
    );
}

#[test]
fn config_set_takes_the_listener_it_has_and_refuses_to_move_it() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    assert_eq!(harness.command(client, "CONFIG SET port 6379"), "+OK\r\n");
    assert_eq!(
        harness.command(client, "CONFIG SET bind 127.0.0.1"),
        "+OK\r\n"
    );
    let moved = harness.command(client, "CONFIG SET maxmemory 10mb port 6380");
    assert!(
        moved.starts_with(
            "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen"
        ),
        "{moved}"
    );
    assert_eq!(
        harness.command(client, "CONFIG GET maxmemory"),
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        "nothing of a refused CONFIG SET is applied"
    );
    let rebound = harness.command(client, "CONFIG SET bind 0.0.0.0");
    assert!(rebound.contains("Failed to bind"), "{rebound}");
}

/// A stopwatch that moves `step` microseconds at every reading.
fn stepping_stopwatch(step: u64) -> Box<dyn FnMut() -> u64> {
    let mut now = 0;
    Box::new(move || {
        now += step;
        now
    })
}

#[test]
fn durations_from_the_stopwatch_feed_the_slow_log_the_latency_monitor_and_the_stats() {
    let mut harness = Harness::new(Config::default());
    harness.server.set_stopwatch(stepping_stopwatch(5000));
    let client = harness.open();
    for setting in [
        "CONFIG SET slowlog-log-slower-than 4000",
        "CONFIG SET latency-monitor-threshold 3",
        "SLOWLOG RESET",
    ] {
        assert_eq!(harness.command(client, setting), "+OK\r\n");
    }
    assert_eq!(harness.command(client, "SET k v"), "+OK\r\n");
    let slowlog = harness.command(client, "SLOWLOG GET 1");
    assert!(
        slowlog.contains(":5000\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        "{slowlog}"
    );
    assert_eq!(harness.command(client, "GET k"), "$1\r\nv\r\n");
    let latest = harness.command(client, "LATENCY LATEST");
    assert!(latest.contains("$7\r\ncommand\r\n"), "{latest}");
    assert!(latest.contains("$12\r\nfast-command\r\n"), "{latest}");
    assert!(
        latest.contains(":5\r\n:5\r\n"),
        "5 ms, the worst too: {latest}"
    );
    let stats = harness.command(client, "INFO commandstats");
    assert!(
        stats.contains("cmdstat_set:calls=1,usec=5000,usec_per_call=5000.00,"),
        "{stats}"
    );
    let latencies = harness.command(client, "INFO latencystats");
    assert!(
        latencies.contains("latency_percentiles_usec_set:p50=5"),
        "{latencies}"
    );
    assert_eq!(harness.command(client, "LATENCY RESET"), ":2\r\n");
    assert_eq!(
        harness.command(client, "CONFIG SET slowlog-log-slower-than -1"),
        "+OK\r\n"
    );
    assert_eq!(harness.command(client, "SLOWLOG RESET"), "+OK\r\n");
    harness.command(client, "GET k");
    assert_eq!(harness.command(client, "SLOWLOG LEN"), ":0\r\n");
}

#[test]
fn a_resize_gets_more_work_after_each_cron_tick_up_to_a_bound() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open();
    // No tick yet: the driver gets no extra work.
    assert!(!harness.server.rehash_more());
    // 70,000 keys: the table doubled at 65,537, and most of its buckets are still to move.
    for batch in 0..70 {
        let mut bytes = Vec::new();
        for i in batch * 1000..(batch + 1) * 1000 {
            let key = format!("key:{i}");
            bytes.extend_from_slice(&common::request(&[b"SET", key.as_bytes(), b"v"]));
        }
        harness.send(id, &bytes);
        harness.take_replies(id);
    }
    let mut units_per_tick = Vec::new();
    for _ in 0..20 {
        harness.advance(100);
        harness.run_timers();
        let mut units = 0;
        while harness.server.rehash_more() {
            units += 1;
            assert!(units <= REHASH_EXTRA_UNITS_PER_TICK, "bounded per tick");
        }
        units_per_tick.push(units);
        if units < REHASH_EXTRA_UNITS_PER_TICK {
            break;
        }
    }
    // Whole ticks' worth while the resize lasts, then less as it ends, then nothing.
    assert!(units_per_tick.len() >= 2, "{units_per_tick:?}");
    assert_eq!(units_per_tick[0], REHASH_EXTRA_UNITS_PER_TICK);
    harness.advance(100);
    harness.run_timers();
    assert!(!harness.server.rehash_more(), "the resize ended");
    assert_eq!(harness.command(id, "DBSIZE"), ":70000\r\n");
    assert_eq!(harness.command(id, "GET key:69999"), "$1\r\nv\r\n");
}
