//! The latency monitor: for each kind of event that took at least
//! `latency-monitor-threshold` milliseconds, its latest samples (one a second, the worst of
//! that second) and its worst ever, as Redis's LATENCY command reports them.

use std::collections::{BTreeMap, VecDeque};

/// Samples kept per event, as Redis keeps.
const SAMPLES_MAX: usize = 160;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) time_secs: i64,
    pub(crate) millis: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    /// Oldest first.
    pub(crate) samples: VecDeque<Sample>,
    pub(crate) max_millis: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct LatencyMonitor {
    events: BTreeMap<&'static str, Series>,
}

impl LatencyMonitor {
    /// `event` took `millis` at `time_secs`: logged if the threshold is set and reached.
    pub(crate) fn record(
        &mut self,
        event: &'static str,
        time_secs: i64,
        millis: u64,
        threshold: u64,
    ) {
        if threshold == 0 || millis < threshold {
            return;
        }
        let series = self.events.entry(event).or_default();
        series.max_millis = series.max_millis.max(millis);
        if let Some(last) = series.samples.back_mut() {
            if last.time_secs == time_secs {
                last.millis = last.millis.max(millis);
                return;
            }
        }
        if series.samples.len() == SAMPLES_MAX {
            series.samples.pop_front();
        }
        series.samples.push_back(Sample { time_secs, millis });
    }

    pub(crate) fn events(&self) -> impl Iterator<Item = (&'static str, &Series)> {
        self.events.iter().map(|(name, series)| (*name, series))
    }

    pub(crate) fn series(&self, event: &[u8]) -> Option<&Series> {
        self.events
            .iter()
            .find(|(name, _)| name.as_bytes() == event)
            .map(|(_, series)| series)
    }

    /// Forgets the named events (every one with no names); how many there were.
    pub(crate) fn reset(&mut self, events: &[&[u8]]) -> usize {
        if events.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        let before = self.events.len();
        self.events
            .retain(|name, _| !events.contains(&name.as_bytes()));
        before - self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_keep_the_worst_of_each_second_and_the_worst_ever() {
        let mut monitor = LatencyMonitor::default();
        monitor.record("command", 10, 5, 0);
        assert!(monitor.series(b"command").is_none(), "threshold 0 is off");
        monitor.record("command", 10, 5, 10);
        assert!(monitor.series(b"command").is_none(), "below the threshold");
        monitor.record("command", 10, 15, 10);
        monitor.record("command", 10, 12, 10);
        monitor.record("command", 11, 11, 10);
        let series = monitor.series(b"command").unwrap();
        let samples: Vec<(i64, u64)> = series
            .samples
            .iter()
            .map(|sample| (sample.time_secs, sample.millis))
            .collect();
        assert_eq!(samples, [(10, 15), (11, 11)]);
        assert_eq!(series.max_millis, 15);
        for second in 0..200 {
            monitor.record("command", 100 + second, 20, 10);
        }
        assert_eq!(
            monitor.series(b"command").unwrap().samples.len(),
            SAMPLES_MAX
        );
        monitor.record("fast-command", 1, 20, 10);
        assert_eq!(monitor.reset(&[b"command", b"nothing"]), 1);
        assert_eq!(monitor.reset(&[]), 1);
        assert_eq!(monitor.events().count(), 0);
    }
}
