//! The TTL heap: a binary min-heap of (deadline, key) whose items know their position.
//!
//! Every time an item lands in a new position the heap tells the owner through a `moved`
//! callback, so the owner (the keyspace) keeps each key's position next to it and can change or
//! remove that key's deadline in O(log n), as the book's heap does with its back-pointers.

/// One deadline. The key is kept here so that the owner can be told where it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapItem {
    pub deadline: i64,
    pub key: Box<[u8]>,
}

#[derive(Debug, Default)]
pub struct TtlHeap {
    items: Vec<HeapItem>,
}

impl TtlHeap {
    /// The items in no useful order, consuming the heap lazily.
    pub fn into_items(self) -> impl Iterator<Item = HeapItem> {
        self.items.into_iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Bytes of its array (not of the keys' own blocks: counting them would visit every item).
    pub fn memory_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<HeapItem>()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn peek(&self) -> Option<&HeapItem> {
        self.items.first()
    }

    pub fn get(&self, position: usize) -> &HeapItem {
        &self.items[position]
    }

    /// Adds an item; `moved(key, position)` is called for every item whose position changes,
    /// the new one included.
    pub fn push(&mut self, item: HeapItem, moved: &mut impl FnMut(&[u8], usize)) {
        assert!(self.items.len() < u32::MAX as usize - 1, "TTL heap full");
        self.items.push(item);
        let last = self.items.len() - 1;
        self.sift_up(last, moved);
    }

    /// Changes the deadline of the item at `position`.
    pub fn update(&mut self, position: usize, deadline: i64, moved: &mut impl FnMut(&[u8], usize)) {
        let old = self.items[position].deadline;
        self.items[position].deadline = deadline;
        if deadline < old {
            self.sift_up(position, moved);
        } else {
            self.sift_down(position, moved);
        }
    }

    /// Removes the item at `position` and returns it.
    pub fn remove(&mut self, position: usize, moved: &mut impl FnMut(&[u8], usize)) -> HeapItem {
        let last = self.items.len() - 1;
        self.items.swap(position, last);
        let removed = self.items.pop().expect("position was in range");
        if position < self.items.len() {
            moved(&self.items[position].key, position);
            // The item moved in from the end may belong above or below its new place.
            let position = self.sift_up(position, moved);
            self.sift_down(position, moved);
        }
        removed
    }

    fn sift_up(&mut self, mut position: usize, moved: &mut impl FnMut(&[u8], usize)) -> usize {
        while position > 0 {
            let parent = (position - 1) / 2;
            if self.items[parent].deadline <= self.items[position].deadline {
                break;
            }
            self.items.swap(parent, position);
            moved(&self.items[position].key, position);
            position = parent;
        }
        moved(&self.items[position].key, position);
        position
    }

    fn sift_down(&mut self, mut position: usize, moved: &mut impl FnMut(&[u8], usize)) {
        loop {
            let left = 2 * position + 1;
            let right = left + 1;
            let mut smallest = position;
            if left < self.items.len() && self.items[left].deadline < self.items[smallest].deadline
            {
                smallest = left;
            }
            if right < self.items.len()
                && self.items[right].deadline < self.items[smallest].deadline
            {
                smallest = right;
            }
            if smallest == position {
                break;
            }
            self.items.swap(smallest, position);
            moved(&self.items[position].key, position);
            position = smallest;
        }
        moved(&self.items[position].key, position);
    }

    /// Every item in heap order (for taking the whole heap apart).
    pub fn items(&self) -> &[HeapItem] {
        &self.items
    }

    /// Asserts the heap property.
    pub fn check_invariants(&self) {
        for position in 1..self.items.len() {
            let parent = (position - 1) / 2;
            assert!(
                self.items[parent].deadline <= self.items[position].deadline,
                "heap order broken at {position}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::{BTreeMap, BinaryHeap};

    #[derive(Debug, Clone)]
    enum Op {
        Push(u8, i16),
        Update(u8, i16),
        Remove(u8),
        PopMin,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), any::<i16>()).prop_map(|(key, deadline)| Op::Push(key % 64, deadline)),
            2 => (any::<u8>(), any::<i16>()).prop_map(|(key, deadline)| Op::Update(key % 64, deadline)),
            1 => any::<u8>().prop_map(|key| Op::Remove(key % 64)),
            1 => Just(Op::PopMin),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Positions reported through `moved` always point at the right item, and the minimum
        /// matches a BinaryHeap rebuilt from the live set.
        #[test]
        fn matches_a_binary_heap(ops in proptest::collection::vec(op(), 1..300)) {
            let mut heap = TtlHeap::default();
            let positions: std::cell::RefCell<BTreeMap<Vec<u8>, usize>> = Default::default();
            let mut model: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
            for op in ops {
                let mut moved = |key: &[u8], position: usize| {
                    positions.borrow_mut().insert(key.to_vec(), position);
                };
                match op {
                    Op::Push(key, deadline) => {
                        let key = vec![key];
                        if model.contains_key(&key) {
                            continue;
                        }
                        model.insert(key.clone(), i64::from(deadline));
                        heap.push(HeapItem { deadline: i64::from(deadline), key: key.into() }, &mut moved);
                    }
                    Op::Update(key, deadline) => {
                        let key = vec![key];
                        let Some(position) = positions.borrow().get(&key).copied() else { continue };
                        if !model.contains_key(&key) { continue; }
                        model.insert(key, i64::from(deadline));
                        heap.update(position, i64::from(deadline), &mut moved);
                    }
                    Op::Remove(key) => {
                        let key = vec![key];
                        if model.remove(&key).is_none() { continue; }
                        let position = positions.borrow_mut().remove(&key).unwrap();
                        let removed = heap.remove(position, &mut moved);
                        prop_assert_eq!(&*removed.key, &key[..]);
                    }
                    Op::PopMin => {
                        if heap.is_empty() { continue; }
                        let removed = heap.remove(0, &mut moved);
                        let expected = model.values().min().copied();
                        prop_assert_eq!(Some(removed.deadline), expected);
                        model.remove(&*removed.key);
                        positions.borrow_mut().remove(&*removed.key);
                    }
                }
                heap.check_invariants();
                prop_assert_eq!(heap.len(), model.len());
                for (key, &position) in positions.borrow().iter() {
                    if model.contains_key(key) {
                        prop_assert_eq!(&*heap.get(position).key, &key[..]);
                    }
                }
                let reference: BinaryHeap<Reverse<i64>> = model.values().map(|&d| Reverse(d)).collect();
                prop_assert_eq!(heap.peek().map(|item| item.deadline), reference.peek().map(|r| r.0));
            }
        }
    }
}
