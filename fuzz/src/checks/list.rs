//! `List` against a `VecDeque`: the input picks a block limit (small ones, so that every
//! operation crosses blocks) and then pushes, pops, lookups, replacements, insertions, range
//! removals, trims, removals by value and walks both ways, with the invariants checked after
//! each step. `check` is the model; the list proptest (core/tests/lists.rs) drives it too.
use std::collections::VecDeque;

use ferrodis_core::store::list::{BlockLimit, End, List};
use ferrodis_core::store::listpack::Entry;

use super::input::Input;

const STEPS_MAX: usize = 256;

/// One operation; indexes are raw and clamped against the model's length where needed.
#[derive(Debug, Clone)]
pub enum Op {
    Push(End, Vec<u8>),
    PushAll(End, Vec<Vec<u8>>),
    Pop(End),
    Get(usize),
    Set(usize, Vec<u8>),
    Insert(usize, Vec<u8>),
    RemoveRange(usize, usize),
    Trim(usize, usize),
    RemoveMatching(Vec<u8>, usize, bool),
    IterFrom(usize),
}

/// Elements that recur (so removals by value match), integers at the encoding edges, and
/// lengths either side of the one- and two-byte back lengths.
fn element(input: &mut Input<'_>) -> Vec<u8> {
    match input.below(6) {
        0 => b"a".to_vec(),
        1 => [
            &b"0"[..],
            b"-1",
            b"127",
            b"128",
            b"-32769",
            b"9223372036854775807",
        ][input.below(6)]
        .to_vec(),
        2 => vec![b'x'; 120 + input.below(16)],
        3 => vec![b'y'; 300 * (1 + input.below(60))],
        _ => input.bytes(24).to_vec(),
    }
}

fn end(input: &mut Input<'_>) -> End {
    if input.bool() {
        End::Front
    } else {
        End::Back
    }
}

/// An index: mostly small, so that it falls inside the list.
fn index(input: &mut Input<'_>) -> usize {
    usize::from(input.u16()) % 300
}

fn op(input: &mut Input<'_>) -> Op {
    match input.below(11) {
        0 => Op::Push(end(input), element(input)),
        1 => {
            let end = end(input);
            Op::PushAll(end, (0..input.below(6)).map(|_| element(input)).collect())
        }
        2 => Op::Pop(end(input)),
        3 => Op::Get(index(input)),
        4 => Op::Set(index(input), element(input)),
        5 => Op::Insert(index(input), element(input)),
        6 => Op::RemoveRange(index(input), input.below(16)),
        7 => Op::Trim(index(input), index(input)),
        8 => Op::RemoveMatching(element(input), input.below(4), input.bool()),
        9 => Op::IterFrom(index(input)),
        _ => Op::Push(End::Back, b"a".to_vec()),
    }
}

fn texts<'a>(entries: impl Iterator<Item = Entry<'a>>) -> Vec<Vec<u8>> {
    entries.map(|entry| entry.to_vec()).collect()
}

/// Applies `ops` to a `List` and to a `VecDeque`, checking every answer, the invariants and
/// the limit after each step, and the whole contents at the end. Indexes past the model's
/// length are clamped where an operation needs one inside it.
pub fn check(limit: BlockLimit, ops: Vec<Op>) {
    let mut list = List::new();
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    let steps = ops.len();
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Push(end, bytes) => {
                list.push(end, &bytes, limit);
                match end {
                    End::Front => model.push_front(bytes),
                    End::Back => model.push_back(bytes),
                }
            }
            Op::PushAll(end, elements) => {
                list.push_all(end, elements.iter().map(Vec::as_slice), limit);
                for bytes in elements {
                    match end {
                        End::Front => model.push_front(bytes),
                        End::Back => model.push_back(bytes),
                    }
                }
            }
            Op::Pop(end) => {
                let seen = list.peek(end).map(|entry| entry.to_vec());
                let expected = match end {
                    End::Front => model.pop_front(),
                    End::Back => model.pop_back(),
                };
                assert_eq!(seen, expected);
                assert_eq!(list.pop(end), expected.is_some());
            }
            Op::Get(index) => {
                let seen = list.get(index).map(|entry| entry.to_vec());
                assert_eq!(seen.as_ref(), model.get(index));
            }
            Op::Set(index, bytes) if index < model.len() => {
                list.set(index, &bytes, limit);
                model[index] = bytes;
            }
            Op::Set(..) => {}
            Op::Insert(index, bytes) => {
                let index = index.min(model.len());
                list.insert(index, &bytes, limit);
                model.insert(index, bytes);
            }
            Op::RemoveRange(first, count) => {
                let first = first.min(model.len());
                let count = count.min(model.len() - first);
                list.remove_range(first, count);
                model.drain(first..first + count);
            }
            Op::Trim(start, stop) => {
                list.trim(start, stop);
                if start > stop || start >= model.len() {
                    model.clear();
                } else {
                    let stop = stop.min(model.len() - 1);
                    model = model.drain(start..=stop).collect();
                }
            }
            Op::RemoveMatching(needle, limit_count, from_back) => {
                let removed = list.remove_matching(&needle, limit_count, from_back);
                let mut left = if limit_count == 0 {
                    usize::MAX
                } else {
                    limit_count
                };
                let mut positions: Vec<usize> = (0..model.len()).collect();
                if from_back {
                    positions.reverse();
                }
                let mut gone = Vec::new();
                for position in positions {
                    if left > 0 && model[position] == needle {
                        gone.push(position);
                        left -= 1;
                    }
                }
                gone.sort_unstable();
                for position in gone.iter().rev() {
                    model.remove(*position);
                }
                assert_eq!(removed, gone.len());
            }
            Op::IterFrom(index) => {
                let forward = texts(list.iter_from(index));
                let expected: Vec<Vec<u8>> = model.iter().skip(index).cloned().collect();
                assert_eq!(forward, expected);
                let backward = texts(list.iter_from(index).rev());
                let expected: Vec<Vec<u8>> = model.iter().skip(index).rev().cloned().collect();
                assert_eq!(backward, expected);
            }
        }
        assert_eq!(list.len(), model.len());
        if super::full_check_due(step, model.len(), step + 1 == steps) {
            list.check_invariants();
            list.check_limit(limit);
        }
    }
    assert_eq!(texts(list.iter()), Vec::from(model));
}

pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let limit = match input.below(4) {
        0 => BlockLimit::Entries(input.below(6)),
        1 => BlockLimit::Bytes(1 + usize::from(input.u16()) % 600),
        2 => BlockLimit::from_config(-1 - input.below(5) as i64),
        _ => BlockLimit::from_config(input.below(130) as i64),
    };
    let mut ops = Vec::new();
    while !input.is_empty() && ops.len() < STEPS_MAX {
        ops.push(op(&mut input));
    }
    check(limit, ops);
}
