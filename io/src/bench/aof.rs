//! The append-only file: SET throughput with the file off, under `everysec` and under
//! `always`, at -P 1 and -P 16, both servers configured alike; the time to start on a file of
//! 1,000,000 SETs; BGREWRITEAOF of 5,000,000 keys with a second client sending PING meanwhile.
//! Each server writes into a directory of its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::latency::probe;
use crate::memory::Load;
use crate::servers::{median, start, wait_until, Program, Running};
use crate::throughput::redis_benchmark;

const ROUNDS: usize = 3;
/// The rates move more between rounds than the load and the rewrite: more rounds of them.
const THROUGHPUT_ROUNDS: usize = 5;
const WAIT_MAX: Duration = Duration::from_secs(600);

/// A server with the file on (or off), in a directory of its own, removed after it stops.
struct Appending {
    server: Running,
    dir: PathBuf,
}

impl Appending {
    fn start(program: Program, fsync: Option<&str>) -> Appending {
        let dir = std::env::temp_dir().join(format!(
            "ferrodis-bench-aof-{}-{}-{}",
            std::process::id(),
            program.name(),
            fsync.unwrap_or("off")
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        let mut args: Vec<String> = ["--dir", dir.to_str().expect("UTF-8"), "--save", ""]
            .map(String::from)
            .to_vec();
        match fsync {
            Some(policy) => {
                args.extend(["--appendonly", "yes", "--appendfsync", policy].map(String::from))
            }
            None => args.extend(["--appendonly", "no"].map(String::from)),
        }
        let server = start(program, &args);
        // The first rewrite makes the files.
        let mut client = Client::connect(server.port);
        wait_until("the first rewrite", WAIT_MAX, || {
            client.info_field("persistence", "aof_rewrite_in_progress") == 0
        });
        Appending { server, dir }
    }
}

impl Drop for Appending {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// SET's rate per policy and pipeline depth, both servers, alternating who goes first.
fn throughput(scale: usize) {
    let requests = (200_000 / scale).max(1000);
    println!(
        "redis-benchmark -t set -c 50 -n {requests} -r 100000 -d 3, {THROUGHPUT_ROUNDS} rounds, \
         medians (requests/s)"
    );
    println!(
        "{:<10} {:>4} {:>12} {:>12} {:>7} {:>12}",
        "fsync", "-P", "redis", "ferrodis", "f/r", "f/f(off)"
    );
    let mut off = [0.0; 2];
    for policy in [None, Some("everysec"), Some("always")] {
        let redis = Appending::start(Program::Redis, policy);
        let ferrodis = Appending::start(Program::Ferrodis, policy);
        for (depth_index, pipeline) in [1, 16].into_iter().enumerate() {
            let mut rates = [Vec::new(), Vec::new()];
            for round in 0..THROUGHPUT_ROUNDS {
                let mut order = [(0, &redis), (1, &ferrodis)];
                if round % 2 == 1 {
                    order.reverse();
                }
                for (slot, appending) in order {
                    let (_, sample) =
                        redis_benchmark(&appending.server, pipeline, requests, "set", &[]);
                    rates[slot].push(sample.requests_per_second);
                }
            }
            let [redis_rate, ferrodis_rate] = rates.map(median);
            if policy.is_none() {
                off[depth_index] = ferrodis_rate;
            }
            println!(
                "{:<10} {:>4} {:>12.0} {:>12.0} {:>7.2} {:>12.2}",
                policy.unwrap_or("off"),
                pipeline,
                redis_rate,
                ferrodis_rate,
                ferrodis_rate / redis_rate,
                ferrodis_rate / off[depth_index]
            );
        }
    }
}

/// Seconds from spawning a server on `appending`'s files until it answers +PONG.
fn seconds_to_pong(appending: &Appending) -> f64 {
    let fresh = appending.server.start_another();
    let mut client = Client::connect(fresh.port);
    wait_until("a loading server's +PONG", WAIT_MAX, || {
        client.try_call(&["PING"]).as_deref() == Ok("+PONG")
    });
    fresh.spawned.elapsed().as_secs_f64()
}

/// Start-up on a file of `keys` SETs (the base empty, every key in the incremental file).
fn load(keys: usize) {
    let mut seconds = [Vec::new(), Vec::new()];
    let servers = [Program::Redis, Program::Ferrodis].map(|program| {
        let appending = Appending::start(program, Some("everysec"));
        let mut client = Client::connect(appending.server.port);
        Load::Strings.fill(&mut client, keys);
        // The file's end is fsynced, then the server stops with its files in place.
        client.call(&["CONFIG", "SET", "appendfsync", "always"]);
        client.call(&["SET", "last", "1"]);
        appending
    });
    for round in 0..ROUNDS {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for slot in order {
            seconds[slot].push(seconds_to_pong(&servers[slot]));
        }
    }
    let [redis, ferrodis] = seconds.map(median);
    println!(
        "start on {keys} SETs in the incremental file, spawn to +PONG (s): redis {redis:.3}, \
         ferrodis {ferrodis:.3}, ratio {:.2}; keys/s redis {:.0}, ferrodis {:.0}",
        ferrodis / redis,
        keys as f64 / redis,
        keys as f64 / ferrodis
    );
}

/// BGREWRITEAOF of `keys` keys, with a second client sending PING one at a time meanwhile.
fn rewrite(keys: usize) {
    println!(
        "{:<40}{:>9} {:>9}",
        format!("BGREWRITEAOF of {keys} string keys"),
        "redis",
        "ferrodis"
    );
    let mut runs = [Vec::new(), Vec::new()];
    let servers = [Program::Redis, Program::Ferrodis].map(|program| {
        let appending = Appending::start(program, Some("everysec"));
        let mut client = Client::connect(appending.server.port);
        Load::Strings.fill(&mut client, keys);
        appending
    });
    for round in 0..ROUNDS {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for slot in order {
            let port = servers[slot].server.port;
            let mut client = Client::connect(port);
            let stop = Arc::new(AtomicBool::new(false));
            let prober = probe(port, &["PING"], Arc::clone(&stop));
            std::thread::sleep(Duration::from_millis(20));
            let started = Instant::now();
            client.call(&["BGREWRITEAOF"]);
            wait_until("BGREWRITEAOF to end", WAIT_MAX, || {
                client.info_field("persistence", "aof_rewrite_in_progress") == 0
            });
            let seconds = started.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            let worst = prober.join().expect("prober").as_secs_f64() * 1000.0;
            runs[slot].push((seconds, worst));
        }
    }
    let pick =
        |slot: usize, field: fn(&(f64, f64)) -> f64| median(runs[slot].iter().map(field).collect());
    println!(
        "{:<40}{:>9.3} {:>9.3}",
        "duration (s)",
        pick(0, |run| run.0),
        pick(1, |run| run.0)
    );
    println!(
        "{:<40}{:>9.3} {:>9.3}",
        "worst PING meanwhile, median (ms)",
        pick(0, |run| run.1),
        pick(1, |run| run.1)
    );
}

pub fn run(scale: usize) {
    println!(
        "\n## aof: the append-only file (targets: everysec at least 0.90 of ferrodis without the \
         file and at least Redis's; always at least Redis's; loading at least Redis's keys/s; \
         worst PING during BGREWRITEAOF under 2 ms)"
    );
    throughput(scale);
    load(1_000_000 / scale);
    rewrite(5_000_000 / scale);
}
