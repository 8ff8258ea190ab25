//! Sets, in one of two encodings, as in Redis 7.0.
//!
//! - Integers: an `IntSet`, a sorted packed array, while every member is an integer in
//!   canonical form and there are at most `set-max-intset-entries` of them. 2 to 8 bytes a
//!   member, binary search to find one.
//! - Anything else: our `HashTable` with no values. A set moves there, for good, when it gets a
//!   member that is not an integer or one member too many.
//!
//! Redis 7.2 added a third, packed encoding for small sets of strings; Redis 7.0, which OBJECT
//! ENCODING answers like, has none, and neither has this: a hashtable of a few members with
//! inline keys costs about 40 bytes a member, less than Redis's.
//!
//! `Value` holds the encodings as two kinds (`IntSet`, `Set`) so that it stays 24 bytes;
//! `SetRef` reads either, `SetMut` changes either and converts when needed.

use crate::store::hashtable::HashTable;
use crate::store::intset::IntSet;
use crate::store::listpack::Entry;
use crate::util::number::parse_i64;
use crate::value::Value;

/// The big encoding: members as keys, no values.
pub type MemberTable = HashTable<()>;

/// A member as an intset would hold it, if it can: a canonical integer of at most 20 bytes.
fn as_integer(member: &[u8]) -> Option<i64> {
    if member.len() <= 20 {
        parse_i64(member)
    } else {
        None
    }
}

/// A set to read, whichever its encoding.
#[derive(Clone, Copy)]
pub enum SetRef<'a> {
    Ints(&'a IntSet),
    Table(&'a MemberTable),
}

impl<'a> SetRef<'a> {
    /// The set in `value`, if it holds one.
    pub fn of(value: &'a Value) -> Option<SetRef<'a>> {
        match value {
            Value::IntSet(ints) => Some(SetRef::Ints(ints)),
            Value::Set(table) => Some(SetRef::Table(table)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetRef::Ints(ints) => ints.len(),
            SetRef::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetRef::Ints(ints) => as_integer(member).is_some_and(|number| ints.contains(number)),
            SetRef::Table(table) => table.contains_key(member),
        }
    }

    /// Every member: ascending for an intset, slab order for a table.
    pub fn members(&self) -> Members<'a> {
        match *self {
            SetRef::Ints(ints) => Members::Ints(ints, 0),
            SetRef::Table(table) => Members::Table(table, 0),
        }
    }

    /// Member number `index` (below `len()`), in O(1).
    pub fn member_at(&self, index: usize) -> Entry<'a> {
        match *self {
            SetRef::Ints(ints) => Entry::Int(ints.get(index).expect("index < len")),
            SetRef::Table(table) => Entry::Bytes(table.entry_at(index).expect("index < len").0),
        }
    }

    /// One SSCAN step: an intset is returned whole with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Entry<'a>)) -> u64 {
        match *self {
            SetRef::Ints(ints) => {
                ints.iter().for_each(|number| visit(Entry::Int(number)));
                0
            }
            SetRef::Table(table) => table.scan(cursor, |member, ()| visit(Entry::Bytes(member))),
        }
    }
}

/// The members of a set, without allocating.
pub enum Members<'a> {
    Ints(&'a IntSet, usize),
    Table(&'a MemberTable, usize),
}

impl<'a> Iterator for Members<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        match self {
            Members::Ints(ints, index) => {
                let number = ints.get(*index)?;
                *index += 1;
                Some(Entry::Int(number))
            }
            Members::Table(table, index) => {
                if *index >= table.len() {
                    return None;
                }
                let (member, ()) = table.entry_at(*index)?;
                *index += 1;
                Some(Entry::Bytes(member))
            }
        }
    }
}

/// An empty set in the encoding Redis would start with for `first`, the member about to be
/// added: an intset for an integer, a table otherwise.
pub fn empty_for(first: &[u8], seed: u64) -> Value {
    match as_integer(first) {
        Some(_) => Value::IntSet(IntSet::new()),
        None => Value::Set(Box::new(MemberTable::new(seed))),
    }
}

/// A set to change, whichever its encoding; converts an intset to a table when it must.
pub struct SetMut<'a> {
    value: &'a mut Value,
}

impl<'a> SetMut<'a> {
    /// The set in `value`, if it holds one.
    pub fn of(value: &'a mut Value) -> Option<SetMut<'a>> {
        matches!(value, Value::IntSet(_) | Value::Set(_)).then_some(SetMut { value })
    }

    pub fn get(&self) -> SetRef<'_> {
        SetRef::of(self.value).expect("a set")
    }

    /// Adds `member`; true if it is new. An intset takes integers while it has fewer than
    /// `intset_entries_max` members; anything else moves it to a table first.
    pub fn add(&mut self, member: &[u8], intset_entries_max: usize, seed: u64) -> bool {
        if let Value::IntSet(ints) = &mut *self.value {
            if let Some(number) = as_integer(member) {
                if ints.contains(number) {
                    return false;
                }
                if ints.len() < intset_entries_max {
                    return ints.insert(number);
                }
            }
            self.convert(seed);
        }
        match &mut *self.value {
            Value::Set(table) => table.insert(member, ()).is_none(),
            _ => unreachable!("an intset was converted above"),
        }
    }

    /// Moves an intset to a table.
    fn convert(&mut self, seed: u64) {
        let Value::IntSet(ints) = &*self.value else {
            return;
        };
        let mut table = MemberTable::new(seed);
        let mut text = Vec::with_capacity(20);
        for number in ints.iter() {
            text.clear();
            Entry::Int(number).write_text(&mut text);
            table.insert(&text, ());
        }
        *self.value = Value::Set(Box::new(table));
    }

    /// Removes `member`; true if it was there. The caller deletes a set left empty.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut *self.value {
            Value::IntSet(ints) => as_integer(member).is_some_and(|number| ints.remove(number)),
            Value::Set(table) => table.remove(member).is_some(),
            _ => unreachable!("SetMut holds a set"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Members that are canonical integers (intset material) or not.
    fn member(number: u8) -> Vec<u8> {
        match number % 5 {
            0 | 1 => (i64::from(number) * 1_000_003 - 100_000_000)
                .to_string()
                .into_bytes(),
            2 => (number / 5).to_string().into_bytes(),
            3 => format!("0{}", number / 5).into_bytes(),
            _ => format!("member:{number}").into_bytes(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Every operation agrees with a set, and the encoding is an intset exactly while every
        /// member ever added was an integer and there were never too many (one way).
        #[test]
        fn matches_a_model(
            ops in proptest::collection::vec((any::<bool>(), any::<u8>()), 1..200),
            intset_max in 0usize..12,
        ) {
            let mut value = empty_for(b"1", 5);
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut ever_table = false;
            for (add, number) in ops {
                let text = member(number % 64);
                let mut set = SetMut::of(&mut value).expect("a set");
                if add {
                    let new = !model.contains(&text);
                    ever_table |= new && (as_integer(&text).is_none() || model.len() >= intset_max);
                    prop_assert_eq!(set.add(&text, intset_max, 5), new);
                    model.insert(text);
                } else {
                    prop_assert_eq!(set.remove(&text), model.remove(&text));
                }
                let read = SetRef::of(&value).expect("a set");
                prop_assert_eq!(read.len(), model.len());
                prop_assert_eq!(matches!(read, SetRef::Table(_)), ever_table);
                if let SetRef::Ints(ints) = read {
                    ints.check_invariants();
                }
            }
            let read = SetRef::of(&value).expect("a set");
            let members: BTreeSet<Vec<u8>> = read.members().map(|member| member.to_vec()).collect();
            prop_assert_eq!(&members, &model);
            prop_assert_eq!(read.members().count(), model.len());
            for index in 0..read.len() {
                prop_assert!(model.contains(&read.member_at(index).to_vec()));
            }
            for number in 0..64u8 {
                let text = member(number);
                prop_assert_eq!(read.contains(&text), model.contains(&text));
            }
        }
    }

    #[test]
    fn a_new_set_starts_as_redis_starts_it() {
        assert!(matches!(empty_for(b"12", 0), Value::IntSet(_)));
        assert!(matches!(empty_for(b"012", 0), Value::Set(_)));
        assert!(matches!(empty_for(b"a", 0), Value::Set(_)));
    }
}
