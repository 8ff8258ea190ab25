//! The HyperLogLog against a model (one byte per register), Redis's exact bytes, and decoding
//! of arbitrary bytes.

use proptest::prelude::*;

use super::*;

/// Redis's default `hll-sparse-max-bytes`.
const SPARSE_BYTES_MAX: usize = 3000;

/// The registers of either encoding, one per byte, read independently of `merge_into`: a dense
/// one register by register, a sparse one by expanding its opcodes.
fn model_of(bytes: &[u8]) -> Vec<u8> {
    match encoding(bytes).expect("a HyperLogLog") {
        Encoding::Dense => (0..REGISTERS)
            .map(|index| dense_get(&bytes[HEADER_BYTES..], index))
            .collect(),
        Encoding::Sparse => {
            let mut registers = Vec::new();
            for (op, _) in ops(bytes) {
                match op {
                    Op::Zeros(len) => registers.extend(std::iter::repeat_n(0, len)),
                    Op::Value { value, len } => registers.extend(std::iter::repeat_n(value, len)),
                }
            }
            assert_eq!(registers.len(), REGISTERS, "runs cover every register");
            registers
        }
    }
}

/// An empty dense HyperLogLog.
fn dense_empty() -> Vec<u8> {
    let mut bytes = new_sparse();
    to_dense(&mut bytes).unwrap();
    bytes
}

#[test]
fn hashes_and_bytes_are_redis_s() {
    // From Redis 7.0: PFADD h a, then GET h.
    assert_eq!(register_of(b"a"), (12711, 2));
    let mut bytes = new_sparse();
    assert_eq!(bytes, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert!(add(&mut bytes, b"a", SPARSE_BYTES_MAX).unwrap());
    assert_eq!(bytes, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80q\xa6\x84NW");
    assert!(add(&mut bytes, b"b", SPARSE_BYTES_MAX).unwrap());
    assert!(add(&mut bytes, b"c", SPARSE_BYTES_MAX).unwrap());
    assert!(!add(&mut bytes, b"a", SPARSE_BYTES_MAX).unwrap());
    assert_eq!(
        bytes,
        b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"
    );
    assert_eq!(count(&bytes), Ok(3));

    let mut bytes = new_sparse();
    for element in [
        "foo", "bar", "baz", "qux", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    ] {
        add(&mut bytes, element.as_bytes(), SPARSE_BYTES_MAX).unwrap();
    }
    assert_eq!(count(&bytes), Ok(14));
    assert_eq!(
        decode_sparse(&bytes),
        "Z:495 v:2,1 Z:1267 v:1,1 Z:816 v:1,1 Z:3977 v:4,1 Z:789 v:5,1 Z:178 v:1,1 Z:2479 \
         v:1,1 Z:817 v:1,1 Z:147 v:1,1 Z:3136 v:1,1 Z:728 v:1,1 Z:531 v:4,1 Z:185 v:1,1 z:22 \
         v:2,1 Z:803"
    );
}

#[test]
fn the_cache_reads_back_and_goes_stale() {
    let mut bytes = new_sparse();
    assert_eq!(cached_cardinality(&bytes), Some(0));
    invalidate_cache(&mut bytes);
    assert_eq!(cached_cardinality(&bytes), None);
    set_cached_cardinality(&mut bytes, 0x1234_5678);
    assert_eq!(cached_cardinality(&bytes), Some(0x1234_5678));
    assert_eq!(&bytes[8..16], &[0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]);
}

#[test]
fn headers_are_checked_as_redis_checks_them() {
    assert_eq!(encoding(&new_sparse()), Some(Encoding::Sparse));
    assert_eq!(encoding(&dense_empty()), Some(Encoding::Dense));
    let mut dense = dense_empty();
    dense.push(0);
    assert_eq!(encoding(&dense), None, "a dense one has an exact length");
    let mut unknown = new_sparse();
    unknown[4] = 2;
    assert_eq!(encoding(&unknown), None);
    assert_eq!(encoding(b"HYLL\x01"), None);
    assert_eq!(encoding(b"hyll\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), None);
    // A sparse header with no body passes the header check; its registers do not add up.
    let empty_body = &new_sparse()[..HEADER_BYTES];
    assert_eq!(encoding(empty_body), Some(Encoding::Sparse));
    assert_eq!(count(empty_body), Err(Corrupt));
}

#[test]
fn every_register_value_packs_without_touching_its_neighbours() {
    let mut registers = vec![0u8; DENSE_BYTES - HEADER_BYTES];
    let mut model = vec![0u8; REGISTERS];
    for (index, slot) in model.iter_mut().enumerate() {
        *slot = ((index * 37 + 11) % 64) as u8;
        dense_set(&mut registers, index, *slot);
    }
    for index in (0..REGISTERS).rev().step_by(3) {
        dense_set(&mut registers, index, 63 - model[index]);
        model[index] = 63 - model[index];
    }
    for (index, &value) in model.iter().enumerate() {
        assert_eq!(dense_get(&registers, index), value, "register {index}");
    }
}

#[test]
fn the_estimate_is_close_and_equal_in_both_encodings() {
    let mut sparse = new_sparse();
    let mut dense = dense_empty();
    let mut checkpoint = 1u64;
    for element in 1..=200_000u64 {
        let bytes = element.to_le_bytes();
        add(&mut sparse, &bytes, SPARSE_BYTES_MAX).unwrap();
        add(&mut dense, &bytes, SPARSE_BYTES_MAX).unwrap();
        if element == checkpoint {
            let estimate = count(&dense).unwrap();
            assert_eq!(count(&sparse).unwrap(), estimate);
            let error = estimate.abs_diff(element) as f64;
            // Six standard errors (1.04 / sqrt(16384)), as Redis's self test allows.
            assert!(
                error <= (element as f64 * 0.0487).ceil().max(1.0),
                "{element}"
            );
            checkpoint *= 10;
        }
    }
    assert_eq!(encoding(&sparse), Some(Encoding::Dense));
}

/// An operation on the registers.
#[derive(Debug, Clone)]
enum Step {
    Add(Vec<u8>),
    /// Raise a register directly (reaches values and places random elements rarely do).
    Raise(usize, u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Step::Add),
        1 => (0..REGISTERS, 1u8..=40).prop_map(|(index, value)| Step::Raise(index, value)),
        // Neighbours of a few registers, so that runs split and merge.
        2 => (0usize..12, 1u8..=6).prop_map(|(index, value)| Step::Raise(100 + index, value)),
    ]
}

/// A HyperLogLog made by `steps` from empty, and the model's registers.
fn build(steps: &[Step], sparse_bytes_max: usize) -> (Vec<u8>, Vec<u8>) {
    let mut bytes = new_sparse();
    let mut model = vec![0u8; REGISTERS];
    for step in steps {
        let (index, value) = match step {
            Step::Add(element) => register_of(element),
            Step::Raise(index, value) => (*index, *value),
        };
        let changed = raise(&mut bytes, index, value, sparse_bytes_max).unwrap();
        assert_eq!(changed, model[index] < value, "{step:?}");
        model[index] = model[index].max(value);
    }
    (bytes, model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sparse_and_dense_hold_the_model_s_registers(
        steps in proptest::collection::vec(step(), 0..200),
        sparse_bytes_max in prop_oneof![Just(3000usize), 0usize..200],
    ) {
        let (sparse, model) = build(&steps, sparse_bytes_max);
        prop_assert_eq!(model_of(&sparse), model.clone());
        let mut dense = dense_empty();
        for (index, &value) in model.iter().enumerate() {
            if value > 0 {
                raise(&mut dense, index, value, sparse_bytes_max).unwrap();
            }
        }
        prop_assert_eq!(model_of(&dense), model.clone());
        // Sparse only while every value fits and the string stays within its bound.
        if encoding(&sparse) == Some(Encoding::Sparse) {
            prop_assert!(model.iter().all(|&value| value <= SPARSE_VALUE_MAX));
            prop_assert!(sparse.len() <= sparse_bytes_max.max(HEADER_BYTES + 2));
        }
        prop_assert_eq!(count(&sparse), count(&dense));
        let mut promoted = sparse.clone();
        to_dense(&mut promoted).unwrap();
        prop_assert_eq!(model_of(&promoted), model.clone());
        prop_assert_eq!(&promoted[HEADER_BYTES..], &dense[HEADER_BYTES..]);
        prop_assert_eq!(*registers(&sparse).unwrap(), *registers(&dense).unwrap());
    }

    #[test]
    fn merging_takes_the_larger_register(
        left in proptest::collection::vec(step(), 0..80),
        right in proptest::collection::vec(step(), 0..80),
    ) {
        let (left, left_model) = build(&left, SPARSE_BYTES_MAX);
        let (right, right_model) = build(&right, 100);
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &left).unwrap();
        merge_into(&mut max, &right).unwrap();
        let expected: Vec<u8> = left_model
            .iter()
            .zip(&right_model)
            .map(|(a, b)| *a.max(b))
            .collect();
        prop_assert_eq!(max.to_vec(), expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..64),
        dense in any::<bool>(),
        element in proptest::collection::vec(any::<u8>(), 0..4),
        index in 0..REGISTERS,
        value in 1u8..=51,
    ) {
        let mut bytes = new_sparse()[..HEADER_BYTES].to_vec();
        bytes.extend_from_slice(&body);
        if dense {
            bytes[4] = DENSE;
            bytes.resize(DENSE_BYTES, 0x5a);
        }
        prop_assert!(encoding(&bytes).is_some());
        let _ = count(&bytes);
        let _ = registers(&bytes);
        let _ = decode_sparse(&bytes);
        let mut changed = bytes.clone();
        let _ = add(&mut changed, &element, 40);
        let mut changed = bytes.clone();
        let _ = raise(&mut changed, index, value, SPARSE_BYTES_MAX);
        let _ = to_dense(&mut bytes);
    }

    /// A sparse body with valid runs in random places: whatever the runs, the registers they
    /// cover read back the same after a raise, except the raised one.
    #[test]
    fn any_valid_sparse_body_raises_like_the_model(
        runs in proptest::collection::vec((0u8..3, 1usize..300, 1u8..=32), 1..40),
        index in 0..REGISTERS,
        value in 1u8..=51,
        sparse_bytes_max in 0usize..400,
    ) {
        let mut bytes = new_sparse()[..HEADER_BYTES].to_vec();
        let mut model = Vec::new();
        for (kind, len, run_value) in runs {
            let room = REGISTERS - model.len();
            if room == 0 {
                break;
            }
            let op = match kind {
                0 => Op::Zeros(len.min(room).min(ZERO_RUN_MAX)),
                1 => Op::Zeros((len * 40).min(room)),
                _ => Op::Value { value: run_value, len: (len % 4 + 1).min(room) },
            };
            let mut out = [0u8; 2];
            let width = op.encode(&mut out);
            bytes.extend_from_slice(&out[..width]);
            let (filler, len) = match op {
                Op::Zeros(len) => (0, len),
                Op::Value { value, len } => (value, len),
            };
            model.extend(std::iter::repeat_n(filler, len));
        }
        let room = REGISTERS - model.len();
        if room > 0 {
            let mut out = [0u8; 2];
            let width = Op::Zeros(room).encode(&mut out);
            bytes.extend_from_slice(&out[..width]);
            model.resize(REGISTERS, 0);
        }
        prop_assert_eq!(model_of(&bytes), model.clone());
        let changed = raise(&mut bytes, index, value, sparse_bytes_max).unwrap();
        prop_assert_eq!(changed, model[index] < value);
        model[index] = model[index].max(value);
        prop_assert_eq!(model_of(&bytes), model);
    }
}
