//! `maxmemory` and its policies on the core, with used memory handed in as the driver would:
//! which keys each policy evicts, the refusals once nothing may go, eviction's bound per call
//! and its timer, what an eviction signals (notifications, WATCH, propagation), scripts under
//! the limit, and the access clock behind OBJECT IDLETIME and FREQ. The real binary under a
//! write load is tested in io/tests/memory.rs.

mod common;

use std::collections::BTreeSet;

use common::{request, Harness};
use ferrodis_core::{Config, ConnectionId};

const MAXMEMORY: u64 = 1_000_000;
/// What evicting a key with a short name and a short value frees, as the core estimates it (the
/// keyspace node: MEMORY USAGE of such a key).
const SMALL_ENTRY: u64 = 56;
const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

fn limited(policy: &str, samples: u32) -> (Harness, ConnectionId) {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    let set = format!(
        "CONFIG SET maxmemory {MAXMEMORY} maxmemory-policy {policy} maxmemory-samples {samples}"
    );
    assert_eq!(harness.command(client, &set), "+OK\r\n");
    (harness, client)
}

/// The driver measures used memory at `over` bytes past the limit.
fn exceed(harness: &mut Harness, over: u64) {
    harness.server.set_used_memory(MAXMEMORY + over);
}

/// Over the limit by just enough that `keys` small keys must go.
fn exceed_by_keys(harness: &mut Harness, keys: u64) {
    exceed(harness, SMALL_ENTRY * (keys - 1) + 1);
}

fn keys(harness: &mut Harness, client: ConnectionId) -> BTreeSet<String> {
    let reply = harness.command(client, "KEYS *");
    reply
        .split("\r\n")
        .filter(|line| !line.is_empty() && !line.starts_with(['*', '$']))
        .map(str::to_string)
        .collect()
}

fn info_field(harness: &mut Harness, client: ConnectionId, field: &str) -> String {
    let info = harness.command(client, "INFO");
    info.split("\r\n")
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .to_string()
}

fn integer(reply: &str) -> i64 {
    reply
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("not an integer: {reply:?}"))
}

fn fill(harness: &mut Harness, client: ConnectionId, prefix: &str, count: usize, ttl: bool) {
    for index in 0..count {
        let command = if ttl {
            format!("SET {prefix}{index} v EX {}", 1000 + index)
        } else {
            format!("SET {prefix}{index} v")
        };
        assert_eq!(harness.command(client, &command), "+OK\r\n");
    }
}

#[test]
fn noeviction_refuses_what_would_add_data_and_nothing_else() {
    let (mut harness, client) = limited("noeviction", 5);
    fill(&mut harness, client, "k", 3, false);
    exceed(&mut harness, 1);
    assert_eq!(harness.command(client, "SET new v"), OOM);
    assert_eq!(harness.command(client, "INCR k0"), OOM);
    assert_eq!(harness.command(client, "GET k0"), "$1\r\nv\r\n");
    assert_eq!(harness.command(client, "DEL k1"), ":1\r\n");
    // In a transaction every command but EXEC, DISCARD, QUIT and RESET is refused, which dooms
    // the transaction.
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(client, "GET k0"), OOM);
    assert_eq!(
        harness.command(client, "EXEC"),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // A script's write is refused the same way, and counts as a rejected call of SET (the
    // second, after the SET above), as in Redis.
    let script = b"return redis.pcall('set', 'new', 'v')['err']";
    harness.send(client, &request(&[b"EVAL", script, b"0"]));
    let reply = harness.take_replies(client);
    assert!(reply.contains("OOM command not allowed"), "{reply}");
    let info = harness.command(client, "INFO commandstats");
    let set = info
        .split("\r\n")
        .find(|line| line.starts_with("cmdstat_set:"))
        .unwrap_or_default();
    assert!(set.ends_with("rejected_calls=2,failed_calls=0"), "{set}");
    assert_eq!(info_field(&mut harness, client, "evicted_keys"), "0");
    assert_eq!(
        info_field(&mut harness, client, "maxmemory_policy"),
        "noeviction"
    );
    harness.server.set_used_memory(MAXMEMORY);
    assert_eq!(harness.command(client, "SET new v"), "+OK\r\n");
}

#[test]
fn an_exec_of_commands_that_add_data_is_refused_once_memory_runs_out() {
    let (mut harness, client) = limited("noeviction", 5);
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(client, "SET a 1"), "+QUEUED\r\n");
    exceed(&mut harness, 1);
    assert_eq!(
        harness.command(client, "EXEC"),
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory \
         > 'maxmemory'.\r\n"
    );
    assert_eq!(harness.command(client, "EXISTS a"), ":0\r\n");
    // A transaction of reads runs.
    harness.server.set_used_memory(0);
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(client, "GET a"), "+QUEUED\r\n");
    exceed(&mut harness, 1);
    assert_eq!(harness.command(client, "EXEC"), "*1\r\n$-1\r\n");
}

#[test]
fn allkeys_lru_evicts_the_keys_used_longest_ago() {
    let (mut harness, client) = limited("allkeys-lru", 10);
    fill(&mut harness, client, "old", 50, false);
    fill(&mut harness, client, "new", 50, false);
    harness.advance(60_000);
    for index in 0..50 {
        harness.command(client, &format!("GET new{index}"));
    }
    harness.advance(60_000);
    exceed_by_keys(&mut harness, 20);
    assert_eq!(harness.command(client, "PING"), "+PONG\r\n");
    let left = keys(&mut harness, client);
    assert_eq!(left.len(), 80);
    assert!(
        (0..50).all(|index| left.contains(&format!("new{index}"))),
        "a recently used key was evicted: {left:?}"
    );
    assert_eq!(info_field(&mut harness, client, "evicted_keys"), "20");
}

#[test]
fn allkeys_lfu_keeps_the_keys_used_most() {
    let (mut harness, client) = limited("allkeys-lfu", 10);
    fill(&mut harness, client, "cold", 50, false);
    fill(&mut harness, client, "hot", 50, false);
    for _ in 0..100 {
        for index in 0..50 {
            harness.command(client, &format!("GET hot{index}"));
        }
    }
    let hot = integer(&harness.command(client, "OBJECT FREQ hot0"));
    let cold = integer(&harness.command(client, "OBJECT FREQ cold0"));
    assert!(hot > cold, "hot {hot}, cold {cold}");
    exceed_by_keys(&mut harness, 20);
    assert_eq!(harness.command(client, "PING"), "+PONG\r\n");
    let left = keys(&mut harness, client);
    assert_eq!(left.len(), 80);
    assert!(
        (0..50).all(|index| left.contains(&format!("hot{index}"))),
        "a frequently used key was evicted: {left:?}"
    );
}

#[test]
fn volatile_ttl_evicts_nearer_deadlines_first() {
    let (mut harness, client) = limited("volatile-ttl", 10);
    fill(&mut harness, client, "ttl", 60, true);
    fill(&mut harness, client, "plain", 20, false);
    exceed_by_keys(&mut harness, 20);
    assert_eq!(harness.command(client, "PING"), "+PONG\r\n");
    let left = keys(&mut harness, client);
    let evicted: Vec<usize> = (0..60)
        .filter(|index| !left.contains(&format!("ttl{index}")))
        .collect();
    assert_eq!(evicted.len(), 20);
    // Key `ttlN` expires in 1000 + N seconds: the victims lean to the start.
    let mean = evicted.iter().sum::<usize>() as f64 / 20.0;
    assert!(mean < 22.0, "victims {evicted:?}");
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl_and_then_refuse() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let (mut harness, client) = limited(policy, 5);
        fill(&mut harness, client, "ttl", 20, true);
        fill(&mut harness, client, "plain", 20, false);
        exceed(&mut harness, 1_000_000_000);
        assert_eq!(harness.command(client, "SET more v"), OOM, "{policy}");
        let left = keys(&mut harness, client);
        let expected: BTreeSet<String> = (0..20).map(|index| format!("plain{index}")).collect();
        assert_eq!(left, expected, "{policy}");
        assert_eq!(info_field(&mut harness, client, "evicted_keys"), "20");
    }
}

#[test]
fn allkeys_random_evicts_until_memory_is_within_the_limit() {
    let (mut harness, client) = limited("allkeys-random", 5);
    // Keys spread over two databases: both give up keys.
    fill(&mut harness, client, "a", 60, false);
    assert_eq!(harness.command(client, "SELECT 1"), "+OK\r\n");
    fill(&mut harness, client, "b", 60, false);
    exceed_by_keys(&mut harness, 30);
    assert_eq!(harness.command(client, "PING"), "+PONG\r\n");
    let in_one = integer(&harness.command(client, "DBSIZE"));
    assert_eq!(harness.command(client, "SELECT 0"), "+OK\r\n");
    let in_zero = integer(&harness.command(client, "DBSIZE"));
    assert_eq!(in_zero + in_one, 90);
    assert!(in_zero < 60 && in_one < 60, "{in_zero} {in_one}");
}

#[test]
fn one_call_evicts_a_bounded_number_of_keys_and_the_timer_finishes() {
    let (mut harness, client) = limited("allkeys-random", 5);
    assert_eq!(
        harness.command(client, "CONFIG SET maxmemory-eviction-tenacity 0"),
        "+OK\r\n"
    );
    fill(&mut harness, client, "k", 200, false);
    exceed_by_keys(&mut harness, 100);
    // Still over after its 16 keys, the command runs anyway.
    assert_eq!(harness.command(client, "SET more v"), "+OK\r\n");
    assert_eq!(integer(&harness.command(client, "DBSIZE")), 201 - 32);
    assert_eq!(
        harness.server.poll_timeout(),
        Some(harness.now.monotonic),
        "the rest is due at once"
    );
    harness.run_timers();
    assert_eq!(info_field(&mut harness, client, "evicted_keys"), "100");
    assert!(harness.server.poll_timeout().unwrap() > harness.now.monotonic);
}

#[test]
fn an_evicted_key_is_signalled_as_a_deletion_is() {
    let (mut harness, client) = limited("allkeys-lru", 5);
    let subscriber = harness.open();
    let watcher = harness.open();
    assert_eq!(
        harness.command(client, "CONFIG SET notify-keyspace-events Ee"),
        "+OK\r\n"
    );
    harness.command(subscriber, "SUBSCRIBE __keyevent@0__:evicted");
    assert_eq!(harness.command(client, "SET victim v"), "+OK\r\n");
    assert_eq!(harness.command(watcher, "WATCH victim"), "+OK\r\n");
    assert_eq!(harness.command(watcher, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(watcher, "GET victim"), "+QUEUED\r\n");
    harness.server.record_propagation(true);
    exceed(&mut harness, 1);
    assert_eq!(harness.command(client, "PING"), "+PONG\r\n");
    assert_eq!(
        harness.take_replies(subscriber),
        "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$6\r\nvictim\r\n"
    );
    let propagated: Vec<Vec<Vec<u8>>> = harness
        .server
        .take_propagated()
        .into_iter()
        .map(|change| change.args)
        .collect();
    assert_eq!(propagated, vec![vec![b"DEL".to_vec(), b"victim".to_vec()]]);
    harness.server.set_used_memory(0);
    assert_eq!(harness.command(watcher, "EXEC"), "*-1\r\n");
}

fn eval(harness: &mut Harness, client: ConnectionId, script: &str) -> String {
    harness.send(client, &request(&[b"EVAL", script.as_bytes(), b"0"]));
    harness.take_replies(client)
}

#[test]
fn scripts_under_the_limit_are_refused_as_redis_refuses_them() {
    let (mut harness, client) = limited("noeviction", 5);
    assert_eq!(harness.command(client, "SET a 1"), "+OK\r\n");
    exceed(&mut harness, 1);
    assert_eq!(
        eval(&mut harness, client, "return redis.call('get','a')"),
        "$1\r\n1\r\n"
    );
    let refused = eval(&mut harness, client, "return redis.call('set','a','2')");
    assert!(
        refused.starts_with("-OOM command not allowed when used memory > 'maxmemory'."),
        "{refused}"
    );
    // A script that already wrote cannot be stopped halfway.
    assert_eq!(
        eval(
            &mut harness,
            client,
            "redis.call('del','a'); return redis.call('set','a','3')"
        ),
        "+OK\r\n"
    );
    // One that declared flags is judged before it starts.
    assert_eq!(eval(&mut harness, client, "#!lua\nreturn 1"), OOM);
    assert_eq!(
        eval(&mut harness, client, "#!lua flags=no-writes\nreturn 1"),
        ":1\r\n"
    );
    assert_eq!(
        eval(
            &mut harness,
            client,
            "#!lua flags=allow-oom\nreturn redis.call('set','a','4')"
        ),
        "+OK\r\n"
    );
}

#[test]
fn idle_time_counts_from_the_last_access_and_looking_is_no_access() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    assert_eq!(harness.command(client, "SET k v"), "+OK\r\n");
    harness.advance(5_000);
    for look in ["TYPE k", "EXISTS k", "TTL k", "PTTL k", "OBJECT ENCODING k"] {
        harness.command(client, look);
    }
    assert_eq!(harness.command(client, "OBJECT IDLETIME k"), ":5\r\n");
    assert_eq!(harness.command(client, "GET k"), "$1\r\nv\r\n");
    assert_eq!(harness.command(client, "OBJECT IDLETIME k"), ":0\r\n");
    harness.advance(3_000);
    assert_eq!(harness.command(client, "TOUCH k missing"), ":1\r\n");
    assert_eq!(harness.command(client, "OBJECT IDLETIME k"), ":0\r\n");
    harness.advance(2_000);
    assert_eq!(harness.command(client, "APPEND k w"), ":2\r\n");
    assert_eq!(harness.command(client, "OBJECT IDLETIME k"), ":0\r\n");
}

#[test]
fn the_access_counter_climbs_with_use_and_decays_with_time() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    assert_eq!(
        harness.command(client, "CONFIG SET maxmemory-policy allkeys-lfu"),
        "+OK\r\n"
    );
    assert_eq!(harness.command(client, "SET k v"), "+OK\r\n");
    assert_eq!(harness.command(client, "OBJECT FREQ k"), ":5\r\n");
    for _ in 0..1000 {
        harness.command(client, "GET k");
    }
    let used = integer(&harness.command(client, "OBJECT FREQ k"));
    assert!((15..=22).contains(&used), "{used}");
    // A new value keeps the count.
    assert_eq!(harness.command(client, "SET k w"), "+OK\r\n");
    assert!(integer(&harness.command(client, "OBJECT FREQ k")) >= used);
    // One point per minute unused (lfu-decay-time 1).
    harness.advance(10 * 60_000);
    let decayed = integer(&harness.command(client, "OBJECT FREQ k"));
    assert!(decayed <= used - 9, "{used} then {decayed}");
}

#[test]
fn restore_sets_the_access_clock_the_policy_reads() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    assert_eq!(harness.command(client, "SET k v"), "+OK\r\n");
    harness.send(client, &request(&[b"DUMP", b"k"]));
    // The payload is binary: read the bulk by its length.
    let dumped = harness.server.send_buffer(client).to_vec();
    harness
        .server
        .connection_sent(harness.now, client, dumped.len());
    let header = dumped.iter().position(|&byte| byte == b'\r').unwrap();
    let len: usize = std::str::from_utf8(&dumped[1..header])
        .unwrap()
        .parse()
        .unwrap();
    let payload = dumped[header + 2..header + 2 + len].to_vec();
    let restore = |harness: &mut Harness, key: &[u8], option: &[u8], number: &[u8]| {
        harness.send(
            client,
            &request(&[b"RESTORE", key, b"0", &payload, option, number]),
        );
        harness.take_replies(client)
    };
    assert_eq!(
        restore(&mut harness, b"idle", b"IDLETIME", b"1000"),
        "+OK\r\n"
    );
    assert_eq!(harness.command(client, "OBJECT IDLETIME idle"), ":1000\r\n");
    // Under LRU a FREQ is ignored: the key is fresh.
    assert_eq!(restore(&mut harness, b"counted", b"FREQ", b"42"), "+OK\r\n");
    assert_eq!(harness.command(client, "OBJECT IDLETIME counted"), ":0\r\n");
    assert_eq!(
        harness.command(client, "CONFIG SET maxmemory-policy volatile-lfu"),
        "+OK\r\n"
    );
    assert_eq!(restore(&mut harness, b"often", b"FREQ", b"42"), "+OK\r\n");
    assert_eq!(harness.command(client, "OBJECT FREQ often"), ":42\r\n");
    assert_eq!(restore(&mut harness, b"new", b"IDLETIME", b"7"), "+OK\r\n");
    assert_eq!(harness.command(client, "OBJECT FREQ new"), ":5\r\n");
}
