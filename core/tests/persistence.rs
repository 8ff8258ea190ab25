//! RDB saves through the core's disk requests, with an in-memory disk: a background save
//! holds the data as it was when it began whatever the clients write meanwhile, the file loads
//! back into a new server with the same data, and a failing disk is reported and refuses
//! writes until a save succeeds.

mod common;

use std::collections::BTreeMap;

use common::{request, Harness};
use ferrodis_core::{CloseReason, Config, ConnectionId, DiskRequest, Output, Server};

/// A disk in memory: files by path, the open ones being written.
#[derive(Default)]
struct Disk {
    files: BTreeMap<String, Vec<u8>>,
    open: BTreeMap<String, Vec<u8>>,
    /// Requests served so far; the one numbered `fail_at` fails.
    served: usize,
    fail_at: Option<usize>,
    requests: Vec<DiskRequest>,
}

impl Disk {
    /// How many writes the save made.
    fn writes(&self) -> usize {
        self.requests
            .iter()
            .filter(|request| matches!(request, DiskRequest::Write { .. }))
            .count()
    }

    fn perform(&mut self, request: DiskRequest) -> Result<(), String> {
        self.served += 1;
        self.requests.push(request.clone());
        if self.fail_at == Some(self.served) {
            return Err("No space left on device".to_string());
        }
        match request {
            DiskRequest::Create { path } => {
                self.open.insert(path, Vec::new());
            }
            DiskRequest::Write { path, bytes } => {
                self.open.get_mut(&path).ok_or("not open")?.extend(bytes);
            }
            DiskRequest::Sync { .. } | DiskRequest::SyncDir { .. } => {}
            DiskRequest::Close { path } => {
                let bytes = self.open.remove(&path).ok_or("not open")?;
                self.files.insert(path, bytes);
            }
            DiskRequest::Rename { from, to } => {
                let bytes = self.files.remove(&from).ok_or("no such file")?;
                self.files.insert(to, bytes);
            }
            DiskRequest::Remove { path } => {
                self.files.remove(&path);
            }
            // ACL LOAD and SAVE (tests/acl.rs), the append-only file (tests/aof.rs): no save
            // asks for them.
            DiskRequest::Read { .. }
            | DiskRequest::Replace { .. }
            | DiskRequest::Append { .. }
            | DiskRequest::SyncFile { .. }
            | DiskRequest::CreateDir { .. } => return Err("not a request of a save".to_string()),
        }
        Ok(())
    }
}

fn config() -> Config {
    Config {
        save_points: Vec::new(),
        databases: 4,
        dir: "data".to_string(),
        // Uncompressed, the image takes many pieces.
        rdb_compression: false,
        ..Config::default()
    }
}

/// Sends one command and returns its reply.
fn call(harness: &mut Harness, id: ConnectionId, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
    harness.send(id, &request(&args));
    harness.take_replies(id)
}

/// Every key of every database with its type, contents (in a fixed order) and deadline.
fn everything(harness: &mut Harness, id: ConnectionId) -> Vec<String> {
    let mut all = Vec::new();
    for db in 0..4 {
        call(harness, id, &["SELECT", &db.to_string()]);
        let keys = call(harness, id, &["KEYS", "*"]);
        let mut names: Vec<String> = keys
            .split("\r\n")
            .filter(|line| !line.starts_with('*') && !line.starts_with('$') && !line.is_empty())
            .map(str::to_string)
            .collect();
        names.sort();
        for key in names {
            let kind = call(harness, id, &["TYPE", &key]);
            let mut contents: Vec<String> = match kind.as_str() {
                "+string\r\n" => vec![call(harness, id, &["GET", &key])],
                "+list\r\n" => vec![call(harness, id, &["LRANGE", &key, "0", "-1"])],
                "+set\r\n" => call(harness, id, &["SMEMBERS", &key])
                    .split("\r\n")
                    .map(str::to_string)
                    .collect(),
                "+hash\r\n" => call(harness, id, &["HGETALL", &key])
                    .split("\r\n")
                    .collect::<Vec<_>>()
                    .chunks(4)
                    .map(|pair| pair.join("|"))
                    .collect(),
                _ => vec![call(
                    harness,
                    id,
                    &["ZRANGE", &key, "0", "-1", "WITHSCORES"],
                )],
            };
            contents.sort();
            let deadline = call(harness, id, &["PEXPIRETIME", &key]);
            all.push(format!("{db} {key} {kind} {deadline} {contents:?}"));
        }
    }
    call(harness, id, &["SELECT", "0"]);
    all
}

/// Thousands of keys of every type over two databases, some with deadlines.
fn fill(harness: &mut Harness, id: ConnectionId) {
    for i in 0..3000 {
        let key = format!("key:{i}");
        let value = format!("value {i} {}", "x".repeat(i % 190));
        match i % 6 {
            0 => call(harness, id, &["SET", &key, &value]),
            1 => call(harness, id, &["RPUSH", &key, "a", &value, "17"]),
            2 => call(harness, id, &["SADD", &key, &i.to_string(), "99"]),
            3 => call(harness, id, &["HSET", &key, "f", &value, "n", "1"]),
            4 => call(harness, id, &["ZADD", &key, "1.5", &value, "-3", "m"]),
            _ => call(harness, id, &["SET", &key, &value, "PX", "100000000"]),
        };
    }
    for i in 0..2000 {
        call(
            harness,
            id,
            &["HSET", "bighash", &format!("field {i}"), "v"],
        );
        call(
            harness,
            id,
            &["ZADD", "bigzset", &i.to_string(), &format!("m{i}")],
        );
    }
    call(harness, id, &["SELECT", "1"]);
    for i in 0..500 {
        call(harness, id, &["SET", &format!("one:{i}"), &i.to_string()]);
    }
    call(harness, id, &["SELECT", "0"]);
}

/// Serves the disk requests until a save ends, running `between` before each answer.
fn run_save(
    harness: &mut Harness,
    disk: &mut Disk,
    mut between: impl FnMut(&mut Harness, usize),
) -> Vec<String> {
    let mut logs = Vec::new();
    let mut kept = Vec::new();
    for round in 0..100_000 {
        let outputs = std::mem::take(&mut harness.outputs);
        let mut requests = Vec::new();
        for output in outputs {
            match output {
                Output::Disk { token, request } => requests.push((token, request)),
                Output::Log { message, .. } => logs.push(message),
                other => kept.push(other),
            }
        }
        if requests.is_empty() && round > 0 {
            harness.outputs = kept;
            return logs;
        }
        for (token, request) in requests {
            between(harness, round);
            let result = disk.perform(request);
            harness.server.disk_done(harness.now, token, result);
            harness.drain();
        }
    }
    panic!("the save never ended");
}

#[test]
fn a_background_save_holds_the_data_as_it_was_when_it_began() {
    let mut harness = Harness::new(config());
    let id = harness.open();
    let writer = harness.open();
    fill(&mut harness, id);
    let expected = everything(&mut harness, id);
    assert_eq!(
        call(&mut harness, id, &["BGSAVE"]),
        "+Background saving started\r\n"
    );
    assert_eq!(
        call(&mut harness, id, &["BGSAVE"]),
        "-ERR Background save already in progress\r\n"
    );
    let mut disk = Disk::default();
    let logs = run_save(&mut harness, &mut disk, |harness, round| {
        // Every kind of change, to keys written already and keys not written yet.
        let key = format!("key:{}", (round * 37) % 3000);
        call(harness, writer, &["SET", &key, "changed"]);
        call(
            harness,
            writer,
            &["DEL", &format!("key:{}", (round * 53 + 7) % 3000)],
        );
        call(harness, writer, &["SET", &format!("new:{round}"), "new"]);
        call(
            harness,
            writer,
            &["HSET", "bighash", &format!("field {round}"), "changed"],
        );
        call(
            harness,
            writer,
            &["ZADD", "bigzset", "-1", &format!("m{round}")],
        );
        call(
            harness,
            writer,
            &["EXPIRE", &format!("key:{}", (round * 11) % 3000), "5"],
        );
        match round {
            1 => assert_eq!(call(harness, writer, &["SWAPDB", "1", "2"]), "+OK\r\n"),
            2 => {
                call(harness, writer, &["SELECT", "2"]);
                assert_eq!(call(harness, writer, &["FLUSHDB"]), "+OK\r\n");
                call(harness, writer, &["SELECT", "0"]);
            }
            _ => {}
        }
    });
    assert!(
        logs.iter()
            .any(|line| line == "Background saving terminated with success"),
        "{logs:?}"
    );
    let writes = disk.writes();
    assert!(writes > 3, "written in {writes} pieces");
    let file = disk.files.get("data/dump.rdb").expect("the file is there");
    assert_eq!(disk.files.len(), 1, "no temporary file is left");
    let info = call(&mut harness, id, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    assert!(info.contains("rdb_bgsave_in_progress:0"), "{info}");

    let mut loaded = Harness::new(config());
    let summary = loaded
        .server
        .load_rdb(loaded.now, file)
        .expect("the file loads");
    assert_eq!(summary.keys as usize, expected.len());
    let reader = loaded.open();
    assert_eq!(everything(&mut loaded, reader), expected);
}

#[test]
fn save_waits_for_the_file_and_the_file_loads_back() {
    let mut harness = Harness::new(config());
    let id = harness.open();
    let writer = harness.open();
    fill(&mut harness, id);
    // Big values: SAVE's image takes several pieces.
    for i in 0..3 {
        let value: String = (0..700_000)
            .map(|at| char::from(b'a' + ((at * 7 + i) % 26) as u8))
            .collect();
        call(&mut harness, id, &["SET", &format!("big:{i}"), &value]);
    }
    call(
        &mut harness,
        id,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=lib\nredis.register_function('seven', function() return 7 end)",
        ],
    );
    let expected = everything(&mut harness, id);
    harness.send(id, &request(&[b"SAVE"]));
    // No reply until the file is durable; the client's next command waits behind it.
    harness.send(id, &request(&[b"PING"]));
    assert_eq!(harness.take_replies(id), "");
    let mut disk = Disk::default();
    // Other clients are served meanwhile: the file holds the data as it was when SAVE ran.
    run_save(&mut harness, &mut disk, |harness, round| {
        let big = format!("big:{}", round % 3);
        call(harness, writer, &["APPEND", &big, "more"]);
        call(
            harness,
            writer,
            &["SET", &format!("key:{}", round * 37 % 3000), "changed"],
        );
        call(
            harness,
            writer,
            &["DEL", &format!("key:{}", round * 53 % 3000)],
        );
        call(harness, writer, &["HSET", "bighash", "field 1", "changed"]);
        call(harness, writer, &["SET", &format!("new:{round}"), "new"]);
        // The end of the driver's turn: the save makes its next piece ahead.
        harness.server.before_sleep(harness.now);
    });
    let writes = disk.writes();
    assert!(writes > 2, "written in {writes} pieces");
    harness.run_timers();
    assert_eq!(harness.take_replies(id), "+OK\r\n+PONG\r\n");
    let file = disk.files.get("data/dump.rdb").unwrap().clone();
    let mut loaded = Harness::new(config());
    loaded.server.load_rdb(loaded.now, &file).unwrap();
    // Functions load whatever a client would have to do first (a password, protected mode).
    let mut guarded = Harness::new(Config {
        requirepass: Some(b"pw".to_vec()),
        ..config()
    });
    guarded.server.load_rdb(guarded.now, &file).unwrap();
    let reader = loaded.open();
    assert_eq!(everything(&mut loaded, reader), expected);
    assert_eq!(
        call(&mut loaded, reader, &["FCALL", "seven", "0"]),
        ":7\r\n"
    );
    // A changed byte is refused with its offset; the checksum catches what parses.
    let mut broken = file.clone();
    let at = broken.len() / 2;
    broken[at] ^= 0x40;
    let mut fresh = Server::new(config(), loaded.now);
    assert!(fresh.load_rdb(loaded.now, &broken).is_err());
}

#[test]
fn a_full_sync_sends_the_data_then_closes_without_running_what_follows() {
    let mut harness = Harness::new(config());
    let id = harness.open();
    fill(&mut harness, id);
    let expected = everything(&mut harness, id);
    let mut pipeline = request(&[b"PSYNC", b"?", b"-1"]);
    pipeline.extend(request(&[b"SET", b"after", b"sync"]));
    harness.send(id, &pipeline);
    let bytes = harness.server.send_buffer(id).to_vec();
    assert_eq!(harness.closes(), vec![(id, CloseReason::Synced)]);
    let header_end = bytes.windows(2).position(|w| w == b"\r\n").unwrap();
    assert!(bytes.starts_with(b"+FULLRESYNC "));
    let rest = &bytes[header_end + 2..];
    let length_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
    let length: usize = std::str::from_utf8(&rest[1..length_end])
        .unwrap()
        .parse()
        .unwrap();
    // The file is the last thing sent, with no line end after it.
    let file = &rest[length_end + 2..];
    assert_eq!(file.len(), length);
    let mut loaded = Harness::new(config());
    loaded.server.load_rdb(loaded.now, file).unwrap();
    let reader = loaded.open();
    assert_eq!(everything(&mut loaded, reader), expected);
    let other = harness.open();
    assert_eq!(call(&mut harness, other, &["EXISTS", "after"]), ":0\r\n");
}

#[test]
fn a_failed_background_save_is_reported_and_refuses_writes_until_one_succeeds() {
    let mut harness = Harness::new(Config {
        save_points: vec![ferrodis_core::SavePoint {
            secs: 3600,
            changes: 1_000_000,
        }],
        ..config()
    });
    let id = harness.open();
    fill(&mut harness, id);
    call(&mut harness, id, &["BGSAVE"]);
    let mut disk = Disk {
        fail_at: Some(3),
        ..Disk::default()
    };
    let logs = run_save(&mut harness, &mut disk, |_, _| {});
    assert!(
        logs.iter()
            .any(|line| line.contains("Background saving error")),
        "{logs:?}"
    );
    assert!(
        disk.files.is_empty() && disk.open.is_empty(),
        "the temporary file is removed"
    );
    let info = call(&mut harness, id, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:err"), "{info}");
    assert!(call(&mut harness, id, &["SET", "k", "v"]).starts_with("-MISCONF "));
    assert!(call(&mut harness, id, &["GET", "key:0"]).starts_with("$"));
    call(&mut harness, id, &["BGSAVE"]);
    let mut disk = Disk::default();
    run_save(&mut harness, &mut disk, |_, _| {});
    assert_eq!(call(&mut harness, id, &["SET", "k", "v"]), "+OK\r\n");
    assert!(disk.files.contains_key("data/dump.rdb"));
}

#[test]
fn shutdown_saves_first_and_stops_only_once_the_file_is_written() {
    let mut harness = Harness::new(Config {
        save_points: ferrodis_core::DEFAULT_SAVE_POINTS.to_vec(),
        ..config()
    });
    let id = harness.open();
    call(&mut harness, id, &["SET", "k", "v"]);
    harness.send(id, &request(&[b"SHUTDOWN"]));
    assert!(!harness
        .outputs
        .iter()
        .any(|o| matches!(o, Output::Shutdown)));
    let mut disk = Disk::default();
    run_save(&mut harness, &mut disk, |_, _| {});
    assert!(disk.files.contains_key("data/dump.rdb"));
    let stops = harness
        .outputs
        .iter()
        .filter(|o| matches!(o, Output::Shutdown));
    assert_eq!(stops.count(), 1);
    // A save that fails leaves the server up, and the caller hears why.
    let mut harness = Harness::new(Config {
        save_points: ferrodis_core::DEFAULT_SAVE_POINTS.to_vec(),
        ..config()
    });
    let id = harness.open();
    harness.send(id, &request(&[b"SHUTDOWN"]));
    let mut disk = Disk {
        fail_at: Some(1),
        ..Disk::default()
    };
    run_save(&mut harness, &mut disk, |_, _| {});
    assert!(!harness
        .outputs
        .iter()
        .any(|o| matches!(o, Output::Shutdown)));
    assert_eq!(
        harness.take_replies(id),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
}

#[test]
fn a_stop_asked_during_save_waits_for_it_then_saves_and_stops() {
    let mut harness = Harness::new(Config {
        save_points: ferrodis_core::DEFAULT_SAVE_POINTS.to_vec(),
        ..config()
    });
    let saver = harness.open();
    let other = harness.open();
    call(&mut harness, saver, &["SET", "k", "v"]);
    harness.send(saver, &request(&[b"SAVE"]));
    assert_eq!(
        call(&mut harness, other, &["SHUTDOWN"]),
        "-ERR Background save already in progress\r\n"
    );
    harness.server.request_shutdown(harness.now);
    harness.drain();
    let mut disk = Disk::default();
    run_save(&mut harness, &mut disk, |_, _| {});
    assert_eq!(harness.take_replies(saver), "+OK\r\n");
    // The stop's own save ran after SAVE's, then the server stopped, once.
    let renames = disk
        .requests
        .iter()
        .filter(|request| matches!(request, DiskRequest::Rename { .. }))
        .count();
    assert_eq!(renames, 2);
    let stops = harness
        .outputs
        .iter()
        .filter(|o| matches!(o, Output::Shutdown));
    assert_eq!(stops.count(), 1);
}

#[test]
fn a_background_save_keeps_idle_times_under_an_lru_policy() {
    let lru = || {
        let mut config = config();
        config.maxmemory_policy = ferrodis_core::EvictionPolicy::AllkeysLru;
        config
    };
    let mut harness = Harness::new(lru());
    let id = harness.open();
    for index in 0..200 {
        call(&mut harness, id, &["SET", &format!("key:{index}"), "v"]);
    }
    // A minute and a half later, half the keys are read again.
    harness.advance(90_000);
    for index in (0..200).step_by(2) {
        call(&mut harness, id, &["GET", &format!("key:{index}")]);
    }
    harness.advance(10_000);
    call(&mut harness, id, &["BGSAVE"]);
    let mut disk = Disk::default();
    // Keys overwritten while the save runs are written as they were; time goes on meanwhile.
    let mut overwritten = Vec::new();
    run_save(&mut harness, &mut disk, |harness, round| {
        harness.advance(1000);
        call(
            harness,
            id,
            &["SET", &format!("key:{}", round % 200), "later"],
        );
        overwritten.push(round % 200);
    });
    let file = disk.files.get("data/dump.rdb").expect("the file is there");
    let mut loaded = Harness::new(lru());
    loaded.now = harness.now;
    loaded
        .server
        .load_rdb(loaded.now, file)
        .expect("the file loads");
    let reader = loaded.open();
    for index in 0..200 {
        let idle = call(
            &mut loaded,
            reader,
            &["OBJECT", "IDLETIME", &format!("key:{index}")],
        );
        let idle: u64 = idle
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .expect("a number");
        // Read as each key is written: up to the save's seconds more than at its start. A key
        // overwritten meanwhile may count the write's read as an access.
        let at_start = if index % 2 == 0 { 10 } else { 100 };
        let least = if overwritten.contains(&index) {
            0
        } else {
            at_start
        };
        let during = overwritten.len() as u64;
        assert!(
            (least..=at_start + during).contains(&idle),
            "key:{index} {idle}"
        );
    }
}
