//! Bitmap commands over strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (BITFIELD is in
//! bitfield.rs).
//!
//! A string is a bitmap whose bit 0 is the most significant bit of its first byte, as in Redis.
//! Reading accepts every string encoding (an integer is read as its decimal text); a write that
//! reaches past the end zero-pads the string and leaves it raw, as SETRANGE does. A write takes
//! write access only when Redis counts a change (it creates or grows the string, or flips a
//! bit), so WATCH, the change count and propagation see what Redis's would.

use super::args::is_option;
use super::strings::{raw_string_mut, string_bytes};
use super::{ArgCursor, CommandError, CommandResult, Ctx, SYNTAX, WRONGTYPE};
use crate::notify;
use crate::util::number::parse_i64;
use crate::value::Value;

pub(crate) const BIT_OFFSET_INVALID: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_INVALID: &str = "ERR bit is not an integer or out of range";
const BITPOS_BIT_INVALID: &str = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT_ONE_SOURCE: &str = "ERR BITOP NOT must be called with a single source key.";

/// A bit offset as Redis reads one: a non-negative integer whose byte lies below
/// `proto-max-bulk-len`, so that no write grows a string past about that size. With `width`
/// (BITFIELD), `#N` means the N-th field of that width: N * width.
pub(crate) fn parse_bit_offset(
    arg: &[u8],
    width: Option<u32>,
    bulk_bytes_max: usize,
) -> Result<u64, CommandError> {
    let (digits, multiplier) = match (arg.split_first(), width) {
        (Some((b'#', rest)), Some(width)) => (rest, i64::from(width)),
        _ => (arg, 1),
    };
    // Redis multiplies a `#` offset without checking, so a huge one wraps there; here a product
    // that does not fit is refused like any other offset out of range.
    let offset = parse_i64(digits)
        .and_then(|number| number.checked_mul(multiplier))
        .filter(|&offset| offset >= 0 && ((offset >> 3) as u64) < bulk_bytes_max as u64)
        .ok_or(CommandError::from(BIT_OFFSET_INVALID))?;
    Ok(offset as u64)
}

/// The mask of bit `offset` within its byte (bit 0 is the byte's most significant).
fn bit_mask(offset: u64) -> u8 {
    0x80 >> (offset & 7)
}

/// The byte holding bit `offset`, as an index into a string.
pub(crate) fn byte_index(offset: u64) -> usize {
    usize::try_from(offset >> 3).expect("offsets are bounded by proto-max-bulk-len")
}

/// Writes `patch` (byte index, byte) into the string at `key`, zero-padding it to at least
/// `len_min` bytes, creating it when missing. The only place the bit commands take write
/// access; the caller has checked the type, and that this is a change Redis counts.
pub(crate) fn write_bytes(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    len_min: usize,
    patch: impl IntoIterator<Item = (usize, u8)>,
) -> CommandResult {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    match raw_string_mut(db, now, key)? {
        Some(bytes) => {
            if bytes.len() < len_min {
                bytes.resize(len_min, 0);
            }
            for (index, byte) in patch {
                bytes[index] = byte;
            }
        }
        None => {
            let mut bytes = vec![0; len_min];
            for (index, byte) in patch {
                bytes[index] = byte;
            }
            db.set(now, key, Value::RawStr(Box::new(bytes)), false);
        }
    }
    Ok(())
}

/// SETBIT key offset value: replies with the bit's old value.
pub(crate) fn setbit(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset = parse_bit_offset(args.next_bytes()?, None, ctx.state.config.bulk_bytes_max)?;
    let on = match parse_i64(args.next_bytes()?) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(BIT_VALUE_INVALID.into()),
    };
    let (index, mask) = (byte_index(offset), bit_mask(offset));
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    let (old_byte, grows) = match ctx.keyspace.dbs[ctx.db].get(now, key) {
        None => (0, true),
        Some(value) => {
            let bytes = string_bytes(value, &mut digits)?;
            (bytes.get(index).copied().unwrap_or(0), bytes.len() <= index)
        }
    };
    let was_on = old_byte & mask != 0;
    // Redis counts SETBIT as a change when it creates or grows the string or flips the bit; a
    // bit set to the value it had is no change (no WATCH signal, nothing propagated).
    if grows || was_on != on {
        let new_byte = if on {
            old_byte | mask
        } else {
            old_byte & !mask
        };
        write_bytes(ctx, key, index + 1, [(index, new_byte)])?;
        ctx.notify(notify::STRING, "setbit", key);
    } else {
        // Redis unshares the string even when nothing changes, and OBJECT ENCODING shows it.
        if let Some(value) = ctx.keyspace.dbs[ctx.db].reencode(now, key) {
            value.make_raw_string();
        }
    }
    ctx.reply.integer(i64::from(was_on));
    Ok(())
}

/// GETBIT key offset: 0 past the end and for a missing key.
pub(crate) fn getbit(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset = parse_bit_offset(args.next_bytes()?, None, ctx.state.config.bulk_bytes_max)?;
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    let bit = match ctx.keyspace.dbs[ctx.db].get(now, key) {
        None => false,
        Some(value) => {
            let bytes = string_bytes(value, &mut digits)?;
            bytes
                .get(byte_index(offset))
                .is_some_and(|byte| byte & bit_mask(offset) != 0)
        }
    };
    ctx.reply.integer(i64::from(bit));
    Ok(())
}

/// Whether a BITCOUNT or BITPOS range counts bytes (the default) or bits.
fn parse_unit(arg: &[u8]) -> Result<bool, CommandError> {
    if is_option(arg, "BIT") {
        Ok(true)
    } else if is_option(arg, "BYTE") {
        Ok(false)
    } else {
        Err(SYNTAX.into())
    }
}

/// A range given from either end turned into the inclusive range of units `[first, last]`
/// within `units`, as Redis clamps it; None when it is empty. `units` is at most 8 times
/// `proto-max-bulk-len`, so no sum here overflows, whatever `start` and `end` are.
fn clamp_range(start: i64, end: i64, units: i64) -> Option<(u64, u64)> {
    let from_end = |index: i64| if index < 0 { units + index } else { index };
    let first = from_end(start).max(0);
    let last = from_end(end).max(0).min(units - 1);
    (first <= last).then_some((first as u64, last as u64))
}

/// The inclusive bit range `[first, last]` for units counted in bits or bytes.
fn bit_range((first, last): (u64, u64), in_bits: bool) -> (u64, u64) {
    if in_bits {
        (first, last)
    } else {
        (first * 8, last * 8 + 7)
    }
}

/// The bits `first..=last` of `byte`, counting from its most significant, others cleared.
fn bits_of(byte: u8, first: u64, last: u64) -> u8 {
    let high = 0xffu8 >> first;
    let low = 0xffu8 << (7 - last);
    byte & high & low
}

/// The number of set bits in bits `[first, last]` of `bytes` (both within it).
fn count_ones(bytes: &[u8], (first, last): (u64, u64)) -> u64 {
    let (first_byte, last_byte) = (byte_index(first), byte_index(last));
    if first_byte == last_byte {
        return u64::from(bits_of(bytes[first_byte], first & 7, last & 7).count_ones());
    }
    let head = bits_of(bytes[first_byte], first & 7, 7).count_ones();
    let tail = bits_of(bytes[last_byte], 0, last & 7).count_ones();
    let middle = &bytes[first_byte + 1..last_byte];
    let (words, rest) = middle.split_at(middle.len() - middle.len() % 8);
    let word_ones: u64 = words
        .chunks_exact(8)
        .map(|word| u64::from(u64::from_ne_bytes(word.try_into().expect("8 bytes")).count_ones()))
        .sum();
    let rest_ones: u64 = rest.iter().map(|byte| u64::from(byte.count_ones())).sum();
    u64::from(head) + u64::from(tail) + word_ones + rest_ones
}

/// The first bit equal to `bit` in bits `[first, last]` of `bytes`.
fn find_bit(bytes: &[u8], bit: bool, (first, last): (u64, u64)) -> Option<u64> {
    let (first_byte, last_byte) = (byte_index(first), byte_index(last));
    for (index, &byte) in bytes[first_byte..=last_byte].iter().enumerate() {
        let index = first_byte + index;
        let from = if index == first_byte { first & 7 } else { 0 };
        let to = if index == last_byte { last & 7 } else { 7 };
        // Looking for a 0 is looking for a 1 in the complement.
        let wanted = bits_of(if bit { byte } else { !byte }, from, to);
        if wanted != 0 {
            return Some(index as u64 * 8 + u64::from(wanted.leading_zeros()));
        }
    }
    None
}

/// BITCOUNT key [start end [BYTE | BIT]]
pub(crate) fn bitcount(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    // Redis answers for a missing key before it looks at the range, so its arguments go unread.
    let Some(value) = ctx.keyspace.dbs[ctx.db].get(now, key) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let bytes = string_bytes(value, &mut digits)?;
    let len = bytes.len() as i64;
    let range = match args.remaining() {
        0 => clamp_range(0, -1, len).map(|range| bit_range(range, false)),
        2 | 3 => {
            let start = args.next_i64()?;
            let end = args.next_i64()?;
            // Redis 7.0: two negative indexes in the wrong order count nothing, before the unit
            // is even read.
            if start < 0 && end < 0 && start > end {
                ctx.reply.integer(0);
                return Ok(());
            }
            let in_bits = match args.peek() {
                Some(unit) => parse_unit(unit)?,
                None => false,
            };
            let units = if in_bits { len * 8 } else { len };
            clamp_range(start, end, units).map(|range| bit_range(range, in_bits))
        }
        _ => return Err(SYNTAX.into()),
    };
    let count = range.map_or(0, |range| count_ones(bytes, range));
    ctx.reply.integer(count as i64);
    Ok(())
}

/// BITPOS key bit [start [end [BYTE | BIT]]]: the first bit set to `bit`, or -1.
pub(crate) fn bitpos(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let bit = match args.next_i64()? {
        0 => false,
        1 => true,
        _ => return Err(BITPOS_BIT_INVALID.into()),
    };
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    // A missing key is an endless run of zeros: its first 0 is bit 0, and it has no 1. Redis
    // answers before it reads the range.
    let Some(value) = ctx.keyspace.dbs[ctx.db].get(now, key) else {
        ctx.reply.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let bytes = string_bytes(value, &mut digits)?;
    let len = bytes.len() as i64;
    if args.remaining() > 3 {
        return Err(SYNTAX.into());
    }
    let start = match args.peek() {
        Some(_) => args.next_i64()?,
        None => 0,
    };
    // The unit is read before the end, as Redis does: a bad unit is a syntax error even when
    // the end is not a number.
    let in_bits = match args.peek_ahead(1) {
        Some(unit) => parse_unit(unit)?,
        None => false,
    };
    let end = match args.peek() {
        Some(_) => Some(args.next_i64()?),
        None => None,
    };
    let units = if in_bits { len * 8 } else { len };
    let Some(range) = clamp_range(start, end.unwrap_or(-1), units) else {
        // An empty range holds neither a 0 nor a 1.
        ctx.reply.integer(-1);
        return Ok(());
    };
    let range = bit_range(range, in_bits);
    let position = match find_bit(bytes, bit, range) {
        Some(position) => position as i64,
        // Without an end, the string counts as padded with zeros on the right, so the first 0
        // is the bit just past its last byte. With an end the range is exact: no 0 in it.
        None if !bit && end.is_none() => len * 8,
        None => -1,
    };
    ctx.reply.integer(position);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: stores the result, as long as the longest
/// source (missing keys are empty strings, read as zeros), and replies with its length. An
/// empty result deletes the destination.
pub(crate) fn bitop(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let name = args.next_bytes()?;
    let op = [
        ("AND", BitOp::And),
        ("OR", BitOp::Or),
        ("XOR", BitOp::Xor),
        ("NOT", BitOp::Not),
    ]
    .into_iter()
    .find(|(option, _)| is_option(name, option))
    .map(|(_, op)| op)
    .ok_or(CommandError::from(SYNTAX))?;
    let destination = args.next_bytes()?;
    let sources = args.rest();
    if op == BitOp::Not && sources.clone().count() != 1 {
        return Err(BITOP_NOT_ONE_SOURCE.into());
    }
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let mut digits = [0u8; 20];
    // First pass: every source's type, in order (the first that is not a string is the
    // error), and the result's length.
    let mut len_max = 0;
    for key in sources.clone() {
        if let Some(value) = db.get(now, key) {
            len_max = len_max.max(string_bytes(value, &mut digits)?.len());
        }
    }
    let mut result = vec![0u8; len_max];
    for (position, key) in sources.enumerate() {
        let bytes = match db.peek(now, key) {
            Some(value) => string_bytes(value, &mut digits)?,
            None => &[][..],
        };
        // Past its end a source reads as zeros, so AND clears the rest of the result.
        let padded = bytes.iter().copied().chain(std::iter::repeat(0));
        for (out, byte) in result.iter_mut().zip(padded) {
            *out = match (op, position) {
                (BitOp::Not, _) => !byte,
                (_, 0) => byte,
                (BitOp::And, _) => *out & byte,
                (BitOp::Or, _) => *out | byte,
                (BitOp::Xor, _) => *out ^ byte,
            };
        }
    }
    let empty = result.is_empty();
    let old = if empty {
        db.remove(now, destination)
    } else {
        db.set(now, destination, Value::RawStr(Box::new(result)), false)
    };
    if !empty {
        ctx.notify(notify::STRING, "set", destination);
    } else if old.is_some() {
        ctx.notify(notify::GENERIC, "del", destination);
    }
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
    ctx.reply.integer(len_max as i64);
    Ok(())
}

/// Checks that `key` holds a string or nothing, with read access.
pub(crate) fn check_string_or_missing(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> CommandResult {
    let now = ctx.now.wall;
    match ctx.keyspace.dbs[ctx.db].get(now, key) {
        Some(value) if !value.is_string() => Err(WRONGTYPE.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_as_redis_does_without_overflow() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(clamp_range(i64::MAX, i64::MAX, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MIN, 3), Some((0, 0)));
    }

    #[test]
    fn counting_and_finding_bits_within_bytes() {
        let bytes = [0b1010_0000, 0xff, 0x00, 0b0000_0001];
        assert_eq!(count_ones(&bytes, (0, 31)), 11);
        assert_eq!(count_ones(&bytes, (1, 2)), 1);
        assert_eq!(count_ones(&bytes, (2, 31)), 10);
        assert_eq!(find_bit(&bytes, true, (1, 31)), Some(2));
        assert_eq!(find_bit(&bytes, false, (8, 15)), None);
        assert_eq!(find_bit(&bytes, true, (16, 30)), None);
        assert_eq!(find_bit(&bytes, true, (16, 31)), Some(31));
    }

    #[test]
    fn offsets_are_bounded_and_hash_offsets_multiply() {
        let limit = 512 * 1024 * 1024;
        assert_eq!(parse_bit_offset(b"7", None, limit), Ok(7));
        assert_eq!(parse_bit_offset(b"#3", Some(8), limit), Ok(24));
        assert!(parse_bit_offset(b"#3", None, limit).is_err());
        assert!(parse_bit_offset(b"-1", None, limit).is_err());
        assert_eq!(
            parse_bit_offset(b"4294967295", None, limit),
            Ok(4_294_967_295)
        );
        assert!(parse_bit_offset(b"4294967296", None, limit).is_err());
        assert!(parse_bit_offset(b"#9223372036854775807", Some(64), limit).is_err());
        assert!(parse_bit_offset(b"#", Some(8), limit).is_err());
    }
}
