//! The append-only file on the real binaries: acknowledged writes survive a kill -9 under
//! `appendfsync always`; a cut-off or zero-filled tail is trimmed at start (or refused with
//! `aof-load-truncated no`); a corrupt middle stops the start, and `ferrodis-check-aof` reports
//! it and refuses to fix it, while it fixes a cut-off tail; Redis 7.0 loads ferrodis's files
//! and ferrodis loads Redis's (with and without the RDB preamble); `CONFIG SET appendonly yes`
//! on a server with data makes it durable.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{redis_client, scratch_dir, start_redis, ServerProcess, PATIENCE};
use ferrodis_core::aof::manifest::Manifest;
use redis::Connection;

/// A scratch directory, removed when dropped (declare it before the servers that use it, so
/// that they are killed first).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        Scratch(scratch_dir())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts ferrodis-server in `dir` on a free port, its output (stdout and stderr) going to a
/// log file of its own in `dir`; the child and the log's path.
fn spawn_ferrodis(dir: &Path, extra: &[&str]) -> (Child, PathBuf) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let log = dir.join(format!(
        "server-{}.log",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .current_dir(dir)
        .args(["--port", "0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start ferrodis-server");
    (child, log)
}

fn read_log(log: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(log).unwrap_or_default()).into_owned()
}

/// A ferrodis-server running in `dir` (which it leaves in place when dropped) and its log.
fn start(dir: &Path, extra: &[&str]) -> (ServerProcess, PathBuf) {
    let (mut child, log) = spawn_ferrodis(dir, extra);
    let started = Instant::now();
    const READY: &str = "Ready to accept connections tcp on ";
    loop {
        let text = read_log(&log);
        if let Some(line) = text.lines().find(|line| line.contains(READY)) {
            let port = line.rsplit(':').next().unwrap().trim().parse().unwrap();
            let server = ServerProcess {
                child,
                port,
                dir: None,
            };
            return (server, log);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ferrodis-server exited ({status}) before it was ready:\n{text}");
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("ferrodis-server was not ready in time:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts ferrodis-server in `dir`, which must refuse to start: its exit code and log.
fn start_fails(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let (mut child, log) = spawn_ferrodis(dir, extra);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), read_log(&log));
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ferrodis-server started where it should not:\n{}",
                read_log(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `log` holds `text` (log lines written by the core may follow the "Ready" line).
fn wait_for_log(log: &Path, text: &str) -> String {
    let started = Instant::now();
    loop {
        let all = read_log(log);
        if all.contains(text) {
            return all;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no {text:?} in the log:\n{all}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// kill -9: the server gets no chance to write or fsync anything more.
fn kill_9(mut server: ServerProcess) {
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// SHUTDOWN, then the process's exit, which must be clean.
fn shutdown(mut server: ServerProcess) {
    let mut connection = redis_client(&server, "0");
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut connection);
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "the server stopped with {status}");
            return;
        }
        assert!(started.elapsed() < PATIENCE, "the server did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn info_persistence(connection: &mut Connection) -> String {
    redis::cmd("INFO")
        .arg("persistence")
        .query(connection)
        .unwrap()
}

/// Waits until the append-only file is on and no rewrite is running or scheduled.
fn wait_for_rewrite(connection: &mut Connection) {
    let started = Instant::now();
    loop {
        let info = info_persistence(connection);
        let done = [
            "aof_enabled:1",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:0",
        ]
        .iter()
        .all(|field| info.contains(&format!("{field}\r\n")));
        if done {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the rewrite did not end:\n{info}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bgrewriteaof(connection: &mut Connection) {
    let reply: String = redis::cmd("BGREWRITEAOF").query(connection).unwrap();
    assert!(reply.contains("rewriting"), "{reply}");
    wait_for_rewrite(connection);
}

/// Starts Redis with `dir` as its `dir` and its log in `dir/redis.log`, and waits until it has
/// loaded its data (it answers INFO while loading, most else with -LOADING).
fn start_redis_in(dir: &Path, extra: &[&str]) -> ServerProcess {
    let log = dir.join("redis.log");
    let (dir_text, log_text) = (dir.to_str().unwrap(), log.to_str().unwrap());
    let mut args = vec!["--dir", dir_text, "--logfile", log_text];
    args.extend_from_slice(extra);
    let server = start_redis(&args);
    wait_for_log(&log, "Ready to accept connections");
    server
}

/// One key as the test compares it: its type, its contents (sorted where the type has no
/// order) and its time to live in milliseconds (-1 without one).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    kind: String,
    contents: Vec<Vec<u8>>,
    ttl: i64,
}

/// Every key of the first `DATABASES` databases, by database and name.
type Snapshot = BTreeMap<(usize, Vec<u8>), Entry>;

const DATABASES: usize = 5;

fn snapshot(server: &ServerProcess) -> Snapshot {
    use redis::FromRedisValue;
    let mut all = Snapshot::new();
    for db in 0..DATABASES {
        let mut connection = redis_client(server, &db.to_string());
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
        // Pipelined, so that a snapshot takes little time and TTLs compare closely.
        for keys in keys.chunks(1000) {
            let mut pipe = redis::pipe();
            for key in keys {
                pipe.cmd("TYPE").arg(key);
            }
            let kinds: Vec<String> = pipe.query(&mut connection).unwrap();
            let mut pipe = redis::pipe();
            for (key, kind) in keys.iter().zip(&kinds) {
                match kind.as_str() {
                    "string" => pipe.cmd("GET").arg(key),
                    "list" => pipe.cmd("LRANGE").arg(key).arg(0).arg(-1),
                    "set" => pipe.cmd("SMEMBERS").arg(key),
                    "hash" => pipe.cmd("HGETALL").arg(key),
                    "zset" => pipe.cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES"),
                    other => panic!("unexpected type {other} of {key:?}"),
                };
                pipe.cmd("PTTL").arg(key);
            }
            let replies: Vec<redis::Value> = pipe.query(&mut connection).unwrap();
            let mut replies = replies.into_iter();
            for (key, kind) in keys.iter().zip(kinds) {
                let (value, ttl) = (replies.next().unwrap(), replies.next().unwrap());
                let mut contents = match kind.as_str() {
                    "string" => vec![Vec::<u8>::from_redis_value(value).unwrap()],
                    _ => Vec::<Vec<u8>>::from_redis_value(value).unwrap(),
                };
                if kind == "set" {
                    contents.sort();
                }
                if kind == "hash" {
                    let mut pairs: Vec<Vec<Vec<u8>>> =
                        contents.chunks(2).map(<[_]>::to_vec).collect();
                    pairs.sort();
                    contents = pairs.concat();
                }
                let ttl = i64::from_redis_value(ttl).unwrap();
                all.insert(
                    (db, key.clone()),
                    Entry {
                        kind,
                        contents,
                        ttl,
                    },
                );
            }
        }
    }
    all
}

/// How far apart two snapshots' TTLs may be: the time between taking them.
const TTL_SLACK_MS: i64 = 10_000;

/// `actual` holds exactly `expected`'s keys with the same types and contents, and TTLs within
/// `TTL_SLACK_MS`.
fn assert_same(actual: &Snapshot, expected: &Snapshot, what: &str) {
    let missing: Vec<_> = expected
        .keys()
        .filter(|key| !actual.contains_key(*key))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|key| !expected.contains_key(*key))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, not expected {extra:?}"
    );
    for (key, want) in expected {
        let got = &actual[key];
        assert_eq!(
            (&got.kind, &got.contents),
            (&want.kind, &want.contents),
            "{what}: {key:?}"
        );
        let ttl_close = match (got.ttl, want.ttl) {
            (-1, -1) => true,
            (got, want) => got >= 0 && want >= 0 && (got - want).abs() <= TTL_SLACK_MS,
        };
        assert!(
            ttl_close,
            "{what}: {key:?} has TTL {} ms, expected {} ms",
            got.ttl, want.ttl
        );
    }
}

/// The files a manifest in `dir`'s `appendonlydir` names: the base, then the incremental files.
fn aof_files(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let aof_dir = dir.join("appendonlydir");
    let bytes = std::fs::read(aof_dir.join("appendonly.aof.manifest")).expect("a manifest");
    let manifest = Manifest::parse(&bytes).expect("a sound manifest");
    let base = aof_dir.join(&manifest.base.expect("a base").name);
    let incrs = manifest
        .incrs
        .iter()
        .map(|incr| aof_dir.join(&incr.name))
        .collect();
    (base, incrs)
}

/// The last incremental file, where the latest commands are.
fn last_incr(dir: &Path) -> PathBuf {
    aof_files(dir).1.pop().expect("an incremental file")
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Runs ferrodis-check-aof with `args`, `input` on its standard input: success, and what it
/// printed.
fn check_aof(args: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-check-aof"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The checker reads its standard input only when it asks; it may be gone before that.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn manifest_path(dir: &Path) -> String {
    dir.join("appendonlydir/appendonly.aof.manifest")
        .to_str()
        .unwrap()
        .to_string()
}

/// Copies the files of `from` (not its directories) into a new directory `to`.
fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn ok(connection: &mut Connection, command: &mut redis::Cmd) {
    let _: redis::Value = command.query(connection).unwrap();
}

#[test]
fn every_acknowledged_write_survives_kill_9_under_appendfsync_always() {
    let dir = Scratch::new();
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let (server, _) = start(&dir.0, &args);
    let mut connection = redis_client(&server, "0");
    // Writes are promised durable once the first rewrite, which creates the files, is done.
    wait_for_rewrite(&mut connection);

    // A second client increments a counter as fast as it can, through the kill: every INCR it
    // saw answered must be there afterwards.
    let acknowledged = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let racer = {
        let mut other = redis_client(&server, "1");
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        std::thread::spawn(move || {
            for _ in 0..10_000_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match redis::cmd("INCR").arg("racer").query::<i64>(&mut other) {
                    Ok(value) => acknowledged.store(value, Ordering::Relaxed),
                    Err(_) => break,
                }
            }
        })
    };

    for i in 0..800 {
        let key = format!("k{i}");
        let mut command = match i % 9 {
            0 => redis::cmd("SET")
                .arg(&key)
                .arg(format!("value {i}"))
                .clone(),
            1 => redis::cmd("INCR").arg("counter").clone(),
            2 => redis::cmd("RPUSH").arg("list").arg(i).clone(),
            3 => redis::cmd("HSET")
                .arg("hash")
                .arg(format!("f{i}"))
                .arg(i)
                .clone(),
            4 => redis::cmd("SADD").arg("set").arg(format!("m{i}")).clone(),
            5 => redis::cmd("ZADD")
                .arg("zset")
                .arg(i as f64 / 3.0)
                .arg(format!("m{i}"))
                .clone(),
            6 => redis::cmd("EXPIRE")
                .arg(format!("k{}", i - 6))
                .arg(1000 + i)
                .clone(),
            7 => redis::cmd("SET")
                .arg(&key)
                .arg("expiring")
                .arg("PX")
                .arg(3_000_000)
                .clone(),
            _ => {
                let results: Vec<redis::Value> = redis::pipe()
                    .atomic()
                    .cmd("INCRBY")
                    .arg("tx")
                    .arg(i)
                    .cmd("LPUSH")
                    .arg("txlist")
                    .arg(i)
                    .cmd("DEL")
                    .arg(format!("k{}", i - 8))
                    .query(&mut connection)
                    .unwrap();
                assert_eq!(results.len(), 3);
                continue;
            }
        };
        ok(&mut connection, &mut command);
    }
    // The acknowledged state of everything but the counter still moving.
    let expected = snapshot(&server);
    assert!(expected.len() > 90, "{}", expected.len());
    // Let the racer run a moment more, then kill the server under it.
    std::thread::sleep(Duration::from_millis(50));
    kill_9(server);
    stop.store(true, Ordering::Relaxed);
    racer.join().unwrap();
    let raced = acknowledged.load(Ordering::Relaxed);
    assert!(raced > 0, "the racer got no reply");

    let (again, log) = start(&dir.0, &["--appendonly", "yes"]);
    let mut actual = snapshot(&again);
    let racer_entry = actual
        .remove(&(1, b"racer".to_vec()))
        .expect("the racer's counter is there");
    let counted: i64 = String::from_utf8_lossy(&racer_entry.contents[0])
        .parse()
        .unwrap();
    assert!(
        counted >= raced && counted <= raced + 1,
        "the counter is {counted}, its last acknowledged INCR answered {raced}"
    );
    let mut expected = expected;
    expected.retain(|(db, key), _| !(*db == 1 && key == b"racer"));
    assert_same(&actual, &expected, "after kill -9");
    assert!(
        read_log(&log).contains("DB loaded from append only file"),
        "{}",
        read_log(&log)
    );
}

/// Fills a server with a few keys of each type, some with a TTL, for the file tests.
fn fill_small(connection: &mut Connection) {
    let mut pipe = redis::pipe();
    for i in 0..50 {
        pipe.cmd("SET").arg(format!("s{i}")).arg(i);
        pipe.cmd("RPUSH").arg("list").arg(i);
        pipe.cmd("HSET").arg("hash").arg(format!("f{i}")).arg(i);
    }
    pipe.cmd("SADD").arg("set").arg(&["a", "b", "c"]);
    pipe.cmd("ZADD").arg("zset").arg(&["1", "a", "2", "b"]);
    pipe.cmd("EXPIRE").arg("s1").arg(100_000);
    pipe.query::<()>(connection).unwrap();
}

/// A server in `dir` with a few keys written through the append-only file, stopped cleanly:
/// the data it held.
fn written_and_stopped(dir: &Path) -> Snapshot {
    let (server, _) = start(dir, &["--appendonly", "yes"]);
    let mut connection = redis_client(&server, "0");
    wait_for_rewrite(&mut connection);
    fill_small(&mut connection);
    let expected = snapshot(&server);
    shutdown(server);
    expected
}

#[test]
fn a_cut_off_or_zero_filled_tail_is_trimmed_at_start_or_refused() {
    let tails: [&[u8]; 2] = [b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$5\r\nva", &[0u8; 37]];
    for tail in tails {
        let dir = Scratch::new();
        let expected = written_and_stopped(&dir.0);
        let incr = last_incr(&dir.0);
        let whole = file_len(&incr);
        append(&incr, tail);

        // With aof-load-truncated no, the start stops and the file is left as it is.
        let (code, log) = start_fails(
            &dir.0,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        );
        assert_ne!(code, Some(0), "{log}");
        assert!(log.contains("Unexpected end of file"), "{log}");
        assert_eq!(file_len(&incr), whole + tail.len() as u64);

        // By default the start drops the cut command, says so, and truncates the file.
        let (server, log) = start(&dir.0, &["--appendonly", "yes"]);
        wait_for_log(&log, "!!! Warning: short read while loading the AOF file");
        assert_eq!(
            file_len(&incr),
            whole,
            "the file is truncated to its whole commands"
        );
        assert_same(&snapshot(&server), &expected, "after the trimmed tail");

        // Appends go on after the trimmed end, and the next start reads them.
        let mut connection = redis_client(&server, "0");
        ok(&mut connection, redis::cmd("SET").arg("after").arg("trim"));
        let expected = snapshot(&server);
        kill_9(server);
        let (again, _) = start(
            &dir.0,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        );
        assert_same(&snapshot(&again), &expected, "after the next start");
    }
}

#[test]
fn a_corrupt_middle_stops_the_start_and_check_aof_fixes_only_a_cut_off_tail() {
    let dir = Scratch::new();
    let expected = written_and_stopped(&dir.0);
    let incr = last_incr(&dir.0);
    let good = std::fs::read(&incr).unwrap();
    let manifest = manifest_path(&dir.0);
    let name = incr.file_name().unwrap().to_str().unwrap().to_string();

    let (valid, report) = check_aof(&[&manifest], "");
    assert!(valid, "{report}");
    assert!(
        report.contains(&format!("INCR AOF {name} is valid")),
        "{report}"
    );
    assert!(
        report.contains("All AOF files and manifest are valid"),
        "{report}"
    );

    // Garbage between the first and the second command.
    let second = good
        .windows(3)
        .position(|window| window == b"\r\n*")
        .expect("two commands")
        + 2;
    let corrupt = [&good[..second], b"garbage!".as_slice(), &good[second..]].concat();
    std::fs::write(&incr, &corrupt).unwrap();
    let (code, log) = start_fails(&dir.0, &["--appendonly", "yes"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("Bad file format"), "{log}");
    assert!(
        log.contains(&name) && log.contains(&format!("at byte {second}")),
        "the log names the file and the offset {second}:\n{log}"
    );
    let (valid, report) = check_aof(&[&manifest], "");
    assert!(!valid, "{report}");
    assert!(
        report.contains(&format!("not valid at byte {second}")),
        "{report}"
    );
    let (fixed, report) = check_aof(&["--fix", &manifest], "y\n");
    assert!(!fixed, "{report}");
    assert!(report.contains("cannot be fixed"), "{report}");
    assert_eq!(
        std::fs::read(&incr).unwrap(),
        corrupt,
        "--fix left it alone"
    );

    // A cut-off tail: reported, left alone without a yes, truncated with one.
    let cut = [&good[..], b"*2\r\n$3\r\nDEL\r\n$2\r\ns"].concat();
    std::fs::write(&incr, &cut).unwrap();
    let (valid, report) = check_aof(&[&manifest], "");
    assert!(!valid, "{report}");
    assert!(report.contains("Use the --fix option"), "{report}");
    let (fixed, report) = check_aof(&["--fix", &manifest], "n\n");
    assert!(!fixed && report.contains("Aborting"), "{report}");
    assert_eq!(file_len(&incr), cut.len() as u64);
    let (fixed, report) = check_aof(&["--fix", &manifest], "y\n");
    assert!(fixed, "{report}");
    assert!(report.contains("Continue? [y/N]"), "{report}");
    assert!(
        report.contains(&format!("Successfully truncated AOF {name}")),
        "{report}"
    );
    assert_eq!(std::fs::read(&incr).unwrap(), good);

    // A transaction without its EXEC at the end is dropped by loading: --fix cuts it off too.
    let open = [
        &good[..],
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\ns1\r\n$1\r\nx\r\n",
    ]
    .concat();
    std::fs::write(&incr, &open).unwrap();
    let (valid, report) = check_aof(&[incr.to_str().unwrap()], "");
    assert!(!valid, "{report}");
    assert!(
        report.contains("Reached EOF before reading EXEC for MULTI"),
        "{report}"
    );
    let (fixed, report) = check_aof(&["--fix", incr.to_str().unwrap()], "Y\n");
    assert!(fixed, "{report}");
    assert_eq!(std::fs::read(&incr).unwrap(), good);

    // A command the server does not know stops loading: the checker says which and where.
    let unknown = [&good[..], b"*2\r\n$4\r\nXADD\r\n$1\r\ns\r\n"].concat();
    std::fs::write(&incr, &unknown).unwrap();
    let (valid, report) = check_aof(&["--fix", incr.to_str().unwrap()], "y\n");
    assert!(!valid, "{report}");
    assert!(report.contains("Unknown command 'XADD'"), "{report}");
    assert!(
        report.contains(&format!("not valid at byte {}", good.len())),
        "{report}"
    );
    std::fs::write(&incr, &good).unwrap();

    // The fixed file loads, and Redis's checker agrees it is valid.
    let (server, _) = start(
        &dir.0,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert_same(&snapshot(&server), &expected, "after --fix");
    let output = Command::new("redis-check-aof")
        .arg(&manifest)
        .output()
        .expect("redis-check-aof runs (CI installs redis-tools)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
}

/// Writes keys of every type into several databases, with TTLs, in Redis's encodings small
/// and big.
/// A function library the files must keep: its function answers 42.
const LIBRARY: &str =
    "#!lua name=aoflib\nredis.register_function('aofnum', function() return 42 end)";

/// What the library's function answers on `server` (an error when the library is missing).
fn library_answer(server: &ServerProcess) -> redis::RedisResult<i64> {
    let mut connection = redis_client(server, "0");
    redis::cmd("FCALL")
        .arg("aofnum")
        .arg(0)
        .query(&mut connection)
}

fn write_before_rewrite(connection: &mut Connection) {
    let mut pipe = redis::pipe();
    pipe.cmd("FUNCTION").arg("LOAD").arg(LIBRARY);
    pipe.cmd("SET").arg("str").arg("hello");
    pipe.cmd("SET").arg("int").arg(12345);
    pipe.cmd("SET").arg("big").arg("x".repeat(500));
    pipe.cmd("SET")
        .arg("bin")
        .arg((0..=255u8).collect::<Vec<u8>>());
    pipe.cmd("SET").arg("ttl_str").arg("v").arg("EX").arg(1000);
    pipe.cmd("INCRBYFLOAT").arg("float").arg("1.5");
    pipe.cmd("SETBIT").arg("bits").arg(100).arg(1);
    pipe.cmd("PFADD").arg("hll").arg(&["a", "b", "c"]);
    pipe.cmd("RPUSH")
        .arg("list")
        .arg(&["a", "b", "c", "1", "2", "3"]);
    let many: Vec<String> = (0..300).map(|i| format!("element-{i}")).collect();
    pipe.cmd("RPUSH").arg("biglist").arg(&many);
    pipe.cmd("SADD").arg("intset").arg(&[1, 2, 3]);
    pipe.cmd("SADD").arg("set").arg(&["a", "b", "c"]);
    pipe.cmd("SADD").arg("bigset").arg(&many);
    pipe.cmd("HSET").arg("hash").arg(&["f", "v", "n", "1"]);
    let mut pairs = Vec::new();
    for i in 0..300 {
        pairs.push(format!("f{i}"));
        pairs.push(format!("value {i}"));
    }
    pipe.cmd("HSET").arg("bighash").arg(&pairs);
    pipe.cmd("ZADD")
        .arg("zset")
        .arg(&["1", "a", "2.5", "b", "-inf", "c"]);
    let mut items = Vec::new();
    for i in 0..300 {
        items.push(format!("{}", i as f64 / 7.0));
        items.push(format!("member-{i}"));
    }
    pipe.cmd("ZADD").arg("bigzset").arg(&items);
    pipe.cmd("EXPIRE").arg("hash").arg(2000);
    pipe.cmd("PEXPIRE").arg("bigzset").arg(3_000_000);
    pipe.cmd("SELECT").arg(2);
    pipe.cmd("SET").arg("other").arg(1);
    pipe.cmd("RPUSH").arg("otherlist").arg("x");
    pipe.cmd("EXPIRE").arg("otherlist").arg(500);
    pipe.cmd("SELECT").arg(1);
    pipe.cmd("SET").arg("flushed").arg(1);
    pipe.cmd("SELECT").arg(0);
    pipe.query::<()>(connection).unwrap();
}

/// Changes most of what `write_before_rewrite` wrote, so that the incremental file after the
/// rewrite matters.
fn write_after_rewrite(connection: &mut Connection) {
    let mut pipe = redis::pipe();
    pipe.cmd("APPEND").arg("str").arg(" world");
    pipe.cmd("INCRBY").arg("int").arg(5);
    pipe.cmd("DEL").arg("big");
    pipe.cmd("RENAME").arg("bin").arg("bin2");
    pipe.cmd("INCRBYFLOAT").arg("float").arg("0.25");
    pipe.cmd("SETRANGE").arg("bits").arg(0).arg("ab");
    pipe.cmd("PFADD").arg("hll").arg(&["d", "e"]);
    pipe.cmd("LPUSH").arg("list").arg("z");
    pipe.cmd("LPOP").arg("biglist");
    pipe.cmd("LTRIM").arg("biglist").arg(0).arg(199);
    pipe.cmd("SREM").arg("set").arg("a");
    pipe.cmd("SADD").arg("intset").arg(70000);
    pipe.cmd("SREM")
        .arg("bigset")
        .arg(&["element-5", "element-6"]);
    pipe.cmd("HDEL").arg("bighash").arg("f0");
    pipe.cmd("HINCRBY").arg("hash").arg("n").arg(2);
    pipe.cmd("PERSIST").arg("hash");
    pipe.cmd("ZINCRBY").arg("zset").arg(1).arg("a");
    pipe.cmd("ZREM").arg("bigzset").arg("member-1");
    pipe.cmd("ZPOPMIN").arg("bigzset");
    pipe.cmd("EXPIRE").arg("set").arg(4000);
    pipe.cmd("SET").arg("gone").arg("v").arg("PX").arg(1);
    pipe.cmd("EXPIREAT").arg("int").arg(4_000_000_000u64);
    pipe.cmd("MULTI");
    pipe.cmd("SET").arg("tx").arg(1);
    pipe.cmd("INCR").arg("tx");
    pipe.cmd("RPUSH").arg("txlist").arg("a");
    pipe.cmd("EXEC");
    pipe.cmd("SWAPDB").arg(2).arg(3);
    pipe.cmd("SELECT").arg(1);
    pipe.cmd("FLUSHDB");
    pipe.cmd("SET").arg("after_flush").arg(1);
    pipe.cmd("SELECT").arg(4);
    pipe.cmd("HSET").arg("late").arg("f").arg("v");
    pipe.cmd("SELECT").arg(0);
    pipe.query::<()>(connection).unwrap();
    // The key written with a 1 ms TTL is gone before anyone compares.
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn redis_loads_ferrodis_files_and_ferrodis_loads_redis_files() {
    for preamble in ["yes", "no"] {
        // Redis writes (a rewrite, then more writes), ferrodis loads a copy.
        let redis_dir = Scratch::new();
        let redis_args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        let redis_server = start_redis_in(&redis_dir.0, &redis_args);
        let mut redis = redis_client(&redis_server, "0");
        wait_for_rewrite(&mut redis);
        write_before_rewrite(&mut redis);
        bgrewriteaof(&mut redis);
        write_after_rewrite(&mut redis);
        let expected = snapshot(&redis_server);
        assert!(expected.len() > 20, "{expected:?}");
        shutdown(redis_server);
        let (base, incrs) = aof_files(&redis_dir.0);
        let base_name = base.file_name().unwrap().to_str().unwrap();
        let rdb = if preamble == "yes" { "rdb" } else { "aof" };
        assert!(base_name.ends_with(&format!(".base.{rdb}")), "{base_name}");
        assert!(file_len(&incrs[0]) > 0, "Redis wrote after its rewrite");

        let ours = Scratch::new();
        copy_files(
            &redis_dir.0.join("appendonlydir"),
            &ours.0.join("appendonlydir"),
        );
        let (valid, report) = check_aof(&[&manifest_path(&ours.0)], "");
        assert!(valid, "ferrodis-check-aof on Redis's files:\n{report}");
        let (ferrodis_server, _) = start(&ours.0, &["--appendonly", "yes"]);
        assert_same(
            &snapshot(&ferrodis_server),
            &expected,
            &format!("ferrodis loading Redis's files (preamble {preamble})"),
        );
        assert_eq!(library_answer(&ferrodis_server).ok(), Some(42));
        drop(ferrodis_server);

        // ferrodis writes (a rewrite, then more writes), Redis loads a copy.
        let dir = Scratch::new();
        let (ferrodis_server, _) = start(
            &dir.0,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        );
        let mut ferrodis = redis_client(&ferrodis_server, "0");
        wait_for_rewrite(&mut ferrodis);
        write_before_rewrite(&mut ferrodis);
        bgrewriteaof(&mut ferrodis);
        write_after_rewrite(&mut ferrodis);
        let expected_ours = snapshot(&ferrodis_server);
        assert_same(
            &expected_ours,
            &expected,
            "ferrodis and Redis hold the same",
        );
        shutdown(ferrodis_server);
        let (base, incrs) = aof_files(&dir.0);
        let base_name = base.file_name().unwrap().to_str().unwrap();
        assert!(base_name.ends_with(&format!(".base.{rdb}")), "{base_name}");
        let starts_as_rdb = std::fs::read(&base).unwrap().starts_with(b"REDIS");
        assert_eq!(starts_as_rdb, preamble == "yes", "{base_name}");
        assert!(file_len(&incrs[0]) > 0, "ferrodis wrote after its rewrite");

        let theirs = Scratch::new();
        copy_files(
            &dir.0.join("appendonlydir"),
            &theirs.0.join("appendonlydir"),
        );
        let output = Command::new("redis-check-aof")
            .arg(manifest_path(&theirs.0))
            .output()
            .expect("redis-check-aof runs (CI installs redis-tools)");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "redis-check-aof on ferrodis's files:\n{report}"
        );
        let (valid, report) = check_aof(&[&manifest_path(&theirs.0)], "");
        assert!(valid, "{report}");
        let redis_server = start_redis_in(&theirs.0, &["--appendonly", "yes"]);
        assert_same(
            &snapshot(&redis_server),
            &expected_ours,
            &format!("Redis loading ferrodis's files (preamble {preamble})"),
        );
        assert_eq!(library_answer(&redis_server).ok(), Some(42));
    }
}

#[test]
fn config_set_appendonly_yes_at_runtime_makes_the_data_durable() {
    let dir = Scratch::new();
    let (server, _) = start(&dir.0, &[]);
    let mut connection = redis_client(&server, "0");
    let mut pipe = redis::pipe();
    for i in 0..5000 {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i);
    }
    let fields: Vec<String> = (0..2000).map(|i| format!("f{i}")).collect();
    pipe.cmd("SADD").arg("members").arg(&fields);
    pipe.cmd("SET").arg("ttl").arg("v").arg("EX").arg(10_000);
    pipe.query::<()>(&mut connection).unwrap();
    let info = info_persistence(&mut connection);
    assert!(info.contains("aof_enabled:0\r\n"), "{info}");

    ok(
        &mut connection,
        redis::cmd("CONFIG").arg("SET").arg("appendonly").arg("yes"),
    );
    // Writes while the rewrite runs, and after it.
    ok(&mut connection, redis::cmd("SET").arg("during").arg(1));
    ok(&mut connection, redis::cmd("DEL").arg("key:0"));
    wait_for_rewrite(&mut connection);
    assert!(aof_files(&dir.0).0.exists());
    for i in 0..200 {
        ok(&mut connection, redis::cmd("RPUSH").arg("after").arg(i));
    }
    ok(&mut connection, redis::cmd("EXPIRE").arg("key:1").arg(5000));
    let expected = snapshot(&server);
    kill_9(server);

    let (again, _) = start(&dir.0, &["--appendonly", "yes"]);
    assert_same(
        &snapshot(&again),
        &expected,
        "after CONFIG SET appendonly yes",
    );
}

/// An append-only directory in `scratch` with one incremental file of `keys` SETs, named by a
/// manifest of its own.
fn incremental_file_of_sets(scratch: &Scratch, keys: usize) {
    let dir = scratch.0.join("appendonlydir");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = Vec::with_capacity(keys * 40);
    for index in 0..keys {
        let key = format!("key:{index}");
        bytes.extend_from_slice(&common::encode(&[b"SET", key.as_bytes(), b"v"]));
    }
    std::fs::write(dir.join("appendonly.aof.1.incr.aof"), &bytes).unwrap();
    std::fs::write(
        dir.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
}

/// A connection to `port` as soon as it takes connections (before "Ready", which comes after
/// loading).
fn connect_while_loading(port: u16, started: Instant) -> std::net::TcpStream {
    let stream = loop {
        if let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break stream;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the port never took a connection"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

#[test]
fn clients_get_loading_while_the_file_loads_and_the_data_after() {
    let scratch = Scratch::new();
    const KEYS: usize = 400_000;
    incremental_file_of_sets(&scratch, KEYS);
    let port = common::free_port();
    let (child, log) = spawn_ferrodis(
        &scratch.0,
        &["--port", &port.to_string(), "--appendonly", "yes"],
    );
    let server = ServerProcess {
        child,
        port,
        dir: None,
    };
    let started = Instant::now();
    let mut stream = connect_while_loading(port, started);
    let first = common::call_text(&mut stream, &["PING"]);
    assert_eq!(first, "-LOADING Redis is loading the dataset in memory\r\n");
    let info = common::call_text(&mut stream, &["INFO", "persistence"]);
    assert!(info.contains("loading:1\r\n"), "{info}");
    let mut loading_replies = 1;
    loop {
        match common::call_text(&mut stream, &["DBSIZE"]).as_str() {
            "-LOADING Redis is loading the dataset in memory\r\n" => loading_replies += 1,
            reply => {
                assert_eq!(reply, format!(":{KEYS}\r\n"));
                break;
            }
        }
        assert!(started.elapsed() < PATIENCE * 3, "still loading");
        std::thread::sleep(Duration::from_millis(1));
    }
    let info = common::call_text(&mut stream, &["INFO", "persistence"]);
    assert!(info.contains("loading:0\r\n"), "{info}");
    let text = wait_for_log(&log, "Ready to accept connections");
    assert!(text.contains("DB loaded from append only file"), "{text}");
    eprintln!("{loading_replies} replies were -LOADING");
    drop(stream);
    shutdown(server);
}

#[test]
fn redis_6s_single_file_becomes_the_base_as_redis_7_takes_it() {
    // An RDB preamble from Redis (keys with and without deadlines), then commands.
    let scratch = Scratch::new();
    let source = scratch.0.join("source");
    std::fs::create_dir_all(&source).unwrap();
    let redis = start_redis_in(&source, &[]);
    let mut connection = redis_client(&redis, "0");
    fill_small(&mut connection);
    ok(&mut connection, &mut redis::cmd("SAVE"));
    shutdown(redis);
    let mut preamble = std::fs::read(source.join("dump.rdb")).unwrap();
    let commands: [&[&[u8]]; 3] = [
        &[b"SET", b"after-the-preamble", b"1"],
        &[b"SELECT", b"2"],
        &[b"RPUSH", b"list-in-2", b"a", b"b"],
    ];
    for command in commands {
        preamble.extend_from_slice(&common::encode(command));
    }
    let commands_only: Vec<u8> = commands
        .iter()
        .flat_map(|command| common::encode(command))
        .collect();
    for (what, file) in [("preamble", preamble), ("commands", commands_only)] {
        let (ours, theirs) = (
            scratch.0.join(format!("ours-{what}")),
            scratch.0.join(format!("theirs-{what}")),
        );
        for dir in [&ours, &theirs] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("appendonly.aof"), &file).unwrap();
        }
        let redis = start_redis_in(&theirs, &["--appendonly", "yes"]);
        let expected = snapshot(&redis);
        shutdown(redis);
        assert!(expected.contains_key(&(2, b"list-in-2".to_vec())), "{what}");
        let (server, log) = start(&ours, &["--appendonly", "yes"]);
        assert_same(&snapshot(&server), &expected, what);
        assert!(
            read_log(&log).contains("migrated an old-style AOF"),
            "{what}"
        );
        assert!(!ours.join("appendonly.aof").exists(), "{what}: moved");
        let manifest =
            std::fs::read_to_string(ours.join("appendonlydir/appendonly.aof.manifest")).unwrap();
        assert!(
            manifest.starts_with("file appendonly.aof seq 1 type b\n"),
            "{what}: {manifest}"
        );
        shutdown(server);
        // It stays the base at the next start.
        let (server, _) = start(&ours, &["--appendonly", "yes"]);
        assert_same(&snapshot(&server), &expected, what);
        shutdown(server);
    }
}

#[test]
fn check_aof_checks_the_commands_after_an_rdb_preamble() {
    let scratch = Scratch::new();
    let (server, _) = start(&scratch.0, &[]);
    let mut connection = redis_client(&server, "0");
    fill_small(&mut connection);
    ok(&mut connection, &mut redis::cmd("SAVE"));
    shutdown(server);
    let mut file = std::fs::read(scratch.0.join("dump.rdb")).unwrap();
    let preamble = file.len() as u64;
    file.extend_from_slice(&common::encode(&[b"SET", b"after", b"1"]));
    let whole = file.len() as u64;
    let path = scratch.0.join("single.aof");
    let path_text = path.to_str().unwrap();

    std::fs::write(&path, &file).unwrap();
    let (valid, report) = check_aof(&[path_text], "");
    assert!(valid, "{report}");
    assert!(report.contains(&format!("byte {preamble}")), "{report}");

    // A command cut off after the preamble: found, and cut away by --fix.
    let mut cut = file.clone();
    cut.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk");
    std::fs::write(&path, &cut).unwrap();
    let (valid, report) = check_aof(&[path_text], "");
    assert!(!valid, "{report}");
    assert!(report.contains(&format!("ok_up_to={whole}")), "{report}");
    let (valid, report) = check_aof(&["--fix", path_text], "y\n");
    assert!(valid, "{report}");
    assert_eq!(file_len(&path), whole);

    // Garbage after the preamble's commands: not fixable by truncating.
    let mut corrupt = file.clone();
    corrupt.extend_from_slice(b"garbage\r\n");
    corrupt.extend_from_slice(&common::encode(&[b"SET", b"later", b"2"]));
    std::fs::write(&path, &corrupt).unwrap();
    let (valid, report) = check_aof(&["--fix", path_text], "y\n");
    assert!(!valid, "{report}");
    assert!(
        report.contains(&format!("not valid at byte {whole}")),
        "{report}"
    );
    assert_eq!(file_len(&path), corrupt.len() as u64);
}

#[test]
fn key_load_delay_slows_loading_and_is_hidden_from_patterns() {
    let scratch = Scratch::new();
    const KEYS: usize = 1000;
    incremental_file_of_sets(&scratch, KEYS);
    let port = common::free_port();
    let started = Instant::now();
    // 1 ms per command: the load takes a second at least.
    let (child, _log) = spawn_ferrodis(
        &scratch.0,
        &[
            "--port",
            &port.to_string(),
            "--appendonly",
            "yes",
            "--key-load-delay",
            "1000",
        ],
    );
    let server = ServerProcess {
        child,
        port,
        dir: None,
    };
    let mut stream = connect_while_loading(port, started);
    loop {
        match common::call_text(&mut stream, &["DBSIZE"]).as_str() {
            "-LOADING Redis is loading the dataset in memory\r\n" => {}
            reply => {
                assert_eq!(reply, format!(":{KEYS}\r\n"));
                break;
            }
        }
        assert!(started.elapsed() < PATIENCE * 3, "still loading");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(started.elapsed() >= Duration::from_millis(KEYS as u64));
    let named = common::call_text(&mut stream, &["CONFIG", "GET", "key-load-delay"]);
    assert_eq!(named, "*2\r\n$14\r\nkey-load-delay\r\n$4\r\n1000\r\n");
    let all = common::call_text(&mut stream, &["CONFIG", "GET", "*"]);
    assert!(all.contains("appendonly") && !all.contains("key-load-delay"));
    drop(stream);
    shutdown(server);
}
