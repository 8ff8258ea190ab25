//! Throughput: rounds of redis-benchmark against both servers, each test back to back on both.

use std::collections::BTreeMap;
use std::process::Command;

use crate::client::Client;
use crate::servers::{start_ferrodis, start_redis, Running};

/// A fast test's round lasts under 100 ms, and single rounds on a 2-core machine move by 10% or
/// more from one to the next: each ratio is a median over this many rounds.
const ROUNDS: usize = 9;

/// redis-benchmark's own tests, then custom commands (upper case): `ZRANGE_0_9` reads the set
/// that the zadd test filled; `HGETALL_10` and `SMEMBERS_10` read a 10-element hash and set
/// that `prepare` writes before the rounds. The list tests run in redis-benchmark's order: the
/// pops take what the pushes just added, and each LRANGE test first pushes (its own step, not
/// measured).
const TESTS: [&str; 21] = [
    "ping_inline",
    "ping_mbulk",
    "set",
    "get",
    "incr",
    "mset",
    "zadd",
    "ZRANGE_0_9",
    "hset",
    "sadd",
    "spop",
    "HGETALL_10",
    "SMEMBERS_10",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "lrange_100",
    "lrange_300",
    "lrange_500",
    "lrange_600",
];

/// The command line of a custom test.
fn custom_command(test: &str) -> Option<&'static [&'static str]> {
    match test {
        "ZRANGE_0_9" => Some(&["ZRANGE", "myzset", "0", "9", "WITHSCORES"]),
        "HGETALL_10" => Some(&["HGETALL", "bench:hash10"]),
        "SMEMBERS_10" => Some(&["SMEMBERS", "bench:set10"]),
        _ => None,
    }
}

/// Writes what the custom tests read: a hash of 10 small fields and a set of 10 short strings.
fn prepare(server: &Running) {
    let mut client = Client::connect(server.port);
    let mut hset = vec!["HSET", "bench:hash10"];
    let fields: Vec<String> = (0..10).map(|n| format!("field:{n}")).collect();
    let values: Vec<String> = (0..10).map(|n| format!("value:{n}")).collect();
    for (field, value) in fields.iter().zip(&values) {
        hset.push(field);
        hset.push(value);
    }
    client.call(&hset);
    let mut sadd = vec!["SADD", "bench:set10"];
    sadd.extend(fields.iter().map(String::as_str));
    client.call(&sadd);
}

/// One test's result in one round.
#[derive(Clone, Copy)]
pub struct Sample {
    pub requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs one test against one server (with `extra` arguments to redis-benchmark, such as a
/// user): its name as redis-benchmark prints it, and the sample.
pub fn redis_benchmark(
    server: &Running,
    pipeline: usize,
    requests: usize,
    test: &str,
    extra: &[&str],
) -> (String, Sample) {
    let custom = custom_command(test);
    let mut command = Command::new("redis-benchmark");
    command.args(["-h", "127.0.0.1", "-p", &server.port.to_string()]);
    command.args([
        "-c",
        "50",
        "-n",
        &requests.to_string(),
        "-r",
        "100000",
        "-d",
        "3",
    ]);
    command.args(["-P", &pipeline.to_string(), "--csv"]);
    command.args(extra);
    if let Some(custom) = custom {
        command.args(custom);
    } else {
        command.args(["-t", test]);
    }
    let output = command
        .output()
        .expect("redis-benchmark must be installed (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&output.stdout);
    // The last line is the test's: an LRANGE test prints its preparatory LPUSH first.
    for line in text.lines().skip(1).collect::<Vec<_>>().into_iter().rev() {
        let fields: Vec<String> = line
            .split("\",\"")
            .map(|field| field.trim_matches('"').to_string())
            .collect();
        if fields.len() < 7 {
            continue;
        }
        let number = |index: usize| fields[index].parse::<f64>().unwrap_or(0.0);
        let name = if custom.is_some() {
            test.to_string()
        } else {
            fields[0].clone()
        };
        return (
            name,
            Sample {
                requests_per_second: number(1),
                p50_ms: number(4),
                p99_ms: number(6),
            },
        );
    }
    panic!(
        "redis-benchmark printed no result for {test} against {}: {text}",
        server.name
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn run(scale: usize) {
    let requests = (200_000 / scale).max(1000);
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    prepare(&redis);
    prepare(&ferrodis);
    for pipeline in [1, 16] {
        println!(
            "\n## throughput: redis-benchmark -c 50 -n {requests} -r 100000 -d 3 -P {pipeline}, {ROUNDS} rounds, medians"
        );
        println!(
            "(each round runs every test on both servers back to back, Redis first in odd rounds, ferrodis first in even ones)"
        );
        // test -> server -> samples
        let mut results: BTreeMap<String, [Vec<Sample>; 2]> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for round in 0..ROUNDS {
            for test in TESTS {
                // Back to back, so that both see the same machine; the order alternates so that
                // neither always runs on a machine the other just warmed (or disturbed).
                let mut servers = [(0, &redis), (1, &ferrodis)];
                if round % 2 == 1 {
                    servers.reverse();
                }
                for (slot, server) in servers {
                    let (name, sample) = redis_benchmark(server, pipeline, requests, test, &[]);
                    if !order.contains(&name) {
                        order.push(name.clone());
                    }
                    results.entry(name).or_default()[slot].push(sample);
                }
            }
        }
        println!(
            "{:<14} {:>12} {:>12} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "test",
            "redis rps",
            "ferrodis rps",
            "ratio",
            "redis p50",
            "ferro p50",
            "redis p99",
            "ferro p99"
        );
        let mut log_sum = 0.0;
        for name in &order {
            let [redis_samples, ferrodis_samples] = &results[name];
            let pick = |samples: &[Sample], field: fn(&Sample) -> f64| {
                let mut values: Vec<f64> = samples.iter().map(field).collect();
                median(&mut values)
            };
            let redis_rps = pick(redis_samples, |sample| sample.requests_per_second);
            let ferrodis_rps = pick(ferrodis_samples, |sample| sample.requests_per_second);
            let ratio = ferrodis_rps / redis_rps;
            log_sum += ratio.ln();
            println!(
                "{:<14} {:>12.0} {:>12.0} {:>7.2} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                name,
                redis_rps,
                ferrodis_rps,
                ratio,
                pick(redis_samples, |sample| sample.p50_ms),
                pick(ferrodis_samples, |sample| sample.p50_ms),
                pick(redis_samples, |sample| sample.p99_ms),
                pick(ferrodis_samples, |sample| sample.p99_ms),
            );
        }
        println!(
            "geometric mean of ratios at -P {pipeline}: {:.2}",
            (log_sum / order.len() as f64).exp()
        );
    }
}
