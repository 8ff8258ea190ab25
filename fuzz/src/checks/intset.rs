//! `IntSet` two ways. First the input itself is read as an encoding: `from_bytes` never panics,
//! and what it accepts passes the invariants, gives back the same bytes, and holds values that
//! inserting them again gives. Then the input drives inserts, removals and lookups against a
//! `BTreeSet`, with the width checked to be the narrowest that held every value inserted, and
//! broken copies of the result read back the same way.
use std::collections::BTreeSet;

use ferrodis_core::store::intset::IntSet;

use super::input::Input;

const STEPS_MAX: usize = 256;

/// Values at and around each width's edges.
const EDGES: [i64; 16] = [
    0,
    -1,
    i16::MAX as i64,
    i16::MAX as i64 + 1,
    i16::MIN as i64,
    i16::MIN as i64 - 1,
    i32::MAX as i64,
    i32::MAX as i64 + 1,
    i32::MIN as i64,
    i32::MIN as i64 - 1,
    i64::MAX,
    i64::MAX - 1,
    i64::MIN,
    i64::MIN + 1,
    1 << 40,
    -(1 << 40),
];

fn value(input: &mut Input<'_>) -> i64 {
    match input.below(4) {
        0 => EDGES[input.below(EDGES.len())],
        1 => i64::from(input.u8() as i8),
        2 => i64::from(input.u16() as i16),
        _ => {
            let mut value = [0; 8];
            for byte in &mut value {
                *byte = input.u8();
            }
            i64::from_le_bytes(value)
        }
    }
}

/// The narrowest width that holds `value`.
fn width_for(value: i64) -> usize {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

/// Reads `bytes` as an encoding; checks what is accepted.
fn check_encoding(bytes: &[u8]) {
    let Ok(set) = IntSet::from_bytes(bytes) else {
        return;
    };
    set.check_invariants();
    assert_eq!(set.as_bytes(), bytes);
    assert_eq!(set.bytes_len(), 1 + set.len() * set.width());
    let mut again = IntSet::new();
    for value in set.iter() {
        assert!(set.contains(value));
        assert!(again.insert(value));
    }
    assert!(again.iter().eq(set.iter()));
    assert!(again.width() <= set.width());
}

pub fn run(bytes: &[u8]) {
    check_encoding(bytes);

    let mut input = Input::new(bytes);
    let mut set = IntSet::new();
    let mut model: BTreeSet<i64> = BTreeSet::new();
    let mut width = 2;
    for _ in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        match input.below(6) {
            0 | 1 => {
                let value = value(&mut input);
                width = width.max(width_for(value));
                assert_eq!(set.insert(value), model.insert(value));
            }
            2 => {
                let value = value(&mut input);
                assert_eq!(set.remove(value), model.remove(&value));
            }
            3 => {
                let value = value(&mut input);
                assert_eq!(set.contains(value), model.contains(&value));
                let index = usize::from(input.u8());
                assert_eq!(set.get(index), model.iter().nth(index).copied());
            }
            4 => {
                check_encoding(&input.damaged(set.as_bytes()));
            }
            _ => check_encoding(set.as_bytes()),
        }
        set.check_invariants();
        assert_eq!(set.width(), width);
        assert_eq!(set.len(), model.len());
        assert!(set.iter().eq(model.iter().copied()));
        assert!(set.iter().rev().eq(model.iter().rev().copied()));
    }
}
