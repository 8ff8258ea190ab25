//! Connections that wait: pub/sub fan-out (one publisher, many subscribers, messages delivered
//! per second) and the blocking-pop round trip (one producer pushing, many consumers in BRPOP,
//! elements handed over per second), on both servers with our own client.

use std::sync::Barrier;
use std::time::Instant;

use crate::client::Client;
use crate::servers::{side_by_side, start_ferrodis, start_redis, Running};

const ROUNDS: usize = 7;
/// Subscribers, and consumers blocked in BRPOP.
const WAITERS: usize = 50;
/// PUBLISH commands written per batch.
const PIPELINE: usize = 16;

/// Publishes `messages` messages to `WAITERS` subscribers; messages delivered per second.
fn fan_out(server: &Running, messages: usize) -> f64 {
    let messages = messages / PIPELINE * PIPELINE;
    let subscribed = Barrier::new(WAITERS + 1);
    let started = std::thread::scope(|scope| {
        for _ in 0..WAITERS {
            let subscribed = &subscribed;
            scope.spawn(move || {
                let mut client = Client::connect(server.port);
                let mut request = Vec::new();
                Client::encode(&mut request, &[b"SUBSCRIBE", b"bench:channel"]);
                client.send(&request);
                client.skip_reply();
                subscribed.wait();
                for _ in 0..messages {
                    client.skip_reply();
                }
            });
        }
        let mut publisher = Client::connect(server.port);
        let mut batch = Vec::new();
        for _ in 0..PIPELINE {
            Client::encode(
                &mut batch,
                &[
                    b"PUBLISH",
                    b"bench:channel",
                    b"payload-of-32-bytes-0123456789ab",
                ],
            );
        }
        subscribed.wait();
        let started = Instant::now();
        for _ in 0..messages / PIPELINE {
            publisher.send(&batch);
            for _ in 0..PIPELINE {
                publisher.skip_reply();
            }
        }
        started
    });
    (messages * WAITERS) as f64 / started.elapsed().as_secs_f64()
}

/// Hands `elements` elements from one producer (LPUSH, one at a time) to `WAITERS`
/// consumers waiting in BRPOP; elements per second.
fn blocking_pop(server: &Running, elements: usize) -> f64 {
    let per_consumer = elements / WAITERS;
    let ready = Barrier::new(WAITERS + 1);
    let started = std::thread::scope(|scope| {
        for _ in 0..WAITERS {
            let ready = &ready;
            scope.spawn(move || {
                let mut client = Client::connect(server.port);
                let mut request = Vec::new();
                Client::encode(&mut request, &[b"BRPOP", b"bench:queue", b"0"]);
                ready.wait();
                for _ in 0..per_consumer {
                    client.send(&request);
                    client.skip_reply();
                }
            });
        }
        let mut producer = Client::connect(server.port);
        let mut push = Vec::new();
        Client::encode(&mut push, &[b"LPUSH", b"bench:queue", b"job"]);
        ready.wait();
        let started = Instant::now();
        for _ in 0..per_consumer * WAITERS {
            producer.send(&push);
            producer.skip_reply();
        }
        started
    });
    (per_consumer * WAITERS) as f64 / started.elapsed().as_secs_f64()
}

pub fn run(scale: usize) {
    let messages = (20_000 / scale).max(PIPELINE);
    let elements = (100_000 / scale).max(WAITERS);
    let redis = start_redis();
    let ferrodis = start_ferrodis();
    println!(
        "\n## waiting: pub/sub fan-out ({messages} messages to {WAITERS} subscribers, PUBLISH \
         pipelined {PIPELINE} deep) and blocking pops ({elements} LPUSH to {WAITERS} clients in \
         BRPOP), {ROUNDS} rounds, medians"
    );
    println!("test                         redis/s   ferrodis/s   ratio");
    let (redis_rate, ferrodis_rate) = side_by_side(ROUNDS, &redis, &ferrodis, |server| {
        fan_out(server, messages)
    });
    println!(
        "{:<24} {:>12.0} {:>12.0} {:>7.2}",
        "pubsub fan-out (msg)",
        redis_rate,
        ferrodis_rate,
        ferrodis_rate / redis_rate
    );
    let (redis_rate, ferrodis_rate) = side_by_side(ROUNDS, &redis, &ferrodis, |server| {
        blocking_pop(server, elements)
    });
    println!(
        "{:<24} {:>12.0} {:>12.0} {:>7.2}",
        "LPUSH -> BRPOP (elem)",
        redis_rate,
        ferrodis_rate,
        ferrodis_rate / redis_rate
    );
}
