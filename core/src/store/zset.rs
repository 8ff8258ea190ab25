//! The sorted set's big encoding: a member -> node table (our hashtable) plus an AVL tree
//! ordered by (score, member bytes), as in the book. Scores are never NaN (commands reject it),
//! so the order is total; -0 and 0 compare equal, as Redis's `<` on doubles does, and ties go by
//! member. Small sorted sets are a listpack in the same order (store/zset_value.rs).

use std::cmp::Ordering;

use crate::store::avl::{Avl, NodeId};
use crate::store::bytes::SmallBytes;
use crate::store::hashtable::HashTable;

/// One member in score order.
#[derive(Debug, Clone)]
pub struct ZItem {
    pub score: f64,
    /// Inline when short: most members cost no allocation of their own.
    pub member: SmallBytes,
}

impl PartialEq for ZItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ZItem {}

impl PartialOrd for ZItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ZItem {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_scores(self.score, other.score).then_with(|| self.member.cmp(&other.member))
    }
}

/// Score order: numeric, with -0 == 0. NaN never gets in (asserted on insert).
pub fn compare_scores(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).expect("scores are never NaN")
}

/// Most members a sorted set holds (the AVL tree's bound: 67,108,863).
pub const MEMBERS_MAX: usize = crate::store::avl::NODES_MAX;

/// The error a command gives when a sorted set would pass `MEMBERS_MAX`.
pub const FULL_ERROR: &str = "ERR sorted set would exceed 67108863 members";

pub struct ZSet {
    members: HashTable<NodeId>,
    tree: Avl<ZItem>,
}

impl ZSet {
    pub fn new(seed: u64) -> ZSet {
        ZSet {
            members: HashTable::new(seed),
            tree: Avl::default(),
        }
    }

    /// The member table and the tree, for dropping a big set a piece at a time.
    pub fn into_parts(self) -> (HashTable<NodeId>, Avl<ZItem>) {
        (self.members, self.tree)
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Makes room for `members` members before they arrive (a set read from a file), so that
    /// adding them moves none in the member table; `release_reserve` ends it.
    pub fn reserve(&mut self, members: usize) {
        self.members.reserve(members);
    }

    pub fn release_reserve(&mut self) {
        self.members.release_reserve();
    }

    /// Whether `additional` new members would still fit (at most `MEMBERS_MAX`). Commands check
    /// this before inserting; `insert` past the limit is a bug and panics.
    pub fn has_room(&self, additional: usize) -> bool {
        self.len().saturating_add(additional) <= MEMBERS_MAX
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Bytes held by the member table and the tree's items, roughly (MEMORY USAGE).
    pub fn memory_bytes(&self) -> usize {
        self.members.memory_bytes() + self.len() * (std::mem::size_of::<ZItem>() + 12)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        let node = *self.members.get(member)?;
        Some(self.tree.get(node).score)
    }

    /// Adds or moves `member`; returns its previous score.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        self.upsert(member, |_| Some(score)).0
    }

    /// Looks `member` up once and lets `decide` pick its score from the current one (`None` if
    /// absent); `decide` returning `None` leaves the set as it was. Returns the old score and
    /// the score `decide` chose, as computed (the reply of ZADD INCR and ZINCRBY).
    ///
    /// -0 is stored as 0: small sorted sets in Redis (listpack) keep scores as text and turn -0
    /// into 0, and those are the sets people see most. An unchanged score (by `==`, as Redis
    /// compares) leaves the member where it is.
    pub fn upsert(
        &mut self,
        member: &[u8],
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) -> (Option<f64>, Option<f64>) {
        let (slot, inserted) = self
            .members
            .get_or_insert_with(member, || NodeId::from_index(u32::MAX));
        if inserted {
            let Some(score) = decide(None) else {
                self.members.remove(member);
                return (None, None);
            };
            assert!(
                !score.is_nan(),
                "NaN scores are rejected before they get here"
            );
            assert!(!self.tree.is_full(), "callers check has_room first");
            *slot = self.tree.insert(ZItem {
                score: score + 0.0,
                member: member.into(),
            });
            return (None, Some(score));
        }
        let node = *slot;
        let old = self.tree.get(node).score;
        let Some(score) = decide(Some(old)) else {
            return (Some(old), None);
        };
        assert!(
            !score.is_nan(),
            "NaN scores are rejected before they get here"
        );
        if old != score {
            let mut item = self.tree.remove(node);
            item.score = score + 0.0;
            *slot = self.tree.insert(item);
        }
        (Some(old), Some(score))
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let node = self.members.remove(member)?;
        Some(self.tree.remove(node).score)
    }

    /// Removes the item at `node` and returns it; other nodes keep their ids.
    pub fn remove_node(&mut self, node: NodeId) -> ZItem {
        let item = self.tree.remove(node);
        self.members.remove(&item.member);
        item
    }

    /// 0-based position in score order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let node = *self.members.get(member)?;
        Some(self.tree.rank(node))
    }

    pub fn item(&self, node: NodeId) -> &ZItem {
        self.tree.get(node)
    }

    pub fn at_rank(&self, rank: usize) -> Option<NodeId> {
        self.tree.at_rank(rank)
    }

    pub fn rank_of(&self, node: NodeId) -> usize {
        self.tree.rank(node)
    }

    pub fn next(&self, node: NodeId) -> Option<NodeId> {
        self.tree.next(node)
    }

    pub fn prev(&self, node: NodeId) -> Option<NodeId> {
        self.tree.prev(node)
    }

    pub fn offset(&self, node: NodeId, delta: i64) -> Option<NodeId> {
        self.tree.offset(node, delta)
    }

    /// The first item for which `compare` is not Less (see `Avl::seek`).
    pub fn seek(&self, compare: impl FnMut(&ZItem) -> Ordering) -> Option<NodeId> {
        self.tree.seek(compare)
    }

    pub fn first(&self) -> Option<NodeId> {
        self.tree.first()
    }

    pub fn last(&self) -> Option<NodeId> {
        self.tree.last()
    }

    /// One SCAN step over the members (see `HashTable::scan`).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        self.members.scan(cursor, |member, node| {
            visit(member, self.tree.get(*node).score)
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &ZItem> + '_ {
        self.tree.iter()
    }

    /// The items from the highest to the lowest.
    pub fn iter_rev(&self) -> impl Iterator<Item = &ZItem> + '_ {
        self.tree.iter_rev()
    }

    pub fn check_invariants(&self) {
        self.tree.check_invariants();
        self.members.check_invariants();
        assert_eq!(self.members.len(), self.tree.len());
        for (member, node) in self.members.iter() {
            assert_eq!(
                &*self.tree.get(*node).member,
                member,
                "table points at its node"
            );
        }
    }
}

impl Clone for ZSet {
    /// COPY duplicates a sorted set. The copy gets the same hash seed.
    fn clone(&self) -> ZSet {
        let mut copy = ZSet::new(self.members.seed());
        for item in self.iter() {
            copy.insert(&item.member, item.score);
        }
        copy
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|item| (String::from_utf8_lossy(&item.member), item.score)),
            )
            .finish()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.member == b.member && a.score.to_bits() == b.score.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, i8),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), any::<i8>()).prop_map(|(member, score)| Op::Insert(member % 64, score % 8)),
            1 => any::<u8>().prop_map(|member| Op::Remove(member % 64)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_a_model(ops in proptest::collection::vec(op(), 1..300)) {
            let mut zset = ZSet::new(7);
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(member, score) => {
                        let member = vec![b'm', member];
                        let score = f64::from(score) / 2.0;
                        prop_assert_eq!(zset.insert(&member, score), model.insert(member, score));
                    }
                    Op::Remove(member) => {
                        let member = vec![b'm', member];
                        prop_assert_eq!(zset.remove(&member), model.remove(&member));
                    }
                }
                zset.check_invariants();
            }
            let mut sorted: Vec<(f64, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
            sorted.sort_by(|a, b| compare_scores(a.0, b.0).then_with(|| a.1.cmp(&b.1)));
            let got: Vec<(f64, Vec<u8>)> = zset.iter().map(|item| (item.score, item.member.to_vec())).collect();
            prop_assert_eq!(&got, &sorted);
            for (rank, (_, member)) in sorted.iter().enumerate() {
                prop_assert_eq!(zset.rank(member), Some(rank));
            }
        }
    }

    #[test]
    fn negative_zero_ties_with_zero_and_orders_by_member() {
        let mut zset = ZSet::new(1);
        zset.insert(b"b", 0.0);
        zset.insert(b"a", -0.0);
        let members: Vec<&[u8]> = zset.iter().map(|item| &*item.member).collect();
        assert_eq!(members, vec![&b"a"[..], &b"b"[..]]);
    }
}
