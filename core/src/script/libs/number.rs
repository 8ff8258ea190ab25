//! Numbers as C writes and reads them, which is what Redis's libraries show: `printf("%.14g")`,
//! `strtod`, and the x86-64 conversion of a double to a 64-bit integer.

/// C's `%.{precision}g`: the shortest of fixed and scientific notation for `precision`
/// significant digits, trailing zeros removed. Lua 5.1 writes numbers with `%.14g`.
pub(super) fn format_general(value: f64, precision: usize) -> String {
    if value.is_nan() {
        // glibc writes the sign of a NaN, and 0/0 is negative on x86.
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let precision = precision.max(1);
    let scientific = format!("{:.*e}", precision - 1, value);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("Rust's {:e} always writes an exponent");
    let exponent: i64 = exponent.parse().expect("Rust's exponent is an integer");
    if exponent < -4 || exponent >= precision as i64 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            trim_fraction_zeros(mantissa),
            exponent.unsigned_abs()
        )
    } else {
        let decimals = (precision as i64 - 1 - exponent) as usize;
        trim_fraction_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn trim_fraction_zeros(digits: &str) -> &str {
    if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        digits
    }
}

/// How x86-64 converts a double to a signed 64-bit integer (`cvttsd2si`, what C's cast
/// compiles to): toward zero, and NaN or anything out of range becomes `i64::MIN`.
pub(super) fn truncate_to_i64(value: f64) -> i64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_POW_63..TWO_POW_63).contains(&value) {
        return i64::MIN;
    }
    value as i64
}

/// How x86-64 converts a double to an unsigned 64-bit integer as C compilers emit it: values
/// from 2^63 up go through the signed conversion of `value - 2^63`; everything else, negatives
/// and NaN included, through the signed conversion itself.
pub(super) fn truncate_to_u64(value: f64) -> u64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if value >= TWO_POW_63 {
        (truncate_to_i64(value - TWO_POW_63) as u64) ^ (1 << 63)
    } else {
        truncate_to_i64(value) as u64
    }
}

/// Lua 5.1's string to number conversion: `strtod` over the whole string, spaces allowed
/// around it.
pub(super) fn lua_string_to_number(bytes: &[u8]) -> Option<f64> {
    let start = bytes.iter().position(|&byte| !is_c_space(byte))?;
    let (value, length) = parse_c_double(&bytes[start..])?;
    let rest = &bytes[start + length..];
    rest.iter().all(|&byte| is_c_space(byte)).then_some(value)
}

fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `strtod` without its leading-space skip: the longest prefix of `bytes` that reads as a
/// number (decimal, hexadecimal, `inf`, `infinity`, `nan`, `nan(chars)`, any letter case, with
/// an optional sign), as the value and how many bytes it took. `None` when no prefix does.
pub(super) fn parse_c_double(bytes: &[u8]) -> Option<(f64, usize)> {
    let sign_length = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let negative = bytes.first() == Some(&b'-');
    let body = &bytes[sign_length..];
    let apply_sign = |value: f64| if negative { -value } else { value };

    if starts_with_ignore_case(body, b"inf") {
        let length = if starts_with_ignore_case(body, b"infinity") {
            8
        } else {
            3
        };
        return Some((apply_sign(f64::INFINITY), sign_length + length));
    }
    if starts_with_ignore_case(body, b"nan") {
        let mut length = 3;
        if body.get(3) == Some(&b'(') {
            let inside = body[4..]
                .iter()
                .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
                .count();
            if body.get(4 + inside) == Some(&b')') {
                length = 4 + inside + 1;
            }
        }
        return Some((apply_sign(f64::NAN), sign_length + length));
    }
    if let Some((value, length)) = parse_hexadecimal(body) {
        return Some((apply_sign(value), sign_length + length));
    }
    let length = decimal_length(body)?;
    let text = std::str::from_utf8(&bytes[..sign_length + length]).ok()?;
    let value: f64 = text.parse().ok()?;
    Some((value, sign_length + length))
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The length of `digits [. digits] [e [sign] digits]` at the start of `bytes`, with at least
/// one digit in the mantissa; an exponent without digits is not part of the number.
fn decimal_length(bytes: &[u8]) -> Option<usize> {
    let count_digits = |from: usize| {
        bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let integer_digits = count_digits(0);
    let mut length = integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(length) == Some(&b'.') {
        fraction_digits = count_digits(length + 1);
        length += 1 + fraction_digits;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(length), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(length + 1), Some(b'+' | b'-')));
        let exponent_digits = count_digits(length + 1 + sign);
        if exponent_digits > 0 {
            length += 1 + sign + exponent_digits;
        }
    }
    Some(length)
}

/// `0x` hex digits with an optional fraction and binary exponent (`0x1.8p3`).
fn parse_hexadecimal(bytes: &[u8]) -> Option<(f64, usize)> {
    if bytes.len() < 3 || bytes[0] != b'0' || !matches!(bytes[1], b'x' | b'X') {
        return None;
    }
    // Digits are gathered into 64 bits; past 60 of them only whether any further digit is
    // non-zero matters (a sticky bit), which keeps the rounding to 53 bits right.
    const MANTISSA_FULL: u64 = 1 << 60;
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut binary_exponent: i64 = 0;
    let mut position = 2;
    let mut digits = 0;
    let mut seen_point = false;
    while let Some(&byte) = bytes.get(position) {
        if byte == b'.' && !seen_point {
            seen_point = true;
            position += 1;
            continue;
        }
        let Some(digit) = (byte as char).to_digit(16) else {
            break;
        };
        digits += 1;
        position += 1;
        if mantissa < MANTISSA_FULL {
            mantissa = mantissa * 16 + u64::from(digit);
            if seen_point {
                binary_exponent -= 4;
            }
        } else {
            sticky |= digit != 0;
            if !seen_point {
                binary_exponent += 4;
            }
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(position), Some(b'p' | b'P')) {
        let sign_length = usize::from(matches!(bytes.get(position + 1), Some(b'+' | b'-')));
        let negative = bytes.get(position + 1) == Some(&b'-');
        let exponent_start = position + 1 + sign_length;
        let exponent_digits = bytes[exponent_start.min(bytes.len())..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if exponent_digits > 0 {
            // Saturates far beyond where any double over- or underflows.
            let exponent = bytes[exponent_start..exponent_start + exponent_digits]
                .iter()
                .fold(0_i64, |total, digit| {
                    (total * 10 + i64::from(digit - b'0')).min(1_000_000)
                });
            binary_exponent += if negative { -exponent } else { exponent };
            position = exponent_start + exponent_digits;
        }
    }
    let value = (mantissa | u64::from(sticky)) as f64;
    Some((scale_by_power_of_two(value, binary_exponent), position))
}

fn scale_by_power_of_two(mut value: f64, mut exponent: i64) -> f64 {
    // Steps of 2^±1000 stay within a double's exponent range.
    while exponent > 1000 && value.is_finite() && value != 0.0 {
        value *= 2f64.powi(1000);
        exponent -= 1000;
    }
    while exponent < -1000 && value != 0.0 {
        value *= 2f64.powi(-1000);
        exponent += 1000;
    }
    value * 2f64.powi(exponent as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values are what glibc's printf("%.14g") and strtod give.
    #[test]
    fn format_general_matches_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (1.0 / 3.0, 14, "0.33333333333333"),
            (0.1, 14, "0.1"),
            (-1.5e-7, 14, "-1.5e-07"),
            (9007199254740992.0, 14, "9.007199254741e+15"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (1e15, 14, "1e+15"),
            (100000.0, 14, "100000"),
            (123456.0, 3, "1.23e+05"),
            (std::f64::consts::PI, 3, "3.14"),
            (0.0001, 14, "0.0001"),
            (0.00001, 14, "1e-05"),
            (-0.0, 14, "-0"),
            (1e300, 14, "1e+300"),
            (99999999999999.5, 14, "1e+14"),
        ];
        for &(value, precision, expected) in cases {
            assert_eq!(format_general(value, precision), expected, "{value:e}");
        }
    }

    #[test]
    fn parse_c_double_reads_the_longest_number_prefix() {
        let cases: &[(&str, Option<(f64, usize)>)] = &[
            ("1e5", Some((1e5, 3))),
            ("1.", Some((1.0, 2))),
            ("1e", Some((1.0, 1))),
            ("1e+", Some((1.0, 1))),
            ("-0x10", Some((-16.0, 5))),
            ("0x1p4", Some((16.0, 5))),
            ("0x1.8", Some((1.5, 5))),
            ("0x", Some((0.0, 1))),
            ("0xg", Some((0.0, 1))),
            ("+1", Some((1.0, 2))),
            ("Infinity", Some((f64::INFINITY, 8))),
            ("-inf", Some((f64::NEG_INFINITY, 4))),
            ("1-2", Some((1.0, 1))),
            ("-", None),
            (".", None),
            ("x", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(parse_c_double(text.as_bytes()), expected, "{text}");
        }
        let (nan, length) = parse_c_double(b"nan(abc_1)x").unwrap();
        assert!(nan.is_nan());
        assert_eq!(length, 10);
        assert_eq!(parse_c_double(b"nan(abc").unwrap().1, 3);
    }

    #[test]
    fn lua_string_to_number_allows_surrounding_spaces_only() {
        assert_eq!(lua_string_to_number(b" 0x10 "), Some(16.0));
        assert_eq!(lua_string_to_number(b"12"), Some(12.0));
        assert_eq!(lua_string_to_number(b"12a"), None);
        assert_eq!(lua_string_to_number(b""), None);
    }

    #[test]
    fn conversions_to_integers_match_x86() {
        assert_eq!(truncate_to_i64(-1.7), -1);
        assert_eq!(truncate_to_i64(f64::NAN), i64::MIN);
        assert_eq!(truncate_to_i64(f64::INFINITY), i64::MIN);
        assert_eq!(truncate_to_u64(-1.0), u64::MAX);
        assert_eq!(truncate_to_u64(18446744073709551616.0), 0);
        assert_eq!(truncate_to_u64(f64::INFINITY), 0);
        assert_eq!(truncate_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(truncate_to_u64(f64::NAN), 1 << 63);
        assert_eq!(truncate_to_u64(1e19), 10_000_000_000_000_000_000);
    }
}
