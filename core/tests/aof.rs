//! The append-only file through the core's disk requests, with an in-memory disk: a reply waits
//! until its change is as durable as `appendfsync` asks, one turn's changes go out in one
//! write, the files load back into a new server with the same data (after a rewrite, after a
//! failed write, after the file was turned on and off), and damaged files load as Redis loads
//! them.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use common::{request, Harness};
use ferrodis_core::aof::reader::Tail;
use ferrodis_core::aof::Fsync;
use ferrodis_core::{Config, ConnectionId, DiskRequest, DiskToken, LoadError, Now, Output};

const DIR: &str = "data";
const AOF_DIR: &str = "data/appendonlydir";
const MANIFEST: &str = "data/appendonlydir/appendonly.aof.manifest";
const NO_SPACE: &str = "No space left on device";

/// One file: its bytes, and how many of them an fsync made durable.
#[derive(Debug, Default, Clone)]
struct File {
    bytes: Vec<u8>,
    synced: usize,
}

/// A disk in memory: directories and files by path.
#[derive(Debug, Clone)]
struct Disk {
    dirs: BTreeSet<String>,
    files: BTreeMap<String, File>,
    /// How many of the next appends, and of the next file creations, fail.
    failing_appends: usize,
    failing_creates: usize,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

impl Disk {
    /// An empty disk with `dir` on it.
    fn new() -> Disk {
        Disk {
            dirs: [DIR.to_string()].into(),
            files: BTreeMap::new(),
            failing_appends: 0,
            failing_creates: 0,
        }
    }

    fn dir_of(&self, path: &str) -> Result<(), String> {
        match self.dirs.contains(parent(path)) {
            true => Ok(()),
            false => Err(format!("No such file or directory: {}", parent(path))),
        }
    }

    fn file(&mut self, path: &str) -> Result<&mut File, String> {
        self.files
            .get_mut(path)
            .ok_or_else(|| format!("No such file or directory: {path}"))
    }

    fn perform(&mut self, request: &DiskRequest) -> Result<(), String> {
        match request {
            DiskRequest::Append { .. } if self.failing_appends > 0 => {
                self.failing_appends -= 1;
                return Err(NO_SPACE.to_string());
            }
            DiskRequest::Create { .. } if self.failing_creates > 0 => {
                self.failing_creates -= 1;
                return Err(NO_SPACE.to_string());
            }
            _ => {}
        }
        match request {
            DiskRequest::Create { path } => {
                self.dir_of(path)?;
                self.files.insert(path.clone(), File::default());
            }
            DiskRequest::Write { path, bytes } => self.file(path)?.bytes.extend(bytes),
            DiskRequest::Sync { path } | DiskRequest::SyncFile { path } => {
                let file = self.file(path)?;
                file.synced = file.bytes.len();
            }
            DiskRequest::Close { path } => {
                self.file(path)?;
            }
            DiskRequest::Rename { from, to } => {
                self.dir_of(to)?;
                let file = self.file(from)?.clone();
                self.files.remove(from);
                self.files.insert(to.clone(), file);
            }
            DiskRequest::SyncDir { path } => {
                if !self.dirs.contains(path) {
                    return Err(format!("No such file or directory: {path}"));
                }
            }
            DiskRequest::Remove { path } => {
                self.file(path)?;
                self.files.remove(path);
            }
            DiskRequest::Replace { path, bytes } => {
                self.dir_of(path)?;
                let synced = bytes.len();
                let bytes = bytes.clone();
                self.files.insert(path.clone(), File { bytes, synced });
            }
            DiskRequest::Append { path, bytes } => {
                self.dir_of(path)?;
                self.files
                    .entry(path.clone())
                    .or_default()
                    .bytes
                    .extend(bytes);
            }
            DiskRequest::CreateDir { path } => {
                self.dirs.insert(path.clone());
            }
            DiskRequest::Read { .. } => return Err("nothing here reads a whole file".into()),
        }
        Ok(())
    }

    fn bytes(&self, path: &str) -> &[u8] {
        &self
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{path} is on the disk"))
            .bytes
    }

    /// The names of the files in the append-only directory.
    fn aof_files(&self) -> Vec<String> {
        self.files
            .keys()
            .filter(|path| parent(path) == AOF_DIR)
            .map(|path| path[AOF_DIR.len() + 1..].to_string())
            .collect()
    }
}

fn kind(request: &DiskRequest) -> &'static str {
    match request {
        DiskRequest::Create { .. } => "Create",
        DiskRequest::Write { .. } => "Write",
        DiskRequest::Sync { .. } => "Sync",
        DiskRequest::Close { .. } => "Close",
        DiskRequest::Rename { .. } => "Rename",
        DiskRequest::SyncDir { .. } => "SyncDir",
        DiskRequest::Remove { .. } => "Remove",
        DiskRequest::Read { .. } => "Read",
        DiskRequest::Replace { .. } => "Replace",
        DiskRequest::Append { .. } => "Append",
        DiskRequest::SyncFile { .. } => "SyncFile",
        DiskRequest::CreateDir { .. } => "CreateDir",
    }
}

fn config(fsync: Fsync) -> Config {
    Config {
        appendonly: true,
        appendfsync: fsync,
        dir: DIR.to_string(),
        save_points: Vec::new(),
        databases: 4,
        ..Config::default()
    }
}

/// A driver around one server: its outputs collected, its disk requests answered from a `Disk`
/// when the test says so, oldest first.
struct Node {
    h: Harness,
    disk: Disk,
    /// Requests given and not answered yet, oldest first.
    pending: VecDeque<(DiskToken, DiskRequest)>,
    /// Every request given so far, in order.
    asked: Vec<DiskRequest>,
    logs: Vec<String>,
    woken: Vec<ConnectionId>,
}

impl Node {
    fn new(config: Config, disk: Disk) -> Node {
        Node {
            h: Harness::new(config),
            disk,
            pending: VecDeque::new(),
            asked: Vec::new(),
            logs: Vec::new(),
            woken: Vec::new(),
        }
    }

    /// A server started on an empty disk, its first rewrite done.
    fn start(config: Config) -> Node {
        let mut node = Node::new(config, Disk::new());
        let files = node
            .h
            .server
            .aof_manifest(None)
            .expect("no manifest is fine");
        assert!(files.is_empty());
        node.h.server.aof_start(node.h.now);
        node.settle();
        node
    }

    /// A server started at `now` on `disk`, loading what its manifest names in chunks of
    /// `chunk` bytes, as the real server does at start: a cut tail of the last file is
    /// truncated away. The node and the last file's tail, or the error.
    fn restart(
        config: Config,
        disk: &Disk,
        now: Now,
        chunk: usize,
    ) -> Result<(Node, Tail), LoadError> {
        let mut node = Node::new(config, disk.clone());
        node.h.now = now;
        let tails = load(&mut node, chunk)?;
        let (path, tail) = tails
            .last()
            .cloned()
            .unwrap_or((String::new(), Tail::Whole));
        if let Tail::Truncated { valid } = tail {
            node.disk
                .file(&path)
                .unwrap()
                .bytes
                .truncate(valid as usize);
        }
        node.h.server.aof_start(now);
        node.settle();
        Ok((node, tail))
    }

    /// Moves the server's outputs here.
    fn collect(&mut self) {
        self.h.drain();
        for output in std::mem::take(&mut self.h.outputs) {
            match output {
                Output::Disk { token, request } => {
                    self.asked.push(request.clone());
                    self.pending.push_back((token, request));
                }
                Output::Log { message, .. } => self.logs.push(message),
                Output::Wake { id } => self.woken.push(id),
                _ => {}
            }
        }
    }

    /// The end of an event-loop turn.
    fn turn(&mut self) {
        self.h.server.before_sleep(self.h.now);
        self.collect();
    }

    fn pending_kinds(&self) -> Vec<&'static str> {
        self.pending
            .iter()
            .map(|(_, request)| kind(request))
            .collect()
    }

    /// Answers the oldest request with `result`, whatever the disk would say.
    fn answer_with(&mut self, result: Result<(), String>) -> DiskRequest {
        let (token, request) = self.pending.pop_front().expect("a request waits");
        self.h.server.disk_done(self.h.now, token, result);
        self.collect();
        request
    }

    /// Does the oldest request on the disk and answers it.
    fn answer_one(&mut self) -> DiskRequest {
        let request = self.pending.front().expect("a request waits").1.clone();
        let result = self.disk.perform(&request);
        self.answer_with(result)
    }

    /// Answers at most `count` requests, the oldest first.
    fn answer(&mut self, count: usize) {
        for _ in 0..count {
            if self.pending.is_empty() {
                return;
            }
            self.answer_one();
        }
    }

    /// Ends turns and answers everything until nothing more is asked.
    fn settle(&mut self) {
        for _ in 0..1_000_000 {
            self.turn();
            if self.pending.is_empty() {
                return;
            }
            self.answer_one();
        }
        panic!("the disk requests never end");
    }

    fn open(&mut self) -> ConnectionId {
        let id = self.h.open();
        self.collect();
        id
    }

    /// Sends one command (space-separated words) without ending the turn.
    fn send(&mut self, id: ConnectionId, line: &str) {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.h.send(id, &request(&args));
        self.collect();
    }

    /// Sends one command, lets the disk do everything asked, and returns the reply.
    fn call(&mut self, id: ConnectionId, line: &str) -> String {
        self.send(id, line);
        self.settle();
        self.h.take_replies(id)
    }

    fn visible(&self, id: ConnectionId) -> String {
        String::from_utf8_lossy(self.h.server.send_buffer(id)).into_owned()
    }

    fn advance(&mut self, millis: u64) {
        self.h.advance(millis);
        self.h.run_timers();
        self.collect();
    }

    fn count_asked(&self, name: &str) -> usize {
        self.asked
            .iter()
            .filter(|request| kind(request) == name)
            .count()
    }

    fn digest(&mut self) -> String {
        self.h.server.digest(self.h.now)
    }
}

/// Loads the files the node's disk names into its server (no `aof_start`), each in chunks of
/// `chunk` bytes: each file's path and tail, or the first error.
fn load(node: &mut Node, chunk: usize) -> Result<Vec<(String, Tail)>, LoadError> {
    let manifest = node.disk.files.get(MANIFEST).map(|file| file.bytes.clone());
    let now = node.h.now;
    let server = &mut node.h.server;
    let paths = server
        .aof_manifest(manifest.as_deref())
        .map_err(|message| LoadError { offset: 0, message })?;
    let mut tails = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let bytes = &node
            .disk
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{path} is missing"))
            .bytes;
        server.aof_load_begin(now, path);
        for piece in bytes.chunks(chunk) {
            server.aof_load_chunk(now, piece)?;
        }
        let tail = server.aof_load_end(now, index + 1 == paths.len())?;
        tails.push((path.clone(), tail));
    }
    node.collect();
    Ok(tails)
}

/// The node's data, loaded from its disk into a new server (in chunks of several sizes), has
/// the same digest.
fn assert_reloads_alike(node: &mut Node, config: &Config, what: &str) {
    let expected = node.digest();
    for chunk in [7, 4096] {
        let (mut loaded, _) = Node::restart(config.clone(), &node.disk, node.h.now, chunk)
            .unwrap_or_else(|error| panic!("{what}: the files load: {error:?}"));
        if loaded.digest() != expected {
            let (mine, theirs) = (dump(node), dump(&mut loaded));
            let only_mine: Vec<_> = mine.iter().filter(|line| !theirs.contains(line)).collect();
            let only_theirs: Vec<_> = theirs.iter().filter(|line| !mine.contains(line)).collect();
            panic!("{what}, loaded in chunks of {chunk}: the data differs: {only_mine:#?} became {only_theirs:#?}");
        }
    }
}

/// What a client sees of every database: each key's type, value and deadline.
fn dump(node: &mut Node) -> Vec<String> {
    let id = node.open();
    let mut seen = Vec::new();
    for db in 0..4 {
        node.call(id, &format!("SELECT {db}"));
        let keys = node.call(id, "KEYS *");
        let mut names: Vec<String> = keys
            .split("\r\n")
            .skip(1)
            .filter(|line| !line.starts_with('$') && !line.is_empty())
            .map(str::to_string)
            .collect();
        names.sort_unstable();
        for key in names {
            let kind = node.call(id, &format!("TYPE {key}"));
            let value = match kind.as_str() {
                "+list\r\n" => node.call(id, &format!("LRANGE {key} 0 -1")),
                "+zset\r\n" => node.call(id, &format!("ZRANGE {key} 0 -1 WITHSCORES")),
                "+hash\r\n" | "+set\r\n" => {
                    let reply = match kind.as_str() {
                        "+hash\r\n" => node.call(id, &format!("HGETALL {key}")),
                        _ => node.call(id, &format!("SMEMBERS {key}")),
                    };
                    let mut lines: Vec<&str> = reply.split("\r\n").skip(1).collect();
                    lines.sort_unstable();
                    lines.join(" ")
                }
                _ => node.call(id, &format!("GET {key}")),
            };
            let deadline = node.call(id, &format!("PEXPIRETIME {key}"));
            seen.push(format!("db{db} {key} {kind:?} {value:?} {deadline:?}"));
        }
    }
    node.h.server.connection_closed(node.h.now, id);
    seen
}

fn persistence_info(node: &mut Node, id: ConnectionId) -> String {
    node.call(id, "INFO persistence")
}

#[test]
fn under_always_a_reply_waits_for_the_fsync_that_covers_it() {
    let mut node = Node::start(config(Fsync::Always));
    let id = node.open();
    node.send(id, "SET k v");
    assert!(node.h.server.reply_held(id));
    assert_eq!(node.visible(id), "");
    // The change goes out at the end of the turn, not before.
    assert_eq!(node.pending_kinds(), Vec::<&str>::new());
    node.turn();
    assert_eq!(node.pending_kinds(), ["Append"]);
    let append = node.answer_one();
    let DiskRequest::Append { path, bytes } = append else {
        unreachable!()
    };
    assert_eq!(path, format!("{AOF_DIR}/appendonly.aof.1.incr.aof"));
    assert!(bytes.ends_with(&request(&[b"SET", b"k", b"v"])));
    // Written is not enough under `always`.
    assert!(node.h.server.reply_held(id));
    assert_eq!(node.visible(id), "");
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.answer_one();
    assert!(!node.h.server.reply_held(id));
    assert!(node.woken.contains(&id));
    assert_eq!(node.visible(id), "+OK\r\n");
    let file = &node.disk.files[&path];
    assert_eq!(
        file.synced,
        file.bytes.len(),
        "the reply went out once durable"
    );
    // A read after it depends on nothing unwritten: it answers at once.
    node.h.take_replies(id);
    node.send(id, "GET k");
    assert_eq!(node.visible(id), "$1\r\nv\r\n");
}

#[test]
fn under_everysec_and_no_a_reply_waits_for_the_write_only() {
    for fsync in [Fsync::EverySec, Fsync::No] {
        let mut node = Node::start(config(fsync));
        let id = node.open();
        node.send(id, "SET k v");
        assert!(node.h.server.reply_held(id), "{fsync:?}");
        assert_eq!(node.visible(id), "");
        node.turn();
        assert_eq!(node.pending_kinds(), ["Append"], "{fsync:?}");
        node.answer_one();
        assert!(!node.h.server.reply_held(id), "{fsync:?}");
        assert_eq!(node.visible(id), "+OK\r\n", "{fsync:?}");
        assert!(
            node.pending.is_empty(),
            "{fsync:?}: no fsync asked with the write"
        );
    }
}

#[test]
fn a_change_only_written_is_waited_for_once_the_policy_becomes_always() {
    let mut node = Node::start(config(Fsync::EverySec));
    let writer = node.open();
    let reader = node.open();
    node.send(writer, "SET k v");
    node.turn();
    assert_eq!(node.pending_kinds(), ["Append"]);
    node.answer_one();
    assert_eq!(node.h.take_replies(writer), "+OK\r\n");
    // Written, not fsynced: under `always`, replies after it wait for the fsync.
    node.send(writer, "CONFIG SET appendfsync always");
    node.send(reader, "GET k");
    assert!(node.h.server.reply_held(reader));
    assert_eq!(node.visible(reader), "");
    node.turn();
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.answer_one();
    assert_eq!(node.visible(reader), "$1\r\nv\r\n");
    assert_eq!(node.visible(writer), "+OK\r\n");
}

#[test]
fn turning_the_file_off_writes_a_change_postponed_behind_everysecs_fsync() {
    let mut node = Node::start(config(Fsync::EverySec));
    let writer = node.open();
    let admin = node.open();
    assert_eq!(node.call(writer, "SET a 1"), "+OK\r\n");
    // A second on, the timers ask for `everysec`'s fsync; it does not answer yet.
    node.advance(1100);
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.send(writer, "SET k v");
    node.turn();
    assert_eq!(
        node.pending_kinds(),
        ["SyncFile"],
        "the write waits for the fsync"
    );
    node.send(admin, "CONFIG SET appendonly no");
    node.settle();
    let path = format!("{AOF_DIR}/appendonly.aof.1.incr.aof");
    let file = &node.disk.files[&path];
    assert!(file.bytes.ends_with(&request(&[b"SET", b"k", b"v"])));
    assert_eq!(file.synced, file.bytes.len());
    assert_eq!(node.h.take_replies(writer), "+OK\r\n");
    assert_eq!(node.h.take_replies(admin), "+OK\r\n");
}

/// Writes every 100 ms for ten seconds: how many fsyncs the timers ask for.
fn fsyncs_in_ten_seconds(fsync: Fsync) -> usize {
    let mut node = Node::start(config(fsync));
    let id = node.open();
    let before = node.count_asked("SyncFile");
    for step in 0..100 {
        node.send(id, &format!("SET k{step} v"));
        node.turn();
        node.answer(10);
        node.advance(100);
        node.answer(10);
    }
    node.count_asked("SyncFile") - before
}

#[test]
fn everysec_fsyncs_about_once_a_second_from_the_timers() {
    let fsyncs = fsyncs_in_ten_seconds(Fsync::EverySec);
    assert!((9..=10).contains(&fsyncs), "{fsyncs} fsyncs in 10 s");
    assert_eq!(fsyncs_in_ten_seconds(Fsync::No), 0);
    // Under `always` every turn's write is fsynced.
    assert_eq!(fsyncs_in_ten_seconds(Fsync::Always), 100);

    // The fsync covers what was written, and none comes before a second has passed.
    let mut node = Node::start(config(Fsync::EverySec));
    let id = node.open();
    node.call(id, "SET a 1");
    node.advance(1000);
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.answer_one();
    node.call(id, "SET b 1");
    let path = format!("{AOF_DIR}/appendonly.aof.1.incr.aof");
    assert!(node.disk.files[&path].synced < node.disk.files[&path].bytes.len());
    node.advance(900);
    assert_eq!(node.pending_kinds(), Vec::<&str>::new());
    node.advance(200);
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.answer_one();
    assert_eq!(
        node.disk.files[&path].synced,
        node.disk.files[&path].bytes.len()
    );
    // Nothing written since: no fsync.
    node.advance(5000);
    assert_eq!(node.pending_kinds(), Vec::<&str>::new());
}

#[test]
fn one_turn_of_writes_goes_out_in_one_write_and_one_fsync() {
    let mut node = Node::start(config(Fsync::Always));
    let clients: Vec<ConnectionId> = (0..10).map(|_| node.open()).collect();
    let (appends, fsyncs) = (node.count_asked("Append"), node.count_asked("SyncFile"));
    for (index, &id) in clients.iter().enumerate() {
        node.send(id, &format!("SET k{index} v{index}"));
    }
    node.turn();
    assert_eq!(node.pending_kinds(), ["Append"]);
    let DiskRequest::Append { bytes, .. } = node.answer_one() else {
        unreachable!()
    };
    for index in 0..10 {
        let set = request(&[
            b"SET",
            format!("k{index}").as_bytes(),
            format!("v{index}").as_bytes(),
        ]);
        assert!(bytes.windows(set.len()).any(|window| window == set));
    }
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    // Writes while the fsync runs wait for it, then go out together.
    let later: Vec<ConnectionId> = (0..5).map(|_| node.open()).collect();
    for (index, &id) in later.iter().enumerate() {
        node.send(id, &format!("SET late{index} x"));
        node.turn();
    }
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    for &id in clients.iter().chain(&later) {
        assert!(node.h.server.reply_held(id));
    }
    node.answer_one();
    for &id in &clients {
        assert_eq!(node.visible(id), "+OK\r\n");
    }
    for &id in &later {
        assert!(node.h.server.reply_held(id));
        assert_eq!(node.visible(id), "");
    }
    assert_eq!(node.pending_kinds(), ["Append"]);
    let DiskRequest::Append { bytes, .. } = node.answer_one() else {
        unreachable!()
    };
    for index in 0..5 {
        let set = request(&[b"SET", format!("late{index}").as_bytes(), b"x"]);
        assert!(bytes.windows(set.len()).any(|window| window == set));
    }
    assert_eq!(node.pending_kinds(), ["SyncFile"]);
    node.answer_one();
    for &id in &later {
        assert_eq!(node.visible(id), "+OK\r\n");
    }
    assert_eq!(node.count_asked("Append") - appends, 2);
    assert_eq!(node.count_asked("SyncFile") - fsyncs, 2);
}

/// A small seeded generator (xorshift), so that every run draws the same workload.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One random command of the families that change data, with relative times, floats, moves
/// between databases and flushes among them.
fn command(draw: &mut Draw) -> String {
    let key = format!("k{}", draw.below(5));
    let other = format!("k{}", draw.below(5));
    let number = draw.below(300) + 1;
    let (hash, set) = (format!("h{}", draw.below(2)), format!("s{}", draw.below(3)));
    let (field, member) = (format!("f{}", draw.below(4)), draw.below(6).to_string());
    let list = format!("l{}", draw.below(2));
    let fill = format!("fill:{}", draw.below(3000));
    match draw.below(40) {
        0 => format!("SET {key} v{number}"),
        1 => format!("SET {key} {number} PX {number}"),
        2 => format!("SETEX {key} {number} s"),
        3 => format!("GETEX {key} PX {number}"),
        4 => format!("EXPIRE {key} {number}"),
        5 => format!("PERSIST {key}"),
        6 => format!("INCR {key}"),
        7 => format!("INCRBYFLOAT {key} 0.1"),
        8 => format!("APPEND {key} a"),
        9 => format!("SETRANGE {key} 2 zz"),
        10 => format!("DEL {key} {other}"),
        11 => format!("RENAME {key} {other}"),
        12 => format!("COPY {key} {other} DB 1 REPLACE"),
        13 => format!("MOVE {key} 1"),
        14 => "SWAPDB 0 1".to_string(),
        15 => format!("SELECT {}", draw.below(3)),
        16 => format!("ZADD z{} {number} m{}", draw.below(2), draw.below(4)),
        17 => format!("ZINCRBY z{} 0.5 m{}", draw.below(2), draw.below(4)),
        18 => format!("ZPOPMIN z{}", draw.below(2)),
        19 => format!("HSET {hash} {field} {number} f9 v"),
        20 => format!("HINCRBYFLOAT {hash} {field} 0.1"),
        21 => format!("HDEL {hash} {field}"),
        22 => format!("SADD {set} {member} x{member}"),
        23 => format!("SPOP {set}"),
        24 => format!("SMOVE {set} s{} {member}", draw.below(3)),
        25 => format!("RPUSH {list} {member} x{number}"),
        26 => format!("LPOP {list} {}", draw.below(3)),
        27 => format!("LMOVE {list} l{} LEFT RIGHT", draw.below(2)),
        28 => format!("PFADD p{} {member} x{number}", draw.below(2)),
        29 => format!("SETBIT {key} {} 1", number % 40),
        30 => format!("SET {fill} changed{number}"),
        31 => format!("DEL {fill}"),
        32 => format!("PEXPIRE {fill} {number}"),
        33 if number < 5 => "FLUSHDB".to_string(),
        _ => format!("MSET {key} m {other} n"),
    }
}

/// Thousands of keys, so that a rewrite's base takes many writes.
fn fill(node: &mut Node, id: ConnectionId) {
    for start in (0..3000).step_by(100) {
        let mut line = "MSET".to_string();
        for i in start..start + 100 {
            line.push_str(&format!(" fill:{i} value-{i}-{}", "x".repeat(i % 97)));
        }
        node.call(id, &line);
    }
    for i in 0..300 {
        node.call(id, &format!("HSET bighash field{i} {i} other{i} x"));
    }
}

/// Runs a random workload from three clients (every fifth command inside MULTI ... EXEC) while
/// the disk answers a few requests at a time and the timers run, with a BGREWRITEAOF in the
/// middle; then the files must load into a new server with the same data.
fn workload_reloads_alike(seed: u64, fsync: Fsync) {
    let config = config(fsync);
    let mut node = Node::start(config.clone());
    let clients: Vec<ConnectionId> = (0..3).map(|_| node.open()).collect();
    fill(&mut node, clients[0]);
    let mut draw = Draw(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let length = 600;
    let mut rewrite_reply = String::new();
    for index in 0..length {
        let id = clients[draw.below(3) as usize];
        let line = command(&mut draw);
        if index == length / 3 {
            node.send(id, "BGREWRITEAOF");
            node.turn();
            assert!(
                node.pending_kinds().contains(&"Create"),
                "seed {seed}: the rewrite began: {:?}",
                node.pending_kinds()
            );
        }
        if index % 5 == 4 {
            for line in ["MULTI", line.as_str(), "INCR counter", "EXEC"] {
                node.send(id, line);
            }
        } else {
            node.send(id, &line);
        }
        if draw.below(3) == 0 {
            node.turn();
        }
        let answers = draw.below(4) as usize;
        node.answer(answers);
        node.h.advance(draw.below(40));
        if index % 7 == 0 {
            node.h.run_timers();
            node.collect();
        }
        for &id in &clients {
            let replies = node.h.take_replies(id);
            if replies.contains("rewriting started") {
                rewrite_reply = replies;
            }
        }
    }
    node.settle();
    for &id in &clients {
        let replies = node.h.take_replies(id);
        if replies.contains("rewriting started") {
            rewrite_reply = replies;
        }
        assert!(!node.h.server.reply_held(id));
    }
    assert!(
        rewrite_reply.contains("+Background append only file rewriting started\r\n"),
        "seed {seed}: {rewrite_reply:?}"
    );
    // Nothing failed on the way (everysec's fsync once went to a file not made yet).
    assert!(
        !node.logs.iter().any(|line| line.contains("Error")),
        "seed {seed}: {:?}",
        node.logs
    );
    // The rewrite is done: its base and new incremental file are all that is left.
    let manifest = String::from_utf8_lossy(node.disk.bytes(MANIFEST)).into_owned();
    assert_eq!(
        manifest,
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
        "seed {seed}"
    );
    assert_eq!(
        node.disk.aof_files(),
        [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "seed {seed}"
    );
    assert_eq!(
        node.disk.files.len(),
        3,
        "seed {seed}: no temporary file left"
    );
    let empty = Node::new(config.clone(), Disk::new()).digest();
    assert_ne!(
        node.digest(),
        empty,
        "seed {seed}: the workload leaves data"
    );
    assert_reloads_alike(&mut node, &config, &format!("seed {seed}"));
}

#[test]
fn a_random_workload_with_a_rewrite_in_the_middle_loads_back_alike() {
    for seed in 1..=8 {
        let fsync = [Fsync::Always, Fsync::EverySec, Fsync::No][seed as usize % 3];
        workload_reloads_alike(seed, fsync);
    }
}

#[test]
fn the_reload_check_fails_when_a_write_is_missing() {
    // The check above can fail: the same kind of node, with one write cut from its file.
    let config = config(Fsync::EverySec);
    let mut node = Node::start(config.clone());
    let id = node.open();
    node.call(id, "SET a 1");
    node.call(id, "SET b 2");
    let path = format!("{AOF_DIR}/appendonly.aof.1.incr.aof");
    let set_b = request(&[b"SET", b"b", b"2"]);
    let file = node.disk.file(&path).unwrap();
    assert!(file.bytes.ends_with(&set_b));
    let whole = file.bytes.len();
    file.bytes.truncate(whole - set_b.len());
    let (mut loaded, _) = Node::restart(config, &node.disk, node.h.now, 4096).unwrap();
    assert_ne!(loaded.digest(), node.digest());
}

#[test]
fn a_failed_write_refuses_writes_until_a_rewrite_repairs_the_files() {
    let config = config(Fsync::EverySec);
    let mut node = Node::start(config.clone());
    let (writer, other, queuing) = (node.open(), node.open(), node.open());
    for i in 0..50 {
        node.call(writer, &format!("SET k{i} v{i}"));
    }
    node.call(queuing, "MULTI");
    node.call(queuing, "SET q 1");
    let manifest_path = format!("{AOF_DIR}/appendonly.aof.manifest");
    let manifest = node.disk.file(&manifest_path).unwrap().bytes.clone();
    node.send(writer, "SET x 1");
    node.turn();
    assert_eq!(node.pending_kinds(), ["Append"]);
    node.answer_with(Err(NO_SPACE.to_string()));
    assert!(
        node.logs.iter().any(|line| line.contains(NO_SPACE)),
        "the error is logged: {:?}",
        node.logs
    );
    assert!(node.h.server.reply_held(writer));
    assert_eq!(node.visible(writer), "");
    let misconf = format!("-MISCONF Errors writing to the AOF file: {NO_SPACE}\r\n");
    node.send(other, "SET y 2");
    assert_eq!(node.h.take_replies(other), misconf);
    node.send(other, "PING");
    assert_eq!(node.h.take_replies(other), misconf);
    node.send(other, "GET k7");
    assert_eq!(node.h.take_replies(other), "$2\r\nv7\r\n");
    // A transaction queued before the failure does not run its write after it, nor does a
    // script write (its PING is not refused), nor the book's door.
    node.send(queuing, "EXEC");
    assert_eq!(
        node.h.take_replies(queuing),
        format!(
            "-EXECABORT Transaction discarded because of: {}",
            &misconf[1..]
        )
    );
    node.h.send(
        other,
        &request(&[
            b"EVAL",
            b"redis.call('ping') return redis.call('set', 'e', 1)",
            b"0",
        ]),
    );
    let refused = node.h.take_replies(other);
    assert!(
        refused.starts_with(&misconf[..misconf.len() - 2]),
        "{refused}"
    );
    let book = node
        .h
        .server
        .connection_open_book(node.h.now, "127.0.0.1:9")
        .unwrap();
    let mut frame = 3u32.to_le_bytes().to_vec();
    for arg in [&b"set"[..], b"b", b"1"] {
        frame.extend_from_slice(&(arg.len() as u32).to_le_bytes());
        frame.extend_from_slice(arg);
    }
    let framed = [&(frame.len() as u32).to_le_bytes()[..], &frame].concat();
    node.h.send(book, &framed);
    let refused = node.h.take_replies(book);
    assert!(
        refused.contains("MISCONF Errors writing to the AOF file"),
        "{refused:?}"
    );
    node.send(other, "INFO persistence");
    let info = node.h.take_replies(other);
    assert!(info.contains("aof_last_write_status:err"), "{info}");
    assert_eq!(node.pending_kinds(), Vec::<&str>::new());

    // The cron's repair: a rewrite. Its first attempt fails too, the next waits a while.
    node.disk.failing_creates = 1;
    node.advance(100);
    assert!(
        node.pending_kinds().contains(&"Create"),
        "{:?}",
        node.pending_kinds()
    );
    node.settle();
    assert!(node.h.server.reply_held(writer));
    // The repair did not name a new file after the old ones: the last old file may end in
    // what the failed write left, which only the last file of a manifest may.
    assert_eq!(node.disk.file(&manifest_path).unwrap().bytes, manifest);
    node.advance(1000);
    assert_eq!(node.pending_kinds(), Vec::<&str>::new(), "no retry at once");
    node.send(other, "SET y 2");
    assert_eq!(node.h.take_replies(other), misconf);
    node.advance(1500);
    assert!(!node.pending.is_empty(), "a retry after a while");
    node.settle();
    assert!(!node.h.server.reply_held(writer));
    assert!(node.woken.contains(&writer));
    assert_eq!(node.h.take_replies(writer), "+OK\r\n");
    assert_eq!(node.call(other, "SET y 2"), "+OK\r\n");
    let info = persistence_info(&mut node, other);
    assert!(info.contains("aof_last_write_status:ok"), "{info}");
    assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    assert_reloads_alike(&mut node, &config, "after the repair");
    let (mut loaded, _) = Node::restart(config, &node.disk, node.h.now, 4096).unwrap();
    let id = loaded.open();
    assert_eq!(
        loaded.call(id, "MGET x y k49 q e b"),
        "*6\r\n$1\r\n1\r\n$1\r\n2\r\n$3\r\nv49\r\n$-1\r\n$-1\r\n$-1\r\n"
    );
}

fn command_bytes(line: &str) -> Vec<u8> {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    request(&args)
}

/// A disk holding incremental files with these contents, named in this order by a manifest.
fn disk_with_incrs(files: &[Vec<u8>]) -> Disk {
    let mut disk = Disk::new();
    disk.dirs.insert(AOF_DIR.to_string());
    let mut manifest = String::new();
    for (index, bytes) in files.iter().enumerate() {
        let seq = index + 1;
        let name = format!("appendonly.aof.{seq}.incr.aof");
        manifest.push_str(&format!("file {name} seq {seq} type i\n"));
        let synced = bytes.len();
        let bytes = bytes.clone();
        disk.files
            .insert(format!("{AOF_DIR}/{name}"), File { bytes, synced });
    }
    let bytes = manifest.into_bytes();
    let synced = bytes.len();
    disk.files
        .insert(MANIFEST.to_string(), File { bytes, synced });
    disk
}

/// Starts a server on incremental files with these contents, loaded in chunks of `chunk`
/// bytes: the node and the last file's tail, or the error.
fn load_incrs(config: &Config, files: &[Vec<u8>], chunk: usize) -> Result<(Node, Tail), LoadError> {
    Node::restart(
        config.clone(),
        &disk_with_incrs(files),
        common::start_of_time(),
        chunk,
    )
}

#[test]
fn a_cut_last_command_is_dropped_when_allowed_and_an_error_otherwise() {
    let first = [command_bytes("SELECT 0"), command_bytes("SET a 1")].concat();
    let second = command_bytes("SET b 2");
    let valid = first.len() as u64;
    let mut tolerant = config(Fsync::EverySec);
    tolerant.aof_load_truncated = true;
    let mut strict = tolerant.clone();
    strict.aof_load_truncated = false;
    for cut in 1..second.len() {
        let file = [first.as_slice(), &second[..cut]].concat();
        for chunk in [1, 3, 4096] {
            let (mut node, tail) =
                load_incrs(&tolerant, std::slice::from_ref(&file), chunk).unwrap();
            assert_eq!(tail, Tail::Truncated { valid });
            let id = node.open();
            assert_eq!(node.call(id, "MGET a b"), "*2\r\n$1\r\n1\r\n$-1\r\n");
            let error = load_incrs(&strict, std::slice::from_ref(&file), chunk)
                .err()
                .unwrap();
            assert_eq!(error.offset as u64, valid);
            assert!(
                error.message.contains("Unexpected end of file"),
                "{error:?}"
            );
            // Not the last file: an error whatever the setting.
            let error = load_incrs(&tolerant, &[file.clone(), first.clone()], chunk)
                .err()
                .unwrap();
            assert!(error.message.contains("is not the last file"), "{error:?}");
        }
    }
    // A whole file is whole.
    let (_, tail) = load_incrs(&strict, &[[first.clone(), second.clone()].concat()], 5).unwrap();
    assert_eq!(tail, Tail::Whole);
}

#[test]
fn zeros_at_the_end_are_a_cut_tail() {
    let first = [command_bytes("SELECT 0"), command_bytes("SET a 1")].concat();
    let valid = first.len() as u64;
    let torn = [first.clone(), b"*3\r\n$3\r\nSE".to_vec(), vec![0; 30]].concat();
    let zeros = [first.clone(), vec![0; 4096]].concat();
    for file in [torn, zeros] {
        for chunk in [1, 10, 100_000] {
            let (mut node, tail) =
                load_incrs(&config(Fsync::EverySec), std::slice::from_ref(&file), chunk).unwrap();
            assert_eq!(tail, Tail::Truncated { valid });
            let id = node.open();
            assert_eq!(node.call(id, "GET a"), "$1\r\n1\r\n");
        }
    }
    // Something after the zeros is not a cut tail.
    let mut strange = [first.clone(), vec![0; 10]].concat();
    strange.extend_from_slice(&command_bytes("SET b 2"));
    let error = load_incrs(&config(Fsync::EverySec), &[strange], 4)
        .err()
        .unwrap();
    assert_eq!(error.offset as u64, valid);
}

#[test]
fn garbage_and_unknown_commands_are_errors() {
    let first = [command_bytes("SELECT 0"), command_bytes("SET a 1")].concat();
    let garbage = [
        first.clone(),
        b"+this is no command\r\n".to_vec(),
        command_bytes("SET b 2"),
    ]
    .concat();
    for chunk in [1, 6, 4096] {
        let error = load_incrs(
            &config(Fsync::EverySec),
            std::slice::from_ref(&garbage),
            chunk,
        )
        .err()
        .unwrap();
        assert_eq!(error.offset, first.len(), "chunks of {chunk}");
        assert!(error.message.contains("Bad file format"), "{error:?}");
    }
    // A bulk string whose end is not where its length says.
    let wrong_length = [first.clone(), b"*1\r\n$3\r\nPING\r\n".to_vec()].concat();
    let error = load_incrs(&config(Fsync::EverySec), &[wrong_length], 4096)
        .err()
        .unwrap();
    assert_eq!(error.offset, first.len());
    let unknown = [first.clone(), command_bytes("NOSUCHCOMMAND x")].concat();
    let error = load_incrs(&config(Fsync::EverySec), &[unknown], 4096)
        .err()
        .unwrap();
    assert!(
        error.message.contains("Unknown command 'NOSUCHCOMMAND'"),
        "{error:?}"
    );
}

#[test]
fn a_transaction_without_exec_at_the_end_is_cut_away() {
    let before = [command_bytes("SELECT 0"), command_bytes("SET a 1")].concat();
    let open = [
        command_bytes("MULTI"),
        command_bytes("SET b 2"),
        command_bytes("SET a 3"),
    ]
    .concat();
    let file = [before.clone(), open].concat();
    let valid = before.len() as u64;
    for chunk in [1, 5, 4096] {
        let (mut node, tail) =
            load_incrs(&config(Fsync::EverySec), std::slice::from_ref(&file), chunk).unwrap();
        assert_eq!(tail, Tail::Truncated { valid }, "chunks of {chunk}");
        let id = node.open();
        assert_eq!(node.call(id, "MGET a b"), "*2\r\n$1\r\n1\r\n$-1\r\n");
        // What is appended after the cut loads as it was written, outside any transaction.
        assert_eq!(node.call(id, "SET c 3"), "+OK\r\n");
        let (mut again, tail) =
            Node::restart(config(Fsync::EverySec), &node.disk, node.h.now, chunk).unwrap();
        assert_eq!(tail, Tail::Whole);
        let id = again.open();
        assert_eq!(
            again.call(id, "MGET a b c"),
            "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n"
        );
    }
    let mut strict = config(Fsync::EverySec);
    strict.aof_load_truncated = false;
    let error = load_incrs(&strict, &[file], 4096).err().unwrap();
    assert_eq!(error.offset as u64, valid);
    // A whole transaction is applied.
    let file = [
        command_bytes("SELECT 0"),
        command_bytes("MULTI"),
        command_bytes("SET b 2"),
        command_bytes("EXEC"),
    ]
    .concat();
    let (mut node, tail) = load_incrs(&config(Fsync::EverySec), &[file], 4096).unwrap();
    assert_eq!(tail, Tail::Whole);
    let id = node.open();
    assert_eq!(node.call(id, "GET b"), "$1\r\n2\r\n");
}

#[test]
fn a_refused_multi_loads_the_same_before_and_after_a_restart() {
    // MULTI with an argument: whether it opens a transaction or is refused, what the first
    // start loaded (and the driver then cut the file to) must be what the next start loads.
    let file = [
        command_bytes("SELECT 0"),
        command_bytes("SET a 1"),
        command_bytes("MULTI x"),
        command_bytes("SET b 2"),
    ]
    .concat();
    let (mut node, _) = load_incrs(&config(Fsync::EverySec), &[file], 4096).unwrap();
    let id = node.open();
    let first = node.call(id, "MGET a b");
    let (mut again, _) =
        Node::restart(config(Fsync::EverySec), &node.disk, node.h.now, 4096).unwrap();
    let id = again.open();
    assert_eq!(again.call(id, "MGET a b"), first);
}

#[test]
fn writes_after_a_cut_transaction_survive_the_next_restart() {
    // A transaction left open at the end, with a second MULTI inside it: the cut must take the
    // whole transaction away, or what is appended after it would be read inside it next time.
    let file = [
        command_bytes("SELECT 0"),
        command_bytes("SET a 1"),
        command_bytes("MULTI"),
        command_bytes("SET b 2"),
        command_bytes("MULTI"),
        command_bytes("SET c 3"),
    ]
    .concat();
    let (mut node, _) = load_incrs(&config(Fsync::EverySec), &[file], 4096).unwrap();
    let id = node.open();
    assert_eq!(node.call(id, "SET d 4"), "+OK\r\n");
    let (mut again, _) =
        Node::restart(config(Fsync::EverySec), &node.disk, node.h.now, 4096).unwrap();
    let id = again.open();
    assert_eq!(
        again.call(id, "MGET a b c d"),
        "*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$1\r\n4\r\n"
    );
}

#[test]
fn a_deadline_already_past_is_kept_while_loading() {
    // As Redis loads a file: a deadline is set even when it has passed, and only checked once
    // the file is loaded, so that later commands find the key as they found it when they ran.
    let file = [
        command_bytes("SELECT 0"),
        command_bytes("SET kept v"),
        command_bytes("PEXPIREAT kept 1000"),
        command_bytes("PERSIST kept"),
        command_bytes("SET gone v"),
        command_bytes("EXPIREAT gone 1"),
        command_bytes("APPEND gone a"),
    ]
    .concat();
    let (mut node, _) = load_incrs(&config(Fsync::EverySec), &[file], 4096).unwrap();
    let id = node.open();
    assert_eq!(node.call(id, "GET kept"), "$1\r\nv\r\n");
    assert_eq!(node.call(id, "EXISTS gone"), ":0\r\n");
}

#[test]
fn turning_the_file_on_writes_the_data_and_turning_it_off_stops_appending() {
    let on = config(Fsync::EverySec);
    let off = Config {
        appendonly: false,
        ..on.clone()
    };
    let mut node = Node::new(off, Disk::new());
    node.h.server.aof_manifest(None).unwrap();
    node.h.server.aof_start(node.h.now);
    let id = node.open();
    fill(&mut node, id);
    node.call(id, "SELECT 2");
    node.call(id, "RPUSH list a b c");
    node.call(id, "SELECT 0");
    assert_eq!(node.asked.len(), 0, "nothing written while off");

    assert_eq!(node.call(id, "CONFIG SET appendonly yes"), "+OK\r\n");
    assert_eq!(
        String::from_utf8_lossy(node.disk.bytes(MANIFEST)),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let info = persistence_info(&mut node, id);
    assert!(info.contains("aof_enabled:1"), "{info}");
    assert_reloads_alike(&mut node, &on, "turned on");
    assert_eq!(node.call(id, "SET after on"), "+OK\r\n");
    assert_reloads_alike(&mut node, &on, "written to");

    // Off: what is buffered is still written, then nothing more.
    node.send(id, "SET last 1");
    node.send(id, "CONFIG SET appendonly no");
    node.settle();
    assert_eq!(node.h.take_replies(id), "+OK\r\n+OK\r\n");
    assert_reloads_alike(&mut node, &on, "turned off");
    let asked = node.asked.len();
    for i in 0..30 {
        node.call(id, &format!("SET after-off{i} x"));
        node.advance(200);
        node.settle();
    }
    assert_eq!(node.asked.len(), asked, "{:?}", &node.asked[asked..]);
    let info = persistence_info(&mut node, id);
    assert!(info.contains("aof_enabled:0"), "{info}");
    let (mut loaded, _) = Node::restart(on, &node.disk, node.h.now, 4096).unwrap();
    let reader = loaded.open();
    assert_eq!(loaded.call(reader, "EXISTS last after-off0"), ":1\r\n");
}

#[test]
fn while_the_dataset_loads_clients_get_loading_and_nothing_expires() {
    let config = config(Fsync::EverySec);
    let mut node = Node::new(config, Disk::new());
    let mut loading = Vec::new();
    for line in ["SET a 1", "PEXPIRE a 50", "SET b 2"] {
        loading.extend_from_slice(&command_bytes(line));
    }
    node.h.server.set_loading_dataset(node.h.now, true);
    node.h
        .server
        .aof_load_begin(node.h.now, "data/appendonlydir/appendonly.aof.1.incr.aof");
    node.h.server.aof_load_chunk(node.h.now, &loading).unwrap();
    let id = node.open();
    let refused = "-LOADING Redis is loading the dataset in memory\r\n";
    for line in ["PING", "GET b", "SET c 3", "BGSAVE", "BGREWRITEAOF"] {
        node.send(id, line);
        assert_eq!(node.h.take_replies(id), refused, "{line}");
    }
    node.send(id, "INFO persistence");
    assert!(node.h.take_replies(id).contains("loading:1\r\n"));
    // Past the deadline, between files and on the timers, the key stays: the files still to
    // come may refer to it.
    node.h.server.aof_load_end(node.h.now, false).unwrap();
    node.advance(200);
    assert!(node.pending.is_empty(), "no save nor rewrite while loading");
    node.h
        .server
        .aof_load_begin(node.h.now, "data/appendonlydir/appendonly.aof.2.incr.aof");
    node.h
        .server
        .aof_load_chunk(node.h.now, &command_bytes("APPEND a 1"))
        .unwrap();
    node.h.server.aof_load_end(node.h.now, true).unwrap();
    node.h.server.aof_start(node.h.now);
    node.collect();
    assert_eq!(node.call(id, "PING"), "+PONG\r\n");
    assert_eq!(node.call(id, "MGET a b"), "*2\r\n$-1\r\n$1\r\n2\r\n");
    node.send(id, "INFO persistence");
    assert!(node.h.take_replies(id).contains("loading:0\r\n"));
}

#[test]
fn a_failed_manifest_write_keeps_the_files_it_may_have_named_until_a_repair() {
    let config = config(Fsync::EverySec);
    let mut node = Node::start(config.clone());
    let id = node.open();
    node.call(id, "SET a 1");
    node.send(id, "BGREWRITEAOF");
    node.turn();
    // Everything up to the manifest naming the new base goes well; that manifest's write
    // fails (after its rename, for all the server knows).
    for _ in 0..10_000 {
        let names_base = matches!(
            node.pending.front(),
            Some((_, DiskRequest::Replace { bytes, .. }))
                if String::from_utf8_lossy(bytes).contains("appendonly.aof.2.base.rdb")
        );
        if names_base {
            break;
        }
        if node.pending.is_empty() {
            node.turn();
            node.advance(1);
        } else {
            node.answer_one();
        }
    }
    node.answer_with(Err(NO_SPACE.to_string()));
    node.settle();
    assert!(
        node.disk
            .aof_files()
            .contains(&"appendonly.aof.2.base.rdb".to_string()),
        "{:?}",
        node.disk.aof_files()
    );
    // The repair's manifest names other files: then those go.
    for _ in 0..20 {
        node.advance(1000);
        node.settle();
    }
    let manifest = String::from_utf8_lossy(node.disk.bytes(MANIFEST)).into_owned();
    assert!(manifest.contains("appendonly.aof.3.base.rdb"), "{manifest}");
    let mut named: Vec<String> = manifest
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap().to_string())
        .collect();
    named.push("appendonly.aof.manifest".to_string());
    named.sort();
    let mut files = node.disk.aof_files();
    files.sort();
    assert_eq!(files, named);
    node.h.take_replies(id);
    assert_eq!(node.call(id, "SET b 2"), "+OK\r\n");
    assert_reloads_alike(&mut node, &config, "after the repair");
}
