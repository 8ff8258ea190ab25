//! What the server tells about its own work: per-command counts and times (INFO
//! commandstats and latencystats, LATENCY HISTOGRAM), the slow log, the latency monitor and
//! the process's CPU time.
//!
//! The core reads no clock: durations come from the driver's stopwatch (`Server::set_stopwatch`),
//! a reading in microseconds taken once per command; CPU time is handed in as
//! the driver measures it (`Server::set_cpu_times`). The simulator's stopwatch is virtual, so a
//! run replays.

pub(crate) mod histogram;
pub(crate) mod latency;
pub(crate) mod slowlog;

use std::fmt;

use histogram::Histogram;

/// Reads the driver's monotonic clock in microseconds; without one every duration is 0.
///
/// One reading per command: a command's duration runs from the reading before it (the end of
/// the command before it, or `mark` when a run of commands begins) to the end of its handler,
/// so its parsing and checks count with it. Redis reads its clock twice per command; once is
/// enough here and leaves the clock's cost out of every other command.
#[derive(Default)]
pub(crate) struct Stopwatch {
    read: Option<Box<dyn FnMut() -> u64>>,
    last: u64,
}

impl Stopwatch {
    pub(crate) fn new(read: Box<dyn FnMut() -> u64>) -> Stopwatch {
        Stopwatch {
            read: Some(read),
            last: 0,
        }
    }

    /// A run of commands begins: what came before it is no command's time.
    pub(crate) fn mark(&mut self) {
        self.lap();
    }

    /// The latest reading.
    pub(crate) fn last(&self) -> u64 {
        self.last
    }

    /// Reads the clock, and keeps the reading as the next command's start.
    pub(crate) fn lap(&mut self) -> u64 {
        if let Some(read) = self.read.as_mut() {
            self.last = read().max(self.last);
        }
        self.last
    }
}

impl fmt::Debug for Stopwatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.read.is_some() {
            "Stopwatch(driver)"
        } else {
            "Stopwatch(none)"
        })
    }
}

/// The CPU time the process has used, as the driver measured it (INFO cpu).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user_micros: u64,
    pub system_micros: u64,
    /// The event loop's thread alone.
    pub main_thread_user_micros: u64,
    pub main_thread_system_micros: u64,
}

/// One command's (or subcommand's) counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommandStat {
    pub(crate) calls: u64,
    pub(crate) micros: u64,
    /// Refused before it ran (arity, permissions, memory, ...).
    pub(crate) rejected: u64,
    /// Ran and answered an error.
    pub(crate) failed: u64,
    /// Its durations, once it has run with `latency-tracking` on.
    pub(crate) latencies: Option<Box<Histogram>>,
}

impl CommandStat {
    fn is_empty(&self) -> bool {
        self.calls == 0 && self.rejected == 0 && self.failed == 0
    }
}

/// Every command's counters, by its place in the command table and its subcommand's place
/// (0 for the command itself).
#[derive(Debug, Clone, Default)]
pub(crate) struct CommandStats {
    by_command: Vec<Vec<CommandStat>>,
}

impl CommandStats {
    pub(crate) fn get_mut(&mut self, command: usize, subcommand: usize) -> &mut CommandStat {
        if self.by_command.len() <= command {
            self.by_command.resize_with(command + 1, Vec::new);
        }
        let subcommands = &mut self.by_command[command];
        if subcommands.len() <= subcommand {
            subcommands.resize_with(subcommand + 1, CommandStat::default);
        }
        &mut subcommands[subcommand]
    }

    /// Those with anything counted, as (command, subcommand, counters) in table order.
    pub(crate) fn counted(&self) -> impl Iterator<Item = (usize, usize, &CommandStat)> {
        self.by_command
            .iter()
            .enumerate()
            .flat_map(|(command, subcommands)| {
                subcommands
                    .iter()
                    .enumerate()
                    .map(move |(subcommand, stat)| (command, subcommand, stat))
            })
            .filter(|(_, _, stat)| !stat.is_empty())
    }

    pub(crate) fn reset(&mut self) {
        self.by_command.clear();
    }
}

/// The state behind INFO's cpu, commandstats and latencystats, SLOWLOG and LATENCY.
#[derive(Debug, Default)]
pub(crate) struct Introspect {
    pub(crate) stopwatch: Stopwatch,
    pub(crate) cpu: CpuTimes,
    pub(crate) commands: CommandStats,
    pub(crate) slowlog: slowlog::SlowLog,
    pub(crate) latency: latency::LatencyMonitor,
    pub(crate) rates: Rates,
    /// The most memory the process has had allocated, and what it had when it started.
    pub(crate) memory_peak_bytes: u64,
    pub(crate) memory_startup_bytes: u64,
}

impl Introspect {
    /// Panics if the counters or the slow log are inconsistent (tests, fuzzers, simulator).
    pub(crate) fn check_invariants(&self) {
        for (command, subcommand, stat) in self.commands.counted() {
            assert!(
                stat.failed <= stat.calls,
                "command {command}/{subcommand} failed more often than it ran"
            );
            let timed = stat
                .latencies
                .as_ref()
                .map_or(0, |latencies| latencies.total());
            assert!(timed <= stat.calls, "more durations than calls");
        }
        let ids: Vec<u64> = self.slowlog.entries().map(|entry| entry.id).collect();
        assert!(
            ids.windows(2).all(|pair| pair[0] > pair[1]),
            "slow log entries are newest first: {ids:?}"
        );
    }
}

/// How often the counters behind INFO's instantaneous rates are sampled, and how many samples
/// a rate averages (Redis's `STATS_METRIC_SAMPLES`).
const RATE_SAMPLE_MS: u64 = 100;
const RATE_SAMPLES: usize = 16;

/// The counters INFO shows a rate of: commands, bytes in, bytes out.
pub(crate) type RateCounters = [u64; 3];

/// INFO's `instantaneous_*` figures: per-second rates of the counters, each the mean of the
/// last samples taken by the cron.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rates {
    last: Option<(crate::time::Instant, RateCounters)>,
    samples: [[f64; 3]; RATE_SAMPLES],
    next: usize,
    filled: usize,
}

impl Rates {
    /// Takes a sample if the last one is old enough.
    pub(crate) fn sample(&mut self, now: crate::time::Instant, counters: RateCounters) {
        let Some((at, before)) = self.last else {
            self.last = Some((now, counters));
            return;
        };
        let elapsed = now.millis_since(at);
        if elapsed < RATE_SAMPLE_MS {
            return;
        }
        let mut rates = [0.0; 3];
        for (rate, (after, before)) in rates.iter_mut().zip(counters.iter().zip(before)) {
            *rate = after.saturating_sub(before) as f64 * 1000.0 / elapsed as f64;
        }
        self.samples[self.next] = rates;
        self.next = (self.next + 1) % RATE_SAMPLES;
        self.filled = (self.filled + 1).min(RATE_SAMPLES);
        self.last = Some((now, counters));
    }

    /// The mean rate per second of counter `which` (its place in `RateCounters`).
    pub(crate) fn per_second(&self, which: usize) -> f64 {
        if self.filled == 0 {
            return 0.0;
        }
        let sum: f64 = self.samples[..self.filled]
            .iter()
            .map(|rates| rates[which])
            .sum();
        sum / self.filled as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Instant;

    #[test]
    fn rates_are_means_per_second_of_the_samples() {
        let mut rates = Rates::default();
        rates.sample(Instant::from_millis(0), [0, 0, 0]);
        assert_eq!(rates.per_second(0), 0.0);
        rates.sample(Instant::from_millis(50), [100, 0, 0]);
        assert_eq!(rates.per_second(0), 0.0, "too soon for a sample");
        rates.sample(Instant::from_millis(100), [100, 1000, 0]);
        rates.sample(Instant::from_millis(300), [300, 1000, 0]);
        assert_eq!(rates.per_second(0), 1000.0);
        assert_eq!(rates.per_second(1), 5000.0);
        for step in 0..40u64 {
            rates.sample(Instant::from_millis(400 + step * 100), [300, 1000, 0]);
        }
        assert_eq!(rates.per_second(0), 0.0, "old samples leave the mean");
    }
}
