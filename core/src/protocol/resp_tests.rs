//! The RESP request parser: error texts, limits, inline splitting, and splits that must not matter.

use super::*;
use proptest::prelude::*;

type Command = Vec<Vec<u8>>;

/// Feeds `input` in pieces cut at `cuts` the way the server does: append, parse until not
/// `Command`, drain what is consumed. Returns the commands and the last non-command outcome.
fn feed(
    input: &[u8],
    cuts: &[usize],
    limits: &Limits,
    authenticated: bool,
) -> (Vec<Command>, Parse) {
    let mut parser = RequestParser::default();
    parser.set_authenticated(authenticated);
    let mut buffer = Vec::new();
    let mut commands = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    points.push(input.len());
    points.sort_unstable();
    let mut fed = 0;
    let mut outcome = Parse::Incomplete;
    for point in points {
        buffer.extend_from_slice(&input[fed..point]);
        fed = point;
        loop {
            outcome = parser.parse(&buffer, limits);
            parser.check_invariants();
            match outcome {
                Parse::Command => {
                    let args = parser.args(&buffer);
                    assert_eq!(args.len(), parser.arg_count());
                    assert!(!args.is_empty());
                    commands.push(args.iter().map(<[u8]>::to_vec).collect());
                }
                Parse::Incomplete => {
                    let consumed = parser.consumed();
                    buffer.drain(..consumed);
                    parser.buffer_drained(consumed);
                    break;
                }
                Parse::Error(_) => return (commands, outcome),
            }
        }
    }
    (commands, outcome)
}

fn feed_whole(input: &[u8]) -> (Vec<Command>, Parse) {
    feed(input, &[], &Limits::default(), true)
}

fn error_of(input: &[u8]) -> Option<ProtocolError> {
    match feed_whole(input).1 {
        Parse::Error(error) => Some(error),
        _ => None,
    }
}

fn strings(command: &[&str]) -> Command {
    command.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn multibulk_inline_and_pipelines() {
    let (commands, outcome) = feed_whole(
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nPING\r\nECHO  hi\t there\n*1\r\n$4\r\nPI",
    );
    assert_eq!(
        commands,
        vec![
            strings(&["SET", "k", ""]),
            strings(&["PING"]),
            strings(&["ECHO", "hi", "there"])
        ]
    );
    assert_eq!(outcome, Parse::Incomplete);
}

#[test]
fn skipped_requests_produce_no_command() {
    let input = b"\r\n\n   \r\n\t\x0b\n*0\r\n*-1\r\n*-100\r\n\r\r\nPING\r\n";
    let mut parser = RequestParser::default();
    assert_eq!(parser.parse(input, &Limits::default()), Parse::Command);
    assert_eq!(parser.consumed(), input.len());
    assert_eq!(parser.parse(input, &Limits::default()), Parse::Incomplete);
    assert_eq!(feed_whole(input).0, vec![strings(&["PING"])]);
}

#[test]
fn unchecked_bytes_after_headers_and_bulks() {
    // Redis skips one byte after a header's `\r` and two bytes after bulk data, unchecked.
    let (commands, _) = feed_whole(b"*1\rX$4\r\nPINGxy*2\r\n$4\rZECHO\r\n$1\r\nab\n");
    assert_eq!(commands, vec![strings(&["PING"]), strings(&["ECHO", "a"])]);
}

#[test]
fn every_error_text() {
    let cases: &[(&[u8], ProtocolError, &str)] = &[
        (
            b"ECHO \"abc\r\n",
            ProtocolError::UnbalancedQuotes,
            "Protocol error: unbalanced quotes in request",
        ),
        (
            b"*\r\n",
            ProtocolError::InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*1\r\nX\r\n",
            ProtocolError::ExpectedDollar(b'X'),
            "Protocol error: expected '$', got 'X'",
        ),
        (
            b"*1\r\n\n\r\n",
            ProtocolError::ExpectedDollar(b'\n'),
            "Protocol error: expected '$', got ' '",
        ),
        (
            b"*1\r\n\r\r\n",
            ProtocolError::ExpectedDollar(b'\r'),
            "Protocol error: expected '$', got ' '",
        ),
        (
            b"*1\r\n$-1\r\n",
            ProtocolError::InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
    ];
    for &(input, error, text) in cases {
        assert_eq!(
            error_of(input),
            Some(error),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(error.message(), text);
        assert_eq!(error.message_bytes(), text.as_bytes());
    }
    let texts = [
        (
            ProtocolError::TooBigInlineRequest,
            "Protocol error: too big inline request",
        ),
        (
            ProtocolError::TooBigMultibulkCount,
            "Protocol error: too big mbulk count string",
        ),
        (
            ProtocolError::TooBigBulkCount,
            "Protocol error: too big bulk count string",
        ),
        (
            ProtocolError::UnauthenticatedMultibulkLength,
            "Protocol error: unauthenticated multibulk length",
        ),
        (
            ProtocolError::UnauthenticatedBulkLength,
            "Protocol error: unauthenticated bulk length",
        ),
    ];
    for (error, text) in texts {
        assert_eq!(error.message(), text);
    }
    let raw = ProtocolError::ExpectedDollar(0xff);
    assert_eq!(error_of(b"*1\r\n\xff\r\n"), Some(raw));
    assert_eq!(
        raw.message_bytes(),
        b"Protocol error: expected '$', got '\xff'"
    );
    assert_eq!(
        raw.message(),
        "Protocol error: expected '$', got '\u{FFFD}'"
    );
}

#[test]
fn count_and_length_syntax_is_string2ll() {
    for bad in [
        "*-0",
        "*+1",
        "*01",
        "*1 ",
        "* 1",
        "*2147483648",
        "*99999999999999999999",
    ] {
        let input = format!("{bad}\r\n");
        assert_eq!(
            error_of(input.as_bytes()),
            Some(ProtocolError::InvalidMultibulkLength),
            "{bad}"
        );
    }
    assert_eq!(feed_whole(b"*2147483647\r\n").1, Parse::Incomplete);
    for bad in ["$-0", "$+3", "$03", "$x", "$", "$-1", "$536870913"] {
        let input = format!("*1\r\n{bad}\r\nfoo\r\n");
        assert_eq!(
            error_of(input.as_bytes()),
            Some(ProtocolError::InvalidBulkLength),
            "{bad}"
        );
    }
    assert_eq!(feed_whole(b"*1\r\n$536870912\r\n").1, Parse::Incomplete);
    let limits = Limits {
        bulk_bytes_max: 3,
        args_max: 2,
        ..Limits::default()
    };
    assert_eq!(
        feed(b"*3\r\n", &[], &limits, true).1,
        Parse::Error(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        feed(b"*2\r\n$4\r\n", &[], &limits, true).1,
        Parse::Error(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(
        feed(b"*2\r\n$3\r\nabc\r\n", &[], &limits, true).1,
        Parse::Incomplete
    );
}

#[test]
fn line_length_limits_apply_only_without_terminator() {
    let limits = Limits::default();
    let cases: [(&[u8], ProtocolError); 3] = [
        (b"", ProtocolError::TooBigInlineRequest),
        (b"*", ProtocolError::TooBigMultibulkCount),
        (b"*1\r\n$", ProtocolError::TooBigBulkCount),
    ];
    for (prefix, error) in cases {
        let filler = if prefix.is_empty() { b'a' } else { b'1' };
        let line_start = prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let mut input = prefix.to_vec();
        input.resize(line_start + limits.inline_bytes_max, filler);
        assert_eq!(feed(&input, &[], &limits, true).1, Parse::Incomplete);
        input.push(filler);
        assert_eq!(feed(&input, &[], &limits, true).1, Parse::Error(error));
        // Fed in small pieces, the error comes as soon as the limit is crossed.
        let cuts: Vec<usize> = (0..input.len()).step_by(1000).collect();
        assert_eq!(feed(&input, &cuts, &limits, true).1, Parse::Error(error));
    }
    // A longer line that arrives whole with its newline is fine, as in Redis.
    let mut long = vec![b'a'; 70_000];
    long.extend_from_slice(b"\r\n");
    assert_eq!(feed_whole(&long).0.len(), 1);
}

#[test]
fn nul_stops_line_searches_like_strchr() {
    for input in [
        &b"PING\0\r\n"[..],
        b"*1\0\r\n$4\r\nPING\r\n",
        b"*1\r\n$4\0\r\nPING\r\n",
    ] {
        assert_eq!(feed_whole(input), (vec![], Parse::Incomplete));
    }
    let mut input = b"PING\0\r\n".to_vec();
    input.resize(64 * 1024 + 1, b'\n');
    assert_eq!(error_of(&input), Some(ProtocolError::TooBigInlineRequest));
    // A NUL inside bulk data is just data.
    assert_eq!(
        feed_whole(b"*1\r\n$3\r\na\0b\r\n").0,
        vec![vec![b"a\0b".to_vec()]]
    );
}

#[test]
fn unauthenticated_limits() {
    let limits = Limits::default();
    let unauthenticated = |input: &[u8]| feed(input, &[], &limits, false).1;
    assert_eq!(
        unauthenticated(b"*11\r\n"),
        Parse::Error(ProtocolError::UnauthenticatedMultibulkLength)
    );
    assert_eq!(unauthenticated(b"*10\r\n"), Parse::Incomplete);
    assert_eq!(
        unauthenticated(b"*1\r\n$16385\r\n"),
        Parse::Error(ProtocolError::UnauthenticatedBulkLength)
    );
    assert_eq!(unauthenticated(b"*1\r\n$16384\r\n"), Parse::Incomplete);
    // Invalid lengths are reported first.
    assert_eq!(
        unauthenticated(b"*2147483648\r\n"),
        Parse::Error(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        unauthenticated(b"*1\r\n$536870913\r\n"),
        Parse::Error(ProtocolError::InvalidBulkLength)
    );
    // Inline requests have no such limit.
    let mut inline = vec![b'x'; 20_000];
    inline.push(b'\n');
    assert_eq!(unauthenticated(&inline), Parse::Incomplete);
    // The flag applies to commands parsed after it changes.
    let input = b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*11\r\n";
    let mut parser = RequestParser::default();
    parser.set_authenticated(false);
    assert_eq!(parser.parse(input, &limits), Parse::Command);
    parser.set_authenticated(true);
    assert_eq!(parser.parse(input, &limits), Parse::Incomplete);
}

#[test]
fn inline_splitting_matches_sdssplitargs() {
    let cases: &[(&[u8], &[&[u8]])] = &[
        (b"ECHO a\"b c\"", &[b"ECHO", b"ab c"]),
        (
            b"ECHO \"x\\x41\\n\\r\\t\\b\\a\\\\\\\"\\q\"",
            &[b"ECHO", b"xA\n\r\t\x08\x07\\\"q"],
        ),
        (b"ECHO \"\\x4g\\xZZ\"", &[b"ECHO", b"x4gxZZ"]),
        (b"ECHO 'it\\'s' '\\n'", &[b"ECHO", b"it's", b"\\n"]),
        (b"ECHO \"\" ''", &[b"ECHO", b"", b""]),
        (b"ECHO a\x0bb", &[b"ECHO", b"a\x0bb"]),
        (b"\x0bPING", &[b"PING"]),
        (b"ECHO a\rb", &[b"ECHO", b"a", b"b"]),
        (b"ECHO \"a\r\"", &[b"ECHO", b"a\r"]),
        (b"ECHO \"a\"\x0bb", &[b"ECHO", b"a", b"b"]),
        (b"ECHO \xa0x", &[b"ECHO", b"\xa0x"]),
    ];
    for &(line, expected) in cases {
        let mut input = line.to_vec();
        input.extend_from_slice(b"\r\n");
        let expected: Command = expected.iter().map(|a| a.to_vec()).collect();
        assert_eq!(
            feed_whole(&input),
            (vec![expected], Parse::Incomplete),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    for line in [
        &b"\"a\"b"[..],
        b"a\"b c\"d",
        b"ECHO \"abc",
        b"ECHO 'abc",
        b"ECHO \"ab\\",
        b"ECHO \"a\"\xa0",
        b"'a'b",
    ] {
        let mut input = line.to_vec();
        input.push(b'\n');
        assert_eq!(
            error_of(&input),
            Some(ProtocolError::UnbalancedQuotes),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn bytes_expected_and_partial_state() {
    let limits = Limits::default();
    let mut parser = RequestParser::default();
    let mut buffer = b"*2\r\n$3\r\nGET\r\n$1000\r\nabc".to_vec();
    assert!(!parser.has_partial_command());
    assert_eq!(parser.parse(&buffer, &limits), Parse::Incomplete);
    assert!(parser.has_partial_command());
    assert_eq!(parser.bytes_expected(), 1000 - 3 + 2);
    assert_eq!(parser.consumed(), 0);
    buffer.resize(buffer.len() + 996, b'x');
    assert_eq!(parser.parse(&buffer, &limits), Parse::Incomplete);
    assert_eq!(parser.bytes_expected(), 3);
    buffer.extend_from_slice(b"x\r\n");
    assert_eq!(parser.parse(&buffer, &limits), Parse::Command);
    assert_eq!(parser.bytes_expected(), 0);
    parser.reset();
    assert!(!parser.has_partial_command());
    assert_eq!(parser.parse(b"PING\r\n", &limits), Parse::Command);
    assert_eq!(parser.bytes_expected(), 0);
}

#[test]
fn inline_args_survive_a_drain_and_multibulk_args_do_not() {
    let limits = Limits::default();
    let mut parser = RequestParser::default();
    let mut buffer = b"ECHO hi\r\n".to_vec();
    assert_eq!(parser.parse(&buffer, &limits), Parse::Command);
    buffer.drain(..parser.consumed());
    parser.buffer_drained(9);
    assert_eq!(parser.args(&buffer).get(1), Some(&b"hi"[..]));
    buffer.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(parser.parse(&buffer, &limits), Parse::Command);
    assert_eq!(parser.args(&buffer).get(0), Some(&b"PING"[..]));
    parser.buffer_drained(parser.consumed());
    assert_eq!(parser.arg_count(), 0);
}

#[test]
fn errors_are_sticky() {
    let mut parser = RequestParser::default();
    let input = b"PING\r\n*x\r\nPING\r\n";
    assert_eq!(parser.parse(input, &Limits::default()), Parse::Command);
    let error = Parse::Error(ProtocolError::InvalidMultibulkLength);
    assert_eq!(parser.parse(input, &Limits::default()), error);
    assert_eq!(parser.consumed(), 6);
    assert_eq!(parser.parse(input, &Limits::default()), error);
}

/// A 10 MB bulk and a 60 KB header line, one byte per read: the parser's work stays linear.
#[test]
fn byte_at_a_time_is_linear() {
    let bulk_bytes = 10 * 1024 * 1024;
    let mut input = format!("*2\r\n$3\r\nSET\r\n${bulk_bytes}\r\n").into_bytes();
    input.resize(input.len() + bulk_bytes, b'v');
    input.extend_from_slice(b"\r\n");
    input.extend(std::iter::repeat_n(b' ', 60_000));
    input.extend_from_slice(b"PING\r\n");
    let limits = Limits::default();
    let mut parser = RequestParser::default();
    let mut buffer = Vec::new();
    let mut commands = 0;
    let mut calls = 0u64;
    for &byte in &input {
        buffer.push(byte);
        loop {
            calls += 1;
            match parser.parse(&buffer, &limits) {
                Parse::Command => commands += 1,
                Parse::Incomplete => break,
                Parse::Error(error) => panic!("{error:?}"),
            }
        }
        if parser.consumed() > 0 {
            let consumed = parser.consumed();
            buffer.drain(..consumed);
            parser.buffer_drained(consumed);
        }
    }
    assert_eq!(commands, 2);
    assert!(calls <= input.len() as u64 + 2);
    // Each byte is examined at most twice: once by a line search, once by inline splitting.
    assert!(
        parser.examined <= 2 * input.len() as u64,
        "examined {}",
        parser.examined
    );
}

#[derive(Debug, Clone)]
enum Request {
    Multibulk(Command),
    Inline(Command, Vec<u8>),
    Skipped(&'static [u8]),
}

fn encode_inline_arg(arg: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &byte in arg {
        if byte.is_ascii_graphic() && byte != b'"' && byte != b'\\' || byte == b' ' {
            out.push(byte);
        } else {
            out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
        }
    }
    out.push(b'"');
}

impl Request {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Request::Multibulk(args) => {
                out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
                for arg in args {
                    out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                    out.extend_from_slice(arg);
                    out.extend_from_slice(b"\r\n");
                }
            }
            Request::Inline(args, separators) => {
                for (i, arg) in args.iter().enumerate() {
                    out.push(separators[i % separators.len()]);
                    encode_inline_arg(arg, out);
                }
                out.extend_from_slice(if separators[0] == b'\t' {
                    b"\n"
                } else {
                    b"\r\n"
                });
            }
            Request::Skipped(bytes) => out.extend_from_slice(bytes),
        }
    }
}

fn request() -> impl Strategy<Value = Request> {
    let args = || prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6);
    prop_oneof![
        4 => args().prop_map(Request::Multibulk),
        3 => (args(), prop::collection::vec(prop::sample::select(vec![b' ', b'\t', 0x0b]), 1..4))
            .prop_map(|(args, separators)| Request::Inline(args, separators)),
        1 => prop::sample::select(vec![&b"\r\n"[..], b"\n", b"*0\r\n", b"*-1\r\n", b" \t\r\n"])
            .prop_map(Request::Skipped),
    ]
}

fn garbage_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"*$0123456789-+\r\n\r\n\"'\\ x\0".to_vec()),
        1 => any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn well_formed_requests_parse_alike_however_split(
        requests in prop::collection::vec(request(), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for request in &requests {
            request.encode(&mut input);
            match request {
                Request::Multibulk(args) | Request::Inline(args, _) => expected.push(args.clone()),
                Request::Skipped(_) => {}
            }
        }
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        prop_assert_eq!(feed_whole(&input), (expected.clone(), Parse::Incomplete));
        prop_assert_eq!(feed(&input, &cuts, &Limits::default(), true), (expected, Parse::Incomplete));
    }

    /// The encoder of the append-only file's records writes what the plain `format!` model
    /// writes, with counts and lengths on both sides of its one- and two-digit cases, and the
    /// parser reads it back.
    #[test]
    fn encoded_requests_match_the_model_and_parse_back(
        lengths in prop::collection::vec(prop_oneof![0..12usize, 95..105usize, 0..300usize], 1..120),
        fill in any::<u8>(),
    ) {
        let args: Vec<Vec<u8>> = lengths.iter().map(|&length| vec![fill; length]).collect();
        let mut encoded = Vec::new();
        encode_request_into(&mut encoded, &args);
        let mut model = Vec::new();
        Request::Multibulk(args.clone()).encode(&mut model);
        prop_assert_eq!(&encoded, &model);
        prop_assert_eq!(feed_whole(&encoded), (vec![args], Parse::Incomplete));
    }

    #[test]
    fn garbage_gives_the_same_outcome_however_split(
        input in prop::collection::vec(garbage_byte(), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        authenticated in any::<bool>(),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        let whole = feed(&input, &[], &Limits::default(), authenticated);
        let split = feed(&input, &cuts, &Limits::default(), authenticated);
        prop_assert_eq!(whole, split);
    }
}
