//! INCRBYFLOAT: Redis adds in x87 `long double` and prints `%.17Lf` with the trailing zeros cut.
//!
//! The increments the simulator sends (`INCREMENTS`) are multiples of 2^-18, some of them odd
//! multiples, whose exact value has 18 decimals: the 17th digit of the printed sum is a tie that
//! `%.17Lf` rounds half to even. The model computes exactly when the current value is too: an
//! integer or a decimal that is a multiple of 2^-18 (counted in units of 2^-18 in an i128, well
//! inside `long double`'s 64-bit mantissa), and prints by the same rule. A value it cannot hold
//! exactly (a sum already rounded to 17 decimals, a huge integer) is left to the server: the
//! reply must be within a relative 1e-12 of the sum in f64, and the model keeps what the server
//! stored. The tie digits were checked against Redis 7.0 (core/tests/edges.rs pins them).

use crate::model::{Model, NOT_FLOAT, WRONGTYPE};
use crate::reply::{Expect, Out};

/// Increments the generator draws: ties at the 17th decimal (odd multiples of 2^-18), their
/// negatives, and plain values.
pub const INCREMENTS: &[&str] = &[
    "0.000011444091796875",
    "-0.000011444091796875",
    "0.000003814697265625",
    "0.000034332275390625",
    "0.000057220458984375",
    "1.5",
    "-2.25",
    "3",
    "0.5",
    "-1",
];

/// 2^-18 units: the finest fraction the model holds exactly.
const FRACTION_BITS: u32 = 18;
/// Beyond this many units the model leaves the sum to the server (2^62 units is 2^44).
const UNITS_MAX: i128 = 1 << 62;

/// INCRBYFLOAT key increment
pub fn incrbyfloat(
    model: &mut Model,
    db: usize,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect, &'static str> {
    let key = &args[1][..];
    let observed = model.observed.take();
    let current = model
        .string(db, key, wall)
        .map_err(|_| WRONGTYPE)?
        .cloned()
        .unwrap_or_else(|| b"0".to_vec());
    let Some(current_value) = decimal(&current) else {
        if maybe_float(&current) {
            // A form only strtold reads (an exponent, a hex float): take the server's word.
            return Ok(learn(model, db, key, wall, observed, None, out));
        }
        return Err(NOT_FLOAT);
    };
    let increment = decimal(&args[2]).ok_or(NOT_FLOAT)?;
    let exact = match (units(&current_value), units(&increment)) {
        (Some(a), Some(b)) => Some(a + b).filter(|sum| sum.abs() < UNITS_MAX),
        _ => None,
    };
    let Some(sum) = exact else {
        let approximate = to_f64(&current_value) + to_f64(&increment);
        return Ok(learn(
            model,
            db,
            key,
            wall,
            observed,
            Some(approximate),
            out,
        ));
    };
    let text = format_units(sum);
    model.counts.float_sums_exact += 1;
    store(model, db, key, wall, text.clone());
    Ok(out.bulk(&text))
}

/// Stores `text` at `key`, keeping its TTL (INCRBYFLOAT does).
fn store(model: &mut Model, db: usize, key: &[u8], wall: i64, text: Vec<u8>) {
    match model.string(db, key, wall).expect("checked") {
        Some(value) => *value = text,
        None => model.set_string(db, key, text, None),
    }
    model.touch(db, key);
}

/// Accepts the server's reply when it is a number near `approximate` (any number when None),
/// and keeps it as the value.
fn learn(
    model: &mut Model,
    db: usize,
    key: &[u8],
    wall: i64,
    observed: Option<Vec<u8>>,
    approximate: Option<f64>,
    out: &mut Out<'_>,
) -> Expect {
    let text = observed.as_deref().and_then(|reply| {
        let body = reply.strip_prefix(b"$")?;
        let header = body.windows(2).position(|w| w == b"\r\n")?;
        Some(body[header + 2..body.len() - 2].to_vec())
    });
    let Some(text) = text else {
        // An error, or no reply to learn from: the model cannot say.
        if let Some(reply) = observed.filter(|reply| reply.starts_with(b"-")) {
            out.0.extend_from_slice(&reply);
            return Expect::Exact;
        }
        return out.error("INCRBYFLOAT of an inexact value where the reply is not seen");
    };
    let value: Option<f64> = std::str::from_utf8(&text).ok().and_then(|t| t.parse().ok());
    let near = match (value, approximate) {
        (Some(value), Some(expected)) => {
            (value - expected).abs() <= 1e-12 * expected.abs().max(1.0)
        }
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !near {
        return out.error(&format!(
            "INCRBYFLOAT gave {:?}, far from {approximate:?}",
            text.escape_ascii().to_string()
        ));
    }
    store(model, db, key, wall, text.clone());
    out.bulk(&text)
}

/// A decimal as the simulator's values hold them: sign, digits, an optional fraction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// The digits without the point, and how many of them are after it.
    digits: Vec<u8>,
    scale: u32,
}

/// Reads `[+-]digits[.digits]` (what `strtold` and Redis accept of such text); None otherwise.
fn decimal(text: &[u8]) -> Option<Decimal> {
    let (negative, rest) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match rest.iter().position(|&b| b == b'.') {
        Some(point) => (&rest[..point], &rest[point + 1..]),
        None => (rest, &[][..]),
    };
    let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut digits = whole.to_vec();
    digits.extend_from_slice(fraction);
    Some(Decimal {
        negative,
        digits,
        scale: fraction.len() as u32,
    })
}

/// Text that `strtold` may read though `decimal` does not: an exponent or a hex float.
fn maybe_float(text: &[u8]) -> bool {
    text.first()
        .is_some_and(|b| b.is_ascii_digit() || b"+-.".contains(b))
        && text.iter().any(|b| b"eExX".contains(b))
}

/// The value in units of 2^-18, when it is an exact multiple that fits.
fn units(decimal: &Decimal) -> Option<i128> {
    let digits = std::str::from_utf8(&decimal.digits).ok()?;
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 || decimal.scale > FRACTION_BITS {
        return None;
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // value = mantissa / 10^scale; units = mantissa * 2^18 / (2^scale * 5^scale).
    let scaled = mantissa.checked_mul(1 << FRACTION_BITS)?;
    let divisor = 10i128.pow(decimal.scale);
    if scaled % divisor != 0 {
        return None;
    }
    let units = scaled / divisor;
    (units < UNITS_MAX).then_some(if decimal.negative { -units } else { units })
}

fn to_f64(decimal: &Decimal) -> f64 {
    let digits = std::str::from_utf8(&decimal.digits).expect("digits");
    let value: f64 = digits.parse::<f64>().expect("digits") / 10f64.powi(decimal.scale as i32);
    if decimal.negative {
        -value
    } else {
        value
    }
}

/// `%.17Lf` of units * 2^-18 (exact: 18 decimals at most), ties to even, then the trailing zeros
/// and point cut; `-0` prints as `0`.
fn format_units(units: i128) -> Vec<u8> {
    // units * 2^-18 = units * 5^18 * 10^-18: the exact value in units of 10^-18.
    let exact = units.unsigned_abs() * 5u128.pow(FRACTION_BITS);
    let (mut tenths, digit) = (exact / 10, exact % 10);
    if digit > 5 || (digit == 5 && tenths % 2 == 1) {
        tenths += 1;
    }
    let scale = 10u128.pow(17);
    let (whole, fraction) = (tenths / scale, tenths % scale);
    let mut text = String::new();
    if units < 0 && tenths != 0 {
        text.push('-');
    }
    text.push_str(&whole.to_string());
    if fraction != 0 {
        let fraction = format!("{fraction:017}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(current: &str, increment: &str) -> String {
        let a = units(&decimal(current.as_bytes()).unwrap()).unwrap();
        let b = units(&decimal(increment.as_bytes()).unwrap()).unwrap();
        String::from_utf8(format_units(a + b)).unwrap()
    }

    /// Replies recorded from Redis 7.0.15.
    #[test]
    fn ties_at_the_17th_decimal_round_as_redis_does() {
        assert_eq!(sum("0", "0.000011444091796875"), "0.00001144409179688");
        assert_eq!(sum("0", "-0.000011444091796875"), "-0.00001144409179688");
        assert_eq!(sum("0", "0.000003814697265625"), "0.00000381469726562");
        assert_eq!(sum("0", "0.000034332275390625"), "0.00003433227539062");
        assert_eq!(sum("0", "5000"), "5000");
        assert_eq!(sum("1.5", "-1.5"), "0");
        assert_eq!(sum("-17", "1.5"), "-15.5");
    }

    #[test]
    fn only_exact_multiples_are_held() {
        assert!(units(&decimal(b"0.00001144409179688").unwrap()).is_none());
        assert!(units(&decimal(b"9223372036854775807").unwrap()).is_none());
        assert!(decimal(b"1e5").is_none() && maybe_float(b"1e5"));
        assert!(decimal(b"").is_none() && !maybe_float(b"aaa") && !maybe_float(b""));
    }
}
