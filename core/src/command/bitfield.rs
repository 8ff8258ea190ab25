//! BITFIELD and BITFIELD_RO: integers of 1 to 64 bits at any bit offset of a string.
//!
//! Every operation is parsed before any runs, as Redis does, so a bad argument anywhere changes
//! nothing. The operations then run in order against `Overlay` (the stored bytes under the
//! bytes this call wrote), and the written bytes are stored at the end only when Redis would
//! count a change: the string was created or grown, or some field took a different value.
//! So a BITFIELD that sets fields to the values they hold takes no write access (no WATCH
//! signal, nothing propagated), and one with only GETs is a read.

use crate::notify;
use std::collections::BTreeMap;

use super::args::is_option;
use super::bits::{byte_index, check_string_or_missing, parse_bit_offset, write_bytes};
use super::strings::string_bytes;
use super::{ArgCursor, CommandError, CommandResult, Ctx, SYNTAX};
use crate::util::number::parse_i64;

const TYPE_INVALID: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const OVERFLOW_INVALID: &str = "ERR Invalid OVERFLOW type specified";
const READ_ONLY_WRITE: &str = "ERR BITFIELD_RO only supports the GET subcommand";

/// A field's type: signed (`i1`..`i64`) or unsigned (`u1`..`u63`; a u64 could not be replied
/// as a RESP integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldType {
    pub(crate) signed: bool,
    pub(crate) width: u32,
}

impl FieldType {
    /// `i<bits>` or `u<bits>`. Redis reads the width as a C string, so it ends at a NUL.
    pub(crate) fn parse(arg: &[u8]) -> Result<FieldType, CommandError> {
        let invalid = || CommandError::from(TYPE_INVALID);
        let (&sign, digits) = arg.split_first().ok_or_else(invalid)?;
        let signed = match sign {
            b'i' => true,
            b'u' => false,
            _ => return Err(invalid()),
        };
        let width = parse_i64(super::c_string(digits)).ok_or_else(invalid)?;
        let width_max = if signed { 64 } else { 63 };
        if !(1..=width_max).contains(&width) {
            return Err(invalid());
        }
        Ok(FieldType {
            signed,
            width: width as u32,
        })
    }

    /// The smallest and largest value a field holds.
    fn range(self) -> (i128, i128) {
        if self.signed {
            (
                -(1i128 << (self.width - 1)),
                (1i128 << (self.width - 1)) - 1,
            )
        } else {
            (0, (1i128 << self.width) - 1)
        }
    }

    /// The field's value for its `width` low bits.
    fn value_of(self, bits: u64) -> i64 {
        let shift = 64 - self.width;
        if self.signed {
            // Sign-extend from the field's top bit.
            ((bits << shift) as i64) >> shift
        } else {
            bits as i64
        }
    }

    /// The `width` low bits that store `value` (which fits the field).
    fn bits_of(self, value: i64) -> u64 {
        (value as u64) & (u64::MAX >> (64 - self.width))
    }
}

/// What a SET or INCRBY does with a value that does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Keep the low bits (modular arithmetic), the default.
    Wrap,
    /// Stop at the field's smallest or largest value.
    Sat,
    /// Change nothing and reply nil for that operation.
    Fail,
}

/// Whether Redis's range check of a signed SET of `value` wraps (see `run`): `max - value`
/// overflows 64 bits, for a field narrower than 64 bits.
fn sat_wraps_up(kind: FieldType, value: i64) -> bool {
    let max = kind.range().1 as i64;
    kind.signed && kind.width < 64 && max.checked_sub(value).is_none()
}

/// The value a field stores for `wanted`, or None when it overflows under FAIL.
pub(crate) fn fit(kind: FieldType, wanted: i128, overflow: Overflow) -> Option<i64> {
    let (min, max) = kind.range();
    let stored = if (min..=max).contains(&wanted) {
        wanted
    } else {
        match overflow {
            Overflow::Wrap => {
                let modulus = 1i128 << kind.width;
                let low = wanted.rem_euclid(modulus);
                if low > max {
                    low - modulus
                } else {
                    low
                }
            }
            Overflow::Sat if wanted > max => max,
            Overflow::Sat => min,
            Overflow::Fail => return None,
        }
    };
    Some(i64::try_from(stored).expect("a field's value fits in an i64"))
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy, Debug)]
struct FieldOp {
    action: Action,
    kind: FieldType,
    offset: u64,
    overflow: Overflow,
}

impl FieldOp {
    /// The last bit this operation writes, if it writes.
    fn last_written_bit(&self) -> Option<u64> {
        match self.action {
            Action::Get => None,
            Action::Set(_) | Action::IncrBy(_) => {
                Some(self.offset + u64::from(self.kind.width) - 1)
            }
        }
    }
}

/// The operations in order; OVERFLOW applies to those after it.
fn parse_ops(
    args: &mut ArgCursor<'_>,
    bulk_bytes_max: usize,
) -> Result<Vec<FieldOp>, CommandError> {
    let mut ops = Vec::with_capacity(args.remaining() / 3);
    let mut overflow = Overflow::Wrap;
    while let Some(name) = args.peek() {
        args.next_bytes()?;
        let left = args.remaining();
        let action = if is_option(name, "GET") && left >= 2 {
            Action::Get
        } else if is_option(name, "SET") && left >= 3 {
            Action::Set(0)
        } else if is_option(name, "INCRBY") && left >= 3 {
            Action::IncrBy(0)
        } else if is_option(name, "OVERFLOW") && left >= 1 {
            let mode = args.next_bytes()?;
            overflow = [
                ("WRAP", Overflow::Wrap),
                ("SAT", Overflow::Sat),
                ("FAIL", Overflow::Fail),
            ]
            .into_iter()
            .find(|(option, _)| is_option(mode, option))
            .map(|(_, mode)| mode)
            .ok_or(CommandError::from(OVERFLOW_INVALID))?;
            continue;
        } else {
            return Err(SYNTAX.into());
        };
        let kind = FieldType::parse(args.next_bytes()?)?;
        let offset = parse_bit_offset(args.next_bytes()?, Some(kind.width), bulk_bytes_max)?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(args.next_i64()?),
            Action::IncrBy(_) => Action::IncrBy(args.next_i64()?),
        };
        ops.push(FieldOp {
            action,
            kind,
            offset,
            overflow,
        });
    }
    Ok(ops)
}

/// A string's bytes as this call sees them: the stored ones, zero-padded without end, under the
/// bytes its own operations wrote (at most 9 per operation).
struct Overlay<'a> {
    stored: &'a [u8],
    written: BTreeMap<usize, u8>,
}

impl Overlay<'_> {
    fn byte(&self, index: usize) -> u8 {
        match self.written.get(&index) {
            Some(&byte) => byte,
            None => self.stored.get(index).copied().unwrap_or(0),
        }
    }

    /// Bits `offset..offset + width`, the first one most significant.
    fn field_bits(&self, offset: u64, width: u32) -> u64 {
        (offset..offset + u64::from(width)).fold(0, |bits, bit| {
            let set = self.byte(byte_index(bit)) & (0x80 >> (bit & 7)) != 0;
            (bits << 1) | u64::from(set)
        })
    }

    fn set_field_bits(&mut self, offset: u64, width: u32, bits: u64) {
        for (place, bit) in (offset..offset + u64::from(width)).enumerate() {
            let set = (bits >> (width as usize - 1 - place)) & 1 == 1;
            let index = byte_index(bit);
            let mask = 0x80 >> (bit & 7);
            let byte = self.byte(index);
            let byte = if set { byte | mask } else { byte & !mask };
            self.written.insert(index, byte);
        }
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub(crate) fn bitfield(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    run(ctx, args, false)
}

/// BITFIELD_RO key [GET type offset] ...: BITFIELD refusing anything but GET.
pub(crate) fn bitfield_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    run(ctx, args, true)
}

fn run(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, read_only: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let ops = parse_ops(args, ctx.state.config.bulk_bytes_max)?;
    let last_written_bit = ops.iter().filter_map(FieldOp::last_written_bit).max();
    if last_written_bit.is_some() && read_only {
        return Err(READ_ONLY_WRITE.into());
    }
    check_string_or_missing(ctx, key)?;
    let now = ctx.now.wall;
    let mut digits = [0u8; 20];
    let stored = match ctx.keyspace.dbs[ctx.db].peek(now, key) {
        Some(value) => Some(string_bytes(value, &mut digits)?),
        None => None,
    };
    let len_min = last_written_bit.map_or(0, |bit| byte_index(bit) + 1);
    // Creating or growing the string is a change even if every write then fails (Redis
    // creates the key before it runs the operations).
    let mut changed =
        last_written_bit.is_some() && stored.is_none_or(|bytes| bytes.len() < len_min);
    let mut overlay = Overlay {
        stored: stored.unwrap_or(&[]),
        written: BTreeMap::new(),
    };
    ctx.reply.array(ops.len());
    for op in &ops {
        let (kind, offset) = (op.kind, op.offset);
        let old = kind.value_of(overlay.field_bits(offset, kind.width));
        let (wanted, reply_old) = match op.action {
            Action::Get => {
                ctx.reply.integer(old);
                continue;
            }
            // An unsigned field reads a negative SET value as C's uint64_t cast does, so it is
            // too big: WRAP keeps its low bits, SAT stores the field's maximum.
            Action::Set(value) if !kind.signed => (i128::from(value as u64), true),
            // Redis checks a signed SET through `max - value` in wrapping 64-bit arithmetic: a
            // value so negative that this wraps counts as too big, so SAT stores the maximum
            // (WRAP and FAIL come out as for any value out of range).
            Action::Set(value) if op.overflow == Overflow::Sat && sat_wraps_up(kind, value) => {
                (kind.range().1 + 1, true)
            }
            Action::Set(value) => (i128::from(value), true),
            Action::IncrBy(increment) => (i128::from(old) + i128::from(increment), false),
        };
        match fit(kind, wanted, op.overflow) {
            Some(new) => {
                ctx.reply.integer(if reply_old { old } else { new });
                overlay.set_field_bits(offset, kind.width, kind.bits_of(new));
                changed |= new != old;
            }
            None => ctx.reply.null(),
        }
    }
    if changed {
        let written = std::mem::take(&mut overlay.written);
        write_bytes(ctx, key, len_min, written)?;
        ctx.notify(notify::STRING, "setbit", key);
    } else if last_written_bit.is_some() {
        // Redis unshares the string even when nothing changes, and OBJECT ENCODING shows it.
        if let Some(value) = ctx.keyspace.dbs[ctx.db].reencode(now, key) {
            value.make_raw_string();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(signed: bool, width: u32) -> FieldType {
        FieldType { signed, width }
    }

    #[test]
    fn types_parse_as_redis_reads_them() {
        assert_eq!(FieldType::parse(b"i64"), Ok(kind(true, 64)));
        assert_eq!(FieldType::parse(b"u63"), Ok(kind(false, 63)));
        assert_eq!(FieldType::parse(b"u8\0junk"), Ok(kind(false, 8)));
        for bad in [
            &b"u64"[..],
            b"i65",
            b"i0",
            b"I8",
            b"i",
            b"",
            b"i08",
            b"i+8",
            b"x8",
        ] {
            assert!(FieldType::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn overflow_wraps_saturates_or_fails() {
        assert_eq!(fit(kind(false, 8), 256, Overflow::Wrap), Some(0));
        assert_eq!(fit(kind(false, 8), -1, Overflow::Wrap), Some(255));
        assert_eq!(fit(kind(false, 8), 300, Overflow::Sat), Some(255));
        assert_eq!(fit(kind(false, 8), -5, Overflow::Sat), Some(0));
        assert_eq!(fit(kind(true, 8), 128, Overflow::Wrap), Some(-128));
        assert_eq!(fit(kind(true, 8), -129, Overflow::Sat), Some(-128));
        assert_eq!(fit(kind(true, 8), 127, Overflow::Fail), Some(127));
        assert_eq!(fit(kind(true, 8), 128, Overflow::Fail), None);
        assert_eq!(
            fit(kind(true, 64), i128::from(i64::MAX) + 1, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(fit(kind(true, 1), 1, Overflow::Wrap), Some(-1));
        assert_eq!(fit(kind(false, 63), -1, Overflow::Wrap), Some(i64::MAX));
    }
}
