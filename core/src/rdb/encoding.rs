//! RDB's length and string encodings.
//!
//! A length's first byte says its form by its top two bits: 00 six bits, 01 fourteen bits
//! (with the next byte), 10 a 32-bit (0x80) or 64-bit (0x81) big-endian number, 11 a special
//! string encoding in the low six bits: an 8, 16 or 32-bit little-endian integer written as
//! its decimal text, or an LZF-compressed string (compressed length, length, block).

use std::borrow::Cow;

use super::lzf;
use crate::util::number::parse_i64;

/// The longest string a reader accepts, so that a corrupt length cannot ask for more memory
/// than Redis's `proto-max-bulk-len` ceiling.
pub(crate) const STRING_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// A cursor over RDB bytes; every read checks the bounds.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

enum Length {
    Plain(u64),
    Special(u8),
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { input }
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.input.split_first()?;
        self.input = rest;
        Some(first)
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.input.len()
    }

    pub(crate) fn take(&mut self, count: u64) -> Option<&'a [u8]> {
        let count = usize::try_from(count).ok()?;
        if count > self.input.len() {
            return None;
        }
        let (taken, rest) = self.input.split_at(count);
        self.input = rest;
        Some(taken)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N as u64)?.try_into().ok()
    }

    fn length_or_special(&mut self) -> Option<Length> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3f)),
            1 => Length::Plain(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            2 if first == 0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.array()?))),
            2 if first == 0x81 => Length::Plain(u64::from_be_bytes(self.array()?)),
            2 => return None,
            _ => Length::Special(first & 0x3f),
        })
    }

    /// A length (never a special string encoding).
    pub(crate) fn length(&mut self) -> Option<u64> {
        match self.length_or_special()? {
            Length::Plain(length) => Some(length),
            Length::Special(_) => None,
        }
    }

    /// A string in any of the encodings Redis writes.
    pub(crate) fn string(&mut self) -> Option<Vec<u8>> {
        self.string_ref().map(Cow::into_owned)
    }

    /// `string`, borrowing a plain string from the input instead of copying it.
    pub(crate) fn string_ref(&mut self) -> Option<Cow<'a, [u8]>> {
        let owned = match self.length_or_special()? {
            Length::Plain(length) if length <= STRING_BYTES_MAX => {
                return self.take(length).map(Cow::Borrowed);
            }
            Length::Plain(_) => return None,
            Length::Special(0) => i8::from_le_bytes(self.array()?).to_string().into_bytes(),
            Length::Special(1) => i16::from_le_bytes(self.array()?).to_string().into_bytes(),
            Length::Special(2) => i32::from_le_bytes(self.array()?).to_string().into_bytes(),
            Length::Special(3) => {
                let compressed_len = self.length()?;
                let len = self.length()?;
                if len > STRING_BYTES_MAX {
                    return None;
                }
                let block = self.take(compressed_len)?;
                lzf::decompress(block, usize::try_from(len).ok()?)?
            }
            Length::Special(_) => return None,
        };
        Some(Cow::Owned(owned))
    }
}

/// Appends `length` in the shortest form.
pub(crate) fn write_length(out: &mut Vec<u8>, length: u64) {
    if length < 1 << 6 {
        out.push(length as u8);
    } else if length < 1 << 14 {
        out.extend_from_slice(&[0x40 | (length >> 8) as u8, length as u8]);
    } else if let Ok(length) = u32::try_from(length) {
        out.push(0x80);
        out.extend_from_slice(&length.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&length.to_be_bytes());
    }
}

/// Appends `bytes` as a plain string (every reader accepts it).
pub(crate) fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    write_length(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Strings of at most this many bytes are tried as integers, as Redis tries them.
const INTEGER_TEXT_BYTES_MAX: usize = 11;
/// Strings of at least this many bytes are tried compressed when compression is on, as Redis
/// tries them.
const COMPRESS_BYTES_MIN: usize = 21;

/// Whether strings are written LZF-compressed (`rdbcompression`), with the compressor kept
/// from one string to the next.
pub(crate) enum Compression {
    Off,
    On(lzf::Lzf),
}

impl Compression {
    pub(crate) fn new(on: bool) -> Compression {
        if on {
            Compression::On(lzf::Lzf::new())
        } else {
            Compression::Off
        }
    }
}

/// Appends `bytes` in the smallest form Redis writes: as an integer when it is one of at most
/// 32 bits in canonical form, LZF-compressed when compression is on and that saves at least
/// four bytes, plain otherwise.
pub(crate) fn write_string_compact(out: &mut Vec<u8>, bytes: &[u8], compression: &mut Compression) {
    if bytes.len() <= INTEGER_TEXT_BYTES_MAX {
        if let Some(number) = parse_i64(bytes).and_then(|number| i32::try_from(number).ok()) {
            write_small_integer(out, number);
            return;
        }
    }
    if let (Compression::On(lzf), COMPRESS_BYTES_MIN..) = (compression, bytes.len()) {
        if let Some(block) = lzf.compress(bytes, bytes.len() - 4) {
            out.push(0xc3);
            write_length(out, block.len() as u64);
            write_length(out, bytes.len() as u64);
            out.extend_from_slice(block);
            return;
        }
    }
    write_string(out, bytes);
}

/// Appends an integer's decimal text in the smallest form.
pub(crate) fn write_integer(out: &mut Vec<u8>, number: i64) {
    match i32::try_from(number) {
        Ok(small) => write_small_integer(out, small),
        Err(_) => write_string(out, number.to_string().as_bytes()),
    }
}

fn write_small_integer(out: &mut Vec<u8>, number: i32) {
    if let Ok(byte) = i8::try_from(number) {
        out.extend_from_slice(&[0xc0, byte as u8]);
    } else if let Ok(short) = i16::try_from(number) {
        out.push(0xc1);
        out.extend_from_slice(&short.to_le_bytes());
    } else {
        out.push(0xc2);
        out.extend_from_slice(&number.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lengths_take_the_shortest_form() {
        for (length, bytes) in [
            (0u64, vec![0x00]),
            (63, vec![0x3f]),
            (64, vec![0x40, 0x40]),
            (16383, vec![0x7f, 0xff]),
            (16384, vec![0x80, 0, 0, 0x40, 0]),
            (1 << 32, vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ] {
            let mut out = Vec::new();
            write_length(&mut out, length);
            assert_eq!(out, bytes, "{length}");
            assert_eq!(Reader::new(&bytes).length(), Some(length));
        }
    }

    #[test]
    fn integer_encoded_strings_read_as_decimal_text() {
        assert_eq!(Reader::new(&[0xc0, 0xfb]).string().unwrap(), b"-5");
        assert_eq!(Reader::new(&[0xc1, 0x39, 0x30]).string().unwrap(), b"12345");
        let mut bytes = vec![0xc2];
        bytes.extend_from_slice(&(-70000i32).to_le_bytes());
        assert_eq!(Reader::new(&bytes).string().unwrap(), b"-70000");
        assert_eq!(Reader::new(&[0xc4]).string(), None, "unknown encoding");
    }

    #[test]
    fn compressed_strings_read_back() {
        // LZF of "aaaaaaaaaa": literal "a", then a 9-byte copy from one back.
        let bytes = [0xc3, 5, 10, 0, b'a', (7 << 5), 0, 0];
        assert_eq!(Reader::new(&bytes).string().unwrap(), vec![b'a'; 10]);
    }

    #[test]
    fn integers_and_repetitive_strings_take_their_short_forms() {
        let mut out = Vec::new();
        write_string_compact(&mut out, b"-129", &mut Compression::new(true));
        assert_eq!(out, [0xc1, 0x7f, 0xff]);
        out.clear();
        write_string_compact(&mut out, b"0123", &mut Compression::new(true));
        assert_eq!(out, [4, b'0', b'1', b'2', b'3'], "not canonical: plain");
        out.clear();
        write_integer(&mut out, 1 << 40);
        assert_eq!(Reader::new(&out).string().unwrap(), b"1099511627776");
        let long = vec![b'x'; 1000];
        out.clear();
        write_string_compact(&mut out, &long, &mut Compression::new(true));
        assert_eq!(out[0], 0xc3);
        assert!(out.len() < 100);
        assert_eq!(Reader::new(&out).string().unwrap(), long);
        out.clear();
        write_string_compact(&mut out, &long, &mut Compression::new(false));
        assert_eq!(out.len(), 1002);
    }

    proptest! {
        #[test]
        fn compact_strings_round_trip(
            bytes in prop_oneof![
                any::<i64>().prop_map(|n| n.to_string().into_bytes()),
                proptest::collection::vec(0u8..4, 0..3000),
            ],
            compress in any::<bool>(),
        ) {
            let mut out = Vec::new();
            write_string_compact(&mut out, &bytes, &mut Compression::new(compress));
            let mut reader = Reader::new(&out);
            prop_assert_eq!(reader.string(), Some(bytes));
            prop_assert_eq!(reader.byte(), None);
        }

        #[test]
        fn strings_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..20000)) {
            let mut out = Vec::new();
            write_string(&mut out, &bytes);
            let mut reader = Reader::new(&out);
            prop_assert_eq!(reader.string(), Some(bytes));
            prop_assert_eq!(reader.byte(), None);
        }

        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut reader = Reader::new(&bytes);
            while reader.string().is_some() {}
        }
    }
}
