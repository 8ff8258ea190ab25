//! What a script sees: Lua 5.1's base, table, string and math libraries, the libraries Redis
//! adds, and the `redis` table; nothing that reaches files, the OS or the clock. Globals are
//! read-only, a missing global is an error, and `math.random` is Redis's 48-bit generator
//! from Redis's starting state, one sequence across every script since the engine was made, so
//! that a run replays alike.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, StdLib, Table, Value};

use super::libs;
use super::vm::Vm;

/// What one run of a script has of its own, shared with the `redis` functions it calls.
pub(crate) struct RunState {
    /// `redis.setresp`: the protocol the script's commands reply in.
    pub(crate) resp: Cell<u8>,
}

impl RunState {
    pub(crate) fn new() -> Rc<RunState> {
        Rc::new(RunState { resp: Cell::new(2) })
    }
}

/// `math.random`'s generator: `X(n+1) = (a X(n) + c) mod 2^48`, kept as Lua app data.
struct Rand48(Cell<u64>);

/// The generator's state before any seed, as Redis starts it.
const RAND48_START: u64 = 0x1234_ABCD_330E;

/// `srand48(seed)`: the seed in the high 32 bits, 0x330E below.
fn seed48(seed: i32) -> u64 {
    (u64::from(seed as u32) << 16) | 0x330E
}

const RAND48_MAX: u64 = i32::MAX as u64;

/// The next `lrand48()`: the high 31 bits of the next state.
fn lrand48(state: &Cell<u64>) -> u64 {
    let next = (0x5_DEEC_E66D_u64
        .wrapping_mul(state.get())
        .wrapping_add(0xB))
        & ((1 << 48) - 1);
    state.set(next);
    next >> 17
}

/// The Lua functions the engine keeps for itself.
pub(crate) struct Sandbox {
    /// Makes the environment a script sees (its KEYS and ARGV are set in it for each run).
    pub(crate) make_env: Function,
    /// Makes a library's environment: `library_env(register_function)` returns it and the
    /// function to call once the library's code has run.
    pub(crate) library_env: Function,
    /// The first argument of a host call whose second is a table `{n = count, ...}` of the
    /// command's arguments (there were too many to pass one by one).
    pub(crate) packed_marker: Table,
    /// The first argument of a host call that is `redis.acl_check_cmd`'s.
    pub(crate) acl_marker: Table,
    /// Where the last error raised by `error` or `redis.call` is noted (`value`, `line`,
    /// `call`, `counted`), so that the final reply can name the line as Redis does, and not
    /// count again in INFO errorstats an error counted when the call failed.
    pub(crate) last_error: Table,
}

/// Our own Lua: the `redis.call` family around the host, `error` and `pcall` that treat
/// Redis's error tables as Redis does, read-only library tables and the environment of a run.
const PRELUDE: &str = r#"
local host_call, PACKED, last, raw_error, getinfo, raw_getmetatable, G, as_c_function,
  hook_yielded, killed, ACL_CHECK = ...
local type, setmetatable, tostring, select = type, setmetatable, tostring, select

-- The line of the first Lua function above `level` (C frames, such as the one that makes
-- redis.call a C function, are skipped).
local function caller_line(level)
  for l = level + 1, level + 4 do
    local info = getinfo(l, 'Sl')
    if not info then break end
    if info.what ~= 'C' and info.currentline >= 0 then return info.currentline end
  end
  return 0
end

-- A command's arguments reach the host as they are, or packed in a table when there are so
-- many that they would not fit a C function's stack (Lua 5.1 gives one 8000 slots).
local ARGUMENTS_INLINE_MAX = 1000
local function host(...)
  local count = select('#', ...)
  if count <= ARGUMENTS_INLINE_MAX then return host_call(...) end
  return host_call(PACKED, {n = count, ...})
end

-- A failed call's error says whether INFO errorstats counted it already (a command's error
-- or refusal), as Redis's error tables do: the script's reply that passes it on is not
-- counted again.
local function call(...)
  local ok, reply, counted = host(...)
  if ok then return reply end
  last.value = reply; last.line = caller_line(2); last.call = true; last.counted = counted
  return raw_error(reply, 0)
end

local function pcall_command(...)
  local ok, reply, counted = host(...)
  if ok then return reply end
  return {err = reply, ignore_error_stats_update = counted or nil}
end

G.error = function(value, level)
  if type(value) == 'table' then
    last.value = value; last.line = caller_line(2); last.call = false
  end
  level = level or 1
  if level > 0 then level = level + 1 end
  return raw_error(value, level)
end

-- Raises an error reply as Redis's C functions do: the text names no line, the reply names
-- the caller's.
local function raise_error_reply(text)
  last.value = {err = text}; last.line = caller_line(3); last.call = false
  return raw_error(last.value, 0)
end

local function errors_as_text(ok, ...)
  if not ok then
    local e = ...
    if type(e) == 'table' and type(e.err) == 'string' then return false, e.err end
  end
  return ok, ...
end
-- pcall and xpcall run the function in a coroutine of its own, which the count hook may
-- suspend (Lua 5.1 cannot yield across the C pcall): a suspension is passed up to the
-- script's coroutine, and the function resumed where it was. A kill is raised again, so
-- that no pcall can swallow it.
local co_create, co_resume, co_status, co_yield =
  coroutine.create, coroutine.resume, coroutine.status, coroutine.yield
local unpack = unpack
local function pack(...) return {n = select('#', ...), ...} end
local function protected(f, ...)
  local co = co_create(function(...)
    local results = pack(f(...))
    return unpack(results, 1, results.n)
  end)
  local r = pack(co_resume(co, ...))
  while co_status(co) == 'suspended' do
    if hook_yielded() then
      co_yield()
      r = pack(co_resume(co))
    else
      r = pack(co_resume(co, co_yield(unpack(r, 2, r.n))))
    end
  end
  if not r[1] and killed() then raw_error(r[2], 0) end
  return r
end
G.pcall = function(f, ...)
  local r = protected(f, ...)
  return errors_as_text(unpack(r, 1, r.n))
end
G.xpcall = function(f, handler)
  local r = protected(f)
  if r[1] then return unpack(r, 1, r.n) end
  return false, handler(r[2])
end

local function readonly()
  raw_error('Attempt to modify a readonly table', 2)
end
-- The metatables that make our tables read-only: scripts can neither replace nor change them.
local ours = setmetatable({}, {__mode = 'k'})
local function our_meta(meta)
  ours[meta] = true
  return meta
end
local function protect(t)
  return setmetatable({}, our_meta({__index = t, __newindex = readonly, __metatable = false}))
end
local raw_setmetatable, raw_getmetatable_field = setmetatable, getmetatable
G.setmetatable = function(t, meta)
  if ours[raw_getmetatable(t)] then raise_error_reply('ERR Attempt to modify a readonly table') end
  return raw_setmetatable(t, meta)
end
-- A read-only table's metatable shows as a read-only view whose tables are read-only too.
G.getmetatable = function(value)
  local meta = raw_getmetatable(value)
  if not ours[meta] then return raw_getmetatable_field(value) end
  return setmetatable({}, our_meta({
    __index = function(_, name)
      local field = meta[name]
      if type(field) == 'table' then return protect(field) end
      return field
    end,
    __newindex = readonly,
    __metatable = false,
  }))
end

-- Only source text loads: a precompiled chunk could break the virtual machine's invariants.
local raw_loadstring, concat = loadstring, table.concat
local function load_text(text, name)
  if type(text) == 'string' and text:byte(1) == 27 then
    return nil, 'loading precompiled chunks is not allowed'
  end
  return raw_loadstring(text, name)
end
G.loadstring = load_text
G.load = function(reader, name)
  local pieces = {}
  while true do
    local piece = reader()
    if piece == nil or piece == '' then break end
    if type(piece) ~= 'string' then return nil, 'reader function must return a string' end
    pieces[#pieces + 1] = piece
  end
  return load_text(concat(pieces), name)
end

G.redis.call = as_c_function(call)
G.redis.pcall = pcall_command
-- Whether the script's user may run the command with these arguments.
G.redis.acl_check_cmd = function(...)
  local ok, reply = host(ACL_CHECK, ...)
  if ok then return reply end
  return raise_error_reply(reply)
end
for _, name in ipairs({'redis', 'string', 'math', 'table', 'coroutine',
                       'cjson', 'bit', 'struct', 'cmsgpack'}) do
  if G[name] ~= nil then G[name] = protect(G[name]) end
end
G._G = protect(G)
local function nonexistent_text(name)
  return "Script attempted to access nonexistent global variable '" .. tostring(name) .. "'"
end
local function nonexistent(_, name)
  raw_error(nonexistent_text(name), 2)
end
setmetatable(G, our_meta({
  __index = nonexistent,
  __newindex = readonly,
  __metatable = false,
}))
local env_meta = our_meta({__index = G, __newindex = readonly, __metatable = false})
local function make_env()
  return setmetatable({}, env_meta)
end

-- A library's environment. While FUNCTION LOAD runs the library's code its one global is a
-- `redis` table that registers functions, logs and holds the constants; once `loaded()` is
-- called, the library's functions see the globals every script sees. Registering later is
-- an error, as in Redis.
local full_redis = G.redis
local function library_env(register)
  local loading = true
  local api = {register_function = function(...)
    if loading then return register(...) end
    raise_error_reply('ERR redis.register_function can only be called on FUNCTION LOAD command')
  end}
  for _, name in ipairs({'log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING',
                         'REDIS_VERSION', 'REDIS_VERSION_NUM'}) do
    api[name] = full_redis[name]
  end
  local redis_api = setmetatable({}, our_meta({
    __index = function(_, name)
      local value = api[name]
      if value == nil then raw_error(nonexistent_text(name), 2) end
      return value
    end,
    __newindex = readonly,
    __metatable = false,
  }))
  local load_globals = setmetatable({redis = redis_api},
    our_meta({__index = nonexistent, __newindex = readonly, __metatable = false}))
  local meta = our_meta({__index = load_globals, __newindex = readonly, __metatable = false})
  local function loaded()
    loading = false
    meta.__index = G
  end
  return setmetatable({}, meta), loaded
end
return make_env, library_env
"#;

/// Lua's collector pause: the heap may grow to this percentage of what the last collection
/// left before the next starts.
const GC_PAUSE_PERCENT: std::ffi::c_int = 100;

/// How fast the collector works relative to allocation (Lua's default is 200).
const GC_STEP_MULTIPLIER: std::ffi::c_int = 1000;

/// A new Lua state with the sandbox set up, limited to `memory_max` bytes of heap.
pub(crate) fn new_vm(memory_max: usize) -> mlua::Result<(Vm, Sandbox)> {
    let vm = Vm::new(super::vm::new_lua(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
    ));
    let lua = &vm.lua;
    lua.set_memory_limit(memory_max)?;
    // Scripts leave short-lived garbage behind every run. A new collection starts as soon as
    // one ends (Lua's default waits for the heap to double) and runs ahead of allocation, so
    // that the heap stays near what is live.
    lua.gc_set_mode(mlua::state::GcMode::Incremental(
        mlua::state::GcIncParams::default()
            .pause(GC_PAUSE_PERCENT)
            .step_multiplier(GC_STEP_MULTIPLIER),
    ));
    libs::open(lua)?;
    let globals = lua.globals();
    for name in [
        "print", "loadfile", "dofile", "setfenv", "getfenv", "newproxy", "module", "require",
        "package", "os", "io",
    ] {
        globals.raw_remove(name)?;
    }
    install_random(lua, &globals)?;
    install_redis(lua, &globals)?;
    let (hook_yielded, killed) = vm.status_functions()?;
    // `debug.getinfo` for the prelude alone: scripts do not get the debug library.
    let debug: Table = globals.raw_get("debug")?;
    let getinfo: Function = debug.raw_get("getinfo")?;
    let raw_getmetatable: Function = debug.raw_get("getmetatable")?;
    globals.raw_remove("debug")?;
    let packed_marker = lua.create_table()?;
    let acl_marker = lua.create_table()?;
    let last_error = lua.create_table()?;
    let raw_error: Function = globals.raw_get("error")?;
    let (make_env, library_env): (Function, Function) =
        lua.load(PRELUDE).set_name(super::vm::PRELUDE_NAME).call((
            vm.host_function()?,
            packed_marker.clone(),
            last_error.clone(),
            raw_error,
            getinfo,
            raw_getmetatable,
            globals,
            lua.create_function(|lua, target: Function| super::vm::trampoline(lua, target))?,
            hook_yielded,
            killed,
            acl_marker.clone(),
        ))?;
    Ok((
        vm,
        Sandbox {
            make_env,
            library_env,
            packed_marker,
            acl_marker,
            last_error,
        },
    ))
}

/// Makes `state` the run the `redis` functions act for.
pub(crate) fn enter(lua: &Lua, state: &Rc<RunState>) {
    lua.set_app_data(Rc::clone(state));
}

fn run_state(lua: &Lua) -> mlua::Result<Rc<RunState>> {
    lua.app_data_ref::<Rc<RunState>>()
        .map(|state| Rc::clone(&state))
        .ok_or_else(|| mlua::Error::runtime("no script is running"))
}

fn install_random(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let math: Table = globals.raw_get("math")?;
    lua.set_app_data(Rand48(Cell::new(RAND48_START)));
    let random = lua.create_function(|lua, args: MultiValue| {
        let draw = lua
            .app_data_ref::<Rand48>()
            .map_or(0, |state| lrand48(&state.0));
        let r = (draw % RAND48_MAX) as f64 / RAND48_MAX as f64;
        let bound = |value: &Value| -> mlua::Result<f64> {
            match value {
                Value::Integer(number) => Ok(*number as f64),
                Value::Number(number) => Ok(*number),
                Value::String(text) => text
                    .to_str()
                    .ok()
                    .and_then(|text| text.trim().parse::<f64>().ok())
                    .ok_or_else(|| {
                        mlua::Error::runtime("bad argument to 'random' (number expected)")
                    }),
                _ => Err(mlua::Error::runtime(
                    "bad argument #1 to 'random' (number expected)",
                )),
            }
        };
        match args.len() {
            0 => Ok(r),
            1 => {
                let upper = bound(&args[0])?.trunc();
                if upper < 1.0 {
                    return Err(mlua::Error::runtime(
                        "bad argument #1 to 'random' (interval is empty)",
                    ));
                }
                Ok((r * upper).floor() + 1.0)
            }
            2 => {
                let lower = bound(&args[0])?.trunc();
                let upper = bound(&args[1])?.trunc();
                if lower > upper {
                    return Err(mlua::Error::runtime(
                        "bad argument #2 to 'random' (interval is empty)",
                    ));
                }
                Ok((r * (upper - lower + 1.0)).floor() + lower)
            }
            _ => Err(mlua::Error::runtime("wrong number of arguments")),
        }
    })?;
    let randomseed = lua.create_function(|lua, seed: f64| {
        if let Some(state) = lua.app_data_ref::<Rand48>() {
            state.0.set(seed48(seed as i64 as i32));
        }
        Ok(())
    })?;
    math.raw_set("random", random)?;
    math.raw_set("randomseed", randomseed)?;
    Ok(())
}

/// `redis.error_reply`'s text: a leading `-` dropped, `ERR ` added when there is no code.
pub(crate) fn error_text(message: &[u8]) -> Vec<u8> {
    let message = message.strip_prefix(b"-").unwrap_or(message);
    if message.contains(&b' ') {
        message.to_vec()
    } else {
        [b"ERR ".as_slice(), message].concat()
    }
}

fn install_redis(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(mlua::Error::runtime("wrong number of arguments"));
            }
            let text = lua
                .coerce_string(args[0].clone())?
                .ok_or_else(|| mlua::Error::runtime("wrong number of arguments"))?;
            lua.create_string(super::sha1_hex(&text.as_bytes()))
        })?,
    )?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let Some(Value::String(text)) = args.front().filter(|_| args.len() == 1) else {
                return Err(mlua::Error::runtime("wrong number or type of arguments"));
            };
            let table = lua.create_table()?;
            table.raw_set("err", lua.create_string(error_text(&text.as_bytes()))?)?;
            Ok(table)
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| {
            let Some(Value::String(text)) = args.front().filter(|_| args.len() == 1) else {
                return Err(mlua::Error::runtime("wrong number or type of arguments"));
            };
            let table = lua.create_table()?;
            table.raw_set("ok", text.clone())?;
            Ok(table)
        })?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() < 2 {
                return Err(mlua::Error::runtime(
                    "redis.log() requires two arguments or more.",
                ));
            }
            let level = match &args[0] {
                Value::Integer(level) => *level as f64,
                Value::Number(level) => *level,
                _ => {
                    return Err(mlua::Error::runtime(
                        "First argument must be a number (log level).",
                    ))
                }
            };
            if !(0.0..=3.0).contains(&level) {
                return Err(mlua::Error::runtime("Invalid debug level."));
            }
            // Scripts' log lines have nowhere to go yet: the arguments are checked, as Redis
            // checks them, and dropped.
            for value in args.iter().skip(1) {
                lua.coerce_string(value.clone())?;
            }
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "setresp",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(mlua::Error::runtime(
                    "redis.setresp() requires one argument.",
                ));
            }
            let resp = match &args[0] {
                Value::Integer(resp) => *resp as f64,
                Value::Number(resp) => *resp,
                _ => -1.0,
            };
            if resp != 2.0 && resp != 3.0 {
                return Err(mlua::Error::runtime("RESP version must be 2 or 3."));
            }
            run_state(lua)?.resp.set(resp as u8);
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|_, args: MultiValue| {
            if args.len() != 1 {
                return Err(mlua::Error::runtime(
                    "redis.set_repl() requires one argument.",
                ));
            }
            let flags = match &args[0] {
                Value::Integer(flags) => *flags as f64,
                Value::Number(flags) => *flags,
                _ => -1.0,
            };
            if !(0.0..=3.0).contains(&flags) || flags.fract() != 0.0 {
                return Err(mlua::Error::runtime(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            Ok(())
        })?,
    )?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    for (name, value) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
    ] {
        redis.raw_set(name, value)?;
    }
    let version = crate::command::REDIS_VERSION;
    redis.raw_set("REDIS_VERSION", version)?;
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<i64>().unwrap_or(0));
    let number = (parts.next().unwrap_or(0) << 16)
        | (parts.next().unwrap_or(0) << 8)
        | parts.next().unwrap_or(0);
    redis.raw_set("REDIS_VERSION_NUM", number)?;
    // The host function is the run slot's: set for each slice (see `command::scripting`).
    globals.raw_set("redis", redis)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_drand48() {
        // POSIX: srand48(0) then lrand48() twice.
        let state = Cell::new(seed48(0));
        assert_eq!(lrand48(&state), 366_850_414);
        assert_eq!(lrand48(&state), 1_610_402_240);
    }

    #[test]
    fn error_texts_get_a_code_when_they_have_none() {
        assert_eq!(error_text(b"x"), b"ERR x");
        assert_eq!(error_text(b"-x"), b"ERR x");
        assert_eq!(error_text(b"-x y"), b"x y");
        assert_eq!(error_text(b"my err"), b"my err");
    }
}
