//! A latency histogram: counts of durations in microseconds. Below 64 each value has a bucket
//! of its own; above, each power of two is cut into 32 equal buckets, so a value read back is
//! within 1/32 of the one recorded. Redis keeps an HDR histogram for the same reports.

/// Values below this have a bucket each.
const LINEAR: u64 = 64;
/// Buckets per power of two above `LINEAR`.
const PER_OCTAVE: u64 = 32;
const BUCKETS: usize = (LINEAR + (64 - 6) * PER_OCTAVE) as usize;

#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = 63 - u64::from(value.leading_zeros());
    let shift = exponent - 5;
    let offset = (value >> shift) - PER_OCTAVE;
    (LINEAR + (exponent - 6) * PER_OCTAVE + offset) as usize
}

/// The highest value bucket `index` holds.
fn highest_in(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index;
    }
    let above = index - LINEAR;
    let exponent = above / PER_OCTAVE + 6;
    let shift = exponent - 5;
    let mantissa = above % PER_OCTAVE + PER_OCTAVE;
    ((mantissa + 1) << shift).wrapping_sub(1)
}

impl Histogram {
    pub(crate) fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The value under which `percentile` percent of the recorded ones lie (the highest value
    /// of the bucket that reaches it); 0 when nothing was recorded.
    pub(crate) fn percentile(&self, percentile: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let wanted = ((percentile / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted.min(self.total) {
                return highest_in(index);
            }
        }
        highest_in(BUCKETS - 1)
    }

    /// How many values are at most `micros`, within a bucket's width.
    pub(crate) fn count_at_most(&self, micros: u64) -> u64 {
        let last = bucket_of(micros);
        self.counts[..=last].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        for index in 1..BUCKETS {
            assert_eq!(
                highest_in(index - 1) + 1,
                lowest_in(index),
                "bucket {index}"
            );
        }
        assert_eq!(highest_in(BUCKETS - 1), u64::MAX);
    }

    fn lowest_in(index: usize) -> u64 {
        if index == 0 {
            0
        } else {
            highest_in(index - 1) + 1
        }
    }

    proptest! {
        #[test]
        fn a_value_lies_in_its_bucket_within_a_thirty_second(value in any::<u64>()) {
            let index = bucket_of(value);
            prop_assert!(lowest_in(index) <= value && value <= highest_in(index));
            let width = highest_in(index) - lowest_in(index);
            prop_assert!(width <= value / 32);
        }

        #[test]
        fn percentiles_match_the_sorted_values(
            mut values in proptest::collection::vec(0u64..100_000, 1..200),
            percentile in 0.0f64..=100.0,
        ) {
            let mut histogram = Histogram::default();
            for &value in &values {
                histogram.record(value);
            }
            values.sort_unstable();
            let rank = ((percentile / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
            let exact = values[rank.min(values.len()) - 1];
            let read = histogram.percentile(percentile);
            prop_assert!(read >= exact && read - exact <= exact / 32, "{read} vs {exact}");
            prop_assert_eq!(histogram.total(), values.len() as u64);
            let at_most = values.iter().filter(|&&value| value <= exact).count() as u64;
            prop_assert!(histogram.count_at_most(exact) >= at_most);
        }
    }
}
