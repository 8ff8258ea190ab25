//! The CRC64 Redis seals RDB files and DUMP payloads with: the Jones polynomial, reflected
//! input and output, no final xor.
//!
//! Computed eight bytes at a time ("slicing by 8"): table `k` gives what a byte contributes
//! when `k` more bytes follow it in the same step, so one step is eight lookups XORed together
//! instead of eight dependent ones. A file's checksum covers every byte written or read, so
//! this is on the path of every save and load.

/// 0xad93d23594c935a9 with its bits reversed, for the reflected (least significant bit
/// first) form.
const POLYNOMIAL_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLES: [[u64; 256]; 8] = tables();

const fn tables() -> [[u64; 256]; 8] {
    let mut tables = [[0u64; 256]; 8];
    let mut index = 0;
    while index < 256 {
        let mut crc = index as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLYNOMIAL_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][index] = crc;
        index += 1;
    }
    let mut slice = 1;
    while slice < 8 {
        let mut index = 0;
        while index < 256 {
            let previous = tables[slice - 1][index];
            tables[slice][index] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            index += 1;
        }
        slice += 1;
    }
    tables
}

/// `crc` extended over `bytes` (start from 0).
pub(crate) fn crc64(crc: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut crc = crc;
    for chunk in &mut chunks {
        let word = crc ^ u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let byte = |shift: u32| ((word >> shift) & 0xff) as usize;
        crc = TABLES[7][byte(0)]
            ^ TABLES[6][byte(8)]
            ^ TABLES[5][byte(16)]
            ^ TABLES[4][byte(24)]
            ^ TABLES[3][byte(32)]
            ^ TABLES[2][byte(40)]
            ^ TABLES[1][byte(48)]
            ^ TABLES[0][byte(56)];
    }
    chunks.remainder().iter().fold(crc, |crc, &byte| {
        TABLES[0][usize::from((crc as u8) ^ byte)] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::{crc64, TABLES};
    use proptest::prelude::*;

    /// One byte at a time, the textbook way.
    fn bytewise(crc: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(crc, |crc, &byte| {
            TABLES[0][usize::from((crc as u8) ^ byte)] ^ (crc >> 8)
        })
    }

    proptest! {
        #[test]
        fn eight_at_a_time_equals_one_at_a_time(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            split in 0usize..200,
        ) {
            let split = split.min(bytes.len());
            let (left, right) = bytes.split_at(split);
            prop_assert_eq!(crc64(crc64(0, left), right), bytewise(0, &bytes));
        }
    }

    #[test]
    fn matches_the_check_value_redis_tests_itself_with() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn extends_in_pieces_as_in_one() {
        let text = b"The quick brown fox jumps over the lazy dog";
        let (left, right) = text.split_at(17);
        assert_eq!(crc64(crc64(0, left), right), crc64(0, text));
        assert_ne!(crc64(0, text), crc64(0, &text[1..]));
    }
}
