//! LZF, for the strings Redis compresses in RDB files and DUMP payloads.
//!
//! A compressed block is a sequence of runs. A control byte below 32 starts a literal run of
//! `control + 1` bytes; otherwise its top three bits are a length (7 means "add the next
//! byte") and its low five bits, with the next byte, an offset back into the output, and
//! `length + 2` bytes are copied from there (the copy may overlap what it writes).

/// The most bytes one input byte can stand for: a 3-byte back reference copies 264.
const EXPANSION_MAX: usize = 88;

/// Back references reach at most this far (13 bits of distance).
const DISTANCE_MAX: usize = 1 << 13;
/// A back reference copies at most this many bytes (a length byte of 255, plus 9).
const COPY_MAX: usize = 264;
/// A literal run holds at most this many bytes (a control byte below 32).
const LITERAL_MAX: usize = 32;
/// Positions are found by a hash of their next three bytes in a table of this many slots.
const HASH_SLOTS_LOG: u32 = 14;

/// LZF's table of where each three-byte sequence was last seen, kept from one string to the
/// next: setting up its 16,384 slots for every short string (a save compresses one per packed
/// collection) would cost more than compressing it. A slot left from an earlier string is
/// only a candidate, checked against the input like any other, as Redis's uninitialized table
/// does.
pub(crate) struct Lzf {
    last_seen: Vec<usize>,
    /// The last block made, its room kept for the next one.
    output: Vec<u8>,
}

impl Lzf {
    pub(crate) fn new() -> Lzf {
        Lzf {
            last_seen: Vec::new(),
            output: Vec::new(),
        }
    }

    /// `input` compressed, when that takes at most `limit` bytes; `None` otherwise (Redis then
    /// writes the string as it is).
    pub(crate) fn compress(&mut self, input: &[u8], limit: usize) -> Option<&[u8]> {
        if self.last_seen.is_empty() {
            self.last_seen = vec![usize::MAX; 1 << HASH_SLOTS_LOG];
        }
        let last_seen = &mut self.last_seen;
        let output = &mut self.output;
        output.clear();
        output.reserve(limit);
        let mut literal_start = 0;
        let mut position = 0;
        while position + 2 < input.len() {
            let three = &input[position..position + 3];
            let slot = slot_of(three);
            let candidate = std::mem::replace(&mut last_seen[slot], position);
            let found = candidate < position
                && position - candidate <= DISTANCE_MAX
                && input[candidate..candidate + 3] == *three;
            if !found {
                position += 1;
                continue;
            }
            let mut length = 3;
            while length < COPY_MAX
                && position + length < input.len()
                && input[candidate + length] == input[position + length]
            {
                length += 1;
            }
            push_literals(output, &input[literal_start..position]);
            let offset = position - candidate - 1;
            let encoded = length - 2;
            if encoded < 7 {
                output.push((encoded << 5 | offset >> 8) as u8);
            } else {
                output.push((7 << 5 | offset >> 8) as u8);
                output.push((encoded - 7) as u8);
            }
            output.push(offset as u8);
            position += length;
            literal_start = position;
            // The match's last two positions go into the table too, as Redis's LZF does: a
            // run that repeats is found again from its end.
            for at in position - 2..position {
                if at + 2 < input.len() {
                    last_seen[slot_of(&input[at..at + 3])] = at;
                }
            }
            if output.len() > limit {
                return None;
            }
        }
        push_literals(output, &input[literal_start..]);
        (output.len() <= limit).then_some(output.as_slice())
    }
}

/// The table slot of the three bytes at the start of `three`.
fn slot_of(three: &[u8]) -> usize {
    (u32::from_le_bytes([three[0], three[1], three[2], 0]).wrapping_mul(2654435761)
        >> (32 - HASH_SLOTS_LOG)) as usize
}

/// Appends `bytes` as literal runs.
fn push_literals(output: &mut Vec<u8>, bytes: &[u8]) {
    for run in bytes.chunks(LITERAL_MAX) {
        output.push((run.len() - 1) as u8);
        output.extend_from_slice(run);
    }
}

/// `input` decompressed, when it decompresses to exactly `expected_len` bytes; `None` for
/// anything else (a run past either end, a reference before the start, a wrong length, or a
/// length no block of this size could reach, so that a lying length allocates nothing).
pub(crate) fn decompress(input: &[u8], expected_len: usize) -> Option<Vec<u8>> {
    if expected_len > input.len().saturating_mul(EXPANSION_MAX) {
        return None;
    }
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
        if distance >= length {
            output.extend_from_within(start..start + length);
        } else {
            // The copy reads what it writes: a run of a short pattern.
            for index in start..start + length {
                output.push(output[index]);
            }
        }
    }
    (output.len() == expected_len).then_some(output)
}

#[cfg(test)]
mod tests {
    use super::{decompress, Lzf};
    use proptest::prelude::*;

    proptest! {
        #[test]
        /// One compressor for several inputs, as a save uses it: what the table kept from
        /// the earlier ones never makes a wrong block.
        fn compressed_bytes_decompress_to_the_input(
            inputs in proptest::collection::vec(prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..3000),
                proptest::collection::vec(0u8..3, 0..30000),
            ], 1..4)
        ) {
            let mut lzf = Lzf::new();
            for input in inputs {
                if let Some(block) = lzf.compress(&input, input.len()) {
                    prop_assert!(block.len() <= input.len());
                    prop_assert_eq!(decompress(block, input.len()), Some(input));
                }
            }
        }
    }

    #[test]
    fn repetitive_input_shrinks() {
        let input: Vec<u8> = b"0123456789"
            .iter()
            .copied()
            .cycle()
            .take(100_000)
            .collect();
        let mut lzf = Lzf::new();
        let block = lzf.compress(&input, input.len()).unwrap();
        assert!(block.len() < input.len() / 50, "{} bytes", block.len());
        assert_eq!(decompress(block, input.len()).unwrap(), input);
    }

    #[test]
    fn a_length_past_what_the_block_can_hold_is_refused_before_allocating() {
        assert_eq!(decompress(&[0, b'a'], usize::MAX / 2), None);
    }

    #[test]
    fn literals_and_back_references() {
        // "abcabcabcX": a literal "abc", a copy of 6 bytes from 3 back (overlapping), "X".
        let block = [2, b'a', b'b', b'c', (4 << 5), 2, 0, b'X'];
        assert_eq!(decompress(&block, 10).as_deref(), Some(&b"abcabcabcX"[..]));
        assert_eq!(decompress(&block, 9), None);
        assert_eq!(decompress(&block, 11), None);
        // "abcdefabcdX": a copy of 4 bytes from 6 back, clear of what it writes.
        let block = [5, b'a', b'b', b'c', b'd', b'e', b'f', (2 << 5), 5, 0, b'X'];
        assert_eq!(decompress(&block, 11).as_deref(), Some(&b"abcdefabcdX"[..]));
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
