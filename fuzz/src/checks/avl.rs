//! `Avl` with ranks against a `BTreeMap` keyed by (item, insertion number): equal items go after
//! the ones already there, so the map's order is the tree's.
use std::collections::BTreeMap;

use ferrodis_core::store::avl::{Avl, NodeId};

use super::input::Input;

const STEPS_MAX: usize = 256;

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let mut tree: Avl<u8> = Avl::default();
    let mut model: BTreeMap<(u8, u32), NodeId> = BTreeMap::new();
    let mut inserted: u32 = 0;
    for step in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let len = model.len();
        match input.below(6) {
            0 | 1 => {
                let item = input.u8() % 64;
                let node = tree.insert(item);
                assert_eq!(*tree.get(node), item);
                model.insert((item, inserted), node);
                inserted += 1;
            }
            2 if len > 0 => {
                let rank = input.u16() as usize % len;
                let (&(item, number), &node) = model.iter().nth(rank).expect("rank < len");
                assert_eq!(tree.rank(node), rank);
                assert_eq!(tree.remove(node), item);
                model.remove(&(item, number));
            }
            3 if len > 0 => {
                // Rank, at_rank, offset, next and prev against the model's order.
                let rank = input.u16() as usize % len;
                let delta = i64::from(input.u8() as i8);
                let nodes: Vec<NodeId> = model.values().copied().collect();
                let node = nodes[rank];
                assert_eq!(tree.at_rank(rank), Some(node));
                assert_eq!(tree.rank(node), rank);
                let target = rank as i64 + delta;
                let expected = usize::try_from(target)
                    .ok()
                    .and_then(|t| nodes.get(t).copied());
                assert_eq!(
                    tree.offset(node, delta),
                    expected,
                    "offset {delta} from {rank}"
                );
                assert_eq!(tree.next(node), nodes.get(rank + 1).copied());
                assert_eq!(tree.prev(node), rank.checked_sub(1).map(|r| nodes[r]));
            }
            4 => {
                // The first item not below `bound`.
                let bound = input.u8() % 64;
                let expected = model.range((bound, 0)..).next().map(|(_, &node)| node);
                assert_eq!(tree.seek(|item| item.cmp(&bound)), expected);
            }
            _ => {
                assert_eq!(tree.at_rank(len), None);
                assert_eq!(tree.first(), model.values().next().copied());
                assert_eq!(tree.last(), model.values().next_back().copied());
            }
        }
        assert_eq!(tree.len(), model.len());
        let last = input.is_empty() || step + 1 == STEPS_MAX;
        if super::full_check_due(step, model.len(), last) {
            tree.check_invariants();
            assert!(tree.iter().copied().eq(model.keys().map(|&(item, _)| item)));
        }
    }
}
