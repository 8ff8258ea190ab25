//! `maxmemory` on the real binary: under every policy a write load leaves used memory within the
//! limit plus a stated slack, the policy picks the right victims, and at a limit every server is
//! over, ferrodis refuses and evicts exactly what Redis 7.0 does.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{call_text, encode, read_reply, start_ferrodis, start_redis};

/// How far past `maxmemory` used memory may be found after a write load: the core judges memory
/// by the driver's measure before each read from a socket, so one read's commands (64 KiB of
/// requests: about 250 of this test's SETs, each adding about 300 bytes) may run before eviction
/// sees them, and the client's buffers count too.
const SLACK_BYTES: u64 = 1 << 20;
/// The limit is set this far above the memory the server uses empty.
const HEADROOM_BYTES: u64 = 8 << 20;
/// Redis 7.0's memory policies.
const POLICIES: [&str; 8] = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
];

fn info_number(stream: &mut TcpStream, field: &str) -> u64 {
    let info = call_text(stream, &["INFO"]);
    info.split("\r\n")
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .parse()
        .unwrap()
}

/// Sends `commands` in one pipeline and returns each reply's text.
fn pipeline(stream: &mut TcpStream, commands: &[Vec<String>]) -> Vec<String> {
    let mut bytes = Vec::new();
    for command in commands {
        let args: Vec<&[u8]> = command.iter().map(|arg| arg.as_bytes()).collect();
        bytes.extend_from_slice(&encode(&args));
    }
    stream.write_all(&bytes).unwrap();
    commands
        .iter()
        .map(|_| String::from_utf8_lossy(&read_reply(stream)).into_owned())
        .collect()
}

/// How many of `keys` exist, asked in one pipeline.
fn existing(stream: &mut TcpStream, keys: &[String]) -> usize {
    let commands: Vec<Vec<String>> = keys
        .iter()
        .map(|key| vec!["EXISTS".to_string(), key.clone()])
        .collect();
    pipeline(stream, &commands)
        .iter()
        .filter(|reply| *reply == ":1\r\n")
        .count()
}

fn set(key: String, ttl: bool) -> Vec<String> {
    let mut command = vec!["SET".to_string(), key, "v".repeat(200)];
    if ttl {
        command.extend(["EX".to_string(), "100000".to_string()]);
    }
    command
}

/// Writes `count` keys named `prefix:N` (every tenth without a TTL when `some_ttl`), 1000 per
/// pipeline; returns how many writes were refused for memory.
fn write_load(stream: &mut TcpStream, prefix: &str, count: usize, some_ttl: bool) -> usize {
    let mut refused = 0;
    for start in (0..count).step_by(1000) {
        let batch: Vec<Vec<String>> = (start..(start + 1000).min(count))
            .map(|index| set(format!("{prefix}:{index}"), some_ttl && index % 10 != 0))
            .collect();
        for reply in pipeline(stream, &batch) {
            if reply.starts_with("-OOM") {
                refused += 1;
            } else {
                assert_eq!(reply, "+OK\r\n");
            }
        }
    }
    refused
}

/// A server with `maxmemory` at its empty use plus `HEADROOM_BYTES`, under `policy`.
fn limited_server(policy: &str) -> (common::ServerProcess, TcpStream, u64) {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    let empty = info_number(&mut stream, "used_memory");
    let maxmemory = empty + HEADROOM_BYTES;
    let reply = call_text(
        &mut stream,
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            &maxmemory.to_string(),
            "maxmemory-policy",
            policy,
        ],
    );
    assert_eq!(reply, "+OK\r\n");
    (server, stream, maxmemory)
}

#[test]
fn under_every_policy_a_write_load_stays_within_the_limit() {
    for policy in POLICIES {
        let (_server, mut stream, maxmemory) = limited_server(policy);
        // About 30 MB of keys into 8 MB, nine in ten with a TTL.
        let refused = write_load(&mut stream, "k", 100_000, true);
        let used = info_number(&mut stream, "used_memory");
        let evicted = info_number(&mut stream, "evicted_keys");
        eprintln!(
            "{policy}: used {used} bytes after the load, limit {maxmemory} ({:+}), {evicted} \
             evicted, {refused} refused",
            used as i64 - maxmemory as i64
        );
        assert!(
            used <= maxmemory + SLACK_BYTES,
            "{policy}: used {used} over {maxmemory}"
        );
        let plain: Vec<String> = (0..100_000)
            .step_by(10)
            .map(|index| format!("k:{index}"))
            .collect();
        let plain_left = existing(&mut stream, &plain);
        if policy == "noeviction" {
            assert_eq!(evicted, 0);
            assert!(refused > 50_000, "{policy}: only {refused} refused");
        } else if policy.starts_with("volatile") {
            // The 10,000 keys without a TTL (about 3 MB) all stay.
            assert_eq!(plain_left, 10_000, "{policy}");
            assert_eq!(refused, 0, "{policy}");
            assert!(evicted > 50_000, "{policy}: only {evicted} evicted");
        } else {
            assert_eq!(refused, 0, "{policy}");
            assert!(evicted > 50_000, "{policy}: only {evicted} evicted");
            assert!(plain_left < 10_000, "{policy}: no key without a TTL went");
        }
    }
}

/// Under an LRU or LFU policy, keys in use survive a write load that evicts many others (fewer
/// than there are unused keys: past those, the keys in use compete with the new ones).
#[test]
fn lru_and_lfu_keep_the_keys_in_use() {
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        let (_server, mut stream, _) = limited_server(policy);
        let hot: Vec<Vec<String>> = (0..1000)
            .map(|index| set(format!("hot:{index}"), false))
            .collect();
        pipeline(&mut stream, &hot);
        // About 6 MB of keys nobody uses again (8 MB fit).
        write_load(&mut stream, "cold", 20_000, false);
        // The LRU clock counts seconds: the hot keys' last use must be later than the cold
        // keys' by at least one.
        std::thread::sleep(Duration::from_millis(2100));
        let reads: Vec<Vec<String>> = (0..1000)
            .map(|index| vec!["GET".to_string(), format!("hot:{index}")])
            .collect();
        for _ in 0..10 {
            pipeline(&mut stream, &reads);
        }
        write_load(&mut stream, "new", 15_000, false);
        let evicted = info_number(&mut stream, "evicted_keys");
        assert!((2_000..20_000).contains(&evicted), "{policy}: {evicted}");
        let hot: Vec<String> = (0..1000).map(|index| format!("hot:{index}")).collect();
        let survivors = existing(&mut stream, &hot);
        assert!(
            survivors >= 990,
            "{policy}: {survivors} of 1000 keys in use survived"
        );
    }
}

/// At `maxmemory 1` every server is over its limit whatever it uses, so refusals and evictions
/// are the same everywhere: compared with Redis 7.0 reply for reply.
#[test]
fn at_a_limit_every_server_is_over_ferrodis_answers_as_redis() {
    let redis = start_redis(&[]);
    let ferrodis = start_ferrodis(&[]);
    for policy in POLICIES {
        let mut redis = redis.connect();
        let mut ferrodis = ferrodis.connect();
        let script = "return redis.call('set','s','1')";
        let script_after_write = "redis.call('del','s'); return redis.call('set','s','1')";
        let commands: Vec<Vec<&str>> = vec![
            vec!["FLUSHALL"],
            vec![
                "CONFIG",
                "SET",
                "maxmemory",
                "0",
                "maxmemory-policy",
                policy,
            ],
            vec!["SET", "plain1", "v"],
            vec!["SET", "plain2", "v"],
            vec!["SET", "ttl1", "v", "EX", "1000"],
            vec!["SET", "ttl2", "v", "EX", "1000"],
            vec!["CONFIG", "SET", "maxmemory", "1"],
            vec!["DBSIZE"],
            vec!["GET", "plain1"],
            vec!["SET", "new", "v"],
            vec!["INCR", "counter"],
            vec!["DEL", "ttl1"],
            vec!["MULTI"],
            vec!["PING"],
            vec!["EXEC"],
            vec!["EVAL", script, "0"],
            vec!["EVAL", script_after_write, "0"],
            vec!["EVAL", "#!lua\nreturn 1", "0"],
            vec!["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
            vec!["OBJECT", "FREQ", "plain1"],
            vec!["CONFIG", "GET", "maxmemory-policy"],
            vec!["CONFIG", "GET", "maxmemory-samples"],
            vec!["CONFIG", "GET", "maxmemory-eviction-tenacity"],
            vec!["CONFIG", "GET", "lfu-log-factor"],
            vec!["CONFIG", "GET", "lfu-decay-time"],
            vec!["CONFIG", "GET", "lazyfree-lazy-eviction"],
            // Every name is checked before any value, and nothing is set unless all are.
            vec!["CONFIG", "SET", "maxmemory", "bad", "maxmemory", "5"],
            vec!["CONFIG", "SET", "maxmemory", "7", "maxmemory-policy", "bad"],
            vec!["CONFIG", "GET", "maxmemory"],
            vec!["CONFIG", "SET", "maxmemory", "0"],
            vec!["SET", "new", "v"],
            vec!["DBSIZE"],
        ];
        for command in &commands {
            let expected = call_text(&mut redis, command);
            let got = call_text(&mut ferrodis, command);
            // A script's error names the script; the text before is what must match.
            let comparable = |reply: &str| reply.split(" script:").next().unwrap().to_string();
            assert_eq!(
                comparable(&got),
                comparable(&expected),
                "{policy}: {command:?}"
            );
        }
    }
}
