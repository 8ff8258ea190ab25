//! Random picks for ZRANDMEMBER, HRANDFIELD, SRANDMEMBER and SPOP, from the core's seeded
//! source: the count argument as Redis reads it, and which positions to return.

use std::collections::BTreeSet;

use rand_core::Rng;

use super::{CommandError, NOT_INTEGER};
use crate::util::number::parse_i64;

/// Most elements one random pick with a negative count (repeats allowed) may return. Redis
/// builds a reply of |count| elements for any negative count; one command must not be able to
/// ask for gigabytes, so such counts are bounded here. A positive count returns at most the
/// whole collection, and any is accepted, as in Redis.
const PICKS_MAX: u64 = 10_000_000;

/// The count of ZRANDMEMBER, HRANDFIELD and SRANDMEMBER: any integer but `i64::MIN`; negative
/// means repeats are allowed.
pub(crate) fn parse_count(bytes: &[u8]) -> Result<i64, CommandError> {
    let count = parse_i64(bytes).ok_or(CommandError::from(NOT_INTEGER))?;
    if count == i64::MIN {
        return Err(
            "ERR value is out of range, value must between -9223372036854775807 and \
                    9223372036854775807"
                .into(),
        );
    }
    if count < 0 && count.unsigned_abs() > PICKS_MAX {
        return Err(CommandError::owned(format!(
            "ERR value is out of range, the count must be at most {PICKS_MAX} in absolute value"
        )));
    }
    Ok(count)
}

/// Positions below `len` (at least 1) for a count as `parse_count` returns it: `|count|`
/// independent picks for a negative count; every position, in order, for a count of at least
/// `len`; otherwise `count` distinct positions, each subset as likely as any other.
pub(crate) fn positions(random: &mut impl Rng, len: usize, count: i64) -> Vec<usize> {
    debug_assert!(len > 0);
    let mut below = |bound: usize| (random.next_u64() % bound as u64) as usize;
    if count < 0 {
        return (0..count.unsigned_abs()).map(|_| below(len)).collect();
    }
    let count = count as usize;
    if count >= len {
        return (0..len).collect();
    }
    if count * 3 > len {
        // Many of them: a partial Fisher-Yates shuffle over every position (at most 3 * count).
        let mut all: Vec<usize> = (0..len).collect();
        for index in 0..count {
            let pick = index + below(len - index);
            all.swap(index, pick);
        }
        all.truncate(count);
        return all;
    }
    // Few of them: draw until `count` distinct ones came up (each draw is new with
    // probability above 2/3).
    let mut seen = BTreeSet::new();
    let mut picked = Vec::with_capacity(count);
    while picked.len() < count {
        let position = below(len);
        if seen.insert(position) {
            picked.push(position);
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn positions_follow_the_count_rules() {
        let mut random = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        for len in 1..40 {
            for count in -45i64..45 {
                let picked = positions(&mut random, len, count);
                assert!(picked.iter().all(|&position| position < len));
                if count < 0 {
                    assert_eq!(picked.len(), count.unsigned_abs() as usize);
                } else {
                    let distinct: BTreeSet<usize> = picked.iter().copied().collect();
                    assert_eq!(distinct.len(), picked.len(), "no repeats");
                    assert_eq!(picked.len(), (count as usize).min(len));
                }
            }
        }
    }

    #[test]
    fn every_subset_comes_up() {
        // Choosing 2 of 4 positions: all six pairs appear, both for the shuffle (2*3 > 4) and
        // for the draws (1 of 4: 3 <= 4).
        let mut random = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        let mut pairs = BTreeSet::new();
        let mut singles = BTreeSet::new();
        for _ in 0..400 {
            let mut pair = positions(&mut random, 4, 2);
            pair.sort_unstable();
            pairs.insert(pair);
            singles.insert(positions(&mut random, 4, 1));
        }
        assert_eq!(pairs.len(), 6);
        assert_eq!(singles.len(), 4);
    }

    #[test]
    fn counts_are_bounded() {
        assert!(parse_count(b"-9223372036854775808").is_err());
        assert_eq!(parse_count(b"10000001").ok(), Some(10_000_001));
        assert!(parse_count(b"-10000001").is_err());
        assert_eq!(parse_count(b"-10000000").ok(), Some(-10_000_000));
        assert!(parse_count(b"x").is_err());
    }
}
