//! Values in RDB's object encodings, as Redis 7.0 writes them (RDB version 10) and as every
//! Redis since 2.8 wrote them (read).
//!
//! Written: strings (integer-encoded or LZF-compressed where Redis would), small hashes and
//! small sorted sets as listpacks, big ones as plain tables (sorted sets with binary scores),
//! integer sets as intsets, other sets as plain member lists, and lists as quicklist 2 (one
//! listpack per block).
//!
//! Read, besides those: plain lists and sorted sets with text scores, and the ziplist forms of
//! lists, hashes and sorted sets older versions wrote. Zipmaps, streams and module values are
//! refused (ferrodis has no streams and no modules). A value read is stored in the encoding the
//! server's limits give it, as Redis converts on load. Nothing read is trusted: a collection's
//! count reserves table room for no more elements than the bytes left could hold (and the room
//! goes back when fewer arrive), duplicates and NaN scores are refused, and an empty collection
//! is reported as such (a file skips it, RESTORE refuses it).

use std::borrow::Cow;

use super::encoding::{write_integer, write_length, write_string_compact, Compression, Reader};
use super::packed::{self, Item, ListpackWriter, Malformed};
use crate::config::Config;
use crate::reply::integer_text;
use crate::store::hash::{FieldTable, HashMut, HashRef, PackedLimits};
use crate::store::intset::IntSet;
use crate::store::list::{BlockLimit, End, List};
use crate::store::list_block::Block;
use crate::store::listpack::{self, Entry, Listpack};
use crate::store::set::{empty_for, SetMut};
use crate::store::zset::ZSet;
use crate::store::zset_value;
use crate::util::number::{format_f64, parse_f64};
use crate::value::Value;

pub(crate) const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;

/// A quicklist 2 node holding one element as it is (Redis's plain node, for huge elements).
const NODE_PLAIN: u64 = 1;
/// A quicklist 2 node holding a listpack.
const NODE_PACKED: u64 = 2;

/// Why a value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// The bytes end early or say something impossible.
    Corrupt(&'static str),
    /// A type this server does not keep (streams, modules, zipmaps, or none at all).
    UnknownType(u8),
}

impl Invalid {
    pub(crate) fn message(&self) -> String {
        match self {
            Invalid::Corrupt(what) => what.to_string(),
            Invalid::UnknownType(kind) => format!("unknown value type {kind}"),
        }
    }
}

const TRUNCATED: Invalid = Invalid::Corrupt("value cut short");

impl From<Malformed> for Invalid {
    fn from(_: Malformed) -> Invalid {
        Invalid::Corrupt("malformed packed encoding")
    }
}

/// What the server's limits say about how a value read is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    hash: PackedLimits,
    zset: PackedLimits,
    intset_entries_max: usize,
    list: BlockLimit,
    seed: u64,
}

impl Shape {
    pub(crate) fn of(config: &Config) -> Shape {
        Shape {
            hash: config.hash_limits(),
            zset: config.zset_limits(),
            intset_entries_max: config.set_max_intset_entries,
            list: BlockLimit::from_config(config.list_max_listpack_size),
            seed: config.seed,
        }
    }
}

/// The type byte RDB writes before `value`.
pub(crate) fn type_of(value: &Value) -> u8 {
    match value {
        Value::Int(_) | Value::Str(_) | Value::RawStr(_) => TYPE_STRING,
        Value::PackedHash(_) => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
        Value::PackedZSet(_) => TYPE_ZSET_LISTPACK,
        Value::ZSet(_) => TYPE_ZSET_2,
        Value::IntSet(_) => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
    }
}

/// Whether `byte` is a value type this reads (as opposed to a file's opcodes).
pub(crate) fn is_known_type(byte: u8) -> bool {
    matches!(byte, 0..=5 | 10..=14 | 16..=18)
}

/// Appends `value` in the encoding `type_of(value)` names.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value, compress: &mut Compression) {
    match value {
        Value::Int(number) => write_integer(out, *number),
        Value::Str(_) | Value::RawStr(_) => {
            let bytes = value.string_bytes().expect("a string");
            write_string_compact(out, bytes, compress);
        }
        Value::PackedHash(packed) | Value::PackedZSet(packed) => {
            let mut writer = ListpackWriter::new();
            let mut text = Vec::new();
            for entry in packed.iter() {
                push_entry(&mut writer, entry, &mut text);
            }
            write_string_compact(out, writer.seal(), compress);
        }
        Value::Hash(table) => {
            write_length(out, table.len() as u64);
            for (field, value) in table.iter() {
                write_string_compact(out, field, compress);
                write_string_compact(out, value, compress);
            }
        }
        Value::ZSet(zset) => {
            // From the highest down, as Redis writes it: its loader then inserts at the head.
            write_length(out, zset.len() as u64);
            for item in zset.iter_rev() {
                write_string_compact(out, &item.member, compress);
                out.extend_from_slice(&item.score.to_le_bytes());
            }
        }
        Value::IntSet(ints) => {
            let blob = packed::intset_blob(ints.width(), ints.iter());
            write_string_compact(out, &blob, compress);
        }
        Value::Set(table) => {
            write_length(out, table.len() as u64);
            for (member, ()) in table.iter() {
                write_string_compact(out, member, compress);
            }
        }
        Value::List(list) => {
            // A block's entries are a Redis listpack's: each node is written as it lies.
            write_length(out, list.blocks() as u64);
            let mut writer = ListpackWriter::new();
            for (count, entries) in list.block_entries() {
                write_length(out, NODE_PACKED);
                writer.clear();
                writer.push_encoded(entries, count);
                write_string_compact(out, writer.seal(), compress);
            }
        }
    }
}

/// Appends one of our packed entries to a Redis listpack (a float score as Redis's text). Our
/// entries hold every canonical integer as an integer, so a byte string is written as it is.
fn push_entry(writer: &mut ListpackWriter, entry: Entry<'_>, text: &mut Vec<u8>) {
    match entry {
        Entry::Int(number) => writer.push_int(number),
        Entry::Bytes(bytes) => writer.push_string(bytes),
        Entry::Float(score) => {
            text.clear();
            format_f64(score, text);
            writer.push_bytes(text);
        }
    }
}

/// Reads a value of type `kind`; `None` when it is an empty collection.
pub(crate) fn read_value(
    reader: &mut Reader<'_>,
    kind: u8,
    shape: &Shape,
) -> Result<Option<Value>, Invalid> {
    let value = match kind {
        TYPE_STRING => Some(Value::from_bytes(&reader.string_ref().ok_or(TRUNCATED)?)),
        TYPE_LIST => {
            let mut list = ListBuilder::new(shape);
            for _ in 0..length(reader)? {
                list.push(&string(reader)?);
            }
            list.finish()
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => read_quicklist(reader, kind, shape)?,
        TYPE_LIST_ZIPLIST => {
            let mut list = ListBuilder::new(shape);
            for item in packed::ziplist_items(&string(reader)?)? {
                list.push(&item.to_vec());
            }
            list.finish()
        }
        TYPE_SET => {
            let count = length(reader)?;
            // Each member takes at least its length byte.
            let mut set = SetBuilder::new(shape, hint(count, reader, 1));
            for _ in 0..count {
                set.add(&string(reader)?)?;
            }
            set.finish()
        }
        TYPE_SET_INTSET => read_intset(&string(reader)?, shape)?,
        TYPE_HASH => {
            let count = length(reader)?;
            // Each field and value take at least their length bytes.
            let mut hash = HashBuilder::new(shape, hint(count, reader, 2));
            for _ in 0..count {
                hash.set(&string(reader)?, &string(reader)?)?;
            }
            hash.finish()
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = string(reader)?;
            let items = packed_items(&blob, kind == TYPE_HASH_ZIPLIST)?;
            let pairs = pairs(&items)?;
            match packed_pairs(&items, shape.hash)? {
                Some(packed) => (!packed.is_empty()).then_some(Value::PackedHash(packed)),
                None => {
                    let mut hash = HashBuilder::new(shape, 0);
                    for pair in pairs {
                        hash.set(&pair[0].to_vec(), &pair[1].to_vec())?;
                    }
                    hash.finish()
                }
            }
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let count = length(reader)?;
            // Each member takes at least its length byte and a score's byte (8 when binary).
            let mut zset = ZSetBuilder::new(shape, hint(count, reader, 2));
            for _ in 0..count {
                let member = string(reader)?;
                let score = if kind == TYPE_ZSET_2 {
                    f64::from_le_bytes(reader.array().ok_or(TRUNCATED)?)
                } else {
                    text_score(reader)?
                };
                zset.insert(&member, score)?;
            }
            zset.finish()
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = string(reader)?;
            let items = packed_items(&blob, kind == TYPE_ZSET_ZIPLIST)?;
            // Small as a rule: stored packed, the table built meanwhile is dropped.
            let mut zset = ZSetBuilder::new(shape, 0);
            for pair in pairs(&items)? {
                let score = match pair[1] {
                    Item::Int(number) => number as f64,
                    Item::Bytes(text) => {
                        parse_f64(text).ok_or(Invalid::Corrupt("a score that is no number"))?
                    }
                };
                zset.insert(&pair[0].to_vec(), score)?;
            }
            zset.finish()
        }
        other => return Err(Invalid::UnknownType(other)),
    };
    Ok(value)
}

/// A string of the input, borrowed where it is stored as it is.
fn string<'a>(reader: &mut Reader<'a>) -> Result<Cow<'a, [u8]>, Invalid> {
    reader.string_ref().ok_or(TRUNCATED)
}

fn length(reader: &mut Reader<'_>) -> Result<u64, Invalid> {
    reader.length().ok_or(TRUNCATED)
}

/// How many elements to make room for when a collection says it holds `count`: no more than
/// the input left could hold at `bytes_min` bytes each, so that a lying count reserves nothing
/// the input does not justify.
fn hint(count: u64, reader: &Reader<'_>, bytes_min: usize) -> usize {
    usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(reader.remaining() / bytes_min)
}

fn packed_items(blob: &[u8], ziplist: bool) -> Result<Vec<Item<'_>>, Invalid> {
    let items = if ziplist {
        packed::ziplist_items(blob)?
    } else {
        packed::listpack_items(blob)?
    };
    Ok(items)
}

/// Entries taken two by two (field and value, member and score).
fn pairs<'i, 'a>(items: &'i [Item<'a>]) -> Result<std::slice::ChunksExact<'i, Item<'a>>, Invalid> {
    if !items.len().is_multiple_of(2) {
        return Err(Invalid::Corrupt(
            "a packed value with an odd number of entries",
        ));
    }
    Ok(items.chunks_exact(2))
}

/// A packed hash's fields and values (`items`, taken two by two) as our listpack, built in one
/// step, when every one fits `limits`; `None` when some does not (the caller then sets them
/// one by one, converting as HSET does). A field given twice is corrupt.
fn packed_pairs(items: &[Item<'_>], limits: PackedLimits) -> Result<Option<Listpack>, Invalid> {
    if items.len() / 2 > limits.entries {
        return Ok(None);
    }
    let entries: Vec<Entry<'_>> = items.iter().map(|item| item.entry()).collect();
    let mut text_bytes = 0;
    let mut digits = [0u8; 20];
    for entry in &entries {
        let len = match entry {
            Entry::Int(number) => integer_text(*number, &mut digits).len(),
            Entry::Bytes(bytes) => bytes.len(),
            Entry::Float(_) => unreachable!("a file's items are integers or strings"),
        };
        if len > limits.value_bytes {
            return Ok(None);
        }
        text_bytes += len;
    }
    if !listpack::has_room(0, entries.len(), text_bytes) {
        return Ok(None);
    }
    // Fields compared by a fingerprint first (a word each), their bytes only when those agree.
    let fingerprints: Vec<(usize, u64)> = entries.iter().step_by(2).map(fingerprint).collect();
    for (index, field) in entries.iter().step_by(2).enumerate() {
        let twice = (0..index).any(|earlier| {
            fingerprints[earlier] == fingerprints[index] && entries[2 * earlier].is(field)
        });
        if twice {
            return Err(Invalid::Corrupt("a hash field twice"));
        }
    }
    let mut packed = Listpack::new();
    packed.push_all(&entries);
    Ok(Some(packed))
}

/// A stored entry's length and last bytes (an integer's value): equal entries have equal
/// fingerprints.
fn fingerprint(entry: &Entry<'_>) -> (usize, u64) {
    match *entry {
        Entry::Int(number) => (usize::MAX, number as u64),
        Entry::Bytes(bytes) => {
            let tail = &bytes[bytes.len().saturating_sub(8)..];
            let mut word = [0u8; 8];
            word[..tail.len()].copy_from_slice(tail);
            (bytes.len(), u64::from_le_bytes(word))
        }
        Entry::Float(score) => (usize::MAX - 1, score.to_bits()),
    }
}

/// A score in the old text form: a length byte, or 253 NaN, 254 +inf, 255 -inf.
fn text_score(reader: &mut Reader<'_>) -> Result<f64, Invalid> {
    let len = reader.byte().ok_or(TRUNCATED)?;
    match len {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        _ => {
            let text = reader.take(u64::from(len)).ok_or(TRUNCATED)?;
            parse_f64(text).ok_or(Invalid::Corrupt("a score that is no number"))
        }
    }
}

fn read_quicklist(
    reader: &mut Reader<'_>,
    kind: u8,
    shape: &Shape,
) -> Result<Option<Value>, Invalid> {
    let mut list = ListBuilder::new(shape);
    for _ in 0..length(reader)? {
        let container = match kind {
            TYPE_LIST_QUICKLIST_2 => length(reader)?,
            _ => NODE_PACKED,
        };
        let blob = string(reader)?;
        if container == NODE_PACKED && kind == TYPE_LIST_QUICKLIST_2 && list.push_node(&blob) {
            continue;
        }
        match container {
            NODE_PLAIN => list.push(&blob),
            NODE_PACKED => {
                let items = packed_items(&blob, kind == TYPE_LIST_QUICKLIST)?;
                if items.is_empty() {
                    return Err(Invalid::Corrupt("an empty list node"));
                }
                list.push_items(&items);
            }
            _ => return Err(Invalid::Corrupt("an unknown list node kind")),
        }
    }
    Ok(list.finish())
}

fn read_intset(blob: &[u8], shape: &Shape) -> Result<Option<Value>, Invalid> {
    let (width, values) = packed::intset_values(blob)?;
    if values.is_empty() {
        return Ok(None);
    }
    if values.len() > shape.intset_entries_max {
        let mut set = SetBuilder::new(shape, values.len());
        for value in values {
            set.add(value.to_string().as_bytes())?;
        }
        return Ok(set.finish());
    }
    // Values read at a width fit in it: our layout is that width, then the same values.
    let mut bytes = Vec::with_capacity(1 + width * values.len());
    bytes.push(width as u8);
    for value in &values {
        bytes.extend_from_slice(&value.to_le_bytes()[..width]);
    }
    let ints =
        IntSet::from_bytes(&bytes).map_err(|_| Invalid::Corrupt("an intset out of order"))?;
    Ok(Some(Value::IntSet(ints)))
}

/// What a value being read is put into, until `finish` stores it: the empty marker until the
/// first element arrives.
struct ListBuilder<'s> {
    list: List,
    shape: &'s Shape,
}

impl ListBuilder<'_> {
    fn new(shape: &Shape) -> ListBuilder<'_> {
        ListBuilder {
            list: List::new(),
            shape,
        }
    }

    fn push(&mut self, element: &[u8]) {
        self.list.push(End::Back, element, self.shape.list);
    }

    /// A listpack node taken as it is, as the block it is, when it is well formed in the one
    /// form our blocks hold and within the list's limit; false leaves the list unchanged (the
    /// caller then reads the node entry by entry).
    fn push_node(&mut self, blob: &[u8]) -> bool {
        let Some((entries, count)) = packed::listpack_body(blob) else {
            return false;
        };
        let Some(block) = Block::from_listpack(entries, count) else {
            return false;
        };
        self.list.push_block(block, self.shape.list).is_ok()
    }

    /// A node's elements at once (the list makes room for a block's worth in one step).
    fn push_items(&mut self, items: &[Item<'_>]) {
        let entries = items.iter().map(|item| item.entry());
        self.list.push_entries(End::Back, entries, self.shape.list);
    }

    fn finish(self) -> Option<Value> {
        (!self.list.is_empty()).then(|| Value::List(Box::new(self.list)))
    }
}

struct SetBuilder<'s> {
    set: Option<Value>,
    shape: &'s Shape,
    /// Members to make room for, when the set is a table from its first member.
    expected: usize,
}

impl SetBuilder<'_> {
    fn new(shape: &Shape, expected: usize) -> SetBuilder<'_> {
        SetBuilder {
            set: None,
            shape,
            expected,
        }
    }

    fn add(&mut self, member: &[u8]) -> Result<(), Invalid> {
        let shape = self.shape;
        let expected = self.expected;
        let set = self.set.get_or_insert_with(|| {
            let mut set = empty_for(member, shape.seed);
            if let Value::Set(table) = &mut set {
                table.reserve(expected);
            }
            set
        });
        let mut set = SetMut::of(set).expect("a set");
        if !set.add(member, shape.intset_entries_max, shape.seed) {
            return Err(Invalid::Corrupt("a set member twice"));
        }
        Ok(())
    }

    fn finish(mut self) -> Option<Value> {
        if let Some(Value::Set(table)) = &mut self.set {
            table.release_reserve();
        }
        self.set
    }
}

struct HashBuilder<'s> {
    hash: Value,
    shape: &'s Shape,
}

impl HashBuilder<'_> {
    /// Starts small, and the first field too many or too long converts it, as for HSET; or
    /// as a table with room for them when `expected` fields are more than a small hash holds
    /// (as Redis loads a plain hash).
    fn new(shape: &Shape, expected: usize) -> HashBuilder<'_> {
        let hash = if expected > shape.hash.entries {
            let mut table = FieldTable::new(shape.seed);
            table.reserve(expected);
            Value::Hash(Box::new(table))
        } else {
            Value::PackedHash(Listpack::new())
        };
        HashBuilder { hash, shape }
    }

    fn set(&mut self, field: &[u8], value: &[u8]) -> Result<(), Invalid> {
        let mut hash = HashMut::of(&mut self.hash).expect("a hash");
        if !hash.set(field, value, self.shape.hash, self.shape.seed) {
            return Err(Invalid::Corrupt("a hash field twice"));
        }
        Ok(())
    }

    fn finish(mut self) -> Option<Value> {
        if let Value::Hash(table) = &mut self.hash {
            table.release_reserve();
        }
        (!HashRef::of(&self.hash).expect("a hash").is_empty()).then_some(self.hash)
    }
}

/// A sorted set is built as the tree and stored as `zset_value::stored` decides.
struct ZSetBuilder<'s> {
    zset: ZSet,
    shape: &'s Shape,
}

impl ZSetBuilder<'_> {
    /// Room for `expected` members from the start.
    fn new(shape: &Shape, expected: usize) -> ZSetBuilder<'_> {
        let mut zset = ZSet::new(shape.seed);
        zset.reserve(expected);
        ZSetBuilder { zset, shape }
    }

    fn insert(&mut self, member: &[u8], score: f64) -> Result<(), Invalid> {
        if score.is_nan() {
            return Err(Invalid::Corrupt("a NaN score"));
        }
        if !self.zset.has_room(1) || self.zset.insert(member, score).is_some() {
            return Err(Invalid::Corrupt("a sorted set member twice"));
        }
        Ok(())
    }

    fn finish(mut self) -> Option<Value> {
        self.zset.release_reserve();
        (!self.zset.is_empty()).then(|| zset_value::stored(self.zset, self.shape.zset))
    }
}
