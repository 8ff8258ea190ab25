//! Hashes: a map from field to value, in one of two encodings, as in Redis.
//!
//! - Small: one `Listpack` holding field, value, field, value... Lookups scan it; an HSET of a
//!   new field appends. For a few dozen short fields this is faster than hashing and costs a
//!   few bytes per field instead of a node each.
//! - Big: our `HashTable`, field -> value. A hash moves there, for good, once it has more than
//!   `hash-max-listpack-entries` fields or is given a field or value longer than
//!   `hash-max-listpack-value` bytes (Redis never converts back either).
//!
//! `Value` holds the two encodings as two kinds (`PackedHash`, `Hash`) so that it stays 24
//! bytes; `HashRef` reads either, `HashMut` changes either and converts when a limit is crossed.

use crate::store::bytes::TinyBytes;
use crate::store::hashtable::HashTable;
use crate::store::listpack::{self, Entry, Listpack};
use crate::value::Value;

/// The big encoding: field -> value.
pub type FieldTable = HashTable<TinyBytes>;

/// When a small encoding must become the big one: more than `entries` elements, or an element
/// longer than `value_bytes` (`*-max-listpack-entries` and `*-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedLimits {
    pub entries: usize,
    pub value_bytes: usize,
}

impl PackedLimits {
    pub fn fits(&self, bytes: &[u8]) -> bool {
        bytes.len() <= self.value_bytes
    }
}

/// A hash to read, whichever its encoding.
#[derive(Clone, Copy)]
pub enum HashRef<'a> {
    Packed(&'a Listpack),
    Table(&'a FieldTable),
}

impl<'a> HashRef<'a> {
    /// The hash in `value`, if it holds one.
    pub fn of(value: &'a Value) -> Option<HashRef<'a>> {
        match value {
            Value::PackedHash(packed) => Some(HashRef::Packed(packed)),
            Value::Hash(table) => Some(HashRef::Table(table)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashRef::Packed(packed) => packed.len() / 2,
            HashRef::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, field: &[u8]) -> Option<Entry<'a>> {
        match *self {
            HashRef::Packed(packed) => {
                let at = packed.find(&Entry::from_bytes(field), 2)?;
                let (_, value_at) = packed.entry(at);
                Some(packed.entry(value_at).0)
            }
            HashRef::Table(table) => table.get(field).map(|value| Entry::Bytes(value)),
        }
    }

    /// Every (field, value) pair: in insertion order for a small hash, slab order for a big one.
    pub fn pairs(&self) -> Vec<(Entry<'a>, Entry<'a>)> {
        match *self {
            HashRef::Packed(packed) => {
                let mut entries = packed.iter();
                let mut pairs = Vec::with_capacity(packed.len() / 2);
                while let (Some(field), Some(value)) = (entries.next(), entries.next()) {
                    pairs.push((field, value));
                }
                pairs
            }
            HashRef::Table(table) => table
                .iter()
                .map(|(field, value)| (Entry::Bytes(field), Entry::Bytes(value)))
                .collect(),
        }
    }

    /// Pair number `index` (below `len()`): O(1) for a big hash, a scan for a small one.
    pub fn pair_at(&self, index: usize) -> (Entry<'a>, Entry<'a>) {
        match *self {
            HashRef::Packed(packed) => {
                let mut entries = packed.iter().skip(index * 2);
                let field = entries.next().expect("index < len");
                let value = entries.next().expect("a field has a value");
                (field, value)
            }
            HashRef::Table(table) => {
                let (field, value) = table.entry_at(index).expect("index < len");
                (Entry::Bytes(field), Entry::Bytes(value))
            }
        }
    }

    /// One HSCAN step: a small hash is returned whole with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Entry<'a>, Entry<'a>)) -> u64 {
        match *self {
            HashRef::Packed(_) => {
                for (field, value) in self.pairs() {
                    visit(field, value);
                }
                0
            }
            HashRef::Table(table) => table.scan(cursor, |field, value| {
                visit(Entry::Bytes(field), Entry::Bytes(value))
            }),
        }
    }
}

/// A hash to change, whichever its encoding; converts it to the big encoding when a change
/// would cross the limits.
pub struct HashMut<'a> {
    value: &'a mut Value,
}

impl<'a> HashMut<'a> {
    /// The hash in `value`, if it holds one.
    pub fn of(value: &'a mut Value) -> Option<HashMut<'a>> {
        matches!(value, Value::PackedHash(_) | Value::Hash(_)).then_some(HashMut { value })
    }

    pub fn get(&self) -> HashRef<'_> {
        HashRef::of(self.value).expect("a hash")
    }

    /// Converts to the big encoding first if writing `field` and `value` as a new or changed
    /// pair could leave the limits behind.
    fn make_room(&mut self, field: &[u8], value: &[u8], limits: PackedLimits, seed: u64) {
        if let Value::PackedHash(packed) = &*self.value {
            let too_long = !limits.fits(field)
                || !limits.fits(value)
                || !listpack::has_room(packed.bytes_len(), 2, field.len() + value.len());
            if too_long || packed.len() / 2 >= limits.entries {
                self.convert(seed);
            }
        }
    }

    /// Moves a small hash to the big encoding.
    pub fn convert(&mut self, seed: u64) {
        let Value::PackedHash(packed) = &*self.value else {
            return;
        };
        let mut table = FieldTable::new(seed);
        let mut entries = packed.iter();
        let mut text = Vec::new();
        while let (Some(field), Some(value)) = (entries.next(), entries.next()) {
            text.clear();
            value.write_text(&mut text);
            table.insert(&field.to_vec(), TinyBytes::new(&text));
        }
        *self.value = Value::Hash(Box::new(table));
    }

    /// Sets `field` to `value`; true if the field is new. A small hash moves to the big
    /// encoding when the field or value is too long, when a new field would be one too many, or
    /// when it has more fields than the limit (lowered since it grew) after an update.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: PackedLimits, seed: u64) -> bool {
        if let Value::PackedHash(packed) = &mut *self.value {
            let fits = limits.fits(field)
                && limits.fits(value)
                && listpack::has_room(packed.bytes_len(), 2, field.len() + value.len());
            if fits {
                if let Some(at) = packed.find(&Entry::from_bytes(field), 2) {
                    let (_, value_at) = packed.entry(at);
                    packed.replace(value_at, Entry::from_bytes(value));
                    // Redis 7.0 checks the count after an update too: a hash left past a
                    // limit lowered since (CONFIG SET) converts on its next write.
                    if packed.len() / 2 > limits.entries {
                        self.convert(seed);
                    }
                    return false;
                }
                if packed.len() / 2 < limits.entries {
                    packed.push_all(&[Entry::from_bytes(field), Entry::from_bytes(value)]);
                    return true;
                }
            }
        }
        self.make_room(field, value, limits, seed);
        match &mut *self.value {
            Value::Hash(table) => table.insert(field, TinyBytes::new(value)).is_none(),
            _ => unreachable!("make_room leaves a big hash"),
        }
    }

    /// Removes `field`; true if it was there. The caller deletes a hash left empty.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut *self.value {
            Value::PackedHash(packed) => match packed.find(&Entry::from_bytes(field), 2) {
                Some(at) => {
                    packed.remove(at, 2);
                    true
                }
                None => false,
            },
            Value::Hash(table) => table.remove(field).is_some(),
            _ => unreachable!("HashMut holds a hash"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, u8),
        Remove(u8),
    }

    /// Fields and values that hit every entry form: integers, non-canonical numbers, text of
    /// various lengths.
    fn text(number: u8) -> Vec<u8> {
        match number % 6 {
            0 => (number / 6).to_string().into_bytes(),
            1 => format!("-{}", number / 6).into_bytes(),
            2 => format!("0{}", number / 6).into_bytes(),
            3 => vec![b'x'; usize::from(number / 6)],
            4 => vec![number, 0, 255],
            _ => format!("field:{number}").into_bytes(),
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), any::<u8>()).prop_map(|(field, value)| Op::Set(field % 48, value)),
            1 => any::<u8>().prop_map(|field| Op::Remove(field % 48)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Every operation agrees with a map, and the encoding is packed exactly while every
        /// pair ever written fit the limits (conversion is one way).
        #[test]
        fn matches_a_model(
            ops in proptest::collection::vec(op(), 1..200),
            entries in 0usize..12,
            value_bytes in 0usize..24,
        ) {
            let limits = PackedLimits { entries, value_bytes };
            let mut value = Value::PackedHash(Listpack::new());
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut ever_too_big = false;
            for op in ops {
                let mut hash = HashMut::of(&mut value).expect("a hash");
                match op {
                    Op::Set(field, content) => {
                        let (field, content) = (text(field), text(content));
                        let new = !model.contains_key(&field);
                        ever_too_big |= field.len() > value_bytes
                            || content.len() > value_bytes
                            || (new && model.len() >= entries);
                        prop_assert_eq!(hash.set(&field, &content, limits, 3), new);
                        model.insert(field, content);
                    }
                    Op::Remove(field) => {
                        let field = text(field);
                        prop_assert_eq!(hash.remove(&field), model.remove(&field).is_some());
                    }
                }
                let read = HashRef::of(&value).expect("a hash");
                prop_assert_eq!(read.len(), model.len());
                prop_assert_eq!(matches!(read, HashRef::Table(_)), ever_too_big);
                if let HashRef::Packed(packed) = read {
                    packed.check_invariants();
                }
            }
            let read = HashRef::of(&value).expect("a hash");
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = read
                .pairs()
                .iter()
                .map(|(field, content)| (field.to_vec(), content.to_vec()))
                .collect();
            pairs.sort();
            let expected: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
            prop_assert_eq!(pairs, expected);
            for (field, content) in &model {
                prop_assert_eq!(read.get(field).map(|entry| entry.to_vec()), Some(content.clone()));
            }
            for index in 0..read.len() {
                let (field, content) = read.pair_at(index);
                prop_assert_eq!(model.get(&field.to_vec()), Some(&content.to_vec()));
            }
        }
    }
}
