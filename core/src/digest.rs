//! DEBUG DIGEST and DEBUG DIGEST-VALUE: a SHA-1 digest of the data that depends on what it
//! holds, not on how it is stored, computed the way Redis computes it (so the same data gives
//! the same digest on both servers). Ordered things (a list's elements, a string's bytes) are
//! mixed in order; unordered ones (keys, set members, hash fields, sorted set members) are
//! each digested alone and combined with XOR. A deadline counts as "has one", not its time.

use sha1::{Digest, Sha1};

use crate::keyspace::Keyspace;
use crate::store::listpack::Entry;
use crate::time::UnixMillis;
use crate::value::Value;

pub(crate) type Sha = [u8; 20];

/// Redis's type numbers, mixed in first.
const TYPE_STRING: u32 = 0;
const TYPE_LIST: u32 = 1;
const TYPE_SET: u32 = 2;
const TYPE_ZSET: u32 = 3;
const TYPE_HASH: u32 = 4;

/// `digest ^= sha1(bytes)`.
fn xor_in(digest: &mut Sha, bytes: &[u8]) {
    let hash = Sha1::digest(bytes);
    for (byte, mixed) in digest.iter_mut().zip(hash) {
        *byte ^= mixed;
    }
}

/// `digest = sha1(digest ^ sha1(bytes))`: order matters.
fn mix_in(digest: &mut Sha, bytes: &[u8]) {
    xor_in(digest, bytes);
    *digest = Sha1::digest(*digest).into();
}

/// The digest of every key of every database, live at `now`; all zeros when there is none.
pub(crate) fn dataset(keyspace: &Keyspace, now: UnixMillis) -> Sha {
    let mut all = [0; 20];
    let mut text = Vec::new();
    for (index, db) in keyspace.dbs.iter().enumerate() {
        let mut keys = [0; 20];
        let mut any = false;
        for (key, value) in db.iter(now) {
            let mut one = [0; 20];
            mix_in(&mut one, key);
            xor_value(&mut one, value, db.expiry(key).is_some(), &mut text);
            xor_in(&mut keys, &one);
            any = true;
        }
        // XOR commutes: mixing the database in first and then XORing in each key's digest's
        // hash, as Redis does, is the same as this.
        if any {
            mix_in(&mut all, &(index as u32).to_be_bytes());
            xor_in_digest(&mut all, &keys);
        }
    }
    all
}

/// The digest of one value (DEBUG DIGEST-VALUE), with or without a deadline.
pub(crate) fn value(value: &Value, expires: bool) -> Sha {
    let mut digest = [0; 20];
    xor_value(&mut digest, value, expires, &mut Vec::new());
    digest
}

/// `digest ^= other`.
fn xor_in_digest(digest: &mut Sha, other: &Sha) {
    for (byte, mixed) in digest.iter_mut().zip(other) {
        *byte ^= mixed;
    }
}

/// Mixes `value` into `digest`; `text` is scratch space for numbers written out.
fn xor_value(digest: &mut Sha, value: &Value, expires: bool, text: &mut Vec<u8>) {
    let kind = match value {
        Value::Int(_) | Value::Str(_) | Value::RawStr(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST,
        Value::IntSet(_) | Value::Set(_) => TYPE_SET,
        Value::PackedZSet(_) | Value::ZSet(_) => TYPE_ZSET,
        Value::PackedHash(_) | Value::Hash(_) => TYPE_HASH,
    };
    mix_in(digest, &kind.to_be_bytes());
    match value {
        Value::Int(number) => mix_entry(digest, Entry::Int(*number), text),
        Value::Str(_) | Value::RawStr(_) => {
            mix_in(digest, value.string_bytes().expect("a string"));
        }
        Value::List(list) => {
            for entry in list.iter() {
                mix_entry(digest, entry, text);
            }
        }
        Value::IntSet(ints) => {
            for number in ints.iter() {
                text.clear();
                Entry::Int(number).write_text(text);
                xor_in(digest, text);
            }
        }
        Value::Set(table) => {
            for (member, ()) in table.iter() {
                xor_in(digest, member);
            }
        }
        Value::PackedZSet(packed) => {
            let mut entries = packed.iter();
            while let (Some(member), Some(score)) = (entries.next(), entries.next()) {
                let score = score.as_f64().expect("a score is a number");
                xor_pair(digest, member, Entry::Float(score), text);
            }
        }
        Value::ZSet(zset) => {
            for item in zset.iter() {
                let member = Entry::Bytes(&item.member);
                xor_pair(digest, member, Entry::Float(item.score), text);
            }
        }
        Value::PackedHash(packed) => {
            let mut entries = packed.iter();
            while let (Some(field), Some(value)) = (entries.next(), entries.next()) {
                xor_pair(digest, field, value, text);
            }
        }
        Value::Hash(table) => {
            for (field, value) in table.iter() {
                xor_pair(digest, Entry::Bytes(field), Entry::Bytes(value), text);
            }
        }
    }
    if expires {
        xor_in(digest, b"!!expire!!");
    }
}

/// Mixes an element's text in order.
fn mix_entry(digest: &mut Sha, entry: Entry<'_>, text: &mut Vec<u8>) {
    text.clear();
    entry.write_text(text);
    mix_in(digest, text);
}

/// XORs in the digest of a pair mixed in order: a field and its value, a member and its
/// score (as `%.17g`).
fn xor_pair(digest: &mut Sha, first: Entry<'_>, second: Entry<'_>, text: &mut Vec<u8>) {
    let mut pair = [0; 20];
    mix_entry(&mut pair, first, text);
    mix_entry(&mut pair, second, text);
    xor_in(digest, &pair);
}
