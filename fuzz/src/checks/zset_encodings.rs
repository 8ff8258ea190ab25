//! A sorted set in either encoding (`ZSetMut` / `ZSetRef`) against a `BTreeMap` of member to
//! score, with small limits drawn from the input so that conversions happen: the order checked
//! through iteration both ways, ranks, positions and seeks, and the encoding packed exactly
//! while no new member was ever one too many or too long (a one-way flag).
use std::cmp::Ordering;
use std::collections::BTreeMap;

use ferrodis_core::store::hash::PackedLimits;
use ferrodis_core::store::zset::compare_scores;
use ferrodis_core::store::zset_value::{empty_for, ZSetMut, ZSetRef};
use ferrodis_core::Value;

use super::input::Input;

const STEPS_MAX: usize = 256;

/// Scores in every stored form: both zeros, integers, fractions, infinities, i64's ends.
const SCORES: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    1e300,
    -1e-300,
];

/// Members as the input spells them: up to 12 bytes, so integers (stored as integers in a
/// listpack) and text of every length around the value limits.
fn member(input: &mut Input<'_>) -> Vec<u8> {
    match input.below(4) {
        0 => (i64::from(input.u16()) - 1000).to_string().into_bytes(),
        _ => input.bytes(12).to_vec(),
    }
}

fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(f64, &[u8])> {
    let mut items: Vec<(f64, &[u8])> = model.iter().map(|(m, &s)| (s, m.as_slice())).collect();
    items.sort_by(|a, b| compare_scores(a.0, b.0).then_with(|| a.1.cmp(b.1)));
    items
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let limits = PackedLimits {
        entries: input.below(10),
        value_bytes: input.below(13),
    };
    let seed = u64::from(input.u16());
    let mut value: Option<Value> = None;
    let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
    let mut ever_tree = false;
    for step in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let operation = input.below(6);
        if operation <= 1 {
            let member = member(&mut input);
            let score = SCORES[input.below(SCORES.len())];
            if value.is_none() {
                value = Some(empty_for(&member, limits, seed));
                ever_tree = limits.entries == 0 || member.len() > limits.value_bytes;
            }
            let zset = value.as_mut().and_then(ZSetMut::of);
            let mut zset = zset.expect("a sorted set");
            let old = model.get(&member).copied();
            // Operation 1 adds to the current score (ZINCRBY), refused when that is NaN.
            let target = match old {
                Some(old) if operation == 1 => old + score,
                _ => score,
            };
            let target = (!target.is_nan()).then_some(target);
            let (got_old, got_new) = zset.upsert(&member, |_| target, limits, seed);
            assert_eq!(got_old.map(f64::to_bits), old.map(f64::to_bits));
            assert_eq!(got_new.map(f64::to_bits), target.map(f64::to_bits));
            if let Some(target) = target {
                if old.is_none() {
                    ever_tree |=
                        model.len() + 1 > limits.entries || member.len() > limits.value_bytes;
                }
                model.insert(member, target + 0.0);
            }
        } else if let Some(stored) = value.as_mut() {
            let mut zset = ZSetMut::of(stored).expect("a sorted set");
            match operation {
                2 => {
                    let member = member(&mut input);
                    let removed = zset.remove(&member).map(f64::to_bits);
                    assert_eq!(removed, model.remove(&member).map(f64::to_bits));
                }
                3 => {
                    // ZPOPMIN or ZPOPMAX.
                    let max = input.bool();
                    let read = zset.get();
                    let pos = if max { read.last() } else { read.first() };
                    let pos = pos.expect("a stored set is not empty");
                    let member = read.item(pos).member.to_vec();
                    let items = sorted(&model);
                    let expected = if max { items.last() } else { items.first() };
                    assert_eq!(Some(member.as_slice()), expected.map(|&(_, m)| m));
                    zset.remove_at(pos);
                    model.remove(&member);
                }
                4 => {
                    // ZREMRANGEBYRANK.
                    let len = model.len();
                    let rank = input.below(256) % len;
                    let count = input.below(4).min(len - rank);
                    let first = zset.get().at_rank(rank).expect("rank < len");
                    zset.remove_run(first, count);
                    let gone: Vec<Vec<u8>> = sorted(&model)[rank..rank + count]
                        .iter()
                        .map(|&(_, m)| m.to_vec())
                        .collect();
                    for member in gone {
                        model.remove(&member);
                    }
                }
                _ => {
                    let bound = SCORES[input.below(SCORES.len())];
                    let read = zset.get();
                    let items = sorted(&model);
                    let expected = items
                        .iter()
                        .position(|&(score, _)| compare_scores(score, bound) != Ordering::Less);
                    let found = read.seek(|item| compare_scores(item.score, bound));
                    assert_eq!(found, expected.and_then(|rank| read.at_rank(rank)));
                    if let Some(pos) = found {
                        let rank = read.rank_of(pos);
                        let delta = i64::from(input.u8() % 8) - 4;
                        let target = usize::try_from(rank as i64 + delta).ok();
                        assert_eq!(
                            read.offset(pos, delta),
                            target.and_then(|r| read.at_rank(r))
                        );
                    }
                }
            }
        }
        if model.is_empty() {
            // The commands delete a key whose set became empty.
            value = None;
            continue;
        }
        let stored = value.as_ref().expect("a set with members");
        let read = ZSetRef::of(stored).expect("a sorted set");
        assert_eq!(matches!(read, ZSetRef::Tree(_)), ever_tree);
        assert_eq!(read.len(), model.len());
        let last = input.is_empty() || step + 1 == STEPS_MAX;
        if !super::full_check_due(step, model.len(), last) {
            continue;
        }
        stored.check_invariants();
        read.check_invariants();
        let items = sorted(&model);
        assert!(read
            .iter()
            .map(|item| (item.score.to_bits(), item.member.to_vec()))
            .eq(items.iter().map(|&(s, m)| (s.to_bits(), m.to_vec()))));
        assert!(read
            .walk(read.last(), read.len(), true)
            .map(|item| (item.score.to_bits(), item.member.to_vec()))
            .eq(items.iter().rev().map(|&(s, m)| (s.to_bits(), m.to_vec()))));
        for (rank, &(score, member)) in items.iter().enumerate() {
            assert_eq!(read.rank(member), Some(rank));
            assert_eq!(read.score(member).map(f64::to_bits), Some(score.to_bits()));
            let pos = read.at_rank(rank).expect("rank < len");
            assert_eq!(read.rank_of(pos), rank);
            assert_eq!(read.next(pos), read.at_rank(rank + 1));
            assert_eq!(
                read.prev(pos),
                rank.checked_sub(1).and_then(|r| read.at_rank(r))
            );
        }
    }
}
