//! What each command's run leaves for operators (INFO commandstats and latencystats, the slow
//! log, the latency monitor), and SLOWLOG and LATENCY, which read it.

use std::fmt::Write;

use super::args::{is_option, is_subcommand};
use super::table::{self, CommandSpec, Flags};
use super::{unknown_subcommand, wrong_arity, ArgCursor, CommandResult, Ctx};
use crate::connection::Connection;
use crate::effects::Effects;
use crate::introspect::slowlog::{Entry, SlowLog};
use crate::output::{LogLevel, Output};
use crate::protocol::resp::Args;
use crate::state::ServerState;

/// What a slow log entry shows in place of a secret.
const REDACTED: &[u8] = b"(redacted)";

/// A command of `session` ran for `micros` (0 without a stopwatch) and answered an error if
/// `failed`: counted for INFO commandstats and latencystats, and logged if slow enough.
pub(crate) fn command_ran(
    state: &mut ServerState,
    effects: &mut Effects,
    session: &Connection,
    spec: &'static CommandSpec,
    args: Args<'_>,
    micros: u64,
    failed: bool,
) {
    let (command, subcommand) = table::stat_slot(spec, args);
    let config = &state.config;
    let tracking = config.latency_tracking;
    let slower_than = config.slowlog_log_slower_than;
    let slowlog_max = config.slowlog_max_len;
    let threshold = config.latency_monitor_threshold_ms;
    let slow = slower_than >= 0
        && micros >= slower_than as u64
        && !spec.flags.contains(Flags::SKIP_SLOWLOG);
    // Read only for a slow command: the level is text, and this runs for every command.
    let log_slow = slow && config.loglevel_at_most(LogLevel::Verbose);
    let introspect = &mut state.introspect;
    let stat = introspect.commands.get_mut(command, subcommand);
    stat.calls += 1;
    stat.micros += micros;
    stat.failed += u64::from(failed);
    if tracking {
        stat.latencies
            .get_or_insert_with(Default::default)
            .record(micros);
    }
    let time_secs = state.now.wall.as_millis().div_euclid(1000);
    let event = if spec.flags.contains(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    introspect
        .latency
        .record(event, time_secs, micros / 1000, threshold);
    if slow {
        let entry = Entry {
            id: 0,
            time_secs,
            micros,
            args: Vec::new(),
            peer: session.peer.clone(),
            client_name: session.name.clone().unwrap_or_default(),
        };
        let secret = secret_arguments(args);
        let shown = args
            .iter()
            .enumerate()
            .map(|(at, arg)| if secret(at) { REDACTED } else { arg });
        introspect.slowlog.push(shown, entry, slowlog_max);
        if log_slow {
            log_slow_command(&introspect.slowlog, effects, micros);
        }
    }
}

/// With `loglevel verbose` (or `debug`), a slow command gets a log line too: the slow log's
/// newest entry, as text.
fn log_slow_command(slowlog: &SlowLog, effects: &mut Effects, micros: u64) {
    let Some(entry) = slowlog.entries().next() else {
        return;
    };
    let words: Vec<String> = entry
        .args
        .iter()
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    let message = format!(
        "Slow command from {} ({micros} us): {}",
        entry.peer,
        words.join(" ")
    );
    effects.output(Output::Log {
        level: LogLevel::Verbose,
        message,
    });
}

/// A known command was refused before it ran (a container's unknown subcommand is no command,
/// and is not counted, as in Redis).
pub(crate) fn command_rejected(ctx: &mut Ctx<'_, '_>, spec: &'static CommandSpec, args: Args<'_>) {
    if !spec.subcommands.is_empty() && spec.subcommand_named(args).is_none() {
        return;
    }
    let (command, subcommand) = table::stat_slot(spec, args);
    ctx.state
        .introspect
        .commands
        .get_mut(command, subcommand)
        .rejected += 1;
}

/// Which arguments carry secrets that MONITOR and the slow log must not show: passwords (AUTH,
/// HELLO's AUTH, MIGRATE's AUTH and AUTH2, CONFIG SET of a password) and every argument of
/// ACL SETUSER.
pub(crate) fn secret_arguments(args: Args<'_>) -> Box<dyn Fn(usize) -> bool> {
    let name = args.get(0).unwrap_or(b"");
    let second = args.get(1).unwrap_or(b"");
    let option_at = |option: &str| args.iter().position(|arg| is_option(arg, option));
    let (from, until) = if is_option(name, "AUTH") {
        (1, usize::MAX)
    } else if is_option(name, "ACL") && is_subcommand(second, "SETUSER") {
        (2, usize::MAX)
    } else if is_option(name, "CONFIG") && is_subcommand(second, "SET") {
        // Every value whose parameter is a password: each sits after its name.
        let names: Vec<bool> = args
            .iter()
            .map(|arg| is_option(arg, "masterauth") || is_option(arg, "requirepass"))
            .collect();
        return Box::new(move |at: usize| {
            at >= 3 && (at - 3).is_multiple_of(2) && names.get(at - 1).copied().unwrap_or(false)
        });
    } else if is_option(name, "HELLO") {
        option_at("AUTH").map_or((0, 0), |at| (at + 1, at + 3))
    } else if is_option(name, "MIGRATE") {
        match (option_at("AUTH"), option_at("AUTH2")) {
            (Some(at), _) => (at + 1, at + 2),
            (None, Some(at)) => (at + 1, at + 3),
            (None, None) => (0, 0),
        }
    } else {
        (0, 0)
    };
    Box::new(move |at| at >= from && at < until)
}

/// SLOWLOG GET [count] | LEN | RESET | HELP
pub(crate) fn slowlog(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    let log = &mut ctx.state.introspect.slowlog;
    if is_subcommand(subcommand, "GET") {
        let count = match args.remaining() {
            0 => 10,
            1 => {
                let count = args.next_i64()?;
                if count < -1 {
                    return Err("ERR count should be greater than or equal to -1".into());
                }
                if count == -1 {
                    usize::MAX
                } else {
                    count as usize
                }
            }
            _ => return Err(wrong_arity("slowlog|get")),
        };
        let shown = count.min(log.len());
        ctx.reply.array(shown);
        for entry in log.entries().take(shown) {
            ctx.reply.array(6);
            ctx.reply.integer(entry.id as i64);
            ctx.reply.integer(entry.time_secs);
            ctx.reply.integer(entry.micros as i64);
            ctx.reply.array(entry.args.len());
            for arg in &entry.args {
                ctx.reply.bulk(arg);
            }
            ctx.reply.bulk(entry.peer.as_bytes());
            ctx.reply.bulk(&entry.client_name);
        }
    } else if is_subcommand(subcommand, "LEN") {
        ctx.reply.integer(log.len() as i64);
    } else if is_subcommand(subcommand, "RESET") {
        log.reset();
        ctx.reply.ok();
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ]);
    } else {
        return Err(unknown_subcommand(subcommand, "SLOWLOG"));
    }
    Ok(())
}

/// LATENCY LATEST | HISTORY event | RESET [event ...] | DOCTOR | HISTOGRAM [command ...] | HELP
pub(crate) fn latency(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    let monitor = &mut ctx.state.introspect.latency;
    if is_subcommand(subcommand, "LATEST") {
        ctx.reply.array(monitor.events().count());
        for (name, series) in monitor.events() {
            let last = series.samples.back().copied().unwrap_or_default();
            ctx.reply.array(4);
            ctx.reply.bulk(name.as_bytes());
            ctx.reply.integer(last.time_secs);
            ctx.reply.integer(last.millis as i64);
            ctx.reply.integer(series.max_millis as i64);
        }
    } else if is_subcommand(subcommand, "HISTORY") {
        let event = args.next_bytes()?;
        if args.remaining() != 0 {
            return Err(wrong_arity("latency|history"));
        }
        let samples: Vec<_> = monitor
            .series(event)
            .map(|series| series.samples.iter().copied().collect())
            .unwrap_or_default();
        ctx.reply.array(samples.len());
        for sample in samples {
            ctx.reply.array(2);
            ctx.reply.integer(sample.time_secs);
            ctx.reply.integer(sample.millis as i64);
        }
    } else if is_subcommand(subcommand, "RESET") {
        let events: Vec<&[u8]> = args.rest().collect();
        let reset = monitor.reset(&events);
        ctx.reply.integer(reset as i64);
    } else if is_subcommand(subcommand, "DOCTOR") {
        let report = doctor(ctx);
        ctx.reply.verbatim(report.as_bytes());
    } else if is_subcommand(subcommand, "HISTOGRAM") {
        histogram(ctx, args);
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HELP",
            "    Prints this help.",
        ]);
    } else {
        return Err(unknown_subcommand(subcommand, "LATENCY"));
    }
    Ok(())
}

/// LATENCY DOCTOR: each event's samples in plain words, with what may help.
fn doctor(ctx: &Ctx<'_, '_>) -> String {
    let threshold = ctx.state.config.latency_monitor_threshold_ms;
    if threshold == 0 {
        return "The latency monitor is off: no event is recorded. Turn it on with \
                CONFIG SET latency-monitor-threshold <milliseconds>.\n"
            .to_string();
    }
    let monitor = &ctx.state.introspect.latency;
    if monitor.events().count() == 0 {
        return format!(
            "No event took {threshold} milliseconds or more since the monitor was last reset.\n"
        );
    }
    let mut report = String::new();
    for (index, (name, series)) in monitor.events().enumerate() {
        let count = series.samples.len() as u64;
        let total: u64 = series.samples.iter().map(|sample| sample.millis).sum();
        let average = total / count.max(1);
        let first = series.samples.front().map_or(0, |sample| sample.time_secs);
        let last = series.samples.back().map_or(0, |sample| sample.time_secs);
        let _ = writeln!(
            report,
            "{}. {name}: {count} latency spikes (average {average}ms, worst {}ms) over {} seconds.",
            index + 1,
            series.max_millis,
            last - first,
        );
    }
    report.push_str("\nWhat may help:\n");
    let names: Vec<&str> = monitor.events().map(|(name, _)| name).collect();
    if names.contains(&"command") {
        report.push_str(
            "- Slow commands are running. SLOWLOG GET lists them: look for commands over big \
             collections (KEYS, SMEMBERS, HGETALL, SORT, long ranges) and run them on smaller \
             pieces or less often.\n",
        );
    }
    if names.contains(&"fast-command") {
        report.push_str(
            "- Commands that should take constant time took long: the machine may be short of \
             CPU or swapping. Check its load and that the dataset fits in memory.\n",
        );
    }
    report
}

/// LATENCY HISTOGRAM [command ...]: each command's calls and cumulative counts by duration,
/// at powers of two microseconds.
fn histogram(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) {
    let wanted: Vec<&[u8]> = args.rest().collect();
    let stats = &ctx.state.introspect.commands;
    let shown: Vec<(String, &crate::introspect::histogram::Histogram)> = stats
        .counted()
        .filter_map(|(command, subcommand, stat)| {
            let latencies = stat.latencies.as_deref()?;
            let name = table::stat_name(command, subcommand);
            // A container's name asks for its subcommands too.
            let container = name.split('|').next().unwrap_or_default();
            let asked = wanted.is_empty()
                || wanted.iter().any(|wanted| {
                    wanted.eq_ignore_ascii_case(name.as_bytes())
                        || wanted.eq_ignore_ascii_case(container.as_bytes())
                });
            (asked && latencies.total() > 0).then_some((name, latencies))
        })
        .collect();
    ctx.reply.map(shown.len());
    for (name, latencies) in shown {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.map(2);
        ctx.reply.bulk(b"calls");
        ctx.reply.integer(latencies.total() as i64);
        ctx.reply.bulk(b"histogram_usec");
        let mut buckets = Vec::new();
        let mut previous = 0;
        let mut bound = 1u64;
        while previous < latencies.total() {
            let count = latencies.count_at_most(bound);
            if count > previous {
                buckets.push((bound, count));
            }
            previous = count;
            bound = bound.saturating_mul(2);
        }
        ctx.reply.map(buckets.len());
        for (bound, count) in buckets {
            ctx.reply.integer(bound as i64);
            ctx.reply.integer(count as i64);
        }
    }
}

/// The percentiles INFO latencystats shows, as `p50=1.000,p99=2.000`.
pub(crate) fn percentiles_text(
    latencies: &crate::introspect::histogram::Histogram,
    percentiles: &[f64],
) -> String {
    let mut text = String::new();
    for (index, percentile) in percentiles.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            "p{percentile}={:.3}",
            latencies.percentile(*percentile) as f64
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(args: &[&[u8]]) -> Vec<usize> {
        let bytes: Vec<u8> = args.concat();
        let mut ranges = Vec::new();
        let mut start = 0;
        for arg in args {
            ranges.push((start, arg.len()));
            start += arg.len();
        }
        let secret = secret_arguments(Args::from_ranges(&bytes, &ranges));
        (0..args.len()).filter(|&at| secret(at)).collect()
    }

    #[test]
    fn passwords_and_user_rules_are_secret() {
        assert_eq!(secrets(&[b"auth", b"user", b"pass"]), [1, 2]);
        assert_eq!(
            secrets(&[b"HELLO", b"3", b"AUTH", b"u", b"p", b"SETNAME", b"n"]),
            [3, 4]
        );
        assert_eq!(secrets(&[b"get", b"auth"]), Vec::<usize>::new());
        assert_eq!(secrets(&[b"acl", b"setuser", b"u", b"+get"]), [2, 3]);
        assert_eq!(
            secrets(&[b"config", b"set", b"maxmemory", b"1", b"requirepass", b"x"]),
            [5]
        );
        assert_eq!(
            secrets(&[b"CONFIG", b"SET", b"masterauth", b"a", b"requirepass", b"b"]),
            [3, 5]
        );
        assert_eq!(
            secrets(&[b"migrate", b"h", b"p", b"k", b"9", b"5", b"AUTH2", b"u", b"pw"]),
            [7, 8]
        );
    }
}
