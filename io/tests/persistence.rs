//! Values crossing between ferrodis and a real `redis-server` (7.0.x) in Redis's own formats:
//! DUMP payloads both ways, for every type in every encoding Redis 7.0 writes, with their
//! contents compared key by key, and RESTORE's answers to bad input compared with Redis's;
//! RDB files both ways; DEBUG DIGEST equal on both for the same data.

mod common;

use common::{redis_client, start_ferrodis, start_redis};
use redis::{Connection, Value};

/// Fills `connection` with one key per type and encoding Redis 7.0 has for it.
fn fill(connection: &mut Connection) {
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("embstr").arg("hello");
    pipe.cmd("SET").arg("int").arg(-1234567);
    pipe.cmd("SET").arg("bigint").arg(1i64 << 40);
    pipe.cmd("SET").arg("raw").arg("x".repeat(300));
    pipe.cmd("SET")
        .arg("binary")
        .arg((0..=255u8).collect::<Vec<u8>>());
    pipe.cmd("RPUSH")
        .arg("list")
        .arg(&["a", "1", "300", "-5", "70000", "1099511627776", "text"]);
    let many: Vec<String> = (0..5000).map(|i| format!("element-{i}")).collect();
    pipe.cmd("RPUSH").arg("biglist").arg(&many);
    pipe.cmd("SADD").arg("intset").arg(&[1i64, -70000, 1 << 40]);
    pipe.cmd("SADD").arg("set").arg(&["a", "b", "c"]);
    pipe.cmd("SADD")
        .arg("bigintset")
        .arg((0..1000).collect::<Vec<i32>>());
    pipe.cmd("HSET").arg("hash").arg(&["f", "v", "n", "12"]);
    let fields: Vec<String> = (0..600).map(|i| format!("f{i}")).collect();
    let mut pairs = Vec::new();
    for field in &fields {
        pairs.push(field.clone());
        pairs.push(format!("value of {field}"));
    }
    pipe.cmd("HSET").arg("bighash").arg(&pairs);
    pipe.cmd("HSET")
        .arg("longhash")
        .arg("f")
        .arg("v".repeat(100));
    pipe.cmd("ZADD")
        .arg("zset")
        .arg(&["1", "a", "2.5", "b", "-inf", "c", "1e300", "d"]);
    let mut items = Vec::new();
    for i in 0..300 {
        items.push(format!("{}", i as f64 / 7.0));
        items.push(format!("member-{i}"));
    }
    pipe.cmd("ZADD").arg("bigzset").arg(&items);
    pipe.cmd("SET")
        .arg("expiring")
        .arg("v")
        .arg("PX")
        .arg(1_000_000);
    pipe.query::<()>(connection).unwrap();
}

const KEYS: [&str; 17] = [
    "embstr",
    "int",
    "bigint",
    "raw",
    "binary",
    "list",
    "biglist",
    "intset",
    "set",
    "bigintset",
    "hash",
    "bighash",
    "longhash",
    "zset",
    "bigzset",
    "expiring",
    "missing",
];

/// A key's type, encoding and elements.
type Contents = (String, Value, Vec<Vec<u8>>);

/// A key's contents in one comparable form: its type, encoding and elements (sorted where
/// the type has no order).
fn contents(connection: &mut Connection, key: &str) -> Contents {
    let kind: String = redis::cmd("TYPE").arg(key).query(connection).unwrap();
    let encoding: Value = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(connection)
        .unwrap();
    let mut elements: Vec<Vec<u8>> = match kind.as_str() {
        "string" => vec![redis::cmd("GET").arg(key).query(connection).unwrap()],
        "list" => redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query(connection)
            .unwrap(),
        "set" => redis::cmd("SMEMBERS").arg(key).query(connection).unwrap(),
        "hash" => redis::cmd("HGETALL").arg(key).query(connection).unwrap(),
        "zset" => redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query(connection)
            .unwrap(),
        _ => Vec::new(),
    };
    if kind == "set" {
        elements.sort();
    }
    if kind == "hash" {
        let mut pairs: Vec<Vec<Vec<u8>>> = elements.chunks(2).map(<[_]>::to_vec).collect();
        pairs.sort();
        elements = pairs.concat();
    }
    (kind, encoding, elements)
}

fn dump(connection: &mut Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("DUMP").arg(key).query(connection).unwrap()
}

fn restore(connection: &mut Connection, key: &str, ttl: i64, payload: &[u8]) -> Value {
    redis::cmd("RESTORE")
        .arg(key)
        .arg(ttl)
        .arg(payload)
        .arg("REPLACE")
        .query(connection)
        .unwrap_or_else(|error| Value::SimpleString(format!("error: {error}")))
}

fn pttl(connection: &mut Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(connection).unwrap()
}

#[test]
fn dump_payloads_cross_both_ways_for_every_type_and_encoding() {
    let redis_server = start_redis(&[]);
    let ferrodis_server = start_ferrodis(&[]);
    let mut redis = redis_client(&redis_server, "0");
    let mut ferrodis = redis_client(&ferrodis_server, "0");
    fill(&mut redis);
    for key in KEYS {
        let theirs = dump(&mut redis, key);
        assert_eq!(dump(&mut ferrodis, key), None, "{key} is not there yet");
        let Some(payload) = theirs else {
            assert_eq!(key, "missing");
            continue;
        };
        let ttl = pttl(&mut redis, key).max(0);
        assert_eq!(
            restore(&mut ferrodis, key, ttl, &payload),
            Value::Okay,
            "{key}"
        );
        let expected = contents(&mut redis, key);
        assert_eq!(contents(&mut ferrodis, key), expected, "{key} from Redis");
        let ours = dump(&mut ferrodis, key).unwrap();
        let copy = format!("{key}:back");
        assert_eq!(restore(&mut redis, &copy, ttl, &ours), Value::Okay, "{key}");
        assert_eq!(
            contents(&mut redis, &copy),
            expected,
            "{key} back into Redis"
        );
        if ttl > 0 {
            for (connection, name) in [(&mut ferrodis, key), (&mut redis, copy.as_str())] {
                let left = pttl(connection, name);
                assert!(
                    left > ttl - 60_000 && left <= ttl,
                    "{name}: {left} of {ttl}"
                );
            }
        }
    }
}

/// The raw reply of a command, errors included, for comparing two servers' answers.
fn answer(connection: &mut Connection, args: &[&[u8]]) -> String {
    let mut command = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for arg in &args[1..] {
        command.arg(*arg);
    }
    match command.query::<Value>(connection) {
        Ok(value) => format!("{value:?}"),
        Err(error) => format!("error {:?} {:?}", error.code(), error.detail()),
    }
}

#[test]
fn restore_answers_bad_input_as_redis_does() {
    let redis_server = start_redis(&[]);
    let ferrodis_server = start_ferrodis(&[]);
    let mut redis = redis_client(&redis_server, "0");
    let mut ferrodis = redis_client(&ferrodis_server, "0");
    let mut connections = [&mut redis, &mut ferrodis];
    for connection in connections.iter_mut() {
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(connection)
            .unwrap();
    }
    let payload = dump(connections[0], "k").unwrap();
    let mut flipped = payload.clone();
    flipped[1] ^= 1;
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"RESTORE", b"k", b"0", &payload],
        vec![b"RESTORE", b"k", b"-1", b"x"],
        vec![b"RESTORE", b"new", b"-1", &payload],
        vec![b"RESTORE", b"new", b"abc", &payload],
        vec![b"RESTORE", b"new", b"0", b"garbage"],
        vec![b"RESTORE", b"new", b"0", &flipped],
        vec![
            b"RESTORE",
            b"new",
            b"0",
            &payload,
            b"IDLETIME",
            b"1",
            b"FREQ",
            b"2",
        ],
        vec![b"RESTORE", b"new", b"0", &payload, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"new", b"0", &payload, b"FREQ", b"256"],
        vec![b"RESTORE", b"new", b"0", &payload, b"BOGUS"],
        vec![b"RESTORE", b"new", b"0", &payload, b"IDLETIME", b"10"],
        vec![b"RESTORE", b"new", b"1", &payload, b"ABSTTL", b"REPLACE"],
        vec![b"EXISTS", b"new"],
        vec![b"RESTORE", b"k", b"1", &payload, b"ABSTTL", b"REPLACE"],
        vec![b"EXISTS", b"k"],
        vec![b"RESTORE", b"k", b"0", &payload, b"FREQ", b"5", b"REPLACE"],
        vec![b"GET", b"k"],
        vec![b"RESTORE", b"k"],
        vec![b"DUMP"],
    ];
    for case in cases {
        let theirs = answer(connections[0], &case);
        let ours = answer(connections[1], &case);
        let shown: Vec<String> = case
            .iter()
            .map(|arg| String::from_utf8_lossy(&arg[..arg.len().min(12)]).into_owned())
            .collect();
        assert_eq!(ours, theirs, "{shown:?}");
    }
}

/// Every key `fill` writes, with its contents, from `connection`.
fn all_contents(connection: &mut Connection) -> Vec<(String, Contents)> {
    KEYS.iter()
        .filter(|key| **key != "missing")
        .map(|key| (key.to_string(), contents(connection, key)))
        .collect()
}

#[test]
fn rdb_files_cross_both_ways_and_pass_redis_check_rdb() {
    // Redis writes a file; ferrodis starts in its directory and loads it.
    let redis_dir = common::scratch_dir();
    let redis_server = start_redis(&["--dir", redis_dir.to_str().unwrap()]);
    let mut redis = redis_client(&redis_server, "0");
    fill(&mut redis);
    let expected = all_contents(&mut redis);
    let _: () = redis::cmd("SAVE").query(&mut redis).unwrap();
    let ferrodis_server =
        common::start_ferrodis_in(redis_dir.clone(), &["--enable-protected-configs", "yes"]);
    let mut ferrodis = redis_client(&ferrodis_server, "0");
    assert_eq!(all_contents(&mut ferrodis), expected);
    let left = pttl(&mut ferrodis, "expiring");
    assert!(left > 900_000 && left <= 1_000_000, "{left}");

    // ferrodis writes one; Redis's checker passes it and Redis loads it.
    let ours = common::scratch_dir();
    let path = ours.to_str().unwrap().to_string();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("dir")
        .arg(&path)
        .query(&mut ferrodis)
        .unwrap();
    let _: () = redis::cmd("SAVE").query(&mut ferrodis).unwrap();
    let file = ours.join("dump.rdb");
    let check = std::process::Command::new("redis-check-rdb")
        .arg(&file)
        .output()
        .expect("redis-check-rdb runs (CI installs redis-tools)");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && report.contains("RDB looks OK"),
        "{report}"
    );
    let again = start_redis(&["--dir", &path]);
    let mut redis_again = redis_client(&again, "0");
    assert_eq!(all_contents(&mut redis_again), expected);
    let left = pttl(&mut redis_again, "expiring");
    assert!(left > 900_000 && left <= 1_000_000, "{left}");
    let _ = std::fs::remove_dir_all(&ours);
}

#[test]
fn a_corrupt_rdb_file_stops_the_start_with_its_offset() {
    let dir = common::scratch_dir();
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(&[0xFE, 0x00, 0x00, 0x01, b'k', 0x05, b'a']);
    std::fs::write(dir.join("dump.rdb"), &file).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .current_dir(&dir)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("Fatal error loading the DB"), "{log}");
    assert!(log.contains("(key 'k') (at byte 11)"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn redis_cli_rdb_saves_the_data_and_both_checkers_pass_it() {
    let ferrodis_server = start_ferrodis(&[]);
    let mut ferrodis = redis_client(&ferrodis_server, "0");
    fill(&mut ferrodis);
    let expected = all_contents(&mut ferrodis);
    let dir = common::scratch_dir();
    let file = dir.join("dump.rdb");
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &ferrodis_server.port.to_string(), "--rdb"])
        .arg(&file)
        .output()
        .expect("redis-cli runs (CI installs redis-tools)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let ours = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis-check-rdb"))
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&ours.stdout);
    assert!(ours.status.success(), "{report}");
    assert!(report.contains("[info] 16 keys read"), "{report}");
    let theirs = std::process::Command::new("redis-check-rdb")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stdout)
    );
    let redis_server = start_redis(&["--dir", dir.to_str().unwrap()]);
    let mut redis = redis_client(&redis_server, "0");
    assert_eq!(all_contents(&mut redis), expected);
    // A broken copy is refused with the offset of what broke.
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let broken = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis-check-rdb"))
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{report}");
    assert!(report.contains("Wrong RDB checksum"), "{report}");
    drop(redis_server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_save_points_wait_and_shutdown_saves_for_the_next_start() {
    let dir = common::scratch_dir();
    let mut first = common::start_ferrodis_in(dir.clone(), &[]);
    let mut connection = redis_client(&first, "0");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut connection)
        .unwrap();
    // One change is an hour away from the first save point: nothing is written yet.
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert!(!dir.join("dump.rdb").exists());
    let lastsave: i64 = redis::cmd("LASTSAVE").query(&mut connection).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - lastsave).abs() < 120,
        "LASTSAVE {lastsave}, now {now}"
    );
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut connection);
    let status = first.child.wait().unwrap();
    assert!(status.success());
    assert!(dir.join("dump.rdb").exists(), "SHUTDOWN saved");
    // The next start in the same directory has the data.
    first.dir = None;
    let second = common::start_ferrodis_in(dir, &[]);
    let mut connection = redis_client(&second, "0");
    let value: String = redis::cmd("GET").arg("k").query(&mut connection).unwrap();
    assert_eq!(value, "v");
}

/// DEBUG DIGEST and DEBUG DIGEST-VALUE, as both servers answer them.
fn digests(connection: &mut Connection) -> (String, Vec<String>) {
    let whole: String = redis::cmd("DEBUG").arg("DIGEST").query(connection).unwrap();
    let values: Vec<String> = redis::cmd("DEBUG")
        .arg("DIGEST-VALUE")
        .arg(&KEYS)
        .query(connection)
        .unwrap();
    (whole, values)
}

#[test]
fn debug_digest_matches_redis_for_every_type_and_encoding() {
    let redis_server = start_redis(&["--enable-debug-command", "yes"]);
    let ferrodis_server = start_ferrodis(&["--enable-debug-command", "yes"]);
    let mut expected = Vec::new();
    for server in [&redis_server, &ferrodis_server] {
        let mut connection = redis_client(server, "0");
        let empty = digests(&mut connection).0;
        assert_eq!(empty, "0".repeat(40), "an empty server's digest is zeros");
        fill(&mut connection);
        let mut other = redis_client(server, "3");
        let _: () = redis::cmd("SET")
            .arg("int")
            .arg(7)
            .query(&mut other)
            .unwrap();
        expected.push(digests(&mut connection));
    }
    assert_eq!(expected[1], expected[0]);
    // The digest follows the data, not its encoding: a hash and a set that leave their
    // compact encodings digest the same as before.
    let mut ferrodis = redis_client(&ferrodis_server, "0");
    for setting in ["hash-max-listpack-entries", "set-max-intset-entries"] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(setting)
            .arg(0)
            .query(&mut ferrodis)
            .unwrap();
    }
    let _: () = redis::cmd("HSET")
        .arg("hash")
        .arg("f")
        .arg("v")
        .query(&mut ferrodis)
        .unwrap();
    for command in ["SADD", "SREM"] {
        let _: () = redis::cmd(command)
            .arg("intset")
            .arg(5)
            .query(&mut ferrodis)
            .unwrap();
    }
    for key in ["hash", "intset"] {
        let encoding: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg(key)
            .query(&mut ferrodis)
            .unwrap();
        assert_eq!(encoding, "hashtable", "{key}");
    }
    assert_eq!(digests(&mut ferrodis), expected[0]);
}

/// OBJECT `what` (IDLETIME, FREQ) of `key`.
fn object_figure(connection: &mut Connection, what: &str, key: &str) -> i64 {
    redis::cmd("OBJECT")
        .arg(what)
        .arg(key)
        .query(connection)
        .unwrap()
}

/// Writes `key` with RESTORE's `option` (IDLETIME or FREQ) set to `figure`, then SAVE.
fn restore_with_access_and_save(connection: &mut Connection, key: &str, option: &str, figure: i64) {
    let _: () = redis::cmd("SET")
        .arg("source")
        .arg("v")
        .query(connection)
        .unwrap();
    let payload = dump(connection, "source").unwrap();
    let _: () = redis::cmd("RESTORE")
        .arg(key)
        .arg(0)
        .arg(payload)
        .arg(option)
        .arg(figure)
        .query(connection)
        .unwrap();
    let _: () = redis::cmd("SAVE").query(connection).unwrap();
}

#[test]
fn rdb_files_keep_idle_time_and_frequency_both_ways() {
    for (policy, what, option, figure) in [
        ("allkeys-lru", "IDLETIME", "IDLETIME", 5000),
        ("allkeys-lfu", "FREQ", "FREQ", 100),
    ] {
        // ferrodis writes the figure; Redis under the same policy, in the same directory,
        // reads it back.
        let ours = common::scratch_dir();
        let path = ours.to_str().unwrap().to_string();
        let ferrodis_server =
            common::start_ferrodis_in(ours.clone(), &["--maxmemory-policy", policy]);
        let mut ferrodis = redis_client(&ferrodis_server, "0");
        restore_with_access_and_save(&mut ferrodis, "kept", option, figure);
        let redis_server = start_redis(&["--dir", &path, "--maxmemory-policy", policy]);
        let mut redis = redis_client(&redis_server, "0");
        let read = object_figure(&mut redis, what, "kept");
        // Seconds pass (idle time grows); a minute may tick (a frequency decays by one).
        assert!(
            (figure - 1..=figure + 10).contains(&read),
            "{policy}: {read}"
        );
        // Redis writes it; ferrodis, started on a copy of the file, reads it back.
        restore_with_access_and_save(&mut redis, "theirs", option, figure);
        let copy = common::scratch_dir();
        std::fs::copy(ours.join("dump.rdb"), copy.join("dump.rdb")).unwrap();
        let again = common::start_ferrodis_in(copy, &["--maxmemory-policy", policy]);
        let mut ferrodis = redis_client(&again, "0");
        let read = object_figure(&mut ferrodis, what, "theirs");
        assert!(
            (figure - 1..=figure + 10).contains(&read),
            "{policy}: {read}"
        );
    }
}
