//! Server commands: COMMAND, CONFIG, INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN, DEBUG.

use super::args::{is_option, is_subcommand};
use super::table::{full_name, CommandSpec, Subcommand, COMMANDS};
use super::{docs, keyspecs};
use super::{
    lookup, unknown_subcommand, wrong_arity, ArgCursor, CommandError, CommandResult, Ctx, SYNTAX,
};
use crate::connection::CloseReason;
use crate::digest;
use crate::output::Output;
use crate::persistence::SaveKind;
use crate::script;
use crate::server::persistence::{begin_save, whole_file};
use crate::util::number::{parse_f64, parse_i64};

/// DBSIZE
pub(crate) fn dbsize(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let len = ctx.db().len();
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `[ASYNC | SYNC]` of FLUSHDB and FLUSHALL: true for ASYNC.
fn flush_mode(args: &mut ArgCursor<'_>) -> Result<bool, CommandError> {
    let lazy = match args.remaining() {
        0 => false,
        1 => {
            let mode = args.next_bytes()?;
            if is_option(mode, "ASYNC") {
                true
            } else if is_option(mode, "SYNC") {
                false
            } else {
                return Err(SYNTAX.into());
            }
        }
        _ => return Err(SYNTAX.into()),
    };
    Ok(lazy)
}

/// FLUSHDB [ASYNC | SYNC]
pub(crate) fn flushdb(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let lazy = flush_mode(args)?;
    ctx.keyspace.flush(ctx.db, ctx.now.wall, lazy, ctx.effects);
    super::tracking::flushed(ctx);
    ctx.reply.ok();
    Ok(())
}

/// FLUSHALL [ASYNC | SYNC]
pub(crate) fn flushall(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let lazy = flush_mode(args)?;
    for index in 0..ctx.keyspace.dbs.len() {
        ctx.keyspace.flush(index, ctx.now.wall, lazy, ctx.effects);
    }
    super::tracking::flushed(ctx);
    ctx.reply.ok();
    Ok(())
}

/// TIME: the wall clock as [seconds, microseconds].
pub(crate) fn time(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let millis = ctx.now.wall.as_millis();
    let seconds = millis.div_euclid(1000);
    let micros = millis.rem_euclid(1000) * 1000;
    ctx.reply.array(2);
    ctx.reply.bulk(seconds.to_string().as_bytes());
    ctx.reply.bulk(micros.to_string().as_bytes());
    Ok(())
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: with SAVE, or with save points set and no
/// NOSAVE, the data is saved first and the server stops once the file is written; if the save
/// fails, the caller gets Redis's error and the server goes on (FORCE stops it anyway). As
/// Redis, a successful SHUTDOWN sends no reply.
pub(crate) fn shutdown(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let (mut abort, mut nosave, mut save, mut force) = (false, false, false, false);
    for option in args.rest() {
        if is_option(option, "NOSAVE") {
            nosave = true;
        } else if is_option(option, "SAVE") {
            save = true;
        } else if is_option(option, "ABORT") {
            abort = true;
        } else if is_option(option, "FORCE") {
            force = true;
        } else if !is_option(option, "NOW") {
            return Err(SYNTAX.into());
        }
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    if save && nosave {
        return Err(SYNTAX.into());
    }
    // A script that may have written cannot be stopped half-way: only NOSAVE leaves it so.
    if ctx.state.scripts.busy.is_some() && !nosave {
        return Err(super::scripting::BUSY_EVAL.into());
    }
    let saves = save || (!nosave && !ctx.state.config.save_points.is_empty());
    if saves && ctx.state.persistence.waited_on() {
        // Another client's SAVE or SHUTDOWN is writing the file (Redis, blocked by SAVE,
        // never sees this): try again once it is done.
        return Err(SAVE_RUNNING.into());
    }
    if !saves {
        ctx.effects.output(Output::Shutdown);
        return Ok(());
    }
    let client = ctx.may_block.then_some(ctx.id);
    begin_save(
        ctx.keyspace,
        ctx.state,
        ctx.effects,
        SaveKind::Shutdown { client, force },
    );
    ctx.wait_for_save = client.is_some();
    Ok(())
}

/// A 40-hex-digit id of this server, fixed for its run: `run_id` (salt 1) and the
/// replication id INFO and a full synchronization announce (salt 2). A one-way hash of the
/// seed, which keys the hash tables and must not show.
pub(crate) fn server_id(seed: u64, salt: u8) -> String {
    let mut bytes = seed.to_le_bytes().to_vec();
    bytes.push(salt);
    String::from_utf8_lossy(&crate::script::sha1_hex(&bytes)).into_owned()
}

/// SYNC | PSYNC replicationid offset: the first part of a full synchronization, as a primary
/// sends it to a new replica: for PSYNC, `+FULLRESYNC <id> 0`; then the data as an RDB file,
/// `$<length>` and the bytes with no line end after them. That is what `redis-cli --rdb`
/// saves. The stream of commands a replica would then follow is not sent: ferrodis has no
/// replication, so the connection closes once the data is out.
pub(crate) fn sync(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    if args.remaining() == 2 {
        args.next_bytes()?;
        args.next_bytes()?;
        let id = server_id(ctx.state.config.seed, 2);
        ctx.reply
            .out
            .extend_from_slice(format!("+FULLRESYNC {id} 0\r\n").as_bytes());
    }
    let file = whole_file(ctx.keyspace, ctx.state);
    ctx.reply
        .out
        .extend_from_slice(format!("${}\r\n", file.len()).as_bytes());
    ctx.reply.out.extend_from_slice(&file);
    ctx.effects.close(ctx.id, CloseReason::Synced);
    Ok(())
}

/// REPLCONF option value ...: what a replica tells its primary (`redis-cli --rdb` says
/// `rdb-only 1`); accepted, since SYNC sends only the data anyway.
pub(crate) fn replconf(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    ctx.reply.ok();
    Ok(())
}

const SAVE_RUNNING: &str = "ERR Background save already in progress";

/// SAVE: writes the data to the RDB file and answers once it is durable (or failed). Other
/// clients are served meanwhile: the image is the data as it was when SAVE ran. (Not in
/// MULTI, as in Redis, nor in scripts: its reply always waits.)
pub(crate) fn save(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    if ctx.state.persistence.saving() {
        return Err(SAVE_RUNNING.into());
    }
    if ctx.state.persistence.busy() {
        return Err(
            "ERR Background append only file rewriting in progress: SAVE waits for it \
                    to end"
                .into(),
        );
    }
    let client = Some(ctx.id);
    begin_save(
        ctx.keyspace,
        ctx.state,
        ctx.effects,
        SaveKind::Foreground { client },
    );
    ctx.wait_for_save = true;
    Ok(())
}

/// BGSAVE [SCHEDULE]: starts a save and answers at once; with SCHEDULE while one runs, another
/// follows it.
pub(crate) fn bgsave(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let schedule = match args.remaining() {
        0 => false,
        1 if is_option(args.next_bytes()?, "SCHEDULE") => true,
        _ => return Err(SYNTAX.into()),
    };
    if ctx.state.persistence.busy() {
        if !schedule && ctx.state.persistence.saving() {
            return Err(SAVE_RUNNING.into());
        }
        if !schedule {
            return Err(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. \
                        Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
                    .into(),
            );
        }
        ctx.state.persistence.scheduled = true;
        ctx.reply.simple("Background saving scheduled");
        return Ok(());
    }
    begin_save(ctx.keyspace, ctx.state, ctx.effects, SaveKind::Background);
    ctx.reply.simple("Background saving started");
    Ok(())
}

/// BGREWRITEAOF: rewrites the append-only file (a new base with the data now), right after
/// this command; while a save runs, once it ends.
pub(crate) fn bgrewriteaof(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let aof = &mut ctx.state.aof;
    if aof.rewriting() {
        return Err(crate::server::aof::REWRITE_RUNNING.into());
    }
    if ctx.state.persistence.busy() {
        aof.rewrite_scheduled = true;
        ctx.reply
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    aof.rewrite_requested = true;
    ctx.reply
        .simple("Background append only file rewriting started");
    Ok(())
}

/// LASTSAVE: when the last successful save began, in Unix seconds.
pub(crate) fn lastsave(ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    let millis = ctx.state.persistence.last_save.as_millis();
    ctx.reply.integer(millis.div_euclid(1000));
    Ok(())
}

/// DEBUG SLEEP seconds | DEBUG SET-ACTIVE-EXPIRE 0|1 | DEBUG HELP
pub(crate) fn debug(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_option(subcommand, "SLEEP") && args.remaining() == 1 {
        let seconds = parse_f64(args.next_bytes()?).unwrap_or(0.0);
        // Bounded: a pause longer than an hour is surely a typo.
        let millis = (seconds.clamp(0.0, 3600.0) * 1000.0) as u64;
        ctx.effects.output(Output::Pause { millis });
        ctx.reply.ok();
    } else if is_option(subcommand, "SET-ACTIVE-EXPIRE") && args.remaining() == 1 {
        let enabled =
            parse_i64(args.next_bytes()?).ok_or(CommandError::from(super::NOT_INTEGER))?;
        ctx.state.active_expire_enabled = enabled != 0;
        ctx.reply.ok();
    } else if is_option(subcommand, "DIGEST") && args.remaining() == 0 {
        let digest = digest::dataset(ctx.keyspace, ctx.now.wall);
        ctx.reply.status_bytes(&script::hex_of(&digest));
    } else if is_option(subcommand, "DIGEST-VALUE") {
        ctx.reply.array(args.remaining());
        let db = &ctx.keyspace.dbs[ctx.db];
        for key in args.rest() {
            let digest = db.peek(ctx.now.wall, key).map_or([0; 20], |value| {
                digest::value(value, db.expiry(key).is_some())
            });
            ctx.reply.status_bytes(&script::hex_of(&digest));
        }
    } else if is_option(subcommand, "HELP") {
        let lines = [
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ];
        ctx.reply.help(&lines);
    } else {
        return Err(unknown_subcommand(subcommand, "DEBUG"));
    }
    Ok(())
}

/// CLUSTER <subcommand>, ASKING, READONLY, READWRITE: ferrodis runs without cluster support,
/// and answers them as a Redis with `cluster-enabled no` does.
pub(crate) fn cluster(_ctx: &mut Ctx<'_, '_>, _args: &mut ArgCursor<'_>) -> CommandResult {
    Err("ERR This instance has cluster support disabled".into())
}

/// COMMAND [COUNT | LIST | INFO name... | DOCS name... | GETKEYS command arg... |
/// GETKEYSANDFLAGS command arg... | HELP]
pub(crate) fn command(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let Some(subcommand) = args.peek() else {
        ctx.reply.array(COMMANDS.len());
        for spec in COMMANDS {
            command_info(ctx, spec);
        }
        return Ok(());
    };
    args.next_bytes()?;
    if is_subcommand(subcommand, "COUNT") {
        if args.remaining() != 0 {
            return Err(wrong_arity("command|count"));
        }
        ctx.reply.integer(COMMANDS.len() as i64);
    } else if is_subcommand(subcommand, "LIST") {
        let filter = list_filter(args)?;
        let names: Vec<String> = every_command_name().filter(|name| filter(name)).collect();
        ctx.reply.array(names.len());
        for name in names {
            ctx.reply.bulk(name.as_bytes());
        }
    } else if is_subcommand(subcommand, "INFO") {
        let names: Vec<&[u8]> = args.rest().collect();
        if names.is_empty() {
            ctx.reply.array(COMMANDS.len());
            for spec in COMMANDS {
                command_info(ctx, spec);
            }
        } else {
            ctx.reply.array(names.len());
            for name in names {
                match lookup_full_name(name) {
                    Some((spec, None)) => command_info(ctx, spec),
                    Some((spec, Some(subcommand))) => subcommand_info(ctx, spec, subcommand),
                    None => ctx.reply.null(),
                }
            }
        }
    } else if is_subcommand(subcommand, "GETKEYS") {
        let request: Vec<&[u8]> = args.rest().collect();
        let positions = key_positions(&request)?;
        ctx.reply.array(positions.len());
        for position in positions {
            ctx.reply.bulk(request[position]);
        }
    } else if is_subcommand(subcommand, "GETKEYSANDFLAGS") {
        let request: Vec<&[u8]> = args.rest().collect();
        let positions = key_positions(&request)?;
        let spec = lookup(request[0]).ok_or("ERR Invalid command specified")?;
        let name = match spec.subcommand(&request) {
            Some(subcommand) => full_name(spec, subcommand),
            None => spec.name.to_string(),
        };
        let specs = keyspecs::of(&name);
        ctx.reply.array(positions.len());
        for position in positions {
            ctx.reply.array(2);
            ctx.reply.bulk(request[position]);
            let flags = keyspecs::key_flags(spec, specs, &request, position);
            ctx.reply.set(flags.len());
            for flag in flags {
                ctx.reply.simple(flag);
            }
        }
    } else if is_subcommand(subcommand, "DOCS") {
        let names: Vec<&[u8]> = args.rest().collect();
        let found: Vec<_> = if names.is_empty() {
            COMMANDS.iter().map(|spec| (spec, None)).collect()
        } else {
            names
                .iter()
                .filter_map(|name| lookup_full_name(name))
                .collect()
        };
        command_docs(ctx, &found);
    } else {
        return Err(unknown_subcommand(subcommand, "COMMAND"));
    }
    Ok(())
}

/// COMMAND DOCS: each command's doc (its subcommands' with it), or a subcommand's alone.
fn command_docs(
    ctx: &mut Ctx<'_, '_>,
    found: &[(&'static CommandSpec, Option<&'static Subcommand>)],
) {
    let docs: Vec<(&docs::Doc, Vec<&docs::Doc>)> = found
        .iter()
        .filter_map(|(spec, subcommand)| match subcommand {
            Some(subcommand) => Some((docs::find(&full_name(spec, subcommand))?, Vec::new())),
            None => {
                let subcommands = spec
                    .subcommands
                    .iter()
                    .filter_map(|subcommand| docs::find(&full_name(spec, subcommand)))
                    .collect();
                Some((docs::find(spec.name)?, subcommands))
            }
        })
        .collect();
    ctx.reply.map(docs.len());
    for (doc, subcommands) in docs {
        ctx.reply.bulk(doc.name.as_bytes());
        doc.write(ctx.reply, &subcommands);
    }
}

/// Every command's name, and each subcommand's as `command|subcommand` after its command's.
fn every_command_name() -> impl Iterator<Item = String> {
    COMMANDS.iter().flat_map(|spec| {
        std::iter::once(spec.name.to_string()).chain(
            spec.subcommands
                .iter()
                .map(|subcommand| full_name(spec, subcommand)),
        )
    })
}

/// A command by name, or a subcommand by `command|subcommand`.
fn lookup_full_name(name: &[u8]) -> Option<(&'static CommandSpec, Option<&'static Subcommand>)> {
    let mut parts = name.splitn(2, |&byte| byte == b'|');
    let spec = lookup(parts.next()?)?;
    let Some(wanted) = parts.next() else {
        return Some((spec, None));
    };
    Some((spec, Some(spec.subcommand_by_name(wanted)?)))
}

/// Which names COMMAND LIST shows.
type ListFilter = Box<dyn Fn(&str) -> bool>;

/// COMMAND LIST's filter: none, or FILTERBY MODULE name | ACLCAT category | PATTERN glob.
fn list_filter(args: &mut ArgCursor<'_>) -> Result<ListFilter, CommandError> {
    if args.remaining() == 0 {
        return Ok(Box::new(|_| true));
    }
    if args.remaining() != 3 || !is_option(args.next_bytes()?, "FILTERBY") {
        return Err(SYNTAX.into());
    }
    let kind = args.next_bytes()?;
    let value = args.next_bytes()?.to_vec();
    if is_option(kind, "MODULE") {
        // No modules: nothing comes from one.
        Ok(Box::new(|_| false))
    } else if is_option(kind, "ACLCAT") {
        let Some(category) = crate::acl::category::Categories::by_name(&value) else {
            return Ok(Box::new(|_| false));
        };
        Ok(Box::new(move |name| {
            lookup_full_name(name.as_bytes()).is_some_and(|(spec, subcommand)| {
                let categories = subcommand.map_or_else(|| spec.categories(), |sub| sub.categories);
                categories.intersects(category)
            })
        }))
    } else if is_option(kind, "PATTERN") {
        Ok(Box::new(move |name| {
            crate::util::glob::glob_match(&value, name.as_bytes(), true)
        }))
    } else {
        Err(SYNTAX.into())
    }
}

/// Where the keys are in `request` (a whole command, its name first), with Redis's errors for
/// a command that is unknown, has no keys, or has the wrong number of arguments.
fn key_positions(request: &[&[u8]]) -> Result<Vec<usize>, CommandError> {
    let spec = lookup(request[0]).ok_or("ERR Invalid command specified")?;
    if spec
        .subcommand(request)
        .is_some_and(|subcommand| subcommand.keyed)
    {
        if request.len() < 3 {
            return Err("ERR Invalid number of arguments specified for command".into());
        }
        return Ok(vec![2]);
    }
    if spec.keys == (0, 0, 0) && spec.key_finder.is_none() {
        return Err("ERR The command has no key arguments".into());
    }
    let count = request.len() as i32;
    if (spec.arity > 0 && count != spec.arity) || count < -spec.arity {
        return Err("ERR Invalid number of arguments specified for command".into());
    }
    Ok(spec.key_positions(request))
}

/// One COMMAND INFO entry in Redis 7's ten-element shape.
fn command_info(ctx: &mut Ctx<'_, '_>, spec: &CommandSpec) {
    ctx.reply.array(10);
    ctx.reply.bulk(spec.name.as_bytes());
    ctx.reply.integer(i64::from(spec.arity));
    let flags: Vec<&str> = spec.flags.names().collect();
    ctx.reply.set(flags.len());
    for flag in flags {
        ctx.reply.simple(flag);
    }
    ctx.reply.integer(i64::from(spec.keys.0));
    ctx.reply.integer(i64::from(spec.keys.1));
    ctx.reply.integer(i64::from(spec.keys.2));
    let categories: Vec<&str> = spec.categories().names().collect();
    ctx.reply.set(categories.len());
    for name in categories {
        ctx.reply.simple(&format!("@{name}"));
    }
    ctx.reply.set(0);
    keyspecs::write(ctx.reply, keyspecs::of(spec.name));
    // No subcommands is an empty set in RESP3, as Redis sends it.
    if spec.subcommands.is_empty() {
        ctx.reply.set(0);
    } else {
        ctx.reply.array(spec.subcommands.len());
    }
    for subcommand in spec.subcommands {
        subcommand_info(ctx, spec, subcommand);
    }
}

/// A subcommand's COMMAND INFO entry: its own name, arity and categories, its own flags or
/// its command's, and its key if it takes one.
fn subcommand_info(ctx: &mut Ctx<'_, '_>, spec: &CommandSpec, subcommand: &Subcommand) {
    ctx.reply.array(10);
    ctx.reply.bulk(full_name(spec, subcommand).as_bytes());
    ctx.reply.integer(i64::from(subcommand.arity));
    let flags: Vec<&str> = subcommand.flags.unwrap_or(spec.flags).names().collect();
    ctx.reply.set(flags.len());
    for flag in flags {
        ctx.reply.simple(flag);
    }
    let key = i64::from(subcommand.keyed) * 2;
    ctx.reply.integer(key);
    ctx.reply.integer(key);
    ctx.reply.integer(i64::from(subcommand.keyed));
    let categories: Vec<&str> = subcommand.categories.names().collect();
    ctx.reply.set(categories.len());
    for name in categories {
        ctx.reply.simple(&format!("@{name}"));
    }
    ctx.reply.set(0);
    keyspecs::write(ctx.reply, keyspecs::of(&full_name(spec, subcommand)));
    ctx.reply.set(0);
}
