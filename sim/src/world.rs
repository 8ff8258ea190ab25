//! The virtual world: clocks, clients with their pipelines, and the connections between them and
//! the server. Every reply is checked against the model at the moment the server writes it: a
//! command runs inside the handler call that delivered its last byte (or that unblocked its
//! connection), or, past the per-call budget, inside a later `handle_timeout` (only one client
//! can get there: see `DEEP_CLIENT`), so the simulator knows exactly which commands ran, in which
//! order and at which wall-clock time, even for connections that die before their replies are
//! read. Clients on the book's door share the keyspace and are checked the same way.

use std::collections::VecDeque;

use ferrodis_core::protocol::book::encode_request;
use ferrodis_core::{
    CloseReason, Config, ConnectionId, Door, Garbage, Instant, Now, Server, UnixMillis,
    REPLY_PAUSE_BYTES,
};

use crate::book;
use crate::entropy::Rng;
use crate::generate::{self, Args};
use crate::model::{Model, Session};
use crate::options::Options;
use crate::reply::{matches, reply_len, Expect};
use crate::trace::Trace;
use crate::Failure;

mod connections;

/// The one client that may pipeline past the core's per-call budget (when the seed drew
/// `deep_pipeline_max`).
///
/// Why only one: the simulator checks replies against the model in the order the server ran the
/// commands, and it can deduce that order from outside only while each handler call runs the
/// commands of one connection. `connection_receive` and `connection_sent` run only the
/// connection they are about; but `handle_timeout` serves every connection with leftover
/// commands (FIFO, up to the budget each), and in one call their commands interleave with each
/// other in an order the driver cannot see. A connection has leftovers only when more than
/// `COMMANDS_PER_CALL_MAX` complete commands wait in its query buffer, and every other client
/// keeps fewer than that in flight (`Options::pipeline_max`), so `handle_timeout` runs the
/// commands of this client alone, and `timers` checks that.
pub const DEEP_CLIENT: usize = 0;

pub struct Client {
    /// The protocol it speaks, fixed for the run.
    pub door: Door,
    pub connection: Option<ConnectionId>,
    /// Request bytes not yet delivered: `out[out_sent..]`.
    pub out: Vec<u8>,
    pub out_sent: usize,
    /// Commands sent and not yet run, oldest first; None is garbage: RESP answers it with a
    /// protocol error, the book's door closes without a reply.
    pub inflight: VecDeque<Option<Args>>,
    pub session: Session,
    /// The client reads nothing until this step.
    pub reading_from_step: u64,
    pub closing: Option<CloseReason>,
    /// After QUIT or garbage the client sends nothing more on this connection.
    pub done_sending: bool,
    /// Bytes at the front of the send buffer already matched against the model.
    pub checked: usize,
    pub last_active: Instant,
}

impl Client {
    fn new(door: Door, session: Session) -> Client {
        Client {
            door,
            connection: None,
            out: Vec::new(),
            out_sent: 0,
            inflight: VecDeque::new(),
            session,
            reading_from_step: 0,
            closing: None,
            done_sending: false,
            checked: 0,
            last_active: Instant::ZERO,
        }
    }
}

#[derive(Clone, Copy)]
enum Owner {
    Client(usize),
    Storm,
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
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [quit, protocol, idle, query, output, killed, shutdown] = self.closes;
        write!(
            f,
            "closes: quit={quit} protocol={protocol} idle={idle} query_limit={query} \
             output_limit={output} killed={killed} shutdown={shutdown}; refused={} paused={} \
             disconnects={} frees={} error_replies={} wall_back={} timeouts={} book_replies={} \
             timer_replies={} execs={} exec_watch_failures={}",
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
            self.exec_watch_failures
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
    /// Faults are on until the liveness phase.
    pub faults: bool,
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
            ..Config::default()
        };
        let now = Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000));
        let mut model = Model::new(options.databases as usize, options.bulk_bytes_max as usize);
        model.query_buffer_bytes_max = options.query_buffer_bytes_max as usize;
        model.wrong_exec = options.overrides.wrong_exec;
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
            server: Server::new(config, now),
            now,
            clients,
            model,
            garbage: Vec::new(),
            owners: Vec::new(),
            storm: Vec::new(),
            closing: Vec::new(),
            open: 0,
            trace: Trace::new(record_steps),
            exact: Vec::new(),
            commands: 0,
            step: 0,
            faults: true,
            options,
            rng,
        }
    }

    /// Matches every new complete reply in `index`'s send buffer against the model.
    pub fn check_replies(&mut self, index: usize) -> Result<(), Failure> {
        let Some(id) = self.clients[index].connection else {
            return Ok(());
        };
        let interest = self.server.interest(id);
        let buffer = self.server.send_buffer(id);
        let client = &mut self.clients[index];
        if interest.write == buffer.is_empty() {
            return Err(Failure::WrongReply(format!(
                "{id}: interest.write={} with {} bytes pending",
                interest.write,
                buffer.len()
            )));
        }
        if buffer.len() >= REPLY_PAUSE_BYTES && interest.read && client.closing.is_none() {
            return Err(Failure::WrongReply(format!(
                "{id}: still reading with {} reply bytes pending",
                buffer.len()
            )));
        }
        while client.checked < buffer.len() {
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
            let Some(request) = client.inflight.pop_front() else {
                return Err(Failure::WrongReply(format!(
                    "{id}: reply with no command: {:?}",
                    String::from_utf8_lossy(&reply[..reply.len().min(200)])
                )));
            };
            self.exact.clear();
            let wall = self.now.wall.as_millis();
            let watched = self.model.watch_snapshot(wall);
            let expect = match (&request, client.door) {
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
            self.commands += 1;
            if self.options.overrides.model_fault && self.commands == 10 {
                self.exact.push(b'!');
            }
            if !matches(&expect, &self.exact, reply) {
                return Err(Failure::WrongReply(format!(
                    "{id} at {} {}: command {:?}\n  got      \"{}\"\n  expected \"{}\" {}",
                    self.now.monotonic,
                    self.now.wall,
                    request.as_ref().map(|args| args
                        .iter()
                        .map(|a| String::from_utf8_lossy(&a[..a.len().min(60)]).into_owned())
                        .collect::<Vec<_>>()),
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
        }
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
            || client.inflight.len() as u64 >= self.pipeline_max(index)
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
            client.inflight.push_back(None);
            client.done_sending = true;
            return Ok(());
        }
        let door = client.door;
        let mut args = if self.rng.chance(self.options.faults.quit) {
            vec![b"QUIT".to_vec()]
        } else if door == Door::Book {
            book::command(&mut self.rng, &self.options)
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
        let client = &mut self.clients[index];
        if args.first().is_some_and(|name| name == b"QUIT") {
            client.done_sending = true;
        }
        match door {
            Door::Resp => encode(&args, &mut client.out),
            Door::Book => encode_request(&args, &mut client.out),
        }
        client.inflight.push_back(Some(args));
        Ok(())
    }

    /// Commands `index` keeps in flight at most: only client 0 may go past the per-call budget.
    pub fn pipeline_max(&self, index: usize) -> u64 {
        if index == DEEP_CLIENT && self.options.deep_pipeline_max > 0 {
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
        let piece = &client.out[client.out_sent..client.out_sent + len];
        self.trace.bytes(piece);
        let taken = self.server.connection_receive(self.now, id, piece);
        if taken != len {
            return Err(Failure::WrongReply(format!(
                "{id}: took {taken} of {len} bytes"
            )));
        }
        client.out_sent += len;
        client.last_active = self.now.monotonic;
        if client.out_sent == client.out.len() {
            client.out.clear();
            client.out_sent = 0;
        }
        self.drain()?;
        self.check_replies(index)
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
        if written > 0 {
            client.last_active = self.now.monotonic;
        }
        self.drain()?;
        self.check_replies(index)
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
            // Which connections the server had asked to close before this call.
            let closing: Vec<bool> = self.clients.iter().map(|c| c.closing.is_some()).collect();
            self.server.handle_timeout(self.now);
            self.coverage.timeouts += 1;
            self.trace.u64(6);
            self.drain()?;
            // Only the deep client can have commands left over past the per-call budget (see
            // DEEP_CLIENT), so replies that a timer produced are its own, in its order.
            for (index, was_closing) in closing.into_iter().enumerate() {
                let Some(id) = self.clients[index].connection else {
                    continue;
                };
                let fresh = self.server.send_buffer(id).len() - self.clients[index].checked;
                if fresh == 0 {
                    continue;
                }
                if let (true, Some(reason)) = (was_closing, self.clients[index].closing) {
                    // Redis stops processing the input of a client it flagged for closing.
                    return Err(Failure::WrongReply(format!(
                        "{id}: handle_timeout ran commands of a connection it had asked to \
                         close ({})",
                        reason.as_str()
                    )));
                }
                if index != DEEP_CLIENT || self.options.deep_pipeline_max == 0 {
                    return Err(Failure::WrongReply(format!(
                        "{id}: handle_timeout ran commands of client {index}, whose pipeline \
                         stays under the per-call budget"
                    )));
                }
                let before = self.commands;
                self.check_replies(index)?;
                self.coverage.timer_replies += self.commands - before;
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

    /// Frees some of the garbage handed out: a few pieces of a random one at a time (as the real
    /// server's workers do), or all of it at once.
    pub fn drop_some_garbage(&mut self) {
        while !self.garbage.is_empty() && self.rng.bool() {
            let index = self.rng.index(self.garbage.len());
            if self.rng.bool() {
                drop(self.garbage.swap_remove(index));
                continue;
            }
            for _ in 0..self.rng.range(1, 8) {
                if !self.garbage[index].free_step() {
                    drop(self.garbage.swap_remove(index));
                    break;
                }
            }
        }
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
