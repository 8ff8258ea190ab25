//! Scripts in the core's time: a script past busy-reply-threshold is suspended between
//! slices (others get BUSY, the timer resumes it), SCRIPT KILL stops one that has not written,
//! the same script takes the same slices every run, a caller that leaves does not stop it,
//! and the Lua heap and stack limits are errors, never a crash. The replies Redis gives alike
//! are compared with it in io/tests.

mod common;

use common::{request, Harness};
use ferrodis_core::{Config, ConnectionId, DiskRequest, Output, SavePoint};

fn config() -> Config {
    Config {
        busy_reply_threshold_ms: 1,
        ..Config::default()
    }
}

fn eval(harness: &mut Harness, id: ConnectionId, script: &str) -> String {
    harness.send(id, &request(&[b"EVAL", script.as_bytes(), b"0"]));
    harness.take_replies(id)
}

/// Calls the timer until `id` has a reply; how many calls that took, and the reply. Fails
/// after `calls_max`.
fn resume_until_reply(
    harness: &mut Harness,
    id: ConnectionId,
    calls_max: usize,
) -> (usize, String) {
    for calls in 1..=calls_max {
        assert_eq!(
            harness.server.poll_timeout(),
            Some(harness.now.monotonic),
            "a suspended script asks to be resumed at once"
        );
        harness.server.handle_timeout(harness.now);
        harness.drain();
        let reply = harness.take_replies(id);
        if !reply.is_empty() {
            return (calls, reply);
        }
    }
    panic!("no reply after {calls_max} timer calls");
}

#[test]
fn a_runaway_script_is_busy_for_others_until_killed() {
    let mut harness = Harness::new(config());
    let runner = harness.open();
    let other = harness.open();
    assert_eq!(eval(&mut harness, runner, "while true do end"), "");
    assert_eq!(
        harness.command(other, "GET k"),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    for _ in 0..3 {
        harness.server.handle_timeout(harness.now);
        harness.drain();
    }
    assert_eq!(harness.take_replies(runner), "", "still running");
    assert!(harness.command(other, "PING").starts_with("-BUSY"));
    assert_eq!(harness.command(other, "SCRIPT KILL"), "+OK\r\n");
    let (_, reply) = resume_until_reply(&mut harness, runner, 10);
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{reply}"
    );
    assert_eq!(harness.command(other, "PING"), "+PONG\r\n");
    assert_eq!(harness.command(runner, "PING"), "+PONG\r\n");
}

#[test]
fn killing_reaches_into_pcall() {
    let mut harness = Harness::new(config());
    let runner = harness.open();
    let other = harness.open();
    // A loop inside pcall is suspended like any other, and pcall does not swallow the kill.
    for script in [
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        "while true do pcall(function() for i = 1, 1000 do end end) end",
        "xpcall(function() while true do end end, function(e) return e end) return 'no'",
    ] {
        assert_eq!(eval(&mut harness, runner, script), "", "{script}");
        for _ in 0..3 {
            harness.server.handle_timeout(harness.now);
            harness.drain();
        }
        assert!(
            harness.command(other, "PING").starts_with("-BUSY"),
            "{script}"
        );
        assert_eq!(harness.command(other, "SCRIPT KILL"), "+OK\r\n");
        let (_, reply) = resume_until_reply(&mut harness, runner, 10);
        assert!(reply.starts_with("-ERR Script killed"), "{script}: {reply}");
    }
    // pcall still catches errors, passes values and a table error's text through.
    let script = "local ok, e = pcall(function() error({err = 'A b'}) end) \
                  local ok2, v, w = pcall(function(x) return x, nil end, 7) \
                  return {tostring(ok), e, tostring(ok2), v, tostring(w)}";
    assert_eq!(
        eval(&mut harness, runner, script),
        "*5\r\n$5\r\nfalse\r\n$3\r\nA b\r\n$4\r\ntrue\r\n:7\r\n$3\r\nnil\r\n"
    );
}

#[test]
fn a_script_that_wrote_runs_to_its_end() {
    let mut harness = Harness::new(config());
    let runner = harness.open();
    let other = harness.open();
    let script = "redis.call('set', 'k', 'v') local i = 0 while i < 3000000 do i = i + 1 end \
                  return redis.call('incr', 'n') + i";
    harness.send(runner, &request(&[b"EVAL", script.as_bytes(), b"0"]));
    harness.send(runner, &request(&[b"GET", b"k"]));
    assert_eq!(
        harness.take_replies(runner),
        "",
        "suspended, and what follows waits"
    );
    assert!(harness
        .command(other, "SCRIPT KILL")
        .starts_with("-UNKILLABLE Sorry the script already executed write commands"));
    let (_, reply) = resume_until_reply(&mut harness, runner, 100);
    assert_eq!(reply, ":3000001\r\n$1\r\nv\r\n");
    assert_eq!(harness.command(other, "GET n"), "$1\r\n1\r\n");
}

#[test]
fn the_same_script_takes_the_same_slices_every_run() {
    let run = || {
        let mut harness = Harness::new(config());
        let runner = harness.open();
        let script = "local s = 0 for i = 1, 5000000 do s = s + i % 7 end return s";
        assert_eq!(eval(&mut harness, runner, script), "");
        resume_until_reply(&mut harness, runner, 1000)
    };
    let (calls, reply) = run();
    assert!(calls > 1, "the script spans several slices");
    assert_eq!(
        reply,
        format!(":{}\r\n", (1..=5_000_000u64).map(|i| i % 7).sum::<u64>())
    );
    assert_eq!(run(), (calls, reply));
}

#[test]
fn a_caller_that_leaves_does_not_stop_its_script() {
    let mut harness = Harness::new(config());
    let runner = harness.open();
    let other = harness.open();
    let script = "local i = 0 while i < 3000000 do i = i + 1 end redis.call('set', 'done', i)";
    assert_eq!(eval(&mut harness, runner, script), "");
    harness.server.connection_closed(harness.now, runner);
    harness.drain();
    for _ in 0..100 {
        if harness.server.poll_timeout() != Some(harness.now.monotonic) {
            break;
        }
        harness.server.handle_timeout(harness.now);
        harness.drain();
    }
    assert_eq!(harness.command(other, "GET done"), "$7\r\n3000000\r\n");
}

#[test]
fn heap_and_stack_exhaustion_are_errors() {
    let mut harness = Harness::new(Config {
        script_memory_bytes_max: 8 * 1024 * 1024,
        ..Config::default()
    });
    let client = harness.open();
    let reply = eval(
        &mut harness,
        client,
        "local t = {} while true do t[#t + 1] = string.rep('x', 10000) .. #t end",
    );
    assert!(reply.contains("not enough memory"), "{reply}");
    let reply = eval(
        &mut harness,
        client,
        "local function f(n) return 1 + f(n + 1) end return f(1)",
    );
    assert!(reply.contains("stack overflow"), "{reply}");
    assert_eq!(
        eval(&mut harness, client, "return 'alive'"),
        "$5\r\nalive\r\n"
    );
}

#[test]
fn pcall_and_xpcall_hand_back_every_result_of_a_function_that_returns_many() {
    let mut harness = Harness::new(config());
    let client = harness.open();
    let script = "local t = {} for i = 1, 5000 do t[i] = i end \
                  local a = select('#', pcall(unpack, t)) \
                  local b = select('#', xpcall(function() return unpack(t) end, tostring)) \
                  local c = select('#', pcall(cmsgpack.unpack, string.rep('\\1', 300))) \
                  return {a, b, c}";
    assert_eq!(
        eval(&mut harness, client, script),
        "*3\r\n:5001\r\n:5001\r\n:301\r\n"
    );
}

#[test]
fn a_script_inside_exec_runs_to_its_end() {
    let mut harness = Harness::new(config());
    let client = harness.open();
    assert_eq!(harness.command(client, "MULTI"), "+OK\r\n");
    let script = "local i = 0 while i < 3000000 do i = i + 1 end return i";
    assert_eq!(eval(&mut harness, client, script), "+QUEUED\r\n");
    assert_eq!(harness.command(client, "EXEC"), "*1\r\n:3000000\r\n");
}

#[test]
fn functions_are_loaded_called_and_suspended_like_scripts() {
    let mut harness = Harness::new(config());
    let client = harness.open();
    let other = harness.open();
    let library = "#!lua name=lib\n\
                   redis.register_function('count', function(keys, args) \
                   return redis.call('incrby', keys[1], args[1]) end)\n\
                   redis.register_function('spin', function() while true do end end)";
    harness.send(
        client,
        &request(&[b"FUNCTION", b"LOAD", library.as_bytes()]),
    );
    assert_eq!(harness.take_replies(client), "$3\r\nlib\r\n");
    harness.send(client, &request(&[b"FCALL", b"count", b"1", b"n", b"5"]));
    assert_eq!(harness.take_replies(client), ":5\r\n");
    harness.send(client, &request(&[b"FCALL", b"spin", b"0"]));
    assert_eq!(harness.take_replies(client), "");
    assert_eq!(
        harness.command(other, "GET n"),
        "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert!(harness.command(other, "FUNCTION STATS").contains("spin"));
    assert_eq!(harness.command(other, "FUNCTION KILL"), "+OK\r\n");
    let (_, reply) = resume_until_reply(&mut harness, client, 10);
    assert!(
        reply.starts_with("-ERR Script killed by user with FUNCTION KILL... script: spin"),
        "{reply}"
    );
    harness.send(
        client,
        &request(&[b"FUNCTION", b"LOAD", b"#!lua name=loop\nwhile true do end"]),
    );
    assert_eq!(
        harness.take_replies(client),
        "-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n"
    );
}

/// A NUL byte in a library's first line: Redis reads the line as a C string, which then has
/// no end; a config-style line split stops at the NUL (it once looped there for ever).
#[test]
fn a_nul_byte_in_a_library_first_line_is_invalid_metadata() {
    let mut harness = Harness::new(config());
    let client = harness.open();
    let library = b"#!lua name=nul\0junk\nredis.register_function('f', function() return 1 end)";
    harness.send(client, &request(&[b"FUNCTION", b"LOAD", library]));
    assert_eq!(
        harness.take_replies(client),
        "-ERR Invalid library metadata\r\n"
    );
    let library = b"#!lua name=ok\nredis.register_function('f', function() return 1 end)";
    harness.send(client, &request(&[b"FUNCTION", b"LOAD", library]));
    assert_eq!(harness.take_replies(client), "$2\r\nok\r\n");
}

/// A save point that comes due while a script is suspended waits for its end: a snapshot then
/// would hold half of the script's writes (and a rewrite's base, changes the file repeats).
#[test]
fn no_save_begins_while_a_script_is_suspended() {
    let mut harness = Harness::new(Config {
        save_points: vec![SavePoint {
            secs: 1,
            changes: 1,
        }],
        ..config()
    });
    let runner = harness.open();
    let script = "redis.call('incr', 'n') for i = 1, 3000000 do end \
                  redis.call('incr', 'n') return 'done'";
    assert_eq!(eval(&mut harness, runner, script), "");
    let saves_begun = |outputs: &[Output]| {
        outputs
            .iter()
            .filter(|output| {
                matches!(
                    output,
                    Output::Disk {
                        request: DiskRequest::Create { .. },
                        ..
                    }
                )
            })
            .count()
    };
    let mut reply = String::new();
    let mut calls = 0;
    while calls < 10_000 {
        calls += 1;
        harness.advance(700);
        harness.server.handle_timeout(harness.now);
        harness.drain();
        reply = harness.take_replies(runner);
        if !reply.is_empty() {
            break;
        }
        assert_eq!(saves_begun(&harness.outputs), 0, "a save began mid-script");
    }
    assert_eq!(reply, "$4\r\ndone\r\n");
    assert!(
        calls >= 3,
        "the script was suspended across the save point: {calls} calls"
    );
    harness.advance(1000);
    harness.run_timers();
    harness.drain();
    assert_eq!(
        saves_begun(&harness.outputs),
        1,
        "the save point, once the script ended"
    );
}
