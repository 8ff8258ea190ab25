//! `List` against a `VecDeque` model, under block limits small enough that every operation
//! crosses block boundaries, with elements whose back lengths take one to three bytes.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
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

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Front), Just(End::Back)]
}

/// Few distinct short values (so removals match), integers at the encoding edges, and long
/// strings whose back lengths take two or three bytes.
fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "0"]).prop_map(|text| text.as_bytes().to_vec()),
        4 => prop::sample::select(vec!["", "xyz", "-1", "127", "128", "007"])
            .prop_map(|text| text.as_bytes().to_vec()),
        3 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        2 => prop::collection::vec(any::<u8>(), 0..80),
        1 => (100usize..20_000, any::<u8>()).prop_map(|(len, byte)| vec![byte; len]),
    ]
}

/// Mostly values that `element` draws often, so that removals find several matches.
fn needle() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "0"]).prop_map(|text| text.as_bytes().to_vec()),
        1 => element(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (end(), element()).prop_map(|(end, bytes)| Op::Push(end, bytes)),
        2 => (end(), prop::collection::vec(element(), 0..12))
            .prop_map(|(end, elements)| Op::PushAll(end, elements)),
        3 => end().prop_map(Op::Pop),
        2 => (0usize..300).prop_map(Op::Get),
        2 => (0usize..300, element()).prop_map(|(index, bytes)| Op::Set(index, bytes)),
        2 => (0usize..300, element()).prop_map(|(index, bytes)| Op::Insert(index, bytes)),
        1 => (0usize..300, 0usize..40).prop_map(|(first, count)| Op::RemoveRange(first, count)),
        1 => (0usize..300, 0usize..300).prop_map(|(start, stop)| Op::Trim(start, stop)),
        2 => (needle(), 0usize..4, any::<bool>())
            .prop_map(|(needle, limit, back)| Op::RemoveMatching(needle, limit, back)),
        1 => (0usize..300).prop_map(Op::IterFrom),
    ]
}

fn limit() -> impl Strategy<Value = BlockLimit> {
    prop_oneof![
        (0usize..6).prop_map(BlockLimit::Entries),
        (1usize..200).prop_map(BlockLimit::Bytes),
        Just(BlockLimit::from_config(-2)),
        Just(BlockLimit::from_config(128)),
    ]
}

fn texts<'a>(entries: impl Iterator<Item = Entry<'a>>) -> Vec<Vec<u8>> {
    entries.map(|entry| entry.to_vec()).collect()
}

fn run(limit: BlockLimit, ops: Vec<Op>) {
    let mut list = List::new();
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for op in ops {
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
        list.check_invariants();
        list.check_limit(limit);
    }
    assert_eq!(texts(list.iter()), Vec::from(model));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn list_matches_a_deque(limit in limit(), ops in prop::collection::vec(op(), 1..120)) {
        run(limit, ops);
    }
}

#[test]
fn limits_follow_redis_config_values() {
    assert_eq!(BlockLimit::from_config(-1), BlockLimit::Bytes(4096));
    assert_eq!(BlockLimit::from_config(-2), BlockLimit::Bytes(8192));
    assert_eq!(BlockLimit::from_config(-5), BlockLimit::Bytes(65536));
    assert_eq!(BlockLimit::from_config(-100), BlockLimit::Bytes(65536));
    assert_eq!(BlockLimit::from_config(5), BlockLimit::Entries(5));
    assert_eq!(
        BlockLimit::from_config(1 << 20),
        BlockLimit::Entries(1 << 15)
    );
}

#[test]
fn short_elements_cost_a_few_bytes_each() {
    let mut list = List::new();
    for n in 0..100_000 {
        list.push(
            End::Back,
            format!("v{}", n % 1000).as_bytes(),
            BlockLimit::from_config(-2),
        );
    }
    list.check_invariants();
    // Each element is a tag, up to 4 bytes of text and a 1-byte back length.
    let per_element = list.memory_bytes() as f64 / list.len() as f64;
    assert!(per_element < 7.0, "{per_element} bytes per element");
    assert!(list.blocks() < 100_000 * 6 / 8192 + 2);
}

#[test]
fn pushes_at_the_head_reuse_room_left_by_pops() {
    let limit = BlockLimit::from_config(-2);
    let mut list = List::new();
    for _ in 0..10 {
        list.push(End::Front, b"abc", limit);
    }
    for round in 0..10_000 {
        list.pop(End::Front);
        list.push(End::Front, format!("{round}").as_bytes(), limit);
    }
    list.check_invariants();
    assert_eq!(list.len(), 10);
    assert!(list.memory_bytes() < 1024, "{} bytes", list.memory_bytes());
}

#[test]
fn a_queue_reuses_its_block() {
    let limit = BlockLimit::from_config(-2);
    let mut list = List::new();
    for round in 0..100_000 {
        list.push(End::Back, format!("job{round}").as_bytes(), limit);
        if round >= 5 {
            assert_eq!(
                list.peek(End::Front).map(|entry| entry.to_vec()),
                Some(format!("job{}", round - 5).into_bytes())
            );
            list.pop(End::Front);
        }
    }
    list.check_invariants();
    assert!(list.memory_bytes() < 1024, "{} bytes", list.memory_bytes());
}

#[test]
fn removals_from_the_back_take_the_last_matches() {
    let limit = BlockLimit::from_config(-2);
    let mut list = List::new();
    for text in ["a", "b", "a", "c", "a"] {
        list.push(End::Back, text.as_bytes(), limit);
    }
    assert_eq!(list.remove_matching(b"a", 1, true), 1);
    assert_eq!(
        texts(list.iter()),
        vec![b"a".to_vec(), b"b".to_vec(), b"a".to_vec(), b"c".to_vec()]
    );
}

#[test]
fn a_pushed_batch_takes_exactly_its_room() {
    let elements: Vec<Vec<u8>> = (0..100).map(|n| format!("v{n}").into_bytes()).collect();
    for end in [End::Front, End::Back] {
        let mut list = List::new();
        list.push_all(
            end,
            elements.iter().map(Vec::as_slice),
            BlockLimit::from_config(-2),
        );
        list.check_invariants();
        let data: usize = list.blocks.iter().map(Block::bytes_len).sum();
        let held: usize = list.blocks.iter().map(Block::capacity).sum();
        assert_eq!(held, data, "{end:?}");
        let mut expected = elements.clone();
        if end == End::Front {
            expected.reverse();
        }
        assert_eq!(texts(list.iter()), expected);
    }
}
