//! Connection plumbing: opening (and maxclients refusals), the driver's hang-ups, draining
//! `poll_output`, and closing what the server asked to close.

use ferrodis_core::{CloseReason, ConnectionId, DiskRequest, Door, Instant, Output};

use super::{Owner, World};
use crate::book;
use crate::Failure;

/// The reply the core gives a connection past `clients_max`.
const REFUSED_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

/// Closed connection ids kept for stale events.
const RETIRED_MAX: usize = 8;

impl World<'_> {
    pub(super) fn owner(&self, id: ConnectionId) -> Option<Owner> {
        match self.owners.get(id.index() as usize) {
            Some(Some((owner_id, owner))) if *owner_id == id => Some(*owner),
            _ => None,
        }
    }

    fn set_owner(&mut self, id: ConnectionId, owner: Option<Owner>) {
        let index = id.index() as usize;
        if self.owners.len() <= index {
            self.owners.resize(index + 1, None);
        }
        self.owners[index] = owner.map(|owner| (id, owner));
    }

    /// Opens a connection, checking the server's maxclients decision.
    pub(super) fn open(&mut self, owner: Owner) -> Result<Option<ConnectionId>, Failure> {
        let door = match owner {
            Owner::Client(index) => self.clients[index].door,
            Owner::Storm | Owner::Probe => Door::Resp,
        };
        let result = match door {
            Door::Resp => self.server.connection_open(self.now, "127.0.0.1:40001"),
            Door::Book => self
                .server
                .connection_open_book(self.now, "127.0.0.1:40002"),
        };
        self.trace.u64(1);
        match result {
            Ok(id) => {
                if self.open >= self.options.clients_max as usize {
                    return Err(Failure::WrongReply(format!(
                        "connection {id} accepted with {} of {} open",
                        self.open, self.options.clients_max
                    )));
                }
                self.open += 1;
                self.set_owner(id, Some(owner));
                self.drain()?;
                Ok(Some(id))
            }
            Err(refused) => {
                let expected = match door {
                    Door::Resp => REFUSED_REPLY.to_vec(),
                    Door::Book => book::refused_reply(),
                };
                if self.open < self.options.clients_max as usize || refused.reply != expected {
                    return Err(Failure::WrongReply(format!(
                        "connection refused with {} of {} open: {:?}",
                        self.open,
                        self.options.clients_max,
                        String::from_utf8_lossy(refused.reply)
                    )));
                }
                self.coverage.refused += 1;
                Ok(None)
            }
        }
    }

    /// A driver's event for a connection id that is closed (its slot perhaps reused): the
    /// server must take no bytes, hold no reply for it, and change nothing anyone sees.
    pub fn stale_event(&mut self) -> Result<(), Failure> {
        if self.retired.is_empty() {
            return Ok(());
        }
        let id = self.retired[self.rng.index(self.retired.len())];
        self.coverage.stale_events += 1;
        match self.rng.below(3) {
            0 => {
                let taken = self
                    .server
                    .connection_receive(self.now, id, b"*1\r\n$4\r\nPING\r\n");
                if taken != 0 {
                    return Err(Failure::WrongReply(format!(
                        "a closed connection id {id:?} took {taken} bytes"
                    )));
                }
            }
            1 => {
                let written = self.rng.size(64) as usize;
                self.server.connection_sent(self.now, id, written);
            }
            _ => self.server.connection_closed(self.now, id),
        }
        if !self.server.send_buffer(id).is_empty() {
            return Err(Failure::WrongReply(format!(
                "a closed connection id {id:?} has bytes to send"
            )));
        }
        self.drain()
    }

    /// The driver hangs up (or closes after `Output::Close`).
    pub fn close(&mut self, id: ConnectionId) -> Result<(), Failure> {
        let owner = self.owner(id);
        self.server.connection_closed(self.now, id);
        self.trace.u64(2);
        self.open -= 1;
        if self.retired.len() == RETIRED_MAX {
            self.retired.remove(0);
        }
        self.retired.push(id);
        self.set_owner(id, None);
        self.closing.retain(|&closing| closing != id);
        match owner {
            Some(Owner::Client(index)) => {
                let client = &mut self.clients[index];
                client.connection = None;
                client.out.clear();
                client.out_sent = 0;
                client.inflight.clear();
                client.held = 0;
                client.query_over = false;
                self.model.end_session(&client.session);
                client.session = self.model.new_session();
                client.closing = None;
                client.done_sending = false;
                client.checked = 0;
                client.messages.clear();
                // Replies never read: the client was told of nothing more.
                client.acks.clear();
            }
            Some(Owner::Storm) => self.storm.retain(|&storm| storm != id),
            Some(Owner::Probe) => {}
            None => unreachable!("closing a connection nobody owns"),
        }
        self.drain()
    }

    /// Drains `poll_output`, acting on each output as a driver would.
    pub fn drain(&mut self) -> Result<(), Failure> {
        // Replies first, in the server's order, before any output closes a connection.
        self.check_executed()?;
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Wake { id } => {
                    self.trace.u64(3);
                    self.trace.u64(u64::from(id.index()));
                }
                Output::Close { id, reason } => {
                    self.trace.u64(4);
                    self.trace.u64(u64::from(id.index()));
                    self.on_close(id, reason)?;
                }
                Output::Free { garbage } => {
                    self.trace.u64(5);
                    self.coverage.frees += 1;
                    if self.faults && !self.rng.chance(self.options.faults.free_now) {
                        self.garbage.push(garbage);
                    }
                }
                Output::Disk { token, request } => {
                    if matches!(request, DiskRequest::SyncFile { .. }) {
                        let asked = self.now.monotonic.millis_since(Instant::ZERO) as i64;
                        self.durability.sync_asked(token, asked);
                    }
                    self.disk.request(token, request)
                }
                Output::Log { .. } => {}
                other => {
                    return Err(Failure::WrongReply(format!("unexpected output {other:?}")));
                }
            }
        }
        let timeout = self.server.poll_timeout();
        self.trace.u64(timeout.map_or(u64::MAX, Instant::as_millis));
        self.check_waiting()
    }

    fn on_close(&mut self, id: ConnectionId, reason: CloseReason) -> Result<(), Failure> {
        let Some(owner) = self.owner(id) else {
            return Err(Failure::WrongReply(format!("Close for unknown {id}")));
        };
        let subscriber = matches!(owner, Owner::Client(index) if self.subscriber(index));
        let output_reached =
            reason == CloseReason::OutputBufferLimit && self.output_close_allowed(id, subscriber);
        let o = &self.options;
        let client = match owner {
            Owner::Client(index) => Some(&self.clients[index]),
            Owner::Storm | Owner::Probe => None,
        };
        let idle_ms = self
            .now
            .monotonic
            .millis_since(client.map_or(Instant::ZERO, |c| c.last_active));
        let acceptable = match reason {
            CloseReason::Quit | CloseReason::ProtocolError => {
                client.is_some_and(|c| c.done_sending)
            }
            CloseReason::IdleTimeout => {
                o.idle_timeout_secs > 0
                    && (client.is_none() || idle_ms > o.idle_timeout_secs * 1000)
            }
            CloseReason::QueryBufferLimit => client.is_some_and(|c| c.query_over),
            CloseReason::OutputBufferLimit => output_reached,
            _ => false,
        };
        if !acceptable {
            return Err(Failure::WrongReply(format!(
                "unexpected Close {id} reason {} (idle {idle_ms}ms)",
                reason.as_str()
            )));
        }
        self.coverage.closes[reason as usize] += 1;
        if let Owner::Client(index) = owner {
            self.clients[index].closing = Some(reason);
            let client = self.clients[index].session.client;
            self.model.mark_closing(client);
        }
        if !self.closing.contains(&id) {
            self.closing.push(id);
        }
        Ok(())
    }

    /// Closes what the server asked to close: at once, or once the reply is out for QUIT and
    /// protocol errors.
    pub fn settle_closing(&mut self) -> Result<(), Failure> {
        let mut at = 0;
        while at < self.closing.len() {
            let id = self.closing[at];
            let reason = match self.owner(id) {
                Some(Owner::Client(index)) => self.clients[index].closing.expect("closing"),
                _ => CloseReason::Shutdown,
            };
            // Replies held for the append-only file are still to go out.
            let pending = self.server.reply_pending(id).len();
            if reason.after_reply() && pending > 0 {
                at += 1;
                continue;
            }
            if let (true, Some(Owner::Client(index))) = (reason.after_reply(), self.owner(id)) {
                // Every command before the QUIT or the garbage ran and was answered; on the
                // book's door the garbage itself gets no reply.
                let client = &self.clients[index];
                let answered = match (client.door, reason) {
                    (Door::Book, CloseReason::ProtocolError) => {
                        client.inflight.len() == 1 && client.inflight[0].args.is_none()
                    }
                    _ => client.inflight.is_empty(),
                };
                if !answered {
                    return Err(Failure::WrongReply(format!(
                        "{id}: closed ({}) with {} commands unanswered",
                        reason.as_str(),
                        client.inflight.len()
                    )));
                }
            }
            let sendable = self.server.send_buffer(id).len();
            if sendable > 0 && self.rng.bool() {
                // What the socket takes without waiting.
                let written = self.rng.below(sendable as u64 + 1) as usize;
                self.server.connection_sent(self.now, id, written);
                self.trace.u64(written as u64);
                self.drain()?;
            }
            self.close(id)?;
        }
        Ok(())
    }
}
