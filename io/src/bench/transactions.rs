//! Transactions: pipelined `MULTI, SET, INCR, EXEC` from several connections, as a client
//! library's atomic pipeline sends them. redis-benchmark sends one command per request, so this
//! part drives both servers with our own client, the same way, and compares transactions per
//! second.

use std::time::Instant;

use crate::client::Client;
use crate::servers::{side_by_side, start_ferrodis, start_redis, Running};

/// Same reasoning as the throughput rounds: medians over rounds, each round on both servers
/// back to back, who goes first alternating.
const ROUNDS: usize = 9;
/// Client threads; the machine has two cores, so more would only measure scheduling.
const CONNECTIONS: usize = 4;
/// Transactions written per batch (each is four commands).
const PIPELINE: usize = 16;

/// Runs `transactions` transactions over `CONNECTIONS` connections; transactions per second.
fn drive(server: &Running, transactions: usize) -> f64 {
    let per_connection = transactions / CONNECTIONS;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..CONNECTIONS {
            let port = server.port;
            scope.spawn(move || {
                let mut client = Client::connect(port);
                let key = format!("tx:key:{thread}");
                let counter = format!("tx:counter:{thread}");
                let mut batch = Vec::new();
                for _ in 0..PIPELINE {
                    Client::encode(&mut batch, &[b"MULTI"]);
                    Client::encode(&mut batch, &[b"SET", key.as_bytes(), b"xyz"]);
                    Client::encode(&mut batch, &[b"INCR", counter.as_bytes()]);
                    Client::encode(&mut batch, &[b"EXEC"]);
                }
                for _ in 0..per_connection / PIPELINE {
                    client.send(&batch);
                    for _ in 0..PIPELINE * 4 {
                        client.skip_reply();
                    }
                }
            });
        }
    });
    (per_connection / PIPELINE * PIPELINE * CONNECTIONS) as f64 / started.elapsed().as_secs_f64()
}

pub fn run(scale: usize) {
    let transactions = (200_000 / scale).max(CONNECTIONS * PIPELINE);
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    println!(
        "\n## transactions: MULTI, SET, INCR, EXEC pipelined {PIPELINE} deep on {CONNECTIONS} connections, \
         {transactions} per round, {ROUNDS} rounds, medians"
    );
    let (redis_rate, ferrodis_rate) = side_by_side(ROUNDS, &redis, &ferrodis, |server| {
        drive(server, transactions)
    });
    println!("test              redis tps ferrodis tps   ratio");
    println!(
        "{:<16} {:>10.0} {:>12.0} {:>7.2}",
        "MULTI/SET/INCR/EXEC",
        redis_rate,
        ferrodis_rate,
        ferrodis_rate / redis_rate
    );
}
