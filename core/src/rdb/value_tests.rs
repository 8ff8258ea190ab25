//! Values through RDB's encodings and back, against a model of their contents.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::encoding::{write_length, write_string, Compression, Reader};
use super::packed::ListpackWriter;
use super::value::{read_value, type_of, write_value, Invalid, Shape, TYPE_STRING};
use crate::config::Config;
use crate::store::list::BlockLimit;
use crate::value::Value;

/// What a value holds, in the plainest terms.
#[derive(Debug, Clone)]
enum Model {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    ZSet(BTreeMap<Vec<u8>, f64>),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-300i64..300).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..12),
        proptest::collection::vec(b'a'..b'c', 60..200),
    ]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n as f64),
        any::<f64>().prop_filter("not NaN", |s| !s.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let count = 1..300usize;
    prop_oneof![
        element().prop_map(Model::Str),
        proptest::collection::vec(element(), count.clone()).prop_map(Model::List),
        proptest::collection::btree_set(element(), count.clone()).prop_map(Model::Set),
        proptest::collection::btree_set(any::<i64>(), count.clone()).prop_map(|ints| {
            Model::Set(ints.iter().map(|n| n.to_string().into_bytes()).collect())
        }),
        proptest::collection::btree_map(element(), element(), count.clone()).prop_map(Model::Hash),
        proptest::collection::btree_map(element(), score(), count).prop_map(Model::ZSet),
    ]
}

/// The model in the plainest encoding RDB has (what Redis 2.x wrote), and its type byte.
fn plain(model: &Model) -> (u8, Vec<u8>) {
    let mut out = Vec::new();
    let kind = match model {
        Model::Str(bytes) => {
            write_string(&mut out, bytes);
            TYPE_STRING
        }
        Model::List(elements) => {
            write_length(&mut out, elements.len() as u64);
            elements.iter().for_each(|e| write_string(&mut out, e));
            1
        }
        Model::Set(members) => {
            write_length(&mut out, members.len() as u64);
            members.iter().for_each(|m| write_string(&mut out, m));
            2
        }
        Model::Hash(pairs) => {
            write_length(&mut out, pairs.len() as u64);
            for (field, value) in pairs {
                write_string(&mut out, field);
                write_string(&mut out, value);
            }
            4
        }
        Model::ZSet(items) => {
            write_length(&mut out, items.len() as u64);
            for (member, score) in items {
                write_string(&mut out, member);
                out.extend_from_slice(&score.to_le_bytes());
            }
            5
        }
    };
    (kind, out)
}

fn read_all(kind: u8, bytes: &[u8], shape: &Shape) -> Result<Option<Value>, Invalid> {
    let mut reader = Reader::new(bytes);
    let value = read_value(&mut reader, kind, shape)?;
    assert_eq!(reader.remaining(), 0, "every byte of the value is read");
    Ok(value)
}

fn shape(small_limits: bool) -> Shape {
    let mut config = Config::default();
    if small_limits {
        config.hash_max_listpack_entries = 4;
        config.zset_max_listpack_entries = 4;
        config.set_max_intset_entries = 4;
        config.list_max_listpack_size = 3;
    }
    Shape::of(&config)
}

/// The value's contents in the model's terms.
fn model_of(value: &Value) -> Model {
    use crate::store::hash::HashRef;
    use crate::store::listpack::Entry;
    use crate::store::set::SetRef;
    use crate::store::zset_value::ZSetRef;
    fn text(entry: Entry<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        entry.write_text(&mut out);
        out
    }
    if let Value::Int(number) = value {
        return Model::Str(number.to_string().into_bytes());
    }
    if let Some(bytes) = value.string_bytes() {
        return Model::Str(bytes.to_vec());
    }
    if let Value::List(list) = value {
        return Model::List(list.iter().map(text).collect());
    }
    if let Some(set) = SetRef::of(value) {
        return Model::Set(set.members().map(text).collect());
    }
    if let Some(hash) = HashRef::of(value) {
        return Model::Hash(
            hash.pairs()
                .into_iter()
                .map(|(f, v)| (text(f), text(v)))
                .collect(),
        );
    }
    let zset = ZSetRef::of(value).expect("a sorted set");
    Model::ZSet(
        zset.iter()
            .map(|item| (item.member.to_vec(), item.score))
            .collect(),
    )
}

fn same_model(a: &Model, b: &Model) -> bool {
    match (a, b) {
        (Model::Str(x), Model::Str(y)) => x == y,
        (Model::List(x), Model::List(y)) => x == y,
        (Model::Set(x), Model::Set(y)) => x == y,
        (Model::Hash(x), Model::Hash(y)) => x == y,
        (Model::ZSet(x), Model::ZSet(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((m, s), (n, t))| m == n && (s == t || s.to_bits() == t.to_bits()))
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn values_survive_the_round_trip(model in model(), small in any::<bool>(), compress in any::<bool>()) {
        let shape = shape(small);
        let (kind, bytes) = plain(&model);
        let value = read_all(kind, &bytes, &shape).unwrap().expect("not empty");
        value.check_invariants();
        prop_assert!(same_model(&model_of(&value), &model), "{:?}", model);

        let mut out = Vec::new();
        write_value(&mut out, &value, &mut Compression::new(compress));
        let again = read_all(type_of(&value), &out, &shape).unwrap().expect("not empty");
        again.check_invariants();
        prop_assert!(same_model(&model_of(&value), &model_of(&again)));
        prop_assert_eq!(value.encoding_name(), again.encoding_name());
        prop_assert_eq!(type_of(&value), type_of(&again));
    }

    #[test]
    fn a_cut_or_changed_value_is_refused_or_read_without_panic(
        model in model(), cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>()
    ) {
        let shape = shape(false);
        let (kind, bytes) = plain(&model);
        let value = read_all(kind, &bytes, &shape).unwrap().unwrap();
        let mut out = Vec::new();
        write_value(&mut out, &value, &mut Compression::new(true));
        let kind = type_of(&value);
        let short = &out[..cut.index(out.len())];
        prop_assert!(read_value(&mut Reader::new(short), kind, &shape).is_err());
        let mut changed = out.clone();
        let at = flip.index(changed.len());
        changed[at] ^= 0x5a;
        if let Ok(Some(value)) = read_value(&mut Reader::new(&changed), kind, &shape) {
            value.check_invariants();
        }
    }
}

#[test]
fn small_collections_keep_the_compact_encodings_and_big_ones_the_tables() {
    let shape = shape(true);
    let ints: BTreeSet<Vec<u8>> = (0..3).map(|n: i32| n.to_string().into_bytes()).collect();
    let (kind, bytes) = plain(&Model::Set(ints));
    let value = read_all(kind, &bytes, &shape).unwrap().unwrap();
    assert_eq!(value.encoding_name(), "intset");
    let many: BTreeSet<Vec<u8>> = (0..9).map(|n: i32| n.to_string().into_bytes()).collect();
    let (kind, bytes) = plain(&Model::Set(many));
    assert_eq!(
        read_all(kind, &bytes, &shape)
            .unwrap()
            .unwrap()
            .encoding_name(),
        "hashtable"
    );
    let pairs = (0..3)
        .map(|n: i32| (vec![b'f', n as u8], b"v".to_vec()))
        .collect();
    let (kind, bytes) = plain(&Model::Hash(pairs));
    let hash = read_all(kind, &bytes, &shape).unwrap().unwrap();
    assert_eq!(hash.encoding_name(), "listpack");
    assert_eq!(type_of(&hash), 16);
}

#[test]
fn empty_collections_duplicates_and_nan_scores_are_told_apart() {
    let shape = shape(false);
    let (kind, bytes) = plain(&Model::Set(BTreeSet::new()));
    assert_eq!(read_all(kind, &bytes, &shape), Ok(None));
    // A set holding "a" twice.
    let mut twice = Vec::new();
    write_length(&mut twice, 2);
    write_string(&mut twice, b"a");
    write_string(&mut twice, b"a");
    assert!(matches!(
        read_all(2, &twice, &shape),
        Err(Invalid::Corrupt(_))
    ));
    let mut nan = Vec::new();
    write_length(&mut nan, 1);
    write_string(&mut nan, b"m");
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        read_all(5, &nan, &shape),
        Err(Invalid::Corrupt(_))
    ));
    assert_eq!(read_all(15, &[], &shape), Err(Invalid::UnknownType(15)));
}

#[test]
fn a_count_that_lies_reserves_no_more_than_the_input_and_fails() {
    let shape = shape(false);
    let mut lying = Vec::new();
    write_length(&mut lying, u64::MAX);
    write_string(&mut lying, b"one");
    for kind in [1, 2, 3, 4, 5, 14, 18] {
        assert!(read_all(kind, &lying, &shape).is_err(), "type {kind}");
    }
}

/// A packed hash as Redis writes it (type 16): a listpack of fields and values.
fn listpack_hash(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut writer = ListpackWriter::new();
    for (field, value) in pairs {
        writer.push_bytes(field);
        writer.push_bytes(value);
    }
    let mut bytes = Vec::new();
    write_string(&mut bytes, writer.seal());
    bytes
}

#[test]
fn packed_hashes_stay_packed_within_the_limits_and_refuse_a_field_twice() {
    let shape = shape(true);
    let as_model = |pairs: &[(&[u8], &[u8])]| {
        Model::Hash(
            pairs
                .iter()
                .map(|(field, value)| (field.to_vec(), value.to_vec()))
                .collect(),
        )
    };
    let small: [(&[u8], &[u8]); 2] = [(b"a", b"1"), (b"12", b"x")];
    let value = read_all(16, &listpack_hash(&small), &shape)
        .unwrap()
        .unwrap();
    assert_eq!(value.encoding_name(), "listpack");
    assert!(same_model(&model_of(&value), &as_model(&small)));
    // Five fields (the limit is four), or a value longer than 64 bytes: a table, all there.
    let fields: Vec<Vec<u8>> = (0..5).map(|n: u8| vec![b'f', n]).collect();
    let five: Vec<(&[u8], &[u8])> = fields.iter().map(|f| (&f[..], &b"v"[..])).collect();
    let long = [b'v'; 65];
    let long_value: [(&[u8], &[u8]); 1] = [(b"f", &long)];
    for pairs in [&five[..], &long_value[..]] {
        let value = read_all(16, &listpack_hash(pairs), &shape)
            .unwrap()
            .unwrap();
        assert_eq!(value.encoding_name(), "hashtable");
        assert!(same_model(&model_of(&value), &as_model(pairs)));
    }
    // "12" written once as an integer and once as text is the same field.
    let mut writer = ListpackWriter::new();
    for entry in [&b"12"[..], b"a", b"b", b"c"] {
        writer.push_bytes(entry);
    }
    writer.push_string(b"12");
    writer.push_bytes(b"d");
    let mut twice = Vec::new();
    write_string(&mut twice, writer.seal());
    assert!(matches!(
        read_all(16, &twice, &shape),
        Err(Invalid::Corrupt(_))
    ));
    // Fields of one length that end alike are two fields; the same long field twice is one.
    let alike: [(&[u8], &[u8]); 2] = [(b"x-12345678", b"1"), (b"y-12345678", b"2")];
    let value = read_all(16, &listpack_hash(&alike), &shape)
        .unwrap()
        .unwrap();
    assert!(same_model(&model_of(&value), &as_model(&alike)));
    let same: [(&[u8], &[u8]); 2] = [(b"x-12345678", b"1"), (b"x-12345678", b"2")];
    assert!(matches!(
        read_all(16, &listpack_hash(&same), &shape),
        Err(Invalid::Corrupt(_))
    ));
}

#[test]
fn list_nodes_in_uncommon_forms_or_past_the_limit_are_read_entry_by_entry() {
    // One quicklist 2 node whose listpack holds "12" as text and 5 in 16 bits (Redis writes
    // both as small integers), then one with four entries (the small limit is three).
    let mut odd = ListpackWriter::new();
    odd.push_string(b"12");
    odd.push_encoded(&[0xF1, 5, 0, 3], 1);
    let mut full = ListpackWriter::new();
    for element in [&b"a"[..], b"b", b"c", b"d"] {
        full.push_bytes(element);
    }
    let mut bytes = Vec::new();
    write_length(&mut bytes, 2);
    for writer in [&mut odd, &mut full] {
        write_length(&mut bytes, 2);
        write_string(&mut bytes, writer.seal());
    }
    let shape = shape(true);
    let value = read_all(18, &bytes, &shape).unwrap().unwrap();
    value.check_invariants();
    let elements: Vec<Vec<u8>> = ["12", "5", "a", "b", "c", "d"]
        .iter()
        .map(|text| text.as_bytes().to_vec())
        .collect();
    assert!(same_model(&model_of(&value), &Model::List(elements)));
    let Value::List(list) = &value else {
        panic!("a list")
    };
    list.check_limit(BlockLimit::from_config(3));
}
