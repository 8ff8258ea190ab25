//! The server as a hostile client or a careless operator finds it: out of file descriptors,
//! reached from outside the loopback interface, DEBUG, CONFIG SET values that would brick it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{
    call_text, read_reply, read_to_close, start_ferrodis, start_redis, ServerProcess, PATIENCE,
};

/// A connection to `server` from `source` (an address of this machine's loopback interface
/// other than 127.0.0.1 counts as outside it, as Redis judges).
fn connect_from(source: &str, server: &ServerProcess) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let source: SocketAddr = format!("{source}:0").parse().unwrap();
    socket
        .bind(&source.into())
        .expect("bind the client's address");
    let target: SocketAddr = server.address().parse().unwrap();
    socket
        .connect_timeout(&target.into(), PATIENCE)
        .expect("connect to the server");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// User and system CPU time the process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name (which may hold spaces) start after its ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn under_a_low_file_limit_the_extra_clients_get_the_max_clients_error_and_nobody_spins() {
    let own = common::raise_own_files_limit();
    assert!(
        own >= 1700,
        "this test opens 1,500 sockets: raise the hard open-files limit (it is {own})"
    );
    let (server, log) = common::start_ferrodis_with_files_limit(1024, &[]);
    assert!(
        log.iter()
            .any(|line| line
                .contains("maxclients has been reduced to 992 to compensate for low ulimit")),
        "{log:#?}"
    );
    let mut clients: Vec<TcpStream> = (0..1500).map(|_| server.connect()).collect();
    let (mut served, mut refused) = (0, 0);
    for client in &mut clients {
        client.write_all(b"PING\r\n").unwrap();
        match read_reply(client).as_slice() {
            b"+PONG\r\n" => served += 1,
            b"-ERR max number of clients reached\r\n" => {
                refused += 1;
                assert!(read_to_close(client).is_empty());
            }
            other => panic!("unexpected reply {:?}", String::from_utf8_lossy(other)),
        }
    }
    assert_eq!((served, refused), (992, 508));
    // With every slot taken, the server idles: it does not spin on the listener.
    let before = cpu_ticks(server.child.id());
    std::thread::sleep(Duration::from_secs(1));
    let mut extra = server.connect();
    assert_eq!(
        read_reply(&mut extra),
        b"-ERR max number of clients reached\r\n"
    );
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(server.child.id()) - before;
    // Clock ticks are 1/100 s: two seconds of spinning would be about 200.
    assert!(used < 40, "{used} ticks of CPU in two idle seconds");
    // Served clients carry on, and CONFIG SET cannot promise more clients than fit.
    assert_eq!(call_text(&mut clients[0], &["PING"]), "+PONG\r\n");
    assert_eq!(
        call_text(&mut clients[0], &["CONFIG", "SET", "maxclients", "5000"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
         system is not able to handle the specified number of clients, try with 992\r\n"
    );
    drop(clients);
}

/// Redis's refusal of a client outside the loopback interface, first words.
const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is \
                      enabled and no password is set for the default user.";

#[test]
fn protected_mode_refuses_clients_outside_the_loopback_interface_until_a_password_is_set() {
    let server = start_ferrodis(&[]);
    // The refusal comes unasked, and the connection closes.
    let mut outside = connect_from("127.0.0.2", &server);
    let mut refusal = Vec::new();
    outside.read_to_end(&mut refusal).unwrap();
    let refusal = String::from_utf8(refusal).unwrap();
    assert!(refusal.starts_with(DENIED), "{refusal}");
    assert!(refusal.ends_with("from the outside.\r\n"), "{refusal}");
    let mut local = server.connect();
    assert_eq!(call_text(&mut local, &["PING"]), "+PONG\r\n");
    let info = call_text(&mut local, &["INFO", "stats"]);
    assert!(info.contains("rejected_connections:1\r\n"), "{info}");
    // A password lifts it: outside clients are served (and must authenticate).
    assert_eq!(
        call_text(&mut local, &["CONFIG", "SET", "requirepass", "pw"]),
        "+OK\r\n"
    );
    let mut outside = connect_from("127.0.0.2", &server);
    assert!(call_text(&mut outside, &["PING"]).starts_with("-NOAUTH"));
    assert_eq!(call_text(&mut outside, &["AUTH", "pw"]), "+OK\r\n");
    // So does turning it off.
    assert_eq!(call_text(&mut local, &["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(
        call_text(&mut local, &["CONFIG", "SET", "requirepass", ""]),
        "+OK\r\n"
    );
    assert_eq!(
        call_text(&mut local, &["CONFIG", "SET", "protected-mode", "no"]),
        "+OK\r\n"
    );
    let mut outside = connect_from("127.0.0.2", &server);
    assert_eq!(call_text(&mut outside, &["PING"]), "+PONG\r\n");
}

/// Redis's refusal of DEBUG.
const DEBUG_REFUSED: &str = "-ERR DEBUG command not allowed. If the enable-debug-command option \
                             is set to \"local\", you can run it from a local connection, \
                             otherwise you need to set this option in the configuration file, \
                             and then restart the server.\r\n";

#[test]
fn debug_and_protected_configs_are_refused_unless_enabled() {
    let server = start_ferrodis(&[]);
    let mut client = server.connect();
    assert_eq!(
        call_text(&mut client, &["DEBUG", "SLEEP", "0"]),
        DEBUG_REFUSED
    );
    for (name, value) in [("dir", "/"), ("dbfilename", "other.rdb")] {
        assert_eq!(
            call_text(&mut client, &["CONFIG", "SET", name, value]),
            format!(
                "-ERR CONFIG SET failed (possibly related to argument '{name}') - can't set \
                 protected config\r\n"
            )
        );
    }
    // `local`: for clients on the loopback interface only.
    let server = start_ferrodis(&[
        "--enable-debug-command",
        "local",
        "--enable-protected-configs",
        "local",
        "--protected-mode",
        "no",
    ]);
    let mut local = server.connect();
    assert_eq!(call_text(&mut local, &["DEBUG", "SLEEP", "0"]), "+OK\r\n");
    let dir = server.dir.as_ref().unwrap().to_str().unwrap().to_string();
    assert_eq!(
        call_text(&mut local, &["CONFIG", "SET", "dir", &dir]),
        "+OK\r\n"
    );
    let mut outside = connect_from("127.0.0.2", &server);
    assert_eq!(
        call_text(&mut outside, &["DEBUG", "SLEEP", "0"]),
        DEBUG_REFUSED
    );
    assert!(call_text(&mut outside, &["CONFIG", "SET", "dir", &dir])
        .contains("can't set protected config"));
    // Only the config file and flags may change who may.
    assert_eq!(
        call_text(
            &mut local,
            &["CONFIG", "SET", "enable-debug-command", "yes"]
        ),
        "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't \
         set immutable config\r\n"
    );
}

#[test]
fn config_set_refuses_what_redis_refuses_with_redis_s_reasons() {
    let redis = start_redis(&[]);
    let ferrodis = start_ferrodis(&[]);
    let mut redis = redis.connect();
    let mut ferrodis = ferrodis.connect();
    for pair in [
        ["client-query-buffer-limit", "0"],
        ["client-query-buffer-limit", "1kb"],
        ["proto-max-bulk-len", "1000"],
        ["maxclients", "0"],
        ["maxclients", "-5"],
        ["timeout", "-1"],
        ["timeout", "2147483648"],
        ["hz", "-1"],
        ["hz", "fast"],
        ["tracking-table-max-keys", "-1"],
        ["busy-reply-threshold", "-1"],
        ["list-max-listpack-size", "99999999999"],
        ["hash-max-listpack-entries", "-1"],
        ["databases", "4"],
        ["tcp-backlog", "100"],
        ["enable-debug-command", "yes"],
        ["enable-protected-configs", "yes"],
        ["daemonize", "yes"],
        ["protected-mode", "maybe"],
        ["loglevel", "loud"],
        ["client-output-buffer-limit", "normal 1 1"],
        ["client-output-buffer-limit", "tenant 1 1 1"],
        ["save", "100"],
        ["no-such-parameter", "1"],
        ["maxmemory", "-1"],
        ["maxmemory", "lots"],
        ["maxmemory-policy", "allkeys-oldest"],
        ["maxmemory-samples", "0"],
        ["maxmemory-eviction-tenacity", "101"],
        ["lfu-log-factor", "-1"],
        ["lfu-decay-time", "-1"],
        ["lazyfree-lazy-eviction", "maybe"],
        ["repl-backlog-size", "0"],
        ["repl-backlog-size", "-1"],
        ["replicaof", "127.0.0.1 1"],
        ["slaveof", "no one"],
        ["acl-pubsub-default", "somechannels"],
        ["aclfile", "users.acl"],
    ] {
        let command = ["CONFIG", "SET", pair[0], pair[1]];
        let expected = call_text(&mut redis, &command);
        assert!(expected.starts_with('-'), "Redis took {pair:?}: {expected}");
        assert_eq!(call_text(&mut ferrodis, &command), expected, "{pair:?}");
    }
    // And what both take, ferrodis keeps serving with.
    for pair in [
        ["client-query-buffer-limit", "1mb"],
        ["timeout", "0"],
        ["hz", "100000"],
        ["repl-backlog-size", "10mb"],
        ["acl-pubsub-default", "allchannels"],
    ] {
        let command = ["CONFIG", "SET", pair[0], pair[1]];
        assert_eq!(call_text(&mut redis, &command), "+OK\r\n", "{pair:?}");
        assert_eq!(call_text(&mut ferrodis, &command), "+OK\r\n", "{pair:?}");
        assert_eq!(call_text(&mut ferrodis, &["PING"]), "+PONG\r\n");
    }
    for name in [
        "hz",
        "repl-backlog-size",
        "replicaof",
        "acl-pubsub-default",
        "aclfile",
    ] {
        let get = ["CONFIG", "GET", name];
        assert_eq!(
            call_text(&mut ferrodis, &get),
            call_text(&mut redis, &get),
            "{name}"
        );
    }
}

/// While `flooders` clients pipeline PINGs without ever reading their replies, one client asks
/// INFO `rounds` times, each as soon as it has the answer: how many commands the server ran
/// between each two of its INFOs, sorted. That is how long a client waits for its
/// turn, counted in work rather than time, so that a slow build measures the same.
fn commands_between_turns_beside_flooders(
    server: &ServerProcess,
    flooders: usize,
    rounds: usize,
) -> Vec<u64> {
    let sockets: Vec<TcpStream> = (0..flooders)
        .map(|_| {
            let stream = server.connect();
            stream.set_nonblocking(true).unwrap();
            stream
        })
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let chunk = b"PING\r\n".repeat(10_000);
            let mut sockets = sockets;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut sent = false;
                for socket in &mut sockets {
                    sent |= socket.write(&chunk).is_ok_and(|written| written > 0);
                }
                if !sent {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    let mut client = server.connect();
    let processed = |client: &mut TcpStream| -> u64 {
        let info = call_text(client, &["INFO", "stats"]);
        let field = "total_commands_processed:";
        let at = info.find(field).unwrap() + field.len();
        info[at..].split("\r\n").next().unwrap().parse().unwrap()
    };
    std::thread::sleep(Duration::from_millis(300));
    let mut last = processed(&mut client);
    let mut between = Vec::new();
    for _ in 0..rounds {
        let now = processed(&mut client);
        between.push(now - last - 1);
        last = now;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flooding.join().unwrap();
    between.sort();
    between
}

#[test]
fn clients_that_pipeline_without_reading_do_not_hold_up_the_others() {
    let server = start_ferrodis(&[]);
    let between = commands_between_turns_beside_flooders(&server, 200, 5);
    let median = between[between.len() / 2];
    eprintln!(
        "INFO beside 200 flooding clients: {} round trips, median {median} commands of others \
         between two, most {}",
        between.len(),
        between[between.len() - 1]
    );
    // Each flooding connection gets one read per turn (at most a call's worth of commands,
    // 1,024) and 64 KiB of writes: a turn runs at most about 200 * 1,024 of their commands.
    // Before that bound a turn ran up to 16 reads of each: over 3,000,000.
    assert!(median <= 400_000, "median {median}");
}

/// ACL LOG's entries as `field -> value` texts, without the age and the client's line (which
/// differ between servers; each entry must have both, in a plausible form).
fn acl_log(connection: &mut redis::Connection) -> Vec<Vec<(String, String)>> {
    let entries: Vec<std::collections::HashMap<String, redis::Value>> =
        redis::cmd("ACL").arg("LOG").query(connection).unwrap();
    entries
        .into_iter()
        .map(|entry| {
            let age: f64 = redis::from_redis_value(entry["age-seconds"].clone()).unwrap();
            assert!((0.0..60.0).contains(&age), "{age}");
            let info: String = redis::from_redis_value(entry["client-info"].clone()).unwrap();
            assert!(info.starts_with("id=") && info.contains(" cmd="), "{info}");
            let mut fields: Vec<(String, String)> = entry
                .into_iter()
                .filter(|(name, _)| name != "age-seconds" && name != "client-info")
                .map(|(name, value)| (name, format!("{value:?}")))
                .collect();
            fields.sort();
            fields
        })
        .collect()
}

#[test]
fn failed_authentications_are_logged_as_redis_logs_them() {
    let servers = [start_redis(&[]), start_ferrodis(&[])];
    let logs: Vec<_> = servers
        .iter()
        .map(|server| {
            let mut setup = server.connect();
            assert_eq!(
                call_text(&mut setup, &["CONFIG", "SET", "requirepass", "pw"]),
                "+OK\r\n"
            );
            let mut stranger = server.connect();
            for command in [
                &["AUTH", "guess"][..],
                &["AUTH", "guess again"],
                &["auth", "default", "x"],
                &["HELLO", "3", "AUTH", "nobody", "x"],
            ] {
                assert!(call_text(&mut stranger, command).starts_with("-WRONGPASS"));
            }
            let mut admin = common::redis_client(server, "0");
            let _: () = redis::cmd("AUTH").arg("pw").query(&mut admin).unwrap();
            let log = acl_log(&mut admin);
            let whoami: String = redis::cmd("ACL").arg("WHOAMI").query(&mut admin).unwrap();
            assert_eq!(whoami, "default");
            let users: Vec<String> = redis::cmd("ACL").arg("USERS").query(&mut admin).unwrap();
            assert_eq!(users, vec!["default"]);
            let _: () = redis::cmd("ACL")
                .arg("LOG")
                .arg("RESET")
                .query(&mut admin)
                .unwrap();
            assert!(acl_log(&mut admin).is_empty());
            log
        })
        .collect();
    assert_eq!(logs[0].len(), 3, "{:#?}", logs[0]);
    assert_eq!(logs[1], logs[0]);
}
