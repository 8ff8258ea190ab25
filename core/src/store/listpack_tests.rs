//! `Listpack` against a `Vec` model, exact encodings, and `from_bytes` on broken input.

use proptest::prelude::*;

use super::*;

/// What the model holds for one entry.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(Vec<u8>),
    Float(f64),
}

impl Item {
    fn text(&self) -> Vec<u8> {
        match self {
            Item::Text(text) => text.clone(),
            Item::Float(value) => Entry::Float(*value).to_vec(),
        }
    }

    /// Whether a stored entry matches this item the way `find` compares.
    fn matches(&self, other: &Item) -> bool {
        match (self, other) {
            (Item::Text(a), Item::Text(b)) => a == b,
            (Item::Float(a), Item::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

/// How an item is handed to the listpack: through `Entry::from_bytes`, as raw `Entry::Bytes`
/// (the writer must still store a canonical integer as an integer), or as `Entry::Int` when the
/// text is one.
#[derive(Debug, Clone, Copy)]
enum Form {
    Parsed,
    Raw,
    Int,
}

fn entry_of(item: &Item, form: Form) -> Entry<'_> {
    match item {
        Item::Float(value) => Entry::Float(*value),
        Item::Text(text) => match form {
            Form::Parsed => Entry::from_bytes(text),
            Form::Raw => Entry::Bytes(text),
            Form::Int => match parse_i64(text) {
                Some(value) => Entry::Int(value),
                None => Entry::Bytes(text),
            },
        },
    }
}

/// Texts at every encoding's edges.
fn edge_texts() -> Vec<Vec<u8>> {
    let numbers: [i64; 22] = [
        0,
        1,
        -1,
        127,
        128,
        -128,
        i64::from(i16::MAX),
        i64::from(i16::MAX) + 1,
        i64::from(i16::MIN),
        i64::from(i16::MIN) - 1,
        I24_MAX,
        I24_MAX + 1,
        I24_MIN,
        I24_MIN - 1,
        i64::from(i32::MAX),
        i64::from(i32::MAX) + 1,
        i64::from(i32::MIN),
        i64::from(i32::MIN) - 1,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
    ];
    let mut texts: Vec<Vec<u8>> = numbers
        .iter()
        .map(|number| number.to_string().into_bytes())
        .collect();
    for text in [
        &b"007"[..],
        b"-0",
        b"+1",
        b" 1",
        b"1 ",
        b"00",
        b"",
        b"-",
        b"1a",
        b"1.5",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"12345678901234567890",
        b"\x00\xff\x80",
    ] {
        texts.push(text.to_vec());
    }
    texts
}

fn item() -> impl Strategy<Value = Item> {
    let floats = vec![
        0.0,
        -0.0,
        1.5,
        -2.25,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        3.0,
    ];
    prop_oneof![
        4 => prop::sample::select(edge_texts()).prop_map(Item::Text),
        2 => (-300i64..300).prop_map(|n| Item::Text(n.to_string().into_bytes())),
        1 => any::<i64>().prop_map(|n| Item::Text(n.to_string().into_bytes())),
        2 => prop::collection::vec(any::<u8>(), 0..24).prop_map(Item::Text),
        1 => (prop::sample::select(vec![20usize, 21, 62, 63, 64, 65, 4095, 4096, 4097]), any::<u8>())
            .prop_map(|(len, byte)| Item::Text(vec![byte; len])),
        1 => prop::sample::select(floats).prop_map(Item::Float),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    prop::sample::select(vec![Form::Parsed, Form::Raw, Form::Int])
}

#[derive(Debug, Clone)]
enum Op {
    Push(Item, Form),
    PushAll(Vec<Item>, Form),
    Insert(usize, Vec<Item>, Form),
    Replace(usize, Item, Form),
    Remove(usize, usize),
    Find(Item, Form, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (item(), form()).prop_map(|(item, form)| Op::Push(item, form)),
        1 => (prop::collection::vec(item(), 0..4), form()).prop_map(|(items, form)| Op::PushAll(items, form)),
        2 => (any::<usize>(), prop::collection::vec(item(), 0..4), form())
            .prop_map(|(index, items, form)| Op::Insert(index, items, form)),
        2 => (any::<usize>(), item(), form()).prop_map(|(index, item, form)| Op::Replace(index, item, form)),
        2 => (any::<usize>(), 0usize..4).prop_map(|(index, count)| Op::Remove(index, count)),
        2 => (item(), form(), 1usize..3).prop_map(|(item, form, step)| Op::Find(item, form, step)),
    ]
}

/// The offset of every entry, and `end()` last.
fn offsets(listpack: &Listpack) -> Vec<usize> {
    let mut offsets = vec![Listpack::START];
    let mut at = Listpack::START;
    while at < listpack.end() {
        at = listpack.entry(at).1;
        offsets.push(at);
    }
    offsets
}

fn check(listpack: &Listpack, model: &[Item]) -> Result<(), TestCaseError> {
    listpack.check_invariants();
    prop_assert_eq!(listpack.len(), model.len());
    prop_assert_eq!(listpack.is_empty(), model.is_empty());
    prop_assert_eq!(listpack.iter().len(), model.len());
    for (entry, item) in listpack.iter().zip(model) {
        prop_assert_eq!(entry.to_vec(), item.text());
        match item {
            Item::Float(value) => prop_assert_eq!(entry, Entry::Float(*value)),
            Item::Text(text) => prop_assert!(entry.is(&Entry::Bytes(text)), "{entry:?}"),
        }
    }
    prop_assert_eq!(offsets(listpack).len(), model.len() + 1);
    prop_assert_eq!(listpack.bytes_len(), listpack.as_bytes().len());
    prop_assert_eq!(
        Listpack::from_bytes(listpack.as_bytes()),
        Ok(listpack.clone())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn matches_a_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut listpack = Listpack::new();
        let mut model: Vec<Item> = Vec::new();
        for op in ops {
            match op {
                Op::Push(item, form) => {
                    listpack.push(entry_of(&item, form));
                    model.push(item);
                }
                Op::PushAll(items, form) => {
                    let entries: Vec<Entry<'_>> = items.iter().map(|item| entry_of(item, form)).collect();
                    listpack.push_all(&entries);
                    model.extend(items);
                }
                Op::Insert(index, items, form) => {
                    let index = index % (model.len() + 1);
                    let at = offsets(&listpack)[index];
                    let entries: Vec<Entry<'_>> = items.iter().map(|item| entry_of(item, form)).collect();
                    listpack.insert(at, &entries);
                    model.splice(index..index, items);
                }
                Op::Replace(index, item, form) => {
                    if model.is_empty() {
                        continue;
                    }
                    let index = index % model.len();
                    listpack.replace(offsets(&listpack)[index], entry_of(&item, form));
                    model[index] = item;
                }
                Op::Remove(index, count) => {
                    let index = index % (model.len() + 1);
                    let count = count.min(model.len() - index);
                    listpack.remove(offsets(&listpack)[index], count);
                    model.drain(index..index + count);
                }
                Op::Find(needle, form, step) => {
                    let expected = model
                        .iter()
                        .enumerate()
                        .step_by(step)
                        .find(|(_, item)| item.matches(&needle))
                        .map(|(index, _)| offsets(&listpack)[index]);
                    prop_assert_eq!(listpack.find(&entry_of(&needle, form), step), expected);
                }
            }
            check(&listpack, &model)?;
        }
    }
}

fn encoding(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut listpack = Listpack::new();
    listpack.push_all(entries);
    listpack.check_invariants();
    listpack.as_bytes().to_vec()
}

#[test]
fn exact_encodings() {
    assert_eq!(Listpack::new().as_bytes(), [0, 0, 0, 0]);
    assert_eq!(encoding(&[Entry::from_bytes(b"5")]), [1, 0, 0, 0, 5]);
    assert_eq!(encoding(&[Entry::Bytes(b"5")]), [1, 0, 0, 0, 5]);
    assert_eq!(
        encoding(&[Entry::Bytes(b"hi"), Entry::Int(127)]),
        [2, 0, 0, 0, 0x82, b'h', b'i', 0x7F]
    );
    assert_eq!(encoding(&[Entry::Int(128)]), [1, 0, 0, 0, 0xD0, 0x80, 0]);
    assert_eq!(encoding(&[Entry::Int(-1)]), [1, 0, 0, 0, 0xD0, 0xFF, 0xFF]);
    assert_eq!(
        encoding(&[Entry::Int(40000)]),
        [1, 0, 0, 0, 0xD1, 0x40, 0x9C, 0]
    );
    assert_eq!(
        encoding(&[Entry::Int(I24_MIN)]),
        [1, 0, 0, 0, 0xD1, 0, 0, 0x80]
    );
    assert_eq!(
        encoding(&[Entry::Int(-(1 << 31))]),
        [1, 0, 0, 0, 0xD2, 0, 0, 0, 0x80]
    );
    let mut expected = vec![1, 0, 0, 0, 0xD3];
    expected.extend_from_slice(&i64::MIN.to_le_bytes());
    assert_eq!(encoding(&[Entry::Int(i64::MIN)]), expected);
    let mut expected = vec![1, 0, 0, 0, 0xD4];
    expected.extend_from_slice(&1.5f64.to_bits().to_le_bytes());
    assert_eq!(encoding(&[Entry::Float(1.5)]), expected);
    // "-0" and "007" are not canonical integers: they stay byte strings.
    assert_eq!(
        encoding(&[Entry::from_bytes(b"-0"), Entry::Bytes(b"007")]),
        [2, 0, 0, 0, 0x82, b'-', b'0', 0x83, b'0', b'0', b'7']
    );
    let long = [b'x'; 4096];
    for (len, header) in [
        (63, vec![0xBF]),
        (64, vec![0xC0, 64]),
        (4095, vec![0xCF, 0xFF]),
        (4096, vec![0xE0, 0, 0x10, 0, 0]),
    ] {
        let bytes = encoding(&[Entry::Bytes(&long[..len])]);
        assert_eq!(&bytes[4..4 + header.len()], header, "length {len}");
        assert_eq!(bytes.len(), 4 + header.len() + len);
    }
}

#[test]
fn entries_read_back_as_text_and_numbers() {
    let mut listpack = Listpack::default();
    listpack.push_all(&[
        Entry::from_bytes(b"field"),
        Entry::from_bytes(b"-42"),
        Entry::Float(0.5),
    ]);
    let entries: Vec<Entry<'_>> = listpack.iter().collect();
    assert_eq!(
        entries,
        [Entry::Bytes(b"field"), Entry::Int(-42), Entry::Float(0.5)]
    );
    let texts: Vec<Vec<u8>> = entries.iter().map(Entry::to_vec).collect();
    assert_eq!(texts, [&b"field"[..], b"-42", b"0.5"]);
    assert_eq!(
        entries.iter().map(Entry::as_f64).collect::<Vec<_>>(),
        [None, Some(-42.0), Some(0.5)]
    );
    assert!(Entry::Int(-42).is(&Entry::Bytes(b"-42")));
    assert!(Entry::Bytes(b"-42").is(&Entry::Int(-42)));
    assert!(!Entry::Int(7).is(&Entry::Bytes(b"007")));
    assert!(!Entry::Float(1.0).is(&Entry::Int(1)));
    assert!(!Entry::Float(0.0).is(&Entry::Float(-0.0)));
    assert_eq!(format!("{listpack:?}"), r#"["field", -42, 0.5f]"#);

    // A hash's fields are the even entries: "-42" is a value, not a field.
    assert_eq!(listpack.find(&Entry::Bytes(b"-42"), 2), None);
    assert_eq!(listpack.find(&Entry::Bytes(b"-42"), 1), Some(10));
    let (value, next) = listpack.entry(10);
    assert_eq!((value, next), (Entry::Int(-42), 13));
    assert_eq!(listpack.entry(next).1, listpack.end());
}

#[test]
fn changes_in_place() {
    let mut listpack = Listpack::new();
    listpack.push_all(&[Entry::Int(1), Entry::Int(2), Entry::Int(3)]);
    listpack.replace(5, Entry::Bytes(b"two"));
    listpack.insert(Listpack::START, &[Entry::Int(0)]);
    listpack.remove(listpack.find(&Entry::Int(3), 1).unwrap(), 1);
    listpack.insert(listpack.end(), &[]);
    listpack.remove(Listpack::START, 0);
    listpack.check_invariants();
    assert_eq!(format!("{listpack:?}"), r#"[0, 1, "two"]"#);
    listpack.remove(Listpack::START, 3);
    assert_eq!(listpack, Listpack::new());
}

fn with_header(count: u32, entries: &[u8]) -> Vec<u8> {
    let mut bytes = count.to_le_bytes().to_vec();
    bytes.extend_from_slice(entries);
    bytes
}

#[test]
fn from_bytes_rejects_broken_encodings() {
    let mut long_str12 = vec![0xC0, 64];
    long_str12.extend_from_slice(&[b'a'; 63]);
    let mut bad: Vec<Vec<u8>> = vec![
        vec![],
        vec![0, 0, 0],
        // Counts that do not match the entries.
        with_header(1, &[]),
        with_header(0, &[5]),
        with_header(2, &[5]),
        with_header(u32::MAX, &[5]),
        // Bytes after the last entry, or an entry cut short.
        with_header(1, &[5, 0xD0]),
        with_header(1, &[0x83, b'a', b'b']),
        with_header(1, &[0xC1]),
        with_header(1, &[0xC1, 0]),
        with_header(1, &[0xD0, 0xFF]),
        with_header(1, &[0xD1, 0, 0x80]),
        with_header(1, &[0xD2, 0, 0, 0]),
        with_header(1, &[0xD3, 0, 0, 0, 0, 0, 0, 0]),
        with_header(1, &[0xD4, 0, 0, 0, 0, 0, 0, 0]),
        with_header(1, &[0xE0, 0, 0x10, 0]),
        with_header(1, &[0xE0, 0xFF, 0xFF, 0xFF, 0xFF, b'a']),
        // The length of a string past the end.
        long_str12,
        // Longer forms than the value needs.
        with_header(1, &[0xD0, 5, 0]),
        with_header(1, &[0xD1, 0xFF, 0xFF, 0xFF]),
        with_header(1, &[0xD2, 0xFF, 0x7F, 0, 0]),
        with_header(1, &[0xD3, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF]),
        with_header(1, &[0xC0, 1, b'a']),
        with_header(1, &[0xC0, 0, 0, 0]),
        with_header(1, &[0xE0, 1, 0, 0, 0, b'a']),
        // Byte strings that are canonical integers.
        with_header(1, &[0x81, b'7']),
        with_header(1, &[0x82, b'-', b'1']),
    ];
    let mut str12_short = with_header(1, &[0xC0, 63]);
    str12_short.extend_from_slice(&[b'a'; 63]);
    bad.push(str12_short);
    let mut str32_short = with_header(1, &[0xE0, 0xFF, 0x0F, 0, 0]);
    str32_short.extend_from_slice(&[b'a'; 4095]);
    bad.push(str32_short);
    let mut twenty_digits = with_header(1, &[0x94]);
    twenty_digits.extend_from_slice(b"-9223372036854775808");
    bad.push(twenty_digits);
    // Tags that mean nothing.
    for tag in (0xD5..=0xDF).chain(0xE1..=0xFF) {
        bad.push(with_header(1, &[tag, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
    for bytes in &bad {
        assert_eq!(Listpack::from_bytes(bytes), Err(Corrupt), "{bytes:x?}");
    }
}

#[test]
fn from_bytes_accepts_what_a_writer_gives() {
    let mut str12 = with_header(1, &[0xC0, 64]);
    str12.extend_from_slice(&[b'a'; 64]);
    let good: Vec<Vec<u8>> = vec![
        with_header(0, &[]),
        with_header(2, &[0x7F, 0x80]),
        with_header(1, &[0x83, b'0', b'0', b'7']),
        with_header(1, &[0x82, b'-', b'0']),
        with_header(1, &[0xD0, 0x80, 0]),
        with_header(1, &[0xD1, 0, 0x80, 0]),
        // Any float, NaN included: the caller decides what a float means.
        with_header(1, &[0xD4, 1, 0, 0, 0, 0, 0, 0xF8, 0x7F]),
        str12,
    ];
    for bytes in &good {
        let listpack = Listpack::from_bytes(bytes).expect("valid");
        listpack.check_invariants();
        assert_eq!(listpack.as_bytes(), &bytes[..]);
    }
}

#[test]
fn room_is_bounded_whatever_the_limits() {
    assert!(has_room(Listpack::START, 2, 100));
    assert!(has_room(BYTES_MAX - 18, 2, 0));
    assert!(!has_room(BYTES_MAX - 17, 2, 0));
    assert!(!has_room(0, 1, usize::MAX));
}
