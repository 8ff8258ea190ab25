//! Throughput: alternating A/B rounds of redis-benchmark against both servers.

use std::collections::BTreeMap;
use std::process::Command;

use crate::servers::{start_ferrodis, start_redis, Running};

const ROUNDS: usize = 3;
const TESTS: &str = "ping_inline,ping_mbulk,set,get,incr,mset,zadd";
/// A sorted-set read, run as redis-benchmark's custom command against the set its zadd test
/// filled.
const ZRANGE_COMMAND: [&str; 5] = ["ZRANGE", "myzset", "0", "9", "WITHSCORES"];

/// One test's result in one round.
#[derive(Clone, Copy)]
struct Sample {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn redis_benchmark(
    server: &Running,
    pipeline: usize,
    requests: usize,
    custom: bool,
) -> Vec<(String, Sample)> {
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
    if custom {
        command.args(ZRANGE_COMMAND);
    } else {
        command.args(["-t", TESTS]);
    }
    let output = command
        .output()
        .expect("redis-benchmark must be installed (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut samples = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<String> = line
            .split("\",\"")
            .map(|field| field.trim_matches('"').to_string())
            .collect();
        if fields.len() < 7 {
            continue;
        }
        let number = |index: usize| fields[index].parse::<f64>().unwrap_or(0.0);
        let name = if custom {
            "ZRANGE_0_9".to_string()
        } else {
            fields[0].clone()
        };
        samples.push((
            name,
            Sample {
                requests_per_second: number(1),
                p50_ms: number(4),
                p99_ms: number(6),
            },
        ));
    }
    assert!(
        !samples.is_empty(),
        "redis-benchmark printed no results against {}: {text}",
        server.name
    );
    samples
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn run(scale: usize) {
    let requests = (200_000 / scale).max(1000);
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    for pipeline in [1, 16] {
        println!(
            "\n## throughput: redis-benchmark -c 50 -n {requests} -r 100000 -d 3 -P {pipeline}, {ROUNDS} A/B rounds, medians"
        );
        // test -> server -> samples
        let mut results: BTreeMap<String, [Vec<Sample>; 2]> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for _ in 0..ROUNDS {
            for (slot, server) in [&redis, &ferrodis].into_iter().enumerate() {
                for custom in [false, true] {
                    for (name, sample) in redis_benchmark(server, pipeline, requests, custom) {
                        if !order.contains(&name) {
                            order.push(name.clone());
                        }
                        results.entry(name).or_default()[slot].push(sample);
                    }
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
