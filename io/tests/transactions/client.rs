//! The `redis` crate against ferrodis: its transactions (atomic pipelines, MULTI ... EXEC in
//! one write, and `redis::transaction`, its WATCH / MULTI / EXEC loop that retries on a null
//! EXEC), its pub/sub connection and a blocking pop served by another client's push.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;

use redis::{Commands, ErrorKind, ServerErrorKind};

use crate::common::{start_ferrodis, ServerProcess};

/// Increments per thread in the optimistic-locking test.
const INCREMENTS_PER_THREAD: usize = 200;

fn client(server: &ServerProcess) -> redis::Connection {
    crate::common::redis_client(server, "")
}

#[test]
fn atomic_pipeline_returns_every_result() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server);
    let (ok, counter, text, added, score, deleted, exists): (
        String,
        i64,
        String,
        i64,
        f64,
        i64,
        bool,
    ) = redis::pipe()
        .atomic()
        .set("counter", 1)
        .incr("counter", 41)
        .get("counter")
        .zadd("board", "member", 1.5)
        .zscore("board", "member")
        .del("counter")
        .exists("counter")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        (
            ok.as_str(),
            counter,
            text.as_str(),
            added,
            score,
            deleted,
            exists
        ),
        ("OK", 42, "42", 1, 1.5, 1, false)
    );
    // Ignored commands still run; the rest come back in order.
    let (card,): (i64,) = redis::pipe()
        .atomic()
        .zadd("board", "other", 2)
        .ignore()
        .zcard("board")
        .query(&mut con)
        .unwrap();
    assert_eq!(card, 2);
    // The connection is out of the transaction afterwards.
    assert_eq!(
        redis::cmd("EXEC")
            .query::<()>(&mut con)
            .unwrap_err()
            .detail(),
        Some("EXEC without MULTI")
    );
}

/// Increments `key` once through `redis::transaction`: GET, then SET of the next value inside
/// MULTI / EXEC, retried while EXEC answers null. Returns the value written.
fn increment(con: &mut redis::Connection, key: &str, attempts: &AtomicUsize) -> i64 {
    redis::transaction(con, &[key], |con, pipe| {
        attempts.fetch_add(1, Ordering::Relaxed);
        let value: Option<i64> = con.get(key)?;
        let next = value.unwrap_or(0) + 1;
        let written: Option<(i64,)> = pipe.set(key, next).ignore().get(key).query(con)?;
        Ok(written.map(|(written,)| written))
    })
    .unwrap()
}

/// Two threads increment one counter through WATCH / MULTI / EXEC: no update is lost, and every
/// successful transaction wrote a value no other wrote.
#[test]
fn optimistic_locking_from_two_threads_loses_no_update() {
    let server = start_ferrodis(&[]);
    let attempts = AtomicUsize::new(0);
    let start = Barrier::new(2);
    let written: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut con = client(&server);
                    start.wait();
                    (0..INCREMENTS_PER_THREAD)
                        .map(|_| increment(&mut con, "counter", &attempts))
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect()
    });
    let total = 2 * INCREMENTS_PER_THREAD;
    let mut all: Vec<i64> = written.concat();
    all.sort_unstable();
    assert_eq!(all, (1..=total as i64).collect::<Vec<_>>());
    let mut con = client(&server);
    assert_eq!(con.get::<_, i64>("counter").unwrap(), total as i64);
    // Each increment took at least one attempt; retries come on top under contention.
    assert!(attempts.load(Ordering::Relaxed) >= total);
}

/// A change between the closure's GET and its EXEC fails that EXEC: the closure runs again,
/// reads the new value, and the second EXEC succeeds. Deterministic, unlike the threads above.
#[test]
fn transaction_retries_when_its_key_changes_before_exec() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server);
    let mut other = client(&server);
    let _: () = con.set("counter", 1).unwrap();
    let mut attempts = 0;
    let written: i64 = redis::transaction(&mut con, &["counter"], |con, pipe| {
        attempts += 1;
        let value: i64 = con.get("counter")?;
        if attempts == 1 {
            let _: () = other.set("counter", 100)?;
        }
        let written: Option<(i64,)> = pipe
            .set("counter", value + 1)
            .ignore()
            .get("counter")
            .query(con)?;
        Ok(written.map(|(written,)| written))
    })
    .unwrap();
    assert_eq!((attempts, written), (2, 101));
    assert_eq!(con.get::<_, i64>("counter").unwrap(), 101);
}

/// A command that fails inside EXEC comes back to the caller as an error with its position; the
/// commands before and after it ran.
#[test]
fn atomic_pipeline_reports_a_failing_command_and_runs_the_rest() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server);
    let result: redis::RedisResult<(String, i64, String, i64)> = redis::pipe()
        .atomic()
        .set("text", "not a number")
        .incr("text", 1)
        .set("after", "ran")
        .zadd("text", "member", 1)
        .query(&mut con);
    let error = result.expect_err("INCR and ZADD on a string fail");
    let failures = error.into_server_errors().expect("the server's errors");
    let failures: Vec<(usize, &str, Option<&str>)> = failures
        .iter()
        .map(|(index, failure)| (*index, failure.code(), failure.details()))
        .collect();
    assert_eq!(
        failures,
        [
            (1, "ERR", Some("value is not an integer or out of range")),
            (
                3,
                "WRONGTYPE",
                Some("Operation against a key holding the wrong kind of value")
            ),
        ]
    );
    assert_eq!(con.get::<_, String>("text").unwrap(), "not a number");
    assert_eq!(con.get::<_, String>("after").unwrap(), "ran");

    // With ignore_errors, every command's own result.
    let results: Vec<redis::RedisResult<String>> = redis::pipe()
        .atomic()
        .incr("text", 1)
        .set("after", "again")
        .ignore_errors()
        .query(&mut con)
        .unwrap();
    assert!(results[0].is_err(), "{results:?}");
    assert_eq!(results[1].as_ref().unwrap(), "OK");
    assert_eq!(con.get::<_, String>("after").unwrap(), "again");
}

/// A command refused while queuing (here an unknown one) aborts the whole transaction: the
/// caller gets EXECABORT and nothing ran.
#[test]
fn atomic_pipeline_with_an_unknown_command_runs_nothing() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server);
    let result: redis::RedisResult<(String, String)> = redis::pipe()
        .atomic()
        .set("before", "ran")
        .cmd("NOSUCHCOMMAND")
        .arg("x")
        .query(&mut con);
    let error = result.expect_err("the transaction is aborted");
    assert_eq!(error.kind(), ErrorKind::Server(ServerErrorKind::ExecAbort));
    let failures = error.into_server_errors().expect("the queuing errors");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, 1, "the second command was refused");
    assert_eq!(con.get::<_, Option<String>>("before").unwrap(), None);
}

#[test]
fn pubsub_delivers_channel_and_pattern_messages() {
    let server = start_ferrodis(&[]);
    let mut subscriber = client(&server);
    let mut publisher = client(&server);
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("news").unwrap();
    pubsub.psubscribe("n*").unwrap();
    // Both subscriptions are in place once SUBSCRIBE and PSUBSCRIBE were answered.
    let receivers: i64 = publisher.publish("news", "hello").unwrap();
    assert_eq!(receivers, 2);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let message = pubsub.get_message().unwrap();
        let pattern: Option<String> = message.get_pattern().ok();
        let payload: String = message.get_payload().unwrap();
        seen.push((message.get_channel_name().to_string(), payload, pattern));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("news".to_string(), "hello".to_string(), None),
            (
                "news".to_string(),
                "hello".to_string(),
                Some("n*".to_string())
            ),
        ]
    );
    pubsub.unsubscribe("news").unwrap();
    pubsub.punsubscribe("n*").unwrap();
    let receivers: i64 = publisher.publish("news", "nobody").unwrap();
    assert_eq!(receivers, 0);
}

#[test]
fn a_blocking_pop_gets_what_another_client_pushes() {
    let server = start_ferrodis(&[]);
    let mut consumer = client(&server);
    let mut producer = client(&server);
    std::thread::scope(|scope| {
        let waiting =
            scope.spawn(move || -> Option<[String; 2]> { consumer.blpop("jobs", 10.0).unwrap() });
        // Push once the consumer is blocked, so that the pop is served, not answered at once.
        let mut blocked = false;
        for _ in 0..1000 {
            let info: String = redis::cmd("INFO")
                .arg("clients")
                .query(&mut producer)
                .unwrap();
            if info.contains("blocked_clients:1\r\n") {
                blocked = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(blocked, "the consumer blocks");
        let _: i64 = producer.rpush("jobs", "job-1").unwrap();
        let popped = waiting.join().unwrap();
        assert_eq!(popped, Some(["jobs".to_string(), "job-1".to_string()]));
    });
    let timed_out: Option<[String; 2]> = producer.blpop("jobs", 0.05).unwrap();
    assert_eq!(timed_out, None, "a null reply at the timeout");
}
