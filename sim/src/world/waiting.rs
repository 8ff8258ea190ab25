//! Blocked clients and subscribers, as the world sees them.
//!
//! A blocking command is sent only by a client with nothing else in flight, whole, at once: the
//! server then runs it in that very call, so if its reply is not there after the call, it
//! blocked, and the model registers the wait then (`Model::block`), in the order clients
//! blocked. Its reply comes later, recorded by the server like any other: a null array is a
//! timeout (checked against the waiter's deadline), anything else was served
//! (`Model::serve`: the key, first blocked first served, the values).
//!
//! After every call, with the server's outputs acted on: no waiter is left that a key could
//! serve, the server's timer is due no later than the first deadline, every message published
//! to a connection that is not closing is in its send buffer, in order; after every
//! `handle_timeout`, no waiter is left past its deadline.
//!
//! Messages are matched in a receiver's send buffer where they stand among its replies: all
//! those published before one of its commands ran come before that command's reply. The
//! copies one publish sends one connection (its channel's, then one per matching pattern) are
//! compared in any order; their order is the server's table's, Redis's is its hash table's.

use ferrodis_core::{Door, Instant};

use super::{Coverage, World};
use crate::model::Model;
use crate::reply::reply_len;
use crate::Failure;

/// A timeout's reply.
const NULL_ARRAY: &[u8] = b"*-1\r\n";

impl World<'_> {
    /// Sends `args`, a blocking command, if `index` has nothing in flight and can take it now;
    /// otherwise the command is dropped.
    pub(super) fn issue_blocking(
        &mut self,
        index: usize,
        args: Vec<Vec<u8>>,
    ) -> Result<(), Failure> {
        let Some(id) = self.clients[index].connection else {
            return Ok(());
        };
        // What it queued goes first, so that the pipeline may empty before the command.
        if !self.clients[index].out.is_empty() {
            self.deliver(index, true)?;
        }
        let client = &self.clients[index];
        if client.connection != Some(id)
            || !client.inflight.is_empty()
            || !client.out.is_empty()
            || client.closing.is_some()
            || !self.server.interest(id).read
        {
            return Ok(());
        }
        let client = &mut self.clients[index];
        super::encode(&args, &mut client.out);
        client.inflight.push_back(super::Request {
            bytes: client.out.len(),
            args: Some(args),
        });
        let blocked_at = self.now;
        self.deliver(index, true)?;
        let client = &self.clients[index];
        if client.connection != Some(id) || client.inflight.is_empty() {
            return Ok(());
        }
        assert!(
            client.out.is_empty(),
            "a blocking command is delivered whole"
        );
        let args = client.inflight[0].args.clone().expect("not garbage");
        let session = client.session.clone();
        self.model
            .block(
                &session,
                &args,
                blocked_at.monotonic.as_millis(),
                blocked_at.wall.as_millis(),
            )
            .map_err(|why| Failure::WrongReply(format!("{id}: {why}")))?;
        if client.closing.is_some() {
            self.model.mark_closing(session.client);
        }
        // It left the query buffer when it blocked.
        let client = &mut self.clients[index];
        client.held -= client.inflight[0].bytes;
        client.inflight[0].bytes = 0;
        self.coverage.blocked += 1;
        Ok(())
    }

    /// Hands what the last command published to its receivers' queues of expected frames;
    /// a connection the server is closing gets nothing more.
    pub(super) fn post_deliveries(&mut self) {
        for (receiver, frames) in std::mem::take(&mut self.model.deliveries) {
            let Some(client) = self
                .clients
                .iter_mut()
                .find(|client| client.session.client == receiver)
            else {
                continue;
            };
            if client.connection.is_some() && client.closing.is_none() {
                client.messages.push_back(frames);
            }
        }
    }

    /// Matches the messages expected in `index`'s send buffer, oldest first. With `all`, every
    /// one must be there; otherwise (the server is closing the connection, and skips it from
    /// some message on, perhaps in the middle of one publish's copies) those there must be a
    /// prefix of them.
    pub(super) fn match_messages(&mut self, index: usize, all: bool) -> Result<(), Failure> {
        let Some(id) = self.clients[index].connection else {
            return Ok(());
        };
        while let Some(group) = self.clients[index].messages.pop_front() {
            let buffer = self.server.reply_pending(id);
            let client = &mut self.clients[index];
            let mut got = Vec::with_capacity(group.len());
            let mut at = client.checked;
            while got.len() < group.len() {
                let Some(len) = reply_len(&buffer[at..]).filter(|_| at < buffer.len()) else {
                    break;
                };
                got.push(buffer[at..at + len].to_vec());
                at += len;
            }
            let mut expected = group.clone();
            expected.sort();
            let mut sorted = got.clone();
            sorted.sort();
            let whole = got.len() == group.len();
            let fits = sorted
                .iter()
                .all(|frame| expected.binary_search(frame).is_ok());
            if (whole && sorted != expected) || !fits || (all && !whole) {
                return Err(Failure::WrongReply(format!(
                    "{id}: expected the messages {:?}, found {:?}",
                    group
                        .iter()
                        .map(|frame| frame.escape_ascii().to_string())
                        .collect::<Vec<_>>(),
                    buffer[client.checked..][..(buffer.len() - client.checked).min(300)]
                        .escape_ascii()
                        .to_string()
                )));
            }
            client.checked = at;
            self.coverage.messages += got.len() as u64;
            if !whole {
                // The server is closing it: nothing more comes.
                client.messages.clear();
            }
        }
        Ok(())
    }

    /// What must hold once a call's replies are checked and its outputs acted on (see the
    /// module's comment).
    pub(super) fn check_waiting(&mut self) -> Result<(), Failure> {
        for index in 0..self.clients.len() {
            if !self.clients[index].messages.is_empty() {
                let all = self.clients[index].closing.is_none();
                self.match_messages(index, all)?;
            }
        }
        // Every reply was recorded and matched, every message expected: nothing else waits in
        // a send buffer (a message nobody published, or one to a connection not subscribed).
        for client in &self.clients {
            let Some(id) = client.connection else {
                continue;
            };
            let buffer = self.server.reply_pending(id);
            if client.door == Door::Resp && buffer.len() > client.checked {
                return Err(Failure::WrongReply(format!(
                    "{id}: bytes nobody expected in its send buffer: {}",
                    buffer[client.checked..][..(buffer.len() - client.checked).min(300)]
                        .escape_ascii()
                )));
            }
        }
        let wall = self.now.wall.as_millis();
        let mut first_deadline: Option<u64> = None;
        for waiter in self.model.waiters.iter().filter(|waiter| !waiter.closing) {
            if let Some(key) = waiter.keys.iter().find(|key| {
                crate::exec_waiting::holds_now(&self.model, waiter.db, key, waiter.pops, wall)
            }) {
                return Err(Failure::WrongReply(format!(
                    "client {} still waits in {:?} while {:?} holds what it pops",
                    waiter.client,
                    String::from_utf8_lossy(&waiter.args[0]),
                    String::from_utf8_lossy(key)
                )));
            }
            if let Some(deadline) = waiter.deadline_ms {
                first_deadline = Some(first_deadline.map_or(deadline, |first| first.min(deadline)));
            }
        }
        if let Some(deadline) = first_deadline {
            let timer = self
                .server
                .poll_timeout()
                .map_or(u64::MAX, Instant::as_millis);
            if timer > deadline {
                return Err(Failure::Liveness(format!(
                    "poll_timeout is {timer}ms, after a blocked client's deadline {deadline}ms"
                )));
            }
        }
        Ok(())
    }

    /// After `handle_timeout` ran at `now`: no client still waits past its deadline.
    pub(super) fn check_deadlines(&self) -> Result<(), Failure> {
        let now = self.now.monotonic.as_millis();
        for waiter in self.model.waiters.iter().filter(|waiter| !waiter.closing) {
            if waiter.deadline_ms.is_some_and(|deadline| deadline <= now) {
                return Err(Failure::Liveness(format!(
                    "client {} still blocked in {:?} at {now}ms, past its deadline {:?}ms",
                    waiter.client,
                    String::from_utf8_lossy(&waiter.args[0]),
                    waiter.deadline_ms
                )));
            }
        }
        Ok(())
    }

    /// Once every client has closed: a fresh connection finds no channel, pattern or shard
    /// channel subscribed, and no client blocked. The tables must have been cleaned up as each
    /// connection closed.
    pub fn check_cleanup(&mut self) -> Result<(), Failure> {
        for index in 0..self.clients.len() {
            if let Some(id) = self.clients[index].connection {
                self.close(id)?;
            }
        }
        self.settle_closing()?;
        if !self.model.waiters.is_empty() || self.model.subscriptions.values().any(|s| s.any()) {
            return Err(Failure::WrongReply(
                "the model kept a closed client's wait or subscriptions".into(),
            ));
        }
        let Some(id) = self.open(super::Owner::Probe)? else {
            return Err(Failure::Liveness(
                "no connection for the cleanup check with every client closed".into(),
            ));
        };
        let questions: [&[&[u8]]; 5] = [
            &[b"PUBSUB", b"CHANNELS"],
            &[b"PUBSUB", b"NUMPAT"],
            &[b"PUBSUB", b"SHARDCHANNELS"],
            &[b"INFO", b"clients"],
            &[b"INFO", b"stats"],
        ];
        let mut request = Vec::new();
        for question in questions {
            let args: Vec<Vec<u8>> = question.iter().map(|arg| arg.to_vec()).collect();
            super::encode(&args, &mut request);
        }
        self.trace.bytes(&request);
        let taken = self.server.connection_receive(self.now, id, &request);
        assert_eq!(taken, request.len());
        self.drain()?;
        self.release_held(id)?;
        let buffer = self.server.send_buffer(id).to_vec();
        self.trace.bytes(&buffer);
        self.server.connection_sent(self.now, id, buffer.len());
        let mut replies = Vec::new();
        let mut at = 0;
        while let Some(len) = (at < buffer.len())
            .then(|| reply_len(&buffer[at..]))
            .flatten()
        {
            replies.push(&buffer[at..at + len]);
            at += len;
        }
        let info = |reply: &[u8], field: &str| {
            String::from_utf8_lossy(reply).contains(&format!("\r\n{field}:0\r\n"))
        };
        let clean = replies.len() == questions.len()
            && replies[0] == b"*0\r\n"
            && replies[1] == b":0\r\n"
            && replies[2] == b"*0\r\n"
            && info(replies[3], "blocked_clients")
            && ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"]
                .iter()
                .all(|field| info(replies[4], field));
        self.close(id)?;
        self.server.check_invariants();
        if !clean {
            return Err(Failure::WrongReply(format!(
                "with every client closed, the server still lists subscriptions or blocked \
                 clients: {}",
                buffer.escape_ascii()
            )));
        }
        self.coverage.cleanup_checks += 1;
        Ok(())
    }

    /// Does the server's close of `index`'s connection for its output limit fit the pub/sub
    /// class (the client subscribes to something)?
    pub(super) fn subscriber(&self, index: usize) -> bool {
        let client = &self.clients[index];
        client.door == Door::Resp
            && self
                .model
                .subscriptions(client.session.client)
                .is_some_and(|subscriptions| subscriptions.any())
    }
}

/// The model's answer to `client`'s blocked command, whose reply came at `now`: a timeout (due
/// by its deadline) or a service (`Model::serve`), written into `exact`.
pub(super) fn wake(
    model: &mut Model,
    coverage: &mut Coverage,
    now: Instant,
    client: u64,
    reply: &[u8],
    wall: i64,
    exact: &mut Vec<u8>,
) -> Result<(), String> {
    exact.clear();
    if reply == NULL_ARRAY {
        let waiter = model.time_out(client);
        let now = now.as_millis();
        if waiter.deadline_ms.is_none_or(|deadline| deadline > now) {
            return Err(format!(
                "{:?} timed out at {now}ms, its deadline {:?}ms",
                String::from_utf8_lossy(&waiter.args[0]),
                waiter.deadline_ms
            ));
        }
        coverage.timed_out += 1;
        exact.extend_from_slice(NULL_ARRAY);
        return Ok(());
    }
    coverage.served += 1;
    model.serve(client, reply, wall, exact)
}
