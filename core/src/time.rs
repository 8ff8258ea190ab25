//! Time as the core sees it: passed in by the driver, never read from the OS.
//!
//! Two clocks, as in Redis: a monotonic one for timers (idle timeouts, the cron cadence) and the
//! wall clock for things users set in absolute terms (key expiry, TIME). The wall clock may jump
//! backwards; nothing may panic or misbehave then.

use std::fmt;

/// A point on the monotonic clock, in milliseconds since an arbitrary origin chosen by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);

    pub const fn from_millis(millis: u64) -> Instant {
        Instant(millis)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Saturating: a deadline far in the future stays far in the future.
    pub const fn plus_millis(self, millis: u64) -> Instant {
        Instant(self.0.saturating_add(millis))
    }

    /// Milliseconds from `earlier` to `self`, 0 if `earlier` is later.
    pub const fn millis_since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Wall-clock time: milliseconds since the Unix epoch. May go backwards between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(i64);

impl UnixMillis {
    pub const fn from_millis(millis: i64) -> UnixMillis {
        UnixMillis(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unix:{}ms", self.0)
    }
}

/// Both clocks at the moment of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    pub monotonic: Instant,
    pub wall: UnixMillis,
}

impl Now {
    pub const fn new(monotonic: Instant, wall: UnixMillis) -> Now {
        Now { monotonic, wall }
    }
}
