//! A whole RDB file: `REDIS` and a four-digit version, auxiliary fields, the function
//! libraries, then each database (SELECTDB, RESIZEDB, its keys with their deadlines and, under
//! an LRU or LFU `maxmemory-policy`, their idle time or access frequency), EOF and a CRC64 of
//! everything before it (zero when `rdbchecksum` is off).
//!
//! `FileWriter` writes one in pieces, so that an image can be handed out a chunk at a time;
//! `read_file` reads one whole, checking everything (see `value` for the values).

use super::crc64::crc64;
use super::encoding::{write_length, write_string, write_string_compact, Compression, Reader};
use super::value::{is_known_type, read_value, type_of, write_value, Invalid, Shape};
use super::{OPCODE_FUNCTION2, RDB_VERSION};
use crate::store::access;
use crate::time::UnixMillis;
use crate::value::Value;

const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
/// The fewest bytes a key takes in a file: its type, a key length of 0 and a value of one byte.
const KEY_BYTES_MIN: u64 = 3;
/// And a key with a deadline: the deadline's opcode and 8 bytes more.
const EXPIRING_KEY_BYTES_MIN: u64 = KEY_BYTES_MIN + 9;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_EXPIRETIME: u8 = 253;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// The oldest RDB version this reads (Redis 2.6's files are version 6; older ones had other
/// expiry and length forms we do not keep).
const RDB_VERSION_MIN: u16 = 1;

/// Writes an RDB file piece by piece; `take` hands out what is written so far.
pub(crate) struct FileWriter {
    out: Vec<u8>,
    crc: u64,
    checksum: bool,
    compression: Compression,
    access: Option<SavedAccess>,
}

/// What an RDB file keeps of each key's access clock, as Redis does: its idle seconds under an
/// LRU policy, its frequency counter under an LFU one (read at `now`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SavedAccess {
    Idle { now: UnixMillis },
    Frequency { now: UnixMillis, decay_minutes: u32 },
}

impl FileWriter {
    /// Starts a file with its header and `aux` fields.
    pub(crate) fn new(
        aux: &[(&str, String)],
        compress: bool,
        checksum: bool,
        access: Option<SavedAccess>,
    ) -> FileWriter {
        let mut writer = FileWriter {
            out: format!("REDIS{RDB_VERSION:04}").into_bytes(),
            crc: 0,
            checksum,
            compression: Compression::new(compress),
            access,
        };
        for (name, value) in aux {
            writer.out.push(OPCODE_AUX);
            write_string(&mut writer.out, name.as_bytes());
            write_string_compact(&mut writer.out, value.as_bytes(), &mut Compression::Off);
        }
        writer
    }

    /// A function library's code.
    pub(crate) fn library(&mut self, code: &[u8]) {
        self.out.push(OPCODE_FUNCTION2);
        write_string(&mut self.out, code);
    }

    /// Starts database `index`, which holds `keys` keys of which `expiring` have a deadline.
    pub(crate) fn select_db(&mut self, index: usize, keys: usize, expiring: usize) {
        self.out.push(OPCODE_SELECTDB);
        write_length(&mut self.out, index as u64);
        self.out.push(OPCODE_RESIZEDB);
        write_length(&mut self.out, keys as u64);
        write_length(&mut self.out, expiring as u64);
    }

    /// One key of the current database, with its access clock (store/access.rs).
    pub(crate) fn entry(
        &mut self,
        key: &[u8],
        value: &Value,
        deadline: Option<UnixMillis>,
        clock: u32,
    ) {
        if let Some(deadline) = deadline {
            self.out.push(OPCODE_EXPIRETIME_MS);
            self.out
                .extend_from_slice(&deadline.as_millis().to_le_bytes());
        }
        match self.access {
            Some(SavedAccess::Idle { now }) => {
                self.out.push(OPCODE_IDLE);
                write_length(&mut self.out, access::idle_millis(clock, now) / 1000);
            }
            Some(SavedAccess::Frequency { now, decay_minutes }) => {
                self.out.push(OPCODE_FREQ);
                self.out
                    .push(access::lfu_counter(clock, now, decay_minutes));
            }
            None => {}
        }
        self.out.push(type_of(value));
        write_string_compact(&mut self.out, key, &mut self.compression);
        write_value(&mut self.out, value, &mut self.compression);
    }

    /// The time the access clocks are read at from now on (a background save goes on while
    /// keys are accessed).
    pub(crate) fn set_now(&mut self, at: UnixMillis) {
        match &mut self.access {
            Some(SavedAccess::Idle { now } | SavedAccess::Frequency { now, .. }) => *now = at,
            None => {}
        }
    }

    /// Bytes written and not taken yet.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// What was written since the last `take`.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        self.crc = crc64(self.crc, &self.out);
        std::mem::take(&mut self.out)
    }

    /// The end of the file: EOF and the checksum.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push(OPCODE_EOF);
        let crc = crc64(self.crc, &self.out);
        let checksum = if self.checksum { crc } else { 0 };
        self.out.extend_from_slice(&checksum.to_le_bytes());
        self.out
    }
}

/// Why a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// What a file holds, as `read_file` hands it over.
pub(crate) enum Item<'a> {
    /// An auxiliary field.
    Aux(Vec<u8>, Vec<u8>),
    /// A function library's code.
    Library(Vec<u8>),
    /// How many keys database `db` holds, and how many of them have a deadline (RESIZEDB),
    /// as far as the bytes left can hold them: room to make before they arrive.
    Sizes {
        db: u64,
        keys: usize,
        expires: usize,
    },
    /// A key of database `db`; `None` for an empty collection (skipped, as Redis skips it).
    Key {
        db: u64,
        key: std::borrow::Cow<'a, [u8]>,
        value: Option<Value>,
        deadline: Option<UnixMillis>,
        /// Its idle seconds (IDLE) or access frequency (FREQ), if the file kept either.
        idle_secs: Option<u64>,
        frequency: Option<u8>,
    },
}

/// Reads a whole RDB file, handing each item to `visit` in order. Checks the magic, the
/// version, every opcode and value, and the checksum (unless the file says it has none); an
/// error names the offset it was found at. What follows the checksum is not read (an AOF's
/// commands follow its RDB preamble). `visit` may refuse an item (a key for a database
/// that does not exist): its error stops the read.
pub(crate) fn read_file(
    bytes: &[u8],
    shape: &Shape,
    mut visit: impl FnMut(Item<'_>) -> Result<(), String>,
) -> Result<FileSummary, FileError> {
    let error = |reader: &Reader<'_>, message: String| FileError {
        offset: bytes.len() - reader.remaining(),
        message,
    };
    if bytes.len() < 9 || &bytes[..5] != b"REDIS" {
        return Err(FileError {
            offset: 0,
            message: "Wrong signature trying to load DB from file".to_string(),
        });
    }
    let version = std::str::from_utf8(&bytes[5..9])
        .ok()
        .and_then(|digits| digits.parse::<u16>().ok())
        .filter(|version| (RDB_VERSION_MIN..=RDB_VERSION).contains(version))
        .ok_or_else(|| FileError {
            offset: 5,
            message: format!(
                "Can't handle RDB format version {}",
                String::from_utf8_lossy(&bytes[5..9])
            ),
        })?;
    let mut reader = Reader::new(&bytes[9..]);
    let truncated = |reader: &Reader<'_>| error(reader, "Unexpected EOF reading RDB file".into());
    let mut db = 0u64;
    let mut deadline = None;
    let mut idle_secs = None;
    let mut frequency = None;
    let mut summary = FileSummary::default();
    // What RESIZEDB records may reserve in all: as many keys as the whole file could hold.
    let mut reservable_keys = bytes.len() as u64 / KEY_BYTES_MIN;
    loop {
        let at_item = Reader::new(&bytes[bytes.len() - reader.remaining()..]);
        let opcode = reader.byte().ok_or_else(|| truncated(&reader))?;
        match opcode {
            OPCODE_EOF => break,
            OPCODE_AUX => {
                let name = reader.string().ok_or_else(|| truncated(&reader))?;
                let value = reader.string().ok_or_else(|| truncated(&reader))?;
                visit(Item::Aux(name, value)).map_err(|message| error(&at_item, message))?;
            }
            OPCODE_FUNCTION2 => {
                let code = reader.string().ok_or_else(|| truncated(&reader))?;
                visit(Item::Library(code)).map_err(|message| error(&at_item, message))?;
            }
            OPCODE_SELECTDB => db = reader.length().ok_or_else(|| truncated(&reader))?,
            OPCODE_RESIZEDB => {
                let keys = reader.length().ok_or_else(|| truncated(&reader))?;
                let expires = reader.length().ok_or_else(|| truncated(&reader))?;
                // A hint, never trusted: no more keys than the bytes left could hold, and no
                // more over the whole file, whatever the databases say between them.
                let remaining = reader.remaining() as u64;
                let keys = keys.min(remaining / KEY_BYTES_MIN).min(reservable_keys);
                reservable_keys -= keys;
                let expires = expires.min(keys).min(remaining / EXPIRING_KEY_BYTES_MIN);
                visit(Item::Sizes {
                    db,
                    keys: keys as usize,
                    expires: expires as usize,
                })
                .map_err(|message| error(&at_item, message))?;
            }
            OPCODE_EXPIRETIME_MS => {
                let millis = i64::from_le_bytes(reader.array().ok_or_else(|| truncated(&reader))?);
                deadline = Some(UnixMillis::from_millis(millis));
            }
            OPCODE_EXPIRETIME => {
                let secs = i32::from_le_bytes(reader.array().ok_or_else(|| truncated(&reader))?);
                deadline = Some(UnixMillis::from_millis(i64::from(secs) * 1000));
            }
            OPCODE_IDLE => idle_secs = Some(reader.length().ok_or_else(|| truncated(&reader))?),
            OPCODE_FREQ => frequency = Some(reader.byte().ok_or_else(|| truncated(&reader))?),
            OPCODE_MODULE_AUX => {
                return Err(error(
                    &at_item,
                    "The RDB file contains module AUX data, but no module is loaded".into(),
                ))
            }
            kind if is_known_type(kind) => {
                let key = reader.string_ref().ok_or_else(|| truncated(&reader))?;
                let value = read_value(&mut reader, kind, shape).map_err(|invalid| {
                    let what = match invalid {
                        Invalid::UnknownType(_) => invalid.message(),
                        Invalid::Corrupt(_) => format!(
                            "{} (key '{}')",
                            invalid.message(),
                            String::from_utf8_lossy(&key)
                        ),
                    };
                    error(&at_item, what)
                })?;
                visit(Item::Key {
                    db,
                    key,
                    value,
                    deadline: deadline.take(),
                    idle_secs: idle_secs.take(),
                    frequency: frequency.take(),
                })
                .map_err(|message| error(&at_item, message))?;
            }
            other => {
                return Err(error(
                    &at_item,
                    format!("Unknown RDB encoding type {other}"),
                ))
            }
        }
    }
    summary.version = version;
    if version >= 5 {
        let end = bytes.len() - reader.remaining();
        let stored = u64::from_le_bytes(reader.array().ok_or_else(|| truncated(&reader))?);
        if stored != 0 && stored != crc64(0, &bytes[..end]) {
            return Err(FileError {
                offset: end,
                message: "Wrong RDB checksum".to_string(),
            });
        }
        summary.checksum_checked = stored != 0;
    }
    summary.length = bytes.len() - reader.remaining();
    Ok(summary)
}

/// What reading a file found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileSummary {
    pub(crate) version: u16,
    pub(crate) checksum_checked: bool,
    /// The file's bytes up to its end (EOF and checksum): what follows is not RDB (an
    /// old-style append-only file's commands after its RDB preamble).
    pub(crate) length: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn resizedb_counts_reserve_no_more_keys_than_the_whole_file_could_hold() {
        // Sixteen databases each claiming a billion keys, all expiring, and holding one key.
        let mut writer = FileWriter::new(&[], false, true, None);
        for db in 0..16 {
            writer.select_db(db, 1 << 30, 1 << 30);
            writer.entry(b"k", &Value::from_bytes(&vec![b'v'; 1000]), None, 0);
        }
        let mut bytes = writer.take();
        bytes.extend(writer.finish());
        let shape = Shape::of(&Config::default());
        let (mut keys, mut expires) = (0, 0);
        read_file(&bytes, &shape, |item| {
            if let Item::Sizes {
                keys: some,
                expires: expiring,
                ..
            } = item
            {
                assert!(expiring <= some);
                keys += some;
                expires += expiring;
            }
            Ok(())
        })
        .expect("a valid file");
        assert!(
            keys <= bytes.len() / 3,
            "{keys} keys from {} bytes",
            bytes.len()
        );
        assert!(expires <= bytes.len() / 12 * 16);
        assert!(keys > 0, "an honest file's counts are kept");
    }
}
