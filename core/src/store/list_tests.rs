//! `List`'s own cases: Redis's block sizes, what short elements and reused room cost, removals
//! from the back. (The property test against a `VecDeque` is in core/tests/lists.rs.)

use super::*;

fn texts<'a>(entries: impl Iterator<Item = Entry<'a>>) -> Vec<Vec<u8>> {
    entries.map(|entry| entry.to_vec()).collect()
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
