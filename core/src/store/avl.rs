//! An AVL tree with subtree sizes: insert, delete, seek, rank and offset in O(log n).
//!
//! Nodes live in an arena and are named by a stable `NodeId` (a slot index), so that another
//! structure (the sorted set's member table) can point at them. Links are `u32` slot indexes.
//! Every walk is iterative: the depth of an AVL tree is at most ~1.44 log2(n), but nothing here
//! recurses anyway. The shape follows the book's avl.cpp (parent links, fix-up to the root).

use std::cmp::Ordering;

use crate::store::chunked::ChunkedVec;

/// A node's handle, stable for as long as the node is in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(u32);

impl NodeId {
    pub fn index(self) -> u32 {
        self.0
    }

    pub fn from_index(index: u32) -> NodeId {
        NodeId(index)
    }
}

const NIL: u32 = u32::MAX;

/// Most nodes a tree can hold: sizes have 26 bits. An AVL tree of this many nodes is at most
/// ~38 high, well within the 6 bits kept for heights.
pub const NODES_MAX: usize = SIZE_MASK as usize;

#[derive(Debug, Clone, Copy)]
struct Links {
    left: u32,
    right: u32,
    parent: u32,
    /// The subtree's height (top `HEIGHT_BITS` bits) and node count, this node included (the
    /// rest). Packed so that a node's links take 16 bytes, not 20.
    height_and_size: u32,
}

const HEIGHT_BITS: u32 = 6;
const SIZE_BITS: u32 = 32 - HEIGHT_BITS;
const SIZE_MASK: u32 = (1 << SIZE_BITS) - 1;

impl Links {
    fn height(&self) -> u32 {
        self.height_and_size >> SIZE_BITS
    }

    fn size(&self) -> u32 {
        self.height_and_size & SIZE_MASK
    }

    fn set(&mut self, height: u32, size: u32) {
        debug_assert!(height < 1 << HEIGHT_BITS && size <= SIZE_MASK);
        self.height_and_size = height << SIZE_BITS | size;
    }
}

const _: () = assert!(std::mem::size_of::<Links>() == 16);

/// One arena slot. `item` is `None` for a free slot; free slots are chained through
/// `links.parent`.
#[derive(Debug)]
struct Node<T> {
    links: Links,
    item: Option<T>,
}

#[derive(Debug)]
pub struct Avl<T> {
    /// Links and item side by side: a step down the tree touches one cache line, not two.
    nodes: ChunkedVec<Node<T>>,

    root: u32,
    free_head: u32,
    len: usize,
}

impl<T> Default for Avl<T> {
    fn default() -> Self {
        Avl {
            nodes: ChunkedVec::default(),
            root: NIL,
            free_head: NIL,
            len: 0,
        }
    }
}

impl<T> Avl<T> {
    /// The items in no useful order, consuming the tree lazily: its node memory is given back a
    /// chunk at a time as the iterator moves on (see `server::Garbage`).
    pub fn into_items(self) -> impl Iterator<Item = T> {
        self.nodes.into_iter().filter_map(|node| node.item)
    }
}

impl<T: Ord> Avl<T> {
    /// Inserts `item` (equal items go after existing ones) and returns its id.
    pub fn insert(&mut self, item: T) -> NodeId {
        let mut parent = NIL;
        let mut cursor = self.root;
        let mut go_left = false;
        while cursor != NIL {
            parent = cursor;
            go_left = item < *self.item(cursor);
            cursor = if go_left {
                self.nodes[cursor as usize].links.left
            } else {
                self.nodes[cursor as usize].links.right
            };
        }
        let node = self.allocate(item, parent);
        if parent == NIL {
            self.root = node;
        } else if go_left {
            self.nodes[parent as usize].links.left = node;
        } else {
            self.nodes[parent as usize].links.right = node;
        }
        self.root = if parent == NIL {
            node
        } else {
            self.fix_path(parent, 1)
        };
        NodeId(node)
    }
}

impl<T> Avl<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no more nodes fit (see `NODES_MAX`).
    pub fn is_full(&self) -> bool {
        self.len >= NODES_MAX
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, node: NodeId) -> &T {
        self.item(node.0)
    }

    /// Mutable access for changes that keep the item's order (the caller's promise).
    pub fn get_mut_same_order(&mut self, node: NodeId) -> &mut T {
        self.nodes[node.0 as usize]
            .item
            .as_mut()
            .expect("a live node")
    }

    fn item(&self, node: u32) -> &T {
        self.nodes[node as usize]
            .item
            .as_ref()
            .expect("a live node")
    }

    fn allocate(&mut self, item: T, parent: u32) -> u32 {
        assert!(self.len < NODES_MAX, "AVL tree full");
        let links = Links {
            left: NIL,
            right: NIL,
            parent,
            height_and_size: 1 << SIZE_BITS | 1,
        };
        self.len += 1;
        if self.free_head != NIL {
            let node = self.free_head;
            self.free_head = self.nodes[node as usize].links.parent;
            self.nodes[node as usize].links = links;
            self.nodes[node as usize].item = Some(item);
            node
        } else {
            self.nodes.push(Node {
                links,
                item: Some(item),
            });
            (self.nodes.len() - 1) as u32
        }
    }

    fn height(&self, node: u32) -> u32 {
        if node == NIL {
            0
        } else {
            self.nodes[node as usize].links.height()
        }
    }

    fn size(&self, node: u32) -> u32 {
        if node == NIL {
            0
        } else {
            self.nodes[node as usize].links.size()
        }
    }

    fn update(&mut self, node: u32) {
        let Links { left, right, .. } = self.nodes[node as usize].links;
        let height = 1 + self.height(left).max(self.height(right));
        let size = 1 + self.size(left) + self.size(right);
        self.nodes[node as usize].links.set(height, size);
    }

    fn rotate_left(&mut self, node: u32) -> u32 {
        let parent = self.nodes[node as usize].links.parent;
        let new_top = self.nodes[node as usize].links.right;
        let inner = self.nodes[new_top as usize].links.left;
        self.nodes[node as usize].links.right = inner;
        if inner != NIL {
            self.nodes[inner as usize].links.parent = node;
        }
        self.nodes[new_top as usize].links.parent = parent;
        self.nodes[new_top as usize].links.left = node;
        self.nodes[node as usize].links.parent = new_top;
        self.update(node);
        self.update(new_top);
        new_top
    }

    fn rotate_right(&mut self, node: u32) -> u32 {
        let parent = self.nodes[node as usize].links.parent;
        let new_top = self.nodes[node as usize].links.left;
        let inner = self.nodes[new_top as usize].links.right;
        self.nodes[node as usize].links.left = inner;
        if inner != NIL {
            self.nodes[inner as usize].links.parent = node;
        }
        self.nodes[new_top as usize].links.parent = parent;
        self.nodes[new_top as usize].links.right = node;
        self.nodes[node as usize].links.parent = new_top;
        self.update(node);
        self.update(new_top);
        new_top
    }

    /// The left subtree is two taller than the right.
    fn fix_left(&mut self, node: u32) -> u32 {
        let left = self.nodes[node as usize].links.left;
        if self.height(self.nodes[left as usize].links.left)
            < self.height(self.nodes[left as usize].links.right)
        {
            let rotated = self.rotate_left(left);
            self.nodes[node as usize].links.left = rotated;
        }
        self.rotate_right(node)
    }

    /// The right subtree is two taller than the left.
    fn fix_right(&mut self, node: u32) -> u32 {
        let right = self.nodes[node as usize].links.right;
        if self.height(self.nodes[right as usize].links.right)
            < self.height(self.nodes[right as usize].links.left)
        {
            let rotated = self.rotate_right(right);
            self.nodes[node as usize].links.right = rotated;
        }
        self.rotate_left(node)
    }

    /// After a node was added below `node` or removed from below it (`size_delta` +1 or -1),
    /// walks up to the root: sizes change all the way, heights and balance only until a subtree
    /// comes out as high as it was, after which nothing above can need a rotation. That keeps
    /// the common case from reading every sibling on the path. Returns the root.
    fn fix_path(&mut self, mut node: u32, size_delta: i32) -> u32 {
        let mut heights_settled = false;
        while node != NIL {
            let parent = self.nodes[node as usize].links.parent;
            if heights_settled {
                let links = &mut self.nodes[node as usize].links;
                let size = links.size().wrapping_add_signed(size_delta);
                links.set(links.height(), size);
                node = parent;
                continue;
            }
            let old_height = self.height(node);
            self.update(node);
            let left = self.height(self.nodes[node as usize].links.left);
            let right = self.height(self.nodes[node as usize].links.right);
            let top = if left == right + 2 {
                self.fix_left(node)
            } else if right == left + 2 {
                self.fix_right(node)
            } else {
                node
            };
            heights_settled = self.height(top) == old_height;
            if parent == NIL {
                return top;
            }
            if top != node {
                if self.nodes[parent as usize].links.left == node {
                    self.nodes[parent as usize].links.left = top;
                } else {
                    self.nodes[parent as usize].links.right = top;
                }
            }
            node = parent;
        }
        self.root
    }

    /// Detaches a node with at most one child; returns the new root.
    fn detach_easy(&mut self, node: u32) -> u32 {
        let Links {
            left,
            right,
            parent,
            ..
        } = self.nodes[node as usize].links;
        let child = if left != NIL { left } else { right };
        if child != NIL {
            self.nodes[child as usize].links.parent = parent;
        }
        if parent == NIL {
            return child;
        }
        if self.nodes[parent as usize].links.left == node {
            self.nodes[parent as usize].links.left = child;
        } else {
            self.nodes[parent as usize].links.right = child;
        }
        self.fix_path(parent, -1)
    }

    /// Removes a node and returns its item. Other nodes keep their ids.
    pub fn remove(&mut self, node: NodeId) -> T {
        let node = node.0;
        let Links { left, right, .. } = self.nodes[node as usize].links;
        if left == NIL || right == NIL {
            self.root = self.detach_easy(node);
        } else {
            // Detach the successor, then put it where `node` was.
            let mut victim = right;
            while self.nodes[victim as usize].links.left != NIL {
                victim = self.nodes[victim as usize].links.left;
            }
            let root = self.detach_easy(victim);
            let links = self.nodes[node as usize].links;
            self.nodes[victim as usize].links = links;
            for child in [links.left, links.right] {
                if child != NIL {
                    self.nodes[child as usize].links.parent = victim;
                }
            }
            if links.parent == NIL {
                self.root = victim;
            } else {
                self.root = root;
                let parent = links.parent as usize;
                if self.nodes[parent].links.left == node {
                    self.nodes[parent].links.left = victim;
                } else {
                    self.nodes[parent].links.right = victim;
                }
            }
        }
        self.len -= 1;
        self.nodes[node as usize].links.parent = self.free_head;
        self.free_head = node;
        self.nodes[node as usize].item.take().expect("a live node")
    }

    pub fn first(&self) -> Option<NodeId> {
        let mut node = self.root;
        if node == NIL {
            return None;
        }
        while self.nodes[node as usize].links.left != NIL {
            node = self.nodes[node as usize].links.left;
        }
        Some(NodeId(node))
    }

    pub fn last(&self) -> Option<NodeId> {
        let mut node = self.root;
        if node == NIL {
            return None;
        }
        while self.nodes[node as usize].links.right != NIL {
            node = self.nodes[node as usize].links.right;
        }
        Some(NodeId(node))
    }

    /// The first node for which `compare(item)` is not `Less` (items are ordered, so `compare`
    /// must be monotonic: Less for a prefix of the order, then Equal/Greater).
    pub fn seek(&self, mut compare: impl FnMut(&T) -> Ordering) -> Option<NodeId> {
        let mut found = NIL;
        let mut node = self.root;
        while node != NIL {
            if compare(self.item(node)) == Ordering::Less {
                node = self.nodes[node as usize].links.right;
            } else {
                found = node;
                node = self.nodes[node as usize].links.left;
            }
        }
        (found != NIL).then_some(NodeId(found))
    }

    /// The node `delta` places away from `node` in order (the book's avl_offset): O(log n).
    pub fn offset(&self, node: NodeId, delta: i64) -> Option<NodeId> {
        let mut node = node.0;
        let mut position: i64 = 0;
        while position != delta {
            let Links {
                left,
                right,
                parent,
                ..
            } = self.nodes[node as usize].links;
            if position < delta && position + i64::from(self.size(right)) >= delta {
                node = right;
                position += i64::from(self.size(self.nodes[node as usize].links.left)) + 1;
            } else if position > delta && position - i64::from(self.size(left)) <= delta {
                node = left;
                position -= i64::from(self.size(self.nodes[node as usize].links.right)) + 1;
            } else {
                if parent == NIL {
                    return None;
                }
                if self.nodes[parent as usize].links.right == node {
                    position -= i64::from(self.size(left)) + 1;
                } else {
                    position += i64::from(self.size(right)) + 1;
                }
                node = parent;
            }
        }
        Some(NodeId(node))
    }

    /// The node at 0-based `rank`.
    pub fn at_rank(&self, rank: usize) -> Option<NodeId> {
        if rank >= self.len {
            return None;
        }
        let mut node = self.root;
        let mut rank = rank as u32;
        loop {
            let left_size = self.size(self.nodes[node as usize].links.left);
            match rank.cmp(&left_size) {
                Ordering::Less => node = self.nodes[node as usize].links.left,
                Ordering::Equal => return Some(NodeId(node)),
                Ordering::Greater => {
                    rank -= left_size + 1;
                    node = self.nodes[node as usize].links.right;
                }
            }
        }
    }

    /// How many nodes come before `node`.
    pub fn rank(&self, node: NodeId) -> usize {
        let mut node = node.0;
        let mut rank = self.size(self.nodes[node as usize].links.left) as usize;
        loop {
            let parent = self.nodes[node as usize].links.parent;
            if parent == NIL {
                return rank;
            }
            if self.nodes[parent as usize].links.right == node {
                rank += self.size(self.nodes[parent as usize].links.left) as usize + 1;
            }
            node = parent;
        }
    }

    pub fn next(&self, node: NodeId) -> Option<NodeId> {
        let mut node = node.0;
        let right = self.nodes[node as usize].links.right;
        if right != NIL {
            let mut next = right;
            while self.nodes[next as usize].links.left != NIL {
                next = self.nodes[next as usize].links.left;
            }
            return Some(NodeId(next));
        }
        loop {
            let parent = self.nodes[node as usize].links.parent;
            if parent == NIL {
                return None;
            }
            if self.nodes[parent as usize].links.left == node {
                return Some(NodeId(parent));
            }
            node = parent;
        }
    }

    pub fn prev(&self, node: NodeId) -> Option<NodeId> {
        let mut node = node.0;
        let left = self.nodes[node as usize].links.left;
        if left != NIL {
            let mut prev = left;
            while self.nodes[prev as usize].links.right != NIL {
                prev = self.nodes[prev as usize].links.right;
            }
            return Some(NodeId(prev));
        }
        loop {
            let parent = self.nodes[node as usize].links.parent;
            if parent == NIL {
                return None;
            }
            if self.nodes[parent as usize].links.right == node {
                return Some(NodeId(parent));
            }
            node = parent;
        }
    }

    /// Items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        let mut cursor = self.first();
        std::iter::from_fn(move || {
            let node = cursor?;
            cursor = self.next(node);
            Some(self.get(node))
        })
    }

    /// The items from the last to the first, with a stack of the nodes still to visit: each
    /// node's links are read going down only, never again climbing back through parents (a
    /// whole walk, as an RDB file writes a sorted set, reads less than `prev` at every step).
    pub fn iter_rev(&self) -> impl Iterator<Item = &T> + '_ {
        let mut pending = Vec::new();
        let mut node = self.root;
        std::iter::from_fn(move || {
            while node != NIL {
                pending.push(node);
                node = self.nodes[node as usize].links.right;
            }
            let top = pending.pop()?;
            let next = &self.nodes[top as usize];
            node = next.links.left;
            next.item.as_ref()
        })
    }
}

impl<T: Ord> Avl<T> {
    /// Asserts order, balance, heights, sizes, parent links and the free list.
    pub fn check_invariants(&self) {
        if self.root == NIL {
            assert_eq!(self.len, 0);
        } else {
            assert_eq!(self.nodes[self.root as usize].links.parent, NIL);
            assert_eq!(self.size(self.root) as usize, self.len);
        }
        // Iterative post-order-free check: every live node checked against its children.
        let mut live = 0;
        for (index, node) in self.nodes.iter().enumerate() {
            let Some(item) = &node.item else {
                continue;
            };
            live += 1;
            let Links {
                left,
                right,
                height_and_size,
                parent,
            } = self.nodes[index].links;
            let links = self.nodes[index].links;
            assert_eq!(
                links.height(),
                1 + self.height(left).max(self.height(right))
            );
            assert_eq!(links.size(), 1 + self.size(left) + self.size(right));
            let _ = height_and_size;
            assert!(
                self.height(left).abs_diff(self.height(right)) <= 1,
                "unbalanced"
            );
            if left != NIL {
                assert_eq!(self.nodes[left as usize].links.parent, index as u32);
                assert!(self.item(left) <= item, "order");
            }
            if right != NIL {
                assert_eq!(self.nodes[right as usize].links.parent, index as u32);
                assert!(self.item(right) >= item, "order");
            }
            if parent == NIL {
                assert_eq!(self.root, index as u32);
            }
        }
        assert_eq!(live, self.len);
        let mut previous: Option<&T> = None;
        let mut seen = 0;
        for item in self.iter() {
            if let Some(previous) = previous {
                assert!(previous <= item, "in-order walk is sorted");
            }
            previous = Some(item);
            seen += 1;
        }
        assert_eq!(seen, self.len);
        let mut free = 0;
        let mut cursor = self.free_head;
        while cursor != NIL {
            assert!(self.nodes[cursor as usize].item.is_none());
            free += 1;
            cursor = self.nodes[cursor as usize].links.parent;
        }
        assert_eq!(free + self.len, self.nodes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => any::<u16>().prop_map(|key| Op::Insert(key % 512)),
            2 => any::<u16>().prop_map(|key| Op::Remove(key % 512)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_a_sorted_model(ops in proptest::collection::vec(op(), 1..400)) {
            let mut tree: Avl<(u16, u32)> = Avl::default();
            // Model: (key, serial) -> id; serial makes duplicates distinct as the tree keeps them.
            let mut model: BTreeMap<(u16, u32), NodeId> = BTreeMap::new();
            let mut serial = 0u32;
            for op in ops {
                match op {
                    Op::Insert(key) => {
                        serial += 1;
                        let id = tree.insert((key, serial));
                        model.insert((key, serial), id);
                    }
                    Op::Remove(key) => {
                        let found = model.range((key, 0)..=(key, u32::MAX)).next().map(|(k, id)| (*k, *id));
                        if let Some((item, id)) = found {
                            model.remove(&item);
                            prop_assert_eq!(tree.remove(id), item);
                        }
                    }
                }
                tree.check_invariants();
                prop_assert_eq!(tree.len(), model.len());
            }
            let sorted: Vec<(u16, u32)> = model.keys().copied().collect();
            prop_assert_eq!(tree.iter().copied().collect::<Vec<_>>(), sorted.clone());
            let reversed: Vec<_> = sorted.iter().rev().copied().collect();
            prop_assert_eq!(tree.iter_rev().copied().collect::<Vec<_>>(), reversed);
            for (rank, item) in sorted.iter().enumerate() {
                let id = model[item];
                prop_assert_eq!(tree.rank(id), rank);
                prop_assert_eq!(tree.at_rank(rank), Some(id));
                // Every offset from this node, including out of range on both sides.
                for delta in -(rank as i64) - 2..(sorted.len() - rank) as i64 + 2 {
                    let expected = usize::try_from(rank as i64 + delta).ok()
                        .and_then(|target| sorted.get(target))
                        .map(|item| model[item]);
                    prop_assert_eq!(tree.offset(id, delta), expected);
                }
                let seek = tree.seek(|probe| probe.cmp(item));
                prop_assert_eq!(seek, Some(id));
            }
            let past_end = sorted.last().map_or((0, 0), |last| (last.0, last.1 + 1));
            prop_assert_eq!(tree.seek(|probe| probe.cmp(&past_end)), None);
        }
    }

    #[test]
    fn ten_thousand_sequential_inserts_stay_shallow() {
        let mut tree = Avl::default();
        for key in 0..10_000u32 {
            tree.insert(key);
        }
        tree.check_invariants();
        // An AVL tree of n nodes is at most ~1.44 log2(n) high.
        assert!(tree.height(tree.root) <= 20);
        let first = tree.first().unwrap();
        assert_eq!(
            tree.offset(first, 9_999).map(|id| *tree.get(id)),
            Some(9_999)
        );
        assert_eq!(tree.prev(first), None);
        let last = tree.last().unwrap();
        assert_eq!(*tree.get(last), 9_999);
        assert_eq!(tree.next(last), None);
    }
}
