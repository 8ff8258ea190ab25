//! The whole server driven by fuzzer-chosen steps over a few connections, with virtual time:
//! well-formed commands over a small key space, raw bytes, partial writes, hang-ups, time jumps.
//! Checks: no panic, `check_invariants` after every step, and every byte a connection is sent
//! parses as RESP, ending on a reply boundary whenever its send buffer is empty. When the setup
//! byte says so, the server also records its changes as commands (propagation, as for a replica
//! or an append-only file), each naming a database that exists.
//!
//! Still to come: comparing replies with the simulator's model once it exists.
use std::sync::OnceLock;

use ferrodis_core::{Allowed, Config, ConnectionId, Instant, Now, Output, Server, UnixMillis};

use super::input::Input;
use super::resp_reply::complete_replies;

const STEPS_MAX: usize = 64;
const CONNECTIONS: usize = 4;
/// The slot past the steps' connections, from which scripts that run on are killed.
const KILLER: usize = CONNECTIONS;
const DATABASES: usize = 2;
const ARGS_MAX: usize = 8;
/// Raw argument and garbage sizes stay small, so that no number the fuzzer writes asks for a
/// reply of gigabytes (ZRANDMEMBER with a count of minus a billion would).
const RAW_ARG_BYTES_MAX: usize = 6;
const GARBAGE_BYTES_MAX: usize = 16;
/// A DEBUG SLEEP longer than this is cut short: only virtual time passes anyway.
const PAUSE_MILLIS_MAX: u64 = 10_000;
/// `handle_timeout` calls per settle, so that a run always ends.
const TIMER_CALLS_MAX: usize = 64;
/// The Lua heap a script may fill.
const SCRIPT_MEMORY_BYTES_MAX: usize = 8 << 20;
/// Settles given to a script that runs on after SCRIPT KILL (it wrote): its loops are bounded,
/// and so is this.
const RUNAWAY_SETTLES_MAX: usize = 4;

/// Every command in the server's table, transactions included (derived, so that a new command
/// is fuzzed from the day it is added).
fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ferrodis_core::command_names().collect())
}

/// Options, special values and numbers at the edges.
const WORDS: &[&str] = &[
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "WITHSCORES",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "+inf",
    "-inf",
    "inf",
    "nan",
    "(1",
    "[k1",
    "(k2",
    "-",
    "+",
    "MATCH",
    "COUNT",
    "TYPE",
    "*",
    "k*",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "SLEEP",
    "SET-ACTIVE-EXPIRE",
    "LIST",
    "KILL",
    "ID",
    "SETNAME",
    "GETNAME",
    "INFO",
    "HELP",
    "REPLACE",
    "DB",
    "ENCODING",
    "FREQ",
    "IDLETIME",
    "REFCOUNT",
    "ABORT",
    "NOSAVE",
    "string",
    "zset",
    "3",
    "2",
    "pw",
    "SET",
    "GET",
    "timeout",
    "maxclients",
    "hz",
    "client-query-buffer-limit",
    "requirepass",
    "1.5",
    "-0",
    "1e308",
    "0x10",
    " 1",
    "",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "memory",
    "keyspace",
    "TRACKING",
    "CACHING",
    "GETREDIR",
    "TRACKINGINFO",
    "ON",
    "OFF",
    "YES",
    "NO",
    "BCAST",
    "PREFIX",
    "OPTIN",
    "OPTOUT",
    "NOLOOP",
    "REDIRECT",
    "PAUSE",
    "UNPAUSE",
    "WRITE",
    "ALL",
    "REPLY",
    "SKIP",
    "NO-EVICT",
    "UNBLOCK",
    "ERROR",
    "notify-keyspace-events",
    "KEA",
    "tracking-table-max-keys",
    "hll-sparse-max-bytes",
    "GETREG",
    "DECODE",
    "TODENSE",
    // A sparse HyperLogLog's header, without its runs and with one long zero run started, for
    // APPEND and SETRANGE to complete or corrupt.
    "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0",
    "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f",
    "__redis__:invalidate",
    "__key*",
];

fn key(number: u8) -> Vec<u8> {
    match number % 6 {
        5 => b"a-key-longer-than-the-inline-limit".to_vec(),
        n => format!("k{n}").into_bytes(),
    }
}

fn argument(input: &mut Input) -> Vec<u8> {
    match input.below(6) {
        0 | 1 => key(input.u8()),
        2 => (input.u8() as i8).to_string().into_bytes(),
        3 => (input.u16() as i16).to_string().into_bytes(),
        4 => WORDS[input.below(WORDS.len())].as_bytes().to_vec(),
        _ => input.bytes(RAW_ARG_BYTES_MAX).to_vec(),
    }
}

/// A command as a multibulk request, or sometimes as an inline line.
fn command(input: &mut Input) -> Vec<u8> {
    let names = names();
    let name = names[input.below(names.len())];
    let count = input.below(ARGS_MAX + 1);
    let mut args: Vec<Vec<u8>> = vec![name.as_bytes().to_vec()];
    args.extend((0..count).map(|_| argument(input)));
    let inline = input.u8() < 16
        && args
            .iter()
            .all(|arg| !arg.is_empty() && arg.iter().all(|b| b.is_ascii_alphanumeric()));
    if inline {
        let mut request = args.join(&b' ');
        request.extend_from_slice(b"\r\n");
        return request;
    }
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(&arg);
        request.extend_from_slice(b"\r\n");
    }
    request
}

#[derive(Default)]
struct Client {
    id: Option<ConnectionId>,
    /// Bytes written to this client and not yet parsed as complete replies.
    received: Vec<u8>,
    /// A slow client writes only when a step says so.
    slow: bool,
    /// The core asked for a close after the reply: close once everything is written.
    closing_after_reply: bool,
}

struct Driver {
    server: Server,
    now: Now,
    clients: Vec<Client>,
    shut_down: bool,
    /// The server records its changes as commands (`record_propagation`), taken after every
    /// settle.
    propagating: bool,
}

/// True when `bytes` is exactly what SYNC and PSYNC end a connection with: `$<length>\r\n`
/// and an RDB file of that length, with no line end after it.
fn is_sync_payload(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"$") else {
        return false;
    };
    let Some(end) = rest.windows(2).position(|pair| pair == b"\r\n") else {
        return false;
    };
    let length = std::str::from_utf8(&rest[..end])
        .ok()
        .and_then(|digits| digits.parse::<usize>().ok());
    let file = &rest[end + 2..];
    length == Some(file.len()) && file.starts_with(b"REDIS")
}

impl Driver {
    /// Writes up to `bytes_max` of the client's pending reply.
    fn write(&mut self, slot: usize, bytes_max: usize) {
        let Some(id) = self.clients[slot].id else {
            return;
        };
        let pending = self.server.send_buffer(id);
        let written = pending.len().min(bytes_max);
        let client = &mut self.clients[slot];
        client.received.extend_from_slice(&pending[..written]);
        let complete = complete_replies(&client.received);
        client.received.drain(..complete);
        self.server.connection_sent(self.now, id, written);
        if self.server.send_buffer(id).is_empty() {
            let client = &mut self.clients[slot];
            if client.closing_after_reply && is_sync_payload(&client.received) {
                client.received.clear();
            }
            assert!(
                client.received.is_empty(),
                "a client was sent all its replies but the last is cut: {:?}",
                String::from_utf8_lossy(&client.received)
            );
            if client.closing_after_reply {
                self.hang_up(slot);
            }
        }
    }

    fn hang_up(&mut self, slot: usize) {
        if let Some(id) = self.clients[slot].id.take() {
            self.server.connection_closed(self.now, id);
        }
        self.clients[slot] = Client::default();
    }

    fn slot_of(&self, id: ConnectionId) -> Option<usize> {
        self.clients.iter().position(|client| client.id == Some(id))
    }

    /// Acts on every output, runs due timers, writes to the clients that read.
    fn settle(&mut self) {
        for _ in 0..TIMER_CALLS_MAX {
            let mut disk = Vec::new();
            while let Some(output) = self.server.poll_output() {
                match output {
                    Output::Wake { .. } | Output::Free { .. } | Output::Log { .. } => {}
                    // Every file request succeeds at once (no file is written).
                    Output::Disk { token, .. } => disk.push(token),
                    Output::Close { id, reason } => {
                        let Some(slot) = self.slot_of(id) else {
                            continue;
                        };
                        if reason.after_reply() && !self.clients[slot].slow {
                            self.clients[slot].closing_after_reply = true;
                            self.write(slot, usize::MAX);
                        } else if reason.after_reply() {
                            self.clients[slot].closing_after_reply = true;
                        } else {
                            // Write what the socket takes (here: nothing) and close.
                            self.hang_up(slot);
                        }
                    }
                    Output::Pause { millis } => self.advance(millis.min(PAUSE_MILLIS_MAX), 0),
                    Output::Shutdown => self.shut_down = true,
                }
            }
            for token in disk {
                self.server.disk_done(self.now, token, Ok(()));
            }
            self.server.check_invariants();
            if self.propagating {
                for change in self.server.take_propagated() {
                    assert!(
                        change.db < DATABASES,
                        "propagated to database {}",
                        change.db
                    );
                    assert!(
                        !change.args.is_empty(),
                        "propagated a command without a name"
                    );
                }
            }
            for slot in 0..self.clients.len() {
                if !self.clients[slot].slow {
                    self.write(slot, usize::MAX);
                }
            }
            let due = self
                .server
                .poll_timeout()
                .is_some_and(|deadline| deadline <= self.now.monotonic);
            if !due || self.server.poll_output().is_some() {
                break;
            }
            self.server.handle_timeout(self.now);
        }
    }

    fn advance(&mut self, millis: u64, wall_back_millis: i64) {
        self.now = Now::new(
            self.now.monotonic.plus_millis(millis),
            UnixMillis::from_millis(self.now.wall.as_millis() + millis as i64 - wall_back_millis),
        );
    }

    /// A script still running after a settle (past its threshold, answering others BUSY) is
    /// asked to stop with SCRIPT KILL, then given its slices until it ends; one that wrote
    /// cannot be stopped and runs out its (bounded) work.
    fn stop_runaway(&mut self) {
        if !self.script_running() {
            return;
        }
        // A connection of its own: the script's caller would queue the request behind it.
        let Some(id) = self.connection(KILLER) else {
            return;
        };
        self.server
            .connection_receive(self.now, id, b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n");
        for _ in 0..RUNAWAY_SETTLES_MAX {
            self.settle();
            if !self.script_running() {
                break;
            }
        }
    }

    /// A suspended script makes the server ask to be called again at once.
    fn script_running(&self) -> bool {
        self.server
            .poll_timeout()
            .is_some_and(|deadline| deadline <= self.now.monotonic)
    }

    fn connection(&mut self, slot: usize) -> Option<ConnectionId> {
        if self.clients[slot].id.is_none() {
            let id = self
                .server
                .connection_open(self.now, "127.0.0.1:4000")
                .ok()?;
            self.clients[slot].id = Some(id);
        }
        self.clients[slot].id
    }
}

pub fn run(bytes: &[u8]) {
    run_mix(bytes, Mix::Commands);
}

/// What the steps that send a request send.
#[derive(Clone, Copy, PartialEq)]
pub enum Mix {
    /// Commands from the table.
    Commands,
    /// Mostly scripts and functions (`super::scripts`), with SCRIPT KILL for the ones that run
    /// on, under small script limits.
    Scripts,
}

pub fn run_mix(bytes: &[u8], mix: Mix) {
    let mut input = Input::new(bytes);
    let setup = input.u8();
    let config = Config {
        seed: u64::from(input.u8()),
        databases: DATABASES,
        enable_debug_command: Allowed::Yes,
        clients_max: match (mix, setup & 1) {
            (Mix::Scripts, _) | (Mix::Commands, 0) => CONNECTIONS + 1,
            (Mix::Commands, _) => 2,
        },
        idle_timeout_secs: if setup & 2 == 0 { 0 } else { 1 },
        requirepass: (setup & 4 != 0).then(|| b"pw".to_vec()),
        bulk_bytes_max: 4096,
        query_buffer_bytes_max: if setup & 8 == 0 { 1 << 20 } else { 64 },
        output_buffer_hard_bytes: if setup & 16 == 0 { 0 } else { 256 },
        output_buffer_soft_bytes: if setup & 16 == 0 { 0 } else { 64 },
        output_buffer_soft_secs: if setup & 16 == 0 { 0 } else { 1 },
        // Scripts pause after 100,000 instructions and may hold 8 MiB of Lua heap.
        busy_reply_threshold_ms: 1,
        script_memory_bytes_max: SCRIPT_MEMORY_BYTES_MAX,
        // Saves only when a command asks (SAVE, BGSAVE, SHUTDOWN SAVE).
        save_points: Vec::new(),
        ..Config::default()
    };
    let now = Now::new(
        Instant::from_millis(0),
        UnixMillis::from_millis(1_700_000_000_000),
    );
    let mut driver = Driver {
        server: Server::new(config, now),
        now,
        clients: (0..=CONNECTIONS).map(|_| Client::default()).collect(),
        shut_down: false,
        propagating: setup & 32 != 0,
    };
    driver.server.record_propagation(driver.propagating);
    for _ in 0..STEPS_MAX {
        if input.is_empty() || driver.shut_down {
            break;
        }
        let slot = input.below(CONNECTIONS);
        match input.below(16) {
            0..=8 => {
                // Scripts stay out of the commands mix: the first one in a run makes the Lua
                // state, which costs more than the rest of a run.
                let script = mix == Mix::Scripts && input.u8() < 200;
                let request = if script {
                    super::scripts::request(&mut input)
                } else {
                    command(&mut input)
                };
                if let Some(id) = driver.connection(slot) {
                    // Sent in two pieces, split where the fuzzer says.
                    let split = input.u8() as usize % (request.len() + 1);
                    for piece in [&request[..split], &request[split..]] {
                        driver.server.connection_receive(driver.now, id, piece);
                        driver.settle();
                        if driver.clients[slot].id != Some(id) {
                            break;
                        }
                    }
                }
            }
            9 => {
                let garbage = input.bytes(GARBAGE_BYTES_MAX).to_vec();
                if let Some(id) = driver.connection(slot) {
                    driver.server.connection_receive(driver.now, id, &garbage);
                }
            }
            10 => {
                let millis = match input.below(4) {
                    0 => 1,
                    1 => 100,
                    2 => 1001,
                    _ => u64::from(input.u16()),
                };
                let wall_back = if input.u8() < 16 { 5000 } else { 0 };
                driver.advance(millis, wall_back);
            }
            11 => driver.clients[slot].slow = !driver.clients[slot].slow,
            12 => {
                let bytes_max = input.u8() as usize;
                driver.write(slot, bytes_max);
            }
            13 => {
                // The peer hangs up; what it had not read is lost.
                if let Some(id) = driver.clients[slot].id.take() {
                    driver.server.connection_closed(driver.now, id);
                    driver.clients[slot] = Client::default();
                }
            }
            14 => {
                driver.connection(slot);
            }
            _ => {
                driver.server.handle_timeout(driver.now);
            }
        }
        driver.settle();
        if mix == Mix::Scripts {
            driver.stop_runaway();
        }
    }
}
