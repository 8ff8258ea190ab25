//! A cursor over a command's arguments, in the shape every handler uses: take what you need;
//! option loops reject what is left over with a syntax error, as Redis does.

use super::{c_string, CommandError, NOT_INTEGER, SYNTAX};
use crate::protocol::resp::Args;
use crate::util::number::parse_i64;

pub(crate) struct ArgCursor<'a> {
    args: Args<'a>,
    next: usize,
}

impl<'a> ArgCursor<'a> {
    pub(crate) fn new(args: Args<'a>, first: usize) -> ArgCursor<'a> {
        ArgCursor { args, next: first }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.next)
    }

    /// The next argument; a missing one is a syntax error (arity was checked before, so this
    /// happens only with options that need a value).
    pub(crate) fn next_bytes(&mut self) -> Result<&'a [u8], CommandError> {
        let arg = self.args.get(self.next).ok_or(CommandError::from(SYNTAX))?;
        self.next += 1;
        Ok(arg)
    }

    /// The whole request, the command's name first.
    pub(crate) fn whole(&self) -> Args<'a> {
        self.args
    }

    /// The command's name as the client typed it.
    pub(crate) fn command_name(&self) -> &'a [u8] {
        self.args.get(0).unwrap_or(b"")
    }

    pub(crate) fn peek(&self) -> Option<&'a [u8]> {
        self.args.get(self.next)
    }

    /// The argument `ahead` places after the next one, without taking anything.
    pub(crate) fn peek_ahead(&self, ahead: usize) -> Option<&'a [u8]> {
        self.args.get(self.next + ahead)
    }

    pub(crate) fn next_i64(&mut self) -> Result<i64, CommandError> {
        parse_i64(self.next_bytes()?).ok_or(CommandError::from(NOT_INTEGER))
    }

    /// Every argument not yet taken.
    pub(crate) fn rest(&mut self) -> impl Iterator<Item = &'a [u8]> + Clone + 'a {
        let args = self.args;
        let from = self.next;
        self.next = args.len();
        args.iter().skip(from)
    }
}

/// LMPOP's and ZMPOP's arguments, read in Redis's order: `numkeys key [key ...] <end>
/// [COUNT count]`. The keys, the end as `parse_end` reads its word, and the count (1 unless
/// given); COUNT and its value are read before anything left over is refused.
pub(crate) fn parse_multi_pop<'a, E>(
    args: &mut ArgCursor<'a>,
    parse_end: impl FnOnce(&[u8]) -> Result<E, CommandError>,
) -> Result<(Vec<&'a [u8]>, E, usize), CommandError> {
    let keys = match parse_i64(args.next_bytes()?) {
        Some(keys) if keys > 0 => keys as usize,
        _ => return Err("ERR numkeys should be greater than 0".into()),
    };
    if keys >= args.remaining() {
        return Err(SYNTAX.into());
    }
    let keys: Vec<&[u8]> = (0..keys)
        .map(|_| args.next_bytes())
        .collect::<Result<_, _>>()?;
    let end = parse_end(args.next_bytes()?)?;
    let mut count = None;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if count.is_some() || !is_option(option, "COUNT") || args.remaining() == 0 {
            return Err(SYNTAX.into());
        }
        count = match parse_i64(args.next_bytes()?) {
            Some(count) if count > 0 => Some(count as usize),
            _ => return Err("ERR count should be greater than 0".into()),
        };
    }
    Ok((keys, end, count.unwrap_or(1)))
}

/// True when `arg` names the upper-case option `option`, ignoring ASCII case. Redis matches
/// options with `strcasecmp`, which stops at a NUL byte, so `NX\0junk` is NX there too.
pub(crate) fn is_option(arg: &[u8], option: &str) -> bool {
    c_string(arg).eq_ignore_ascii_case(option.as_bytes())
}

/// True when `arg` names the subcommand `name`, ignoring ASCII case. Redis finds subcommands
/// (OBJECT ENCODING, CLIENT ID) in a table keyed by the whole argument, NUL bytes included.
pub(crate) fn is_subcommand(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_c_strings_and_subcommands_are_not() {
        assert!(is_option(b"nx", "NX"));
        assert!(is_option(b"NX\0junk", "NX"));
        assert!(!is_option(b"NXX", "NX"));
        assert!(!is_option(b"\0NX", "NX"));
        assert!(is_subcommand(b"encoding", "ENCODING"));
        assert!(!is_subcommand(b"ENCODING\0", "ENCODING"));
    }
}
