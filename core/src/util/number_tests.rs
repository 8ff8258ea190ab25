//! Number parsing and formatting against C: string2ll, strtod/strtold rounding, %.17g, %.17Lf.

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
