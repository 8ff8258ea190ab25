//! Sorted-set ranges: by rank, by score and by lex, forwards and backwards, with LIMIT.
//! ZRANGE (and its older forms), ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*.

use crate::notify;
use std::cmp::Ordering;

use super::args::is_option;
use super::delete_if_empty;
use super::zset::{read_zset, reply_member, write_zset};
use super::{index_range, ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, SYNTAX};
use crate::store::zset::ZSet;
use crate::store::zset_value::{stored, Pos, Walk, ZItemRef, ZSetRef};
use crate::util::number::{parse_f64_lenient, parse_i64};

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A score interval, each end inclusive or exclusive (`(` prefix).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScoreRange {
    min: f64,
    max: f64,
    min_exclusive: bool,
    max_exclusive: bool,
}

impl ScoreRange {
    /// Parses like Redis's zslParseRange, which uses C's strtod: leading spaces are skipped and
    /// an empty string reads as 0.
    pub(crate) fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CommandError> {
        let (min, min_exclusive) = parse_bound(min).ok_or(CommandError::from(NOT_FLOAT_RANGE))?;
        let (max, max_exclusive) = parse_bound(max).ok_or(CommandError::from(NOT_FLOAT_RANGE))?;
        Ok(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }
}

fn parse_bound(bytes: &[u8]) -> Option<(f64, bool)> {
    let (text, exclusive) = match bytes.first() {
        Some(b'(') => (&bytes[1..], true),
        _ => (bytes, false),
    };
    // C strings end at the first NUL.
    let text = &text[..text
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(text.len())];
    if text.is_empty() {
        return Some((0.0, exclusive));
    }
    let trimmed = text.trim_ascii_start();
    if trimmed.is_empty() {
        return None;
    }
    let value = parse_f64_lenient(trimmed)?;
    Some((value, exclusive))
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone)]
enum LexBound<'a> {
    Min,
    Max,
    Inclusive(&'a [u8]),
    Exclusive(&'a [u8]),
}

impl<'a> LexBound<'a> {
    fn parse(bytes: &'a [u8]) -> Result<LexBound<'a>, CommandError> {
        match bytes.first() {
            Some(b'+') if bytes.len() == 1 => Ok(LexBound::Max),
            Some(b'-') if bytes.len() == 1 => Ok(LexBound::Min),
            Some(b'[') => Ok(LexBound::Inclusive(&bytes[1..])),
            Some(b'(') => Ok(LexBound::Exclusive(&bytes[1..])),
            _ => Err(NOT_LEX_RANGE.into()),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct LexRange<'a> {
    min: LexBound<'a>,
    max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    pub(crate) fn parse(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CommandError> {
        Ok(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    fn above_min(&self, member: &[u8]) -> bool {
        match self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(min) => member >= min,
            LexBound::Exclusive(min) => member > min,
        }
    }

    fn below_max(&self, member: &[u8]) -> bool {
        match self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(max) => member <= max,
            LexBound::Exclusive(max) => member < max,
        }
    }

    fn is_empty(&self) -> bool {
        use LexBound::*;
        match (&self.min, &self.max) {
            (Max, _) | (_, Min) => true,
            (Min, _) | (_, Max) => false,
            (Inclusive(min), Inclusive(max)) => min > max,
            (Inclusive(min) | Exclusive(min), Inclusive(max) | Exclusive(max)) => min >= max,
        }
    }
}

/// What a range selects.
pub(crate) enum Range<'a> {
    /// Ranks, possibly negative (from the end), inclusive.
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// What a range selected: `len` items walked from `first`, backwards when `reverse`. Counted
/// by ranks before any is visited, so a reply's length is known without collecting the items.
#[derive(Clone, Copy)]
pub(crate) struct Selection {
    first: Option<Pos>,
    len: usize,
    reverse: bool,
}

impl Selection {
    const NONE: Selection = Selection {
        first: None,
        len: 0,
        reverse: false,
    };

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The selected items, in reply order.
    pub(crate) fn items<'a>(self, zset: ZSetRef<'a>) -> Walk<'a> {
        zset.walk(self.first, self.len, self.reverse)
    }
}

/// Selects a range. `offset`/`limit` as ZRANGE's LIMIT (limit < 0 = all).
pub(crate) fn select(
    zset: ZSetRef<'_>,
    range: &Range<'_>,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Selection {
    let len = zset.len() as i64;
    match range {
        Range::Rank(start, end) => {
            let (start, count) = index_range(*start, *end, zset.len());
            if count == 0 {
                return Selection::NONE;
            }
            let first_rank = if reverse {
                zset.len() - 1 - start
            } else {
                start
            };
            return Selection {
                first: zset.at_rank(first_rank),
                len: count,
                reverse,
            };
        }
        Range::Score(range) if range.is_empty() => return Selection::NONE,
        Range::Lex(range) if range.is_empty() => return Selection::NONE,
        _ => {}
    }
    // Redis: a negative offset selects nothing, an offset past the end too.
    if offset < 0 || (offset > 0 && offset >= len) {
        return Selection::NONE;
    }
    let in_min = |item: &ZItemRef<'_>| match range {
        Range::Score(range) => range.above_min(item.score),
        Range::Lex(range) => range.above_min(&item.member),
        Range::Rank(..) => unreachable!(),
    };
    let in_max = |item: &ZItemRef<'_>| match range {
        Range::Score(range) => range.below_max(item.score),
        Range::Lex(range) => range.below_max(&item.member),
        Range::Rank(..) => unreachable!(),
    };
    // The lowest item above min, and the highest item below max.
    let lowest = zset.seek(|item| {
        if in_min(item) {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    });
    let past_max = zset.seek(|item| {
        if in_max(item) {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    });
    let highest = match past_max {
        Some(past) => zset.prev(past),
        None => zset.last(),
    };
    let (Some(lowest), Some(highest)) = (lowest, highest) else {
        return Selection::NONE;
    };
    let (low_rank, high_rank) = (zset.rank_of(lowest) as i64, zset.rank_of(highest) as i64);
    // Both ends are inside the range unless it holds no item (then highest < lowest).
    let inside = high_rank + 1 - low_rank - offset;
    if inside <= 0 {
        return Selection::NONE;
    }
    let (start, delta) = if reverse {
        (highest, -offset)
    } else {
        (lowest, offset)
    };
    Selection {
        first: zset.offset(start, delta),
        len: if limit < 0 { inside } else { inside.min(limit) } as usize,
        reverse,
    }
}

/// Which ZRANGE form is running: it decides which options are allowed and the argument order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// ZRANGE / ZRANGESTORE: everything is an option.
    Range,
    RangeByScore,
    RevRangeByScore,
    RangeByLex,
    RevRangeByLex,
    RevRange,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// Parses the arguments after the key (start, stop, options) and replies, or stores into
/// `destination`.
fn range_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    form: Form,
    destination: Option<&[u8]>,
) -> CommandResult {
    let key = args.next_bytes()?;
    let mut min_arg = args.next_bytes()?;
    let mut max_arg = args.next_bytes()?;
    let (mut kind, mut reverse) = match form {
        Form::Range => (None, None),
        Form::RangeByScore => (Some(Kind::Score), Some(false)),
        Form::RevRangeByScore => (Some(Kind::Score), Some(true)),
        Form::RangeByLex => (Some(Kind::Lex), Some(false)),
        Form::RevRangeByLex => (Some(Kind::Lex), Some(true)),
        Form::RevRange => (Some(Kind::Rank), Some(true)),
    };
    let mut with_scores = false;
    let mut limit: Option<(i64, i64)> = None;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if destination.is_none() && is_option(option, "WITHSCORES") {
            with_scores = true;
        } else if is_option(option, "LIMIT") && args.remaining() >= 2 {
            let offset = args.next_i64()?;
            let count = args.next_i64()?;
            limit = Some((offset, count));
        } else if reverse.is_none() && is_option(option, "REV") {
            reverse = Some(true);
        } else if kind.is_none() && is_option(option, "BYLEX") {
            kind = Some(Kind::Lex);
        } else if kind.is_none() && is_option(option, "BYSCORE") {
            kind = Some(Kind::Score);
        } else {
            return Err(SYNTAX.into());
        }
    }
    let kind = kind.unwrap_or(Kind::Rank);
    let reverse = reverse.unwrap_or(false);
    // Like Redis, only a count other than -1 (its "no limit") counts as a LIMIT here; a rank
    // range ignores `LIMIT offset -1` altogether.
    if kind == Kind::Rank && limit.is_some_and(|(_, count)| count != -1) {
        return Err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        );
    }
    if with_scores && kind == Kind::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    if reverse && kind != Kind::Rank {
        // The range is given as max, min.
        std::mem::swap(&mut min_arg, &mut max_arg);
    }
    let range = match kind {
        Kind::Rank => Range::Rank(
            parse_i64(min_arg).ok_or(CommandError::from(NOT_INTEGER))?,
            parse_i64(max_arg).ok_or(CommandError::from(NOT_INTEGER))?,
        ),
        Kind::Score => Range::Score(ScoreRange::parse(min_arg, max_arg)?),
        Kind::Lex => Range::Lex(LexRange::parse(min_arg, max_arg)?),
    };
    let (offset, count) = match kind {
        Kind::Rank => (0, -1),
        _ => limit.unwrap_or((0, -1)),
    };
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let Some(destination) = destination else {
        let Some(zset) = zset else {
            ctx.reply.array(0);
            return Ok(());
        };
        let selection = select(zset, &range, reverse, offset, count);
        let pairs = with_scores && ctx.reply.resp3;
        ctx.reply.array(if with_scores && !pairs {
            selection.len() * 2
        } else {
            selection.len()
        });
        for item in selection.items(zset) {
            reply_member(
                ctx.reply,
                &item.member,
                with_scores.then_some(item.score),
                pairs,
            );
        }
        return Ok(());
    };
    let seed = ctx.state.config.seed;
    let mut result = ZSet::new(seed);
    if let Some(zset) = zset {
        for item in select(zset, &range, reverse, offset, count).items(zset) {
            result.insert(&item.member, item.score);
        }
    }
    let stored = result.len();
    store_result(ctx, destination, result, "zrangestore");
    ctx.reply.integer(stored as i64);
    Ok(())
}

/// Stores a computed sorted set at `destination` (small when it fits the limits, as Redis
/// stores its results), or deletes it when the result is empty.
/// `event` names the store in keyspace notifications (`del` when it deleted).
pub(crate) fn store_result(ctx: &mut Ctx<'_, '_>, destination: &[u8], result: ZSet, event: &str) {
    let now = ctx.now.wall;
    let limits = ctx.state.config.zset_limits();
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let empty = result.is_empty();
    let old = if empty {
        db.remove(now, destination)
    } else {
        db.set(now, destination, stored(result, limits), false)
    };
    if !empty {
        ctx.notify(notify::ZSET, event, destination);
    } else if old.is_some() {
        ctx.notify(notify::GENERIC, "del", destination);
    }
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(crate) fn zrange(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::Range, None)
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
pub(crate) fn zrangestore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let destination = args.next_bytes()?;
    range_generic(ctx, args, Form::Range, Some(destination))
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(crate) fn zrevrange(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::RevRange, None)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrangebyscore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::RangeByScore, None)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrevrangebyscore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::RevRangeByScore, None)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(crate) fn zrangebylex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::RangeByLex, None)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(crate) fn zrevrangebylex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    range_generic(ctx, args, Form::RevRangeByLex, None)
}

/// Members in a score or lex range, counted by ranks (O(log n) in a tree).
fn count_in(zset: ZSetRef<'_>, range: &Range<'_>) -> usize {
    select(zset, range, false, 0, -1).len()
}

/// ZCOUNT key min max
pub(crate) fn zcount(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let range = Range::Score(ScoreRange::parse(args.next_bytes()?, args.next_bytes()?)?);
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let count = zset.map_or(0, |zset| count_in(zset, &range));
    ctx.reply.integer(count as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
pub(crate) fn zlexcount(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let min = args.next_bytes()?;
    let max = args.next_bytes()?;
    let range = Range::Lex(LexRange::parse(min, max)?);
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let count = zset.map_or(0, |zset| count_in(zset, &range));
    ctx.reply.integer(count as i64);
    Ok(())
}

/// Removes the members `range` selects; replies with how many.
fn remove_range(ctx: &mut Ctx<'_, '_>, key: &[u8], range: Range<'_>) -> CommandResult {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // An empty range removes nothing: no write access, no change signalled.
    let selected = read_zset(db, now, key)?.map_or(0, |zset| count_in(zset, &range));
    if selected == 0 {
        ctx.reply.integer(0);
        return Ok(());
    }
    let mut zset = write_zset(db, now, key)?.expect("read above");
    let selection = select(zset.get(), &range, false, 0, -1);
    let first = selection.first.expect("a range that selected items");
    zset.remove_run(first, selection.len);
    let event = match range {
        Range::Rank(..) => "zremrangebyrank",
        Range::Score(_) => "zremrangebyscore",
        Range::Lex(_) => "zremrangebylex",
    };
    ctx.notify(notify::ZSET, event, key);
    delete_if_empty(ctx, key);
    ctx.reply.integer(selection.len as i64);
    Ok(())
}

/// ZREMRANGEBYRANK key start stop
pub(crate) fn zremrangebyrank(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    remove_range(ctx, key, Range::Rank(start, stop))
}

/// ZREMRANGEBYSCORE key min max
pub(crate) fn zremrangebyscore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let range = ScoreRange::parse(args.next_bytes()?, args.next_bytes()?)?;
    remove_range(ctx, key, Range::Score(range))
}

/// ZREMRANGEBYLEX key min max
pub(crate) fn zremrangebylex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let min = args.next_bytes()?;
    let max = args.next_bytes()?;
    remove_range(ctx, key, Range::Lex(LexRange::parse(min, max)?))
}
