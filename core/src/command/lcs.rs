//! LCS: the longest common subsequence of two strings, by the classic dynamic-programming
//! table, walked back from its end as Redis walks it, so that the subsequence and the matched
//! ranges are the ones Redis picks among equally long answers.

use super::args::is_option;
use super::strings::string_bytes;
use super::{ArgCursor, CommandResult, Ctx, SYNTAX};

const NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const TABLE_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

/// What LCS replies with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Subsequence,
    Len,
    /// The matched ranges, longest-first from the strings' ends, and the length.
    Idx {
        match_len_min: u64,
        with_match_len: bool,
    },
}

/// A run of bytes common to both strings: inclusive ranges in each.
struct Match {
    a: (u32, u32),
    b: (u32, u32),
}

impl Match {
    fn len(&self) -> u64 {
        u64::from(self.a.1 - self.a.0 + 1)
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub(crate) fn lcs(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key_a = args.next_bytes()?;
    let key_b = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // Both keys are looked up (and expired) before the options are read, and a key of another
    // type gets LCS's own error rather than WRONGTYPE.
    for key in [key_a, key_b] {
        if db.get(now, key).is_some_and(|value| !value.is_string()) {
            return Err(NOT_STRINGS.into());
        }
    }
    let (mut len, mut idx, mut with_match_len) = (false, false, false);
    let mut match_len_min = 0;
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        if is_option(option, "IDX") {
            idx = true;
        } else if is_option(option, "LEN") {
            len = true;
        } else if is_option(option, "WITHMATCHLEN") {
            with_match_len = true;
        } else if is_option(option, "MINMATCHLEN") && args.remaining() > 0 {
            match_len_min = args.next_i64()?.max(0) as u64;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if len && idx {
        return Err(LEN_AND_IDX.into());
    }
    let answer = match (len, idx) {
        (_, true) => Answer::Idx {
            match_len_min,
            with_match_len,
        },
        (true, false) => Answer::Len,
        (false, false) => Answer::Subsequence,
    };
    let (mut digits_a, mut digits_b) = ([0u8; 20], [0u8; 20]);
    let a = match db.peek(now, key_a) {
        Some(value) => string_bytes(value, &mut digits_a)?,
        None => &[][..],
    };
    let b = match db.peek(now, key_b) {
        Some(value) => string_bytes(value, &mut digits_b)?,
        None => &[][..],
    };
    // The table has (|a| + 1) * (|b| + 1) cells of 4 bytes; Redis refuses one bigger than
    // proto-max-bulk-len, which also bounds both lengths below u32::MAX.
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    if cells.saturating_mul(4) > ctx.state.config.bulk_bytes_max as u64 {
        return Err(TABLE_TOO_BIG.into());
    }
    let table = Table::build(a, b);
    let length = table.at(a.len(), b.len());
    match answer {
        Answer::Len => ctx.reply.integer(i64::from(length)),
        Answer::Subsequence => {
            let (subsequence, _) = table.walk_back(a, b);
            ctx.reply.bulk(&subsequence);
        }
        Answer::Idx {
            match_len_min,
            with_match_len,
        } => {
            let (_, matches) = table.walk_back(a, b);
            let shown: Vec<&Match> = matches
                .iter()
                .filter(|found| found.len() >= match_len_min)
                .collect();
            ctx.reply.map(2);
            ctx.reply.bulk(b"matches");
            ctx.reply.array(shown.len());
            for found in shown {
                ctx.reply.array(if with_match_len { 3 } else { 2 });
                for (first, last) in [found.a, found.b] {
                    ctx.reply.array(2);
                    ctx.reply.integer(i64::from(first));
                    ctx.reply.integer(i64::from(last));
                }
                if with_match_len {
                    ctx.reply.integer(found.len() as i64);
                }
            }
            ctx.reply.bulk(b"len");
            ctx.reply.integer(i64::from(length));
        }
    }
    Ok(())
}

/// `cell(i, j)`: the length of the longest common subsequence of `a[..i]` and `b[..j]`.
struct Table {
    columns: usize,
    cells: Vec<u32>,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let columns = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * columns];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * columns + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * columns + j - 1] + 1
                } else {
                    cells[(i - 1) * columns + j].max(cells[i * columns + j - 1])
                };
            }
        }
        Table { columns, cells }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.columns + j]
    }

    /// The subsequence and its runs, from the strings' ends backwards. On a tie Redis steps
    /// back in `b` (keeping `a`'s position), and so does this.
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut subsequence = Vec::with_capacity(self.at(a.len(), b.len()) as usize);
        let mut matches = Vec::new();
        let mut run: Option<Match> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                subsequence.push(a[i - 1]);
                let (at_a, at_b) = ((i - 1) as u32, (j - 1) as u32);
                // A run is open only while the walk keeps matching, so this match is the byte
                // right before it in both strings: the run grows backwards.
                run = Some(match run.take() {
                    Some(found) => {
                        debug_assert!(found.a.0 == at_a + 1 && found.b.0 == at_b + 1);
                        Match {
                            a: (at_a, found.a.1),
                            b: (at_b, found.b.1),
                        }
                    }
                    None => Match {
                        a: (at_a, at_a),
                        b: (at_b, at_b),
                    },
                });
                i -= 1;
                j -= 1;
            } else {
                matches.extend(run.take());
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
            }
        }
        matches.extend(run.take());
        subsequence.reverse();
        (subsequence, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subsequence_and_runs_of_redis_example() {
        let (a, b) = (b"ohmytext".as_slice(), b"mynewtext".as_slice());
        let table = Table::build(a, b);
        let (subsequence, matches) = table.walk_back(a, b);
        assert_eq!(subsequence, b"mytext");
        let ranges: Vec<_> = matches.iter().map(|found| (found.a, found.b)).collect();
        assert_eq!(ranges, [((4, 7), (5, 8)), ((2, 3), (0, 1))]);
    }
}
