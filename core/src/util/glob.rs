//! Redis glob matching (`stringmatchlen` in Redis 7.0's util.c), for KEYS, SCAN MATCH and friends.
//!
//! Redis matches recursively, one level per `*`, and since 7.0.9 stops two ways: when the part of
//! the pattern after a `*` fails at every position of the rest of the string, no earlier `*` can
//! help either (`skipLongerMatches`), and past 1000 nested `*` it gives up (no match). Together
//! these mean only the most recent `*` is ever retried, so this is the classic iterative matcher
//! with one backtracking point: O(pattern × string) time, no recursion.
//!
//! Quirks kept from Redis, byte for byte:
//! - the empty string matches only the empty pattern (even `*` does not match it; KEYS `*`
//!   special-cases the lone `*` before matching);
//! - an unterminated class `[abc` matches as if closed; `[^` matches any one byte; in a class,
//!   `a-]` is a range (so `[a-]` is the range `]`..`a`), reversed ranges are swapped, an escaped
//!   byte is compared case-sensitively, and range bounds compare as C `char` (signed), so
//!   `[a-\xff]` means `\xff`..`a`;
//! - a trailing `\` matches a literal backslash;
//! - case folding (`nocase`) is C-locale `tolower`: ASCII letters only.

/// Beyond this many nested `*`, Redis answers "no match" (CVE-2022-36021).
const STAR_NESTING_MAX: usize = 1000;

/// Redis 7.0 `stringmatchlen(pattern, string, nocase)`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // C reads the terminating NUL past the end of the pattern; so do we.
    let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let mut p = 0;
    let mut s = 0;
    // Stars seen on the current path: the recursion depth Redis would be at.
    let mut stars = 0;
    // (pattern index after the latest `*`, string index it was tried at, `stars` there).
    let mut retry: Option<(usize, usize, usize)> = None;
    loop {
        let matched_step = if p < pattern.len() && s < string.len() {
            match pattern[p] {
                b'*' => {
                    while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                        p += 1;
                    }
                    if p + 1 == pattern.len() {
                        return true;
                    }
                    stars += 1;
                    if stars > STAR_NESTING_MAX {
                        return false;
                    }
                    p += 1;
                    retry = Some((p, s, stars));
                    continue;
                }
                b'?' => {
                    s += 1;
                    true
                }
                b'[' => {
                    let c = string[s];
                    p += 1;
                    let negated = at(p) == b'^';
                    if negated {
                        p += 1;
                    }
                    let mut matched = false;
                    loop {
                        if at(p) == b'\\' && pattern.len() - p >= 2 {
                            p += 1;
                            matched |= pattern[p] == c;
                        } else if at(p) == b']' {
                            break;
                        } else if p >= pattern.len() {
                            p -= 1;
                            break;
                        } else if pattern.len() - p >= 3 && pattern[p + 1] == b'-' {
                            // C `char` is signed: bytes above 0x7f sort below 0. Redis swaps a
                            // reversed range before folding case.
                            let signed = |b: u8| i32::from(b as i8);
                            let (mut start, mut end) = (signed(pattern[p]), signed(pattern[p + 2]));
                            if start > end {
                                std::mem::swap(&mut start, &mut end);
                            }
                            let fold_signed = |v: i32| {
                                if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
                                    v + 32
                                } else {
                                    v
                                }
                            };
                            let (start, end) = (fold_signed(start), fold_signed(end));
                            matched |= (start..=end).contains(&fold_signed(signed(c)));
                            p += 2;
                        } else {
                            matched |= fold(pattern[p]) == fold(c);
                        }
                        p += 1;
                    }
                    if matched != negated {
                        s += 1;
                        true
                    } else {
                        false
                    }
                }
                literal => {
                    let literal = if literal == b'\\' && pattern.len() - p >= 2 {
                        p += 1;
                        pattern[p]
                    } else {
                        literal
                    };
                    if fold(literal) == fold(string[s]) {
                        s += 1;
                        true
                    } else {
                        false
                    }
                }
            }
        } else {
            // The string or the pattern ran out: Redis's loop ends and both must be finished.
            if p >= pattern.len() && s == string.len() {
                return true;
            }
            false
        };
        if matched_step {
            p += 1;
            if s < string.len() {
                continue;
            }
            while at(p) == b'*' {
                p += 1;
            }
            if p >= pattern.len() {
                return true;
            }
        }
        // This attempt failed: retry the latest `*` one byte further, if any byte is left.
        let Some((after_star, tried_at, stars_there)) = retry else {
            return false;
        };
        if tried_at + 1 >= string.len() {
            return false;
        }
        p = after_star;
        s = tried_at + 1;
        stars = stars_there;
        retry = Some((after_star, s, stars_there));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matches(pattern: &str, string: &str) -> bool {
        glob_match(pattern.as_bytes(), string.as_bytes(), false)
    }

    #[test]
    fn basics() {
        assert!(matches("h?llo", "hello"));
        assert!(matches("h*llo", "heeeello"));
        assert!(matches("h*llo", "hllo"));
        assert!(matches("h[ae]llo", "hallo"));
        assert!(!matches("h[ae]llo", "hillo"));
        assert!(matches("h[^e]llo", "hallo"));
        assert!(!matches("h[^e]llo", "hello"));
        assert!(matches("h[a-b]llo", "hbllo"));
        assert!(matches("h[b-a]llo", "hallo"), "reversed range");
        assert!(matches("h\\*llo", "h*llo"));
        assert!(!matches("h\\*llo", "hxllo"));
        assert!(matches("*", "anything"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXbY"));
        assert!(matches("*.txt", "notes.txt"));
        assert!(!matches("abc", "abcd"));
        assert!(!matches("abcd", "abc"));
    }

    #[test]
    fn redis_quirks() {
        // The empty string matches only the empty pattern.
        assert!(matches("", ""));
        assert!(!matches("*", ""));
        assert!(!matches("**", ""));
        assert!(!matches("a", ""));
        // Trailing stars after the string ran out.
        assert!(matches("a**", "a"));
        // Unterminated classes.
        assert!(!matches("[", "a"));
        assert!(matches("[^", "b"));
        assert!(matches("[ab", "b"));
        assert!(!matches("[ab", "c"));
        // `a-]` is a range `]`..`a`, which holds `^`.
        assert!(matches("[a-]", "^"));
        assert!(!matches("[a-]", "a]"));
        assert!(matches("[\\]]", "]"));
        assert!(matches("[^]", "b"));
        // Trailing backslash is a literal.
        assert!(matches("a\\", "a\\"));
        assert!(!matches("a\\", "a"));
        assert!(matches("a\\]", "a]"));
        // Signed char ranges: `a-\xff` is `\xff`..`a`.
        assert!(glob_match(b"[a-\xff]", b"\xff", false));
        assert!(glob_match(b"[a-\xff]", b"\x00", false));
        assert!(!glob_match(b"[a-\xff]", b"b", false));
        assert!(!glob_match(b"[a-\xff]", b"\x80", false));
        // NUL bytes are ordinary bytes.
        assert!(glob_match(b"a\0*", b"a\0bc", false));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"h[A-Z]llo", b"hello", true));
        assert!(glob_match(b"h[E]llo", b"hello", true));
        // Swapped before folding: `[Z-a]` folds to the empty range `z`..`a`.
        assert!(!glob_match(b"[Z-a]", b"b", true));
        assert!(glob_match(b"[Z-a]", b"_", false));
        assert!(
            !glob_match(b"h[\\E]llo", b"hello", true),
            "escaped class bytes compare exactly"
        );
        assert!(!glob_match(b"HeLLo", b"hello", false));
        assert!(!glob_match(b"\xc9", b"\xe9", true), "only ASCII folds");
    }

    #[test]
    fn abusive_patterns_stay_fast_and_nesting_is_limited() {
        let string = vec![b'a'; 10_000];
        let mut pattern = b"a*".repeat(60);
        pattern.push(b'b');
        assert!(!glob_match(&pattern, &string, false));
        // 1000 nested stars are fine, 1001 are not, unless the last one ends the pattern.
        let pattern = b"*a".repeat(STAR_NESTING_MAX);
        assert!(glob_match(&pattern, &string[..STAR_NESTING_MAX], false));
        let mut pattern = b"*a".repeat(STAR_NESTING_MAX + 1);
        assert!(!glob_match(
            &pattern,
            &string[..STAR_NESTING_MAX + 1],
            false
        ));
        pattern.push(b'*');
        assert!(!glob_match(&pattern, &string, false));
        let mut pattern = b"*a".repeat(STAR_NESTING_MAX);
        pattern.push(b'*');
        assert!(glob_match(&pattern, &string, false));
    }

    /// Exponential-time reference for patterns of literals, `?` and `*` (no classes, no escapes),
    /// with Redis's empty-string rule.
    fn reference(pattern: &[u8], string: &[u8]) -> bool {
        fn inner(pattern: &[u8], string: &[u8]) -> bool {
            match pattern.split_first() {
                None => string.is_empty(),
                Some((b'*', rest)) => (0..=string.len()).any(|i| inner(rest, &string[i..])),
                Some((b'?', rest)) => !string.is_empty() && inner(rest, &string[1..]),
                Some((&c, rest)) => string.first() == Some(&c) && inner(rest, &string[1..]),
            }
        }
        if string.is_empty() {
            return pattern.is_empty();
        }
        inner(pattern, string)
    }

    proptest! {
        #[test]
        fn agrees_with_reference(
            pattern in prop::collection::vec(prop::sample::select(b"ab*?".to_vec()), 0..10),
            string in prop::collection::vec(prop::sample::select(b"ab".to_vec()), 0..12),
        ) {
            prop_assert_eq!(glob_match(&pattern, &string, false), reference(&pattern, &string));
        }

        #[test]
        fn never_panics(pattern in prop::collection::vec(any::<u8>(), 0..20), string in prop::collection::vec(any::<u8>(), 0..20), nocase in any::<bool>()) {
            let _ = glob_match(&pattern, &string, nocase);
        }
    }
}
