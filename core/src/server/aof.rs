//! The append-only file's life in the server (see aof/ for its parts): feeding it after every
//! reply, holding replies until what they depend on is durable, handing its bytes to the disk,
//! rewriting it, and starting it once loaded (aof_load.rs loads it).

use super::{Output, Server};
use crate::aof::manifest::{base_name, incr_name, manifest_name, FileInfo, Manifest};
use crate::aof::{Fsync, Rewrite, Then, POSTPONE_MILLIS_MAX};
use crate::clients::ConnectionId;
use crate::output::LogLevel;
use crate::persistence::{join, DiskRequest, DiskToken, SaveKind};
use crate::server::persistence::begin_save;
use crate::time::Now;

/// The longest wait between retries of a failed rewrite, in seconds.
const RETRY_SECS_MAX: i64 = 60;

pub(crate) const REWRITE_RUNNING: &str =
    "ERR Background append only file rewriting already in progress";

impl Server {
    /// Moves what the propagation stream recorded into the append-only file's buffer (and to
    /// whoever observes it).
    pub(crate) fn drain_propagation(&mut self) {
        if !self.keyspace.propagating() {
            return;
        }
        self.keyspace.propagate_expired();
        let changes = self.keyspace.take_propagated();
        if changes.is_empty() {
            return;
        }
        if self.state.aof.on {
            let taken_before = self.keyspace.changes_taken() - changes.len() as u64;
            self.state.aof.feed(&changes, taken_before);
        }
        if let Some(observed) = self.observed.as_mut() {
            observed.extend(changes.to_propagated());
        }
        self.keyspace.recycle_propagated(changes);
    }

    /// Propagation runs while the file is on or someone observes it.
    pub(crate) fn update_propagation(&mut self) {
        let on = self.state.aof.on || self.observed.is_some();
        if on != self.keyspace.propagating() {
            self.keyspace.set_propagation(on);
        }
    }

    /// After a reply to `id`: CONFIG SET appendonly and BGREWRITEAOF take effect, and the
    /// reply waits while changes made before it are not durable.
    pub(crate) fn after_reply_to(&mut self, id: ConnectionId) {
        let loading = self.loading.is_some() || self.state.loading_dataset;
        if !loading && self.state.config.appendonly != self.state.aof.on {
            self.set_appendonly(self.state.config.appendonly);
        }
        if std::mem::take(&mut self.state.aof.rewrite_requested) {
            self.begin_rewrite();
        }
        self.hold_reply(id);
    }

    /// The reply waits for the changes recorded so far. They are not taken from the stream
    /// here: that happens once a turn (`before_sleep`), so that a busy turn encodes its changes
    /// into the file's buffer in one go.
    fn hold_reply(&mut self, id: ConnectionId) {
        let aof = &self.state.aof;
        if !aof.on || aof.broken.is_some() || (aof.starting() && !aof.hold_while_starting) {
            return;
        }
        let upto = self.keyspace.changes_recorded();
        let taken = self.keyspace.changes_taken();
        // Changes still in the stream are durable no sooner than the turn's end: only a reply
        // whose changes were all taken can go at once (most replies of a busy turn cannot).
        if upto <= taken && upto <= self.state.aof.durable_changes(&self.state.config, taken) {
            return;
        }
        if let Some(connection) = self.clients.get_mut(id) {
            if connection.held_until.is_none() {
                self.state.aof.held.push(id);
            }
            connection.held_until = Some(upto);
        }
    }

    /// Replies whose changes are durable now go out.
    fn release_replies(&mut self) {
        let taken = self.keyspace.changes_taken();
        let durable = self.state.aof.durable_changes(&self.state.config, taken);
        let mut index = 0;
        while index < self.state.aof.held.len() {
            let id = self.state.aof.held[index];
            let Some(connection) = self.clients.get_mut(id) else {
                self.state.aof.held.swap_remove(index);
                continue;
            };
            if connection.held_until.is_some_and(|upto| upto > durable) {
                index += 1;
                continue;
            }
            connection.held_until = None;
            self.state.aof.held.swap_remove(index);
            self.outputs.push_back(Output::Wake { id });
        }
    }

    /// The end of an event-loop turn (the driver calls it before it waits, as Redis's
    /// `beforeSleep`): what the turn's commands changed goes to the disk in one write, and a
    /// save makes its next piece.
    pub fn before_sleep(&mut self, now: Now) {
        self.save_ahead(now);
        if !self.state.aof.on && self.state.aof.queue.is_empty() {
            return;
        }
        self.observe(now);
        self.drain_propagation();
        self.flush_aof();
        self.sync_every_second();
    }

    /// Hands the buffer to the disk when nothing is in flight (one write, and under `always`
    /// one fsync, for everything since the last).
    pub(crate) fn flush_aof(&mut self) {
        let policy = self.state.config.appendfsync;
        let now = self.state.now.monotonic;
        let aof = &mut self.state.aof;
        let writable = aof.has_unwritten()
            && aof.queue.is_empty()
            && aof.broken.is_none()
            && !aof.incr_path.is_empty();
        if writable {
            let fsync_running = aof
                .syncing
                .is_some_and(|(_, _, since)| now.millis_since(since) < POSTPONE_MILLIS_MAX);
            if policy == Fsync::EverySec && fsync_running {
                // Redis postpones the write while its fsync runs, up to 2 seconds.
                aof.postponed_since.get_or_insert(now);
            } else {
                if aof.postponed_since.take().is_some() && aof.syncing.is_some() {
                    aof.delayed_fsyncs += 1;
                }
                let bytes = aof.take_buffer();
                let upto = aof.appended;
                let path = aof.incr_path.clone();
                aof.push(
                    DiskRequest::Append {
                        path: path.clone(),
                        bytes,
                    },
                    Then::Written(upto),
                );
                if policy == Fsync::Always {
                    aof.push(DiskRequest::SyncFile { path }, Then::Synced(upto));
                }
            }
        }
        // Written but not fsynced (the policy became `always`): replies wait for an fsync.
        let aof = &mut self.state.aof;
        let unsynced = aof.synced < aof.written
            && aof.queue.is_empty()
            && aof.syncing.is_none()
            && aof.broken.is_none()
            && !aof.incr_path.is_empty();
        if policy == Fsync::Always && unsynced {
            let (path, upto) = (aof.incr_path.clone(), aof.written);
            aof.push(DiskRequest::SyncFile { path }, Then::Synced(upto));
        }
        self.next_aof_request();
    }

    /// The buffer's write goes into the queue now, behind whatever is there, for the last
    /// fsync before the file is turned off or the server stops: not postponed behind
    /// `everysec`'s fsync, nor left for the queue to empty (the file it would go to is
    /// forgotten meanwhile).
    fn queue_buffer(&mut self) {
        let aof = &mut self.state.aof;
        if aof.has_unwritten() && aof.broken.is_none() && !aof.incr_path.is_empty() {
            let bytes = aof.take_buffer();
            let upto = aof.appended;
            let path = aof.incr_path.clone();
            aof.push(DiskRequest::Append { path, bytes }, Then::Written(upto));
            aof.postponed_since = None;
        }
    }

    /// Gives the queue's first request to the driver, unless one is in flight.
    fn next_aof_request(&mut self) {
        let aof = &mut self.state.aof;
        if aof.in_flight.is_some() {
            return;
        }
        let Some(job) = aof.queue.front() else {
            return;
        };
        let request = job.request.clone();
        let token = self.state.persistence.token();
        self.state.aof.in_flight = Some(token);
        self.outputs.push_back(Output::Disk { token, request });
    }

    /// The cron's part: what is buffered goes out, `everysec`'s fsync, a rewrite when due.
    pub(crate) fn aof_cron(&mut self) {
        let aof = &self.state.aof;
        if aof.on || !aof.queue.is_empty() {
            self.drain_propagation();
            self.flush_aof();
        }
        self.sync_every_second();
        self.maybe_rewrite();
    }

    /// `everysec`: an fsync once a second, beside the queue (checked at every turn's end, as
    /// Redis does, so that it does not wait for the cron).
    fn sync_every_second(&mut self) {
        let now = self.state.now;
        let policy = self.state.config.appendfsync;
        let interval = match self.state.config.aof_late_everysec {
            true => 2500,
            false => 1000,
        };
        let aof = &mut self.state.aof;
        let due = policy == Fsync::EverySec
            && aof.syncing.is_none()
            && aof.broken.is_none()
            && aof.written > aof.synced
            && now.monotonic.millis_since(aof.last_sync) >= interval;
        if due {
            let token = self.state.persistence.token();
            let aof = &mut self.state.aof;
            aof.syncing = Some((token, aof.written, now.monotonic));
            let path = aof.written_path.clone();
            self.outputs.push_back(Output::Disk {
                token,
                request: DiskRequest::SyncFile { path },
            });
        }
    }

    /// The automatic rewrite (`auto-aof-rewrite-percentage`), and the repair of broken files,
    /// retried with a growing delay.
    fn maybe_rewrite(&mut self) {
        let aof = &self.state.aof;
        let config = &self.state.config;
        // Not while a script is suspended: the base would hold part of what it wrote, and the
        // new incremental file all of it again once it ends.
        if aof.rewriting() || self.state.persistence.busy() || self.state.scripts.busy.is_some() {
            return;
        }
        if aof.rewrite_scheduled {
            self.begin_rewrite();
            return;
        }
        if !aof.on {
            return;
        }
        let wall = self.state.now.wall.as_millis();
        let delay = (1i64 << aof.consecutive_failures.min(6)).min(RETRY_SECS_MAX) * 1000;
        let may_retry = aof
            .last_failed_rewrite
            .is_none_or(|at| wall - at.as_millis() >= delay);
        if aof.broken.is_some() || aof.starting() {
            if may_retry {
                self.begin_rewrite();
            }
            return;
        }
        let percentage = config.auto_aof_rewrite_percentage;
        let grown = aof.current_bytes.saturating_sub(aof.base_bytes);
        let base = aof.base_bytes.max(1);
        if percentage > 0
            && aof.current_bytes > config.auto_aof_rewrite_min_size
            && grown * 100 / base >= percentage
            && may_retry
        {
            let growth = grown * 100 / base;
            self.log(
                LogLevel::Notice,
                format!("Starting automatic rewriting of AOF on {growth}% growth"),
            );
            self.begin_rewrite();
        }
    }

    /// A disk answer for the append-only file: true when `token` was one of its requests.
    pub(crate) fn aof_disk_done(&mut self, token: DiskToken, result: &Result<(), String>) -> bool {
        let trusted = Ok(());
        let is_sync = |then: Option<&Then>| matches!(then, Some(Then::Synced(_)));
        let syncing = self
            .state
            .aof
            .syncing
            .is_some_and(|(syncing, _, _)| syncing == token);
        let synced = syncing
            || (self.state.aof.in_flight == Some(token)
                && is_sync(self.state.aof.queue.front().map(|job| &job.then)));
        let result = match self.state.config.aof_trust_failed_fsync && synced {
            true => &trusted,
            false => result,
        };
        if let Some((syncing, upto, _)) = self.state.aof.syncing {
            if syncing == token {
                self.state.aof.syncing = None;
                match result {
                    Ok(()) => self.synced(upto),
                    Err(error) => self.aof_failed("fsync", error),
                }
                self.flush_aof();
                return true;
            }
        }
        if self.state.aof.in_flight != Some(token) {
            return false;
        }
        self.state.aof.in_flight = None;
        let job = self
            .state
            .aof
            .queue
            .pop_front()
            .expect("a request in flight is queued");
        match (result, job.then) {
            (Ok(()), Then::Written(upto)) => {
                let aof = &mut self.state.aof;
                if let DiskRequest::Append { path, .. } = job.request {
                    aof.written_path = path;
                }
                aof.current_bytes += upto.saturating_sub(aof.written);
                aof.written = aof.written.max(upto);
                aof.last_write_ok = true;
                self.release_replies();
            }
            (Ok(()), Then::Synced(upto)) => self.synced(upto),
            (Ok(()), Then::IncrOpened(seq)) => {
                // The manifest on disk names the new file now.
                let aof = &mut self.state.aof;
                if let Some(rewrite) = &aof.rewrite {
                    aof.manifest = rewrite.opened.clone();
                } else if aof.manifest.incr_seq() < seq {
                    let dir = self.state.config.aof_dir();
                    let name = aof
                        .incr_path
                        .strip_prefix(&format!("{dir}/"))
                        .unwrap_or(&aof.incr_path);
                    aof.manifest.incrs.push(FileInfo {
                        name: name.to_string(),
                        seq,
                    });
                }
            }
            (Ok(()), Then::Rewritten) => self.rewrite_done(),
            (Ok(()), Then::Nothing) | (_, Then::Dropped) => {}
            (Err(error), Then::Written(_)) => self.aof_failed("write", error),
            (Err(error), Then::Synced(_)) => self.aof_failed("fsync", error),
            (Err(error), Then::IncrOpened(_) | Then::Rewritten) => {
                // The manifest on disk may name the new files all the same: they stay.
                let aof = &mut self.state.aof;
                if let Some(rewrite) = aof.rewrite.as_mut() {
                    let named = match job.then {
                        Then::Rewritten => &rewrite.manifest,
                        _ => &rewrite.opened,
                    };
                    aof.maybe_named.extend(named.load_order().cloned());
                    rewrite.base_in_place = false;
                    rewrite.published = true;
                }
                self.aof_failed("manifest write", error)
            }
            (Err(error), Then::Nothing) => self.log(
                LogLevel::Warning,
                format!("Removing an old append only file: {error}"),
            ),
        }
        self.flush_aof();
        true
    }

    fn synced(&mut self, upto: u64) {
        let now = self.state.now.monotonic;
        let aof = &mut self.state.aof;
        aof.synced = aof.synced.max(upto);
        aof.last_sync = now;
        self.release_replies();
        let aof = &self.state.aof;
        if aof.stop_when_synced && !self.aof_unsynced() {
            self.state.aof.stop_when_synced = false;
            self.outputs.push_back(Output::Shutdown);
        }
    }

    /// A write or fsync failed: the files are not trusted until a rewrite replaces them.
    /// Nothing queued for them is done; held replies wait for the rewrite; writes are refused.
    fn aof_failed(&mut self, what: &str, error: &str) {
        self.log(
            LogLevel::Warning,
            format!(
                "Error {what} the append only file: {error}. The files are rewritten before \
                 writes are accepted again."
            ),
        );
        let dir = self.state.config.aof_dir();
        let aof = &mut self.state.aof;
        aof.last_write_ok = false;
        aof.broken = Some(error.to_string());
        // The request with the driver stays first in the queue, for its answer; a write or
        // fsync among it promises nothing now. A rewrite's manifest on its way completes the
        // rewrite (which leaves the files broken unless it was a repair).
        let mut with_driver = aof.in_flight.is_some();
        let mut unnamed = None;
        aof.queue.retain_mut(|job| {
            let first = std::mem::take(&mut with_driver);
            match job.then {
                Then::Nothing | Then::Dropped => true,
                Then::Rewritten | Then::IncrOpened(_) if first => true,
                Then::Written(_) | Then::Synced(_) if first => {
                    job.then = Then::Dropped;
                    true
                }
                Then::IncrOpened(seq) => {
                    unnamed = Some(seq);
                    false
                }
                Then::Written(_) | Then::Synced(_) | Then::Rewritten => false,
            }
        });
        let manifest_on_its_way = aof.in_flight.is_some()
            && aof
                .queue
                .front()
                .is_some_and(|job| matches!(job.then, Then::Rewritten));
        if let Some(seq) = unnamed {
            // An incremental file no manifest will name: it goes.
            let path = join(&dir, &incr_name(&self.state.config.appendfilename, seq));
            self.state
                .aof
                .push(DiskRequest::Remove { path }, Then::Nothing);
        }
        if self.state.aof.rewrite.is_some() && !manifest_on_its_way {
            self.abort_rewrite();
        }
        if self.state.aof.stop_when_synced {
            // Nothing more can be made durable: stop anyway, as asked.
            self.state.aof.stop_when_synced = false;
            self.outputs.push_back(Output::Shutdown);
        }
    }

    /// Opens a new incremental file, where appends go from now on; with `publish`, the
    /// manifest on disk names it at once, so that what is appended to it survives. The
    /// manifest with it is returned.
    fn open_incr(&mut self, publish: bool) -> (FileInfo, Manifest) {
        let dir = self.state.config.aof_dir();
        let prefix = self.state.config.appendfilename.clone();
        let aof = &mut self.state.aof;
        aof.push(DiskRequest::CreateDir { path: dir.clone() }, Then::Nothing);
        let seq = aof.manifest.incr_seq().max(aof.incr_seq_opened) + 1;
        aof.incr_seq_opened = seq;
        let incr = FileInfo {
            name: incr_name(&prefix, seq),
            seq,
        };
        let incr_path = join(&dir, &incr.name);
        aof.push(
            DiskRequest::Append {
                path: incr_path.clone(),
                bytes: Vec::new(),
            },
            Then::Nothing,
        );
        let mut opened = aof.manifest.clone();
        opened.incrs.push(incr.clone());
        if publish {
            aof.push(
                DiskRequest::Replace {
                    path: join(&dir, &manifest_name(&prefix)),
                    bytes: opened.to_bytes(),
                },
                Then::IncrOpened(seq),
            );
        }
        aof.incr_path = incr_path;
        aof.new_file();
        (incr, opened)
    }

    /// Starts a rewrite (BGREWRITEAOF, turning the file on, automatic, or repairing): a new
    /// incremental file from this instant, and a base with the data now.
    /// While a save runs, the rewrite is scheduled for when it ends.
    pub(crate) fn begin_rewrite(&mut self) {
        if self.state.persistence.busy() {
            self.state.aof.rewrite_scheduled = true;
            return;
        }
        self.state.aof.rewrite_scheduled = false;
        self.drain_propagation();
        let config = &self.state.config;
        let prefix = config.appendfilename.clone();
        let rdb = config.aof_use_rdb_preamble;
        let now = self.state.now.wall;
        let aof = &mut self.state.aof;
        // What came before this instant is in the current incremental file, or in the new base
        // when the files are broken or there is no such file yet.
        if aof.broken.is_some() || aof.incr_path.is_empty() {
            aof.drop_buffer();
        } else {
            // The current file is complete and durable before the manifest names a next one:
            // only the last file may be found cut after a crash.
            let upto = aof.appended;
            let path = aof.incr_path.clone();
            if aof.has_unwritten() {
                let bytes = aof.take_buffer();
                aof.push(
                    DiskRequest::Append {
                        path: path.clone(),
                        bytes,
                    },
                    Then::Written(upto),
                );
            }
            aof.push(DiskRequest::SyncFile { path }, Then::Synced(upto));
        }
        let publish = !aof.starting() && aof.broken.is_none();
        let (incr, opened) = self.open_incr(publish);
        let aof = &mut self.state.aof;
        let base_seq = aof.manifest.base_seq().max(aof.base_seq_opened) + 1;
        aof.base_seq_opened = base_seq;
        let rewritten = Manifest {
            base: Some(FileInfo {
                name: base_name(&prefix, base_seq, rdb),
                seq: base_seq,
            }),
            incrs: vec![incr],
            history: Vec::new(),
        };
        let repairs = aof.broken.is_some();
        aof.rewrite = Some(Rewrite {
            repairs,
            started: now,
            offset: aof.appended,
            manifest: rewritten,
            opened,
            published: publish,
            base_bytes: 0,
            base_in_place: false,
        });
        begin_save(
            &mut self.keyspace,
            &mut self.state,
            &mut self.effects,
            SaveKind::AofRewrite,
        );
        self.deliver_effects(None);
        self.flush_aof();
    }

    /// The base is written (or failed): the manifest names it, then the old files go.
    pub(crate) fn rewrite_base_written(&mut self, result: Result<u64, String>) {
        let prefix = self.state.config.appendfilename.clone();
        let dir = self.state.config.aof_dir();
        let Some(rewrite) = self.state.aof.rewrite.as_mut() else {
            return;
        };
        match result {
            Ok(bytes) => {
                rewrite.base_bytes = bytes;
                rewrite.base_in_place = true;
                let manifest = rewrite.manifest.to_bytes();
                let aof = &mut self.state.aof;
                aof.push(
                    DiskRequest::Replace {
                        path: join(&dir, &manifest_name(&prefix)),
                        bytes: manifest,
                    },
                    Then::Rewritten,
                );
                self.next_aof_request();
            }
            Err(error) => {
                self.log(
                    LogLevel::Warning,
                    format!("Background AOF rewrite failed: {error}"),
                );
                self.rewrite_failed();
            }
        }
    }

    fn rewrite_failed(&mut self) {
        let now = self.state.now.wall;
        let dir = self.state.config.aof_dir();
        let aof = &mut self.state.aof;
        let Some(rewrite) = aof.rewrite.take() else {
            return;
        };
        aof.last_rewrite_ok = false;
        aof.consecutive_failures += 1;
        aof.last_failed_rewrite = Some(now);
        aof.last_rewrite_secs = (now.as_millis() - rewrite.started.as_millis()) / 1000;
        if let (true, Some(base)) = (rewrite.base_in_place, &rewrite.manifest.base) {
            // No manifest names the new base.
            let path = join(&dir, &base.name);
            aof.push(DiskRequest::Remove { path }, Then::Nothing);
        }
        if !rewrite.published {
            // The new file was never named: the next attempt opens another.
            let path = std::mem::take(&mut aof.incr_path);
            aof.push(DiskRequest::Remove { path }, Then::Nothing);
            aof.drop_buffer();
        }
        // Otherwise appends to the new file go on: the manifest on disk names it.
    }

    /// Stops a running rewrite (turning the file off, a failure): its base's temporary file
    /// is removed; the manifest on disk stays as it is.
    fn abort_rewrite(&mut self) {
        if self
            .state
            .persistence
            .job
            .as_ref()
            .is_some_and(|job| job.kind == SaveKind::AofRewrite)
        {
            self.abandon_save();
        }
        self.rewrite_failed();
    }

    /// The manifest naming the new base is durable: the rewrite is done.
    fn rewrite_done(&mut self) {
        let now = self.state.now.wall;
        let prefix_dir = self.state.config.aof_dir();
        let aof = &mut self.state.aof;
        let Some(rewrite) = aof.rewrite.take() else {
            return;
        };
        let old = std::mem::replace(&mut aof.manifest, rewrite.manifest.clone());
        let maybe_named = std::mem::take(&mut aof.maybe_named);
        let mut gone: Vec<FileInfo> = Vec::new();
        for info in old
            .load_order()
            .chain(old.history.iter())
            .chain(maybe_named.iter())
            .filter(|info| {
                rewrite
                    .manifest
                    .load_order()
                    .all(|kept| kept.name != info.name)
            })
        {
            if gone.iter().any(|done| done.name == info.name) {
                continue;
            }
            gone.push(info.clone());
        }
        for info in gone {
            aof.push(
                DiskRequest::Remove {
                    path: join(&prefix_dir, &info.name),
                },
                Then::Nothing,
            );
        }
        aof.rewrites += 1;
        aof.last_rewrite_ok = true;
        aof.consecutive_failures = 0;
        aof.last_failed_rewrite = None;
        aof.last_rewrite_secs = (now.as_millis() - rewrite.started.as_millis()) / 1000;
        aof.base_bytes = rewrite.base_bytes;
        aof.current_bytes = rewrite.base_bytes + (aof.written.saturating_sub(rewrite.offset));
        // Everything before the rewrite's instant is in the base.
        aof.written = aof.written.max(rewrite.offset);
        aof.synced = aof.synced.max(rewrite.offset);
        // A failure since the rewrite began may concern its new incremental file: only a
        // repair makes the files sound.
        let repaired = rewrite.repairs && aof.broken.take().is_some();
        let was_starting = std::mem::replace(&mut aof.status_starting, false);
        aof.hold_while_starting = false;
        self.log(
            LogLevel::Notice,
            "Background AOF rewrite finished successfully".to_string(),
        );
        if repaired {
            self.log(
                LogLevel::Notice,
                "The append only file is sound again: writes are accepted.".to_string(),
            );
        }
        if was_starting {
            self.log(
                LogLevel::Notice,
                "Append only file is on: the rewrite that began it is done".to_string(),
            );
        }
        self.release_replies();
    }

    /// CONFIG SET appendonly: turning on rewrites first (the file is trusted once that is
    /// done); turning off writes and fsyncs what is buffered, then stops appending.
    pub(crate) fn set_appendonly(&mut self, on: bool) {
        let aof = &mut self.state.aof;
        if on == aof.on {
            return;
        }
        if on {
            aof.on = true;
            aof.status_starting = true;
            self.update_propagation();
            self.begin_rewrite();
            return;
        }
        self.drain_propagation();
        if self.state.aof.rewrite.is_some() {
            self.abort_rewrite();
        }
        self.queue_buffer();
        let aof = &mut self.state.aof;
        if aof.written > aof.synced || !aof.queue.is_empty() {
            let path = aof.incr_path.clone();
            let upto = aof.appended;
            if !path.is_empty() {
                aof.push(DiskRequest::SyncFile { path }, Then::Synced(upto));
            }
        }
        aof.on = false;
        aof.status_starting = false;
        aof.hold_while_starting = false;
        aof.rewrite_scheduled = false;
        aof.incr_path.clear();
        self.update_propagation();
        self.next_aof_request();
    }

    /// Bytes are not yet fsynced (the driver's stop waits for them).
    fn aof_unsynced(&self) -> bool {
        let aof = &self.state.aof;
        aof.broken.is_none()
            && (aof.has_unwritten()
                || aof.synced < aof.written
                || aof
                    .queue
                    .iter()
                    .any(|job| matches!(job.then, Then::Written(_) | Then::Synced(_))))
    }

    /// Before the server stops: what is buffered is written and fsynced first. True when the
    /// stop must wait for it (`Output::Shutdown` follows once it is durable).
    pub(crate) fn stop_waits_for_aof(&mut self) -> bool {
        if !self.state.aof.on || self.state.aof.stop_when_synced {
            return self.state.aof.stop_when_synced;
        }
        self.drain_propagation();
        if !self.aof_unsynced() {
            return false;
        }
        self.queue_buffer();
        let aof = &mut self.state.aof;
        let upto = aof.appended;
        if aof.synced < upto && !aof.incr_path.is_empty() {
            let path = aof.incr_path.clone();
            aof.push(DiskRequest::SyncFile { path }, Then::Synced(upto));
        }
        aof.stop_when_synced = true;
        self.next_aof_request();
        true
    }

    /// After loading (or with nothing to load): appends go to the last incremental file, or,
    /// with no files yet, a first rewrite makes them.
    pub fn aof_start(&mut self, now: Now) {
        self.set_loading_dataset(now, false);
        self.state.persistence.changes_at_last_save = self.keyspace.changes();
        if !self.state.config.appendonly {
            return;
        }
        let dir = self.state.config.aof_dir();
        let aof = &mut self.state.aof;
        aof.on = true;
        self.update_propagation();
        let aof = &self.state.aof;
        let manifest = &aof.manifest;
        if manifest.base.is_none() && manifest.incrs.is_empty() {
            // No files: a first rewrite makes a base and an incremental file, as Redis does;
            // until its manifest is durable nothing is promised.
            self.state.aof.status_starting = true;
            self.state.aof.hold_while_starting = true;
            self.begin_rewrite();
        } else if let Some(last) = manifest.incrs.last() {
            self.state.aof.incr_path = join(&dir, &last.name);
        } else {
            self.open_incr(true);
            self.next_aof_request();
        }
    }
}
