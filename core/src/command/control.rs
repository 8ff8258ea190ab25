//! Control over connections as a whole: CLIENT PAUSE and UNPAUSE, CLIENT NO-EVICT, MONITOR.
//!
//! A pause holds back the commands it covers (all, or those that write) before they run: the
//! command's arguments wait on the connection and the server runs them first when the pause
//! ends, by CLIENT UNPAUSE or at its end time. Meanwhile nothing expires. MONITOR writes every
//! command the server runs, as Redis formats it, to the monitors, through the same delivery
//! path as published messages.

use super::args::is_option;
use super::table::{CommandSpec, Flags};
use super::{subcommand_syntax, ArgCursor, CommandResult, Ctx, SYNTAX};
use crate::connection::Connection;
use crate::protocol::resp::Args;
use crate::state::Pause;
use crate::util::split_args::quote;

/// CLIENT PAUSE timeout [WRITE|ALL]: the timeout in milliseconds; a longer or stricter pause
/// in force stays (Redis keeps the later end and the stricter kind).
/// `subcommand` is PAUSE as it was sent, for the error.
pub(super) fn pause(
    ctx: &mut Ctx<'_, '_>,
    subcommand: &[u8],
    args: &mut ArgCursor<'_>,
) -> CommandResult {
    let timeout = args.next_bytes()?;
    let all = match args.remaining() {
        0 => true,
        1 => {
            let mode = args.next_bytes()?;
            if is_option(mode, "WRITE") {
                false
            } else if is_option(mode, "ALL") {
                true
            } else {
                return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into());
            }
        }
        _ => return Err(subcommand_syntax(subcommand, "CLIENT")),
    };
    let millis = std::str::from_utf8(timeout)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or("ERR timeout is not an integer or out of range")?;
    let millis = u64::try_from(millis).map_err(|_| "ERR timeout is negative")?;
    let end = ctx.now.monotonic.plus_millis(millis);
    let pause = match ctx.state.pause {
        Some(current) => Pause {
            end: current.end.max(end),
            all: current.all || all,
        },
        None => Pause { end, all },
    };
    ctx.state.pause = Some(pause);
    ctx.keyspace.pause_expiry(true);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT UNPAUSE: the server runs the held commands after this one.
pub(super) fn unpause(ctx: &mut Ctx<'_, '_>) -> CommandResult {
    ctx.state.pause = None;
    ctx.reply.ok();
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF: accepted and shown in CLIENT LIST (no client is evicted).
pub(super) fn no_evict(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mode = args.next_bytes()?;
    ctx.session.no_evict = if is_option(mode, "ON") {
        true
    } else if is_option(mode, "OFF") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    ctx.reply.ok();
    Ok(())
}

/// Whether a pause holds `spec` back now, sent by `session`: every command under a pause of
/// all, those that write or may (PUBLISH) under a pause of writes, and an EXEC that would run
/// such a command.
pub(super) fn is_paused(ctx: &Ctx<'_, '_>, spec: &CommandSpec, args: Args<'_>) -> bool {
    if ctx.state.pause.is_none() || !ctx.may_block || ctx.ready_key.is_some() {
        return false;
    }
    // A script or function that declares `no-writes` is no writer, as in Redis.
    let writes = spec.flags.intersects(Flags::WRITE.or(Flags::MAY_REPLICATE))
        && !super::scripting::declares_no_writes(ctx, spec, args)
        || (spec.name == "exec"
            && ctx
                .session
                .transaction
                .as_ref()
                .is_some_and(|transaction| transaction.writes()));
    ctx.state.paused(writes)
}

/// MONITOR: from now on every command the server runs is written to this connection. Refused
/// where a reply per command is expected (inside EXEC).
pub(super) fn monitor(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    if !ctx.may_block {
        return Err("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    if !ctx.session.monitor {
        ctx.session.monitor = true;
        ctx.state.monitors.insert(ctx.id);
        ctx.reply.ok();
    }
    Ok(())
}

/// Leaves MONITOR mode (RESET).
pub(super) fn stop_monitor(ctx: &mut Ctx<'_, '_>) {
    if ctx.session.monitor {
        ctx.session.monitor = false;
        ctx.state.monitors.remove(&ctx.id);
    }
}

/// Hands the command that just ran to the monitors, if any and if Redis shows it: not an
/// admin command, not a blocked client's command running again.
pub(super) fn feed_monitors(ctx: &mut Ctx<'_, '_>, spec: &CommandSpec, args: Args<'_>) {
    if ctx.state.monitors.is_empty()
        || spec.flags_for(args).contains(Flags::ADMIN)
        || ctx.ready_key.is_some()
    {
        return;
    }
    let line = monitor_line(ctx.now.wall.as_millis(), ctx.session.db, ctx.session, args);
    ctx.effects.monitor(line);
}

/// `+<seconds>.<microseconds> [<db> <address>] "arg" ...\r\n`, each argument quoted as Redis's
/// `sdscatrepr`, secrets redacted as Redis does (`introspection::secret_arguments`).
fn monitor_line(wall_millis: i64, db: usize, connection: &Connection, args: Args<'_>) -> Vec<u8> {
    let seconds = wall_millis.div_euclid(1000);
    let micros = wall_millis.rem_euclid(1000) * 1000;
    // A script's commands come from "lua", as Redis shows them.
    let source = if connection.script_client {
        "lua"
    } else {
        &connection.peer
    };
    let mut line = format!("+{seconds}.{micros:06} [{db} {source}]").into_bytes();
    let secret = super::introspection::secret_arguments(args);
    for (index, arg) in args.iter().enumerate() {
        line.push(b' ');
        if secret(index) {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote(&mut line, arg);
        }
    }
    line.extend_from_slice(b"\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_as_redis() {
        let mut out = Vec::new();
        quote(&mut out, b"a\"b\\c\n\r\t\x07\x08\x00\xff ~");
        assert_eq!(out, b"\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff ~\"".to_vec());
    }
}
