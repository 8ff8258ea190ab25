//! A validator for the replies the server writes: RESP2 and RESP3, checked byte by byte.
//! Iterative (a stack of counts), like every parser here.

/// Nesting deeper than this is an error: the server never nests replies that far.
const DEPTH_MAX: usize = 32;

/// Parses complete replies from the front of `bytes`; returns how many bytes they take. The rest
/// is the beginning of a reply that is not complete yet. Panics on anything that is not RESP.
pub fn complete_replies(bytes: &[u8]) -> usize {
    let mut position = 0;
    let mut complete = 0;
    // Elements still expected by each open aggregate.
    let mut open: Vec<u64> = Vec::new();
    loop {
        let Some(line_end) = find_crlf(bytes, position) else {
            return complete;
        };
        let kind = bytes[position];
        let line = &bytes[position + 1..line_end];
        let mut next = line_end + 2;
        let mut elements: u64 = 0;
        match kind {
            b'+' | b'-' => {}
            b':' => assert!(parse_integer(line).is_some(), "bad integer {line:?}"),
            b'(' => assert!(
                !line.is_empty()
                    && line
                        .iter()
                        .enumerate()
                        .all(|(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-')),
                "bad big number {line:?}"
            ),
            b'_' => assert!(line.is_empty(), "bad null {line:?}"),
            b'#' => assert!(line == b"t" || line == b"f", "bad boolean {line:?}"),
            b',' => {
                let text = std::str::from_utf8(line).expect("a double is ASCII");
                assert!(
                    matches!(text, "inf" | "-inf" | "nan") || text.parse::<f64>().is_ok(),
                    "bad double {text:?}"
                );
            }
            b'$' | b'=' | b'!' => {
                let length = parse_integer(line).expect("a bulk length");
                if length == -1 && kind == b'$' {
                    // RESP2 null bulk.
                } else {
                    let length = usize::try_from(length).expect("a bulk length is not negative");
                    let end = next + length;
                    if bytes.len() < end + 2 {
                        return complete;
                    }
                    assert_eq!(&bytes[end..end + 2], b"\r\n", "bulk not followed by CRLF");
                    if kind == b'=' {
                        assert!(length >= 4 && bytes[next + 3] == b':', "bad verbatim");
                    }
                    next = end + 2;
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let count = parse_integer(line).expect("an aggregate length");
                if count == -1 && kind == b'*' {
                    // RESP2 null array.
                } else {
                    let count = u64::try_from(count).expect("an aggregate length is not negative");
                    elements = if matches!(kind, b'%' | b'|') {
                        count * 2
                    } else {
                        count
                    };
                }
            }
            other => panic!("unknown reply type {:?} at {position}", other as char),
        }
        assert!(
            kind == b'$' || kind == b'=' || kind == b'!' || !line.contains(&b'\r'),
            "CR inside a line"
        );
        position = next;
        // An attribute comes before the reply it describes and is not counted as an element.
        if kind != b'|' {
            if let Some(remaining) = open.last_mut() {
                *remaining -= 1;
            }
        }
        if elements > 0 {
            open.push(elements);
            assert!(open.len() <= DEPTH_MAX, "replies nested too deep");
        }
        while open.last() == Some(&0) {
            open.pop();
        }
        if open.is_empty() {
            complete = position;
        }
    }
}

fn find_crlf(bytes: &[u8], from: usize) -> Option<usize> {
    let newline = from + bytes.get(from..)?.iter().position(|&b| b == b'\n')?;
    assert!(
        newline > from && bytes[newline - 1] == b'\r',
        "LF without CR at {newline}"
    );
    Some(newline - 1)
}

fn parse_integer(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}
