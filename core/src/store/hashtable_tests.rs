//! `HashTable` against a `BTreeMap` model, SCAN across resizes, progressive rehashing, node size.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

fn key(number: u32) -> Vec<u8> {
    format!("key:{number}").into_bytes()
}

fn table_with(seed: u64, keys: impl IntoIterator<Item = u32>) -> HashTable<u64> {
    let mut table = HashTable::new(seed);
    for number in keys {
        table.insert(&key(number), u64::from(number));
    }
    table
}

fn scan_all(table: &HashTable<u64>) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = table.scan(cursor, |key, _| keys.push(key.to_vec()));
        if cursor == 0 {
            return keys;
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u32, u64),
    Remove(u32),
    /// Removes the entry `entry_at` points to, so that shrink phases hit present keys.
    RemoveAt(usize),
    Get(u32),
    GetMut(u32, u64),
    GetOrInsert(u32, u64),
    RehashStep(usize),
    /// Exchanges the slots of two entries (`index % len` each).
    SwapSlots(usize, usize),
    /// `insert_with_meta`: a new entry's meta is the number, a replaced one's adds it.
    InsertMarked(u32, u64, u32),
    /// `get_marking`: sets the entry's meta.
    Mark(u32, u32),
    /// `reserve`: room for that many entries (only an empty table takes it).
    Reserve(usize),
}

fn op(key_space: u32, insert_weight: u32, remove_weight: u32) -> impl Strategy<Value = Op> {
    let k = move || 0..key_space;
    prop_oneof![
        insert_weight => (k(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        remove_weight => k().prop_map(Op::Remove),
        remove_weight => any::<usize>().prop_map(Op::RemoveAt),
        2 => k().prop_map(Op::Get),
        2 => (k(), any::<u64>()).prop_map(|(k, v)| Op::GetMut(k, v)),
        insert_weight => (k(), any::<u64>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        1 => (0..4usize).prop_map(Op::RehashStep),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::SwapSlots(a, b)),
        insert_weight => (k(), any::<u64>(), any::<u32>()).prop_map(|(k, v, m)| Op::InsertMarked(k, v, m)),
        2 => (k(), any::<u32>()).prop_map(|(k, m)| Op::Mark(k, m)),
        1 => (0..600usize).prop_map(Op::Reserve),
    ]
}

/// Phases that mostly insert or mostly remove, so that tables grow and shrink mid-sequence.
fn phases(key_space: u32) -> impl Strategy<Value = Vec<Vec<Op>>> {
    let growing = prop::collection::vec(op(key_space, 6, 1), 0..400);
    let shrinking = prop::collection::vec(op(key_space, 1, 6), 0..400);
    prop::collection::vec(prop_oneof![growing, shrinking], 1..6)
}

fn run_against_model(seed: u64, phases: Vec<Vec<Op>>) {
    let mut table: HashTable<u64, u32> = HashTable::with_meta(seed);
    let mut model: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    // Each entry's meta; absent is the default, 0.
    let mut metas: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for op in phases.into_iter().flatten() {
        match op {
            Op::Insert(k, v) => assert_eq!(table.insert(&key(k), v), model.insert(key(k), v)),
            Op::Remove(k) => {
                metas.remove(&key(k));
                assert_eq!(table.remove(&key(k)), model.remove(&key(k)));
            }
            Op::InsertMarked(k, v, m) => {
                let old = table.insert_with_meta(&key(k), v, |old| match old {
                    Some(old) => old.wrapping_add(m),
                    None => m,
                });
                let meta = metas.entry(key(k)).or_default();
                *meta = if model.contains_key(&key(k)) {
                    meta.wrapping_add(m)
                } else {
                    m
                };
                assert_eq!(old, model.insert(key(k), v));
            }
            Op::Mark(k, m) => {
                let marked = table.get_marking(&key(k)).map(|(value, meta)| {
                    *meta = m;
                    *value
                });
                assert_eq!(marked.as_ref(), model.get(&key(k)));
                if marked.is_some() {
                    metas.insert(key(k), m);
                }
            }
            Op::RemoveAt(index) => {
                let Some((k, _)) = table.entry_at(index) else {
                    assert!(model.is_empty());
                    continue;
                };
                let k = k.to_vec();
                metas.remove(&k);
                let (removed_key, value) = table.remove_entry(&k).unwrap();
                assert_eq!(&*removed_key, &k[..]);
                assert_eq!(Some(value), model.remove(&k));
            }
            Op::Get(k) => {
                assert_eq!(table.get(&key(k)), model.get(&key(k)));
                assert_eq!(table.contains_key(&key(k)), model.contains_key(&key(k)));
                let pair = table.get_key_value(&key(k));
                assert_eq!(pair, model.get_key_value(&key(k)).map(|(k, v)| (&k[..], v)));
            }
            Op::GetMut(k, v) => {
                let got = table.get_mut(&key(k)).map(|value| mem::replace(value, v));
                let expected = model.get_mut(&key(k)).map(|value| mem::replace(value, v));
                assert_eq!(got, expected);
            }
            Op::GetOrInsert(k, v) => {
                let (value, inserted) = table.get_or_insert_with(&key(k), || v);
                *value = value.wrapping_add(1);
                let value = *value;
                assert_eq!(inserted, !model.contains_key(&key(k)));
                let expected = model.entry(key(k)).or_insert(v);
                *expected = expected.wrapping_add(1);
                assert_eq!(value, *expected);
            }
            Op::Reserve(entries) => {
                let buckets = table.bucket_count();
                table.reserve(entries);
                let expected = match table.is_empty() {
                    true => buckets.max(entries.next_power_of_two()),
                    false => buckets,
                };
                assert_eq!(table.bucket_count(), expected);
            }
            Op::RehashStep(buckets) => {
                assert_eq!(table.rehash_step(buckets), table.is_rehashing());
            }
            Op::SwapSlots(a, b) => {
                if table.is_empty() {
                    continue;
                }
                let (a, b) = (a % table.len(), b % table.len());
                let (key_a, key_b) = (
                    table.entry_in_slot(a).0.to_vec(),
                    table.entry_in_slot(b).0.to_vec(),
                );
                assert_eq!(table.slot_of(&key_a), Some(a));
                table.swap_slots(a, b);
                assert_eq!(table.slot_of(&key_a), Some(b));
                assert_eq!(table.slot_of(&key_b), Some(a));
                assert_eq!(
                    table.entry_in_slot(b),
                    (&key_a[..], model.get(&key_a).unwrap())
                );
            }
        }
        table.check_invariants();
        assert_eq!(table.len(), model.len());
    }
    let entries: BTreeMap<Vec<u8>, u64> = table.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
    assert_eq!(entries, model);
    for index in 0..table.len() {
        let (k, value, meta) = table.entry_with_meta_at(index).unwrap();
        assert_eq!(Some(value), model.get(k));
        assert_eq!(meta, metas.get(k).copied().unwrap_or_default());
        assert_eq!(table.meta(k), Some(meta));
    }
}

proptest! {
    #[test]
    fn matches_model_small_key_space(seed: u64, phases in phases(16)) {
        run_against_model(seed, phases);
    }

    #[test]
    fn matches_model_big_key_space(seed: u64, phases in phases(100_000)) {
        run_against_model(seed, phases);
    }

    /// Keys present for the whole scan come back at least once although the table grows, shrinks
    /// and rehashes between cursor calls.
    #[test]
    fn scan_returns_stable_keys_across_resizes(
        seed: u64,
        stable_count in 0..200u32,
        churn in prop::collection::vec((any::<bool>(), 0..600u32, 0..3usize), 1..40),
    ) {
        let mut table = table_with(seed, 0..stable_count);
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = table.scan(cursor, |key, _| {
                seen.insert(key.to_vec());
            });
            if cursor == 0 {
                break;
            }
            if let Some(&(grow, count, rehash_steps)) = churn.get(calls) {
                // Churn keys live above the stable ones; a shrink phase removes them all.
                if grow {
                    for number in 0..count {
                        table.insert(&key(1_000_000 + number), 0);
                    }
                } else {
                    for number in 0..600 {
                        table.remove(&key(1_000_000 + number));
                    }
                }
                table.rehash_step(rehash_steps);
                table.check_invariants();
            }
            calls += 1;
            prop_assert!(calls < 100_000, "scan does not terminate");
        }
        for number in 0..stable_count {
            prop_assert!(seen.contains(&key(number)), "scan missed key {number}");
        }
    }

    /// Without changes a full scan returns each key exactly once, at rest or mid-rehash.
    #[test]
    fn scan_without_changes_returns_each_key_once(seed: u64, count in 0..2000u32, removed in 0..2000u32) {
        let mut table = table_with(seed, 0..count);
        for number in 0..removed.min(count) {
            table.remove(&key(number));
        }
        let mut keys = scan_all(&table);
        keys.sort();
        let mut expected: Vec<Vec<u8>> = table.iter().map(|(k, _)| k.to_vec()).collect();
        expected.sort();
        prop_assert_eq!(keys, expected);
    }
}

#[test]
fn scan_mid_rehash_returns_each_key_once() {
    let assert_scan_exact = |table: &HashTable<u64>| {
        let mut keys = scan_all(table);
        keys.sort();
        let mut expected: Vec<Vec<u8>> = table.iter().map(|(k, _)| k.to_vec()).collect();
        expected.sort();
        assert_eq!(keys, expected);
    };
    let mut table = HashTable::new(7);
    let (mut grows_checked, mut shrinks_checked) = (0, 0);
    for number in 0..2000 {
        table.insert(&key(number), 0);
        if table.is_rehashing() {
            assert_scan_exact(&table);
            grows_checked += 1;
        }
    }
    for number in 0..2000 {
        table.remove(&key(number));
        if table.is_rehashing() {
            assert_scan_exact(&table);
            shrinks_checked += 1;
        }
    }
    assert!(grows_checked > 100 && shrinks_checked > 100);
}

#[test]
fn same_seed_same_order_different_seed_different_buckets() {
    let ops = |seed| {
        let mut table = table_with(seed, 0..3000);
        for number in (0..3000).step_by(3) {
            table.remove(&key(number));
        }
        table.rehash_step(usize::MAX);
        table
    };
    let (a, b, c) = (ops(1), ops(1), ops(2));
    let order = |table: &HashTable<u64>| table.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>();
    assert_eq!(order(&a), order(&b));
    assert_eq!(scan_all(&a), scan_all(&b));
    // Slab order depends only on the operations; bucket placement depends on the seed.
    assert_eq!(order(&a), order(&c));
    assert_ne!(scan_all(&a), scan_all(&c));
}

#[test]
fn entry_at_returns_every_entry() {
    let mut table = table_with(3, 0..500);
    for number in (0..500).step_by(7) {
        table.remove(&key(number));
    }
    let from_entry_at: BTreeSet<Vec<u8>> = (0..table.len())
        .map(|index| table.entry_at(index).unwrap().0.to_vec())
        .collect();
    let from_iter: BTreeSet<Vec<u8>> = table.iter().map(|(k, _)| k.to_vec()).collect();
    assert_eq!(from_entry_at.len(), table.len());
    assert_eq!(from_entry_at, from_iter);
    assert_eq!(table.entry_at(table.len()), table.entry_at(0));
    assert_eq!(HashTable::<u64>::new(3).entry_at(5), None);
}

#[test]
fn resizes_progressively_in_both_directions() {
    let mut table = HashTable::new(11);
    for number in 0..1024 {
        table.insert(&key(number), number);
    }
    table.rehash_step(usize::MAX);
    assert_eq!(table.bucket_count(), 1024);
    // The insert that crosses the load factor starts a resize but moves only a few buckets.
    table.insert(&key(5000), 0);
    assert!(table.is_rehashing());
    assert_eq!(table.bucket_count(), 1024 + 2048);
    assert!(
        table.rehash_index <= REHASH_BUCKETS_PER_OPERATION * (REHASH_EMPTY_VISITS_PER_BUCKET + 1)
    );
    let mut steps = 0;
    while table.rehash_step(1) {
        steps += 1;
        table.check_invariants();
    }
    assert!(steps > 500, "{steps}");
    assert_eq!(table.bucket_count(), 2048);

    for number in 0..1024 {
        table.remove(&key(number));
        table.check_invariants();
    }
    while table.rehash_step(1) {}
    assert_eq!(table.len(), 1);
    assert_eq!(table.bucket_count(), BUCKETS_MIN);
    assert_eq!(table.get(&key(5000)), Some(&0));
}

#[test]
fn node_of_a_small_key_and_16_byte_value_is_48_bytes() {
    assert_eq!(mem::size_of::<Node<[u64; 2], ()>>(), 48);
    // The sorted set's member table: key and a u32 node id.
    assert_eq!(mem::size_of::<Node<u32, ()>>(), 32);
    // The keyspace: key, value and its access clock.
    assert_eq!(mem::size_of::<Node<crate::value::Value, u32>>(), 56);
}

#[test]
fn long_keys_and_take() {
    let long = vec![b'x'; 1000];
    let mut table = HashTable::new(5);
    assert_eq!(table.insert(&long, 1), None);
    assert_eq!(table.insert(b"", 2), None);
    assert_eq!(table.insert(&[b'y'; INLINE_KEY_BYTES_MAX], 3), None);
    assert_eq!(table.insert(&[b'y'; INLINE_KEY_BYTES_MAX + 1], 4), None);
    assert_eq!(table.get(&long), Some(&1));
    assert_eq!(table.get(b""), Some(&2));
    table.check_invariants();

    let taken = table.take();
    assert!(table.is_empty());
    table.check_invariants();
    assert_eq!(taken.len(), 4);
    taken.check_invariants();
    // Same seed: the emptied table places keys as the taken one did.
    table.insert(&long, 1);
    assert_eq!(table.hash(&long), taken.hash(&long));

    let mut taken = taken;
    let (removed_key, value) = taken.remove_entry(&long).unwrap();
    assert_eq!((&*removed_key, value), (&long[..], 1));
    let mut values = taken.drain_values();
    values.sort();
    assert_eq!(values, vec![2, 3, 4]);
    assert!(taken.is_empty());
    taken.check_invariants();
}

#[test]
fn a_reserved_table_takes_its_entries_without_moving_any() {
    let mut table: HashTable<u64> = HashTable::new(7);
    table.reserve(1000);
    assert_eq!(table.bucket_count(), 1024);
    for number in 0..1000 {
        table.insert(&key(number), u64::from(number));
        assert!(
            !table.is_rehashing(),
            "no resize while the reserved room lasts"
        );
        assert_eq!(table.bucket_count(), 1024);
    }
    table.check_invariants();
    // Fewer keys than reserved: the room stays until one is removed, then the usual rules.
    let mut short: HashTable<u64> = HashTable::new(7);
    short.reserve(1000);
    for number in 0..10 {
        short.insert(&key(number), u64::from(number));
    }
    short.check_invariants();
    assert_eq!(short.bucket_count(), 1024);
    short.remove(&key(0));
    while short.rehash_step(100) {}
    short.check_invariants();
    assert!(
        short.bucket_count() <= 16,
        "{} buckets",
        short.bucket_count()
    );
    // Released with no removal (a load that ends): the same.
    let mut released: HashTable<u64> = HashTable::new(7);
    released.reserve(1000);
    released.insert(&key(1), 1);
    released.release_reserve();
    while released.rehash_step(100) {}
    released.check_invariants();
    assert!(released.bucket_count() <= 16);
}
