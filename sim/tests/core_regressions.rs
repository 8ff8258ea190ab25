//! Core bugs the simulator found, reduced to a few calls, kept as regression tests once fixed
//! (their seeds are in `REGRESSION_SEEDS` too).

use ferrodis_core::{CloseReason, Config, Instant, Now, Output, Server, UnixMillis};

/// Seeds 1170 and 1333: a connection closed for its output buffer stayed in the queue of
/// connections with leftover commands (past the per-call budget), and the next `handle_timeout`
/// ran one more of its commands (`c` ended at 1). Redis stops processing a client flagged to
/// close; so does the core now.
#[test]
fn no_commands_run_after_an_output_buffer_close() {
    let config = Config {
        output_buffer_hard_bytes: 16 * 1024,
        ..Config::default()
    };
    let now = Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000));
    let mut server = Server::new(config, now);
    let id = server.connection_open(now, "127.0.0.1:1").unwrap();
    let mut request = Vec::new();
    // 1024 replies of ~100 bytes pass the 16 KiB hard limit; the INCRs wait past the budget.
    for _ in 0..ferrodis_core::COMMANDS_PER_CALL_MAX {
        request.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n$100\r\n");
        request.extend_from_slice(&[b'x'; 100]);
        request.extend_from_slice(b"\r\n");
    }
    for _ in 0..10 {
        request.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n");
    }
    server.connection_receive(now, id, &request);
    let mut closed = false;
    while let Some(output) = server.poll_output() {
        if let Output::Close { reason, .. } = output {
            assert_eq!(reason, CloseReason::OutputBufferLimit);
            closed = true;
        }
    }
    assert!(closed);
    // The driver has not closed the socket yet when the timer fires.
    server.handle_timeout(now);
    while server.poll_output().is_some() {}
    let other = server.connection_open(now, "127.0.0.1:2").unwrap();
    server.connection_receive(now, other, b"*2\r\n$3\r\nGET\r\n$1\r\nc\r\n");
    assert_eq!(
        server.send_buffer(other),
        b"$-1\r\n",
        "INCRs ran after the close"
    );
}

/// Seed 26 (before the generator changed): a listpack hash left with more fields than
/// `hash-max-listpack-entries` after CONFIG SET lowered it stayed a listpack when HSET updated
/// one of its fields. Redis 7.0 checks the count after every write to a listpack hash, updates
/// included, and converts; so does the core now.
#[test]
fn a_hash_past_a_lowered_limit_converts_on_update() {
    let now = Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000));
    let mut server = Server::new(Config::default(), now);
    let id = server.connection_open(now, "127.0.0.1:1").unwrap();
    let mut request = Vec::new();
    for command in [
        &["HSET", "h", "a", "1", "b", "2", "c", "3"][..],
        &["CONFIG", "SET", "hash-max-listpack-entries", "1"],
        &["OBJECT", "ENCODING", "h"],
        &["HSET", "h", "a", "5"],
        &["OBJECT", "ENCODING", "h"],
    ] {
        request.extend_from_slice(format!("*{}\r\n", command.len()).as_bytes());
        for arg in command {
            request.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
    }
    server.connection_receive(now, id, &request);
    assert_eq!(
        server.send_buffer(id),
        b":3\r\n+OK\r\n$8\r\nlistpack\r\n:0\r\n$9\r\nhashtable\r\n"
    );
}
