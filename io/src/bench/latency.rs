//! Latency under structural work: growing the keyspace (rehashing) and deleting a big sorted
//! set, each seen by a second client that keeps sending small commands.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::memory::load_zset;
use crate::servers::{start_ferrodis, start_redis, Running};

/// Probes `command` on its own connection until `stop`, returning the worst round trip.
fn probe(
    port: u16,
    command: &'static [&'static str],
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut client = Client::connect(port);
        let mut worst = Duration::ZERO;
        let mut counter = 0u64;
        while !stop.load(Ordering::Relaxed) {
            counter += 1;
            let started = Instant::now();
            if command[0] == "SET" {
                let key = format!("probe:{}", counter % 1000);
                client.call(&["SET", &key, "x"]);
            } else {
                client.call(command);
            }
            worst = worst.max(started.elapsed());
            std::thread::sleep(Duration::from_micros(200));
        }
        worst
    })
}

/// Worst SET latency seen by a prober while a loader grows the keyspace to `keys`.
fn growth(server: &Running, keys: usize) -> Duration {
    let mut loader = Client::connect(server.port);
    loader.call(&["FLUSHALL"]);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(server.port, &["SET"], Arc::clone(&stop));
    let mut batch = Vec::new();
    for start in (0..keys).step_by(1000) {
        batch.clear();
        let end = (start + 1000).min(keys);
        for number in start..end {
            let key = format!("grow:{number:08}");
            Client::encode(&mut batch, &[b"SET", key.as_bytes(), b"v"]);
        }
        loader.send(&batch);
        for _ in start..end {
            loader.skip_reply();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let worst = prober.join().expect("prober");
    loader.call(&["FLUSHALL"]);
    worst
}

/// Worst PING latency while `command` deletes a sorted set of `members`.
fn delete_big(server: &Running, command: &'static str, members: usize) -> Duration {
    let mut client = Client::connect(server.port);
    client.call(&["FLUSHALL"]);
    load_zset(&mut client, "bigzset", members);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(server.port, &["PING"], Arc::clone(&stop));
    std::thread::sleep(Duration::from_millis(100));
    client.call(&[command, "bigzset"]);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    prober.join().expect("prober")
}

pub fn run(scale: usize) {
    let keys = 5_000_000 / scale;
    let members = 1_000_000 / scale;
    println!("\n## latency: worst round trip of a second client (lower is better)");
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let growth_redis = growth(&redis, keys);
    let growth_ferrodis = growth(&ferrodis, keys);
    println!(
        "SET while growing to {keys} keys:        redis {:>8.2} ms   ferrodis {:>8.2} ms",
        millis(growth_redis),
        millis(growth_ferrodis)
    );
    for command in ["DEL", "UNLINK"] {
        let redis_worst = delete_big(&redis, command, members);
        let ferrodis_worst = delete_big(&ferrodis, command, members);
        println!(
            "PING during {command:<6} of a {members}-member zset: redis {:>8.2} ms   ferrodis {:>8.2} ms",
            millis(redis_worst),
            millis(ferrodis_worst)
        );
    }
}
