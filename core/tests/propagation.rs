//! The propagation stream: every change to the keyspace, recorded as the commands that
//! reproduce it. Replayed in order on an empty server, it must rebuild the same data, whatever
//! the clock says when it is replayed: that is what the append-only file and replicas rely on.

mod common;

use common::{request, Harness};
use ferrodis_core::{Allowed, Config, ConnectionId, Now, Propagated};

/// A small seeded generator (xorshift), so that every run draws the same workload.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn key(&mut self) -> String {
        format!("k{}", self.below(5))
    }
}

/// One random command of the families that change data, with relative times, floats,
/// transactions, moves between databases and flushes among them, bit writes that often change
/// nothing, and HyperLogLogs (PFCOUNT writes its cache into the key).
fn command(draw: &mut Draw) -> String {
    let (key, other) = (draw.key(), draw.key());
    let number = draw.below(300) + 1;
    let (hash, set) = (format!("h{}", draw.below(2)), format!("s{}", draw.below(3)));
    let (field, member) = (format!("f{}", draw.below(4)), draw.below(6).to_string());
    let list = format!("l{}", draw.below(2));
    let hll = format!("p{}", draw.below(3));
    match draw.below(55) {
        50 | 51 => format!("PFADD {hll} {member} x{number}"),
        52 => format!("PFCOUNT {hll}"),
        53 => "PFMERGE p2 p0 p1".to_string(),
        54 => format!("PFDEBUG TODENSE {hll}"),
        42 => format!("RPUSH {list} {member} x{number} {member}"),
        43 => format!("LPUSH {list} {number}"),
        44 => format!("LPOP {list} {}", draw.below(3)),
        45 => format!("LMOVE {list} l{} LEFT RIGHT", draw.below(2)),
        46 => format!("LREM {list} -1 {member}"),
        47 => format!("LINSERT {list} BEFORE {member} i{number}"),
        48 => format!("LTRIM {list} 1 -2"),
        49 => "LMPOP 2 l0 l1 RIGHT COUNT 2".to_string(),
        37 => format!("SETBIT {key} {} {}", number % 40, number % 2),
        38 => format!("SETBIT {key} 5 1"),
        39 => format!(
            "BITFIELD {key} OVERFLOW FAIL INCRBY u4 #{} {} SET i8 8 {number}",
            number % 3,
            number % 20
        ),
        40 => format!("BITFIELD {key} INCRBY i5 3 {number} GET u8 0"),
        41 => format!("BITOP XOR {key} {other} k{}", draw.below(5)),
        27 => format!("HSET {hash} {field} {number} f9 v"),
        28 => format!("HINCRBYFLOAT {hash} {field} 0.1"),
        29 => format!("HDEL {hash} {field}"),
        30 => format!("SADD {set} {member} x{member}"),
        31 => format!("SREM {set} {member}"),
        32 => format!("SPOP {set}"),
        33 => format!("SPOP {set} {}", draw.below(4)),
        34 => format!("SMOVE {set} s{} {member}", draw.below(3)),
        35 => "SINTERSTORE s2 s0 s1".to_string(),
        36 => "SUNIONSTORE s1 s0 s2".to_string(),
        0 => format!("SET {key} v{number}"),
        1 => format!("SET {key} {number} PX {number}"),
        2 => format!("SETEX {key} {number} s"),
        3 => format!("PSETEX {key} {number} p"),
        4 => format!("GETEX {key} PX {number}"),
        5 => format!("GETEX {key} PERSIST"),
        6 => format!("EXPIRE {key} {number}"),
        7 => format!("PEXPIRE {key} {number}"),
        8 => format!("EXPIREAT {key} {number}"),
        9 => format!("PERSIST {key}"),
        10 => format!("INCR {key}"),
        11 => format!("INCRBYFLOAT {key} 0.1"),
        12 => format!("APPEND {key} a"),
        13 => format!("SETRANGE {key} 2 zz"),
        14 => format!("DEL {key} {other}"),
        15 => format!("RENAME {key} {other}"),
        16 => format!("COPY {key} {other} DB 1 REPLACE"),
        17 => format!("MOVE {key} 1"),
        18 => "SWAPDB 0 1".to_string(),
        19 => format!("SELECT {}", draw.below(3)),
        20 => format!("ZADD z{} {} m{}", draw.below(2), number, draw.below(4)),
        21 => format!("ZINCRBY z{} 0.5 m{}", draw.below(2), draw.below(4)),
        22 => format!("ZPOPMIN z{}", draw.below(2)),
        23 => "ZUNIONSTORE z2 2 z0 z1 WEIGHTS 2 3".to_string(),
        24 => format!("GETDEL {key}"),
        25 if number < 10 => "FLUSHDB".to_string(),
        _ => format!("MSET {key} m {other} n"),
    }
}

/// What a client can see of every database: each key's type, value and deadline.
fn dump(h: &mut Harness, id: ConnectionId) -> Vec<String> {
    let mut seen = Vec::new();
    for db in 0..3 {
        h.command(id, &format!("SELECT {db}"));
        let keys = h.command(id, "KEYS *");
        let mut names: Vec<&str> = keys
            .split("\r\n")
            .skip(1)
            .filter(|line| !line.starts_with('$') && !line.is_empty())
            .collect();
        names.sort_unstable();
        for key in names {
            let kind = h.command(id, &format!("TYPE {key}"));
            let value = if kind == "+list\r\n" {
                h.command(id, &format!("LRANGE {key} 0 -1"))
            } else if kind == "+zset\r\n" {
                h.command(id, &format!("ZRANGE {key} 0 -1 WITHSCORES"))
            } else if kind == "+hash\r\n" || kind == "+set\r\n" {
                // Tables list their elements in an order of their own: compare them sorted.
                let reply = if kind == "+hash\r\n" {
                    h.command(id, &format!("HGETALL {key}"))
                } else {
                    h.command(id, &format!("SMEMBERS {key}"))
                };
                let lines: Vec<&str> = reply.split("\r\n").skip(1).collect();
                let mut elements: Vec<String> = lines
                    .chunks(if kind == "+hash\r\n" { 4 } else { 2 })
                    .map(|chunk| chunk.join(" "))
                    .collect();
                elements.sort();
                elements.join(", ")
            } else {
                h.command(id, &format!("GET {key}"))
            };
            let deadline = h.command(id, &format!("PEXPIRETIME {key}"));
            seen.push(format!("db{db} {key} {kind:?} {value:?} {deadline:?}"));
        }
    }
    seen
}

/// Runs `commands` on a fresh server with the given time step between them, returning the
/// final dump, the final time and the propagation stream.
fn record(commands: &[String], step_millis: &[u64]) -> (Vec<String>, Now, Vec<Propagated>) {
    let mut h = Harness::new(Config::default());
    h.server.record_propagation(true);
    let a = h.open();
    let b = h.open();
    for (index, line) in commands.iter().enumerate() {
        h.advance(step_millis[index]);
        // Every fifth command comes from a second client inside a transaction.
        if index % 5 == 4 {
            for line in ["MULTI", line.as_str(), "INCR counter", "EXEC"] {
                h.command(b, line);
            }
        } else {
            h.command(a, line);
        }
        if index % 7 == 0 {
            h.run_timers();
        }
    }
    let seen = dump(&mut h, a);
    let stream = h.server.take_propagated();
    (seen, h.now, stream)
}

/// Replays `stream` on an empty server that expires nothing while loading (as Redis loading an
/// append-only file), then dumps it at `at`.
fn replay(stream: &[Propagated], at: Now) -> Vec<String> {
    // Another seed: random choices (SPOP) must reach the stream as what they chose.
    let mut h = Harness::new(Config {
        seed: 0x5eed,
        enable_debug_command: Allowed::Yes,
        ..Config::default()
    });
    let id = h.open();
    h.command(id, "DEBUG SET-ACTIVE-EXPIRE 0");
    let mut db = 0;
    for entry in stream {
        if entry.db != db {
            h.send(id, &request(&[b"SELECT", entry.db.to_string().as_bytes()]));
            db = entry.db;
        }
        let args: Vec<&[u8]> = entry.args.iter().map(Vec::as_slice).collect();
        h.send(id, &request(&args));
        let reply = h.take_replies(id);
        assert!(
            !reply.starts_with('-') && !reply.contains("\r\n-"),
            "replaying {:?} failed: {reply}",
            String::from_utf8_lossy(&entry.args.concat())
        );
    }
    h.now = at;
    dump(&mut h, id)
}

fn workload(seed: u64, length: usize) -> (Vec<String>, Vec<u64>) {
    let mut draw = Draw(seed | 1);
    let commands = (0..length).map(|_| command(&mut draw)).collect();
    let steps = (0..length).map(|_| draw.below(40)).collect();
    (commands, steps)
}

#[test]
fn replaying_the_stream_rebuilds_the_same_data() {
    for seed in 1..=40 {
        let (commands, steps) = workload(seed, 300);
        let (seen, at, stream) = record(&commands, &steps);
        assert!(!seen.is_empty(), "seed {seed}: the workload leaves data");
        assert_eq!(replay(&stream, at), seen, "seed {seed}");
    }
}

/// The stream recorded since the last call, one `db: command` line per change.
fn lines(h: &mut Harness) -> Vec<String> {
    h.server
        .take_propagated()
        .iter()
        .map(|entry| {
            let args: Vec<String> = entry
                .args
                .iter()
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            format!("{}: {}", entry.db, args.join(" "))
        })
        .collect()
}

#[test]
fn the_stream_says_what_changed_in_a_form_that_replays_alike() {
    let mut h = Harness::new(Config::default());
    h.server.record_propagation(true);
    let id = h.open();
    let wall = h.now.wall.as_millis();
    for line in [
        "SET a 1 EX 10",
        "GET a",
        "SET a 1 NX",
        "INCRBYFLOAT f 1.5",
        "PEXPIRE f 500",
        "MULTI",
        "SET b 2",
        "PING",
        "EXEC",
        "MULTI",
        "GET b",
        "EXEC",
    ] {
        h.command(id, line);
    }
    // Expiry removes a key: that is a change, propagated as DEL.
    h.advance(600);
    h.command(id, "GET f");
    assert_eq!(
        lines(&mut h),
        [
            format!("0: SET a 1 PXAT {}", wall + 10_000),
            "0: SET f 1.5 KEEPTTL".to_string(),
            format!("0: PEXPIREAT f {}", wall + 500),
            "0: MULTI".to_string(),
            "0: SET b 2".to_string(),
            "0: EXEC".to_string(),
            "0: DEL f".to_string(),
        ]
    );
}

#[test]
fn the_replay_check_fails_when_the_stream_is_wrong() {
    // The check above can fail: the same workload with one relative expiry replayed as it
    // was sent, a little later, ends with a different deadline.
    let (commands, steps) = (vec!["SET k v EX 100".to_string()], vec![0]);
    let (seen, at, mut stream) = record(&commands, &steps);
    assert_eq!(replay(&stream, at), seen);
    stream[0].args = vec![
        b"SET".to_vec(),
        b"k".to_vec(),
        b"v".to_vec(),
        b"EX".to_vec(),
        b"50".to_vec(),
    ];
    assert_ne!(replay(&stream, at), seen);
}

#[test]
fn a_script_that_changes_more_than_once_propagates_as_one_transaction() {
    let mut h = Harness::new(Config {
        busy_reply_threshold_ms: 1,
        ..Config::default()
    });
    h.server.record_propagation(true);
    let id = h.open();
    let eval = |h: &mut Harness, body: &str| {
        h.send(id, &request(&[b"EVAL", body.as_bytes(), b"0"]));
        h.take_replies(id)
    };
    eval(&mut h, "redis.call('set', 'a', 1) redis.call('incr', 'a')");
    eval(&mut h, "redis.call('set', 'b', 1) redis.call('get', 'b')");
    eval(&mut h, "return redis.call('get', 'b')");
    assert_eq!(
        lines(&mut h),
        [
            "0: MULTI",
            "0: set a 1",
            "0: incr a",
            "0: EXEC",
            "0: set b 1"
        ]
    );
    // A script suspended between slices has written, but none of it leaves before its end.
    let body = "redis.call('set', 'c', 1) local n = 0 \
                for i = 1, 3000000 do n = n + 1 end redis.call('set', 'd', n)";
    assert_eq!(eval(&mut h, body), "", "suspended");
    let mut resumed = 0;
    loop {
        assert!(lines(&mut h).is_empty(), "part of a running script left");
        h.server.handle_timeout(h.now);
        h.drain();
        resumed += 1;
        if !h.take_replies(id).is_empty() {
            break;
        }
        assert!(resumed < 1000, "the script ends");
    }
    assert!(resumed > 1, "the script ran in several slices");
    assert_eq!(
        lines(&mut h),
        ["0: MULTI", "0: set c 1", "0: set d 3000000", "0: EXEC"]
    );
    // Inside EXEC, the transaction's own wrapping covers the script.
    h.command(id, "MULTI");
    eval(&mut h, "redis.call('del', 'a') redis.call('del', 'b')");
    h.command(id, "EXEC");
    assert_eq!(
        lines(&mut h),
        ["0: MULTI", "0: del a", "0: del b", "0: EXEC"]
    );
}
