//! What operators and tools read about the server, compared with a real `redis-server` run
//! through the same commands: INFO's sections and fields, INFO commandstats, the slow log,
//! COMMAND LIST's filters, CLIENT INFO's buffers, LATENCY HISTOGRAM.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{redis_client, start_ferrodis, start_redis, ServerProcess};
use redis::{Connection, Value};

/// ferrodis and a real Redis, started for one test, with a connection to each (`path`: what
/// follows the address in the connection's URL).
fn side_by_side(path: &str) -> ((ServerProcess, ServerProcess), Connection, Connection) {
    let ferrodis = start_ferrodis(&[]);
    let redis = start_redis(&[]);
    let ours = redis_client(&ferrodis, path);
    let theirs = redis_client(&redis, path);
    ((ferrodis, redis), ours, theirs)
}

/// INFO fields of Redis that mean nothing here: its allocator's own figures (jemalloc), and
/// the compiler and atomics it was built with.
const NOT_OURS: [&str; 10] = [
    "atomicvar_api",
    "gcc_version",
    "allocator_allocated",
    "allocator_active",
    "allocator_resident",
    "allocator_frag_ratio",
    "allocator_frag_bytes",
    "allocator_rss_ratio",
    "allocator_rss_bytes",
    "rss_overhead_ratio",
];

/// `rss_overhead_bytes` goes with `rss_overhead_ratio`.
fn ours(field: &str) -> bool {
    !NOT_OURS.contains(&field) && field != "rss_overhead_bytes"
}

/// Each `# Section` of an INFO reply with its field names, in order.
fn sections(info: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in info.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            sections.push((title.to_string(), Vec::new()));
        } else if let Some((field, _)) = line.split_once(':') {
            let (_, fields) = sections.last_mut().expect("a field before any section");
            fields.push(field.to_string());
        }
    }
    sections
}

fn info(connection: &mut Connection, args: &[&str]) -> String {
    redis::cmd("INFO").arg(args).query(connection).unwrap()
}

/// The same commands on both servers: some succeed, one fails as it runs, one is refused, one
/// waits and times out.
fn exercise(connection: &mut Connection) {
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(connection)
        .unwrap();
    let _: String = redis::cmd("GET").arg("k").query(connection).unwrap();
    let failed: redis::RedisResult<i64> = redis::cmd("INCR").arg("k").query(connection);
    assert!(failed.is_err(), "INCR of a word fails");
    let refused: redis::RedisResult<String> = redis::cmd("GET").query(connection);
    assert!(refused.is_err(), "GET without a key is refused");
    let unknown: redis::RedisResult<String> = redis::cmd("CONFIG").arg("NOSUCH").query(connection);
    assert!(
        unknown.is_err(),
        "an unknown subcommand is refused, and counted nowhere"
    );
    let timed_out: Value = redis::cmd("BLPOP")
        .arg("nothing")
        .arg("0.05")
        .query(connection)
        .unwrap();
    assert_eq!(timed_out, Value::Nil, "BLPOP times out");
    let _: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query(connection)
        .unwrap();
}

#[test]
fn info_has_the_sections_and_fields_redis_has() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("0");
    exercise(&mut ours_connection);
    exercise(&mut theirs_connection);
    for args in [
        &[][..],
        &["everything"],
        &["all"],
        &["default"],
        &["cpu", "all"],
    ] {
        let ours_sections = sections(&info(&mut ours_connection, args));
        let theirs_sections = sections(&info(&mut theirs_connection, args));
        let titles = |sections: &[(String, Vec<String>)]| -> Vec<String> {
            sections.iter().map(|(title, _)| title.clone()).collect()
        };
        assert_eq!(
            titles(&ours_sections),
            titles(&theirs_sections),
            "INFO {args:?}: the sections, in order"
        );
        for ((title, ours_fields), (_, theirs_fields)) in ours_sections.iter().zip(&theirs_sections)
        {
            let have: BTreeSet<&String> = ours_fields.iter().collect();
            let missing: Vec<&String> = theirs_fields
                .iter()
                .filter(|field| ours(field) && !have.contains(field))
                .collect();
            assert!(
                missing.is_empty(),
                "INFO {args:?}, section {title}: missing {missing:?}"
            );
        }
    }
    let cpu = info(&mut ours_connection, &["CPU"]);
    let user: f64 = field(&cpu, "used_cpu_user").parse().unwrap();
    let system: f64 = field(&cpu, "used_cpu_sys").parse().unwrap();
    assert!(user + system > 0.0, "the process used some CPU: {cpu}");
}

/// A field's value in an INFO reply.
fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

/// INFO commandstats as `name -> calls, rejected, failed` (times differ between servers).
fn command_counts(connection: &mut Connection) -> BTreeMap<String, String> {
    let text = info(connection, &["commandstats"]);
    text.lines()
        .filter_map(|line| line.strip_prefix("cmdstat_"))
        .map(|line| {
            let (name, fields) = line.split_once(':').unwrap();
            let kept: Vec<&str> = fields
                .split(',')
                .filter(|field| !field.starts_with("usec"))
                .collect();
            (name.to_string(), kept.join(","))
        })
        .collect()
}

#[test]
fn commandstats_count_calls_failures_and_refusals_as_redis() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("0");
    for connection in [&mut ours_connection, &mut theirs_connection] {
        let _: () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query(connection)
            .unwrap();
        exercise(connection);
    }
    let ours_counts = command_counts(&mut ours_connection);
    assert_eq!(ours_counts, command_counts(&mut theirs_connection));
    assert_eq!(
        ours_counts["incr"], "calls=1,rejected_calls=0,failed_calls=1",
        "{ours_counts:?}"
    );
    let latencies = info(&mut ours_connection, &["latencystats"]);
    let set = field(&latencies, "latency_percentiles_usec_set");
    assert!(
        set.starts_with("p50=") && set.contains(",p99=") && set.contains(",p99.9="),
        "{set}"
    );
}

/// A slow log entry as both servers show it: the arguments and the client's name (ids, times
/// and addresses differ).
fn slowlog(connection: &mut Connection) -> Vec<(Vec<String>, String)> {
    let entries: Vec<Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg("-1")
        .query(connection)
        .unwrap();
    entries
        .into_iter()
        .map(|entry| {
            let Value::Array(fields) = entry else {
                panic!("an entry is an array: {entry:?}");
            };
            assert_eq!(fields.len(), 6);
            let args: Vec<String> = redis::from_redis_value(fields[3].clone()).unwrap();
            let name: String = redis::from_redis_value(fields[5].clone()).unwrap();
            (args, name)
        })
        .collect()
}

#[test]
fn the_slow_log_keeps_what_redis_keeps() {
    let ferrodis = start_ferrodis(&[]);
    let redis = start_redis(&[]);
    let mut logs = Vec::new();
    for server in [&ferrodis, &redis] {
        let mut connection = redis_client(server, "0");
        let long = "x".repeat(200);
        let many: Vec<String> = (0..40).map(|n| n.to_string()).collect();
        let mut sadd = vec!["SADD", "s"];
        sadd.extend(many.iter().map(String::as_str));
        let steps: Vec<Vec<&str>> = vec![
            vec!["CONFIG", "SET", "slowlog-log-slower-than", "0"],
            vec!["CONFIG", "SET", "slowlog-max-len", "6"],
            vec!["SLOWLOG", "RESET"],
            vec!["CLIENT", "SETNAME", "watcher"],
            vec!["SET", "k", &long],
            vec!["AUTH", "nobody", "secret"],
            vec!["MULTI"],
            vec!["INCR", "n"],
            vec!["EXEC"],
            sadd,
            vec!["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        ];
        for step in steps {
            let _: redis::RedisResult<Value> =
                redis::cmd(step[0]).arg(&step[1..]).query(&mut connection);
        }
        logs.push(slowlog(&mut connection));
    }
    assert_eq!(logs[0], logs[1]);
    let commands: Vec<&str> = logs[0].iter().map(|(args, _)| args[0].as_str()).collect();
    assert_eq!(commands, ["SADD", "INCR", "MULTI", "AUTH", "SET", "CLIENT"]);
    let (sadd, _) = &logs[0][0];
    assert_eq!(sadd.len(), 32);
    assert_eq!(sadd[31], "... (11 more arguments)");
    let (auth, name) = &logs[0][3];
    assert_eq!(auth, &["AUTH", "(redacted)", "(redacted)"]);
    assert_eq!(name, "watcher");
    let (set, _) = &logs[0][4];
    assert!(set[2].ends_with("... (72 more bytes)"), "{set:?}");
}

#[test]
fn command_list_filters_as_redis() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("0");
    let list = |connection: &mut Connection, filter: &[&str]| -> BTreeSet<String> {
        redis::cmd("COMMAND")
            .arg("LIST")
            .arg(filter)
            .query(connection)
            .unwrap()
    };
    let known = list(&mut ours_connection, &[]);
    assert!(known.contains("set") && known.contains("client|list"));
    for filter in [
        &["FILTERBY", "ACLCAT", "scripting"][..],
        &["FILTERBY", "ACLCAT", "no-such-category"],
        &["FILTERBY", "PATTERN", "config*"],
        &["FILTERBY", "PATTERN", "client|*"],
        &["FILTERBY", "PATTERN", "cl*|help"],
        &["FILTERBY", "MODULE", "none"],
    ] {
        let ours_names = list(&mut ours_connection, filter);
        let theirs_names: BTreeSet<String> = list(&mut theirs_connection, filter)
            .into_iter()
            .filter(|name| known.contains(name))
            .collect();
        assert_eq!(ours_names, theirs_names, "COMMAND LIST {filter:?}");
    }
    let refused: redis::RedisResult<Value> = redis::cmd("COMMAND")
        .arg("LIST")
        .arg("FILTERBY")
        .arg("nothing")
        .query(&mut ours_connection);
    assert!(refused.unwrap_err().to_string().contains("syntax error"));
}

/// COMMAND INFO's name, arity, flags (sorted) and categories (sorted) of an entry and of its
/// subcommands, as text.
fn info_shape(entry: &Value) -> String {
    let Value::Array(fields) = entry else {
        panic!("a COMMAND INFO entry is an array: {entry:?}");
    };
    let sorted = |value: &Value| -> String {
        let mut names: Vec<String> = match value {
            Value::Array(items) | Value::Set(items) => items.iter().map(docs_shape).collect(),
            other => panic!("flags are a set: {other:?}"),
        };
        names.sort();
        names.join(",")
    };
    let mut shape = format!(
        "{} {} [{}] [{}]",
        docs_shape(&fields[0]),
        docs_shape(&fields[1]),
        sorted(&fields[2]),
        sorted(&fields[6])
    );
    if let Value::Array(subcommands) = &fields[9] {
        let mut inner: Vec<String> = subcommands.iter().map(info_shape).collect();
        inner.sort();
        shape.push_str(&format!(" {{{}}}", inner.join("; ")));
    }
    shape
}

#[test]
fn cluster_commands_answer_as_redis_without_cluster_support() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("?protocol=resp3");
    let requests: [&[&str]; 9] = [
        &["CLUSTER", "INFO"],
        &["CLUSTER", "HELP"],
        &["CLUSTER", "KEYSLOT", "k"],
        &["CLUSTER", "KEYSLOT"],
        &["CLUSTER", "nothing"],
        &["READONLY"],
        &["READWRITE", "x"],
        &["ASKING"],
        &["EVAL", "return redis.call('cluster', 'reset')", "0"],
    ];
    for request in requests {
        let answer = |connection: &mut Connection| -> String {
            let reply: redis::RedisResult<Value> =
                redis::cmd(request[0]).arg(&request[1..]).query(connection);
            format!("{reply:?}")
        };
        assert_eq!(
            answer(&mut ours_connection),
            answer(&mut theirs_connection),
            "{request:?}"
        );
    }
    for name in ["cluster", "readonly", "readwrite", "asking", "bgsave"] {
        let entry = |connection: &mut Connection| -> String {
            let reply: Value = redis::cmd("COMMAND")
                .arg("INFO")
                .arg(name)
                .query(connection)
                .unwrap();
            let Value::Array(entries) = reply else {
                panic!("COMMAND INFO is an array: {reply:?}");
            };
            info_shape(&entries[0])
        };
        assert_eq!(
            entry(&mut ours_connection),
            entry(&mut theirs_connection),
            "{name}"
        );
    }
}

/// CLIENT INFO's fields as `name -> value`.
fn client_info(connection: &mut Connection) -> BTreeMap<String, String> {
    let line: String = redis::cmd("CLIENT").arg("INFO").query(connection).unwrap();
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[test]
fn client_info_shows_the_running_command_and_its_buffers() {
    let ferrodis = start_ferrodis(&[]);
    let redis = start_redis(&[]);
    let ours_fields = client_info(&mut redis_client(&ferrodis, "0"));
    let theirs_fields = client_info(&mut redis_client(&redis, "0"));
    for name in [
        "qbuf", "argv-mem", "cmd", "flags", "events", "multi", "resp",
    ] {
        assert_eq!(ours_fields[name], theirs_fields[name], "CLIENT INFO {name}");
    }
    let names: BTreeSet<&String> = ours_fields.keys().collect();
    let theirs_names: BTreeSet<&String> = theirs_fields.keys().collect();
    assert_eq!(names, theirs_names);
}

#[test]
fn latency_histogram_counts_every_call() {
    let ferrodis = start_ferrodis(&[]);
    let mut connection = redis_client(&ferrodis, "0");
    for n in 0..25 {
        let _: () = redis::cmd("SET")
            .arg("k")
            .arg(n)
            .query(&mut connection)
            .unwrap();
    }
    let histogram: Value = redis::cmd("LATENCY")
        .arg("HISTOGRAM")
        .arg("set")
        .query(&mut connection)
        .unwrap();
    let histogram: BTreeMap<String, BTreeMap<String, Value>> =
        redis::from_redis_value(histogram).unwrap();
    let set = &histogram["set"];
    let calls: i64 = redis::from_redis_value(set["calls"].clone()).unwrap();
    assert_eq!(calls, 25);
    let _: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query(&mut connection)
        .unwrap();
    let containers: BTreeMap<String, Value> = redis::cmd("LATENCY")
        .arg("HISTOGRAM")
        .arg("config")
        .query(&mut connection)
        .unwrap();
    assert!(
        containers.contains_key("config|get"),
        "a container's name stands for its subcommands: {containers:?}"
    );
    let buckets: BTreeMap<i64, i64> =
        redis::from_redis_value(set["histogram_usec"].clone()).unwrap();
    let counts: Vec<i64> = buckets.values().copied().collect();
    assert!(
        counts.windows(2).all(|pair| pair[0] < pair[1]),
        "cumulative: {buckets:?}"
    );
    assert_eq!(counts.last(), Some(&25), "{buckets:?}");
    assert!(
        buckets.keys().all(|bound| bound.count_ones() == 1),
        "powers of two: {buckets:?}"
    );
}

/// A COMMAND DOCS reply as text, without what is in each server's own words (summaries,
/// complexities, histories, what replaces a deprecated command), maps sorted by key.
fn docs_shape(value: &Value) -> String {
    const OWN_WORDS: [&str; 4] = ["summary", "complexity", "history", "replaced_by"];
    match value {
        Value::Map(pairs) => {
            let mut shown: Vec<String> = pairs
                .iter()
                .filter(|(name, _)| !OWN_WORDS.iter().any(|own| docs_shape(name) == *own))
                .map(|(name, value)| format!("{}={}", docs_shape(name), docs_shape(value)))
                .collect();
            shown.sort();
            format!("{{{}}}", shown.join(","))
        }
        Value::Array(items) => {
            let shown: Vec<String> = items.iter().map(docs_shape).collect();
            format!("[{}]", shown.join(","))
        }
        Value::Set(items) => {
            let mut shown: Vec<String> = items.iter().map(docs_shape).collect();
            shown.sort();
            format!("({})", shown.join(","))
        }
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(text) => text.clone(),
        Value::Int(number) => number.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn command_docs_have_redis_arguments_and_our_own_summaries() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("?protocol=resp3");
    let names: Vec<String> = redis::cmd("COMMAND")
        .arg("LIST")
        .query(&mut ours_connection)
        .unwrap();
    let docs = |connection: &mut Connection, name: &str| -> Value {
        redis::cmd("COMMAND")
            .arg("DOCS")
            .arg(name)
            .query(connection)
            .unwrap()
    };
    let mut compared = 0;
    for name in names.iter().filter(|name| name.as_str() != "zquery") {
        let ours_docs = docs(&mut ours_connection, name);
        let theirs_docs = docs(&mut theirs_connection, name);
        let Value::Map(theirs_pairs) = &theirs_docs else {
            panic!("COMMAND DOCS {name} is a map: {theirs_docs:?}");
        };
        if name.contains('|') {
            assert_eq!(docs_shape(&ours_docs), docs_shape(&theirs_docs), "{name}");
        } else {
            // A container's subcommands ferrodis lacks are not in its docs: compare those it has.
            let (_, theirs) = &theirs_pairs[0];
            let Value::Map(ours_pairs) = &ours_docs else {
                panic!("COMMAND DOCS {name} is a map: {ours_docs:?}");
            };
            let (_, ours) = &ours_pairs[0];
            let without_subcommands = |doc: &Value| -> String {
                let Value::Map(fields) = doc else {
                    panic!("a doc is a map: {doc:?}")
                };
                let kept: Vec<(Value, Value)> = fields
                    .iter()
                    .filter(|(field, _)| docs_shape(field) != "subcommands")
                    .cloned()
                    .collect();
                docs_shape(&Value::Map(kept))
            };
            assert_eq!(
                without_subcommands(ours),
                without_subcommands(theirs),
                "{name}"
            );
        }
        compared += 1;
    }
    assert!(compared > 250, "only {compared} commands compared");
    // The summaries are ferrodis's own words, not Redis's.
    let summary = |connection: &mut Connection| -> String {
        let Value::Map(pairs) = docs(connection, "set") else {
            panic!("a map");
        };
        let Value::Map(fields) = &pairs[0].1 else {
            panic!("a map");
        };
        fields
            .iter()
            .find(|(field, _)| docs_shape(field) == "summary")
            .map(|(_, value)| docs_shape(value))
            .unwrap()
    };
    assert_ne!(
        summary(&mut ours_connection),
        summary(&mut theirs_connection)
    );
}

/// What `redis-cli help` prints for a command, but its summary line.
fn cli_help(port: u16, command: &[&str]) -> Vec<String> {
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "help"])
        .args(command)
        .output()
        .expect("redis-cli must be installed (apt-get install redis-tools)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.contains("summary:"))
        .map(String::from)
        .collect()
}

#[test]
fn redis_cli_help_shows_the_same_usage_as_for_redis() {
    let ferrodis = start_ferrodis(&[]);
    let redis = start_redis(&[]);
    for command in [
        &["set"][..],
        &["zadd"],
        &["client", "kill"],
        &["georadius"],
        &["geosearch"],
        &["xadd"],
        &["acl", "setuser"],
    ] {
        let ours_help = cli_help(ferrodis.port, command);
        if command == ["xadd"] {
            // A command ferrodis does not have: no help, no usage.
            assert!(
                ours_help.iter().all(|line| line.trim().is_empty()),
                "{ours_help:?}"
            );
            continue;
        }
        assert!(ours_help.len() >= 3, "{command:?}: {ours_help:?}");
        assert_eq!(ours_help, cli_help(redis.port, command), "{command:?}");
    }
}

/// What a tmux pane running `redis-cli -p port` shows after typing `typed`.
fn typed_into_redis_cli(port: u16, typed: &str) -> String {
    let session = format!("ferrodis-hints-{port}");
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)")
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "250",
        "-y",
        "5",
        &format!("redis-cli -p {port}"),
    ]);
    assert!(started.status.success(), "{started:?}");
    let mut shown = String::new();
    // Bounded: redis-cli shows its prompt within a few hundred milliseconds.
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let pane = tmux(&["capture-pane", "-t", &session, "-p"]);
        shown = String::from_utf8_lossy(&pane.stdout).into_owned();
        if shown.contains('>') {
            break;
        }
    }
    tmux(&["send-keys", "-t", &session, typed]);
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let pane = tmux(&["capture-pane", "-t", &session, "-p"]);
        shown = String::from_utf8_lossy(&pane.stdout).into_owned();
        if shown.contains(typed.trim_end())
            && shown
                .lines()
                .next()
                .is_some_and(|line| line.len() > typed.len() + 20)
        {
            break;
        }
    }
    tmux(&["kill-session", "-t", &session]);
    shown.lines().next().unwrap_or_default().to_string()
}

#[test]
fn redis_cli_shows_hints_while_a_command_is_typed() {
    let ferrodis = start_ferrodis(&[]);
    let line = typed_into_redis_cli(ferrodis.port, "set ");
    assert!(
        line.ends_with("> set key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"),
        "{line:?}"
    );
}

/// MEMORY STATS's field names (`db.N` as `db`).
fn memory_stats_names(connection: &mut Connection) -> BTreeSet<String> {
    let stats: Value = redis::cmd("MEMORY").arg("STATS").query(connection).unwrap();
    let Value::Map(pairs) = stats else {
        panic!("MEMORY STATS is a map: {stats:?}");
    };
    pairs
        .iter()
        .map(|(name, _)| {
            let name: String = redis::from_redis_value(name.clone()).unwrap();
            if name.starts_with("db.") {
                "db".to_string()
            } else {
                name
            }
        })
        .collect()
}

#[test]
fn memory_stats_has_redis_figures_and_usage_grows_with_the_value() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("?protocol=resp3");
    for connection in [&mut ours_connection, &mut theirs_connection] {
        let _: () = redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query(connection)
            .unwrap();
    }
    let ours_names = memory_stats_names(&mut ours_connection);
    let missing: Vec<String> = memory_stats_names(&mut theirs_connection)
        .into_iter()
        .filter(|name| !name.starts_with("allocator") && !name.starts_with("rss-overhead"))
        .filter(|name| !ours_names.contains(name))
        .collect();
    assert!(missing.is_empty(), "MEMORY STATS lacks {missing:?}");
    let usage = |connection: &mut Connection| -> i64 {
        redis::cmd("MEMORY")
            .arg("USAGE")
            .arg("big")
            .query(connection)
            .unwrap()
    };
    let _: () = redis::cmd("RPUSH")
        .arg("big")
        .arg(&["x"; 10])
        .query(&mut ours_connection)
        .unwrap();
    let small = usage(&mut ours_connection);
    let values: Vec<String> = (0..1000).map(|n| format!("value-{n}")).collect();
    let _: () = redis::cmd("RPUSH")
        .arg("big")
        .arg(&values)
        .query(&mut ours_connection)
        .unwrap();
    let large = usage(&mut ours_connection);
    assert!(large > small + 8000, "{small} then {large}");
    let doctor: String = redis::cmd("MEMORY")
        .arg("DOCTOR")
        .query(&mut ours_connection)
        .unwrap();
    assert!(doctor.contains("too little data"), "{doctor}");
}

/// COMMAND INFO's key specs of `name` as text, without their notes (Redis's own words).
fn key_specs(connection: &mut Connection, name: &str) -> String {
    let info: Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg(name)
        .query(connection)
        .unwrap();
    let Value::Array(entries) = info else {
        panic!("COMMAND INFO is an array: {info:?}");
    };
    let Value::Array(fields) = &entries[0] else {
        panic!("COMMAND INFO {name} is an array: {entries:?}");
    };
    let Value::Set(specs) = &fields[8] else {
        panic!("key specs are a set: {fields:?}");
    };
    let without_notes: Vec<Value> = specs
        .iter()
        .map(|spec| match spec {
            Value::Map(pairs) => Value::Map(
                pairs
                    .iter()
                    .filter(|(field, _)| docs_shape(field) != "notes")
                    .cloned()
                    .collect(),
            ),
            other => other.clone(),
        })
        .collect();
    docs_shape(&Value::Set(without_notes))
}

#[test]
fn key_specs_and_key_flags_are_redis_ones() {
    let (_servers, mut ours_connection, mut theirs_connection) = side_by_side("?protocol=resp3");
    let names: Vec<String> = redis::cmd("COMMAND")
        .arg("LIST")
        .query(&mut ours_connection)
        .unwrap();
    let mut with_keys = 0;
    for name in names.iter().filter(|name| name.as_str() != "zquery") {
        let ours_specs = key_specs(&mut ours_connection, name);
        assert_eq!(
            ours_specs,
            key_specs(&mut theirs_connection, name),
            "{name}"
        );
        with_keys += usize::from(ours_specs != "()");
    }
    assert!(with_keys > 150, "only {with_keys} commands have keys");
    let requests: [&[&str]; 9] = [
        &["set", "k1", "v1"],
        &["set", "k1", "v1", "GET"],
        &["mset", "k1", "v1", "k2", "v2"],
        &["LMOVE", "k1", "k2", "left", "right"],
        &["sort", "k1", "store", "k2"],
        &["bitfield", "k", "get", "u8", "0"],
        &["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
        &["eval", "return 1", "2", "a", "b", "c"],
        &["memory", "usage", "k"],
    ];
    for request in requests {
        let flags = |connection: &mut Connection| -> String {
            let reply: Value = redis::cmd("COMMAND")
                .arg("GETKEYSANDFLAGS")
                .arg(request)
                .query(connection)
                .unwrap();
            docs_shape(&reply)
        };
        assert_eq!(
            flags(&mut ours_connection),
            flags(&mut theirs_connection),
            "{request:?}"
        );
    }
}
