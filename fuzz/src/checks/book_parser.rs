//! The book protocol's frame parser on any bytes: it never panics, it gives the frames and the
//! error a plain reference decoder gives, and the same bytes split at any points give exactly the
//! same frames and error as the bytes fed in one piece (a frame's size is in its header, so no
//! limit depends on how the bytes arrive).
//!
//! Input: one byte of setup, one byte giving the number of split points, two bytes per split
//! point, then operations that build the request: frames encoded with `encode_request` from
//! fuzzer-chosen arguments, raw bytes, and corruptions (a patched length or count, an overwritten
//! byte, a cut tail). When no operation corrupted anything the frames must be the ones encoded.
use ferrodis_core::protocol::book::{
    encode_request, FrameError, FrameParser, Parse, ARGS_MAX, HEADER_BYTES, MESSAGE_BYTES_MAX,
};

use super::input::Input;

/// At most this many split points.
const SPLITS_MAX: usize = 16;
/// At most this many arguments in a built frame, each at most this long.
const BUILT_ARGS_MAX: usize = 6;
const BUILT_ARG_BYTES_MAX: usize = 24;

/// What a run produced: each frame as its argument count, then each argument's length and bytes.
/// Flat, so that a run allocates little.
#[derive(Debug, Default, PartialEq, Eq)]
struct Events {
    log: Vec<u8>,
    frames: usize,
    error: Option<FrameError>,
}

impl Events {
    fn frame<'a>(&mut self, count: usize, args: impl Iterator<Item = &'a [u8]>) {
        self.frames += 1;
        self.log.extend_from_slice(&(count as u32).to_le_bytes());
        for arg in args {
            self.log
                .extend_from_slice(&(arg.len() as u32).to_le_bytes());
            self.log.extend_from_slice(arg);
        }
    }
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let setup = input.u8();
    // Drain consumed bytes after every piece, or only once the buffer is fully parsed.
    let drain_always = setup & 1 == 0;
    let split_count = input.below(SPLITS_MAX + 1);
    let mut splits: Vec<usize> = (0..split_count).map(|_| input.u16() as usize).collect();
    let (request, built) = build(&mut input);
    for split in &mut splits {
        *split %= request.len() + 1;
    }
    splits.sort_unstable();
    splits.push(request.len());

    let whole = feed(&request, &[request.len()], drain_always);
    let expected = reference(&request);
    assert!(
        whole == expected,
        "request {request:02x?}\nparser: {whole:?}\nreference: {expected:?}"
    );
    if let Some(built) = built {
        assert!(
            whole == built,
            "request {request:02x?}\nparser: {whole:?}\nencoded: {built:?}"
        );
    }
    let pieces = feed(&request, &splits, drain_always);
    assert!(
        whole == pieces,
        "request {request:02x?} split at {splits:?}\npieces: {pieces:?}\nwhole: {whole:?}"
    );
}

/// Builds a request from the rest of the input. Also returns the frames encoded, when nothing
/// corrupted them.
fn build(input: &mut Input<'_>) -> (Vec<u8>, Option<Events>) {
    let mut request = Vec::new();
    let mut built = Events::default();
    let mut clean = true;
    let mut args: Vec<&[u8]> = Vec::new();
    while !input.is_empty() {
        let op = input.below(8);
        if op == 4 {
            request.extend_from_slice(input.bytes(32));
            clean = false;
            continue;
        }
        if op == 6 {
            if !request.is_empty() {
                let at = input.u16() as usize % request.len();
                request[at] = input.u8();
                clean = false;
            }
            continue;
        }
        if op == 7 {
            let cut = input.u8() as usize % (request.len() + 1);
            request.truncate(request.len() - cut);
            clean = false;
            continue;
        }
        // A frame from fuzzer-chosen arguments, patched when op is 5.
        args.clear();
        for _ in 0..input.below(BUILT_ARGS_MAX + 1) {
            args.push(input.bytes(BUILT_ARG_BYTES_MAX));
        }
        let start = request.len();
        encode_request(&args, &mut request);
        if op != 5 {
            built.frame(args.len(), args.iter().copied());
            continue;
        }
        clean = false;
        // The length header, the argument count, or one argument's length.
        let field = match input.below(3) {
            0 => start,
            1 => start + HEADER_BYTES,
            _ if args.is_empty() => start + HEADER_BYTES,
            _ => {
                let index = input.below(args.len());
                start + HEADER_BYTES + 4 + args[..index].iter().map(|a| 4 + a.len()).sum::<usize>()
            }
        };
        let old = u32::from_le_bytes(request[field..field + 4].try_into().unwrap());
        let new = match input.below(8) {
            0 => old.wrapping_add(1),
            1 => old.wrapping_sub(1),
            2 => old.wrapping_add(u32::from(input.u8())),
            3 => old.wrapping_sub(u32::from(input.u8())),
            4 => ARGS_MAX as u32 + input.below(2) as u32,
            5 => MESSAGE_BYTES_MAX as u32 + input.below(2) as u32,
            6 => u32::MAX,
            _ => u32::from(input.u16()),
        };
        request[field..field + 4].copy_from_slice(&new.to_le_bytes());
    }
    (request, clean.then_some(built))
}

/// Feeds `request` up to each offset in `ends` in turn, as the server does with what it reads.
fn feed(request: &[u8], ends: &[usize], drain_always: bool) -> Events {
    let mut parser = FrameParser::default();
    let mut buffer = Vec::new();
    let mut events = Events::default();
    let mut start = 0;
    for &end in ends {
        buffer.extend_from_slice(&request[start..end]);
        start = end;
        loop {
            let parse = parser.parse(&buffer);
            parser.check_invariants();
            match parse {
                Parse::Incomplete => break,
                Parse::Command => {
                    let args = parser.args(&buffer);
                    events.frame(args.len(), args.iter());
                }
                Parse::Error(error) => {
                    // The parser stays failed.
                    assert_eq!(parser.parse(&buffer), Parse::Error(error));
                    assert!(parser.args(&buffer).is_empty());
                    events.error = Some(error);
                    return events;
                }
            }
        }
        // Incomplete: what is left is less than one frame, whose header (if there) is in range.
        let pending = &buffer[parser.consumed()..];
        if let Some(header) = pending.get(..HEADER_BYTES) {
            let body_bytes = u32::from_le_bytes(header.try_into().unwrap()) as usize;
            assert!(body_bytes <= MESSAGE_BYTES_MAX);
            assert!(pending.len() < HEADER_BYTES + body_bytes);
        }
        if drain_always || parser.consumed() == buffer.len() {
            let consumed = parser.consumed();
            buffer.drain(..consumed);
            parser.buffer_drained(consumed);
            assert!(parser.args(&buffer).is_empty());
        }
    }
    events
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let field = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes(field.try_into().unwrap()) as usize)
}

/// The protocol as docs/book-protocol.md states it, decoded from the whole request at once.
fn reference(request: &[u8]) -> Events {
    let mut events = Events::default();
    let mut rest = request;
    while let Some(body_bytes) = read_u32(rest, 0) {
        if body_bytes > MESSAGE_BYTES_MAX {
            events.error = Some(FrameError::TooLong);
            break;
        }
        let Some(body) = rest.get(HEADER_BYTES..HEADER_BYTES + body_bytes) else {
            break;
        };
        rest = &rest[HEADER_BYTES + body_bytes..];
        match decode_body(body) {
            Ok(args) => events.frame(args.len(), args.into_iter()),
            Err(error) => {
                events.error = Some(error);
                break;
            }
        }
    }
    events
}

fn decode_body(body: &[u8]) -> Result<Vec<&[u8]>, FrameError> {
    let count = read_u32(body, 0).ok_or(FrameError::Truncated)?;
    if count > ARGS_MAX {
        return Err(FrameError::TooManyArgs);
    }
    let mut args = Vec::new();
    let mut at = 4;
    for _ in 0..count {
        let length = read_u32(body, at).ok_or(FrameError::Truncated)?;
        let arg = body
            .get(at + 4..)
            .and_then(|rest| rest.get(..length))
            .ok_or(FrameError::Truncated)?;
        args.push(arg);
        at += 4 + length;
    }
    if at != body.len() {
        return Err(FrameError::TrailingBytes);
    }
    Ok(args)
}
