//! `List` against a `VecDeque`: the input picks a block limit (small ones, so that every
//! operation crosses blocks) and then pushes, pops, lookups, replacements, insertions, range
//! removals, trims and removals by value, with the invariants checked after each step and both
//! walks compared with the model.
use std::collections::VecDeque;

use ferrodis_core::store::list::{BlockLimit, End, List};

use super::input::Input;

const STEPS_MAX: usize = 256;

/// Elements that recur (so removals by value match), integers at the encoding edges, and
/// lengths either side of the one-byte back length.
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

/// An index: mostly within the model's length, sometimes past it.
fn index(input: &mut Input<'_>, len: usize) -> usize {
    usize::from(input.u16()) % (len + 3)
}

fn texts<'a>(
    entries: impl Iterator<Item = ferrodis_core::store::listpack::Entry<'a>>,
) -> Vec<Vec<u8>> {
    entries.map(|entry| entry.to_vec()).collect()
}

pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let limit = match input.below(4) {
        0 => BlockLimit::Entries(input.below(6)),
        1 => BlockLimit::Bytes(1 + usize::from(input.u16()) % 600),
        2 => BlockLimit::from_config(-1 - input.below(5) as i64),
        _ => BlockLimit::from_config(input.below(130) as i64),
    };
    let mut list = List::new();
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for _ in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        match input.below(10) {
            0 | 1 => {
                let end = end(&mut input);
                let elements: Vec<Vec<u8>> = (0..1 + input.below(5))
                    .map(|_| element(&mut input))
                    .collect();
                list.push_all(end, elements.iter().map(Vec::as_slice), limit);
                for element in elements {
                    match end {
                        End::Front => model.push_front(element),
                        End::Back => model.push_back(element),
                    }
                }
            }
            2 => {
                let end = end(&mut input);
                let seen = list.peek(end).map(|entry| entry.to_vec());
                let expected = match end {
                    End::Front => model.pop_front(),
                    End::Back => model.pop_back(),
                };
                assert_eq!(seen, expected);
                assert_eq!(list.pop(end), expected.is_some());
            }
            3 => {
                let at = index(&mut input, model.len());
                assert_eq!(
                    list.get(at).map(|entry| entry.to_vec()).as_ref(),
                    model.get(at)
                );
            }
            4 => {
                let at = index(&mut input, model.len());
                let element = element(&mut input);
                if at < model.len() {
                    list.set(at, &element, limit);
                    model[at] = element;
                }
            }
            5 => {
                let at = index(&mut input, model.len()).min(model.len());
                let element = element(&mut input);
                list.insert(at, &element, limit);
                model.insert(at, element);
            }
            6 => {
                let first = index(&mut input, model.len()).min(model.len());
                let count = input.below(16).min(model.len() - first);
                list.remove_range(first, count);
                model.drain(first..first + count);
            }
            7 => {
                let (start, stop) = (
                    index(&mut input, model.len()),
                    index(&mut input, model.len()),
                );
                list.trim(start, stop);
                if start > stop || start >= model.len() {
                    model.clear();
                } else {
                    let stop = stop.min(model.len() - 1);
                    model = model.drain(start..=stop).collect();
                }
            }
            8 => {
                let needle = element(&mut input);
                let (count, from_back) = (input.below(4), input.bool());
                let removed = list.remove_matching(&needle, count, from_back);
                let mut positions: Vec<usize> =
                    (0..model.len()).filter(|&at| model[at] == needle).collect();
                if from_back {
                    positions.reverse();
                }
                positions.truncate(if count == 0 { usize::MAX } else { count });
                positions.sort_unstable();
                for at in positions.iter().rev() {
                    model.remove(*at);
                }
                assert_eq!(removed, positions.len());
            }
            _ => {
                let from = index(&mut input, model.len());
                let expected: Vec<Vec<u8>> = model.iter().skip(from).cloned().collect();
                assert_eq!(texts(list.iter_from(from)), expected);
                let mut backward = texts(list.iter_from(from).rev());
                backward.reverse();
                assert_eq!(backward, expected);
            }
        }
        assert_eq!(list.len(), model.len());
        list.check_invariants();
        list.check_limit(limit);
    }
    assert_eq!(texts(list.iter()), Vec::from(model));
}
