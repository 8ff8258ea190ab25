//! What HyperLogLog commands tell others: keyspace events and the propagation stream, as
//! Redis 7.0 sends them (the replies and bytes are compared with Redis in
//! io/tests/hyperloglog.rs).

mod common;

use common::Harness;
use ferrodis_core::Config;

#[test]
fn pfadd_and_pfmerge_raise_pfadd_events_only_when_they_write() {
    let mut h = Harness::new(Config::default());
    let (writer, listener) = (h.open(), h.open());
    h.command(writer, "CONFIG SET notify-keyspace-events E$");
    h.command(listener, "PSUBSCRIBE __keyevent@0__:*");
    h.take_replies(listener);
    for line in [
        "PFADD h a",
        "PFADD h a",
        "PFCOUNT h",
        "PFCOUNT h",
        "PFMERGE merged h",
        "PFDEBUG TODENSE h",
        "PFADD h b",
    ] {
        h.command(writer, line);
    }
    let heard = h.take_replies(listener);
    let events: Vec<&str> = heard
        .split("\r\n")
        .filter(|line| line.starts_with("__keyevent") && !line.ends_with('*'))
        .collect();
    // Redis names PFMERGE's event `pfadd` too; PFCOUNT's cache write and PFDEBUG raise none.
    assert_eq!(
        events,
        [
            "__keyevent@0__:pfadd",
            "__keyevent@0__:pfadd",
            "__keyevent@0__:pfadd"
        ]
    );
    assert_eq!(heard.matches("$6\r\nmerged\r\n").count(), 1);
}

#[test]
fn the_stream_carries_pfcount_when_it_wrote_its_cache() {
    let mut h = Harness::new(Config::default());
    h.server.record_propagation(true);
    let id = h.open();
    for line in [
        "PFADD h a b",
        "PFADD h a",
        "PFCOUNT h",
        "PFCOUNT h",
        "PFCOUNT h missing",
        "PFDEBUG ENCODING h",
        "PFDEBUG TODENSE h",
        "PFDEBUG TODENSE h",
        "PFMERGE empty",
        "SET text abc",
        "PFADD text a",
    ] {
        h.command(id, line);
    }
    let stream: Vec<String> = h
        .server
        .take_propagated()
        .iter()
        .map(|entry| String::from_utf8_lossy(&entry.args.join(&b' ')).into_owned())
        .collect();
    assert_eq!(
        stream,
        [
            "PFADD h a b",
            "PFCOUNT h",
            "PFDEBUG TODENSE h",
            "PFMERGE empty",
            "SET text abc"
        ]
    );
}

#[test]
fn pfcount_s_cache_write_invalidates_a_watch() {
    let mut h = Harness::new(Config::default());
    let (a, b) = (h.open(), h.open());
    h.command(a, "PFADD h a");
    h.command(a, "WATCH h");
    h.command(b, "PFCOUNT h");
    h.command(a, "MULTI");
    h.command(a, "PING");
    assert_eq!(h.command(a, "EXEC"), "*-1\r\n", "the cache was written");
    h.command(a, "WATCH h");
    h.command(b, "PFCOUNT h");
    h.command(b, "PFADD h a");
    h.command(a, "MULTI");
    h.command(a, "PING");
    assert_eq!(h.command(a, "EXEC"), "*1\r\n+PONG\r\n", "nothing changed");
}
