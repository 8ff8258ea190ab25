//! Control over connections as a whole: CLIENT PAUSE (what it holds back, until when, expiry
//! meanwhile), MONITOR (the lines, in the order commands ran) and client-side caching (expiry,
//! the table's limit, redirects). These need the core's clock or several connections' views;
//! the replies Redis gives alike are compared with it in io/tests.

mod common;

use common::Harness;
use ferrodis_core::{CloseReason, Config, Output};

#[test]
fn a_pause_of_writes_holds_writes_until_its_end_and_lets_reads_through() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    let writer = harness.open();
    let reader = harness.open();
    assert_eq!(harness.command(admin, "CLIENT PAUSE 1000 WRITE"), "+OK\r\n");
    assert_eq!(harness.command(writer, "SET k v"), "", "held back");
    assert_eq!(harness.command(writer, "GET k"), "", "queued behind it");
    assert_eq!(harness.command(reader, "GET k"), "$-1\r\n");
    let info = harness.command(reader, "INFO clients");
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    let deadline = harness.server.poll_timeout().unwrap();
    assert!(deadline.as_millis() <= 1001, "woken for the pause's end");
    harness.advance(1000);
    harness.run_timers();
    assert_eq!(harness.take_replies(writer), "", "the end is inclusive");
    harness.advance(1);
    harness.run_timers();
    assert_eq!(harness.take_replies(writer), "+OK\r\n$1\r\nv\r\n");
}

#[test]
fn unpause_releases_held_clients_in_the_order_they_came() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    let first = harness.open();
    let second = harness.open();
    assert_eq!(harness.command(admin, "CLIENT PAUSE 100000"), "+OK\r\n");
    assert_eq!(
        harness.command(first, "PING"),
        "",
        "a pause of all holds reads"
    );
    assert_eq!(harness.command(second, "RPUSH l second"), "");
    assert_eq!(harness.command(first, "RPUSH l first"), "");
    assert_eq!(
        harness.command(first, "SET"),
        "",
        "even a wrong command waits behind a held one"
    );
    // An admin cannot unpause a pause of all: it is held too, until the timeout.
    assert_eq!(harness.command(admin, "CLIENT UNPAUSE"), "");
    harness.advance(100_001);
    harness.run_timers();
    assert_eq!(harness.take_replies(admin), "+OK\r\n");
    // The first held runs all it sent before the second runs.
    assert_eq!(
        harness.take_replies(first),
        "+PONG\r\n:1\r\n-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(harness.take_replies(second), ":2\r\n");
    let list = harness.command(admin, "LRANGE l 0 -1");
    assert_eq!(list, "*2\r\n$5\r\nfirst\r\n$6\r\nsecond\r\n");
}

#[test]
fn wrong_commands_answer_at_once_under_a_pause_of_writes() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    let client = harness.open();
    assert_eq!(
        harness.command(admin, "CLIENT PAUSE 100000 WRITE"),
        "+OK\r\n"
    );
    assert_eq!(
        harness.command(client, "SET k"),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(
        harness.command(client, "PUBLISH c m"),
        "",
        "PUBLISH may replicate"
    );
    assert_eq!(harness.command(admin, "CLIENT UNPAUSE"), "+OK\r\n");
    harness.run_timers();
    assert_eq!(harness.take_replies(client), ":0\r\n");
}

#[test]
fn a_paused_exec_waits_only_if_it_writes() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    let client = harness.open();
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    assert_eq!(harness.command(client, "GET k"), "+QUEUED\r\n");
    assert_eq!(
        harness.command(admin, "CLIENT PAUSE 100000 WRITE"),
        "+OK\r\n"
    );
    assert_eq!(harness.command(client, "EXEC"), "*1\r\n$-1\r\n");
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    assert_eq!(
        harness.command(client, "INCR k"),
        "",
        "queuing a write waits"
    );
    assert_eq!(harness.command(admin, "CLIENT UNPAUSE"), "+OK\r\n");
    harness.run_timers();
    assert_eq!(harness.take_replies(client), "+QUEUED\r\n");
    assert_eq!(harness.command(client, "EXEC"), "*1\r\n:1\r\n");
}

#[test]
fn nothing_expires_during_a_pause() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    assert_eq!(harness.command(admin, "SET k v PX 10"), "+OK\r\n");
    assert_eq!(
        harness.command(admin, "CLIENT PAUSE 100000 WRITE"),
        "+OK\r\n"
    );
    harness.advance(1000);
    harness.run_timers();
    assert_eq!(harness.command(admin, "GET k"), "$-1\r\n", "logically gone");
    assert_eq!(
        harness.command(admin, "DBSIZE"),
        ":1\r\n",
        "but still there"
    );
    let stats = harness.command(admin, "INFO stats");
    assert!(stats.contains("expired_keys:0\r\n"), "{stats}");
    assert_eq!(harness.command(admin, "CLIENT UNPAUSE"), "+OK\r\n");
    assert_eq!(harness.command(admin, "GET k"), "$-1\r\n");
    assert_eq!(harness.command(admin, "DBSIZE"), ":0\r\n");
    let stats = harness.command(admin, "INFO stats");
    assert!(stats.contains("expired_keys:1\r\n"), "{stats}");
}

#[test]
fn a_closed_paused_client_is_forgotten() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    let client = harness.open();
    assert_eq!(
        harness.command(admin, "CLIENT PAUSE 100000 WRITE"),
        "+OK\r\n"
    );
    assert_eq!(harness.command(client, "SET k v"), "");
    harness.server.connection_closed(harness.now, client);
    harness.drain();
    assert_eq!(harness.command(admin, "CLIENT UNPAUSE"), "+OK\r\n");
    harness.run_timers();
    assert_eq!(harness.command(admin, "EXISTS k"), ":0\r\n");
}

#[test]
fn monitor_shows_every_command_as_redis_formats_it() {
    let mut harness = Harness::new(Config::default());
    let monitor = harness.open();
    let client = harness.open();
    assert_eq!(harness.command(monitor, "MONITOR"), "+OK\r\n");
    assert_eq!(
        harness.command(monitor, "MONITOR"),
        "",
        "a second MONITOR says nothing"
    );
    harness.advance(1234);
    harness.command(client, "SET k a\"b");
    harness.command(client, "SELECT 2");
    harness.command(client, "NOSUCH x");
    harness.command(client, "AUTH secret");
    harness.command(client, "MULTI");
    harness.command(client, "GET k");
    harness.command(client, "EXEC");
    harness.command(client, "CONFIG GET hz");
    let lines = harness.take_replies(monitor);
    assert_eq!(
        lines,
        "+1700000001.234000 [0 127.0.0.1:1000] \"SET\" \"k\" \"a\\\"b\"\r\n\
         +1700000001.234000 [2 127.0.0.1:1000] \"SELECT\" \"2\"\r\n\
         +1700000001.234000 [2 127.0.0.1:1000] \"AUTH\" \"(redacted)\"\r\n\
         +1700000001.234000 [2 127.0.0.1:1000] \"MULTI\"\r\n\
         +1700000001.234000 [2 127.0.0.1:1000] \"GET\" \"k\"\r\n\
         +1700000001.234000 [2 127.0.0.1:1000] \"EXEC\"\r\n",
        "unknown and admin commands are not shown"
    );
    assert_eq!(
        harness.command(monitor, "GET k"),
        "-ERR Replica can't interact with the keyspace\r\n"
    );
    assert_eq!(harness.command(monitor, "RESET"), "+RESET\r\n");
    harness.command(client, "PING");
    assert_eq!(harness.take_replies(monitor), "", "RESET leaves MONITOR");
}

#[test]
fn a_blocked_command_is_shown_once() {
    let mut harness = Harness::new(Config::default());
    let monitor = harness.open();
    let waiter = harness.open();
    let pusher = harness.open();
    assert_eq!(harness.command(monitor, "MONITOR"), "+OK\r\n");
    assert_eq!(harness.command(waiter, "BLPOP q 0"), "");
    assert_eq!(harness.command(pusher, "RPUSH q v"), ":1\r\n");
    harness.run_timers();
    let lines = harness.take_replies(monitor);
    assert_eq!(lines.matches("\"BLPOP\"").count(), 1, "{lines}");
    assert!(lines.contains("\"RPUSH\" \"q\" \"v\""), "{lines}");
}

#[test]
fn client_list_shows_monitor_and_no_evict() {
    let mut harness = Harness::new(Config::default());
    let monitor = harness.open();
    let client = harness.open();
    assert_eq!(harness.command(client, "CLIENT NO-EVICT on"), "+OK\r\n");
    assert_eq!(
        harness.command(client, "CLIENT NO-EVICT maybe"),
        "-ERR syntax error\r\n"
    );
    assert_eq!(harness.command(monitor, "MONITOR"), "+OK\r\n");
    let list = harness.command(client, "CLIENT LIST");
    assert!(list.contains(" flags=O "), "{list}");
    assert!(list.contains(" flags=e "), "{list}");
}

fn client_id(harness: &mut Harness, id: ferrodis_core::ConnectionId) -> String {
    let reply = harness.command(id, "CLIENT ID");
    reply.trim_start_matches(':').trim_end().to_string()
}

#[test]
fn invalidations_go_to_a_subscribed_redirect_and_report_it_gone() {
    let mut harness = Harness::new(Config::default());
    let tracker = harness.open();
    let listener = harness.open();
    let writer = harness.open();
    let listener_id = client_id(&mut harness, listener);
    harness.command(listener, "SUBSCRIBE __redis__:invalidate");
    let on = format!("CLIENT TRACKING on REDIRECT {listener_id}");
    assert_eq!(harness.command(tracker, &on), "+OK\r\n");
    harness.command(tracker, "GET k");
    harness.command(writer, "SET k v");
    assert_eq!(
        harness.take_replies(listener),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
    );
    // The listener goes; a RESP3 tracker hears that its redirect broke.
    harness.server.connection_closed(harness.now, listener);
    harness.drain();
    harness.command(tracker, "HELLO 3");
    harness.command(tracker, "GET k");
    harness.command(writer, "SET k w");
    assert_eq!(
        harness.take_replies(tracker),
        format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{listener_id}\r\n")
    );
    let list = harness.command(writer, "CLIENT LIST");
    assert!(list.contains(" flags=tR "), "{list}");
}

#[test]
fn expiry_and_the_table_limit_invalidate_too() {
    let mut harness = Harness::new(Config::default());
    let tracker = harness.open();
    let writer = harness.open();
    harness.command(tracker, "HELLO 3");
    harness.command(tracker, "CLIENT TRACKING on");
    harness.command(writer, "SET soon v PX 50");
    harness.command(tracker, "GET soon");
    harness.advance(1000);
    harness.run_timers();
    assert_eq!(
        harness.take_replies(tracker),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nsoon\r\n",
        "active expiry tells"
    );
    harness.command(tracker, "MGET a b c");
    let stats = harness.command(writer, "INFO stats");
    assert!(stats.contains("tracking_total_keys:3\r\n"), "{stats}");
    harness.command(writer, "CONFIG SET tracking-table-max-keys 1");
    let told = harness.take_replies(tracker);
    assert_eq!(told.matches("invalidate").count(), 2, "{told}");
    let stats = harness.command(writer, "INFO stats");
    assert!(stats.contains("tracking_total_keys:1\r\n"), "{stats}");
    // Nobody tracking: the table is gone.
    harness.server.connection_closed(harness.now, tracker);
    harness.drain();
    let stats = harness.command(writer, "INFO stats");
    assert!(stats.contains("tracking_total_keys:0\r\n"), "{stats}");
    assert!(stats.contains("tracking_total_items:0\r\n"), "{stats}");
}

#[test]
fn an_eviction_before_a_command_invalidates_before_its_reply() {
    let mut harness = Harness::new(Config::default());
    let client = harness.open();
    assert!(harness.command(client, "HELLO 3").starts_with('%'));
    for setting in [
        "CLIENT TRACKING on",
        "CONFIG SET maxmemory-policy volatile-random",
        "SETEX volatile-key 10000 x",
    ] {
        assert_eq!(harness.command(client, setting), "+OK\r\n");
    }
    assert_eq!(harness.command(client, "GET volatile-key"), "$1\r\nx\r\n");
    assert_eq!(
        harness.command(client, "CONFIG SET maxmemory 1000"),
        "+OK\r\n"
    );
    harness.server.set_used_memory(2000);
    assert_eq!(
        harness.command(client, "PING"),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n+PONG\r\n"
    );
}

/// A client that sends requests and reads no reply, holding `bytes` of unread replies.
fn hold_replies(harness: &mut Harness, id: ferrodis_core::ConnectionId, key: &str, gets: usize) {
    let get = common::request(&[b"GET", key.as_bytes()]);
    harness.send(id, &get.repeat(gets));
}

#[test]
fn maxmemory_clients_closes_the_biggest_clients_but_not_no_evict_ones() {
    let mut harness = Harness::new(Config::default());
    let admin = harness.open();
    assert_eq!(harness.command(admin, "CLIENT NO-EVICT on"), "+OK\r\n");
    let value = "v".repeat(10_000);
    assert_eq!(harness.command(admin, &format!("SET k {value}")), "+OK\r\n");
    let small = harness.open();
    let big = harness.open();
    let exempt = harness.open();
    assert_eq!(harness.command(exempt, "CLIENT NO-EVICT on"), "+OK\r\n");
    // Unread replies: 10 KB for one, 300 KB for the others. Nothing is limited yet.
    hold_replies(&mut harness, small, "k", 1);
    hold_replies(&mut harness, big, "k", 30);
    hold_replies(&mut harness, exempt, "k", 30);
    assert!(harness.closes().is_empty());
    assert_eq!(
        harness.command(admin, "CONFIG SET maxmemory-clients 500kb"),
        "+OK\r\n"
    );
    // The next input checks the limit: the biggest evictable client goes, and that is enough.
    assert_eq!(harness.command(admin, "PING"), "+PONG\r\n");
    assert_eq!(harness.closes(), [(big, CloseReason::Evicted)]);
    let stats = harness.command(admin, "INFO stats");
    assert!(stats.contains("evicted_clients:1\r\n"), "{stats}");
    // Under a limit no client can meet, every evictable client goes but the exempt one.
    assert_eq!(
        harness.command(admin, "CONFIG SET maxmemory-clients 1"),
        "+OK\r\n"
    );
    harness.advance(200);
    harness.run_timers();
    let closed: Vec<_> = harness.closes().into_iter().map(|(id, _)| id).collect();
    assert_eq!(closed, [big, small]);
    // Still over with nobody left to close: the log says so once.
    harness.advance(200);
    harness.run_timers();
    let warnings = harness
        .outputs
        .iter()
        .filter(|output| matches!(output, Output::Log { message, .. } if message.starts_with("Over client maxmemory")))
        .count();
    assert_eq!(warnings, 1);
    // A percentage of maxmemory, and Redis's errors.
    assert_eq!(
        harness.command(admin, "CONFIG SET maxmemory-clients 10%"),
        "+OK\r\n"
    );
    assert_eq!(
        harness.command(admin, "CONFIG GET maxmemory-clients"),
        "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n"
    );
    assert!(harness
        .command(admin, "CONFIG SET maxmemory-clients 101%")
        .contains("percentage argument must be less or equal to 100"));
    assert!(harness
        .command(admin, "CONFIG SET maxmemory-clients 1.5%")
        .contains("argument must be a memory or percent value"));
}

/// `qbuf + qbuf-free` of the client named `name`, as CLIENT LIST shows it to `asker`.
fn query_buffer(harness: &mut Harness, asker: ferrodis_core::ConnectionId, name: &str) -> usize {
    let list = harness.command(asker, "CLIENT LIST");
    let line = list
        .lines()
        .find(|line| line.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("{name} in {list}"));
    let field = |key: &str| -> usize {
        let start = line.find(&format!(" {key}=")).expect("the field") + key.len() + 2;
        let rest = &line[start..];
        rest[..rest.find(' ').unwrap_or(rest.len())]
            .parse()
            .unwrap()
    };
    field("qbuf") + field("qbuf-free")
}

#[test]
fn a_big_query_buffer_shrinks_to_the_recent_peak_then_goes_when_idle() {
    let mut harness = Harness::new(Config::default());
    let asker = harness.open();
    let client = harness.open();
    assert_eq!(harness.command(client, "CLIENT SETNAME sender"), "+OK\r\n");
    let big = "A".repeat(400_000);
    assert_eq!(harness.command(client, &format!("SET x {big}")), "+OK\r\n");
    // Kept after the request: the next big one needs no growth.
    let grown = query_buffer(&mut harness, asker, "sender");
    assert!(grown > 400_000, "{grown}");
    // Small requests since: the cron trims the buffer to what they need (a read's room),
    // not to nothing.
    for _ in 0..3 {
        assert_eq!(harness.command(client, "SET x small"), "+OK\r\n");
        harness.advance(100);
        harness.run_timers();
    }
    let trimmed = query_buffer(&mut harness, asker, "sender");
    assert!(trimmed > 0 && trimmed <= 16 * 1024, "{trimmed}");
    // Idle for over 2 seconds: nothing is left.
    harness.advance(2100);
    harness.run_timers();
    assert_eq!(query_buffer(&mut harness, asker, "sender"), 0);
}

#[test]
fn cluster_subcommands_run_under_their_own_flags() {
    let mut harness = Harness::new(Config::default());
    let monitor = harness.open();
    let client = harness.open();
    assert_eq!(harness.command(monitor, "MONITOR"), "+OK\r\n");
    let disabled = "-ERR This instance has cluster support disabled\r\n";
    // CLUSTER INFO is shown to MONITOR; CLUSTER MEET, an admin subcommand, is not.
    assert_eq!(harness.command(client, "CLUSTER INFO"), disabled);
    assert_eq!(harness.command(client, "CLUSTER MEET h 1"), disabled);
    let lines = harness.take_replies(monitor);
    assert!(lines.contains("\"CLUSTER\" \"INFO\""), "{lines}");
    assert!(!lines.contains("MEET"), "{lines}");
    // While the data loads, CLUSTER HELP answers (it is flagged `loading`); CLUSTER INFO waits.
    let now = harness.now;
    harness.server.set_loading_dataset(now, true);
    assert_eq!(harness.command(client, "CLUSTER HELP"), disabled);
    assert!(harness
        .command(client, "CLUSTER INFO")
        .starts_with("-LOADING"));
}
