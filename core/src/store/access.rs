//! The access clock kept beside every key, in 24 bits of a `u32` (the room Redis keeps in an
//! object's `lru` field), for OBJECT IDLETIME and FREQ and for choosing what to evict.
//!
//! Under an LRU policy (and no policy) it is the time of the last access in seconds, wrapping
//! at 2^24 seconds (194 days). Under an LFU policy it is a logarithmic access counter (low 8
//! bits) with the minute it was last decayed (high 16 bits, wrapping at 2^16 minutes): each
//! access raises the counter with probability `1 / ((counter - LFU_INIT) * lfu-log-factor + 1)`
//! and the counter loses one for every `lfu-decay-time` minutes without access, as in Redis.
//! A new key starts at `LFU_INIT` so that it is not evicted before it had a chance to be used.
//!
//! Times come from the caller's wall clock (virtual in the simulator); the draws for the LFU
//! counter come from a generator seeded with the keyspace's seed, so a run replays exactly.

use crate::time::UnixMillis;

/// The LRU clock wraps at this many seconds.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// The counter of a new key under an LFU policy.
pub const LFU_INIT: u8 = 5;
/// The LFU minute clock wraps at this.
const LFU_MINUTES_MAX: u32 = (1 << 16) - 1;

/// What the clock measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The time of the last access (every policy but the LFU ones).
    Lru,
    /// A logarithmic counter of accesses (`allkeys-lfu`, `volatile-lfu`).
    Lfu {
        /// `lfu-log-factor`: how slowly the counter climbs.
        log_factor: u32,
        /// `lfu-decay-time`: minutes per point the counter loses while unused (0: never).
        decay_minutes: u32,
    },
}

/// Stamps keys as they are created and accessed.
#[derive(Clone, Debug)]
pub struct AccessClock {
    mode: Mode,
    /// A splitmix64 state for the LFU counter's draws.
    random: u64,
}

impl AccessClock {
    pub fn new(seed: u64) -> AccessClock {
        AccessClock {
            mode: Mode::Lru,
            random: seed,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// The clock of a key created at `now`.
    pub fn fresh(&self, now: UnixMillis) -> u32 {
        match self.mode {
            Mode::Lru => lru_clock(now),
            Mode::Lfu { .. } => lfu_minutes(now) << 8 | u32::from(LFU_INIT),
        }
    }

    /// The clock of a key whose clock was `clock`, accessed at `now`.
    pub fn touched(&mut self, clock: u32, now: UnixMillis) -> u32 {
        match self.mode {
            Mode::Lru => lru_clock(now),
            Mode::Lfu {
                log_factor,
                decay_minutes,
            } => {
                let counter = lfu_counter(clock, now, decay_minutes);
                let counter = lfu_raised(counter, log_factor, self.draw());
                lfu_minutes(now) << 8 | u32::from(counter)
            }
        }
    }

    /// The clock of a key restored with IDLETIME `idle_secs` or FREQ `frequency` (RESTORE):
    /// the one this mode reads, if given.
    pub fn restored(
        &self,
        now: UnixMillis,
        idle_secs: Option<u64>,
        frequency: Option<u8>,
    ) -> Option<u32> {
        match self.mode {
            Mode::Lru => {
                let period = u64::from(LRU_CLOCK_MAX) + 1;
                let idle = idle_secs? % period;
                Some(((u64::from(lru_clock(now)) + period - idle) % period) as u32)
            }
            Mode::Lfu { .. } => Some(lfu_minutes(now) << 8 | u32::from(frequency?)),
        }
    }

    /// A number in [0, 1).
    fn draw(&mut self) -> f64 {
        self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The LRU clock at `now`: seconds, wrapping at `LRU_CLOCK_MAX`.
pub fn lru_clock(now: UnixMillis) -> u32 {
    (now.as_millis().div_euclid(1000) as u64 & u64::from(LRU_CLOCK_MAX)) as u32
}

/// Milliseconds since the access an LRU `clock` records (Redis's `estimateObjectIdleTime`: a
/// clock ahead of now is taken to have wrapped).
pub fn idle_millis(clock: u32, now: UnixMillis) -> u64 {
    let clock = clock & LRU_CLOCK_MAX;
    let current = lru_clock(now);
    let seconds = if current >= clock {
        current - clock
    } else {
        LRU_CLOCK_MAX - clock + current
    };
    u64::from(seconds) * 1000
}

/// The LFU minute clock at `now`.
fn lfu_minutes(now: UnixMillis) -> u32 {
    (now.as_millis().div_euclid(60_000) as u64 & u64::from(LFU_MINUTES_MAX)) as u32
}

/// The counter an LFU `clock` holds at `now`, after the decay due since it was stamped (what
/// OBJECT FREQ reports).
pub fn lfu_counter(clock: u32, now: UnixMillis, decay_minutes: u32) -> u8 {
    let stamped = (clock >> 8) & LFU_MINUTES_MAX;
    let counter = (clock & 0xff) as u8;
    if decay_minutes == 0 {
        return counter;
    }
    let current = lfu_minutes(now);
    let elapsed = if current >= stamped {
        current - stamped
    } else {
        LFU_MINUTES_MAX - stamped + current
    };
    let periods = elapsed / decay_minutes;
    counter.saturating_sub(periods.min(255) as u8)
}

/// The counter after one access, given a draw in [0, 1): the higher it is, the less likely it
/// climbs (255 is the top).
fn lfu_raised(counter: u8, log_factor: u32, draw: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT));
    let chance = 1.0 / (base * f64::from(log_factor) + 1.0);
    if draw < chance {
        counter + 1
    } else {
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_seconds(seconds: i64) -> UnixMillis {
        UnixMillis::from_millis(seconds * 1000)
    }

    #[test]
    fn idle_time_counts_whole_seconds_and_survives_the_clock_wrapping() {
        let clock = AccessClock::new(1);
        let stamped = clock.fresh(at_seconds(100));
        assert_eq!(idle_millis(stamped, at_seconds(100)), 0);
        assert_eq!(idle_millis(stamped, at_seconds(107)), 7000);
        let near_wrap = clock.fresh(at_seconds(i64::from(LRU_CLOCK_MAX) - 2));
        assert_eq!(
            idle_millis(near_wrap, at_seconds(i64::from(LRU_CLOCK_MAX) + 3)),
            4000
        );
    }

    #[test]
    fn a_new_key_starts_at_the_initial_count_and_decays_per_period() {
        let mut clock = AccessClock::new(1);
        clock.set_mode(Mode::Lfu {
            log_factor: 10,
            decay_minutes: 1,
        });
        let stamped = clock.fresh(at_seconds(600));
        assert_eq!(lfu_counter(stamped, at_seconds(600), 1), LFU_INIT);
        assert_eq!(
            lfu_counter(stamped, at_seconds(600 + 3 * 60), 1),
            LFU_INIT - 3
        );
        assert_eq!(
            lfu_counter(stamped, at_seconds(600 + 3 * 60), 2),
            LFU_INIT - 1
        );
        assert_eq!(lfu_counter(stamped, at_seconds(600 + 60 * 60), 1), 0);
        assert_eq!(lfu_counter(stamped, at_seconds(600 + 60 * 60), 0), LFU_INIT);
    }

    #[test]
    fn the_counter_climbs_logarithmically_and_stops_at_the_top() {
        let mut clock = AccessClock::new(7);
        clock.set_mode(Mode::Lfu {
            log_factor: 10,
            decay_minutes: 0,
        });
        let now = at_seconds(1);
        let mut stamped = clock.fresh(now);
        let mut counts = Vec::new();
        for accesses in 1..=100_000 {
            stamped = clock.touched(stamped, now);
            if [100, 1000, 100_000].contains(&accesses) {
                counts.push(lfu_counter(stamped, now, 0));
            }
        }
        // Redis's documented table for factor 10: about 10 after 100 hits, 18 after 1000,
        // 142 after 100,000 (draws make it approximate).
        assert!((8..=13).contains(&counts[0]), "{counts:?}");
        assert!((15..=22).contains(&counts[1]), "{counts:?}");
        assert!((120..=160).contains(&counts[2]), "{counts:?}");
        let mut top = AccessClock::new(7);
        top.set_mode(Mode::Lfu {
            log_factor: 0,
            decay_minutes: 0,
        });
        let mut stamped = top.fresh(now);
        for _ in 0..1000 {
            stamped = top.touched(stamped, now);
        }
        assert_eq!(lfu_counter(stamped, now, 0), u8::MAX);
    }
}
