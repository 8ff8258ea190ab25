//! Lua scripts: EVAL and FUNCTION on an embedded Lua 5.1.
//!
//! `Scripts` keeps the script bodies by SHA1 and the engine: the Lua state (created on first
//! use), the client the scripts' commands run as, and the script running now, if one is
//! suspended. What scripts may call is set up here (`sandbox`); running them against the
//! keyspace is `command::scripting`.

pub(crate) mod convert;
pub(crate) mod libs;
mod sandbox;
mod vm;

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use mlua::{Function, MultiValue, Thread};

pub(crate) use sandbox::{enter, RunState, Sandbox};
pub(crate) use vm::{Step, Vm};

use crate::clients::ConnectionId;
use crate::connection::Connection;

/// Scripts EVAL brought into the cache (rather than SCRIPT LOAD) beyond this many are dropped,
/// oldest first, so that a client sending ever new scripts cannot grow the cache without end.
pub(crate) const EVAL_SCRIPTS_MAX: usize = 500;

/// Lua instructions counted as one millisecond of `busy-reply-threshold`: the threshold is
/// counted in work, never in time, so that a run replays alike.
pub(crate) const INSTRUCTIONS_PER_MILLI: u64 = 100_000;

/// Once past the threshold, a script yields to the server after this many more instructions.
pub(crate) const INSTRUCTIONS_PER_SLICE: u64 = 1_000_000;

/// A script's SHA1 in lower-case hex, as EVALSHA names it.
pub(crate) type Sha = [u8; 40];

/// The `#!lua flags=...` a script declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ScriptFlags {
    /// The shebang was there at all: the script runs with the flags' rules (Redis's
    /// `SCRIPT_FLAG_EVAL_COMPAT_MODE` is its absence).
    pub(crate) declared: bool,
    pub(crate) no_writes: bool,
    pub(crate) allow_oom: bool,
    pub(crate) allow_stale: bool,
    pub(crate) no_cluster: bool,
    pub(crate) allow_cross_slot_keys: bool,
}

/// A cached script: what SCRIPT EXISTS knows and EVALSHA runs.
pub(crate) struct Script {
    pub(crate) body: Rc<[u8]>,
    pub(crate) flags: ScriptFlags,
    /// Brought in by EVAL (evictable) rather than SCRIPT LOAD.
    pub(crate) from_eval: bool,
}

/// Whether the suspended script came from EVAL or FCALL (their BUSY and KILL texts differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Eval,
    Function,
}

/// A library FUNCTION LOAD loaded: its code and the functions it registered.
pub(crate) struct Library {
    pub(crate) code: Rc<[u8]>,
    pub(crate) functions: Vec<String>,
}

/// A registered function: its library, flags and description (FUNCTION LIST, FCALL).
pub(crate) struct FunctionInfo {
    /// Its name as registered (the tables are keyed by its lower-case form).
    pub(crate) name: String,
    pub(crate) library: String,
    pub(crate) flags: ScriptFlags,
    pub(crate) description: Option<Vec<u8>>,
}

/// A script suspended past the busy threshold.
pub(crate) struct Running {
    pub(crate) thread: Thread,
    pub(crate) caller: ConnectionId,
    pub(crate) kind: Kind,
    /// Its name in errors: `script: <sha>` or `function: <name>`.
    pub(crate) name: String,
    pub(crate) state: Rc<RunState>,
    /// The arguments of the first resume (a function's keys and arguments), taken then.
    pub(crate) first_args: Option<MultiValue>,
    /// The chunk name its errors point into: `@user_script` or `@user_function`.
    pub(crate) source: &'static str,
    /// What FUNCTION STATS shows of it: the command and its arguments, and when it started.
    pub(crate) command: Vec<Vec<u8>>,
    pub(crate) started: crate::time::Instant,
    /// EVAL_RO, FCALL_RO or a `no-writes` script: write commands are refused.
    pub(crate) read_only: bool,
    /// It declared `allow-oom`: no command of it is refused for memory.
    pub(crate) allow_oom: bool,
    /// It ran a write command: SCRIPT KILL can no longer stop it.
    pub(crate) wrote: bool,
}

/// The Lua state with what runs in it.
pub(crate) struct Engine {
    pub(crate) vm: Vm,
    /// The client scripts' commands run as (Redis's Lua client).
    pub(crate) client: Box<Connection>,
    /// Compiled script bodies by SHA1.
    pub(crate) compiled: BTreeMap<Sha, Function>,
    /// Registered functions' callbacks by lower-case name.
    pub(crate) callbacks: BTreeMap<String, Function>,
    pub(crate) running: Option<Running>,
    pub(crate) sandbox: sandbox::Sandbox,
}

#[derive(Default)]
pub(crate) struct Scripts {
    pub(crate) cache: BTreeMap<Sha, Script>,
    /// FUNCTION LOAD's libraries by name, and their functions by lower-case name.
    pub(crate) libraries: BTreeMap<String, Library>,
    pub(crate) functions: BTreeMap<String, FunctionInfo>,
    /// EVAL-born scripts, oldest first.
    eval_order: VecDeque<Sha>,
    /// The engine; `None` until the first script, and while a script runs (taken out so that
    /// the script's commands can borrow the rest of the server).
    engine: Option<Box<Engine>>,
    /// A script is suspended past the busy threshold (its engine holds it): other clients get
    /// `-BUSY` until it ends.
    pub(crate) busy: Option<Kind>,
    /// Lua heap bytes allowed, from the config when the engine is made.
    pub(crate) memory_max: usize,
    /// The script now running called a read-only command: client-side caching then tracks
    /// the keys the script declared, for its caller, as Redis does.
    pub(crate) read_keys: bool,
}

impl Scripts {
    pub(crate) fn new(memory_max: usize) -> Scripts {
        Scripts {
            memory_max,
            ..Scripts::default()
        }
    }

    /// The connection whose script is suspended, if one is.
    pub(crate) fn suspended_caller(&self) -> Option<ConnectionId> {
        self.busy?;
        self.engine
            .as_ref()?
            .running
            .as_ref()
            .map(|running| running.caller)
    }

    /// The engine, made on first use; the caller puts it back with `put_engine`.
    pub(crate) fn take_engine(&mut self, client_id: u64) -> mlua::Result<Box<Engine>> {
        if let Some(engine) = self.engine.take() {
            return Ok(engine);
        }
        let (vm, sandbox) = sandbox::new_vm(self.memory_max)?;
        let mut client = Box::new(Connection::new(
            client_id,
            String::new(),
            crate::time::Instant::ZERO,
            true,
            crate::connection::Door::Resp,
        ));
        client.parser.set_authenticated(true);
        client.script_client = true;
        Ok(Box::new(Engine {
            vm,
            client,
            compiled: BTreeMap::new(),
            callbacks: BTreeMap::new(),
            running: None,
            sandbox,
        }))
    }

    pub(crate) fn put_engine(&mut self, engine: Box<Engine>) {
        self.engine = Some(engine);
    }

    pub(crate) fn engine_mut(&mut self) -> Option<&mut Engine> {
        self.engine.as_deref_mut()
    }

    /// The engine as it is (for SCRIPT KILL while a script is suspended).
    pub(crate) fn engine(&self) -> Option<&Engine> {
        self.engine.as_deref()
    }

    /// Adds a script to the cache; an EVAL-born one may push the oldest EVAL-born out.
    pub(crate) fn remember(
        &mut self,
        sha: Sha,
        body: Rc<[u8]>,
        flags: ScriptFlags,
        from_eval: bool,
    ) {
        if let Some(script) = self.cache.get_mut(&sha) {
            if !from_eval && script.from_eval {
                script.from_eval = false;
                self.eval_order.retain(|old| *old != sha);
            }
            return;
        }
        self.cache.insert(
            sha,
            Script {
                body,
                flags,
                from_eval,
            },
        );
        if from_eval {
            self.eval_order.push_back(sha);
            while self.eval_order.len() > EVAL_SCRIPTS_MAX {
                let Some(old) = self.eval_order.pop_front() else {
                    break;
                };
                self.cache.remove(&old);
                if let Some(engine) = self.engine.as_mut() {
                    engine.compiled.remove(&old);
                }
            }
        }
    }

    /// SCRIPT FLUSH: every EVAL script gone (functions stay), and the heap collected, as
    /// Redis's new Lua state starts empty.
    pub(crate) fn flush(&mut self) {
        self.cache.clear();
        self.eval_order.clear();
        if let Some(engine) = self.engine.as_mut() {
            engine.compiled.clear();
            let _ = engine.vm.lua.gc_collect();
        }
    }

    /// Forgets library `name` and its functions (FUNCTION DELETE, LOAD REPLACE).
    pub(crate) fn remove_library(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.remove(name)?;
        for function in &library.functions {
            let key = function_key(function.as_bytes());
            self.functions.remove(&key);
            if let Some(engine) = self.engine.as_mut() {
                engine.callbacks.remove(&key);
            }
        }
        Some(library)
    }

    /// FUNCTION FLUSH: every library gone.
    pub(crate) fn remove_libraries(&mut self) {
        self.libraries.clear();
        self.functions.clear();
        if let Some(engine) = self.engine.as_mut() {
            engine.callbacks.clear();
        }
    }
}

/// Functions are found by name whatever its case, as in Redis: the key of the tables of
/// functions.
pub(crate) fn function_key(name: &[u8]) -> String {
    String::from_utf8_lossy(name).to_ascii_lowercase()
}

/// The lower-case hex SHA1 of `bytes`.
pub(crate) fn sha1_hex(bytes: &[u8]) -> Sha {
    use sha1::Digest;
    hex_of(&sha1::Sha1::digest(bytes).into())
}

/// A SHA1 digest in lower-case hex, as Redis prints one.
pub(crate) fn hex_of(digest: &[u8; 20]) -> Sha {
    let mut hex = [0u8; 40];
    for (index, byte) in digest.iter().enumerate() {
        hex[index * 2] = HEX[usize::from(byte >> 4)];
        hex[index * 2 + 1] = HEX[usize::from(byte & 15)];
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `#!<engine> flags=a,b` on the first line: the flags, and the body to compile (the shebang
/// line blanked so that line numbers stay). Errors as Redis words them.
pub(crate) fn parse_shebang(body: &[u8]) -> Result<(ScriptFlags, Vec<u8>), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::default(), body.to_vec()));
    }
    let end = body
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|part| !part.is_empty());
    let engine = parts.next().unwrap_or("");
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!(
            "ERR Unexpected engine in script shebang: #!{engine}"
        ));
    }
    let mut flags = ScriptFlags {
        declared: true,
        ..ScriptFlags::default()
    };
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        for flag in list.split(',').filter(|flag| !flag.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" => flags.allow_stale = true,
                "no-cluster" => flags.no_cluster = true,
                "allow-cross-slot-keys" => flags.allow_cross_slot_keys = true,
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            }
        }
    }
    Ok((flags, body[end..].to_vec()))
}
