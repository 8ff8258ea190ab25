//! `bit`: LuaBitOp's bitwise operations on 32-bit integers, as Redis gives scripts.
//!
//! Every argument is normalised to a signed 32-bit integer the way LuaBitOp documents it for
//! doubles: the number is added to 2^52 + 2^51 and the low 32 bits of the sum's representation
//! are taken. Inside ±2^51 that rounds to the nearest integer (ties to even) and wraps modulo
//! 2^32; outside it gives whatever those bits hold, which is what scripts see on Redis too.
//! Results are signed 32-bit numbers.

use mlua::{Lua, Table, Value};

use super::{function, Args, Outcome};

/// `tobit(x)`: LuaBitOp's normalisation of a double to a signed 32-bit integer.
fn to_bit(number: f64) -> i32 {
    const NORMALISING_BIAS: f64 = 6_755_399_441_055_744.0; // 2^52 + 2^51
    (number + NORMALISING_BIAS).to_bits() as u32 as i32
}

fn bit_argument(args: &Args, position: usize) -> Outcome<i32> {
    args.number(position).map(to_bit)
}

fn result(value: i32) -> Outcome<Vec<Value>> {
    Ok(vec![Value::Number(f64::from(value))])
}

/// `band`, `bor`, `bxor`: one or more arguments folded with `operation`.
fn fold(args: &Args, operation: Binary) -> Outcome<Vec<Value>> {
    let mut accumulated = bit_argument(args, 1)?;
    for position in 2..=args.count() {
        accumulated = operation(accumulated, bit_argument(args, position)?);
    }
    result(accumulated)
}

/// `lshift`, `rshift`, `arshift`, `rol`, `ror`: the count is taken modulo 32, as LuaBitOp does.
fn shift(args: &Args, operation: Shift) -> Outcome<Vec<Value>> {
    let value = bit_argument(args, 1)?;
    let count = (bit_argument(args, 2)? & 31) as u32;
    result(operation(value, count))
}

/// `tohex(x [, n])`: the low `n` hex digits of `x` (8 by default), upper case when `n` is
/// negative, at most 8.
fn to_hex(lua: &Lua, args: &Args) -> Outcome<Vec<Value>> {
    let value = bit_argument(args, 1)? as u32;
    let requested = if args.count() < 2 {
        8
    } else {
        bit_argument(args, 2)?
    };
    let upper_case = requested < 0;
    // -2^31 has no 32-bit negation; Redis gives it 8 upper-case digits like any n below -8.
    let digit_count = requested.unsigned_abs().min(8) as usize;
    let text: String = (0..digit_count)
        .rev()
        .map(|nibble_index| {
            let nibble = (value >> (4 * nibble_index)) & 0xf;
            let digit = char::from_digit(nibble, 16).expect("a nibble is a hex digit");
            if upper_case {
                digit.to_ascii_uppercase()
            } else {
                digit
            }
        })
        .collect();
    Ok(vec![Value::String(lua.create_string(text)?)])
}

type Unary = fn(i32) -> i32;
type Binary = fn(i32, i32) -> i32;
type Shift = fn(i32, u32) -> i32;

/// Builds the `bit` table.
pub(super) fn module(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let unary: [(&'static str, Unary); 3] = [
        ("tobit", |value| value),
        ("bnot", |value| !value),
        ("bswap", i32::swap_bytes),
    ];
    for (name, operation) in unary {
        let body = move |_: &Lua, args: Args| result(operation(bit_argument(&args, 1)?));
        table.raw_set(name, function(lua, name, body)?)?;
    }
    let folds: [(&'static str, Binary); 3] = [
        ("band", |left, right| left & right),
        ("bor", |left, right| left | right),
        ("bxor", |left, right| left ^ right),
    ];
    for (name, operation) in folds {
        let body = move |_: &Lua, args: Args| fold(&args, operation);
        table.raw_set(name, function(lua, name, body)?)?;
    }
    let shifts: [(&'static str, Shift); 5] = [
        ("lshift", |value, count| ((value as u32) << count) as i32),
        ("rshift", |value, count| ((value as u32) >> count) as i32),
        ("arshift", |value, count| value >> count),
        ("rol", |value, count| value.rotate_left(count)),
        ("ror", |value, count| value.rotate_right(count)),
    ];
    for (name, operation) in shifts {
        let body = move |_: &Lua, args: Args| shift(&args, operation);
        table.raw_set(name, function(lua, name, body)?)?;
    }
    table.raw_set(
        "tohex",
        function(lua, "tohex", |lua, args| to_hex(lua, &args))?,
    )?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{eval, lua};
    use super::to_bit;
    use proptest::prelude::*;

    // Expected values taken from Redis 7.0.15.
    #[test]
    fn normalisation_matches_redis() {
        let lua = lua();
        let cases = [
            ("bit.tobit(0xffffffff)", "-1"),
            ("bit.tobit(2^32 + 5)", "5"),
            ("bit.tobit(1.5)", "2"),
            ("bit.tobit(2.5)", "2"),
            ("bit.tobit(-1.5)", "-2"),
            ("bit.tobit('12')", "12"),
            ("bit.tobit(' 0x10 ')", "16"),
            ("bit.tobit(2^53 + 3)", "2"),
            ("bit.tobit(1/0)", "0"),
            ("bit.tobit(0/0)", "0"),
            ("bit.tobit(-2^51 - 0.5)", "-1"),
            ("bit.tobit(1, 2)", "1"),
        ];
        for (expression, expected) in cases {
            assert_eq!(
                eval(&lua, &format!("return {expression}")),
                expected,
                "{expression}"
            );
        }
    }

    #[test]
    fn operations_match_redis() {
        let lua = lua();
        let cases = [
            ("bit.band(7, 3, 5)", "1"),
            ("bit.bor(1, 2, 4)", "7"),
            ("bit.bxor(7, 2, 1)", "4"),
            ("bit.bnot(0)", "-1"),
            ("bit.lshift(1, 31)", "-2147483648"),
            ("bit.lshift(1, 32)", "1"),
            ("bit.lshift(1, 33)", "2"),
            ("bit.lshift(1, -1)", "-2147483648"),
            ("bit.rshift(-1, 28)", "15"),
            ("bit.arshift(-256, 4)", "-16"),
            ("bit.rol(0x80000001, 1)", "3"),
            ("bit.ror(1, 1)", "-2147483648"),
            ("bit.bswap(0x12345678)", "2018915346"),
            (
                "bit.band(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24)",
                "0",
            ),
            ("bit.tohex(255)", "000000ff"),
            ("bit.tohex(-1)", "ffffffff"),
            ("bit.tohex(255, 2)", "ff"),
            ("bit.tohex(255, -4)", "00FF"),
            ("bit.tohex(255, 0)", ""),
            ("bit.tohex(255, 12)", "000000ff"),
            ("bit.tohex(255, -12)", "000000FF"),
            ("bit.tohex(0x12345678, 1)", "8"),
            ("bit.tohex(1, 2^32 + 3)", "001"),
            ("bit.tohex(255, -2^31)", "000000FF"),
        ];
        for (expression, expected) in cases {
            assert_eq!(
                eval(&lua, &format!("return {expression}")),
                expected,
                "{expression}"
            );
        }
    }

    #[test]
    fn argument_errors_match_redis() {
        let lua = lua();
        let cases = [
            (
                "bit.band()",
                "bad argument #1 to 'band' (number expected, got no value)",
            ),
            (
                "bit.bor(1, 'x')",
                "bad argument #2 to 'bor' (number expected, got string)",
            ),
            (
                "bit.bor(1, nil)",
                "bad argument #2 to 'bor' (number expected, got nil)",
            ),
            (
                "bit.tohex(1, 'x')",
                "bad argument #2 to 'tohex' (number expected, got string)",
            ),
            (
                "bit.lshift(1)",
                "bad argument #2 to 'lshift' (number expected, got no value)",
            ),
            (
                "bit.tobit({})",
                "bad argument #1 to 'tobit' (number expected, got table)",
            ),
            (
                "bit.tobit(true)",
                "bad argument #1 to 'tobit' (number expected, got boolean)",
            ),
        ];
        for (expression, expected) in cases {
            assert_eq!(
                eval(&lua, &format!("return {expression}")),
                format!("error: {expected}"),
                "{expression}"
            );
        }
    }

    proptest! {
        /// Inside ±2^51 the normalisation is rounding to nearest, ties to even, modulo 2^32.
        #[test]
        fn to_bit_is_rounding_modulo_two_pow_32(number in -2f64.powi(51)..2f64.powi(51)) {
            let rounded = number.round_ties_even() as i64;
            prop_assert_eq!(to_bit(number), rounded as i32);
        }
    }
}
