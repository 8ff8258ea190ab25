//! The libraries Redis gives scripts beyond Lua's own: `cjson`, `cmsgpack`, `bit` and `struct`.
//!
//! Each is written from the behaviour Redis 7.0 shows to scripts: the same results, the same
//! error texts, the same limits. Two things are shared by all four and live here:
//!
//! - **Plain string errors.** Redis's libraries raise errors with `luaL_error`, so a script's
//!   `pcall` gets a string. An mlua callback that fails raises a userdata instead, so every
//!   library function is a Rust function returning `(true, results...)` or `(false, message)`,
//!   wrapped in a small Lua function that turns the latter into `error(message, 0)`.
//! - **Arguments as Lua's C API reads them** ([`Args`]): numbers from numeric strings, strings
//!   from numbers, and the `bad argument #n to 'name' (...)` texts.

mod bit;
mod cjson;
mod cmsgpack;
mod number;
mod structlib;

use mlua::{Function, Lua, MultiValue, Value};

/// Installs every library as a global table.
pub(crate) fn open(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("cjson", cjson::module(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::module(lua)?)?;
    globals.raw_set("bit", bit::module(lua)?)?;
    globals.raw_set("struct", structlib::module(lua)?)?;
    Ok(())
}

/// Why a library function stopped.
pub(super) enum Failure {
    /// A Lua error whose value is this string, as `luaL_error` raises.
    Raise(Vec<u8>),
    /// A failure of the Lua state itself (out of memory, say): passed on as mlua raised it.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Failure {
    fn from(error: mlua::Error) -> Self {
        Failure::Lua(error)
    }
}

pub(super) type Outcome<T> = Result<T, Failure>;

/// A plain string error with this text.
pub(super) fn raise(message: impl Into<Vec<u8>>) -> Failure {
    Failure::Raise(message.into())
}

/// Turns `(ok, ...)` from the Rust side into results or a string error. `error` is captured when
/// the chunk runs, so a script that replaces the global cannot change how libraries fail.
const RAISE_PLAIN_ERRORS: &str = r#"
local raw, error = ...
local function finish(ok, ...)
  if ok then return ... end
  error((...), 0)
end
return function(...) return finish(raw(...)) end
"#;

/// A library function named `name` (the name its argument errors give) running `body`.
pub(super) fn function<F>(lua: &Lua, name: &'static str, body: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Outcome<Vec<Value>> + 'static,
{
    let raw = lua.create_function(move |lua, values: MultiValue| {
        let args = Args {
            function_name: name,
            values: values.into_vec(),
        };
        match body(lua, args) {
            Ok(results) => {
                let mut returned = MultiValue::from_vec(results);
                returned.push_front(Value::Boolean(true));
                Ok(returned)
            }
            Err(Failure::Raise(message)) => Ok(MultiValue::from_vec(vec![
                Value::Boolean(false),
                Value::String(lua.create_string(message)?),
            ])),
            Err(Failure::Lua(error)) => Err(error),
        }
    })?;
    let error: Function = lua.globals().raw_get("error")?;
    lua.load(RAISE_PLAIN_ERRORS)
        .set_name(format!("={name}"))
        .call((raw, error))
}

/// The arguments of one call, read as Lua's C API (`luaL_check*`) reads them.
pub(super) struct Args {
    function_name: &'static str,
    values: Vec<Value>,
}

impl Args {
    /// How many arguments were passed, trailing nils included.
    pub(super) fn count(&self) -> usize {
        self.values.len()
    }

    /// Argument `position` (counted from 1) or `None` past the last one.
    pub(super) fn get(&self, position: usize) -> Option<&Value> {
        position
            .checked_sub(1)
            .and_then(|index| self.values.get(index))
    }

    /// True when argument `position` is absent or nil (what `luaL_opt*` treats as "not given").
    pub(super) fn is_none_or_nil(&self, position: usize) -> bool {
        matches!(self.get(position), None | Some(Value::Nil))
    }

    /// `bad argument #position to 'name' (reason)`, the text of `luaL_argerror`.
    pub(super) fn bad_argument(&self, position: usize, reason: &str) -> Failure {
        raise(format!(
            "bad argument #{position} to '{}' ({reason})",
            self.function_name
        ))
    }

    fn type_error(&self, position: usize, expected: &str) -> Failure {
        let found = self.get(position).map_or("no value", lua_type_name);
        self.bad_argument(position, &format!("{expected} expected, got {found}"))
    }

    /// `luaL_checknumber`: a number, or a string Lua converts to one.
    pub(super) fn number(&self, position: usize) -> Outcome<f64> {
        self.get(position)
            .and_then(coerce_number)
            .ok_or_else(|| self.type_error(position, "number"))
    }

    /// `luaL_checkinteger`: a number truncated toward zero as C's cast does.
    pub(super) fn integer(&self, position: usize) -> Outcome<i64> {
        self.number(position).map(number::truncate_to_i64)
    }

    /// `luaL_optinteger`: `default` when absent or nil.
    pub(super) fn optional_integer(&self, position: usize, default: i64) -> Outcome<i64> {
        if self.is_none_or_nil(position) {
            return Ok(default);
        }
        self.integer(position)
    }

    /// `luaL_checklstring`: a string, or a number written as Lua writes it (`%.14g`).
    pub(super) fn bytes(&self, position: usize) -> Outcome<Vec<u8>> {
        match self.get(position) {
            Some(Value::String(string)) => Ok(string.as_bytes().to_vec()),
            Some(Value::Integer(integer)) => Ok(integer.to_string().into_bytes()),
            Some(Value::Number(float)) => Ok(number::format_general(*float, 14).into_bytes()),
            _ => Err(self.type_error(position, "string")),
        }
    }
}

/// A number as `lua_tonumber` sees it: numbers, and strings that read as numbers.
pub(super) fn coerce_number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(integer) => Some(*integer as f64),
        Value::Number(float) => Some(*float),
        Value::String(string) => number::lua_string_to_number(&string.as_bytes()),
        _ => None,
    }
}

/// The type name Lua 5.1 gives a value (`lua_typename`): a light userdata is a "userdata".
pub(super) fn lua_type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) | Value::Error(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        Value::Other(_) => "userdata",
    }
}

/// The most values a library function returns. A C function's results share Lua's 8,000-slot
/// C stack (`LUAI_MAXCSTACK`) with what mlua keeps there, which leaves room for 7,973; Redis's
/// libraries stop a little later (`struct.unpack` after 7,997 values, `cmsgpack.unpack` after
/// 7,999), with the errors we give here.
pub(super) const LUA_RESULTS_MAX: usize = 7_960;

#[cfg(test)]
pub(super) mod test_support {
    use mlua::{Lua, StdLib};

    /// A Lua state with the standard libraries scripts use and ours.
    pub(crate) fn lua() -> Lua {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            mlua::LuaOptions::default(),
        )
        .expect("a Lua state");
        super::open(&lua).expect("the libraries install");
        lua
    }

    /// Runs `script` and returns its single result as Lua's `tostring` writes it, or the error
    /// text `pcall` hands back when the script raises.
    pub(crate) fn eval(lua: &Lua, script: &str) -> String {
        let wrapped = format!(
            "local ok, result = pcall(function() {script} end) \
             if ok then return tostring(result) end \
             return 'error: ' .. tostring(result)"
        );
        lua.load(&wrapped)
            .eval::<String>()
            .expect("the script runs")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{eval, lua};

    // Expected values taken from Redis 7.0.15.
    #[test]
    fn errors_reach_pcall_as_plain_strings() {
        let lua = lua();
        assert_eq!(
            eval(&lua, "local ok, e = pcall(bit.band, 'x') return type(e)"),
            "string"
        );
        assert_eq!(
            eval(&lua, "return select(2, pcall(bit.band, 'x'))"),
            "bad argument #1 to 'band' (number expected, got string)"
        );
    }

    #[test]
    fn replacing_the_global_error_does_not_change_how_libraries_fail() {
        let lua = lua();
        assert_eq!(
            eval(
                &lua,
                "error = function() return 'swallowed' end \
                 return select(2, pcall(bit.tobit, {}))"
            ),
            "bad argument #1 to 'tobit' (number expected, got table)"
        );
    }
}
