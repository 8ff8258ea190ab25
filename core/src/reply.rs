//! Writing replies in RESP2, RESP3 or the book's tags into a connection's reply buffer.
//!
//! Every reply type a command can send goes through here, so that the RESP2/RESP3 differences
//! (nulls, maps, sets, doubles) live in one place, and so that any command can answer a client
//! on the book's door: in book mode each RESP type becomes the nearest book tag.

use crate::protocol::book;
use crate::store::listpack::Entry;
use crate::util::number::{format_f64, format_f64_human, format_i64};

/// Appends encoded replies to `out`. `resp3` is the connection's protocol (HELLO 3 sets it);
/// `book` (a connection on the book's door) overrides both with the book's tags.
pub struct Reply<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) resp3: bool,
    pub(crate) book: bool,
}

impl<'a> Reply<'a> {
    /// A RESP2 (`resp3` false) or RESP3 writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>, resp3: bool) -> Reply<'a> {
        Reply {
            out,
            resp3,
            book: false,
        }
    }

    pub fn ok(&mut self) {
        if self.book {
            return book::write_str(self.out, b"OK");
        }
        self.out.extend_from_slice(b"+OK\r\n");
    }

    pub fn simple(&mut self, text: &str) {
        debug_assert!(!text.contains(['\r', '\n']));
        if self.book {
            return book::write_str(self.out, text.as_bytes());
        }
        self.out.push(b'+');
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// `message` carries its code ("ERR ...", "WRONGTYPE ..."). As Redis does, CR and LF at
    /// either end are dropped and those inside become spaces, so that an error is always one
    /// protocol line.
    pub fn error(&mut self, message: &[u8]) {
        if self.book {
            return book::write_err(self.out, book_error_code(message), message);
        }
        let is_newline = |byte: &u8| *byte == b'\r' || *byte == b'\n';
        let start = message.iter().position(|byte| !is_newline(byte));
        let end = message.iter().rposition(|byte| !is_newline(byte));
        let message = match (start, end) {
            (Some(start), Some(end)) => &message[start..=end],
            _ => &[],
        };
        self.out.push(b'-');
        self.out.extend(message.iter().map(|&byte| {
            if byte == b'\r' || byte == b'\n' {
                b' '
            } else {
                byte
            }
        }));
        self.out.extend_from_slice(b"\r\n");
    }

    pub fn integer(&mut self, value: i64) {
        if self.book {
            return book::write_int(self.out, value);
        }
        self.out.push(b':');
        format_i64(value, self.out);
        self.out.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, bytes: &[u8]) {
        if self.book {
            return book::write_str(self.out, bytes);
        }
        self.out.push(b'$');
        format_i64(bytes.len() as i64, self.out);
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(bytes);
        self.out.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding an integer's decimal text (GET of an int-encoded value).
    pub fn bulk_integer(&mut self, value: i64) {
        let mut digits = [0u8; 20];
        let text = integer_text(value, &mut digits);
        self.bulk(text);
    }

    /// A HELP reply: one status line each.
    pub fn help(&mut self, lines: &[&str]) {
        self.array(lines.len());
        for line in lines {
            self.simple(line);
        }
    }

    /// A bulk string holding a packed entry's text (a hash value, a set member).
    pub fn entry(&mut self, entry: Entry<'_>) {
        match entry {
            Entry::Int(value) => self.bulk_integer(value),
            Entry::Bytes(bytes) => self.bulk(bytes),
            Entry::Float(_) => {
                let mut text = Vec::with_capacity(24);
                entry.write_text(&mut text);
                self.bulk(&text);
            }
        }
    }

    /// A missing bulk string: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.book {
            return book::write_nil(self.out);
        }
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A missing array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.book {
            return book::write_nil(self.out);
        }
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    pub fn array(&mut self, len: usize) {
        self.aggregate(b'*', len);
    }

    /// Out-of-band data (pub/sub messages, subscription confirmations): `>` in RESP3, an array
    /// in RESP2.
    pub fn push(&mut self, len: usize) {
        self.aggregate(if self.resp3 { b'>' } else { b'*' }, len);
    }

    /// A map of `pairs` key/value pairs: `%` in RESP3, a flat array twice as long in RESP2.
    pub fn map(&mut self, pairs: usize) {
        if self.book {
            // The book counts elements, not pairs.
            return book::write_arr(self.out, pairs * 2);
        }
        if self.resp3 {
            self.aggregate(b'%', pairs);
        } else {
            self.aggregate(b'*', pairs * 2);
        }
    }

    /// A set: `~` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        self.aggregate(if self.resp3 { b'~' } else { b'*' }, len);
    }

    /// A double: `,` in RESP3, a bulk string of `%.17g` in RESP2 (as Redis's addReplyDouble).
    pub fn double(&mut self, value: f64) {
        if self.book {
            return book::write_dbl(self.out, value);
        }
        if self.resp3 {
            self.out.push(b',');
            format_f64(value, self.out);
            self.out.extend_from_slice(b"\r\n");
        } else {
            // Format in place, then slip the bulk header in front of the text: no allocation.
            let start = self.out.len();
            format_f64(value, self.out);
            let mut header = [0u8; 24];
            header[0] = b'$';
            let mut digits = [0u8; 20];
            let len = integer_text((self.out.len() - start) as i64, &mut digits);
            header[1..1 + len.len()].copy_from_slice(len);
            header[1 + len.len()..3 + len.len()].copy_from_slice(b"\r\n");
            self.out
                .splice(start..start, header[..3 + len.len()].iter().copied());
            self.out.extend_from_slice(b"\r\n");
        }
    }

    /// A double as Redis's `addReplyHumanLongDouble` writes one (GEOPOS's coordinates): the
    /// value as a `long double` printed `%.17Lf` with trailing zeros removed, a bulk string in
    /// RESP2 and a double in RESP3.
    pub fn human_double(&mut self, value: f64) {
        if self.book {
            return book::write_dbl(self.out, value);
        }
        let mut text = Vec::with_capacity(32);
        format_f64_human(value, &mut text);
        if self.resp3 {
            self.out.push(b',');
            self.out.extend_from_slice(&text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&text);
        }
    }

    /// A status line of arbitrary bytes (a script's `{ok = ...}`); CR and LF become spaces.
    pub fn status_bytes(&mut self, text: &[u8]) {
        if self.book {
            return book::write_str(self.out, text);
        }
        self.out.push(b'+');
        self.out.extend(text.iter().map(|&byte| {
            if byte == b'\r' || byte == b'\n' {
                b' '
            } else {
                byte
            }
        }));
        self.out.extend_from_slice(b"\r\n");
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, value: bool) {
        if self.resp3 && !self.book {
            self.out
                .extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.integer(i64::from(value));
        }
    }

    /// A big number's digits: `(` in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 && !self.book {
            self.out.push(b'(');
            self.out.extend(digits.iter().map(|&byte| {
                if byte == b'\r' || byte == b'\n' {
                    b' '
                } else {
                    byte
                }
            }));
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// A verbatim string of the given three-letter format in RESP3, bulk in RESP2.
    pub fn verbatim_with(&mut self, format: &[u8], text: &[u8]) {
        if !self.resp3 || self.book {
            return self.bulk(text);
        }
        let mut tag = [b' '; 3];
        for (slot, byte) in tag.iter_mut().zip(format) {
            *slot = *byte;
        }
        self.out.push(b'=');
        format_i64(text.len() as i64 + 4, self.out);
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(&tag);
        self.out.push(b':');
        self.out.extend_from_slice(text);
        self.out.extend_from_slice(b"\r\n");
    }

    /// Text meant for people (INFO, CLIENT LIST): a verbatim string in RESP3, bulk in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.book {
            return book::write_str(self.out, text);
        }
        if self.resp3 {
            self.out.push(b'=');
            format_i64(text.len() as i64 + 4, self.out);
            self.out.extend_from_slice(b"\r\ntxt:");
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    fn aggregate(&mut self, marker: u8, len: usize) {
        if self.book {
            return book::write_arr(self.out, len);
        }
        self.out.push(marker);
        format_i64(len as i64, self.out);
        self.out.extend_from_slice(b"\r\n");
    }
}

/// The book's error code for a Redis error text: 1 for an unknown command or a wrong argument
/// count (the book answers both "unknown command."), 3 for a wrong type, 4 for the rest.
fn book_error_code(message: &[u8]) -> u32 {
    if message.starts_with(b"ERR unknown command") || message.starts_with(b"ERR wrong number of") {
        book::ERR_UNKNOWN
    } else if message.starts_with(b"WRONGTYPE") {
        book::ERR_TYPE
    } else {
        book::ERR_ARG
    }
}

/// The decimal text of `value`, written into `digits` without allocating.
pub(crate) fn integer_text(value: i64, digits: &mut [u8; 20]) -> &[u8] {
    let mut magnitude = value.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        // i64::MIN has 19 digits, so there is always room for the sign.
        start -= 1;
        digits[start] = b'-';
    }
    &digits[start..]
}
