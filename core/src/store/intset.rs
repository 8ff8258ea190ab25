//! `IntSet`: a set of i64 kept as a sorted array packed at the smallest width that holds every
//! value, for sets whose members are all integers.
//!
//! Layout: one exactly sized `Box<[u8]>`. Byte 0 is the width, 2, 4 or 8; the values follow in
//! strictly ascending order, each `width` bytes little-endian (two's complement). Inserting a
//! value that needs more bytes than the width re-encodes every value at the new width (an
//! upgrade); removing values never narrows it again, as in Redis, so the width is the smallest
//! that held every value ever inserted.
//!
//! Lookups are binary searches over the array; every insert or remove builds the whole array
//! again (one allocation of the new size), so a change costs O(bytes): the structure is meant for
//! small sets that are converted to a real one past a size limit.
//!
//! `from_bytes` accepts a width of 2, 4 or 8 (wider than the values need is valid: values may
//! have been removed), a length that is whole values, and strictly ascending values; it never
//! panics or allocates more than the input's size.

use std::fmt;

pub use crate::store::listpack::Corrupt;

/// The fewest bytes that hold `value`: 2, 4 or 8.
fn width_for(value: i64) -> usize {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

/// The value at `index` of an array of `width`-byte values (after the width byte).
fn read(bytes: &[u8], width: usize, index: usize) -> i64 {
    let at = 1 + index * width;
    let value = &bytes[at..at + width];
    match width {
        2 => i64::from(i16::from_le_bytes([value[0], value[1]])),
        4 => i64::from(i32::from_le_bytes([value[0], value[1], value[2], value[3]])),
        _ => i64::from_le_bytes([
            value[0], value[1], value[2], value[3], value[4], value[5], value[6], value[7],
        ]),
    }
}

/// Appends `value` in `width` bytes (`value` fits).
fn write(out: &mut Vec<u8>, width: usize, value: i64) {
    out.extend_from_slice(&value.to_le_bytes()[..width]);
}

/// Checks a whole encoding: the width, whole values, strictly ascending.
fn validate(bytes: &[u8]) -> Result<(), Corrupt> {
    let (&width, values) = bytes.split_first().ok_or(Corrupt)?;
    let width = usize::from(width);
    if !matches!(width, 2 | 4 | 8) || values.len() % width != 0 {
        return Err(Corrupt);
    }
    let len = values.len() / width;
    for index in 1..len {
        if read(bytes, width, index - 1) >= read(bytes, width, index) {
            return Err(Corrupt);
        }
    }
    Ok(())
}

/// A sorted set of unique i64 packed at one width; see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    bytes: Box<[u8]>,
}

impl IntSet {
    /// An empty set of width 2.
    pub fn new() -> IntSet {
        IntSet {
            bytes: Box::new([2]),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        (self.bytes.len() - 1) / self.width()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.bytes.len() == 1
    }

    /// Bytes per value: 2, 4 or 8.
    pub fn width(&self) -> usize {
        usize::from(self.bytes[0])
    }

    /// Bytes held, width byte included (what the array costs, less the allocator's rounding).
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// The whole encoding, width byte included; `from_bytes` reads it back.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A set from its encoding, if that encoding is valid (see the module documentation). Never
    /// panics; allocates only the copy.
    pub fn from_bytes(bytes: &[u8]) -> Result<IntSet, Corrupt> {
        validate(bytes)?;
        Ok(IntSet {
            bytes: bytes.into(),
        })
    }

    /// The index of `value`, or the index it would be inserted at.
    fn search(&self, value: i64) -> Result<usize, usize> {
        let width = self.width();
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let found = read(&self.bytes, width, middle);
            if found < value {
                low = middle + 1;
            } else if found > value {
                high = middle;
            } else {
                return Ok(middle);
            }
        }
        Err(low)
    }

    /// Whether `value` is in the set (a binary search).
    pub fn contains(&self, value: i64) -> bool {
        width_for(value) <= self.width() && self.search(value).is_ok()
    }

    /// Adds `value`; true if it was not there. A value wider than the set's width re-encodes
    /// every value at the wider width.
    pub fn insert(&mut self, value: i64) -> bool {
        let width = self.width();
        let needed = width_for(value);
        if needed > width {
            // A value that does not fit the width lies below every value or above them all.
            let len = self.len();
            let mut bytes = Vec::with_capacity(1 + (len + 1) * needed);
            bytes.push(needed as u8);
            if value < 0 {
                write(&mut bytes, needed, value);
            }
            for index in 0..len {
                write(&mut bytes, needed, read(&self.bytes, width, index));
            }
            if value >= 0 {
                write(&mut bytes, needed, value);
            }
            self.bytes = bytes.into_boxed_slice();
            return true;
        }
        let Err(index) = self.search(value) else {
            return false;
        };
        let at = 1 + index * width;
        let mut bytes = Vec::with_capacity(self.bytes.len() + width);
        bytes.extend_from_slice(&self.bytes[..at]);
        write(&mut bytes, width, value);
        bytes.extend_from_slice(&self.bytes[at..]);
        self.bytes = bytes.into_boxed_slice();
        true
    }

    /// Removes `value`; true if it was there. The width stays as it is.
    pub fn remove(&mut self, value: i64) -> bool {
        if width_for(value) > self.width() {
            return false;
        }
        let Ok(index) = self.search(value) else {
            return false;
        };
        let width = self.width();
        let at = 1 + index * width;
        let mut bytes = Vec::with_capacity(self.bytes.len() - width);
        bytes.extend_from_slice(&self.bytes[..at]);
        bytes.extend_from_slice(&self.bytes[at + width..]);
        self.bytes = bytes.into_boxed_slice();
        true
    }

    /// The value at `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        (index < self.len()).then(|| read(&self.bytes, self.width(), index))
    }

    /// The values in ascending order (reversible).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            front: 0,
            back: self.len(),
        }
    }

    /// Asserts a valid width, whole values and strictly ascending values.
    pub fn check_invariants(&self) {
        assert_eq!(
            validate(&self.bytes),
            Ok(()),
            "intset encoding is valid: {:?}",
            self.bytes
        );
    }
}

impl Default for IntSet {
    fn default() -> IntSet {
        IntSet::new()
    }
}

impl fmt::Debug for IntSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The values of an `IntSet` in ascending order.
#[derive(Clone)]
pub struct Iter<'a> {
    set: &'a IntSet,
    /// The next index from the front, and one past the next from the back.
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.front == self.back {
            return None;
        }
        let value = read(&self.set.bytes, self.set.width(), self.front);
        self.front += 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.back - self.front;
        (remaining, Some(remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(read(&self.set.bytes, self.set.width(), self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a IntSet {
    type Item = i64;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Values at and around each width's edges, plus small ones that collide often.
    fn value() -> impl Strategy<Value = i64> {
        let edges: Vec<i64> = vec![
            0,
            1,
            -1,
            i64::from(i16::MAX),
            i64::from(i16::MAX) + 1,
            i64::from(i16::MIN),
            i64::from(i16::MIN) - 1,
            i64::from(i32::MAX),
            i64::from(i32::MAX) + 1,
            i64::from(i32::MIN),
            i64::from(i32::MIN) - 1,
            i64::MAX,
            i64::MAX - 1,
            i64::MIN,
            i64::MIN + 1,
        ];
        prop_oneof![
            4 => -40i64..40,
            2 => prop::sample::select(edges),
            1 => any::<i16>().prop_map(i64::from),
            1 => any::<i32>().prop_map(i64::from),
            1 => any::<i64>(),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i64),
        Remove(i64),
        Contains(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => value().prop_map(Op::Insert),
            2 => value().prop_map(Op::Remove),
            1 => value().prop_map(Op::Contains),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_a_model(ops in prop::collection::vec(op(), 1..200)) {
            let mut set = IntSet::new();
            let mut model: BTreeSet<i64> = BTreeSet::new();
            let mut width = 2;
            for op in ops {
                match op {
                    Op::Insert(value) => {
                        width = width.max(width_for(value));
                        prop_assert_eq!(set.insert(value), model.insert(value));
                    }
                    Op::Remove(value) => prop_assert_eq!(set.remove(value), model.remove(&value)),
                    Op::Contains(value) => prop_assert_eq!(set.contains(value), model.contains(&value)),
                }
                set.check_invariants();
                prop_assert_eq!(set.width(), width);
                prop_assert_eq!(set.len(), model.len());
                prop_assert_eq!(set.bytes_len(), 1 + model.len() * width);
                prop_assert!(set.iter().eq(model.iter().copied()));
                prop_assert!(set.iter().rev().eq(model.iter().rev().copied()));
                for (index, &value) in model.iter().enumerate() {
                    prop_assert_eq!(set.get(index), Some(value));
                    prop_assert!(set.contains(value));
                }
                prop_assert_eq!(set.get(model.len()), None);
                prop_assert_eq!(IntSet::from_bytes(set.as_bytes()), Ok(set.clone()));
            }
        }
    }

    #[test]
    fn exact_encodings_and_upgrades() {
        let mut set = IntSet::new();
        assert_eq!(set.as_bytes(), [2]);
        assert!(set.insert(1));
        assert!(set.insert(-2));
        assert!(!set.insert(1));
        assert_eq!(set.as_bytes(), [2, 0xFE, 0xFF, 1, 0]);
        assert!(set.insert(40000));
        assert_eq!(
            set.as_bytes(),
            [4, 0xFE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 0x40, 0x9C, 0, 0]
        );
        assert!(set.insert(i64::MIN));
        assert_eq!(set.width(), 8);
        assert_eq!(&set.as_bytes()[1..9], i64::MIN.to_le_bytes());
        assert!(set.iter().eq([i64::MIN, -2, 1, 40000]));
        assert!(set.remove(i64::MIN));
        assert!(set.remove(40000));
        assert_eq!(set.width(), 8, "removal never narrows");
        assert_eq!(set.bytes_len(), 1 + 2 * 8);
        assert!(!set.remove(7));
        assert!(!set.contains(7));
        assert_eq!(format!("{set:?}"), "{-2, 1}");
    }

    #[test]
    fn a_value_too_wide_for_the_set_is_absent() {
        let mut set = IntSet::new();
        set.insert(5);
        assert!(!set.contains(i64::MAX));
        assert!(!set.remove(i64::from(i32::MIN)));
        assert_eq!(set.width(), 2);
    }

    #[test]
    fn from_bytes_rejects_bad_encodings() {
        let bad: &[&[u8]] = &[
            &[],
            &[0],
            &[1, 5],
            &[3, 1, 0, 0],
            &[16],
            &[2, 1],
            &[2, 1, 0, 2],
            &[4, 1, 0, 0, 0, 1, 0],
            // Not strictly ascending: a duplicate, then a descending pair.
            &[2, 1, 0, 1, 0],
            &[2, 2, 0, 1, 0],
            &[2, 0, 0, 0xFF, 0xFF],
            &[8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
        ];
        for bytes in bad {
            assert_eq!(IntSet::from_bytes(bytes), Err(Corrupt), "{bytes:?}");
        }
    }

    #[test]
    fn from_bytes_accepts_a_width_wider_than_needed() {
        let bytes = [8, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
        let set = IntSet::from_bytes(&bytes).unwrap();
        set.check_invariants();
        assert!(set.iter().eq([1, 2]));
        assert_eq!(set.as_bytes(), bytes);
        assert_eq!(IntSet::from_bytes(&[4]).unwrap().width(), 4);
    }
}
