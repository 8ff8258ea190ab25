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
    last_seen: Option<Box<[u32; HASH_SLOTS]>>,
    /// The last block made, its room kept for the next one.
    output: Vec<u8>,
}

/// Slots of the table.
const HASH_SLOTS: usize = 1 << HASH_SLOTS_LOG;

impl Lzf {
    pub(crate) fn new() -> Lzf {
        Lzf {
            last_seen: None,
            output: Vec::new(),
        }
    }

    /// `input` compressed, when that takes at most `limit` bytes; `None` otherwise (Redis then
    /// writes the string as it is).
    pub(crate) fn compress(&mut self, input: &[u8], limit: usize) -> Option<&[u8]> {
        let last_seen = self
            .last_seen
            .get_or_insert_with(|| Box::new([u32::MAX; HASH_SLOTS]));
        let output = &mut self.output;
        output.clear();
        output.reserve(limit);
        let mut literal_start = 0;
        let mut position = 0;
        // The three bytes at `position`, moved along one byte at a time.
        let mut three = match input.len() {
            3.. => three_at(input, 0),
            _ => 0,
        };
        while position + 2 < input.len() {
            let candidate = std::mem::replace(&mut last_seen[slot_of(three)], position as u32);
            let candidate = candidate as usize;
            // Three bytes at a candidate before `position` are followed by at least one more.
            let found = candidate < position
                && position - candidate <= DISTANCE_MAX
                && four_at(input, candidate) & 0xFF_FFFF == three;
            if !found {
                position += 1;
                if let Some(&next) = input.get(position + 2) {
                    three = three >> 8 | u32::from(next) << 16;
                }
                continue;
            }
            let length = match_length(input, candidate, position);
            push_literals(output, &input[literal_start..position]);
            let offset = position - candidate - 1;
            let encoded = length - 2;
            if encoded < 7 {
                output.extend_from_slice(&[(encoded << 5 | offset >> 8) as u8, offset as u8]);
            } else {
                let head = (7 << 5 | offset >> 8) as u8;
                output.extend_from_slice(&[head, (encoded - 7) as u8, offset as u8]);
            }
            position += length;
            literal_start = position;
            if output.len() > limit {
                return None;
            }
            // The match's last two positions go into the table too, as Redis's LZF does: a
            // run that repeats is found again from its end. A match is at least three bytes,
            // so both are past its start; the three bytes at each follow on from the last.
            if position + 2 < input.len() {
                three = three_at(input, position - 2);
                last_seen[slot_of(three)] = (position - 2) as u32;
                three = three >> 8 | u32::from(input[position + 1]) << 16;
                last_seen[slot_of(three)] = (position - 1) as u32;
                three = three >> 8 | u32::from(input[position + 2]) << 16;
            } else {
                for at in position - 2..position {
                    if at + 2 < input.len() {
                        last_seen[slot_of(three_at(input, at))] = at as u32;
                    }
                }
            }
        }
        push_literals(output, &input[literal_start..]);
        (output.len() <= limit).then_some(output.as_slice())
    }
}

/// The three bytes at `at`, as the low bytes of a word.
fn three_at(input: &[u8], at: usize) -> u32 {
    let bytes: [u8; 3] = input[at..at + 3].try_into().expect("three bytes");
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0])
}

/// The four bytes at `at`, as a word.
fn four_at(input: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(input[at..at + 4].try_into().expect("four bytes"))
}

/// The table slot of three bytes.
fn slot_of(three: u32) -> usize {
    (three.wrapping_mul(2654435761) >> (32 - HASH_SLOTS_LOG)) as usize
}

/// How long the match of the bytes at `position` with those at `candidate` (before it, the
/// first three equal) runs, up to `COPY_MAX` and the input's end: eight bytes at a time while
/// eight are left, then byte by byte.
fn match_length(input: &[u8], candidate: usize, position: usize) -> usize {
    let most = (input.len() - position).min(COPY_MAX);
    let mut length = 3;
    let word = |at: usize| u64::from_le_bytes(input[at..at + 8].try_into().expect("eight bytes"));
    while length + 8 <= most {
        let differ = word(candidate + length) ^ word(position + length);
        if differ != 0 {
            return length + (differ.trailing_zeros() / 8) as usize;
        }
        length += 8;
    }
    while length < most && input[candidate + length] == input[position + length] {
        length += 1;
    }
    length
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
