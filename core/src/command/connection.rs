//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT, CLIENT.

use super::args::{is_option, is_subcommand};
use super::keys::parse_db_index;
use super::{
    c_string, unknown_subcommand, wrong_arity, ArgCursor, CommandError, CommandResult, Ctx, SYNTAX,
};
use crate::acl::log as acl_log;
use crate::clients::ConnectionId;
use crate::connection::{CloseReason, Connection, ReplyMode, REPLY_BUFFER_BYTES};
use crate::pubsub::Kind;
use crate::util::number::parse_i64;

/// The version HELLO and INFO report: the Redis release whose behaviour ferrodis follows, so that
/// client libraries that branch on it take their Redis 7.0 paths.
pub(crate) const REDIS_VERSION: &str = "7.0.15";

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// PING [message]
pub(crate) fn ping(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if !ctx.reply.resp3 && ctx.session.subscriptions.any() {
        // A RESP2 subscriber reads everything as messages: PING answers as one.
        let text = match args.remaining() {
            0 => &b""[..],
            1 => args.next_bytes()?,
            _ => return Err(wrong_arity("ping")),
        };
        ctx.reply.array(2);
        ctx.reply.bulk(b"pong");
        ctx.reply.bulk(text);
        return Ok(());
    }
    match args.remaining() {
        0 => ctx.reply.simple("PONG"),
        1 => ctx.reply.bulk(args.next_bytes()?),
        _ => return Err(wrong_arity("ping")),
    }
    Ok(())
}

/// ECHO message
pub(crate) fn echo(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    ctx.reply.bulk(args.next_bytes()?);
    Ok(())
}

/// QUIT: +OK, then the connection closes.
pub(crate) fn quit(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    ctx.reply.ok();
    ctx.effects.close(ctx.id, CloseReason::Quit);
    Ok(())
}

/// RESET: back to a fresh connection's state (db 0, RESP2, no name, the default user, and
/// unauthenticated if that user needs a password).
pub(crate) fn reset(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let authenticated = ctx.state.acl.default_needs_no_password();
    super::forget_session(ctx.keyspace, ctx.session, ctx.id);
    ctx.state
        .pubsub
        .forget(&mut ctx.session.subscriptions, ctx.id);
    super::control::stop_monitor(ctx);
    super::tracking::stop(ctx);
    let connection = &mut *ctx.session;
    connection.db = 0;
    connection.resp3 = false;
    connection.reply_mode = ReplyMode::On;
    connection.name = None;
    connection.authenticated = authenticated;
    connection.user = crate::acl::DEFAULT_USER.to_vec();
    ctx.db = 0;
    ctx.reply.resp3 = false;
    ctx.reply.simple("RESET");
    Ok(())
}

/// Logs the connection in as `user` if `password` is one of its passwords (or it has
/// `nopass`) and it is on. A failure is noted in ACL LOG (as Redis does, in the `multi`
/// context when EXEC runs it); its error is returned.
fn log_in(ctx: &mut Ctx<'_, '_>, command: &[u8], user: &[u8], password: &[u8]) -> CommandResult {
    if ctx.state.acl.authenticate(user, password) {
        ctx.session.authenticated = true;
        ctx.session.user = user.to_vec();
        return Ok(());
    }
    let command = command.to_vec();
    let context = if ctx.session.in_exec {
        acl_log::Context::Multi
    } else {
        acl_log::Context::Toplevel
    };
    super::acl::record(ctx, acl_log::Reason::Auth, context, command, user.to_vec());
    Err(WRONGPASS.into())
}

/// AUTH [username] password
pub(crate) fn auth(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let (user, password) = match args.remaining() {
        1 => {
            let nopass = ctx
                .state
                .acl
                .get(crate::acl::DEFAULT_USER)
                .is_some_and(|user| user.nopass);
            if nopass {
                return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
            }
            (crate::acl::DEFAULT_USER, args.next_bytes()?)
        }
        2 => (args.next_bytes()?, args.next_bytes()?),
        _ => return Err(SYNTAX.into()),
    };
    log_in(ctx, args.command_name(), user, password)?;
    ctx.reply.ok();
    Ok(())
}

/// Redis allows client names of printable ASCII without spaces.
fn validate_client_name(name: &[u8]) -> CommandResult {
    if name.iter().all(|&byte| (b'!'..=b'~').contains(&byte)) {
        Ok(())
    } else {
        Err("ERR Client names cannot contain spaces, newlines or special characters.".into())
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub(crate) fn hello(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut version = None;
    if args.remaining() > 0 {
        let requested = parse_i64(args.next_bytes()?).ok_or(CommandError::from(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&requested) {
            return Err("NOPROTO unsupported protocol version".into());
        }
        version = Some(requested);
    }
    let mut credentials = None;
    let mut name = None;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if is_option(option, "AUTH") && args.remaining() >= 2 {
            credentials = Some((args.next_bytes()?, args.next_bytes()?));
        } else if is_option(option, "SETNAME") && args.remaining() >= 1 {
            let requested = args.next_bytes()?;
            validate_client_name(requested)?;
            name = Some(requested);
        } else {
            return Err(CommandError::concat(&[
                b"ERR Syntax error in HELLO option '",
                c_string(option),
                b"'",
            ]));
        }
    }
    if let Some((user, password)) = credentials {
        log_in(ctx, args.command_name(), user, password)?;
    }
    if !ctx.session.authenticated {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    let connection = &mut *ctx.session;
    if let Some(name) = name {
        connection.name = (!name.is_empty()).then(|| name.to_vec());
    }
    if let Some(version) = version {
        connection.resp3 = version == 3;
    }
    let resp3 = connection.resp3;
    let client_id = connection.client_id;
    ctx.reply.resp3 = resp3;
    ctx.reply.map(7);
    ctx.reply.bulk(b"server");
    ctx.reply.bulk(b"redis");
    ctx.reply.bulk(b"version");
    ctx.reply.bulk(REDIS_VERSION.as_bytes());
    ctx.reply.bulk(b"proto");
    ctx.reply.integer(if resp3 { 3 } else { 2 });
    ctx.reply.bulk(b"id");
    ctx.reply.integer(client_id as i64);
    ctx.reply.bulk(b"mode");
    ctx.reply.bulk(b"standalone");
    ctx.reply.bulk(b"role");
    ctx.reply.bulk(b"master");
    ctx.reply.bulk(b"modules");
    ctx.reply.array(0);
    Ok(())
}

/// SELECT index
pub(crate) fn select(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let index = parse_db_index(ctx, args.next_bytes()?)?;
    ctx.session.db = index;
    ctx.db = index;
    ctx.reply.ok();
    Ok(())
}

/// CLIENT ID | SETNAME | GETNAME | LIST | INFO | KILL | HELP
pub(crate) fn client(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    let remaining = args.remaining();
    let arity = |name: &str, ok: bool| if ok { Ok(()) } else { Err(wrong_arity(name)) };
    if is_subcommand(subcommand, "ID") {
        arity("client|id", remaining == 0)?;
        let id = ctx.session.client_id;
        ctx.reply.integer(id as i64);
    } else if is_subcommand(subcommand, "SETNAME") {
        arity("client|setname", remaining == 1)?;
        let name = args.next_bytes()?;
        validate_client_name(name)?;
        ctx.session.name = (!name.is_empty()).then(|| name.to_vec());
        ctx.reply.ok();
    } else if is_subcommand(subcommand, "GETNAME") {
        arity("client|getname", remaining == 0)?;
        match ctx.session.name.clone() {
            Some(name) => ctx.reply.bulk(&name),
            None => ctx.reply.null(),
        }
    } else if is_subcommand(subcommand, "LIST") {
        client_list(ctx, args)?;
    } else if is_subcommand(subcommand, "INFO") {
        arity("client|info", remaining == 0)?;
        let mut text = String::new();
        describe_client(ctx, ctx.id, ctx.session, &mut text);
        ctx.reply.verbatim(text.as_bytes());
    } else if is_subcommand(subcommand, "KILL") {
        arity("client|kill", remaining >= 1)?;
        client_kill(ctx, args)?;
    } else if is_subcommand(subcommand, "UNBLOCK") {
        client_unblock(ctx, args)?;
    } else if is_subcommand(subcommand, "REPLY") {
        let mode = args.next_bytes()?;
        if is_option(mode, "ON") {
            ctx.session.reply_mode = ReplyMode::On;
            ctx.reply.ok();
        } else if is_option(mode, "OFF") {
            ctx.session.reply_mode = ReplyMode::Off;
        } else if is_option(mode, "SKIP") {
            if ctx.session.reply_mode != ReplyMode::Off {
                ctx.session.reply_mode = ReplyMode::SkipNext;
            }
        } else {
            return Err(super::SYNTAX.into());
        }
    } else if is_subcommand(subcommand, "PAUSE") {
        super::control::pause(ctx, subcommand, args)?;
    } else if is_subcommand(subcommand, "UNPAUSE") {
        super::control::unpause(ctx)?;
    } else if is_subcommand(subcommand, "TRACKING") {
        super::tracking::client_tracking(ctx, args)?;
    } else if is_subcommand(subcommand, "CACHING") {
        super::tracking::client_caching(ctx, args)?;
    } else if is_subcommand(subcommand, "GETREDIR") {
        super::tracking::client_getredir(ctx)?;
    } else if is_subcommand(subcommand, "TRACKINGINFO") {
        super::tracking::client_trackinginfo(ctx)?;
    } else if is_subcommand(subcommand, "NO-EVICT") {
        super::control::no_evict(ctx, args)?;
    } else if is_subcommand(subcommand, "HELP") {
        let lines = [
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "HELP",
            "    Print this help.",
        ];
        ctx.reply.help(&lines);
    } else {
        return Err(unknown_subcommand(subcommand, "CLIENT"));
    }
    Ok(())
}

/// The kinds of client CLIENT LIST and CLIENT KILL filter by. There are no masters or
/// replicas; a monitor is a normal client, as Redis counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    Replication,
}

impl ClientType {
    fn parse(name: &[u8]) -> Result<ClientType, CommandError> {
        if is_option(name, "NORMAL") {
            Ok(ClientType::Normal)
        } else if is_option(name, "PUBSUB") {
            Ok(ClientType::Pubsub)
        } else if ["MASTER", "REPLICA", "SLAVE"]
            .iter()
            .any(|kind| is_option(name, kind))
        {
            Ok(ClientType::Replication)
        } else {
            Err(CommandError::concat(&[
                b"ERR Unknown client type '",
                c_string(name),
                b"'",
            ]))
        }
    }

    fn of(connection: &Connection) -> ClientType {
        if connection.subscriptions.any() {
            ClientType::Pubsub
        } else {
            ClientType::Normal
        }
    }
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]
fn client_list(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut only_ids: Option<Vec<u64>> = None;
    let mut only_type = None;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if is_option(option, "TYPE") && args.remaining() > 0 {
            only_type = Some(ClientType::parse(args.next_bytes()?)?);
        } else if is_option(option, "ID") && args.remaining() > 0 {
            let mut ids = Vec::new();
            for arg in args.rest() {
                match parse_i64(arg) {
                    Some(id) if id > 0 => ids.push(id as u64),
                    _ => return Err("ERR Invalid client ID".into()),
                }
            }
            only_ids = Some(ids);
        } else {
            return Err(SYNTAX.into());
        }
    }
    let mut text = String::new();
    {
        for (id, connection) in ctx.connections() {
            if only_type.is_some_and(|wanted| wanted != ClientType::of(connection)) {
                continue;
            }
            if only_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&connection.client_id))
            {
                describe_client(ctx, id, connection, &mut text);
            }
        }
    }
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// One CLIENT LIST line, in Redis 7.0's field order.
pub(super) fn describe_client(
    ctx: &Ctx<'_, '_>,
    id: ConnectionId,
    connection: &Connection,
    out: &mut String,
) {
    use std::fmt::Write;
    let now = ctx.now.monotonic;
    let age = now.millis_since(connection.created) / 1000;
    let idle = now.millis_since(connection.last_interaction) / 1000;
    let name = connection
        .name
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let command = match connection.last_subcommand {
        Some(subcommand) => format!(
            "{}|{}",
            connection.last_command,
            subcommand.to_ascii_lowercase()
        ),
        None => connection.last_command.to_string(),
    };
    let (query_bytes, query_free, argv_bytes) = if id == ctx.id {
        let in_flight = connection.in_flight;
        (
            in_flight.query_bytes,
            in_flight.query_free,
            in_flight.argv_bytes,
        )
    } else {
        let query = &connection.query;
        (query.len(), query.capacity() - query.len(), 0)
    };
    // While its command runs, the caller's reply buffer is the one being written (`ctx.reply`),
    // and its socket is being read.
    let (reply_capacity, reply_pending, events) = if id == ctx.id {
        let pending = ctx.reply.out.len().saturating_sub(connection.reply_sent);
        (ctx.reply.out.capacity(), pending, "r")
    } else {
        let events = match connection.interest() {
            interest if interest.read && interest.write => "rw",
            interest if interest.write => "w",
            interest if interest.read => "r",
            _ => "",
        };
        (
            connection.reply.capacity(),
            connection.reply_pending_bytes(),
            events,
        )
    };
    // Redis's output buffer: its first 16 KiB (`obl`), then a list of 16 KiB blocks (`oll`)
    // holding `omem` bytes, which the output limits count.
    let overflow = reply_pending.saturating_sub(REPLY_BUFFER_BYTES);
    // Redis's flags, in its order: O monitor, P subscribed, x inside MULTI, b blocked (on keys
    // or by a pause), t tracking (R its redirect is gone, B broadcasting), d once a watched
    // key changed, e no-evict, N for none.
    let mut flags = String::new();
    for (set, flag) in [
        (connection.monitor, 'O'),
        (connection.subscriptions.any(), 'P'),
        (connection.transaction.is_some(), 'x'),
        (connection.waiting(), 'b'),
        (connection.tracking.is_some(), 't'),
        (
            connection
                .tracking
                .as_ref()
                .is_some_and(|t| t.broken_redirect),
            'R',
        ),
        (connection.tracking.as_ref().is_some_and(|t| t.bcast), 'B'),
        (connection.watch_invalidated, 'd'),
        (connection.no_evict, 'e'),
    ] {
        if set {
            flags.push(flag);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let subscriptions = &connection.subscriptions;
    let (multi, multi_bytes) = connection
        .transaction
        .as_ref()
        .map_or((-1, 0), |transaction| {
            (transaction.len() as i64, transaction.memory_bytes())
        });
    let _ = writeln!(
        out,
        "id={} addr={} laddr={}:{} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} \
         omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
        connection.client_id,
        connection.peer,
        ctx.state.config.bind,
        ctx.state.config.port,
        connection.fd,
        name,
        age,
        idle,
        flags,
        connection.db,
        subscriptions.names(Kind::Channel).count(),
        subscriptions.names(Kind::Pattern).count(),
        subscriptions.names(Kind::Shard).count(),
        multi,
        query_bytes,
        query_free,
        argv_bytes,
        multi_bytes,
        reply_capacity,
        reply_pending,
        reply_pending.min(REPLY_BUFFER_BYTES),
        overflow.div_ceil(REPLY_BUFFER_BYTES),
        overflow,
        connection.buffer_bytes() + reply_capacity - connection.reply.capacity(),
        events,
        command,
        String::from_utf8_lossy(&connection.user),
        super::tracking::redirect_id(connection.tracking.as_deref()),
        if connection.resp3 { 3 } else { 2 },
    );
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: 1 if that client was blocked on keys (it then
/// answers as at its timeout, or with an UNBLOCKED error), 0 otherwise.
fn client_unblock(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let client_id = parse_i64(args.next_bytes()?).ok_or(super::NOT_INTEGER)?;
    let error = match args.next_bytes() {
        Err(_) => false,
        Ok(how) if is_option(how, "TIMEOUT") => false,
        Ok(how) if is_option(how, "ERROR") => true,
        Ok(_) => return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into()),
    };
    let target = ctx
        .others
        .iter()
        .find(|(_, connection)| {
            connection.client_id as i64 == client_id && connection.blocked.is_some()
        })
        .map(|(id, _)| id);
    match target {
        Some(id) => {
            ctx.effects.unblock(id, error);
            ctx.reply.integer(1);
        }
        None => ctx.reply.integer(0),
    }
    Ok(())
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [TYPE type]
/// [USER name] [SKIPME yes|no]
fn client_kill(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if args.remaining() == 1 {
        // The old form: kill by address, +OK or an error.
        let address = args.next_bytes()?;
        let target = ctx
            .connections()
            .into_iter()
            .find(|(_, connection)| connection.peer.as_bytes() == address)
            .map(|(id, _)| id);
        let Some(target) = target else {
            return Err("ERR No such client".into());
        };
        ctx.effects.close(target, CloseReason::Killed);
        ctx.reply.ok();
        return Ok(());
    }
    let mut by_id = None;
    let mut by_address: Option<&[u8]> = None;
    let mut by_local_address: Option<&[u8]> = None;
    let mut by_user: Option<&[u8]> = None;
    let mut only_type = None;
    let mut skip_me = true;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if args.remaining() == 0 {
            return Err(SYNTAX.into());
        }
        let value = args.next_bytes()?;
        if is_option(option, "ID") {
            match parse_i64(value) {
                Some(id) if id > 0 => by_id = Some(id as u64),
                _ => return Err("ERR client-id should be greater than 0".into()),
            }
        } else if is_option(option, "ADDR") {
            by_address = Some(value);
        } else if is_option(option, "LADDR") {
            by_local_address = Some(value);
        } else if is_option(option, "USER") {
            if ctx.state.acl.get(value).is_none() {
                return Err(CommandError::concat(&[
                    b"ERR No such user '",
                    c_string(value),
                    b"'",
                ]));
            }
            by_user = Some(value);
        } else if is_option(option, "TYPE") {
            only_type = Some(ClientType::parse(value)?);
        } else if is_option(option, "SKIPME") {
            if is_option(value, "YES") {
                skip_me = true;
            } else if is_option(value, "NO") {
                skip_me = false;
            } else {
                return Err(SYNTAX.into());
            }
        } else {
            return Err(SYNTAX.into());
        }
    }
    let local_address = format!("{}:{}", ctx.state.config.bind, ctx.state.config.port);
    let mut killed = 0;
    let mut targets = Vec::new();
    for (id, connection) in ctx.connections() {
        let matches = only_type.is_none_or(|wanted| wanted == ClientType::of(connection))
            && by_id.is_none_or(|wanted| wanted == connection.client_id)
            && by_address.is_none_or(|wanted| wanted == connection.peer.as_bytes())
            && by_local_address.is_none_or(|wanted| wanted == local_address.as_bytes())
            && by_user.is_none_or(|wanted| wanted == connection.user.as_slice())
            && !(skip_me && id == ctx.id)
            && connection.closing.is_none();
        if matches {
            targets.push(id);
            killed += 1;
        }
    }
    for id in targets {
        ctx.effects.close(id, CloseReason::Killed);
    }
    ctx.reply.integer(killed);
    Ok(())
}
