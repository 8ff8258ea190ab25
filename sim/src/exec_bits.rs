//! The model's bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO over plain strings, one bit at a time, with field arithmetic on i128.
//!
//! WATCH follows the key's state before and after, so only the writes that Redis counts while
//! leaving the bytes as they were need a `touch`: BITOP storing what was there, and a BITFIELD
//! whose operations change a field and then change it back.

use crate::model::{parse_i64, Model, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

/// Bit `offset` of `bytes`, 0 past the end.
fn bit(bytes: &[u8], offset: u64) -> bool {
    let byte = bytes.get((offset / 8) as usize).copied().unwrap_or(0);
    byte & (0x80 >> (offset % 8)) != 0
}

/// Sets bit `offset`, growing `bytes` with zeros to reach it.
fn set_bit(bytes: &mut Vec<u8>, offset: u64, on: bool) {
    let index = (offset / 8) as usize;
    if bytes.len() <= index {
        bytes.resize(index + 1, 0);
    }
    let mask = 0x80 >> (offset % 8);
    if on {
        bytes[index] |= mask;
    } else {
        bytes[index] &= !mask;
    }
}

/// A bit offset; `#N` (BITFIELD only, given the field's width) is the N-th field.
fn offset_arg(model: &Model, arg: &[u8], width: Option<u32>) -> Result<u64> {
    let (digits, times) = match (arg.first(), width) {
        (Some(b'#'), Some(width)) => (&arg[1..], i64::from(width)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)
        .and_then(|number| number.checked_mul(times))
        .ok_or(BAD_OFFSET)?;
    if offset < 0 || (offset / 8) as u64 >= model.bulk_bytes_max as u64 {
        return Err(BAD_OFFSET);
    }
    Ok(offset as u64)
}

/// The string at `key` (a copy; empty when missing), whether it exists, or WRONGTYPE.
fn read(model: &mut Model, db: usize, key: &[u8], wall: i64) -> Result<Option<Vec<u8>>> {
    Ok(model.string(db, key, wall).map_err(|_| WRONGTYPE)?.cloned())
}

/// Stores `bytes` at `key`, keeping its TTL; a missing key is created without one.
fn store_keeping_ttl(model: &mut Model, db: usize, key: &[u8], wall: i64, bytes: Vec<u8>) {
    match model.string(db, key, wall) {
        Ok(Some(value)) => *value = bytes,
        _ => model.set_string(db, key, bytes, None),
    }
}

/// Redis's range rules: from the end when negative, then clamped; None when empty.
fn range(start: i64, end: i64, units: i64) -> Option<(i64, i64)> {
    let start = if start < 0 { start + units } else { start }.max(0);
    let end = if end < 0 { end + units } else { end }
        .max(0)
        .min(units - 1);
    (start <= end).then_some((start, end))
}

fn unit_is_bit(arg: &[u8]) -> Result<bool> {
    match &arg.to_ascii_uppercase()[..] {
        b"BIT" => Ok(true),
        b"BYTE" => Ok(false),
        _ => Err(SYNTAX),
    }
}

pub fn run(
    model: &mut Model,
    db: usize,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    model.counts.bit_commands += 1;
    let key = &args[1][..];
    Ok(match name {
        "setbit" => {
            let offset = offset_arg(model, &args[2], None)?;
            let on = match parse_i64(&args[3]) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err("ERR bit is not an integer or out of range"),
            };
            let stored = read(model, db, key, wall)?;
            let mut bytes = stored.clone().unwrap_or_default();
            let old = bit(&bytes, offset);
            set_bit(&mut bytes, offset, on);
            if stored.as_ref() != Some(&bytes) {
                store_keeping_ttl(model, db, key, wall, bytes);
            }
            out.int(i64::from(old))
        }
        "getbit" => {
            let offset = offset_arg(model, &args[2], None)?;
            let bytes = read(model, db, key, wall)?.unwrap_or_default();
            out.int(i64::from(bit(&bytes, offset)))
        }
        "bitcount" => {
            let Some(bytes) = read(model, db, key, wall)? else {
                return Ok(out.int(0));
            };
            let len = bytes.len() as i64;
            let (first, last) = match args.len() {
                2 => (0, len * 8 - 1),
                4 | 5 => {
                    let start = parse_i64(&args[2]).ok_or(NOT_INTEGER)?;
                    let end = parse_i64(&args[3]).ok_or(NOT_INTEGER)?;
                    if start < 0 && end < 0 && start > end {
                        return Ok(out.int(0));
                    }
                    let in_bits = match args.get(4) {
                        Some(unit) => unit_is_bit(unit)?,
                        None => false,
                    };
                    match (
                        in_bits,
                        range(start, end, if in_bits { len * 8 } else { len }),
                    ) {
                        (_, None) => return Ok(out.int(0)),
                        (true, Some(bits)) => bits,
                        (false, Some((first, last))) => (first * 8, last * 8 + 7),
                    }
                }
                _ => return Err(SYNTAX),
            };
            let count = (first..=last).filter(|&at| bit(&bytes, at as u64)).count();
            out.int(count as i64)
        }
        "bitpos" => {
            let wanted = match parse_i64(&args[2]).ok_or(NOT_INTEGER)? {
                0 => false,
                1 => true,
                _ => return Err("ERR The bit argument must be 1 or 0."),
            };
            let Some(bytes) = read(model, db, key, wall)? else {
                return Ok(out.int(if wanted { -1 } else { 0 }));
            };
            if args.len() > 6 {
                return Err(SYNTAX);
            }
            let len = bytes.len() as i64;
            let start = match args.get(3) {
                Some(arg) => parse_i64(arg).ok_or(NOT_INTEGER)?,
                None => 0,
            };
            let in_bits = match args.get(5) {
                Some(unit) => unit_is_bit(unit)?,
                None => false,
            };
            let end = match args.get(4) {
                Some(arg) => Some(parse_i64(arg).ok_or(NOT_INTEGER)?),
                None => None,
            };
            let units = if in_bits { len * 8 } else { len };
            let Some((first, last)) = range(start, end.unwrap_or(-1), units) else {
                return Ok(out.int(-1));
            };
            let (first, last) = if in_bits {
                (first, last)
            } else {
                (first * 8, last * 8 + 7)
            };
            let found = (first..=last).find(|&at| bit(&bytes, at as u64) == wanted);
            out.int(match found {
                Some(at) => at,
                None if !wanted && end.is_none() => len * 8,
                None => -1,
            })
        }
        "bitop" => bitop(model, db, args, wall, out)?,
        _ => bitfield(model, db, name == "bitfield_ro", args, wall, out)?,
    })
}

/// BITOP op destkey key [key ...]
fn bitop(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let op = args[1].to_ascii_uppercase();
    if !matches!(&op[..], b"AND" | b"OR" | b"XOR" | b"NOT") {
        return Err(SYNTAX);
    }
    if op == b"NOT" && args.len() != 4 {
        return Err("ERR BITOP NOT must be called with a single source key.");
    }
    let mut sources = Vec::new();
    for key in &args[3..] {
        sources.push(read(model, db, key, wall)?.unwrap_or_default());
    }
    let len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let result: Vec<u8> = (0..len)
        .map(|index| {
            let byte = |source: &Vec<u8>| source.get(index).copied().unwrap_or(0);
            let mut bytes = sources.iter().map(byte);
            let first = bytes.next().expect("a source");
            match &op[..] {
                b"AND" => bytes.fold(first, |all, byte| all & byte),
                b"OR" => bytes.fold(first, |all, byte| all | byte),
                b"XOR" => bytes.fold(first, |all, byte| all ^ byte),
                _ => !first,
            }
        })
        .collect();
    let destination = &args[2];
    if result.is_empty() {
        model.dbs[db].remove(&destination[..]);
    } else {
        model.set_string(db, destination, result, None);
        model.touch(db, destination);
    }
    Ok(out.int(len as i64))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

struct Field {
    action: Action,
    signed: bool,
    width: u32,
    offset: u64,
    overflow: Overflow,
}

const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Every operation parsed, in order, before any runs.
fn fields(model: &Model, args: &[Vec<u8>]) -> Result<Vec<Field>> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut at = 2;
    while at < args.len() {
        let left = args.len() - at - 1;
        let name = args[at].to_ascii_uppercase();
        let action = match &name[..] {
            b"GET" if left >= 2 => Action::Get,
            b"SET" if left >= 3 => Action::Set(0),
            b"INCRBY" if left >= 3 => Action::IncrBy(0),
            b"OVERFLOW" if left >= 1 => {
                overflow = match &args[at + 1].to_ascii_uppercase()[..] {
                    b"WRAP" => Overflow::Wrap,
                    b"SAT" => Overflow::Sat,
                    b"FAIL" => Overflow::Fail,
                    _ => return Err("ERR Invalid OVERFLOW type specified"),
                };
                at += 2;
                continue;
            }
            _ => return Err(SYNTAX),
        };
        let kind = &args[at + 1];
        let signed = match kind.first() {
            Some(b'i') => true,
            Some(b'u') => false,
            _ => return Err(BAD_TYPE),
        };
        let width = parse_i64(&kind[1..]).ok_or(BAD_TYPE)?;
        if width < 1 || width > if signed { 64 } else { 63 } {
            return Err(BAD_TYPE);
        }
        let width = width as u32;
        let offset = offset_arg(model, &args[at + 2], Some(width))?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(parse_i64(&args[at + 3]).ok_or(NOT_INTEGER)?),
            Action::IncrBy(_) => Action::IncrBy(parse_i64(&args[at + 3]).ok_or(NOT_INTEGER)?),
        };
        at += if matches!(action, Action::Get) { 3 } else { 4 };
        fields.push(Field {
            action,
            signed,
            width,
            offset,
            overflow,
        });
    }
    Ok(fields)
}

/// BITFIELD and BITFIELD_RO.
fn bitfield(
    model: &mut Model,
    db: usize,
    read_only: bool,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    let key = &args[1][..];
    let fields = fields(model, args)?;
    let last_written = fields
        .iter()
        .filter(|field| !matches!(field.action, Action::Get))
        .map(|field| field.offset + u64::from(field.width) - 1)
        .max();
    if read_only && last_written.is_some() {
        return Err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let stored = read(model, db, key, wall)?;
    let mut bytes = stored.clone().unwrap_or_default();
    if let Some(last) = last_written {
        let was = bit(&bytes, last);
        set_bit(&mut bytes, last, was);
    }
    let mut changed = false;
    out.array(fields.len());
    for field in &fields {
        let width = u64::from(field.width);
        let mut old: i128 = 0;
        for place in 0..width {
            old = old * 2 + i128::from(bit(&bytes, field.offset + place));
        }
        if field.signed && bit(&bytes, field.offset) {
            old -= 1 << width;
        }
        let (wanted, reply_old) = match field.action {
            Action::Get => {
                out.int(old as i64);
                continue;
            }
            // Redis reads a SET value for an unsigned field as a 64-bit unsigned integer.
            Action::Set(value) if !field.signed => (i128::from(value as u64), true),
            Action::Set(value) => (i128::from(value), true),
            Action::IncrBy(increment) => (old + i128::from(increment), false),
        };
        let (min, max) = if field.signed {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        } else {
            (0, (1i128 << width) - 1)
        };
        // Redis 7.0 saturates a signed SET below max - i64::MAX (where its `max - value`
        // wraps) at the maximum.
        let wanted = match field.action {
            Action::Set(value)
                if field.signed && width < 64 && i128::from(value) < max - i128::from(i64::MAX) =>
            {
                if field.overflow == Overflow::Sat {
                    max + 1
                } else {
                    wanted
                }
            }
            _ => wanted,
        };
        let new = if (min..=max).contains(&wanted) {
            wanted
        } else {
            match field.overflow {
                Overflow::Fail => {
                    out.nil();
                    continue;
                }
                Overflow::Sat => wanted.clamp(min, max),
                Overflow::Wrap => {
                    let low = wanted.rem_euclid(1 << width);
                    if low > max {
                        low - (1 << width)
                    } else {
                        low
                    }
                }
            }
        };
        for place in 0..width {
            let on = (new >> (width - 1 - place)) & 1 == 1;
            set_bit(&mut bytes, field.offset + place, on);
        }
        changed |= new != old;
        out.int(if reply_old { old } else { new } as i64);
    }
    if last_written.is_some() && stored.as_ref() != Some(&bytes) {
        store_keeping_ttl(model, db, key, wall, bytes);
    }
    if changed {
        model.touch(db, key);
    }
    Ok(Expect::Exact)
}
