//! Redis-style log lines: `pid:M 25 Nov 2026 12:34:56.789 * message`.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    /// The level of a line the core logs.
    pub fn of(level: ferrodis_core::LogLevel) -> Level {
        match level {
            ferrodis_core::LogLevel::Debug => Level::Debug,
            ferrodis_core::LogLevel::Verbose => Level::Verbose,
            ferrodis_core::LogLevel::Notice => Level::Notice,
            ferrodis_core::LogLevel::Warning => Level::Warning,
        }
    }

    pub fn parse(name: &str) -> Level {
        match name {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "warning" => Level::Warning,
            "nothing" => Level::Warning,
            _ => Level::Notice,
        }
    }

    /// Redis's marks: `.` debug, `-` verbose, `*` notice, `#` warning.
    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

static THRESHOLD: AtomicU8 = AtomicU8::new(Level::Notice as u8);

pub fn set_level(level: Level) {
    THRESHOLD.store(level as u8, Ordering::Relaxed);
}

pub fn log(level: Level, message: std::fmt::Arguments<'_>) {
    if (level as u8) < THRESHOLD.load(Ordering::Relaxed) {
        return;
    }
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        timestamp(since_epoch.as_millis() as i64),
        level.mark(),
        message
    );
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// `25 Nov 2026 12:34:56.789` in UTC.
fn timestamp(unix_millis: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_millis.div_euclid(86_400_000);
    let of_day = unix_millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(month - 1) as usize],
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    )
}

/// Howard Hinnant's days-to-civil-date algorithm (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[macro_export]
macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {
        $crate::log::log($level, format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(timestamp(1_795_613_696_789), "25 Nov 2026 13:34:56.789");
        assert_eq!(timestamp(951_782_400_000), "29 Feb 2000 00:00:00.000");
    }
}
