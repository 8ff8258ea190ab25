//! Latency under structural work: growing the keyspace (rehashing) and deleting a big sorted
//! set, each seen by a second client that keeps sending small commands.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::memory::{load_collection, Kind};
use crate::servers::{start_ferrodis, start_redis, Running};

/// Probes `command` on its own connection until `stop`, returning the worst round trip.
pub(crate) fn probe(
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

/// Rounds of each deletion measurement; the median of their worst round trips is reported, so
/// that one scheduling hiccup of this shared machine does not make the number.
const DELETE_ROUNDS: usize = 5;

/// Worst PING latency over a 400 ms window in which `command` (if any) deletes a collection of
/// `kind` with `members` elements, 100 ms in. With no command the window measures the
/// machine's own noise.
fn delete_big(
    server: &Running,
    command: Option<&'static str>,
    kind: Kind,
    members: usize,
) -> Duration {
    let mut client = Client::connect(server.port);
    client.call(&["FLUSHALL"]);
    load_collection(&mut client, kind, "bigzset", members);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(server.port, &["PING"], Arc::clone(&stop));
    std::thread::sleep(Duration::from_millis(100));
    if let Some(command) = command {
        client.call(&[command, "bigzset"]);
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let worst = prober.join().expect("prober");
    client.call(&["FLUSHALL"]);
    worst
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
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
        "SET while growing to {keys} keys:           redis {:>8.2} ms   ferrodis {:>8.2} ms",
        millis(growth_redis),
        millis(growth_ferrodis)
    );
    println!("(below: median over {DELETE_ROUNDS} rounds of the worst PING in a 400 ms window)");
    let cases = [
        (None, Kind::ZSet),
        (Some("DEL"), Kind::ZSet),
        (Some("UNLINK"), Kind::ZSet),
        (Some("DEL"), Kind::Hash),
        (Some("DEL"), Kind::Set),
        (Some("DEL"), Kind::List),
    ];
    for (command, kind) in cases {
        let mut worst = [Vec::new(), Vec::new()];
        for round in 0..DELETE_ROUNDS {
            let mut servers = [(0, &redis), (1, &ferrodis)];
            if round % 2 == 1 {
                servers.reverse();
            }
            for (slot, server) in servers {
                worst[slot].push(delete_big(server, command, kind, members));
            }
        }
        let [redis_worst, ferrodis_worst] = worst.map(median);
        let what = match command {
            Some(command) => format!(
                "PING during {command:<6} of a {members}-element {}:",
                kind.name()
            ),
            None => "PING with nothing else happening (noise):".to_string(),
        };
        println!(
            "{what:<44} redis {:>8.2} ms   ferrodis {:>8.2} ms",
            millis(redis_worst),
            millis(ferrodis_worst)
        );
    }
}
