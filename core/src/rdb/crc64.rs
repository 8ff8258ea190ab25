//! The CRC64 Redis seals RDB files and DUMP payloads with: the Jones polynomial, reflected
//! input and output, no final xor.

/// 0xad93d23594c935a9 with its bits reversed, for the reflected (least significant bit
/// first) form.
const POLYNOMIAL_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = table();

const fn table() -> [u64; 256] {
    let mut table = [0u64; 256];
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
        table[index] = crc;
        index += 1;
    }
    table
}

/// `crc` extended over `bytes` (start from 0).
pub(crate) fn crc64(crc: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(crc, |crc, &byte| {
        TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::crc64;

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
