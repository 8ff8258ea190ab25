//! `cmsgpack`: MessagePack for scripts, as Redis 7.0's bundled lua-cmsgpack 0.4.0 behaves.
//!
//! Packing: a number that is an integer in the 64-bit range gets the smallest integer encoding,
//! any other number a float 32 when that keeps it exactly, else a float 64. Strings are `str`
//! (never `bin`). A table whose keys are exactly 1..n (or no keys) is an array, any other a map
//! in Lua's traversal order. Tables nested 16 deep, functions, threads and userdata are packed
//! as nil. Unpacking reads every MessagePack type but `bin` and `ext` ("Bad data format").
//!
//! Both directions walk with an explicit stack; unpacking bounds nesting where Redis's Lua
//! stack gives out.

use mlua::{Function, Lua, Table, Value};

use super::{function, raise, Args, Outcome, LUA_RESULTS_MAX};

/// Tables nested this deep are packed as nil, as Redis does (which also ends cycles).
const PACK_NESTING_MAX: usize = 16;
/// The most bytes one `pack` writes. Shared subtables make a packing exponential in its input;
/// Redis would run out of memory, we raise instead.
const PACKED_BYTES_MAX: usize = 512 * 1024 * 1024;
/// The deepest containers `unpack` opens: Redis's recursion overflows Lua's stack beyond 3,999.
const UNPACK_NESTING_MAX: usize = 3_999;

const TOO_MANY_VALUES: &str =
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";

/// Builds the `cmsgpack` table.
pub(super) fn module(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("_NAME", "cmsgpack")?;
    table.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    table.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    table.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    // Maps are walked with Lua's own `next`, one pair at a time: holding every key and value
    // of a big table at once would take more references than the Lua stack has room for.
    let next: Function = lua.globals().raw_get("next")?;
    table.raw_set(
        "pack",
        function(lua, "pack", move |lua, args| pack(lua, &args, &next))?,
    )?;
    let unpack_all = |lua: &Lua, args: Args| unpack(lua, &args, 0, 0);
    table.raw_set("unpack", function(lua, "unpack", unpack_all)?)?;
    let unpack_one = |lua: &Lua, args: Args| {
        let offset = args.optional_integer(2, 0)?;
        unpack(lua, &args, 1, offset)
    };
    table.raw_set("unpack_one", function(lua, "unpack_one", unpack_one)?)?;
    let unpack_limit = |lua: &Lua, args: Args| {
        let limit = args.integer(2)?;
        let offset = args.optional_integer(3, 0)?;
        unpack(lua, &args, limit, offset)
    };
    table.raw_set("unpack_limit", function(lua, "unpack_limit", unpack_limit)?)?;
    Ok(table)
}

// ---------------------------------------------------------------------------------------------
// Packing

/// A table being packed: the array's next index or the map's remaining keys and values.
enum OpenTable {
    Array {
        table: Table,
        next_index: usize,
        length: usize,
    },
    /// The key last walked (`nil` before the first), and its value while it waits its turn.
    Map {
        table: Table,
        key: Value,
        value: Option<Value>,
    },
}

/// `cmsgpack.pack(values...)`: the values' encodings, one after another.
fn pack(lua: &Lua, args: &Args, next: &Function) -> Outcome<Vec<Value>> {
    if args.count() == 0 {
        return Err(args.bad_argument(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for position in 1..=args.count() {
        let value = args.get(position).cloned().unwrap_or(Value::Nil);
        pack_value(value, next, &mut out)?;
    }
    Ok(vec![Value::String(lua.create_string(out)?)])
}

fn pack_value(root: Value, next: &Function, out: &mut Vec<u8>) -> Outcome<()> {
    let mut open: Vec<OpenTable> = Vec::new();
    let mut pending = Some(root);
    loop {
        if let Some(value) = pending.take() {
            match value {
                Value::Table(table) if open.len() < PACK_NESTING_MAX => {
                    open.push(open_table(table, out)?);
                }
                scalar => pack_scalar(&scalar, out),
            }
            if out.len() > PACKED_BYTES_MAX {
                return Err(raise(format!(
                    "MessagePack pack output exceeds {PACKED_BYTES_MAX} bytes."
                )));
            }
        }
        let Some(top) = open.last_mut() else {
            return Ok(());
        };
        pending = match top {
            OpenTable::Array {
                table,
                next_index,
                length,
            } => {
                if *next_index > *length {
                    None
                } else {
                    *next_index += 1;
                    Some(table.raw_get(*next_index - 1)?)
                }
            }
            OpenTable::Map { table, key, value } => match value.take() {
                Some(value) => Some(value),
                None => {
                    let (next_key, next_value): (Value, Value) =
                        next.call((table.clone(), key.clone()))?;
                    if next_key.is_nil() {
                        None
                    } else {
                        *key = next_key.clone();
                        *value = Some(next_value);
                        Some(next_key)
                    }
                }
            },
        };
        if pending.is_none() {
            open.pop();
        }
    }
}

/// Writes a table's header and returns how to walk its contents. Keys exactly 1..n (none
/// included) make an array, anything else a map.
fn open_table(table: Table, out: &mut Vec<u8>) -> Outcome<OpenTable> {
    let mut count = 0usize;
    let mut largest_index = 0.0_f64;
    let mut all_positive_integers = true;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let index = match key {
            Value::Integer(integer) => integer as f64,
            Value::Number(float) => float,
            _ => 0.0,
        };
        if index >= 1.0 && index.floor() == index {
            largest_index = largest_index.max(index);
        } else {
            all_positive_integers = false;
        }
        count += 1;
    }
    if all_positive_integers && largest_index == count as f64 {
        write_header(out, count, 0x90, 0xdc);
        return Ok(OpenTable::Array {
            table,
            next_index: 1,
            length: count,
        });
    }
    write_header(out, count, 0x80, 0xde);
    Ok(OpenTable::Map {
        table,
        key: Value::Nil,
        value: None,
    })
}

/// An array or map header: the fix form for up to 15 items, else 16 or 32 bits of count.
fn write_header(out: &mut Vec<u8>, count: usize, fix_marker: u8, marker_16: u8) {
    if count <= 15 {
        out.push(fix_marker | count as u8);
    } else if let Ok(count) = u16::try_from(count) {
        out.push(marker_16);
        out.extend_from_slice(&count.to_be_bytes());
    } else {
        // A Lua table cannot hold 2^32 entries.
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        out.push(marker_16 + 1);
        out.extend_from_slice(&count.to_be_bytes());
    }
}

fn pack_scalar(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Boolean(true) => out.push(0xc3),
        Value::Boolean(false) => out.push(0xc2),
        Value::Integer(integer) => pack_number(*integer as f64, out),
        Value::Number(float) => pack_number(*float, out),
        Value::String(string) => pack_string(&string.as_bytes(), out),
        // Tables past the nesting limit, and every type MessagePack cannot hold.
        Value::Nil
        | Value::Table(_)
        | Value::LightUserData(_)
        | Value::Function(_)
        | Value::Thread(_)
        | Value::UserData(_)
        | Value::Error(_)
        | Value::Other(_) => out.push(0xc0),
    }
}

fn pack_number(number: f64, out: &mut Vec<u8>) {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    let is_integer = (-TWO_POW_63..TWO_POW_63).contains(&number) && number.trunc() == number;
    if is_integer {
        pack_integer(number as i64, out);
    } else if f64::from(number as f32) == number {
        out.push(0xca);
        out.extend_from_slice(&(number as f32).to_be_bytes());
    } else {
        // NaN lands here too, with its bits as they are.
        out.push(0xcb);
        out.extend_from_slice(&number.to_be_bytes());
    }
}

fn pack_integer(integer: i64, out: &mut Vec<u8>) {
    match integer {
        0..=0x7f => out.push(integer as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, integer as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(integer as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(integer as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(integer as u64).to_be_bytes());
        }
        -32..=-1 => out.push(integer as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, integer as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(integer as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(integer as i32).to_be_bytes());
        }
        ..=-2_147_483_649 => {
            out.push(0xd3);
            out.extend_from_slice(&integer.to_be_bytes());
        }
    }
}

fn pack_string(bytes: &[u8], out: &mut Vec<u8>) {
    let length = bytes.len();
    if length <= 31 {
        out.push(0xa0 | length as u8);
    } else if let Ok(length) = u8::try_from(length) {
        out.extend_from_slice(&[0xd9, length]);
    } else if let Ok(length) = u16::try_from(length) {
        out.push(0xda);
        out.extend_from_slice(&length.to_be_bytes());
    } else {
        // Lua strings longer than 4 GiB do not fit Redis's memory limits either.
        let length = u32::try_from(length).unwrap_or(u32::MAX);
        out.push(0xdb);
        out.extend_from_slice(&length.to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

// ---------------------------------------------------------------------------------------------
// Unpacking

/// `unpack`, `unpack_one` and `unpack_limit`: at most `limit` values (0: all) from `offset`.
/// With a limit the offset of the next value comes first, -1 when the data is used up.
fn unpack(lua: &Lua, args: &Args, limit: i64, offset: i64) -> Outcome<Vec<Value>> {
    let data = args.bytes(1)?;
    if offset < 0 || limit < 0 {
        return Err(raise(format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            data.len()
        )));
    }
    let Some(mut position) = usize::try_from(offset)
        .ok()
        .filter(|&start| start <= data.len())
    else {
        return Err(raise(format!(
            "Start offset {offset} greater than input length {}.",
            data.len()
        )));
    };
    let mut values = Vec::new();
    while position < data.len() && (limit == 0 || (values.len() as i64) < limit) {
        if values.len() >= LUA_RESULTS_MAX {
            return Err(raise(TOO_MANY_VALUES));
        }
        let mut reader = Reader {
            lua,
            data: &data,
            position,
        };
        values.push(reader.value()?);
        position = reader.position;
    }
    if limit > 0 {
        let next = if position < data.len() {
            position as f64
        } else {
            -1.0
        };
        values.insert(0, Value::Number(next));
    }
    Ok(values)
}

/// A container being filled: how many items it still expects, and for a map the key read.
enum OpenContainer {
    Array {
        table: Table,
        next_index: usize,
        remaining: usize,
    },
    Map {
        table: Table,
        remaining: usize,
        key: Option<Value>,
    },
}

struct Reader<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    position: usize,
}

/// What one header byte starts.
enum Header {
    Value(Value),
    String(usize),
    Array(usize),
    Map(usize),
}

impl<'a> Reader<'a> {
    /// One complete value, containers filled.
    fn value(&mut self) -> Outcome<Value> {
        let mut open: Vec<OpenContainer> = Vec::new();
        loop {
            let mut value = match self.header()? {
                Header::Value(value) => value,
                Header::String(length) => {
                    let bytes = self.take(length)?;
                    Value::String(self.lua.create_string(bytes)?)
                }
                Header::Array(_) if open.len() >= UNPACK_NESTING_MAX => {
                    return Err(raise("stack overflow (in function mp_decode_to_lua_array)"));
                }
                // Redis's text for a map this deep is its text for too many values.
                Header::Map(_) if open.len() >= UNPACK_NESTING_MAX => {
                    return Err(raise(TOO_MANY_VALUES));
                }
                Header::Array(count) => {
                    // Every item takes at least a byte: the data bounds the preallocation.
                    let capacity = count.min(self.data.len() - self.position);
                    let table = self.lua.create_table_with_capacity(capacity, 0)?;
                    if count > 0 {
                        open.push(OpenContainer::Array {
                            table,
                            next_index: 1,
                            remaining: count,
                        });
                        continue;
                    }
                    Value::Table(table)
                }
                Header::Map(count) => {
                    let capacity = count.min(self.data.len() - self.position);
                    let table = self.lua.create_table_with_capacity(0, capacity)?;
                    if count > 0 {
                        open.push(OpenContainer::Map {
                            table,
                            remaining: count,
                            key: None,
                        });
                        continue;
                    }
                    Value::Table(table)
                }
            };
            // Store the value; close the containers it completes.
            loop {
                let Some(container) = open.last_mut() else {
                    return Ok(value);
                };
                let remaining = match container {
                    OpenContainer::Array {
                        table,
                        next_index,
                        remaining,
                    } => {
                        table.raw_set(*next_index, value)?;
                        *next_index += 1;
                        *remaining -= 1;
                        *remaining
                    }
                    OpenContainer::Map {
                        table,
                        remaining,
                        key,
                    } => match key.take() {
                        None => {
                            *key = Some(value);
                            break;
                        }
                        Some(key) => {
                            set_field(table, key, value)?;
                            *remaining -= 1;
                            *remaining
                        }
                    },
                };
                if remaining > 0 {
                    break;
                }
                value = match open.pop() {
                    Some(OpenContainer::Array { table, .. } | OpenContainer::Map { table, .. }) => {
                        Value::Table(table)
                    }
                    None => unreachable!("a container was open"),
                };
            }
        }
    }

    fn header(&mut self) -> Outcome<Header> {
        let marker = self.take(1)?[0];
        let header = match marker {
            0x00..=0x7f => Header::Value(Value::Number(f64::from(marker))),
            0x80..=0x8f => Header::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Header::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Header::String(usize::from(marker & 0x1f)),
            0xc0 => Header::Value(Value::Nil),
            0xc2 => Header::Value(Value::Boolean(false)),
            0xc3 => Header::Value(Value::Boolean(true)),
            0xca => {
                let float = f32::from_be_bytes(self.array()?);
                Header::Value(Value::Number(f64::from(float)))
            }
            0xcb => Header::Value(Value::Number(f64::from_be_bytes(self.array()?))),
            0xcc => Header::Value(Value::Number(f64::from(self.array::<1>()?[0]))),
            0xcd => Header::Value(Value::Number(f64::from(u16::from_be_bytes(self.array()?)))),
            0xce => Header::Value(Value::Number(f64::from(u32::from_be_bytes(self.array()?)))),
            0xcf => Header::Value(Value::Number(u64::from_be_bytes(self.array()?) as f64)),
            0xd0 => Header::Value(Value::Number(f64::from(self.array::<1>()?[0] as i8))),
            0xd1 => Header::Value(Value::Number(f64::from(i16::from_be_bytes(self.array()?)))),
            0xd2 => Header::Value(Value::Number(f64::from(i32::from_be_bytes(self.array()?)))),
            0xd3 => Header::Value(Value::Number(i64::from_be_bytes(self.array()?) as f64)),
            0xd9 => Header::String(usize::from(self.array::<1>()?[0])),
            0xda => Header::String(usize::from(u16::from_be_bytes(self.array()?))),
            0xdb => Header::String(self.length_32()?),
            0xdc => Header::Array(usize::from(u16::from_be_bytes(self.array()?))),
            0xdd => Header::Array(self.length_32()?),
            0xde => Header::Map(usize::from(u16::from_be_bytes(self.array()?))),
            0xdf => Header::Map(self.length_32()?),
            0xe0..=0xff => Header::Value(Value::Number(f64::from(marker as i8))),
            // bin, ext and the never-used 0xc1: Redis's 0.4.0 reads none of them.
            0xc1 | 0xc4..=0xc9 | 0xd4..=0xd8 => return Err(raise("Bad data format in input.")),
        };
        Ok(header)
    }

    fn take(&mut self, length: usize) -> Outcome<&'a [u8]> {
        let end = self
            .position
            .checked_add(length)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| raise("Missing bytes in input."))?;
        let data: &'a [u8] = self.data;
        let bytes = &data[self.position..end];
        self.position = end;
        Ok(bytes)
    }

    fn array<const LENGTH: usize>(&mut self) -> Outcome<[u8; LENGTH]> {
        let bytes = self.take(LENGTH)?;
        Ok(bytes.try_into().expect("take returns the length asked"))
    }

    fn length_32(&mut self) -> Outcome<usize> {
        let length = u32::from_be_bytes(self.array()?);
        // On a 64-bit target every u32 fits; elsewhere a longer length cannot be in the data.
        Ok(usize::try_from(length).unwrap_or(usize::MAX))
    }
}

/// `table[key] = value` with the errors Lua raises for the keys a table cannot have.
fn set_field(table: &Table, key: Value, value: Value) -> Outcome<()> {
    match key {
        Value::Nil => Err(raise("table index is nil")),
        Value::Number(number) if number.is_nan() => Err(raise("table index is NaN")),
        key => Ok(table.raw_set(key, value)?),
    }
}

#[cfg(test)]
mod tests;
