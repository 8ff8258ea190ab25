//! Sorted sets through the core: the book's test cases over RESP, and lazy freeing of big sets.

mod common;

use common::{free_in_steps, later, Client};

/// The book's sorted-set session (io/tests/book.rs), asked over RESP: the same answers in RESP's
/// types (a double is a bulk string in RESP2, as Redis replies).
#[test]
fn the_books_sorted_set_cases_over_resp() {
    let mut client = Client::new();
    let cases: &[(&[&str], &str)] = &[
        (&["zscore", "asdf", "n1"], "$-1\r\n"),
        (&["zquery", "xxx", "1", "asdf", "1", "10"], "*0\r\n"),
        (&["zadd", "zset", "1", "n1"], ":1\r\n"),
        (&["zadd", "zset", "2", "n2"], ":1\r\n"),
        (&["zadd", "zset", "1.1", "n1"], ":0\r\n"),
        (&["zscore", "zset", "n1"], "$18\r\n1.1000000000000001\r\n"),
        (
            &["zquery", "zset", "1", "", "0", "10"],
            "*4\r\n$2\r\nn1\r\n$18\r\n1.1000000000000001\r\n$2\r\nn2\r\n$1\r\n2\r\n",
        ),
        (
            &["zquery", "zset", "1.1", "", "1", "10"],
            "*2\r\n$2\r\nn2\r\n$1\r\n2\r\n",
        ),
        (&["zquery", "zset", "1.1", "", "2", "10"], "*0\r\n"),
        (&["zrem", "zset", "adsf"], ":0\r\n"),
        (&["zrem", "zset", "n1"], ":1\r\n"),
        (
            &["zquery", "zset", "1", "", "0", "10"],
            "*2\r\n$2\r\nn2\r\n$1\r\n2\r\n",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(client.send(args), *expected, "{args:?}");
    }
}

#[test]
fn zquery_limit_counts_elements_and_offset_may_be_negative() {
    let mut client = Client::new();
    for (score, member) in [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")] {
        client.send(&["zadd", "z", score, member]);
    }
    // limit 3: pairs are added while fewer than 3 elements are out, so two pairs.
    assert_eq!(
        client.send(&["zquery", "z", "2", "", "0", "3"]),
        "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        client.send(&["zquery", "z", "3", "", "-2", "2"]),
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(client.send(&["zquery", "z", "3", "", "-3", "2"]), "*0\r\n");
}

#[test]
fn deleting_a_big_sorted_set_frees_it_off_the_loop() {
    let mut client = Client::new();
    let mut members = vec!["zadd".to_string(), "big".to_string()];
    for number in 0..1500 {
        members.push(number.to_string());
        members.push(format!("m{number}"));
    }
    let args: Vec<&str> = members.iter().map(String::as_str).collect();
    assert_eq!(client.send(&args), ":1500\r\n");
    client.send(&["zadd", "small", "1", "a"]);
    assert_eq!(client.send(&["del", "small"]), ":1\r\n");
    assert_eq!(client.garbage.len(), 0, "a small value is dropped in place");
    assert_eq!(client.send(&["del", "big"]), ":1\r\n");
    assert_eq!(
        client.garbage.len(),
        1,
        "a big one leaves through Output::Free"
    );
}

#[test]
fn an_expiring_big_sorted_set_is_freed_off_the_loop() {
    let mut client = Client::new();
    let mut members = vec!["zadd".to_string(), "big".to_string()];
    for number in 0..1500 {
        members.push(number.to_string());
        members.push(format!("m{number}"));
    }
    let args: Vec<&str> = members.iter().map(String::as_str).collect();
    client.send(&args);
    client.send(&["pexpire", "big", "100"]);
    client.now = later(client.now, 1000);
    client.server.handle_timeout(client.now);
    client.drain();
    assert_eq!(client.send(&["exists", "big"]), ":0\r\n");
    assert_eq!(client.garbage.len(), 1);
}

/// A driver can free big garbage in bounded pieces: each step drops at most 4096 items, so a
/// 20,000-member set (20,000 tree nodes and 20,000 table entries) takes at least 10 steps, and
/// a flushed keyspace at least one step per 4096 keys, TTLs and members.
#[test]
fn big_garbage_is_freed_in_bounded_steps() {
    let mut client = Client::new();
    let members: Vec<String> = (0..20_000)
        .flat_map(|number| [number.to_string(), format!("m{number}")])
        .collect();
    let mut args = vec!["zadd", "big"];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(client.send(&args), ":20000\r\n");
    assert_eq!(client.send(&["unlink", "big"]), ":1\r\n");
    let steps = free_in_steps(std::mem::take(&mut client.garbage));
    assert!((10..=13).contains(&steps), "{steps} steps for 40,000 items");

    // A keyspace: 5,000 keys with TTLs (values, expiry entries and heap items) and the set again.
    assert_eq!(client.send(&args), ":20000\r\n");
    for number in 0..5_000 {
        let key = format!("k{number}");
        client.send(&["set", &key, "v", "ex", "1000"]);
    }
    assert_eq!(client.send(&["flushall", "async"]), "+OK\r\n");
    // 55,001 items in 16 databases' pieces (15 of them empty): at least one step per 4096 items
    // and one per piece, and at most two more per piece (opening it, seeing it end).
    let steps = free_in_steps(std::mem::take(&mut client.garbage));
    assert!(
        (14 + 16..=14 + 3 * 17).contains(&steps),
        "{steps} steps for 55,001 items"
    );
    assert_eq!(client.send(&["dbsize"]), ":0\r\n");
}

/// OBJECT ENCODING's answer for `key`, as text.
fn encoding(client: &mut Client, key: &str) -> String {
    let reply = client.send(&["object", "encoding", key]);
    reply.split("\r\n").nth(1).unwrap_or_default().to_string()
}

/// Small sorted sets are a listpack until a new member would be one too many or is too long
/// (then a skiplist for good, even when members are removed or updated again); a set whose first
/// member is already too long, or made while the entries limit is 0, starts as a skiplist. The
/// same sequence gives the same encodings in Redis 7.0.
#[test]
fn small_sorted_sets_are_packed_until_a_limit_is_crossed() {
    let mut client = Client::new();
    assert_eq!(client.send(&["zadd", "default", "1", "a"]), ":1\r\n");
    assert_eq!(encoding(&mut client, "default"), "listpack");
    client.send(&["config", "set", "zset-max-listpack-entries", "3"]);
    client.send(&["config", "set", "zset-max-listpack-value", "5"]);

    assert_eq!(
        client.send(&["zadd", "z", "1", "a", "2", "b", "3", "c"]),
        ":3\r\n"
    );
    assert_eq!(encoding(&mut client, "z"), "listpack");
    assert_eq!(client.send(&["zadd", "z", "4", "d"]), ":1\r\n");
    assert_eq!(encoding(&mut client, "z"), "skiplist");
    assert_eq!(client.send(&["zrem", "z", "d", "c", "b"]), ":3\r\n");
    assert_eq!(encoding(&mut client, "z"), "skiplist");

    assert_eq!(client.send(&["zadd", "v", "1", "abcde"]), ":1\r\n");
    assert_eq!(encoding(&mut client, "v"), "listpack");
    assert_eq!(client.send(&["zadd", "v", "2", "abcdef"]), ":1\r\n");
    assert_eq!(encoding(&mut client, "v"), "skiplist");
    for (key, command) in [
        ("w", &["zadd", "w", "1", "abcdef"][..]),
        ("w2", &["zadd", "w2", "1", "a", "2", "abcdef"]),
        ("x", &["zincrby", "x", "1", "abcdef"]),
        ("nx", &["zadd", "nx", "nx", "1", "abcdef"]),
    ] {
        client.send(command);
        assert_eq!(encoding(&mut client, key), "skiplist", "{command:?}");
    }

    // Updating a member never converts, nor does a new member within the limits as they are
    // now, even if an old member is longer.
    assert_eq!(client.send(&["zadd", "p", "1", "abc"]), ":1\r\n");
    client.send(&["config", "set", "zset-max-listpack-value", "2"]);
    assert_eq!(client.send(&["zadd", "p", "2", "abc"]), ":0\r\n");
    assert_eq!(client.send(&["zadd", "p", "1", "ab"]), ":1\r\n");
    assert_eq!(client.send(&["zincrby", "p", "1", "abc"]), "$1\r\n3\r\n");
    assert_eq!(client.send(&["zadd", "p", "1", "abc", "1", "q"]), ":1\r\n");
    assert_eq!(encoding(&mut client, "p"), "listpack");
    assert_eq!(
        client.send(&["zrange", "p", "0", "-1", "withscores"]),
        "*6\r\n$2\r\nab\r\n$1\r\n1\r\n$3\r\nabc\r\n$1\r\n1\r\n$1\r\nq\r\n$1\r\n1\r\n"
    );

    // The Redis 6 name of the setting means the same.
    client.send(&["config", "set", "zset-max-ziplist-entries", "0"]);
    assert_eq!(
        client.send(&["config", "get", "zset-max-listpack-entries"]),
        "*2\r\n$25\r\nzset-max-listpack-entries\r\n$1\r\n0\r\n"
    );
    client.send(&["zadd", "e", "1", "a"]);
    assert_eq!(encoding(&mut client, "e"), "skiplist");
}

/// What ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE store is a listpack when it fits
/// the limits, whatever its inputs were; COPY, RENAME and MOVE keep either encoding.
#[test]
fn computed_sorted_sets_are_packed_when_they_fit() {
    let mut client = Client::new();
    client.send(&["config", "set", "zset-max-listpack-entries", "3"]);
    client.send(&["config", "set", "zset-max-listpack-value", "5"]);
    client.send(&["zadd", "s1", "1", "a", "2", "b"]);
    client.send(&["zadd", "s2", "3", "b", "4", "c"]);
    client.send(&["zadd", "s3", "1", "x", "2", "y"]);
    client.send(&["zadd", "long", "1", "abcdef"]);
    client.send(&["zadd", "big", "1", "a", "2", "b", "3", "c", "4", "d"]);
    client.send(&["zrem", "big", "b", "c", "d"]);
    client.send(&["sadd", "set", "1", "2"]);
    let cases: &[(&[&str], &str, &str)] = &[
        (&["zunionstore", "u", "2", "s1", "s2"], ":3\r\n", "listpack"),
        (&["zinterstore", "i", "2", "s1", "s2"], ":1\r\n", "listpack"),
        (&["zdiffstore", "d", "2", "s1", "s2"], ":1\r\n", "listpack"),
        (&["zrangestore", "r", "s1", "0", "-1"], ":2\r\n", "listpack"),
        (
            &["zrangestore", "r2", "s2", "0", "inf", "byscore"],
            ":2\r\n",
            "listpack",
        ),
        (
            &["zunionstore", "u4", "2", "s1", "s3"],
            ":4\r\n",
            "skiplist",
        ),
        (
            &["zunionstore", "u5", "2", "s1", "long"],
            ":3\r\n",
            "skiplist",
        ),
        (&["zunionstore", "u6", "1", "big"], ":1\r\n", "listpack"),
        (&["zunionstore", "u7", "1", "set"], ":2\r\n", "listpack"),
    ];
    for (command, reply, expected) in cases {
        assert_eq!(client.send(command), *reply, "{command:?}");
        assert_eq!(encoding(&mut client, command[1]), *expected, "{command:?}");
    }
    assert_eq!(
        client.send(&["zrange", "u", "0", "-1", "withscores"]),
        "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n4\r\n$1\r\nb\r\n$1\r\n5\r\n"
    );

    for (key, expected) in [("s1", "listpack"), ("big", "skiplist")] {
        let contents = client.send(&["zrange", key, "0", "-1", "withscores"]);
        assert_eq!(client.send(&["copy", key, "copied"]), ":1\r\n");
        assert_eq!(client.send(&["rename", "copied", "renamed"]), "+OK\r\n");
        assert_eq!(client.send(&["move", "renamed", "1"]), ":1\r\n");
        client.send(&["select", "1"]);
        assert_eq!(encoding(&mut client, "renamed"), expected, "{key}");
        assert_eq!(client.send(&["type", "renamed"]), "+zset\r\n");
        assert_eq!(
            client.send(&["zrange", "renamed", "0", "-1", "withscores"]),
            contents
        );
        client.send(&["del", "renamed"]);
        client.send(&["select", "0"]);
    }
}

/// A ZADD that moves a member's score and back ends as it began, but Redis counts each update,
/// so WATCH sees a change (the reply still says nothing was added).
#[test]
fn a_zadd_that_ends_where_it_began_still_changes_the_key() {
    let mut client = Client::new();
    client.send(&["zadd", "z", "2", "m"]);
    client.send(&["watch", "z"]);
    assert_eq!(client.send(&["zadd", "z", "-0.5", "m", "2", "m"]), ":0\r\n");
    assert_eq!(
        client.send(&["zadd", "z", "CH", "3", "m", "2", "m"]),
        ":2\r\n"
    );
    client.send(&["multi"]);
    client.send(&["ping"]);
    assert_eq!(client.send(&["exec"]), "*-1\r\n");
}
