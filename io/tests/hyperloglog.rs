//! HyperLogLog against a real `redis-server` (7.0.x): the same commands go to both, and the
//! raw replies must be identical, GET of every HyperLogLog included, so the stored bytes are
//! Redis's byte for byte (sparse and dense, the cached cardinality, promotion from sparse to
//! dense under both `hll-sparse-max-bytes` settings tried, PFMERGE's choice of encoding).
//! Values written by Redis are copied into ferrodis with GET and SET and must count alike;
//! strings that are not HyperLogLogs, and HyperLogLogs corrupted at random places, must get the
//! same errors (or counts).
//!
//! One known difference is avoided, not compared: a PFADD that finds a sparse HyperLogLog
//! corrupted keeps nothing here, where Redis keeps the registers it raised before it noticed,
//! so a PFADD that failed is followed by a DEL of its key on both.

mod common;
#[allow(dead_code)]
#[path = "differential/reply.rs"]
mod reply;

use std::io::Write;
use std::net::TcpStream;

use common::{encode, read_reply, start_ferrodis, start_redis, ServerProcess};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use reply::{integer, show, show_command};

struct Pair {
    // Kept so that the servers live as long as their connections.
    _servers: (ServerProcess, ServerProcess),
    ferrodis: TcpStream,
    redis: TcpStream,
}

impl Pair {
    fn start() -> Pair {
        let redis = start_redis(&[]);
        let ferrodis = start_ferrodis(&[]);
        Pair {
            ferrodis: ferrodis.connect(),
            redis: redis.connect(),
            _servers: (ferrodis, redis),
        }
    }

    /// Sends `args` to both and requires identical replies; returns Redis's.
    fn same(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let request = encode(args);
        self.ferrodis.write_all(&request).unwrap();
        self.redis.write_all(&request).unwrap();
        let ours = read_reply(&mut self.ferrodis);
        let theirs = read_reply(&mut self.redis);
        let owned: Vec<Vec<u8>> = args.iter().map(|arg| arg.to_vec()).collect();
        assert_eq!(
            ours,
            theirs,
            "{}\n  ferrodis: {}\n  redis:    {}",
            show_command(&owned),
            show(&ours),
            show(&theirs)
        );
        theirs
    }

    /// Sends `args` to Redis only.
    fn redis(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.redis.write_all(&encode(args)).unwrap();
        read_reply(&mut self.redis)
    }

    fn ferrodis(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.ferrodis.write_all(&encode(args)).unwrap();
        read_reply(&mut self.ferrodis)
    }

    /// PFADD of `elements` in one command.
    fn pfadd(&mut self, key: &[u8], elements: &[Vec<u8>]) -> Vec<u8> {
        let mut args: Vec<&[u8]> = vec![b"PFADD", key];
        args.extend(elements.iter().map(Vec::as_slice));
        self.same(&args)
    }

    /// GET, then PFCOUNT (which may write the cache), then GET again: all equal.
    fn check_key(&mut self, key: &[u8]) {
        self.same(&[b"GET", key]);
        self.same(&[b"PFCOUNT", key]);
        self.same(&[b"GET", key]);
        self.same(&[b"OBJECT", b"ENCODING", key]);
    }
}

/// The bulk string inside a raw RESP bulk reply.
fn bulk_payload(raw: &[u8]) -> Vec<u8> {
    let header_end = raw.iter().position(|&byte| byte == b'\n').unwrap() + 1;
    raw[header_end..raw.len() - 2].to_vec()
}

fn elements(prefix: &str, range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
    range
        .map(|number| format!("{prefix}{number}").into_bytes())
        .collect()
}

#[test]
fn small_and_large_sets_store_redis_s_bytes() {
    let mut pair = Pair::start();
    pair.same(&[b"PFADD", b"empty"]);
    pair.check_key(b"empty");
    for (key, len) in [
        (&b"one"[..], 1),
        (b"three", 3),
        (b"ten", 10),
        (b"hundred", 100),
        (b"thousand", 1000),
    ] {
        pair.pfadd(key, &elements("e", 0..len));
        pair.check_key(key);
        // Nothing new: 0, and the bytes (cache included) stay.
        pair.pfadd(key, &elements("e", 0..len.min(50)));
        pair.check_key(key);
    }
    // One element at a time, through every sparse split and merge up to promotion.
    for number in 0..3000u32 {
        pair.pfadd(b"grow", &[number.to_string().into_bytes()]);
        if number % 97 == 0 {
            pair.check_key(b"grow");
        }
    }
    pair.check_key(b"grow");
    // 50,000 elements in batches: sparse, promoted, then dense.
    for batch in 0..50u32 {
        pair.pfadd(b"large", &elements("x", batch * 1000..(batch + 1) * 1000));
        pair.check_key(b"large");
    }
    pair.same(&[b"PFDEBUG", b"ENCODING", b"large"]);
    // Binary and empty elements.
    pair.pfadd(
        b"binary",
        &[
            b"".to_vec(),
            b"\0".to_vec(),
            b"\xff\r\n".to_vec(),
            vec![7; 300],
        ],
    );
    pair.check_key(b"binary");
}

#[test]
fn sparse_limits_and_merges_match() {
    let mut pair = Pair::start();
    let mut rng = Pcg64::seed_from_u64(7);
    for limit in [&b"0"[..], b"100", b"3000", b"20000"] {
        pair.same(&[b"CONFIG", b"SET", b"hll-sparse-max-bytes", limit]);
        pair.same(&[b"FLUSHALL"]);
        for key in [&b"a"[..], b"b", b"c"] {
            let len = rng.random_range(0..400);
            let picked: Vec<Vec<u8>> = (0..len)
                .map(|_| rng.random_range(0..2000u32).to_string().into_bytes())
                .collect();
            pair.pfadd(key, &picked);
            pair.check_key(key);
        }
        pair.pfadd(b"dense", &elements("d", 0..5000));
        pair.same(&[b"PFMERGE", b"ab", b"a", b"b"]);
        pair.check_key(b"ab");
        pair.same(&[b"PFMERGE", b"c", b"a", b"missing"]);
        pair.check_key(b"c");
        pair.same(&[b"PFMERGE", b"abd", b"a", b"dense", b"b"]);
        pair.check_key(b"abd");
        pair.same(&[b"PFMERGE", b"new"]);
        pair.check_key(b"new");
        pair.same(&[b"PFCOUNT", b"a", b"b", b"c", b"missing"]);
        pair.same(&[b"PFCOUNT", b"a", b"dense"]);
        pair.same(&[b"PFCOUNT", b"missing"]);
        pair.same(&[b"PFDEBUG", b"TODENSE", b"b"]);
        pair.check_key(b"b");
    }
    pair.same(&[b"CONFIG", b"GET", b"hll-sparse-max-bytes"]);
    pair.same(&[b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"-1"]);
    pair.same(&[
        b"CONFIG",
        b"SET",
        b"hll-sparse-max-bytes",
        b"9223372036854775808",
    ]);
    pair.same(&[b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3kb"]);
    pair.same(&[b"CONFIG", b"GET", b"hll-sparse-max-bytes"]);
}

#[test]
fn values_copied_from_redis_count_alike() {
    let mut pair = Pair::start();
    let mut rng = Pcg64::seed_from_u64(11);
    for round in 0..40u32 {
        let key = format!("copied{round}").into_bytes();
        let len = [0, 1, 5, 200, 2000, 20000][round as usize % 6];
        let batch: Vec<Vec<u8>> = (0..len)
            .map(|_| rng.random::<u64>().to_string().into_bytes())
            .collect();
        for chunk in batch.chunks(1000) {
            let mut args: Vec<&[u8]> = vec![b"PFADD", &key];
            args.extend(chunk.iter().map(Vec::as_slice));
            pair.redis(&args);
        }
        if len == 0 {
            pair.redis(&[b"PFADD", &key]);
        }
        let bytes = bulk_payload(&pair.redis(&[b"GET", &key]));
        pair.ferrodis(&[b"SET", &key, &bytes]);
        pair.check_key(&key);
        pair.same(&[b"PFADD", &key, b"one more"]);
        pair.check_key(&key);
    }
}

#[test]
fn strings_that_are_not_hyperloglogs_get_redis_s_errors() {
    let mut pair = Pair::start();
    pair.same(&[b"SET", b"text", b"not a hyperloglog"]);
    pair.same(&[b"SET", b"number", b"12345"]);
    pair.same(&[b"SET", b"short", b"HYLL"]);
    pair.same(&[b"RPUSH", b"list", b"a"]);
    pair.same(&[b"PFADD", b"hll", b"a", b"b", b"c"]);
    for key in [&b"text"[..], b"number", b"short", b"list"] {
        pair.same(&[b"PFADD", key, b"x"]);
        pair.same(&[b"PFADD", key]);
        pair.same(&[b"PFCOUNT", key]);
        pair.same(&[b"PFCOUNT", b"hll", key]);
        pair.same(&[b"PFMERGE", key, b"hll"]);
        pair.same(&[b"PFMERGE", b"hll", key]);
        pair.same(&[b"PFDEBUG", b"ENCODING", key]);
        pair.same(&[b"PFDEBUG", b"GETREG", key]);
    }
    pair.same(&[b"PFDEBUG", b"ENCODING", b"missing"]);
    pair.same(&[b"PFDEBUG", b"NOSUCH", b"hll"]);
    pair.same(&[b"PFDEBUG", b"DECODE", b"hll"]);
    pair.same(&[b"PFDEBUG", b"NOSUCH"]);
    pair.same(&[b"PFCOUNT"]);
    pair.same(&[b"PFMERGE"]);
    pair.same(&[b"PFADD"]);
    pair.check_key(b"hll");
    // Redis's own corruption cases: bytes past the runs, the magic, the encoding, the length.
    for (at, patch) in [(0, &b"0123"[..]), (4, b"x"), (4, b"\x00")] {
        pair.same(&[b"DEL", b"hll"]);
        pair.same(&[b"PFADD", b"hll", b"a", b"b", b"c"]);
        pair.same(&[b"SETRANGE", b"hll", at.to_string().as_bytes(), patch]);
        pair.same(&[b"PFCOUNT", b"hll"]);
    }
    pair.same(&[b"DEL", b"hll"]);
    pair.same(&[b"PFADD", b"hll", b"a", b"b", b"c"]);
    pair.same(&[b"APPEND", b"hll", b"hello"]);
    pair.same(&[b"PFCOUNT", b"hll"]);
    pair.same(&[b"PFDEBUG", b"DECODE", b"hll"]);
    pair.same(&[b"PFDEBUG", b"TODENSE", b"hll"]);
}

#[test]
fn corrupted_hyperloglogs_answer_as_redis_does() {
    let mut pair = Pair::start();
    let mut rng = Pcg64::seed_from_u64(3);
    for round in 0..400u32 {
        pair.same(&[b"DEL", b"hll", b"merged"]);
        let len = [3, 30, 300, 3000][round as usize % 4];
        pair.pfadd(b"hll", &elements(&format!("r{round}-"), 0..len));
        // Corrupt it in one to five places, as Redis's own fuzzing test does.
        for _ in 0..rng.random_range(1..=5) {
            let strlen = integer(&pair.same(&[b"STRLEN", b"hll"])).unwrap();
            let at = rng.random_range(0..strlen).to_string();
            let byte = [rng.random::<u8>()];
            pair.same(&[b"SETRANGE", b"hll", at.as_bytes(), &byte]);
        }
        pair.same(&[b"PFCOUNT", b"hll"]);
        pair.same(&[b"GET", b"hll"]);
        pair.same(&[b"PFCOUNT", b"hll", b"missing"]);
        pair.same(&[b"PFMERGE", b"merged", b"hll"]);
        pair.same(&[b"GET", b"merged"]);
        pair.same(&[b"PFDEBUG", b"DECODE", b"hll"]);
        let added = pair.same(&[b"PFADD", b"hll", round.to_string().as_bytes()]);
        if added.starts_with(b"-") {
            pair.same(&[b"DEL", b"hll"]);
        } else {
            pair.same(&[b"GET", b"hll"]);
        }
    }
}

#[test]
fn pfcount_s_cache_write_is_a_change_for_watch() {
    let mut pair = Pair::start();
    pair.same(&[b"PFADD", b"hll", b"a", b"b"]);
    // The cache is stale: PFCOUNT writes it, and the watch sees a change.
    pair.same(&[b"WATCH", b"hll"]);
    pair.same(&[b"PFCOUNT", b"hll"]);
    pair.same(&[b"MULTI"]);
    pair.same(&[b"PING"]);
    pair.same(&[b"EXEC"]);
    // Now it is cached: no change.
    pair.same(&[b"WATCH", b"hll"]);
    pair.same(&[b"PFCOUNT", b"hll"]);
    pair.same(&[b"PFADD", b"hll", b"a"]);
    pair.same(&[b"MULTI"]);
    pair.same(&[b"PING"]);
    pair.same(&[b"EXEC"]);
    pair.same(&[b"WATCH", b"hll"]);
    pair.same(&[b"PFADD", b"hll", b"c"]);
    pair.same(&[b"MULTI"]);
    pair.same(&[b"PING"]);
    pair.same(&[b"EXEC"]);
    pair.same(&[b"EXPIRE", b"hll", b"1000"]);
    pair.same(&[b"PFMERGE", b"hll", b"hll"]);
    pair.same(&[b"TTL", b"hll"]);
}
