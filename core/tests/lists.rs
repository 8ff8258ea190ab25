//! Lists: the structure against a `VecDeque` (the model in fuzz/src/checks/list.rs) under block
//! limits small enough that every operation crosses blocks, with elements whose back lengths
//! take one to three bytes; and through the core: across the keyspace commands, WATCH seeing only real changes, big
//! ones freed off the loop in bounded steps, and arguments at the edges answered without
//! panicking or allocating for them.

#[path = "../../fuzz/src/checks/mod.rs"]
#[allow(dead_code)]
mod checks;
mod common;

use checks::list::{check, Op};
use common::{free_in_steps, Client};
use ferrodis_core::store::list::{BlockLimit, End};
use proptest::prelude::*;

/// An RPUSH of `count` elements `e0`, `e1`... on `key`.
fn fill(client: &mut Client, key: &str, count: usize) -> String {
    let mut args = vec!["rpush".to_string(), key.to_string()];
    args.extend((0..count).map(|number| format!("e{number}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    client.send(&args)
}

/// A list of many blocks leaves through `Output::Free` and is dropped 4096 blocks at a time; a
/// list of a few blocks (a million short elements make a few hundred) is dropped in place.
#[test]
fn lists_of_many_blocks_are_freed_off_the_loop_in_bounded_steps() {
    let mut client = Client::new();
    client.send(&["config", "set", "list-max-listpack-size", "1"]);
    assert_eq!(fill(&mut client, "big", 20_000), ":20000\r\n");
    client.send(&["config", "set", "list-max-listpack-size", "-2"]);
    assert_eq!(fill(&mut client, "packed", 20_000), ":20000\r\n");
    assert_eq!(client.send(&["del", "packed"]), ":1\r\n");
    assert!(client.garbage.is_empty(), "a list of a few blocks in place");
    assert_eq!(client.send(&["unlink", "big"]), ":1\r\n");
    assert_eq!(client.garbage.len(), 1);
    let steps = free_in_steps(std::mem::take(&mut client.garbage));
    assert!((5..=8).contains(&steps), "{steps} steps");
}

/// COPY, RENAME and MOVE keep the elements; TYPE, SCAN TYPE and OBJECT ENCODING know lists.
#[test]
fn keyspace_commands_carry_lists() {
    let mut client = Client::new();
    client.send(&["config", "set", "list-max-ziplist-size", "3"]);
    fill(&mut client, "l", 10);
    let original = client.send(&["lrange", "l", "0", "-1"]);
    assert!(original.starts_with("*10\r\n"));
    assert_eq!(client.send(&["copy", "l", "c"]), ":1\r\n");
    assert_eq!(client.send(&["rename", "c", "r"]), "+OK\r\n");
    assert_eq!(client.send(&["move", "r", "1"]), ":1\r\n");
    client.send(&["select", "1"]);
    assert_eq!(client.send(&["type", "r"]), "+list\r\n");
    assert_eq!(
        client.send(&["object", "encoding", "r"]),
        "$9\r\nquicklist\r\n"
    );
    assert_eq!(client.send(&["lrange", "r", "0", "-1"]), original);
    client.send(&["select", "0"]);
    client.send(&["set", "s", "v"]);
    let scan = client.send(&["scan", "0", "type", "list", "count", "100"]);
    assert!(
        scan.contains("\r\nl\r\n") && !scan.contains("\r\ns\r\n"),
        "{scan}"
    );
    let usage = client.send(&["memory", "usage", "l"]);
    let bytes: i64 = usage.trim_start_matches(':').trim().parse().unwrap();
    assert!((60..1000).contains(&bytes), "{usage}");
}

/// A command that changes nothing (LREM or LPOS of an absent element, LPOP with count 0,
/// LINSERT around an absent pivot, LPUSHX on a missing key) does not fail the EXEC; one that
/// changes the list, or may (LSET, LTRIM), does.
#[test]
fn watch_sees_only_real_changes() {
    let cases: &[(&[&str], bool)] = &[
        (&["lrem", "l", "0", "absent"], false),
        (&["lpop", "l", "0"], false),
        (&["linsert", "l", "before", "absent", "x"], false),
        (&["lpushx", "missing", "x"], false),
        (&["lrange", "l", "0", "-1"], false),
        (&["lrem", "l", "1", "a"], true),
        (&["lset", "l", "0", "a"], true),
        (&["ltrim", "l", "0", "-1"], true),
        (&["lmove", "l", "l", "left", "right"], true),
        (&["rpoplpush", "other", "l"], true),
    ];
    for (command, invalidates) in cases {
        let mut client = Client::new();
        client.send(&["rpush", "l", "a", "b"]);
        client.send(&["rpush", "other", "z"]);
        assert_eq!(
            client.command_fails_watch("l", command),
            *invalidates,
            "{command:?}"
        );
    }
}

/// Extreme counts, indexes and ranges read what is there, and nothing more.
#[test]
fn extreme_arguments_are_bounded_by_the_list() {
    let mut client = Client::new();
    fill(&mut client, "l", 5);
    let max = i64::MAX.to_string();
    let min = i64::MIN.to_string();
    assert!(client
        .send(&["lrange", "l", &min, &max])
        .starts_with("*5\r\n"));
    assert_eq!(client.send(&["lindex", "l", &min]), "$-1\r\n");
    assert_eq!(client.send(&["lindex", "l", &max]), "$-1\r\n");
    assert_eq!(
        client.send(&["lpos", "l", "e4", "maxlen", &max, "count", &max]),
        "*1\r\n:4\r\n"
    );
    assert_eq!(client.send(&["lpos", "l", "e4", "rank", &min]), ":4\r\n");
    assert_eq!(client.send(&["lpos", "l", "e4", "rank", &max]), "$-1\r\n");
    assert!(client.send(&["lpop", "l", &max]).starts_with("*5\r\n"));
    assert_eq!(client.send(&["exists", "l"]), ":0\r\n");
    fill(&mut client, "l", 3);
    assert_eq!(client.send(&["lrem", "l", &min, "e1"]), ":1\r\n");
    assert_eq!(client.send(&["ltrim", "l", &max, &min]), "+OK\r\n");
    assert_eq!(client.send(&["exists", "l"]), ":0\r\n");
}

/// A list with a TTL expires like any key; LMOVE of a list onto itself keeps the TTL.
#[test]
fn lists_expire_and_keep_their_ttl_through_moves() {
    let mut client = Client::new();
    client.send(&["rpush", "l", "only"]);
    client.send(&["pexpire", "l", "1000"]);
    assert_eq!(
        client.send(&["lmove", "l", "l", "left", "right"]),
        "$4\r\nonly\r\n"
    );
    assert_eq!(client.send(&["pttl", "l"]), ":1000\r\n");
    client.now = common::later(client.now, 1001);
    assert_eq!(client.send(&["llen", "l"]), ":0\r\n");
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Front), Just(End::Back)]
}

/// Few distinct short values (so removals match), integers at the encoding edges, and long
/// strings whose back lengths take two or three bytes.
fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "0"]).prop_map(|text| text.as_bytes().to_vec()),
        4 => prop::sample::select(vec!["", "xyz", "-1", "127", "128", "007"])
            .prop_map(|text| text.as_bytes().to_vec()),
        3 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        2 => prop::collection::vec(any::<u8>(), 0..80),
        1 => (100usize..20_000, any::<u8>()).prop_map(|(len, byte)| vec![byte; len]),
    ]
}

/// Mostly values that `element` draws often, so that removals find several matches.
fn needle() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "0"]).prop_map(|text| text.as_bytes().to_vec()),
        1 => element(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (end(), element()).prop_map(|(end, bytes)| Op::Push(end, bytes)),
        2 => (end(), prop::collection::vec(element(), 0..12))
            .prop_map(|(end, elements)| Op::PushAll(end, elements)),
        3 => end().prop_map(Op::Pop),
        2 => (0usize..300).prop_map(Op::Get),
        2 => (0usize..300, element()).prop_map(|(index, bytes)| Op::Set(index, bytes)),
        2 => (0usize..300, element()).prop_map(|(index, bytes)| Op::Insert(index, bytes)),
        1 => (0usize..300, 0usize..40).prop_map(|(first, count)| Op::RemoveRange(first, count)),
        1 => (0usize..300, 0usize..300).prop_map(|(start, stop)| Op::Trim(start, stop)),
        2 => (needle(), 0usize..4, any::<bool>())
            .prop_map(|(needle, limit, back)| Op::RemoveMatching(needle, limit, back)),
        1 => (0usize..300).prop_map(Op::IterFrom),
    ]
}

fn limit() -> impl Strategy<Value = BlockLimit> {
    prop_oneof![
        (0usize..6).prop_map(BlockLimit::Entries),
        (1usize..200).prop_map(BlockLimit::Bytes),
        Just(BlockLimit::from_config(-2)),
        Just(BlockLimit::from_config(128)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn list_matches_a_deque(limit in limit(), ops in prop::collection::vec(op(), 1..120)) {
        check(limit, ops);
    }
}
