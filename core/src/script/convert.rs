//! Between Redis replies and Lua values, both ways, as Redis converts them.
//!
//! A command a script runs replies into a buffer like any client's; `reply_to_lua` reads
//! that RESP2 or RESP3 back as Lua values. `lua_to_reply` writes what a script returns as
//! the caller's reply.

use mlua::{Lua, Table, Value};

use crate::reply::Reply;

/// Nesting deeper than this in a script's return value is answered with an error element,
/// as Redis does when its Lua stack runs out (a table that holds itself, say).
const DEPTH_MAX: usize = 128;

/// One reply read from `bytes` at `*at`: a Lua value, or the text of an error reply.
/// `bytes` is a reply the core wrote, so it is well formed; a malformed one reads as an error
/// rather than a panic all the same.
pub(crate) fn reply_to_lua(lua: &Lua, bytes: &[u8]) -> mlua::Result<Result<Value, Vec<u8>>> {
    let mut at = 0;
    read_value(lua, bytes, &mut at, 0)
}

fn line<'a>(bytes: &'a [u8], at: &mut usize) -> &'a [u8] {
    let start = *at;
    let end = bytes[start..]
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .map_or(bytes.len(), |offset| start + offset);
    *at = (end + 2).min(bytes.len());
    &bytes[start..end]
}

fn number(text: &[u8]) -> i64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

fn malformed() -> mlua::Result<Result<Value, Vec<u8>>> {
    Ok(Err(b"ERR malformed reply".to_vec()))
}

fn read_value(
    lua: &Lua,
    bytes: &[u8],
    at: &mut usize,
    depth: usize,
) -> mlua::Result<Result<Value, Vec<u8>>> {
    if *at >= bytes.len() || depth > DEPTH_MAX {
        return malformed();
    }
    let marker = bytes[*at];
    *at += 1;
    let head = line(bytes, at);
    let value = match marker {
        b'+' => {
            let table = lua.create_table()?;
            table.raw_set("ok", lua.create_string(head)?)?;
            Value::Table(table)
        }
        b'-' => return Ok(Err(head.to_vec())),
        b':' => Value::Number(number(head) as f64),
        b'$' | b'=' => {
            let len = number(head);
            if len < 0 {
                return Ok(Ok(Value::Boolean(false)));
            }
            let end = (*at + len as usize).min(bytes.len());
            let body = &bytes[*at..end];
            *at = (end + 2).min(bytes.len());
            if marker == b'=' {
                let (format, text) = body.split_at(body.len().min(4));
                let inner = lua.create_table()?;
                inner.raw_set("format", lua.create_string(&format[..format.len().min(3)])?)?;
                inner.raw_set("string", lua.create_string(text)?)?;
                let table = lua.create_table()?;
                table.raw_set("verbatim_string", inner)?;
                Value::Table(table)
            } else {
                Value::String(lua.create_string(body)?)
            }
        }
        b'*' | b'~' | b'%' | b'>' => {
            let len = number(head);
            if len < 0 {
                return Ok(Ok(Value::Boolean(false)));
            }
            let items = lua.create_table()?;
            let mut first_error = None;
            let mut read = |lua: &Lua, at: &mut usize| -> mlua::Result<Value> {
                Ok(match read_value(lua, bytes, at, depth + 1)? {
                    Ok(value) => value,
                    Err(text) => {
                        first_error.get_or_insert(());
                        error_table(lua, &text)?
                    }
                })
            };
            match marker {
                b'%' => {
                    for _ in 0..len {
                        let key = read(lua, at)?;
                        let value = read(lua, at)?;
                        items.raw_set(key, value)?;
                    }
                    wrap(lua, "map", items)?
                }
                b'~' => {
                    for _ in 0..len {
                        let member = read(lua, at)?;
                        items.raw_set(member, true)?;
                    }
                    wrap(lua, "set", items)?
                }
                _ => {
                    for index in 0..len {
                        let item = read(lua, at)?;
                        items.raw_set(index + 1, item)?;
                    }
                    Value::Table(items)
                }
            }
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(head == b"t"),
        b',' => {
            let text = std::str::from_utf8(head).unwrap_or("0");
            let value = match text {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => text.parse().unwrap_or(f64::NAN),
            };
            let table = lua.create_table()?;
            table.raw_set("double", value)?;
            Value::Table(table)
        }
        b'(' => {
            let table = lua.create_table()?;
            table.raw_set("big_number", lua.create_string(head)?)?;
            Value::Table(table)
        }
        _ => return malformed(),
    };
    Ok(Ok(value))
}

fn wrap(lua: &Lua, name: &str, inner: Table) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    table.raw_set(name, inner)?;
    Ok(Value::Table(table))
}

/// `{err = text}`, as an error inside an aggregate reply reaches a script.
pub(crate) fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(text)?)?;
    Ok(Value::Table(table))
}

/// Whether `value` is an error table whose error INFO errorstats counted already, when the
/// call that returned it failed (Redis's `ignore_error_stats_update`).
pub(crate) fn is_counted_error(value: &Value) -> bool {
    let Value::Table(table) = value else {
        return false;
    };
    matches!(field(table, "err"), Value::String(_))
        && matches!(
            field(table, "ignore_error_stats_update"),
            Value::Boolean(true)
        )
}

/// Writes what a script returned as a reply. `resp3` is the script's `redis.setresp` (it
/// decides how booleans answer); the reply's own protocol is the caller's.
pub(crate) fn lua_to_reply(value: &Value, reply: &mut Reply<'_>, resp3: bool) {
    write_value(value, reply, resp3, 0);
}

fn write_value(value: &Value, reply: &mut Reply<'_>, resp3: bool, depth: usize) {
    if depth > DEPTH_MAX {
        reply.error(b"ERR reached lua stack limit");
        return;
    }
    match value {
        Value::Nil => reply.null(),
        Value::Boolean(true) if resp3 => reply.boolean(true),
        Value::Boolean(false) if resp3 => reply.boolean(false),
        Value::Boolean(true) => reply.integer(1),
        Value::Boolean(false) => reply.null(),
        Value::Integer(number) => reply.integer(*number),
        Value::Number(number) => reply.integer(truncate(*number)),
        Value::String(text) => reply.bulk(&text.as_bytes()),
        Value::Table(table) => write_table(table, reply, resp3, depth),
        _ => reply.null(),
    }
}

/// C's cast of a double to `long long` as Redis runs it on x86-64: toward zero, and NaN or a
/// value out of range (2^63 and beyond, as an integer reply past `i64::MAX` rounds to) gives
/// the "integer indefinite" value, `i64::MIN`.
fn truncate(number: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if number.is_nan() || !(-LIMIT..LIMIT).contains(&number) {
        i64::MIN
    } else {
        number as i64
    }
}

fn field(table: &Table, name: &str) -> Value {
    table.raw_get(name).unwrap_or(Value::Nil)
}

fn write_table(table: &Table, reply: &mut Reply<'_>, resp3: bool, depth: usize) {
    if let Value::String(text) = field(table, "err") {
        reply.error(&text.as_bytes());
        return;
    }
    if let Value::String(text) = field(table, "ok") {
        reply.status_bytes(&text.as_bytes());
        return;
    }
    match field(table, "double") {
        Value::Number(number) => return reply.double(number),
        Value::Integer(number) => return reply.double(number as f64),
        _ => {}
    }
    if let Value::String(text) = field(table, "big_number") {
        reply.big_number(&text.as_bytes());
        return;
    }
    if let Value::Table(map) = field(table, "map") {
        let pairs: Vec<(Value, Value)> = map.pairs().flatten().collect();
        reply.map(pairs.len());
        for (key, value) in &pairs {
            write_value(key, reply, resp3, depth + 1);
            write_value(value, reply, resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(set) = field(table, "set") {
        let members: Vec<Value> = set
            .pairs::<Value, Value>()
            .flatten()
            .map(|(key, _)| key)
            .collect();
        reply.set(members.len());
        for member in &members {
            write_value(member, reply, resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(verbatim) = field(table, "verbatim_string") {
        if let (Value::String(format), Value::String(text)) =
            (field(&verbatim, "format"), field(&verbatim, "string"))
        {
            reply.verbatim_with(&format.as_bytes(), &text.as_bytes());
            return;
        }
    }
    // An array: the elements from 1 up to the first nil.
    let mut items = Vec::new();
    for index in 1.. {
        match table.raw_get::<Value>(index) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(value) => items.push(value),
        }
    }
    reply.array(items.len());
    for item in &items {
        write_value(item, reply, resp3, depth + 1);
    }
}
