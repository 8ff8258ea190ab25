//! Memory: bytes per small string key and per sorted-set member, measured on both servers.

use crate::client::Client;
use crate::servers::{start_ferrodis, start_redis, Running};

/// Commands per pipelined batch while loading.
const BATCH: usize = 1000;

struct Usage {
    used_memory: u64,
    rss: u64,
}

fn usage(server: &Running, client: &mut Client) -> Usage {
    Usage {
        used_memory: client.info_field("memory", "used_memory"),
        rss: server.rss_bytes(),
    }
}

/// The value for key number `number`: 3 to 10 bytes, every third one an integer.
fn value_for(number: usize) -> String {
    if number.is_multiple_of(3) {
        (number % 1_000_000).to_string()
    } else {
        let len = 3 + number % 8;
        "v".repeat(len)
    }
}

fn load_strings(client: &mut Client, keys: usize) {
    let mut batch = Vec::new();
    let mut pending = 0;
    for number in 0..keys {
        let key = format!("key:{number:07}");
        let value = value_for(number);
        Client::encode(&mut batch, &[b"SET", key.as_bytes(), value.as_bytes()]);
        pending += 1;
        if pending == BATCH || number + 1 == keys {
            client.send(&batch);
            for _ in 0..pending {
                client.skip_reply();
            }
            batch.clear();
            pending = 0;
        }
    }
}

pub(crate) fn load_zset(client: &mut Client, key: &str, members: usize) {
    let mut batch = Vec::new();
    let mut pending = 0;
    let mut arguments: Vec<Vec<u8>> = Vec::new();
    for number in 0..members {
        arguments.push(number.to_string().into_bytes());
        arguments.push(format!("member:{number:07}").into_bytes());
        if arguments.len() == 200 || number + 1 == members {
            let mut args: Vec<&[u8]> = vec![b"ZADD", key.as_bytes()];
            args.extend(arguments.iter().map(Vec::as_slice));
            Client::encode(&mut batch, &args);
            arguments.clear();
            pending += 1;
        }
        if pending == BATCH / 10 || number + 1 == members {
            client.send(&batch);
            for _ in 0..pending {
                client.skip_reply();
            }
            batch.clear();
            pending = 0;
        }
    }
}

fn measure(server: &Running, what: &str, count: usize, load: impl Fn(&mut Client)) -> (f64, f64) {
    let mut client = Client::connect(server.port);
    client.call(&["FLUSHALL"]);
    let before = usage(server, &mut client);
    load(&mut client);
    let after = usage(server, &mut client);
    let per_used = after.used_memory.saturating_sub(before.used_memory) as f64 / count as f64;
    let per_rss = after.rss.saturating_sub(before.rss) as f64 / count as f64;
    println!(
        "{:<9} {:<16} used_memory {:>7.1} B   rss {:>7.1} B   (total used {} MB, rss {} MB)",
        server.name,
        what,
        per_used,
        per_rss,
        after.used_memory >> 20,
        after.rss >> 20
    );
    client.call(&["FLUSHALL"]);
    (per_used, per_rss)
}

pub fn run(scale: usize) {
    let count = 1_000_000 / scale;
    println!("\n## memory: {count} string keys key:NNNNNNN (3-10 byte values, a third integers); one sorted set of {count} members");
    let mut rows = Vec::new();
    for what in ["per string key", "per zset member"] {
        // A fresh pair of servers per measurement, so one load's freed pages don't skew RSS.
        let redis = start_redis();
        let ferrodis = start_ferrodis();
        let mut pair = Vec::new();
        for server in [&redis, &ferrodis] {
            let result = if what == "per string key" {
                measure(server, what, count, |client| load_strings(client, count))
            } else {
                measure(server, what, count, |client| {
                    load_zset(client, "bigzset", count)
                })
            };
            pair.push(result);
        }
        rows.push((what, pair[0], pair[1]));
    }
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10}",
        "", "used ratio", "", "rss ratio", ""
    );
    for (what, redis, ferrodis) in rows {
        println!(
            "{:<16} {:>10.2} {:>10} {:>10.2}   (ferrodis/redis; target <= 0.8)",
            what,
            ferrodis.0 / redis.0,
            "",
            ferrodis.1 / redis.1
        );
    }
}
