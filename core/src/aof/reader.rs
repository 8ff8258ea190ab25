//! Reading an append-only file's commands as they arrive in chunks, in bounded memory: only
//! the command not yet whole is kept between chunks. The format is Redis's: RESP arrays of
//! bulk strings, and annotation lines starting with `#` (skipped).

/// What the bytes so far hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// Every byte belongs to a whole command.
    Whole,
    /// The file ends inside a command, or with zeros where one should begin: `valid` bytes
    /// are whole commands.
    Truncated { valid: u64 },
}

/// A file that is not a command stream: the byte offset where the format broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFormat {
    pub offset: u64,
}

/// The commands of one file, fed in chunks.
#[derive(Debug, Default)]
pub struct Reader {
    /// The start of a command not yet whole.
    pending: Vec<u8>,
    /// The file offset of `pending[0]`.
    offset: u64,
    /// Zeros began here where a command should have: the rest must be zeros too.
    zeros_from: Option<u64>,
    /// Where a MULTI without its EXEC yet began.
    multi_from: Option<u64>,
    ranges: Vec<(usize, usize)>,
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// A reader of what follows the first `offset` bytes of a file (an RDB preamble): offsets
    /// are the file's.
    pub fn starting_at(offset: u64) -> Reader {
        Reader {
            offset,
            ..Reader::default()
        }
    }

    /// Takes the next chunk; `run` gets each whole command (its arguments as ranges into the
    /// bytes given, and its offset in the file) in order.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut run: impl FnMut(&[u8], &[(usize, usize)], u64),
    ) -> Result<(), BadFormat> {
        if let Some(from) = self.zeros_from {
            return match chunk.iter().all(|&byte| byte == 0) {
                true => Ok(()),
                false => Err(BadFormat { offset: from }),
            };
        }
        // A command cut between chunks is completed in `pending`; otherwise the chunk is read
        // where it is. Only the unfinished end is kept (never copied again while it grows).
        let mut buffer = std::mem::take(&mut self.pending);
        let in_place = buffer.is_empty();
        if !in_place {
            buffer.extend_from_slice(chunk);
        }
        let bytes: &[u8] = if in_place { chunk } else { &buffer };
        let mut at = 0;
        loop {
            match next_command(&bytes[at..], &mut self.ranges) {
                Ok(Some(used)) => {
                    let offset = self.offset + at as u64;
                    if let Some(&(start, length)) = self.ranges.first() {
                        let name = &bytes[at + start..at + start + length];
                        if name.eq_ignore_ascii_case(b"MULTI") {
                            self.multi_from = Some(offset);
                        } else if name.eq_ignore_ascii_case(b"EXEC") {
                            self.multi_from = None;
                        }
                        for range in &mut self.ranges {
                            range.0 += at;
                        }
                        run(bytes, &self.ranges, offset);
                    }
                    at += used;
                }
                Ok(None) => break,
                Err(()) => {
                    let from = self.offset + at as u64;
                    if !zero_filled_from(&bytes[at..], &mut self.ranges) {
                        return Err(BadFormat { offset: from });
                    }
                    // A torn last write: the start of a command, then zeros.
                    self.zeros_from = Some(from);
                    self.offset = from;
                    return Ok(());
                }
            }
        }
        self.offset += at as u64;
        if in_place {
            self.pending = chunk[at..].to_vec();
        } else {
            buffer.drain(..at);
            self.pending = buffer;
        }
        Ok(())
    }

    /// The file ended: was it whole? A transaction left open at the end (by the names of the
    /// commands: a MULTI not followed by an EXEC) counts as cut there, as Redis reverts it.
    pub fn finish(&self) -> Tail {
        self.finish_with(self.multi_from)
    }

    /// As `finish`, with where the open transaction began as the caller knows it (the server
    /// knows which MULTI it took: one with an argument, or inside a transaction, it refused).
    pub fn finish_with(&self, open_transaction: Option<u64>) -> Tail {
        let cut = !self.pending.is_empty() || self.zeros_from.is_some();
        match (open_transaction, cut) {
            (Some(from), _) => Tail::Truncated { valid: from },
            (None, true) => Tail::Truncated { valid: self.offset },
            (None, false) => Tail::Whole,
        }
    }
}

/// True when `bytes` are the start of a command (maybe none of it) followed by nothing but
/// zeros, at least one. The zeros are the trailing run: a value may hold zero bytes of its own
/// before the tear.
fn zero_filled_from(bytes: &[u8], ranges: &mut Vec<(usize, usize)>) -> bool {
    let end = bytes
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(0, |last| last + 1);
    end < bytes.len() && next_command(&bytes[..end], ranges) == Ok(None)
}

/// The next command in `bytes`: how many bytes it takes (its arguments' ranges in `ranges`,
/// none for an annotation line), `None` when it is not whole yet, an error when the bytes are
/// not a command.
pub(crate) fn next_command(
    bytes: &[u8],
    ranges: &mut Vec<(usize, usize)>,
) -> Result<Option<usize>, ()> {
    ranges.clear();
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    if first == b'#' {
        return Ok(bytes
            .iter()
            .position(|&byte| byte == b'\n')
            .map(|end| end + 1));
    }
    if first != b'*' {
        return Err(());
    }
    let Some((count, mut at)) = line_number(bytes, 1)? else {
        return Ok(None);
    };
    if count < 1 {
        return Err(());
    }
    for _ in 0..count {
        match bytes.get(at) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(_) => return Err(()),
        }
        let Some((length, start)) = line_number(bytes, at + 1)? else {
            return Ok(None);
        };
        let length = usize::try_from(length).map_err(|_| ())?;
        let end = start.checked_add(length).ok_or(())?;
        if bytes.len() < end.saturating_add(2) {
            return Ok(None);
        }
        if &bytes[end..end + 2] != b"\r\n" {
            return Err(());
        }
        ranges.push((start, length));
        at = end + 2;
    }
    Ok(Some(at))
}

/// A decimal number from `at` up to `\r\n`, and where the next line starts.
fn line_number(bytes: &[u8], at: usize) -> Result<Option<(i64, usize)>, ()> {
    let rest = &bytes[at.min(bytes.len())..];
    let Some(end) = rest.iter().position(|&byte| byte == b'\r') else {
        // Redis reads a line of at most 128 bytes.
        return if rest.len() > 128 { Err(()) } else { Ok(None) };
    };
    let Some(&next) = rest.get(end + 1) else {
        return Ok(None);
    };
    if next != b'\n' || end == 0 || end > 20 {
        return Err(());
    }
    let text = std::str::from_utf8(&rest[..end]).map_err(|_| ())?;
    let number: i64 = text.parse().map_err(|_| ())?;
    Ok(Some((number, at + end + 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(chunks: &[&[u8]]) -> (Vec<Vec<Vec<u8>>>, Result<Tail, BadFormat>) {
        let mut reader = Reader::new();
        let mut seen = Vec::new();
        for chunk in chunks {
            let fed = reader.feed(chunk, |bytes, ranges, _| {
                seen.push(
                    ranges
                        .iter()
                        .map(|&(start, length)| bytes[start..start + length].to_vec())
                        .collect(),
                )
            });
            if let Err(error) = fed {
                return (seen, Err(error));
            }
        }
        (seen, Ok(reader.finish()))
    }

    #[test]
    fn commands_are_read_across_chunks() {
        let file =
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n";
        for cut in 0..file.len() {
            let (seen, tail) = commands(&[&file[..cut], &file[cut..]]);
            assert_eq!(tail, Ok(Tail::Whole));
            assert_eq!(seen.len(), 2);
            assert_eq!(
                seen[1],
                vec![b"SET".to_vec(), b"k".to_vec(), b"vv".to_vec()]
            );
        }
    }

    #[test]
    fn a_cut_or_zero_filled_tail_is_truncated_and_anything_else_is_bad() {
        let command = b"*1\r\n$4\r\nPING\r\n";
        for cut in 1..command.len() {
            let file = [command.as_slice(), &command[..cut]].concat();
            let (seen, tail) = commands(&[&file]);
            assert_eq!(seen.len(), 1);
            assert_eq!(tail, Ok(Tail::Truncated { valid: 14 }));
        }
        let zeros = [command.as_slice(), &[0; 100]].concat();
        let torn = [command.as_slice(), b"*1\r\n$4\r\nPI", &[0; 10]].concat();
        assert_eq!(commands(&[&torn]).1, Ok(Tail::Truncated { valid: 14 }));
        // A value with zero bytes of its own, torn after them.
        let zeros_inside = [command.as_slice(), b"*1\r\n$4\r\n\0\x01", &[0; 10]].concat();
        assert_eq!(
            commands(&[&zeros_inside]).1,
            Ok(Tail::Truncated { valid: 14 })
        );
        assert_eq!(
            commands(&[&zeros, &[0; 10]]).1,
            Ok(Tail::Truncated { valid: 14 })
        );
        assert_eq!(commands(&[&zeros, b"x"]).1, Err(BadFormat { offset: 14 }));
        let bad = [command.as_slice(), b"+OK\r\n"].concat();
        assert_eq!(commands(&[&bad]).1, Err(BadFormat { offset: 14 }));
        assert_eq!(commands(&[b"*0\r\n"]).1, Err(BadFormat { offset: 0 }));
        assert_eq!(
            commands(&[b"*1\r\n$2\r\nabcd"]).1,
            Err(BadFormat { offset: 0 })
        );
    }
}
