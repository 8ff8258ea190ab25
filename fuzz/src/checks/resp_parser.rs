//! The RESP request parser on any bytes: it never panics, its pending input stays within what the
//! limits allow, and the same bytes split at any points give the same commands and errors as the
//! bytes fed in one piece.
//!
//! Input: one byte choosing the limits and authentication, one byte giving the number of split
//! points, two bytes per split point, then the request bytes.
//!
//! One difference is Redis's, and allowed: a header or inline line that is too long is refused
//! only while its terminator has not arrived, so a long line fed in pieces fails with a line-limit
//! error where the same line fed whole is accepted. Then the commands before the error must be
//! the first commands of the whole run.
use ferrodis_core::protocol::resp::{Limits, Parse, ProtocolError, RequestParser};

use super::input::Input;

/// Small limits, so that every bound is reached by short inputs.
const SMALL: Limits = Limits {
    bulk_bytes_max: 16,
    args_max: 6,
    inline_bytes_max: 24,
};

/// At most this many split points.
const SPLITS_MAX: usize = 16;

/// What a run produced: each command as its argument count, then each argument's length and
/// bytes; an error as `u32::MAX` and the error's message. Flat, so that a run allocates little.
#[derive(Debug, Default, PartialEq, Eq)]
struct Events {
    log: Vec<u8>,
    /// Where each event starts in `log`.
    starts: Vec<usize>,
    error: Option<ProtocolError>,
}

impl Events {
    fn command<'a>(&mut self, count: usize, args: impl Iterator<Item = &'a [u8]>) {
        self.starts.push(self.log.len());
        self.log.extend_from_slice(&(count as u32).to_le_bytes());
        for arg in args {
            self.log
                .extend_from_slice(&(arg.len() as u32).to_le_bytes());
            self.log.extend_from_slice(arg);
        }
    }

    /// The log of the first `n` commands.
    fn commands(&self, n: usize) -> &[u8] {
        &self.log[..self.starts.get(n).copied().unwrap_or(self.log.len())]
    }
}

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let setup = input.u8();
    let limits = if setup & 1 == 0 {
        SMALL
    } else {
        Limits::default()
    };
    let authenticated = setup & 2 == 0;
    // Drain consumed bytes after every call, or only once the buffer is fully parsed.
    let drain_always = setup & 4 == 0;
    let split_count = input.below(SPLITS_MAX + 1);
    let mut splits: Vec<usize> = (0..split_count).map(|_| input.u16() as usize).collect();
    let request = input.rest();
    for split in &mut splits {
        *split %= request.len() + 1;
    }
    splits.sort_unstable();
    splits.push(request.len());

    let whole = feed(
        request,
        &[request.len()],
        &limits,
        authenticated,
        drain_always,
    );
    let pieces = feed(request, &splits, &limits, authenticated, drain_always);
    if whole == pieces {
        return;
    }
    let Some(error) = pieces.error else {
        panic!("split at {splits:?}: {pieces:?}\nwhole: {whole:?}");
    };
    assert!(
        matches!(
            error,
            ProtocolError::TooBigInlineRequest
                | ProtocolError::TooBigMultibulkCount
                | ProtocolError::TooBigBulkCount
        ),
        "split at {splits:?}: {pieces:?}\nwhole: {whole:?}"
    );
    assert!(
        whole.commands(pieces.starts.len()) == pieces.log,
        "split at {splits:?}: {pieces:?}\nwhole: {whole:?}"
    );
}

/// Feeds `request` up to each offset in `ends` in turn, as the server does with what it reads.
fn feed(
    request: &[u8],
    ends: &[usize],
    limits: &Limits,
    authenticated: bool,
    drain_always: bool,
) -> Events {
    let mut parser = RequestParser::default();
    parser.set_authenticated(authenticated);
    let (bulk_bytes_max, args_max) = if authenticated {
        (limits.bulk_bytes_max, limits.args_max)
    } else {
        (limits.bulk_bytes_max.min(16384), limits.args_max.min(10))
    };
    let mut buffer = Vec::new();
    let mut events = Events::default();
    let mut start = 0;
    let mut piece_bytes_max = 0;
    for &end in ends {
        let piece = &request[start..end];
        start = end;
        piece_bytes_max = piece_bytes_max.max(piece.len());
        buffer.extend_from_slice(piece);
        loop {
            let parse = parser.parse(&buffer, limits);
            parser.check_invariants();
            match parse {
                Parse::Incomplete => break,
                Parse::Command => {
                    let args = parser.args(&buffer);
                    assert!(!args.is_empty(), "a command has a name");
                    assert_eq!(args.len(), parser.arg_count());
                    events.command(args.len(), args.iter());
                }
                Parse::Error(error) => {
                    assert_eq!(parser.parse(&buffer, limits), Parse::Error(error));
                    events.error = Some(error);
                    return events;
                }
            }
        }
        assert!(parser.bytes_expected() <= bulk_bytes_max + 2);
        if drain_always || parser.consumed() == buffer.len() {
            let consumed = parser.consumed();
            buffer.drain(..consumed);
            parser.buffer_drained(consumed);
        }
        // What waits for the rest of a command: its header lines (each within the line limit
        // plus the piece that brought its terminator) and its complete bulks.
        let pending = buffer.len() - parser.consumed();
        let lines_max = args_max.min(request.len()) + 1;
        let pending_max = lines_max * (limits.inline_bytes_max + 2 + piece_bytes_max)
            + args_max.min(request.len()) * (bulk_bytes_max + 2);
        assert!(
            pending <= pending_max,
            "{pending} bytes pending, at most {pending_max} expected"
        );
    }
    events
}
