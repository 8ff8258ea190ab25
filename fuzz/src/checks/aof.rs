//! Untrusted append-only files, as the server finds them at start: a manifest and the files it
//! names, fed through the loading calls (`aof_manifest`, `aof_load_begin`, `aof_load_chunk`,
//! `aof_load_end`, `aof_start`) in chunks of sizes the input picks. Nothing may panic or break
//! an invariant, and every run ends. The outcome (each file's tail, or the error and where it
//! was found) and the data loaded must not depend on how the bytes were cut into chunks. A
//! server that loaded must serve: PING and DBSIZE get whole replies, and the data is still
//! there. A file cut at the length its tail reports (as the driver cuts it) must load whole
//! with the same data.
//!
//! The input, in order:
//! - a flags byte: bit 0 sets `aof-load-truncated`; bits 1-2 are 0 for a manifest taken from
//!   the input, else the manifest is made up: bits 3-4 give its base (none, an RDB file, a
//!   command file), bits 5-6 how many incremental files follow (1 to 3, at most 3 files in
//!   all);
//! - a manifest from the input: a 2-byte little-endian length, then its bytes;
//! - up to three files, each a 2-byte little-endian length, then its bytes; the manifest's
//!   paths get them in order (a path past them gets an empty file);
//! - the chunk sizes, one byte each (the byte plus one); once they run out, what is left of a
//!   file goes in one chunk.

use ferrodis_core::aof::reader::Tail;
use ferrodis_core::protocol::resp::encode_request;
use ferrodis_core::{Config, ConnectionId, Instant, LoadError, Now, Output, Server, UnixMillis};

/// The longest string a command may build: a few bytes of input can ask for this much.
pub const STRING_BYTES_MAX: usize = 4096;
/// The Lua heap a script in a file may fill.
pub const SCRIPT_MEMORY_BYTES_MAX: usize = 8 << 20;
/// Disk requests answered after the load (a first rewrite, a new incremental file).
const DISK_REQUESTS_MAX: usize = 100_000;
/// `handle_timeout` calls while waiting for a reply, so that a run always ends.
const TIMER_CALLS_MAX: usize = 16;

fn now() -> Now {
    Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000))
}

fn config(load_truncated: bool) -> Config {
    Config {
        appendonly: true,
        aof_load_truncated: load_truncated,
        bulk_bytes_max: STRING_BYTES_MAX,
        script_memory_bytes_max: SCRIPT_MEMORY_BYTES_MAX,
        save_points: Vec::new(),
        ..Config::default()
    }
}

/// A decoded input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub load_truncated: bool,
    pub manifest: Vec<u8>,
    pub files: Vec<Vec<u8>>,
    pub chunks: Vec<u8>,
}

/// Reads the input's parts; past the end every read gives nothing.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, count: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(count.min(self.0.len()));
        self.0 = rest;
        taken
    }

    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// A 2-byte little-endian length, then that many bytes (or what is left).
    fn sized(&mut self) -> &'a [u8] {
        let length = u16::from_le_bytes([self.u8(), self.u8()]);
        self.take(usize::from(length))
    }
}

/// The manifest the flags describe: a base (none, RDB, commands) and incremental files.
fn made_up_manifest(flags: u8) -> Vec<u8> {
    let base = (flags >> 3) & 3;
    let mut text = String::new();
    match base {
        1 => text.push_str("file appendonly.aof.1.base.rdb seq 1 type b\n"),
        2 => text.push_str("file appendonly.aof.1.base.aof seq 1 type b\n"),
        _ => {}
    }
    let has_base = matches!(base, 1 | 2);
    let incrs = (1 + usize::from((flags >> 5) & 3) % 3).min(3 - usize::from(has_base));
    for seq in 1..=incrs {
        text.push_str(&format!(
            "file appendonly.aof.{seq}.incr.aof seq {seq} type i\n"
        ));
    }
    text.into_bytes()
}

pub fn decode(data: &[u8]) -> Case {
    let mut bytes = Bytes(data);
    let flags = bytes.u8();
    let manifest = match (flags >> 1) & 3 {
        0 => bytes.sized().to_vec(),
        _ => made_up_manifest(flags),
    };
    let files = (0..3).map(|_| bytes.sized().to_vec()).collect();
    Case {
        load_truncated: flags & 1 == 1,
        manifest,
        files,
        chunks: bytes.0.to_vec(),
    }
}

/// How a load ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// The manifest was refused.
    Manifest(String),
    /// File `file` (its index among the manifest's paths) failed.
    Failed { file: usize, error: LoadError },
    /// Every file loaded: each file's tail.
    Loaded(Vec<Tail>),
}

/// What one load shows: its outcome, the data's digest, and (once loaded) the replies to PING
/// and DBSIZE.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Summary {
    outcome: Outcome,
    digest: String,
    replies: Vec<Vec<u8>>,
}

/// Loads `case` into a new server, each file in chunks of the case's sizes (`chunked`) or
/// whole.
fn load(case: &Case, chunked: bool) -> Summary {
    let mut server = Server::new(config(case.load_truncated), now());
    let outcome = load_files(&mut server, case, chunked);
    server.check_invariants();
    let digest = server.digest(now());
    let mut replies = Vec::new();
    if let Outcome::Loaded(_) = outcome {
        server.aof_start(now());
        answer_disk(&mut server);
        server.check_invariants();
        let id = server
            .connection_open(now(), "127.0.0.1:1")
            .expect("a first connection");
        for args in [&[&b"PING"[..]][..], &[b"DBSIZE"]] {
            let reply = call(&mut server, id, args);
            assert!(
                reply.ends_with(b"\r\n") && !reply.is_empty(),
                "{args:?} got a whole reply: {}",
                reply.escape_ascii()
            );
            replies.push(reply);
        }
        server.check_invariants();
        assert_eq!(server.digest(now()), digest, "serving kept the data");
    }
    Summary {
        outcome,
        digest,
        replies,
    }
}

fn load_files(server: &mut Server, case: &Case, chunked: bool) -> Outcome {
    let paths = match server.aof_manifest(Some(&case.manifest)) {
        Ok(paths) => paths,
        Err(message) => return Outcome::Manifest(message),
    };
    let mut sizes = case.chunks.iter();
    let mut tails = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let file: &[u8] = case.files.get(index).map_or(&[], Vec::as_slice);
        server.aof_load_begin(now(), path);
        let mut rest = file;
        while !rest.is_empty() {
            let size = match sizes.next() {
                Some(&size) if chunked => usize::from(size) + 1,
                _ => rest.len(),
            };
            let (chunk, after) = rest.split_at(size.min(rest.len()));
            rest = after;
            if let Err(error) = server.aof_load_chunk(now(), chunk) {
                assert!(error.offset <= file.len(), "{error:?} lies in the file");
                return Outcome::Failed { file: index, error };
            }
            drain(server);
        }
        let last = index + 1 == paths.len();
        match server.aof_load_end(now(), last) {
            Ok(tail) => {
                if let Tail::Truncated { valid } = tail {
                    assert!(last && case.load_truncated, "only the last file may be cut");
                    assert!(valid < file.len() as u64, "{valid} cuts the file short");
                }
                tails.push(tail);
            }
            Err(error) => {
                assert!(error.offset <= file.len(), "{error:?} lies in the file");
                return Outcome::Failed { file: index, error };
            }
        }
        drain(server);
    }
    Outcome::Loaded(tails)
}

/// Drops outputs nobody acts on while loading, and answers disk requests at once.
fn drain(server: &mut Server) {
    while let Some(output) = server.poll_output() {
        if let Output::Disk { token, .. } = output {
            server.disk_done(now(), token, Ok(()));
        }
    }
}

/// Ends loop turns and answers every disk request until none comes.
fn answer_disk(server: &mut Server) {
    for _ in 0..DISK_REQUESTS_MAX {
        server.before_sleep(now());
        let mut answered = false;
        while let Some(output) = server.poll_output() {
            if let Output::Disk { token, .. } = output {
                server.disk_done(now(), token, Ok(()));
                answered = true;
            }
        }
        if !answered {
            return;
        }
    }
    panic!("the disk requests after loading never end");
}

/// One command's reply, the disk and the timers given their turn until it comes.
fn call(server: &mut Server, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
    server.connection_receive(now(), id, &encode_request(args));
    for _ in 0..TIMER_CALLS_MAX {
        answer_disk(server);
        if !server.send_buffer(id).is_empty() {
            break;
        }
        server.handle_timeout(now());
    }
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now(), id, reply.len());
    reply
}

/// The case with its last file cut where its tail said.
fn cut(case: &Case, valid: u64, last: usize) -> Case {
    let mut cut = case.clone();
    cut.files[last].truncate(valid as usize);
    cut
}

pub fn run(data: &[u8]) {
    let case = decode(data);
    let whole = load(&case, false);
    let chunked = load(&case, true);
    assert_eq!(chunked, whole, "chunks change nothing");
    if let Outcome::Loaded(tails) = &whole.outcome {
        if let Some(&Tail::Truncated { valid }) = tails.last() {
            let again = load(&cut(&case, valid, tails.len() - 1), true);
            let Outcome::Loaded(tails) = &again.outcome else {
                panic!("the cut file loads: {:?}", again.outcome);
            };
            assert_eq!(tails.last(), Some(&Tail::Whole), "the cut file is whole");
            assert_eq!(
                again.digest, whole.digest,
                "the cut file holds the same data"
            );
            assert_eq!(again.replies, whole.replies);
        }
    }
}
