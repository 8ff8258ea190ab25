//! SORT and SORT_RO: a list, set or sorted set's elements, sorted as numbers or as bytes, by
//! themselves or by weights read from other keys, then a range of them, or other keys' values
//! looked up for each, replied or (SORT only) stored as a list.
//!
//! Redis 7.0's rules, in its order: every option is parsed before the key is read, so a syntax
//! error or a bad LIMIT wins over WRONGTYPE. Patterns (`BY`, `GET`) are read like any key
//! (`Db::get`), which expires what they find expired, as Redis's `lookupKeyRead` does.
//!
//! Where Redis's reply depends on its own hash table order, ferrodis's may differ: `BY` a
//! constant on a set without STORE (elements in the set's order), and ALPHA with BY when two
//! weights compare equal (Redis keeps such ties in its iteration order, or in whatever order
//! its partial quicksort leaves them when LIMIT narrows the range). Ties are kept here in the
//! list's order, a sorted set's rank order or the set's order.

use crate::notify;
use std::cmp::Ordering;

use super::args::is_option;
use super::{c_string, ArgCursor, CommandError, CommandResult, Ctx, SYNTAX, WRONGTYPE};
use crate::store::db::Db;
use crate::store::hash::HashRef;
use crate::store::list::{BlockLimit, End, List};
use crate::store::set::SetRef;
use crate::store::zset_value::{ZSetMut, ZSetRef};
use crate::time::UnixMillis;
use crate::util::number::{format_i64, parse_f64};
use crate::value::Value;

const SCORE_ERROR: &str = "ERR One or more scores can't be converted into double";

/// A BY or GET pattern, read once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern<'a> {
    /// `#`: the element itself (GET # only; as a BY pattern it has no `*` and means no sort).
    Element,
    /// No `*`: names no key. GET replies null for it; as BY it means "do not sort".
    Constant,
    /// `prefix*suffix`, the element in place of the `*`: that key's string value, or with
    /// `->field` that hash field's value.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    /// Redis reads patterns as C strings where it searches them (`strchr`, `strstr`: a NUL
    /// byte ends the search) but copies the prefix, suffix and field with the whole length.
    fn parse(pattern: &'a [u8]) -> Pattern<'a> {
        let searched = c_string(pattern);
        if searched == b"#" {
            return Pattern::Element;
        }
        let Some(star) = searched.iter().position(|&byte| byte == b'*') else {
            return Pattern::Constant;
        };
        let after_star = &searched[star + 1..];
        // `->` counts only with at least one byte of field name after it.
        let arrow = after_star
            .windows(2)
            .position(|pair| pair == b"->")
            .filter(|&arrow| arrow + 2 < after_star.len());
        let (suffix, field) = match arrow {
            Some(arrow) => (
                &pattern[star + 1..star + 1 + arrow],
                Some(&pattern[star + 1 + arrow + 2..]),
            ),
            None => (&pattern[star + 1..], None),
        };
        Pattern::Key {
            prefix: &pattern[..star],
            suffix,
            field,
        }
    }

    /// Writes into `found` what the pattern names for `element`; false when that is nothing: a
    /// constant pattern, a missing key or field, a key of the wrong type (Redis answers these
    /// alike, without an error).
    fn look_up(
        &self,
        db: &mut Db,
        now: UnixMillis,
        element: &[u8],
        key: &mut Vec<u8>,
        found: &mut Vec<u8>,
    ) -> bool {
        found.clear();
        let (prefix, suffix, field) = match *self {
            Pattern::Element => {
                found.extend_from_slice(element);
                return true;
            }
            Pattern::Constant => return false,
            Pattern::Key {
                prefix,
                suffix,
                field,
            } => (prefix, suffix, field),
        };
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(element);
        key.extend_from_slice(suffix);
        let Some(value) = db.get(now, key) else {
            return false;
        };
        match field {
            Some(field) => match HashRef::of(value).and_then(|hash| hash.get(field)) {
                Some(entry) => {
                    entry.write_text(found);
                    true
                }
                None => false,
            },
            None => match value {
                Value::Int(number) => {
                    format_i64(*number, found);
                    true
                }
                Value::Str(_) | Value::RawStr(_) => {
                    found.extend_from_slice(value.string_bytes().expect("a string"));
                    true
                }
                Value::PackedZSet(_)
                | Value::ZSet(_)
                | Value::PackedHash(_)
                | Value::Hash(_)
                | Value::IntSet(_)
                | Value::Set(_)
                | Value::List(_) => false,
            },
        }
    }
}

/// SORT's options as parsed, before the key is read.
struct SortOptions<'a> {
    by: Option<Pattern<'a>>,
    /// LIMIT's offset and count as given (clamped later, against the length).
    offset: i64,
    count: i64,
    /// GET patterns in order; bounded by the number of arguments.
    gets: Vec<Pattern<'a>>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

impl<'a> SortOptions<'a> {
    /// The options; BY with a pattern and GET need a user who may read every key
    /// (`reads_every_key`), as they read keys the command does not name.
    fn parse(
        args: &mut ArgCursor<'a>,
        store_allowed: bool,
        reads_every_key: bool,
    ) -> Result<SortOptions<'a>, CommandError> {
        let mut options = SortOptions {
            by: None,
            offset: 0,
            count: -1,
            gets: Vec::new(),
            desc: false,
            alpha: false,
            store: None,
        };
        while args.remaining() > 0 {
            let option = args.next_bytes()?;
            // How many arguments follow this one: an option short of its values is a syntax
            // error, as Redis checks it before the name.
            let following = args.remaining();
            if is_option(option, "ASC") {
                options.desc = false;
            } else if is_option(option, "DESC") {
                options.desc = true;
            } else if is_option(option, "ALPHA") {
                options.alpha = true;
            } else if is_option(option, "LIMIT") && following >= 2 {
                options.offset = args.next_i64()?;
                options.count = args.next_i64()?;
            } else if store_allowed && is_option(option, "STORE") && following >= 1 {
                options.store = Some(args.next_bytes()?);
            } else if is_option(option, "BY") && following >= 1 {
                let pattern = args.next_bytes()?;
                if pattern.contains(&b'*') && !reads_every_key {
                    return Err(
                        "ERR BY option of SORT denied due to insufficient ACL permissions.".into(),
                    );
                }
                options.by = Some(Pattern::parse(pattern));
            } else if is_option(option, "GET") && following >= 1 {
                if !reads_every_key {
                    return Err(
                        "ERR GET option of SORT denied due to insufficient ACL permissions.".into(),
                    );
                }
                options.gets.push(Pattern::parse(args.next_bytes()?));
            } else {
                return Err(SYNTAX.into());
            }
        }
        Ok(options)
    }
}

/// LIMIT's window over `len` elements as Redis clamps it: a negative offset is 0, a negative
/// count means all; the first index and the number of elements.
fn window(offset: i64, count: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    let end = end.min(len - 1);
    if start >= len || end < start {
        return (0, 0);
    }
    (start as usize, (end - start + 1) as usize)
}

/// What a sort reads of the key: its elements (the whole collection, or the window only when
/// nothing is sorted) and where the window is among them.
struct Loaded {
    elements: Vec<Vec<u8>>,
    start: usize,
    count: usize,
}

/// The elements of the list, set or sorted set `value`; with `in_place` (nothing to sort, not a
/// set) only the window, taken from the back when `desc`, in the collection's own order.
fn load(
    value: Option<&Value>,
    options: &SortOptions<'_>,
    in_place: bool,
) -> Result<Loaded, CommandError> {
    let Some(value) = value else {
        return Ok(Loaded {
            elements: Vec::new(),
            start: 0,
            count: 0,
        });
    };
    let len = match value {
        Value::List(list) => list.len(),
        Value::IntSet(_) | Value::Set(_) => SetRef::of(value).expect("a set").len(),
        Value::PackedZSet(_) | Value::ZSet(_) => ZSetRef::of(value).expect("a zset").len(),
        Value::Int(_)
        | Value::Str(_)
        | Value::RawStr(_)
        | Value::PackedHash(_)
        | Value::Hash(_) => return Err(WRONGTYPE.into()),
    };
    let (start, count) = window(options.offset, options.count, len);
    if in_place && SetRef::of(value).is_none() {
        // The window only, walked from the back when DESC, as Redis reads it.
        let first = if options.desc {
            len - start - count
        } else {
            start
        };
        let mut elements: Vec<Vec<u8>> = match value {
            _ if count == 0 => Vec::new(),
            Value::List(list) => list
                .iter_from(first)
                .take(count)
                .map(|entry| entry.to_vec())
                .collect(),
            _ => {
                let zset = ZSetRef::of(value).expect("a sorted set");
                zset.walk(zset.at_rank(first), count, false)
                    .map(|item| item.member.to_vec())
                    .collect()
            }
        };
        if options.desc {
            elements.reverse();
        }
        return Ok(Loaded {
            elements,
            start: 0,
            count,
        });
    }
    let elements = match value {
        Value::List(list) => list.iter().map(|entry| entry.to_vec()).collect(),
        _ => match SetRef::of(value) {
            Some(set) => set.members().map(|member| member.to_vec()).collect(),
            None => ZSetRef::of(value)
                .expect("a sorted set")
                .iter()
                .map(|item| item.member.to_vec())
                .collect(),
        },
    };
    Ok(Loaded {
        elements,
        start,
        count,
    })
}

/// What SORT makes of a weight (or an element) as a number: C's `strtod` over the C string,
/// which skips leading white space and must reach the end; out of range or NaN is refused.
/// An empty string is 0: `strtod` converts nothing and stops at the end, which SORT accepts.
fn weight(bytes: &[u8]) -> Option<f64> {
    let text = c_string(bytes);
    if text.is_empty() {
        return Some(0.0);
    }
    let number = text.iter().position(|byte| !is_c_space(*byte))?;
    parse_f64(&text[number..])
}

/// C's `isspace` in the C locale.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One element and what it sorts by.
struct Item {
    element: Vec<u8>,
    /// Numeric sorts: the element's or its weight's value (0 when the weight is missing).
    score: f64,
    /// ALPHA with BY: the weight's bytes, None when missing (sorts first).
    weight: Option<Vec<u8>>,
}

/// Redis compares text with `strcoll`, which stops at a NUL byte (in the C locale it is byte
/// order), except when storing, where it compares whole byte strings.
fn compare_text(a: &[u8], b: &[u8], storing: bool) -> Ordering {
    if storing {
        a.cmp(b)
    } else {
        c_string(a).cmp(c_string(b))
    }
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
pub(crate) fn sort(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    sort_generic(ctx, args, true)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
pub(crate) fn sort_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    sort_generic(ctx, args, false)
}

fn sort_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    store_allowed: bool,
) -> CommandResult {
    let request: Vec<&[u8]> = args.whole().iter().collect();
    let spec = super::lookup(request[0]).expect("a known command");
    let reads_every_key = ctx
        .state
        .acl
        .reads_every_key(&ctx.session.user, spec, &request);
    let key = args.next_bytes()?;
    let mut options = SortOptions::parse(args, store_allowed, reads_every_key)?;
    let limit = BlockLimit::from_config(ctx.state.config.list_max_listpack_size);
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let value = db.get(now, key);
    ctx.state.stats.record_lookup(value.is_some());
    if matches!(value, Some(Value::PackedZSet(_))) {
        // Redis turns a small sorted set into a skiplist for SORT, for good (OBJECT ENCODING
        // shows it), without counting it as a change.
        let value = db.reencode(now, key).expect("a live key was just read");
        ZSetMut::of(value)
            .expect("a sorted set")
            .convert(ctx.state.config.seed);
    }
    let value = db.get(now, key);
    let mut sorted = options.by != Some(Pattern::Constant);
    let is_set = value.is_some_and(|value| SetRef::of(value).is_some());
    if !sorted && is_set && (options.store.is_some() || ctx.session.script_client) {
        // Redis sorts a set's elements even under BY a constant when it stores them or answers
        // a script, so that what it stores (and propagates) or a script sees does not depend
        // on its hash table's order.
        sorted = true;
        options.alpha = true;
        options.by = None;
    }
    let loaded = load(value, &options, !sorted)?;
    let mut items: Vec<Item> = loaded
        .elements
        .into_iter()
        .map(|element| Item {
            element,
            score: 0.0,
            weight: None,
        })
        .collect();
    if sorted {
        score_items(db, now, &mut items, &options)?;
        let (alpha, desc, by) = (options.alpha, options.desc, options.by.is_some());
        let storing = options.store.is_some();
        items.sort_by(|a, b| {
            let order = if !alpha {
                // Equal scores fall back to the elements' bytes, so the order is defined.
                compare_scores(a.score, b.score).then_with(|| a.element.cmp(&b.element))
            } else if by {
                match (&a.weight, &b.weight) {
                    (Some(x), Some(y)) => compare_text(x, y, storing),
                    (a_weight, b_weight) => a_weight.is_some().cmp(&b_weight.is_some()),
                }
            } else {
                compare_text(&a.element, &b.element, storing)
            };
            if desc {
                order.reverse()
            } else {
                order
            }
        });
    }
    let window = &items[loaded.start..loaded.start + loaded.count];
    let mut key_buffer = Vec::new();
    let mut found = Vec::new();
    let Some(destination) = options.store else {
        let per_element = options.gets.len().max(1);
        ctx.reply.array(window.len() * per_element);
        for item in window {
            if options.gets.is_empty() {
                ctx.reply.bulk(&item.element);
            }
            for pattern in &options.gets {
                if pattern.look_up(db, now, &item.element, &mut key_buffer, &mut found) {
                    ctx.reply.bulk(&found);
                } else {
                    ctx.reply.null();
                }
            }
        }
        return Ok(());
    };
    let mut list = List::new();
    for item in window {
        if options.gets.is_empty() {
            list.push(End::Back, &item.element, limit);
        }
        for pattern in &options.gets {
            // Redis stores an empty string where GET found nothing.
            pattern.look_up(db, now, &item.element, &mut key_buffer, &mut found);
            list.push(End::Back, &found, limit);
        }
    }
    let stored = list.len();
    let old = if list.is_empty() {
        db.remove(now, destination)
    } else {
        db.set(now, destination, Value::List(Box::new(list)), false)
    };
    if stored > 0 {
        ctx.notify(notify::LIST, "sortstore", destination);
    } else if old.is_some() {
        ctx.notify(notify::GENERIC, "del", destination);
    }
    if let Some(old) = old {
        ctx.effects.discard(old);
    }
    ctx.reply.integer(stored as i64);
    Ok(())
}

/// SORT's keys for COMMAND GETKEYS: the sorted key, and the last STORE's destination, found
/// as Redis finds it (skipping LIMIT's two values and BY's and GET's one, taking any other word
/// as an option without values).
pub(crate) fn keys(request: &[&[u8]]) -> Vec<usize> {
    let mut destination = None;
    let mut index = 2;
    while index < request.len() {
        let word = request[index];
        if is_option(word, "LIMIT") {
            index += 2;
        } else if is_option(word, "GET") || is_option(word, "BY") {
            index += 1;
        } else if is_option(word, "STORE") && index + 1 < request.len() {
            destination = Some(index + 1);
        }
        index += 1;
    }
    std::iter::once(1).chain(destination).collect()
}

/// Reads what each item sorts by: its weight through BY, or the element itself. Every weight
/// is read (and so may expire) before a number that cannot be parsed fails the command.
fn score_items(
    db: &mut Db,
    now: UnixMillis,
    items: &mut [Item],
    options: &SortOptions<'_>,
) -> CommandResult {
    let mut key_buffer = Vec::new();
    let mut found = Vec::new();
    let mut parse_failed = false;
    for item in items.iter_mut() {
        let text = match &options.by {
            Some(pattern) => {
                if !pattern.look_up(db, now, &item.element, &mut key_buffer, &mut found) {
                    continue;
                }
                found.as_slice()
            }
            None => item.element.as_slice(),
        };
        if options.alpha {
            if options.by.is_some() {
                item.weight = Some(text.to_vec());
            }
        } else {
            match weight(text) {
                Some(score) => item.score = score,
                None => parse_failed = true,
            }
        }
    }
    if parse_failed {
        return Err(SCORE_ERROR.into());
    }
    Ok(())
}

/// Scores as Redis's `sortCompare` compares them: `>` and `<`, so -0 equals 0 (no NaN gets
/// this far).
fn compare_scores(a: f64, b: f64) -> Ordering {
    if a > b {
        Ordering::Greater
    } else if a < b {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_clamp_as_redis_does() {
        assert_eq!(window(0, -1, 5), (0, 5));
        assert_eq!(window(-3, 2, 5), (0, 2));
        assert_eq!(window(3, 100, 5), (3, 2));
        assert_eq!(window(5, 1, 5), (0, 0));
        assert_eq!(window(1, 0, 5), (0, 0));
        assert_eq!(window(i64::MAX, i64::MAX, 5), (0, 0));
        assert_eq!(window(i64::MIN, i64::MIN, 5), (0, 5));
        assert_eq!(window(0, i64::MAX, 0), (0, 0));
    }

    #[test]
    fn patterns_split_at_the_first_star_and_the_arrow_after_it() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::parse(b"nosort"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"a\0*"), Pattern::Constant);
        assert_eq!(
            Pattern::parse(b"w_*_*->f->g"),
            Pattern::Key {
                prefix: b"w_",
                suffix: b"_*",
                field: Some(b"f->g"),
            }
        );
        // An arrow at the very end names no field: it is part of the key.
        assert_eq!(
            Pattern::parse(b"w_*->"),
            Pattern::Key {
                prefix: b"w_",
                suffix: b"->",
                field: None,
            }
        );
        assert_eq!(
            Pattern::parse(b"->*"),
            Pattern::Key {
                prefix: b"->",
                suffix: b"",
                field: None,
            }
        );
    }

    #[test]
    fn weights_parse_as_strtod_over_a_c_string() {
        assert_eq!(weight(b""), Some(0.0));
        assert_eq!(weight(b" 1.5"), Some(1.5));
        assert_eq!(weight(b"2\0junk"), Some(2.0));
        assert_eq!(weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(weight(b" "), None);
        assert_eq!(weight(b"1 "), None);
        assert_eq!(weight(b"nan"), None);
        assert_eq!(weight(b"1e400"), None);
        assert_eq!(weight(b"abc"), None);
    }
}
