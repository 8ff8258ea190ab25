use super::*;
use crate::store::zset_packed::{score_entry, I64_END};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Members in every form a listpack gives them: canonical integers (stored as integers but
/// ordered by their text), 20-byte ones, numbers that are not canonical, text from 0 to 15 bytes
/// (around every value limit the tests draw), binary.
fn member(number: u8) -> Vec<u8> {
    let number = number % 48;
    match number % 6 {
        0 => (u32::from(number) * 37).to_string().into_bytes(),
        1 => format!("-{}", number / 6).into_bytes(),
        2 => format!("0{}", number / 6).into_bytes(),
        3 => vec![b'x'; usize::from(number / 3)],
        4 => vec![number, 0, 255],
        _ => (i64::MIN + i64::from(number)).to_string().into_bytes(),
    }
}

/// Scores in every stored form: both zeros, small integers and fractions (so that scores tie),
/// infinities, integers at and past i64's ends, tiny and huge doubles.
const SCORES: [f64; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    7.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -1e-300,
    I64_END,
    -I64_END,
    9_007_199_254_740_994.0,
    9.2e18,
    -2.5,
];

#[derive(Debug, Clone)]
enum Op {
    /// ZADD member score.
    Add(u8, u8),
    /// ZINCRBY: refused (no change) when the sum is NaN.
    Incr(u8, u8),
    /// An upsert that decides to change nothing (ZADD XX of an absent member, NX of a present
    /// one).
    Keep(u8),
    Remove(u8),
    PopMin,
    PopMax,
    /// Removes up to `len` items from rank `rank % len()`.
    RemoveRun(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), any::<u8>()).prop_map(|(m, s)| Op::Add(m, s)),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(m, s)| Op::Incr(m, s)),
        1 => any::<u8>().prop_map(Op::Keep),
        2 => any::<u8>().prop_map(Op::Remove),
        1 => Just(Op::PopMin),
        1 => Just(Op::PopMax),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(r, l)| Op::RemoveRun(r, l % 4)),
    ]
}

fn score(index: u8) -> f64 {
    SCORES[usize::from(index) % SCORES.len()]
}

/// The model's items in the set's order.
fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(f64, Vec<u8>)> {
    let mut items: Vec<(f64, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
    items.sort_by(|a, b| compare_scores(a.0, b.0).then_with(|| a.1.cmp(&b.1)));
    items
}

fn texts<'a>(items: impl Iterator<Item = ZItemRef<'a>>) -> Vec<(u64, Vec<u8>)> {
    items
        .map(|item| (item.score.to_bits(), item.member.to_vec()))
        .collect()
}

/// Everything a reader sees agrees with the model.
fn check(read: ZSetRef<'_>, model: &BTreeMap<Vec<u8>, f64>) -> Result<(), TestCaseError> {
    read.check_invariants();
    let items = sorted(model);
    let expected: Vec<(u64, Vec<u8>)> = items
        .iter()
        .map(|(score, member)| (score.to_bits(), member.clone()))
        .collect();
    prop_assert_eq!(read.len(), model.len());
    prop_assert_eq!(&texts(read.iter()), &expected);
    let mut backwards = expected.clone();
    backwards.reverse();
    prop_assert_eq!(&texts(read.walk(read.last(), read.len(), true)), &backwards);
    prop_assert_eq!(read.first(), read.at_rank(0));
    prop_assert_eq!(
        read.last(),
        read.len().checked_sub(1).and_then(|r| read.at_rank(r))
    );
    prop_assert_eq!(read.at_rank(read.len()), None);
    for (rank, (score, member)) in items.iter().enumerate() {
        prop_assert_eq!(read.rank(member), Some(rank));
        prop_assert_eq!(read.score(member).map(f64::to_bits), Some(score.to_bits()));
        let pos = read.at_rank(rank).expect("rank < len");
        prop_assert_eq!(&*read.item(pos).member, member.as_slice());
        prop_assert_eq!(read.rank_of(pos), rank);
        prop_assert_eq!(read.next(pos), read.at_rank(rank + 1));
        prop_assert_eq!(
            read.prev(pos),
            rank.checked_sub(1).and_then(|r| read.at_rank(r))
        );
        for delta in -3i64..=3 {
            let target = usize::try_from(rank as i64 + delta).ok();
            prop_assert_eq!(
                read.offset(pos, delta),
                target.and_then(|r| read.at_rank(r))
            );
        }
        let walked = texts(read.walk(Some(pos), 2, true));
        let end = rank + 1;
        let start = end.saturating_sub(2);
        let mut window = expected[start..end].to_vec();
        window.reverse();
        prop_assert_eq!(walked, window);
    }
    prop_assert_eq!(read.score(b"absent"), None);
    for bound in SCORES {
        let found = read.seek(|item| compare_scores(item.score, bound));
        let want = items
            .iter()
            .position(|(score, _)| compare_scores(*score, bound) != Ordering::Less);
        prop_assert_eq!(found, want.and_then(|rank| read.at_rank(rank)));
    }
    let mut scanned = BTreeSet::new();
    let mut cursor = 0;
    loop {
        cursor = read.scan(cursor, |member, score| {
            assert_eq!(
                model.get(member).map(|s| s.to_bits()),
                Some(score.to_bits())
            );
            scanned.insert(member.to_vec());
        });
        if cursor == 0 {
            break;
        }
    }
    prop_assert!(scanned.iter().eq(model.keys()));
    let ranks: Vec<usize> = (0..read.len()).rev().collect();
    let mut visited = Vec::new();
    read.for_ranks(&ranks, |item| {
        visited.push((item.score.to_bits(), item.member.to_vec()))
    });
    prop_assert_eq!(visited, backwards);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Every operation agrees with a map, and the encoding is small exactly while the rules say
    /// it must be: from creation (first member short enough, entries limit above 0) until a new
    /// member would be one too many or too long, for good (the flag is one way). A key left
    /// empty is deleted, as the commands do, and made again by the next add.
    #[test]
    fn matches_a_model(
        ops in proptest::collection::vec(op(), 1..200),
        entries in 0usize..10,
        value_bytes in 0usize..12,
    ) {
        let limits = PackedLimits { entries, value_bytes };
        let mut value: Option<Value> = None;
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        let mut ever_tree = false;
        for op in ops {
            let adds = match op {
                Op::Add(m, _) | Op::Incr(m, _) | Op::Keep(m) => Some(member(m)),
                _ => None,
            };
            if let (None, Some(first)) = (&value, &adds) {
                value = Some(empty_for(first, limits, 9));
                ever_tree = entries == 0 || first.len() > value_bytes;
            }
            if let Some(stored_value) = value.as_mut() {
                let mut zset = ZSetMut::of(stored_value).expect("a sorted set");
                match op {
                    Op::Add(m, s) | Op::Incr(m, s) => {
                        let member = member(m);
                        let delta = score(s);
                        let old = model.get(&member).copied();
                        let incr = matches!(op, Op::Incr(..));
                        let target = match old {
                            Some(old) if incr => old + delta,
                            _ => delta,
                        };
                        let target = (!target.is_nan()).then_some(target);
                        let (got_old, got_new) = zset.upsert(
                            &member,
                            |current| {
                                assert_eq!(current.map(f64::to_bits), old.map(f64::to_bits));
                                target
                            },
                            limits,
                            9,
                        );
                        prop_assert_eq!(got_old.map(f64::to_bits), old.map(f64::to_bits));
                        prop_assert_eq!(got_new.map(f64::to_bits), target.map(f64::to_bits));
                        if let Some(target) = target {
                            if old.is_none() {
                                ever_tree |= model.len() + 1 > entries || member.len() > value_bytes;
                            }
                            model.insert(member, target + 0.0);
                        }
                    }
                    Op::Keep(m) => {
                        let member = member(m);
                        let (got_old, got_new) = zset.upsert(&member, |_| None, limits, 9);
                        prop_assert_eq!(got_old.map(f64::to_bits), model.get(&member).map(|s| s.to_bits()));
                        prop_assert_eq!(got_new, None);
                    }
                    Op::Remove(m) => {
                        let member = member(m);
                        prop_assert_eq!(
                            zset.remove(&member).map(f64::to_bits),
                            model.remove(&member).map(f64::to_bits)
                        );
                    }
                    Op::PopMin | Op::PopMax => {
                        let items = sorted(&model);
                        let read = zset.get();
                        let pos = if matches!(op, Op::PopMax) { read.last() } else { read.first() };
                        let (score, member) = if matches!(op, Op::PopMax) {
                            items.last().expect("not empty")
                        } else {
                            items.first().expect("not empty")
                        };
                        let pos = pos.expect("not empty");
                        prop_assert_eq!(&*read.item(pos).member, member.as_slice());
                        prop_assert_eq!(read.item(pos).score.to_bits(), score.to_bits());
                        zset.remove_at(pos);
                        model.remove(member);
                    }
                    Op::RemoveRun(rank, len) => {
                        let items = sorted(&model);
                        let rank = usize::from(rank) % items.len();
                        let len = usize::from(len).min(items.len() - rank);
                        let first = zset.get().at_rank(rank).expect("rank < len");
                        zset.remove_run(first, len);
                        for (_, member) in &items[rank..rank + len] {
                            model.remove(member);
                        }
                    }
                }
            }
            if model.is_empty() {
                value = None;
                ever_tree = false;
                continue;
            }
            let stored_value = value.as_ref().expect("a sorted set with members");
            stored_value.check_invariants();
            let read = ZSetRef::of(stored_value).expect("a sorted set");
            prop_assert_eq!(matches!(read, ZSetRef::Tree(_)), ever_tree, "{:?}", stored_value);
            check(read, &model)?;
        }
    }

    /// A computed result is stored small exactly when it fits both limits, with the same items.
    #[test]
    fn results_are_stored_small_when_they_fit(
        members in proptest::collection::btree_map(any::<u8>(), any::<u8>(), 1..16),
        entries in 0usize..10,
        value_bytes in 0usize..12,
    ) {
        let limits = PackedLimits { entries, value_bytes };
        let mut zset = ZSet::new(4);
        let mut model = BTreeMap::new();
        for (m, s) in members {
            zset.insert(&member(m), score(s));
            model.insert(member(m), score(s) + 0.0);
        }
        let fits = model.len() <= entries && model.keys().all(|m| m.len() <= value_bytes);
        let value = stored(zset, limits);
        let read = ZSetRef::of(&value).expect("a sorted set");
        prop_assert_eq!(matches!(read, ZSetRef::Packed(_)), fits);
        check(read, &model)?;
    }
}

#[test]
fn scores_take_the_shortest_exact_form() {
    assert!(score_entry(-0.0).is(&Entry::Int(0)));
    assert!(score_entry(3.0).is(&Entry::Int(3)));
    assert!(score_entry(-I64_END).is(&Entry::Int(i64::MIN)));
    assert!(score_entry(I64_END).is(&Entry::Float(I64_END)));
    assert!(score_entry(0.5).is(&Entry::Float(0.5)));
    assert!(score_entry(f64::INFINITY).is(&Entry::Float(f64::INFINITY)));
}

#[test]
fn integer_members_order_by_their_text() {
    let limits = PackedLimits {
        entries: 8,
        value_bytes: 64,
    };
    let mut value = empty_for(b"10", limits, 0);
    let mut zset = ZSetMut::of(&mut value).expect("a sorted set");
    for member in [&b"9"[..], b"10", b"-1", b"a", b"-9223372036854775808"] {
        zset.insert(member, -0.0, limits, 0);
    }
    let read = zset.get();
    assert!(matches!(read, ZSetRef::Packed(_)));
    let members: Vec<Vec<u8>> = read.iter().map(|item| item.member.to_vec()).collect();
    let expected: Vec<&[u8]> = vec![b"-1", b"-9223372036854775808", b"10", b"9", b"a"];
    assert_eq!(members, expected);
    assert!(read.iter().all(|item| item.score.to_bits() == 0));
}

#[test]
fn a_small_set_never_grows_past_its_byte_bound() {
    assert!(packed_room(Listpack::START, b"member"));
    assert!(packed_room(listpack::BYTES_MAX - 18 - 6, b"member"));
    assert!(!packed_room(listpack::BYTES_MAX - 18 - 5, b"member"));
    assert!(!packed_room(usize::MAX, b""));
}
