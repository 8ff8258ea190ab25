//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC a connection's commands are resolved (name, arity, authentication)
//! and queued instead of run; a command that fails to resolve marks the transaction aborted and
//! EXEC answers EXECABORT. EXEC runs the whole queue inside one command, so no other client's
//! command comes in between, however long the queue. WATCH makes EXEC fail with a null array
//! once any watched key changed, by anyone, through the keyspace's write path.

use super::table::CommandSpec;
use super::{ArgCursor, CommandError, CommandResult, Ctx};
use crate::protocol::resp::Args;
use crate::server::{ConnectionId, Server};

/// At most this many commands wait in one transaction.
pub(crate) const QUEUED_COMMANDS_MAX: usize = 1 << 20;

/// At most this many keys watched by one connection.
pub(crate) const WATCHED_KEYS_MAX: usize = 1 << 20;

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// The commands queued since MULTI, their arguments packed in one buffer.
#[derive(Default)]
pub(crate) struct Transaction {
    bytes: Vec<u8>,
    /// (start, length) of every argument of every queued command, in `bytes`.
    ranges: Vec<(usize, usize)>,
    /// Each command and its arguments, as a range of `ranges`.
    commands: Vec<(&'static CommandSpec, usize, usize)>,
    /// A command failed to queue (unknown, wrong arity, ...): EXEC answers EXECABORT.
    pub(crate) aborted: bool,
}

impl Transaction {
    pub(crate) fn len(&self) -> usize {
        self.commands.len()
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ranges.capacity() * std::mem::size_of::<(usize, usize)>()
            + self.commands.capacity() * std::mem::size_of::<(&CommandSpec, usize, usize)>()
    }

    /// Queues a resolved command, or says why it cannot be: the queue is bounded in commands
    /// and in bytes (`bytes_max`, the client's query buffer limit).
    pub(crate) fn queue(
        &mut self,
        spec: &'static CommandSpec,
        args: Args<'_>,
        bytes_max: usize,
    ) -> Result<(), CommandError> {
        let bytes: usize = args.iter().map(<[u8]>::len).sum();
        if self.commands.len() >= QUEUED_COMMANDS_MAX || self.bytes.len() + bytes > bytes_max {
            return Err(CommandError::owned(format!(
                "ERR transaction queue is full (at most {QUEUED_COMMANDS_MAX} commands and \
                 {bytes_max} bytes of arguments, the client-query-buffer-limit)"
            )));
        }
        let first = self.ranges.len();
        for arg in args.iter() {
            self.ranges.push((self.bytes.len(), arg.len()));
            self.bytes.extend_from_slice(arg);
        }
        self.commands.push((spec, first, self.ranges.len()));
        Ok(())
    }

    /// The queued command number `index`.
    pub(crate) fn command(&self, index: usize) -> (&'static CommandSpec, Args<'_>) {
        let (spec, first, end) = self.commands[index];
        (
            spec,
            Args::from_ranges(&self.bytes, &self.ranges[first..end]),
        )
    }
}

/// MULTI
pub(crate) fn multi(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let connection = ctx.connection();
    if connection.transaction.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    connection.transaction = Some(Box::default());
    ctx.reply.ok();
    Ok(())
}

/// DISCARD
pub(crate) fn discard(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    if ctx.connection().transaction.take().is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    unwatch_all(ctx.server, ctx.id);
    ctx.reply.ok();
    Ok(())
}

/// EXEC: runs the queue, one reply element per command (an error is an element and the rest
/// still run); EXECABORT after a queuing error; a null array when a watched key changed.
pub(crate) fn exec(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let Some(transaction) = ctx.connection().transaction.take() else {
        return Err("ERR EXEC without MULTI".into());
    };
    ctx.server.collect_invalidated_watches();
    let expired = watched_key_expired(ctx.server, ctx.id);
    let invalidated = expired || ctx.connection().watch_invalidated;
    unwatch_all(ctx.server, ctx.id);
    if transaction.aborted {
        return Err(EXECABORT.into());
    }
    if invalidated {
        ctx.reply.null_array();
        return Ok(());
    }
    ctx.reply.array(transaction.len());
    for index in 0..transaction.len() {
        let (spec, args) = transaction.command(index);
        super::run(ctx.server, ctx.id, spec, args, ctx.reply);
    }
    Ok(())
}

/// WATCH key [key ...]
pub(crate) fn watch(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let connection = ctx.connection();
    if connection.transaction.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    // Once invalidated, EXEC fails whatever else is watched.
    if !connection.watch_invalidated {
        let now = ctx.server.now.wall;
        for key in args.rest() {
            if ctx.connection().watched.len() >= WATCHED_KEYS_MAX {
                return Err(CommandError::owned(format!(
                    "ERR too many watched keys (at most {WATCHED_KEYS_MAX} per client)"
                )));
            }
            if ctx.server.dbs[ctx.db].watch(now, key, ctx.id) {
                let db = ctx.db;
                ctx.connection().watched.push((db, key.into()));
            }
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// UNWATCH
pub(crate) fn unwatch(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    unwatch_all(ctx.server, ctx.id);
    ctx.reply.ok();
    Ok(())
}

/// True when a key `id` watches was alive at WATCH and has expired since.
fn watched_key_expired(server: &Server, id: ConnectionId) -> bool {
    let Some(connection) = server.connection(id) else {
        return false;
    };
    let now = server.now.wall;
    connection
        .watched
        .iter()
        .any(|(db, key)| server.dbs[*db].watched_key_expired(now, key, id))
}

/// Forgets every watch of `id` and its invalidation (EXEC, DISCARD, UNWATCH, RESET, close).
pub(crate) fn unwatch_all(server: &mut Server, id: ConnectionId) {
    let Some(connection) = server.connection_mut(id) else {
        return;
    };
    connection.watch_invalidated = false;
    let watched = std::mem::take(&mut connection.watched);
    for (db, key) in watched {
        server.dbs[db].unwatch(&key, id);
    }
}

/// Drops `id`'s transaction and watches (RESET, a closed connection).
pub(crate) fn forget(server: &mut Server, id: ConnectionId) {
    if let Some(connection) = server.connection_mut(id) {
        connection.transaction = None;
    }
    unwatch_all(server, id);
}
