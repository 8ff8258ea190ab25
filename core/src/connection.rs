//! Per-connection state: the query buffer and its parser, the reply buffer, and who the client is.

use crate::command::Transaction;
use crate::config::OutputClass;
use crate::protocol::book::FrameParser;
use crate::protocol::resp::{OwnedArgs, RequestParser};
use crate::pubsub::Subscriptions;
use crate::server::blocking::Blocked;
use crate::time::Instant;
use crate::tracking::ClientTracking;

/// Replies pending beyond this many bytes pause the client's command processing until the driver
/// has written some out: a client that pipelines without reading cannot grow our memory without
/// bound, it only fills its own socket. (Redis keeps executing and relies on output-buffer limits,
/// which are off for normal clients by default.)
pub const REPLY_PAUSE_BYTES: usize = 1024 * 1024;

/// The first bytes of a client's pending replies, which its output limits do not count: Redis
/// keeps them in a client's own 16 KiB buffer and counts only what overflows it, so that a limit
/// smaller than that (`client-output-buffer-limit normal 1 1 0`) still lets ordinary replies
/// through and closes only clients that leave replies unread.
pub const REPLY_BUFFER_BYTES: usize = 16 * 1024;

/// What a client that has not authenticated (with a password required) may leave unread past
/// `REPLY_BUFFER_BYTES` before it is closed, as patched Redis 7.0 does: error replies to a
/// pipeline that never reads cannot grow without bound.
pub(crate) const UNAUTHENTICATED_OUTPUT_BYTES_MAX: usize = 1024;

/// An idle reply buffer keeps at most this much capacity, so one big reply does not pin memory.
const REPLY_IDLE_CAPACITY_MAX: usize = 64 * 1024;

/// The room a query buffer gets as soon as bytes arrive (Redis's read buffer size): requests
/// that come in pieces need no growth. The cron takes it back from an idle client.
const QUERY_RESERVE: usize = 16 * 1024;

/// The query buffer is trimmed only when it has more room than this to give back.
const QUERY_TRIM_FREE_MIN: usize = 4 * 1024;

/// A busy client's query buffer is trimmed to its recent peak only when it is bigger than this
/// and more than twice that peak (Redis's thresholds).
const QUERY_TRIM_CAPACITY_MIN: usize = 32 * 1024;

/// Why the core asks the driver to close a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// QUIT, after its +OK.
    Quit,
    /// A malformed request, after its `-ERR Protocol error: ...` reply.
    ProtocolError,
    /// No command for `timeout` seconds.
    IdleTimeout,
    /// The query buffer passed `client-query-buffer-limit`.
    QueryBufferLimit,
    /// The reply buffer passed `client-output-buffer-limit`.
    OutputBufferLimit,
    /// CLIENT KILL.
    Killed,
    /// The clients' memory reached `maxmemory-clients` and this one held the most.
    Evicted,
    /// The server is shutting down.
    Shutdown,
    /// SYNC or PSYNC, after the data: no command stream follows (there is no replication), and
    /// the connection's stream is no longer RESP (the payload has no line end).
    Synced,
}

impl CloseReason {
    /// True when the client must receive everything already in its reply buffer before the close,
    /// as Redis does for QUIT and protocol errors (CLIENT_CLOSE_AFTER_REPLY): the replies to the
    /// commands before them were asked for, and so was a full sync's data. The other reasons drop
    /// the rest (CLIENT_CLOSE_ASAP).
    pub fn after_reply(self) -> bool {
        matches!(
            self,
            CloseReason::Quit | CloseReason::ProtocolError | CloseReason::Synced
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Quit => "quit",
            CloseReason::ProtocolError => "protocol error",
            CloseReason::Synced => "full sync sent",
            CloseReason::IdleTimeout => "idle timeout",
            CloseReason::QueryBufferLimit => "query buffer limit",
            CloseReason::OutputBufferLimit => "output buffer limit",
            CloseReason::Killed => "killed",
            CloseReason::Evicted => "client eviction",
            CloseReason::Shutdown => "shutdown",
        }
    }
}

/// Which listener a connection came through, and so which protocol it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Door {
    /// RESP2/RESP3, the Redis port.
    #[default]
    Resp,
    /// The book's length-prefixed binary protocol with tagged replies (`book-port`).
    Book,
}

/// Which readiness the driver should wait for on a connection's socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interest {
    pub read: bool,
    pub write: bool,
}

pub(crate) struct Connection {
    pub(crate) door: Door,
    /// CLIENT ID: unique for the server's life, starting at 1.
    pub(crate) client_id: u64,
    pub(crate) peer: String,
    /// The socket's file descriptor as the driver reports it (CLIENT LIST's `fd`); -1 if none.
    pub(crate) fd: i64,
    pub(crate) name: Option<Vec<u8>>,
    pub(crate) db: usize,
    pub(crate) resp3: bool,
    pub(crate) authenticated: bool,
    /// The ACL user its commands run as (`default` until AUTH says otherwise).
    pub(crate) user: Vec<u8>,
    pub(crate) created: Instant,
    pub(crate) last_interaction: Instant,
    /// Bytes received and not yet executed, from the front.
    pub(crate) query: Vec<u8>,
    /// The most `query` held since the cron last looked (see `trim_query`).
    pub(crate) query_peak: usize,
    pub(crate) parser: RequestParser,
    /// Used instead of `parser` on the book's door.
    pub(crate) book_parser: FrameParser,
    /// Reply bytes; `reply[reply_sent..]` is still to be written by the driver.
    pub(crate) reply: Vec<u8>,
    pub(crate) reply_sent: usize,
    /// When the reply buffer first passed the soft output limit (None while under it).
    pub(crate) soft_limit_since: Option<Instant>,
    /// Set once Close was emitted: no more input is taken.
    pub(crate) closing: Option<CloseReason>,
    /// Complete commands are waiting in the query buffer (the per-call budget ran out).
    pub(crate) pending_commands: bool,
    /// Name of the last command, for CLIENT LIST's `cmd=`, and its subcommand's (upper case).
    pub(crate) last_command: &'static str,
    pub(crate) last_subcommand: Option<&'static str>,
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    pub(crate) transaction: Option<Box<Transaction>>,
    /// EXEC is running its queued commands.
    pub(crate) in_exec: bool,
    /// The query buffer as CLIENT LIST shows it while this connection's command runs (the
    /// buffer itself is out being parsed then): bytes from the running command on, room left,
    /// and the running command's argument bytes.
    pub(crate) in_flight: InFlight,
    /// The keys this connection WATCHes, as (database, key).
    pub(crate) watched: Vec<(usize, Box<[u8]>)>,
    /// A watched key changed since WATCH: the next EXEC fails (Redis's CLIENT_DIRTY_CAS).
    pub(crate) watch_invalidated: bool,
    /// Channels, patterns and shard channels this connection listens to.
    pub(crate) subscriptions: Subscriptions,
    /// Waiting for a key (BLPOP and friends): no other command runs meanwhile.
    pub(crate) blocked: Option<Box<Blocked>>,
    /// CLIENT REPLY: whether this client's commands get their replies.
    pub(crate) reply_mode: ReplyMode,
    /// A command held back by CLIENT PAUSE: it runs first once the pause ends.
    pub(crate) postponed: Option<Box<OwnedArgs>>,
    /// Its script is suspended past the busy threshold: nothing more of it runs until the
    /// script ends and answers.
    pub(crate) running_script: bool,
    /// SAVE or SHUTDOWN waits for its file: nothing more of it runs until it is answered.
    pub(crate) awaiting_save: bool,
    /// Its replies wait until this many changes are durable in the append-only file (see
    /// aof/): none of its reply bytes goes out meanwhile.
    pub(crate) held_until: Option<u64>,
    /// The server's own connection replaying the append-only file: no permission, memory or
    /// disk-error refusals apply.
    pub(crate) replaying: bool,
    /// The client scripts' commands run as: SORT then orders a set's elements even under BY
    /// a constant, so that a script's result does not depend on a hash table's order.
    pub(crate) script_client: bool,
    /// MONITOR: every command the server runs is written to this connection.
    pub(crate) monitor: bool,
    /// CLIENT NO-EVICT ON: `maxmemory-clients` never closes it.
    pub(crate) no_evict: bool,
    /// Its memory as `Clients` last counted it, and whether it was evictable then (see
    /// `Clients::recount_memory`).
    pub(crate) counted_memory: usize,
    pub(crate) counted_evictable: bool,
    /// CLIENT TRACKING ON: its settings.
    pub(crate) tracking: Option<Box<ClientTracking>>,
}

/// CLIENT REPLY ON | OFF | SKIP. Pub/sub messages and (un)subscription confirmations go out
/// whatever the mode, as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ReplyMode {
    #[default]
    On,
    Off,
    /// CLIENT REPLY SKIP ran: the command after it gets no reply.
    SkipNext,
    /// This command's reply is dropped, then replies are back on.
    Skip,
}

impl Connection {
    pub(crate) fn new(
        client_id: u64,
        peer: String,
        now: Instant,
        authenticated: bool,
        door: Door,
    ) -> Self {
        Connection {
            door,
            client_id,
            peer,
            fd: -1,
            name: None,
            db: 0,
            resp3: false,
            authenticated,
            user: crate::acl::DEFAULT_USER.to_vec(),
            created: now,
            last_interaction: now,
            query: Vec::new(),
            query_peak: 0,
            parser: RequestParser::default(),
            book_parser: FrameParser::default(),
            reply: Vec::new(),
            reply_sent: 0,
            soft_limit_since: None,
            closing: None,
            pending_commands: false,
            last_command: "NULL",
            last_subcommand: None,
            transaction: None,
            in_exec: false,
            in_flight: InFlight::default(),
            watched: Vec::new(),
            watch_invalidated: false,
            subscriptions: Subscriptions::default(),
            blocked: None,
            reply_mode: ReplyMode::On,
            postponed: None,
            running_script: false,
            awaiting_save: false,
            held_until: None,
            replaying: false,
            script_client: false,
            monitor: false,
            no_evict: false,
            counted_memory: 0,
            counted_evictable: false,
            tracking: None,
        }
    }

    pub(crate) fn reply_pending(&self) -> &[u8] {
        &self.reply[self.reply_sent..]
    }

    pub(crate) fn reply_pending_bytes(&self) -> usize {
        self.reply.len() - self.reply_sent
    }

    /// The pending reply bytes its output limits count (see `REPLY_BUFFER_BYTES`); CLIENT
    /// LIST's `omem`.
    pub(crate) fn output_limit_bytes(&self) -> usize {
        self.reply_pending_bytes()
            .saturating_sub(REPLY_BUFFER_BYTES)
    }

    /// True while replies are paused until the client reads (see REPLY_PAUSE_BYTES).
    pub(crate) fn paused_by_replies(&self) -> bool {
        self.reply_pending_bytes() >= REPLY_PAUSE_BYTES
    }

    /// Waiting for a key or for a pause to end: no command of it runs meanwhile, and it is not
    /// idle (CLIENT LIST's `b`, INFO's blocked_clients).
    pub(crate) fn waiting(&self) -> bool {
        self.blocked.is_some() || self.postponed.is_some()
    }

    /// Which output limits hold this connection.
    pub(crate) fn output_class(&self) -> OutputClass {
        if self.monitor {
            OutputClass::Replica
        } else if self.subscriptions.any() {
            OutputClass::Pubsub
        } else {
            OutputClass::Normal
        }
    }

    pub(crate) fn interest(&self) -> Interest {
        Interest {
            read: self.closing.is_none() && !self.paused_by_replies(),
            write: self.reply_pending_bytes() > 0 && self.held_until.is_none(),
        }
    }

    /// The reply bytes the driver may write now: none while they wait for the append-only
    /// file.
    pub(crate) fn reply_sendable(&self) -> &[u8] {
        match self.held_until {
            Some(_) => &[],
            None => self.reply_pending(),
        }
    }

    /// The driver wrote `written` bytes of the pending reply.
    pub(crate) fn mark_sent(&mut self, written: usize) {
        assert!(
            written <= self.reply_pending_bytes(),
            "driver reported {written} bytes written but only {} were pending",
            self.reply_pending_bytes()
        );
        self.reply_sent += written;
        if self.reply_sent == self.reply.len() {
            self.reply.clear();
            self.reply_sent = 0;
            if self.reply.capacity() > REPLY_IDLE_CAPACITY_MAX {
                self.reply.shrink_to(REPLY_IDLE_CAPACITY_MAX);
            }
        } else if self.reply_sent >= REPLY_PAUSE_BYTES {
            // Keep the buffer from creeping forward forever under a slow reader.
            self.reply.drain(..self.reply_sent);
            self.reply_sent = 0;
        }
    }

    /// Drops executed bytes from the front of the query buffer.
    pub(crate) fn compact_query(&mut self) {
        let consumed = self.consumed();
        if consumed > 0 {
            self.query.drain(..consumed);
            match self.door {
                Door::Resp => self.parser.buffer_drained(consumed),
                Door::Book => self.book_parser.buffer_drained(consumed),
            }
        }
    }

    /// Makes room in the query buffer for a read (see `QUERY_RESERVE`).
    pub(crate) fn reserve_query(&mut self) {
        if self.query.capacity() < QUERY_RESERVE {
            self.query.reserve_exact(QUERY_RESERVE - self.query.len());
        }
    }

    /// Gives back query buffer room, as Redis's cron does: all of it once the client is idle,
    /// or, while it is busy, what a buffer grown for a past big request holds beyond its recent
    /// peak (kept while the client keeps sending big requests, so they need no new growth).
    pub(crate) fn trim_query(&mut self, idle: bool) {
        let capacity = self.query.capacity();
        let length = self.query.len();
        if idle && length == 0 {
            self.query = Vec::new();
        } else if capacity - length > QUERY_TRIM_FREE_MIN {
            if idle {
                self.query.shrink_to_fit();
            } else if capacity > QUERY_TRIM_CAPACITY_MIN && capacity / 2 > self.query_peak {
                self.query.shrink_to(self.query_peak.max(length));
            }
        }
        self.query_peak = length;
    }

    /// Bytes at the front of the query buffer that belong to executed commands.
    pub(crate) fn consumed(&self) -> usize {
        match self.door {
            Door::Resp => self.parser.consumed(),
            Door::Book => self.book_parser.consumed(),
        }
    }

    /// Bytes this connection holds in its buffers, for CLIENT LIST and INFO.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.query.capacity()
            + self.reply.capacity()
            + self
                .transaction
                .as_ref()
                .map_or(0, |transaction| transaction.memory_bytes())
    }
}

/// See `Connection::in_flight`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct InFlight {
    pub(crate) query_bytes: usize,
    pub(crate) query_free: usize,
    pub(crate) argv_bytes: usize,
}
