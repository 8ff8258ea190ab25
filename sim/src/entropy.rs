//! Where a run's randomness comes from: a seeded PCG stream, or fuzzer bytes (so that libFuzzer
//! can shrink a failing run). Everything that decides a run goes through `Rng`, in integers only.

use rand_core::Rng as _;

/// A stream of random words. Runs are a pure function of this stream and the options.
pub trait Entropy {
    fn next_u64(&mut self) -> u64;

    /// Whether every further word is a zero: fuzzer bytes that are used up. A seeded stream
    /// never ends.
    fn exhausted(&self) -> bool {
        false
    }
}

/// The seeded source behind `ferrodis-sim --seed N`.
pub struct SeedEntropy(rand_pcg::Pcg64Mcg);

impl SeedEntropy {
    pub fn new(seed: u64) -> SeedEntropy {
        // Spread the seed over the 128-bit state; the low bit must be set for an MCG.
        let state = (u128::from(seed) << 64 | u128::from(seed ^ 0x5851_f42d_4c95_7f2d)) << 1 | 1;
        SeedEntropy(rand_pcg::Pcg64Mcg::new(state))
    }
}

impl Entropy for SeedEntropy {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// Fuzzer bytes as entropy: eight bytes a word, then zeros once the bytes run out (zeros pick the
/// first choice everywhere, so a run always ends).
pub struct BytesEntropy<'a>(arbitrary::Unstructured<'a>);

impl<'a> BytesEntropy<'a> {
    pub fn new(bytes: &'a [u8]) -> BytesEntropy<'a> {
        BytesEntropy(arbitrary::Unstructured::new(bytes))
    }
}

impl Entropy for BytesEntropy<'_> {
    fn next_u64(&mut self) -> u64 {
        self.0.arbitrary::<u64>().unwrap_or(0)
    }

    fn exhausted(&self) -> bool {
        self.0.is_empty()
    }
}

/// A probability as an integer ratio: no floats decide anything in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub const NEVER: Ratio = Ratio::new(0, 1);

    pub const fn new(numerator: u64, denominator: u64) -> Ratio {
        assert!(denominator > 0 && numerator <= denominator);
        Ratio {
            numerator,
            denominator,
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// Integer helpers over an entropy source.
pub struct Rng<'a> {
    source: &'a mut dyn Entropy,
}

impl<'a> Rng<'a> {
    pub fn new(source: &'a mut dyn Entropy) -> Rng<'a> {
        Rng { source }
    }

    pub fn u64(&mut self) -> u64 {
        self.source.next_u64()
    }

    /// Whether the source is used up (see [`Entropy::exhausted`]).
    pub fn exhausted(&self) -> bool {
        self.source.exhausted()
    }

    /// Uniform in `0..bound` (bound > 0), by multiply-shift: no division, no loop.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0);
        ((u128::from(self.u64()) * u128::from(bound)) >> 64) as u64
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high);
        low + self.below(high - low + 1)
    }

    pub fn range_i64(&mut self, low: i64, high: i64) -> i64 {
        assert!(low <= high);
        low.wrapping_add(self.below(high.wrapping_sub(low) as u64 + 1) as i64)
    }

    /// True with probability `ratio`. Never once fuzzer bytes are used up: zeros would make
    /// every rare choice (a fault, a frame of 200,000 arguments) happen on every draw, and a
    /// run past its bytes is meant to wind down.
    pub fn chance(&mut self, ratio: Ratio) -> bool {
        ratio.numerator > 0 && !self.exhausted() && self.below(ratio.denominator) < ratio.numerator
    }

    pub fn bool(&mut self) -> bool {
        self.u64() & 1 == 1
    }

    /// A size biased towards small ones: each power of two up to `max` equally likely.
    pub fn size(&mut self, max: u64) -> u64 {
        let bits = 64 - max.leading_zeros() as u64;
        let top = self.below(bits + 1);
        let limit = if top == 0 { 0 } else { (1u64 << top) - 1 };
        self.below(limit.min(max) + 1)
    }

    /// Picks an index with the given integer weights (at least one non-zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        assert!(total > 0);
        let mut pick = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if pick < weight {
                return index;
            }
            pick -= weight;
        }
        unreachable!("the pick is below the total")
    }
}
