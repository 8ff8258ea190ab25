//! Memory: bytes per string key and per element of each kind of collection, big and small,
//! measured on both servers.

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
    /// Short strings, as `value_for` gives them.
    List,
}

impl Kind {
    fn command(self) -> &'static [u8] {
        match self {
            Kind::ZSet => b"ZADD",
            Kind::Hash => b"HSET",
            Kind::Set | Kind::IntSet => b"SADD",
            Kind::List => b"RPUSH",
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
            Kind::List => arguments.push(value_for(number).into_bytes()),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Set | Kind::IntSet => "set",
            Kind::List => "list",
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

/// Bytes per element (used_memory, RSS) that `load` adds; it returns how many elements it wrote.
fn measure(server: &Running, what: &str, load: impl Fn(&mut Client) -> usize) -> (f64, f64) {
    let mut client = Client::connect(server.port);
    client.call(&["FLUSHALL"]);
    let before = usage(server, &mut client);
    let count = load(&mut client);
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

/// What one measurement loads.
#[derive(Clone, Copy)]
pub(crate) enum Load {
    /// `count` string keys.
    Strings,
    /// One collection of `count` elements.
    Big(Kind),
    /// `count / 10` collections of `members` elements each.
    Small(Kind, usize),
}

impl Load {
    /// Writes this load at size `count`; how many elements it wrote.
    pub(crate) fn fill(self, client: &mut Client, count: usize) -> usize {
        match self {
            Load::Strings => load_strings(client, count),
            Load::Big(kind) => load_collection(client, kind, "big", count),
            Load::Small(kind, members) => load_small(client, kind, count / 10, members),
        }
        self.elements(count)
    }

    fn elements(self, count: usize) -> usize {
        match self {
            Load::Strings | Load::Big(_) => count,
            Load::Small(_, members) => count / 10 * members,
        }
    }

    /// The data this load writes at size `count`, for a table's row.
    pub(crate) fn describe(self, count: usize) -> String {
        match self {
            Load::Strings => format!("{count} strings"),
            Load::Big(kind) => format!("1 {} of {count}", kind.name()),
            Load::Small(kind, members) => {
                let plural = match kind {
                    Kind::Hash => "hashes".to_string(),
                    Kind::IntSet => "int sets".to_string(),
                    _ => format!("{}s", kind.name()),
                };
                format!("{} {plural} of {members}", count / 10)
            }
        }
    }
}

/// The memory part's cases, each with its row's name: string keys, then one big collection
/// and many small ones of each kind.
pub(crate) const CASES: [(&str, Load); 9] = [
    ("per string key", Load::Strings),
    ("per zset member", Load::Big(Kind::ZSet)),
    ("per hash field", Load::Big(Kind::Hash)),
    ("per set member", Load::Big(Kind::Set)),
    ("per list elem", Load::Big(Kind::List)),
    ("small hash field", Load::Small(Kind::Hash, 10)),
    ("small set member", Load::Small(Kind::Set, 10)),
    ("small intset int", Load::Small(Kind::IntSet, 10)),
    ("small list elem", Load::Small(Kind::List, 100)),
];

pub fn run(scale: usize) {
    let count = 1_000_000 / scale;
    println!(
        "\n## memory: {count} string keys key:NNNNNNN (3-10 byte values, a third integers); one \
         sorted set, hash, set and list of {count} elements; {} hashes, sets of strings and sets \
         of integers of 10 elements, and {} lists of 100 short strings (per element)",
        count / 10,
        count / 10
    );
    let mut rows = Vec::new();
    for (what, load) in CASES {
        // A fresh pair of servers per measurement, so one load's freed pages don't skew RSS.
        let redis = start_redis();
        let ferrodis = start_ferrodis();
        let mut pair = Vec::new();
        for server in [&redis, &ferrodis] {
            pair.push(measure(server, what, |client| load.fill(client, count)));
        }
        rows.push((what, load, pair[0], pair[1]));
    }
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10}",
        "", "used ratio", "", "rss ratio", ""
    );
    for (what, load, redis, ferrodis) in rows {
        // Big collections beat Redis by a fifth; small ones and lists at least match it.
        let target = match load {
            Load::Small(..) | Load::Big(Kind::List) => "1.0",
            _ => "0.8",
        };
        println!(
            "{:<16} {:>10.2} {:>10} {:>10.2}   (ferrodis/redis; target <= {target})",
            what,
            ferrodis.0 / redis.0,
            "",
            ferrodis.1 / redis.1
        );
    }
}
