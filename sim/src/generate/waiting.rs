//! Waiting commands: blocking pops with short timeouts (now and then none, or a bad one) on a
//! few keys of their own, the pushes that serve them, and pub/sub on a few channels, patterns
//! and shard channels, so that subscriptions overlap and publishes reach several receivers.

use super::{args, key, member, pick, value, Args, SCORES};
use crate::entropy::Rng;
use crate::options::Options;

const CHANNELS: &[&str] = &["ch0", "ch1", "ch2", "news.a", "news.b"];
/// Globs within what the model's matcher reads: `*`, `?` and `[set]`.
const PATTERNS: &[&str] = &["*", "ch*", "ch?", "ch[02]", "news.*", "*1", "n?ws.[ab]"];
const SHARD_CHANNELS: &[&str] = &["sh0", "sh1", "ch0"];
/// Seconds: mostly short, now and then for ever (0), rarely not a timeout at all.
const TIMEOUTS: &[&str] = &["0.05", "0.1", "0.3", "1", "2", "0.001", "0.5", "3", "5"];

/// A key the blocking pops share (so that several clients wait on one), or any key.
fn waiting_key(rng: &mut Rng<'_>, options: &Options) -> Vec<u8> {
    if rng.below(4) == 0 {
        key(rng, options)
    } else {
        format!("q{}", rng.below(3)).into_bytes()
    }
}

fn timeout(rng: &mut Rng<'_>) -> Vec<u8> {
    match rng.below(40) {
        0 => pick(rng, &["-1", "abc"]),
        1 | 2 => b"0".to_vec(),
        _ => pick(rng, TIMEOUTS),
    }
}

fn names(rng: &mut Rng<'_>, from: &[&str], at_least: u64) -> Args {
    (0..rng.range(at_least, 3))
        .map(|_| pick(rng, from))
        .collect()
}

fn end(rng: &mut Rng<'_>, ends: &[&str]) -> Vec<u8> {
    pick(rng, ends)
}

pub(super) fn waiting(rng: &mut Rng<'_>, options: &Options) -> Args {
    let k = waiting_key(rng, options);
    let other = waiting_key(rng, options);
    match rng.below(36) {
        0..=3 => {
            let name: &[u8] = if rng.bool() { b"BLPOP" } else { b"BRPOP" };
            let mut a = args(&[name, &k]);
            if rng.bool() {
                a.push(other);
            }
            a.push(timeout(rng));
            a
        }
        4 => {
            let mut a = args(&[b"BLMPOP", &timeout(rng), b"2", &k, &other]);
            a.push(end(rng, &["LEFT", "RIGHT"]));
            if rng.bool() {
                a.extend([b"COUNT".to_vec(), super::small_int(rng, 1, 3)]);
            }
            a
        }
        5 => args(&[b"BRPOPLPUSH", &k, &other, &timeout(rng)]),
        6 => {
            let from = end(rng, &["LEFT", "RIGHT"]);
            let to = end(rng, &["LEFT", "RIGHT"]);
            args(&[b"BLMOVE", &k, &other, &from, &to, &timeout(rng)])
        }
        7 | 8 => {
            let name: &[u8] = if rng.bool() { b"BZPOPMIN" } else { b"BZPOPMAX" };
            args(&[name, &k, &timeout(rng)])
        }
        9 => {
            let mut a = args(&[b"BZMPOP", &timeout(rng), b"2", &k, &other]);
            a.push(end(rng, &["MIN", "MAX"]));
            if rng.bool() {
                a.extend([b"COUNT".to_vec(), super::small_int(rng, 1, 3)]);
            }
            a
        }
        10..=13 => {
            let name: &[u8] = if rng.bool() { b"RPUSH" } else { b"LPUSH" };
            let mut a = args(&[name, &k]);
            for _ in 0..[1, 1, 1, 2][rng.index(4)] {
                a.push(pick(rng, &["a", "b", "c", "1"]));
            }
            a
        }
        14 | 15 => args(&[b"ZADD", &k, &pick(rng, SCORES), &member(rng)]),
        32 | 33 => args(&[b"ZCARD", &k]),
        34 | 35 => args(&[b"LRANGE", &k, b"0", b"-1"]),
        16 | 17 => {
            let mut a = args(&[b"SUBSCRIBE"]);
            a.extend(names(rng, CHANNELS, 1));
            a
        }
        18 => {
            let mut a = args(&[b"PSUBSCRIBE"]);
            a.extend(names(rng, PATTERNS, 1));
            a
        }
        19 => {
            let mut a = args(&[b"SSUBSCRIBE"]);
            a.extend(names(rng, SHARD_CHANNELS, 1));
            a
        }
        20 | 21 => {
            let (name, from): (&[u8], _) = match rng.below(3) {
                0 => (b"UNSUBSCRIBE", CHANNELS),
                1 => (b"PUNSUBSCRIBE", PATTERNS),
                _ => (b"SUNSUBSCRIBE", SHARD_CHANNELS),
            };
            let mut a = args(&[name]);
            a.extend(names(rng, from, 0));
            a
        }
        22..=25 => {
            let message = if rng.below(4) == 0 {
                value(rng, options)
            } else {
                pick(rng, &["hi", "", "x y"])
            };
            args(&[b"PUBLISH", &pick(rng, CHANNELS), &message])
        }
        26 => args(&[b"SPUBLISH", &pick(rng, SHARD_CHANNELS), b"s"]),
        27 => match rng.below(3) {
            0 => args(&[b"PUBSUB", b"CHANNELS"]),
            1 => args(&[b"PUBSUB", b"channels", &pick(rng, PATTERNS)]),
            _ => args(&[b"PUBSUB", b"SHARDCHANNELS"]),
        },
        28 => {
            let name: &[u8] = if rng.bool() {
                b"NUMSUB"
            } else {
                b"SHARDNUMSUB"
            };
            let mut a = args(&[b"PUBSUB", name]);
            a.extend(names(rng, CHANNELS, 0));
            a
        }
        29 => args(&[b"PUBSUB", b"NUMPAT"]),
        30 => args(&[b"PING"]),
        _ => args(&[b"LLEN", &k]),
    }
}

/// What a subscriber sends most of the time (a RESP2 subscriber may send nothing else): more
/// subscriptions, unsubscriptions (often from every name of a kind), PING.
pub fn subscriber(rng: &mut Rng<'_>) -> Args {
    match rng.below(10) {
        0 => {
            let mut a = args(&[b"SUBSCRIBE"]);
            a.extend(names(rng, CHANNELS, 1));
            a
        }
        1 => {
            let mut a = args(&[b"PSUBSCRIBE"]);
            a.extend(names(rng, PATTERNS, 1));
            a
        }
        2 => args(&[b"PING", b"still there"]),
        3 => args(&[b"PING"]),
        _ => {
            let (name, from): (&[u8], _) = match rng.below(3) {
                0 => (b"UNSUBSCRIBE", CHANNELS),
                1 => (b"PUNSUBSCRIBE", PATTERNS),
                _ => (b"SUNSUBSCRIBE", SHARD_CHANNELS),
            };
            let mut a = args(&[name]);
            if rng.below(4) == 0 {
                a.extend(names(rng, from, 1));
            }
            a
        }
    }
}
