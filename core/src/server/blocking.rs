//! Blocked clients (BLPOP and friends): waiting on keys, served when one of them changes,
//! answered at their timeout or by CLIENT UNBLOCK.
//!
//! A blocking command that finds nothing returns a `BlockOn` instead of a reply; the server
//! keeps the command's arguments (`Blocked`), lists the client with each key in that key's
//! database (first come, first served) and its deadline in `Server::deadlines`. Every change to
//! a key someone waits for marks it ready (the write path, `Db::touched`; SWAPDB and FLUSHDB
//! mark them all). After each command the server runs the waiting clients' commands again,
//! key by key in the order the keys became ready and client by client in the order they came:
//! the command looks at the ready key only and either answers or asks to wait again. A blocked
//! connection runs nothing else; what it sends meanwhile waits in its query buffer.

use super::{Output, Server};
use crate::clients::ConnectionId;
use crate::command::BlockOn;
use crate::connection::Door;
use crate::protocol::resp::{Args, OwnedArgs};
use crate::reply::Reply;
use crate::time::Instant;

/// The error CLIENT UNBLOCK ... ERROR answers the waiting command with.
const UNBLOCKED: &[u8] = b"UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// A blocked client's wait: its database and keys, its deadline, and its command to run again.
pub(crate) struct Blocked {
    pub(crate) db: usize,
    /// Each key once, in the command's order.
    pub(crate) keys: Vec<Box<[u8]>>,
    pub(crate) deadline: Option<Instant>,
    command: OwnedArgs,
}

impl Blocked {
    pub(crate) fn new(db: usize, on: BlockOn, now: Instant, args: Args<'_>) -> Blocked {
        let mut keys: Vec<Box<[u8]>> = Vec::with_capacity(on.keys.len());
        for key in on.keys {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        Blocked {
            db,
            keys,
            deadline: (on.timeout_ms > 0).then(|| now.plus_millis(on.timeout_ms)),
            command: OwnedArgs::new(args),
        }
    }

    /// The command that blocked, as it was sent.
    pub(crate) fn command(&self) -> Args<'_> {
        self.command.args()
    }
}

/// How a blocked client is answered without being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unblocked {
    /// Its timeout passed, or CLIENT UNBLOCK ... TIMEOUT: a null array.
    Timeout,
    /// CLIENT UNBLOCK ... ERROR.
    Error,
}

impl Server {
    /// `id`'s command asked to wait.
    pub(super) fn block(&mut self, id: ConnectionId, blocked: Blocked) {
        let db = &mut self.keyspace.dbs[blocked.db];
        for key in &blocked.keys {
            db.block(key, id);
        }
        if let Some(deadline) = blocked.deadline {
            self.deadlines.insert((deadline, id));
        }
        if let Some(connection) = self.clients.get_mut(id) {
            connection.blocked = Some(Box::new(blocked));
        }
    }

    /// Forgets `id`'s wait, if any (it was served, timed out, was unblocked, or closed).
    pub(super) fn forget_block(&mut self, id: ConnectionId) -> Option<Box<Blocked>> {
        let blocked = self.clients.get_mut(id)?.blocked.take()?;
        for key in &blocked.keys {
            self.keyspace.dbs[blocked.db].unblock(key, id);
        }
        if let Some(deadline) = blocked.deadline {
            self.deadlines.remove(&(deadline, id));
        }
        Some(blocked)
    }

    /// `id` got its answer: its reply goes out, and commands it sent meanwhile run next.
    pub(super) fn resume(&mut self, id: ConnectionId) {
        self.record_executed(id);
        // The late reply is output like any other: held to the connection's limits.
        self.check_output_limits(id);
        self.clients.recount_memory(id);
        self.outputs.push_back(Output::Wake { id });
        if let Some(connection) = self.clients.get_mut(id) {
            if !connection.query.is_empty() && !connection.pending_commands {
                connection.pending_commands = true;
                self.pending.push_back(id);
            }
        }
    }

    /// Serves the clients waiting on keys that changed, until no key is ready (a served BLMOVE
    /// can make its destination ready for others).
    pub(super) fn serve_blocked(&mut self) {
        while let Some(db) = self.keyspace.dbs.iter().position(|db| db.has_ready()) {
            for key in self.keyspace.dbs[db].take_ready() {
                for id in self.keyspace.dbs[db].blocked_on(&key) {
                    // Every blocking command needs the key: once it is gone (the last element
                    // popped), the clients after this one wait on without running again.
                    let wall = self.state.now.wall;
                    if self.keyspace.dbs[db].peek(wall, &key).is_none() {
                        break;
                    }
                    self.serve(id, &key);
                }
            }
        }
    }

    /// Runs `id`'s blocked command again now that `key` changed; it answers or waits on.
    fn serve(&mut self, id: ConnectionId, key: &[u8]) {
        let Some(connection) = self.clients.get_mut(id) else {
            return;
        };
        if connection.closing.is_some() {
            return;
        }
        let Some(blocked) = connection.blocked.take() else {
            return;
        };
        let mut out = std::mem::take(&mut connection.reply);
        let before = out.len();
        let mut reply = Reply {
            out: &mut out,
            resp3: connection.resp3,
            book: false,
        };
        let again = self.execute(id, blocked.command(), &mut reply, Door::Resp, Some(key));
        let connection = self
            .clients
            .get_mut(id)
            .expect("a command does not close its own connection at once");
        connection.reply = out;
        connection.blocked = Some(blocked);
        if again.is_some() {
            debug_assert_eq!(
                connection.reply.len(),
                before,
                "a waiting command says nothing"
            );
            return;
        }
        self.forget_block(id);
        self.deliver_effects(None);
        self.resume(id);
    }

    /// Answers `id` without serving it, if it is blocked; false if it is not.
    /// The command answered this way is counted then, as Redis counts it; the time it spent
    /// before it began waiting is not kept, so it counts none.
    pub(super) fn unblock(&mut self, id: ConnectionId, how: Unblocked) -> bool {
        let Some(blocked) = self.forget_block(id) else {
            return false;
        };
        let connection = self.clients.get_mut(id).expect("it was blocked");
        let mut reply = Reply::new(&mut connection.reply, connection.resp3);
        match how {
            Unblocked::Timeout => reply.null_array(),
            Unblocked::Error => {
                reply.error(UNBLOCKED);
                self.state.stats.record_error(UNBLOCKED);
            }
        }
        let args = blocked.command.args();
        if let Some(spec) = crate::command::lookup(args.get(0).unwrap_or(b"")) {
            let failed = how == Unblocked::Error;
            crate::command::command_ran(
                &mut self.state,
                &mut self.effects,
                connection,
                spec,
                args,
                0,
                failed,
            );
        }
        self.resume(id);
        true
    }

    /// Answers the blocked clients whose deadline has come.
    pub(super) fn expire_blocked(&mut self, now: Instant) {
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            if !self.unblock(id, Unblocked::Timeout) {
                self.deadlines.remove(&(deadline, id));
            }
        }
    }

    /// Every waiting client is known to its keys and its deadline, and the other way round.
    pub(super) fn check_blocked_invariants(&self) {
        let mut deadlines = 0;
        for (id, connection) in self.clients.iter() {
            let Some(blocked) = &connection.blocked else {
                continue;
            };
            for key in &blocked.keys {
                assert!(
                    self.keyspace.dbs[blocked.db].blocked_on(key).contains(&id),
                    "a blocked client waits in its key's queue"
                );
            }
            if let Some(deadline) = blocked.deadline {
                deadlines += 1;
                assert!(self.deadlines.contains(&(deadline, id)));
            }
        }
        assert_eq!(
            deadlines,
            self.deadlines.len(),
            "no deadline of a client gone"
        );
        let waiting: usize = self.keyspace.dbs.iter().map(|db| db.blocked_count()).sum();
        let keys: usize = self
            .clients
            .iter()
            .filter_map(|(_, connection)| connection.blocked.as_ref())
            .map(|blocked| blocked.keys.len())
            .sum();
        assert_eq!(waiting, keys, "the key queues hold only blocked clients");
    }
}
