//! EVAL, EVALSHA, their `_RO` forms and SCRIPT: running Lua scripts against the keyspace.
//!
//! A script's commands run as the engine's own client, through the same dispatch as every
//! command (`run`), so they write through the one write path; their replies are read back as
//! Lua values. A script that runs past `busy-reply-threshold` (counted in Lua instructions)
//! is suspended between slices: the command returns without a reply (`Ctx::suspended`), the
//! server answers others `-BUSY` and resumes the script on its next timer call until it ends.

use std::rc::Rc;

use mlua::{Lua, MultiValue, Value};

use super::args::{is_option, is_subcommand};
use super::{
    lookup, table, unknown_subcommand, ArgCursor, CommandError, CommandResult, Ctx, NOREPLICAS,
    NOT_INTEGER,
};
use crate::connection::Connection;
use crate::protocol::resp::Args;
use crate::reply::Reply;
use crate::script::{
    self, convert, Engine, Kind, RunState, Running, ScriptFlags, Sha, Step, INSTRUCTIONS_PER_MILLI,
    INSTRUCTIONS_PER_SLICE,
};
use crate::util::number::format_f64;

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
pub(crate) const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub(crate) const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against \
     the dataset. You can either wait the script termination or kill the server in a hard way \
     using the SHUTDOWN NOSAVE command.";

pub(crate) fn eval(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    eval_generic(ctx, args, false, false)
}

pub(crate) fn eval_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    eval_generic(ctx, args, false, true)
}

pub(crate) fn evalsha(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    eval_generic(ctx, args, true, false)
}

pub(crate) fn evalsha_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    eval_generic(ctx, args, true, true)
}

pub(super) type KeysAndArgv<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// The keys and the other arguments after `numkeys`, with Redis's errors.
/// `numkeys` and what follows it; `not_a_number` is the error for a count that is not an
/// integer (EVAL and FCALL word it differently).
pub(super) fn keys_and_argv<'a>(
    args: &mut ArgCursor<'a>,
    not_a_number: &'static str,
) -> Result<KeysAndArgv<'a>, CommandError> {
    let numkeys = args
        .next_i64()
        .map_err(|_| CommandError::from(not_a_number))?;
    if numkeys < 0 {
        return Err("ERR Number of keys can't be negative".into());
    }
    if numkeys as usize > args.remaining() {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let rest: Vec<&[u8]> = args.rest().collect();
    let (keys, argv) = rest.split_at(numkeys as usize);
    Ok((keys.to_vec(), argv.to_vec()))
}

fn eval_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    by_sha: bool,
    read_only: bool,
) -> CommandResult {
    let source = args.next_bytes()?;
    let (keys, argv) = keys_and_argv(args, NOT_INTEGER)?;
    let sha = if by_sha {
        let sha = lower_sha(source).ok_or(CommandError::from(NOSCRIPT))?;
        if !ctx.state.scripts.cache.contains_key(&sha) {
            return Err(NOSCRIPT.into());
        }
        sha
    } else {
        let sha = script::sha1_hex(source);
        if !ctx.state.scripts.cache.contains_key(&sha) {
            // What the shebang declares is judged before the script is cached, as Redis
            // judges it before running the command at all.
            if let Ok((flags, _)) = script::parse_shebang(source) {
                refuse_before_start(ctx, flags)?;
            }
            load(ctx, sha, source, true)?;
        }
        sha
    };
    let flags = ctx.state.scripts.cache[&sha].flags;
    refuse_before_start(ctx, flags)?;
    if read_only && flags.declared && !flags.no_writes {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    let rules = Rules {
        read_only: read_only || flags.no_writes,
        allow_oom: flags.declared && flags.allow_oom,
    };
    let command = request(
        if by_sha { "evalsha" } else { "eval" },
        source,
        &keys,
        &argv,
    );
    start(ctx, Target::Script(sha), &keys, &argv, rules, command)
}

/// What a running script may do.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// EVAL_RO, FCALL_RO or a `no-writes` script: write commands are refused.
    pub(super) read_only: bool,
    /// The script declared `allow-oom`: its commands run even while memory is over the limit.
    pub(super) allow_oom: bool,
}

/// A script that declared it may write (flags without `no-writes`) does not start while
/// `min-replicas-to-write` refuses writes, nor (without `allow-oom`) while memory is over
/// `maxmemory` with nothing to evict; one that declared nothing fails at its first such command.
pub(super) fn refuse_before_start(ctx: &Ctx<'_, '_>, flags: ScriptFlags) -> CommandResult {
    if flags.declared && !flags.no_writes && ctx.state.config.writes_need_replicas() {
        return Err(NOREPLICAS.into());
    }
    if flags.declared
        && !flags.no_writes
        && !flags.allow_oom
        && ctx.state.eviction.out_of_memory
        && ctx.state.config.maxmemory_bytes > 0
    {
        return Err(crate::eviction::OOM.into());
    }
    Ok(())
}

/// The whole request, as FUNCTION STATS shows the running one.
pub(super) fn request(name: &str, first: &[u8], keys: &[&[u8]], argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut request = vec![name.as_bytes().to_vec(), first.to_vec()];
    request.push(keys.len().to_string().into_bytes());
    request.extend(keys.iter().chain(argv).map(|arg| arg.to_vec()));
    request
}

/// Whether EVAL, EVALSHA or FCALL `args` runs a script or function that declares
/// `no-writes` (CLIENT PAUSE WRITE lets those through).
pub(super) fn declares_no_writes(
    ctx: &Ctx<'_, '_>,
    spec: &table::CommandSpec,
    args: Args<'_>,
) -> bool {
    let scripts = &ctx.state.scripts;
    let Some(first) = args.get(1) else {
        return false;
    };
    match spec.name {
        "eval" | "eval_ro" => match scripts.cache.get(&script::sha1_hex(first)) {
            Some(cached) => cached.flags.no_writes,
            None => script::parse_shebang(first).is_ok_and(|(flags, _)| flags.no_writes),
        },
        "evalsha" | "evalsha_ro" => lower_sha(first)
            .and_then(|sha| scripts.cache.get(&sha))
            .is_some_and(|cached| cached.flags.no_writes),
        "fcall" | "fcall_ro" => scripts
            .functions
            .get(String::from_utf8_lossy(first).as_ref())
            .is_some_and(|function| function.flags.no_writes),
        _ => false,
    }
}

/// A 40-character SHA1 in lower case, if `text` can be one.
fn lower_sha(text: &[u8]) -> Option<Sha> {
    let sha: [u8; 40] = text.try_into().ok()?;
    Some(sha.map(|byte| byte.to_ascii_lowercase()))
}

/// A script's source (its shebang line blanked) compiled, with the environment every run of
/// it sees: the sandbox's globals, and its KEYS and ARGV set anew for each run.
fn compile(engine: &Engine, source: &[u8]) -> mlua::Result<mlua::Function> {
    let function = engine
        .vm
        .lua
        .load(source)
        .set_mode(mlua::chunk::ChunkMode::Text)
        .set_name("@user_script")
        .into_function()?;
    let env: mlua::Table = engine.sandbox.make_env.call(())?;
    function.set_environment(env)?;
    Ok(function)
}

/// Compiles `body` into the engine and the cache (SCRIPT LOAD, EVAL of a new script).
fn load(ctx: &mut Ctx<'_, '_>, sha: Sha, body: &[u8], from_eval: bool) -> CommandResult {
    let (flags, source) = script::parse_shebang(body).map_err(CommandError::owned)?;
    let mut engine = take_engine(ctx)?;
    let result = match compile(&engine, &source) {
        Ok(function) => {
            engine.compiled.insert(sha, function);
            Ok(())
        }
        Err(error) => Err(CommandError::owned(format!(
            "ERR Error compiling script (new function): {}",
            lua_message(&error)
        ))),
    };
    ctx.state.scripts.put_engine(engine);
    result?;
    ctx.state
        .scripts
        .remember(sha, body.into(), flags, from_eval);
    Ok(())
}

pub(super) fn take_engine(ctx: &mut Ctx<'_, '_>) -> Result<Box<Engine>, CommandError> {
    ctx.state
        .scripts
        .take_engine(0)
        .map_err(|error| CommandError::owned(format!("ERR {}", lua_message(&error))))
}

/// Starts script `sha` (cached and compiled) with its keys and arguments.
/// What to run: a cached script by its SHA1, or a registered function by its name.
pub(super) enum Target {
    Script(Sha),
    /// A function, by its key (`script::function_key`).
    Function(String),
}

/// Starts `target` with its keys and arguments and runs its first slice. `command` is what
/// FUNCTION STATS shows of it.
pub(super) fn start(
    ctx: &mut Ctx<'_, '_>,
    target: Target,
    keys: &[&[u8]],
    argv: &[&[u8]],
    rules: Rules,
    command: Vec<Vec<u8>>,
) -> CommandResult {
    let mut engine = take_engine(ctx)?;
    let prepared = prepare(&mut engine, ctx, target, keys, argv, rules, command);
    match prepared {
        Ok(()) => {
            ctx.keyspace.begin_script();
            step(ctx, engine);
            Ok(())
        }
        Err(error) => {
            ctx.state.scripts.put_engine(engine);
            Err(CommandError::owned(format!("ERR {}", lua_message(&error))))
        }
    }
}

fn prepare(
    engine: &mut Engine,
    ctx: &mut Ctx<'_, '_>,
    target: Target,
    keys: &[&[u8]],
    argv: &[&[u8]],
    rules: Rules,
    command: Vec<Vec<u8>>,
) -> mlua::Result<()> {
    let (function, kind, name, source) = match target {
        Target::Script(sha) => {
            let function = match engine.compiled.get(&sha) {
                Some(function) => function.clone(),
                None => {
                    // SCRIPT FLUSH dropped the compiled form, not this cached body (it came
                    // back by a later SCRIPT LOAD or EVAL): compile it again.
                    let body = Rc::clone(&ctx.state.scripts.cache[&sha].body);
                    let (_, source) = script::parse_shebang(&body).map_err(mlua::Error::runtime)?;
                    let function = compile(engine, &source)?;
                    engine.compiled.insert(sha, function.clone());
                    function
                }
            };
            let name = format!("script: {}", String::from_utf8_lossy(&sha));
            (function, Kind::Eval, name, "@user_script")
        }
        Target::Function(key) => {
            let function = engine
                .callbacks
                .get(&key)
                .cloned()
                .ok_or_else(|| mlua::Error::runtime("Function not found"))?;
            let name = format!("script: {}", ctx.state.scripts.functions[&key].name);
            (function, Kind::Function, name, "@user_function")
        }
    };
    let (keys, argv) = engine.vm.run_arguments(
        &function,
        kind == Kind::Eval,
        &engine.sandbox.last_error,
        keys,
        argv,
    )?;
    let first_args = (kind == Kind::Function)
        .then(|| MultiValue::from_vec(vec![Value::Table(keys), Value::Table(argv)]));
    ctx.state.scripts.read_keys = false;
    let threshold = ctx.state.config.busy_reply_threshold_ms;
    let yield_after = if ctx.may_block {
        threshold.saturating_mul(INSTRUCTIONS_PER_MILLI)
    } else {
        // Inside EXEC nothing can wait: the script runs to its end.
        u64::MAX
    };
    let thread = engine.vm.start(function, yield_after)?;
    engine.client.db = ctx.db;
    engine.running = Some(Running {
        thread,
        caller: ctx.id,
        kind,
        name,
        state: RunState::new(),
        first_args,
        source,
        command,
        started: ctx.now.monotonic,
        read_only: rules.read_only,
        allow_oom: rules.allow_oom,
        wrote: false,
    });
    Ok(())
}

/// Resumes the suspended script (the server calls this for its caller on a timer).
pub(crate) fn resume(ctx: &mut Ctx<'_, '_>) {
    match ctx.state.scripts.take_engine(0) {
        Ok(engine) if engine.running.is_some() => step(ctx, engine),
        Ok(engine) => ctx.state.scripts.put_engine(engine),
        Err(_) => {}
    }
    // Its reply is counted (`step`), and no `command::run` follows to take the mark.
    ctx.state.stats.reply_error_counted = false;
}

/// Runs one slice of the engine's running script, then replies, or leaves it suspended.
fn step(ctx: &mut Ctx<'_, '_>, mut engine: Box<Engine>) {
    let Engine {
        vm,
        client,
        running,
        sandbox,
        ..
    } = &mut *engine;
    let run = running.as_mut().expect("a script to step");
    script::enter(&vm.lua, &run.state);
    let outcome = {
        let mut host = Host {
            ctx: &mut *ctx,
            client,
            state: Rc::clone(&run.state),
            read_only: run.read_only,
            allow_oom: run.allow_oom,
            wrote: &mut run.wrote,
            vm,
            packed_marker: &sandbox.packed_marker,
            acl_marker: &sandbox.acl_marker,
            scratch: Vec::new(),
        };
        let args = run.first_args.take().unwrap_or_default();
        vm.with_host(&mut |lua, args| host.call(lua, args), || {
            vm.resume(&run.thread, args, INSTRUCTIONS_PER_SLICE)
        })
    };
    match outcome {
        Step::Yielded => {
            ctx.state.scripts.busy = Some(run.kind);
            ctx.suspended = true;
        }
        Step::Done(result) => {
            let resp3 = run.state.resp.get() == 3;
            let start = ctx.reply.out.len();
            let counted = match result {
                Ok(values) => {
                    let value = values.into_iter().next().unwrap_or(Value::Nil);
                    convert::lua_to_reply(&value, ctx.reply, resp3);
                    convert::is_counted_error(&value)
                }
                Err(error) => {
                    let (text, counted) = error_reply(vm, sandbox, run, &error);
                    ctx.reply.error(&text);
                    counted
                }
            };
            // An error reply is counted here, once: not when a command the script called
            // counted it already, nor again by the caller's `command::run`.
            if let Some(text) = ctx
                .reply
                .out
                .get(start..)
                .and_then(|reply| reply.strip_prefix(b"-"))
            {
                if !counted {
                    ctx.state.stats.record_error(text);
                }
                ctx.state.stats.reply_error_counted = true;
            }
            if let Some(finished) = running.take() {
                vm.recycle(finished.thread);
            }
            ctx.keyspace.end_script(ctx.session.in_exec);
            ctx.state.scripts.busy = None;
            // Lua's incremental collector paces itself; a script that filled half the heap gets
            // a whole collection after it, so that the next one has its room.
            if vm.lua.used_memory() > ctx.state.scripts.memory_max / 2 {
                let _ = vm.lua.gc_collect();
            }
        }
    }
    ctx.state.scripts.put_engine(engine);
}

/// What the scripts' commands run with.
struct Host<'h, 'call, 'reply> {
    ctx: &'h mut Ctx<'call, 'reply>,
    client: &'h mut Connection,
    state: Rc<RunState>,
    read_only: bool,
    allow_oom: bool,
    wrote: &'h mut bool,
    vm: &'h script::Vm,
    packed_marker: &'h mlua::Table,
    acl_marker: &'h mlua::Table,
    scratch: Vec<u8>,
}

impl Host<'_, '_, '_> {
    /// `redis.call` / `redis.pcall`: `true, reply` or `false, error text, counted` (the error
    /// was counted in INFO errorstats already, as a command's error or refusal: the script's
    /// reply that passes it on is not counted again, as in Redis).
    fn call(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
        let outcome = self.run(lua, args)?;
        let mut values = MultiValue::new();
        match outcome {
            Ok(value) => {
                values.push_back(Value::Boolean(true));
                values.push_back(value);
            }
            Err(Failure { text, counted }) => {
                values.push_back(Value::Boolean(false));
                values.push_back(Value::String(lua.create_string(text)?));
                values.push_back(Value::Boolean(counted));
            }
        }
        Ok(values)
    }

    /// `redis.acl_check_cmd`: whether the script's user may run `args` (a command, with or
    /// without all its arguments); an error for a command there is not.
    fn acl_check(&self, args: Args<'_>) -> Result<bool, Vec<u8>> {
        let request: Vec<&[u8]> = args.iter().collect();
        let invalid = || b"ERR Invalid command passed to redis.acl_check_cmd()".to_vec();
        let spec = lookup(request[0]).ok_or_else(invalid)?;
        if !spec.subcommands.is_empty() && request.len() > 1 && spec.subcommand(&request).is_none()
        {
            return Err(invalid());
        }
        let user = &self.ctx.session.user;
        Ok(self.ctx.state.acl.check(user, spec, &request).is_ok())
    }

    /// The command's arguments, from the table they came packed in when there were many.
    fn unpacked(&self, args: MultiValue) -> mlua::Result<MultiValue> {
        let packed = match args.front() {
            Some(Value::Table(marker)) if marker == self.packed_marker => args.get(1),
            _ => return Ok(args),
        };
        let Some(Value::Table(packed)) = packed else {
            return Ok(args);
        };
        let count: usize = packed.raw_get("n")?;
        (1..=count).map(|index| packed.raw_get(index)).collect()
    }

    fn run(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<Result<Value, Failure>> {
        if args.is_empty() {
            return Ok(Err(Failure::uncounted(NO_ARGUMENTS)));
        }
        let mut args = self.unpacked(args)?;
        let acl_check =
            matches!(args.front(), Some(Value::Table(marker)) if marker == self.acl_marker);
        if acl_check {
            args.pop_front();
            if args.is_empty() {
                return Ok(Err(Failure::uncounted(NO_ARGUMENTS)));
            }
        }
        let mut bytes = Vec::new();
        let mut ranges = Vec::with_capacity(args.len());
        for arg in args {
            let start = bytes.len();
            match arg {
                Value::String(text) => bytes.extend_from_slice(&text.as_bytes()),
                // Redis writes a number with all 17 digits (Lua's own text keeps 14).
                Value::Integer(number) => format_f64(number as f64, &mut bytes),
                Value::Number(number) => format_f64(number, &mut bytes),
                _ => return Ok(Err(Failure::uncounted(ARGUMENT_TYPES))),
            }
            ranges.push((start, bytes.len() - start));
        }
        let args = Args::from_ranges(&bytes, &ranges);
        if acl_check {
            return Ok(self
                .acl_check(args)
                .map(Value::Boolean)
                .map_err(|text| Failure::uncounted(&text)));
        }
        let spec = match script_spec(args, self.read_only, &self.ctx.state.config) {
            Ok(spec) => spec,
            Err(error) => {
                // The command never ran: its refusal is counted here, and as its rejected
                // call when it has a name.
                if let Some(spec) = lookup(args.get(0).unwrap_or(b"")) {
                    super::introspection::command_rejected(self.ctx, spec, args);
                }
                return Ok(Err(self.counted(error.as_bytes())));
            }
        };
        // A refusal below counts as the command's rejected call in INFO commandstats, as in
        // Redis: a script's write (not its PING) while the data cannot be persisted, a command
        // the user may not run, and one that may add data while memory was over the limit when
        // the script started (unless the script already wrote: it cannot stop halfway).
        let out_of_memory = spec.flags.contains(table::Flags::DENYOOM)
            && !self.allow_oom
            && !*self.wrote
            && self.ctx.state.eviction.out_of_memory
            && self.ctx.state.config.maxmemory_bytes > 0;
        let refused = super::disk_error(self.ctx.state)
            .filter(|_| spec.flags.contains(super::table::Flags::WRITE))
            .or_else(|| {
                let context = crate::acl::log::Context::Lua;
                super::acl::check_permission(self.ctx, spec, args, context).err()
            })
            .map(|error| error.as_bytes().to_vec())
            .or_else(|| out_of_memory.then(|| crate::eviction::OOM.as_bytes().to_vec()));
        if let Some(error) = refused {
            super::introspection::command_rejected(self.ctx, spec, args);
            return Ok(Err(self.counted(&error)));
        }
        if spec.flags.contains(table::Flags::READONLY) {
            self.ctx.state.scripts.read_keys = true;
        }
        if spec.flags.contains(table::Flags::WRITE) {
            *self.wrote = true;
            self.vm.note_write();
        }
        self.client.resp3 = self.state.resp.get() == 3;
        // Its commands run as the caller's user (SORT ... BY asks who that is).
        if self.client.user != self.ctx.session.user {
            self.client.user.clone_from(&self.ctx.session.user);
        }
        self.scratch.clear();
        let resp3 = self.client.resp3;
        let ctx = &mut *self.ctx;
        let mut reply = Reply::new(&mut self.scratch, resp3);
        let mut nested = Ctx {
            keyspace: &mut *ctx.keyspace,
            state: &mut *ctx.state,
            session: &mut *self.client,
            others: ctx.others,
            effects: &mut *ctx.effects,
            id: ctx.id,
            reply: &mut reply,
            db: ctx.db,
            now: ctx.now,
            may_block: false,
            ready_key: None,
            block: None,
            postpone: false,
            suspended: false,
            wait_for_save: false,
        };
        // The Lua code before this call is the script's time, not the command's.
        nested.state.introspect.stopwatch.mark();
        // An error it answered was counted as its reply (`run`).
        super::run(&mut nested, spec, args);
        Ok(
            convert::reply_to_lua(lua, &self.scratch)?.map_err(|text| Failure {
                text,
                counted: true,
            }),
        )
    }

    /// A refusal, counted in INFO errorstats now.
    fn counted(&mut self, text: &[u8]) -> Failure {
        self.ctx.state.stats.record_error(text);
        Failure {
            text: text.to_vec(),
            counted: true,
        }
    }
}

/// A failed `redis.call`: the error's text, and whether it was counted in INFO errorstats.
struct Failure {
    text: Vec<u8>,
    counted: bool,
}

impl Failure {
    /// An error of the script's call itself (its arguments), counted only if the script's
    /// reply passes it on.
    fn uncounted(text: &[u8]) -> Failure {
        Failure {
            text: text.to_vec(),
            counted: false,
        }
    }
}

const ARGUMENT_TYPES: &[u8] = b"ERR Lua redis lib command arguments must be strings or integers";
const NO_ARGUMENTS: &[u8] = b"ERR Please specify at least one argument for this redis lib call";

/// Finds a command a script called and checks that scripts may run it, with Redis's texts.
fn script_spec(
    args: Args<'_>,
    read_only: bool,
    config: &crate::config::Config,
) -> Result<&'static table::CommandSpec, CommandError> {
    let name = args.get(0).unwrap_or(b"");
    let spec = lookup(name).ok_or(CommandError::from(
        "ERR Unknown Redis command called from script",
    ))?;
    let count = args.len() as i32;
    let arity_error =
        || CommandError::from("ERR Wrong number of args calling Redis command from script");
    if (spec.arity > 0 && count != spec.arity) || count < -spec.arity {
        return Err(arity_error());
    }
    if let (false, Some(subcommand)) = (spec.subcommands.is_empty(), args.get(1)) {
        let known = spec
            .subcommands
            .iter()
            .find(|known| is_subcommand(subcommand, known.name))
            .ok_or_else(|| unknown_subcommand(subcommand, &spec.name.to_ascii_uppercase()))?;
        if (known.arity > 0 && count != known.arity) || count < -known.arity {
            return Err(arity_error());
        }
    }
    let flags = spec.flags_for(args);
    if flags.contains(table::Flags::NOSCRIPT) {
        return Err("ERR This Redis command is not allowed from script".into());
    }
    // PUBLISH and the like go to replicas: a read-only script may not run them either.
    if read_only && flags.intersects(table::Flags::WRITE.or(table::Flags::MAY_REPLICATE)) {
        return Err("ERR Write commands are not allowed from read-only scripts.".into());
    }
    if config.writes_need_replicas() && flags.contains(table::Flags::WRITE) {
        return Err(NOREPLICAS.into());
    }
    Ok(spec)
}

/// The text of a Lua error, without the traceback the binding adds.
pub(super) fn lua_message(error: &mlua::Error) -> String {
    let text = match error {
        mlua::Error::RuntimeError(text) | mlua::Error::MemoryError(text) => text.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::CallbackError { cause, .. } => return lua_message(cause),
        other => other.to_string(),
    };
    match text.find("\nstack traceback:") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// The error reply of a failed script, as Redis words it: the error's text (with `ERR ` when
/// Lua raised a plain string), then `script: <sha>, on @user_script:<line>.`; and whether the
/// error was counted in INFO errorstats when a call failed with it.
fn error_reply(
    vm: &script::Vm,
    sandbox: &script::Sandbox,
    run: &Running,
    error: &mlua::Error,
) -> (Vec<u8>, bool) {
    let (name, source) = (&run.name, run.source);
    let last = &sandbox.last_error;
    let last_value: Value = last.raw_get("value").unwrap_or(Value::Nil);
    let last_line: i64 = last.raw_get("line").unwrap_or(0);
    let from_call: bool = last.raw_get("call").unwrap_or(false);
    let message = lua_message(error);
    let mut counted = false;
    let (text, line) = if vm.killed() {
        (format!("ERR {message}").into_bytes(), vm.killed_line())
    } else if let (true, Value::Table(table)) = (message.starts_with("table: "), &last_value) {
        let text = match table.raw_get::<Value>("err") {
            Ok(Value::String(text)) => text.as_bytes().to_vec(),
            _ => b"ERR unknown error".to_vec(),
        };
        counted = convert::is_counted_error(&last_value);
        (text, last_line)
    } else if let (true, Value::String(raised)) = (from_call, &last_value) {
        if *raised.as_bytes() == *message.as_bytes() {
            counted = last.raw_get("counted").unwrap_or(false);
            (message.into_bytes(), last_line)
        } else {
            plain_error(&message, source)
        }
    } else {
        plain_error(&message, source)
    };
    let line = match (line, error) {
        (0, mlua::Error::CallbackError { traceback, .. }) => traceback_line(traceback, source),
        _ => line,
    };
    let mut reply = text;
    reply.extend_from_slice(format!(" {name}, on {source}:{line}.").as_bytes());
    (reply, counted)
}

/// The script's line in a traceback (its first `user_script:N:`), or 0.
fn traceback_line(traceback: &str, source: &str) -> i64 {
    let prefix = format!("{}:", &source[1..]);
    traceback
        .split(prefix.as_str())
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|line| line.parse().ok())
        .unwrap_or(0)
}

/// A string Lua raised: `ERR ` before it, its line from its `user_script:N:` position.
fn plain_error(message: &str, source: &str) -> (Vec<u8>, i64) {
    let line = message
        .strip_prefix(&source[1..])
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split(':').next())
        .and_then(|line| line.parse().ok())
        .unwrap_or(0);
    (format!("ERR {message}").into_bytes(), line)
}

/// SCRIPT LOAD | EXISTS | FLUSH | KILL | HELP
pub(crate) fn script(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "LOAD") {
        let body = args.next_bytes()?;
        let sha = script::sha1_hex(body);
        let cached = ctx.state.scripts.cache.get(&sha);
        if cached.is_none_or(|script| script.from_eval) {
            load(ctx, sha, body, false)?;
        }
        ctx.reply.bulk(&sha);
    } else if is_subcommand(subcommand, "EXISTS") {
        let shas: Vec<&[u8]> = args.rest().collect();
        ctx.reply.array(shas.len());
        for sha in shas {
            let known =
                lower_sha(sha).is_some_and(|sha| ctx.state.scripts.cache.contains_key(&sha));
            ctx.reply.integer(i64::from(known));
        }
    } else if is_subcommand(subcommand, "FLUSH") {
        match args.rest().collect::<Vec<_>>()[..] {
            [] => {}
            [mode] if is_option(mode, "ASYNC") || is_option(mode, "SYNC") => {}
            [_] => return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into()),
            _ => return Err(super::wrong_arity("script|flush")),
        }
        ctx.state.scripts.flush();
        ctx.reply.ok();
    } else if is_subcommand(subcommand, "KILL") {
        kill(ctx, Kind::Eval)?;
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Print this help.",
        ]);
    } else {
        return Err(unknown_subcommand(subcommand, "SCRIPT"));
    }
    Ok(())
}

/// SCRIPT KILL / FUNCTION KILL: stops the suspended script at its next look at its budget,
/// unless it has written.
pub(crate) fn kill(ctx: &mut Ctx<'_, '_>, by: Kind) -> CommandResult {
    let Some(engine) = ctx.state.scripts.engine() else {
        return Err("NOTBUSY No scripts in execution right now.".into());
    };
    let Some(running) = engine.running.as_ref() else {
        return Err("NOTBUSY No scripts in execution right now.".into());
    };
    if running.wrote {
        return Err(UNKILLABLE.into());
    }
    // SCRIPT KILL stops only EVAL scripts and FUNCTION KILL only functions; the other gets the
    // busy error that names the right one.
    if running.kind != by {
        return Err(match running.kind {
            Kind::Eval => BUSY_EVAL,
            Kind::Function => BUSY_FUNCTION,
        }
        .into());
    }
    engine.vm.kill(match by {
        Kind::Eval => "Script killed by user with SCRIPT KILL...",
        Kind::Function => "Script killed by user with FUNCTION KILL...",
    });
    ctx.reply.ok();
    Ok(())
}
