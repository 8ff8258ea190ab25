//! Saving and loading RDB files: the save's steps through the driver's disk, the save points,
//! the save before stopping, and loading a file at start.

use std::collections::{BTreeMap, VecDeque};

use super::{Output, Server};
use crate::aof::base::CommandWriter;
use crate::clients::ConnectionId;
use crate::command::REDIS_VERSION;
use crate::config::Ranking;
use crate::effects::Effects;
use crate::keyspace::Keyspace;
use crate::output::LogLevel;
use crate::persistence::{
    join, DiskRequest, DiskToken, FileOp, ImageWriter, Producer, SaveJob, SaveKind, Step,
    INCREMENTAL_FSYNC_BYTES, RETRY_DELAY_MILLIS,
};
use crate::rdb::file::{read_file, FileWriter, Item, SavedAccess};
use crate::rdb::value::Shape;
use crate::reply::Reply;
use crate::state::ServerState;
use crate::time::{Now, UnixMillis};

/// SAVE's image is handed to the disk in writes of about this many bytes (made one at a time
/// between turns of the event loop, while the disk writes the one before).
const CHUNK_BYTES: usize = 1 << 20;
/// A background save writes this much per step of the event loop (each disk write that
/// completes asks for the next): small enough that serializing it takes a few hundred
/// microseconds at most (about 2,800 small string keys), big enough that a save of millions
/// of keys is not thousands of round trips more than it needs.
const BACKGROUND_CHUNK_BYTES: usize = 64 << 10;
/// Work units (keys and elements) per snapshot step.
const SNAPSHOT_STEP_WORK: usize = 1024;

/// What loading a file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loaded {
    pub keys: u64,
    /// Keys whose deadline had passed: not loaded.
    pub expired: u64,
    /// Empty collections: not loaded (Redis skips them too).
    pub empty: u64,
    /// The bytes the RDB took, up to its checksum.
    pub length: usize,
}

/// Why a file could not be loaded: what was wrong, and the byte offset it was found at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub offset: usize,
    pub message: String,
}

/// Starts a save: the outputs it needs go out through `effects`. SHUTDOWN takes the whole
/// image at once (Redis blocks for it too); other saves begin a snapshot of every database and
/// write it a bounded chunk at a time (`next_chunk`), while commands go on.
/// A shutdown's save takes over from a save that runs (its temporary file is removed); other
/// callers check that none runs.
pub(crate) fn begin_save(
    keyspace: &mut Keyspace,
    state: &mut ServerState,
    effects: &mut Effects,
    kind: SaveKind,
) {
    if let Some(job) = state.persistence.job.take() {
        debug_assert!(matches!(kind, SaveKind::Shutdown { .. }) && job.kind.in_background());
        abandon(keyspace, state, effects, job);
    }
    let now = state.now.wall;
    let pid = state.config.process_id;
    let (target, temp, dir) = match &state.aof.rewrite {
        Some(rewrite) if kind == SaveKind::AofRewrite => {
            let aof_dir = state.config.aof_dir();
            let base = rewrite
                .manifest
                .base
                .as_ref()
                .expect("a rewrite makes a base");
            let temp = join(&state.config.dir, &format!("temp-rewriteaof-bg-{pid}.aof"));
            (join(&aof_dir, &base.name), temp, aof_dir)
        }
        _ => {
            let dir = state.config.dir.clone();
            let target = join(&dir, &state.config.dbfilename);
            (target, join(&dir, &format!("temp-{pid}.rdb")), dir)
        }
    };
    let mut writer = image_writer(state, kind == SaveKind::AofRewrite);
    for library in state.scripts.libraries.values() {
        writer.library(&library.code);
    }
    let mut chunks = VecDeque::new();
    let producer = if kind.snapshotted() {
        let mut dbs = VecDeque::new();
        for (index, db) in keyspace.dbs.iter_mut().enumerate() {
            if !db.is_empty() {
                dbs.push_back((index, db.len(), db.expires_count()));
                db.snapshot_begin(index);
            }
        }
        chunks.push_back(writer.take());
        Some(Producer {
            writer,
            dbs,
            selected: false,
            chunk_bytes: if kind.in_background() {
                BACKGROUND_CHUNK_BYTES
            } else {
                CHUNK_BYTES
            },
        })
    } else {
        whole_image(keyspace, now, writer, &mut chunks);
        None
    };
    let persistence = &mut state.persistence;
    let waiting_on = persistence.token();
    persistence.job = Some(SaveJob {
        kind,
        temp: temp.clone(),
        target,
        dir,
        step: Step::Create,
        waiting_on,
        chunks,
        producer,
        changes: keyspace.changes(),
        started: now,
        bytes: 0,
        unsynced: 0,
    });
    let message = match kind {
        SaveKind::Background => Some("Background saving started"),
        SaveKind::AofRewrite => Some("Background append only file rewriting started"),
        SaveKind::Shutdown { .. } => Some("Saving the final RDB snapshot before exiting."),
        SaveKind::Foreground { .. } => None,
    };
    if let Some(message) = message {
        effects.output(Output::Log {
            level: LogLevel::Notice,
            message: message.to_string(),
        });
    }
    effects.output(Output::Disk {
        token: waiting_on,
        request: DiskRequest::Create { path: temp },
    });
}

/// Drops a background save or rewrite under way: its snapshots end, its temporary file is
/// closed and removed.
fn abandon(keyspace: &mut Keyspace, state: &mut ServerState, effects: &mut Effects, job: SaveJob) {
    keyspace.abort_snapshots(effects);
    for request in [
        DiskRequest::Close {
            path: job.temp.clone(),
        },
        DiskRequest::Remove { path: job.temp },
    ] {
        let token = state.persistence.token();
        effects.output(Output::Disk { token, request });
    }
}

/// The whole data as an RDB file, now (SYNC's payload).
pub(crate) fn whole_file(keyspace: &Keyspace, state: &ServerState) -> Vec<u8> {
    let mut writer = image_writer(state, false);
    for library in state.scripts.libraries.values() {
        writer.library(&library.code);
    }
    let mut chunks = VecDeque::new();
    whole_image(keyspace, state.now.wall, writer, &mut chunks);
    chunks.into_iter().flatten().collect()
}

/// An image's writer: an RDB file with its header and auxiliary fields written, or, for an
/// append-only file's base (`aof_base`) under `aof-use-rdb-preamble no`, commands.
fn image_writer(state: &ServerState, aof_base: bool) -> ImageWriter {
    let config = &state.config;
    if aof_base && !config.aof_use_rdb_preamble {
        return ImageWriter::Commands(CommandWriter::default());
    }
    let aux = [
        ("redis-ver", REDIS_VERSION.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", (state.now.wall.as_millis() / 1000).to_string()),
        ("used-mem", state.used_memory_bytes.to_string()),
        ("aof-base", u8::from(aof_base).to_string()),
    ];
    let now = state.now.wall;
    // Redis keeps what the eviction policy ranks by, and nothing under the others.
    let access = match config.maxmemory_policy.ranking() {
        Some(Ranking::Lru) => Some(SavedAccess::Idle { now }),
        Some(Ranking::Lfu) => Some(SavedAccess::Frequency {
            now,
            decay_minutes: config.lfu_decay_time_mins,
        }),
        _ => None,
    };
    ImageWriter::Rdb(FileWriter::new(
        &aux,
        config.rdb_compression,
        config.rdb_checksum,
        access,
    ))
}

/// Every database written at once after what `writer` holds, in chunks.
fn whole_image(
    keyspace: &Keyspace,
    now: UnixMillis,
    mut writer: ImageWriter,
    chunks: &mut VecDeque<Vec<u8>>,
) {
    for (index, db) in keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        writer.select_db(index, db.len(), db.expires_count());
        for (key, value, clock) in db.iter_with_clocks(now) {
            writer.entry(key, value, db.expiry(key), clock);
            if writer.pending() >= CHUNK_BYTES {
                chunks.push_back(writer.take());
            }
        }
    }
    chunks.push_back(writer.take());
    chunks.push_back(writer.finish());
}

/// The next piece of a save from a snapshot: snapshot steps until a chunk's worth is written
/// or every database is done (then the file's end). `None` once the end was handed out.
fn next_chunk(
    keyspace: &mut Keyspace,
    producer: &mut Option<Producer>,
    now: UnixMillis,
) -> Option<Vec<u8>> {
    let state = producer.as_mut()?;
    // Idle times are read now: a key accessed since the save began is not ahead of the clock.
    state.writer.set_now(now);
    loop {
        if state.writer.pending() >= state.chunk_bytes {
            return Some(state.writer.take());
        }
        let Some(&(origin, keys, expiring)) = state.dbs.front() else {
            let done = producer.take().expect("checked above");
            return Some(done.writer.finish());
        };
        if !state.selected {
            state.writer.select_db(origin, keys, expiring);
            state.selected = true;
        }
        let writer = &mut state.writer;
        let complete = match keyspace.snapshot_of(origin) {
            Some(db) => db.snapshot_step(SNAPSHOT_STEP_WORK, |key, value, deadline, clock| {
                writer.entry(key, value, deadline, clock)
            }),
            None => true,
        };
        if complete {
            state.dbs.pop_front();
            state.selected = false;
        }
    }
}

impl Server {
    pub(crate) fn start_save(&mut self, kind: SaveKind) {
        begin_save(&mut self.keyspace, &mut self.state, &mut self.effects, kind);
        self.deliver_effects(None);
    }

    /// The driver finished disk request `token`, with `result`.
    pub fn disk_done(&mut self, now: Now, token: DiskToken, result: Result<(), String>) {
        self.observe(now);
        if self.aof_disk_done(token, &result) {
            self.deliver_effects(None);
            return;
        }
        if let Some((client, op)) = self.state.files.answered(token) {
            self.file_done(client, op, result.map(|()| Vec::new()));
            return;
        }
        let Some(job) = self.state.persistence.job.as_mut() else {
            return;
        };
        if job.waiting_on != token {
            // The cleanup after a failure: nobody waits for it.
            return;
        }
        if let Err(error) = result {
            let (temp, step) = (job.temp.clone(), job.step);
            self.keyspace.abort_snapshots(&mut self.effects);
            // The file may still be open: close it, then remove it.
            if matches!(step, Step::Write | Step::Sync | Step::Close) {
                self.disk_unwaited(DiskRequest::Close { path: temp.clone() });
            }
            if step != Step::SyncDir {
                self.disk_unwaited(DiskRequest::Remove { path: temp });
            }
            self.finish_save(Err(error));
            return;
        }
        self.make_next_chunk();
        let job = self.state.persistence.job.as_mut().expect("checked above");
        let config = &self.state.config;
        let incremental = match job.kind {
            SaveKind::Background => config.rdb_save_incremental_fsync,
            SaveKind::AofRewrite => config.aof_rewrite_incremental_fsync,
            SaveKind::Foreground { .. } | SaveKind::Shutdown { .. } => false,
        };
        let request = match job.step {
            Step::Write if incremental && job.unsynced >= INCREMENTAL_FSYNC_BYTES => {
                // The answer comes back to `Step::Write`: the writes go on after it.
                job.unsynced = 0;
                DiskRequest::Sync {
                    path: job.temp.clone(),
                }
            }
            Step::Create | Step::Write => match job.chunks.pop_front() {
                Some(bytes) => {
                    job.step = Step::Write;
                    job.bytes += bytes.len() as u64;
                    job.unsynced += bytes.len() as u64;
                    DiskRequest::Write {
                        path: job.temp.clone(),
                        bytes,
                    }
                }
                None => {
                    job.step = Step::Sync;
                    DiskRequest::Sync {
                        path: job.temp.clone(),
                    }
                }
            },
            Step::Sync => {
                job.step = Step::Close;
                DiskRequest::Close {
                    path: job.temp.clone(),
                }
            }
            Step::Close => {
                job.step = Step::Rename;
                DiskRequest::Rename {
                    from: job.temp.clone(),
                    to: job.target.clone(),
                }
            }
            Step::Rename => {
                job.step = Step::SyncDir;
                DiskRequest::SyncDir {
                    path: job.dir.clone(),
                }
            }
            Step::SyncDir => {
                self.finish_save(Ok(()));
                return;
            }
        };
        let token = self.state.persistence.token();
        self.state
            .persistence
            .job
            .as_mut()
            .expect("checked above")
            .waiting_on = token;
        self.outputs.push_back(Output::Disk { token, request });
        self.deliver_effects(None);
    }

    /// The end of a turn: while the disk writes a save's piece, the next is made, so that the
    /// two overlap and the disk finds it ready when it asks.
    pub(crate) fn save_ahead(&mut self, now: Now) {
        let job = self.state.persistence.job.as_ref();
        if job.is_some_and(|job| job.chunks.is_empty() && job.producer.is_some()) {
            self.observe(now);
            self.make_next_chunk();
            self.deliver_effects(None);
        }
    }

    /// A piece of the save's snapshot, when none waits to be written.
    fn make_next_chunk(&mut self) {
        let Some(job) = self.state.persistence.job.as_mut() else {
            return;
        };
        if !job.chunks.is_empty() || job.producer.is_none() {
            return;
        }
        let now = self.state.now.wall;
        if let Some(chunk) = next_chunk(&mut self.keyspace, &mut job.producer, now) {
            job.chunks.push_back(chunk);
        }
        self.keyspace.release_detached(&mut self.effects, false);
    }

    /// A request whose answer nobody waits for.
    fn disk_unwaited(&mut self, request: DiskRequest) {
        let token = self.state.persistence.token();
        self.outputs.push_back(Output::Disk { token, request });
    }

    /// The running background save or rewrite is dropped (its temporary file removed).
    pub(crate) fn abandon_save(&mut self) {
        if let Some(job) = self.state.persistence.job.take() {
            abandon(&mut self.keyspace, &mut self.state, &mut self.effects, job);
            self.deliver_effects(None);
        }
    }

    fn finish_save(&mut self, result: Result<(), String>) {
        let now = self.state.now.wall;
        let persistence = &mut self.state.persistence;
        let job = persistence.job.take().expect("a save runs");
        if job.kind == SaveKind::AofRewrite {
            self.rewrite_base_written(result.map(|()| job.bytes));
            self.after_save_ends();
            return;
        }
        persistence.last_duration_secs = (now.as_millis() - job.started.as_millis()) / 1000;
        match &result {
            Ok(()) => {
                persistence.last_save = job.started;
                persistence.last_save_ok = true;
                persistence.last_failure = None;
                persistence.changes_at_last_save = job.changes;
                persistence.saves += 1;
            }
            // As in Redis, only a background save's failure marks the status (and refuses
            // writes under `stop-writes-on-bgsave-error`): SAVE's caller hears of its own.
            Err(_) if job.kind == SaveKind::Background => {
                persistence.last_save_ok = false;
                persistence.last_failure = Some(now);
            }
            Err(_) => {}
        }
        let message = match (&result, job.kind) {
            (Ok(()), SaveKind::Background) => {
                "Background saving terminated with success".to_string()
            }
            (Ok(()), _) => "DB saved on disk".to_string(),
            (Err(error), SaveKind::Background) => format!("Background saving error: {error}"),
            (_, SaveKind::AofRewrite) => unreachable!("handled above"),
            (Err(error), _) => format!("Failed saving the DB: {error}"),
        };
        let level = if result.is_ok() {
            LogLevel::Notice
        } else {
            LogLevel::Warning
        };
        self.log(level, message);
        match job.kind {
            SaveKind::Foreground { client } => {
                let answer = match &result {
                    Ok(()) => Ok(()),
                    Err(_) => Err(&b"ERR"[..]),
                };
                self.answer_saver(client, answer);
            }
            SaveKind::Shutdown { client, force } => {
                if result.is_ok() || force {
                    self.outputs.push_back(Output::Shutdown);
                } else {
                    self.log(
                        LogLevel::Warning,
                        "Error trying to save the DB, can't exit.".to_string(),
                    );
                    self.answer_saver(client, Err(b"ERR Errors trying to SHUTDOWN. Check logs."));
                }
            }
            SaveKind::Background | SaveKind::AofRewrite => {}
        }
        self.after_save_ends();
    }

    /// What waited for the save machinery: a stop's save, a scheduled save or rewrite.
    fn after_save_ends(&mut self) {
        if std::mem::take(&mut self.state.persistence.shutdown_requested) {
            self.shutdown_with_save(None);
        } else if std::mem::take(&mut self.state.aof.rewrite_scheduled) {
            self.begin_rewrite();
        } else if std::mem::take(&mut self.state.persistence.scheduled) {
            self.start_save(SaveKind::Background);
        }
    }

    /// The users of the ACL file (`aclfile`), read by the driver at start: all of them, or
    /// none and what is wrong, worded as Redis stops its start. `user` lines in the
    /// configuration may not come with a file.
    pub fn load_acl_file(&mut self, bytes: &[u8]) -> Result<(), String> {
        if !self.state.config.users.is_empty() {
            return Err(
                "Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                    .to_string(),
            );
        }
        let file = self.state.config.aclfile.clone().unwrap_or_default();
        let all_channels = self.state.config.acl_pubsub_default_all;
        self.state
            .acl
            .load_file(bytes, &file, all_channels)
            .map_err(|errors| format!("Aborting Redis startup because of ACL errors: {errors}"))
    }

    /// The driver read the file of request `token` (a `DiskRequest::Read`): its bytes, or why
    /// it could not.
    pub fn disk_read_done(&mut self, now: Now, token: DiskToken, result: Result<Vec<u8>, String>) {
        self.observe(now);
        if let Some((client, op)) = self.state.files.answered(token) {
            self.file_done(client, op, result);
        }
    }

    /// ACL LOAD, ACL SAVE or CONFIG REWRITE heard back from the disk. An ACL load replaces
    /// every user, and the connections of any but the default user are disconnected, as in
    /// Redis. CONFIG REWRITE, having read the config file, replaces it with the rewritten one.
    fn file_done(&mut self, client: ConnectionId, op: FileOp, result: Result<Vec<u8>, String>) {
        let file = self.state.config.aclfile.clone().unwrap_or_default();
        let answer = match (op, result) {
            (FileOp::ConfigRead, Ok(bytes)) => {
                match crate::command::rewrite_config(&self.state.config, &bytes) {
                    Ok(text) => {
                        let path = self.state.config.host.config_file.clone();
                        let token = self.state.persistence.token();
                        self.outputs.push_back(Output::Disk {
                            token,
                            request: DiskRequest::Replace {
                                path,
                                bytes: text.into_bytes(),
                            },
                        });
                        self.state.files.request(token, client, FileOp::ConfigWrite);
                        return;
                    }
                    Err(error) => Err(format!("ERR Rewriting config file: {error}")),
                }
            }
            (FileOp::ConfigRead | FileOp::ConfigWrite, Err(error)) => {
                self.log(LogLevel::Warning, format!("CONFIG REWRITE failed: {error}"));
                Err(format!("ERR Rewriting config file: {error}"))
            }
            (FileOp::ConfigWrite, Ok(_)) => {
                self.log(
                    LogLevel::Notice,
                    "CONFIG REWRITE executed with success.".to_string(),
                );
                Ok(())
            }
            (FileOp::AclSave, Ok(_)) => Ok(()),
            (FileOp::AclSave, Err(error)) => {
                self.log(
                    LogLevel::Warning,
                    format!("Writing ACL file for ACL SAVE: {error}"),
                );
                Err(
                    "ERR There was an error trying to save the ACLs. Please check the server \
                     logs for more information"
                        .to_string(),
                )
            }
            (FileOp::AclLoad, Err(error)) => Err(format!(
                "ERR Error loading ACLs, opening file '{file}': {error}"
            )),
            (FileOp::AclLoad, Ok(bytes)) => {
                let all_channels = self.state.config.acl_pubsub_default_all;
                match self.state.acl.load_file(&bytes, &file, all_channels) {
                    Ok(()) => {
                        self.disconnect_all_but_default_users();
                        Ok(())
                    }
                    Err(errors) => Err(format!("ERR {errors}")),
                }
            }
        };
        match answer {
            Ok(()) => self.answer_saver(Some(client), Ok(())),
            Err(text) => self.answer_saver(Some(client), Err(text.as_bytes())),
        }
    }

    /// Every connection logged in as a user other than the default one is closed.
    fn disconnect_all_but_default_users(&mut self) {
        let ids: Vec<ConnectionId> = self
            .clients
            .iter()
            .filter(|(_, connection)| connection.user != crate::acl::DEFAULT_USER)
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.effects
                .close(id, crate::connection::CloseReason::Killed);
        }
        self.deliver_effects(None);
    }

    /// The reply of a client that waited for a save, then its next commands.
    fn answer_saver(&mut self, client: Option<ConnectionId>, answer: Result<(), &[u8]>) {
        let Some(id) = client else {
            return;
        };
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        connection.awaiting_save = false;
        let mut reply = Reply::new(&mut connection.reply, connection.resp3);
        match answer {
            Ok(()) => reply.ok(),
            Err(b"ERR") => reply.error(b"ERR Failed saving the DB, check the logs"),
            Err(text) => reply.error(text),
        }
        self.resume(id);
    }

    /// The save points: a background save when enough changes are old enough (and a failed
    /// save is not too recent), from the cron.
    pub(super) fn check_save_points(&mut self) {
        let persistence = &self.state.persistence;
        // Not while a script is suspended: the snapshot would hold part of what it wrote.
        if persistence.busy()
            || self.state.config.save_points.is_empty()
            || self.state.scripts.busy.is_some()
        {
            return;
        }
        let now = self.state.now.wall;
        let changes = self.keyspace.changes() - persistence.changes_at_last_save;
        let since_save = (now.as_millis() - persistence.last_save.as_millis()) / 1000;
        let may_retry = persistence
            .last_failure
            .is_none_or(|at| now.as_millis() - at.as_millis() > RETRY_DELAY_MILLIS);
        let due =
            self.state.config.save_points.iter().find(|point| {
                changes >= point.changes && since_save >= point.secs as i64 && may_retry
            });
        if let Some(point) = due {
            let message = format!(
                "{} changes in {} seconds. Saving...",
                point.changes, point.secs
            );
            self.log(LogLevel::Notice, message);
            self.start_save(SaveKind::Background);
        }
    }

    /// The driver wants to stop (SIGTERM, SIGINT): with save points set, the data is saved
    /// first and `Output::Shutdown` follows; if that save fails, the server goes on.
    pub fn request_shutdown(&mut self, now: Now) {
        self.observe(now);
        self.log(
            LogLevel::Warning,
            "Received a request to stop, scheduling shutdown...".to_string(),
        );
        if self.state.config.save_points.is_empty() {
            self.outputs.push_back(Output::Shutdown);
            return;
        }
        if self.state.persistence.waited_on() {
            // SAVE or a SHUTDOWN's save is writing: stop once it is done.
            self.state.persistence.shutdown_requested = true;
            return;
        }
        self.shutdown_with_save(None);
    }

    /// Saves, then stops (a save already running is abandoned for this one).
    fn shutdown_with_save(&mut self, client: Option<ConnectionId>) {
        self.start_save(SaveKind::Shutdown {
            client,
            force: false,
        });
    }

    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        self.outputs.push_back(Output::Log { level, message });
    }

    /// DEBUG DIGEST's digest of the data live at `now` (40 hex digits): equal for equal data,
    /// whatever the encodings, so a save can be checked against the data it began from.
    pub fn digest(&mut self, now: Now) -> String {
        self.observe(now);
        // Even halfway through loading the append-only file: what is live at `now`.
        let loading = self.loading.is_some() || self.state.loading_dataset;
        self.keyspace.set_loading(false);
        let hex = crate::script::hex_of(&crate::digest::dataset(&self.keyspace, now.wall));
        self.keyspace.set_loading(loading);
        String::from_utf8_lossy(&hex).into_owned()
    }

    /// Loads an RDB file into the keyspace (at start, before any client): every key, with
    /// its deadline, but those whose deadline has passed; the function libraries. The file is
    /// checked whole as it is read; on an error, what was read before it stays loaded, and
    /// the caller is expected to stop (Redis refuses to start on a corrupt file).
    pub fn load_rdb(&mut self, now: Now, bytes: &[u8]) -> Result<Loaded, LoadError> {
        self.load_rdb_file(now, bytes, false)
    }

    /// Loads an RDB file; an append-only file's base keeps the keys whose deadline has passed
    /// (as Redis loads its preamble), since the commands after it were run while they lived.
    pub(crate) fn load_rdb_file(
        &mut self,
        now: Now,
        bytes: &[u8],
        aof_base: bool,
    ) -> Result<Loaded, LoadError> {
        self.observe(now);
        let shape = Shape::of(&self.state.config);
        let mut loaded = Loaded::default();
        let mut libraries = Vec::new();
        let mut producer = None;
        let databases = self.keyspace.dbs.len();
        let keyspace = &mut self.keyspace;
        let wall = now.wall;
        let result = read_file(bytes, &shape, |item| {
            match item {
                Item::Aux(name, value) => {
                    if name == b"redis-ver" {
                        producer = Some(String::from_utf8_lossy(&value).into_owned());
                    }
                }
                Item::Library(code) => libraries.push(code),
                Item::Sizes { db, keys, expires } => {
                    // A database past the configured ones is refused at its first key.
                    if let Some(db) = usize::try_from(db)
                        .ok()
                        .and_then(|db| keyspace.dbs.get_mut(db))
                    {
                        db.reserve(keys, expires);
                    }
                }
                Item::Key {
                    db,
                    key,
                    value,
                    deadline,
                    idle_secs,
                    frequency,
                } => {
                    let db = usize::try_from(db)
                        .ok()
                        .filter(|&db| db < databases)
                        .ok_or(format!(
                            "The file holds database {db}, past the {databases} databases \
                             configured"
                        ))?;
                    let Some(value) = value else {
                        loaded.empty += 1;
                        return Ok(());
                    };
                    if !aof_base && deadline.is_some_and(|at| at < wall) {
                        loaded.expired += 1;
                        return Ok(());
                    }
                    let db = &mut keyspace.dbs[db];
                    if db.set_with_expiry(wall, &key, value, deadline).is_some() {
                        return Err(format!(
                            "Duplicate key '{}' found in the file",
                            String::from_utf8_lossy(&key)
                        ));
                    }
                    db.restore_access(wall, &key, idle_secs, frequency);
                    loaded.keys += 1;
                }
            }
            Ok(())
        });
        for db in &mut self.keyspace.dbs {
            db.release_reserve();
        }
        if let Some(version) = producer {
            self.log(
                LogLevel::Notice,
                format!("Loading RDB produced by version {version}"),
            );
        }
        match result {
            Ok(summary) => loaded.length = summary.length,
            Err(error) => {
                return Err(LoadError {
                    offset: error.offset,
                    message: error.message,
                })
            }
        }
        if !libraries.is_empty() {
            self.load_libraries(now, &libraries)?;
        }
        self.state.persistence.changes_at_last_save = self.keyspace.changes();
        self.state.persistence.loaded = loaded;
        Ok(loaded)
    }

    /// Loads function libraries through FUNCTION RESTORE on a connection of its own, so that
    /// they are checked and registered exactly as a client's would be.
    fn load_libraries(&mut self, now: Now, libraries: &[Vec<u8>]) -> Result<(), LoadError> {
        let mut content = Vec::new();
        for code in libraries {
            content.push(crate::rdb::OPCODE_FUNCTION2);
            crate::rdb::encoding::write_string(&mut content, code);
        }
        let payload = crate::rdb::seal_payload(content);
        let args: [&[u8]; 4] = [b"FUNCTION", b"RESTORE", &payload, b"REPLACE"];
        let request = crate::protocol::resp::encode_request(&args);
        let failed = |message: String| LoadError { offset: 0, message };
        let id = self.admit(now, "loading", crate::Door::Resp);
        self.with_connection(id, |connection| {
            connection.authenticated = true;
            connection.parser.set_authenticated(true);
            // Nothing refuses what the file holds (not the `-LOADING` of its own load).
            connection.replaying = true;
        });
        let before = self.outputs.len();
        self.connection_receive(now, id, &request);
        let reply = self.send_buffer(id).to_vec();
        self.connection_closed(now, id);
        // What the loading connection caused concerns nobody else.
        self.outputs.truncate(before);
        if reply != b"+OK\r\n" {
            return Err(failed(format!(
                "The file's functions did not load: {}",
                String::from_utf8_lossy(&reply).trim_end()
            )));
        }
        Ok(())
    }
}

/// What an RDB file holds, as `check_rdb` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RdbReport {
    pub version: u16,
    /// The auxiliary fields, in order.
    pub aux: Vec<(String, String)>,
    pub libraries: u64,
    /// Keys per database number, in order of the numbers.
    pub keys: BTreeMap<u64, u64>,
    pub expires: u64,
    /// Keys whose deadline is before `now`.
    pub already_expired: u64,
    /// Empty collections (a loader skips them).
    pub empty: u64,
    pub checksum_checked: bool,
    /// The bytes the RDB took, up to its checksum: what follows is not RDB (the commands after
    /// an append-only file's RDB preamble).
    pub length: usize,
}

/// Reads a whole RDB file as loading would, without keeping anything: what it holds, or the
/// first error and its offset (`ferrodis-check-rdb`).
pub fn check_rdb(bytes: &[u8], now: UnixMillis) -> Result<RdbReport, LoadError> {
    let shape = Shape::of(&crate::config::Config::default());
    let mut report = RdbReport::default();
    let summary = read_file(bytes, &shape, |item| {
        match item {
            Item::Aux(name, value) => report.aux.push((
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            )),
            Item::Library(_) => report.libraries += 1,
            Item::Sizes { .. } => {}
            Item::Key {
                db,
                value,
                deadline,
                ..
            } => {
                *report.keys.entry(db).or_default() += 1;
                report.empty += u64::from(value.is_none());
                if let Some(at) = deadline {
                    report.expires += 1;
                    report.already_expired += u64::from(at < now);
                }
            }
        }
        Ok(())
    })
    .map_err(|error| LoadError {
        offset: error.offset,
        message: error.message,
    })?;
    report.version = summary.version;
    report.checksum_checked = summary.checksum_checked;
    report.length = summary.length;
    Ok(report)
}
