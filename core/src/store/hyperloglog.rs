//! HyperLogLog in Redis's own byte format.
//!
//! A HyperLogLog is not a kind of value: it is a plain string whose bytes Redis defines, so that
//! GET, SET, APPEND and the rest work on it and a value copied from Redis counts the same here.
//! These functions read and change such strings; the commands (command/hyperloglog.rs) check
//! the header first and keep the bytes in an ordinary string value.
//!
//! The layout (Redis 7.0):
//! - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), three bytes nobody reads, and
//!   the cached cardinality, 8 bytes little-endian, whose top bit set means "stale";
//! - 16384 registers (an element's hash picks one with its low 14 bits; the register keeps the
//!   longest run seen of the 50 bits above them, counted to and including the first 1), either
//!   - dense: 6 bits each, packed from the least significant bit of each byte (12288 bytes), or
//!   - sparse: a run-length code over the registers, one opcode after another:
//!     `00xxxxxx` a run of 1-64 zero registers, `01xxxxxx yyyyyyyy` a run of 1-16384 zero
//!     registers, `1vvvvvxx` a run of 1-4 registers of value 1-32.
//!
//! A new HyperLogLog is sparse; it becomes dense, one way, when a register must hold more than
//! 32 or the sparse string would grow past `hll-sparse-max-bytes`. Every change mirrors Redis's
//! step by step (where a run is split, which neighbouring runs merge), so that the same adds
//! give the same bytes on both servers.
//!
//! Bytes come from users (SET, SETRANGE): every read is bounds-checked. Where Redis reads one
//! byte past the end of a string it finds the string's terminating NUL, so a byte past the end
//! reads as 0 here; the same bytes give the same answers, errors included.

/// Header bytes before the registers.
pub const HEADER_BYTES: usize = 16;
/// How many of the hash's low bits pick the register (Redis's P).
const INDEX_BITS: u32 = 14;
/// Registers in every HyperLogLog.
pub const REGISTERS: usize = 1 << INDEX_BITS;
/// Hash bits above the index, where runs of zeros are counted (Redis's Q).
const RUN_BITS: u32 = 64 - INDEX_BITS;
const REGISTER_BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << REGISTER_BITS) - 1;
/// A dense HyperLogLog's exact length.
pub const DENSE_BYTES: usize = HEADER_BYTES + REGISTERS * REGISTER_BITS / 8;
const MAGIC: &[u8; 4] = b"HYLL";
const ENCODING_AT: usize = 4;
const CARDINALITY_AT: usize = 8;
/// The byte holding the cached cardinality's "stale" bit (its top bit).
const STALE_AT: usize = 15;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// The largest register value a sparse `VAL` opcode holds; more needs the dense encoding.
const SPARSE_VALUE_MAX: u8 = 32;
/// Registers one `VAL` opcode covers at most.
const VALUE_RUN_MAX: usize = 4;
/// Registers one short zero run (`ZERO`) covers at most.
const ZERO_RUN_MAX: usize = 64;
/// Registers one long zero run (`XZERO`) covers at most.
const LONG_ZERO_RUN_MAX: usize = 16384;
/// Redis's seed for MurmurHash64A.
const HASH_SEED: u64 = 0xadc8_3b19;
/// How many opcodes after a change Redis looks at for neighbouring runs to merge.
const MERGE_SCAN_OPCODES: usize = 5;
/// 0.5 / ln 2, the estimator's constant for an unbounded number of registers.
const ALPHA_INFINITY: f64 = 0.721_347_520_444_481_7;
/// The length of the histogram of register values: every 6-bit value.
const HISTOGRAM_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

/// The registers do not add up to a HyperLogLog (a sparse run past the last register, or
/// short of it): Redis's `INVALIDOBJ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The encoding, when `bytes` start like a HyperLogLog as Redis checks one: the magic, a
/// known encoding, and a dense one exactly as long as it must be. The registers are not read
/// (a sparse one may still turn out to be `Corrupt`).
pub fn encoding(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < HEADER_BYTES || &bytes[..4] != MAGIC {
        return None;
    }
    match bytes[ENCODING_AT] {
        DENSE if bytes.len() == DENSE_BYTES => Some(Encoding::Dense),
        SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// An empty HyperLogLog as Redis creates one: sparse, one long zero run, cardinality 0 cached.
pub fn new_sparse() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_BYTES + 2);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[SPARSE, 0, 0, 0]);
    bytes.extend_from_slice(&[0; 8]);
    let mut op = [0; 2];
    let width = Op::Zeros(REGISTERS).encode(&mut op);
    bytes.extend_from_slice(&op[..width]);
    debug_assert_eq!(width, 2);
    bytes
}

/// MurmurHash64A as Redis's hyperloglog.c has it: 8-byte blocks read little-endian.
pub fn murmur_hash_64a(bytes: &[u8], seed: u64) -> u64 {
    const MULTIPLIER: u64 = 0xc6a4_a793_5bd1_e995;
    const SHIFT: u32 = 47;
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    let mut blocks = bytes.chunks_exact(8);
    for block in &mut blocks {
        let mut word = u64::from_le_bytes(block.try_into().expect("8 bytes"));
        word = word.wrapping_mul(MULTIPLIER);
        word ^= word >> SHIFT;
        word = word.wrapping_mul(MULTIPLIER);
        hash ^= word;
        hash = hash.wrapping_mul(MULTIPLIER);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (position, &byte) in tail.iter().enumerate() {
            hash ^= u64::from(byte) << (8 * position);
        }
        hash = hash.wrapping_mul(MULTIPLIER);
    }
    hash ^= hash >> SHIFT;
    hash = hash.wrapping_mul(MULTIPLIER);
    hash ^= hash >> SHIFT;
    hash
}

/// The register `element` falls in and the value it offers there: the length of the run of
/// zeros above the index bits, plus one (1 to 51).
pub fn register_of(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash_64a(element, HASH_SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    // A bit above the run's longest keeps the count within 51.
    let run = (hash >> INDEX_BITS) | (1 << RUN_BITS);
    (index, run.trailing_zeros() as u8 + 1)
}

/// Register `index` of dense registers (the bytes after the header).
pub fn dense_get(registers: &[u8], index: usize) -> u8 {
    let bit = index * REGISTER_BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let low = u16::from(registers[byte]);
    let high = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((low | high << 8) >> shift) as u8) & REGISTER_MAX
}

/// Sets register `index` of dense registers to `value` (at most 63).
pub fn dense_set(registers: &mut [u8], index: usize, value: u8) {
    debug_assert!(value <= REGISTER_MAX);
    let bit = index * REGISTER_BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let mask = u16::from(REGISTER_MAX) << shift;
    let bits = u16::from(value) << shift;
    registers[byte] = (registers[byte] & !(mask as u8)) | bits as u8;
    // The last register ends within its byte, so there is always a next byte when it is needed.
    if mask > 0xff {
        let next = &mut registers[byte + 1];
        *next = (*next & !((mask >> 8) as u8)) | (bits >> 8) as u8;
    }
}

/// One sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A run of zero registers (`ZERO` when it fits in one byte, else `XZERO`).
    Zeros(usize),
    /// A run of `len` registers holding `value`.
    Value { value: u8, len: usize },
}

impl Op {
    /// The opcode at `position` (within `bytes`) and its width in bytes.
    fn at(bytes: &[u8], position: usize) -> (Op, usize) {
        let byte = bytes[position];
        match byte >> 6 {
            0b00 => (Op::Zeros(usize::from(byte & 0x3f) + 1), 1),
            0b01 => {
                // Redis reads the string's terminating NUL past the end.
                let low = bytes.get(position + 1).copied().unwrap_or(0);
                let len = (usize::from(byte & 0x3f) << 8 | usize::from(low)) + 1;
                (Op::Zeros(len), 2)
            }
            _ => {
                let value = (byte >> 2 & 0x1f) + 1;
                let len = usize::from(byte & 0x3) + 1;
                (Op::Value { value, len }, 1)
            }
        }
    }

    fn registers(self) -> usize {
        match self {
            Op::Zeros(len) | Op::Value { len, .. } => len,
        }
    }

    /// Writes the opcode into `out`, returning its width. A zero run of more than 64 takes the
    /// two-byte form.
    fn encode(self, out: &mut [u8]) -> usize {
        match self {
            Op::Zeros(len) if len <= ZERO_RUN_MAX => {
                debug_assert!(len >= 1);
                out[0] = (len - 1) as u8;
                1
            }
            Op::Zeros(len) => {
                debug_assert!(len <= LONG_ZERO_RUN_MAX);
                out[0] = 0x40 | ((len - 1) >> 8) as u8;
                out[1] = ((len - 1) & 0xff) as u8;
                2
            }
            Op::Value { value, len } => {
                debug_assert!((1..=SPARSE_VALUE_MAX).contains(&value));
                debug_assert!((1..=VALUE_RUN_MAX).contains(&len));
                out[0] = 0x80 | (value - 1) << 2 | (len - 1) as u8;
                1
            }
        }
    }
}

/// The opcodes of a sparse HyperLogLog's body, in order, each with its width in bytes (an
/// `XZERO` cut by the end reads its missing byte as 0).
fn ops(bytes: &[u8]) -> impl Iterator<Item = (Op, usize)> + '_ {
    let mut position = HEADER_BYTES;
    std::iter::from_fn(move || {
        if position >= bytes.len() {
            return None;
        }
        let (op, width) = Op::at(bytes, position);
        position += width;
        Some((op, width))
    })
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[STALE_AT] |= 0x80;
}

/// The cached cardinality, unless it is stale.
pub fn cached_cardinality(bytes: &[u8]) -> Option<u64> {
    let cached = u64::from_le_bytes(bytes[CARDINALITY_AT..HEADER_BYTES].try_into().expect("8"));
    (cached >> 63 == 0).then_some(cached)
}

pub fn set_cached_cardinality(bytes: &mut [u8], cardinality: u64) {
    bytes[CARDINALITY_AT..HEADER_BYTES].copy_from_slice(&cardinality.to_le_bytes());
}

/// Walks a sparse HyperLogLog's runs, zero runs included: `run(first register, length,
/// value)`. `Corrupt` when a run passes the last register or the runs do not cover exactly
/// every register.
fn sparse_runs(bytes: &[u8], mut run: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut index = 0usize;
    for (op, _) in ops(bytes) {
        let (value, len) = match op {
            Op::Zeros(len) => (0, len),
            Op::Value { value, len } => (value, len),
        };
        if index + len > REGISTERS {
            return Err(Corrupt);
        }
        run(index, len, value);
        index += len;
    }
    if index == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Rewrites a sparse HyperLogLog (of a known encoding) as dense, the header kept but for the
/// encoding; a dense one is left as it is. `Corrupt` when the runs do not cover exactly every
/// register.
pub fn to_dense(bytes: &mut Vec<u8>) -> Result<(), Corrupt> {
    if bytes[ENCODING_AT] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_BYTES];
    dense[..HEADER_BYTES].copy_from_slice(&bytes[..HEADER_BYTES]);
    dense[ENCODING_AT] = DENSE;
    let registers = &mut dense[HEADER_BYTES..];
    sparse_runs(bytes, |first, len, value| {
        if value != 0 {
            for register in first..first + len {
                dense_set(registers, register, value);
            }
        }
    })?;
    *bytes = dense;
    Ok(())
}

/// Raises register `index` to `value` if it is lower, in either encoding (a sparse one may turn
/// dense); true if it changed. Marks the cache stale when it changes a sparse one (callers do
/// for dense ones, as Redis does). `Corrupt` when a sparse one turns out broken on the way.
pub fn raise(
    bytes: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_bytes_max: usize,
) -> Result<bool, Corrupt> {
    if bytes[ENCODING_AT] == DENSE {
        let registers = &mut bytes[HEADER_BYTES..];
        if dense_get(registers, index) >= value {
            return Ok(false);
        }
        dense_set(registers, index, value);
        return Ok(true);
    }
    sparse_raise(bytes, index, value, sparse_bytes_max)
}

/// Adds `element`: true if a register changed.
pub fn add(bytes: &mut Vec<u8>, element: &[u8], sparse_bytes_max: usize) -> Result<bool, Corrupt> {
    let (index, value) = register_of(element);
    raise(bytes, index, value, sparse_bytes_max)
}

/// `raise` on a sparse HyperLogLog, as Redis's `hllSparseSet` does it: find the opcode covering
/// the register; leave it, rewrite it in place, or split it into up to three opcodes (up to 5
/// bytes); then merge equal value runs around it.
fn sparse_raise(
    bytes: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_bytes_max: usize,
) -> Result<bool, Corrupt> {
    if value > SPARSE_VALUE_MAX {
        return promote(bytes, index, value);
    }
    let len_before = bytes.len();
    let mut position = HEADER_BYTES;
    let mut first = 0usize;
    let mut previous = None;
    let mut found = None;
    while position < len_before {
        let (op, width) = Op::at(bytes, position);
        if index < first + op.registers() {
            found = Some((op, width));
            break;
        }
        previous = Some(position);
        position += width;
        first += op.registers();
    }
    let Some((op, width)) = found else {
        return Err(Corrupt);
    };
    let last = first + op.registers() - 1;
    match op {
        Op::Value { value: old, .. } if old >= value => return Ok(false),
        Op::Value { len: 1, .. } | Op::Zeros(1) if width == 1 => {
            Op::Value { value, len: 1 }.encode(&mut bytes[position..]);
        }
        _ => {
            let (before, after) = match op {
                Op::Zeros(_) => (Op::Zeros(index - first), Op::Zeros(last - index)),
                Op::Value { value: old, .. } => (
                    Op::Value {
                        value: old,
                        len: index - first,
                    },
                    Op::Value {
                        value: old,
                        len: last - index,
                    },
                ),
            };
            let mut sequence = [0u8; 5];
            let mut sequence_len = 0;
            if index != first {
                sequence_len += before.encode(&mut sequence[sequence_len..]);
            }
            sequence_len += Op::Value { value, len: 1 }.encode(&mut sequence[sequence_len..]);
            if index != last {
                sequence_len += after.encode(&mut sequence[sequence_len..]);
            }
            let len_after = len_before + sequence_len - width;
            if sequence_len > width && len_after > sparse_bytes_max {
                return promote(bytes, index, value);
            }
            let replaced_end = (position + width).min(len_before);
            bytes.splice(
                position..replaced_end,
                sequence[..sequence_len].iter().copied(),
            );
            // An `XZERO` cut by the end had its second byte past it; Redis's length then drops
            // the new sequence's last byte.
            bytes.truncate(len_after);
        }
    }
    merge_value_runs(bytes, previous.unwrap_or(HEADER_BYTES));
    invalidate_cache(bytes);
    Ok(true)
}

/// Merges adjacent value runs of the same value that fit one opcode, looking at a few opcodes
/// from `start` on, as Redis does after a change.
fn merge_value_runs(bytes: &mut Vec<u8>, start: usize) {
    let mut position = start;
    let mut scans_left = MERGE_SCAN_OPCODES;
    while position < bytes.len() && scans_left > 0 {
        scans_left -= 1;
        let (op, width) = Op::at(bytes, position);
        let Op::Value { value, len } = op else {
            position += width;
            continue;
        };
        if position + 1 < bytes.len() {
            if let (
                Op::Value {
                    value: next,
                    len: next_len,
                },
                _,
            ) = Op::at(bytes, position + 1)
            {
                if next == value && len + next_len <= VALUE_RUN_MAX {
                    let merged = Op::Value {
                        value,
                        len: len + next_len,
                    };
                    merged.encode(&mut bytes[position + 1..]);
                    bytes.remove(position);
                    // The merged run may merge again with the one after it.
                    continue;
                }
            }
        }
        position += 1;
    }
}

/// Turns a sparse HyperLogLog dense, then raises the register there.
fn promote(bytes: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, Corrupt> {
    to_dense(bytes)?;
    // The sparse form could not take the change, so there was one: the register was lower.
    raise(bytes, index, value, 0)
}

/// Raises `max`'s registers to those of a HyperLogLog (of a known encoding). `Corrupt` when a
/// sparse one's runs do not cover exactly every register.
pub fn merge_into(max: &mut [u8; REGISTERS], bytes: &[u8]) -> Result<(), Corrupt> {
    if bytes[ENCODING_AT] == DENSE {
        let registers = &bytes[HEADER_BYTES..];
        for (index, slot) in max.iter_mut().enumerate() {
            *slot = (*slot).max(dense_get(registers, index));
        }
        return Ok(());
    }
    sparse_runs(bytes, |first, len, value| {
        for slot in &mut max[first..first + len] {
            *slot = (*slot).max(value);
        }
    })
}

/// The estimated cardinality of a HyperLogLog (of a known encoding). `Corrupt` for a sparse
/// one whose runs do not add up to every register.
pub fn count(bytes: &[u8]) -> Result<u64, Corrupt> {
    let mut histogram = [0u64; HISTOGRAM_LEN];
    if bytes[ENCODING_AT] == DENSE {
        let registers = &bytes[HEADER_BYTES..];
        for index in 0..REGISTERS {
            histogram[usize::from(dense_get(registers, index))] += 1;
        }
    } else {
        sparse_runs(bytes, |_, len, value| {
            histogram[usize::from(value)] += len as u64;
        })?;
    }
    Ok(estimate(&histogram))
}

/// The estimated cardinality of plain registers, one byte each (PFCOUNT of several keys).
pub fn count_registers(registers: &[u8; REGISTERS]) -> u64 {
    let mut histogram = [0u64; HISTOGRAM_LEN];
    for &register in registers {
        histogram[usize::from(register & REGISTER_MAX)] += 1;
    }
    estimate(&histogram)
}

/// Otmar Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog
/// sketches", 2017), in Redis 7.0's order of operations, so that the counts are Redis's.
/// Registers above 51 (only a corrupted dense string has them) count for nothing, as there.
fn estimate(histogram: &[u64; HISTOGRAM_LEN]) -> u64 {
    let registers = REGISTERS as f64;
    let top = RUN_BITS as usize + 1;
    let mut z = registers * tau((registers - histogram[top] as f64) / registers);
    for value in (1..top).rev() {
        z += histogram[value] as f64;
        z *= 0.5;
    }
    z += registers * sigma(histogram[0] as f64 / registers);
    // Rounded half away from zero, as C's llroundl.
    (ALPHA_INFINITY * registers * registers / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// PFDEBUG DECODE's text for a sparse HyperLogLog: `z:N` and `Z:N` for zero runs, `v:V,N` for
/// value runs, separated by spaces.
pub fn decode_sparse(bytes: &[u8]) -> String {
    let mut text = String::new();
    for (op, width) in ops(bytes) {
        if !text.is_empty() {
            text.push(' ');
        }
        let item = match (op, width) {
            (Op::Zeros(len), 1) => format!("z:{len}"),
            (Op::Zeros(len), _) => format!("Z:{len}"),
            (Op::Value { value, len }, _) => format!("v:{value},{len}"),
        };
        text.push_str(&item);
    }
    text
}

/// The registers of a HyperLogLog (of a known encoding) one per byte; `Corrupt` as `merge_into`.
pub fn registers(bytes: &[u8]) -> Result<Box<[u8; REGISTERS]>, Corrupt> {
    let mut registers = Box::new([0u8; REGISTERS]);
    merge_into(&mut registers, bytes)?;
    Ok(registers)
}

#[cfg(test)]
#[path = "hyperloglog_tests.rs"]
mod tests;
