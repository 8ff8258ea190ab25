//! `HashTable` against a `BTreeMap`, through grows, shrinks and explicit rehash steps, with a
//! SCAN running across the mutations: every key present for the whole scan must be returned.
use std::collections::{BTreeMap, BTreeSet};

use ferrodis_core::store::hashtable::HashTable;

use super::input::Input;

/// Operations per run.
const STEPS_MAX: usize = 256;
/// Distinct keys: enough for several grows and shrinks.
const KEYS: usize = 256;

/// Keys with the high bit of their number set are longer than the inline key limit.
fn key(number: u8) -> Vec<u8> {
    let mut key = format!("k{number}").into_bytes();
    if number & 0x80 != 0 {
        key.resize(30, b'.');
    }
    key
}

struct Scan {
    cursor: u64,
    /// Keys present since the scan started: SCAN must return them.
    present_throughout: BTreeSet<Vec<u8>>,
    returned: BTreeSet<Vec<u8>>,
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let mut table: HashTable<u16> = HashTable::new(u64::from(input.u16()));
    let mut model: BTreeMap<Vec<u8>, u16> = BTreeMap::new();
    let mut scan: Option<Scan> = None;
    for step in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        match input.below(9) {
            0 | 1 => {
                let (key, value) = (key(input.u8()), input.u16());
                assert_eq!(table.insert(&key, value), model.insert(key, value));
            }
            2 => {
                let key = key(input.u8());
                assert_eq!(table.remove(&key), model.remove(&key));
                if let Some(scan) = &mut scan {
                    scan.present_throughout.remove(&key);
                }
            }
            3 => {
                // Many inserts or removes in a row: the table grows or shrinks.
                let (first, count, insert) = (input.u8(), input.u8() % 128, input.bool());
                for number in (0..count).map(|i| first.wrapping_add(i)) {
                    let key = key(number);
                    if insert {
                        assert_eq!(table.insert(&key, 1), model.insert(key, 1));
                    } else {
                        assert_eq!(table.remove(&key), model.remove(&key));
                        if let Some(scan) = &mut scan {
                            scan.present_throughout.remove(&key);
                        }
                    }
                }
            }
            4 => {
                let buckets = input.below(8);
                let rehashing = table.rehash_step(buckets);
                assert_eq!(rehashing, table.is_rehashing());
            }
            5 => {
                let key = key(input.u8());
                let value = input.u16();
                let (stored, inserted) = table.get_or_insert_with(&key, || value);
                assert_eq!(inserted, !model.contains_key(&key));
                let expected = model.entry(key).or_insert(value);
                assert_eq!(stored, expected);
                *stored = stored.wrapping_add(1);
                *expected = expected.wrapping_add(1);
            }
            6 => {
                scan = Some(Scan {
                    cursor: 0,
                    present_throughout: model.keys().cloned().collect(),
                    returned: BTreeSet::new(),
                });
            }
            7 => scan_step(&table, &model, &mut scan),
            _ => {
                let index = input.u16() as usize;
                match table.entry_at(index) {
                    None => assert!(model.is_empty()),
                    Some((key, value)) => assert_eq!(model.get(key), Some(value)),
                }
            }
        }
        assert_eq!(table.len(), model.len());
        let last = input.is_empty() || step + 1 == STEPS_MAX;
        if !super::full_check_due(step, model.len(), last) {
            continue;
        }
        table.check_invariants();
        for (key, value) in &model {
            assert_eq!(table.get(key), Some(value), "key {key:?}");
        }
    }
    // Finish a scan in progress: it must end and return what it must.
    for _ in 0..KEYS * 4 {
        if scan.is_none() {
            break;
        }
        scan_step(&table, &model, &mut scan);
    }
    assert!(scan.is_none(), "a scan did not end");
    let mut keys: Vec<&[u8]> = table.iter().map(|(key, _)| key).collect();
    keys.sort_unstable();
    assert!(keys.iter().copied().eq(model.keys().map(Vec::as_slice)));
}

fn scan_step(table: &HashTable<u16>, model: &BTreeMap<Vec<u8>, u16>, scan: &mut Option<Scan>) {
    let Some(state) = scan else {
        return;
    };
    state.cursor = table.scan(state.cursor, |key, value| {
        assert_eq!(
            model.get(key),
            Some(value),
            "SCAN returned a key not in the table"
        );
        state.returned.insert(key.to_vec());
    });
    if state.cursor == 0 {
        let missed: Vec<_> = state
            .present_throughout
            .difference(&state.returned)
            .collect();
        assert!(missed.is_empty(), "SCAN missed {missed:?}");
        *scan = None;
    }
}
