//! The append-only file, as the core sees it: Redis 7.0's multi-part layout (a directory with
//! a manifest, one base file and incremental files), what is written to it and when it is
//! durable.
//!
//! Every change reaches the file through the propagation stream (keyspace.rs), where each one
//! is recorded as RESP. At the end of an event-loop turn (`Server::before_sleep`) the stream's
//! changes move into `buffer` (with a SELECT where the database changes), and then, and
//! whenever the disk answers, the buffer is handed to the driver as one `DiskRequest::Append`;
//! under `always` an fsync follows. One request is in flight at a time, so whatever piles up
//! meanwhile goes out in the next one: a group commit. A reply produced while changes are not
//! yet durable is held (`Connection::held_until`, a count of changes that `marks` turns into
//! an offset) until they are: written under `everysec` and `no`, fsynced under `always`.
//!
//! A rewrite (BGREWRITEAOF, turning the file on, the automatic rewrite, or the repair after a
//! failure) opens a new incremental file at its instant and writes a new base, the data at that
//! instant, with the background save's snapshot machinery; the manifest then names the new
//! base and the new incremental file, and the old files are removed.

pub(crate) mod base;
pub mod manifest;
pub mod reader;

use std::collections::VecDeque;

use crate::clients::ConnectionId;
use crate::keyspace::Changes;
use crate::persistence::{DiskRequest, DiskToken};
use crate::protocol::resp::encode_request_into;
use crate::time::{Instant, UnixMillis};
use manifest::Manifest;

/// `appendfsync`: when written bytes are made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }

    pub fn parse(text: &str) -> Option<Fsync> {
        match text.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }
}

/// Under `everysec`, a write waits at most this long for an fsync still running (Redis
/// postpones its write up to 2 seconds, then writes anyway).
pub(crate) const POSTPONE_MILLIS_MAX: u64 = 2000;

/// The most feeds `Aof::marks` keeps apart.
const MARKS_MAX: usize = 1024;

/// What a queued request is for, once the disk answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// The buffer's bytes up to this offset are written.
    Written(u64),
    /// The bytes up to this offset are fsynced.
    Synced(u64),
    /// The manifest naming a new incremental file (this sequence number) is durable.
    IncrOpened(u64),
    /// The manifest naming the rewrite's base is durable: the rewrite is done.
    Rewritten,
    /// Nothing to do (removing old files).
    Nothing,
    /// A write or fsync that was with the driver when the files broke: whatever it says,
    /// nothing is promised from it.
    Dropped,
}

/// A request to hand to the driver, in turn.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) request: DiskRequest,
    pub(crate) then: Then,
}

/// A rewrite under way: its base is written by the save machinery (`SaveKind::AofRewrite`).
#[derive(Debug, Clone)]
pub(crate) struct Rewrite {
    pub(crate) started: UnixMillis,
    /// The offset at its instant: everything before is in the new base.
    pub(crate) offset: u64,
    /// The manifest once the rewrite is done.
    pub(crate) manifest: Manifest,
    /// The manifest while it runs: the old files and the new incremental one.
    pub(crate) opened: Manifest,
    /// A repair: the files were broken when it began, and are sound once it is done.
    pub(crate) repairs: bool,
    /// `opened` was made durable at the start. Not when the files are broken: the last old
    /// file may end in what a failed write or fsync left, which only the last file of a
    /// manifest may, and nothing is appended meanwhile (writes are refused).
    pub(crate) published: bool,
    /// The new base's size, once written.
    pub(crate) base_bytes: u64,
    /// The new base is written and renamed into the directory (a failure after removes it).
    pub(crate) base_in_place: bool,
}

pub(crate) struct Aof {
    /// `appendonly` is in force: changes are appended.
    pub(crate) on: bool,
    /// Turned on, and the first rewrite is not done: nothing is promised yet (as Redis's
    /// `AOF_WAIT_REWRITE`), so replies are not held.
    pub(crate) status_starting: bool,
    /// The server started with the file on and no files: replies wait for the first rewrite
    /// (Redis makes its base before it serves).
    pub(crate) hold_while_starting: bool,
    /// Commands encoded, not yet handed to the driver.
    buffer: Vec<u8>,
    /// The database the file's last SELECT named.
    selected: Option<usize>,
    /// Offsets in the stream of all bytes ever appended (across files): appended to the
    /// buffer, written by the driver, fsynced.
    pub(crate) appended: u64,
    pub(crate) written: u64,
    pub(crate) synced: u64,
    /// Per feed not yet durable, oldest first: the count of changes taken before it, and the
    /// offset its bytes end at. A reply waits for a count of changes (see
    /// `Keyspace::changes_recorded`), which these turn into offsets.
    marks: VecDeque<(u64, u64)>,
    /// Requests in order; the first is with the driver while `in_flight` names it.
    pub(crate) queue: VecDeque<Job>,
    pub(crate) in_flight: Option<DiskToken>,
    /// `everysec`'s fsync, which runs beside the queue: its token, what it covers, when it
    /// began.
    pub(crate) syncing: Option<(DiskToken, u64, Instant)>,
    pub(crate) last_sync: Instant,
    /// The incremental file appends go to.
    pub(crate) incr_path: String,
    /// The file the last write that completed went to: what `everysec` fsyncs (the file
    /// appends go to may not exist yet, while the requests that make it wait in the queue).
    pub(crate) written_path: String,
    /// The highest sequence number an incremental file was given: a new file never takes the
    /// name of one a failure left unnamed (it may hold appends).
    pub(crate) incr_seq_opened: u64,
    /// The same for bases: a failed rewrite's base, removed later, is never a new one.
    pub(crate) base_seq_opened: u64,
    /// Files a manifest whose write failed would have named: the manifest on disk may name
    /// them (the failure may have come after its rename), so they stay until a rewrite's
    /// manifest, which does not name them, is durable.
    pub(crate) maybe_named: Vec<manifest::FileInfo>,
    /// The files as the manifest on disk names them.
    pub(crate) manifest: Manifest,
    /// A write or fsync failed: what the disk said. The files are not trusted (the page cache
    /// may have dropped what an fsync failed to write) until a rewrite replaces them; writes
    /// are refused meanwhile, and held replies wait for it.
    pub(crate) broken: Option<String>,
    pub(crate) last_write_ok: bool,
    pub(crate) rewrite: Option<Rewrite>,
    pub(crate) rewrite_scheduled: bool,
    /// BGREWRITEAOF asked for a rewrite: it begins right after the command.
    pub(crate) rewrite_requested: bool,
    /// Connections whose replies wait for the file.
    pub(crate) held: Vec<ConnectionId>,
    pub(crate) rewrites: u64,
    pub(crate) last_rewrite_ok: bool,
    pub(crate) consecutive_failures: u32,
    pub(crate) last_rewrite_secs: i64,
    pub(crate) last_failed_rewrite: Option<UnixMillis>,
    pub(crate) delayed_fsyncs: u64,
    /// Bytes in the files: the base at the last rewrite, and in all now (for
    /// `auto-aof-rewrite-percentage`).
    pub(crate) base_bytes: u64,
    pub(crate) current_bytes: u64,
    /// Where a write while `everysec`'s fsync runs began to wait.
    pub(crate) postponed_since: Option<Instant>,
    /// The driver's stop waits for the last bytes to be durable.
    pub(crate) stop_when_synced: bool,
}

impl Aof {
    pub(crate) fn new(now: Instant) -> Aof {
        Aof {
            on: false,
            status_starting: false,
            hold_while_starting: false,
            buffer: Vec::new(),
            selected: None,
            appended: 0,
            written: 0,
            synced: 0,
            marks: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: None,
            syncing: None,
            last_sync: now,
            incr_path: String::new(),
            written_path: String::new(),
            incr_seq_opened: 0,
            base_seq_opened: 0,
            maybe_named: Vec::new(),
            manifest: Manifest::default(),
            broken: None,
            last_write_ok: true,
            rewrite: None,
            rewrite_scheduled: false,
            rewrite_requested: false,
            held: Vec::new(),
            rewrites: 0,
            last_rewrite_ok: true,
            consecutive_failures: 0,
            last_rewrite_secs: -1,
            last_failed_rewrite: None,
            delayed_fsyncs: 0,
            base_bytes: 0,
            current_bytes: 0,
            postponed_since: None,
            stop_when_synced: false,
        }
    }

    /// Encodes changes into the buffer; `taken_before` changes were taken before them.
    pub(crate) fn feed(&mut self, changes: &Changes, taken_before: u64) {
        let before = self.buffer.len();
        for (db, bytes) in changes.iter() {
            if self.selected != Some(db) {
                let text = db.to_string();
                encode_request_into(&mut self.buffer, &[&b"SELECT"[..], text.as_bytes()]);
                self.selected = Some(db);
            }
            self.buffer.extend_from_slice(bytes);
        }
        self.appended += (self.buffer.len() - before) as u64;
        let full = self.marks.len() >= MARKS_MAX;
        match self.marks.back_mut() {
            // Past the bound (a long first rewrite, when nothing is durable), the last mark
            // grows: replies then wait for a little more than their own changes, never less.
            Some(last) if full => last.1 = self.appended,
            _ => self.marks.push_back((taken_before, self.appended)),
        }
    }

    /// How many changes are durable, of `taken` taken so far (and fed while the file is on):
    /// all those before the first feed whose bytes are not. Marks go only once fsynced: what
    /// is only written is durable no more after `appendfsync` becomes `always`.
    pub(crate) fn durable_changes(&mut self, config: &crate::config::Config, taken: u64) -> u64 {
        let durable = self.durable(config);
        let settled = durable.min(self.synced);
        while self.marks.front().is_some_and(|&(_, end)| end <= settled) {
            self.marks.pop_front();
        }
        let first_not_durable = self.marks.partition_point(|&(_, end)| end <= durable);
        self.marks
            .get(first_not_durable)
            .map_or(taken, |&(before, _)| before)
    }

    /// What replies wait for: the offset up to which the policy calls the file durable.
    pub(crate) fn durable(&self, config: &crate::config::Config) -> u64 {
        if self.status_starting {
            // No manifest names the files yet.
            return 0;
        }
        match config.appendfsync {
            Fsync::Always if !config.aof_release_before_fsync => self.synced,
            _ => self.written,
        }
    }

    pub(crate) fn has_unwritten(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// The buffer's bytes, for one append (the next SELECT is written again in a new file).
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        // The next turn's changes are likely as many: room for them spares growing anew (up
        // to a bound, so that one huge turn does not make every later one allocate as much).
        let room = self.buffer.len().min(1 << 20);
        std::mem::replace(&mut self.buffer, Vec::with_capacity(room))
    }

    /// The buffer's changes are in the base being written (a rewrite that repairs broken
    /// files): they are dropped, and count as durable once the rewrite is.
    pub(crate) fn drop_buffer(&mut self) {
        self.buffer.clear();
        self.selected = None;
    }

    /// A new file begins: its first change is preceded by a SELECT.
    pub(crate) fn new_file(&mut self) {
        self.selected = None;
    }

    pub(crate) fn push(&mut self, request: DiskRequest, then: Then) {
        self.queue.push_back(Job { request, then });
    }

    pub(crate) fn starting(&self) -> bool {
        self.status_starting
    }

    /// A rewrite runs or is waiting for its manifest.
    pub(crate) fn rewriting(&self) -> bool {
        self.rewrite.is_some()
    }
}
