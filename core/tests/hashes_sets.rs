//! Hashes and sets through the core: their encodings across the keyspace commands, WATCH seeing
//! only real changes, and big ones freed off the loop in bounded steps.

mod common;

use common::{free_in_steps, Client};

/// A HSET of `fields` fields (or an SADD of as many members) on `key`.
fn fill(client: &mut Client, command: &str, key: &str, count: usize) -> String {
    let mut args = vec![command.to_string(), key.to_string()];
    for number in 0..count {
        args.push(format!("e{number}"));
        if command == "hset" {
            args.push(number.to_string());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    client.send(&args)
}

/// A big hash or set leaves through `Output::Free` and is dropped 4096 nodes at a time; a small
/// one is dropped in place.
#[test]
fn big_hashes_and_sets_are_freed_off_the_loop_in_bounded_steps() {
    for command in ["hset", "sadd"] {
        let mut client = Client::new();
        assert_eq!(fill(&mut client, command, "big", 20_000), ":20000\r\n");
        assert_eq!(fill(&mut client, command, "small", 10), ":10\r\n");
        assert_eq!(client.send(&["del", "small"]), ":1\r\n");
        assert!(client.garbage.is_empty(), "{command}: small ones in place");
        assert_eq!(client.send(&["unlink", "big"]), ":1\r\n");
        assert_eq!(client.garbage.len(), 1, "{command}");
        let steps = free_in_steps(std::mem::take(&mut client.garbage));
        assert!((5..=8).contains(&steps), "{command}: {steps} steps");
    }
}

/// COPY, RENAME and MOVE keep both the contents and the encoding; TYPE and SCAN TYPE know the
/// new types.
#[test]
fn keyspace_commands_carry_every_encoding() {
    let mut client = Client::new();
    client.send(&["config", "set", "hash-max-listpack-entries", "4"]);
    fill(&mut client, "hset", "small-hash", 3);
    fill(&mut client, "hset", "big-hash", 5);
    client.send(&["sadd", "ints", "1", "2", "3"]);
    fill(&mut client, "sadd", "strings", 3);
    let cases = [
        ("small-hash", "hash", "listpack"),
        ("big-hash", "hash", "hashtable"),
        ("ints", "set", "intset"),
        ("strings", "set", "hashtable"),
    ];
    for (key, kind, encoding) in cases {
        let copy = format!("{key}-copy");
        let contents = |client: &mut Client, key: &str| {
            let reply = if kind == "hash" {
                client.send(&["hgetall", key])
            } else {
                client.send(&["smembers", key])
            };
            let mut lines: Vec<String> = reply.split("\r\n").map(str::to_string).collect();
            lines.sort();
            lines
        };
        let original = contents(&mut client, key);
        assert_eq!(client.send(&["copy", key, &copy]), ":1\r\n");
        assert_eq!(client.send(&["rename", &copy, "renamed"]), "+OK\r\n");
        assert_eq!(client.send(&["move", "renamed", "1"]), ":1\r\n");
        client.send(&["select", "1"]);
        assert_eq!(client.send(&["type", "renamed"]), format!("+{kind}\r\n"));
        assert_eq!(
            client.send(&["object", "encoding", "renamed"]),
            format!("${}\r\n{encoding}\r\n", encoding.len()),
            "{key}"
        );
        assert_eq!(contents(&mut client, "renamed"), original, "{key}");
        client.send(&["del", "renamed"]);
        client.send(&["select", "0"]);
    }
    let scan = client.send(&["scan", "0", "type", "set", "count", "100"]);
    assert!(scan.contains("ints") && scan.contains("strings") && !scan.contains("hash"));
}

/// What a transaction sees of WATCH: a command that changes nothing (HDEL of an absent field,
/// SADD of present members, SREM of absent ones, SMOVE onto a member already there) does not
/// fail the EXEC; one that changes the key does.
#[test]
fn watch_sees_only_real_changes() {
    let cases: &[(&[&str], bool)] = &[
        (&["hdel", "h", "absent"], false),
        (&["hset", "h", "f", "1"], true),
        (&["hset", "h", "f", "0"], true),
        (&["hincrby", "h", "f", "0"], true),
        (&["sadd", "s", "a"], false),
        (&["sadd", "s", "a", "new"], true),
        (&["srem", "s", "absent"], false),
        (&["spop", "s", "0"], false),
        (&["smove", "other", "s", "a"], false),
        (&["smove", "s", "other", "a"], true),
    ];
    for (command, invalidates) in cases {
        let mut client = Client::new();
        client.send(&["hset", "h", "f", "0"]);
        client.send(&["sadd", "s", "a", "b"]);
        client.send(&["sadd", "other", "a"]);
        let key = command[1];
        // The watched key: the one whose change decides (SMOVE's destination or source).
        let watched = if command[0] == "smove" { "s" } else { key };
        assert_eq!(
            client.command_fails_watch(watched, command),
            *invalidates,
            "{command:?}"
        );
    }
}

/// A hash or set with a TTL expires like any key, and a big one leaves through the free path.
#[test]
fn expiry_removes_hashes_and_sets() {
    let mut client = Client::new();
    fill(&mut client, "hset", "h", 5000);
    client.send(&["sadd", "s", "1"]);
    client.send(&["pexpire", "h", "10"]);
    client.send(&["pexpire", "s", "10"]);
    client.now = common::later(client.now, 100);
    assert_eq!(client.send(&["exists", "h", "s"]), ":0\r\n");
    assert_eq!(client.send(&["hlen", "h"]), ":0\r\n");
    assert_eq!(
        client.garbage.len(),
        1,
        "the big hash is freed off the loop"
    );
}
