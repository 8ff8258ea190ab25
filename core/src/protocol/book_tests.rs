//! The book's frames byte by byte: docs/book-protocol.md's worked example, pipelining, splits, bounds.

use super::*;

fn frame(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request(args, &mut out);
    out
}

fn owned_args(parser: &FrameParser, buffer: &[u8]) -> Vec<Vec<u8>> {
    parser.args(buffer).iter().map(<[u8]>::to_vec).collect()
}

/// Parses every frame in `buffer`, returning the commands and the final result.
fn parse_all(buffer: &[u8]) -> (Vec<Vec<Vec<u8>>>, Parse) {
    let mut parser = FrameParser::default();
    let mut commands = Vec::new();
    loop {
        match parser.parse(buffer) {
            Parse::Command => commands.push(owned_args(&parser, buffer)),
            other => {
                parser.check_invariants();
                return (commands, other);
            }
        }
    }
}

#[test]
fn the_worked_example_of_set() {
    let bytes = [
        0x15, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, b's', b'e', b't', 1, 0, 0, 0, b'k', 1, 0, 0, 0, b'v',
    ];
    assert_eq!(frame(&[b"set", b"k", b"v"]), bytes);
    let (commands, last) = parse_all(&bytes);
    assert_eq!(
        commands,
        vec![vec![b"set".to_vec(), b"k".to_vec(), b"v".to_vec()]]
    );
    assert_eq!(last, Parse::Incomplete);
}

#[test]
fn the_worked_replies() {
    let mut out = Vec::new();
    let start = begin_frame(&mut out);
    write_nil(&mut out);
    end_frame(&mut out, start);
    assert_eq!(out, [1, 0, 0, 0, 0]);
    out.clear();
    let start = begin_frame(&mut out);
    write_str(&mut out, b"v");
    end_frame(&mut out, start);
    assert_eq!(out, [6, 0, 0, 0, 2, 1, 0, 0, 0, b'v']);
}

#[test]
fn every_tag_encodes_as_the_table_says() {
    let mut out = Vec::new();
    write_err(&mut out, ERR_UNKNOWN, b"unknown command.");
    let mut expected = vec![1, 1, 0, 0, 0, 16, 0, 0, 0];
    expected.extend_from_slice(b"unknown command.");
    assert_eq!(out, expected);
    out.clear();
    write_int(&mut out, -2);
    assert_eq!(out, [3, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    out.clear();
    write_dbl(&mut out, 1.5);
    let mut expected = vec![4];
    expected.extend_from_slice(&1.5f64.to_le_bytes());
    assert_eq!(out, expected);
    out.clear();
    write_arr(&mut out, 4);
    assert_eq!(out, [5, 4, 0, 0, 0]);
}

#[test]
fn pipelined_frames_come_out_in_order() {
    let mut buffer = frame(&[b"set", b"k", b"v"]);
    buffer.extend(frame(&[b"get", b"k"]));
    buffer.extend(frame(&[b"keys"]));
    let (commands, last) = parse_all(&buffer);
    assert_eq!(commands.len(), 3);
    assert_eq!(commands[1], vec![b"get".to_vec(), b"k".to_vec()]);
    assert_eq!(commands[2], vec![b"keys".to_vec()]);
    assert_eq!(last, Parse::Incomplete);
}

#[test]
fn a_frame_split_at_every_byte_parses_the_same() {
    let mut whole = frame(&[b"zadd", b"zset", b"1.5", b""]);
    whole.extend(frame(&[b"get", b"key"]));
    let (expected, _) = parse_all(&whole);
    for split in 0..=whole.len() {
        let mut parser = FrameParser::default();
        let mut buffer = Vec::new();
        let mut commands = Vec::new();
        for piece in [&whole[..split], &whole[split..]] {
            buffer.extend_from_slice(piece);
            while parser.parse(&buffer) == Parse::Command {
                commands.push(owned_args(&parser, &buffer));
            }
            // Drain what is done, as the connection does, so offsets must shift correctly.
            let consumed = parser.consumed();
            buffer.drain(..consumed);
            parser.buffer_drained(consumed);
            parser.check_invariants();
        }
        assert_eq!(commands, expected, "split at {split}");
        assert!(buffer.is_empty());
    }
}

#[test]
fn incomplete_until_the_last_byte() {
    let whole = frame(&[b"get", b"k"]);
    let mut parser = FrameParser::default();
    for end in 0..whole.len() {
        assert_eq!(
            parser.parse(&whole[..end]),
            Parse::Incomplete,
            "{end} bytes"
        );
    }
    assert_eq!(parser.parse(&whole), Parse::Command);
}

#[test]
fn zero_strings_is_a_valid_empty_command() {
    let bytes = [4, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(frame(&[] as &[&[u8]]), bytes);
    let (commands, last) = parse_all(&bytes);
    assert_eq!(commands, vec![Vec::<Vec<u8>>::new()]);
    assert_eq!(last, Parse::Incomplete);
}

fn header(body_bytes: usize) -> Vec<u8> {
    (body_bytes as u32).to_le_bytes().to_vec()
}

#[test]
fn the_length_bound_is_checked_on_the_header() {
    assert_eq!(
        parse_all(&header(MESSAGE_BYTES_MAX + 1)).1,
        Parse::Error(FrameError::TooLong)
    );
    assert_eq!(
        parse_all(&header(u32::MAX as usize)).1,
        Parse::Error(FrameError::TooLong)
    );
    // At the bound it waits for the body.
    assert_eq!(parse_all(&header(MESSAGE_BYTES_MAX)).1, Parse::Incomplete);
}

#[test]
fn a_frame_of_exactly_the_largest_length_is_accepted() {
    let value = vec![b'x'; MESSAGE_BYTES_MAX - 4 - 4 - 3 - 4 - 1 - 4];
    let whole = frame(&[b"set", b"k", &value]);
    assert_eq!(whole.len(), HEADER_BYTES + MESSAGE_BYTES_MAX);
    let (commands, last) = parse_all(&whole);
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0][2].len(), value.len());
    assert_eq!(last, Parse::Incomplete);
    // One byte longer is over.
    let value = vec![b'x'; value.len() + 1];
    assert_eq!(
        parse_all(&frame(&[b"set", b"k", &value])).1,
        Parse::Error(FrameError::TooLong)
    );
}

#[test]
fn the_argument_count_bound() {
    let at_bound: Vec<&[u8]> = vec![b"" as &[u8]; ARGS_MAX];
    let (commands, last) = parse_all(&frame(&at_bound));
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].len(), ARGS_MAX);
    assert_eq!(last, Parse::Incomplete);
    let over: Vec<&[u8]> = vec![b"" as &[u8]; ARGS_MAX + 1];
    assert_eq!(
        parse_all(&frame(&over)).1,
        Parse::Error(FrameError::TooManyArgs)
    );
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = frame(&[b"get", b"k"]);
    bytes.push(b'!');
    let body_bytes = bytes.len() - HEADER_BYTES;
    bytes[..HEADER_BYTES].copy_from_slice(&header(body_bytes));
    assert_eq!(
        parse_all(&bytes),
        (vec![], Parse::Error(FrameError::TrailingBytes))
    );
}

#[test]
fn truncated_frames_are_errors() {
    let whole = frame(&[b"get", b"key"]);
    // Declare a shorter body than the arguments need, at every length.
    for body_bytes in 0..whole.len() - HEADER_BYTES {
        let mut bytes = header(body_bytes);
        bytes.extend_from_slice(&whole[HEADER_BYTES..HEADER_BYTES + body_bytes]);
        assert_eq!(
            parse_all(&bytes),
            (vec![], Parse::Error(FrameError::Truncated)),
            "body of {body_bytes} bytes"
        );
    }
    // A string length that runs far past the frame.
    let mut bytes = header(8);
    bytes.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(parse_all(&bytes).1, Parse::Error(FrameError::Truncated));
}

#[test]
fn a_failed_parser_stays_failed_and_keeps_earlier_frames() {
    let mut bytes = frame(&[b"get", b"k"]);
    bytes.extend(header(MESSAGE_BYTES_MAX + 1));
    bytes.extend(frame(&[b"get", b"k"]));
    let (commands, last) = parse_all(&bytes);
    assert_eq!(commands.len(), 1);
    assert_eq!(last, Parse::Error(FrameError::TooLong));
}

#[test]
fn replies_over_the_bound_become_error_2() {
    let mut out = vec![9, 9];
    let start = begin_frame(&mut out);
    write_str(&mut out, &vec![b'x'; MESSAGE_BYTES_MAX - 5]);
    end_frame(&mut out, start);
    assert_eq!(out.len(), 2 + HEADER_BYTES + MESSAGE_BYTES_MAX);
    assert_eq!(out[2..6], header(MESSAGE_BYTES_MAX));

    let mut out = vec![9, 9];
    let start = begin_frame(&mut out);
    write_str(&mut out, &vec![b'x'; MESSAGE_BYTES_MAX - 4]);
    end_frame(&mut out, start);
    let mut expected = vec![9, 9];
    let start = begin_frame(&mut expected);
    write_err(&mut expected, ERR_TOO_BIG, b"response is too big.");
    end_frame(&mut expected, start);
    assert_eq!(out, expected);
    assert_eq!(out[2..6], header(1 + 4 + 4 + 20));
}
