//! `ZSet` against a `BTreeMap` of member to score, with the order by (score, member) checked
//! through iteration, ranks and seeks, and SCAN returning every member.
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use ferrodis_core::store::zset::{compare_scores, ZSet};

use super::input::Input;

const STEPS_MAX: usize = 256;

/// Scores with the awkward cases: both zeros, both infinities, ties, fractions.
const SCORES: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -1e-300,
    f64::MAX,
    f64::MIN_POSITIVE,
];

fn member(number: u8) -> Vec<u8> {
    let mut member = vec![b'm', number % 48];
    if number.is_multiple_of(3) {
        member.resize(25, b'.');
    }
    member
}

fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(f64, &[u8])> {
    let mut items: Vec<(f64, &[u8])> = model.iter().map(|(m, &s)| (s, m.as_slice())).collect();
    items.sort_by(|a, b| compare_scores(a.0, b.0).then_with(|| a.1.cmp(b.1)));
    items
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let mut zset = ZSet::new(u64::from(input.u16()));
    let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
    for step in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let member = member(input.u8());
        match input.below(6) {
            0 | 1 => {
                let score = SCORES[input.below(SCORES.len())];
                let old = zset.insert(&member, score);
                assert_eq!(
                    old.map(f64::to_bits),
                    model.get(&member).map(|s| s.to_bits())
                );
                // -0 is stored as 0, and an equal score keeps the old one.
                let score = score + 0.0;
                match model.get(&member) {
                    Some(&old) if old == score => {}
                    _ => {
                        model.insert(member, score);
                    }
                }
            }
            2 => {
                let removed = zset.remove(&member).map(f64::to_bits);
                assert_eq!(removed, model.remove(&member).map(f64::to_bits));
            }
            3 => {
                let items = sorted(&model);
                let rank = items.iter().position(|&(_, m)| m == member.as_slice());
                assert_eq!(zset.rank(&member), rank);
                if let Some(rank) = rank {
                    let node = zset.at_rank(rank).expect("rank < len");
                    assert_eq!(&*zset.item(node).member, member.as_slice());
                    assert_eq!(zset.rank_of(node), rank);
                }
            }
            4 => {
                let bound = SCORES[input.below(SCORES.len())];
                let items = sorted(&model);
                let expected = items
                    .iter()
                    .find(|&&(score, _)| compare_scores(score, bound) != Ordering::Less)
                    .map(|&(_, m)| m);
                let found = zset.seek(|item| compare_scores(item.score, bound));
                assert_eq!(found.map(|node| &*zset.item(node).member), expected);
            }
            _ => {
                let mut returned = BTreeSet::new();
                let mut cursor = 0;
                loop {
                    cursor = zset.scan(cursor, |member, score| {
                        assert_eq!(
                            model.get(member).map(|s| s.to_bits()),
                            Some(score.to_bits())
                        );
                        returned.insert(member.to_vec());
                    });
                    if cursor == 0 {
                        break;
                    }
                }
                assert!(returned.iter().eq(model.keys()));
            }
        }
        assert_eq!(zset.len(), model.len());
        let last = input.is_empty() || step + 1 == STEPS_MAX;
        if !super::full_check_due(step, model.len(), last) {
            continue;
        }
        zset.check_invariants();
        for (member, score) in &model {
            assert_eq!(zset.score(member).map(f64::to_bits), Some(score.to_bits()));
        }
        let items = sorted(&model);
        assert!(zset
            .iter()
            .map(|item| (item.score.to_bits(), &*item.member))
            .eq(items
                .iter()
                .map(|&(score, member)| (score.to_bits(), member))));
    }
}
