//! `Listpack` two ways. First the input itself is read as an encoding: `from_bytes` never
//! panics, and what it accepts passes the invariants, gives back the same bytes, and is what
//! pushing its entries again writes (one encoding per value). Then the input drives pushes,
//! inserts, replacements, removals and finds against a `Vec` model, with broken copies of the
//! result read back the same way.
use ferrodis_core::store::listpack::{Entry, Listpack};

use super::input::Input;

const STEPS_MAX: usize = 256;

/// Past this many bytes no more long strings are added, so a run stays fast.
const ROOMY_BYTES_MAX: usize = 16 * 1024;

/// Texts at the encodings' edges, and numbers that are not canonical integers.
const TEXTS: [&[u8]; 30] = [
    b"0",
    b"1",
    b"127",
    b"128",
    b"-1",
    b"-128",
    b"32767",
    b"32768",
    b"-32768",
    b"-32769",
    b"8388607",
    b"8388608",
    b"-8388608",
    b"-8388609",
    b"2147483647",
    b"2147483648",
    b"-2147483648",
    b"-2147483649",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"007",
    b"-0",
    b"+1",
    b" 1",
    b"",
    b"-",
    b"1.5",
    b"field",
];

/// String lengths at the encodings' edges (20 and 21: the longest integer text and past it).
const LENGTHS: [usize; 8] = [20, 21, 63, 64, 65, 4095, 4096, 4097];

const FLOATS: [f64; 7] = [
    0.0,
    -0.0,
    1.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -1e-300,
];

/// One entry of the model: its text, or a float's bits.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(Vec<u8>),
    Float(u64),
}

fn item(input: &mut Input<'_>, roomy: bool) -> Item {
    match input.below(6) {
        0 | 1 => Item::Text(TEXTS[input.below(TEXTS.len())].to_vec()),
        2 => Item::Text(input.bytes(24).to_vec()),
        3 if roomy => Item::Text(vec![input.u8(); LENGTHS[input.below(LENGTHS.len())]]),
        4 => Item::Float(FLOATS[input.below(FLOATS.len())].to_bits()),
        _ => {
            let mut value = [0; 8];
            for byte in &mut value[..input.below(9)] {
                *byte = input.u8();
            }
            Item::Text(i64::from_le_bytes(value).to_string().into_bytes())
        }
    }
}

/// The item as an entry: through `Entry::from_bytes`, as a raw `Entry::Bytes` (the writer
/// stores a canonical integer as an integer anyway), or as `Entry::Int` when it is one.
fn entry(item: &Item, form: usize) -> Entry<'_> {
    match item {
        Item::Float(bits) => Entry::Float(f64::from_bits(*bits)),
        Item::Text(text) => match form {
            0 => Entry::from_bytes(text),
            1 => Entry::Bytes(text),
            _ => match Entry::from_bytes(text) {
                Entry::Int(value) => Entry::Int(value),
                _ => Entry::Bytes(text),
            },
        },
    }
}

fn items(input: &mut Input<'_>, roomy: bool) -> Vec<Item> {
    (0..input.below(4)).map(|_| item(input, roomy)).collect()
}

/// The offset of every entry, and `end()` last.
fn offsets(listpack: &Listpack) -> Vec<usize> {
    let mut offsets = vec![Listpack::START];
    let mut at = Listpack::START;
    while at < listpack.end() {
        let next = listpack.entry(at).1;
        assert!(next > at);
        offsets.push(next);
        at = next;
    }
    offsets
}

/// Reads `bytes` as an encoding; checks what is accepted.
fn check_encoding(bytes: &[u8]) {
    let Ok(listpack) = Listpack::from_bytes(bytes) else {
        return;
    };
    listpack.check_invariants();
    assert_eq!(listpack.as_bytes(), bytes);
    assert_eq!(offsets(&listpack).len(), listpack.len() + 1);
    let entries: Vec<Entry<'_>> = listpack.iter().collect();
    assert_eq!(entries.len(), listpack.len());
    let mut again = Listpack::new();
    again.push_all(&entries);
    assert_eq!(again, listpack);
    // The same again from each entry's text: a canonical integer's text is stored as before.
    let texts: Vec<(Vec<u8>, Option<f64>)> = entries
        .iter()
        .map(|entry| match entry {
            Entry::Float(value) => (Vec::new(), Some(*value)),
            other => (other.to_vec(), None),
        })
        .collect();
    let mut from_text = Listpack::new();
    for (text, float) in &texts {
        from_text.push(match float {
            Some(value) => Entry::Float(*value),
            None => Entry::Bytes(text),
        });
    }
    assert_eq!(from_text, listpack);
}

fn check_model(listpack: &Listpack, model: &[Item]) {
    listpack.check_invariants();
    assert_eq!(listpack.len(), model.len());
    assert_eq!(listpack.iter().len(), model.len());
    for (found, item) in listpack.iter().zip(model) {
        match (found, item) {
            (Entry::Float(value), Item::Float(bits)) => assert_eq!(value.to_bits(), *bits),
            (Entry::Float(_), _) | (_, Item::Float(_)) => panic!("{found:?} is not {item:?}"),
            (found, Item::Text(text)) => {
                assert_eq!(&found.to_vec(), text);
                assert!(found.is(&Entry::Bytes(text)));
            }
        }
    }
}

pub fn run(bytes: &[u8]) {
    check_encoding(bytes);

    let mut input = Input::new(bytes);
    let mut listpack = Listpack::new();
    let mut model: Vec<Item> = Vec::new();
    for _ in 0..STEPS_MAX {
        if input.is_empty() {
            break;
        }
        let roomy = listpack.bytes_len() < ROOMY_BYTES_MAX;
        let len = model.len();
        match input.below(8) {
            0 | 1 => {
                let item = item(&mut input, roomy);
                listpack.push(entry(&item, input.below(3)));
                model.push(item);
            }
            2 => {
                let index = usize::from(input.u16()) % (len + 1);
                let items = items(&mut input, roomy);
                let form = input.below(3);
                let entries: Vec<Entry<'_>> = items.iter().map(|item| entry(item, form)).collect();
                if index == len && input.bool() {
                    listpack.push_all(&entries);
                } else {
                    listpack.insert(offsets(&listpack)[index], &entries);
                }
                model.splice(index..index, items);
            }
            3 if len > 0 => {
                let index = usize::from(input.u16()) % len;
                let item = item(&mut input, roomy);
                listpack.replace(offsets(&listpack)[index], entry(&item, input.below(3)));
                model[index] = item;
            }
            4 => {
                let index = usize::from(input.u16()) % (len + 1);
                let count = input.below(4).min(len - index);
                listpack.remove(offsets(&listpack)[index], count);
                model.drain(index..index + count);
            }
            5 => {
                let needle = item(&mut input, roomy);
                let step = 1 + input.below(3);
                let expected = model
                    .iter()
                    .enumerate()
                    .step_by(step)
                    .find(|&(_, item)| *item == needle)
                    .map(|(index, _)| offsets(&listpack)[index]);
                assert_eq!(
                    listpack.find(&entry(&needle, input.below(3)), step),
                    expected
                );
            }
            6 => {
                check_encoding(&input.damaged(listpack.as_bytes()));
            }
            _ => check_encoding(listpack.as_bytes()),
        }
        check_model(&listpack, &model);
    }
}
