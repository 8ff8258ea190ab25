//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC a connection's commands are resolved (name, arity, authentication)
//! and queued instead of run; a command that fails to resolve marks the transaction aborted and
//! EXEC answers EXECABORT. EXEC runs the whole queue inside one command, so no other client's
//! command comes in between, however long the queue. WATCH makes EXEC fail with a null array
//! once any watched key changed, by anyone, through the keyspace's write path.

use super::table::CommandSpec;
use super::{ArgCursor, CommandError, CommandResult, Ctx};
use crate::clients::{Clients, ConnectionId};
use crate::connection::Connection;
use crate::keyspace::Keyspace;
use crate::protocol::resp::Args;

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

    /// Whether a queued command may add data (is flagged `denyoom`): EXEC is refused while
    /// memory is over `maxmemory` with nothing to evict.
    pub(crate) fn may_add_data(&self) -> bool {
        self.any_flagged(super::table::Flags::DENYOOM)
    }

    /// Whether a queued command writes, or may (PUBLISH): CLIENT PAUSE WRITE holds EXEC back.
    pub(crate) fn writes(&self) -> bool {
        self.any_flagged(super::table::Flags::WRITE.or(super::table::Flags::MAY_REPLICATE))
    }

    /// Whether a queued command has any of `flags`.
    pub(crate) fn any_flagged(&self, flags: super::table::Flags) -> bool {
        self.commands
            .iter()
            .any(|(spec, _, _)| spec.flags.intersects(flags))
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ranges.capacity() * std::mem::size_of::<(usize, usize)>()
            + self.commands.capacity() * std::mem::size_of::<(&CommandSpec, usize, usize)>()
    }

    /// Queues a resolved command, or says why it cannot be: the queue is bounded in commands
    /// and in bytes (`bytes_max`, the client's query buffer limit), each argument counting its
    /// bytes and its place in `ranges`, so that many empty arguments are bounded too.
    pub(crate) fn queue(
        &mut self,
        spec: &'static CommandSpec,
        args: Args<'_>,
        bytes_max: usize,
    ) -> Result<(), CommandError> {
        const RANGE_BYTES: usize = std::mem::size_of::<(usize, usize)>();
        let bytes: usize = args.iter().map(|arg| arg.len() + RANGE_BYTES).sum();
        let queued_bytes = self.bytes.len() + self.ranges.len() * RANGE_BYTES;
        if self.commands.len() >= QUEUED_COMMANDS_MAX || queued_bytes + bytes > bytes_max {
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
    if ctx.session.transaction.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.session.transaction = Some(Box::default());
    ctx.reply.ok();
    Ok(())
}

/// DISCARD
pub(crate) fn discard(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    if ctx.session.transaction.take().is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    unwatch_all(ctx.keyspace, ctx.session, ctx.id);
    ctx.reply.ok();
    Ok(())
}

/// EXEC: runs the queue, one reply element per command (an error is an element and the rest
/// still run); EXECABORT after a queuing error; a null array when a watched key changed.
pub(crate) fn exec(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let Some(transaction) = ctx.session.transaction.take() else {
        return Err("ERR EXEC without MULTI".into());
    };
    let invalidated = ctx.session.watch_invalidated
        || ctx.keyspace.is_invalidated(ctx.id)
        || watched_key_expired(ctx);
    unwatch_all(ctx.keyspace, ctx.session, ctx.id);
    if transaction.aborted {
        return Err(EXECABORT.into());
    }
    if invalidated {
        ctx.reply.null_array();
        return Ok(());
    }
    ctx.reply.array(transaction.len());
    let propagated_start = ctx.keyspace.propagated_len();
    // Nothing waits inside a transaction: a blocking command answers at once.
    let may_block = std::mem::replace(&mut ctx.may_block, false);
    ctx.session.in_exec = true;
    for index in 0..transaction.len() {
        let (spec, args) = transaction.command(index);
        let allowed = match ctx.session.replaying {
            true => Ok(()),
            false => super::acl::check_at_exec(ctx, spec, args),
        };
        match allowed {
            Ok(()) => super::run(ctx, spec, args),
            Err(error) => {
                ctx.reply.error(error.as_bytes());
                ctx.state.stats.record_error(error.as_bytes());
            }
        }
    }
    ctx.session.in_exec = false;
    ctx.may_block = may_block;
    ctx.keyspace.wrap_in_transaction(propagated_start);
    Ok(())
}

/// EXEC refused before it ran (wrong arity, NOAUTH): the transaction, if any, is dropped and
/// the error says so, in Redis's words.
pub(crate) fn abort_exec(ctx: &mut Ctx<'_, '_>, error: &CommandError) {
    ctx.session.transaction = None;
    unwatch_all(ctx.keyspace, ctx.session, ctx.id);
    let reason = error.as_bytes();
    let reason = reason.strip_prefix(b"ERR ").unwrap_or(reason);
    let text = [b"EXECABORT Transaction discarded because of: ", reason].concat();
    ctx.reply.error(&text);
}

/// WATCH key [key ...]
pub(crate) fn watch(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if ctx.session.transaction.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    // Once invalidated, EXEC fails whatever else is watched.
    if !ctx.session.watch_invalidated {
        let now = ctx.now.wall;
        for key in args.rest() {
            if ctx.session.watched.len() >= WATCHED_KEYS_MAX {
                return Err(CommandError::owned(format!(
                    "ERR too many watched keys (at most {WATCHED_KEYS_MAX} per client)"
                )));
            }
            if ctx.keyspace.dbs[ctx.db].watch(now, key, ctx.id) {
                ctx.session.watched.push((ctx.db, key.into()));
            }
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// UNWATCH
pub(crate) fn unwatch(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    unwatch_all(ctx.keyspace, ctx.session, ctx.id);
    ctx.reply.ok();
    Ok(())
}

/// True when a key the caller watches was alive at WATCH and has expired since.
fn watched_key_expired(ctx: &Ctx<'_, '_>) -> bool {
    let now = ctx.now.wall;
    ctx.session
        .watched
        .iter()
        .any(|(db, key)| ctx.keyspace.dbs[*db].watched_key_expired(now, key, ctx.id))
}

/// Forgets every watch of `id` and its invalidation (EXEC, DISCARD, UNWATCH, RESET, close).
pub(crate) fn unwatch_all(keyspace: &mut Keyspace, session: &mut Connection, id: ConnectionId) {
    session.watch_invalidated = false;
    for (db, key) in std::mem::take(&mut session.watched) {
        keyspace.dbs[db].unwatch(&key, id);
    }
    keyspace.forget_invalidation(id);
}

/// Drops the session's transaction and watches (RESET).
pub(crate) fn forget_session(keyspace: &mut Keyspace, session: &mut Connection, id: ConnectionId) {
    session.transaction = None;
    unwatch_all(keyspace, session, id);
}

/// Drops `id`'s transaction and watches before it closes.
pub(crate) fn forget(keyspace: &mut Keyspace, clients: &mut Clients, id: ConnectionId) {
    if let Some(session) = clients.get_mut(id) {
        forget_session(keyspace, session, id);
    }
}

/// A key `id` watches changed: its next EXEC fails, and it need watch nothing more (Redis's
/// `touchWatchedKey` unwatches all its keys).
pub(crate) fn invalidate_watches(keyspace: &mut Keyspace, clients: &mut Clients, id: ConnectionId) {
    if let Some(session) = clients.get_mut(id) {
        unwatch_all(keyspace, session, id);
        session.watch_invalidated = true;
    }
}
