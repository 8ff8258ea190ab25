//! The event loop: one thread, level-triggered readiness polling (`crate::poller`: epoll on
//! Linux), the core in the middle.
//!
//! Each turn: wait for readiness or the core's next deadline; accept; read every readable socket
//! until it would block, feeding the core; then act on the core's outputs at once, so replies are
//! written in the same turn as the requests that caused them. Interest is changed in the poller
//! only when the core's interest for a connection changes.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant as StdInstant, SystemTime, UNIX_EPOCH};

use ferrodis_core::{
    ConnectionId, DiskRequest, Door, Instant, Interest, Now, Output, Server, UnixMillis,
};

use crate::disk::{Appender, Disk};
use crate::lazy_free::LazyFreePool;
use crate::loading::AofLoader;
use crate::log::Level;
use crate::log_at;
use crate::poller::{Events, Poller, Ready};

/// Poller key of the RESP listener; connections use their slot index + FIRST_CONNECTION_KEY.
const LISTENER_KEY: usize = 0;
/// Poller key of the signal pipe.
const SIGNAL_KEY: usize = 1;
/// Poller key of the book's protocol listener (`book-port`), when there is one.
const BOOK_LISTENER_KEY: usize = 2;
/// Poller key of the disk thread's wake-up socket.
const DISK_KEY: usize = 3;
const FIRST_CONNECTION_KEY: usize = 4;

/// Bytes read per `read` call. Reads repeat until the socket would block.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Connections accepted per turn, so a connection storm cannot starve the clients already in.
const ACCEPTS_PER_TURN_MAX: usize = 1000;

/// How long the listeners rest after accepting failed (out of file descriptors, say).
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The time a resize of the databases' tables may take after each cron tick, beyond the
/// tick's own unit (`Server::rehash_more`): Redis's `incrementallyRehash` takes a millisecond.
const REHASH_TIME: Duration = Duration::from_millis(1);

/// How often INFO's resident memory is measured, in milliseconds (Redis measures it in its
/// cron).
const RESIDENT_MEMORY_EVERY_MS: u64 = 100;

/// Reads per connection per turn before moving on to the others (level-triggered polling brings
/// us back next turn if more is waiting). One: a client that pipelines without pause gets a
/// read's worth of commands run per turn, like every other client, so that a turn stays short
/// however many such clients there are.
const READS_PER_CONNECTION_PER_TURN: usize = 1;

/// Reply bytes written to one connection per turn (Redis writes 64 KiB per event too): filling
/// the socket buffers of many clients that do not read would otherwise take one turn's time
/// from everyone. What is left goes out on the next turns (the socket stays armed for writing).
const WRITE_BYTES_PER_CONNECTION_PER_TURN: usize = 64 * 1024;

/// Worker threads that drop big values (the book uses 4; this machine class has 2 cores).
const LAZY_FREE_THREADS: usize = 2;

/// Loading the append-only file takes at most this long per loop turn (Redis serves events
/// every 2 MB loaded).
const LOADING_SLICE: Duration = Duration::from_millis(10);

struct Client {
    stream: TcpStream,
    id: ConnectionId,
    /// What the poller is currently armed for.
    armed: Interest,
    /// The core asked to close once the pending reply is written (QUIT, a protocol error).
    close_after_reply: bool,
}

pub struct EventLoop {
    server: Server,
    poller: Poller,
    listener: TcpListener,
    book_listener: Option<TcpListener>,
    signals: UnixStream,
    clients: Vec<Option<Client>>,
    lazy_free: LazyFreePool,
    disk: Disk,
    appender: Appender,
    /// A signal asked to stop: the core saves first if it should; a second signal stops at once.
    stop_requested: bool,
    origin: StdInstant,
    now: Now,
    /// Connections whose replies or interest changed this turn, flushed at its end.
    woken: Vec<(usize, ConnectionId)>,
    read_buffer: Vec<u8>,
    /// After a turn that found work, poll without sleeping for up to this long first.
    busy_poll: Duration,
    /// While the listeners are not polled (accepting failed for want of descriptors): when
    /// to poll them again.
    accepting_again_at: Option<StdInstant>,
    /// When resident memory was last measured.
    resident_measured_at: Option<Instant>,
    /// Whether busy polling has been paying off: it stops after a spin that found nothing and
    /// starts again once a blocking wait ends within `busy_poll` (a spin would have caught it).
    spin_pays: bool,
    /// The append-only file still loading, and what to do once it is loaded.
    loader: Option<AofLoader>,
    ready: Option<Box<dyn FnOnce()>>,
    /// The `loglevel` in force (CONFIG SET may change it at any command).
    log_level: String,
}

impl EventLoop {
    pub fn new(
        server: Server,
        listener: TcpListener,
        book_listener: Option<TcpListener>,
        signals: UnixStream,
        busy_poll: Duration,
        origin: StdInstant,
    ) -> io::Result<EventLoop> {
        let mut poller = Poller::new()?;
        let disk = Disk::new()?;
        listener.set_nonblocking(true)?;
        signals.set_nonblocking(true)?;
        let readable = Interest {
            read: true,
            write: false,
        };
        // SAFETY: the listeners and the signal pipe are owned by the EventLoop and deleted from
        // the poller in `Drop` before they are closed.
        #[allow(unsafe_code)]
        unsafe {
            poller.add(&listener, LISTENER_KEY, readable)?;
            poller.add(&signals, SIGNAL_KEY, readable)?;
            poller.add(&disk.wake, DISK_KEY, readable)?;
            if let Some(book_listener) = &book_listener {
                book_listener.set_nonblocking(true)?;
                poller.add(book_listener, BOOK_LISTENER_KEY, readable)?;
            }
        }
        let log_level = server.config().loglevel.clone();
        Ok(EventLoop {
            server,
            poller,
            listener,
            book_listener,
            signals,
            clients: Vec::new(),
            lazy_free: LazyFreePool::new(LAZY_FREE_THREADS),
            disk,
            appender: Appender::default(),
            stop_requested: false,
            origin,
            now: Now::default(),
            woken: Vec::new(),
            read_buffer: vec![0; READ_CHUNK_BYTES],
            busy_poll,
            accepting_again_at: None,
            resident_measured_at: None,
            spin_pays: true,
            loader: None,
            ready: None,
            log_level,
        })
    }

    /// `CONFIG SET loglevel` takes effect at once: the level is read back after every turn.
    fn follow_log_level(&mut self) {
        let level = &self.server.config().loglevel;
        if *level != self.log_level {
            self.log_level = level.clone();
            crate::log::set_level(Level::parse(level));
        }
    }

    /// Loading (if any) goes on in the loop's turns; `ready` runs once the data is loaded.
    pub fn start(&mut self, loader: Option<AofLoader>, ready: Box<dyn FnOnce()>) {
        self.loader = loader;
        self.ready = Some(ready);
        if self.loader.is_none() {
            self.loaded();
        }
    }

    /// Everything is loaded: the core starts the append-only file, and the server is ready.
    fn loaded(&mut self) {
        self.tick();
        self.server.aof_start(self.now());
        if let Some(ready) = self.ready.take() {
            ready();
        }
    }

    /// A turn's share of loading: steps for at most `LOADING_SLICE`, so that clients that
    /// connected meanwhile get their answers (-LOADING) between slices.
    fn load_some(&mut self) -> io::Result<()> {
        let Some(loader) = self.loader.as_mut() else {
            return Ok(());
        };
        let began = StdInstant::now();
        while began.elapsed() < LOADING_SLICE {
            let more = loader
                .step(&mut self.server, now_of(self.origin))
                .map_err(io::Error::other)?;
            if !more {
                self.loader = None;
                self.loaded();
                break;
            }
        }
        Ok(())
    }

    /// The time of this loop turn. Read once per turn (two clock reads), not per socket call:
    /// millisecond timers do not need more, and the clock reads showed up in profiles.
    fn now(&self) -> Now {
        self.now
    }

    /// Hands the core the process's resident memory, at most every `RESIDENT_MEMORY_EVERY_MS`
    /// by the turn's clock (reading /proc costs a few system calls).
    fn measure_resident_memory(&mut self) {
        let now = self.now().monotonic;
        if self
            .resident_measured_at
            .is_some_and(|at| now.millis_since(at) < RESIDENT_MEMORY_EVERY_MS)
        {
            return;
        }
        self.resident_measured_at = Some(now);
        self.server
            .set_resident_memory(crate::alloc::resident_bytes());
        self.server.set_cpu_times(crate::host::cpu_times());
    }

    fn tick(&mut self) {
        self.now = now_of(self.origin);
    }

    /// Runs until SHUTDOWN or a signal.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::new();
        let mut found_work = false;
        loop {
            self.load_some()?;
            self.resume_accepting();
            self.tick();
            let now = self.now();
            let mut timeout = self
                .server
                .poll_timeout()
                .map(|deadline| Duration::from_millis(deadline.millis_since(now.monotonic)));
            if self.loader.is_some() {
                timeout = Some(Duration::ZERO);
            }
            if let Some(again) = self.accepting_again_at {
                let left = again.saturating_duration_since(StdInstant::now());
                timeout = Some(timeout.map_or(left, |timeout| timeout.min(left)));
            }
            match self.wait(&mut events, timeout, found_work) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
            found_work = !events.is_empty();
            self.tick();
            let mut stop = false;
            for event in events.iter() {
                match event.key {
                    LISTENER_KEY => self.accept(Door::Resp),
                    BOOK_LISTENER_KEY => self.accept(Door::Book),
                    SIGNAL_KEY => stop |= self.signalled(),
                    DISK_KEY => {
                        let now = self.now();
                        for (token, result) in self.disk.take_results() {
                            match result {
                                Ok(Some(bytes)) => {
                                    self.server.disk_read_done(now, token, Ok(bytes))
                                }
                                Ok(None) => self.server.disk_done(now, token, Ok(())),
                                Err(error) => self.server.disk_done(now, token, Err(error)),
                            }
                        }
                    }
                    key => self.readable_or_writable(key - FIRST_CONNECTION_KEY, event),
                }
                if self.drain_outputs() {
                    stop = true;
                }
            }
            // What the turn changed goes to the append-only file in one write, before the
            // replies that wait for it.
            let now = self.now();
            self.server.before_sleep(now);
            if self.drain_outputs() {
                stop = true;
            }
            // Replies go out in this same turn, after every readable socket was read: the writes
            // come back to back (as Redis's beforeSleep does them), which on loopback costs fewer
            // wake-ups of the clients than interleaving each write with the next read.
            if self.flush_woken() {
                stop = true;
            }
            self.tick();
            let now = self.now();
            if self
                .server
                .poll_timeout()
                .is_some_and(|deadline| deadline <= now.monotonic)
            {
                self.server.handle_timeout(now);
                // A resize gets a millisecond after each cron tick, as Redis gives it.
                let until = StdInstant::now() + REHASH_TIME;
                while StdInstant::now() < until && self.server.rehash_more() {}
            }
            self.server.set_used_memory(crate::alloc::allocated_bytes());
            self.measure_resident_memory();
            let now = self.now();
            self.server.before_sleep(now);
            let stop_now = self.drain_outputs() | self.flush_woken();
            self.follow_log_level();
            if stop_now || stop {
                log_at!(Level::Warning, "Received shutdown request, exiting now.");
                return Ok(());
            }
        }
    }

    /// Waits for readiness. After a turn that found work, first polls without sleeping for up
    /// to `busy_poll`: a client that gets its reply usually sends again within microseconds,
    /// and finding this thread awake spares its send the cost of waking it (on this machine
    /// class, waking a sleeping thread was the largest single item in the clients' profile).
    /// Only while spinning pays (see `spin_pays`): a spin that waits for nothing takes a core
    /// from someone else; with requests spaced wider than the spin (a client probing every
    /// 200 us during a big DEL) it made the worst reply latency 2-5 ms instead of below 1 ms.
    /// Not while the lazy-free workers or the disk thread have work either: they need the core,
    /// and replies held for an fsync (`appendfsync always`) come only when it ends (spinning
    /// meanwhile made `-P 1` under `always` about a fifth slower on this machine class).
    fn wait(
        &mut self,
        events: &mut Events,
        timeout: Option<Duration>,
        after_work: bool,
    ) -> io::Result<()> {
        if self.busy_poll.is_zero() {
            return self.poller.wait(events, timeout);
        }
        if after_work && self.spin_pays && self.lazy_free.is_idle() && self.disk.is_idle() {
            let until = StdInstant::now() + self.busy_poll;
            loop {
                match self.poller.wait(events, Some(Duration::ZERO)) {
                    Ok(()) => {}
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
                if !events.is_empty() {
                    return Ok(());
                }
                if StdInstant::now() >= until {
                    self.spin_pays = false;
                    break;
                }
            }
        }
        let blocked_at = StdInstant::now();
        let result = self.poller.wait(events, timeout);
        if !self.spin_pays && !events.is_empty() && blocked_at.elapsed() < self.busy_poll {
            self.spin_pays = true;
        }
        result
    }

    fn accept(&mut self, door: Door) {
        for _ in 0..ACCEPTS_PER_TURN_MAX {
            let listener = match door {
                Door::Resp => &self.listener,
                Door::Book => match &self.book_listener {
                    Some(book_listener) => book_listener,
                    None => return,
                },
            };
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                    ) =>
                {
                    continue
                }
                Err(error) => {
                    // Out of file descriptors or memory: the connection stays in the backlog
                    // and the listener readable, so stop listening for a while rather than
                    // failing again on every turn (the clients already in are served).
                    log_at!(
                        Level::Warning,
                        "Error accepting a client connection: {error} (not accepting for {} ms)",
                        ACCEPT_PAUSE.as_millis()
                    );
                    self.pause_accepting();
                    return;
                }
            };
            self.admit(door, stream, &peer.to_string());
        }
    }

    /// Hands an accepted socket to the core. A socket the core refuses gets its reply; one that
    /// cannot be set up is dropped alone.
    fn admit(&mut self, door: Door, mut stream: TcpStream, peer: &str) {
        let now = self.now();
        let opened = match door {
            Door::Resp => self.server.connection_open(now, peer),
            Door::Book => self.server.connection_open_book(now, peer),
        };
        let id = match opened {
            Ok(id) => id,
            Err(refused) => {
                let _ = stream.write(refused.reply);
                return;
            }
        };
        let slot = id.index() as usize;
        let interest = self.server.interest(id);
        let set_up = stream
            .set_nonblocking(true)
            .and_then(|()| stream.set_nodelay(true))
            // SAFETY: the stream is owned by `self.clients[slot]` and deleted from the poller
            // in `drop_client` before it is closed.
            .and_then(|()| {
                #[allow(unsafe_code)]
                unsafe {
                    self.poller
                        .add(&stream, slot + FIRST_CONNECTION_KEY, interest)
                }
            });
        if let Err(error) = set_up {
            log_at!(
                Level::Warning,
                "Error setting up the connection of {peer}: {error}"
            );
            self.server.connection_closed(now, id);
            return;
        }
        self.server.connection_fd(id, i64::from(stream.as_raw_fd()));
        if self.clients.len() <= slot {
            self.clients.resize_with(slot + 1, || None);
        }
        log_at!(Level::Verbose, "Accepted {peer} ({door:?})");
        self.clients[slot] = Some(Client {
            stream,
            id,
            armed: interest,
            close_after_reply: false,
        });
    }

    /// Stops polling the listeners for `ACCEPT_PAUSE`.
    fn pause_accepting(&mut self) {
        let none = Interest {
            read: false,
            write: false,
        };
        let _ = self.poller.modify(&self.listener, LISTENER_KEY, none);
        if let Some(book_listener) = &self.book_listener {
            let _ = self.poller.modify(book_listener, BOOK_LISTENER_KEY, none);
        }
        self.accepting_again_at = Some(StdInstant::now() + ACCEPT_PAUSE);
    }

    /// Polls the listeners again once their pause is over.
    fn resume_accepting(&mut self) {
        if self
            .accepting_again_at
            .is_none_or(|again| StdInstant::now() < again)
        {
            return;
        }
        self.accepting_again_at = None;
        let readable = Interest {
            read: true,
            write: false,
        };
        let _ = self.poller.modify(&self.listener, LISTENER_KEY, readable);
        if let Some(book_listener) = &self.book_listener {
            let _ = self
                .poller
                .modify(book_listener, BOOK_LISTENER_KEY, readable);
        }
    }

    fn readable_or_writable(&mut self, slot: usize, event: Ready) {
        let Some(client) = self.clients.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let id = client.id;
        if event.writable {
            self.flush(slot);
        }
        if !event.readable {
            return;
        }
        for _ in 0..READS_PER_CONNECTION_PER_TURN {
            let Some(client) = self.clients.get_mut(slot).and_then(Option::as_mut) else {
                return;
            };
            if !self.server.interest(id).read {
                return;
            }
            match client.stream.read(&mut self.read_buffer) {
                Ok(0) => {
                    self.drop_client(slot);
                    return;
                }
                Ok(read) => {
                    let now = self.now();
                    // `maxmemory` is held to a fresh measure: one read's commands at most
                    // run past it before eviction sees what they added.
                    self.server.set_used_memory(crate::alloc::allocated_bytes());
                    self.server
                        .connection_receive(now, id, &self.read_buffer[..read]);
                    if read < self.read_buffer.len() {
                        return;
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.drop_client(slot);
                    return;
                }
            }
        }
    }

    /// A signal came: the first asks the core to stop (it may save first), a second stops at
    /// once. True when the loop must stop now.
    fn signalled(&mut self) -> bool {
        let mut drained = [0u8; 64];
        while matches!(self.signals.read(&mut drained), Ok(n) if n > 0) {}
        if self.stop_requested {
            return true;
        }
        self.stop_requested = true;
        let now = self.now();
        self.server.request_shutdown(now);
        false
    }

    /// Acts on every pending output; true when the server must stop.
    fn drain_outputs(&mut self) -> bool {
        let mut stop = false;
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Wake { id } => {
                    let slot = id.index() as usize;
                    if self.client_is(slot, id) {
                        self.woken.push((slot, id));
                    }
                }
                Output::Close { id, reason } => {
                    let slot = id.index() as usize;
                    if self.client_is(slot, id) {
                        log_at!(Level::Verbose, "Closing client {id}: {}", reason.as_str());
                        if reason.after_reply() {
                            // `flush` drops it once the reply is out (now or on a later turn).
                            if let Some(client) = self.clients[slot].as_mut() {
                                client.close_after_reply = true;
                            }
                            self.flush(slot);
                        } else {
                            self.flush(slot);
                            self.drop_client(slot);
                        }
                    }
                }
                Output::Free { garbage } => self.lazy_free.free(garbage),
                Output::Pause { millis } => {
                    std::thread::sleep(Duration::from_millis(millis));
                    self.tick();
                }
                Output::Shutdown => stop = true,
                Output::Disk {
                    token,
                    request: DiskRequest::Append { path, bytes },
                } => {
                    let result = self.appender.append(&path, &bytes);
                    let now = self.now();
                    self.server.disk_done(now, token, result);
                }
                Output::Disk { token, request } => self.disk.submit(token, request),
                Output::Log { level, message } => log_at!(Level::of(level), "{message}"),
            }
        }
        stop
    }

    /// Writes every connection woken this turn; true when the server must stop. Writing can
    /// wake more (a paused connection resumes), so it repeats until nothing is left; each round
    /// only finds connections whose replies grew, so it ends.
    fn flush_woken(&mut self) -> bool {
        let mut stop = false;
        while !self.woken.is_empty() {
            let mut woken = std::mem::take(&mut self.woken);
            woken.sort_unstable();
            woken.dedup();
            for &(slot, id) in &woken {
                if self.client_is(slot, id) {
                    self.flush(slot);
                }
            }
            woken.clear();
            if self.woken.is_empty() {
                self.woken = woken;
            }
            if self.drain_outputs() {
                stop = true;
            }
        }
        stop
    }

    fn client_is(&self, slot: usize, id: ConnectionId) -> bool {
        self.clients
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|client| client.id == id)
    }

    /// Writes the core's pending reply bytes until done, the socket would block or the turn's
    /// `WRITE_BYTES_PER_CONNECTION_PER_TURN` are written, then re-arms
    /// the poller if the interest changed. Drops the client when the write fails (the peer is
    /// gone) or when it was closing after its reply and the reply is all out.
    fn flush(&mut self, slot: usize) {
        let Some(client) = self.clients.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let id = client.id;
        let mut budget = WRITE_BYTES_PER_CONNECTION_PER_TURN;
        while budget > 0 {
            let pending = self.server.send_buffer(id);
            if pending.is_empty() {
                break;
            }
            let pending = &pending[..pending.len().min(budget)];
            match client.stream.write(pending) {
                Ok(written) => {
                    let now = self.now;
                    self.server.connection_sent(now, id, written);
                    budget -= written;
                    if written == 0 {
                        break;
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    // The peer is gone. Dropping here rather than leaving it to a read matters:
                    // a client paused by its unread replies is armed for writes only, and a
                    // level-triggered error event would wake us forever.
                    self.drop_client(slot);
                    return;
                }
            }
        }
        if client.close_after_reply
            && self.server.send_buffer(id).is_empty()
            && !self.server.reply_held(id)
        {
            self.drop_client(slot);
            return;
        }
        let interest = self.server.interest(id);
        if interest != client.armed
            && self
                .poller
                .modify(&client.stream, slot + FIRST_CONNECTION_KEY, interest)
                .is_ok()
        {
            client.armed = interest;
        }
    }

    fn drop_client(&mut self, slot: usize) {
        let Some(client) = self.clients.get_mut(slot).and_then(Option::take) else {
            return;
        };
        let _ = self.poller.delete(&client.stream);
        let _ = client.stream.shutdown(Shutdown::Both);
        let now = self.now();
        self.server.connection_closed(now, client.id);
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        for slot in 0..self.clients.len() {
            if let Some(client) = self.clients[slot].take() {
                let _ = self.poller.delete(&client.stream);
            }
        }
        let _ = self.poller.delete(&self.listener);
        if let Some(book_listener) = &self.book_listener {
            let _ = self.poller.delete(book_listener);
        }
        let _ = self.poller.delete(&self.signals);
    }
}

pub fn now_of(origin: StdInstant) -> Now {
    let monotonic = Instant::from_millis(origin.elapsed().as_millis() as u64);
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    Now::new(monotonic, UnixMillis::from_millis(wall))
}
