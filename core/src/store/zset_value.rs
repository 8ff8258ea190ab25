//! Sorted sets in either of two encodings, as in Redis 7.0.
//!
//! - Small: one `Listpack` holding member, score, member, score... in the tree's order: by
//!   score (-0 stored as 0), ties by the member's bytes. A member is stored as the listpack
//!   stores any byte string (a canonical integer as that integer, but ordered by its text, as
//!   every member is); a score as an integer when it is one exactly (1 to 9 bytes), otherwise
//!   as a float (9 bytes). Finding a member scans the members; a change builds the array again.
//! - Big: `ZSet` (store/zset.rs), a member table plus an AVL tree. A sorted set moves there,
//!   for good, when a new member would make it longer than `zset-max-listpack-entries` or is
//!   longer than `zset-max-listpack-value` bytes (Redis never converts back either). A set whose
//!   first member is already too long, or made while the entries limit is 0, starts there; a
//!   computed result (ZUNIONSTORE, ZRANGESTORE...) is stored small when it fits both limits.
//!   Whatever the limits, a small set's array stays under 1 GiB (`listpack::BYTES_MAX`).
//!
//! `Value` holds the two as two kinds (`PackedZSet`, `ZSet`) so that it stays 24 bytes; the
//! commands never match on them: `ZSetRef` reads either, `ZSetMut` changes either and converts.
//!
//! A place in the order is a `Pos`: a tree node, or the byte offset of a member in the
//! listpack. On a small set `next` is O(1), while `prev`, `rank_of`, `at_rank`, `offset`,
//! `last`, `seek` and every lookup by member walk from the start: O(n), meant for the 128
//! members (by default) that the limits leave in a small set. A backward `walk` collects the
//! offsets once rather than stepping back one member at a time. The small encoding's operations
//! (store/zset_packed.rs) are kept out of line (`inline(never)`), so that the views' dispatch inlines into the commands
//! with the tree's path alone, which then costs nearly what it did without the views.
//!
//! Items are handed out by value (`ZItemRef`): the score, and the member as a `MemberText` that
//! borrows the stored bytes or, for a member the listpack holds as an integer, writes its digits
//! into an inline buffer. Reading allocates nothing either way.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

use crate::reply::integer_text;
use crate::store::avl::NodeId;
use crate::store::hash::PackedLimits;
use crate::store::listpack::{self, Entry, Listpack};
use crate::store::zset::{compare_scores, ZItem, ZSet, MEMBERS_MAX};
use crate::store::zset_packed::{
    check_packed, packed_at_rank, packed_find, packed_from, packed_insert, packed_item,
    packed_next, packed_offsets, packed_prev, packed_rank_of, packed_remove, packed_room,
    packed_score, packed_seek, score_of,
};
use crate::value::Value;

/// A member's bytes without an allocation: borrowed from the set, or the decimal digits of a
/// member a listpack holds as an integer, in an inline buffer. Derefs to the bytes.
#[derive(Clone, Copy)]
pub struct MemberText<'a>(Text<'a>);

#[derive(Clone, Copy)]
enum Text<'a> {
    Borrowed(&'a [u8]),
    /// Right-aligned digits: the text is `digits[start..]` (i64::MIN takes all 20 bytes).
    Digits {
        digits: [u8; 20],
        start: u8,
    },
}

impl<'a> MemberText<'a> {
    /// Bytes held elsewhere.
    #[inline]
    pub fn borrowed(bytes: &'a [u8]) -> MemberText<'a> {
        MemberText(Text::Borrowed(bytes))
    }

    /// The text of a stored member entry.
    pub(crate) fn of(entry: Entry<'a>) -> MemberText<'a> {
        match entry {
            Entry::Bytes(bytes) => MemberText::borrowed(bytes),
            Entry::Int(value) => {
                let mut digits = [0u8; 20];
                let len = integer_text(value, &mut digits).len();
                MemberText(Text::Digits {
                    digits,
                    start: (digits.len() - len) as u8,
                })
            }
            Entry::Float(_) => panic!("a sorted set's member is a byte string"),
        }
    }
}

impl Deref for MemberText<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Text::Borrowed(bytes) => bytes,
            Text::Digits { digits, start } => &digits[usize::from(*start)..],
        }
    }
}

impl PartialEq for MemberText<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for MemberText<'_> {}

impl PartialOrd for MemberText<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// By bytes, as members are ordered.
impl Ord for MemberText<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl fmt::Debug for MemberText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// One member and its score, read from either encoding.
#[derive(Debug, Clone, Copy)]
pub struct ZItemRef<'a> {
    pub member: MemberText<'a>,
    pub score: f64,
}

impl<'a> ZItemRef<'a> {
    #[inline]
    fn of(item: &'a ZItem) -> ZItemRef<'a> {
        ZItemRef {
            member: MemberText::borrowed(&item.member),
            score: item.score,
        }
    }

    /// The set's order: by score, then by member bytes.
    pub fn cmp_to(&self, score: f64, member: &[u8]) -> Ordering {
        compare_scores(self.score, score).then_with(|| (*self.member).cmp(member))
    }
}

/// A place in a sorted set's order, valid until the set changes: a tree node, or the byte
/// offset of a member in a listpack. Only the set it came from can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos(usize);

impl Pos {
    #[inline]
    fn of_node(node: NodeId) -> Pos {
        Pos(node.index() as usize)
    }

    #[inline]
    fn node(self) -> NodeId {
        NodeId::from_index(self.0 as u32)
    }
}

/// A sorted set to read, whichever its encoding.
#[derive(Clone, Copy)]
pub enum ZSetRef<'a> {
    Packed(&'a Listpack),
    Tree(&'a ZSet),
}

impl<'a> ZSetRef<'a> {
    /// The sorted set in `value`, if it holds one.
    #[inline]
    pub fn of(value: &'a Value) -> Option<ZSetRef<'a>> {
        match value {
            Value::PackedZSet(packed) => Some(ZSetRef::Packed(packed)),
            Value::ZSet(zset) => Some(ZSetRef::Tree(zset)),
            _ => None,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            ZSetRef::Packed(packed) => packed.len() / 2,
            ZSetRef::Tree(zset) => zset.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match *self {
            ZSetRef::Packed(packed) => packed_score(packed, member),
            ZSetRef::Tree(zset) => zset.score(member),
        }
    }

    /// 0-based position of `member` in score order.
    #[inline]
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match *self {
            ZSetRef::Packed(packed) => Some(packed_rank_of(packed, packed_find(packed, member)?)),
            ZSetRef::Tree(zset) => zset.rank(member),
        }
    }

    #[inline]
    pub fn item(&self, pos: Pos) -> ZItemRef<'a> {
        match *self {
            ZSetRef::Packed(packed) => packed_item(packed, pos.0).0,
            ZSetRef::Tree(zset) => ZItemRef::of(zset.item(pos.node())),
        }
    }

    #[inline]
    pub fn at_rank(&self, rank: usize) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => packed_at_rank(packed, rank).map(Pos),
            ZSetRef::Tree(zset) => zset.at_rank(rank).map(Pos::of_node),
        }
    }

    /// How many items come before `pos`.
    #[inline]
    pub fn rank_of(&self, pos: Pos) -> usize {
        match *self {
            ZSetRef::Packed(packed) => packed_rank_of(packed, pos.0),
            ZSetRef::Tree(zset) => zset.rank_of(pos.node()),
        }
    }

    #[inline]
    pub fn next(&self, pos: Pos) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => {
                let next = packed_next(packed, pos.0);
                (next < packed.end()).then_some(Pos(next))
            }
            ZSetRef::Tree(zset) => zset.next(pos.node()).map(Pos::of_node),
        }
    }

    #[inline]
    pub fn prev(&self, pos: Pos) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => packed_prev(packed, pos.0).map(Pos),
            ZSetRef::Tree(zset) => zset.prev(pos.node()).map(Pos::of_node),
        }
    }

    /// The item `delta` places away from `pos` in order (negative: before it).
    #[inline]
    pub fn offset(&self, pos: Pos, delta: i64) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(_) => {
                let rank = i64::try_from(self.rank_of(pos)).ok()?.checked_add(delta)?;
                self.at_rank(usize::try_from(rank).ok()?)
            }
            ZSetRef::Tree(zset) => zset.offset(pos.node(), delta).map(Pos::of_node),
        }
    }

    #[inline]
    pub fn first(&self) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => (!packed.is_empty()).then_some(Pos(Listpack::START)),
            ZSetRef::Tree(zset) => zset.first().map(Pos::of_node),
        }
    }

    #[inline]
    pub fn last(&self) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => packed_offsets(packed).last().map(Pos),
            ZSetRef::Tree(zset) => zset.last().map(Pos::of_node),
        }
    }

    /// The first item for which `compare` is not Less; `compare` must be Less for a prefix of
    /// the order and not Less after it.
    #[inline]
    pub fn seek(&self, mut compare: impl FnMut(&ZItemRef<'_>) -> Ordering) -> Option<Pos> {
        match *self {
            ZSetRef::Packed(packed) => packed_seek(packed, compare).map(Pos),
            ZSetRef::Tree(zset) => zset
                .seek(|item| compare(&ZItemRef::of(item)))
                .map(Pos::of_node),
        }
    }

    /// The book's range query (ZQUERY): from the first member at or after (score, member), move
    /// `offset` places (negative allowed), then take members while fewer than `limit` array
    /// elements (two per member) are out, so limit 3 gives two members.
    pub fn query(&self, score: f64, member: &[u8], offset: i64, limit: i64) -> Vec<Pos> {
        let mut pos = self
            .seek(|item| item.cmp_to(score, member))
            .and_then(|pos| self.offset(pos, offset));
        let mut found = Vec::new();
        let mut elements = 0i64;
        while let Some(current) = pos {
            if elements >= limit {
                break;
            }
            found.push(current);
            elements += 2;
            pos = self.next(current);
        }
        found
    }

    /// One ZSCAN step (see `HashTable::scan`); a small set is visited whole, in order, and the
    /// cursor is 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match *self {
            ZSetRef::Packed(_) => {
                for item in self.iter() {
                    visit(&item.member, item.score);
                }
                0
            }
            ZSetRef::Tree(zset) => zset.scan(cursor, visit),
        }
    }

    /// Every item in order.
    #[inline]
    pub fn iter(&self) -> Walk<'a> {
        self.walk(self.first(), self.len(), false)
    }

    /// Up to `len` items from `first` (none if `first` is None), forwards or backwards.
    #[inline]
    pub fn walk(&self, first: Option<Pos>, len: usize, reverse: bool) -> Walk<'a> {
        let Some(first) = first else {
            return Walk {
                way: Way::Nothing,
                left: 0,
            };
        };
        let way = match *self {
            ZSetRef::Tree(zset) => Way::Tree {
                zset,
                node: first.node(),
                reverse,
            },
            ZSetRef::Packed(packed) if reverse => Way::PackedBack {
                packed,
                offsets: packed_offsets(packed)
                    .take_while(|&at| at <= first.0)
                    .collect(),
            },
            ZSetRef::Packed(packed) => Way::Packed {
                packed,
                at: first.0,
            },
        };
        Walk { way, left: len }
    }

    /// Visits the items at `ranks` (each below `len()`), in that order: one descent each in a
    /// tree, one walk in all for a small set.
    pub fn for_ranks(&self, ranks: &[usize], mut visit: impl FnMut(ZItemRef<'a>)) {
        match *self {
            ZSetRef::Packed(packed) => {
                let offsets: Vec<usize> = packed_offsets(packed).collect();
                for &rank in ranks {
                    visit(packed_item(packed, offsets[rank]).0);
                }
            }
            ZSetRef::Tree(zset) => {
                for &rank in ranks {
                    visit(ZItemRef::of(
                        zset.item(zset.at_rank(rank).expect("rank < len")),
                    ));
                }
            }
        }
    }

    /// Asserts the structure's invariants (see `check_packed` and `ZSet::check_invariants`).
    pub fn check_invariants(&self) {
        match self {
            ZSetRef::Packed(packed) => check_packed(packed),
            ZSetRef::Tree(zset) => zset.check_invariants(),
        }
    }
}

/// Items of a sorted set in order or in reverse, without allocating except to walk a small set
/// backwards (its offsets, once).
pub struct Walk<'a> {
    way: Way<'a>,
    left: usize,
}

enum Way<'a> {
    Tree {
        zset: &'a ZSet,
        node: NodeId,
        reverse: bool,
    },
    /// Forwards through a listpack.
    Packed { packed: &'a Listpack, at: usize },
    /// Backwards through a listpack: the members' offsets up to the first item, taken from the
    /// end.
    PackedBack {
        packed: &'a Listpack,
        offsets: Vec<usize>,
    },
    /// An empty walk.
    Nothing,
}

impl<'a> Iterator for Walk<'a> {
    type Item = ZItemRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<ZItemRef<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let more = self.left > 0;
        match &mut self.way {
            Way::Tree {
                zset,
                node,
                reverse,
            } => {
                let current = *node;
                if more {
                    let step = if *reverse {
                        zset.prev(current)
                    } else {
                        zset.next(current)
                    };
                    match step {
                        Some(step) => *node = step,
                        None => self.left = 0,
                    }
                }
                Some(ZItemRef::of(zset.item(current)))
            }
            Way::Packed { packed, at } => {
                if *at >= packed.end() {
                    self.left = 0;
                    return None;
                }
                let (item, next) = packed_item(packed, *at);
                *at = next;
                Some(item)
            }
            Way::PackedBack { packed, offsets } => {
                let at = offsets.pop()?;
                Some(packed_item(packed, at).0)
            }
            Way::Nothing => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// An empty sorted set in the encoding Redis 7.0 starts one in, `first` being the first member
/// about to be added: small, unless the limits allow no small set or `first` is too long.
pub fn empty_for(first: &[u8], limits: PackedLimits, seed: u64) -> Value {
    if limits.entries > 0 && limits.fits(first) && packed_room(Listpack::START, first) {
        Value::PackedZSet(Listpack::new())
    } else {
        Value::ZSet(Box::new(ZSet::new(seed)))
    }
}

/// A computed sorted set (ZUNIONSTORE, ZRANGESTORE...) as it is stored: small when it has at
/// most `limits.entries` members, none longer than `limits.value_bytes`, as Redis converts its
/// results; the tree otherwise.
pub fn stored(zset: ZSet, limits: PackedLimits) -> Value {
    let mut bytes = Listpack::START;
    let fits = zset.len() <= limits.entries
        && zset.iter().all(|item| {
            let room = limits.fits(&item.member) && packed_room(bytes, &item.member);
            bytes += item.member.len() + 2 * listpack::ENTRY_OVERHEAD_MAX;
            room
        });
    if fits {
        Value::PackedZSet(packed_from(&zset))
    } else {
        Value::ZSet(Box::new(zset))
    }
}

/// A sorted set to change, whichever its encoding; converts a small one to the tree when a new
/// member would cross the limits.
pub struct ZSetMut<'a> {
    value: &'a mut Value,
}

impl<'a> ZSetMut<'a> {
    /// The sorted set in `value`, if it holds one.
    #[inline]
    pub fn of(value: &'a mut Value) -> Option<ZSetMut<'a>> {
        matches!(value, Value::PackedZSet(_) | Value::ZSet(_)).then_some(ZSetMut { value })
    }

    #[inline]
    pub fn get(&self) -> ZSetRef<'_> {
        ZSetRef::of(self.value).expect("a sorted set")
    }

    /// Whether `additional` new members would still fit (at most `MEMBERS_MAX`). Commands check
    /// this before inserting; inserting past the limit is a bug and panics.
    #[inline]
    pub fn has_room(&self, additional: usize) -> bool {
        let len = match &*self.value {
            Value::ZSet(zset) => zset.len(),
            Value::PackedZSet(packed) => packed.len() / 2,
            _ => unreachable!("ZSetMut holds a sorted set"),
        };
        len.saturating_add(additional) <= MEMBERS_MAX
    }

    /// Adds or moves `member`; returns its previous score.
    #[inline]
    pub fn insert(
        &mut self,
        member: &[u8],
        score: f64,
        limits: PackedLimits,
        seed: u64,
    ) -> Option<f64> {
        self.upsert(member, |_| Some(score), limits, seed).0
    }

    /// Looks `member` up once and lets `decide` pick its score from the current one (`None` if
    /// absent); `decide` returning `None` leaves the set as it was. Returns the old score and
    /// the score `decide` chose, as computed (see `ZSet::upsert`: -0 is stored as 0, and an
    /// unchanged score leaves the member where it is).
    ///
    /// A small set moves to the tree first when a new member would make it longer than
    /// `limits.entries` or is longer than `limits.value_bytes`; `seed` seeds the tree's table.
    #[inline]
    pub fn upsert(
        &mut self,
        member: &[u8],
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
        limits: PackedLimits,
        seed: u64,
    ) -> (Option<f64>, Option<f64>) {
        if let Value::ZSet(zset) = &mut *self.value {
            return zset.upsert(member, decide);
        }
        self.upsert_packed(member, decide, limits, seed)
    }

    /// `upsert` on a small set, converting it when the new member does not fit.
    #[inline(never)]
    fn upsert_packed(
        &mut self,
        member: &[u8],
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
        limits: PackedLimits,
        seed: u64,
    ) -> (Option<f64>, Option<f64>) {
        let score = match &mut *self.value {
            Value::PackedZSet(packed) => {
                if let Some(at) = packed_find(packed, member) {
                    let (_, score_at) = packed.entry(at);
                    let old = score_of(packed.entry(score_at).0);
                    let Some(score) = decide(Some(old)) else {
                        return (Some(old), None);
                    };
                    assert!(
                        !score.is_nan(),
                        "NaN scores are rejected before they get here"
                    );
                    if old != score {
                        packed.remove(at, 2);
                        packed_insert(packed, member, score + 0.0);
                    }
                    return (Some(old), Some(score));
                }
                let Some(score) = decide(None) else {
                    return (None, None);
                };
                assert!(
                    !score.is_nan(),
                    "NaN scores are rejected before they get here"
                );
                let room = packed.len() / 2 < limits.entries
                    && limits.fits(member)
                    && packed_room(packed.bytes_len(), member);
                if room {
                    packed_insert(packed, member, score + 0.0);
                    return (None, Some(score));
                }
                score
            }
            _ => unreachable!("upsert handled a tree"),
        };
        self.convert(seed);
        match &mut *self.value {
            Value::ZSet(zset) => {
                assert!(zset.has_room(1), "callers check has_room first");
                zset.insert(member, score);
            }
            _ => unreachable!("a small sorted set was converted above"),
        }
        (None, Some(score))
    }

    /// Moves a small sorted set to the tree (a tree stays as it is).
    pub fn convert(&mut self, seed: u64) {
        let Value::PackedZSet(packed) = &*self.value else {
            return;
        };
        let mut zset = ZSet::new(seed);
        for item in ZSetRef::Packed(packed).iter() {
            zset.insert(&item.member, item.score);
        }
        *self.value = Value::ZSet(Box::new(zset));
    }

    /// Removes `member`; returns its score. The caller deletes a set left empty.
    #[inline]
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut *self.value {
            Value::PackedZSet(packed) => packed_remove(packed, member),
            Value::ZSet(zset) => zset.remove(member),
            _ => unreachable!("ZSetMut holds a sorted set"),
        }
    }

    /// Removes the item at `pos` (from `get()`, with no change since).
    #[inline]
    pub fn remove_at(&mut self, pos: Pos) {
        match &mut *self.value {
            Value::PackedZSet(packed) => packed.remove(pos.0, 2),
            Value::ZSet(zset) => {
                zset.remove_node(pos.node());
            }
            _ => unreachable!("ZSetMut holds a sorted set"),
        }
    }

    /// Removes `len` items in order starting at `first` (from `get()`, with no change since);
    /// there must be that many.
    pub fn remove_run(&mut self, first: Pos, len: usize) {
        match &mut *self.value {
            Value::PackedZSet(packed) => packed.remove(first.0, len * 2),
            Value::ZSet(zset) => {
                let mut node = Some(first.node());
                for _ in 0..len {
                    let current = node.expect("as many items as asked");
                    node = zset.next(current);
                    // Other nodes keep their ids, so `node` stays valid.
                    zset.remove_node(current);
                }
            }
            _ => unreachable!("ZSetMut holds a sorted set"),
        }
    }
}

#[cfg(test)]
#[path = "zset_value_tests.rs"]
mod tests;
