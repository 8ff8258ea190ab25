//! A base file of commands (`aof-use-rdb-preamble no`): the data as the commands that rebuild
//! it, in RESP, as Redis's rewrite writes them: `FUNCTION LOAD` for each library, `SELECT` for
//! each database, then per key SET, RPUSH, SADD, ZADD or HMSET (at most 64 elements a command,
//! so that no command is huge) and PEXPIREAT for a deadline.

use crate::protocol::resp::{encode_bulk_into, encode_request_into};
use crate::store::listpack::Entry;
use crate::time::UnixMillis;
use crate::util::number::format_i64;
use crate::value::Value;

/// Elements (or pairs) per command, as Redis's `AOF_REWRITE_ITEMS_PER_CMD`.
const ITEMS_PER_COMMAND: usize = 64;

/// Writes a base of commands piece by piece; `take` hands out what is written so far.
#[derive(Default)]
pub(crate) struct CommandWriter {
    out: Vec<u8>,
}

impl CommandWriter {
    /// A function library's code.
    pub(crate) fn library(&mut self, code: &[u8]) {
        encode_request_into(&mut self.out, &[&b"FUNCTION"[..], b"LOAD", code]);
    }

    /// Starts database `index`.
    pub(crate) fn select_db(&mut self, index: usize) {
        encode_request_into(
            &mut self.out,
            &[&b"SELECT"[..], index.to_string().as_bytes()],
        );
    }

    /// One key of the current database.
    pub(crate) fn entry(&mut self, key: &[u8], value: &Value, deadline: Option<UnixMillis>) {
        match value {
            Value::Int(number) => {
                let mut text = Vec::new();
                format_i64(*number, &mut text);
                encode_request_into(&mut self.out, &[&b"SET"[..], key, &text]);
            }
            Value::Str(_) | Value::RawStr(_) => {
                let bytes = value.string_bytes().expect("a string");
                encode_request_into(&mut self.out, &[&b"SET"[..], key, bytes]);
            }
            Value::List(list) => {
                let mut batch = Batch::new(&mut self.out, b"RPUSH", key);
                for entry in list.iter() {
                    batch.push(&[entry]);
                }
            }
            Value::IntSet(ints) => {
                let mut batch = Batch::new(&mut self.out, b"SADD", key);
                for number in ints.iter() {
                    batch.push(&[Entry::Int(number)]);
                }
            }
            Value::Set(table) => {
                let mut batch = Batch::new(&mut self.out, b"SADD", key);
                for (member, ()) in table.iter() {
                    batch.push(&[Entry::Bytes(member)]);
                }
            }
            Value::PackedZSet(packed) => {
                let mut batch = Batch::new(&mut self.out, b"ZADD", key);
                let mut entries = packed.iter();
                while let (Some(member), Some(score)) = (entries.next(), entries.next()) {
                    batch.push(&[score, member]);
                }
            }
            Value::ZSet(zset) => {
                let mut batch = Batch::new(&mut self.out, b"ZADD", key);
                for item in zset.iter() {
                    batch.push(&[Entry::Float(item.score), Entry::Bytes(&item.member)]);
                }
            }
            Value::PackedHash(packed) => {
                let mut batch = Batch::new(&mut self.out, b"HMSET", key);
                let mut entries = packed.iter();
                while let (Some(field), Some(value)) = (entries.next(), entries.next()) {
                    batch.push(&[field, value]);
                }
            }
            Value::Hash(table) => {
                let mut batch = Batch::new(&mut self.out, b"HMSET", key);
                for (field, value) in table.iter() {
                    batch.push(&[Entry::Bytes(field), Entry::Bytes(value.as_ref())]);
                }
            }
        }
        if let Some(deadline) = deadline {
            let millis = deadline.as_millis().to_string();
            encode_request_into(&mut self.out, &[&b"PEXPIREAT"[..], key, millis.as_bytes()]);
        }
    }

    /// Bytes written and not taken yet.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// What was written since the last `take`.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// One key's elements as commands of at most `ITEMS_PER_COMMAND` items each (an item is an
/// element, or a pair); the last command goes out when the batch is dropped.
struct Batch<'a> {
    out: &'a mut Vec<u8>,
    command: &'static [u8],
    key: &'a [u8],
    /// The items of the command being built, each argument as a RESP bulk string.
    items: Vec<u8>,
    arguments: usize,
    count: usize,
    text: Vec<u8>,
}

impl<'a> Batch<'a> {
    fn new(out: &'a mut Vec<u8>, command: &'static [u8], key: &'a [u8]) -> Batch<'a> {
        Batch {
            out,
            command,
            key,
            items: Vec::new(),
            arguments: 0,
            count: 0,
            text: Vec::new(),
        }
    }

    fn push(&mut self, item: &[Entry<'_>]) {
        for entry in item {
            self.text.clear();
            entry.write_text(&mut self.text);
            encode_bulk_into(&mut self.items, &self.text);
        }
        self.arguments += item.len();
        self.count += 1;
        if self.count == ITEMS_PER_COMMAND {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.count == 0 {
            return;
        }
        self.out.push(b'*');
        self.out
            .extend_from_slice((2 + self.arguments).to_string().as_bytes());
        self.out.extend_from_slice(b"\r\n");
        encode_bulk_into(self.out, self.command);
        encode_bulk_into(self.out, self.key);
        self.out.append(&mut self.items);
        self.arguments = 0;
        self.count = 0;
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::resp::encode_request_into;

    fn commands(value: &Value, deadline: Option<UnixMillis>) -> Vec<u8> {
        let mut writer = CommandWriter::default();
        writer.entry(b"k", value, deadline);
        writer.take()
    }

    #[test]
    fn a_string_with_a_deadline_is_set_then_given_it() {
        let mut expected = Vec::new();
        encode_request_into(&mut expected, &[&b"SET"[..], b"k", b"-12"]);
        encode_request_into(&mut expected, &[&b"PEXPIREAT"[..], b"k", b"1700000000000"]);
        let deadline = UnixMillis::from_millis(1_700_000_000_000);
        assert_eq!(commands(&Value::Int(-12), Some(deadline)), expected);
    }
}
