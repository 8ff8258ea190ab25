//! `struct`: Roberto Ierusalimschy's library for binary records, as Redis 7.0 bundles it.
//!
//! A format is a sequence of options:
//!
//! | option | meaning |
//! |---|---|
//! | `<` `>` | little / big endian from here on (little by default) |
//! | `!n` | align items to `min(their size, n)`; `!` alone is 8 (no alignment before any `!`) |
//! | `x` | one padding byte |
//! | `b` `B` `h` `H` `l` `L` `T` | signed / unsigned integers of 1, 2, 8 bytes; `T` is 8 bytes |
//! | `in` `In` | signed / unsigned integer of `n` bytes (4 by default, at most 32) |
//! | `f` `d` | float, double |
//! | `s` | zero-terminated string |
//! | `cn` | `n` characters (1 by default); `c0` packs the whole string and unpacks as many as the previous value says |
//! | space | ignored |
//!
//! Integers are packed from the argument converted as C converts a double to a 64-bit integer;
//! bytes beyond the eighth are zero. Unpacked integers keep the low 64 bits.

use mlua::{Lua, Table, Value};

use super::number::truncate_to_u64;
use super::{coerce_number, function, raise, Args, Outcome, LUA_RESULTS_MAX};

/// The widest integer option (`i32`), as Redis's copy of the library limits it.
const INTEGER_BYTES_MAX: usize = 32;
/// Alignment that `!` without a number selects: the strictest of a native type (a double).
const NATIVE_ALIGNMENT: usize = 8;
/// A number in a format (a size or an alignment) is a C int.
const FORMAT_NUMBER_MAX: usize = i32::MAX as usize;

/// One item of a format.
#[derive(Clone, Copy)]
enum Item {
    Padding,
    Integer {
        bytes: usize,
        signed: bool,
    },
    Float,
    Double,
    /// `c`: `explicit_zero` for `c0`, whose length comes from elsewhere.
    Chars {
        count: usize,
        explicit_zero: bool,
    },
    ZeroTerminated,
}

impl Item {
    /// Bytes the item takes, for alignment; 0 for strings.
    fn size(self) -> usize {
        match self {
            Item::Padding => 1,
            Item::Integer { bytes, .. } => bytes,
            Item::Float => 4,
            Item::Double => 8,
            Item::Chars { count, .. } => count,
            Item::ZeroTerminated => 0,
        }
    }
}

/// Reads a format option by option, keeping the endianness and alignment it sets.
struct Format<'a> {
    text: &'a [u8],
    position: usize,
    little_endian: bool,
    alignment: usize,
}

impl<'a> Format<'a> {
    fn new(text: &'a [u8]) -> Self {
        Format {
            text,
            position: 0,
            little_endian: true,
            alignment: 1,
        }
    }

    /// The next item, or `None` at the end of the format.
    fn next_item(&mut self, args: &Args) -> Outcome<Option<Item>> {
        while let Some(&option) = self.text.get(self.position) {
            self.position += 1;
            let item = match option {
                b' ' => continue,
                b'<' => {
                    self.little_endian = true;
                    continue;
                }
                b'>' => {
                    self.little_endian = false;
                    continue;
                }
                b'!' => {
                    self.alignment = self.number()?.unwrap_or(NATIVE_ALIGNMENT);
                    continue;
                }
                b'x' => Item::Padding,
                b'b' | b'B' => integer(1, option),
                b'h' | b'H' => integer(2, option),
                b'l' | b'L' | b'T' => integer(8, option),
                b'i' | b'I' => {
                    let bytes = self.number()?.unwrap_or(4);
                    if bytes > INTEGER_BYTES_MAX {
                        return Err(raise(format!(
                            "integral size {bytes} is larger than limit of {INTEGER_BYTES_MAX}"
                        )));
                    }
                    integer(bytes, option)
                }
                b'f' => Item::Float,
                b'd' => Item::Double,
                b'c' => {
                    let count = self.number()?;
                    Item::Chars {
                        count: count.unwrap_or(1),
                        explicit_zero: count == Some(0),
                    }
                }
                b's' => Item::ZeroTerminated,
                other => {
                    let reason = format!("invalid format option '{}'", char::from(other));
                    return Err(args.bad_argument(1, &reason));
                }
            };
            return Ok(Some(item));
        }
        Ok(None)
    }

    /// The decimal number after an option, if any.
    fn number(&mut self) -> Outcome<Option<usize>> {
        let mut value: Option<usize> = None;
        while let Some(&byte) = self.text.get(self.position).filter(|b| b.is_ascii_digit()) {
            let digit = usize::from(byte - b'0');
            let so_far = value.unwrap_or(0);
            if so_far > (FORMAT_NUMBER_MAX - digit) / 10 {
                return Err(raise("integral size overflow"));
            }
            value = Some(so_far * 10 + digit);
            self.position += 1;
        }
        Ok(value)
    }

    /// Zero bytes to insert before `item` at offset `length` so that it is aligned.
    fn padding(&self, item: Item, length: usize) -> Outcome<usize> {
        let size = item.size();
        if size == 0 || matches!(item, Item::Chars { .. }) {
            return Ok(0);
        }
        let alignment = size.min(self.alignment);
        if !alignment.is_power_of_two() {
            return Err(raise(format!("alignment {alignment} is not a power of 2")));
        }
        Ok((alignment - (length & (alignment - 1))) & (alignment - 1))
    }
}

fn integer(bytes: usize, option: u8) -> Item {
    Item::Integer {
        bytes,
        signed: option.is_ascii_lowercase(),
    }
}

/// `struct.pack(format, values...)`.
fn pack(lua: &Lua, args: &Args) -> Outcome<Vec<Value>> {
    let format_text = args.bytes(1)?;
    let mut format = Format::new(&format_text);
    let mut out = Vec::new();
    let mut position = 2;
    while let Some(item) = format.next_item(args)? {
        let padding = format.padding(item, out.len())?;
        out.resize(out.len() + padding, 0);
        match item {
            Item::Padding => out.push(0),
            Item::Integer { bytes, .. } => {
                let value = truncate_to_u64(args.number(position)?);
                position += 1;
                let little_endian: Vec<u8> = (0..bytes)
                    .map(|index| {
                        if index < 8 {
                            (value >> (8 * index)) as u8
                        } else {
                            0
                        }
                    })
                    .collect();
                append_ordered(&mut out, &little_endian, format.little_endian);
            }
            Item::Float => {
                let value = args.number(position)? as f32;
                position += 1;
                append_ordered(&mut out, &value.to_le_bytes(), format.little_endian);
            }
            Item::Double => {
                let value = args.number(position)?;
                position += 1;
                append_ordered(&mut out, &value.to_le_bytes(), format.little_endian);
            }
            Item::Chars {
                count,
                explicit_zero,
            } => {
                let bytes = args.bytes(position)?;
                let count = if explicit_zero { bytes.len() } else { count };
                if bytes.len() < count {
                    return Err(args.bad_argument(position, "string too short"));
                }
                position += 1;
                out.extend_from_slice(&bytes[..count]);
            }
            Item::ZeroTerminated => {
                out.extend_from_slice(&args.bytes(position)?);
                out.push(0);
                position += 1;
            }
        }
    }
    Ok(vec![Value::String(lua.create_string(out)?)])
}

fn append_ordered(out: &mut Vec<u8>, little_endian: &[u8], want_little_endian: bool) {
    if want_little_endian {
        out.extend_from_slice(little_endian);
    } else {
        out.extend(little_endian.iter().rev());
    }
}

/// `struct.unpack(format, data [, offset])`: the values, then the offset after the last one.
fn unpack(lua: &Lua, args: &Args) -> Outcome<Vec<Value>> {
    let format_text = args.bytes(1)?;
    let data = args.bytes(2)?;
    let offset = args.optional_integer(3, 1)?;
    if offset == 0 {
        return Err(args.bad_argument(3, "offset must be 1 or greater"));
    }
    // A negative offset is accepted, and every item then finds the data too short.
    let mut position = offset.saturating_sub(1);
    let mut format = Format::new(&format_text);
    let mut results: Vec<Value> = Vec::new();
    let data_too_short = || args.bad_argument(2, "data string too short");
    // The item's bytes from `position`, or the error when the data ends before them.
    let take = |position: i64, size: usize| -> Outcome<&[u8]> {
        let start = usize::try_from(position).map_err(|_| data_too_short())?;
        let end = start.checked_add(size).ok_or_else(data_too_short)?;
        data.get(start..end).ok_or_else(data_too_short)
    };
    while let Some(item) = format.next_item(args)? {
        let aligned_from = usize::try_from(position).unwrap_or(0);
        position += format.padding(item, aligned_from)? as i64;
        let mut bytes = take(position, item.size())?;
        match item {
            Item::Padding => {}
            Item::Integer { signed, .. } => {
                results.push(Value::Number(read_integer(
                    bytes,
                    signed,
                    format.little_endian,
                )));
            }
            Item::Float => {
                let bytes: [u8; 4] = ordered(bytes, format.little_endian)
                    .try_into()
                    .expect("a float item is 4 bytes");
                results.push(Value::Number(f64::from(f32::from_le_bytes(bytes))));
            }
            Item::Double => {
                let bytes: [u8; 8] = ordered(bytes, format.little_endian)
                    .try_into()
                    .expect("a double item is 8 bytes");
                results.push(Value::Number(f64::from_le_bytes(bytes)));
            }
            Item::Chars { explicit_zero, .. } => {
                if explicit_zero {
                    // The length is the previous value, which it replaces.
                    let length = results
                        .pop()
                        .as_ref()
                        .and_then(coerce_number)
                        .ok_or_else(|| raise("format 'c0' needs a previous size"))?;
                    let length = usize::try_from(super::number::truncate_to_i64(length))
                        .map_err(|_| data_too_short())?;
                    bytes = take(position, length)?;
                }
                results.push(Value::String(lua.create_string(bytes)?));
            }
            Item::ZeroTerminated => {
                take(position, 0)?;
                let rest = &data[position as usize..];
                let length = rest
                    .iter()
                    .position(|&byte| byte == 0)
                    .ok_or_else(|| raise("unfinished string in data"))?;
                results.push(Value::String(lua.create_string(&rest[..length])?));
                bytes = &rest[..length + 1];
            }
        }
        position += bytes.len() as i64;
        if results.len() > LUA_RESULTS_MAX {
            return Err(raise("stack overflow (too many results)"));
        }
    }
    results.push(Value::Number((position + 1) as f64));
    Ok(results)
}

fn ordered(bytes: &[u8], little_endian: bool) -> Vec<u8> {
    if little_endian {
        bytes.to_vec()
    } else {
        bytes.iter().rev().copied().collect()
    }
}

/// An integer item: the low 64 bits of its bytes, sign-extended from its width when signed.
fn read_integer(bytes: &[u8], signed: bool, little_endian: bool) -> f64 {
    let most_significant_first = ordered(bytes, !little_endian);
    let value = most_significant_first
        .iter()
        .fold(0_u64, |value, &byte| (value << 8) | u64::from(byte));
    let width_bits = bytes.len() * 8;
    if !signed {
        return value as f64;
    }
    if width_bits == 0 || width_bits >= 64 {
        return value as i64 as f64;
    }
    let shift = 64 - width_bits;
    (((value << shift) as i64) >> shift) as f64
}

/// `struct.size(format)`: the bytes `pack` writes for it, when that is fixed.
fn size(args: &Args) -> Outcome<Vec<Value>> {
    let format_text = args.bytes(1)?;
    let mut format = Format::new(&format_text);
    let mut total: usize = 0;
    while let Some(item) = format.next_item(args)? {
        match item {
            Item::ZeroTerminated => {
                return Err(args.bad_argument(1, "option 's' has no fixed size"))
            }
            Item::Chars {
                explicit_zero: true,
                ..
            } => return Err(args.bad_argument(1, "option 'c0' has no fixed size")),
            _ => {}
        }
        // Each item adds at most 2^31 bytes and its padding; a format long enough to overflow
        // this cannot exist in memory.
        total = total.saturating_add(format.padding(item, total)? + item.size());
    }
    Ok(vec![Value::Number(total as f64)])
}

/// Builds the `struct` table.
pub(super) fn module(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("pack", function(lua, "pack", |lua, args| pack(lua, &args))?)?;
    table.raw_set(
        "unpack",
        function(lua, "unpack", |lua, args| unpack(lua, &args))?,
    )?;
    table.raw_set("size", function(lua, "size", |_, args| size(&args))?)?;
    Ok(table)
}

#[cfg(test)]
mod tests;
