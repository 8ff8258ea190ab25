//! Exact edges, with the replies Redis 7.0.15 gives: options that change nothing, TTLs carried or
//! dropped, zero padding, deadlines compared strictly, the 17th decimal of a sum, range bounds.

mod common;

use common::Client;

#[test]
fn zadd_ch_counts_only_scores_that_really_change() {
    let mut client = Client::new();
    client.send(&["ZADD", "z", "1", "a"]);
    assert_eq!(client.send(&["ZADD", "z", "XX", "CH", "1", "a"]), ":0\r\n");
    assert_eq!(client.send(&["ZADD", "z", "XX", "CH", "2", "a"]), ":1\r\n");
    // XX adds nothing, so a new member is not counted either.
    assert_eq!(client.send(&["ZADD", "z", "XX", "CH", "2", "b"]), ":0\r\n");
    assert_eq!(
        client.send(&["ZADD", "z", "CH", "2", "a", "3", "b"]),
        ":1\r\n"
    );
    assert_eq!(client.send(&["ZADD", "z", "GT", "CH", "1", "a"]), ":0\r\n");
    assert_eq!(client.send(&["ZADD", "z", "LT", "CH", "1", "a"]), ":1\r\n");
    assert_eq!(client.send(&["ZSCORE", "z", "a"]), "$1\r\n1\r\n");
}

#[test]
fn rename_and_copy_onto_an_existing_key_take_the_sources_ttl() {
    let mut client = Client::new();
    client.send(&["SET", "a", "1"]);
    client.send(&["SET", "b", "2", "PX", "10000"]);
    assert_eq!(client.send(&["RENAME", "a", "b"]), "+OK\r\n");
    assert_eq!(
        client.send(&["PTTL", "b"]),
        ":-1\r\n",
        "the target's TTL went"
    );
    client.send(&["SET", "a", "1", "PX", "5000"]);
    client.send(&["RENAME", "a", "b"]);
    assert_eq!(client.send(&["PTTL", "b"]), ":5000\r\n");

    client.send(&["SET", "a", "1"]);
    client.send(&["SET", "b", "2", "PX", "10000"]);
    assert_eq!(client.send(&["COPY", "a", "b"]), ":0\r\n");
    assert_eq!(
        client.send(&["PTTL", "b"]),
        ":10000\r\n",
        "COPY without REPLACE"
    );
    assert_eq!(client.send(&["COPY", "a", "b", "REPLACE"]), ":1\r\n");
    assert_eq!(client.send(&["PTTL", "b"]), ":-1\r\n");
    client.send(&["SET", "a", "1", "PX", "5000"]);
    assert_eq!(client.send(&["COPY", "a", "b", "REPLACE"]), ":1\r\n");
    assert_eq!(client.send(&["PTTL", "b"]), ":5000\r\n");
    assert_eq!(client.send(&["PTTL", "a"]), ":5000\r\n");
}

#[test]
fn setrange_and_append_pad_with_zero_bytes() {
    let mut client = Client::new();
    assert_eq!(client.send(&["SETRANGE", "s", "5", "ab"]), ":7\r\n");
    assert_eq!(client.send(&["GET", "s"]), "$7\r\n\0\0\0\0\0ab\r\n");
    client.send(&["SET", "t", "xy"]);
    assert_eq!(client.send(&["SETRANGE", "t", "4", "z"]), ":5\r\n");
    assert_eq!(client.send(&["APPEND", "t", "w"]), ":6\r\n");
    assert_eq!(client.send(&["GET", "t"]), "$6\r\nxy\0\0zw\r\n");
    // An empty piece creates nothing.
    assert_eq!(client.send(&["SETRANGE", "u", "3", ""]), ":0\r\n");
    assert_eq!(client.send(&["EXISTS", "u"]), ":0\r\n");
}

#[test]
fn expire_options_treat_no_ttl_as_infinite_and_compare_strictly() {
    let mut client = Client::new();
    let now = client.now.wall.as_millis();
    let at = |offset: i64| (now + offset).to_string();
    // Without a TTL: NX and LT set one, XX and GT do not.
    for (option, reply, ttl) in [
        ("NX", ":1\r\n", ":100\r\n"),
        ("XX", ":0\r\n", ":-1\r\n"),
        ("GT", ":0\r\n", ":-1\r\n"),
        ("LT", ":1\r\n", ":100\r\n"),
    ] {
        client.send(&["SET", "e", "v"]);
        assert_eq!(
            client.send(&["EXPIRE", "e", "100", option]),
            reply,
            "{option}"
        );
        assert_eq!(client.send(&["TTL", "e"]), ttl, "{option}");
    }
    // With a deadline D: GT and LT need a deadline strictly past or before it.
    for (option, offset, reply) in [
        ("NX", 200_000, ":0\r\n"),
        ("XX", 50_000, ":1\r\n"),
        ("GT", 100_000, ":0\r\n"),
        ("GT", 100_001, ":1\r\n"),
        ("GT", 99_999, ":0\r\n"),
        ("LT", 100_000, ":0\r\n"),
        ("LT", 99_999, ":1\r\n"),
        ("LT", 100_001, ":0\r\n"),
    ] {
        client.send(&["SET", "e", "v", "PX", "100000"]);
        let deadline = at(offset);
        let reply_got = client.send(&["PEXPIREAT", "e", &deadline, option]);
        assert_eq!(reply_got, reply, "{option} at D{:+}", offset - 100_000);
        let expected = if reply == ":1\r\n" {
            &deadline
        } else {
            &at(100_000)
        };
        assert_eq!(
            client.send(&["PEXPIRETIME", "e"]),
            format!(":{expected}\r\n"),
            "{option} at D{:+}",
            offset - 100_000
        );
    }
    assert_eq!(client.send(&["EXPIRE", "missing", "10", "NX"]), ":0\r\n");
}

#[test]
fn incrbyfloat_rounds_a_tie_at_the_17th_decimal_to_even() {
    let mut client = Client::new();
    // Odd multiples of 2^-18 have 18 decimals: the 17th is a tie, rounded as printf's %.17Lf.
    for (increment, reply) in [
        ("0.000011444091796875", "0.00001144409179688"),
        ("-0.000011444091796875", "-0.00001144409179688"),
        ("0.000003814697265625", "0.00000381469726562"),
        ("0.000034332275390625", "0.00003433227539062"),
        ("1e-17", "0.00000000000000001"),
        ("0.5e-17", "0"),
        ("1.5e-17", "0.00000000000000002"),
        ("2.5e-17", "0.00000000000000002"),
        ("5.0e3", "5000"),
    ] {
        client.send(&["DEL", "f"]);
        assert_eq!(
            client.send(&["INCRBYFLOAT", "f", increment]),
            format!("${}\r\n{reply}\r\n", reply.len()),
            "{increment}"
        );
    }
    client.send(&["SET", "f", "0.1"]);
    assert_eq!(client.send(&["INCRBYFLOAT", "f", "0.2"]), "$3\r\n0.3\r\n");
}

#[test]
fn zrangebyscore_bounds_and_limit_offsets() {
    let mut client = Client::new();
    client.send(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    let range = |client: &mut Client, args: &[&str]| {
        let mut command = vec!["ZRANGEBYSCORE", "z"];
        command.extend_from_slice(args);
        client.send(&command)
    };
    let none = "*0\r\n";
    let cases: [(&[&str], &str); 14] = [
        (&["(1", "3"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["1", "(3"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        (&["(1", "(1"], none),
        (&["(1", "(2"], none),
        (&["1", "1"], "*1\r\n$1\r\na\r\n"),
        (&["(3", "+inf"], none),
        (&["-inf", "(1"], none),
        (&["1", "3", "LIMIT", "2", "1"], "*1\r\n$1\r\nc\r\n"),
        (&["1", "3", "LIMIT", "3", "1"], none),
        (&["1", "3", "LIMIT", "-1", "2"], none),
        (
            &["1", "3", "LIMIT", "0", "-1"],
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (&["1", "3", "LIMIT", "1", "0"], none),
        (
            &["1", "3", "LIMIT", "0", "-5"],
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (&["1", "3", "LIMIT", "2", "-1"], "*1\r\n$1\r\nc\r\n"),
    ];
    for (args, reply) in cases {
        assert_eq!(range(&mut client, args), reply, "{args:?}");
    }
    assert_eq!(client.send(&["ZCOUNT", "z", "(1", "(3"]), ":1\r\n");
    assert_eq!(
        client.send(&["ZREVRANGEBYSCORE", "z", "(3", "1", "LIMIT", "1", "1"]),
        "*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        client.send(&["ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "1", "5"]),
        "*1\r\n$1\r\nc\r\n"
    );
}
