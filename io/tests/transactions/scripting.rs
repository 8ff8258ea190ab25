//! Lua scripts against a real Redis: EVAL's conversions both ways, its errors (from the
//! script, from `redis.call`, from the sandbox) with the line they name, `redis.pcall`,
//! NOSCRIPT, the read-only forms and `#!lua` flags, SCRIPT LOAD / EXISTS / FLUSH, the
//! libraries Redis bundles, and `math.random`'s sequence. Then, on ferrodis alone: the
//! `redis` crate's `Script` helper (EVALSHA, then EVAL on NOSCRIPT), and a runaway script
//! that others see as BUSY until SCRIPT KILL stops it.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::{self, start_ferrodis};
use crate::{run_scripts, Servers};

/// Each script starts from FLUSHALL on fresh connections; `A` is connection 0, `B` 1.
const SCRIPTS: &[&[&str]] = &[
    // Replies converted both ways, as Redis converts them.
    &[
        "A SET x 10",
        "A EVAL \"return redis.call('incr', KEYS[1])\" 1 x",
        "A EVAL \"return {1, 2, 3.99, -4.5, 'ciao', {1, {2}}, nil, 5}\" 0",
        "A EVAL \"return {true, false, 1.5, 'x'}\" 0",
        "A EVAL \"return 0/0\" 0",
        "A EVAL \"return 2^63\" 0",
        "A EVAL \"return -2^63\" 0",
        "A SET big 9223372036854775800",
        "A EVAL \"return redis.call('incrby', 'big', 7)\" 0",
        "A EVAL \"return redis.call('incrby', 'big', -9223372036854775807)\" 0",
        "A EVAL \"return true\" 0",
        "A EVAL \"return false\" 0",
        "A EVAL \"return nil\" 0",
        "A EVAL \"return redis.call('get', 'nokey')\" 0",
        "A EVAL \"return type(redis.call('get', 'nokey'))\" 0",
        "A EVAL \"return redis.call('ping')\" 0",
        "A EVAL \"return redis.call('ping').ok\" 0",
        "A EVAL \"return {ARGV[1], ARGV[2], #KEYS, #ARGV}\" 1 k a b",
        "A EVAL \"return redis.status_reply('fine')\" 0",
        "A EVAL \"return {ok = 'also'}\" 0",
        "A EVAL \"return redis.call('hgetall', 'nokey')\" 0",
        "A RPUSH l a b c",
        "A EVAL \"return redis.call('lrange', 'l', 0, -1)\" 0",
        "A EVAL \"return redis.call('lpush', 'l', 1, 2.5, 1e20)\" 0",
        "A LRANGE l 0 2",
    ],
    // RESP3 inside the script (redis.setresp) and as the caller's protocol.
    &[
        "A HSET h f v",
        "A ZADD z 1.5 m",
        "A EVAL \"redis.setresp(3) return redis.call('hgetall', 'h')\" 0",
        "A EVAL \"redis.setresp(3) return redis.call('zscore', 'z', 'm')\" 0",
        "A EVAL \"redis.setresp(3) return redis.call('get', 'nokey')\" 0",
        "A EVAL \"redis.setresp(3) return {true, false}\" 0",
        "A EVAL \"return {double = 3.5}\" 0",
        "A EVAL \"return {map = {a = 1}}\" 0",
        "A EVAL \"return {set = {a = true}}\" 0",
        "A EVAL \"return {big_number = '123456789012345678901234567890'}\" 0",
        "A EVAL \"redis.setresp(4)\" 0",
    ],
    // Errors: the command's, the script's, the sandbox's, each with its line.
    &[
        "A SET x notanumber",
        "A EVAL \"return redis.call('incr', 'x')\" 0",
        "A EVAL \"local a = 1\\nlocal b = 2\\nredis.call('incr', 'x')\" 0",
        "A EVAL \"return redis.call('nosuch', 'x')\" 0",
        "A EVAL \"return redis.call('get')\" 0",
        "A EVAL \"return redis.call()\" 0",
        "A EVAL \"return redis.call({})\" 0",
        "A EVAL \"return redis.call('subscribe', 'x')\" 0",
        "A EVAL \"return redis.call('multi')\" 0",
        "A EVAL \"local ok, e = pcall(redis.call, 'incr', 'x') return e\" 0",
        "A EVAL \"return redis.pcall('incr', 'x')\" 0",
        "A EVAL \"return {1, redis.pcall('incr', 'x')}\" 0",
        "A EVAL \"return redis.error_reply('my err')\" 0",
        "A EVAL \"return redis.error_reply('x')\" 0",
        "A EVAL \"return redis.error_reply('-x y')\" 0",
        "A EVAL \"return {err = 'bad thing'}\" 0",
        "A EVAL \"error('boom')\" 0",
        "A EVAL \"\\n\\nerror('boom')\" 0",
        "A EVAL \"error({err = 'X tbl'})\" 0",
        "A EVAL \"local ok, e = pcall(function() error({err = 'A b'}) end) return e\" 0",
        "A EVAL \"local ok, e = pcall(function() local t = nil; t.y = 1 end) return e\" 0",
        "A EVAL \"foo(\" 0",
        "A EVAL \"x = 5\" 0",
        "A EVAL \"return y\" 0",
        "A EVAL \"string.foo = 1\" 0",
        "A EVAL \"tostring = nil\" 0",
        "A EVAL \"return os\" 0",
        "A EVAL \"return {type(loadstring), type(coroutine), _VERSION}\" 0",
        "A EVAL \"return 1\" -1",
        "A EVAL \"return 1\" 2 a",
        "A EVAL \"return 1\" x",
    ],
    // The script cache.
    &[
        "A EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
        "A SCRIPT LOAD \"return 1\"",
        "A SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff",
        "A EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
        "A EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0",
        "A EVAL \"return 2\" 0",
        "A SCRIPT EXISTS 7f923f79fe76194c868d7e1d0820de36700eb649",
        "A SCRIPT FLUSH",
        "A SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
        "A EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
        "A SCRIPT FLUSH ASYNC",
        "A SCRIPT FLUSH bogus",
        "A SCRIPT KILL",
        "A SCRIPT NOSUCH",
    ],
    // Read-only forms and flags.
    &[
        "A EVAL_RO \"return redis.call('set', 'k', 1)\" 1 k",
        "A EVAL_RO \"return redis.call('get', 'k')\" 1 k",
        "A EVAL_RO \"return redis.call('publish', 'ch', 'msg')\" 0",
        "A EVAL \"#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'msg')\" 0",
        "A EVAL \"return redis.call('publish', 'ch', 'msg')\" 0",
        "A EVAL \"#!lua flags=no-writes\\nreturn redis.call('set', 'k', 1)\" 0",
        "A EVAL \"#!lua flags=no-writes\\nreturn redis.call('get', 'k')\" 0",
        "A EVAL_RO \"#!lua\\nreturn 1\" 0",
        "A EVAL \"#!lua flags=bogus\\nreturn 1\" 0",
        "A EVAL \"#!python\\nreturn 1\" 0",
        "A EXISTS k",
    ],
    // Scripts inside MULTI, and blocking commands inside scripts.
    &[
        "A MULTI",
        "A EVAL \"return redis.call('set', 'k', 'v')\" 0",
        "A EVAL \"return redis.call('get', 'k')\" 0",
        "A EXEC",
        "A EVAL \"return redis.call('blpop', 'nolist', 0)\" 0",
        "A EVAL \"return redis.call('blmpop', 0, 1, 'nolist', 'left')\" 0",
    ],
    // Functions: libraries, FCALL and its read-only form, listing, errors.
    &[
        "A FUNCTION FLUSH",
        "A FUNCTION LOAD \"#!lua name=lib\nredis.register_function('incr_by', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\"",
        "A FCALL incr_by 1 n 5",
        "A FCALL incr_by 1 n 2",
        "A FCALL_RO incr_by 1 n 2",
        "A FCALL nosuch 0",
        "A FUNCTION LOAD \"#!lua name=lib\nredis.register_function('other', function() return 1 end)\"",
        "A FUNCTION LOAD \"#!lua name=lib2\nredis.register_function('incr_by', function() return 1 end)\"",
        "A FUNCTION LOAD \"#!lua name=ro\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\"",
        "A FCALL_RO peek 1 n",
        "A FUNCTION LIST LIBRARYNAME ro WITHCODE",
        "A FUNCTION LIST LIBRARYNAME nomatch*",
        "A FUNCTION LOAD REPLACE \"#!lua name=lib\nredis.register_function('incr_by', function(keys, args) error('boom') end)\"",
        "A FCALL incr_by 1 n 2",
        "A FUNCTION LOAD \"return 1\"",
        "A FUNCTION LOAD \"#!lua name=a-b\nreturn 1\"",
        "A FUNCTION LOAD \"#!lua name=x foo=bar\nreturn 1\"",
        "A FUNCTION LOAD \"#!lua name=empty\nreturn 1\"",
        "A FUNCTION LOAD \"#!lua name=bad\nredis.register_function('g', 5)\"",
        "A FUNCTION LOAD \"#!lua name=bad\nredis.call('ping')\"",
        "A FUNCTION LOAD \"#!lua name=bad\nfoo(\"",
        "A FUNCTION LOAD \"#!lua name=bad\nx = 1\"",
        "A FUNCTION STATS",
        "A FUNCTION DELETE nosuch",
        "A FUNCTION DELETE ro",
        "A FCALL peek 1 n",
        "A FUNCTION KILL",
        "A FUNCTION FLUSH",
        "A FUNCTION LIST",
    ],
    // Functions: names whatever their case, the `#!` line split as Redis splits it, what a
    // library's code sees while it loads, and the arguments FCALL and FUNCTION check.
    &[
        "A FUNCTION LOAD \"#!lua name=lib\nredis.register_function('Hello', function() return 'hi' end)\"",
        "A FCALL hello 0",
        "A FCALL HELLO 0",
        "A FCALL hello notanumber",
        "A FUNCTION LOAD \"#!lua name=lib2\nredis.register_function('HELLO', function() return 1 end)\"",
        "A FUNCTION LOAD foo \"#!lua name=x\nreturn 1\"",
        "A FUNCTION LOAD REPLACE REPLACE \"#!lua name=lib\nredis.register_function('h2', function() return 2 end)\"",
        "A FUNCTION LOAD \"#!lua name=\\\"quoted\\\"\nredis.register_function('q', function() return 1 end)\"",
        "A FUNCTION LOAD \"#!lua name=a name=b\nredis.register_function('m', function() return 1 end)\"",
        "A FUNCTION LOAD \"#! name=e\nredis.register_function('e', function() return 1 end)\"",
        "A FUNCTION LOAD \"#!lua name=\\\"open\nredis.register_function('o', function() return 1 end)\"",
        "A FUNCTION LOAD \"#!lua name=nonewline\"",
        "A FUNCTION LOAD \"#!lua name=one\nredis.register_function('f1')\"",
        "A FUNCTION LOAD \"#!lua name=math\nreturn math.random()\"",
        "A FUNCTION LOAD \"#!lua name=resp\nreturn redis.setresp(3)\"",
        "A FUNCTION LOAD \"#!lua name=meta\nlocal m = getmetatable(_G)\"",
        "A FUNCTION LOAD \"#!lua name=later\nlocal lib = redis\nlib.register_function('late', function() lib.register_function('x', function() end) end)\nlib.register_function('poke', function() lib.x = 1 end)\"",
        "A FCALL late 0",
        "A FCALL poke 0",
        "A FUNCTION FLUSH SYNC extra",
        "A FUNCTION FLUSH bad",
        "A FUNCTION RESTORE",
        "A FUNCTION RESTORE bad",
        "A FUNCTION RESTORE bad FLUSH extra",
        "A FUNCTION RESTORE bad NOSUCH",
        "A FUNCTION LIST LIBRARYNAME lib",
        "A FUNCTION FLUSH",
    ],
    // The sandbox holds against tricks, numbers keep their 17 digits, and big calls fit.
    &[
        "A EVAL \"setmetatable(_G, {})\" 0",
        "A EVAL \"local g = getmetatable(_G) g.__index = {}\" 0",
        "A EVAL \"return type(getmetatable(setmetatable({}, {__metatable = 'mine'})))\" 0",
        "A EVAL \"return loadstring(string.dump(function() return 1 end))\" 0",
        "A EVAL \"return loadstring('return 7')()\" 0",
        "A EVAL \"local value = 9007199254740991 redis.call('set', 'n', value) return redis.call('get', 'n')\" 0",
        "A EVAL \"redis.call('set', 'f', 0.1) return redis.call('get', 'f')\" 0",
        "A EVAL \"local a = {} for i = 1, 7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))\" 0",
        "A EVAL \"local t = {} for i = 1, 20000 do t[tostring(i)] = i end return #cmsgpack.pack(t)\" 0",
        "A EVAL \"local t = {} for i = 1, 20000 do t['k' .. i] = i end return cmsgpack.unpack(cmsgpack.pack(t))['k777']\" 0",
        "A SADD s a b c d e f g h i l m n o p q r s t u v z aa aaa azz",
        "A EVAL \"return redis.call('sort', KEYS[1], 'by', '_')\" 1 s",
        "A EVAL \"return redis.call('cluster', 'reset', 'hard')\" 0",
        "A CLUSTER INFO",
        "A CONFIG SET min-replicas-to-write 1",
        "A SET k v",
        "A EVAL \"return redis.call('get', 'k')\" 0",
        "A EVAL \"return redis.call('set', 'k', 'w')\" 0",
        "A EVAL \"#!lua\nreturn redis.call('get', 'k')\" 0",
        "A EVAL \"#!lua flags=no-writes\nreturn redis.call('get', 'k')\" 0",
        "A CONFIG SET min-replicas-to-write 0",
        "A CONFIG RESETSTAT",
        "A EVAL \"return redis.error_reply('MY_ERR_CODE custom msg')\" 0",
        "A EVAL \"return redis.error_reply('')\" 0",
        "A EVAL \"return redis.status_reply('NOT_AN_ERROR')\" 0",
        "A GET",
        "A INFO errorstats",
    ],
    // An error counts once in INFO errorstats: where a command answered it or refused to run,
    // inside a script that catches it and inside a transaction too, and not again as the
    // script's reply that passes it on; an error of the call's own arguments counts only if
    // the script's reply passes it on.
    &[
        "A CONFIG RESETSTAT",
        "A EVAL \"redis.pcall('select', 99) return 1\" 0",
        "A EVAL \"return redis.call('select', 99)\" 0",
        "A EVAL \"return redis.pcall('set', 'a')\" 0",
        "A EVAL \"redis.pcall('nosuchcommand') return 1\" 0",
        "A EVAL \"redis.pcall('set', {}) return 1\" 0",
        "A EVAL \"return redis.call('set', {})\" 0",
        "A EVAL \"local t = redis.pcall('incr', 'k', 'x') error(t)\" 0",
        "A EVAL \"redis.pcall('select', 99) error('MINE boom')\" 0",
        "A EVAL \"local ok, e = pcall(redis.call, 'eval', 'return 1', 0) return e\" 0",
        "A EVAL_RO \"redis.pcall('set', 'x', 'y') return 1\" 0",
        "A INFO errorstats",
        "A CONFIG RESETSTAT",
        "A SET foo x",
        "A MULTI",
        "A SELECT 99",
        "A INCR foo",
        "A EVAL \"return redis.call('lpush', 'foo', 'a')\" 0",
        "A EXEC",
        "A MULTI",
        "A SET a",
        "A EXEC",
        "A INFO errorstats",
    ],
    // The bundled libraries.
    &[
        "A EVAL \"return cjson.encode({1, 2, {a = 'b'}})\" 0",
        "A EVAL \"return cjson.decode('[1,2,{\\\"a\\\":\\\"b\\\"}]')[3].a\" 0",
        "A EVAL \"return bit.band(0xff, 0x0f)\" 0",
        "A EVAL \"return bit.tohex(65535)\" 0",
        "A EVAL \"return struct.pack('>I2', 258)\" 0",
        "A EVAL \"return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))\" 0",
        "A EVAL \"return redis.sha1hex('')\" 0",
    ],
];

#[test]
fn scripts_match_redis() {
    let servers = Servers::start(&[]);
    run_scripts(&servers, SCRIPTS);
}

/// `math.random` draws Redis's sequence from a fresh server's first script on.
/// FUNCTION DUMP's payload crosses both ways: Redis's (its code LZF-compressed) restores here,
/// ours restores into Redis, and both sides then call the same functions.
#[test]
fn function_payloads_cross_between_servers() {
    let servers = Servers::start(&[]);
    let mut redis = servers.redis.connect();
    let mut ferrodis = servers.ferrodis.connect();
    let library = "#!lua name=crossing\nredis.register_function('twice', function(keys, args) \
                   return 2 * tonumber(args[1]) end)";
    for stream in [&mut redis, &mut ferrodis] {
        common::call(stream, &["FUNCTION", "FLUSH"]);
    }
    assert_eq!(
        common::call(&mut redis, &["FUNCTION", "LOAD", library]),
        b"$8\r\ncrossing\r\n"
    );
    let payload = bulk(&common::call(&mut redis, &["FUNCTION", "DUMP"]));
    let restore = |stream: &mut std::net::TcpStream, payload: &[u8]| {
        let request: [&[u8]; 3] = [b"FUNCTION", b"RESTORE", payload];
        stream.write_all(&common::encode(&request)).unwrap();
        common::read_reply(stream)
    };
    assert_eq!(restore(&mut ferrodis, &payload), b"+OK\r\n");
    assert_eq!(
        common::call(&mut ferrodis, &["FCALL", "twice", "0", "21"]),
        b":42\r\n"
    );
    // A second restore collides; REPLACE takes it; a flipped byte is refused.
    assert!(String::from_utf8_lossy(&restore(&mut ferrodis, &payload)).contains("already exists"));
    let mut broken = payload.clone();
    broken[3] ^= 1;
    assert!(String::from_utf8_lossy(&restore(&mut ferrodis, &broken))
        .contains("payload version or checksum are wrong"));
    let ours = bulk(&common::call(&mut ferrodis, &["FUNCTION", "DUMP"]));
    common::call(&mut redis, &["FUNCTION", "FLUSH"]);
    assert_eq!(restore(&mut redis, &ours), b"+OK\r\n");
    assert_eq!(
        common::call(&mut redis, &["FCALL", "twice", "0", "5"]),
        b":10\r\n"
    );
}

/// The bytes of a bulk reply.
fn bulk(reply: &[u8]) -> Vec<u8> {
    let header_end = reply.windows(2).position(|pair| pair == b"\r\n").unwrap();
    assert_eq!(reply[0], b'$', "{}", String::from_utf8_lossy(reply));
    reply[header_end + 2..reply.len() - 2].to_vec()
}

#[test]
fn random_numbers_follow_redis() {
    let servers = Servers::start(&[]);
    let script = "return {math.random(100), math.random(1, 1000), math.random(10)}";
    let mut ferrodis = servers.ferrodis.connect();
    let mut redis = servers.redis.connect();
    for _ in 0..3 {
        let ours = common::call(&mut ferrodis, &["EVAL", script, "0"]);
        let theirs = common::call(&mut redis, &["EVAL", script, "0"]);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }
}

/// The `redis` crate's `Script` sends EVALSHA and, on NOSCRIPT, EVAL: both work, and once
/// loaded the script is found by its hash.
#[test]
fn the_redis_crate_script_helper_works() {
    let server = start_ferrodis(&[]);
    let mut con = common::redis_client(&server, "");
    let release = redis::Script::new(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) \
         else return 0 end",
    );
    let _: () = redis::cmd("SET")
        .arg("lock")
        .arg("token")
        .query(&mut con)
        .unwrap();
    let wrong: i64 = release.key("lock").arg("other").invoke(&mut con).unwrap();
    let right: i64 = release.key("lock").arg("token").invoke(&mut con).unwrap();
    assert_eq!((wrong, right), (0, 1));
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(release.get_hash())
        .query(&mut con)
        .unwrap();
    assert_eq!(exists, vec![true]);
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut con).unwrap();
    let again: i64 = release.key("lock").arg("token").invoke(&mut con).unwrap();
    assert_eq!(again, 0);
}

/// A script in an endless loop: past busy-reply-threshold other clients get BUSY (and
/// AUTH-like commands still run), SCRIPT KILL stops it, its caller gets the kill error and
/// the server serves everyone again. A script that wrote cannot be killed.
#[test]
fn a_runaway_script_is_busy_then_killed() {
    let server = start_ferrodis(&[]);
    let mut admin = server.connect();
    assert_eq!(
        common::call(&mut admin, &["CONFIG", "SET", "busy-reply-threshold", "10"]),
        b"+OK\r\n"
    );
    let mut runner = server.connect();
    runner
        .write_all(&common::encode(&[
            b"EVAL",
            b"local i = 0 while true do i = i + 1 end",
            b"0",
        ]))
        .unwrap();
    let busy = wait_for_busy(&mut admin);
    assert!(
        busy.starts_with("-BUSY Redis is busy running a script. You can only call SCRIPT KILL"),
        "{busy}"
    );
    // FUNCTION KILL stops functions only; it names the command that would work.
    let wrong_kill = common::call_text(&mut admin, &["FUNCTION", "KILL"]);
    assert!(
        wrong_kill
            .starts_with("-BUSY Redis is busy running a script. You can only call SCRIPT KILL"),
        "{wrong_kill}"
    );
    assert_eq!(common::call(&mut admin, &["SCRIPT", "KILL"]), b"+OK\r\n");
    let killed = String::from_utf8_lossy(&common::read_reply(&mut runner)).into_owned();
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{killed}"
    );
    assert_eq!(common::call(&mut admin, &["PING"]), b"+PONG\r\n");
    assert_eq!(
        common::call(&mut admin, &["SCRIPT", "KILL"]),
        b"-NOTBUSY No scripts in execution right now.\r\n"
    );

    runner
        .write_all(&common::encode(&[
            b"EVAL",
            b"redis.call('set', 'k', 'v') local i = 0 while i < 30000000 do i = i + 1 end return i",
            b"0",
        ]))
        .unwrap();
    wait_for_busy(&mut admin);
    let refused = common::call_text(&mut admin, &["SCRIPT", "KILL"]);
    assert!(refused.starts_with("-UNKILLABLE"), "{refused}");
    assert_eq!(common::read_reply(&mut runner), b":30000000\r\n");
    assert_eq!(common::call(&mut admin, &["GET", "k"]), b"$1\r\nv\r\n");
}

/// PINGs until the server answers BUSY; fails after 10 seconds.
fn wait_for_busy(stream: &mut std::net::TcpStream) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = common::call_text(stream, &["PING"]);
        if reply.starts_with("-BUSY") || Instant::now() > deadline {
            return reply;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
