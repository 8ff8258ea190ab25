//! `cjson.decode`: a tokenizer and an explicit stack of open containers.

use mlua::{Lua, Table, Value};

use crate::script::libs::number::parse_c_double;
use crate::script::libs::{raise, Failure, Outcome};

/// One token of JSON text and where it starts (0-based).
struct Token {
    kind: TokenKind,
    position: usize,
}

enum TokenKind {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    Colon,
    Comma,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    End,
    /// Text that is no token; the reason is what the error says was found.
    Invalid(&'static str),
}

impl TokenKind {
    /// How an error names what it found instead of what it expected.
    fn describe(&self) -> &'static str {
        match self {
            TokenKind::ObjectBegin => "T_OBJ_BEGIN",
            TokenKind::ObjectEnd => "T_OBJ_END",
            TokenKind::ArrayBegin => "T_ARR_BEGIN",
            TokenKind::ArrayEnd => "T_ARR_END",
            TokenKind::Colon => "T_COLON",
            TokenKind::Comma => "T_COMMA",
            TokenKind::String(_) => "T_STRING",
            TokenKind::Number(_) => "T_NUMBER",
            TokenKind::Boolean(_) => "T_BOOLEAN",
            TokenKind::Null => "T_NULL",
            TokenKind::End => "T_END",
            TokenKind::Invalid(reason) => reason,
        }
    }
}

/// A container being filled: the array's next index or the object's key for the next value.
enum OpenContainer {
    Array { table: Table, next_index: usize },
    Object { table: Table, key: Vec<u8> },
}

/// One `decode` call: the text, how far it has been read, and the instance's settings.
pub(super) struct Decoder<'a> {
    pub(super) lua: &'a Lua,
    pub(super) text: &'a [u8],
    pub(super) position: usize,
    pub(super) max_depth: i64,
    pub(super) invalid_numbers_allowed: bool,
}

impl<'a> Decoder<'a> {
    pub(super) fn decode(mut self) -> Outcome<Value> {
        let mut open: Vec<OpenContainer> = Vec::new();
        let mut token = self.next_token();
        loop {
            // `token` starts a value.
            let mut value = match token.kind {
                TokenKind::ObjectBegin | TokenKind::ArrayBegin => {
                    let depth = open.len() + 1;
                    if depth as i64 > self.max_depth {
                        return Err(raise(format!(
                            "Found too many nested data structures ({depth}) at character {}",
                            token.position + 1
                        )));
                    }
                    let table = self.lua.create_table()?;
                    let is_object = matches!(token.kind, TokenKind::ObjectBegin);
                    let next = self.next_token();
                    match (is_object, &next.kind) {
                        (true, TokenKind::ObjectEnd) | (false, TokenKind::ArrayEnd) => {
                            Value::Table(table)
                        }
                        (true, _) => {
                            let key = self.object_key(next)?;
                            open.push(OpenContainer::Object { table, key });
                            token = self.next_token();
                            continue;
                        }
                        (false, _) => {
                            open.push(OpenContainer::Array {
                                table,
                                next_index: 1,
                            });
                            token = next;
                            continue;
                        }
                    }
                }
                TokenKind::String(bytes) => Value::String(self.lua.create_string(bytes)?),
                TokenKind::Number(number) => Value::Number(number),
                TokenKind::Boolean(flag) => Value::Boolean(flag),
                TokenKind::Null => Value::NULL,
                other => return Err(unexpected("value", &other, token.position)),
            };
            // Place the value in its container; close containers that end here.
            loop {
                let Some(container) = open.last_mut() else {
                    let end = self.next_token();
                    if !matches!(end.kind, TokenKind::End) {
                        return Err(unexpected("the end", &end.kind, end.position));
                    }
                    return Ok(value);
                };
                let separator = match container {
                    OpenContainer::Array { table, next_index } => {
                        table.raw_set(*next_index, value)?;
                        *next_index += 1;
                        let separator = self.next_token();
                        match separator.kind {
                            TokenKind::Comma => None,
                            TokenKind::ArrayEnd => Some(()),
                            _ => {
                                return Err(unexpected(
                                    "comma or array end",
                                    &separator.kind,
                                    separator.position,
                                ))
                            }
                        }
                    }
                    OpenContainer::Object { table, key } => {
                        table.raw_set(self.lua.create_string(&key)?, value)?;
                        let separator = self.next_token();
                        match separator.kind {
                            TokenKind::Comma => {
                                let next = self.next_token();
                                *key = self.object_key(next)?;
                                None
                            }
                            TokenKind::ObjectEnd => Some(()),
                            _ => {
                                return Err(unexpected(
                                    "comma or object end",
                                    &separator.kind,
                                    separator.position,
                                ))
                            }
                        }
                    }
                };
                if separator.is_none() {
                    token = self.next_token();
                    break;
                }
                value = match open.pop() {
                    Some(
                        OpenContainer::Array { table, .. } | OpenContainer::Object { table, .. },
                    ) => Value::Table(table),
                    None => unreachable!("a container was open"),
                };
            }
        }
    }

    /// An object key (`token`) and the colon after it.
    fn object_key(&mut self, token: Token) -> Outcome<Vec<u8>> {
        let key = match token.kind {
            TokenKind::String(key) => key,
            other => return Err(unexpected("object key string", &other, token.position)),
        };
        let colon = self.next_token();
        if !matches!(colon.kind, TokenKind::Colon) {
            return Err(unexpected("colon", &colon.kind, colon.position));
        }
        Ok(key)
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
        let position = self.position;
        let token = |kind| Token { kind, position };
        // A NUL byte ends the text, as it does for lua-cjson's C string.
        let Some(byte) = self.peek().filter(|&byte| byte != 0) else {
            return token(TokenKind::End);
        };
        let single = match byte {
            b'{' => Some(TokenKind::ObjectBegin),
            b'}' => Some(TokenKind::ObjectEnd),
            b'[' => Some(TokenKind::ArrayBegin),
            b']' => Some(TokenKind::ArrayEnd),
            b':' => Some(TokenKind::Colon),
            b',' => Some(TokenKind::Comma),
            _ => None,
        };
        if let Some(kind) = single {
            self.position += 1;
            return token(kind);
        }
        let rest = &self.text[position..];
        if byte == b'"' {
            return self.string_token();
        }
        if byte == b'-' || byte.is_ascii_digit() {
            return self.number_token();
        }
        for (literal, kind) in [
            (&b"true"[..], TokenKind::Boolean(true)),
            (b"false", TokenKind::Boolean(false)),
            (b"null", TokenKind::Null),
        ] {
            if rest.starts_with(literal) {
                self.position += literal.len();
                return token(kind);
            }
        }
        if self.invalid_numbers_allowed && is_invalid_number(rest) {
            return self.number_token();
        }
        token(TokenKind::Invalid("invalid token"))
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.position).copied()
    }

    /// A number starting at the current position, read as `strtod` reads it. Leading zeros,
    /// hexadecimal, a leading `+`, infinities and NaN are refused when
    /// `decode_invalid_numbers` is off.
    fn number_token(&mut self) -> Token {
        let position = self.position;
        let rest = &self.text[position..];
        let invalid = Token {
            kind: TokenKind::Invalid("invalid number"),
            position,
        };
        if !self.invalid_numbers_allowed && is_invalid_number(rest) {
            return invalid;
        }
        match parse_c_double(rest) {
            Some((number, length)) => {
                self.position += length;
                Token {
                    kind: TokenKind::Number(number),
                    position,
                }
            }
            None => invalid,
        }
    }

    /// A string starting at the opening quote. Its errors name where the problem is: the
    /// backslash of a bad escape or the end of the text.
    fn string_token(&mut self) -> Token {
        let start = self.position;
        let mut bytes = Vec::new();
        let mut position = start + 1;
        let failure = |reason, position| Token {
            kind: TokenKind::Invalid(reason),
            position,
        };
        loop {
            let byte = match self.text.get(position) {
                None | Some(0) => return failure("unexpected end of string", position),
                Some(&byte) => byte,
            };
            match byte {
                b'"' => break,
                b'\\' => {
                    let escaped = match self.text.get(position + 1) {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => b'\x08',
                        Some(b'f') => b'\x0c',
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'u') => {
                            let Some((code_point, length)) = unicode_escape(&self.text[position..])
                            else {
                                return failure("invalid unicode escape code", position);
                            };
                            let mut buffer = [0; 4];
                            bytes.extend_from_slice(code_point.encode_utf8(&mut buffer).as_bytes());
                            position += length;
                            continue;
                        }
                        _ => return failure("invalid escape code", position),
                    };
                    bytes.push(escaped);
                    position += 2;
                }
                _ => {
                    bytes.push(byte);
                    position += 1;
                }
            }
        }
        self.position = position + 1;
        Token {
            kind: TokenKind::String(bytes),
            position: start,
        }
    }
}

fn unexpected(expected: &str, found: &TokenKind, position: usize) -> Failure {
    raise(format!(
        "Expected {expected} but found {} at character {}",
        found.describe(),
        position + 1
    ))
}

/// Whether `text` (at a token's start) is a number JSON does not allow: a leading `+`, a
/// leading zero followed by a digit, hexadecimal, an infinity or a NaN.
fn is_invalid_number(text: &[u8]) -> bool {
    let unsigned = match text.first() {
        Some(b'+') => return true,
        Some(b'-') => &text[1..],
        _ => text,
    };
    match unsigned.first() {
        Some(b'0') => matches!(unsigned.get(1), Some(b'x' | b'X' | b'0'..=b'9')),
        Some(b'1'..=b'9') => false,
        _ => {
            let starts =
                |prefix: &[u8]| unsigned.len() >= 3 && unsigned[..3].eq_ignore_ascii_case(prefix);
            starts(b"inf") || starts(b"nan")
        }
    }
}

/// `\uXXXX` at the start of `text`, or a surrogate pair `\uD8XX\uDCXX`: the character and how
/// many bytes it took. `None` for a malformed escape or a lone surrogate.
fn unicode_escape(text: &[u8]) -> Option<(char, usize)> {
    let hex = |from: usize| -> Option<u32> {
        let digits = text.get(from..from + 4)?;
        let digits = std::str::from_utf8(digits).ok()?;
        if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let first = hex(2)?;
    match first {
        0xd800..=0xdbff => {
            if text.get(6..8) != Some(b"\\u") {
                return None;
            }
            let second = hex(8).filter(|low| (0xdc00..=0xdfff).contains(low))?;
            let code_point = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
            Some((char::from_u32(code_point)?, 12))
        }
        0xdc00..=0xdfff => None,
        _ => Some((char::from_u32(first)?, 6)),
    }
}
