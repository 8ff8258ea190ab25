//! [`LongDouble`]: C's x86-64 `long double` (80-bit extended precision), emulated exactly for
//! INCRBYFLOAT, and the unsigned big integer [`Big`] that exact float conversion computes with.

use std::cmp::Ordering;

use super::{
    format_u64, round, scan_strtod, NumberKind, Rounded, LONG_DOUBLE_FORMAT,
    LONG_DOUBLE_TEXT_BYTES_MAX,
};

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

/// Unsigned big integer, little-endian 32-bit limbs, no leading zero limbs. Just what exact float
/// conversion needs; sizes stay bounded by the callers (at most a few thousand limbs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub(super) fn from_u64(v: u64) -> Big {
        Big::from_u128(u128::from(v))
    }

    pub(super) fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    pub(super) fn from_decimal_digits(digits: &[u8]) -> Big {
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

    pub(super) fn from_hex_digits(digits: &[u8]) -> Big {
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

    pub(super) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    pub(super) fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => 32 * self.limbs.len() as u64 - u64::from(top.leading_zeros()),
        }
    }

    /// A number of decimal digits within one of the true count (for range checks).
    pub(super) fn decimal_len_estimate(&self) -> u64 {
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

    pub(super) fn mul_pow10(&mut self, mut power: u32) {
        while power >= 9 {
            self.mul_small(1_000_000_000);
            power -= 9;
        }
        self.mul_small(10u64.pow(power));
    }

    pub(super) fn shl(&mut self, bits: u32) {
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

    pub(super) fn bit(&self, index: u64) -> bool {
        let limb = (index / 32) as usize;
        self.limbs
            .get(limb)
            .is_some_and(|l| l >> (index % 32) & 1 == 1)
    }

    pub(super) fn any_bit_below(&self, index: u64) -> bool {
        let limb = (index / 32) as usize;
        let below = self.limbs.iter().take(limb).any(|&l| l != 0);
        let partial = self
            .limbs
            .get(limb)
            .is_some_and(|l| l & ((1u64 << (index % 32)) - 1) as u32 != 0);
        below || partial
    }

    /// Bits from `index` upwards, which must fit in 128 bits.
    pub(super) fn bits_from(&self, index: u64) -> u128 {
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
    pub(super) fn divide_small_quotient(&self, divisor: &Big, quotient_bits: u32) -> (u128, bool) {
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
