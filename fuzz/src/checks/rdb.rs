//! Untrusted RDB bytes, both ways they arrive: as a whole file loaded at start
//! (`Server::load_rdb`) and as a RESTORE payload (sealed with a right checksum, so that the
//! value decoder itself is reached). Neither may panic or break an invariant; what loads must
//! survive a save and load again with the same data, and a value RESTORE took must give a DUMP
//! that restores to the same DUMP.
//!
//! The first input byte picks the way; the rest is the file or the payload's content. A file
//! whose last eight bytes are zero has its checksum unchecked (as Redis reads such a file), so
//! mutations reach the decoder there too.

use ferrodis_core::protocol::resp::encode_request;
use ferrodis_core::{
    seal_dump_payload, Config, ConnectionId, DiskRequest, Instant, Now, Output, Server, UnixMillis,
};

fn now() -> Now {
    Now::new(Instant::ZERO, UnixMillis::from_millis(1_700_000_000_000))
}

fn server() -> Server {
    Server::new(
        Config {
            save_points: Vec::new(),
            ..Config::default()
        },
        now(),
    )
}

fn call(server: &mut Server, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
    server.connection_receive(now(), id, &encode_request(args));
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now(), id, reply.len());
    reply
}

/// SAVE's file, with every disk request answered at once.
fn save(server: &mut Server, id: ConnectionId) -> Vec<u8> {
    server.connection_receive(now(), id, &encode_request(&[b"SAVE"]));
    let mut files = std::collections::BTreeMap::<String, Vec<u8>>::new();
    for _ in 0..1_000_000 {
        let Some(output) = server.poll_output() else {
            break;
        };
        if let Output::Disk { token, request } = output {
            match request {
                DiskRequest::Create { path } => {
                    files.insert(path, Vec::new());
                }
                DiskRequest::Write { path, bytes } => {
                    files.get_mut(&path).expect("created").extend(bytes)
                }
                DiskRequest::Rename { from, to } => {
                    let bytes = files.remove(&from).expect("written");
                    files.insert(to, bytes);
                }
                _ => {}
            }
            server.disk_done(now(), token, Ok(()));
        }
    }
    assert_eq!(server.send_buffer(id), b"+OK\r\n", "SAVE answers OK");
    files.remove("./dump.rdb").expect("SAVE wrote dump.rdb")
}

pub fn run(data: &[u8]) {
    let Some((&way, bytes)) = data.split_first() else {
        return;
    };
    if way % 2 == 0 {
        let mut first = server();
        let Ok(loaded) = first.load_rdb(now(), bytes) else {
            return;
        };
        first.check_invariants();
        let id = first.connection_open(now(), "127.0.0.1:1").unwrap();
        let keys = call(&mut first, id, &[b"DBSIZE"]);
        let file = save(&mut first, id);
        let mut second = server();
        let again = second.load_rdb(now(), &file).expect("a saved file loads");
        assert_eq!(again.keys, loaded.keys, "the same keys load again");
        second.check_invariants();
        let id = second.connection_open(now(), "127.0.0.1:1").unwrap();
        assert_eq!(call(&mut second, id, &[b"DBSIZE"]), keys);
    } else {
        let mut server = server();
        let id = server.connection_open(now(), "127.0.0.1:1").unwrap();
        let payload = seal_dump_payload(bytes);
        let reply = call(&mut server, id, &[b"RESTORE", b"k", b"0", &payload]);
        server.check_invariants();
        if reply != b"+OK\r\n" {
            assert!(
                reply.starts_with(b"-ERR Bad data format"),
                "{}",
                String::from_utf8_lossy(&reply)
            );
            return;
        }
        let dumped = call(&mut server, id, &[b"DUMP", b"k"]);
        let dump = &dumped[dumped.iter().position(|&b| b == b'\n').unwrap() + 1..dumped.len() - 2];
        assert_eq!(
            call(&mut server, id, &[b"RESTORE", b"copy", b"0", dump]),
            b"+OK\r\n"
        );
        assert_eq!(call(&mut server, id, &[b"DUMP", b"copy"]), dumped);
        server.check_invariants();
    }
}
