//! The Lua state scripts run in, and how one script runs in slices.
//!
//! A script runs as a Lua coroutine. A count hook looks at the script's budget every
//! `HOOK_EVERY` instructions: past the busy threshold it yields the coroutine, so the server
//! returns to its caller (the event loop, the simulator) with the script suspended and resumes
//! it on its next call, answering others `-BUSY` meanwhile; once SCRIPT KILL asked, it raises
//! an error at every look, so that no `pcall` can swallow it. Everything is counted in
//! instructions, so a run replays the same way from the same inputs.
//!
//! Lua 5.1 lets a count hook yield (`lua_yield` from the hook, the VM then returns from
//! `lua_resume`), which the binding does not offer: this module installs its own C hook.
//! That is the only unsafe code of the crate.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::ffi::c_int;
use std::ptr::NonNull;
use std::rc::Rc;

use mlua::{ffi, Function, Lua, MultiValue, Table, Thread};

/// Lua instructions between two looks at the budget.
const HOOK_EVERY: c_int = 10_000;

/// Lua instructions between two looks while a script past its yield point is somewhere it
/// cannot yield (a prime, so that no loop keeps it there).
const RETRY_EVERY: c_int = 97;

/// Sets the count hook of `state` to look every `period` instructions.
///
/// # Safety
/// `state` is a valid Lua thread of the state the hook belongs to.
unsafe fn set_hook(state: *mut ffi::lua_State, period: c_int) {
    // SAFETY: see the function's contract.
    unsafe { ffi::lua_sethook(state, Some(count_hook), ffi::LUA_MASKCOUNT, period) };
}

/// What the hook reads and writes, shared with it through the Lua registry (a light userdata
/// under `BUDGET_KEY`). It lives in a `Box` owned by the `Vm`, so its address is stable.
#[derive(Default)]
pub(crate) struct Budget {
    /// The running script's coroutine (`lua_State` address): the only thread the hook yields.
    main: Cell<usize>,
    /// Instructions run by the current script, counted `HOOK_EVERY` at a time.
    executed: Cell<u64>,
    /// Past this count the hook yields at its next chance.
    yield_at: Cell<u64>,
    /// SCRIPT KILL or FUNCTION KILL asked: every look raises `kill_message`.
    kill: Cell<bool>,
    /// The hook yielded (rather than the script calling `coroutine.yield`).
    yielded: Cell<bool>,
    /// The line the script was at when the hook stopped it.
    line: Cell<i64>,
    kill_message: Cell<&'static str>,
    /// The script ran a write command (then nothing stops it but its end).
    wrote: Cell<bool>,
}

/// A script past its yield point that cannot yield (it loops inside `pcall`, a metamethod or
/// a sort comparator) for this many more instructions, and has not written, is stopped: no
/// client could reach it with SCRIPT KILL while it cannot yield.
const UNYIELDING_MAX: u64 = 100 * super::INSTRUCTIONS_PER_SLICE;

const STUCK_MESSAGE: &str = "Script killed: it ran past busy-reply-threshold where it could not \
     pause (inside pcall, a metamethod or a comparator)";

/// The registry key of the budget: the address of this static.
static BUDGET_KEY: u8 = 0;

/// The chunk name of the sandbox's own Lua code (`sandbox::PRELUDE`).
pub(crate) const PRELUDE_NAME: &str = "=prelude";

/// Whether the hook may yield `state`: the script's own coroutine (`main`) or one the
/// sandbox's `pcall` runs a function in (its first frame is the prelude's), with no C function
/// on its stack (Lua 5.1 cannot yield across one: a sort comparator, a metamethod), and not
/// while the prelude's own code runs.
unsafe fn may_yield(state: *mut ffi::lua_State, main: usize) -> bool {
    let mut level = 0;
    let mut bottom_is_prelude = false;
    let mut debug: ffi::lua_Debug = unsafe { std::mem::zeroed() };
    while unsafe { ffi::lua_getstack(state, level, &mut debug) } != 0 {
        unsafe { ffi::lua_getinfo(state, c"S".as_ptr(), &mut debug) };
        if !debug.what.is_null() && unsafe { *debug.what } as u8 == b'C' {
            return false;
        }
        // SAFETY: `source` is the NUL-terminated chunk name Lua keeps for the function.
        let source = unsafe { std::ffi::CStr::from_ptr(debug.source) };
        bottom_is_prelude = source.to_bytes() == PRELUDE_NAME.as_bytes();
        if level == 0 && bottom_is_prelude {
            return false;
        }
        level += 1;
    }
    level > 0 && (state as usize == main || bottom_is_prelude)
}

/// What the hook decided; acted on once nothing that needs dropping is alive, since raising
/// an error leaves the function by `longjmp`.
enum Verdict {
    Continue,
    Yield,
    Kill(&'static str),
}

unsafe extern "C-unwind" fn count_hook(state: *mut ffi::lua_State, debug: *mut ffi::lua_Debug) {
    // SAFETY: the registry holds the address of the `Budget` the `Vm` owns for as long as its
    // Lua state lives, and the hook runs only inside that state.
    let budget = unsafe {
        ffi::lua_pushlightuserdata(state, &BUDGET_KEY as *const u8 as *mut _);
        ffi::lua_rawget(state, ffi::LUA_REGISTRYINDEX);
        let budget = ffi::lua_touserdata(state, -1) as *const Budget;
        ffi::lua_pop(state, 1);
        &*budget
    };
    // SAFETY: `state` is the running thread the hook was called for.
    let period = unsafe { ffi::lua_gethookcount(state) };
    budget
        .executed
        .set(budget.executed.get() + period.max(1) as u64);
    let verdict = if budget.kill.get() {
        // SAFETY: `debug` is the record the VM passed to this hook.
        if unsafe { ffi::lua_getinfo(state, c"l".as_ptr(), debug) } != 0 {
            budget.line.set(i64::from(unsafe { (*debug).currentline }));
        }
        Verdict::Kill(budget.kill_message.get())
    } else if budget.executed.get() >= budget.yield_at.get() {
        if unsafe { may_yield(state, budget.main.get()) } {
            budget.yielded.set(true);
            // SAFETY: a hook may set the hook of its own thread.
            unsafe { set_hook(state, HOOK_EVERY) };
            Verdict::Yield
        } else if budget.executed.get() >= budget.yield_at.get().saturating_add(UNYIELDING_MAX)
            && !budget.wrote.get()
        {
            budget.kill_message.set(STUCK_MESSAGE);
            budget.kill.set(true);
            Verdict::Kill(STUCK_MESSAGE)
        } else {
            // Look again soon, at an odd count: a loop whose length divides `HOOK_EVERY`
            // would otherwise be looked at in the same (unyielding) place every time.
            if period != RETRY_EVERY {
                // SAFETY: a hook may set the hook of its own thread.
                unsafe { set_hook(state, RETRY_EVERY) };
            }
            Verdict::Continue
        }
    } else {
        Verdict::Continue
    };
    match verdict {
        Verdict::Continue => {}
        Verdict::Yield => {
            // SAFETY: a count hook of Lua 5.1 may yield when no C call is in between (checked
            // above); `lua_resume` then returns LUA_YIELD and a later resume continues.
            unsafe { ffi::lua_yield(state, 0) };
        }
        Verdict::Kill(message) => unsafe {
            ffi::lua_pushlstring(state, message.as_ptr().cast(), message.len());
            ffi::lua_error(state);
        },
    }
}

/// A Lua state with `libs` (and the base library). The debug library is among them so that
/// the sandbox can keep `debug.getinfo` for itself before it removes the library from what
/// scripts see; the binding's safe constructor refuses to load it at all.
pub(crate) fn new_lua(libs: mlua::StdLib) -> Lua {
    // SAFETY: the debug library is taken out of the globals before any script runs
    // (`sandbox::new_vm`); nothing else differs from the safe constructor.
    unsafe { Lua::unsafe_new_with(libs, mlua::LuaOptions::default()) }
}

/// The registry key of the Lua function `call_trampoline` calls.
const CALL_KEY: &str = "ferrodis.call";

/// Calls the registry's `CALL_KEY` function with this call's arguments. Being a C function, a
/// script's `return redis.call(...)` keeps the script's frame on the stack (Lua 5.1 turns a
/// tail call to a C function into a plain call), so an error can name the script's line.
unsafe extern "C-unwind" fn call_trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua owns its stack frame; one more slot is within the
    // LUA_MINSTACK every C function is given.
    unsafe {
        let arguments = ffi::lua_gettop(state);
        ffi::lua_pushlstring(state, CALL_KEY.as_ptr().cast(), CALL_KEY.len());
        ffi::lua_rawget(state, ffi::LUA_REGISTRYINDEX);
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, arguments, ffi::LUA_MULTRET);
        ffi::lua_gettop(state)
    }
}

/// A C function that calls `target` with its arguments (see `call_trampoline`; there is one
/// such target per state).
pub(crate) fn trampoline(lua: &Lua, target: Function) -> mlua::Result<Function> {
    lua.set_named_registry_value(CALL_KEY, target)?;
    // SAFETY: `call_trampoline` follows the Lua C API's calling convention.
    unsafe { lua.create_c_function(call_trampoline) }
}

/// The Lua state, its budget, and the script now running, if one is suspended.
pub(crate) struct Vm {
    pub(crate) lua: Lua,
    budget: Rc<Budget>,
    host: Rc<HostSlot>,
    /// A coroutine whose script returned, kept to run the next one (making one costs more
    /// than the rest of a short script's run).
    spare: RefCell<Option<Thread>>,
}

/// What a script's `redis.call` reaches: the command runner of the slice now running.
pub(crate) type HostCall<'a> = dyn FnMut(&Lua, MultiValue) -> mlua::Result<MultiValue> + 'a;

/// The host of the slice now running, if any. One Lua function made with the state calls it,
/// so that no slice has to make (and the collector free) a function of its own.
#[derive(Default)]
struct HostSlot {
    current: Cell<Option<NonNull<HostCall<'static>>>>,
}

impl HostSlot {
    fn call(&self, lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
        // Taken while it runs: a call back in (which no command makes) finds no host.
        let Some(host) = self.current.take() else {
            return Err(mlua::Error::runtime("no script is running"));
        };
        // SAFETY: `Vm::with_host` set this pointer from a live `&mut` and clears it before
        // that borrow ends; it was taken out of the slot, so no other reference exists now.
        let outcome = unsafe { (*host.as_ptr())(lua, args) };
        self.current.set(Some(host));
        outcome
    }
}

/// How a slice of a script ended.
pub(crate) enum Step {
    /// The script returned (its values) or failed (the Lua error).
    Done(Result<MultiValue, mlua::Error>),
    /// The hook yielded: the script waits to be resumed.
    Yielded,
}

impl Vm {
    pub(crate) fn new(lua: Lua) -> Vm {
        let budget = Rc::new(Budget::default());
        let address = Rc::as_ptr(&budget) as *mut std::ffi::c_void;
        // SAFETY: plain stack operations on the main state, which no script is running on.
        unsafe {
            lua.exec_raw::<()>((), |state| {
                ffi::lua_pushlightuserdata(state, &BUDGET_KEY as *const u8 as *mut _);
                ffi::lua_pushlightuserdata(state, address);
                ffi::lua_rawset(state, ffi::LUA_REGISTRYINDEX);
            })
        }
        .expect("the registry takes a light userdata");
        Vm {
            lua,
            budget,
            host: Rc::default(),
            spare: RefCell::default(),
        }
    }

    /// The Lua function that calls the host of the running slice (see `with_host`).
    pub(crate) fn host_function(&self) -> mlua::Result<Function> {
        let slot = Rc::clone(&self.host);
        self.lua
            .create_function(move |lua, args: MultiValue| slot.call(lua, args))
    }

    /// Runs `body` (which resumes a script) with `host` answering the script's commands.
    pub(crate) fn with_host<R>(&self, host: &mut HostCall<'_>, body: impl FnOnce() -> R) -> R {
        /// Clears the slot when `body` returns or unwinds.
        struct Clear<'slot>(&'slot HostSlot);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                self.0.current.set(None);
            }
        }
        let pointer = NonNull::from(host);
        // SAFETY: only the lifetime is erased. The slot holds the pointer while `body` runs
        // and `Clear` empties it before `host`'s borrow ends, so it is never used after.
        let erased: NonNull<HostCall<'static>> = unsafe { std::mem::transmute(pointer) };
        self.host.current.set(Some(erased));
        let _clear = Clear(&self.host);
        body()
    }

    /// A run's arguments, made in one protected call (on Lua 5.1 every call through the
    /// binding costs an allocation): KEYS and ARGV as Lua arrays, also set in `function`'s
    /// environment when `in_environment` (a script's; a function takes them as arguments),
    /// and the last-error record cleared.
    pub(crate) fn run_arguments(
        &self,
        function: &Function,
        in_environment: bool,
        last_error: &Table,
        keys: &[&[u8]],
        argv: &[&[u8]],
    ) -> mlua::Result<(Table, Table)> {
        /// Pushes an array of `items`; a few stack slots whatever their number.
        unsafe fn push_array(state: *mut ffi::lua_State, items: &[&[u8]]) {
            // SAFETY (for the caller): inside a protected call with 3 free slots.
            unsafe {
                ffi::lua_createtable(state, c_int::try_from(items.len()).unwrap_or(0), 0);
                for (index, item) in items.iter().enumerate() {
                    ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
                    ffi::lua_rawseti(state, -2, index as ffi::lua_Integer + 1);
                }
            }
        }
        unsafe fn set_field(state: *mut ffi::lua_State, table: c_int, name: &str, value: c_int) {
            // SAFETY (for the caller): `table` and `value` are valid absolute indices.
            unsafe {
                ffi::lua_pushlstring(state, name.as_ptr().cast(), name.len());
                if value == 0 {
                    ffi::lua_pushnil(state);
                } else {
                    ffi::lua_pushvalue(state, value);
                }
                ffi::lua_rawset(state, table);
            }
        }
        // SAFETY: the closure runs in a protected call with the function at 1 and the error
        // record at 2; it uses at most three slots beyond the ones it leaves (KEYS, ARGV).
        unsafe {
            self.lua.exec_raw((function, last_error), |state| {
                for name in ["value", "line", "call", "counted"] {
                    set_field(state, 2, name, 0);
                }
                push_array(state, keys);
                push_array(state, argv);
                if in_environment {
                    ffi::lua_getfenv(state, 1);
                    set_field(state, 5, "KEYS", 3);
                    set_field(state, 5, "ARGV", 4);
                    ffi::lua_pop(state, 1);
                }
                ffi::lua_remove(state, 1);
                ffi::lua_remove(state, 1);
            })
        }
    }

    /// A coroutine that will run `function`, with the count hook set; `yield_after` is the
    /// instruction count past which it may be suspended.
    pub(crate) fn start(&self, function: Function, yield_after: u64) -> mlua::Result<Thread> {
        let spare = self.spare.borrow_mut().take();
        let thread = match spare {
            Some(thread) => {
                thread.reset(function)?;
                thread
            }
            None => self.lua.create_thread(function)?,
        };
        let budget = &self.budget;
        budget.main.set(thread.state() as usize);
        budget.executed.set(0);
        budget.yield_at.set(yield_after);
        budget.kill.set(false);
        budget.yielded.set(false);
        budget.line.set(0);
        budget.wrote.set(false);
        // SAFETY: the thread is new and not running; user coroutines it creates inherit the
        // hook, so their instructions count too.
        unsafe { set_hook(thread.state(), HOOK_EVERY) };
        Ok(thread)
    }

    /// Runs `thread` until it returns, fails or the hook yields. `next_yield` instructions
    /// more may run before the next yield once resumed.
    pub(crate) fn resume(&self, thread: &Thread, args: MultiValue, next_yield: u64) -> Step {
        self.budget.yielded.set(false);
        let result = thread.resume::<MultiValue>(args);
        match result {
            Ok(_) if self.budget.yielded.get() => {
                let executed = self.budget.executed.get();
                self.budget
                    .yield_at
                    .set(executed.saturating_add(next_yield));
                Step::Yielded
            }
            Ok(_) if thread.status() == mlua::thread::ThreadStatus::Resumable => Step::Done(Err(
                mlua::Error::runtime("attempt to yield from outside a coroutine"),
            )),
            other => Step::Done(other),
        }
    }

    /// Keeps `thread`, whose script returned, for the next script.
    pub(crate) fn recycle(&self, thread: Thread) {
        if thread.status() == mlua::thread::ThreadStatus::Finished {
            *self.spare.borrow_mut() = Some(thread);
        }
    }

    /// Lua functions telling the sandbox's `pcall` whether the hook just suspended the script
    /// (to pass the yield up) and whether it was killed (an error no `pcall` may catch).
    pub(crate) fn status_functions(&self) -> mlua::Result<(Function, Function)> {
        let budget = Rc::clone(&self.budget);
        let yielded = self
            .lua
            .create_function(move |_, ()| Ok(budget.yielded.get()))?;
        let budget = Rc::clone(&self.budget);
        let killed = self
            .lua
            .create_function(move |_, ()| Ok(budget.kill.get()))?;
        Ok((yielded, killed))
    }

    /// Asks the running script to stop with `message` at the hook's next look.
    pub(crate) fn kill(&self, message: &'static str) {
        self.budget.kill_message.set(message);
        self.budget.kill.set(true);
    }

    /// The running script wrote: it may no longer be stopped.
    pub(crate) fn note_write(&self) {
        self.budget.wrote.set(true);
    }

    pub(crate) fn killed(&self) -> bool {
        self.budget.kill.get()
    }

    /// The line a killed script was stopped at.
    pub(crate) fn killed_line(&self) -> i64 {
        self.budget.line.get()
    }
}
