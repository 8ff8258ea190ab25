//! `cjson`: JSON for scripts, as Redis 7.0's bundled lua-cjson 2.1.0 behaves.
//!
//! Encoding walks Lua values with an explicit stack, nesting bounded by `encode_max_depth`
//! (1000). A table is an array when every key is a positive integer, unless it is "excessively
//! sparse" (see [`table_shape`]); otherwise an object, keys in Lua's traversal order. Numbers
//! are written with `%.14g` (the precision is configurable). Decoding is a tokenizer and an
//! explicit stack of open containers, nesting bounded by `decode_max_depth` (1000); numbers are
//! read as C's `strtod` reads them, so hexadecimal, `inf` and `nan` are accepted unless
//! `decode_invalid_numbers(false)`. JSON null is `cjson.null`, a light userdata holding NULL.
//!
//! Each `cjson.new()` is an instance with its own settings, as in lua-cjson.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Lua, Table, Value};

mod decode;

use super::number::format_general;
use super::{function, lua_type_name, raise, Args, Outcome};

/// The most bytes one `cjson.encode` writes. Shared subtables can make an encoding exponential
/// in its input; Redis would run out of memory, we raise instead.
const ENCODED_BYTES_MAX: usize = 512 * 1024 * 1024;

const DEPTH_DEFAULT: i64 = 1000;
const PRECISION_DEFAULT: i64 = 14;
const SPARSE_RATIO_DEFAULT: i64 = 2;
const SPARSE_SAFE_DEFAULT: i64 = 10;

/// What `encode` does with NaN and infinities.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InvalidNumbers {
    /// Raise "Cannot serialise number: must not be NaN or Inf" (the default).
    Refuse,
    /// Write `nan`, `inf`, `-inf`, which is not JSON.
    Write,
    /// Write `null`.
    AsNull,
}

/// One instance's settings, shared by its functions.
struct Config {
    encode_max_depth: Cell<i64>,
    decode_max_depth: Cell<i64>,
    encode_number_precision: Cell<i64>,
    encode_keep_buffer: Cell<bool>,
    encode_invalid_numbers: Cell<InvalidNumbers>,
    decode_invalid_numbers: Cell<bool>,
    /// Encode an excessively sparse array as an object instead of raising.
    sparse_convert: Cell<bool>,
    /// A table whose largest index exceeds `ratio` times its element count is excessively
    /// sparse (0: never)...
    sparse_ratio: Cell<i64>,
    /// ...unless that index is at most `safe`.
    sparse_safe: Cell<i64>,
}

impl Config {
    fn new() -> Self {
        Config {
            encode_max_depth: Cell::new(DEPTH_DEFAULT),
            decode_max_depth: Cell::new(DEPTH_DEFAULT),
            encode_number_precision: Cell::new(PRECISION_DEFAULT),
            encode_keep_buffer: Cell::new(true),
            encode_invalid_numbers: Cell::new(InvalidNumbers::Refuse),
            decode_invalid_numbers: Cell::new(true),
            sparse_convert: Cell::new(false),
            sparse_ratio: Cell::new(SPARSE_RATIO_DEFAULT),
            sparse_safe: Cell::new(SPARSE_SAFE_DEFAULT),
        }
    }
}

/// Builds a `cjson` table: a fresh instance with default settings.
pub(super) fn module(lua: &Lua) -> mlua::Result<Table> {
    let config = Rc::new(Config::new());
    let table = lua.create_table()?;
    table.raw_set("_NAME", "cjson")?;
    table.raw_set("_VERSION", "2.1.0")?;
    table.raw_set("null", Value::NULL)?;
    table.raw_set(
        "new",
        function(lua, "new", |lua, _| Ok(vec![Value::Table(module(lua)?)]))?,
    )?;

    let settings = config.clone();
    let encode = move |lua: &Lua, args: Args| {
        expect_one_argument(&args)?;
        let value = args.get(1).cloned().unwrap_or(Value::Nil);
        let encoded = encode_value(&settings, value)?;
        Ok(vec![Value::String(lua.create_string(encoded)?)])
    };
    table.raw_set("encode", function(lua, "encode", encode)?)?;

    let settings = config.clone();
    let decode = move |lua: &Lua, args: Args| {
        expect_one_argument(&args)?;
        let text = args.bytes(1)?;
        let decoder = decode::Decoder {
            lua,
            text: &text,
            position: 0,
            max_depth: settings.decode_max_depth.get(),
            invalid_numbers_allowed: settings.decode_invalid_numbers.get(),
        };
        Ok(vec![decoder.decode()?])
    };
    table.raw_set("decode", function(lua, "decode", decode)?)?;

    install_settings(lua, &table, &config)?;
    Ok(table)
}

/// `encode` and `decode` take exactly one argument.
fn expect_one_argument(args: &Args) -> Outcome<()> {
    if args.count() != 1 {
        return Err(args.bad_argument(1, "expected 1 argument"));
    }
    Ok(())
}

/// The setting functions: each optionally sets, then returns the current value(s).
fn install_settings(lua: &Lua, table: &Table, config: &Rc<Config>) -> mlua::Result<()> {
    type Depth = fn(&Config) -> &Cell<i64>;
    let integers: [(&'static str, Depth, i64); 3] = [
        ("encode_max_depth", |c| &c.encode_max_depth, i32::MAX as i64),
        ("decode_max_depth", |c| &c.decode_max_depth, i32::MAX as i64),
        (
            "encode_number_precision",
            |c| &c.encode_number_precision,
            14,
        ),
    ];
    for (name, field, maximum) in integers {
        let settings = config.clone();
        let body = move |_: &Lua, args: Args| {
            expect_at_most(&args, 1)?;
            let cell = field(&settings);
            if let Some(value) = integer_setting(&args, 1, 1, 1, maximum)? {
                cell.set(value);
            }
            Ok(vec![Value::Number(cell.get() as f64)])
        };
        table.raw_set(name, function(lua, name, body)?)?;
    }

    type Flag = fn(&Config) -> &Cell<bool>;
    let flags: [(&'static str, Flag); 2] = [
        ("encode_keep_buffer", |c| &c.encode_keep_buffer),
        ("decode_invalid_numbers", |c| &c.decode_invalid_numbers),
    ];
    for (name, field) in flags {
        let settings = config.clone();
        let body = move |_: &Lua, args: Args| {
            expect_at_most(&args, 1)?;
            let cell = field(&settings);
            if let Some(option) = option_setting(&args, 1, &["off", "on"])? {
                cell.set(option == 1);
            }
            Ok(vec![Value::Boolean(cell.get())])
        };
        table.raw_set(name, function(lua, name, body)?)?;
    }

    let settings = config.clone();
    let invalid_numbers = move |lua: &Lua, args: Args| {
        expect_at_most(&args, 1)?;
        let cell = &settings.encode_invalid_numbers;
        match option_setting(&args, 1, &["off", "on", "null"])? {
            Some(0) => cell.set(InvalidNumbers::Refuse),
            Some(1) => cell.set(InvalidNumbers::Write),
            Some(_) => cell.set(InvalidNumbers::AsNull),
            None => {}
        }
        Ok(vec![match cell.get() {
            InvalidNumbers::Refuse => Value::Boolean(false),
            InvalidNumbers::Write => Value::Boolean(true),
            InvalidNumbers::AsNull => Value::String(lua.create_string("null")?),
        }])
    };
    let name = "encode_invalid_numbers";
    table.raw_set(name, function(lua, name, invalid_numbers)?)?;

    let settings = config.clone();
    let sparse = move |_: &Lua, args: Args| {
        expect_at_most(&args, 3)?;
        if let Some(option) = option_setting(&args, 1, &["off", "on"])? {
            settings.sparse_convert.set(option == 1);
        }
        // Redis names argument #1 when the ratio or the safe bound is out of range.
        if let Some(ratio) = integer_setting(&args, 2, 1, 0, i32::MAX as i64)? {
            settings.sparse_ratio.set(ratio);
        }
        if let Some(safe) = integer_setting(&args, 3, 1, 0, i32::MAX as i64)? {
            settings.sparse_safe.set(safe);
        }
        Ok(vec![
            Value::Boolean(settings.sparse_convert.get()),
            Value::Number(settings.sparse_ratio.get() as f64),
            Value::Number(settings.sparse_safe.get() as f64),
        ])
    };
    let name = "encode_sparse_array";
    table.raw_set(name, function(lua, name, sparse)?)
}

fn expect_at_most(args: &Args, count: usize) -> Outcome<()> {
    if args.count() > count {
        return Err(args.bad_argument(count + 1, "found too many arguments"));
    }
    Ok(())
}

/// An integer setting at `position`, `None` when absent or nil; out of `minimum..=maximum` it
/// raises naming argument `reported_position`.
fn integer_setting(
    args: &Args,
    position: usize,
    reported_position: usize,
    minimum: i64,
    maximum: i64,
) -> Outcome<Option<i64>> {
    if args.is_none_or_nil(position) {
        return Ok(None);
    }
    let value = args.integer(position)?;
    if !(minimum..=maximum).contains(&value) {
        let reason = format!("expected integer between {minimum} and {maximum}");
        return Err(args.bad_argument(reported_position, &reason));
    }
    Ok(Some(value))
}

/// A boolean or one of `names` at `position`, as the index into `names` (`false` is 0, `true`
/// is 1), `None` when absent or nil.
fn option_setting(args: &Args, position: usize, names: &[&str]) -> Outcome<Option<usize>> {
    match args.get(position) {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Boolean(flag)) => Ok(Some(usize::from(*flag))),
        Some(_) => {
            let name = args.bytes(position)?;
            match names.iter().position(|known| known.as_bytes() == name) {
                Some(index) => Ok(Some(index)),
                None => {
                    let reason = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                    Err(args.bad_argument(position, &reason))
                }
            }
        }
    }
}

/// A table being written: the array's next index or the object's remaining members.
enum OpenTable {
    Array {
        table: Table,
        next_index: usize,
        length: usize,
    },
    Object {
        members: std::vec::IntoIter<(Value, Value)>,
        first: bool,
    },
}

/// How a table is written.
enum Shape {
    /// Indices 1..=length, holes written as `null`.
    Array(usize),
    Object(Vec<(Value, Value)>),
}

fn encode_value(config: &Config, root: Value) -> Outcome<Vec<u8>> {
    let mut out = Vec::new();
    let mut open: Vec<OpenTable> = Vec::new();
    let mut pending = Some(root);
    loop {
        if let Some(value) = pending.take() {
            match value {
                Value::Table(table) => {
                    let depth = open.len() + 1;
                    if depth as i64 > config.encode_max_depth.get() {
                        return Err(raise(format!(
                            "Cannot serialise, excessive nesting ({depth})"
                        )));
                    }
                    match table_shape(config, &table)? {
                        Shape::Array(length) => {
                            out.push(b'[');
                            open.push(OpenTable::Array {
                                table,
                                next_index: 1,
                                length,
                            });
                        }
                        Shape::Object(members) => {
                            out.push(b'{');
                            open.push(OpenTable::Object {
                                members: members.into_iter(),
                                first: true,
                            });
                        }
                    }
                }
                scalar => encode_scalar(config, &scalar, &mut out)?,
            }
            if out.len() > ENCODED_BYTES_MAX {
                return Err(raise(format!(
                    "Cannot serialise: output exceeds {ENCODED_BYTES_MAX} bytes"
                )));
            }
        }
        let Some(top) = open.last_mut() else {
            return Ok(out);
        };
        match top {
            OpenTable::Array {
                table,
                next_index,
                length,
            } => {
                if *next_index > *length {
                    out.push(b']');
                    open.pop();
                    continue;
                }
                if *next_index > 1 {
                    out.push(b',');
                }
                pending = Some(table.raw_get(*next_index)?);
                *next_index += 1;
            }
            OpenTable::Object { members, first } => {
                let Some((key, value)) = members.next() else {
                    out.push(b'}');
                    open.pop();
                    continue;
                };
                if !*first {
                    out.push(b',');
                }
                *first = false;
                encode_key(config, &key, &mut out)?;
                out.push(b':');
                pending = Some(value);
            }
        }
    }
}

/// Whether `table` is written as an array or an object. An array has only integer keys from 1
/// to 2^31 - 1; it is excessively sparse when its largest index is above both `ratio` times its
/// element count and `safe`: then it is an object if `encode_sparse_array` converts, an error
/// otherwise. An empty table is an object, `{}`.
fn table_shape(config: &Config, table: &Table) -> Outcome<Shape> {
    let mut members = Vec::new();
    let mut largest_index = 0.0_f64;
    let mut is_array = true;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair?;
        if is_array {
            let index = match key {
                Value::Integer(integer) => Some(integer as f64),
                Value::Number(float) => Some(float),
                _ => None,
            };
            match index {
                // Redis keeps indices in a C int: a larger one makes the table an object.
                Some(index)
                    if (1.0..=f64::from(i32::MAX)).contains(&index) && index.floor() == index =>
                {
                    largest_index = largest_index.max(index);
                }
                _ => is_array = false,
            }
        }
        members.push((key, value));
    }
    if !is_array || members.is_empty() {
        return Ok(Shape::Object(members));
    }
    let ratio = config.sparse_ratio.get() as f64;
    let excessively_sparse = ratio > 0.0
        && largest_index > ratio * members.len() as f64
        && largest_index > config.sparse_safe.get() as f64;
    if excessively_sparse {
        if config.sparse_convert.get() {
            return Ok(Shape::Object(members));
        }
        return Err(raise("Cannot serialise table: excessively sparse array"));
    }
    // Not sparse: the largest index is at most max(safe, ratio * count), both bounded.
    Ok(Shape::Array(largest_index as usize))
}

fn encode_key(config: &Config, key: &Value, out: &mut Vec<u8>) -> Outcome<()> {
    match key {
        Value::String(string) => {
            encode_string(&string.as_bytes(), out);
            Ok(())
        }
        Value::Integer(_) | Value::Number(_) => {
            out.push(b'"');
            encode_scalar(config, key, out)?;
            out.push(b'"');
            Ok(())
        }
        other => Err(raise(format!(
            "Cannot serialise {}: table key must be a number or string",
            lua_type_name(other)
        ))),
    }
}

fn encode_scalar(config: &Config, value: &Value, out: &mut Vec<u8>) -> Outcome<()> {
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::LightUserData(pointer) if pointer.0.is_null() => out.extend_from_slice(b"null"),
        Value::Integer(integer) => encode_number(config, *integer as f64, out)?,
        Value::Number(float) => encode_number(config, *float, out)?,
        Value::String(string) => encode_string(&string.as_bytes(), out),
        Value::Table(_) => unreachable!("tables are opened by encode_value"),
        other @ (Value::LightUserData(_)
        | Value::Function(_)
        | Value::Thread(_)
        | Value::UserData(_)
        | Value::Error(_)
        | Value::Other(_)) => {
            return Err(raise(format!(
                "Cannot serialise {}: type not supported",
                lua_type_name(other)
            )))
        }
    }
    Ok(())
}

fn encode_number(config: &Config, number: f64, out: &mut Vec<u8>) -> Outcome<()> {
    if number.is_finite() {
        let precision = config.encode_number_precision.get() as usize;
        out.extend_from_slice(format_general(number, precision).as_bytes());
        return Ok(());
    }
    match config.encode_invalid_numbers.get() {
        InvalidNumbers::Refuse => Err(raise("Cannot serialise number: must not be NaN or Inf")),
        InvalidNumbers::AsNull => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        InvalidNumbers::Write => {
            // Redis writes every NaN as "nan", whatever its sign.
            let text: &[u8] = if number.is_nan() {
                b"nan"
            } else if number > 0.0 {
                b"inf"
            } else {
                b"-inf"
            };
            out.extend_from_slice(text);
            Ok(())
        }
    }
}

/// A JSON string: `"`, `\` and `/` escaped, control characters and DEL as escapes, every other
/// byte as it is (no UTF-8 check, as Redis).
fn encode_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &byte in bytes {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests;
