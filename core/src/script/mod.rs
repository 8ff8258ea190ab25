//! Lua scripts: EVAL and FUNCTION on an embedded Lua 5.1.

#[allow(dead_code)] // the engine that calls it comes next
pub(crate) mod libs;
