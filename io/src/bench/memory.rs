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

/// The kinds of collection measured: what one element costs in each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ZSet,
    Hash,
    /// Members like `member:0000001`.
    Set,
    /// Small integers: an intset while small.
    IntSet,
}

impl Kind {
    fn command(self) -> &'static [u8] {
        match self {
            Kind::ZSet => b"ZADD",
            Kind::Hash => b"HSET",
            Kind::Set | Kind::IntSet => b"SADD",
        }
    }

    /// Element number `number`'s arguments.
    fn push_element(self, number: usize, arguments: &mut Vec<Vec<u8>>) {
        match self {
            Kind::ZSet => {
                arguments.push(number.to_string().into_bytes());
                arguments.push(format!("member:{number:07}").into_bytes());
            }
            Kind::Hash => {
                arguments.push(format!("field:{number:07}").into_bytes());
                arguments.push(value_for(number).into_bytes());
            }
            Kind::Set => arguments.push(format!("member:{number:07}").into_bytes()),
            Kind::IntSet => arguments.push(number.to_string().into_bytes()),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Set | Kind::IntSet => "set",
        }
    }
}

/// Sends `commands` pipelined in batches and skips their replies.
fn send_all(client: &mut Client, commands: impl Iterator<Item = Vec<Vec<u8>>>) {
    let mut batch = Vec::new();
    let mut pending = 0;
    let mut commands = commands.peekable();
    while let Some(command) = commands.next() {
        let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        Client::encode(&mut batch, &args);
        pending += 1;
        if pending == BATCH / 10 || commands.peek().is_none() {
            client.send(&batch);
            for _ in 0..pending {
                client.skip_reply();
            }
            batch.clear();
            pending = 0;
        }
    }
}

/// One collection of `kind` at `key` with `members` elements, added 100 at a time.
pub(crate) fn load_collection(client: &mut Client, kind: Kind, key: &str, members: usize) {
    let commands = (0..members).step_by(100).map(|start| {
        let mut command = vec![kind.command().to_vec(), key.as_bytes().to_vec()];
        for number in start..(start + 100).min(members) {
            kind.push_element(number, &mut command);
        }
        command
    });
    send_all(client, commands);
}

/// `keys` collections of `kind` with `members` elements each (small ones, packed in Redis).
fn load_small(client: &mut Client, kind: Kind, keys: usize, members: usize) {
    let commands = (0..keys).map(|number| {
        let mut command = vec![
            kind.command().to_vec(),
            format!("{}:{number:07}", kind.name()).into_bytes(),
        ];
        for element in 0..members {
            kind.push_element(element, &mut command);
        }
        command
    });
    send_all(client, commands);
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
    let small = count / 10;
    println!(
        "\n## memory: {count} string keys key:NNNNNNN (3-10 byte values, a third integers); one \
         sorted set, hash and set of {count} elements; {small} hashes, sets of strings and sets \
         of integers of 10 elements (per element)"
    );
    let cases: [(&str, Option<Kind>, bool); 7] = [
        ("per string key", None, false),
        ("per zset member", Some(Kind::ZSet), false),
        ("per hash field", Some(Kind::Hash), false),
        ("per set member", Some(Kind::Set), false),
        ("small hash field", Some(Kind::Hash), true),
        ("small set member", Some(Kind::Set), true),
        ("small intset int", Some(Kind::IntSet), true),
    ];
    let mut rows = Vec::new();
    for (what, kind, is_small) in cases {
        // A fresh pair of servers per measurement, so one load's freed pages don't skew RSS.
        let redis = start_redis();
        let ferrodis = start_ferrodis();
        let mut pair = Vec::new();
        for server in [&redis, &ferrodis] {
            let result = match kind {
                None => measure(server, what, count, |client| load_strings(client, count)),
                Some(kind) if is_small => measure(server, what, small * 10, |client| {
                    load_small(client, kind, small, 10)
                }),
                Some(kind) => measure(server, what, count, |client| {
                    load_collection(client, kind, "big", count)
                }),
            };
            pair.push(result);
        }
        rows.push((what, is_small, pair[0], pair[1]));
    }
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10}",
        "", "used ratio", "", "rss ratio", ""
    );
    for (what, is_small, redis, ferrodis) in rows {
        let target = if is_small { "1.0" } else { "0.8" };
        println!(
            "{:<16} {:>10.2} {:>10} {:>10.2}   (ferrodis/redis; target <= {target})",
            what,
            ferrodis.0 / redis.0,
            "",
            ferrodis.1 / redis.1
        );
    }
}
