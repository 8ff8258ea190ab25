//! Commands that wait on other connections, compared with Redis: pub/sub (a subscriber and a
//! publisher), the blocking pops (a blocked client and a pusher) and CLIENT PAUSE (a paused
//! client and the one that pauses), in both protocols.
//!
//! `A> cmd` sends without reading, `A<` reads the next reply or message, `wait C n` waits
//! until n clients are blocked on both servers (so that a push comes after the pop that waits
//! for it).

use crate::pair::Protocol;
use crate::{collect_failures, run_scripts, Servers};

const PUBSUB: &[&[&str]] = &[
    // Channels, patterns, counts, and what a subscriber may still run.
    &[
        "A SUBSCRIBE news sport",
        "A<",
        "B PUBLISH news hello",
        "A<",
        "B PUBLISH weather nobody",
        "A PSUBSCRIBE n*",
        "B PUBLISH news again",
        "A<",
        "A<",
        "B PUBSUB NUMSUB news sport weather",
        "B PUBSUB NUMPAT",
        "B PUBSUB CHANNELS n*",
        "A PING",
        "A PING hi",
        "A GET k",
        "A UNSUBSCRIBE news",
        "B PUBLISH news third",
        "A<",
        "A PUNSUBSCRIBE",
        "A UNSUBSCRIBE",
        "A UNSUBSCRIBE",
        "A GET k",
        "B PUBSUB NUMSUB news",
    ],
    // Shard channels are apart from the others.
    &[
        "A SSUBSCRIBE s1 s2",
        "A<",
        "B PUBLISH s1 plain",
        "B SPUBLISH s1 shard",
        "A<",
        "B PUBSUB SHARDNUMSUB s1 s2 s3",
        "B PUBSUB SHARDCHANNELS s1",
        "A SUNSUBSCRIBE s1",
        "A SUNSUBSCRIBE",
    ],
    // CLIENT REPLY silences replies, not messages.
    &[
        "A> CLIENT REPLY OFF",
        "A> SET k v",
        "A> CLIENT REPLY ON",
        "A<",
        "A> CLIENT REPLY SKIP",
        "A> INCR n",
        "A GET n",
        "A> CLIENT REPLY OFF",
        "A SUBSCRIBE c",
        "A> PING",
        "B PUBLISH c m",
        "A<",
    ],
    // Published inside a transaction: delivered after EXEC.
    &[
        "A SUBSCRIBE me",
        "B MULTI",
        "B PUBLISH me a",
        "B PUBLISH me b",
        "B EXEC",
        "A<",
        "A<",
        "A RESET",
        "B PUBLISH me gone",
    ],
    // Several subscribers of one channel, one of them through a channel and a pattern (the
    // order of several patterns' messages is Redis's hash order, not compared).
    &[
        "A SUBSCRIBE c",
        "C PSUBSCRIBE c*",
        "C SUBSCRIBE c",
        "B PUBLISH c m",
        "A<",
        "C<",
        "C<",
        "B PUBSUB NUMPAT",
    ],
];

/// In RESP3 a subscriber runs any command, PUBLISH to itself included: its own copy comes
/// before the reply, as in Redis 7.0.
const SELF_PUBLISH: &[&str] = &[
    "A SUBSCRIBE me",
    "A PUBLISH me first",
    "A<",
    "A SET k v",
    "A GET k",
    "A PSUBSCRIBE m*",
    "A PUBLISH me second",
    "A<",
    "A<",
];

const BLOCKING: &[&[&str]] = &[
    // A push serves the client that waits; first come, first served.
    &[
        "A> BLPOP q 0",
        "wait B 1",
        "C> BLPOP q 0",
        "wait B 2",
        "B RPUSH q x y z",
        "A<",
        "C<",
        "B LRANGE q 0 -1",
    ],
    // Served from the key that became ready first, whatever the order of the keys.
    &[
        "A> BRPOP q1 q2 0",
        "wait B 1",
        "B MULTI",
        "B RPUSH q2 a",
        "B RPUSH q1 b",
        "B EXEC",
        "A<",
        "B LRANGE q1 0 -1",
        "B LRANGE q2 0 -1",
    ],
    // A timeout answers a null array; inside MULTI nothing waits.
    &[
        "A BLPOP q 0.05",
        "A BZPOPMIN z 0.01",
        "A BLMOVE s d LEFT RIGHT 0.01",
        "A MULTI",
        "A BLPOP q 0",
        "A BRPOPLPUSH s d 0",
        "A BZMPOP 0 1 z MIN",
        "A EXEC",
        "A BLPOP q -1",
        "A BLPOP q nan",
        "A BLMPOP 0 0 q LEFT",
    ],
    // BLMOVE's push serves the next client waiting on its destination.
    &[
        "A> BLMOVE src dst LEFT RIGHT 0",
        "wait B 1",
        "C> BLPOP dst 0",
        "wait B 2",
        "B RPUSH src v",
        "A<",
        "C<",
        "B EXISTS src dst",
    ],
    // Sorted sets, with counts and both ends.
    &[
        "A> BZPOPMIN z1 z2 0",
        "wait B 1",
        "B ZADD z2 2 b 1 a",
        "A<",
        "A> BZMPOP 0 2 z1 z3 MAX COUNT 5",
        "wait B 1",
        "B ZADD z1 3 c 4 d",
        "A<",
        "A> BZPOPMAX z1 0",
        "wait B 1",
        "B ZADD z1 5 e",
        "A<",
        "A> BLMPOP 0 1 l RIGHT COUNT 2",
        "wait B 1",
        "B LPUSH l 1 2 3",
        "A<",
    ],
    // Made ready by RENAME, by SWAPDB, and not by a value of another type.
    &[
        "A> BLPOP q 0",
        "wait B 1",
        "B RPUSH tmp v",
        "B RENAME tmp q",
        "A<",
        "A> BLPOP q 0",
        "wait B 1",
        "B SET q text",
        "B DEL q",
        "B SELECT 1",
        "B RPUSH q from-db1",
        "B SWAPDB 0 1",
        "A<",
        "B SELECT 0",
        "B FLUSHALL",
    ],
    // What a blocked client sends meanwhile runs after its answer.
    &[
        "A> BRPOPLPUSH s d 0",
        "A> PING",
        "A> LLEN d",
        "wait B 1",
        "B LPUSH s v",
        "A<",
        "A<",
        "A<",
        "B LRANGE d 0 -1",
    ],
];

/// CLIENT PAUSE holds writes (reads go on) until CLIENT UNPAUSE; MONITOR's refusals.
const CONTROL: &[&[&str]] = &[
    &[
        "A CLIENT PAUSE 100000 WRITE",
        "B GET k",
        "B> SET k v",
        "wait C 1",
        "C GET k",
        "C CLIENT UNPAUSE",
        "B<",
        "C GET k",
    ],
    // An EXEC that would write waits; a read-only one does not. Queuing a write waits too.
    &[
        "B MULTI",
        "B GET k",
        "A CLIENT PAUSE 100000 WRITE",
        "B EXEC",
        "A CLIENT UNPAUSE",
        "B MULTI",
        "B PUBLISH c m",
        "A CLIENT PAUSE 100000 WRITE",
        "B> EXEC",
        "wait A 1",
        "A CLIENT UNPAUSE",
        "B<",
        "B MULTI",
        "A CLIENT PAUSE 100000 WRITE",
        "B> INCR n",
        "wait A 1",
        "A CLIENT UNPAUSE",
        "B<",
        "B EXEC",
    ],
    &[
        "A CLIENT PAUSE abc",
        "A CLIENT PAUSE -1",
        "A CLIENT PAUSE 10 sometimes",
        "A CLIENT PAUSE 10 WRITE more",
        "A CLIENT UNPAUSE more",
        "A CLIENT NO-EVICT maybe",
        "A CLIENT NO-EVICT on",
        "A CLIENT NO-EVICT off",
    ],
    &[
        "A MULTI",
        "A MONITOR",
        "A EXEC",
        "A MONITOR",
        "A GET k",
        "A PUBLISH c m",
        "A RESET",
        "A GET k",
    ],
];

/// Client-side caching on a RESP3 connection that hears its own invalidations.
const TRACKING: &[&str] = &[
    "A CLIENT TRACKINGINFO",
    "A CLIENT TRACKING on",
    "A CLIENT TRACKINGINFO",
    "A CLIENT GETREDIR",
    "B SET k 1",
    "A GET k",
    "A MGET k j",
    "B SET k 2",
    "A<",
    "B DEL j",
    "B SET j 1",
    "A<",
    "A GET k",
    "A SET k 3",
    "A<",
    "A CLIENT TRACKING on NOLOOP",
    "A GET k",
    "A SET k 4",
    "A GET k",
    "B INCR k",
    "A<",
    "A GET k",
    "A MULTI",
    "A GET k",
    "A INCR k",
    "A EXEC",
    "A GET k",
    "B INCR k",
    "A<",
    "A CLIENT TRACKING off",
    "A CLIENT TRACKING on BCAST PREFIX user: PREFIX acct:",
    "A CLIENT TRACKINGINFO",
    "B SET user:2 a",
    "A<",
    "B MSET other b user:1 c acct:9 d user:0 e",
    "A<",
    "A<",
    "A CLIENT TRACKING on BCAST PREFIX u",
    "A CLIENT TRACKING on BCAST PREFIX x PREFIX xy",
    "A CLIENT TRACKING on OPTIN",
    "A CLIENT TRACKING off",
    "A CLIENT TRACKING on OPTIN",
    "A GET k",
    "B INCR k",
    "A CLIENT CACHING yes",
    "A GET k",
    "B INCR k",
    "A<",
    "A CLIENT CACHING no",
    "A CLIENT TRACKING on OPTOUT",
    "A CLIENT TRACKING off",
    "A CLIENT TRACKING on OPTOUT",
    "A CLIENT CACHING no",
    "A GET k",
    "B INCR k",
    "A GET k",
    "B INCR k",
    "A<",
    "A CLIENT TRACKING off",
    "A CLIENT TRACKING on",
    "B FLUSHALL",
    "A<",
    "A GET k",
    "A FLUSHDB",
    "A<",
    "A CLIENT TRACKING on PREFIX x",
    "A CLIENT TRACKING on OPTIN OPTOUT",
    "A CLIENT TRACKING on REDIRECT 999999",
    "A CLIENT TRACKING maybe",
    "A CLIENT TRACKING off",
    "A CLIENT CACHING yes",
    "A CLIENT GETREDIR",
];

/// Writes of every kind, with the number of events each raises; A listens to every channel
/// with `notify-keyspace-events KEA`, so each event comes twice (keyspace, then keyevent).
const NOTIFIED: &[(&str, usize)] = &[
    ("B SET k v", 1),
    ("B SET k w EX 100", 2),
    ("B PERSIST k", 1),
    ("B APPEND k x", 1),
    ("B INCR n", 1),
    ("B INCRBYFLOAT n 1.5", 1),
    ("B SETRANGE k 1 y", 1),
    ("B RENAME k k2", 2),
    ("B EXPIRE k2 -1", 1),
    ("B SETEX t 100 v", 2),
    ("B GETDEL t", 1),
    ("B SETBIT bits 3 1", 1),
    ("B BITOP NOT bits2 bits", 1),
    ("B RPUSH l a b", 1),
    ("B LPOP l", 1),
    ("B RPOP l", 2),
    ("B LPUSH l a b c", 1),
    ("B LMOVE l l2 LEFT RIGHT", 2),
    ("B LSET l 0 z", 1),
    ("B LINSERT l BEFORE z q", 1),
    ("B LREM l 0 q", 1),
    ("B LTRIM l 0 0", 1),
    ("B BLPOP l 0", 2),
    ("B SADD s a b", 1),
    ("B SREM s a", 1),
    ("B SMOVE s s2 b", 3),
    ("B SINTERSTORE s3 s2 s2", 1),
    ("B SPOP s3", 2),
    ("B HSET h f v n 1", 1),
    ("B HINCRBY h n 1", 1),
    ("B HINCRBYFLOAT h n 0.5", 1),
    ("B HDEL h f n", 2),
    ("B ZADD z 1 a 2 b 3 c", 1),
    ("B ZADD z 1 a", 0),
    ("B ZINCRBY z 1 a", 1),
    ("B ZREM z a", 1),
    ("B ZREMRANGEBYSCORE z 3 3", 1),
    ("B ZPOPMIN z", 2),
    ("B ZADD z 1 a", 1),
    ("B ZUNIONSTORE z2 1 z", 1),
    ("B ZRANGESTORE z3 z2 0 -1", 1),
    ("B MOVE z3 1", 2),
    ("B COPY l2 l3", 1),
    ("B SORT l2 ALPHA STORE l4", 1),
    ("B DEL k2 n l2 nothing", 2),
    ("B FLUSHALL", 0),
];

#[test]
fn keyspace_notifications_match_redis() {
    let mut script = vec!["B CONFIG SET notify-keyspace-events KEA", "A PSUBSCRIBE *"];
    for (command, events) in NOTIFIED {
        script.push(command);
        script.extend(std::iter::repeat_n("A<", events * 2));
    }
    // Expiry raises `expired` once the key is gone (the cron's active expiry finds it).
    script.extend(["B PSETEX gone 1 v", "A<", "A<", "A<", "A<", "A<", "A<"]);
    script.push("B CONFIG SET notify-keyspace-events \"\"");
    let servers = Servers::start(&[]);
    run_scripts(&servers, &[&script]);
}

#[test]
fn pubsub_matches_redis() {
    let servers = Servers::start(&[]);
    run_scripts(&servers, PUBSUB);
}

#[test]
fn a_resp3_subscriber_publishing_to_itself_matches_redis() {
    let servers = Servers::start(&[]);
    let mut pair = servers.pair(1, Protocol::Resp3);
    let result = pair
        .line("A FLUSHALL")
        .and_then(|_| pair.script(SELF_PUBLISH));
    collect_failures(result.err().into_iter().collect(), 1);
}

#[test]
fn pause_and_monitor_match_redis() {
    let servers = Servers::start(&[]);
    run_scripts(&servers, CONTROL);
}

#[test]
fn client_side_caching_matches_redis() {
    let servers = Servers::start(&[]);
    let mut pair = servers.pair(2, Protocol::Resp3);
    let result = pair.line("A FLUSHALL").and_then(|_| pair.script(TRACKING));
    collect_failures(result.err().into_iter().collect(), 1);
}

#[test]
fn blocking_pops_match_redis() {
    let servers = Servers::start(&[]);
    run_scripts(&servers, BLOCKING);
}
