//! SORT and SORT_RO through the core: Redis 7.0's exact replies for each option, its errors in
//! its order, STORE's effect on the keyspace (WATCH, propagation, the empty result deleting the
//! destination), and weights read like any key (expired ones are gone).

mod common;

use common::{Client, Harness};
use ferrodis_core::Config;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const SCORES: &str = "-ERR One or more scores can't be converted into double\r\n";

/// A RESP2 array of bulk strings; `None` is a null.
fn bulks(items: &[Option<&str>]) -> String {
    let mut reply = format!("*{}\r\n", items.len());
    for item in items {
        match item {
            Some(text) => reply.push_str(&format!("${}\r\n{text}\r\n", text.len())),
            None => reply.push_str("$-1\r\n"),
        }
    }
    reply
}

fn array(items: &[&str]) -> String {
    let items: Vec<Option<&str>> = items.iter().map(|item| Some(*item)).collect();
    bulks(&items)
}

/// A list `l` of numbers, weights `w_<n>` and hashes `h_<n>` for them.
fn with_weights() -> Client {
    let mut client = Client::new();
    client.send(&["rpush", "l", "3", "1", "2", "10"]);
    client.send(&["mset", "w_3", "30", "w_1", "10", "w_2", "-5", "w_10", "7"]);
    client.send(&["hset", "h_3", "f", "b", "g", "x"]);
    client.send(&["hset", "h_1", "f", "c"]);
    client.send(&["hset", "h_2", "f", "a"]);
    client
}

#[test]
fn numbers_sort_ascending_and_descending() {
    let mut client = with_weights();
    assert_eq!(client.send(&["sort", "l"]), array(&["1", "2", "3", "10"]));
    assert_eq!(
        client.send(&["sort", "l", "desc"]),
        array(&["10", "3", "2", "1"])
    );
    assert_eq!(
        client.send(&["sort_ro", "l"]),
        array(&["1", "2", "3", "10"])
    );
    // Equal numbers fall back to the elements' bytes, reversed by DESC too.
    client.send(&["rpush", "same", "1.0", "1", "01", "0x1"]);
    assert_eq!(
        client.send(&["sort", "same"]),
        array(&["01", "0x1", "1", "1.0"])
    );
    assert_eq!(
        client.send(&["sort", "same", "desc"]),
        array(&["1.0", "1", "0x1", "01"])
    );
}

#[test]
fn alpha_compares_bytes() {
    let mut client = Client::new();
    client.send(&["rpush", "words", "b", "B", "a", "10", "9", ""]);
    assert_eq!(
        client.send(&["sort", "words", "alpha"]),
        array(&["", "10", "9", "B", "a", "b"])
    );
    assert_eq!(
        client.send(&["sort", "words", "alpha", "desc", "limit", "0", "2"]),
        array(&["b", "a"])
    );
    assert_eq!(client.send(&["sort", "words"]), SCORES);
}

#[test]
fn sets_and_sorted_sets_sort_by_their_members() {
    let mut client = Client::new();
    client.send(&["sadd", "s", "5", "-1", "30", "2"]);
    assert_eq!(client.send(&["sort", "s"]), array(&["-1", "2", "5", "30"]));
    client.send(&["sadd", "words", "pear", "apple", "fig"]);
    assert_eq!(
        client.send(&["sort", "words", "alpha"]),
        array(&["apple", "fig", "pear"])
    );
    client.send(&["zadd", "z", "1", "30", "2", "4", "3", "100"]);
    assert_eq!(client.send(&["sort", "z"]), array(&["4", "30", "100"]));
    // BY a constant keeps the sorted set's own order, then DESC and LIMIT.
    assert_eq!(
        client.send(&["sort", "z", "by", "nosort"]),
        array(&["30", "4", "100"])
    );
    assert_eq!(
        client.send(&["sort", "z", "by", "nosort", "desc", "limit", "1", "5"]),
        array(&["4", "30"])
    );
}

#[test]
fn limit_clamps_as_redis_does() {
    let mut client = with_weights();
    let sorted = |client: &mut Client, offset: &str, count: &str| {
        client.send(&["sort", "l", "limit", offset, count])
    };
    assert_eq!(sorted(&mut client, "1", "2"), array(&["2", "3"]));
    assert_eq!(sorted(&mut client, "-5", "2"), array(&["1", "2"]));
    assert_eq!(sorted(&mut client, "2", "-1"), array(&["3", "10"]));
    assert_eq!(sorted(&mut client, "2", "0"), array(&[]));
    assert_eq!(sorted(&mut client, "4", "1"), array(&[]));
    let huge = i64::MAX.to_string();
    assert_eq!(sorted(&mut client, &huge, &huge), array(&[]));
    assert_eq!(sorted(&mut client, "1", &huge), array(&["2", "3", "10"]));
    assert_eq!(
        client.send(&["sort", "l", "by", "nosort", "desc", "limit", "1", "2"]),
        array(&["2", "1"])
    );
}

#[test]
fn by_reads_weights_and_hash_fields() {
    let mut client = with_weights();
    assert_eq!(
        client.send(&["sort", "l", "by", "w_*"]),
        array(&["2", "10", "1", "3"])
    );
    assert_eq!(
        client.send(&["sort", "l", "by", "h_*->f", "alpha"]),
        array(&["10", "2", "3", "1"]),
        "a missing weight sorts first under ALPHA"
    );
    // A missing weight counts as 0; a weight of another type too.
    client.send(&["del", "w_10", "w_1"]);
    client.send(&["sadd", "w_1", "x"]);
    assert_eq!(
        client.send(&["sort", "l", "by", "w_*"]),
        WRONGTYPE_FREE_ORDER
    );
    // A weight that is not a number fails the whole command.
    client.send(&["set", "w_2", "abc"]);
    assert_eq!(client.send(&["sort", "l", "by", "w_*"]), SCORES);
    // No `*`: nothing is sorted, the list keeps its order.
    assert_eq!(
        client.send(&["sort", "l", "by", "nosort"]),
        array(&["3", "1", "2", "10"])
    );
}

/// `sort l by w_*` once w_10 is missing (0), w_1 a set (0), w_2 -5, w_3 30: -5, then the two
/// zeros by their bytes ("1" before "10"), then 30.
const WRONGTYPE_FREE_ORDER: &str = "*4\r\n$1\r\n2\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n3\r\n";

#[test]
fn get_returns_elements_values_and_nulls() {
    let mut client = with_weights();
    client.send(&["set", "w_x", "not a list element"]);
    assert_eq!(
        client.send(&[
            "sort", "l", "by", "w_*", "get", "#", "get", "w_*", "get", "h_*->f", "get", "nokey"
        ]),
        bulks(&[
            Some("2"),
            Some("-5"),
            Some("a"),
            None,
            Some("10"),
            Some("7"),
            None,
            None,
            Some("1"),
            Some("10"),
            Some("c"),
            None,
            Some("3"),
            Some("30"),
            Some("b"),
            None,
        ])
    );
    // A hash read as a string, or a string read as a hash, is null.
    assert_eq!(
        client.send(&["sort", "l", "limit", "0", "1", "get", "h_*", "get", "w_*->f"]),
        bulks(&[None, None])
    );
}

#[test]
fn errors_come_in_redis_order() {
    let mut client = with_weights();
    client.send(&["set", "str", "1"]);
    assert_eq!(client.send(&["sort", "str"]), WRONGTYPE);
    client.send(&["hset", "hash", "f", "1"]);
    assert_eq!(client.send(&["sort", "hash"]), WRONGTYPE);
    // Options are read before the key: their errors win over WRONGTYPE.
    assert_eq!(
        client.send(&["sort", "str", "limit", "x", "1"]),
        NOT_INTEGER
    );
    assert_eq!(
        client.send(&["sort", "str", "limit", "0", "1.5"]),
        NOT_INTEGER
    );
    assert_eq!(client.send(&["sort", "str", "limit", "0"]), SYNTAX);
    assert_eq!(client.send(&["sort", "str", "nosuchoption"]), SYNTAX);
    assert_eq!(client.send(&["sort", "l", "by"]), SYNTAX);
    assert_eq!(client.send(&["sort", "l", "get"]), SYNTAX);
    assert_eq!(client.send(&["sort", "l", "store"]), SYNTAX);
    assert_eq!(client.send(&["sort_ro", "l", "store", "dest"]), SYNTAX);
    assert_eq!(
        client.send(&["sort"]),
        "-ERR wrong number of arguments for 'sort' command\r\n"
    );
    assert_eq!(client.send(&["sort", "missing"]), array(&[]));
}

#[test]
fn store_writes_a_list_and_an_empty_result_deletes_the_destination() {
    let mut client = with_weights();
    assert_eq!(
        client.send(&["sort", "l", "desc", "store", "dest"]),
        ":4\r\n"
    );
    assert_eq!(
        client.send(&["lrange", "dest", "0", "-1"]),
        array(&["10", "3", "2", "1"])
    );
    // GET's misses are stored as empty strings.
    assert_eq!(
        client.send(&["sort", "l", "limit", "0", "2", "get", "h_*->g", "store", "dest"]),
        ":2\r\n"
    );
    assert_eq!(
        client.send(&["lrange", "dest", "0", "-1"]),
        array(&["", ""])
    );
    // The destination may be of any type before; a TTL goes with the old value.
    client.send(&["set", "other", "x", "ex", "100"]);
    assert_eq!(client.send(&["sort", "l", "store", "other"]), ":4\r\n");
    assert_eq!(client.send(&["ttl", "other"]), ":-1\r\n");
    assert_eq!(client.send(&["type", "other"]), "+list\r\n");
    assert_eq!(client.send(&["sort", "missing", "store", "dest"]), ":0\r\n");
    assert_eq!(client.send(&["exists", "dest"]), ":0\r\n");
    assert_eq!(
        client.send(&["sort", "l", "limit", "9", "9", "store", "other"]),
        ":0\r\n"
    );
    assert_eq!(client.send(&["exists", "other"]), ":0\r\n");
    // A set under BY a constant is sorted anyway when stored (as bytes).
    client.send(&["sadd", "s", "b", "10", "a", "9"]);
    assert_eq!(
        client.send(&["sort", "s", "by", "nosort", "store", "dest"]),
        ":4\r\n"
    );
    assert_eq!(
        client.send(&["lrange", "dest", "0", "-1"]),
        array(&["10", "9", "a", "b"])
    );
    // A failed sort stores nothing.
    assert_eq!(client.send(&["sort", "s", "store", "dest"]), SCORES);
    assert_eq!(client.send(&["llen", "dest"]), ":4\r\n");
}

#[test]
fn store_is_a_write_that_watch_and_propagation_see() {
    let mut h = Harness::new(Config::default());
    h.server.record_propagation(true);
    let writer = h.open();
    let watcher = h.open();
    h.command(writer, "RPUSH l 2 1");
    h.command(watcher, "WATCH dest");
    h.command(writer, "SORT_RO l");
    h.command(writer, "SORT l");
    h.command(writer, "SORT l STORE dest");
    assert_eq!(
        [
            h.command(watcher, "MULTI"),
            h.command(watcher, "PING"),
            h.command(watcher, "EXEC"),
        ]
        .concat(),
        "+OK\r\n+QUEUED\r\n*-1\r\n",
        "SORT ... STORE invalidates a watch of its destination"
    );
    let stream: Vec<String> = h
        .server
        .take_propagated()
        .iter()
        .map(|entry| {
            let args: Vec<String> = entry
                .args
                .iter()
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            args.join(" ")
        })
        .collect();
    assert_eq!(stream, ["RPUSH l 2 1", "SORT l STORE dest"]);
}

#[test]
fn weights_are_read_like_any_key_so_expired_ones_are_gone() {
    let mut client = with_weights();
    client.send(&["pexpire", "w_2", "100"]);
    assert_eq!(
        client.send(&["sort", "l", "by", "w_*"]),
        array(&["2", "10", "1", "3"])
    );
    client.now = common::later(client.now, 200);
    // w_2 expired: 2 now weighs 0, still the least, and GET finds nothing there.
    assert_eq!(
        client.send(&["sort", "l", "by", "w_*", "get", "#", "get", "w_*"]),
        bulks(&[
            Some("2"),
            None,
            Some("10"),
            Some("7"),
            Some("1"),
            Some("10"),
            Some("3"),
            Some("30")
        ])
    );
    assert_eq!(client.send(&["dbsize"]), ":7\r\n");
}

#[test]
fn command_reports_sort_as_redis_does() {
    let mut client = Client::new();
    assert_eq!(
        client.send(&[
            "command", "getkeys", "sort", "k", "store", "a", "limit", "0", "1", "store", "b"
        ]),
        array(&["k", "b"])
    );
    assert_eq!(
        client.send(&["command", "getkeys", "sort", "k", "get", "store", "by", "store"]),
        array(&["k"])
    );
    assert_eq!(
        client.send(&["command", "getkeys", "sort_ro", "k", "store", "a"]),
        array(&["k"])
    );
    assert_eq!(
        client.send(&["command", "getkeys", "mset", "a", "1", "b", "2"]),
        array(&["a", "b"])
    );
    assert_eq!(
        client.send(&["command", "getkeys", "ping", "x"]),
        "-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        client.send(&["command", "getkeys", "get", "a", "b"]),
        "-ERR Invalid number of arguments specified for command\r\n"
    );
    assert_eq!(
        client.send(&["command", "getkeys", "nosuch", "a"]),
        "-ERR Invalid command specified\r\n"
    );
    let info = client.send(&["command", "info", "sort", "sort_ro"]);
    assert!(
        info.contains("+write\r\n+denyoom\r\n+movablekeys\r\n"),
        "{info}"
    );
    assert!(info.contains("+readonly\r\n+movablekeys\r\n"), "{info}");
}

#[test]
fn sorting_a_small_sorted_set_turns_it_into_a_tree_without_a_change() {
    let mut h = Harness::new(Config::default());
    let reader = h.open();
    let watcher = h.open();
    h.command(reader, "ZADD z 2 10 1 20");
    assert_eq!(h.command(reader, "OBJECT ENCODING z"), "$8\r\nlistpack\r\n");
    h.command(watcher, "WATCH z");
    assert_eq!(h.command(reader, "SORT z"), array(&["10", "20"]));
    // As Redis's SORT does, for good; a change of encoding is not a change WATCH sees.
    assert_eq!(h.command(reader, "OBJECT ENCODING z"), "$8\r\nskiplist\r\n");
    assert_eq!(
        [
            h.command(watcher, "MULTI"),
            h.command(watcher, "PING"),
            h.command(watcher, "EXEC"),
        ]
        .concat(),
        "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n"
    );
}
