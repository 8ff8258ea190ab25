//! LZF decompression, for the strings Redis compresses in RDB files and DUMP payloads.
//!
//! A compressed block is a sequence of runs. A control byte below 32 starts a literal run of
//! `control + 1` bytes; otherwise its top three bits are a length (7 means "add the next
//! byte") and its low five bits, with the next byte, an offset back into the output, and
//! `length + 2` bytes are copied from there (the copy may overlap what it writes).

/// `input` decompressed, when it decompresses to exactly `expected_len` bytes; `None` for
/// anything else (a run past either end, a reference before the start, a wrong length).
pub(crate) fn decompress(input: &[u8], expected_len: usize) -> Option<Vec<u8>> {
    let mut output = Vec::with_capacity(expected_len);
    let mut position = 0;
    while position < input.len() {
        let control = usize::from(input[position]);
        position += 1;
        if control < 32 {
            let literal = input.get(position..position + control + 1)?;
            if output.len() + literal.len() > expected_len {
                return None;
            }
            output.extend_from_slice(literal);
            position += literal.len();
            continue;
        }
        let mut length = control >> 5;
        if length == 7 {
            length += usize::from(*input.get(position)?);
            position += 1;
        }
        let low = usize::from(*input.get(position)?);
        position += 1;
        let distance = ((control & 0x1f) << 8) + low + 1;
        let start = output.len().checked_sub(distance)?;
        let length = length + 2;
        if output.len() + length > expected_len {
            return None;
        }
        for index in start..start + length {
            output.push(output[index]);
        }
    }
    (output.len() == expected_len).then_some(output)
}

#[cfg(test)]
mod tests {
    use super::decompress;

    #[test]
    fn literals_and_back_references() {
        // "abcabcabcX": a literal "abc", a copy of 6 bytes from 3 back (overlapping), "X".
        let block = [2, b'a', b'b', b'c', (4 << 5), 2, 0, b'X'];
        assert_eq!(decompress(&block, 10).as_deref(), Some(&b"abcabcabcX"[..]));
        assert_eq!(decompress(&block, 9), None);
        assert_eq!(decompress(&block, 11), None);
    }

    #[test]
    fn a_long_copy_takes_its_length_from_the_next_byte() {
        let block = [0, b'z', (7 << 5), 10, 0];
        assert_eq!(decompress(&block, 1 + 19).unwrap(), vec![b'z'; 20]);
    }

    #[test]
    fn broken_blocks_are_refused() {
        assert_eq!(decompress(&[5, b'a'], 6), None, "literal past the end");
        assert_eq!(
            decompress(&[(1 << 5), 0], 3),
            None,
            "reference before the start"
        );
        assert_eq!(
            decompress(&[0, b'a', (7 << 5)], 20),
            None,
            "missing length byte"
        );
    }
}
