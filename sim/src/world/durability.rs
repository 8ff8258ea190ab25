//! The append-only file under crashes.
//!
//! In a seed that draws it, the server runs with `appendonly yes` and a drawn `appendfsync`;
//! its file requests go to the world's disk in memory (saving.rs), which serves a few per step,
//! makes some fail (a full disk on a write; an fsync that fails and loses what it should have
//! made durable) and now and then "crashes": a view of what a restart would find, the run going
//! on with the disk as it was. (A failed write may have written part of its bytes; a failed
//! fsync leaves zeros where the bytes it should have written were. The server then refuses
//! writes with MISCONF until a rewrite repairs the files: the model accepts such a refusal for
//! what Redis refuses so, once a failure happened, and replies produced meanwhile are no
//! promise.) A quarter of the fsyncs are slow (up to 4 s): `everysec` postpones its writes
//! meanwhile, then lets them go past the fsync after 2 s, as Redis does. In the view the
//! directory is as of its last fsync or as it is
//! now, and each file keeps what an fsync made durable plus any part of the rest: cut, torn at
//! a sector with zeros after, or its unsynced bytes all zeros.
//!
//! A new server loads the view through the same loading calls the real server's start uses,
//! and its data must be the data after some prefix of the changes the server made, in order
//! (the propagation stream, recorded from the start), that holds every change a client was
//! told of: under `always`, every change whose reply the client read; under `everysec` and
//! `no`, every change whose reply was read before an fsync of the file that the disk then
//! completed (a reply goes out once its change is written, so the fsync covers it). Digests
//! (DEBUG DIGEST's) compare the data. Under `everysec` the fsyncs also keep their cadence:
//! written bytes get one asked for a second after the last one ended.

use std::collections::{BTreeMap, VecDeque};

use ferrodis_core::aof::manifest::manifest_name;
use ferrodis_core::aof::Fsync;
use ferrodis_core::protocol::resp::encode_request;
use ferrodis_core::{DiskToken, Instant, Now, Propagated, Server};

use ferrodis_core::{command_writes, Door};

use super::memory::Refusal;
use super::World;
use crate::Failure;

/// What the disk says when it fails a write, and an fsync.
pub const NO_SPACE: &str = "No space left on device";
pub const IO_ERROR: &str = "Input/output error";
const MISCONF: &[u8] = b"MISCONF Errors writing to the AOF file: ";
const EXEC_MISCONF: &[u8] =
    b"-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: ";

/// Whether `reply` (one whole reply on `door`) refuses its command because the append-only
/// file is broken.
pub(super) fn misconf(reply: &[u8], door: Door) -> Option<Refusal> {
    super::memory::refusal_with(reply, door, MISCONF, EXEC_MISCONF)
}

/// What a broken file refuses: write commands and PING.
fn misconf_refusable(name: &[u8]) -> bool {
    command_writes(name) || name.eq_ignore_ascii_case(b"ping")
}

/// At most this many crash views per run.
const CRASH_VIEWS_MAX: u64 = 40;

/// What the world knows of the changes and which of them clients were told of.
#[derive(Default)]
pub struct Durability {
    /// Every change the server made, in order.
    stream: Vec<Propagated>,
    /// Changes up to this count had a reply read by a client.
    acked: u64,
    /// When replies were read (monotonic millis: the wall clock may jump), with the changes
    /// before them, in order.
    acked_at: VecDeque<(i64, u64)>,
    pub crash_views: u64,
    replica: Option<Replica>,
    /// fsyncs of the file the disk has not done yet: when each was asked for (monotonic
    /// millis).
    syncs_asked: BTreeMap<DiskToken, i64>,
    /// Replies read before this instant are covered by an fsync the disk completed.
    synced_before: i64,
    /// `everysec`'s cadence: since when (monotonic millis) bytes the disk wrote to the file
    /// wait for an fsync nobody asked for yet, and when the last fsync of the file ended.
    unsynced_since: Option<i64>,
    last_sync_done: i64,
}

/// Under `everysec` the server asks for an fsync at the first turn's end a second after the
/// last one ended, once written bytes wait for one and none runs.
const EVERYSEC_MILLIS: i64 = 1000;

impl Durability {
    /// A client read a reply produced after `effects` changes, at monotonic `millis`.
    pub fn acknowledged(&mut self, effects: u64, millis: i64) {
        if effects > self.acked {
            self.acked = effects;
            self.acked_at.push_back((millis, effects));
        }
    }

    /// The server asked for an fsync of the file (`token`) at monotonic `millis`.
    pub fn sync_asked(&mut self, token: DiskToken, millis: i64) {
        self.syncs_asked.insert(token, millis);
        self.unsynced_since = None;
    }

    /// The disk completed the fsync `token` at monotonic `millis`.
    pub fn sync_done(&mut self, token: DiskToken, millis: i64) {
        if let Some(asked) = self.syncs_asked.remove(&token) {
            self.synced_before = self.synced_before.max(asked);
        }
        self.last_sync_done = millis;
    }

    /// The fsync `token` failed: it covers nothing (the files are broken until repaired).
    pub fn sync_failed(&mut self, token: DiskToken) {
        self.syncs_asked.remove(&token);
    }

    /// The disk wrote bytes to the file at monotonic `millis`: an fsync must follow.
    pub fn written(&mut self, millis: i64) {
        self.unsynced_since.get_or_insert(millis);
    }

    /// The changes clients read replies for before monotonic `millis` (not at it: within one
    /// millisecond the order is not known).
    fn acked_before(&self, millis: i64) -> u64 {
        self.acked_at
            .iter()
            .take_while(|&&(at, _)| at < millis)
            .last()
            .map_or(0, |&(_, effects)| effects)
    }
}

impl World<'_> {
    /// Client `index`'s `request` was refused because the file is broken: the disk must have
    /// failed one of its writes or fsyncs, and the refusal does to the model what it does.
    pub(super) fn refused_for_disk(
        &mut self,
        index: usize,
        request: &[Vec<u8>],
        refusal: Refusal,
    ) -> Result<(), Failure> {
        let shown = String::from_utf8_lossy(&request[0]).into_owned();
        let wrong = |what: String| {
            Failure::WrongReply(format!("the disk oracle: {shown:?} refused: {what}"))
        };
        if self.coverage.aof_failures == 0 {
            return Err(wrong("no write or fsync of the file failed".into()));
        }
        self.coverage.misconf_refusals += 1;
        self.refused(index, request, refusal, misconf_refusable, false)
            .map_err(wrong)
    }

    /// The server starts with the file on: its first rewrite makes the files before any
    /// client connects (until then it promises nothing, as Redis).
    pub fn start_aof(&mut self) -> Result<(), Failure> {
        if self.options.aof.is_none() {
            return Ok(());
        }
        self.server.record_propagation(true);
        let manifest = self.server.aof_manifest(None);
        if let Err(error) = manifest {
            return Err(Failure::WrongReply(format!("no manifest refused: {error}")));
        }
        self.server.aof_start(self.now);
        self.drain()?;
        for _ in 0..1_000 {
            if !self.disk_waiting() {
                break;
            }
            self.serve_disk(1, false)?;
        }
        Ok(())
    }

    /// The end of a step: what it changed goes to the file, and a save makes its next piece.
    pub fn end_turn(&mut self) -> Result<(), Failure> {
        self.server.before_sleep(self.now);
        self.drain()?;
        if self.options.aof.is_none() {
            return Ok(());
        }
        self.record_stream();
        self.check_everysec_cadence()
    }

    /// Under `everysec`, written bytes get their fsync asked for a second after the last one
    /// ended (while the files are sound and no fsync runs): the turn's end just past is when
    /// the server had to ask.
    fn check_everysec_cadence(&mut self) -> Result<(), Failure> {
        let durability = &mut self.durability;
        if self.options.aof != Some(Fsync::EverySec) || self.server.aof_broken() {
            durability.unsynced_since = None;
            return Ok(());
        }
        let Some(since) = durability.unsynced_since else {
            return Ok(());
        };
        if !durability.syncs_asked.is_empty() {
            return Ok(());
        }
        let now = self.now.monotonic.millis_since(Instant::ZERO) as i64;
        let due = since.max(durability.last_sync_done + EVERYSEC_MILLIS);
        if now > due {
            return Err(Failure::Durability(format!(
                "under appendfsync everysec, bytes written at {since} ms wait at {now} ms for an \
                 fsync (due at {due} ms; the last one ended at {} ms)",
                durability.last_sync_done
            )));
        }
        Ok(())
    }

    /// A probe waits for its reply: the disk serves the file's requests until the reply may
    /// go out.
    pub fn release_held(&mut self, id: ferrodis_core::ConnectionId) -> Result<(), Failure> {
        for _ in 0..1_000 {
            if !self.server.reply_held(id) {
                return Ok(());
            }
            self.end_turn()?;
            if self.disk_waiting() {
                self.serve_disk(1, false)?;
            }
        }
        Err(Failure::Liveness(format!(
            "{id}: a reply held for the append-only file is never released"
        )))
    }

    fn record_stream(&mut self) {
        let changes = self.server.take_propagated();
        self.durability.stream.extend(changes);
    }

    /// A crash view is due before this disk request.
    pub fn aof_crash_due(&mut self) -> bool {
        self.options.aof.is_some()
            && self.durability.crash_views < CRASH_VIEWS_MAX
            && self.rng.below(16) == 0
    }

    /// What a restart would find if the machine crashed now must hold what was promised.
    pub fn check_aof_crash(&mut self) -> Result<(), Failure> {
        let Some(policy) = self.options.aof else {
            return Ok(());
        };
        self.durability.crash_views += 1;
        self.coverage.crash_views += 1;
        self.record_stream();
        let view = self.disk.crash_view(&mut self.rng);
        let now = self.now;
        let config = self.server.config().clone();
        let manifest_path = format!(
            "{}/{}",
            config.aof_dir(),
            manifest_name(&config.appendfilename)
        );
        let mut restarted = Server::new(config.clone(), now);
        restarted.set_stopwatch(super::stopwatch(config.seed));
        let files = restarted
            .aof_manifest(view.get(&manifest_path).map(Vec::as_slice))
            .map_err(|error| lost(format!("the manifest does not read: {error}")))?;
        for (index, path) in files.iter().enumerate() {
            let Some(bytes) = view.get(path) else {
                return Err(lost(format!("the manifest names {path}, which is gone")));
            };
            restarted.aof_load_begin(now, path);
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let size = (self.rng.range(1, 4096) as usize).min(rest.len());
                let (chunk, after) = rest.split_at(size);
                restarted
                    .aof_load_chunk(now, chunk)
                    .map_err(|error| lost(format!("{path} does not load: {error:?}")))?;
                rest = after;
            }
            restarted
                .aof_load_end(now, index + 1 == files.len())
                .map_err(|error| lost(format!("{path} does not load: {error:?}")))?;
        }
        let found = restarted.digest(now);
        let promised = match policy {
            Fsync::Always => self.durability.acked,
            Fsync::EverySec | Fsync::No => {
                self.durability.acked_before(self.durability.synced_before)
            }
        };
        if self.matches_a_prefix(&config, now, promised, &found)? {
            return Ok(());
        }
        let shown: Vec<String> = view
            .iter()
            .map(|(name, bytes)| format!("{name} ({} bytes)", bytes.len()))
            .collect();
        Err(lost(format!(
            "under appendfsync {} the files a crash left ({}; the manifest names {files:?}) hold \
             data (digest {found}) that is the data after none of the {} to {} first changes; \
             clients were told of {} changes",
            policy.name(),
            shown.join(", "),
            promised,
            self.durability.stream.len(),
            self.durability.acked
        )))
    }

    /// Is `digest` the data after the first `n` changes, for some `n` from `from` on? The
    /// world keeps a server that replays the changes as a restart replays the file, up to the
    /// least count any check may still ask for (it only grows); states past it are tried on a
    /// copy (its data through SYNC's RDB payload, then the rest replayed).
    fn matches_a_prefix(
        &mut self,
        config: &ferrodis_core::Config,
        now: Now,
        from: u64,
        digest: &str,
    ) -> Result<bool, Failure> {
        let stream = &self.durability.stream;
        let from = (from as usize).min(stream.len());
        let replica = self.durability.replica.get_or_insert_with(|| {
            let mut server = Server::new(replay_config(config), now);
            server.aof_load_begin(now, "replay.aof");
            Replica {
                server,
                replayed: 0,
                selected: None,
            }
        });
        let mut bytes = Vec::new();
        for change in &stream[replica.replayed..from.max(replica.replayed)] {
            encode(&mut bytes, &mut replica.selected, change);
        }
        replica.replayed = from.max(replica.replayed);
        replica
            .server
            .aof_load_chunk(now, &bytes)
            .map_err(|error| lost(format!("the changes do not replay: {error:?}")))?;
        if replica.server.digest(now) == digest {
            return Ok(true);
        }
        if replica.replayed == stream.len() {
            return Ok(false);
        }
        // The states after more changes, on a copy.
        let Ok(id) = replica.server.connection_open(now, "127.0.0.1:40004") else {
            return Err(lost("no connection to the replaying server".into()));
        };
        replica
            .server
            .connection_receive(now, id, &encode_request(&[b"SYNC"]));
        let payload = replica.server.send_buffer(id).to_vec();
        replica.server.connection_closed(now, id);
        while replica.server.poll_output().is_some() {}
        let start = payload
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(0, |at| at + 1);
        let mut copy = Server::new(replay_config(config), now);
        // As a base, so that keys past their deadline stay, as they do in the replica.
        copy.aof_load_begin(now, "copy.base.rdb");
        copy.aof_load_chunk(now, &payload[start..])
            .and_then(|()| copy.aof_load_end(now, false))
            .map_err(|error| lost(format!("the replica's data does not copy: {error:?}")))?;
        copy.aof_load_begin(now, "replay.aof");
        // The copy's connection starts in database 0.
        let mut selected = None;
        for change in &stream[replica.replayed..] {
            bytes.clear();
            encode(&mut bytes, &mut selected, change);
            copy.aof_load_chunk(now, &bytes)
                .map_err(|error| lost(format!("the changes do not replay: {error:?}")))?;
            if copy.digest(now) == digest {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A server replaying the changes, and how far it is.
pub struct Replica {
    server: Server,
    replayed: usize,
    /// The database its last change selected.
    selected: Option<usize>,
}

/// The seed's settings for a server that replays changes (its own connections are all it
/// serves).
fn replay_config(config: &ferrodis_core::Config) -> ferrodis_core::Config {
    ferrodis_core::Config {
        appendonly: false,
        clients_max: 16,
        ..config.clone()
    }
}

/// One change as the file holds it, after a SELECT when its database is not the last one's.
fn encode(out: &mut Vec<u8>, selected: &mut Option<usize>, change: &Propagated) {
    if *selected != Some(change.db) {
        let db = change.db.to_string();
        out.extend_from_slice(&encode_request(&[b"SELECT", db.as_bytes()]));
        *selected = Some(change.db);
    }
    let args: Vec<&[u8]> = change.args.iter().map(Vec::as_slice).collect();
    out.extend_from_slice(&encode_request(&args));
}

fn lost(what: String) -> Failure {
    Failure::Durability(format!("after a crash: {what}"))
}

/// The bytes of each file a restart would find: see the module doc.
pub type View = BTreeMap<String, Vec<u8>>;

impl World<'_> {
    /// At the end: no file is left in the files' directory but the manifest and those it
    /// names (no temporary file, no file a rewrite replaced), nor beside it. (Checked once
    /// the files are sound: the liveness phase waits for their repair.)
    pub fn check_aof_files(&mut self) -> Result<(), Failure> {
        if self.server.aof_broken() {
            // Files a failed manifest write may have named stay until the repair is durable.
            return Ok(());
        }
        let config = self.server.config().clone();
        let dir = config.aof_dir();
        let manifest_path = format!("{dir}/{}", manifest_name(&config.appendfilename));
        let names = self.disk.names();
        let Some(bytes) = self.disk.bytes_of(&manifest_path) else {
            return Err(lost("no manifest at the end".into()));
        };
        let manifest = ferrodis_core::aof::manifest::Manifest::parse(&bytes)
            .map_err(|error| lost(format!("the manifest does not read: {error:?}")))?;
        let mut kept: Vec<String> = manifest
            .load_order()
            .map(|info| format!("{dir}/{}", info.name))
            .collect();
        kept.push(manifest_path);
        if let Some(left) = names.iter().find(|name| !kept.contains(name)) {
            return Err(Failure::WrongReply(format!(
                "the append-only file: {left} is left on the disk"
            )));
        }
        Ok(())
    }
}
