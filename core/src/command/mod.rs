//! The command table and dispatch: look the name up without allocating, check arity and
//! authentication as Redis does (in that order), run the handler, reply with its error if any.

mod acl;
mod args;
mod bitfield;
mod bits;
mod blocking;
mod book;
mod config;
mod config_rewrite;
mod connection;
mod control;
mod docs;
mod dump;
mod expire;
mod function_payload;
mod functions;
mod geo;
mod geo_search;
mod hash;
mod hyperloglog;
mod info;
mod introspection;
mod keys;
mod keyspecs;
mod lcs;
mod list;
mod memory;
mod pubsub;
mod sample;
mod scripting;
mod server;
mod set;
mod sort;
mod strings;
mod table;
mod tracking;
mod transaction;
mod zrange;
mod zset;
mod zsetops;

use std::borrow::Cow;

use crate::clients::{ConnectionId, Others};
use crate::connection::{Connection, ReplyMode};
use crate::effects::Effects;
use crate::keyspace::Keyspace;
use crate::notify;
use crate::protocol::resp::Args;
use crate::reply::Reply;
use crate::state::ServerState;
use crate::store::db::Db;
use crate::time::Now;
use crate::value::Value;

pub(crate) use args::ArgCursor;
pub(crate) use blocking::BlockOn;
pub(crate) use book::dispatch_book;
pub(crate) use config_rewrite::rewrite as rewrite_config;
pub(crate) use connection::REDIS_VERSION;
pub(crate) use introspection::command_ran;
pub(crate) use scripting::resume as resume_script;
pub(crate) use table::{lookup, Channels, CommandSpec, Flags, COMMANDS};
pub(crate) use transaction::{
    forget as forget_transaction, forget_session, invalidate_watches, Transaction,
};

pub(crate) fn command_names() -> impl Iterator<Item = &'static str> {
    table::COMMANDS.iter().map(|spec| spec.name)
}

/// Whether the command `name` is flagged `denyoom`.
pub(crate) fn adds_data(name: &[u8]) -> bool {
    lookup(name).is_some_and(|spec| spec.flags.contains(table::Flags::DENYOOM))
}

pub(crate) fn writes(name: &[u8]) -> bool {
    lookup(name).is_some_and(|spec| spec.flags.contains(table::Flags::WRITE))
}

/// A command's failure, sent as an error reply. The text carries its code (`ERR`, `WRONGTYPE`).
/// Bytes, not `str`: Redis quotes arguments into errors as they are, invalid UTF-8 included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandError(Cow<'static, [u8]>);

impl CommandError {
    pub(crate) fn owned(text: String) -> CommandError {
        CommandError(Cow::Owned(text.into_bytes()))
    }

    /// The parts joined, for errors that quote an argument's bytes.
    pub(crate) fn concat(parts: &[&[u8]]) -> CommandError {
        CommandError(Cow::Owned(parts.concat()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&'static str> for CommandError {
    fn from(text: &'static str) -> CommandError {
        CommandError(Cow::Borrowed(text.as_bytes()))
    }
}

pub(crate) type CommandResult = Result<(), CommandError>;

pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(crate) const SYNTAX: &str = "ERR syntax error";
pub(crate) const NO_SUCH_KEY: &str = "ERR no such key";
pub(crate) const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub(crate) const STRING_TOO_LONG: &str =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// `-ERR wrong number of arguments for 'name' command`; subcommands are named `client|setname`.
pub(crate) fn wrong_arity(name: &str) -> CommandError {
    CommandError::owned(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

pub(crate) fn unknown_subcommand(subcommand: &[u8], command: &str) -> CommandError {
    CommandError::concat(&[
        b"ERR unknown subcommand '",
        truncated(subcommand, 128),
        b"'. Try ",
        command.as_bytes(),
        b" HELP.",
    ])
}

/// What C's `%.{max}s` prints of `bytes`: at most `max` bytes, stopping at a NUL.
/// Redis's reply when a subcommand that counts its own arguments gets too many.
pub(crate) fn subcommand_syntax(subcommand: &[u8], command: &str) -> CommandError {
    CommandError::concat(&[
        b"ERR unknown subcommand or wrong number of arguments for '",
        c_string(subcommand),
        b"'. Try ",
        command.as_bytes(),
        b" HELP.",
    ])
}

fn truncated(bytes: &[u8], max: usize) -> &[u8] {
    let c_text = c_string(bytes);
    &c_text[..c_text.len().min(max)]
}

/// `bytes` up to its first NUL: what Redis sees where it treats an argument as a C string
/// (`strcasecmp` option matching, `%s` in error texts).
pub(crate) fn c_string(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    &bytes[..end]
}

/// What a handler works with: the keyspace, the server's shared state, its own connection
/// (the session), a read-only view of the other connections, its reply and its effects. Not the
/// whole `Server`: what a command does to anything else, it records in `effects`.
pub(crate) struct Ctx<'call, 'reply> {
    pub(crate) keyspace: &'call mut Keyspace,
    pub(crate) state: &'call mut ServerState,
    /// The calling connection.
    pub(crate) session: &'call mut Connection,
    pub(crate) others: Others<'call>,
    pub(crate) effects: &'call mut Effects,
    pub(crate) id: ConnectionId,
    pub(crate) reply: &'call mut Reply<'reply>,
    /// The connection's selected database (SELECT changes it).
    pub(crate) db: usize,
    pub(crate) now: Now,
    /// False inside EXEC and on the book's door: a blocking command answers at once, and
    /// nothing waits for CLIENT PAUSE to end.
    pub(crate) may_block: bool,
    /// Set when the server runs a blocked client's command again because this key changed.
    pub(crate) ready_key: Option<&'call [u8]>,
    /// What a blocking command asked to wait for; the server reads it after the command.
    pub(crate) block: Option<BlockOn>,
    /// CLIENT PAUSE held the command back unrun: the server runs it again when the pause ends.
    pub(crate) postpone: bool,
    /// A script went past the busy threshold and waits to be resumed: no reply yet.
    pub(crate) suspended: bool,
    /// SAVE or SHUTDOWN asked for a save (`state.persistence.requested`) and answers when it
    /// is written: no reply yet.
    pub(crate) wait_for_save: bool,
}

impl Ctx<'_, '_> {
    pub(crate) fn db(&mut self) -> &mut Db {
        &mut self.keyspace.dbs[self.db]
    }

    /// Records this command's change as `args` for propagation, instead of the command as it
    /// was sent (for what would not replay alike: relative times, floating point, randomness).
    pub(crate) fn propagate(&mut self, args: &[&[u8]]) {
        self.keyspace.propagate(self.db, args);
    }

    /// Publishes the keyspace notification `event` of `class` for `key` in the command's
    /// database, if `notify-keyspace-events` asks for that class.
    pub(crate) fn notify(&mut self, class: notify::Class, event: &str, key: &[u8]) {
        self.notify_in(self.db, class, event, key);
    }

    /// `notify` for a key of database `db` (MOVE, COPY ... DB).
    pub(crate) fn notify_in(&mut self, db: usize, class: notify::Class, event: &str, key: &[u8]) {
        self.notify_new_keys();
        let flags = self.state.config.notify_keyspace_events;
        notify::publish(
            self.effects,
            &self.state.pubsub,
            flags,
            class,
            db,
            event,
            key,
        );
    }

    /// `new` for the keys created so far, which come before the event of the change that
    /// created them, as in Redis.
    fn notify_new_keys(&mut self) {
        let flags = self.state.config.notify_keyspace_events;
        if flags & notify::NEW == 0 {
            return;
        }
        for (db, keyspace) in self.keyspace.dbs.iter_mut().enumerate() {
            for key in keyspace.take_new_keys() {
                let pubsub = &self.state.pubsub;
                notify::publish(self.effects, pubsub, flags, notify::NEW, db, "new", &key);
            }
        }
    }

    /// Whether changes are being recorded for propagation (to skip building a rewrite).
    pub(crate) fn propagating(&self) -> bool {
        self.keyspace.propagating()
    }

    /// Every open connection, the caller's included, in client-id order (CLIENT LIST).
    pub(crate) fn connections(&self) -> Vec<(ConnectionId, &Connection)> {
        let mut all: Vec<(ConnectionId, &Connection)> = self.others.iter().collect();
        all.push((self.id, &*self.session));
        all.sort_unstable_by_key(|(_, connection)| connection.client_id);
        all
    }
}

/// An inclusive range of positions as LRANGE, LTRIM and ZRANGE read one (negative counts from
/// the end, clamped to the collection), as the first index and the number of elements (0 for
/// an empty range).
pub(crate) fn index_range(start: i64, stop: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        stop + len
    } else {
        stop.min(len - 1)
    };
    if start > stop || start >= len {
        (0, 0)
    } else {
        (start as usize, (stop - start + 1) as usize)
    }
}

/// Deletes `key` if its collection became empty (Redis never keeps an empty collection).
pub(crate) fn delete_if_empty(ctx: &mut Ctx<'_, '_>, key: &[u8]) {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if db.get(now, key).is_some_and(Value::is_empty_collection) {
        db.remove(now, key);
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Runs one parsed command, writing its reply; inside MULTI, queues it. The entry for every
/// command of the RESP door (the book's door has `book::dispatch_book`).
pub(crate) fn dispatch(ctx: &mut Ctx<'_, '_>, args: Args<'_>) {
    let start = ctx.reply.out.len();
    let resolved = resolve(ctx.session, &ctx.state.config, args);
    if ctx.session.replaying {
        // The append-only file's commands ran once already: nothing refuses them now.
        dispatch_resolved(ctx, args, resolved);
        return;
    }
    let resolved = resolved
        .and_then(|spec| refuse_without_permission(ctx, spec, args))
        .and_then(|spec| refuse_if_out_of_memory(ctx, spec))
        .and_then(|spec| refuse_without_replicas(&ctx.state.config, spec))
        .and_then(|spec| refuse_on_disk_error(ctx.state, ctx.session, spec))
        .and_then(|spec| refuse_out_of_context(ctx.session, spec))
        .and_then(|spec| refuse_while_loading(ctx.state, spec, args))
        .and_then(|spec| refuse_if_busy(ctx, spec, args));
    if resolved.is_err() {
        if let Some(spec) = lookup(args.get(0).unwrap_or(b"")) {
            introspection::command_rejected(ctx, spec, args);
        }
    }
    let spec = resolved.as_ref().ok().copied();
    if let Some(spec) = spec {
        if control::is_paused(ctx, spec, args) {
            ctx.postpone = true;
            return;
        }
    }
    let pushes = resolved.as_ref().is_ok_and(|spec| {
        spec.flags
            .contains(table::Flags::PUBSUB.or(table::Flags::PUBSUB_CONTEXT))
    });
    let ran = dispatch_resolved(ctx, args, resolved);
    // A command that ran counted its own error (`run`); a refusal is counted here.
    if let (false, Some(error)) = (
        ran,
        ctx.reply
            .out
            .get(start..)
            .and_then(|reply| reply.strip_prefix(b"-")),
    ) {
        ctx.state.stats.record_error(error);
    }
    if let Some(spec) = spec {
        tracking::end_caching(ctx, spec);
    }
    // CLIENT REPLY: the reply is written, then dropped.
    let mode = &mut ctx.session.reply_mode;
    match *mode {
        ReplyMode::On => {}
        ReplyMode::SkipNext => *mode = ReplyMode::Skip,
        ReplyMode::Off | ReplyMode::Skip => {
            if !pushes {
                ctx.reply.out.truncate(start);
            }
            if *mode == ReplyMode::Skip {
                *mode = ReplyMode::On;
            }
        }
    }
}

/// Runs the command, queues it, or answers its refusal; true when it ran (`run`).
fn dispatch_resolved(
    ctx: &mut Ctx<'_, '_>,
    args: Args<'_>,
    resolved: Result<&'static CommandSpec, CommandError>,
) -> bool {
    let queue_bytes_max = ctx.state.config.query_buffer_bytes_max;
    if let Err(error) = &resolved {
        if lookup(args.get(0).unwrap_or(b"")).is_some_and(|spec| spec.name == "exec") {
            // A refused EXEC ends the transaction, as Redis's `execCommandAbort` does.
            transaction::abort_exec(ctx, error);
            return false;
        }
    }
    let ran = resolved.is_ok();
    let Some(transaction) = ctx.session.transaction.as_deref_mut() else {
        match resolved {
            Ok(spec) => run(ctx, spec, args),
            Err(error) => ctx.reply.error(error.as_bytes()),
        }
        return ran;
    };
    let spec = match resolved {
        Ok(spec) if spec.flags.contains(table::Flags::NOT_QUEUED) => {
            run(ctx, spec, args);
            return true;
        }
        Ok(spec) => spec,
        Err(error) => {
            // Redis's flagTransaction: a command refused while queuing dooms the EXEC.
            transaction.aborted = true;
            ctx.reply.error(error.as_bytes());
            return false;
        }
    };
    // An aborted transaction keeps nothing more (Redis does not either); it still says QUEUED.
    if !transaction.aborted {
        if let Err(error) = transaction.queue(spec, args, queue_bytes_max) {
            transaction.aborted = true;
            ctx.reply.error(error.as_bytes());
            return false;
        }
    }
    ctx.session.last_command = spec.name;
    ctx.session.last_subcommand = spec
        .subcommand_named(args)
        .map(|subcommand| subcommand.name);
    ctx.reply.simple("QUEUED");
    false
}

/// Finds the command and checks it may run as Redis's `processCommand` does, in its order:
/// the name, the arity, whether a protected command is enabled, authentication, then what a
/// transaction forbids. The other checks follow (`dispatch`).
fn resolve(
    session: &Connection,
    config: &crate::config::Config,
    args: Args<'_>,
) -> Result<&'static CommandSpec, CommandError> {
    let name = args.get(0).unwrap_or(b"");
    let spec = lookup(name).ok_or_else(|| unknown_command(args))?;
    let count = args.len() as i32;
    if (spec.arity > 0 && count != spec.arity) || count < -spec.arity {
        return Err(wrong_arity(spec.name));
    }
    if let (false, Some(name)) = (spec.subcommands.is_empty(), args.get(1)) {
        let subcommand = spec
            .subcommand_by_name(name)
            .ok_or_else(|| unknown_subcommand(name, &spec.name.to_ascii_uppercase()))?;
        let arity = subcommand.arity;
        if (arity > 0 && count != arity) || count < -arity {
            return Err(wrong_arity(&table::full_name(spec, subcommand)));
        }
    }
    if spec.flags.contains(table::Flags::PROTECTED)
        && !config
            .enable_debug_command
            .allows(crate::config::is_local_peer(&session.peer))
    {
        return Err(DEBUG_NOT_ALLOWED.into());
    }
    if !session.authenticated && !spec.flags.contains(table::Flags::NO_AUTH) {
        return Err("NOAUTH Authentication required.".into());
    }
    if session.transaction.is_some() && spec.flags.contains(table::Flags::NO_MULTI) {
        return Err("ERR Command not allowed inside a transaction".into());
    }
    Ok(spec)
}

/// A MONITOR connection may not touch the keyspace, and a RESP2 subscriber runs only the
/// pub/sub context's commands (checked after permissions and memory, as Redis does).
fn refuse_out_of_context(
    session: &Connection,
    spec: &'static CommandSpec,
) -> Result<&'static CommandSpec, CommandError> {
    if session.monitor
        && spec.flags.intersects(
            table::Flags::WRITE
                .or(table::Flags::READONLY)
                .or(table::Flags::MAY_REPLICATE),
        )
    {
        return Err("ERR Replica can't interact with the keyspace".into());
    }
    if !session.resp3
        && session.subscriptions.any()
        && !spec.flags.contains(table::Flags::PUBSUB_CONTEXT)
    {
        return Err(CommandError::owned(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context",
            spec.name
        )));
    }
    Ok(spec)
}

/// The connection's user must be allowed the command, its keys and its channels (ACL).
fn refuse_without_permission(
    ctx: &mut Ctx<'_, '_>,
    spec: &'static CommandSpec,
    args: Args<'_>,
) -> Result<&'static CommandSpec, CommandError> {
    let context = if ctx.session.transaction.is_some() {
        crate::acl::log::Context::Multi
    } else {
        crate::acl::log::Context::Toplevel
    };
    acl::check_permission(ctx, spec, args, context)?;
    Ok(spec)
}

/// Redis's refusal of DEBUG when `enable-debug-command` does not allow it.
const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command \
     option is set to \"local\", you can run it from a local connection, otherwise you need to \
     set this option in the configuration file, and then restart the server.";

pub(crate) const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// Redis's refusal of writes while the data cannot be saved.
pub(crate) const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's \
     currently unable to persist to disk. Commands that may modify the data set are disabled, \
     because this instance is configured to report errors during writes if RDB snapshotting \
     fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
     the RDB error.";

/// With `maxmemory` set, every command first evicts what the policy allows (unless a script is
/// suspended). If memory is still over the limit with nothing left to evict, commands that may
/// add data are refused, and so is everything queued in a transaction but EXEC, DISCARD, QUIT
/// and RESET, as Redis's `processCommand` refuses them; an EXEC that would run such a command is
/// refused too. A blocked client's command served because its key changed is not checked
/// again: it was let in when it came, as in Redis.
fn refuse_if_out_of_memory(
    ctx: &mut Ctx<'_, '_>,
    spec: &'static CommandSpec,
) -> Result<&'static CommandSpec, CommandError> {
    if ctx.ready_key.is_some()
        || !crate::eviction::before_command(ctx.keyspace, ctx.state, ctx.effects)
    {
        return Ok(spec);
    }
    let transaction = ctx.session.transaction.as_deref();
    let refused = spec.flags.contains(table::Flags::DENYOOM)
        || match spec.name {
            "exec" => transaction.is_some_and(transaction::Transaction::may_add_data),
            "discard" | "quit" | "reset" => false,
            _ => transaction.is_some(),
        };
    if refused {
        return Err(crate::eviction::OOM.into());
    }
    Ok(spec)
}

/// While the last save failed (with save points set and `stop-writes-on-bgsave-error`) or the
/// append-only file is broken, write commands (and PING, as in Redis) are refused until a save
/// or a rewrite succeeds.
fn refuse_on_disk_error(
    state: &crate::state::ServerState,
    session: &Connection,
    spec: &'static CommandSpec,
) -> Result<&'static CommandSpec, CommandError> {
    match disk_error(state) {
        Some(error) if writes_or_pings(session, spec) => Err(error),
        _ => Ok(spec),
    }
}

/// The error a write gets while the data cannot be persisted, if it cannot.
pub(crate) fn disk_error(state: &crate::state::ServerState) -> Option<CommandError> {
    let config = &state.config;
    let save_failed = config.stop_writes_on_bgsave_error
        && !config.save_points.is_empty()
        && !state.persistence.last_save_ok;
    if save_failed {
        return Some(MISCONF.into());
    }
    let error = state.aof.broken.as_ref()?;
    Some(CommandError::owned(format!(
        "MISCONF Errors writing to the AOF file: {error}"
    )))
}

/// A command whose reply waits for the disk, where no reply can wait: inside EXEC, in a
/// script, on the book's door.
pub(crate) const NO_WAITING_HERE: &str =
    "ERR This command waits for the disk and cannot run inside MULTI, a script or the book's \
     protocol";

/// Redis's answer while the dataset loads.
pub(crate) const LOADING: &str = "LOADING Redis is loading the dataset in memory";

/// While the dataset loads, only commands flagged `loading` run (INFO, CONFIG, AUTH, HELLO,
/// ...).
fn refuse_while_loading(
    state: &crate::state::ServerState,
    spec: &'static CommandSpec,
    args: Args<'_>,
) -> Result<&'static CommandSpec, CommandError> {
    if state.loading_dataset && !spec.flags_for(args).contains(table::Flags::LOADING) {
        return Err(LOADING.into());
    }
    Ok(spec)
}

/// What a disk error refuses, as Redis judges it: a write command, an EXEC of a transaction
/// that queued one, and PING.
fn writes_or_pings(session: &Connection, spec: &'static CommandSpec) -> bool {
    let exec_writes = spec.name == "exec"
        && session
            .transaction
            .as_deref()
            .is_some_and(|transaction| transaction.any_flagged(table::Flags::WRITE));
    spec.flags.contains(table::Flags::WRITE) || spec.name == "ping" || exec_writes
}

/// With `min-replicas-to-write` set, write commands are refused: there are no replicas.
fn refuse_without_replicas(
    config: &crate::config::Config,
    spec: &'static CommandSpec,
) -> Result<&'static CommandSpec, CommandError> {
    if config.writes_need_replicas() && spec.flags.contains(table::Flags::WRITE) {
        return Err(NOREPLICAS.into());
    }
    Ok(spec)
}

/// While a script is suspended past its busy threshold, only what may stop or survive it runs
/// (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, AUTH and the like); the rest gets `-BUSY`.
fn refuse_if_busy(
    ctx: &Ctx<'_, '_>,
    spec: &'static CommandSpec,
    args: Args<'_>,
) -> Result<&'static CommandSpec, CommandError> {
    let Some(kind) = ctx.state.scripts.busy else {
        return Ok(spec);
    };
    let allowed = spec.flags.contains(table::Flags::ALLOW_BUSY)
        || args.get(1).is_some_and(|name| {
            spec.subcommands.iter().any(|subcommand| {
                subcommand.allow_busy && args::is_subcommand(name, subcommand.name)
            })
        });
    if allowed {
        return Ok(spec);
    }
    Err(match kind {
        crate::script::Kind::Eval => scripting::BUSY_EVAL.into(),
        crate::script::Kind::Function => scripting::BUSY_FUNCTION.into(),
    })
}

/// Runs a resolved command. An error reply replaces whatever the command had written of its
/// reply before it failed, so a reply is always whole (this matters inside EXEC's array).
pub(crate) fn run(ctx: &mut Ctx<'_, '_>, spec: &'static CommandSpec, args: Args<'_>) {
    ctx.session.last_command = spec.name;
    ctx.session.last_subcommand = spec
        .subcommand_named(args)
        .map(|subcommand| subcommand.name);
    ctx.db = ctx.session.db;
    let db = ctx.db;
    let mark = ctx.keyspace.propagation_mark();
    let reply_start = ctx.reply.out.len();
    let mut cursor = ArgCursor::new(args, 1);
    let monitor_first = spec.flags.contains(table::Flags::SKIP_MONITOR);
    if monitor_first {
        control::feed_monitors(ctx, spec, args);
    }
    let started = ctx.state.introspect.stopwatch.last();
    if let Err(error) = (spec.handler)(ctx, &mut cursor) {
        ctx.reply.out.truncate(reply_start);
        ctx.reply.error(error.as_bytes());
    }
    let micros = ctx.state.introspect.stopwatch.lap().saturating_sub(started);
    // A command that waits for a key is counted when it answers; the file's commands at
    // load are not counted at all, as in Redis.
    let counted = std::mem::take(&mut ctx.state.stats.reply_error_counted);
    if ctx.block.is_none() && !ctx.session.replaying {
        let error = ctx
            .reply
            .out
            .get(reply_start..)
            .and_then(|reply| reply.strip_prefix(b"-"));
        if let (Some(error), false) = (error, counted) {
            ctx.state.stats.record_error(error);
        }
        let failed = error.is_some();
        introspection::command_ran(
            ctx.state,
            ctx.effects,
            ctx.session,
            spec,
            args,
            micros,
            failed,
        );
    }
    ctx.notify_new_keys();
    if !monitor_first {
        control::feed_monitors(ctx, spec, args);
    }
    tracking::after_command(ctx, spec, args);
    if let Some(mark) = mark {
        let write = spec.flags.contains(table::Flags::WRITE);
        ctx.keyspace.propagate_command(db, args, write, mark);
    }
}

/// Redis's text: `unknown command 'x', with args beginning with: 'a' 'b' `, the arguments cut
/// once their text reaches 128 bytes.
fn unknown_command(args: Args<'_>) -> CommandError {
    let name = args.get(0).unwrap_or(b"");
    let mut listed = Vec::new();
    for arg in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push(b'\'');
        listed.extend_from_slice(truncated(arg, room));
        listed.extend_from_slice(b"' ");
    }
    CommandError::concat(&[
        b"ERR unknown command '",
        truncated(name, 128),
        b"', with args beginning with: ",
        &listed,
    ])
}
