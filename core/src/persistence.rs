//! Persistence as the core sees it: what it asks of the driver's disk (`Output::Disk`, one
//! request at a time per save, each answered by `Server::disk_done`), and what it keeps about
//! saving: the save in progress, the last one's time and status, the changes since.
//!
//! A save writes a temporary file in the target's directory, fsyncs and closes it, renames it
//! over the target and fsyncs the directory: the old file stays whole until the new one is
//! durable under its name. The core waits for each step's answer before asking the next, so a
//! failure stops the save where it happened (the temporary file is then removed) and a save's
//! bytes wait in the core, never piling up in the driver.

use std::collections::VecDeque;

use crate::aof::base::CommandWriter;
use crate::clients::ConnectionId;
use crate::rdb::file::FileWriter;
use crate::time::UnixMillis;
use crate::value::Value;

/// One thing to do with a file. Paths are as the core built them from `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskRequest {
    /// Create the file, or truncate it, and keep it open for writing.
    Create { path: String },
    /// Append to the file `Create` opened.
    Write { path: String, bytes: Vec<u8> },
    /// fsync the file.
    Sync { path: String },
    /// Close the file.
    Close { path: String },
    /// Rename `from` to `to`, replacing `to` atomically.
    Rename { from: String, to: String },
    /// fsync a directory, so that a rename in it survives a crash.
    SyncDir { path: String },
    /// Delete the file (a failed save's temporary file).
    Remove { path: String },
    /// Read the whole file (ACL LOAD); its bytes come back through `Server::disk_read_done`.
    Read { path: String },
    /// Replace the file with `bytes` at once (ACL SAVE, the AOF manifest): write a temporary
    /// file beside it, fsync it, rename it over the file, fsync the directory.
    Replace { path: String, bytes: Vec<u8> },
    /// Append to the end of the file, creating it if missing (the append-only file). The
    /// driver may do this at once on its loop, before requests given earlier (the core never
    /// gives one while a request on the same file is unanswered).
    Append { path: String, bytes: Vec<u8> },
    /// fsync the file, open or not (the append-only file's fsync, done off the loop).
    SyncFile { path: String },
    /// Create the directory (and its parents) unless it exists.
    CreateDir { path: String },
}

/// Names a disk request; the driver hands it back with the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DiskToken(pub u64);

/// A `save <seconds> <changes>` point: save when at least `changes` changes are at least
/// `secs` seconds old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    pub secs: u64,
    pub changes: u64,
}

/// Redis 7.0's save points when no `save` is configured.
pub const DEFAULT_SAVE_POINTS: [SavePoint; 3] = [
    SavePoint {
        secs: 3600,
        changes: 1,
    },
    SavePoint {
        secs: 300,
        changes: 100,
    },
    SavePoint {
        secs: 60,
        changes: 10000,
    },
];

/// A failed background save is tried again by the save points only after this long (Redis's
/// `CONFIG_BGSAVE_RETRY_DELAY`).
pub(crate) const RETRY_DELAY_MILLIS: i64 = 5000;

/// A background save with incremental fsync on fsyncs its file each time this much more was
/// written (Redis's `REDIS_AUTOSYNC_BYTES`).
pub(crate) const INCREMENTAL_FSYNC_BYTES: u64 = 4 << 20;

/// Who waits for a save, and what happens after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveKind {
    /// SAVE: `client` gets OK or an error when the file is durable or has failed.
    Foreground { client: Option<ConnectionId> },
    /// SHUTDOWN, or the driver's stop (SIGTERM): stop once saved; on failure `client` gets
    /// Redis's error and the server goes on, unless `force`.
    Shutdown {
        client: Option<ConnectionId>,
        force: bool,
    },
    /// BGSAVE or a save point: nobody waits.
    Background,
    /// An append-only file rewrite's base (see aof/): written like a background save, then
    /// named by a new manifest.
    AofRewrite,
}

impl SaveKind {
    /// Nobody waits for it: it is written while commands go on.
    pub(crate) fn in_background(self) -> bool {
        matches!(self, SaveKind::Background | SaveKind::AofRewrite)
    }

    /// Written from a snapshot a piece at a time (SAVE's pieces are bigger: its client waits
    /// for all of them). A stop's save takes the whole image at once.
    pub(crate) fn snapshotted(self) -> bool {
        !matches!(self, SaveKind::Shutdown { .. })
    }
}

/// The step a save waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Create,
    Write,
    Sync,
    Close,
    Rename,
    SyncDir,
}

/// A save under way.
pub(crate) struct SaveJob {
    pub(crate) kind: SaveKind,
    pub(crate) temp: String,
    pub(crate) target: String,
    pub(crate) dir: String,
    pub(crate) step: Step,
    /// The request answered next.
    pub(crate) waiting_on: DiskToken,
    /// The image, in pieces still to write.
    pub(crate) chunks: VecDeque<Vec<u8>>,
    /// The source of further pieces, for a save from a snapshot; `None` once the last is
    /// made.
    pub(crate) producer: Option<Producer>,
    /// The change count the image holds: what `changes_at_last_save` becomes on success.
    pub(crate) changes: u64,
    pub(crate) started: UnixMillis,
    /// Bytes handed to the disk so far, and since the last fsync (see
    /// `INCREMENTAL_FSYNC_BYTES`).
    pub(crate) bytes: u64,
    pub(crate) unsynced: u64,
}

/// A save's writer from a snapshot: the databases whose snapshots remain to write, first the one
/// being written, each with its key and deadline counts for RESIZEDB.
pub(crate) struct Producer {
    pub(crate) writer: ImageWriter,
    pub(crate) dbs: VecDeque<(usize, usize, usize)>,
    /// The first database's SELECTDB is written.
    pub(crate) selected: bool,
    /// The size of each piece it hands out.
    pub(crate) chunk_bytes: usize,
}

/// What an image is written as: an RDB file, or commands (an append-only file's base under
/// `aof-use-rdb-preamble no`).
pub(crate) enum ImageWriter {
    Rdb(FileWriter),
    Commands(CommandWriter),
}

impl ImageWriter {
    /// A function library's code.
    pub(crate) fn library(&mut self, code: &[u8]) {
        match self {
            ImageWriter::Rdb(writer) => writer.library(code),
            ImageWriter::Commands(writer) => writer.library(code),
        }
    }

    /// Starts database `index`, which holds `keys` keys of which `expiring` have a deadline.
    pub(crate) fn select_db(&mut self, index: usize, keys: usize, expiring: usize) {
        match self {
            ImageWriter::Rdb(writer) => writer.select_db(index, keys, expiring),
            ImageWriter::Commands(writer) => writer.select_db(index),
        }
    }

    /// One key of the current database, with its access clock.
    pub(crate) fn entry(
        &mut self,
        key: &[u8],
        value: &Value,
        deadline: Option<UnixMillis>,
        clock: u32,
    ) {
        match self {
            ImageWriter::Rdb(writer) => writer.entry(key, value, deadline, clock),
            ImageWriter::Commands(writer) => writer.entry(key, value, deadline),
        }
    }

    /// The time the access clocks are read at from now on.
    pub(crate) fn set_now(&mut self, now: UnixMillis) {
        if let ImageWriter::Rdb(writer) = self {
            writer.set_now(now);
        }
    }

    /// Bytes written and not taken yet.
    pub(crate) fn pending(&self) -> usize {
        match self {
            ImageWriter::Rdb(writer) => writer.pending(),
            ImageWriter::Commands(writer) => writer.pending(),
        }
    }

    /// What was written since the last `take`.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        match self {
            ImageWriter::Rdb(writer) => writer.take(),
            ImageWriter::Commands(writer) => writer.take(),
        }
    }

    /// The end of the image (an RDB file's EOF and checksum).
    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            ImageWriter::Rdb(writer) => writer.finish(),
            ImageWriter::Commands(mut writer) => writer.take(),
        }
    }
}

/// What the server keeps about saving.
pub(crate) struct Persistence {
    pub(crate) job: Option<SaveJob>,
    next_token: u64,
    /// LASTSAVE: when the last successful save began (Redis counts from the start too).
    pub(crate) last_save: UnixMillis,
    pub(crate) last_save_ok: bool,
    /// When the last save that failed was tried.
    pub(crate) last_failure: Option<UnixMillis>,
    /// The change count at the last successful save (or at load).
    pub(crate) changes_at_last_save: u64,
    /// BGSAVE SCHEDULE while a save was running: one more when it ends.
    pub(crate) scheduled: bool,
    /// The driver asked to stop while a save somebody waits for was writing: the shutdown's
    /// save follows it.
    pub(crate) shutdown_requested: bool,
    /// Seconds the last save took, for INFO.
    pub(crate) last_duration_secs: i64,
    pub(crate) saves: u64,
    /// What the last load found.
    pub(crate) loaded: crate::server::persistence::Loaded,
}

impl Persistence {
    pub(crate) fn new(now: UnixMillis) -> Persistence {
        Persistence {
            job: None,
            next_token: 1,
            last_save: now,
            last_save_ok: true,
            last_failure: None,
            changes_at_last_save: 0,
            scheduled: false,
            shutdown_requested: false,
            last_duration_secs: -1,
            saves: 0,
            loaded: Default::default(),
        }
    }

    pub(crate) fn token(&mut self) -> DiskToken {
        let token = DiskToken(self.next_token);
        self.next_token += 1;
        token
    }

    /// An RDB save runs (not an append-only file's rewrite).
    pub(crate) fn saving(&self) -> bool {
        self.job
            .as_ref()
            .is_some_and(|job| job.kind != SaveKind::AofRewrite)
    }

    /// The save machinery is busy (a save or a rewrite's base).
    pub(crate) fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// A save runs that a client (or the server's stop) waits for: SAVE or SHUTDOWN's.
    pub(crate) fn waited_on(&self) -> bool {
        self.job
            .as_ref()
            .is_some_and(|job| !job.kind.in_background())
    }
}

/// `name` in directory `dir`.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// What a client waits on a whole-file request for: ACL LOAD and ACL SAVE read or replace the
/// ACL file; CONFIG REWRITE reads the config file, then replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileOp {
    AclLoad,
    AclSave,
    ConfigRead,
    ConfigWrite,
}

/// Whole-file requests in flight: each asked the driver's disk to read or replace a file, and
/// its client waits for the answer.
#[derive(Debug, Default)]
pub(crate) struct FileRequests {
    waiting: Vec<(DiskToken, crate::clients::ConnectionId, FileOp)>,
}

impl FileRequests {
    pub(crate) fn request(
        &mut self,
        token: DiskToken,
        client: crate::clients::ConnectionId,
        op: FileOp,
    ) {
        self.waiting.push((token, client, op));
    }

    /// The request `token` names, if it is one of these: its client and what it asked.
    pub(crate) fn answered(
        &mut self,
        token: DiskToken,
    ) -> Option<(crate::clients::ConnectionId, FileOp)> {
        let index = self
            .waiting
            .iter()
            .position(|(known, ..)| *known == token)?;
        let (_, client, op) = self.waiting.remove(index);
        Some((client, op))
    }
}
