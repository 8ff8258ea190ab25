//! A small sorted set's operations on its listpack: member, score, member, score... in the
//! tree's order (score, then member bytes), a score as an integer when it is one exactly and
//! as a float otherwise. Offsets are those of member entries. Each walk starts at the front:
//! these serve the sets of up to `zset-max-listpack-entries` members (128 by default) that the
//! views in store/zset_value.rs hand over, and are kept out of line so that the tree's path
//! through the views stays short.

use std::cmp::Ordering;

use crate::store::listpack::{self, Entry, Listpack};
use crate::store::zset::ZSet;
use crate::store::zset_value::{MemberText, ZItemRef};

/// Whether an array of `bytes` bytes has room for one more item with `member`.
pub(crate) fn packed_room(bytes: usize, member: &[u8]) -> bool {
    listpack::has_room(bytes, 2, member.len())
}

/// 2^63, the first f64 past `i64::MAX`; -2^63 is `i64::MIN` exactly.
pub(crate) const I64_END: f64 = 9_223_372_036_854_775_808.0;

/// How a score is stored in a listpack: as an integer when it is one exactly, as a float
/// otherwise (fractions, infinities, integers past i64). -0 is stored as 0.
pub(crate) fn score_entry(score: f64) -> Entry<'static> {
    let score = score + 0.0;
    if score.fract() == 0.0 && (-I64_END..I64_END).contains(&score) {
        Entry::Int(score as i64)
    } else {
        Entry::Float(score)
    }
}

/// The score a stored score entry holds. Integers written by `score_entry` are exact.
pub(crate) fn score_of(entry: Entry<'_>) -> f64 {
    match entry {
        Entry::Int(value) => value as f64,
        Entry::Float(value) => value,
        Entry::Bytes(_) => panic!("a sorted set's score is a number"),
    }
}

/// The member at offset `at` with its score, and the offset of the next member (`end()` after
/// the last).
#[inline(never)]
pub(crate) fn packed_item(packed: &Listpack, at: usize) -> (ZItemRef<'_>, usize) {
    let (member, score_at) = packed.entry(at);
    let (score, next) = packed.entry(score_at);
    let item = ZItemRef {
        member: MemberText::of(member),
        score: score_of(score),
    };
    (item, next)
}

/// The offset of the member after the one at `at` (`end()` after the last), without reading
/// either.
pub(crate) fn packed_next(packed: &Listpack, at: usize) -> usize {
    let (_, score_at) = packed.entry(at);
    packed.entry(score_at).1
}

/// The offsets of the members, in order.
pub(crate) fn packed_offsets(packed: &Listpack) -> impl Iterator<Item = usize> + '_ {
    let mut at = Listpack::START;
    std::iter::from_fn(move || {
        let this = at;
        (this < packed.end()).then(|| {
            at = packed_next(packed, this);
            this
        })
    })
}

/// Inserts `member` with `score` where the order puts it (the member must not be there).
pub(crate) fn packed_insert(packed: &mut Listpack, member: &[u8], score: f64) {
    let mut at = Listpack::START;
    while at < packed.end() {
        let (item, next) = packed_item(packed, at);
        if item.cmp_to(score, member) == Ordering::Greater {
            break;
        }
        at = next;
    }
    packed.insert(at, &[Entry::from_bytes(member), score_entry(score)]);
}

/// A small sorted set holding what `zset` holds.
pub(crate) fn packed_from(zset: &ZSet) -> Listpack {
    let mut entries = Vec::with_capacity(zset.len() * 2);
    for item in zset.iter() {
        entries.push(Entry::from_bytes(&item.member));
        entries.push(score_entry(item.score));
    }
    let mut packed = Listpack::new();
    packed.push_all(&entries);
    packed
}

/// The offset of `member` in a small set.
pub(crate) fn packed_find(packed: &Listpack, member: &[u8]) -> Option<usize> {
    packed.find(&Entry::from_bytes(member), 2)
}

/// The score of `member` in a small set.
#[inline(never)]
pub(crate) fn packed_score(packed: &Listpack, member: &[u8]) -> Option<f64> {
    let at = packed_find(packed, member)?;
    let (_, score_at) = packed.entry(at);
    Some(score_of(packed.entry(score_at).0))
}

/// How many items come before the one at offset `at`.
#[inline(never)]
pub(crate) fn packed_rank_of(packed: &Listpack, at: usize) -> usize {
    packed_offsets(packed)
        .position(|offset| offset == at)
        .expect("a position in this set")
}

/// The offset of the item at `rank`.
#[inline(never)]
pub(crate) fn packed_at_rank(packed: &Listpack, rank: usize) -> Option<usize> {
    packed_offsets(packed).nth(rank)
}

/// The offset of the item before the one at `at`.
#[inline(never)]
pub(crate) fn packed_prev(packed: &Listpack, at: usize) -> Option<usize> {
    packed_offsets(packed)
        .take_while(|&offset| offset < at)
        .last()
}

/// The first item for which `compare` is not Less.
#[inline(never)]
pub(crate) fn packed_seek(
    packed: &Listpack,
    mut compare: impl FnMut(&ZItemRef<'_>) -> Ordering,
) -> Option<usize> {
    let mut at = Listpack::START;
    while at < packed.end() {
        let (item, next) = packed_item(packed, at);
        if compare(&item) != Ordering::Less {
            return Some(at);
        }
        at = next;
    }
    None
}

/// Removes `member` from a small set; returns its score.
#[inline(never)]
pub(crate) fn packed_remove(packed: &mut Listpack, member: &[u8]) -> Option<f64> {
    let at = packed_find(packed, member)?;
    let (_, score_at) = packed.entry(at);
    let score = score_of(packed.entry(score_at).0);
    packed.remove(at, 2);
    Some(score)
}

/// Asserts what a stored small sorted set keeps true: not empty, member and score pairs, every
/// score in the one form `score_entry` gives it (never NaN or -0), the order strictly rising
/// (so no item twice), and no member twice. O(n log n).
pub fn check_packed(packed: &Listpack) {
    packed.check_invariants();
    assert!(!packed.is_empty(), "an empty sorted set is deleted");
    assert!(packed.len().is_multiple_of(2), "every member has a score");
    let mut members: Vec<MemberText<'_>> = Vec::with_capacity(packed.len() / 2);
    let mut previous: Option<ZItemRef<'_>> = None;
    let mut entries = packed.iter();
    while let (Some(member), Some(score)) = (entries.next(), entries.next()) {
        assert!(
            matches!(member, Entry::Int(_) | Entry::Bytes(_)),
            "a member is a byte string: {packed:?}"
        );
        assert!(
            !matches!(score, Entry::Bytes(_)),
            "a score is a number: {packed:?}"
        );
        let value = score_of(score);
        assert!(!value.is_nan(), "a score is never NaN: {packed:?}");
        assert!(
            score_entry(value).is(&score),
            "a score is stored in its one form: {packed:?}"
        );
        let item = ZItemRef {
            member: MemberText::of(member),
            score: value,
        };
        if let Some(previous) = previous {
            assert_eq!(
                previous.cmp_to(item.score, &item.member),
                Ordering::Less,
                "in order: {packed:?}"
            );
        }
        previous = Some(item);
        members.push(item.member);
    }
    members.sort_unstable();
    assert!(
        members.windows(2).all(|pair| pair[0] != pair[1]),
        "no member twice: {packed:?}"
    );
}
