//! FUNCTION and FCALL: libraries of Lua functions, loaded once and called by name.
//!
//! FUNCTION LOAD runs a library's code once, in the sandbox, with a `redis` table that only
//! registers functions (and logs); each registered callback is kept in the engine by name.
//! FCALL runs one as EVAL runs a script (`scripting::start`), with its keys and arguments as
//! the callback's two arguments.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, MultiValue, Value};

use super::args::{is_option, is_subcommand};
use super::scripting::{self, keys_and_argv, lua_message, take_engine, Target};
use super::{
    c_string, subcommand_syntax, unknown_subcommand, ArgCursor, CommandError, CommandResult, Ctx,
};
use crate::script::{
    function_key, Engine, FunctionInfo, Kind, Library, ScriptFlags, Scripts, Step,
};
use crate::util::glob::glob_match;
use crate::util::split_args::split_args;

/// FUNCTION LOAD's code may run this many Lua instructions (Redis gives it 500 ms).
const LOAD_INSTRUCTIONS_MAX: u64 = 500 * crate::script::INSTRUCTIONS_PER_MILLI;

const NAME_RULE: &str = "ERR Library names can only contain letters, numbers, or \
     underscores(_) and must be at least one character long";

pub(crate) fn fcall(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    fcall_generic(ctx, args, false)
}

pub(crate) fn fcall_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    fcall_generic(ctx, args, true)
}

fn fcall_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    read_only: bool,
) -> CommandResult {
    let name = args.next_bytes()?;
    let key = function_key(name);
    let Some(info) = ctx.state.scripts.functions.get(&key) else {
        return Err("ERR Function not found".into());
    };
    let flags = info.flags;
    let (keys, argv) = keys_and_argv(args, "ERR Bad number of keys provided")?;
    if read_only && !flags.no_writes {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    // A function always counts as declaring its flags (none means it may write).
    let declared = ScriptFlags {
        declared: true,
        ..flags
    };
    scripting::refuse_before_start(ctx, declared)?;
    let command = scripting::request(
        if read_only { "fcall_ro" } else { "fcall" },
        name,
        &keys,
        &argv,
    );
    scripting::start(
        ctx,
        Target::Function(key),
        &keys,
        &argv,
        scripting::Rules {
            read_only: read_only || flags.no_writes,
            allow_oom: flags.allow_oom,
        },
        command,
    )
}

/// FUNCTION LOAD | DELETE | FLUSH | LIST | STATS | KILL | HELP
pub(crate) fn function(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "LOAD") {
        load(ctx, args)
    } else if is_subcommand(subcommand, "DELETE") {
        let name = String::from_utf8_lossy(args.next_bytes()?).into_owned();
        ctx.state
            .scripts
            .remove_library(&name)
            .ok_or(CommandError::from("ERR Library not found"))?;
        ctx.reply.ok();
        Ok(())
    } else if is_subcommand(subcommand, "FLUSH") {
        match args.rest().collect::<Vec<_>>()[..] {
            [] => {}
            [mode] if is_option(mode, "ASYNC") || is_option(mode, "SYNC") => {}
            [_] => return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into()),
            _ => return Err(subcommand_syntax(subcommand, "FUNCTION")),
        }
        ctx.state.scripts.remove_libraries();
        ctx.reply.ok();
        Ok(())
    } else if is_subcommand(subcommand, "DUMP") {
        ctx.reply
            .bulk(&super::function_payload::dump(&ctx.state.scripts));
        Ok(())
    } else if is_subcommand(subcommand, "RESTORE") {
        super::function_payload::restore(ctx, subcommand, args)
    } else if is_subcommand(subcommand, "LIST") {
        list(ctx, args)
    } else if is_subcommand(subcommand, "STATS") {
        stats(ctx);
        Ok(())
    } else if is_subcommand(subcommand, "KILL") {
        scripting::kill(ctx, Kind::Function)
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME",
            "    argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "HELP",
            "    Print this help.",
        ]);
        Ok(())
    } else {
        Err(unknown_subcommand(subcommand, "FUNCTION"))
    }
}

/// Whether `name` is a valid library or function name: letters, digits, underscores.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// The library's name from its `#!lua name=<name>` first line, and the code to compile (that
/// line blanked so that line numbers stay). The line is split into words as Redis splits
/// config lines (quotes allowed); the engine is the first word after `#!`. As Redis reads the
/// line as a C string, a NUL byte before the line's end leaves it without one.
pub(super) fn parse_metadata(code: &[u8]) -> Result<(String, Vec<u8>), CommandError> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&byte| byte == b'\n' || byte == 0)
        .filter(|&end| code[end] == b'\n')
        .ok_or(CommandError::from("ERR Invalid library metadata"))?;
    let words = split_args(&code[..end])
        .filter(|words| !words.is_empty())
        .ok_or(CommandError::from("ERR Invalid library metadata"))?;
    let engine = words[0].get(2..).unwrap_or_default();
    let mut name = None;
    for word in &words[1..] {
        match word.get(..5) {
            Some(prefix) if prefix.eq_ignore_ascii_case(b"name=") => {
                if name.is_some() {
                    return Err(
                        "ERR Invalid metadata value, name argument was given multiple times".into(),
                    );
                }
                name = Some(String::from_utf8_lossy(&word[5..]).into_owned());
            }
            _ => {
                return Err(CommandError::concat(&[
                    b"ERR Invalid metadata value given: ",
                    word,
                ]))
            }
        }
    }
    let name = name.ok_or(CommandError::from("ERR Library name was not given"))?;
    if !valid_name(&name) {
        return Err(NAME_RULE.into());
    }
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(CommandError::concat(&[
            b"ERR Engine '",
            engine,
            b"' not found",
        ]));
    }
    Ok((name, code[end..].to_vec()))
}

/// One `redis.register_function` call.
pub(super) struct Registered {
    pub(super) name: String,
    callback: Function,
    flags: ScriptFlags,
    description: Option<Vec<u8>>,
}

/// A library whose code ran and registered its functions, not yet installed.
pub(super) struct NewLibrary {
    pub(super) name: String,
    code: Rc<[u8]>,
    pub(super) functions: Vec<Registered>,
}

/// FUNCTION LOAD [REPLACE] code
fn load(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut replace = false;
    while args.remaining() > 1 {
        let option = args.next_bytes()?;
        if !is_option(option, "REPLACE") {
            return Err(CommandError::concat(&[
                b"ERR Unknown option given: ",
                c_string(option),
            ]));
        }
        replace = true;
    }
    let code = args.next_bytes()?;
    let (name, body) = parse_metadata(code)?;
    if !replace && ctx.state.scripts.libraries.contains_key(&name) {
        return Err(CommandError::owned(format!(
            "ERR Library '{name}' already exists"
        )));
    }
    let library = run_library(ctx, name, code, &body)?;
    let replaced = replace.then(|| library.name.clone());
    check_collisions(&ctx.state.scripts, &library, replaced.as_slice())?;
    let name = library.name.clone();
    let scripts = &mut ctx.state.scripts;
    scripts.remove_library(&name);
    install(scripts, library);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

/// Runs a library's code in the engine; what it registered.
pub(super) fn run_library(
    ctx: &mut Ctx<'_, '_>,
    name: String,
    code: &[u8],
    body: &[u8],
) -> Result<NewLibrary, CommandError> {
    let engine = take_engine(ctx)?;
    let registered = register(&engine, body);
    ctx.state.scripts.put_engine(engine);
    let functions = registered?;
    if functions.is_empty() {
        return Err("ERR No functions registered".into());
    }
    Ok(NewLibrary {
        name,
        code: Rc::from(code),
        functions,
    })
}

/// Refuses a library with a function another library has (but those in `replaced`, which go).
pub(super) fn check_collisions(
    scripts: &Scripts,
    library: &NewLibrary,
    replaced: &[String],
) -> Result<(), CommandError> {
    for function in &library.functions {
        if let Some(info) = scripts
            .functions
            .get(&function_key(function.name.as_bytes()))
        {
            if !replaced.contains(&info.library) {
                return Err(CommandError::owned(format!(
                    "ERR Function {} already exists",
                    function.name
                )));
            }
        }
    }
    Ok(())
}

/// Makes a library's functions callable (its name is free, its functions' names too).
pub(super) fn install(scripts: &mut Scripts, library: NewLibrary) {
    if let Some(engine) = scripts.engine_mut() {
        for function in &library.functions {
            engine.callbacks.insert(
                function_key(function.name.as_bytes()),
                function.callback.clone(),
            );
        }
    }
    let mut names = Vec::with_capacity(library.functions.len());
    for function in library.functions {
        scripts.functions.insert(
            function_key(function.name.as_bytes()),
            FunctionInfo {
                name: function.name.clone(),
                library: library.name.clone(),
                flags: function.flags,
                description: function.description,
            },
        );
        names.push(function.name);
    }
    scripts.libraries.insert(
        library.name,
        Library {
            code: library.code,
            functions: names,
        },
    );
}

/// Runs a library's code with `redis.register_function`, within its instruction budget; the
/// functions it registered, or Redis's error.
fn register(engine: &Engine, body: &[u8]) -> Result<Vec<Registered>, CommandError> {
    let lua = &engine.vm.lua;
    let chunk = lua
        .load(body)
        .set_mode(mlua::chunk::ChunkMode::Text)
        .set_name("@user_function")
        .into_function()
        .map_err(|error| {
            CommandError::owned(format!(
                "ERR Error compiling function: {}",
                lua_message(&error)
            ))
        })?;
    let registering_error = |text: String| {
        let text = if text.starts_with("ERR ") {
            text
        } else {
            format!("ERR {text}")
        };
        CommandError::owned(format!("ERR Error registering functions: {text}"))
    };
    let collected = RefCell::new(Vec::new());
    let outcome = lua.scope(|scope| {
        let register = scope.create_function(|_, args: MultiValue| {
            let function = registration(args).map_err(mlua::Error::runtime)?;
            let mut collected = collected.borrow_mut();
            if collected
                .iter()
                .any(|known: &Registered| known.name == function.name)
            {
                return Err(mlua::Error::runtime(
                    "ERR Function already exists in the library",
                ));
            }
            collected.push(function);
            Ok(())
        })?;
        let (env, loaded): (mlua::Table, Function) = engine.sandbox.library_env.call(register)?;
        chunk.set_environment(env)?;
        let thread = engine.vm.start(chunk.clone(), LOAD_INSTRUCTIONS_MAX)?;
        let step = engine.vm.resume(&thread, MultiValue::new(), 0);
        loaded.call::<()>(())?;
        Ok(step)
    });
    match outcome {
        Ok(Step::Done(Ok(_))) => Ok(collected.into_inner()),
        Ok(Step::Done(Err(error))) | Err(error) => Err(registering_error(lua_message(&error))),
        Ok(Step::Yielded) => Err(registering_error("FUNCTION LOAD timeout".to_string())),
    }
}

/// Reads one `redis.register_function` call: `(name, callback)` or a table with
/// `function_name`, `callback`, `flags` and `description`.
fn registration(args: MultiValue) -> Result<Registered, &'static str> {
    let count = args.len();
    let mut args = args.into_iter();
    let (name, callback, flags, description) = match (count, args.next(), args.next()) {
        (1, Some(Value::Table(table)), None) => {
            let mut name = None;
            let mut callback = None;
            let mut flags = ScriptFlags::default();
            let mut description = None;
            for pair in table.pairs::<Value, Value>() {
                let (key, value) = pair.map_err(|_| "ERR wrong arguments given")?;
                let Value::String(key) = key else {
                    return Err(
                        "ERR named argument key given to redis.register_function is not a string",
                    );
                };
                match (&*key.as_bytes(), value) {
                    (b"function_name", Value::String(text)) => {
                        name = Some(text.to_string_lossy().to_string())
                    }
                    (b"function_name", _) => {
                        return Err("ERR function_name argument given to redis.register_function must be a string")
                    }
                    (b"callback", Value::Function(function)) => callback = Some(function),
                    (b"callback", _) => {
                        return Err("ERR callback argument given to redis.register_function must be a function")
                    }
                    (b"description", Value::String(text)) => {
                        description = Some(text.as_bytes().to_vec())
                    }
                    (b"description", _) => {
                        return Err("ERR description argument given to redis.register_function must be a string")
                    }
                    (b"flags", Value::Table(list)) => flags = registration_flags(&list)?,
                    (b"flags", _) => return Err("ERR flags argument to redis.register_function must be a table representing function flags"),
                    _ => return Err("ERR unknown argument given to redis.register_function"),
                }
            }
            let name =
                name.ok_or("ERR redis.register_function must get a function name argument")?;
            let callback =
                callback.ok_or("ERR redis.register_function must get a callback argument")?;
            (name, callback, flags, description)
        }
        (1, _, _) => {
            return Err(
                "ERR calling redis.register_function with a single argument is \
             only applicable to Lua table (representing named arguments).",
            )
        }
        (2, Some(Value::String(name)), Some(callback)) => {
            let Value::Function(callback) = callback else {
                return Err("ERR second argument to redis.register_function must be a function");
            };
            (
                name.to_string_lossy().to_string(),
                callback,
                ScriptFlags::default(),
                None,
            )
        }
        (2, _, _) => return Err("ERR first argument to redis.register_function must be a string"),
        _ => return Err("ERR wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&name) {
        return Err(NAME_RULE);
    }
    Ok(Registered {
        name,
        callback,
        flags,
        description,
    })
}

fn registration_flags(list: &mlua::Table) -> Result<ScriptFlags, &'static str> {
    let mut flags = ScriptFlags {
        declared: true,
        ..ScriptFlags::default()
    };
    for value in list.sequence_values::<Value>() {
        let Ok(Value::String(flag)) = value else {
            return Err("ERR unknown flag given");
        };
        match &*flag.as_bytes() {
            b"no-writes" => flags.no_writes = true,
            b"allow-oom" => flags.allow_oom = true,
            b"allow-stale" => flags.allow_stale = true,
            b"no-cluster" => flags.no_cluster = true,
            b"allow-cross-slot-keys" => flags.allow_cross_slot_keys = true,
            _ => return Err("ERR unknown flag given"),
        }
    }
    Ok(flags)
}

/// The flags as FUNCTION LIST names them.
fn flag_names(flags: ScriptFlags) -> Vec<&'static str> {
    [
        (flags.no_writes, "no-writes"),
        (flags.allow_oom, "allow-oom"),
        (flags.allow_stale, "allow-stale"),
        (flags.no_cluster, "no-cluster"),
        (flags.allow_cross_slot_keys, "allow-cross-slot-keys"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name)
    .collect()
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn list(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut pattern: Option<&[u8]> = None;
    let mut with_code = false;
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        if is_option(option, "WITHCODE") && !with_code {
            with_code = true;
        } else if is_option(option, "LIBRARYNAME") && pattern.is_none() {
            pattern = Some(
                args.next_bytes()
                    .map_err(|_| CommandError::from("ERR library name argument was not given"))?,
            );
        } else {
            return Err(CommandError::concat(&[b"ERR Unknown argument ", option]));
        }
    }
    let scripts = &ctx.state.scripts;
    let libraries: Vec<(&String, &Library)> = scripts
        .libraries
        .iter()
        .filter(|(name, _)| {
            pattern.is_none_or(|pattern| glob_match(pattern, name.as_bytes(), false))
        })
        .collect();
    let reply = &mut *ctx.reply;
    reply.array(libraries.len());
    for (name, library) in libraries {
        reply.map(if with_code { 4 } else { 3 });
        reply.bulk(b"library_name");
        reply.bulk(name.as_bytes());
        reply.bulk(b"engine");
        reply.bulk(b"LUA");
        reply.bulk(b"functions");
        reply.array(library.functions.len());
        for function in &library.functions {
            let info = &scripts.functions[&function_key(function.as_bytes())];
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(function.as_bytes());
            reply.bulk(b"description");
            match &info.description {
                Some(text) => reply.bulk(text),
                None => reply.null(),
            }
            reply.bulk(b"flags");
            let names = flag_names(info.flags);
            reply.set(names.len());
            for flag in names {
                reply.simple(flag);
            }
        }
        if with_code {
            reply.bulk(b"library_code");
            reply.bulk(&library.code);
        }
    }
    Ok(())
}

/// FUNCTION STATS: the running script, if any, and the engine's counts.
fn stats(ctx: &mut Ctx<'_, '_>) {
    let scripts = &ctx.state.scripts;
    let now = ctx.now.monotonic;
    let reply = &mut *ctx.reply;
    reply.map(2);
    reply.bulk(b"running_script");
    match scripts.engine().and_then(|engine| engine.running.as_ref()) {
        Some(running) => {
            reply.map(3);
            reply.bulk(b"name");
            let name = running
                .name
                .strip_prefix("script: ")
                .unwrap_or(&running.name);
            reply.bulk(name.as_bytes());
            reply.bulk(b"command");
            reply.array(running.command.len());
            for arg in &running.command {
                reply.bulk(arg);
            }
            reply.bulk(b"duration_ms");
            reply.integer(now.millis_since(running.started) as i64);
        }
        None => reply.null(),
    }
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(b"LUA");
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.integer(scripts.libraries.len() as i64);
    reply.bulk(b"functions_count");
    reply.integer(scripts.functions.len() as i64);
}
