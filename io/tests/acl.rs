//! Users and permissions (ACL) on the real binary, beside a real `redis-server`: the same
//! sessions get the same replies from both, the command categories agree command by command,
//! and an ACL file written by either server loads into the other with the same users.
//!
//! Allowed differences: ACL LOG's `age-seconds` and `client-info` (times and connection
//! details); and the order of single-command rules in a user's description, which Redis takes
//! from its command dictionary's order, so descriptions are compared as sets of words.

mod common;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::Path;

use common::{call, read_to_close, scratch_dir, start_ferrodis_in, start_redis, ServerProcess};

/// Text of a reply, for messages.
fn show(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

/// The words of a bulk reply, sorted: a user's rules without their order.
fn words(reply: &[u8]) -> BTreeSet<String> {
    show(reply)
        .lines()
        .filter(|line| !line.starts_with('$') && !line.starts_with('*'))
        .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The bulk strings of an array reply of bulk strings.
fn bulks(reply: &[u8]) -> Vec<String> {
    let text = show(reply);
    let mut lines = text.split("\r\n");
    let mut items = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('$') && line != "$-1" {
            items.push(lines.next().unwrap_or_default().to_string());
        }
    }
    items
}

/// The words of a user description that are not command rules: flags, password hashes, key
/// and channel patterns, selectors' parentheses.
fn non_command_words(reply: &[u8]) -> BTreeSet<String> {
    words(reply)
        .into_iter()
        .filter(|word| !word.trim_start_matches('(').starts_with(['+', '-']))
        .map(|word| {
            word.trim_start_matches('(')
                .trim_end_matches(')')
                .to_string()
        })
        .collect()
}

/// Every command of ferrodis that Redis has too (name and arity), from COMMAND INFO.
fn commands_and_arities(pair: &mut Pair) -> Vec<(String, i64)> {
    let names = bulks(&call(&mut pair.ferrodis.admin, &["COMMAND", "LIST"]));
    let stream = &mut pair.ferrodis.admin;
    let redis = &mut pair.redis.admin;
    names
        .into_iter()
        .filter(|name| call(redis, &["COMMAND", "INFO", name]) != b"*1\r\n$-1\r\n")
        .map(|name| {
            let info = show(&call(stream, &["COMMAND", "INFO", &name]));
            let arity = info
                .split("\r\n")
                .find_map(|line| line.strip_prefix(':'))
                .and_then(|arity| arity.parse().ok())
                .expect("an arity");
            (name, arity)
        })
        .collect()
}

/// The users agree: the same users with the same flags, passwords and patterns, and the same
/// verdict of ACL DRYRUN for every command ferrodis has (their command rules may be worded
/// apart where Redis has commands ferrodis lacks).
fn same_users(pair: &mut Pair) {
    let users = bulks(&pair.admin(&["ACL", "USERS"]));
    let commands = commands_and_arities(pair);
    for user in &users {
        let (ours, theirs) = pair.both(false, &["ACL", "GETUSER", user]);
        assert_eq!(
            non_command_words(&ours),
            non_command_words(&theirs),
            "{user}"
        );
        for (name, arity) in &commands {
            // Redis's CLUSTER has subcommands; ferrodis's answers every call with one error.
            if name == "cluster" {
                continue;
            }
            let count = if *arity > 0 { *arity - 1 } else { -*arity - 1 };
            let mut args = vec!["ACL", "DRYRUN", user.as_str(), name.as_str()];
            args.extend(std::iter::repeat_n("r1", count as usize));
            pair.admin(&args);
        }
    }
}

/// ACL LOG's reply without its `age-seconds` and `client-info` values.
fn log_without_times(reply: &[u8]) -> Vec<String> {
    let items = bulks(reply);
    let mut kept = Vec::new();
    let mut skip_next = false;
    for item in items {
        if skip_next {
            skip_next = false;
            continue;
        }
        if item == "client-info" || item == "age-seconds" {
            skip_next = true;
        }
        kept.push(item);
    }
    kept
}

struct Side {
    admin: TcpStream,
    session: TcpStream,
}

impl Side {
    fn stream(&mut self, session: bool) -> &mut TcpStream {
        if session {
            &mut self.session
        } else {
            &mut self.admin
        }
    }
}

struct Pair {
    ferrodis: Side,
    redis: Side,
    servers: (ServerProcess, ServerProcess),
}

impl Pair {
    fn start() -> Pair {
        let ferrodis = start_ferrodis_in(scratch_dir(), &["--save", ""]);
        let redis = start_redis(&[]);
        Pair {
            ferrodis: Side {
                admin: ferrodis.connect(),
                session: ferrodis.connect(),
            },
            redis: Side {
                admin: redis.connect(),
                session: redis.connect(),
            },
            servers: (ferrodis, redis),
        }
    }

    /// Sends the same command on the same connection of both; the two replies.
    fn both(&mut self, on_session: bool, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let ours = call(self.ferrodis.stream(on_session), args);
        let theirs = call(self.redis.stream(on_session), args);
        (ours, theirs)
    }

    /// New session connections on both.
    fn reconnect_sessions(&mut self) {
        self.ferrodis.session = self.servers.0.connect();
        self.redis.session = self.servers.1.connect();
    }

    /// The same reply from both, byte for byte.
    fn same(&mut self, on_session: bool, args: &[&str]) -> Vec<u8> {
        let (ours, theirs) = self.both(on_session, args);
        assert_eq!(show(&ours), show(&theirs), "{args:?}");
        ours
    }

    fn admin(&mut self, args: &[&str]) -> Vec<u8> {
        self.same(false, args)
    }

    fn session(&mut self, args: &[&str]) -> Vec<u8> {
        self.same(true, args)
    }
}

#[test]
fn sessions_get_the_replies_redis_gives() {
    let mut pair = Pair::start();
    // Rules refused, each with Redis's text, and nothing of them kept.
    for rules in [
        &["bad", "+nosuchcommand"][..],
        &["bad", "~a", "allkeys", "~b"],
        &["bad", "&*", "&x"],
        &["bad", "<nosuchpassword"],
        &["bad", "#tooshort"],
        &["bad", "+client|id|x"],
        &["bad", "+debug|"],
        &["bad", "%X~a"],
        &["bad", "(~a", "+get"],
        &["bad", "(this-is-invalid)"],
        &["bad", "-@nosuchcategory"],
        &["bad", "sometoken"],
        &["with space"],
    ] {
        let mut args = vec!["ACL", "SETUSER"];
        args.extend_from_slice(rules);
        pair.admin(&args);
    }
    pair.admin(&["ACL", "GETUSER", "bad"]);
    pair.admin(&["ACL", "USERS"]);
    pair.admin(&[
        "ACL",
        "SETUSER",
        "reader",
        "on",
        ">pw",
        ">second",
        "<second",
        "~r*",
        "%W~w*",
        "%R~both*",
        "%W~both*",
        "&ch*",
        "+@read",
        "+@write",
        "-@dangerous",
        "+select|0",
        "+multi",
        "+exec",
        "+eval",
        "(+ping",
        "~p*)",
    ]);
    same_users(&mut pair);

    // Logging in.
    pair.session(&["AUTH", "reader", "wrong"]);
    pair.session(&["AUTH", "nosuchuser", "pw"]);
    pair.session(&["AUTH", "pw"]);
    pair.session(&["HELLO", "3", "AUTH", "reader", "wrong"]);
    pair.session(&["AUTH", "reader", "pw"]);
    pair.session(&["ACL", "WHOAMI"]);
    // What it may and may not do: commands, keys by access, first arguments, channels.
    for args in [
        &["GET", "r1"][..],
        &["GET", "x"],
        &["GET", "w1"],
        &["SET", "w1", "v"],
        &["SET", "w1", "v", "GET"],
        &["SET", "both1", "v", "GET"],
        &["LPUSH", "w2", "a"],
        &["RPOPLPUSH", "w2", "w3"],
        &["COPY", "r1", "w9"],
        &["MGET", "r1", "x"],
        &["ZUNIONSTORE", "w4", "2", "r1", "x"],
        &["ZUNIONSTORE", "w4", "1", "r1"],
        &["EXISTS", "x"],
        &["FLUSHALL"],
        &["KEYS", "*"],
        &["SELECT", "0"],
        &["SELECT", "1"],
        &["PING"],
        &["CLIENT", "KILL", "ID", "12345"],
        &["PUBLISH", "ch1", "m"],
        &["PUBLISH", "other", "m"],
        &["SUBSCRIBE", "other"],
        &["PSUBSCRIBE", "ch*", "x*"],
        &["SORT", "r1", "BY", "w*"],
        &["SORT", "r1", "GET", "#"],
        &["EVAL", "return redis.call('get', 'x')", "0"],
        &["EVAL", "return redis.pcall('flushall')", "0"],
        &["ACL", "WHOAMI"],
        &["ACL", "LIST"],
    ] {
        pair.session(args);
    }
    // In a transaction: refused when queued, then EXEC aborts.
    pair.session(&["MULTI"]);
    pair.session(&["GET", "x"]);
    pair.session(&["GET", "r1"]);
    pair.session(&["EXEC"]);
    // The rules change between queuing and EXEC.
    pair.session(&["MULTI"]);
    pair.session(&["GET", "r2"]);
    pair.session(&["LPUSH", "w5", "a"]);
    pair.admin(&["ACL", "SETUSER", "reader", "-get"]);
    pair.session(&["EXEC"]);
    let (ours, theirs) = pair.both(false, &["ACL", "LOG", "20"]);
    assert_eq!(log_without_times(&ours), log_without_times(&theirs));

    // DRYRUN, CAT, GENPASS.
    for args in [
        &["ACL", "DRYRUN", "reader", "lpush", "w1", "a"][..],
        &["ACL", "DRYRUN", "reader", "get", "r1"],
        &["ACL", "DRYRUN", "reader", "lpush", "x", "a"],
        &["ACL", "DRYRUN", "reader", "publish", "nope", "m"],
        &["ACL", "DRYRUN", "reader", "client", "kill", "id", "1"],
        &["ACL", "DRYRUN", "nobody", "get", "x"],
        &["ACL", "DRYRUN", "reader", "nosuchcommand"],
        &["ACL", "DRYRUN", "reader", "get"],
        &["ACL", "CAT"],
        &["ACL", "CAT", "nosuchcategory"],
        &["ACL", "GENPASS", "0"],
        &["ACL", "GENPASS", "4097"],
        &["ACL", "GENPASS", "x"],
        &["ACL", "LOG", "x"],
        &["ACL", "SAVE"],
        &["ACL", "LOAD"],
        &["ACL", "NOSUCH"],
        &["ACL", "DELUSER", "default"],
    ] {
        pair.admin(args);
    }
    for (bits, length) in [
        (None, 64),
        (Some("1"), 1),
        (Some("5"), 2),
        (Some("4096"), 1024),
    ] {
        let mut args = vec!["ACL", "GENPASS"];
        args.extend(bits);
        let (ours, _) = pair.both(false, &args);
        let password = &bulks(&ours)[0];
        assert_eq!(password.len(), length, "{args:?}");
        assert!(password.bytes().all(|byte| byte.is_ascii_hexdigit()));
    }

    // CLIENT KILL USER names an existing user.
    pair.admin(&["CLIENT", "KILL", "USER", "nosuchuser"]);
    pair.admin(&["CLIENT", "KILL", "USER", "default", "SKIPME", "yes"]);
    // Deleting the user disconnects its session.
    pair.admin(&["ACL", "DELUSER", "reader", "nosuchuser"]);
    for side in [&mut pair.ferrodis, &mut pair.redis] {
        side.session
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let rest = read_to_close(&mut side.session);
        assert!(rest.is_empty(), "{}", show(&rest));
    }

    // The default user's password is requirepass's, and without nopass a new connection
    // must log in first.
    pair.admin(&["CONFIG", "SET", "requirepass", "secret"]);
    pair.admin(&["ACL", "GETUSER", "default"]);
    pair.reconnect_sessions();
    pair.session(&["PING"]);
    pair.session(&["AUTH", "wrong"]);
    pair.session(&["AUTH", "secret"]);
    pair.session(&["PING"]);
    pair.admin(&["CONFIG", "SET", "requirepass", ""]);
    pair.admin(&["AUTH", "x"]);
    pair.admin(&["ACL", "SETUSER", "default", "off"]);
    pair.reconnect_sessions();
    pair.session(&["PING"]);
    pair.session(&["HELLO", "2"]);
    pair.session(&["AUTH", "default", "any"]);
}

#[test]
fn subscribers_are_disconnected_when_their_channels_are_revoked() {
    let mut pair = Pair::start();
    pair.admin(&[
        "ACL", "SETUSER", "listener", "on", "nopass", "+@all", "~*", "&news*",
    ]);
    pair.session(&["AUTH", "listener", "x"]);
    pair.session(&["SUBSCRIBE", "news1"]);
    // Still allowed: the subscriber stays.
    pair.admin(&["ACL", "SETUSER", "listener", "&other"]);
    pair.admin(&["PUBLISH", "news1", "still"]);
    for side in [&mut pair.ferrodis, &mut pair.redis] {
        let message = common::read_reply(&mut side.session);
        assert!(show(&message).contains("still"), "{}", show(&message));
    }
    pair.admin(&["ACL", "SETUSER", "listener", "resetchannels", "&other"]);
    for side in [&mut pair.ferrodis, &mut pair.redis] {
        side.session
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let rest = read_to_close(&mut side.session);
        assert!(rest.is_empty(), "{}", show(&rest));
    }
    pair.admin(&["PUBSUB", "NUMSUB", "news1"]);
}

/// Every command ferrodis has is in the categories Redis puts it in, and ACL CAT lists what
/// Redis lists but for commands ferrodis does not have.
#[test]
fn command_categories_agree_with_redis() {
    let mut pair = Pair::start();
    let ours = bulks(&call(&mut pair.ferrodis.admin, &["COMMAND", "LIST"]));
    assert!(ours.len() > 150);
    for name in &ours {
        let (ours, theirs) = pair.both(false, &["COMMAND", "INFO", name]);
        if theirs == b"*1\r\n$-1\r\n" {
            // A command of ferrodis's own (ZQUERY, the book's range query).
            continue;
        }
        // The categories are the seventh field: compare that part of both replies.
        // The command's own categories: the first run of them (a container's subcommands
        // follow in Redis's reply).
        let categories = |reply: &[u8]| -> Vec<String> {
            show(reply)
                .split("\r\n")
                .skip_while(|part| !part.starts_with("+@"))
                .take_while(|part| part.starts_with("+@"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(categories(&ours), categories(&theirs), "{name}");
    }
    let categories = bulks(&pair.admin(&["ACL", "CAT"]));
    assert_eq!(categories.len(), 21);
    for category in categories {
        let (ours, theirs) = pair.both(false, &["ACL", "CAT", &category]);
        // ZQUERY is ferrodis's own (the book's range query).
        let ours: BTreeSet<String> = bulks(&ours)
            .into_iter()
            .filter(|name| name != "zquery")
            .collect();
        let theirs: BTreeSet<String> = bulks(&theirs).into_iter().collect();
        assert!(
            ours.is_subset(&theirs),
            "{category}: {:?}",
            ours.difference(&theirs)
        );
        for missing in theirs.difference(&ours) {
            let command = missing.split('|').next().unwrap_or_default();
            let subcommand_known = missing.contains('|')
                && call(&mut pair.ferrodis.admin, &["COMMAND", "INFO", command])
                    != b"*1\r\n$-1\r\n";
            let info = call(&mut pair.ferrodis.admin, &["COMMAND", "INFO", command]);
            assert!(
                info == b"*1\r\n$-1\r\n" || subcommand_known,
                "{category}: ferrodis has {missing} but does not list it"
            );
        }
    }
}

/// Starts the server of `which` in `dir` with `aclfile users.acl`.
fn start_with_acl_file(ferrodis: bool, dir: &Path) -> ServerProcess {
    if ferrodis {
        start_ferrodis_in(dir.to_path_buf(), &["--save", "", "--aclfile", "users.acl"])
    } else {
        let dir = dir.to_str().expect("a UTF-8 path");
        start_redis(&["--dir", dir, "--aclfile", "users.acl"])
    }
}

/// Users saved by one server (ACL SAVE) load into the other, at start and by ACL LOAD.
#[test]
fn acl_files_move_between_redis_and_ferrodis() {
    for ferrodis_writes in [true, false] {
        let writer_dir = scratch_dir();
        let reader_dir = scratch_dir();
        std::fs::write(writer_dir.join("users.acl"), "").unwrap();
        let writer = start_with_acl_file(ferrodis_writes, &writer_dir);
        let mut admin = writer.connect();
        for rules in [
            &["alice", "on", ">alice", "~*", "&*", "+@all", "-flushall"][..],
            &[
                "bob",
                "off",
                "#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4",
            ],
            &[
                "carol",
                "on",
                "nopass",
                "%R~r*",
                "%W~w*",
                "&c*",
                "-@all",
                "+@read",
                "+select|0",
            ],
            &[
                "dave",
                "on",
                ">d",
                "(~a* +get)",
                "(%W~b* +@write)",
                "resetchannels",
            ],
        ] {
            let mut args = vec!["ACL", "SETUSER"];
            args.extend_from_slice(rules);
            assert_eq!(call(&mut admin, &args), b"+OK\r\n", "{args:?}");
        }
        assert_eq!(call(&mut admin, &["ACL", "SAVE"]), b"+OK\r\n");
        let written = call(&mut admin, &["ACL", "LIST"]);
        let file = std::fs::read(writer_dir.join("users.acl")).unwrap();
        std::fs::write(reader_dir.join("users.acl"), &file).unwrap();
        let reader = start_with_acl_file(!ferrodis_writes, &reader_dir);
        let mut reader_admin = reader.connect();
        let loaded = call(&mut reader_admin, &["ACL", "LIST"]);
        assert_eq!(words(&loaded), words(&written), "{}", show(&file));
        // And by ACL LOAD, after a change that the load undoes.
        call(&mut reader_admin, &["ACL", "DELUSER", "alice"]);
        assert_eq!(call(&mut reader_admin, &["ACL", "LOAD"]), b"+OK\r\n");
        let reloaded = call(&mut reader_admin, &["ACL", "LIST"]);
        assert_eq!(words(&reloaded), words(&written));
        // The users work: alice logs in, bob is off.
        let mut session = reader.connect();
        assert_eq!(call(&mut session, &["AUTH", "alice", "alice"]), b"+OK\r\n");
        assert!(show(&call(&mut session, &["FLUSHALL"])).starts_with("-NOPERM"));
        assert!(show(&call(&mut session, &["AUTH", "bob", "pw"])).starts_with("-WRONGPASS"));
        let _ = std::fs::remove_dir_all(&writer_dir);
        let _ = std::fs::remove_dir_all(&reader_dir);
    }
}

/// A broken ACL file stops the start; a broken one at ACL LOAD changes nothing.
#[test]
fn a_broken_acl_file_stops_the_start_and_is_refused_by_acl_load() {
    let dir = scratch_dir();
    std::fs::write(dir.join("users.acl"), "user alice on +nosuchcommand\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .args([
            "--port",
            "0",
            "--save",
            "",
            "--aclfile",
            "users.acl",
            "--dir",
        ])
        .arg(&dir)
        .output()
        .expect("run ferrodis-server");
    assert!(!output.status.success());
    let log = show(&output.stdout) + &show(&output.stderr);
    assert!(
        log.contains("users.acl:1: Error in applying operation '+nosuchcommand'"),
        "{log}"
    );
    std::fs::write(dir.join("users.acl"), "user alice on >a +@all ~*\n").unwrap();
    let server = start_ferrodis_in(dir.clone(), &["--save", "", "--aclfile", "users.acl"]);
    let mut admin = server.connect();
    std::fs::write(dir.join("users.acl"), "user alice on\nuser alice off\n").unwrap();
    let refused = show(&call(&mut admin, &["ACL", "LOAD"]));
    assert!(
        refused.contains("Duplicate user 'alice' found on line 2"),
        "{refused}"
    );
    let mut session = server.connect();
    assert_eq!(call(&mut session, &["AUTH", "alice", "a"]), b"+OK\r\n");
    std::fs::remove_file(dir.join("users.acl")).unwrap();
    assert_eq!(
        show(&call(&mut admin, &["ACL", "LOAD"])),
        "-ERR Error loading ACLs, opening file 'users.acl': No such file or directory\r\n"
    );
}
