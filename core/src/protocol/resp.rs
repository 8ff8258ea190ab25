//! Incremental RESP2 request parser: multibulk (`*N\r\n$len\r\n...`) and inline commands.
//!
//! The server keeps each connection's query buffer as a `Vec<u8>`: it appends what it reads, calls
//! [`RequestParser::parse`] until it answers [`Parse::Incomplete`] (or an error), executes each
//! [`Parse::Command`] through [`RequestParser::args`], and from time to time drains
//! [`RequestParser::consumed`] bytes from the front of its buffer and reports it with
//! [`RequestParser::buffer_drained`].
//!
//! The parser never examines a byte twice: it remembers its stage (which header line it is reading
//! and how far it has searched for the line's end, or which bulk it is waiting for), so a 100 MB bulk
//! arriving one byte at a time costs O(1) per call.
//!
//! Behaviour matches Redis 7.0's `processMultibulkBuffer` / `processInlineBuffer`, quirks included:
//! - line searches stop at a NUL byte, as `strchr` does: a header or inline line holding a NUL before
//!   its terminator never completes, and fails only once the line-length limit is crossed;
//! - a multibulk or bulk header ends at the first `\r`, and the byte after it is skipped without
//!   being checked; the two bytes after bulk data are skipped without being checked either;
//! - `*0` and negative counts, and inline lines without arguments, are skipped silently;
//! - the line-length limit applies only while no terminator has been found, so a long line that
//!   arrives whole is accepted.

use crate::util::number::parse_i64;

/// Redis's `authRequired` limits: before authentication, at most 10 arguments per command.
const UNAUTHENTICATED_ARGS_MAX: i64 = 10;
/// Redis's `authRequired` limits: before authentication, at most 16 KiB per bulk argument.
const UNAUTHENTICATED_BULK_BYTES_MAX: i64 = 16384;
/// Redis preallocates at most this many argument slots from an untrusted multibulk count.
const ARGS_PREALLOCATED_MAX: usize = 1024;

/// Parser limits, as in Redis's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest bulk argument (Redis default 512 MiB).
    pub bulk_bytes_max: usize,
    /// The largest multibulk count (Redis: `INT_MAX`).
    pub args_max: usize,
    /// `PROTO_INLINE_MAX_SIZE`: the longest inline line or header line without a terminator.
    pub inline_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            bulk_bytes_max: 512 * 1024 * 1024,
            args_max: i32::MAX as usize,
            inline_bytes_max: 64 * 1024,
        }
    }
}

/// One variant per protocol error that Redis 7.0 replies before closing the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    TooBigInlineRequest,
    UnbalancedQuotes,
    TooBigMultibulkCount,
    InvalidMultibulkLength,
    UnauthenticatedMultibulkLength,
    TooBigBulkCount,
    /// A bulk header did not start with `$`; carries the byte found instead.
    ExpectedDollar(u8),
    InvalidBulkLength,
    UnauthenticatedBulkLength,
}

const EXPECTED_DOLLAR_PREFIX: &[u8] = b"Protocol error: expected '$', got '";
const EXPECTED_DOLLAR_BYTES: usize = EXPECTED_DOLLAR_PREFIX.len() + 2;

/// `expected '$', got 'X'` for every byte X, as Redis sends it: the raw byte, except that
/// `addReplyErrorFormat` turns `\r` and `\n` into spaces.
static EXPECTED_DOLLAR_MESSAGES: [[u8; EXPECTED_DOLLAR_BYTES]; 256] = expected_dollar_messages();

const fn expected_dollar_messages() -> [[u8; EXPECTED_DOLLAR_BYTES]; 256] {
    let mut table = [[0u8; EXPECTED_DOLLAR_BYTES]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut i = 0;
        while i < EXPECTED_DOLLAR_PREFIX.len() {
            table[byte][i] = EXPECTED_DOLLAR_PREFIX[i];
            i += 1;
        }
        let shown = byte as u8;
        table[byte][i] = if shown == b'\r' || shown == b'\n' {
            b' '
        } else {
            shown
        };
        table[byte][i + 1] = b'\'';
        byte += 1;
    }
    table
}

impl ProtocolError {
    /// The exact Redis 7.0 error text without the `-ERR ` prefix. For `ExpectedDollar` with a byte
    /// that is not ASCII, Redis sends the raw byte, which no `str` can hold: this returns U+FFFD
    /// in its place, and [`ProtocolError::message_bytes`] gives the exact bytes.
    pub fn message(&self) -> &'static str {
        match self {
            ProtocolError::TooBigInlineRequest => "Protocol error: too big inline request",
            ProtocolError::UnbalancedQuotes => "Protocol error: unbalanced quotes in request",
            ProtocolError::TooBigMultibulkCount => "Protocol error: too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => "Protocol error: invalid multibulk length",
            ProtocolError::UnauthenticatedMultibulkLength => {
                "Protocol error: unauthenticated multibulk length"
            }
            ProtocolError::TooBigBulkCount => "Protocol error: too big bulk count string",
            ProtocolError::ExpectedDollar(byte) => {
                match std::str::from_utf8(&EXPECTED_DOLLAR_MESSAGES[*byte as usize]) {
                    Ok(text) => text,
                    Err(_) => "Protocol error: expected '$', got '\u{FFFD}'",
                }
            }
            ProtocolError::InvalidBulkLength => "Protocol error: invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => {
                "Protocol error: unauthenticated bulk length"
            }
        }
    }

    /// The exact bytes Redis 7.0 sends after `-ERR ` (differs from `message()` only for
    /// `ExpectedDollar` with a non-ASCII byte).
    pub fn message_bytes(&self) -> &'static [u8] {
        match self {
            ProtocolError::ExpectedDollar(byte) => &EXPECTED_DOLLAR_MESSAGES[*byte as usize],
            other => other.message().as_bytes(),
        }
    }
}

/// The outcome of one [`RequestParser::parse`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    /// More bytes are needed. Not an error.
    Incomplete,
    /// A complete command: read it with [`RequestParser::args`].
    Command,
    /// Reply `-ERR <message>` and close the connection. The parser stays failed: later calls
    /// return the same error.
    Error(ProtocolError),
}

/// A search for a line terminator that remembers how far it got, so no byte is examined twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LineSearch {
    /// Where the line starts (absolute offset in the buffer).
    start: usize,
    /// Bytes before this offset hold neither the terminator nor a NUL.
    scanned: usize,
    /// A NUL byte was met first: like `strchr`, the search will never find the terminator.
    nul_found: bool,
}

impl LineSearch {
    fn new(start: usize) -> Self {
        LineSearch {
            start,
            scanned: start,
            nul_found: false,
        }
    }

    /// The offset of the first `needle` at or after `start`, if no NUL comes before it.
    /// On success `scanned` stays at the terminator, so asking again is O(1).
    fn find(&mut self, buffer: &[u8], needle: u8, examined: &mut u64) -> Option<usize> {
        if self.nul_found {
            return None;
        }
        let unscanned = &buffer[self.scanned..];
        let hit = unscanned.iter().position(|&b| b == needle || b == 0);
        *examined += hit.map_or(unscanned.len(), |i| i + 1) as u64;
        match hit {
            Some(i) if unscanned[i] == needle => {
                self.scanned += i;
                Some(self.scanned)
            }
            Some(i) => {
                self.scanned += i;
                self.nul_found = true;
                None
            }
            None => {
                self.scanned = buffer.len();
                None
            }
        }
    }

    fn shift(&mut self, n: usize) {
        self.start -= n;
        self.scanned -= n;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing examined at `consumed`.
    Idle,
    /// An inline line starting at `consumed`, waiting for `\n`.
    InlineLine(LineSearch),
    /// The `*<count>` line at `consumed`, waiting for `\r` and one more byte.
    MultibulkCount(LineSearch),
    /// A `$<length>` line, waiting for `\r` and one more byte.
    BulkLength(LineSearch),
    /// Bulk data at `start`, waiting for `length` bytes and two more.
    BulkData { start: usize, length: usize },
    /// A protocol error was found; the parser stays here.
    Failed(ProtocolError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArgsSource {
    /// Ranges are relative to `args_base` in the caller's buffer.
    Buffer,
    /// Ranges index the parser's scratch buffer (unquoted inline arguments).
    Scratch,
}

/// Incremental RESP2 request parser; one per connection.
#[derive(Debug, Clone)]
pub struct RequestParser {
    stage: Stage,
    /// Bytes at the front of the buffer that belong to finished (or skipped) commands.
    consumed: usize,
    /// The buffer length seen by the last `parse` call.
    seen_len: usize,
    /// Multibulk arguments still to read for the command in progress.
    args_remaining: usize,
    /// Arguments as (start, length): of the last complete command when `command_ready`, else of
    /// the command in progress. Multibulk starts are relative to the command's first byte.
    ranges: Vec<(usize, usize)>,
    source: ArgsSource,
    /// Absolute offset of the last complete multibulk command's first byte.
    args_base: usize,
    command_ready: bool,
    scratch: Vec<u8>,
    authenticated: bool,
    /// Bytes examined by line searches and inline splitting: stays O(bytes received).
    examined: u64,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser {
            stage: Stage::Idle,
            consumed: 0,
            seen_len: 0,
            args_remaining: 0,
            ranges: Vec::new(),
            source: ArgsSource::Buffer,
            args_base: 0,
            command_ready: false,
            scratch: Vec::new(),
            authenticated: true,
            examined: 0,
        }
    }
}

impl RequestParser {
    /// Looks for the next complete command in `buffer[self.consumed()..]`. On `Command`, `args()`
    /// gives the arguments until the next call to `parse`, `consume_command` or `buffer_drained`
    /// (inline arguments survive `buffer_drained`). `buffer` must be the same buffer as in earlier
    /// calls, possibly with bytes appended, minus what was reported through `buffer_drained`.
    pub fn parse(&mut self, buffer: &[u8], limits: &Limits) -> Parse {
        if let Stage::Failed(error) = self.stage {
            return Parse::Error(error);
        }
        assert!(
            buffer.len() >= self.seen_len,
            "the query buffer shrank behind the parser's back"
        );
        self.seen_len = buffer.len();
        if self.command_ready {
            self.consume_command();
        }
        loop {
            match self.stage {
                Stage::Failed(error) => return Parse::Error(error),
                Stage::Idle => {
                    if self.consumed == buffer.len() {
                        return Parse::Incomplete;
                    }
                    let search = LineSearch::new(self.consumed);
                    self.stage = if buffer[self.consumed] == b'*' {
                        Stage::MultibulkCount(search)
                    } else {
                        Stage::InlineLine(search)
                    };
                }
                Stage::InlineLine(mut search) => {
                    let found = search.find(buffer, b'\n', &mut self.examined);
                    self.stage = Stage::InlineLine(search);
                    let Some(newline) = found else {
                        if buffer.len() - search.start > limits.inline_bytes_max {
                            return self.fail(ProtocolError::TooBigInlineRequest);
                        }
                        return Parse::Incomplete;
                    };
                    let mut line_end = newline;
                    if line_end > search.start && buffer[line_end - 1] == b'\r' {
                        line_end -= 1;
                    }
                    self.scratch.clear();
                    self.ranges.clear();
                    let line = &buffer[search.start..line_end];
                    self.examined += line.len() as u64;
                    if split_inline(line, &mut self.scratch, &mut self.ranges).is_err() {
                        return self.fail(ProtocolError::UnbalancedQuotes);
                    }
                    self.consumed = newline + 1;
                    self.stage = Stage::Idle;
                    if !self.ranges.is_empty() {
                        self.source = ArgsSource::Scratch;
                        self.command_ready = true;
                        return Parse::Command;
                    }
                    // Redis skips a line without arguments silently.
                }
                Stage::MultibulkCount(mut search) => {
                    let found = search.find(buffer, b'\r', &mut self.examined);
                    self.stage = Stage::MultibulkCount(search);
                    let Some(line_end) = found else {
                        if buffer.len() - search.start > limits.inline_bytes_max {
                            return self.fail(ProtocolError::TooBigMultibulkCount);
                        }
                        return Parse::Incomplete;
                    };
                    // Redis wants one byte after the `\r` and skips it unchecked.
                    if buffer.len() < line_end + 2 {
                        return Parse::Incomplete;
                    }
                    let count = match parse_i64(&buffer[search.start + 1..line_end]) {
                        Some(count)
                            if count <= i64::from(i32::MAX)
                                && (count <= 0 || count as u64 <= limits.args_max as u64) =>
                        {
                            count
                        }
                        _ => return self.fail(ProtocolError::InvalidMultibulkLength),
                    };
                    if !self.authenticated && count > UNAUTHENTICATED_ARGS_MAX {
                        return self.fail(ProtocolError::UnauthenticatedMultibulkLength);
                    }
                    if count <= 0 {
                        // `*0` and `*-1` are skipped silently.
                        self.consumed = line_end + 2;
                        self.stage = Stage::Idle;
                        continue;
                    }
                    self.args_remaining = count as usize;
                    self.ranges.clear();
                    self.ranges
                        .reserve(self.args_remaining.min(ARGS_PREALLOCATED_MAX));
                    self.stage = Stage::BulkLength(LineSearch::new(line_end + 2));
                }
                Stage::BulkLength(mut search) => {
                    let found = search.find(buffer, b'\r', &mut self.examined);
                    self.stage = Stage::BulkLength(search);
                    let Some(line_end) = found else {
                        if buffer.len() - search.start > limits.inline_bytes_max {
                            return self.fail(ProtocolError::TooBigBulkCount);
                        }
                        return Parse::Incomplete;
                    };
                    if buffer.len() < line_end + 2 {
                        return Parse::Incomplete;
                    }
                    if buffer[search.start] != b'$' {
                        return self.fail(ProtocolError::ExpectedDollar(buffer[search.start]));
                    }
                    let length = match parse_i64(&buffer[search.start + 1..line_end]) {
                        Some(length)
                            if length >= 0 && length as u64 <= limits.bulk_bytes_max as u64 =>
                        {
                            length
                        }
                        _ => return self.fail(ProtocolError::InvalidBulkLength),
                    };
                    if !self.authenticated && length > UNAUTHENTICATED_BULK_BYTES_MAX {
                        return self.fail(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.stage = Stage::BulkData {
                        start: line_end + 2,
                        length: length as usize,
                    };
                }
                Stage::BulkData { start, length } => {
                    // Redis skips the two bytes after the data without checking for `\r\n`.
                    let end = start.saturating_add(length).saturating_add(2);
                    if buffer.len() < end {
                        return Parse::Incomplete;
                    }
                    self.ranges.push((start - self.consumed, length));
                    self.args_remaining -= 1;
                    if self.args_remaining > 0 {
                        self.stage = Stage::BulkLength(LineSearch::new(end));
                        continue;
                    }
                    self.source = ArgsSource::Buffer;
                    self.args_base = self.consumed;
                    self.consumed = end;
                    self.stage = Stage::Idle;
                    self.command_ready = true;
                    return Parse::Command;
                }
            }
        }
    }

    fn fail(&mut self, error: ProtocolError) -> Parse {
        self.stage = Stage::Failed(error);
        self.command_ready = false;
        self.ranges.clear();
        Parse::Error(error)
    }

    /// Forgets the last command's arguments (its bytes are already counted in `consumed()`).
    pub fn consume_command(&mut self) {
        if self.command_ready {
            self.command_ready = false;
            self.ranges.clear();
        }
    }

    /// Byte count of fully parsed commands (including skipped empty inline lines, `*0` and
    /// negative counts) from the front of the buffer.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The caller drained `n <= consumed()` bytes from the front of its buffer.
    pub fn buffer_drained(&mut self, n: usize) {
        assert!(
            n <= self.consumed,
            "drained {n} bytes but only {} are consumed",
            self.consumed
        );
        if n == 0 {
            return;
        }
        self.consumed -= n;
        self.seen_len -= n;
        match &mut self.stage {
            Stage::Idle | Stage::Failed(_) => {}
            Stage::InlineLine(search)
            | Stage::MultibulkCount(search)
            | Stage::BulkLength(search) => search.shift(n),
            Stage::BulkData { start, .. } => *start -= n,
        }
        if self.command_ready && self.source == ArgsSource::Buffer {
            // The last command's bytes are gone: so are its arguments.
            self.consume_command();
        }
        self.check_invariants();
    }

    /// Arguments of the last complete command (empty if there is none).
    pub fn args<'a>(&'a self, buffer: &'a [u8]) -> Args<'a> {
        if !self.command_ready {
            return Args {
                bytes: &[],
                ranges: &[],
            };
        }
        let bytes = match self.source {
            ArgsSource::Buffer => &buffer[self.args_base..self.consumed],
            ArgsSource::Scratch => &self.scratch[..],
        };
        Args {
            bytes,
            ranges: &self.ranges,
        }
    }

    /// Argument count of the last complete command (0 if there is none).
    pub fn arg_count(&self) -> usize {
        if self.command_ready {
            self.ranges.len()
        } else {
            0
        }
    }

    /// Bytes the command in progress still needs, as far as the parser knows (the rest of a bulk
    /// and its trailing two bytes), counted from the buffer length of the last `parse` call.
    /// 0 if unknown.
    pub fn bytes_expected(&self) -> usize {
        match self.stage {
            Stage::BulkData { start, length } => start
                .saturating_add(length)
                .saturating_add(2)
                .saturating_sub(self.seen_len),
            _ => 0,
        }
    }

    /// True when bytes of a command not yet complete have been examined.
    pub fn has_partial_command(&self) -> bool {
        !matches!(self.stage, Stage::Idle | Stage::Failed(_))
    }

    /// Whether the connection is authenticated. While it is not, multibulk counts above 10 and
    /// bulk lengths above 16384 are protocol errors (Redis's `authRequired` limits). The server
    /// passes `true` when no password is required. Default: `true`.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.authenticated = authenticated;
    }

    /// Forgets everything, as for a fresh connection (keeps the authentication flag and the
    /// allocations).
    pub fn reset(&mut self) {
        self.stage = Stage::Idle;
        self.consumed = 0;
        self.seen_len = 0;
        self.args_remaining = 0;
        self.ranges.clear();
        self.source = ArgsSource::Buffer;
        self.args_base = 0;
        self.command_ready = false;
        self.scratch.clear();
    }

    pub fn check_invariants(&self) {
        assert!(self.consumed <= self.seen_len);
        match self.stage {
            Stage::Idle | Stage::Failed(_) => {}
            Stage::InlineLine(search)
            | Stage::MultibulkCount(search)
            | Stage::BulkLength(search) => {
                assert!(self.consumed <= search.start);
                assert!(search.start <= search.scanned && search.scanned <= self.seen_len);
            }
            Stage::BulkData { start, .. } => assert!(self.consumed < start),
        }
        if matches!(self.stage, Stage::BulkLength(_) | Stage::BulkData { .. }) {
            assert!(self.args_remaining > 0);
        }
        if self.command_ready && self.source == ArgsSource::Buffer {
            assert!(self.args_base < self.consumed);
            for &(start, length) in &self.ranges {
                assert!(self.args_base + start + length <= self.consumed);
            }
        }
    }
}

/// A view of one command's arguments.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    bytes: &'a [u8],
    ranges: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    /// Arguments given as (start, length) ranges into `bytes` (the book's frames use this).
    pub fn from_ranges(bytes: &'a [u8], ranges: &'a [(usize, usize)]) -> Args<'a> {
        debug_assert!(ranges
            .iter()
            .all(|&(start, length)| start + length <= bytes.len()));
        Args { bytes, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let &(start, length) = self.ranges.get(i)?;
        Some(&self.bytes[start..start + length])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + Clone + 'a {
        let bytes = self.bytes;
        self.ranges
            .iter()
            .map(move |&(start, length)| &bytes[start..start + length])
    }
}

/// A command's arguments copied out of the query buffer, for a command that runs later (a
/// blocked or a paused client's).
#[derive(Debug, Clone, Default)]
pub struct OwnedArgs {
    bytes: Vec<u8>,
    ranges: Vec<(usize, usize)>,
}

impl OwnedArgs {
    pub fn new(args: Args<'_>) -> OwnedArgs {
        let mut owned = OwnedArgs {
            bytes: Vec::with_capacity(args.iter().map(<[u8]>::len).sum()),
            ranges: Vec::with_capacity(args.len()),
        };
        for arg in args.iter() {
            owned.ranges.push((owned.bytes.len(), arg.len()));
            owned.bytes.extend_from_slice(arg);
        }
        owned
    }

    pub fn args(&self) -> Args<'_> {
        Args::from_ranges(&self.bytes, &self.ranges)
    }
}

/// `isspace` in the C locale.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline line like Redis's `sdssplitargs`, appending argument bytes to `scratch` and
/// (start, length) pairs to `ranges`. `Err` means unbalanced quotes (including a closing quote
/// followed by something other than a space). The line holds no NUL (the line search stops at
/// one), so its end plays the part of C's terminating NUL.
fn split_inline(
    line: &[u8],
    scratch: &mut Vec<u8>,
    ranges: &mut Vec<(usize, usize)>,
) -> Result<(), ()> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(());
        }
        let start = scratch.len();
        let mut in_double_quotes = false;
        let mut in_single_quotes = false;
        let mut done = false;
        while !done {
            let c = at(i);
            if in_double_quotes {
                if c == b'\\' && at(i + 1) == b'x' {
                    if let (Some(high), Some(low)) = (hex_value(at(i + 2)), hex_value(at(i + 3))) {
                        scratch.push(high * 16 + low);
                        i += 3;
                    } else {
                        // `\x` without two hex digits is an ordinary escape of `x`.
                        i += 1;
                        scratch.push(b'x');
                    }
                } else if c == b'\\' && at(i + 1) != 0 {
                    i += 1;
                    scratch.push(match at(i) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing at all.
                    if at(i + 1) != 0 && !is_c_space(at(i + 1)) {
                        return Err(());
                    }
                    done = true;
                } else if c == 0 {
                    return Err(());
                } else {
                    scratch.push(c);
                }
            } else if in_single_quotes {
                if c == b'\\' && at(i + 1) == b'\'' {
                    i += 1;
                    scratch.push(b'\'');
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_c_space(at(i + 1)) {
                        return Err(());
                    }
                    done = true;
                } else if c == 0 {
                    return Err(());
                } else {
                    scratch.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_double_quotes = true,
                    b'\'' => in_single_quotes = true,
                    _ => scratch.push(c),
                }
            }
            if at(i) != 0 {
                i += 1;
            }
        }
        ranges.push((start, scratch.len() - start));
    }
}

/// `args` as a RESP multibulk request, as a client sends it (for the server's own loading
/// connection, tests, fuzzers and the simulator).
pub fn encode_request<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut request = Vec::new();
    encode_request_into(&mut request, args);
    request
}

/// Appends `args` as a RESP array of bulk strings (the append-only file's records too).
pub fn encode_request_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    encode_args_into(out, args.iter().map(AsRef::as_ref));
}

/// The same as `encode_request_into`, for arguments an iterator hands out.
pub fn encode_args_into<'a>(out: &mut Vec<u8>, args: impl ExactSizeIterator<Item = &'a [u8]>) {
    encode_header_into(out, b'*', args.len());
    for arg in args {
        encode_bulk_into(out, arg);
    }
}

/// Appends `bytes` as a RESP bulk string.
pub fn encode_bulk_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 8);
    encode_header_into(out, b'$', bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends `kind`, `length` in decimal and CRLF. Lengths below 100 (nearly every header of a
/// command's encoding) take one copy of a fixed size, which compiles to a store or two.
fn encode_header_into(out: &mut Vec<u8>, kind: u8, length: usize) {
    let digit = |value: usize| b'0' + value as u8;
    match length {
        0..=9 => out.extend_from_slice(&[kind, digit(length), b'\r', b'\n']),
        10..=99 => {
            out.extend_from_slice(&[kind, digit(length / 10), digit(length % 10), b'\r', b'\n'])
        }
        _ => {
            let mut digits = [0u8; 20];
            out.push(kind);
            out.extend_from_slice(decimal(&mut digits, length));
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `value` in decimal, written at the end of `digits`.
fn decimal(digits: &mut [u8; 20], mut value: usize) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &digits[at..];
        }
    }
}

#[cfg(test)]
#[path = "resp_tests.rs"]
mod tests;
