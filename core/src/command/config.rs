//! CONFIG GET / SET / RESETSTAT over the parameters ferrodis has.

use super::args::is_subcommand;
use super::{unknown_subcommand, wrong_arity, ArgCursor, CommandError, CommandResult, Ctx};
use crate::config::{Allowed, ClientsMemory, Config, EvictionPolicy, OutputLimit};
use crate::notify;
use crate::output::Output;
use crate::persistence::{DiskRequest, FileOp, SavePoint};
use crate::stats::Stats;
use crate::util::glob::glob_match;

/// How a parameter is read and written. `set` returns Redis's reason text on a bad value.
struct Parameter {
    name: &'static str,
    get: fn(&Config) -> String,
    set: fn(&mut Config, &str) -> Result<(), &'static str>,
    /// Whether CONFIG SET may change it.
    change: Change,
}

/// What CONFIG SET may do to a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Runtime,
    /// Only the config file and flags give it.
    Never,
    /// Where the server listens (`bind`, `port`): Redis moves its listener; the driver here
    /// listens where it started, so CONFIG SET takes the value it has and refuses others.
    Listener,
}

fn parse_number<T: std::str::FromStr>(text: &str) -> Result<T, &'static str> {
    text.parse()
        .map_err(|_| "argument couldn't be parsed into an integer")
}

/// Redis's memory units: `1gb`, `512mb`, `100k`...
fn parse_memory(text: &str) -> Result<usize, &'static str> {
    let lower = text.to_ascii_lowercase();
    let units: [(&str, usize); 8] = [
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1_000),
        ("b", 1),
        ("", 1),
    ];
    for (suffix, multiplier) in units {
        if let Some(number) = lower.strip_suffix(suffix) {
            let number: usize = number
                .parse()
                .map_err(|_| "argument must be a memory value")?;
            return number
                .checked_mul(multiplier)
                .ok_or("argument must be a memory value");
        }
    }
    Err("argument must be a memory value")
}

/// `maxmemory-clients`: a memory value, or a whole percentage of `maxmemory` (`10%`).
fn parse_clients_memory(text: &str) -> Result<ClientsMemory, &'static str> {
    const NEITHER: &str = "argument must be a memory or percent value";
    if let Some(number) = text.strip_suffix('%') {
        let digits = !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit());
        let percent: u64 = number
            .parse()
            .ok()
            .filter(|_| digits && (number == "0" || !number.starts_with('0')))
            .ok_or(NEITHER)?;
        if percent > 100 {
            return Err("percentage argument must be less or equal to 100");
        }
        return Ok(ClientsMemory::Percent(percent as u32));
    }
    let bytes = parse_memory(text).map_err(|_| NEITHER)?;
    Ok(ClientsMemory::Bytes(bytes as u64))
}

/// `latency-tracking-info-percentiles`: numbers from 0 to 100, apart by spaces.
fn parse_percentiles(text: &str) -> Result<Vec<f64>, &'static str> {
    text.split_whitespace()
        .map(|word| {
            word.parse::<f64>()
                .ok()
                .filter(|percentile| (0.0..=100.0).contains(percentile))
                .ok_or("latency-tracking-info-percentiles should be a list of numbers between 0 and 100")
        })
        .collect()
}

fn yes_no(on: bool) -> String {
    if on { "yes" } else { "no" }.to_string()
}

fn parse_allowed(text: &str) -> Result<Allowed, &'static str> {
    Allowed::parse(text).ok_or("argument(s) must be one of the following: no, yes, local")
}

fn parse_yes_no(text: &str) -> Result<bool, &'static str> {
    match text.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'"),
    }
}

/// `save`: `<seconds> <changes>` pairs, or nothing (no save points).
pub(crate) fn parse_save_points(text: &str) -> Result<Vec<SavePoint>, &'static str> {
    let numbers: Vec<&str> = text.split_whitespace().collect();
    if !numbers.len().is_multiple_of(2) {
        return Err("Invalid save parameters");
    }
    numbers
        .chunks(2)
        .map(|pair| {
            let secs = pair[0].parse().map_err(|_| "Invalid save parameters")?;
            let changes = pair[1].parse().map_err(|_| "Invalid save parameters")?;
            Ok(SavePoint { secs, changes })
        })
        .collect()
}

/// Parameters that exist only to answer clients and tools that ask (redis-benchmark reads
/// `appendonly`): their values are fixed.
fn fixed(value: &'static str) -> String {
    value.to_string()
}

/// Parameters that set one field, each under every name given (Redis's name, then the name
/// it had before 7.0).
macro_rules! field_parameters {
    ($($field:ident, $parse:ident, [$($name:literal),+];)*) => {
        [$($(
            Parameter {
                name: $name,
                get: |config| config.$field.to_string(),
                set: |config, text| {
                    config.$field = $parse(text)?;
                    Ok(())
                },
                change: Change::Runtime,
            },
        )+)*]
    };
}

/// When small collections leave their packed encodings (and a HyperLogLog its sparse one):
/// Redis's names and units, with the older `ziplist` names as aliases (clients and Redis's own
/// tests still use them).
static ENCODING_PARAMETERS: [Parameter; 13] = field_parameters![
    hash_max_listpack_entries, parse_size, ["hash-max-listpack-entries", "hash-max-ziplist-entries"];
    hash_max_listpack_value, parse_memory, ["hash-max-listpack-value", "hash-max-ziplist-value"];
    set_max_intset_entries, parse_size, ["set-max-intset-entries"];
    zset_max_listpack_entries, parse_size, ["zset-max-listpack-entries", "zset-max-ziplist-entries"];
    zset_max_listpack_value, parse_memory, ["zset-max-listpack-value", "zset-max-ziplist-value"];
    list_max_listpack_size, parse_int, ["list-max-listpack-size", "list-max-ziplist-size"];
    list_compress_depth, parse_depth, ["list-compress-depth"];
    hll_sparse_bytes_max, parse_memory_long, ["hll-sparse-max-bytes"];
];

/// A memory value Redis keeps in a `size_t` bounded by `LONG_MAX` (`hll-sparse-max-bytes`).
fn parse_memory_long(text: &str) -> Result<usize, &'static str> {
    let bytes = parse_memory(text)?;
    if bytes > i64::MAX as usize {
        return Err("argument must be between 0 and 9223372036854775807 inclusive");
    }
    Ok(bytes)
}

/// A C `int`, as Redis reads `list-max-listpack-size`.
fn parse_int(text: &str) -> Result<i64, &'static str> {
    let value: i64 = parse_number(text)?;
    if i32::try_from(value).is_err() {
        return Err("argument must be between -2147483648 and 2147483647 inclusive");
    }
    Ok(value)
}

/// A C `int` of at least 0, as Redis reads `list-compress-depth` and `min-replicas-to-write`.
fn parse_depth(text: &str) -> Result<i64, &'static str> {
    let value: i64 = parse_number(text)?;
    if !(0..=i64::from(i32::MAX)).contains(&value) {
        return Err("argument must be between 0 and 2147483647 inclusive");
    }
    Ok(value)
}

/// A memory value of at least a megabyte (`proto-max-bulk-len`, `client-query-buffer-limit`:
/// less would refuse ordinary requests or close every client).
fn parse_memory_from_1mb(text: &str) -> Result<usize, &'static str> {
    let bytes = parse_memory(text)?;
    if !(1024 * 1024..=i64::MAX as usize).contains(&bytes) {
        return Err("argument must be between 1048576 and 9223372036854775807 inclusive");
    }
    Ok(bytes)
}

/// A count Redis reads as a `long` of at least 0.
fn parse_size(text: &str) -> Result<usize, &'static str> {
    let value: i64 = parse_number(text)?;
    usize::try_from(value)
        .map_err(|_| "argument must be between 0 and 9223372036854775807 inclusive")
}

/// A file's name, not a path (Redis's `isValidAOFfilename` and `isValidAOFdirname`).
fn file_name(text: &str, what: &str) -> Result<String, &'static str> {
    if text.is_empty() || text.contains('/') || text == "." || text == ".." {
        return Err(match what {
            "appenddirname" => "appenddirname can't be a path, just a dirname",
            _ => "appendfilename can't be a path, just a filename",
        });
    }
    Ok(text.to_string())
}

/// Every parameter.
fn parameters() -> impl Iterator<Item = &'static Parameter> {
    PARAMETERS
        .iter()
        .chain(ENCODING_PARAMETERS.iter())
        .chain(HIDDEN_PARAMETERS.iter())
}

/// Parameters for tests and debugging: CONFIG GET shows them only when asked by name, not to
/// a pattern (as Redis hides them).
static HIDDEN_PARAMETERS: [Parameter; 1] = [Parameter {
    name: "key-load-delay",
    get: |config| config.key_load_delay_us.to_string(),
    set: |config, text| {
        config.key_load_delay_us = parse_int(text)?;
        Ok(())
    },
    change: Change::Runtime,
}];

fn is_hidden(parameter: &Parameter) -> bool {
    HIDDEN_PARAMETERS
        .iter()
        .any(|hidden| std::ptr::eq(hidden, parameter))
}

static PARAMETERS: &[Parameter] = &[
    Parameter {
        name: "appendonly",
        get: |config| yes_no(config.appendonly),
        set: |config, text| {
            config.appendonly = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "appendfsync",
        get: |config| config.appendfsync.name().to_string(),
        set: |config, text| {
            config.appendfsync = crate::aof::Fsync::parse(text)
                .ok_or("argument(s) must be one of the following: always, everysec, no")?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "appendfilename",
        get: |config| config.appendfilename.clone(),
        set: |config, text| {
            config.appendfilename = file_name(text, "appendfilename")?;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "appenddirname",
        get: |config| config.appenddirname.clone(),
        set: |config, text| {
            config.appenddirname = file_name(text, "appenddirname")?;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "auto-aof-rewrite-percentage",
        get: |config| config.auto_aof_rewrite_percentage.to_string(),
        set: |config, text| {
            let value: i64 = parse_number(text)?;
            config.auto_aof_rewrite_percentage = u64::try_from(value)
                .map_err(|_| "argument must be between 0 and 2147483647 inclusive")?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "auto-aof-rewrite-min-size",
        get: |config| config.auto_aof_rewrite_min_size.to_string(),
        set: |config, text| {
            config.auto_aof_rewrite_min_size = parse_memory_long(text)? as u64;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "daemonize",
        get: |_| fixed("no"),
        set: |_, text| match text.to_ascii_lowercase().as_str() {
            "no" => Ok(()),
            _ => Err("argument must be 'no': ferrodis runs in the foreground"),
        },
        change: Change::Never,
    },
    Parameter {
        name: "bind",
        get: |config| config.bind.clone(),
        set: |config, text| {
            // One address: the first of Redis's list (the driver listens on it).
            let first = text
                .split_whitespace()
                .next()
                .ok_or("argument must be an address")?;
            config.bind = first.to_string();
            Ok(())
        },
        change: Change::Listener,
    },
    Parameter {
        name: "client-output-buffer-limit",
        get: |config| {
            format!(
                "normal {} {} {} slave {} {} {} pubsub {} {} {}",
                config.output_buffer_hard_bytes,
                config.output_buffer_soft_bytes,
                config.output_buffer_soft_secs,
                config.replica_output_limit.hard_bytes,
                config.replica_output_limit.soft_bytes,
                config.replica_output_limit.soft_secs,
                config.pubsub_output_limit.hard_bytes,
                config.pubsub_output_limit.soft_bytes,
                config.pubsub_output_limit.soft_secs,
            )
        },
        set: |config, text| {
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.is_empty() || !words.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.");
            }
            for class in words.chunks(4) {
                let hard = parse_memory(class[1])?;
                let soft = parse_memory(class[2])?;
                let secs: u64 = parse_number(class[3])?;
                match class[0].to_ascii_lowercase().as_str() {
                    "normal" => {
                        config.output_buffer_hard_bytes = hard;
                        config.output_buffer_soft_bytes = soft;
                        config.output_buffer_soft_secs = secs;
                    }
                    "pubsub" | "slave" | "replica" => {
                        let limit = OutputLimit {
                            hard_bytes: hard,
                            soft_bytes: soft,
                            soft_secs: secs,
                        };
                        if class[0].eq_ignore_ascii_case("pubsub") {
                            config.pubsub_output_limit = limit;
                        } else {
                            config.replica_output_limit = limit;
                        }
                    }
                    _ => {
                        return Err("Invalid client class specified in buffer limit configuration.")
                    }
                }
            }
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "client-query-buffer-limit",
        get: |config| config.query_buffer_bytes_max.to_string(),
        set: |config, text| {
            config.query_buffer_bytes_max = parse_memory_from_1mb(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "databases",
        get: |config| config.databases.to_string(),
        set: |config, text| {
            let databases: usize = parse_number(text)?;
            if !(1..=1_000_000).contains(&databases) {
                return Err("argument must be between 1 and 1000000 inclusive");
            }
            config.databases = databases;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "hz",
        get: |config| config.hz.to_string(),
        set: |config, text| {
            // Redis takes 0 to INT_MAX and clamps it into 1..=500.
            config.hz = (parse_depth(text)? as u32).clamp(1, 500);
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "loglevel",
        get: |config| config.loglevel.clone(),
        set: |config, text| {
            let level = text.to_ascii_lowercase();
            if !["debug", "verbose", "notice", "warning"].contains(&level.as_str()) {
                return Err(
                    "argument(s) must be one of the following: debug, verbose, notice, warning",
                );
            }
            config.loglevel = level;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxclients",
        get: |config| config.clients_max.to_string(),
        set: |config, text| {
            let clients: i64 = parse_number(text)?;
            if !(1..=i64::from(u32::MAX)).contains(&clients) {
                return Err("argument must be between 1 and 4294967295 inclusive");
            }
            config.clients_max = clients as usize;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxmemory",
        get: |config| config.maxmemory_bytes.to_string(),
        set: |config, text| {
            config.maxmemory_bytes = parse_memory(text)? as u64;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxmemory-clients",
        get: |config| match config.maxmemory_clients {
            ClientsMemory::Bytes(bytes) => bytes.to_string(),
            ClientsMemory::Percent(percent) => format!("{percent}%"),
        },
        set: |config, text| {
            config.maxmemory_clients = parse_clients_memory(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxmemory-policy",
        get: |config| config.maxmemory_policy.name().to_string(),
        set: |config, text| {
            config.maxmemory_policy = EvictionPolicy::parse(text).ok_or(
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
                 volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
                 noeviction",
            )?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxmemory-samples",
        get: |config| config.maxmemory_samples.to_string(),
        set: |config, text| {
            let samples: i64 = parse_number(text)?;
            if !(1..=i64::from(i32::MAX)).contains(&samples) {
                return Err("argument must be between 1 and 2147483647 inclusive");
            }
            config.maxmemory_samples = samples as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "maxmemory-eviction-tenacity",
        get: |config| config.maxmemory_eviction_tenacity.to_string(),
        set: |config, text| {
            let tenacity: i64 = parse_number(text)?;
            if !(0..=100).contains(&tenacity) {
                return Err("argument must be between 0 and 100 inclusive");
            }
            config.maxmemory_eviction_tenacity = tenacity as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "lfu-log-factor",
        get: |config| config.lfu_log_factor.to_string(),
        set: |config, text| {
            config.lfu_log_factor = parse_depth(text)? as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "lfu-decay-time",
        get: |config| config.lfu_decay_time_mins.to_string(),
        set: |config, text| {
            config.lfu_decay_time_mins = parse_depth(text)? as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "lazyfree-lazy-eviction",
        get: |config| yes_no(config.lazyfree_lazy_eviction),
        set: |config, text| {
            config.lazyfree_lazy_eviction = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "notify-keyspace-events",
        get: |config| notify::format(config.notify_keyspace_events),
        set: |config, text| {
            config.notify_keyspace_events = notify::parse(text)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "slowlog-log-slower-than",
        get: |config| config.slowlog_log_slower_than.to_string(),
        set: |config, text| {
            config.slowlog_log_slower_than = parse_number(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "slowlog-max-len",
        get: |config| config.slowlog_max_len.to_string(),
        set: |config, text| {
            config.slowlog_max_len = parse_size(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "latency-monitor-threshold",
        get: |config| config.latency_monitor_threshold_ms.to_string(),
        set: |config, text| {
            config.latency_monitor_threshold_ms = parse_size(text)? as u64;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "latency-tracking",
        get: |config| yes_no(config.latency_tracking),
        set: |config, text| {
            config.latency_tracking = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "latency-tracking-info-percentiles",
        get: |config| {
            let shown: Vec<String> = config
                .latency_tracking_percentiles
                .iter()
                .map(|percentile| percentile.to_string())
                .collect();
            shown.join(" ")
        },
        set: |config, text| {
            config.latency_tracking_percentiles = parse_percentiles(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "busy-reply-threshold",
        get: busy_reply_threshold,
        set: set_busy_reply_threshold,
        change: Change::Runtime,
    },
    // Redis's older name for the same setting.
    Parameter {
        name: "lua-time-limit",
        get: busy_reply_threshold,
        set: set_busy_reply_threshold,
        change: Change::Runtime,
    },
    Parameter {
        name: "min-replicas-to-write",
        get: |config| config.min_replicas_to_write.to_string(),
        set: |config, text| {
            config.min_replicas_to_write = parse_depth(text)? as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "min-replicas-max-lag",
        get: |config| config.min_replicas_max_lag_secs.to_string(),
        set: |config, text| {
            config.min_replicas_max_lag_secs = parse_depth(text)? as u32;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "tracking-table-max-keys",
        get: |config| config.tracking_table_keys_max.to_string(),
        set: |config, text| {
            config.tracking_table_keys_max = parse_size(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "port",
        get: |config| config.port.to_string(),
        set: |config, text| {
            let port: i64 = parse_number(text)?;
            config.port = u16::try_from(port)
                .map_err(|_| "argument must be between 0 and 65535 inclusive")?;
            Ok(())
        },
        change: Change::Listener,
    },
    Parameter {
        name: "proto-max-bulk-len",
        get: |config| config.bulk_bytes_max.to_string(),
        set: |config, text| {
            config.bulk_bytes_max = parse_memory_from_1mb(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    // There is no replication: the backlog a primary would keep for its replicas is a setting
    // only (Redis's range), and this server is never a replica.
    Parameter {
        name: "repl-backlog-size",
        get: |config| config.repl_backlog_bytes.to_string(),
        set: |config, text| {
            let bytes = parse_memory_long(text)?;
            if bytes == 0 {
                return Err("argument must be between 1 and 9223372036854775807 inclusive");
            }
            config.repl_backlog_bytes = bytes;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "replicaof",
        get: |_| String::new(),
        set: |_, _| Err("ferrodis has no replication"),
        change: Change::Never,
    },
    Parameter {
        name: "slaveof",
        get: |_| String::new(),
        set: |_, _| Err("ferrodis has no replication"),
        change: Change::Never,
    },
    Parameter {
        name: "dbfilename",
        get: |config| config.dbfilename.clone(),
        set: |config, text| {
            if text.contains('/') {
                return Err("dbfilename can't be a path, just a filename");
            }
            config.dbfilename = text.to_string();
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "dir",
        get: |config| config.dir.clone(),
        set: |config, text| {
            if text.is_empty() {
                return Err("No such file or directory");
            }
            config.dir = text.to_string();
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "rdbchecksum",
        get: |config| yes_no(config.rdb_checksum),
        set: |config, text| {
            config.rdb_checksum = parse_yes_no(text)?;
            Ok(())
        },
        // Redis sets it only at start.
        change: Change::Never,
    },
    Parameter {
        name: "aof-load-truncated",
        get: |config| yes_no(config.aof_load_truncated),
        set: |config, text| {
            config.aof_load_truncated = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "aof-use-rdb-preamble",
        get: |config| yes_no(config.aof_use_rdb_preamble),
        set: |config, text| {
            config.aof_use_rdb_preamble = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "no-appendfsync-on-rewrite",
        get: |config| yes_no(config.no_appendfsync_on_rewrite),
        set: |config, text| {
            config.no_appendfsync_on_rewrite = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "rdb-save-incremental-fsync",
        get: |config| yes_no(config.rdb_save_incremental_fsync),
        set: |config, text| {
            config.rdb_save_incremental_fsync = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "aof-rewrite-incremental-fsync",
        get: |config| yes_no(config.aof_rewrite_incremental_fsync),
        set: |config, text| {
            config.aof_rewrite_incremental_fsync = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "aof-timestamp-enabled",
        get: |config| yes_no(config.aof_timestamp_enabled),
        set: |config, text| {
            config.aof_timestamp_enabled = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "rdbcompression",
        get: |config| yes_no(config.rdb_compression),
        set: |config, text| {
            config.rdb_compression = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "aclfile",
        get: |config| config.aclfile.clone().unwrap_or_default(),
        set: |config, text| {
            config.aclfile = (!text.is_empty()).then(|| text.to_string());
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "acl-pubsub-default",
        get: |config| {
            let name = if config.acl_pubsub_default_all {
                "allchannels"
            } else {
                "resetchannels"
            };
            name.to_string()
        },
        set: |config, text| {
            config.acl_pubsub_default_all = match text.to_ascii_lowercase().as_str() {
                "allchannels" => true,
                "resetchannels" => false,
                _ => {
                    return Err(
                        "argument(s) must be one of the following: allchannels, resetchannels",
                    )
                }
            };
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "requirepass",
        get: |config| {
            config
                .requirepass
                .as_deref()
                .map(|password| String::from_utf8_lossy(password).into_owned())
                .unwrap_or_default()
        },
        set: |config, text| {
            config.requirepass = (!text.is_empty()).then(|| text.as_bytes().to_vec());
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "save",
        get: |config| {
            let points: Vec<String> = config
                .save_points
                .iter()
                .map(|point| format!("{} {}", point.secs, point.changes))
                .collect();
            points.join(" ")
        },
        set: |config, text| {
            config.save_points = parse_save_points(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "stop-writes-on-bgsave-error",
        get: |config| yes_no(config.stop_writes_on_bgsave_error),
        set: |config, text| {
            config.stop_writes_on_bgsave_error = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "acllog-max-len",
        get: |config| config.acllog_max_len.to_string(),
        set: |config, text| {
            config.acllog_max_len = parse_size(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "tcp-backlog",
        get: |config| config.tcp_backlog.to_string(),
        set: |config, text| {
            config.tcp_backlog = parse_depth(text)? as u32;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "protected-mode",
        get: |config| yes_no(config.protected_mode),
        set: |config, text| {
            config.protected_mode = parse_yes_no(text)?;
            Ok(())
        },
        change: Change::Runtime,
    },
    Parameter {
        name: "enable-debug-command",
        get: |config| config.enable_debug_command.name().to_string(),
        set: |config, text| {
            config.enable_debug_command = parse_allowed(text)?;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "enable-protected-configs",
        get: |config| config.enable_protected_configs.name().to_string(),
        set: |config, text| {
            config.enable_protected_configs = parse_allowed(text)?;
            Ok(())
        },
        change: Change::Never,
    },
    Parameter {
        name: "timeout",
        get: |config| config.idle_timeout_secs.to_string(),
        set: |config, text| {
            config.idle_timeout_secs = parse_depth(text)? as u64;
            Ok(())
        },
        change: Change::Runtime,
    },
];

/// CONFIG GET parameter [parameter ...] | SET parameter value [parameter value ...] | RESETSTAT
/// | REWRITE
pub(crate) fn config(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "GET") {
        if args.remaining() == 0 {
            return Err(wrong_arity("config|get"));
        }
        // A name without glob characters is answered under the name as it was typed (Redis
        // echoes `MAXCLIENTS`); a pattern lists the names it matches.
        let mut matched: Vec<(&[u8], &Parameter)> = Vec::new();
        for pattern in args.rest() {
            let is_glob = pattern.iter().any(|byte| b"*?[\\".contains(byte));
            for parameter in parameters() {
                let name = parameter.name.as_bytes();
                let shown = if is_glob {
                    (!is_hidden(parameter) && glob_match(pattern, name, true)).then_some(name)
                } else {
                    pattern.eq_ignore_ascii_case(name).then_some(pattern)
                };
                if let Some(shown) = shown {
                    if !matched.iter().any(|(seen, _)| *seen == shown) {
                        matched.push((shown, parameter));
                    }
                }
            }
        }
        ctx.reply.map(matched.len());
        for (name, parameter) in matched {
            ctx.reply.bulk(name);
            ctx.reply
                .bulk((parameter.get)(&ctx.state.config).as_bytes());
        }
    } else if is_subcommand(subcommand, "SET") {
        if args.remaining() < 2 || !args.remaining().is_multiple_of(2) {
            return Err(wrong_arity("config|set"));
        }
        config_set(ctx, args)?;
        ctx.reply.ok();
    } else if is_subcommand(subcommand, "REWRITE") {
        if args.remaining() != 0 {
            return Err(wrong_arity("config|rewrite"));
        }
        let path = ctx.state.config.host.config_file.clone();
        if path.is_empty() {
            return Err("ERR The server is running without a config file".into());
        }
        if !ctx.may_block {
            return Err(super::NO_WAITING_HERE.into());
        }
        let token = ctx.state.persistence.token();
        ctx.effects.output(Output::Disk {
            token,
            request: DiskRequest::Read { path },
        });
        ctx.state.files.request(token, ctx.id, FileOp::ConfigRead);
        ctx.wait_for_save = true;
    } else if is_subcommand(subcommand, "RESETSTAT") {
        if args.remaining() != 0 {
            return Err(wrong_arity("config|resetstat"));
        }
        ctx.state.stats = Stats::default();
        ctx.state.introspect.commands.reset();
        ctx.reply.ok();
    } else {
        return Err(unknown_subcommand(subcommand, "CONFIG"));
    }
    Ok(())
}

/// Parameters CONFIG SET changes only as `enable-protected-configs` allows: where files are
/// written.
const PROTECTED_PARAMETERS: [&str; 2] = ["dir", "dbfilename"];

/// Applies every pair or none of them, as Redis 7 does: every name is checked first (known,
/// mutable, not protected, not given twice; a name and its alias count as two, as in Redis
/// 7.0), then every value.
fn config_set(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let failed = |name: &str, reason: &str| {
        CommandError::owned(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
        ))
    };
    let local = crate::config::is_local_peer(&ctx.session.peer);
    let mut pairs: Vec<(&'static Parameter, String, String)> = Vec::new();
    while args.remaining() > 0 {
        let name = String::from_utf8_lossy(args.next_bytes()?).to_ascii_lowercase();
        let value = String::from_utf8_lossy(args.next_bytes()?).into_owned();
        let Some(parameter) = parameters().find(|parameter| parameter.name == name) else {
            return Err(CommandError::owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        match parameter.change {
            Change::Runtime => {}
            Change::Never => return Err(failed(&name, "can't set immutable config")),
            Change::Listener => {
                let mut moved = ctx.state.config.clone();
                (parameter.set)(&mut moved, &value).map_err(|reason| failed(&name, reason))?;
                if (parameter.get)(&moved) != (parameter.get)(&ctx.state.config) {
                    let reason = if name == "port" {
                        "Unable to listen on this port: the server listens where it started \
                         until it restarts"
                    } else {
                        "Failed to bind to specified addresses: the server listens where it \
                         started until it restarts"
                    };
                    return Err(failed(&name, reason));
                }
            }
        }
        if PROTECTED_PARAMETERS.contains(&parameter.name)
            && !ctx.state.config.enable_protected_configs.allows(local)
        {
            return Err(failed(&name, "can't set protected config"));
        }
        if pairs.iter().any(|(_, earlier, _)| *earlier == name) {
            return Err(failed(&name, "duplicate parameter"));
        }
        pairs.push((parameter, name, value));
    }
    let mut changed = ctx.state.config.clone();
    for (parameter, name, value) in &pairs {
        (parameter.set)(&mut changed, value).map_err(|reason| failed(name, reason))?;
    }
    if changed.clients_max > changed.clients_max_ceiling {
        return Err(CommandError::owned(format!(
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
             system is not able to handle the specified number of clients, try with {}",
            changed.clients_max_ceiling
        )));
    }
    ctx.keyspace.apply_config(&changed);
    ctx.state.apply_config(changed);
    Ok(())
}

impl Config {
    /// A parameter's value as CONFIG GET shows it, by its redis.conf name.
    pub fn parameter(&self, name: &str) -> Option<String> {
        parameters()
            .find(|parameter| parameter.name == name)
            .map(|parameter| (parameter.get)(self))
    }

    /// Sets a parameter by its redis.conf name, as the config file and command-line flags do
    /// (immutable parameters included). The error says why the value was refused.
    pub fn set_parameter(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = name.to_ascii_lowercase();
        let parameter = parameters()
            .find(|parameter| parameter.name == name)
            .ok_or_else(|| format!("Bad directive or wrong number of arguments: '{name}'"))?;
        (parameter.set)(self, value).map_err(|reason| format!("'{name}': {reason}"))
    }

    /// A `user` line of a config file (its name and rules, without `user`), checked as Redis
    /// checks it; applied when the server starts.
    pub fn add_user_line(&mut self, line: &str) -> Result<(), String> {
        let (name, _) = crate::acl::parse_user_line(line)?;
        let duplicate = self
            .users
            .iter()
            .any(|known| crate::acl::parse_user_line(known).is_ok_and(|(known, _)| known == name));
        if duplicate {
            return Err(
                "Duplicate user found. A user can only be defined once in config files".to_string(),
            );
        }
        self.users.push(line.to_string());
        Ok(())
    }

    /// Every parameter's redis.conf name.
    pub fn parameter_names() -> impl Iterator<Item = &'static str> {
        parameters().map(|parameter| parameter.name)
    }
}

fn busy_reply_threshold(config: &Config) -> String {
    config.busy_reply_threshold_ms.to_string()
}

fn set_busy_reply_threshold(config: &mut Config, text: &str) -> Result<(), &'static str> {
    config.busy_reply_threshold_ms = parse_size(text)? as u64;
    Ok(())
}
