//! Background saves while clients write, on a disk that fails and crashes.
//!
//! In a seed that draws them, a probe connection now and then sends BGSAVE; just before, the
//! world takes the data's digest (DEBUG DIGEST's). The server's disk requests go to a disk in
//! memory that answers them a few per step, some with an error. Checks:
//! - a save that ends well left at its target a file that loads into a new server with the
//!   digest its data had when BGSAVE ran, whatever the clients wrote meanwhile;
//! - at random moments the disk crashes: it keeps only what was fsynced, and the directory as
//!   of its last fsync or as it is now (either may happen). What a restart would then find
//!   at the target is a file that a save finished (or renamed into place), whole; never a
//!   torn one, and never nothing once a save was durable;
//! - a failed save leaves no temporary file behind.
//!
//! The crashes are views: the run goes on with the disk as it was.

use std::collections::{BTreeMap, VecDeque};

use ferrodis_core::{DiskRequest, DiskToken, Instant, Now, Server};

use super::{Failure, Owner, World};
use crate::entropy::Rng;

const STARTED: &[u8] = b"+Background saving started\r\n";
const ALREADY: &[u8] = b"-ERR Background save already in progress\r\n";
use super::durability::{IO_ERROR, NO_SPACE};

/// A file's bytes, and how many of them an fsync made durable.
#[derive(Default, Clone)]
struct File {
    bytes: Vec<u8>,
    synced: usize,
}

/// The data a file should hold: its digest at the instant BGSAVE ran.
#[derive(Clone)]
struct Expected {
    digest: String,
    now: Now,
}

#[derive(Default)]
pub struct Disk {
    /// Files by number; the directories name them.
    files: Vec<File>,
    /// The directory as the running server sees it.
    names: BTreeMap<String, usize>,
    /// The directory as of its last fsync: what a crash is sure to keep.
    durable_names: BTreeMap<String, usize>,
    /// Requests the server made, not answered yet, in order, each marked with whether it is a
    /// step of the save that runs (rather than the cleanup after one that failed).
    pending: VecDeque<(DiskToken, DiskRequest, bool)>,
    /// The save that runs (None when it began unseen, from a save point).
    running: Option<Expected>,
    /// The file the last durable save left at `target`, and its data.
    durable: Option<(Vec<u8>, Expected)>,
    /// A save whose rename was done but not made durable: a crash may keep it.
    renamed: Option<Expected>,
    target: Option<String>,
    /// The fsync of the file that came first in line last, and until when (monotonic millis)
    /// it runs.
    slow: Option<(DiskToken, u64)>,
}

impl Disk {
    pub fn request(&mut self, token: DiskToken, request: DiskRequest) {
        let of_running = self.running.is_some();
        self.pending.push_back((token, request, of_running));
    }

    /// Does what `request` asks; false when it refers to a file that is not there.
    fn apply(&mut self, request: &DiskRequest) -> bool {
        match request {
            DiskRequest::Create { path } => {
                self.files.push(File::default());
                self.names.insert(path.clone(), self.files.len() - 1);
            }
            DiskRequest::Write { path, bytes } => match self.names.get(path) {
                Some(&file) => self.files[file].bytes.extend_from_slice(bytes),
                None => return false,
            },
            DiskRequest::Sync { path } => match self.names.get(path) {
                Some(&file) => self.files[file].synced = self.files[file].bytes.len(),
                None => return false,
            },
            // An abandoned save closes and removes its file even when its Create failed (the
            // server cannot know yet): like Remove, a Close of no file is no error.
            DiskRequest::Close { .. } => {}
            DiskRequest::Rename { from, to } => match self.names.remove(from) {
                Some(file) => {
                    self.names.insert(to.clone(), file);
                }
                None => return false,
            },
            DiskRequest::SyncDir { .. } => self.durable_names = self.names.clone(),
            DiskRequest::Remove { path } => {
                self.names.remove(path);
            }
            DiskRequest::Read { path } => return self.names.contains_key(path),
            DiskRequest::Append { path, bytes } => {
                let file = match self.names.get(path) {
                    Some(&file) => file,
                    None => {
                        self.files.push(File::default());
                        self.names.insert(path.clone(), self.files.len() - 1);
                        self.files.len() - 1
                    }
                };
                self.files[file].bytes.extend_from_slice(bytes);
            }
            DiskRequest::SyncFile { path } => match self.names.get(path) {
                Some(&file) => self.files[file].synced = self.files[file].bytes.len(),
                None => return false,
            },
            DiskRequest::CreateDir { .. } => {}
            // Written, synced and renamed into place, the directory synced: durable at once.
            DiskRequest::Replace { path, bytes } => {
                self.files.push(File {
                    bytes: bytes.clone(),
                    synced: bytes.len(),
                });
                self.names.insert(path.clone(), self.files.len() - 1);
                self.durable_names = self.names.clone();
            }
        }
        true
    }

    /// A slow fsync: with an fsync first in line and a write waiting behind it, the write's
    /// position (the real driver writes on the loop at once, while the fsync runs on its
    /// thread, so a write overtakes a slow fsync).
    fn overtaking_write(&self) -> Option<usize> {
        let (_, first, _) = self.pending.front()?;
        if !matches!(first, DiskRequest::SyncFile { .. }) {
            return None;
        }
        self.pending
            .iter()
            .position(|(_, request, _)| matches!(request, DiskRequest::Append { .. }))
    }

    /// Whether the disk may fail `request` in an append-only file's seed: a write (not the
    /// empty one that makes a file), an fsync, a manifest, a step of a rewrite's base. An fsync
    /// only with no write to its file waiting behind it: the real driver writes on the event
    /// loop at once, so a write never lands after an fsync that failed before it.
    fn may_fail_for_aof(&self, request: &DiskRequest) -> bool {
        match request {
            DiskRequest::Append { bytes, .. } => !bytes.is_empty(),
            DiskRequest::SyncFile { path } => !self.pending.iter().any(|(_, waiting, _)| {
                matches!(waiting, DiskRequest::Append { path: to, .. } if to == path)
            }),
            DiskRequest::Replace { .. }
            | DiskRequest::Create { .. }
            | DiskRequest::Write { .. }
            | DiskRequest::Sync { .. } => true,
            _ => false,
        }
    }

    /// Fails `request`, doing what a failing disk may have done meanwhile: a write may have
    /// written part of its bytes (no space for the rest); an fsync that fails has lost what it
    /// should have written (the page cache dropped it: zeros where it was). The error.
    fn fail(&mut self, request: &DiskRequest, rng: &mut Rng<'_>) -> &'static str {
        match request {
            DiskRequest::Append { path, bytes } => {
                let part = rng.below(bytes.len() as u64) as usize;
                self.apply(&DiskRequest::Append {
                    path: path.clone(),
                    bytes: bytes[..part].to_vec(),
                });
                NO_SPACE
            }
            DiskRequest::SyncFile { path } => {
                if let Some(&number) = self.names.get(path) {
                    let file = &mut self.files[number];
                    let synced = file.synced;
                    file.bytes[synced..].fill(0);
                }
                IO_ERROR
            }
            _ => NO_SPACE,
        }
    }

    /// What a restart would find if the machine crashed now (see world/durability.rs): the
    /// directory as of its last fsync or as it is, each file with its durable bytes and any
    /// part of the rest, that part maybe torn at a sector (zeros after) or all zeros.
    pub fn crash_view(&self, rng: &mut Rng<'_>) -> super::durability::View {
        let names = if rng.bool() {
            &self.durable_names
        } else {
            &self.names
        };
        let mut view = super::durability::View::new();
        for (name, &number) in names {
            let file = &self.files[number];
            let unsynced = file.bytes.len() - file.synced;
            let kept = file.synced + rng.below(unsynced as u64 + 1) as usize;
            let mut bytes = file.bytes[..kept].to_vec();
            match rng.below(4) {
                0 => bytes[file.synced..].fill(0),
                1 => {
                    const SECTOR: usize = 512;
                    let torn = file.synced + rng.below((kept - file.synced) as u64 + 1) as usize;
                    // The prefix ends in a sector that was half written: zeros to its end.
                    let sector_end = ((torn / SECTOR + 1) * SECTOR).min(kept);
                    bytes.truncate(sector_end);
                    bytes[torn..].fill(0);
                }
                _ => {}
            }
            view.insert(name.clone(), bytes);
        }
        view
    }

    /// Every name in the directory, as the running server sees it.
    pub fn names(&self) -> Vec<String> {
        self.names.keys().cloned().collect()
    }

    pub fn bytes_of(&self, path: &str) -> Option<Vec<u8>> {
        self.names
            .get(path)
            .map(|&file| self.files[file].bytes.clone())
    }

    /// The bytes of the file at `path` (empty when there is none).
    fn read(&self, path: &str) -> Vec<u8> {
        self.names
            .get(path)
            .map(|&file| self.files[file].bytes.clone())
            .unwrap_or_default()
    }
}

impl World<'_> {
    pub fn disk_waiting(&self) -> bool {
        !self.disk.pending.is_empty()
    }

    /// Sends BGSAVE from a probe connection, noting the data's digest as it runs.
    pub fn background_save(&mut self) -> Result<(), Failure> {
        let Some(id) = self.open(Owner::Probe)? else {
            return Ok(());
        };
        let running = self.disk.running.is_some();
        let queued = self.disk.pending.len();
        self.send(id, &[b"BGSAVE"])?;
        // The data as the save began: after BGSAVE ran, which may first have evicted keys
        // (nothing else ran in between).
        let expected = Expected {
            digest: self.server.digest(self.now),
            now: self.now,
        };
        let reply = self.take_reply(id);
        self.close(id)?;
        match reply.as_slice() {
            STARTED => {
                self.coverage.saves += 1;
                self.disk.running = Some(expected);
                // Its first request came with the reply.
                for (_, _, of_running) in self.disk.pending.iter_mut().skip(queued) {
                    *of_running = true;
                }
            }
            // Held back by a CLIENT PAUSE: the close dropped it.
            b"" => {}
            ALREADY if running => {}
            other => {
                return Err(Failure::WrongReply(format!(
                    "BGSAVE replied {}",
                    other.escape_ascii()
                )))
            }
        }
        Ok(())
    }

    /// Answers up to `count` of the server's disk requests, in order; with `faults`, some
    /// fail and some are preceded by a crash.
    pub fn serve_disk(&mut self, count: usize, faults: bool) -> Result<(), Failure> {
        for _ in 0..count {
            let next = match faults && self.options.aof.is_some() {
                true => match self.slow_fsync() {
                    // The fsync first in line still runs: a write may go past it, nothing else.
                    true => match self.disk.overtaking_write() {
                        Some(position) => position,
                        None => break,
                    },
                    false => 0,
                },
                false => 0,
            };
            if next > 0 {
                self.coverage.slow_fsyncs += 1;
            }
            let Some((token, request, of_running)) = self.disk.pending.remove(next) else {
                break;
            };
            if faults && self.options.aof.is_none() && self.rng.chance(self.options.faults.crash) {
                self.check_crash()?;
            }
            if faults && self.aof_crash_due() {
                self.check_aof_crash()?;
            }
            // Only the running save's own steps fail: the cleanup after a failure does not
            // (it may still wait while the next save begins).
            let fails = faults
                && of_running
                && self.disk.running.is_some()
                && self.rng.chance(self.options.faults.disk_error);
            let aof_fails = faults
                && !fails
                && self.options.aof.is_some()
                && self.disk.may_fail_for_aof(&request)
                && self.rng.chance(self.options.faults.disk_error);
            let result = if fails {
                self.coverage.save_failures += 1;
                self.disk.running = None;
                Err(NO_SPACE.to_string())
            } else if aof_fails {
                self.coverage.aof_failures += 1;
                Err(self.disk.fail(&request, &mut self.rng).to_string())
            } else if self.disk.apply(&request) {
                Ok(())
            } else {
                return Err(Failure::WrongReply(format!(
                    "a disk request for a file that is not there: {request:?}"
                )));
            };
            self.trace.u64(7);
            self.trace.u64(u64::from(result.is_ok()));
            if result.is_ok() {
                self.saved(&request)?;
                let millis = self.now.monotonic.millis_since(Instant::ZERO) as i64;
                match &request {
                    DiskRequest::SyncFile { .. } => self.durability.sync_done(token, millis),
                    DiskRequest::Append { bytes, .. } if !bytes.is_empty() => {
                        self.durability.written(millis);
                    }
                    _ => {}
                }
            } else if matches!(request, DiskRequest::SyncFile { .. }) {
                self.durability.sync_failed(token);
            }
            match (&request, result) {
                (DiskRequest::Read { path }, Ok(())) => {
                    let bytes = self.disk.read(path);
                    self.server.disk_read_done(self.now, token, Ok(bytes));
                }
                (_, result) => self.server.disk_done(self.now, token, result),
            }
            self.drain()?;
        }
        Ok(())
    }

    /// Whether the fsync first in line is still running: a quarter of the file's fsyncs take
    /// up to 4 s (the time is drawn when one first comes to the front).
    fn slow_fsync(&mut self) -> bool {
        let Some((token, DiskRequest::SyncFile { .. }, _)) = self.disk.pending.front() else {
            return false;
        };
        let token = *token;
        let now = self
            .now
            .monotonic
            .millis_since(ferrodis_core::Instant::ZERO);
        let until = match self.disk.slow {
            Some((slow, until)) if slow == token => until,
            _ => {
                let takes = match self.rng.below(4) {
                    0 => self.rng.below(4_000),
                    _ => 0,
                };
                self.disk.slow = Some((token, now + takes));
                now + takes
            }
        };
        now < until
    }

    /// Notes what a request that succeeded did to the save that runs.
    fn saved(&mut self, request: &DiskRequest) -> Result<(), Failure> {
        match request {
            // A rewrite's base is renamed into place too: that is the append-only file's
            // (world/durability.rs).
            DiskRequest::Rename { .. } if self.options.aof.is_some() => {}
            DiskRequest::Rename { to, .. } => {
                self.disk.target = Some(to.clone());
                self.disk.renamed = self.disk.running.clone();
            }
            DiskRequest::SyncDir { .. } => {
                let target = self.disk.target.clone().unwrap_or_default();
                let file = self
                    .disk
                    .names
                    .get(&target)
                    .map(|&file| &self.disk.files[file]);
                let bytes = file.map(|file| file.bytes.clone()).unwrap_or_default();
                if let Some(expected) = self.disk.running.take() {
                    self.check_file(&bytes, &expected)
                        .map_err(|what| wrong(format!("a finished save: {what}")))?;
                    self.coverage.saves_checked += 1;
                    self.disk.durable = Some((bytes, expected));
                    self.disk.renamed = None;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The file a restart would find if the machine crashed now.
    fn check_crash(&mut self) -> Result<(), Failure> {
        self.coverage.crash_checks += 1;
        let Some(target) = self.disk.target.clone() else {
            return Ok(());
        };
        let names = if self.rng.bool() {
            &self.disk.durable_names
        } else {
            &self.disk.names
        };
        let Some(&number) = names.get(&target) else {
            return match self.disk.durable {
                Some(_) => Err(wrong("a durable save's file is gone after a crash".into())),
                None => Ok(()),
            };
        };
        let file = self.disk.files[number].clone();
        let unsynced = (file.bytes.len() - file.synced) as u64;
        let kept = file.synced + self.rng.below(unsynced + 1) as usize;
        let bytes = &file.bytes[..kept];
        if matches!(&self.disk.durable, Some((durable, _)) if durable == bytes) {
            return Ok(());
        }
        let candidates = [
            self.disk.durable.as_ref().map(|d| &d.1),
            self.disk.renamed.as_ref(),
        ];
        let mut problems = Vec::new();
        for expected in candidates.into_iter().flatten() {
            match self.check_file(bytes, expected) {
                Ok(()) => return Ok(()),
                Err(problem) => problems.push(problem),
            }
        }
        Err(wrong(format!(
            "after a crash the file at {target} is none a save wrote: {problems:?}"
        )))
    }

    /// Loads `bytes` into a new server at the instant the save began and compares digests.
    fn check_file(&self, bytes: &[u8], expected: &Expected) -> Result<(), String> {
        let mut server = Server::new(self.server.config().clone(), expected.now);
        if let Err(error) = server.load_rdb(expected.now, bytes) {
            return Err(format!(
                "does not load: {} at byte {}",
                error.message, error.offset
            ));
        }
        let digest = server.digest(expected.now);
        if digest != expected.digest {
            return Err(format!(
                "holds data with digest {digest}, not the {} it began from",
                expected.digest
            ));
        }
        Ok(())
    }

    /// At the end: every request answered, and no file left but the target.
    pub fn finish_disk(&mut self) -> Result<(), Failure> {
        for _ in 0..100_000 {
            if self.disk.pending.is_empty() {
                break;
            }
            self.serve_disk(1, false)?;
        }
        if !self.disk.pending.is_empty() {
            return Err(Failure::Liveness("a save never ends".into()));
        }
        if self.options.aof.is_some() {
            return self.check_aof_files();
        }
        let target = self.disk.target.clone();
        if let Some(left) = self
            .disk
            .names
            .keys()
            .find(|name| Some(*name) != target.as_ref())
        {
            return Err(wrong(format!("{left} is left on the disk")));
        }
        Ok(())
    }
}

fn wrong(what: String) -> Failure {
    Failure::WrongReply(format!("saving: {what}"))
}
