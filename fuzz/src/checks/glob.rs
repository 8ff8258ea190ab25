//! Redis glob matching (`util::glob::glob_match`, for KEYS, SCAN MATCH and the like) on any
//! pattern and string: it never panics; on patterns of literals, `?` and `*` it agrees with a
//! plain table-driven matcher (with Redis's rule that the empty string matches only the empty
//! pattern); and, on patterns without classes, matching without case is matching the
//! ASCII-lowercased pattern and string with case.
//!
//! Input: one byte of setup (bit 0: without case), one byte giving the pattern's length, then
//! the pattern and the string.
use ferrodis_core::util::glob::glob_match;

use super::input::Input;

pub fn run(bytes: &[u8]) {
    let mut input = Input::new(bytes);
    let nocase = input.bool();
    let pattern_len = input.u8() as usize;
    let rest = input.rest();
    let (pattern, string) = rest.split_at(pattern_len.min(rest.len()));
    let matched = glob_match(pattern, string, nocase);

    if !pattern.contains(&b'[') {
        let lower = |bytes: &[u8]| bytes.to_ascii_lowercase();
        let folded = glob_match(&lower(pattern), &lower(string), false);
        assert_eq!(
            glob_match(pattern, string, true),
            folded,
            "without case differs from lowercased"
        );
    }
    if !nocase && !pattern.iter().any(|&b| b == b'[' || b == b'\\') {
        assert_eq!(
            matched,
            reference(pattern, string),
            "differs from the reference"
        );
    }
}

/// Whether `pattern` (literals, `?` and `*` only) matches all of `string`: `reach[j]` says
/// whether the pattern so far matches `string[..j]`.
fn reference(pattern: &[u8], string: &[u8]) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let mut reach = vec![false; string.len() + 1];
    reach[0] = true;
    for &p in pattern {
        let mut next = vec![false; string.len() + 1];
        for j in 0..=string.len() {
            next[j] = match p {
                b'*' => reach[j] || (j > 0 && next[j - 1]),
                b'?' => j > 0 && reach[j - 1],
                _ => j > 0 && reach[j - 1] && string[j - 1] == p,
            };
        }
        reach = next;
    }
    reach[string.len()]
}
