//! Permissions: redis-benchmark as the default user (who may do everything) and as a user held
//! to key patterns and categories, on both servers: what the checks cost each server, and the
//! restricted user's rate beside Redis's.

use std::collections::BTreeMap;

use crate::client::Client;
use crate::servers::{median, start_ferrodis, start_redis};
use crate::throughput::redis_benchmark;

const ROUNDS: usize = 5;

/// Tests whose keys the restricted user's patterns allow (redis-benchmark's own names).
const TESTS: [&str; 5] = ["set", "get", "incr", "lpush", "hset"];

/// The restricted user: every command but the dangerous ones, on redis-benchmark's keys only.
const RULES: [&str; 11] = [
    "bench",
    "on",
    ">bench",
    "-@all",
    "+@read",
    "+@write",
    "+@fast",
    "-@dangerous",
    "~key:*",
    "~counter:*",
    "~my*",
];

pub fn run(scale: usize) {
    let requests = (200_000 / scale).max(1000);
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    for server in [&redis, &ferrodis] {
        let mut client = Client::connect(server.port);
        let mut args = vec!["ACL", "SETUSER"];
        args.extend(RULES);
        client.call(&args);
    }
    println!(
        "\n## acl: redis-benchmark -c 50 -n {requests} -r 100000 -d 3 -P 16 as the default user \
         and as a user with key patterns and categories, {ROUNDS} rounds, medians"
    );
    let users: [&[&str]; 2] = [&[], &["--user", "bench", "-a", "bench"]];
    // (test, user) -> server -> requests per second
    let mut results: BTreeMap<(usize, usize), [Vec<f64>; 2]> = BTreeMap::new();
    for round in 0..ROUNDS {
        for (test_index, test) in TESTS.iter().enumerate() {
            for (user_index, user) in users.iter().enumerate() {
                let mut servers = [(0, &redis), (1, &ferrodis)];
                if round % 2 == 1 {
                    servers.reverse();
                }
                for (slot, server) in servers {
                    let (_, sample) = redis_benchmark(server, 16, requests, test, user);
                    let entry = results.entry((test_index, user_index)).or_default();
                    entry[slot].push(sample.requests_per_second);
                }
            }
        }
    }
    println!(
        "{:<8} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9}",
        "test",
        "redis dflt",
        "redis user",
        "ferro dflt",
        "ferro user",
        "redis u/d",
        "ferro u/d",
        "user f/r"
    );
    for (test_index, test) in TESTS.iter().enumerate() {
        let rate = |user: usize, slot: usize| median(results[&(test_index, user)][slot].clone());
        let (redis_default, redis_user) = (rate(0, 0), rate(1, 0));
        let (ferrodis_default, ferrodis_user) = (rate(0, 1), rate(1, 1));
        println!(
            "{:<8} {:>12.0} {:>12.0} {:>12.0} {:>12.0} {:>9.2} {:>9.2} {:>9.2}",
            test,
            redis_default,
            redis_user,
            ferrodis_default,
            ferrodis_user,
            redis_user / redis_default,
            ferrodis_user / ferrodis_default,
            ferrodis_user / redis_user,
        );
    }
}
