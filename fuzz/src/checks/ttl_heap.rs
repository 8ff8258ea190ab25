//! `TtlHeap` against a `BTreeSet` of (deadline, key), with positions tracked through the `moved`
//! callback exactly as the keyspace tracks them.
use std::collections::{BTreeMap, BTreeSet};

use ferrodis_core::store::heap::{HeapItem, TtlHeap};

use super::input::Input;

const STEPS_MAX: usize = 256;

fn deadline(input: &mut Input) -> i64 {
    match input.below(8) {
        0 => i64::MIN,
        1 => i64::MAX,
        _ => i64::from(input.u8() % 32),
    }
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let mut heap = TtlHeap::default();
    let mut positions: BTreeMap<Box<[u8]>, usize> = BTreeMap::new();
    let mut model: BTreeSet<(i64, Box<[u8]>)> = BTreeSet::new();
    let mut deadlines: BTreeMap<Box<[u8]>, i64> = BTreeMap::new();
    for _ in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let key: Box<[u8]> = vec![input.u8() % 64].into();
        let position = positions.get(&key).copied();
        let mut moved = |key: &[u8], position: usize| {
            *positions.entry(key.into()).or_default() = position;
        };
        match (input.below(4), deadlines.get(&key).copied()) {
            (0 | 1, None) => {
                let deadline = deadline(&mut input);
                heap.push(
                    HeapItem {
                        deadline,
                        key: key.clone(),
                    },
                    &mut moved,
                );
                model.insert((deadline, key.clone()));
                deadlines.insert(key, deadline);
            }
            (0 | 1, Some(old)) => {
                let deadline = deadline(&mut input);
                let position = position.expect("a key in the heap has a position");
                heap.update(position, deadline, &mut moved);
                model.remove(&(old, key.clone()));
                model.insert((deadline, key.clone()));
                deadlines.insert(key, deadline);
            }
            (2, Some(old)) => {
                let position = position.expect("a key in the heap has a position");
                let removed = heap.remove(position, &mut moved);
                assert_eq!(removed.key, key);
                assert_eq!(removed.deadline, old);
                positions.remove(&key);
                model.remove(&(old, key.clone()));
                deadlines.remove(&key);
            }
            (3, _) => {
                // Pop the earliest, as expiry does.
                if heap.is_empty() {
                    assert!(model.is_empty());
                } else {
                    let removed = heap.remove(0, &mut moved);
                    let earliest = model.first().map(|(deadline, _)| *deadline);
                    assert_eq!(Some(removed.deadline), earliest);
                    assert!(model.remove(&(removed.deadline, removed.key.clone())));
                    assert_eq!(deadlines.remove(&removed.key), Some(removed.deadline));
                    positions.remove(&removed.key);
                }
            }
            _ => {}
        }
        heap.check_invariants();
        assert_eq!(heap.len(), model.len());
        assert_eq!(
            heap.peek().map(|item| item.deadline),
            model.first().map(|(deadline, _)| *deadline)
        );
        for (key, &position) in &positions {
            let item = heap.get(position);
            assert_eq!(&item.key, key, "position of {key:?} is stale");
            assert_eq!(item.deadline, deadlines[key]);
        }
    }
}
