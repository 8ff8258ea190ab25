//! The server: the connection slab, the handlers and the outputs (the cron is in `cron`).

use std::collections::{BTreeSet, VecDeque};

pub(crate) mod aof;
pub(crate) mod aof_load;
pub(crate) mod blocking;
mod client_eviction;
mod cron;
pub(crate) mod persistence;

use crate::clients::Clients;
pub use crate::clients::ConnectionId;
use crate::command::{self, BlockOn, Ctx};
use crate::config::Config;
use crate::connection::{CloseReason, Connection, Door, Interest};
use crate::effects::{Effect, Effects, Receivers};
pub use crate::garbage::Garbage;
use crate::keyspace::{Keyspace, Propagated};
use crate::notify;
use crate::output::LogLevel;
pub use crate::output::Output;
use crate::protocol::book;
use crate::protocol::resp::{Args, Limits, OwnedArgs, Parse};
use crate::pubsub;
use crate::reply::Reply;
use crate::state::ServerState;
use crate::stats::Stats;
use crate::time::{Instant, Now, UnixMillis};
use crate::tracking::{self, Invalidated};
use blocking::{Blocked, Unblocked};

/// Commands one connection may run in one handler call before yielding to the others; the rest
/// wait in its query buffer and `poll_timeout` asks to be called back at once.
pub const COMMANDS_PER_CALL_MAX: usize = 1024;

/// Connections with waiting commands served per `handle_timeout` call.
const PENDING_CONNECTIONS_PER_CALL_MAX: usize = 64;

/// `connection_open` was refused: `maxclients` connections are already open. The driver writes
/// `reply` to the socket and closes it, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub reply: &'static [u8],
}

/// The whole server as a state machine: every client connection and every keyspace.
///
/// # Calling contract
/// Inputs are method calls that carry the time (`Now`); outputs are pulled.
/// - **Inputs:** `connection_open`, `connection_receive`, `connection_sent`, `connection_closed`,
///   `handle_timeout`. Call them in any order as events happen, each with the current time.
/// - **After every input**, drain `poll_output()` until it returns `None` and act on each output,
///   then read `poll_timeout()`: the instant at which `handle_timeout` must next be called. It may
///   move after any input; calling `handle_timeout` early or twice is harmless.
/// - **Replies** stay in the core's buffer: `send_buffer(id)` is what to write next; after writing
///   `n` bytes (possibly 0) call `connection_sent(now, id, n)`.
/// - `interest(id)` tells whether to wait for readability and writability. When `read` is false
///   the driver stops reading that socket until a `Wake` says otherwise.
/// - A stale or closed `ConnectionId` is ignored by every method.
pub struct Server {
    /// Every database; what commands read and change.
    pub(crate) keyspace: Keyspace,
    /// Settings, counters, time and the random source, shared by every command.
    pub(crate) state: ServerState,
    clients: Clients,
    next_client_id: u64,
    /// What commands asked for beyond their replies, not yet delivered.
    effects: Effects,
    outputs: VecDeque<Output>,
    /// Connections with complete commands left over from a previous call.
    pending: VecDeque<ConnectionId>,
    next_cron: Instant,
    /// Where the round-robin idle check resumes.
    cron_cursor: usize,
    /// Units of rehashing the driver may still run after the last cron tick (`rehash_more`).
    rehash_credit: u32,
    /// The clients stayed over `maxmemory-clients` with none left to close, and the log said
    /// so: it says it once until they are under again.
    clients_over_logged: bool,
    /// The order replies were produced in, while someone asked for it (`record_execution`).
    executed: Option<Vec<Executed>>,
    /// Blocked clients' deadlines, earliest first.
    deadlines: BTreeSet<(Instant, ConnectionId)>,
    /// Connections whose command waits for CLIENT PAUSE to end, in the order they came.
    postponed: VecDeque<ConnectionId>,
    /// The propagation stream, while someone asked for it (`record_propagation`).
    observed: Option<Vec<Propagated>>,
    /// Protected mode's refusals, logged at most once a second (see `REFUSAL_LOG_MILLIS`).
    refusals: RefusalLog,
    /// The append-only file being loaded at start.
    loading: Option<Box<aof_load::Loading>>,
}

/// What the core did, in order, while asked to record it (`record_execution`). A driver that
/// checks replies follows this order, which no single connection's view can tell once several
/// connections' commands run in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executed {
    /// A reply to a request of connection `id` (a command, or a malformed request's protocol
    /// error), produced at wall-clock time `wall`.
    /// `effects` counts the changes propagated so far (see `record_propagation`), this
    /// command's included: the reply depends on no later one.
    Reply {
        id: ConnectionId,
        wall: UnixMillis,
        effects: u64,
    },
    /// Key `key` of database `db` was evicted for memory (`maxmemory`): before the reply that
    /// follows it, if any.
    Evicted { db: usize, key: Box<[u8]> },
}

impl Server {
    pub fn new(config: Config, now: Now) -> Server {
        assert!(config.databases >= 1, "at least one database");
        assert!(
            config.hz >= 1 && config.hz <= 500,
            "hz must be within 1..=500"
        );
        let mut keyspace = Keyspace::new(config.databases, config.seed);
        keyspace.apply_config(&config);
        let limits = Limits {
            bulk_bytes_max: config.bulk_bytes_max,
            ..Limits::default()
        };
        let random = rand_pcg::Pcg64Mcg::new(u128::from(config.seed) << 1 | 1);
        Server {
            keyspace,
            clients: Clients::default(),
            next_client_id: 1,
            effects: Effects::default(),
            outputs: VecDeque::new(),
            pending: VecDeque::new(),
            next_cron: now.monotonic,
            cron_cursor: 0,
            rehash_credit: 0,
            clients_over_logged: false,
            executed: None,
            deadlines: BTreeSet::new(),
            postponed: VecDeque::new(),
            observed: None,
            refusals: RefusalLog::default(),
            loading: None,
            state: ServerState {
                stats: Stats::default(),
                limits,
                random,
                now,
                started: now,
                used_memory_bytes: 0,
                resident_memory_bytes: 0,
                active_expire_enabled: true,
                loading_dataset: false,
                pubsub: Default::default(),
                pause: None,
                monitors: Default::default(),
                tracking: Default::default(),
                scripts: crate::script::Scripts::new(config.script_memory_bytes_max),
                persistence: crate::persistence::Persistence::new(now.wall),
                acl: crate::acl::Acl::with_config(&config),
                files: Default::default(),
                eviction: Default::default(),
                aof: crate::aof::Aof::new(now.monotonic),
                introspect: Default::default(),
                config,
            },
        }
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    pub fn connection_count(&self) -> usize {
        self.clients.len()
    }

    /// The driver's measure of allocated bytes, reported by INFO memory.
    /// Also what `maxmemory` is held to: the driver measures before it hands in input.
    pub fn set_used_memory(&mut self, bytes: u64) {
        self.state.used_memory_bytes = bytes;
        self.state.eviction.measured();
        let introspect = &mut self.state.introspect;
        introspect.memory_peak_bytes = introspect.memory_peak_bytes.max(bytes);
        if introspect.memory_startup_bytes == 0 {
            introspect.memory_startup_bytes = bytes;
        }
    }

    /// Hands in the driver's stopwatch: a reading of its monotonic clock in microseconds, taken
    /// once per command (INFO commandstats, SLOWLOG, LATENCY; see `introspect::Stopwatch`).
    /// Without one every command takes 0 microseconds.
    pub fn set_stopwatch(&mut self, read: Box<dyn FnMut() -> u64>) {
        self.state.introspect.stopwatch = crate::introspect::Stopwatch::new(read);
    }

    /// The CPU time the process has used, as the driver measured it (INFO cpu).
    pub fn set_cpu_times(&mut self, cpu: crate::introspect::CpuTimes) {
        self.state.introspect.cpu = cpu;
    }

    /// The driver's measure of the process's resident memory (INFO's used_memory_rss and
    /// mem_fragmentation_ratio); it need not measure often.
    pub fn set_resident_memory(&mut self, bytes: u64) {
        self.state.resident_memory_bytes = bytes;
    }

    /// Starts (or stops) recording every change to the keyspace as the commands that
    /// reproduce it (see `Propagated`), for `take_propagated`.
    pub fn record_propagation(&mut self, on: bool) {
        self.drain_propagation();
        self.observed = on.then(Vec::new);
        self.update_propagation();
    }

    /// The changes recorded since the last call, in the order they happened. Run on a server
    /// with the same data at the start, in order, they rebuild the same data.
    pub fn take_propagated(&mut self) -> Vec<Propagated> {
        self.drain_propagation();
        self.observed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Starts (or stops) recording every reply the core produces and every key it evicts, in
    /// order (see `Executed`), for `take_executed`.
    pub fn record_execution(&mut self, on: bool) {
        self.executed = on.then(Vec::new);
        self.state.eviction.record(on);
    }

    /// The replies produced and keys evicted since the last call, in the order they happened.
    pub fn take_executed(&mut self) -> Vec<Executed> {
        self.take_evictions();
        self.executed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn record_executed(&mut self, id: ConnectionId) {
        if self.keyspace.propagating()
            || self.state.config.appendonly != self.state.aof.on
            || self.state.aof.rewrite_requested
        {
            self.after_reply_to(id);
        }
        self.take_evictions();
        if let Some(executed) = self.executed.as_mut() {
            executed.push(Executed::Reply {
                id,
                wall: self.state.now.wall,
                effects: self.keyspace.changes_recorded(),
            });
        }
    }

    /// Moves the evictions recorded since the last reply into the record.
    fn take_evictions(&mut self) {
        if let Some(executed) = self.executed.as_mut() {
            let evicted = self.state.eviction.take_recorded();
            executed.extend(
                evicted
                    .into_iter()
                    .map(|(db, key)| Executed::Evicted { db, key }),
            );
        }
    }

    /// A RESP client connected from `peer` (shown by CLIENT LIST).
    pub fn connection_open(&mut self, now: Now, peer: &str) -> Result<ConnectionId, Refused> {
        self.connection_open_door(now, peer, Door::Resp)
    }

    /// A client of the book's protocol connected from `peer`: the same keyspace, limits and
    /// timeouts as RESP clients, replies in the book's tags.
    pub fn connection_open_book(&mut self, now: Now, peer: &str) -> Result<ConnectionId, Refused> {
        self.connection_open_door(now, peer, Door::Book)
    }

    fn connection_open_door(
        &mut self,
        now: Now,
        peer: &str,
        door: Door,
    ) -> Result<ConnectionId, Refused> {
        self.observe(now);
        let config = &self.state.config;
        if config.protected_mode
            && self.state.acl.default_needs_no_password()
            && !crate::config::is_local_peer(peer)
        {
            self.state.stats.rejected_connections += 1;
            let now = self.state.now.monotonic;
            if let Some(unlogged) = self.refusals.may_log(now) {
                let since = match unlogged {
                    0 => String::new(),
                    count => format!(" ({count} more refused since the last such message)"),
                };
                self.log(
                    LogLevel::Warning,
                    format!(
                        "Refused a connection from {peer}: protected mode admits only loopback \
                         clients while the default user has no password{since}"
                    ),
                );
            }
            return Err(Refused {
                reply: match door {
                    Door::Resp => DENIED_REPLY,
                    Door::Book => BOOK_DENIED_REPLY,
                },
            });
        }
        if self.clients.len() >= self.state.config.clients_max {
            self.state.stats.rejected_connections += 1;
            return Err(Refused {
                reply: match door {
                    Door::Resp => b"-ERR max number of clients reached\r\n",
                    Door::Book => BOOK_MAX_CLIENTS_REPLY,
                },
            });
        }
        Ok(self.admit(now, peer, door))
    }

    /// Opens a connection without the checks a client from the network goes through (the
    /// server's own, such as the one that loads functions from a file).
    pub(crate) fn admit(&mut self, now: Now, peer: &str, door: Door) -> ConnectionId {
        let authenticated = self.state.acl.default_needs_no_password();
        let connection = Box::new(Connection::new(
            self.next_client_id,
            peer.to_string(),
            now.monotonic,
            authenticated,
            door,
        ));
        self.next_client_id += 1;
        self.state.stats.connections_received += 1;
        let id = self.clients.insert(connection);
        self.with_connection(id, |connection| {
            connection.parser.set_authenticated(authenticated)
        });
        id
    }

    /// The driver's file descriptor for `id`'s socket, shown by CLIENT LIST.
    pub fn connection_fd(&mut self, id: ConnectionId, fd: i64) {
        if let Some(connection) = self.connection_mut(id) {
            connection.fd = fd;
        }
    }

    /// Bytes arrived from the client. Returns how many were taken: all of them, unless the
    /// connection is closing or unknown (then 0).
    pub fn connection_receive(&mut self, now: Now, id: ConnectionId, bytes: &[u8]) -> usize {
        self.observe(now);
        let limit = self.state.config.query_buffer_bytes_max;
        let Some(connection) = self.connection_mut(id) else {
            return 0;
        };
        if connection.closing.is_some() {
            return 0;
        }
        connection.last_interaction = now.monotonic;
        if connection.query.len() + bytes.len() > limit {
            self.close(id, CloseReason::QueryBufferLimit);
            return bytes.len();
        }
        connection.reserve_query();
        connection.query.extend_from_slice(bytes);
        connection.query_peak = connection.query_peak.max(connection.query.len());
        // The server's own connections (loading a file) close nobody: what they cause is
        // dropped.
        let own = connection.replaying;
        self.state.stats.net_input_bytes += bytes.len() as u64;
        self.state.stats.reads_processed += 1;
        // Counted now: a blocked or paused client runs nothing, yet its buffer grew.
        self.clients.recount_memory(id);
        self.run_commands(id);
        if !own {
            self.evict_clients();
        }
        bytes.len()
    }

    /// The driver wrote `written` bytes of `send_buffer(id)`.
    pub fn connection_sent(&mut self, now: Now, id: ConnectionId, written: usize) {
        self.observe(now);
        let config = &self.state.config;
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        let limit = config.output_limit(connection.output_class());
        let was_paused = connection.paused_by_replies();
        connection.mark_sent(written);
        if written > 0 {
            // A client downloading a big reply is busy, not idle: Redis counts writes too.
            connection.last_interaction = now.monotonic;
        }
        if connection.soft_limit_since.is_some()
            && !limit.soft_reached(connection.output_limit_bytes())
        {
            connection.soft_limit_since = None;
        }
        self.state.stats.net_output_bytes += written as u64;
        self.state.stats.writes_processed += 1;
        self.clients.recount_memory(id);
        let Some(connection) = self.connection(id) else {
            return;
        };
        if was_paused && !connection.paused_by_replies() && connection.closing.is_none() {
            // Commands may be waiting behind the pause.
            self.run_commands(id);
            self.outputs.push_back(Output::Wake { id });
        }
    }

    /// The socket is gone (the peer hung up, or the driver closed it after `Output::Close`).
    pub fn connection_closed(&mut self, now: Now, id: ConnectionId) {
        self.observe(now);
        if self.connection_mut(id).is_none() {
            return;
        }
        command::forget_transaction(&mut self.keyspace, &mut self.clients, id);
        self.forget_block(id);
        if let Some(connection) = self.clients.get_mut(id) {
            self.state.pubsub.forget(&mut connection.subscriptions, id);
            if connection.postponed.is_some() {
                self.postponed.retain(|&postponed| postponed != id);
            }
        }
        self.state.monitors.remove(&id);
        if let Some(connection) = self.clients.get_mut(id) {
            self.state.tracking.disable(id, &mut connection.tracking);
            if !self.state.tracking.active() {
                self.keyspace.record_changed_keys(false);
            }
        }
        self.clients.remove(id);
    }

    /// Timers: the cron (idle timeouts, output limits, rehashing) and commands left waiting.
    pub fn handle_timeout(&mut self, now: Now) {
        self.observe(now);
        if self.state.scripts.busy.is_some() {
            self.resume_script();
        }
        self.end_pause_if_over();
        for _ in 0..PENDING_CONNECTIONS_PER_CALL_MAX {
            let Some(id) = self.pending.pop_front() else {
                break;
            };
            if let Some(connection) = self.connection_mut(id) {
                connection.pending_commands = false;
                self.run_commands(id);
                self.outputs.push_back(Output::Wake { id });
            }
        }
        self.expire_blocked(now.monotonic);
        if self.state.eviction.running {
            self.evict();
            self.settle_keyspace();
        }
        if now.monotonic >= self.next_cron {
            self.cron(now);
            self.next_cron = now
                .monotonic
                .plus_millis(1000 / u64::from(self.state.config.hz));
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.outputs.pop_front()?;
        if matches!(output, Output::Shutdown) && self.stop_waits_for_aof() {
            // It comes again once the append-only file is durable.
            return self.poll_output();
        }
        Some(output)
    }

    /// When to call `handle_timeout` next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.pending.is_empty()
            || self.state.scripts.busy.is_some()
            || self.state.eviction.running
        {
            return Some(self.state.now.monotonic);
        }
        let next_deadline = self.deadlines.first().map(|&(deadline, _)| deadline);
        // A pause is over once its end has passed.
        let pause_over = self.state.pause.map(|pause| pause.end.plus_millis(1));
        Some(
            [next_deadline, pause_over]
                .into_iter()
                .flatten()
                .fold(self.next_cron, Instant::min),
        )
    }

    /// Reply bytes waiting to be written to `id`.
    pub fn send_buffer(&self, id: ConnectionId) -> &[u8] {
        self.connection(id)
            .map_or(&[], |connection| connection.reply_sendable())
    }

    /// Every reply byte not yet written to `id`, those held for the append-only file included
    /// (for checkers that match replies as they are produced).
    pub fn reply_pending(&self, id: ConnectionId) -> &[u8] {
        self.connection(id)
            .map_or(&[], |connection| connection.reply_pending())
    }

    /// `id`'s replies wait for the append-only file: `send_buffer` is empty meanwhile, and a
    /// `Wake` comes when they may go.
    pub fn reply_held(&self, id: ConnectionId) -> bool {
        self.connection(id)
            .is_some_and(|connection| connection.held_until.is_some())
    }

    /// The driver loads the dataset (the append-only file's files) while its event loop
    /// serves, from before the first `aof_load_begin` to `aof_start`: clients get `-LOADING`
    /// for all but what Redis serves meanwhile (INFO, CONFIG, AUTH, HELLO and the like), no
    /// key expires and nothing is evicted.
    pub fn set_loading_dataset(&mut self, now: Now, loading: bool) {
        self.observe(now);
        self.state.loading_dataset = loading;
        self.keyspace.set_loading(loading);
    }

    /// A write or fsync of the append-only file failed and no rewrite has repaired it yet:
    /// writes are refused (MISCONF) and nothing more is made durable meanwhile.
    pub fn aof_broken(&self) -> bool {
        self.state.aof.broken.is_some()
    }

    pub fn interest(&self, id: ConnectionId) -> Interest {
        self.connection(id)
            .map_or(Interest::default(), |connection| connection.interest())
    }

    /// Asserts every structure's invariants (tests and the simulator call this).
    pub fn check_invariants(&self) {
        self.keyspace.check_invariants();
        self.clients.check_invariants();
        self.state.introspect.check_invariants();
        self.check_blocked_invariants();
        self.state.tracking.check_invariants(
            self.clients
                .iter()
                .map(|(id, connection)| (id, connection.tracking.as_deref())),
        );
        self.state.pubsub.check_invariants(
            self.clients
                .iter()
                .map(|(id, connection)| (id, &connection.subscriptions)),
        );
        assert!(
            self.effects.is_empty(),
            "effects are delivered after every command"
        );
        assert_eq!(
            self.postponed.len(),
            self.postponed.iter().collect::<BTreeSet<_>>().len(),
            "a connection waits once for a pause to end"
        );
        assert!(self.postponed.is_empty() || self.state.pause.is_some());
        for (id, connection) in self.clients.iter() {
            assert!(connection.reply_sent <= connection.reply.len());
            assert!(connection.consumed() <= connection.query.len());
            connection.book_parser.check_invariants();
            if connection.blocked.is_some() {
                assert!(
                    connection.transaction.is_none(),
                    "nothing blocks inside MULTI"
                );
            }
            // Once the pause ends, held connections wait to run (`pending`), out of the list.
            assert_eq!(
                connection.postponed.is_some() && self.state.pause.is_some(),
                self.postponed.contains(&id),
                "a paused command is known to the server"
            );
            assert!(connection.blocked.is_none() || connection.postponed.is_none());
            assert_eq!(connection.monitor, self.state.monitors.contains(&id));
            for (db, key) in &connection.watched {
                assert!(
                    self.keyspace.dbs[*db].is_watched_by(key, id),
                    "a connection's watch is known to its database"
                );
            }
        }
    }

    fn observe(&mut self, now: Now) {
        // The monotonic clock never goes back; a driver that says otherwise is a bug.
        assert!(
            now.monotonic >= self.state.now.monotonic,
            "monotonic time went backwards: {} after {}",
            now.monotonic,
            self.state.now.monotonic
        );
        self.state.now = now;
    }

    pub(crate) fn connection(&self, id: ConnectionId) -> Option<&Connection> {
        self.clients.get(id)
    }

    pub(crate) fn connection_mut(&mut self, id: ConnectionId) -> Option<&mut Connection> {
        self.clients.get_mut(id)
    }

    fn with_connection(&mut self, id: ConnectionId, f: impl FnOnce(&mut Connection)) {
        if let Some(connection) = self.connection_mut(id) {
            f(connection);
        }
    }

    /// Asks the driver to close `id` after writing what it can of its pending reply.
    pub(crate) fn close(&mut self, id: ConnectionId, reason: CloseReason) {
        if let Some(connection) = self.connection_mut(id) {
            if connection.closing.is_none() {
                connection.closing = Some(reason);
                self.outputs.push_back(Output::Close { id, reason });
                self.clients.recount_memory(id);
            }
        }
    }

    /// Runs one command of connection `id` with the narrow context commands get: the keyspace,
    /// the shared state, its own connection, a read-only view of the others, its reply and its
    /// effects.
    /// `ready_key` is set when a blocked client's command runs again because that key changed.
    /// Returns what the command waits for, if it did not answer: a key (a blocking command that
    /// found nothing) or the end of CLIENT PAUSE.
    fn execute(
        &mut self,
        id: ConnectionId,
        args: Args<'_>,
        reply: &mut Reply<'_>,
        door: Door,
        ready_key: Option<&[u8]>,
    ) -> Option<Wait> {
        let now = self.state.now;
        let Some((session, others)) = self.clients.split(id) else {
            unreachable!("commands run only for open connections");
        };
        let db = session.db;
        let mut ctx = Ctx {
            keyspace: &mut self.keyspace,
            state: &mut self.state,
            session,
            others,
            effects: &mut self.effects,
            id,
            reply,
            db,
            now,
            may_block: door == Door::Resp,
            ready_key,
            block: None,
            postpone: false,
            suspended: false,
            wait_for_save: false,
        };
        match door {
            Door::Resp => command::dispatch(&mut ctx, args),
            Door::Book => command::dispatch_book(&mut ctx, args),
        }
        if ctx.postpone {
            return Some(Wait::Unpause);
        }
        if ctx.suspended {
            return Some(Wait::Script);
        }
        if ctx.wait_for_save {
            return Some(Wait::Save);
        }
        ctx.block.map(Wait::Key)
    }

    /// Runs the next slice of the suspended script. When it ends, its caller gets the reply
    /// and runs what it sent after, as any connection after a command. A caller gone meanwhile
    /// does not stop it: what it writes is written, the reply goes nowhere.
    fn resume_script(&mut self) {
        let Some(id) = self.state.scripts.suspended_caller() else {
            self.state.scripts.busy = None;
            return;
        };
        self.state.introspect.stopwatch.mark();
        let now = self.state.now;
        let caller_open = self.clients.get(id).is_some();
        let mut buffer = self
            .clients
            .get_mut(id)
            .map(|connection| std::mem::take(&mut connection.reply))
            .unwrap_or_default();
        let mut orphan = None;
        let (session, others, resp3) = if caller_open {
            let (session, others) = self.clients.split(id).expect("checked open");
            let resp3 = session.resp3;
            (session, others, resp3)
        } else {
            let session = orphan.insert(Connection::new(
                0,
                String::new(),
                now.monotonic,
                true,
                Door::Resp,
            ));
            (session, self.clients.all(), false)
        };
        let mut reply = Reply::new(&mut buffer, resp3);
        let db = session.db;
        let mut ctx = Ctx {
            keyspace: &mut self.keyspace,
            state: &mut self.state,
            session,
            others,
            effects: &mut self.effects,
            id,
            reply: &mut reply,
            db,
            now,
            may_block: true,
            ready_key: None,
            block: None,
            postpone: false,
            suspended: false,
            wait_for_save: false,
        };
        command::resume_script(&mut ctx);
        let suspended = ctx.suspended;
        if !caller_open {
            self.deliver_effects(None);
            if !suspended {
                self.settle_keyspace();
            }
            return;
        }
        self.deliver_effects(Some((id, &mut buffer)));
        if let Some(connection) = self.clients.get_mut(id) {
            connection.reply = buffer;
            connection.running_script = suspended;
        }
        if suspended {
            return;
        }
        self.record_executed(id);
        if self.keyspace.dbs.iter().any(|db| db.has_ready()) {
            self.serve_blocked();
        }
        self.settle_keyspace();
        self.check_output_limits(id);
        self.outputs.push_back(Output::Wake { id });
        self.run_commands(id);
    }

    /// Eviction outside a command: the rest of a call that stopped at its bound, and the cron's
    /// check (memory may be over the limit with no command coming: CONFIG SET maxmemory). The
    /// caller settles the keyspace after it.
    pub(crate) fn evict(&mut self) {
        if self.state.scripts.busy.is_none() && !self.state.loading_dataset {
            crate::eviction::evict(&mut self.keyspace, &mut self.state, &mut self.effects);
        }
    }

    /// Eviction before a command of `id`, when clients track keys: an evicted key's
    /// invalidation reaches `id` before the command's reply (`reply`, out of its connection
    /// while its commands run), as in Redis, which evicts before each command. The command's
    /// own check (`refuse_if_out_of_memory`) then finds memory within the limit.
    fn evict_before(&mut self, id: ConnectionId, reply: &mut Vec<u8>) {
        if self.state.config.maxmemory_bytes == 0 || !self.state.tracking.active() {
            return;
        }
        let evicted = self.state.stats.evicted_keys;
        self.evict();
        if self.state.stats.evicted_keys != evicted {
            self.settle_tracking();
            self.deliver_effects(Some((id, reply)));
        }
    }

    /// Ends CLIENT PAUSE once its time is over (CLIENT UNPAUSE ends it at once): expiry
    /// resumes, and the paused connections run their commands again, in the order they came.
    pub(crate) fn end_pause_if_over(&mut self) {
        if let Some(pause) = self.state.pause {
            if pause.end >= self.state.now.monotonic {
                return;
            }
            self.state.pause = None;
        }
        self.keyspace.pause_expiry(false);
        while let Some(id) = self.postponed.pop_front() {
            if let Some(connection) = self.clients.get_mut(id) {
                if !connection.pending_commands {
                    connection.pending_commands = true;
                    self.pending.push_back(id);
                }
            }
        }
    }

    /// What changes to the keyspace left to do (after a batch of commands, and the cron):
    /// expiry is counted and notified, big values it removed go out to be freed, invalidated
    /// watchers are marked.
    pub(crate) fn settle_keyspace(&mut self) {
        for db in &mut self.keyspace.dbs {
            self.state.stats.expired_keys += db.take_expired_count();
        }
        self.keyspace.propagate_expired();
        let flags = self.state.config.notify_keyspace_events;
        for (db, key) in self.keyspace.take_expired_events() {
            notify::publish(
                &mut self.effects,
                &self.state.pubsub,
                flags,
                notify::EXPIRED,
                db,
                "expired",
                &key,
            );
        }
        self.settle_tracking();
        self.keyspace.collect_garbage(&mut self.effects);
        for id in self.keyspace.take_invalidated_watchers() {
            command::invalidate_watches(&mut self.keyspace, &mut self.clients, id);
        }
        self.deliver_effects(None);
    }

    /// Carries out what the last command asked for beyond its reply: the one delivery path
    /// for effects on other connections and requests to the driver. `current` is the
    /// connection whose commands are running, with its reply buffer (out of the connection
    /// while they run).
    pub(crate) fn deliver_effects(&mut self, mut current: Option<(ConnectionId, &mut Vec<u8>)>) {
        if self.effects.is_empty() {
            return;
        }
        for effect in self.effects.take() {
            match effect {
                Effect::Close { id, reason } => self.close(id, reason),
                Effect::Output(output) => self.outputs.push_back(output),
                Effect::Publish {
                    channel,
                    message,
                    shard,
                    skip,
                    receivers,
                } => self.publish(&channel, &message, shard, skip, receivers, &mut current),
                Effect::Monitor { line } => self.feed_monitors(&line, &mut current),
                Effect::Invalidate { id, what, by } => {
                    self.send_invalidation(id, &what, by, &mut current)
                }
                Effect::Unblock { id, error } => {
                    let how = if error {
                        Unblocked::Error
                    } else {
                        Unblocked::Timeout
                    };
                    self.unblock(id, how);
                }
            }
        }
    }

    /// Writes a message into every receiver's reply buffer, each within its output limits:
    /// a subscriber that cannot keep up is closed; the publisher never waits for it.
    fn publish(
        &mut self,
        channel: &[u8],
        message: &[u8],
        shard: bool,
        skip: Option<ConnectionId>,
        receivers: Receivers,
        current: &mut Option<(ConnectionId, &mut Vec<u8>)>,
    ) {
        for (id, pattern) in receivers {
            if Some(id) == skip {
                continue;
            }
            let pattern = pattern.as_deref();
            self.deliver_to(id, current, |out, resp3| {
                pubsub::write_message(out, resp3, shard, pattern, channel, message);
            });
        }
    }

    /// Client-side caching after a batch of commands or the cron: keys expiry removed are
    /// told, the table is brought back under its limit, BCAST connections hear of the keys
    /// changed under their prefixes.
    fn settle_tracking(&mut self) {
        if !self.state.tracking.active() {
            return;
        }
        let tracking = &mut self.state.tracking;
        for key in self.keyspace.take_changed_keys() {
            if let Some(readers) = tracking.changed(&key, None) {
                tracking::tell(&mut self.effects, readers, &key, None);
            }
        }
        let keys_max = self.state.config.tracking_table_keys_max;
        for (key, readers) in tracking.evict_over(keys_max) {
            tracking::tell(&mut self.effects, readers, &key, None);
        }
        for (clients, changed) in tracking.take_broadcasts() {
            for id in clients {
                let noloop = self
                    .clients
                    .get(id)
                    .and_then(|connection| connection.tracking.as_deref())
                    .is_some_and(|settings| settings.noloop);
                let keys: Vec<Box<[u8]>> = changed
                    .iter()
                    .filter(|(_, by)| !(noloop && *by == Some(id)))
                    .map(|(key, _)| key.clone())
                    .collect();
                if !keys.is_empty() {
                    self.effects.invalidate(id, Invalidated::Keys(keys), None);
                }
            }
        }
    }

    /// Sends tracking connection `id` (or the connection it redirects to) an invalidation
    /// message, as Redis does: a push in RESP3; in RESP2 only through a redirect to a
    /// subscribed connection, as a message on `__redis__:invalidate`. A redirect to a
    /// connection gone is reported to a RESP3 `id` instead.
    fn send_invalidation(
        &mut self,
        id: ConnectionId,
        what: &Invalidated,
        by: Option<ConnectionId>,
        current: &mut Option<(ConnectionId, &mut Vec<u8>)>,
    ) {
        let Some(connection) = self.clients.get(id) else {
            return;
        };
        let resp3 = connection.resp3;
        let Some(settings) = connection.tracking.as_deref() else {
            return;
        };
        if (settings.bcast && matches!(what, Invalidated::Key(_)))
            || (settings.noloop && by == Some(id))
        {
            return;
        }
        let (target, redirected) = match settings.redirect {
            None => (id, false),
            Some((target, _)) if self.clients.get(target).is_some() => (target, true),
            Some((_, client_id)) => {
                if let Some(settings) = self
                    .clients
                    .get_mut(id)
                    .and_then(|connection| connection.tracking.as_deref_mut())
                {
                    settings.broken_redirect = true;
                }
                if resp3 {
                    let notice = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{client_id}\r\n");
                    self.deliver_to(id, current, |out, _| {
                        out.extend_from_slice(notice.as_bytes());
                    });
                }
                return;
            }
        };
        let receiver = self.clients.get(target).expect("checked above");
        let header: &[u8] = if receiver.resp3 {
            b">2\r\n$10\r\ninvalidate\r\n"
        } else if redirected && receiver.subscriptions.any() {
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
        } else {
            return;
        };
        self.deliver_to(target, current, |out, _| {
            out.extend_from_slice(header);
            let mut reply = Reply::new(out, false);
            match what {
                Invalidated::Key(key) => {
                    reply.array(1);
                    reply.bulk(key);
                }
                Invalidated::Keys(keys) => {
                    reply.array(keys.len());
                    for key in keys {
                        reply.bulk(key);
                    }
                }
                // The null of the tracking connection's protocol, as Redis sends it.
                Invalidated::All => {
                    reply
                        .out
                        .extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" })
                }
            }
        });
    }

    /// Writes a command's MONITOR line to every monitor.
    fn feed_monitors(&mut self, line: &[u8], current: &mut Option<(ConnectionId, &mut Vec<u8>)>) {
        let monitors: Vec<ConnectionId> = self.state.monitors.iter().copied().collect();
        for id in monitors {
            self.deliver_to(id, current, |out, _| out.extend_from_slice(line));
        }
    }

    /// Appends what `write` writes (given the connection's protocol) to `id`'s replies: the
    /// running connection's reply buffer is `current`'s; another's goes through its output
    /// limits and wakes it. A closing connection gets nothing more.
    fn deliver_to(
        &mut self,
        id: ConnectionId,
        current: &mut Option<(ConnectionId, &mut Vec<u8>)>,
        write: impl FnOnce(&mut Vec<u8>, bool),
    ) {
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        let resp3 = connection.resp3;
        match current {
            Some((current_id, out)) if *current_id == id => write(out, resp3),
            _ => {
                if connection.closing.is_some() {
                    return;
                }
                write(&mut connection.reply, resp3);
                self.check_output_limits(id);
                self.clients.recount_memory(id);
                self.outputs.push_back(Output::Wake { id });
            }
        }
    }

    /// Applies `id`'s output limits (a subscriber's or a normal client's) to its pending
    /// replies: at the hard limit it is closed; at the soft one the time is noted, and the cron
    /// closes it if it stays there for more than the limit's seconds.
    pub(crate) fn check_output_limits(&mut self, id: ConnectionId) {
        let now = self.state.now.monotonic;
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        let limit = self.state.config.output_limit(connection.output_class());
        let pending = connection.output_limit_bytes();
        let unauthenticated = !connection.authenticated
            && pending > crate::connection::UNAUTHENTICATED_OUTPUT_BYTES_MAX;
        if limit.hard_reached(pending) || unauthenticated {
            self.close(id, CloseReason::OutputBufferLimit);
        } else if limit.soft_reached(pending) && connection.soft_limit_since.is_none() {
            connection.soft_limit_since = Some(now);
        }
    }

    /// Runs the complete commands in `id`'s query buffer, within the per-call budget. A
    /// blocked connection runs nothing until it is answered.
    fn run_commands(&mut self, id: ConnectionId) {
        let paused = self.state.pause.is_some();
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        // A connection asked to close runs nothing more, whatever is still queued (Redis stops
        // processing a client flagged to close, too).
        if connection.closing.is_some()
            || connection.blocked.is_some()
            || connection.running_script
            || connection.awaiting_save
        {
            return;
        }
        if connection.postponed.is_some() && paused {
            return;
        }
        // A command held back by a pause that is over runs first.
        let mut replay = connection.postponed.take();
        self.state.introspect.stopwatch.mark();
        let door = connection.door;
        let db = connection.db;
        let query = std::mem::take(&mut connection.query);
        let mut parser = std::mem::take(&mut connection.parser);
        let mut book_parser = std::mem::take(&mut connection.book_parser);
        let mut reply = std::mem::take(&mut connection.reply);
        // Commands never write to the socket, so what was sent stays put during the loop.
        let reply_sent = connection.reply_sent;
        let mut resp3 = connection.resp3;
        let reply_before = reply.len();
        let mut executed = 0;
        let mut protocol_error = false;
        let mut leftover = false;
        let mut blocked = None;
        let mut postponed = None;
        loop {
            if reply.len() - reply_sent >= crate::connection::REPLY_PAUSE_BYTES && replay.is_none()
            {
                break;
            }
            if executed == COMMANDS_PER_CALL_MAX {
                leftover = true;
                break;
            }
            if door == Door::Book {
                match book_parser.parse(&query) {
                    book::Parse::Incomplete => break,
                    book::Parse::Error(_) => {
                        // The book's server closes without a reply.
                        protocol_error = true;
                        break;
                    }
                    book::Parse::Command => {
                        executed += 1;
                        let args = book_parser.args(&query);
                        let start = book::begin_frame(&mut reply);
                        let mut out = Reply {
                            out: &mut reply,
                            resp3,
                            book: true,
                        };
                        self.execute(id, args, &mut out, Door::Book, None);
                        self.record_executed(id);
                        resp3 = out.resp3;
                        self.deliver_effects(Some((id, &mut reply)));
                        book::end_frame(&mut reply, start);
                    }
                }
            } else {
                let replayed = replay.take();
                let before = parser.consumed();
                let args = match &replayed {
                    Some(command) => command.args(),
                    None => match parser.parse(&query, &self.state.limits) {
                        Parse::Incomplete => break,
                        Parse::Error(error) => {
                            let mut out = Reply {
                                out: &mut reply,
                                resp3,
                                book: false,
                            };
                            let mut text = b"ERR ".to_vec();
                            text.extend_from_slice(error.message_bytes());
                            out.error(&text);
                            self.record_executed(id);
                            protocol_error = true;
                            break;
                        }
                        Parse::Command => parser.args(&query),
                    },
                };
                self.evict_before(id, &mut reply);
                let mut out = Reply {
                    out: &mut reply,
                    resp3,
                    book: false,
                };
                if let Some(connection) = self.clients.get_mut(id) {
                    connection.in_flight = crate::connection::InFlight {
                        query_bytes: query.len().saturating_sub(before),
                        query_free: query.capacity() - query.len(),
                        argv_bytes: args.iter().map(<[u8]>::len).sum(),
                    };
                }
                let wait = self.execute(id, args, &mut out, Door::Resp, None);
                resp3 = out.resp3;
                match wait {
                    None => {
                        executed += 1;
                        self.record_executed(id);
                        self.deliver_effects(Some((id, &mut reply)));
                    }
                    Some(Wait::Key(on)) => {
                        // No reply yet: it comes when a key is ready or time is up.
                        executed += 1;
                        let db = self.connection(id).map_or(db, |connection| connection.db);
                        blocked = Some(Blocked::new(db, on, self.state.now.monotonic, args));
                        self.deliver_effects(Some((id, &mut reply)));
                        break;
                    }
                    Some(Wait::Unpause) => {
                        // Not run: it runs when the pause ends, before what follows it.
                        postponed = Some(Box::new(OwnedArgs::new(args)));
                        break;
                    }
                    Some(Wait::Script) => {
                        // Its reply comes when the script ends (`resume_script`).
                        executed += 1;
                        self.deliver_effects(Some((id, &mut reply)));
                        if let Some(connection) = self.connection_mut(id) {
                            connection.running_script = true;
                        }
                        break;
                    }
                    Some(Wait::Save) => {
                        // Its reply comes when the file is written (`disk_done`).
                        executed += 1;
                        self.deliver_effects(Some((id, &mut reply)));
                        if let Some(connection) = self.connection_mut(id) {
                            connection.awaiting_save = true;
                        }
                        break;
                    }
                }
            }
            if self.keyspace.dbs.iter().any(|db| db.has_ready()) {
                self.serve_blocked();
            }
            let Some(connection) = self.connection_mut(id) else {
                break;
            };
            // A command can change auth state (AUTH, RESET) or close (QUIT, CLIENT KILL).
            parser.set_authenticated(connection.authenticated);
            // Another connection's command cannot touch our reply, but CLIENT KILL of
            // ourselves can: stop at once.
            if connection.closing.is_some() {
                break;
            }
        }
        self.state.stats.commands_processed += executed as u64;
        let Some(connection) = self.connection_mut(id) else {
            return;
        };
        connection.query = query;
        connection.parser = parser;
        connection.book_parser = book_parser;
        connection.reply = reply;
        connection.compact_query();
        let grew = connection.reply.len() != reply_before;
        if leftover && !connection.pending_commands && connection.closing.is_none() {
            connection.pending_commands = true;
            self.pending.push_back(id);
        }
        if let Some(blocked) = blocked {
            self.block(id, blocked);
        }
        if let Some(command) = postponed {
            self.with_connection(id, |connection| connection.postponed = Some(command));
            self.postponed.push_back(id);
        }
        self.settle_keyspace();
        self.end_pause_if_over();
        if protocol_error {
            self.close(id, CloseReason::ProtocolError);
        } else {
            self.check_output_limits(id);
        }
        self.clients.recount_memory(id);
        if grew && self.connection(id).is_some_and(|c| c.closing.is_none()) {
            self.outputs.push_back(Output::Wake { id });
        }
    }
}

/// What a command that did not answer waits for.
pub(crate) enum Wait {
    /// A key to change (a blocking command that found nothing).
    Key(BlockOn),
    /// CLIENT PAUSE to end.
    Unpause,
    /// Its script, suspended past the busy threshold, to be resumed and end.
    Script,
    /// SAVE or SHUTDOWN: the file it asked for to be written (or to fail).
    Save,
}

/// Protected mode logs a refused connection at most this often: a client that connects again
/// and again from outside cannot fill the log (the count of the others comes with the next).
const REFUSAL_LOG_MILLIS: u64 = 1000;

/// When protected mode last logged a refusal, and how many it refused since without a word.
#[derive(Default)]
struct RefusalLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl RefusalLog {
    /// A refusal at `now`: the count refused unlogged before it when it may be logged.
    fn may_log(&mut self, now: Instant) -> Option<u64> {
        if self
            .last
            .is_some_and(|last| now.millis_since(last) < REFUSAL_LOG_MILLIS)
        {
            self.unlogged += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// What a RESP client from outside the loopback interface gets in protected mode (Redis's
/// text, which tools recognise).
const DENIED_REPLY: &[u8] = b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis \
you may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just \
disable the protected mode by editing the Redis configuration file, and setting the protected \
mode option to 'no', and then restarting the server. 3) If you started the server manually just \
for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication \
password for the default user. NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";

/// What a book client from outside the loopback interface gets in protected mode: error 4,
/// framed.
const BOOK_DENIED_REPLY: &[u8] =
    b"\x2e\x00\x00\x00\x01\x04\x00\x00\x00\x25\x00\x00\x00protected mode: loopback clients only";

/// What a book client gets when `maxclients` are connected: error 4, framed.
const BOOK_MAX_CLIENTS_REPLY: &[u8] =
    b"\x26\x00\x00\x00\x01\x04\x00\x00\x00\x1d\x00\x00\x00max number of clients reached";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_refusals_are_framed_errors_4() {
        for (refusal, text) in [
            (
                BOOK_MAX_CLIENTS_REPLY,
                &b"max number of clients reached"[..],
            ),
            (BOOK_DENIED_REPLY, b"protected mode: loopback clients only"),
        ] {
            let mut expected = Vec::new();
            let start = book::begin_frame(&mut expected);
            book::write_err(&mut expected, book::ERR_ARG, text);
            book::end_frame(&mut expected, start);
            assert_eq!(refusal, &expected[..]);
        }
    }
}
