//! Untrusted ACL rules, both ways they arrive: an ACL file read at start
//! (`Server::load_acl_file`) and ACL SETUSER's arguments. Neither may panic or break an
//! invariant; whatever was accepted must describe itself (ACL LIST) in lines that load into a
//! new server as the same users, and every user's verdict on a few commands must stay the
//! same there.
//!
//! The first input byte picks the way; the rest is the file, or SETUSER's name and rules
//! separated by NUL bytes. The checks run as a user of their own, `fuzzadmin`, which the
//! input may not change (the default user may lose its rights).

use ferrodis_core::protocol::resp::encode_request;
use ferrodis_core::{Config, ConnectionId, Instant, Now, Server, UnixMillis};

fn now() -> Now {
    Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000))
}

fn call(server: &mut Server, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
    server.connection_receive(now(), id, &encode_request(args));
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now(), id, reply.len());
    reply
}

/// The bulk strings of an array of bulk strings (ACL LIST, ACL USERS).
fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut rest = reply;
    let line = |rest: &[u8]| {
        let end = rest
            .windows(2)
            .position(|pair| pair == b"\r\n")
            .expect("a line");
        (rest[1..end].to_vec(), end + 2)
    };
    let (count, used) = line(rest);
    assert_eq!(reply[0], b'*', "{}", reply.escape_ascii());
    rest = &rest[used..];
    let count: usize = String::from_utf8(count).unwrap().parse().unwrap();
    for _ in 0..count {
        let (len, used) = line(rest);
        let len: usize = String::from_utf8(len).unwrap().parse().unwrap();
        items.push(rest[used..used + len].to_vec());
        rest = &rest[used + len + 2..];
    }
    items
}

/// The checks' own user, allowed everything.
const ADMIN: &[u8] = b"user fuzzadmin on nopass ~* &* +@all\n";

fn open() -> (Server, ConnectionId) {
    let mut server = Server::new(Config::default(), now());
    let id = server
        .connection_open(now(), "127.0.0.1:1")
        .expect("a first connection");
    (server, id)
}

fn log_in_as_admin(server: &mut Server, id: ConnectionId) {
    let reply = call(server, id, &[b"AUTH", b"fuzzadmin", b"x"]);
    assert_eq!(reply, b"+OK\r\n", "{}", reply.escape_ascii());
}

/// Each user's ACL DRYRUN verdicts on a few commands that touch keys and channels.
fn verdicts(server: &mut Server, id: ConnectionId) -> Vec<Vec<u8>> {
    let users = bulks(&call(server, id, &[b"ACL", b"USERS"]));
    let mut verdicts = Vec::new();
    for user in &users {
        for request in [
            &[&b"get"[..], b"key"][..],
            &[b"set", b"a", b"1", b"GET"],
            &[b"lpush", b"b", b"x"],
            &[b"publish", b"news", b"m"],
            &[b"client", b"kill", b"id", b"1"],
            &[b"select", b"0"],
        ] {
            let mut args = vec![&b"ACL"[..], b"DRYRUN", user];
            args.extend_from_slice(request);
            verdicts.push(call(server, id, &args));
        }
    }
    verdicts
}

pub fn run(data: &[u8]) {
    let Some((&way, rest)) = data.split_first() else {
        return;
    };
    let (mut server, id) = open();
    if way % 2 == 0 {
        let file = [rest, b"\n", ADMIN].concat();
        if server.load_acl_file(&file).is_err() {
            server.check_invariants();
            return;
        }
        log_in_as_admin(&mut server, id);
    } else {
        let mut args = vec![&b"ACL"[..], b"SETUSER"];
        args.extend(rest.split(|&byte| byte == 0).take(32));
        if args.len() < 3 || args[2] == b"fuzzadmin" {
            return;
        }
        let admin = [
            &b"ACL"[..],
            b"SETUSER",
            b"fuzzadmin",
            b"on",
            b"nopass",
            b"~*",
            b"&*",
        ];
        call(&mut server, id, &[admin.as_slice(), &[b"+@all"]].concat());
        log_in_as_admin(&mut server, id);
        let reply = call(&mut server, id, &args);
        assert!(
            reply == b"+OK\r\n" || reply.starts_with(b"-ERR "),
            "{}",
            reply.escape_ascii()
        );
    }
    server.check_invariants();
    let lines = bulks(&call(&mut server, id, &[b"ACL", b"LIST"]));
    let mut file = Vec::new();
    for line in &lines {
        file.extend_from_slice(line);
        file.push(b'\n');
    }
    let (mut again, again_id) = open();
    if let Err(error) = again.load_acl_file(&file) {
        panic!(
            "ACL LIST does not load back: {error}\n{}",
            file.escape_ascii()
        );
    }
    log_in_as_admin(&mut again, again_id);
    let reloaded = bulks(&call(&mut again, again_id, &[b"ACL", b"LIST"]));
    assert_eq!(reloaded, lines, "the users changed through a file");
    assert_eq!(verdicts(&mut again, again_id), verdicts(&mut server, id));
}
