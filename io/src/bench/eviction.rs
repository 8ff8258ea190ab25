//! Eviction: a write load into a `maxmemory` limit under each evicting policy, side by side with
//! Redis: writes per second while every write makes room by evicting, how far past the limit
//! used memory ends, and how many of a set of keys read throughout survive.

use std::time::Instant;

use crate::client::Client;
use crate::servers::{median, start_ferrodis, start_redis, Running};

const ROUNDS: usize = 3;
/// Client threads writing; the machine has two cores.
const CONNECTIONS: usize = 4;
/// Writes per batch and connection.
const PIPELINE: usize = 16;
/// The limit is this far above what the server uses empty.
const HEADROOM_BYTES: u64 = 32 << 20;
/// Keys read between write batches, whose survival LRU and LFU should favour.
const HOT_KEYS: usize = 1000;

const POLICIES: [&str; 3] = ["allkeys-lru", "allkeys-lfu", "allkeys-random"];

struct Sample {
    writes_per_sec: f64,
    /// Used memory after the load, as a share of the limit.
    used_share: f64,
    /// Hot keys still there after the load, as a share.
    hot_kept: f64,
}

fn drive(server: &Running, policy: &str, writes: usize) -> Sample {
    let mut admin = Client::connect(server.port);
    let empty = admin.info_field("memory", "used_memory");
    let maxmemory = empty + HEADROOM_BYTES;
    let limit = maxmemory.to_string();
    admin.call(&[
        "CONFIG",
        "SET",
        "maxmemory",
        &limit,
        "maxmemory-policy",
        policy,
    ]);
    let evicted_before = admin.info_field("stats", "evicted_keys");
    let value = vec![b'v'; 100];
    let mut hot = Vec::new();
    for index in 0..HOT_KEYS {
        Client::encode(
            &mut hot,
            &[b"SET", format!("hot:{index}").as_bytes(), &value],
        );
    }
    admin.send(&hot);
    for _ in 0..HOT_KEYS {
        admin.skip_reply();
    }
    let per_connection = writes / CONNECTIONS;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..CONNECTIONS {
            let port = server.port;
            let value = &value;
            scope.spawn(move || {
                let mut client = Client::connect(port);
                let mut batch = Vec::new();
                for start in (0..per_connection).step_by(PIPELINE) {
                    batch.clear();
                    for index in start..start + PIPELINE {
                        let key = format!("key:{thread}:{index}");
                        Client::encode(&mut batch, &[b"SET", key.as_bytes(), value]);
                    }
                    // The first thread keeps reading the hot keys, one per batch.
                    let reads = usize::from(thread == 0);
                    if reads == 1 {
                        let key = format!("hot:{}", start / PIPELINE % HOT_KEYS);
                        Client::encode(&mut batch, &[b"GET", key.as_bytes()]);
                    }
                    client.send(&batch);
                    for _ in 0..PIPELINE + reads {
                        client.skip_reply();
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let used = admin.info_field("memory", "used_memory");
    let evicted = admin.info_field("stats", "evicted_keys") - evicted_before;
    assert!(evicted > 0, "{policy}: nothing was evicted");
    let kept = (0..HOT_KEYS)
        .filter(|index| admin.call(&["EXISTS", &format!("hot:{index}")]) == ":1")
        .count();
    admin.call(&["CONFIG", "SET", "maxmemory", "0"]);
    Sample {
        writes_per_sec: (per_connection / PIPELINE * PIPELINE * CONNECTIONS) as f64 / elapsed,
        used_share: used as f64 / maxmemory as f64,
        hot_kept: kept as f64 / HOT_KEYS as f64,
    }
}

pub fn run(scale: usize) {
    let writes = (1_000_000 / scale).max(CONNECTIONS * PIPELINE);
    println!(
        "\n## eviction: {writes} SETs of 100-byte values (4 connections, pipelined {PIPELINE} \
         deep, one GET of {HOT_KEYS} hot keys per batch) into used memory + 32 MiB, {ROUNDS} \
         rounds on servers started for each, medians"
    );
    println!(
        "policy            redis w/s ferrodis w/s   ratio  redis used/max ferrodis used/max  \
         redis hot kept ferrodis hot kept"
    );
    for policy in POLICIES {
        let [redis, ferrodis] = measure(policy, writes);
        let field = |samples: &[Sample], pick: fn(&Sample) -> f64| {
            median(samples.iter().map(pick).collect())
        };
        let redis_rate = field(&redis, |sample| sample.writes_per_sec);
        let ferrodis_rate = field(&ferrodis, |sample| sample.writes_per_sec);
        println!(
            "{:<16} {:>10.0} {:>12.0} {:>7.2} {:>15.3} {:>18.3} {:>15.3} {:>17.3}",
            policy,
            redis_rate,
            ferrodis_rate,
            ferrodis_rate / redis_rate,
            field(&redis, |sample| sample.used_share),
            field(&ferrodis, |sample| sample.used_share),
            field(&redis, |sample| sample.hot_kept),
            field(&ferrodis, |sample| sample.hot_kept),
        );
    }
}

/// `ROUNDS` rounds, each on a pair of servers started for it (memory a flush leaves to be
/// freed in the background would set the next round's limit too high), who goes first
/// alternating.
fn measure(policy: &str, writes: usize) -> [Vec<Sample>; 2] {
    let mut all = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let servers = [start_redis(), start_ferrodis()];
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for slot in order {
            all[slot].push(drive(&servers[slot], policy, writes));
        }
    }
    all
}
