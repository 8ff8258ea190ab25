//! The book's binary protocol (*Build Your Own Redis with C/C++*, final chapter).
//!
//! A request is `u32 len`, then `len` bytes: `u32 nstr`, then `nstr` times `u32 slen` and `slen`
//! bytes; all integers little-endian. A reply is `u32 len`, then one tagged value of that many
//! bytes (see [`Tag`]). docs/book-protocol.md has the whole protocol.
//!
//! [`FrameParser`] has the shape of the RESP [`RequestParser`](super::resp::RequestParser): the
//! server appends to its query buffer, calls [`FrameParser::parse`] until it answers
//! [`Parse::Incomplete`], executes each [`Parse::Command`] through [`FrameParser::args`], and
//! drains [`FrameParser::consumed`] bytes from the front now and then, reporting them with
//! [`FrameParser::buffer_drained`]. A frame's size is known from its 4-byte header, so until the
//! whole frame is there `parse` costs O(1); the arguments are walked once, when it is complete.

use super::resp::Args;

/// The book's `k_max_msg`: the largest request body and the largest reply body.
pub const MESSAGE_BYTES_MAX: usize = 32 << 20;
/// The book's `k_max_args`: the most strings in one request.
pub const ARGS_MAX: usize = 200 * 1000;
/// Bytes of the length header in front of every request and reply.
pub const HEADER_BYTES: usize = 4;

/// Why a frame is invalid. The book's server closes the connection without a reply for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The declared length is over [`MESSAGE_BYTES_MAX`].
    TooLong,
    /// `nstr` is over [`ARGS_MAX`].
    TooManyArgs,
    /// The arguments run past the declared length (or the body cannot hold `nstr`).
    Truncated,
    /// Bytes are left inside the declared length after the last argument.
    TrailingBytes,
}

impl FrameError {
    pub fn message(self) -> &'static str {
        match self {
            FrameError::TooLong => "request too long",
            FrameError::TooManyArgs => "too many arguments",
            FrameError::Truncated => "truncated request",
            FrameError::TrailingBytes => "trailing bytes in request",
        }
    }
}

/// The outcome of one [`FrameParser::parse`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    /// More bytes are needed. Not an error.
    Incomplete,
    /// A complete request: read it with [`FrameParser::args`].
    Command,
    /// Close the connection without a reply. The parser stays failed.
    Error(FrameError),
}

/// Incremental parser of the book's request frames; one per connection.
#[derive(Debug, Clone, Default)]
pub struct FrameParser {
    /// Bytes at the front of the buffer that belong to finished frames.
    consumed: usize,
    /// The buffer length seen by the last `parse` call.
    seen_len: usize,
    /// Arguments of the last complete frame as (start, length), relative to `args_base`.
    ranges: Vec<(usize, usize)>,
    /// Absolute offset of the last complete frame's first byte.
    args_base: usize,
    command_ready: bool,
    failed: Option<FrameError>,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().expect("four bytes")) as usize)
}

impl FrameParser {
    /// Looks for the next complete frame in `buffer[self.consumed()..]`. On `Command`, `args()`
    /// gives its arguments until the next `parse` or `buffer_drained`. `buffer` must be the same
    /// buffer as in earlier calls, possibly with bytes appended, minus what was drained.
    pub fn parse(&mut self, buffer: &[u8]) -> Parse {
        if let Some(error) = self.failed {
            return Parse::Error(error);
        }
        assert!(
            buffer.len() >= self.seen_len,
            "the query buffer shrank behind the parser's back"
        );
        self.seen_len = buffer.len();
        self.command_ready = false;
        let frame = &buffer[self.consumed..];
        let Some(body_bytes) = read_u32(frame, 0) else {
            return Parse::Incomplete;
        };
        // Checked on the header alone, as the book does: a client cannot make us buffer more.
        if body_bytes > MESSAGE_BYTES_MAX {
            return self.fail(FrameError::TooLong);
        }
        let frame_bytes = HEADER_BYTES + body_bytes;
        if frame.len() < frame_bytes {
            return Parse::Incomplete;
        }
        let frame = &frame[..frame_bytes];
        let Some(count) = read_u32(frame, HEADER_BYTES) else {
            return self.fail(FrameError::Truncated);
        };
        if count > ARGS_MAX {
            return self.fail(FrameError::TooManyArgs);
        }
        self.ranges.clear();
        let mut at = HEADER_BYTES + 4;
        for _ in 0..count {
            let Some(length) = read_u32(frame, at) else {
                return self.fail(FrameError::Truncated);
            };
            let start = at + 4;
            if frame_bytes - start < length {
                return self.fail(FrameError::Truncated);
            }
            self.ranges.push((start, length));
            at = start + length;
        }
        if at != frame_bytes {
            return self.fail(FrameError::TrailingBytes);
        }
        self.args_base = self.consumed;
        self.consumed += frame_bytes;
        self.command_ready = true;
        Parse::Command
    }

    fn fail(&mut self, error: FrameError) -> Parse {
        self.failed = Some(error);
        self.command_ready = false;
        self.ranges.clear();
        Parse::Error(error)
    }

    /// Byte count of complete frames from the front of the buffer.
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
        // The last frame's bytes are gone: so are its arguments.
        self.command_ready = false;
        self.ranges.clear();
        self.check_invariants();
    }

    /// Arguments of the last complete frame (empty if there is none; `nstr = 0` is empty too).
    pub fn args<'a>(&'a self, buffer: &'a [u8]) -> Args<'a> {
        if !self.command_ready {
            return Args::from_ranges(&[], &[]);
        }
        Args::from_ranges(&buffer[self.args_base..self.consumed], &self.ranges)
    }

    pub fn check_invariants(&self) {
        assert!(self.consumed <= self.seen_len);
        assert!(self.ranges.len() <= ARGS_MAX);
        if self.command_ready {
            assert!(self.args_base + HEADER_BYTES + 4 <= self.consumed);
            for &(start, length) in &self.ranges {
                assert!(self.args_base + start + length <= self.consumed);
            }
        }
    }
}

/// The tag byte in front of every reply value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    Nil = 0,
    /// `u32 code`, `u32 length`, message bytes.
    Err = 1,
    /// `u32 length`, bytes.
    Str = 2,
    /// `i64`.
    Int = 3,
    /// `f64`.
    Dbl = 4,
    /// `u32 count`, then `count` values.
    Arr = 5,
}

/// The book's error codes.
pub const ERR_UNKNOWN: u32 = 1;
pub const ERR_TOO_BIG: u32 = 2;
pub const ERR_TYPE: u32 = 3;
pub const ERR_ARG: u32 = 4;

/// Lengths and counts on the wire are u32; nothing we send comes near (replies are capped at
/// [`MESSAGE_BYTES_MAX`] and truncated afterwards, so a length is at worst clamped, never wrapped
/// into a smaller valid-looking one).
fn put_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&u32::try_from(value).unwrap_or(u32::MAX).to_le_bytes());
}

pub fn write_nil(out: &mut Vec<u8>) {
    out.push(Tag::Nil as u8);
}

pub fn write_err(out: &mut Vec<u8>, code: u32, message: &[u8]) {
    out.push(Tag::Err as u8);
    out.extend_from_slice(&code.to_le_bytes());
    put_u32(out, message.len());
    out.extend_from_slice(message);
}

pub fn write_str(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(Tag::Str as u8);
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

pub fn write_int(out: &mut Vec<u8>, value: i64) {
    out.push(Tag::Int as u8);
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn write_dbl(out: &mut Vec<u8>, value: f64) {
    out.push(Tag::Dbl as u8);
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn write_arr(out: &mut Vec<u8>, count: usize) {
    out.push(Tag::Arr as u8);
    put_u32(out, count);
}

/// Starts a reply frame: reserves its length header and returns where it starts.
pub fn begin_frame(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_BYTES]);
    start
}

/// Ends the reply frame begun at `start`: patches its length, or replaces a body over
/// [`MESSAGE_BYTES_MAX`] by error 2, as the book's server does.
pub fn end_frame(out: &mut Vec<u8>, start: usize) {
    assert!(
        out.len() >= start + HEADER_BYTES,
        "end_frame without begin_frame"
    );
    let mut body_bytes = out.len() - start - HEADER_BYTES;
    if body_bytes > MESSAGE_BYTES_MAX {
        out.truncate(start + HEADER_BYTES);
        write_err(out, ERR_TOO_BIG, b"response is too big.");
        body_bytes = out.len() - start - HEADER_BYTES;
    }
    let header = (body_bytes as u32).to_le_bytes();
    out[start..start + HEADER_BYTES].copy_from_slice(&header);
}

/// Encodes a request frame (for clients and tests).
pub fn encode_request<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    let start = begin_frame(out);
    put_u32(out, args.len());
    for arg in args {
        put_u32(out, arg.as_ref().len());
        out.extend_from_slice(arg.as_ref());
    }
    let body_bytes = out.len() - start - HEADER_BYTES;
    out[start..start + HEADER_BYTES].copy_from_slice(&(body_bytes as u32).to_le_bytes());
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
