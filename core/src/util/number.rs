//! Redis number parsing and formatting.
//!
//! - [`parse_i64`] is Redis's `string2ll`; [`format_i64`] its `ll2string`.
//! - [`parse_f64`] is what Redis's `getDoubleFromObject` accepts (`strtod` over the whole string);
//!   [`format_f64`] is `addReplyDouble` in RESP2 (`%.17g`).
//! - INCRBYFLOAT and HINCRBYFLOAT compute in C `long double` (x87 80-bit extended precision on
//!   x86-64, which Redis ships on) and print with `%.17Lf`. An f64 cannot reproduce that
//!   (`0.1 + 0.2` gives `0.3` in Redis, `0.30000000000000004` in f64; `5010.6` prints as
//!   `5010.60000000000000009`), so [`LongDouble`] emulates the 80-bit format exactly: correctly
//!   rounded parsing like glibc's `strtold`, round-to-nearest-even addition, and exact `%.17Lf`
//!   formatting. [`incr_by_float`] puts them together.

use std::fmt::Write as _;

use long_double::Big;
pub use long_double::LongDouble;

#[path = "long_double.rs"]
mod long_double;

/// Redis's `LONG_STR_SIZE`: `string2ll` rejects strings of 21 bytes or more.
const I64_TEXT_BYTES_MAX: usize = 20;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` rejects strings of 5120 bytes or more.
const LONG_DOUBLE_TEXT_BYTES_MAX: usize = 5 * 1024 - 1;

/// Redis `string2ll`: optional `-`, digits without leading zeros (except `0` itself), no `+`, no
/// spaces, no `-0`, no overflow, at most 20 bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > I64_TEXT_BYTES_MAX {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    if negative {
        if magnitude > 1 << 63 {
            return None;
        }
        Some(0i64.wrapping_sub_unsigned(magnitude))
    } else {
        i64::try_from(magnitude).ok()
    }
}

const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `v` in decimal. No allocation beyond `out`'s growth.
pub fn format_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    format_u64(v.unsigned_abs(), out);
}

fn format_u64(mut magnitude: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    while magnitude >= 100 {
        let pair = (magnitude % 100) as usize * 2;
        magnitude /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if magnitude >= 10 {
        let pair = magnitude as usize * 2;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        digits[start] = b'0' + magnitude as u8;
    }
    out.extend_from_slice(&digits[start..]);
}

/// What Redis's `getDoubleFromObject` accepts: all of `bytes` must be a `strtod` number (decimal,
/// hexadecimal `0x1.8p3`, `inf`, `infinity`, any case, optional sign); no leading space; not NaN;
/// not out of range (overflow to infinity, or underflow to zero of a non-zero number).
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    parse_f64_checked(bytes, true)
}

/// What C's `strtod` makes of all of `bytes`, as Redis's score ranges (`zslParseRange`) read
/// them: out-of-range numbers become infinity or zero instead of being refused. NaN is refused.
pub fn parse_f64_lenient(bytes: &[u8]) -> Option<f64> {
    parse_f64_checked(bytes, false)
}

fn parse_f64_checked(bytes: &[u8], strict: bool) -> Option<f64> {
    let number = scan_strtod(bytes)?;
    let magnitude = match number.kind {
        NumberKind::Infinity => f64::INFINITY,
        NumberKind::Decimal { all_zero, .. } => {
            // The syntax was checked above; Rust's parser is correctly rounded like glibc's.
            let text = std::str::from_utf8(bytes).ok()?;
            let value: f64 = text.parse().ok()?;
            if strict && (value.is_infinite() || (value == 0.0 && !all_zero)) {
                return None;
            }
            value.abs()
        }
        NumberKind::Hexadecimal { .. } => match number.round(&F64_FORMAT) {
            Rounded::Zero => 0.0,
            Rounded::Finite { mantissa, exponent } => f64_from_parts(mantissa as u64, exponent),
            Rounded::Underflow | Rounded::Overflow if strict => return None,
            Rounded::Underflow => 0.0,
            Rounded::Overflow => f64::INFINITY,
        },
    };
    Some(if number.negative {
        -magnitude
    } else {
        magnitude
    })
}

/// `%.17g`, as Redis's `addReplyDouble` writes a double in RESP2 (`inf`, `-inf`; `nan` for NaN).
pub fn format_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Integral values print as integers, as Redis's d2string does on its fast path; the text is
    // the same as %.17g's for every integer below 1e17.
    if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        format_i64(v as i64, out);
        return;
    }
    // Rust's `{:.16e}` rounds the exact value to 17 significant digits, half to even, as glibc.
    let mut scientific = StackText::default();
    write!(scientific, "{v:.16e}").expect("a double fits in 64 bytes");
    let text = scientific.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_at = text
        .iter()
        .position(|&b| b == b'e')
        .expect("{:e} writes an exponent");
    let exponent: i32 = std::str::from_utf8(&text[e_at + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .expect("{:e} writes a decimal exponent");
    let mut digits = [0u8; 17];
    digits[0] = text[0];
    digits[1..].copy_from_slice(&text[2..e_at]);
    let significant = 17
        - digits
            .iter()
            .rev()
            .take_while(|&&d| d == b'0')
            .count()
            .min(16);
    let digits = &digits[..significant];
    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exponent) {
        // %f style with 17 significant digits, trailing zeros removed.
        if exponent < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exponent - 1) as usize));
            out.extend_from_slice(digits);
        } else {
            let integer_digits = exponent as usize + 1;
            if digits.len() <= integer_digits {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', integer_digits - digits.len()));
            } else {
                out.extend_from_slice(&digits[..integer_digits]);
                out.push(b'.');
                out.extend_from_slice(&digits[integer_digits..]);
            }
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let exponent = exponent.unsigned_abs();
        if exponent < 10 {
            out.push(b'0');
        }
        format_u64(u64::from(exponent), out);
    }
}

/// INCRBYFLOAT's `ld2string(LD_STR_HUMAN)` of `v` converted to `long double` (exact): `%.17Lf`
/// with trailing zeros and a trailing point removed, `-0` printed as `0`.
pub fn format_f64_human(v: f64, out: &mut Vec<u8>) {
    LongDouble::from_f64(v).format_human(out);
}

/// Why INCRBYFLOAT failed. `message()` is the text after Redis's `-ERR ` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrByFloatError {
    NotAFloat,
    NanOrInfinity,
}

impl IncrByFloatError {
    pub fn message(&self) -> &'static str {
        match self {
            IncrByFloatError::NotAFloat => "value is not a valid float",
            IncrByFloatError::NanOrInfinity => "increment would produce NaN or Infinity",
        }
    }
}

/// INCRBYFLOAT / HINCRBYFLOAT arithmetic: `current + increment` in `long double`, written as Redis
/// stores and replies it. The caller passes `b"0"` for a missing key.
pub fn incr_by_float(
    current: &[u8],
    increment: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), IncrByFloatError> {
    let current = LongDouble::parse(current).ok_or(IncrByFloatError::NotAFloat)?;
    let increment = LongDouble::parse(increment).ok_or(IncrByFloatError::NotAFloat)?;
    let sum = current + increment;
    if !sum.is_finite() {
        return Err(IncrByFloatError::NanOrInfinity);
    }
    sum.format_human(out);
    Ok(())
}

/// A binary floating-point format: significand bits, the exponent of the smallest subnormal's
/// unit, and the first power of two that overflows.
struct BinaryFormat {
    precision: u32,
    unit_exponent_min: i64,
    overflow_exponent: i64,
    /// Decimal exponents well beyond the format's range, to skip huge exact computations.
    decimal_exponent_max: i64,
    decimal_exponent_min: i64,
}

const F64_FORMAT: BinaryFormat = BinaryFormat {
    precision: 53,
    unit_exponent_min: -1074,
    overflow_exponent: 1024,
    decimal_exponent_max: 311,
    decimal_exponent_min: -327,
};

const LONG_DOUBLE_FORMAT: BinaryFormat = BinaryFormat {
    precision: 64,
    unit_exponent_min: -16445,
    overflow_exponent: 16384,
    decimal_exponent_max: 4935,
    decimal_exponent_min: -4954,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rounded {
    /// The number was zero.
    Zero,
    /// `mantissa * 2^exponent`.
    Finite {
        mantissa: u128,
        exponent: i64,
    },
    /// A non-zero number rounded to zero (`strtod` sets `ERANGE`).
    Underflow,
    Overflow,
}

#[derive(Debug, Clone, Copy)]
enum NumberKind<'a> {
    Infinity,
    /// `digits` (ASCII, may include one `.`) times 10^`exponent`.
    Decimal {
        digits: &'a [u8],
        exponent: i64,
        all_zero: bool,
    },
    /// Hex `digits` (may include one `.`) times 2^`exponent`.
    Hexadecimal {
        digits: &'a [u8],
        exponent: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct ScannedNumber<'a> {
    negative: bool,
    kind: NumberKind<'a>,
}

/// Saturation bound for exponents written in the text: far beyond any format's range.
const WRITTEN_EXPONENT_MAX: i64 = 1 << 40;

/// Checks that all of `bytes` is one number in `strtod`'s syntax (C locale). `None` also for NaN,
/// which Redis rejects anyway, and for a leading space, which Redis rejects explicitly.
fn scan_strtod(bytes: &[u8]) -> Option<ScannedNumber<'_>> {
    let (negative, rest) = match bytes.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, bytes),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(ScannedNumber {
            negative,
            kind: NumberKind::Infinity,
        });
    }
    let hexadecimal = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x';
    let body = if hexadecimal { &rest[2..] } else { rest };
    let is_digit = |b: u8| {
        if hexadecimal {
            b.is_ascii_hexdigit()
        } else {
            b.is_ascii_digit()
        }
    };
    let mut i = 0;
    let mut digit_count = 0;
    let mut fraction_digits: i64 = 0;
    let mut all_zero = true;
    while i < body.len() && is_digit(body[i]) {
        all_zero &= body[i] == b'0';
        digit_count += 1;
        i += 1;
    }
    if i < body.len() && body[i] == b'.' {
        i += 1;
        while i < body.len() && is_digit(body[i]) {
            all_zero &= body[i] == b'0';
            digit_count += 1;
            fraction_digits += 1;
            i += 1;
        }
    }
    if digit_count == 0 {
        return None;
    }
    let digits = &body[..i];
    let mut written_exponent: i64 = 0;
    if i < body.len() {
        let marker = if hexadecimal { b'p' } else { b'e' };
        if body[i] | 0x20 != marker {
            return None;
        }
        let mut j = i + 1;
        let exponent_negative = match body.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        if j == body.len() {
            return None;
        }
        for &b in &body[j..] {
            if !b.is_ascii_digit() {
                return None;
            }
            written_exponent =
                (written_exponent * 10 + i64::from(b - b'0')).min(WRITTEN_EXPONENT_MAX);
        }
        if exponent_negative {
            written_exponent = -written_exponent;
        }
    }
    let kind = if hexadecimal {
        NumberKind::Hexadecimal {
            digits,
            exponent: written_exponent - 4 * fraction_digits,
        }
    } else {
        NumberKind::Decimal {
            digits,
            exponent: written_exponent - fraction_digits,
            all_zero,
        }
    };
    Some(ScannedNumber { negative, kind })
}

impl ScannedNumber<'_> {
    /// The magnitude correctly rounded (to nearest, ties to even) into `format`.
    fn round(&self, format: &BinaryFormat) -> Rounded {
        match self.kind {
            NumberKind::Infinity => Rounded::Overflow,
            NumberKind::Hexadecimal { digits, exponent } => {
                let value = Big::from_hex_digits(digits);
                if value.is_zero() {
                    return Rounded::Zero;
                }
                let top = value.bit_len() as i64 + exponent;
                if top > format.overflow_exponent + 1 {
                    return Rounded::Overflow;
                }
                if top < format.unit_exponent_min - 1 {
                    return Rounded::Underflow;
                }
                round(&value, exponent, false, format)
            }
            NumberKind::Decimal {
                digits,
                exponent,
                all_zero,
            } => {
                if all_zero {
                    return Rounded::Zero;
                }
                let mut numerator = Big::from_decimal_digits(digits);
                let decimal_top = numerator.decimal_len_estimate() as i64 + exponent;
                if decimal_top > format.decimal_exponent_max {
                    return Rounded::Overflow;
                }
                if decimal_top < format.decimal_exponent_min {
                    return Rounded::Underflow;
                }
                let mut denominator = Big::from_u64(1);
                if exponent >= 0 {
                    numerator.mul_pow10(exponent as u32);
                } else {
                    denominator.mul_pow10(exponent.unsigned_abs() as u32);
                }
                // Scale so that the quotient has precision + 3 or + 4 bits: enough for rounding.
                let scale = i64::from(format.precision) + 3
                    - (numerator.bit_len() as i64 - denominator.bit_len() as i64);
                if scale >= 0 {
                    numerator.shl(scale as u32);
                } else {
                    denominator.shl(scale.unsigned_abs() as u32);
                }
                let (quotient, inexact) =
                    numerator.divide_small_quotient(&denominator, format.precision + 4);
                round(&Big::from_u128(quotient), -scale, inexact, format)
            }
        }
    }
}

/// Rounds `value * 2^exponent` (plus a little more when `inexact`) into `format`.
fn round(value: &Big, exponent: i64, inexact: bool, format: &BinaryFormat) -> Rounded {
    let bits = value.bit_len() as i64;
    assert!(bits > 0);
    let mut unit = (exponent + bits - i64::from(format.precision)).max(format.unit_exponent_min);
    let shift = unit - exponent;
    let mantissa = if shift <= 0 {
        // Exact: the value has fewer bits than the precision. (`inexact` bits lie below half a unit.)
        value.bits_from(0) << shift.unsigned_abs()
    } else {
        let shift = shift as u64;
        let mut mantissa = value.bits_from(shift);
        let half = value.bit(shift - 1);
        let rest = inexact || value.any_bit_below(shift - 1);
        if half && (rest || mantissa & 1 == 1) {
            mantissa += 1;
            if mantissa == 1 << format.precision {
                mantissa >>= 1;
                unit += 1;
            }
        }
        mantissa
    };
    if mantissa == 0 {
        return Rounded::Underflow;
    }
    if unit + i64::from(128 - mantissa.leading_zeros()) > format.overflow_exponent {
        return Rounded::Overflow;
    }
    Rounded::Finite {
        mantissa,
        exponent: unit,
    }
}

/// `mantissa * 2^exponent` as an f64, for values `round` produced in `F64_FORMAT` (exact).
fn f64_from_parts(mantissa: u64, exponent: i64) -> f64 {
    let power = if exponent >= -1022 {
        f64::from_bits(((exponent + 1023) as u64) << 52)
    } else {
        f64::from_bits(1 << (exponent + 1074))
    };
    mantissa as f64 * power
}

/// Small text buffer on the stack for `write!`.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
#[path = "number_tests.rs"]
mod tests;
