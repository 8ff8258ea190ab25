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

use std::cmp::Ordering;
use std::fmt::Write as _;

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

/// A value of C's `long double` on x86-64: 64-bit significand with explicit leading bit, binary
/// exponents down to 2^-16445 (subnormals) and values below 2^16384.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    class: LongDoubleClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LongDoubleClass {
    Zero,
    /// `mantissa * 2^exponent`, canonical: 64 significant bits unless subnormal.
    Finite {
        mantissa: u64,
        exponent: i32,
    },
    Infinite,
    NaN,
}

impl LongDouble {
    /// Redis `string2ld`: `strtold` over the whole string, 1 to 5119 bytes, no leading space, not
    /// NaN, not out of range.
    pub fn parse(bytes: &[u8]) -> Option<LongDouble> {
        if bytes.len() > LONG_DOUBLE_TEXT_BYTES_MAX {
            return None;
        }
        let number = scan_strtod(bytes)?;
        let class = match number.kind {
            NumberKind::Infinity => LongDoubleClass::Infinite,
            _ => match number.round(&LONG_DOUBLE_FORMAT) {
                Rounded::Zero => LongDoubleClass::Zero,
                Rounded::Finite { mantissa, exponent } => LongDoubleClass::Finite {
                    mantissa: mantissa as u64,
                    exponent: exponent as i32,
                },
                Rounded::Underflow | Rounded::Overflow => return None,
            },
        };
        Some(LongDouble {
            negative: number.negative,
            class,
        })
    }

    /// Exact conversion, as C's `(long double)v`.
    pub fn from_f64(v: f64) -> LongDouble {
        let negative = v.is_sign_negative();
        let class = if v.is_nan() {
            LongDoubleClass::NaN
        } else if v.is_infinite() {
            LongDoubleClass::Infinite
        } else if v == 0.0 {
            LongDoubleClass::Zero
        } else {
            let bits = v.to_bits();
            let biased = ((bits >> 52) & 0x7ff) as i64;
            let fraction = bits & ((1 << 52) - 1);
            let (mantissa, exponent) = if biased == 0 {
                (fraction, -1074)
            } else {
                (fraction | 1 << 52, biased - 1075)
            };
            let shift = mantissa.leading_zeros();
            LongDoubleClass::Finite {
                mantissa: mantissa << shift,
                exponent: (exponent - i64::from(shift)) as i32,
            }
        };
        LongDouble { negative, class }
    }

    pub fn is_finite(&self) -> bool {
        matches!(
            self.class,
            LongDoubleClass::Zero | LongDoubleClass::Finite { .. }
        )
    }

    /// Redis `ld2string(LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and point removed, `-0` as `0`.
    pub fn format_human(&self, out: &mut Vec<u8>) {
        let (mantissa, exponent) = match self.class {
            LongDoubleClass::NaN => return out.extend_from_slice(b"nan"),
            LongDoubleClass::Infinite => {
                return out.extend_from_slice(if self.negative { b"-inf" } else { b"inf" });
            }
            LongDoubleClass::Zero => return out.push(b'0'),
            LongDoubleClass::Finite { mantissa, exponent } => (mantissa, exponent),
        };
        let start = out.len();
        if self.negative {
            out.push(b'-');
        }
        if exponent >= 0 {
            let mut integer = Big::from_u64(mantissa);
            integer.shl(exponent as u32);
            integer.write_decimal(out);
            return;
        }
        let fraction_bits = u64::from(exponent.unsigned_abs());
        let mut integer = if fraction_bits < 64 {
            mantissa >> fraction_bits
        } else {
            0
        };
        let mut fraction = Big::from_u64(if fraction_bits < 64 {
            mantissa & ((1 << fraction_bits) - 1)
        } else {
            mantissa
        });
        const DECIMALS_SCALE: u64 = 100_000_000_000_000_000; // 10^17 for "%.17Lf"
        fraction.mul_pow10(17);
        let mut decimals = fraction.bits_from(fraction_bits) as u64;
        // Round half to even on the exact remainder, as glibc's printf does.
        let half = fraction.bit(fraction_bits - 1);
        let rest = fraction.any_bit_below(fraction_bits - 1);
        if half && (rest || decimals & 1 == 1) {
            decimals += 1;
            if decimals == DECIMALS_SCALE {
                decimals = 0;
                integer += 1;
            }
        }
        format_u64(integer, out);
        if decimals != 0 {
            out.push(b'.');
            let mut text = [b'0'; 17];
            let mut rest = decimals;
            for slot in text.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let kept = 17 - text.iter().rev().take_while(|&&d| d == b'0').count();
            out.extend_from_slice(&text[..kept]);
        } else if &out[start..] == b"-0" {
            out.truncate(start);
            out.push(b'0');
        }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// `self + other`, rounded to nearest, ties to even, as the x87 unit does.
    fn add(self, other: LongDouble) -> LongDouble {
        use LongDoubleClass::*;
        let class = match (self.class, other.class) {
            (NaN, _) | (_, NaN) => NaN,
            (Infinite, Infinite) if self.negative != other.negative => NaN,
            (Infinite, _) => return self,
            (_, Infinite) | (Zero, Finite { .. }) => return other,
            (Finite { .. }, Zero) => return self,
            (Zero, Zero) => {
                // Only -0 + -0 is -0 when rounding to nearest.
                return LongDouble {
                    negative: self.negative && other.negative,
                    class: Zero,
                };
            }
            (
                Finite {
                    mantissa: m1,
                    exponent: e1,
                },
                Finite {
                    mantissa: m2,
                    exponent: e2,
                },
            ) => {
                let exponent = e1.min(e2);
                let mut a = Big::from_u64(m1);
                a.shl((e1 - exponent) as u32);
                let mut b = Big::from_u64(m2);
                b.shl((e2 - exponent) as u32);
                let (negative, sum) = if self.negative == other.negative {
                    a.add(&b);
                    (self.negative, a)
                } else {
                    match a.cmp(&b) {
                        Ordering::Equal => {
                            return LongDouble {
                                negative: false,
                                class: Zero,
                            }
                        }
                        Ordering::Greater => {
                            a.sub(&b);
                            (self.negative, a)
                        }
                        Ordering::Less => {
                            b.sub(&a);
                            (other.negative, b)
                        }
                    }
                };
                let class = match round(&sum, i64::from(exponent), false, &LONG_DOUBLE_FORMAT) {
                    Rounded::Finite { mantissa, exponent } => Finite {
                        mantissa: mantissa as u64,
                        exponent: exponent as i32,
                    },
                    Rounded::Overflow => Infinite,
                    Rounded::Zero | Rounded::Underflow => {
                        unreachable!("a non-zero exact sum of long doubles")
                    }
                };
                return LongDouble { negative, class };
            }
        };
        LongDouble {
            negative: false,
            class,
        }
    }
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

/// Unsigned big integer, little-endian 32-bit limbs, no leading zero limbs. Just what exact float
/// conversion needs; sizes stay bounded by the callers (at most a few thousand limbs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn from_u64(v: u64) -> Big {
        Big::from_u128(u128::from(v))
    }

    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    fn from_decimal_digits(digits: &[u8]) -> Big {
        let mut value = Big::from_u64(0);
        let mut chunk = 0u64;
        let mut chunk_scale = 1u64;
        for &b in digits.iter().filter(|b| b.is_ascii_digit()) {
            chunk = chunk * 10 + u64::from(b - b'0');
            chunk_scale *= 10;
            if chunk_scale == 1_000_000_000 {
                value.mul_small(chunk_scale);
                value.add_small(chunk);
                chunk = 0;
                chunk_scale = 1;
            }
        }
        value.mul_small(chunk_scale);
        value.add_small(chunk);
        value
    }

    fn from_hex_digits(digits: &[u8]) -> Big {
        let mut limbs = Vec::with_capacity(digits.len() / 8 + 1);
        let mut limb = 0u32;
        let mut nibbles = 0;
        for &b in digits.iter().rev().filter(|b| b.is_ascii_hexdigit()) {
            let nibble = (b as char).to_digit(16).expect("a hex digit");
            limb |= nibble << (4 * nibbles);
            nibbles += 1;
            if nibbles == 8 {
                limbs.push(limb);
                limb = 0;
                nibbles = 0;
            }
        }
        limbs.push(limb);
        let mut value = Big { limbs };
        value.trim();
        value
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => 32 * self.limbs.len() as u64 - u64::from(top.leading_zeros()),
        }
    }

    /// A number of decimal digits within one of the true count (for range checks).
    fn decimal_len_estimate(&self) -> u64 {
        self.bit_len() * 30103 / 100000 + 1
    }

    fn mul_small(&mut self, factor: u64) {
        assert!(factor <= u64::from(u32::MAX));
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let product = u64::from(*limb) * factor + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn add_small(&mut self, addend: u64) {
        let mut carry = addend;
        for limb in &mut self.limbs {
            if carry == 0 {
                break;
            }
            let sum = u64::from(*limb) + carry;
            *limb = sum as u32;
            carry = sum >> 32;
        }
        while carry != 0 {
            self.limbs.push(carry as u32);
            carry >>= 32;
        }
    }

    fn mul_pow10(&mut self, mut power: u32) {
        while power >= 9 {
            self.mul_small(1_000_000_000);
            power -= 9;
        }
        self.mul_small(10u64.pow(power));
    }

    fn shl(&mut self, bits: u32) {
        if self.is_zero() {
            return;
        }
        let limb_shift = (bits / 32) as usize;
        let bit_shift = bits % 32;
        if bit_shift != 0 {
            let mut carry = 0u32;
            for limb in &mut self.limbs {
                let next = *limb >> (32 - bit_shift);
                *limb = (*limb << bit_shift) | carry;
                carry = next;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        self.limbs.splice(0..0, std::iter::repeat_n(0, limb_shift));
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.limbs.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    fn add(&mut self, other: &Big) {
        if self.limbs.len() < other.limbs.len() {
            self.limbs.resize(other.limbs.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let sum =
                u64::from(*limb) + u64::from(other.limbs.get(i).copied().unwrap_or(0)) + carry;
            *limb = sum as u32;
            carry = sum >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// `self -= other`; requires `self >= other`.
    fn sub(&mut self, other: &Big) {
        assert!(*self >= *other);
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let difference =
                i64::from(*limb) - i64::from(other.limbs.get(i).copied().unwrap_or(0)) - borrow;
            *limb = difference.rem_euclid(1 << 32) as u32;
            borrow = i64::from(difference < 0);
        }
        assert_eq!(borrow, 0);
        self.trim();
    }

    fn bit(&self, index: u64) -> bool {
        let limb = (index / 32) as usize;
        self.limbs
            .get(limb)
            .is_some_and(|l| l >> (index % 32) & 1 == 1)
    }

    fn any_bit_below(&self, index: u64) -> bool {
        let limb = (index / 32) as usize;
        let below = self.limbs.iter().take(limb).any(|&l| l != 0);
        let partial = self
            .limbs
            .get(limb)
            .is_some_and(|l| l & ((1u64 << (index % 32)) - 1) as u32 != 0);
        below || partial
    }

    /// Bits from `index` upwards, which must fit in 128 bits.
    fn bits_from(&self, index: u64) -> u128 {
        let mut value = 0u128;
        let top = self.bit_len();
        assert!(top <= index + 128);
        let mut bit = top;
        while bit > index {
            bit -= 1;
            value = value << 1 | u128::from(self.bit(bit));
        }
        value
    }

    /// `floor(self / divisor)` when it is below 2^`quotient_bits`, and whether it was inexact.
    fn divide_small_quotient(&self, divisor: &Big, quotient_bits: u32) -> (u128, bool) {
        assert!(quotient_bits <= 127);
        let mut remainder = self.clone();
        let mut shifted = divisor.clone();
        shifted.shl(quotient_bits - 1);
        let mut quotient = 0u128;
        for i in (0..quotient_bits).rev() {
            if remainder >= shifted {
                remainder.sub(&shifted);
                quotient |= 1 << i;
            }
            shifted.shr1();
        }
        assert!(
            remainder < *divisor,
            "quotient does not fit in {quotient_bits} bits"
        );
        (quotient, !remainder.is_zero())
    }

    fn write_decimal(&self, out: &mut Vec<u8>) {
        let mut value = self.clone();
        let mut chunks = Vec::new();
        while !value.is_zero() {
            let mut remainder = 0u64;
            for limb in value.limbs.iter_mut().rev() {
                let current = remainder << 32 | u64::from(*limb);
                *limb = (current / 1_000_000_000) as u32;
                remainder = current % 1_000_000_000;
            }
            value.trim();
            chunks.push(remainder);
        }
        match chunks.split_last() {
            None => out.push(b'0'),
            Some((top, rest)) => {
                format_u64(*top, out);
                for chunk in rest.iter().rev() {
                    let mut text = [b'0'; 9];
                    let mut rest = *chunk;
                    for slot in text.iter_mut().rev() {
                        *slot = b'0' + (rest % 10) as u8;
                        rest /= 10;
                    }
                    out.extend_from_slice(&text);
                }
            }
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn format_f64_text(v: f64) -> String {
        let mut out = Vec::new();
        format_f64(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn incr(current: &str, increment: &str) -> Result<String, IncrByFloatError> {
        let mut out = Vec::new();
        incr_by_float(current.as_bytes(), increment.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn parse_i64_is_string2ll() {
        let good = [
            ("0", 0),
            ("-1", -1),
            ("123", 123),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for (text, value) in good {
            assert_eq!(parse_i64(text.as_bytes()), Some(value), "{text}");
        }
        for bad in [
            "",
            "-",
            "+1",
            " 1",
            "1 ",
            "01",
            "-0",
            "00",
            "9223372036854775808",
            "-9223372036854775809",
            "1.0",
            "1e3",
            "0x10",
            "99999999999999999999",
            "-00000000000000000001",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn format_f64_is_percent_17g() {
        // ZSCORE outputs of Redis 7.0 for these scores.
        let cases = [
            (1.1, "1.1000000000000001"),
            (0.1, "0.10000000000000001"),
            (3.0, "3"),
            (-5.0, "-5"),
            (1e20, "1e+20"),
            (1.5e-7, "1.4999999999999999e-07"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e308, "1e+308"),
            (1e300, "1.0000000000000001e+300"),
            (5e-324, "4.9406564584124654e-324"),
            (2.5e-310, "2.5000000000000171e-310"),
            (1.5, "1.5"),
        ];
        for (value, text) in cases {
            assert_eq!(format_f64_text(value), text, "{value:e}");
        }
    }

    #[test]
    fn parse_f64_accepts_what_redis_accepts() {
        // ZADD accepted these in Redis 7.0.
        let good = [
            ("1.1", 1.1),
            ("3", 3.0),
            ("-0", -0.0),
            ("inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("INF", f64::INFINITY),
            ("1e308", 1e308),
            ("5e-324", 5e-324),
            ("0x10", 16.0),
            ("0x1p3", 8.0),
            ("0X1.8P1", 3.0),
            ("0x.8", 0.5),
            ("1.e2", 100.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+1.5", 1.5),
            ("00012", 12.0),
            ("1e-400000000000000000000000", f64::NAN),
            ("0e999999", 0.0),
            ("0x0p-99999", 0.0),
        ];
        for (text, value) in good {
            let parsed = parse_f64(text.as_bytes());
            if value.is_nan() {
                assert_eq!(parsed, None, "{text}: underflow");
                continue;
            }
            let parsed = parsed.unwrap_or_else(|| panic!("{text} rejected"));
            assert_eq!(parsed.to_bits(), value.to_bits(), "{text}");
        }
        for bad in [
            " 1",
            "1 ",
            "1e",
            "1e+",
            "nan",
            "NaN",
            "-nan",
            "1e400",
            "-1e400",
            "1e-400",
            "",
            "1_0",
            ".",
            "e5",
            "0x",
            "0xp1",
            "0x1p",
            "infinit",
            "++1",
            "1\0",
            "0x1p99999",
            "0x1p-1080",
        ] {
            assert_eq!(parse_f64(bad.as_bytes()), None, "{bad:?}");
        }
        // Subnormal results are accepted; a hex subnormal rounds like a decimal one.
        assert_eq!(parse_f64(b"0x1p-1074"), Some(5e-324));
        assert_eq!(
            parse_f64(b"0x1p-1075"),
            None,
            "half the smallest subnormal rounds to even: zero"
        );
        assert_eq!(parse_f64(b"0x1.8p-1075"), Some(5e-324));
    }

    #[test]
    fn incr_by_float_matches_redis() {
        // (value, increment, INCRBYFLOAT reply of Redis 7.0 on x86-64)
        let cases = [
            ("10.5", "0.1", "10.6"),
            ("10.6", "5.0e3", "5010.60000000000000009"),
            ("5010.60000000000000009", "3.0e3", "8010.60000000000000009"),
            ("0.1", "0.2", "0.3"),
            ("0", "1e300", "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"),
            ("0", "1e20", "100000000000000000000"),
            ("0", "1.5e-7", "0.00000015"),
            ("0", "1e-20", "0"),
            ("1", "1e-20", "1"),
            ("5010.6", "0.1", "5010.70000000000000018"),
            ("123456789.123", "0.001", "123456789.12399999999615829"),
            ("0", "3.0e3", "3000"),
            ("1", "-1", "0"),
            ("0", "-0.0", "0"),
            ("1", "0x10", "17"),
            ("1", "1e400", "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"),
            ("1", "1e-400", "1"),
            ("1.7976931348623157e308", "1.7976931348623157e308", "359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768"),
            ("0", "0.3333333333333333", "0.3333333333333333"),
            ("1e17", "1", "100000000000000001"),
            ("12345678901234567890", "1", "12345678901234567891"),
            ("0", "1e19", "10000000000000000000"),
            ("0", "1.1", "1.1"),
            ("0", "100.1", "100.1"),
            ("0", "1000000.1", "1000000.10000000000002274"),
            ("0", "-2.5", "-2.5"),
            ("0", "1e-17", "0.00000000000000001"),
            ("0", "5e-18", "0"),
            ("0", "-1e-20", "0"),
        ];
        for (value, increment, expected) in cases {
            assert_eq!(
                incr(value, increment).as_deref(),
                Ok(expected),
                "{value} + {increment}"
            );
        }
        for (value, increment) in [
            ("0", "inf"),
            ("inf", "0"),
            ("1e4932", "1e4932"),
            ("inf", "-inf"),
        ] {
            assert_eq!(
                incr(value, increment),
                Err(IncrByFloatError::NanOrInfinity),
                "{value} + {increment}"
            );
        }
        for (value, increment) in [
            ("abc", "1"),
            ("1", "abc"),
            ("1", " 1"),
            ("1", "nan"),
            ("1", "1e5000"),
            ("1", "1e-5000"),
            ("", "1"),
        ] {
            assert_eq!(
                incr(value, increment),
                Err(IncrByFloatError::NotAFloat),
                "{value} + {increment}"
            );
        }
        // string2ld takes at most 5119 bytes.
        let long = format!("0.{}", "1".repeat(LONG_DOUBLE_TEXT_BYTES_MAX - 1));
        assert_eq!(incr(&long, "0"), Err(IncrByFloatError::NotAFloat));
        assert_eq!(
            incr(&long[..LONG_DOUBLE_TEXT_BYTES_MAX], "0").as_deref(),
            Ok("0.11111111111111111")
        );
        // 10^1118 is just below in long double, so it prints with 1118 digits.
        let big = format!("1{}", "0".repeat(1118));
        assert!(incr(&big, "1")
            .unwrap()
            .starts_with("999999999999999999986576515779469725527014612770150273537471"));
        // The range of long double, exactly at its edges (half the smallest subnormal is ~1.82e-4951).
        assert_eq!(incr("1.9e-4951", "0").as_deref(), Ok("0"));
        assert_eq!(incr("1.8e-4951", "0"), Err(IncrByFloatError::NotAFloat));
        assert!(incr("1.1897314953572317e4932", "0")
            .unwrap()
            .starts_with("11897314953572317000098264672177492060326476019934"));
        assert_eq!(
            incr("1.18973149535723177e4932", "0"),
            Err(IncrByFloatError::NotAFloat)
        );
        assert!(incr("1e4932", "0")
            .unwrap()
            .starts_with("10000000000000000000060189493879638913238377742545"));
        assert_eq!(
            IncrByFloatError::NotAFloat.message(),
            "value is not a valid float"
        );
        assert_eq!(
            IncrByFloatError::NanOrInfinity.message(),
            "increment would produce NaN or Infinity"
        );
    }

    #[test]
    fn format_f64_human_prints_the_exact_value_to_17_decimals() {
        let cases = [
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (-0.0, "0"),
            (1e20, "100000000000000000000"),
            (-2.25, "-2.25"),
            (5e-324, "0"),
            (f64::INFINITY, "inf"),
            (4e-18, "0"),
            (1.5e-17, "0.00000000000000002"),
        ];
        for (value, text) in cases {
            let mut out = Vec::new();
            format_f64_human(value, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), text, "{value:e}");
        }
    }

    proptest! {
        #[test]
        fn parse_i64_accepts_exactly_canonical_decimals(text in "-?[0-9]{0,21}|[+ 0-9a-]{0,4}") {
            let expected = text.parse::<i64>().ok().filter(|v| v.to_string() == text);
            prop_assert_eq!(parse_i64(text.as_bytes()), expected);
        }

        #[test]
        fn format_i64_round_trips(v in any::<i64>()) {
            let mut out = Vec::new();
            format_i64(v, &mut out);
            prop_assert_eq!(String::from_utf8(out.clone()).unwrap(), v.to_string());
            prop_assert_eq!(parse_i64(&out), Some(v));
        }

        #[test]
        fn format_f64_round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let text = format_f64_text(v);
            if v.is_nan() {
                prop_assert_eq!(text, "nan");
            } else {
                prop_assert_eq!(parse_f64(text.as_bytes()).map(f64::to_bits), Some(v.to_bits()), "{}", text);
            }
        }

        /// The exact-rounding code (used for hex and for long doubles) against Rust's parser.
        #[test]
        fn exact_rounding_agrees_with_rust_for_f64(
            digits in "[0-9]{1,30}",
            point in 0usize..30,
            exponent in -340i32..320,
        ) {
            let point = point.min(digits.len());
            let text = format!("{}.{}e{}", &digits[..point], &digits[point..], exponent);
            let number = scan_strtod(text.as_bytes()).unwrap();
            let expected: f64 = text.parse().unwrap();
            let ours = match number.round(&F64_FORMAT) {
                Rounded::Zero | Rounded::Underflow => 0.0,
                Rounded::Overflow => f64::INFINITY,
                Rounded::Finite { mantissa, exponent } => f64_from_parts(mantissa as u64, exponent),
            };
            prop_assert_eq!(ours.to_bits(), expected.to_bits(), "{}", text);
        }

        #[test]
        fn hex_text_parses_to_its_value(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let exponent = ((bits >> 52) & 0x7ff) as i64;
            let fraction = bits & ((1 << 52) - 1);
            let (lead, exponent) = if exponent == 0 { (0, -1022) } else { (1, exponent - 1023) };
            let sign = if v.is_sign_negative() { "-" } else { "" };
            let text = format!("{sign}0x{lead}.{fraction:013x}p{exponent}");
            prop_assert_eq!(parse_f64(text.as_bytes()).map(f64::to_bits), Some(bits), "{}", text);
        }

        /// Long double sums of two f64 values that need no more than 64 bits are exact.
        #[test]
        fn long_double_addition_of_small_integers_is_exact(a in -(1i64 << 52)..(1i64 << 52), b in -(1i64 << 52)..(1i64 << 52)) {
            let mut out = Vec::new();
            (LongDouble::from_f64(a as f64) + LongDouble::from_f64(b as f64)).format_human(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), (a + b).to_string());
        }

        #[test]
        fn long_double_parse_never_panics(text in "[-+0-9.eExXpPa-fA-F]{0,40}") {
            let _ = LongDouble::parse(text.as_bytes());
            let _ = parse_f64(text.as_bytes());
        }
    }
}
