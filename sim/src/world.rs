//! The virtual world: clocks, clients with their pipelines, and the connections between them and
//! the server. Every reply is checked against the model right after the handler call that
//! produced it, in the order the server produced it: the server records which connection each
//! reply went to and at what wall-clock time (`Server::record_execution`). That order is not
//! visible from outside once one call runs several connections' commands, as `handle_timeout`
//! does for every connection left with commands past the per-call budget (any client may
//! pipeline that deep when the seed drew `deep_pipeline_max`). Replies are checked before the
//! call's outputs are acted on, so a command whose connection is closed right after is checked
//! too. Clients on the book's door share the keyspace and are checked the same way.

use std::collections::VecDeque;

use ferrodis_core::protocol::book::encode_request;
use ferrodis_core::{
    CloseReason, Config, ConnectionId, Door, Executed, Garbage, Instant, Now, OutputLimit, Server,
    UnixMillis, REPLY_PAUSE_BYTES,
};

use crate::alloc;
use crate::book;
use crate::entropy::Rng;
use crate::generate::{self, Args};
use crate::model::{Model, Session};
use crate::options::Options;
use crate::reply::{matches, reply_len, Expect};
use crate::trace::Trace;
use crate::Failure;

mod connections;
mod durability;
mod edges;
mod freeing;
mod memory;
mod restart;
mod runaway;
mod saving;
mod waiting;

pub struct Client {
    /// The protocol it speaks, fixed for the run.
    pub door: Door,
    pub connection: Option<ConnectionId>,
    /// Request bytes not yet delivered: `out[out_sent..]`.
    pub out: Vec<u8>,
    pub out_sent: usize,
    /// Commands sent and not yet run, oldest first.
    pub inflight: VecDeque<Request>,
    /// Request bytes delivered that the server still holds in its query buffer: those of
    /// commands it has not run (nor blocked on) yet.
    pub held: usize,
    /// The last delivery took the held bytes past `client-query-buffer-limit`.
    pub query_over: bool,
    pub session: Session,
    /// The client reads nothing until this step.
    pub reading_from_step: u64,
    pub closing: Option<CloseReason>,
    /// After QUIT or garbage the client sends nothing more on this connection.
    pub done_sending: bool,
    /// Bytes at the front of the send buffer already matched against the model.
    pub checked: usize,
    pub last_active: Instant,
    /// Messages published to this connection and not yet matched in its send buffer: each
    /// publish's frames (see world/waiting.rs).
    pub messages: VecDeque<Vec<Vec<u8>>>,
    /// Replies matched and not yet read, with the append-only file on: where each ends in the
    /// send buffer and the changes made before it.
    pub acks: VecDeque<(usize, u64)>,
}

impl Client {
    fn new(door: Door, session: Session) -> Client {
        Client {
            door,
            connection: None,
            out: Vec::new(),
            out_sent: 0,
            inflight: VecDeque::new(),
            held: 0,
            query_over: false,
            session,
            reading_from_step: 0,
            closing: None,
            done_sending: false,
            checked: 0,
            acks: VecDeque::new(),
            last_active: Instant::ZERO,
            messages: VecDeque::new(),
        }
    }
}

/// A command in flight.
pub struct Request {
    /// None is garbage: RESP answers it with a protocol error, the book's door closes without
    /// a reply.
    pub args: Option<Args>,
    /// Its bytes the server holds until it runs the command (0 once it blocked on it).
    pub bytes: usize,
}

#[derive(Clone, Copy)]
enum Owner {
    Client(usize),
    Storm,
    /// The connection that asks, once every client has closed, what the server still holds.
    Probe,
}

/// What a run exercised, to see that the faults a seed drew really happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub closes: [u64; 7],
    pub refused: u64,
    pub paused: u64,
    pub disconnects: u64,
    pub frees: u64,
    pub error_replies: u64,
    pub wall_back: u64,
    pub timeouts: u64,
    /// Replies checked on the book's door.
    pub book_replies: u64,
    /// Replies to commands that ran from `handle_timeout` (past the per-call budget).
    pub timer_replies: u64,
    /// Transactions EXEC ran, and those it refused because a watched key changed.
    pub execs: u64,
    pub exec_watch_failures: u64,
    /// `handle_timeout` calls that ran the commands of more than one connection: checked in
    /// the order the server recorded.
    pub interleaved_timer_calls: u64,
    /// Hash and set commands, encoding conversions and OBJECT ENCODING checks (the model's).
    pub collections: crate::model::Counts,
    /// Events reported for closed connection ids.
    pub stale_events: u64,
    /// Blocking commands that blocked, were served, timed out; messages matched in
    /// subscribers' buffers; cleanup checks passed.
    pub blocked: u64,
    pub served: u64,
    pub timed_out: u64,
    pub messages: u64,
    pub cleanup_checks: u64,
    /// Endless scripts stopped with SCRIPT KILL.
    pub runaway_scripts: u64,
    /// Restart checks passed (SAVE, load into a new server, same data), and the keys they
    /// compared.
    pub restarts: u64,
    pub restarted_keys: u64,
    /// Background saves begun, failed (a disk error), and checked against the data at their
    /// start; crash views checked.
    pub saves: u64,
    pub save_failures: u64,
    pub saves_checked: u64,
    pub crash_checks: u64,
    /// Deliveries that took a client's held request bytes to exactly the query buffer limit
    /// (kept), and to one byte past it (closed).
    pub query_edges_kept: u64,
    pub query_edges_closed: u64,
    /// Connections closed by an output limit with exactly its bytes pending, and left open
    /// one byte under it.
    pub output_edges_closed: u64,
    pub output_edges_kept: u64,
    /// Big values built and unlinked from a probe (`World::big_free`).
    pub big_frees: u64,
    /// Lazy-free steps measured, and the most deallocations one made.
    pub free_steps: u64,
    pub free_step_most: u64,
    /// Keys evicted for memory, commands refused for it, and runs whose memory came back
    /// within the limit after evictions (`World::check_memory_settles`).
    pub evictions: u64,
    pub oom_refusals: u64,
    pub memory_settled: u64,
    /// Crash views of the append-only file checked (world/durability.rs), and replies read
    /// that the file had to make durable first.
    pub crash_views: u64,
    pub aof_acks: u64,
    /// Writes and fsyncs of the append-only file the disk failed, and commands refused for it
    /// (MISCONF) until a rewrite repaired the files.
    pub aof_failures: u64,
    pub misconf_refusals: u64,
    /// Writes of the file served while an fsync before them was still running.
    pub slow_fsyncs: u64,
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [quit, protocol, idle, query, output, killed, shutdown] = self.closes;
        write!(
            f,
            "closes: quit={quit} protocol={protocol} idle={idle} query_limit={query} \
             output_limit={output} killed={killed} shutdown={shutdown}; refused={} paused={} \
             disconnects={} frees={} error_replies={} wall_back={} timeouts={} book_replies={} \
             timer_replies={} execs={} exec_watch_failures={} interleaved_timer_calls={} \
             hash_commands={} set_commands={} list_commands={} bit_commands={} conversions={} \
             encoding_checks={} stale_events={} blocking_commands={} pubsub_commands={} \
             blocked={} served={} contended_serves={} timed_out={} messages={} cleanup_checks={} \
             runaway_scripts={} scans_completed={} scans_several_calls={} float_sums_exact={} \
             restarts={} restarted_keys={} saves={} save_failures={} saves_checked={} \
             crash_checks={} query_edges_kept={} query_edges_closed={} output_edges_closed={} \
             output_edges_kept={} big_frees={} free_steps={} free_step_most={} evictions={} \
             oom_refusals={} memory_settled={} acl_denials={} acl_changes={} crash_views={} \
             aof_acks={} aof_failures={} misconf_refusals={} slow_fsyncs={}",
            self.refused,
            self.paused,
            self.disconnects,
            self.frees,
            self.error_replies,
            self.wall_back,
            self.timeouts,
            self.book_replies,
            self.timer_replies,
            self.execs,
            self.exec_watch_failures,
            self.interleaved_timer_calls,
            self.collections.hash_commands,
            self.collections.set_commands,
            self.collections.list_commands,
            self.collections.bit_commands,
            self.collections.conversions,
            self.collections.encoding_checks,
            self.stale_events,
            self.collections.blocking_commands,
            self.collections.pubsub_commands,
            self.blocked,
            self.served,
            self.collections.contended_serves,
            self.timed_out,
            self.messages,
            self.cleanup_checks,
            self.runaway_scripts,
            self.collections.scans_completed,
            self.collections.scans_several_calls,
            self.collections.float_sums_exact,
            self.restarts,
            self.restarted_keys,
            self.saves,
            self.save_failures,
            self.saves_checked,
            self.crash_checks,
            self.query_edges_kept,
            self.query_edges_closed,
            self.output_edges_closed,
            self.output_edges_kept,
            self.big_frees,
            self.free_steps,
            self.free_step_most,
            self.evictions,
            self.oom_refusals,
            self.memory_settled,
            self.collections.acl_denials,
            self.collections.acl_changes,
            self.crash_views,
            self.aof_acks,
            self.aof_failures,
            self.misconf_refusals,
            self.slow_fsyncs
        )
    }
}

pub struct World<'a> {
    pub coverage: Coverage,
    pub options: Options,
    pub rng: Rng<'a>,
    pub server: Server,
    pub now: Now,
    pub clients: Vec<Client>,
    pub model: Model,
    /// Lazy frees, dropped later in random order.
    pub garbage: Vec<Garbage>,
    /// The last connection ids closed, for stale events (`Faults::stale_events`).
    pub retired: Vec<ConnectionId>,
    /// Who owns each connection slot (by `ConnectionId::index`).
    owners: Vec<Option<(ConnectionId, Owner)>>,
    storm: Vec<ConnectionId>,
    /// Connections the server asked to close that are not closed yet.
    closing: Vec<ConnectionId>,
    open: usize,
    pub trace: Trace,
    /// The model's expected reply, reused.
    exact: Vec<u8>,
    pub commands: u64,
    pub step: u64,
    /// Whose replies the last `check_executed` matched, in order.
    last_executed: Vec<usize>,
    /// Faults are on until the liveness phase.
    pub faults: bool,
    /// The disk the server's saves write to.
    pub disk: saving::Disk,
    /// The changes the server made and those clients were told of (world/durability.rs).
    pub durability: durability::Durability,
    /// Deallocations are counted (`alloc::counting`): lazy-free steps are measured.
    pub(super) counting_frees: bool,
    /// The used memory last handed to the server (`World::feed_memory`).
    memory_fed: u64,
}

impl<'a> World<'a> {
    pub fn new(options: Options, rng: Rng<'a>, record_steps: bool) -> World<'a> {
        let config = Config {
            seed: options.seed,
            clients_max: options.clients_max as usize,
            idle_timeout_secs: options.idle_timeout_secs,
            databases: options.databases as usize,
            bulk_bytes_max: options.bulk_bytes_max as usize,
            query_buffer_bytes_max: options.query_buffer_bytes_max as usize,
            output_buffer_hard_bytes: options.output_buffer_hard_bytes as usize,
            hz: options.hz,
            hash_max_listpack_entries: options.limits.hash_entries,
            hash_max_listpack_value: options.limits.hash_value_bytes,
            set_max_intset_entries: options.limits.intset_entries,
            list_max_listpack_size: options.limits.list_fill,
            zset_max_listpack_entries: options.zset_listpack_entries as usize,
            pubsub_output_limit: OutputLimit {
                hard_bytes: options.pubsub_limit.0 as usize,
                soft_bytes: options.pubsub_limit.1 as usize,
                soft_secs: options.pubsub_limit.2,
            },
            // Saves come from BGSAVE only (`saving`); a failed one must not refuse the writes
            // the model expects to succeed.
            save_points: Vec::new(),
            stop_writes_on_bgsave_error: false,
            appendonly: options.aof.is_some(),
            appendfsync: options.aof.unwrap_or(ferrodis_core::aof::Fsync::EverySec),
            aof_use_rdb_preamble: options.aof_rdb_base,
            aof_release_before_fsync: options.overrides.wrong_durability,
            aof_trust_failed_fsync: options.overrides.wrong_fsync,
            aof_late_everysec: options.overrides.late_fsync,
            // The stopwatch's readings are 1 to 64 virtual microseconds apart: a threshold in
            // that range logs some commands and not others, and a short log wraps.
            slowlog_log_slower_than: 48,
            slowlog_max_len: 16,
            ..Config::default()
        };
        let config = match options.memory {
            Some(memory) => Config {
                maxmemory_bytes: memory.maxmemory,
                maxmemory_policy: memory.policy,
                maxmemory_samples: memory.samples,
                maxmemory_eviction_tenacity: memory.tenacity,
                ..config
            },
            None => config,
        };
        let config = match &options.acl {
            Some(acl) => {
                let mut line = "limited on nopass ~* &* +@all".to_string();
                for name in &acl.denied {
                    line.push_str(&format!(" -{name}"));
                }
                Config {
                    users: vec![line],
                    ..config
                }
            }
            None => config,
        };
        let now = Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000));
        let mut server = Server::new(config, now);
        server.set_stopwatch(stopwatch(options.seed));
        server.record_execution(true);
        let mut model = Model::new(options.databases as usize, options.bulk_bytes_max as usize);
        model.query_buffer_bytes_max = options.query_buffer_bytes_max as usize;
        model.wrong_exec = options.overrides.wrong_exec;
        model.wrong_waiting = options.overrides.wrong_waiting;
        model.wrong_pubsub = options.overrides.wrong_pubsub;
        model.wrong_scan = options.overrides.wrong_scan;
        model.wrong_acl = options.overrides.wrong_acl;
        if let Some(acl) = &options.acl {
            model.denied = acl.denied.iter().map(|name| name.to_string()).collect();
        }
        model.limits = options.limits;
        let clients = (0..options.clients)
            .map(|index| {
                let door = if index >= options.clients - options.book_clients {
                    Door::Book
                } else {
                    Door::Resp
                };
                Client::new(door, model.new_session())
            })
            .collect();
        World {
            coverage: Coverage::default(),
            server,
            now,
            clients,
            model,
            garbage: Vec::new(),
            retired: Vec::new(),
            owners: Vec::new(),
            storm: Vec::new(),
            closing: Vec::new(),
            open: 0,
            trace: Trace::new(record_steps),
            exact: Vec::new(),
            commands: 0,
            step: 0,
            last_executed: Vec::new(),
            faults: true,
            disk: saving::Disk::default(),
            durability: durability::Durability::default(),
            counting_frees: alloc::counting(),
            memory_fed: 0,
            options,
            rng,
        }
    }

    /// Checks `index`'s send buffer as a driver sees it: the interest matches the pending bytes,
    /// and every complete reply in it was recorded by the server and matched already (what is
    /// left is at most the start of one).
    pub fn check_buffer(&mut self, index: usize) -> Result<(), Failure> {
        let Some(id) = self.clients[index].connection else {
            return Ok(());
        };
        let interest = self.server.interest(id);
        let sendable = self.server.send_buffer(id).len();
        // Every reply byte, those held for the append-only file too.
        let buffer = self.server.reply_pending(id);
        let client = &mut self.clients[index];
        if interest.write == (sendable == 0) {
            return Err(Failure::WrongReply(format!(
                "{id}: interest.write={} with {sendable} bytes to send",
                interest.write,
            )));
        }
        if sendable != 0 && sendable != buffer.len() {
            return Err(Failure::WrongReply(format!(
                "{id}: {sendable} of {} pending bytes may be sent",
                buffer.len()
            )));
        }
        if buffer.len() >= REPLY_PAUSE_BYTES && interest.read && client.closing.is_none() {
            return Err(Failure::WrongReply(format!(
                "{id}: still reading with {} reply bytes pending",
                buffer.len()
            )));
        }
        let rest = &buffer[client.checked..];
        let complete = match client.door {
            Door::Resp => !rest.is_empty() && reply_len(rest).is_some(),
            Door::Book => book::frame_len(rest).is_some(),
        };
        if complete {
            return Err(Failure::WrongReply(format!(
                "{id}: a reply the server did not record producing: {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(200)])
            )));
        }
        Ok(())
    }

    /// Matches, in the order the server produced them, the replies it recorded since the last
    /// call (`Server::take_executed`) against the model; remembers whose they were.
    pub fn check_executed(&mut self) -> Result<(), Failure> {
        self.last_executed.clear();
        for executed in self.server.take_executed() {
            let (id, wall, effects) = match executed {
                Executed::Reply { id, wall, effects } => (id, wall, effects),
                Executed::Evicted { db, key } => {
                    self.evicted(db, &key)?;
                    continue;
                }
            };
            let index = match self.owner(id) {
                Some(Owner::Client(index)) => index,
                Some(Owner::Probe) => continue,
                _ => {
                    return Err(Failure::WrongReply(format!(
                        "{id}: a reply for a connection no client owns"
                    )))
                }
            };
            let client = &self.clients[index];
            let waiting = self.model.waiter(client.session.client).is_some();
            if let (Some(reason), false) = (client.closing, waiting) {
                // Redis stops processing the input of a client it flagged for closing (a
                // blocked one may still time out, as in Redis).
                return Err(Failure::WrongReply(format!(
                    "{id}: a command ran after the server asked to close it ({})",
                    reason.as_str()
                )));
            }
            self.check_reply(index, wall.as_millis())?;
            // While the files are broken, reads go on and may show what is not durable (the
            // server says so: writes are refused); only replies from sound files are promises.
            if self.options.aof.is_some() && !self.server.aof_broken() {
                let client = &mut self.clients[index];
                client.acks.push_back((client.checked, effects));
            }
            self.last_executed.push(index);
        }
        Ok(())
    }

    /// Matches the next reply in `index`'s send buffer, which must be complete, against the
    /// model running the oldest command in flight at wall-clock time `wall`.
    fn check_reply(&mut self, index: usize, wall: i64) -> Result<(), Failure> {
        // Messages published before this command ran come before its reply.
        self.match_messages(index, true)?;
        let Some(id) = self.clients[index].connection else {
            return Err(Failure::WrongReply(format!(
                "client {index}: a reply recorded for a connection it no longer has"
            )));
        };
        let buffer = self.server.reply_pending(id);
        let client = &mut self.clients[index];
        let rest = &buffer[client.checked..];
        let len = match client.door {
            Door::Resp => reply_len(rest),
            Door::Book => book::frame_len(rest),
        };
        let Some(len) = len else {
            return Err(Failure::WrongReply(format!(
                "{id}: partial reply in the send buffer: {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(200)])
            )));
        };
        let reply = &rest[..len];
        let Some(Request {
            args: request,
            bytes,
        }) = client.inflight.pop_front()
        else {
            return Err(Failure::WrongReply(format!(
                "{id}: reply with no command: {:?}",
                String::from_utf8_lossy(&reply[..reply.len().min(200)])
            )));
        };
        // The server ran it: its bytes have left the query buffer.
        client.held = match request {
            Some(_) => client.held - bytes,
            // Garbage is refused once the server sees it is garbage, maybe before all of it
            // came (a bulk length past the limit); the connection closes then.
            None => client.held.saturating_sub(bytes),
        };
        self.exact.clear();
        // A script queued in MULTI may meet its first write out of memory inside EXEC.
        let refusable = self.memory_refusable();
        self.model.oom_refusable = refusable;
        self.model.misconf_refusable = self.coverage.aof_failures > 0;
        let client = &mut self.clients[index];
        let waiting = self.model.waiter(client.session.client).is_some();
        if let (true, Some(args), false) = (self.options.memory.is_some(), &request, waiting) {
            if let Some(refused) = memory::refusal(reply, client.door) {
                self.refused_for_memory(index, args, refused)?;
                return self.refusal_checked(index, len);
            }
            if reply.first() != Some(&b'-') {
                self.check_not_refused(index, args)?;
            }
        }
        let client = &self.clients[index];
        if let (true, Some(args), false) = (self.options.aof.is_some(), &request, waiting) {
            if let Some(refused) = durability::misconf(reply, client.door) {
                self.refused_for_disk(index, args, refused)?;
                return self.refusal_checked(index, len);
            }
        }
        let client = &mut self.clients[index];
        // SPOP's effect is random, a scan's order is the server's and an inexact INCRBYFLOAT
        // is the server's to round: the model learns from the reply (`Model::observed`).
        let observed = client.door == Door::Resp
            && request
                .as_ref()
                .and_then(|args| args.first())
                .is_some_and(|name| {
                    [&b"SPOP"[..], b"EXEC", b"SCAN", b"ZSCAN", b"INCRBYFLOAT"]
                        .iter()
                        .any(|known| name.eq_ignore_ascii_case(known))
                });
        // An EXEC that ran an (UN)SUBSCRIBE may reply more frames than it has elements: the
        // model takes what it needs of the rest (see `reply::span`).
        let frames = client
            .session
            .transaction
            .as_ref()
            .is_some_and(|transaction| {
                transaction
                    .queued
                    .iter()
                    .any(|queued| queued[0].to_ascii_lowercase().ends_with(b"subscribe"))
            });
        let observed_bytes = if frames { rest } else { reply };
        self.model.observed = observed.then(|| observed_bytes.to_vec());
        let watched = self.model.watch_snapshot(wall);
        let expect = match (&request, client.door) {
            _ if waiting => {
                let session = client.session.client;
                let now = self.now.monotonic;
                let (model, coverage) = (&mut self.model, &mut self.coverage);
                waiting::wake(model, coverage, now, session, reply, wall, &mut self.exact)
                    .map_err(|why| Failure::WrongReply(format!("{id}: {why}")))?;
                Expect::Exact
            }
            (Some(args), Door::Resp) => crate::exec::execute(
                &mut self.model,
                &mut client.session,
                args,
                wall,
                &mut self.exact,
            ),
            (Some(args), Door::Book) => {
                self.coverage.book_replies += 1;
                book::execute(
                    &mut self.model,
                    &mut client.session,
                    args,
                    wall,
                    &mut self.exact,
                )
            }
            (None, Door::Resp) => Expect::ProtocolError,
            (None, Door::Book) => {
                return Err(Failure::WrongReply(format!(
                    "{id}: a reply to a garbage book frame: {:?}",
                    &reply[..reply.len().min(200)]
                )));
            }
        };
        self.model.settle_watches(watched, wall);
        // A reply of several frames ((UN)SUBSCRIBE confirms each name; EXEC holds such a
        // reply): as many as the model wrote.
        let mut len = len;
        let long = match &expect {
            Expect::Exact => self.exact.len() > len,
            Expect::Items(_) => true,
            _ => false,
        };
        if long && client.door == Door::Resp {
            len = crate::reply::span(&expect, &self.exact, rest).unwrap_or(len);
        }
        let reply = &rest[..len];
        if self.options.overrides.print_replies {
            eprintln!(
                "{id} {:?} -> {}",
                shown(request.as_deref()),
                reply[..reply.len().min(300)].escape_ascii()
            );
        }
        self.commands += 1;
        // The first exact reply from the tenth command on: the comparison itself must catch it.
        if self.options.overrides.model_fault && self.commands >= 10 && expect == Expect::Exact {
            self.exact.push(b'!');
        }
        if !matches(&expect, &self.exact, reply) {
            return Err(Failure::WrongReply(format!(
                "{id} at {} {}: command {:?}\n  got      \"{}\"\n  expected \"{}\" {}",
                self.now.monotonic,
                self.now.wall,
                shown(request.as_deref()),
                reply[..reply.len().min(300)].escape_ascii(),
                match &expect {
                    Expect::Exact => self.exact[..self.exact.len().min(300)]
                        .escape_ascii()
                        .to_string(),
                    other => format!("{other:?}"),
                },
                if reply.len() > 300 { "(cut)" } else { "" }
            )));
        }
        let error = match client.door {
            Door::Resp => reply[0] == b'-',
            Door::Book => reply[4] == 1,
        };
        if error {
            self.coverage.error_replies += 1;
        }
        let exec = client.door == Door::Resp
            && request
                .as_ref()
                .and_then(|args| args.first())
                .is_some_and(|name| name.eq_ignore_ascii_case(b"EXEC"));
        if exec && reply.starts_with(b"*-1") {
            self.coverage.exec_watch_failures += 1;
        } else if exec && reply[0] == b'*' {
            self.coverage.execs += 1;
        }
        client.checked += len;
        self.post_deliveries();
        Ok(())
    }

    /// A refusal (for memory, for a disk error) of `len` bytes was checked on `index`.
    fn refusal_checked(&mut self, index: usize, len: usize) -> Result<(), Failure> {
        self.commands += 1;
        self.coverage.error_replies += 1;
        self.clients[index].checked += len;
        self.post_deliveries();
        Ok(())
    }

    /// Gives `index` a connection if it has none.
    pub fn ensure_connected(&mut self, index: usize) -> Result<bool, Failure> {
        if self.clients[index].connection.is_some() {
            return Ok(true);
        }
        let Some(id) = self.open(Owner::Client(index))? else {
            return Ok(false);
        };
        let client = &mut self.clients[index];
        client.connection = Some(id);
        client.last_active = self.now.monotonic;
        Ok(true)
    }

    /// Queues one command (or garbage) on `index`'s pipeline.
    pub fn issue(&mut self, index: usize) -> Result<(), Failure> {
        if !self.ensure_connected(index)? {
            return Ok(());
        }
        let client = &self.clients[index];
        if client.done_sending
            || client.closing.is_some()
            || client.inflight.len() as u64 >= self.pipeline_max()
        {
            return Ok(());
        }
        if self.rng.chance(self.options.faults.garbage) {
            let garbage = match client.door {
                Door::Resp => self.garbage_bytes(),
                Door::Book => book::garbage(&mut self.rng),
            };
            let client = &mut self.clients[index];
            client.out.extend_from_slice(&garbage);
            client.inflight.push_back(Request {
                args: None,
                bytes: garbage.len(),
            });
            client.done_sending = true;
            return Ok(());
        }
        let door = client.door;
        // A scan in progress goes on as soon as its last cursor is known, half the time.
        let scanning = client.session.scan.is_some() && client.inflight.is_empty();
        let edge = if door == Door::Resp && self.rng.chance(self.options.faults.edges) {
            self.edge_command(index)
        } else {
            None
        };
        let client = &self.clients[index];
        let mut args = if let Some(args) = edge {
            args
        } else if scanning && self.rng.bool() {
            vec![b"SCAN".to_vec()]
        } else if self.rng.chance(self.options.faults.quit) {
            vec![b"QUIT".to_vec()]
        } else if door == Door::Book {
            book::command(&mut self.rng, &self.options)
        } else if self.subscriber(index) && self.rng.bool() {
            generate::subscriber(&mut self.rng)
        } else {
            generate::command(&mut self.rng, &self.options)
        };
        if door == Door::Resp && args[0] == b"PEXPIREAT" {
            let offset: i64 = std::str::from_utf8(&args[2])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            args[2] = (self.now.wall.as_millis() + offset)
                .to_string()
                .into_bytes();
        }
        if door == Door::Resp && (args[0] == b"SCAN" || args[0] == b"ZSCAN") {
            // One scan at a time per client, each call sent once the last one's cursor is
            // known, and not inside MULTI (see exec_scan.rs).
            if !client.inflight.is_empty() || client.session.transaction.is_some() {
                return Ok(());
            }
            if let Some(scan) = &client.session.scan {
                args = scan.next_args();
            }
        }
        if door == Door::Resp && crate::exec_waiting::blocks(&args[0]) {
            return self.issue_blocking(index, args);
        }
        let client = &mut self.clients[index];
        if args.first().is_some_and(|name| name == b"QUIT") {
            client.done_sending = true;
        }
        let before = client.out.len();
        match door {
            Door::Resp => encode(&args, &mut client.out),
            Door::Book => encode_request(&args, &mut client.out),
        }
        let bytes = client.out.len() - before;
        // An argument one byte past `proto-max-bulk-len` is a protocol error, which closes the
        // connection; one of exactly that length is served.
        let oversized = door == Door::Resp
            && args
                .iter()
                .any(|arg| arg.len() as u64 > self.options.bulk_bytes_max);
        if oversized {
            client.inflight.push_back(Request { args: None, bytes });
            client.done_sending = true;
            return Ok(());
        }
        client.inflight.push_back(Request {
            args: Some(args),
            bytes,
        });
        Ok(())
    }

    /// Commands a client keeps in flight at most.
    pub fn pipeline_max(&self) -> u64 {
        if self.options.deep_pipeline_max > 0 {
            self.options.deep_pipeline_max
        } else {
            self.options.pipeline_max
        }
    }

    fn garbage_bytes(&mut self) -> Vec<u8> {
        match self.rng.below(4) {
            0 => b"*abc\r\n".to_vec(),
            1 => b"*1\r\nX\r\n".to_vec(),
            2 => b"*1\r\n$-7\r\n".to_vec(),
            _ => format!("*1\r\n${}\r\n", self.options.bulk_bytes_max + 1).into_bytes(),
        }
    }

    /// Delivers some of `index`'s request bytes, split at an arbitrary point.
    pub fn deliver(&mut self, index: usize, all: bool) -> Result<(), Failure> {
        let client = &self.clients[index];
        let Some(id) = client.connection else {
            return Ok(());
        };
        let remaining = client.out.len() - client.out_sent;
        if remaining == 0 || client.closing.is_some() {
            return Ok(());
        }
        if !self.server.interest(id).read {
            self.coverage.paused += 1;
            return Ok(());
        }
        let len = if all || !self.rng.chance(self.options.faults.split_requests) {
            remaining
        } else {
            self.rng.range(1, remaining as u64) as usize
        };
        let client = &mut self.clients[index];
        // `client-query-buffer-limit`: bytes that would take the query buffer past it close
        // the connection instead; as many as the limit are taken.
        let limit = self.options.query_buffer_bytes_max as usize;
        let held = client.held + len;
        client.query_over = if self.options.overrides.wrong_limits {
            held >= limit
        } else {
            held > limit
        };
        if held == limit {
            self.coverage.query_edges_kept += 1;
        } else if held == limit + 1 {
            self.coverage.query_edges_closed += 1;
        }
        self.feed_memory();
        let client = &mut self.clients[index];
        let piece = &client.out[client.out_sent..client.out_sent + len];
        self.trace.bytes(piece);
        let taken = self.server.connection_receive(self.now, id, piece);
        if taken != len {
            return Err(Failure::WrongReply(format!(
                "{id}: took {taken} of {len} bytes"
            )));
        }
        client.held = held;
        client.out_sent += len;
        client.last_active = self.now.monotonic;
        if client.out_sent == client.out.len() {
            client.out.clear();
            client.out_sent = 0;
        }
        self.drain()?;
        let client = &self.clients[index];
        if client.query_over && client.closing != Some(CloseReason::QueryBufferLimit) {
            return Err(Failure::WrongReply(format!(
                "{id}: holds {held} request bytes, past the query buffer limit of {limit}, \
                 and is not closed"
            )));
        }
        self.check_buffer(index)
    }

    /// The client reads some of its replies (possibly none: a 0-byte write).
    pub fn read(&mut self, index: usize, all: bool) -> Result<(), Failure> {
        let client = &self.clients[index];
        let Some(id) = client.connection else {
            return Ok(());
        };
        if !all && client.reading_from_step > self.step {
            return Ok(());
        }
        let pending = self.server.send_buffer(id).len();
        if pending == 0 {
            return Ok(());
        }
        let written = if all || !self.rng.chance(self.options.faults.split_replies) {
            pending
        } else {
            self.rng.below(pending as u64 + 1) as usize
        };
        self.trace.bytes(&self.server.send_buffer(id)[..written]);
        self.server.connection_sent(self.now, id, written);
        let client = &mut self.clients[index];
        client.checked -= written;
        // Replies read whole: the client was told of the changes before them.
        let read_at = self.now.monotonic.millis_since(Instant::ZERO) as i64;
        // They end in the order they were produced (a connection's are dropped when it closes).
        while let Some(&(end, effects)) = client.acks.front() {
            if end > written {
                break;
            }
            client.acks.pop_front();
            self.coverage.aof_acks += 1;
            self.durability.acknowledged(effects, read_at);
        }
        let client = &mut self.clients[index];
        for ack in &mut client.acks {
            ack.0 -= written;
        }
        if written > 0 {
            client.last_active = self.now.monotonic;
        }
        self.drain()?;
        self.check_buffer(index)
    }

    /// A burst of connections past `clients_max`; some close at once, the rest later.
    pub fn storm(&mut self) -> Result<(), Failure> {
        let extra = self.rng.range(1, 8);
        let count = (self.options.clients_max as usize).saturating_sub(self.open) as u64 + extra;
        for _ in 0..count {
            if let Some(id) = self.open(Owner::Storm)? {
                self.storm.push(id);
            }
        }
        while !self.storm.is_empty() && self.rng.bool() {
            let id = self.storm[self.rng.index(self.storm.len())];
            self.close(id)?;
        }
        Ok(())
    }

    pub fn close_storm(&mut self) -> Result<(), Failure> {
        while let Some(&id) = self.storm.last() {
            self.close(id)?;
        }
        Ok(())
    }

    /// Handles timeouts that are due (or, spuriously, not).
    pub fn timers(&mut self, spurious: bool) -> Result<(), Failure> {
        let due = self
            .server
            .poll_timeout()
            .is_some_and(|t| t <= self.now.monotonic);
        if due || spurious {
            self.feed_memory();
            self.server.handle_timeout(self.now);
            // A driver's time for more of a resize after a tick: a few units, drawn only while
            // there is one (seeds that never resize draw as before).
            if self.server.rehash_more() {
                for _ in 0..self.rng.below(64) {
                    self.server.rehash_more();
                }
            }
            self.coverage.timeouts += 1;
            self.trace.u64(6);
            self.drain()?;
            self.check_deadlines()?;
            self.coverage.timer_replies += self.last_executed.len() as u64;
            if self
                .last_executed
                .iter()
                .any(|&index| index != self.last_executed[0])
            {
                self.coverage.interleaved_timer_calls += 1;
            }
        }
        Ok(())
    }

    /// Moves both clocks; the wall clock sometimes jumps, but never back below a deadline that
    /// may already have removed a key in the server.
    pub fn advance(&mut self, millis: u64, wall_jump: i64) {
        let mut wall = self.now.wall.as_millis() + millis as i64 + wall_jump;
        if wall_jump < 0 {
            self.coverage.wall_back += 1;
            wall = wall.max(self.model.deadline_floor(self.now.wall.as_millis()));
        }
        self.now = Now::new(
            self.now.monotonic.plus_millis(millis),
            UnixMillis::from_millis(wall),
        );
        self.trace.u64(self.now.monotonic.as_millis());
        self.trace.u64(wall as u64);
    }
}

/// RESP multibulk encoding of one command.
fn encode(args: &Args, out: &mut Vec<u8>) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(arg.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// A request as failures and `--replies` print it: each argument cut at 60 bytes.
fn shown(request: Option<&[Vec<u8>]>) -> Option<Vec<String>> {
    request.map(|args| {
        args.iter()
            .map(|arg| String::from_utf8_lossy(&arg[..arg.len().min(60)]).into_owned())
            .collect()
    })
}

/// The server's stopwatch in a run: virtual microseconds, each reading 1 to 64 after the one
/// before, from a random source of its own seeded by the run's seed. Durations vary (the slow
/// log and the command counters see real work), a run replays, and no other draw changes.
pub(crate) fn stopwatch(seed: u64) -> Box<dyn FnMut() -> u64> {
    use rand_core::Rng as _;
    let mut random = rand_pcg::Pcg64Mcg::new((u128::from(seed) << 64) | 0x5157_0a7c);
    let mut elapsed = 0u64;
    Box::new(move || {
        elapsed += 1 + random.next_u64() % 64;
        elapsed
    })
}
