//! A line split into words as Redis splits its config lines and a library's `#!` line:
//! words separated by white space, a word may hold double-quoted parts (with `\n`, `\r`, `\t`,
//! `\b`, `\a`, `\xHH` and `\<char>` escapes) and single-quoted parts (`\'` only). A closing
//! quote must end its word; an unbalanced quote makes the whole line invalid.

/// The words of `line`, or `None` when its quotes are unbalanced or a closing quote is
/// followed by something other than white space. Like Redis, which reads the line as a C
/// string, it stops at a NUL byte.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    let end = line
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(line.len());
    let mut rest = &line[..end];
    loop {
        rest = skip_space(rest);
        if rest.is_empty() {
            return Some(words);
        }
        let (word, after) = word(rest)?;
        words.push(word);
        rest = after;
    }
}

/// Appends `bytes` in double quotes, escaped as Redis's `sdscatrepr`.
pub fn quote(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &byte in bytes {
        match byte {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', byte]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(byte),
            _ => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

fn skip_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| !is_space(byte))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[derive(Clone, Copy)]
enum Quote {
    None,
    Double,
    Single,
}

/// One word from the start of `bytes` (which starts with no white space), and what follows it.
fn word(bytes: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut word = Vec::new();
    let mut quote = Quote::None;
    let mut index = 0;
    loop {
        let Some(&byte) = bytes.get(index) else {
            // The line ended: fine unless a quote is still open.
            return matches!(quote, Quote::None).then_some((word, &bytes[index..]));
        };
        match quote {
            Quote::None if is_space(byte) => return Some((word, &bytes[index..])),
            Quote::None if byte == b'"' => quote = Quote::Double,
            Quote::None if byte == b'\'' => quote = Quote::Single,
            Quote::None => word.push(byte),
            Quote::Double | Quote::Single if byte == closing(quote) => {
                // A closing quote must be followed by white space or the end of the line.
                if bytes.get(index + 1).is_some_and(|&next| !is_space(next)) {
                    return None;
                }
                return Some((word, &bytes[index + 1..]));
            }
            Quote::Double if byte == b'\\' && bytes.len() > index + 1 => {
                let (decoded, used) = escape(&bytes[index + 1..]);
                word.push(decoded);
                index += used;
            }
            Quote::Single if byte == b'\\' && bytes.get(index + 1) == Some(&b'\'') => {
                word.push(b'\'');
                index += 1;
            }
            Quote::Double | Quote::Single => word.push(byte),
        }
        index += 1;
    }
}

fn closing(quote: Quote) -> u8 {
    match quote {
        Quote::Double => b'"',
        Quote::Single | Quote::None => b'\'',
    }
}

/// The byte an escape after `\` stands for, and how many bytes it used.
fn escape(after: &[u8]) -> (u8, usize) {
    let hex = |byte: u8| (byte as char).to_digit(16);
    if let [b'x', high, low, ..] = after {
        if let (Some(high), Some(low)) = (hex(*high), hex(*low)) {
            return ((high * 16 + low) as u8, 3);
        }
    }
    let decoded = match after[0] {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    };
    (decoded, 1)
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn words(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|words| {
            words
                .into_iter()
                .map(|word| String::from_utf8(word).unwrap())
                .collect()
        })
    }

    #[test]
    fn splits_on_white_space() {
        assert_eq!(
            words("  #!lua   name=x \t"),
            Some(vec!["#!lua".into(), "name=x".into()])
        );
        assert_eq!(words(""), Some(vec![]));
    }

    #[test]
    fn quotes_may_start_inside_a_word() {
        assert_eq!(words(r#"name="foo""#), Some(vec!["name=foo".into()]));
        assert_eq!(
            words(r#"'it\'s' "a\x41\n""#),
            Some(vec!["it's".into(), "aA\n".into()])
        );
    }

    #[test]
    fn a_nul_byte_ends_the_line() {
        assert_eq!(words("a b\0c d"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(words("\0a"), Some(vec![]));
        assert_eq!(words("'a\0b'"), None);
    }

    #[test]
    fn unbalanced_or_glued_quotes_are_invalid() {
        assert_eq!(words(r#"name="foo"#), None);
        assert_eq!(words(r#""foo"bar"#), None);
        assert_eq!(words("'foo"), None);
    }
}
