//! ACL: the ACL command, and the permission check every command goes through (at the top
//! level, queued in MULTI and again at EXEC, and called from scripts), with its ACL LOG
//! entries.

use super::args::is_subcommand;
use super::{subcommand_syntax, ArgCursor, CommandError, CommandResult, Ctx};
use crate::acl::category::{self, Categories};
use crate::acl::log::{Context, Entry, Field, Reason};
use crate::acl::user::{Denied, User};
use crate::acl::{commands, DEFAULT_USER};
use crate::command::CommandSpec;
use crate::connection::CloseReason;
use crate::output::Output;
use crate::persistence::DiskRequest;
use crate::persistence::FileOp;
use crate::protocol::resp::Args;
use crate::pubsub::Kind;
use crate::util::number::parse_i64;

/// GENPASS's longest password, in bits.
const GENPASS_BITS_MAX: i64 = 4096;

/// Checks that the connection's user may run `args` (of `spec`, its arity checked). A
/// denial goes to ACL LOG with `context`, and its error is worded as Redis words it there.
pub(crate) fn check_permission(
    ctx: &mut Ctx<'_, '_>,
    spec: &'static CommandSpec,
    args: Args<'_>,
    context: Context,
) -> Result<(), CommandError> {
    match denial(ctx, spec, args, context) {
        Some(denied) => {
            let request: Vec<&[u8]> = args.iter().collect();
            Err(denial_error(denied, context, spec, &request))
        }
        None => Ok(()),
    }
}

/// Why the connection's user may not run `args`, if it may not; the denial is logged.
fn denial(
    ctx: &mut Ctx<'_, '_>,
    spec: &'static CommandSpec,
    args: Args<'_>,
    context: Context,
) -> Option<Denied> {
    let acl = &ctx.state.acl;
    let user = ctx.session.user.as_slice();
    if acl.is_unrestricted(user) {
        return None;
    }
    let request: Vec<&[u8]> = args.iter().collect();
    let denied = acl.check(user, spec, &request).err()?;
    let (reason, object) = match denied {
        Denied::Command => (
            Reason::Command,
            commands::request_name(spec, &request).into_bytes(),
        ),
        Denied::Key(at) => (Reason::Key, request[at].to_vec()),
        Denied::Channel(at) => (Reason::Channel, request[at].to_vec()),
    };
    let username = ctx.session.user.clone();
    record(ctx, reason, context, object, username);
    Some(denied)
}

/// The error of a denial, in the words Redis uses at the top level and in MULTI, or in a
/// script.
fn denial_error(
    denied: Denied,
    context: Context,
    spec: &CommandSpec,
    request: &[&[u8]],
) -> CommandError {
    let text = match (context, denied) {
        (Context::Lua, Denied::Command) => {
            "ERR The user executing the script can't run this command or subcommand".to_string()
        }
        (Context::Lua, Denied::Key(_)) => "ERR The user executing the script can't access at \
             least one of the keys mentioned in the command arguments"
            .to_string(),
        (Context::Lua, Denied::Channel(_)) => "ERR The user executing the script can't publish \
             to the channel mentioned in the command"
            .to_string(),
        (_, Denied::Command) => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            commands::request_name(spec, request)
        ),
        (_, Denied::Key(_)) => "NOPERM this user has no permissions to access one of the keys \
             used as arguments"
            .to_string(),
        (_, Denied::Channel(_)) => "NOPERM this user has no permissions to access one of the \
             channels used as arguments"
            .to_string(),
    };
    CommandError::owned(text)
}

/// EXEC checks each queued command again, in case the rules changed since it was queued.
pub(crate) fn check_at_exec(
    ctx: &mut Ctx<'_, '_>,
    spec: &'static CommandSpec,
    args: Args<'_>,
) -> Result<(), CommandError> {
    let reason = match denial(ctx, spec, args, Context::Multi) {
        None => return Ok(()),
        Some(Denied::Command) => "no permission to execute the command or subcommand",
        Some(Denied::Key(_)) => "no permission to touch the specified keys",
        Some(Denied::Channel(_)) => "no permission to access one of the channels used as arguments",
    };
    Err(CommandError::owned(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {reason}"
    )))
}

/// Adds an ACL LOG entry for the calling connection.
pub(crate) fn record(
    ctx: &mut Ctx<'_, '_>,
    reason: Reason,
    context: Context,
    object: Vec<u8>,
    username: Vec<u8>,
) {
    let mut client_info = String::new();
    super::connection::describe_client(ctx, ctx.id, ctx.session, &mut client_info);
    client_info.truncate(client_info.trim_end().len());
    let event = Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        at: ctx.now.wall,
        client_info,
    };
    let max_len = ctx.state.config.acllog_max_len;
    ctx.state.acl.log.add(event, max_len);
}

/// ACL <subcommand> ...
pub(crate) fn acl(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    let count = args.remaining();
    let is = |name| is_subcommand(subcommand, name);
    if is("SETUSER") && count >= 1 {
        set_user(ctx, args)
    } else if is("DELUSER") && count >= 1 {
        delete_users(ctx, args)
    } else if is("GETUSER") && count == 1 {
        get_user(ctx, args.next_bytes()?);
        Ok(())
    } else if (is("LIST") || is("USERS")) && count == 0 {
        list(ctx, is("USERS"));
        Ok(())
    } else if is("WHOAMI") && count == 0 {
        ctx.reply.bulk(&ctx.session.user.clone());
        Ok(())
    } else if (is("LOAD") || is("SAVE")) && ctx.state.config.aclfile.is_none() {
        Err(
            "ERR This Redis instance is not configured to use an ACL file. You may want to \
             specify users via the ACL SETUSER command and then issue a CONFIG REWRITE \
             (assuming you have a Redis configuration file set) in order to store users in the \
             Redis configuration."
                .into(),
        )
    } else if is("LOAD") && count == 0 {
        request_file(ctx, FileOp::AclLoad)?;
        Ok(())
    } else if is("SAVE") && count == 0 {
        request_file(ctx, FileOp::AclSave)?;
        Ok(())
    } else if is("CAT") && count <= 1 {
        cat(ctx, args)
    } else if is("GENPASS") && count <= 1 {
        genpass(ctx, args)
    } else if is("LOG") && count <= 1 {
        log(ctx, args)
    } else if is("DRYRUN") && count >= 2 {
        dry_run(ctx, args)
    } else if is("HELP") && count == 0 {
        ctx.reply.help(HELP);
        Ok(())
    } else {
        Err(subcommand_syntax(subcommand, "ACL"))
    }
}

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Print this help.",
];

/// Asks the driver to read the ACL file (LOAD) or to replace it with every user's line
/// (SAVE); the client's reply waits for the answer (`Server::disk_done`, `disk_read_done`).
fn request_file(ctx: &mut Ctx<'_, '_>, op: FileOp) -> CommandResult {
    if !ctx.may_block {
        return Err(super::NO_WAITING_HERE.into());
    }
    let path = ctx
        .state
        .config
        .acl_file_path()
        .expect("an ACL file is set");
    let request = if op == FileOp::AclLoad {
        DiskRequest::Read { path }
    } else {
        let mut bytes = Vec::new();
        for line in ctx.state.acl.lines() {
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
        }
        DiskRequest::Replace { path, bytes }
    };
    let token = ctx.state.persistence.token();
    ctx.effects.output(Output::Disk { token, request });
    ctx.state.files.request(token, ctx.id, op);
    ctx.wait_for_save = true;
    Ok(())
}

/// ACL SETUSER name rule...: all rules or none. Subscribers of the user that lose a channel
/// they listen to are disconnected.
fn set_user(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let name = args.next_bytes()?;
    if name
        .iter()
        .any(|&byte| byte.is_ascii_whitespace() || byte == 0)
    {
        return Err("ERR Usernames can't contain spaces or null characters".into());
    }
    let rules: Vec<&[u8]> = args.rest().collect();
    let all_channels = ctx.state.config.acl_pubsub_default_all;
    ctx.state
        .acl
        .set_user(name, &rules, all_channels)
        .map_err(|error| CommandError::owned(format!("ERR {error}")))?;
    let user = ctx.state.acl.get(name).expect("just set");
    let losing: Vec<_> = ctx
        .connections()
        .into_iter()
        .filter(|(_, connection)| connection.user == name && !keeps_subscriptions(user, connection))
        .map(|(id, _)| id)
        .collect();
    for id in losing {
        ctx.effects.close(id, CloseReason::Killed);
    }
    ctx.reply.ok();
    Ok(())
}

/// Whether `user` still allows every channel and pattern `connection` listens to.
fn keeps_subscriptions(user: &User, connection: &crate::connection::Connection) -> bool {
    let subscriptions = &connection.subscriptions;
    subscriptions
        .names(Kind::Channel)
        .chain(subscriptions.names(Kind::Shard))
        .all(|channel| user.allows_channel(channel, false))
        && subscriptions
            .names(Kind::Pattern)
            .all(|pattern| user.allows_channel(pattern, true))
}

/// ACL DELUSER name...: the connections logged in as a deleted user are disconnected (the
/// caller after its reply).
fn delete_users(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let names: Vec<&[u8]> = args.rest().collect();
    if names.contains(&DEFAULT_USER) {
        return Err("ERR The 'default' user cannot be removed".into());
    }
    let mut deleted = 0;
    for name in names {
        if !ctx.state.acl.delete(name) {
            continue;
        }
        deleted += 1;
        disconnect_users_of(ctx, |user| user == name);
    }
    ctx.reply.integer(deleted);
    Ok(())
}

/// Disconnects every connection whose user `matches`.
pub(crate) fn disconnect_users_of(ctx: &mut Ctx<'_, '_>, matches: impl Fn(&[u8]) -> bool) {
    let ids: Vec<_> = ctx
        .connections()
        .into_iter()
        .filter(|(_, connection)| matches(&connection.user))
        .map(|(id, _)| id)
        .collect();
    for id in ids {
        let reason = if id == ctx.id {
            CloseReason::Quit
        } else {
            CloseReason::Killed
        };
        ctx.effects.close(id, reason);
    }
}

/// ACL GETUSER name: flags, passwords, the root selector's rules, then the other selectors.
fn get_user(ctx: &mut Ctx<'_, '_>, name: &[u8]) {
    let Some(user) = ctx.state.acl.get(name) else {
        ctx.reply.null();
        return;
    };
    let reply = &mut *ctx.reply;
    reply.map(6);
    reply.bulk(b"flags");
    let flags = user.flags();
    reply.set(flags.len());
    for flag in flags {
        reply.bulk(flag.as_bytes());
    }
    reply.bulk(b"passwords");
    reply.array(user.passwords().len());
    for hash in user.passwords() {
        reply.bulk(hash.as_bytes());
    }
    describe_selector(reply, &user.root);
    reply.bulk(b"selectors");
    reply.array(user.selectors.len());
    for selector in &user.selectors {
        reply.map(3);
        describe_selector(reply, selector);
    }
}

fn describe_selector(reply: &mut crate::reply::Reply<'_>, selector: &crate::acl::user::Selector) {
    reply.bulk(b"commands");
    reply.bulk(&selector.describe_commands());
    reply.bulk(b"keys");
    reply.bulk(&selector.describe_keys());
    reply.bulk(b"channels");
    reply.bulk(&selector.describe_channels());
}

/// ACL LIST (every user as a rule line) or ACL USERS (their names).
fn list(ctx: &mut Ctx<'_, '_>, names_only: bool) {
    let acl = &ctx.state.acl;
    let reply = &mut *ctx.reply;
    if names_only {
        let names: Vec<&[u8]> = acl.users().map(|user| user.name.as_slice()).collect();
        reply.array(names.len());
        for name in names {
            reply.bulk(name);
        }
        return;
    }
    let lines: Vec<Vec<u8>> = acl.lines().collect();
    reply.array(lines.len());
    for line in lines {
        reply.bulk(&line);
    }
}

/// ACL CAT [category]: the categories, or the commands (and subcommands) of one.
fn cat(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let Some(name) = args.peek() else {
        ctx.reply.array(category::ALL.len());
        for (_, name) in category::ALL {
            ctx.reply.bulk(name.as_bytes());
        }
        return Ok(());
    };
    let Some(wanted) = Categories::by_name(name) else {
        return Err(CommandError::concat(&[
            b"ERR Unknown category '",
            super::truncated(name, 128),
            b"'",
        ]));
    };
    let names: Vec<String> = commands::in_category(wanted)
        .map(commands::full_name)
        .collect();
    ctx.reply.array(names.len());
    for name in names {
        ctx.reply.bulk(name.as_bytes());
    }
    Ok(())
}

/// ACL GENPASS [bits]: random hex digits from the server's seeded source (256 bits unless
/// asked otherwise).
fn genpass(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    use rand_core::Rng;
    let bits = match args.peek() {
        Some(text) => parse_i64(text).ok_or(super::NOT_INTEGER)?,
        None => 256,
    };
    if !(1..=GENPASS_BITS_MAX).contains(&bits) {
        return Err(CommandError::owned(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {GENPASS_BITS_MAX}"
        )));
    }
    let chars = (bits as usize).div_ceil(4);
    let digits: Vec<u8> = (0..chars)
        .map(|_| b"0123456789abcdef"[(ctx.state.random.next_u32() & 15) as usize])
        .collect();
    ctx.reply.bulk(&digits);
    Ok(())
}

/// ACL LOG [count | RESET]
fn log(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut count = 10;
    if let Some(arg) = args.peek() {
        if arg.eq_ignore_ascii_case(b"RESET") {
            ctx.state.acl.log.reset();
            ctx.reply.ok();
            return Ok(());
        }
        let requested = parse_i64(arg).ok_or(super::NOT_INTEGER)?;
        count = usize::try_from(requested).unwrap_or(0);
    }
    let now = ctx.now.wall;
    let log = &ctx.state.acl.log;
    ctx.reply.array(count.min(log.len()));
    for entry in log.newest(count) {
        let fields = entry.fields(now);
        ctx.reply.map(fields.len());
        for (name, value) in fields {
            ctx.reply.bulk(name.as_bytes());
            match value {
                Field::Integer(value) => ctx.reply.integer(value),
                Field::Text(text) => ctx.reply.bulk(text),
                Field::Double(value) => ctx.reply.double(value),
            }
        }
    }
    Ok(())
}

/// ACL DRYRUN user command arg...: whether the user could run it, without running it.
fn dry_run(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let name = args.next_bytes()?;
    let request: Vec<&[u8]> = args.rest().collect();
    let Some(user) = ctx.state.acl.get(name) else {
        return Err(CommandError::concat(&[
            b"ERR User '",
            super::c_string(name),
            b"' not found",
        ]));
    };
    let Some(spec) = super::lookup(request[0]) else {
        return Err(CommandError::concat(&[
            b"ERR Command '",
            super::c_string(request[0]),
            b"' not found",
        ]));
    };
    // A container's subcommand must be one of its own, and its arity is the subcommand's.
    let arity = match (spec.subcommands.is_empty(), request.len()) {
        (false, 2..) => match spec.subcommand(&request) {
            Some(subcommand) => subcommand.arity,
            None => {
                return Err(CommandError::concat(&[
                    b"ERR Command '",
                    super::c_string(request[0]),
                    b"' not found",
                ]))
            }
        },
        _ => spec.arity,
    };
    let count = request.len() as i32;
    if (arity > 0 && count != arity) || count < -arity {
        return Err(CommandError::owned(format!(
            "ERR wrong number of arguments for '{}' command",
            commands::request_name(spec, &request)
        )));
    }
    let text = match user.check(spec, &request) {
        Ok(()) => {
            ctx.reply.ok();
            return Ok(());
        }
        Err(Denied::Command) => format!(
            "This user has no permissions to run the '{}' command",
            commands::request_name(spec, &request)
        ),
        Err(Denied::Key(at)) => format!(
            "This user has no permissions to access the '{}' key",
            String::from_utf8_lossy(request[at])
        ),
        Err(Denied::Channel(at)) => format!(
            "This user has no permissions to access the '{}' channel",
            String::from_utf8_lossy(request[at])
        ),
    };
    ctx.reply.bulk(text.as_bytes());
    Ok(())
}
