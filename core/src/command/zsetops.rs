//! Sorted-set algebra: ZUNION, ZINTER, ZDIFF and their STORE forms.

use super::args::is_option;
use super::zrange::store_result;
use super::zset::reply_member;
use super::{ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::store::set::SetRef;
use crate::store::zset::ZSet;
use crate::store::zset_value::ZSetRef;
use crate::util::number::{parse_f64, parse_i64};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Union,
    Inter,
    /// ZINTERCARD: the intersection's size, up to a LIMIT.
    InterCard,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// As Redis's zunionInterAggregate: a NaN sum (inf + -inf) becomes 0.
    fn apply(self, target: f64, value: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let sum = target + value;
                if sum.is_nan() {
                    0.0
                } else {
                    sum
                }
            }
            Aggregate::Min => target.min(value),
            Aggregate::Max => target.max(value),
        }
    }
}

/// A weighted score; NaN (0 * inf) becomes 0, as in Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let product = score * weight;
    if product.is_nan() {
        0.0
    } else {
        product
    }
}

/// `numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]` after the command name
/// (and destination), then the computation, then the reply or the store.
fn operation_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    operation: Operation,
    destination: Option<&[u8]>,
    name: &str,
) -> CommandResult {
    let count = parse_i64(args.next_bytes()?).ok_or(CommandError::from(NOT_INTEGER))?;
    if count < 1 {
        return Err(CommandError::owned(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if count as usize > args.remaining() {
        return Err(SYNTAX.into());
    }
    let count = count as usize;
    let keys: Vec<&[u8]> = (0..count)
        .map(|_| args.next_bytes())
        .collect::<Result<_, _>>()?;
    // Redis checks the inputs' types before it parses the options.
    let now = ctx.now.wall;
    for key in &keys {
        match ctx.keyspace.dbs[ctx.db].get(now, key) {
            None => {}
            Some(value) if ZSetRef::of(value).is_some() || SetRef::of(value).is_some() => {}
            Some(_) => return Err(WRONGTYPE.into()),
        }
    }
    let mut weights = vec![1.0; count];
    let takes_weights = matches!(operation, Operation::Union | Operation::Inter);
    let mut aggregate = Aggregate::Sum;
    let mut with_scores = false;
    let mut limit = usize::MAX;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        if takes_weights && is_option(option, "WEIGHTS") && args.remaining() >= count {
            for weight in &mut weights {
                *weight = parse_f64(args.next_bytes()?)
                    .ok_or(CommandError::from("ERR weight value is not a float"))?;
            }
        } else if takes_weights && is_option(option, "AGGREGATE") && args.remaining() >= 1 {
            let kind = args.next_bytes()?;
            aggregate = if is_option(kind, "SUM") {
                Aggregate::Sum
            } else if is_option(kind, "MIN") {
                Aggregate::Min
            } else if is_option(kind, "MAX") {
                Aggregate::Max
            } else {
                return Err(SYNTAX.into());
            };
        } else if destination.is_none()
            && operation != Operation::InterCard
            && is_option(option, "WITHSCORES")
        {
            with_scores = true;
        } else if operation == Operation::InterCard
            && is_option(option, "LIMIT")
            && args.remaining() >= 1
        {
            limit = match parse_i64(args.next_bytes()?) {
                Some(0) => usize::MAX,
                Some(value) if value > 0 => value as usize,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
        } else {
            return Err(SYNTAX.into());
        }
    }
    let seed = ctx.state.config.seed;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // A set counts as a sorted set whose members all score 1, as in Redis. One too big for a
    // sorted set is refused as a sorted set that would grow past its bound is.
    let mut from_sets: Vec<Option<ZSet>> = Vec::with_capacity(count);
    for key in &keys {
        let Some(set) = db.peek(now, key).and_then(SetRef::of) else {
            from_sets.push(None);
            continue;
        };
        let mut zset = ZSet::new(seed);
        if !zset.has_room(set.len()) {
            return Err(crate::store::zset::FULL_ERROR.into());
        }
        let mut text = Vec::new();
        for member in set.members() {
            text.clear();
            member.write_text(&mut text);
            zset.insert(&text, 1.0);
        }
        from_sets.push(Some(zset));
    }
    let mut inputs: Vec<(Option<ZSetRef<'_>>, f64)> = Vec::with_capacity(count);
    for ((key, weight), from_set) in keys.iter().zip(&weights).zip(&from_sets) {
        // Checked above; `peek` needs no `&mut`, so all inputs can be borrowed at once.
        let zset = db
            .peek(now, key)
            .and_then(ZSetRef::of)
            .or(from_set.as_ref().map(ZSetRef::Tree));
        inputs.push((zset, *weight));
    }
    // A union can be as big as all its inputs together; the others are bounded by one input.
    let total: usize = inputs
        .iter()
        .map(|(zset, _)| zset.map_or(0, |zset| zset.len()))
        .sum();
    if operation == Operation::Union && total > crate::store::zset::MEMBERS_MAX {
        return Err(crate::store::zset::FULL_ERROR.into());
    }
    let (result, negative_zero) = compute(&inputs, operation, aggregate, seed);
    drop(inputs);
    if operation == Operation::InterCard {
        ctx.reply.integer(result.len().min(limit) as i64);
        return Ok(());
    }
    if let Some(destination) = destination {
        let stored = result.len();
        store_result(ctx, destination, result, name);
        ctx.reply.integer(stored as i64);
        return Ok(());
    }
    let pairs = with_scores && ctx.reply.resp3;
    ctx.reply.array(if with_scores && !pairs {
        result.len() * 2
    } else {
        result.len()
    });
    for item in result.iter() {
        reply_member(
            ctx.reply,
            &item.member,
            with_scores.then_some(if negative_zero.contains(&item.member[..]) {
                -0.0
            } else {
                item.score
            }),
            pairs,
        );
    }
    Ok(())
}

fn compute(
    inputs: &[(Option<ZSetRef<'_>>, f64)],
    operation: Operation,
    aggregate: Aggregate,
    seed: u64,
) -> (ZSet, BTreeSet<Vec<u8>>) {
    let mut result = ZSet::new(seed);
    // The set stores -0 as 0, but Redis computes (and ZUNION/ZINTER reply) with the real
    // doubles: the members whose score is really -0.
    let mut negative_zero: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut note = |member: &[u8], score: f64| {
        if score == 0.0 && score.is_sign_negative() {
            negative_zero.insert(member.to_vec());
        } else {
            negative_zero.remove(member);
        }
    };
    let len = |input: &(Option<ZSetRef<'_>>, f64)| input.0.map_or(0, |zset| zset.len());
    match operation {
        Operation::Union => {
            // Smallest first, as Redis orders its inputs (it decides the order of float sums).
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            order.sort_by_key(|&index| len(&inputs[index]));
            for index in order {
                let (Some(zset), weight) = inputs[index] else {
                    continue;
                };
                for item in zset.iter() {
                    let score = weighted(item.score, weight);
                    let score = match result.score(&item.member) {
                        Some(_) if negative_zero.contains(&item.member[..]) => {
                            aggregate.apply(-0.0, score)
                        }
                        Some(existing) => aggregate.apply(existing, score),
                        None => score,
                    };
                    if score == 0.0 && score.is_sign_negative() {
                        negative_zero.insert(item.member.to_vec());
                    } else {
                        negative_zero.remove(&item.member[..]);
                    }
                    result.insert(&item.member, score);
                }
            }
        }
        Operation::Inter | Operation::InterCard => {
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            order.sort_by_key(|&index| len(&inputs[index]));
            let (Some(smallest), weight) = inputs[order[0]] else {
                return (result, negative_zero);
            };
            'members: for item in smallest.iter() {
                let mut score = weighted(item.score, weight);
                for &other in &order[1..] {
                    let (Some(zset), weight) = inputs[other] else {
                        return (result, negative_zero);
                    };
                    let Some(other_score) = zset.score(&item.member) else {
                        continue 'members;
                    };
                    score = aggregate.apply(score, weighted(other_score, weight));
                }
                note(&item.member, score);
                result.insert(&item.member, score);
            }
        }
        Operation::Diff => {
            let (Some(first), _) = inputs[0] else {
                return (result, negative_zero);
            };
            for item in first.iter() {
                let elsewhere = inputs[1..]
                    .iter()
                    .any(|(zset, _)| zset.is_some_and(|zset| zset.score(&item.member).is_some()));
                if !elsewhere {
                    result.insert(&item.member, item.score);
                }
            }
        }
    }
    (result, negative_zero)
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zunion(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    operation_generic(ctx, args, Operation::Union, None, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zinter(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    operation_generic(ctx, args, Operation::Inter, None, "zinter")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn zintercard(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    operation_generic(ctx, args, Operation::InterCard, None, "zintercard")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(crate) fn zdiff(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    operation_generic(ctx, args, Operation::Diff, None, "zdiff")
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zunionstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let destination = args.next_bytes()?;
    operation_generic(
        ctx,
        args,
        Operation::Union,
        Some(destination),
        "zunionstore",
    )
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zinterstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let destination = args.next_bytes()?;
    operation_generic(
        ctx,
        args,
        Operation::Inter,
        Some(destination),
        "zinterstore",
    )
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(crate) fn zdiffstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let destination = args.next_bytes()?;
    operation_generic(ctx, args, Operation::Diff, Some(destination), "zdiffstore")
}
