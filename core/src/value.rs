//! What a key holds.

use crate::store::bytes::SmallBytes;
use crate::store::hash::FieldTable;
use crate::store::intset::IntSet;
use crate::store::list::List;
use crate::store::listpack::Listpack;
use crate::store::set::MemberTable;
use crate::store::zset::ZSet;
use crate::store::zset_packed::check_packed;
use crate::util::number::parse_i64;

/// Strings that Redis would keep in its `embstr` encoding are at most this long.
const EMBSTR_BYTES_MAX: usize = 44;

/// Every value is 24 bytes, so a keyspace node (key, value, hash, link) is 56.
const _: () = assert!(std::mem::size_of::<Value>() == 24);

/// A stored value. Strings that are canonical integers are kept as `Int` (Redis's `int`
/// encoding): smaller, and INCR needs no parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    /// A string as SET stores it: inline in the value when short (most values are), otherwise
    /// one exact-size heap block.
    Str(SmallBytes),
    /// A string changed in place (APPEND, SETRANGE): Redis reports these as `raw`. Boxed so
    /// that `Value` stays 24 bytes; the `Vec` keeps spare room for repeated appends.
    RawStr(Box<Vec<u8>>),
    /// A small sorted set: member, score, member, score... in order, in one packed array (see
    /// `store::zset_value`).
    PackedZSet(Listpack),
    /// A big sorted set. Boxed: it is big, and strings are the common case.
    ZSet(Box<ZSet>),
    /// A small hash: field, value, field, value... in one packed array (see `store::hash`).
    PackedHash(Listpack),
    /// A big hash.
    Hash(Box<FieldTable>),
    /// A small set of integers (see `store::set`).
    IntSet(IntSet),
    /// Any other set.
    Set(Box<MemberTable>),
    /// A list: a chain of packed blocks (see `store::list`).
    List(Box<List>),
}

impl Value {
    /// The value SET would store for `bytes`: an integer if the bytes are one in canonical form.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        // Redis only tries the int encoding for strings of at most 20 bytes.
        if bytes.len() <= 20 {
            if let Some(number) = parse_i64(bytes) {
                return Value::Int(number);
            }
        }
        Value::Str(SmallBytes::new(bytes))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Str(_) | Value::RawStr(_) => "string",
            Value::PackedZSet(_) | Value::ZSet(_) => "zset",
            Value::PackedHash(_) | Value::Hash(_) => "hash",
            Value::IntSet(_) | Value::Set(_) => "set",
            Value::List(_) => "list",
        }
    }

    /// As OBJECT ENCODING reports it.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(bytes) if bytes.len() <= EMBSTR_BYTES_MAX => "embstr",
            Value::Str(_) | Value::RawStr(_) => "raw",
            // Redis calls its big sorted sets `skiplist`; ours are a tree and a table.
            Value::ZSet(_) => "skiplist",
            Value::PackedZSet(_) | Value::PackedHash(_) => "listpack",
            Value::IntSet(_) => "intset",
            Value::Hash(_) | Value::Set(_) => "hashtable",
            // As Redis 7.0 reports every list.
            Value::List(_) => "quicklist",
        }
    }

    /// The bytes of a non-integer string value.
    pub fn string_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(bytes) => Some(bytes.as_bytes()),
            Value::RawStr(bytes) => Some(bytes.as_slice()),
            Value::Int(_)
            | Value::PackedZSet(_)
            | Value::ZSet(_)
            | Value::PackedHash(_)
            | Value::Hash(_)
            | Value::IntSet(_)
            | Value::Set(_)
            | Value::List(_) => None,
        }
    }

    /// Re-encodes a string as raw, its bytes unchanged; any other kind is left as it is.
    pub fn make_raw_string(&mut self) {
        let bytes = match self {
            Value::Int(number) => number.to_string().into_bytes(),
            Value::Str(bytes) => bytes.to_vec(),
            Value::RawStr(_)
            | Value::PackedZSet(_)
            | Value::ZSet(_)
            | Value::PackedHash(_)
            | Value::Hash(_)
            | Value::IntSet(_)
            | Value::Set(_)
            | Value::List(_) => return,
        };
        *self = Value::RawStr(Box::new(bytes));
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Str(_) | Value::RawStr(_))
    }

    /// Roughly how many allocations dropping this value costs; big values are freed off the
    /// event loop (see `Output::Free`).
    pub fn free_effort(&self) -> usize {
        match self {
            // One allocation each.
            Value::Int(_)
            | Value::Str(_)
            | Value::RawStr(_)
            | Value::PackedZSet(_)
            | Value::PackedHash(_)
            | Value::IntSet(_) => 1,
            Value::ZSet(zset) => zset.len(),
            Value::Hash(table) => table.len(),
            Value::Set(table) => table.len(),
            // One allocation per block, as Redis counts a quicklist's nodes.
            Value::List(list) => list.blocks(),
        }
    }

    /// Bytes this value holds outside its own 24, roughly: what MEMORY USAGE adds to a key's
    /// node. Tables count their nodes and buckets, not the heap blocks of long members.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Str(bytes) => match bytes {
                SmallBytes::Inline { .. } => 0,
                SmallBytes::Heap(bytes) => bytes.len(),
            },
            Value::RawStr(bytes) => std::mem::size_of::<Vec<u8>>() + bytes.capacity(),
            Value::PackedZSet(packed) => packed.bytes_len(),
            Value::ZSet(zset) => zset.memory_bytes(),
            Value::PackedHash(packed) => packed.bytes_len(),
            Value::Hash(table) => table.memory_bytes(),
            Value::IntSet(ints) => ints.bytes_len(),
            Value::Set(table) => table.memory_bytes(),
            Value::List(list) => std::mem::size_of::<List>() + list.memory_bytes(),
        }
    }

    /// Whether this is a collection with nothing in it (a command that emptied one deletes it).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Int(_) | Value::Str(_) | Value::RawStr(_) => false,
            Value::PackedZSet(packed) => packed.is_empty(),
            Value::ZSet(zset) => zset.is_empty(),
            Value::PackedHash(packed) => packed.is_empty(),
            Value::Hash(table) => table.is_empty(),
            Value::IntSet(ints) => ints.is_empty(),
            Value::Set(table) => table.is_empty(),
            Value::List(list) => list.is_empty(),
        }
    }

    /// Asserts what every stored value keeps true, cheaply (a keyspace checks every value): a
    /// collection is never empty, since the write path deletes a key whose collection became
    /// empty, as Redis does; a small sorted set is in order with no member twice. (The big
    /// structures check themselves in their own tests.)
    pub fn check_invariants(&self) {
        match self {
            Value::Int(_) | Value::Str(_) | Value::RawStr(_) => {}
            Value::PackedZSet(packed) => check_packed(packed),
            Value::ZSet(zset) => assert!(!zset.is_empty(), "an empty sorted set is deleted"),
            Value::PackedHash(packed) => {
                assert!(!packed.is_empty(), "an empty hash is deleted");
                assert!(packed.len().is_multiple_of(2), "every field has a value");
            }
            Value::Hash(table) => assert!(!table.is_empty(), "an empty hash is deleted"),
            Value::IntSet(ints) => assert!(!ints.is_empty(), "an empty set is deleted"),
            Value::Set(table) => assert!(!table.is_empty(), "an empty set is deleted"),
            Value::List(list) => assert!(!list.is_empty(), "an empty list is deleted"),
        }
    }
}
