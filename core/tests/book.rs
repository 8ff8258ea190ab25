//! The book's door through the core with virtual time: framing, replies byte for byte, the
//! shared keyspace with RESP, bad frames, the reply bound, and the fall-through to Redis commands.

mod common;

use common::{later, request, start_of_time};
use ferrodis_core::protocol::book::{
    begin_frame, encode_request, end_frame, write_arr, write_dbl, write_err, write_int, write_nil,
    write_str, ERR_ARG, ERR_TOO_BIG, ERR_TYPE, ERR_UNKNOWN, MESSAGE_BYTES_MAX,
};
use ferrodis_core::{CloseReason, Config, ConnectionId, Now, Output, Server};

struct Harness {
    server: Server,
    now: Now,
    closed: Vec<(ConnectionId, CloseReason)>,
}

impl Harness {
    fn new(config: Config) -> Harness {
        let now = start_of_time();
        Harness {
            server: Server::new(config, now),
            now,
            closed: Vec::new(),
        }
    }

    fn open_book(&mut self) -> ConnectionId {
        self.server
            .connection_open_book(self.now, "127.0.0.1:2")
            .unwrap()
    }

    fn open_resp(&mut self) -> ConnectionId {
        self.server
            .connection_open(self.now, "127.0.0.1:3")
            .unwrap()
    }

    fn drain(&mut self) {
        while let Some(output) = self.server.poll_output() {
            if let Output::Close { id, reason } = output {
                self.closed.push((id, reason));
            }
        }
        self.server.check_invariants();
    }

    fn receive(&mut self, id: ConnectionId, bytes: &[u8]) -> Vec<u8> {
        self.server.connection_receive(self.now, id, bytes);
        self.drain();
        let reply = self.server.send_buffer(id).to_vec();
        self.server.connection_sent(self.now, id, reply.len());
        self.drain();
        reply
    }

    fn book(&mut self, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
        let mut request = Vec::new();
        encode_request(args, &mut request);
        self.receive(id, &request)
    }

    fn resp(&mut self, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
        self.receive(id, &request(args))
    }

    fn advance(&mut self, millis: u64) {
        self.now = later(self.now, millis);
        self.server.handle_timeout(self.now);
        self.drain();
    }
}

/// One framed reply built by `write`.
fn framed(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    let start = begin_frame(&mut out);
    write(&mut out);
    end_frame(&mut out, start);
    out
}

fn nil() -> Vec<u8> {
    framed(write_nil)
}

fn int(value: i64) -> Vec<u8> {
    framed(|out| write_int(out, value))
}

fn string(bytes: &[u8]) -> Vec<u8> {
    framed(|out| write_str(out, bytes))
}

fn err(code: u32, text: &str) -> Vec<u8> {
    framed(|out| write_err(out, code, text.as_bytes()))
}

#[test]
fn the_worked_examples_byte_for_byte() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open_book();
    let set = [
        0x15, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, b's', b'e', b't', 1, 0, 0, 0, b'k', 1, 0, 0, 0, b'v',
    ];
    assert_eq!(harness.receive(id, &set), [1, 0, 0, 0, 0]);
    assert_eq!(
        harness.book(id, &[b"get", b"k"]),
        [6, 0, 0, 0, 2, 1, 0, 0, 0, b'v']
    );
}

#[test]
fn resp_and_book_clients_share_the_keyspace() {
    let mut harness = Harness::new(Config::default());
    let book = harness.open_book();
    let resp = harness.open_resp();
    assert_eq!(
        harness.resp(resp, &[b"SET", b"k", b"from resp"]),
        b"+OK\r\n"
    );
    assert_eq!(harness.book(book, &[b"get", b"k"]), string(b"from resp"));
    assert_eq!(harness.book(book, &[b"set", b"n", b"42"]), nil());
    assert_eq!(harness.resp(resp, &[b"INCR", b"n"]), b":43\r\n");
    assert_eq!(harness.book(book, &[b"get", b"n"]), string(b"43"));
    assert_eq!(harness.book(book, &[b"zadd", b"z", b"1.5", b"m"]), int(1));
    assert_eq!(
        harness.resp(resp, &[b"ZSCORE", b"z", b"m"]),
        b"$3\r\n1.5\r\n"
    );
    // The book's commands count in INFO commandstats like any other.
    let stats = harness.resp(resp, &[b"INFO", b"commandstats"]);
    let stats = String::from_utf8_lossy(&stats);
    assert!(stats.contains("cmdstat_get:calls=2,"), "{stats}");
    assert!(stats.contains("cmdstat_zadd:calls=1,"), "{stats}");
}

#[test]
fn the_books_semantics_where_they_differ_from_redis() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open_book();
    assert_eq!(harness.book(id, &[b"set", b"k", b"v"]), nil());
    assert_eq!(harness.book(id, &[b"pexpire", b"k", b"5000"]), int(1));
    // set keeps the TTL.
    assert_eq!(harness.book(id, &[b"set", b"k", b"w"]), nil());
    assert_eq!(harness.book(id, &[b"pttl", b"k"]), int(5000));
    harness.advance(1500);
    assert_eq!(harness.book(id, &[b"pttl", b"k"]), int(3500));
    // A negative pexpire removes it.
    assert_eq!(harness.book(id, &[b"pexpire", b"k", b"-1"]), int(1));
    assert_eq!(harness.book(id, &[b"pttl", b"k"]), int(-1));
    assert_eq!(harness.book(id, &[b"pttl", b"missing"]), int(-2));
    assert_eq!(harness.book(id, &[b"pexpire", b"missing", b"10"]), int(0));
    assert_eq!(
        harness.book(id, &[b"pexpire", b"k", b"soon"]),
        err(ERR_ARG, "expect int64")
    );
    // zadd answers 0 for an update to the same score.
    assert_eq!(harness.book(id, &[b"zadd", b"z", b"1", b"m"]), int(1));
    assert_eq!(harness.book(id, &[b"zadd", b"z", b"1", b"m"]), int(0));
    assert_eq!(
        harness.book(id, &[b"zadd", b"z", b"nan", b"m"]),
        err(ERR_ARG, "expect float")
    );
    assert_eq!(
        harness.book(id, &[b"zadd", b"k", b"1", b"m"]),
        err(ERR_TYPE, "expect zset")
    );
    assert_eq!(
        harness.book(id, &[b"zquery", b"z", b"x", b"", b"0", b"1"]),
        err(ERR_ARG, "expect fp number")
    );
    assert_eq!(
        harness.book(id, &[b"zquery", b"z", b"1", b"", b"0", b"1.5"]),
        err(ERR_ARG, "expect int")
    );
    assert_eq!(
        harness.book(id, &[b"get", b"z"]),
        err(ERR_TYPE, "not a string value")
    );
    assert_eq!(
        harness.book(id, &[b"set", b"z", b"v"]),
        err(ERR_TYPE, "a non-string value exists")
    );
    // keys takes no pattern: with one it is a wrong count, which the book calls unknown.
    assert_eq!(
        harness.book(id, &[b"keys", b"*"]),
        err(ERR_UNKNOWN, "unknown command.")
    );
    let keys = harness.book(id, &[b"keys"]);
    let one_order = framed(|out| {
        write_arr(out, 2);
        write_str(out, b"k");
        write_str(out, b"z");
    });
    let other_order = framed(|out| {
        write_arr(out, 2);
        write_str(out, b"z");
        write_str(out, b"k");
    });
    assert!(keys == one_order || keys == other_order, "{keys:?}");
    // del works on any type.
    assert_eq!(harness.book(id, &[b"del", b"z"]), int(1));
    assert_eq!(harness.book(id, &[b"del", b"z"]), int(0));
    assert_eq!(harness.book(id, &[b"zscore", b"z", b"m"]), nil());
}

#[test]
fn other_commands_answer_in_book_tags() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open_book();
    assert_eq!(harness.book(id, &[b"PING"]), string(b"PONG"));
    assert_eq!(harness.book(id, &[b"MSET", b"a", b"1"]), string(b"OK"));
    assert_eq!(harness.book(id, &[b"INCRBY", b"a", b"9"]), int(10));
    assert_eq!(
        harness.book(id, &[b"MGET", b"nope"]),
        framed(|out| {
            write_arr(out, 1);
            write_nil(out);
        })
    );
    // The book's own names in another case are unknown there, as in the book's server.
    for name in [&b"GET"[..], b"Get", b"ZADD"] {
        assert_eq!(
            harness.book(id, &[name, b"a"]),
            err(ERR_UNKNOWN, "unknown command.")
        );
    }
    assert_eq!(harness.book(id, &[b"zadd", b"z", b"2", b"m"]), int(1));
    assert_eq!(
        harness.book(id, &[b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]),
        framed(|out| {
            write_arr(out, 2);
            write_str(out, b"m");
            write_dbl(out, 2.0);
        })
    );
    let wrongtype = harness.book(id, &[b"INCR", b"z"]);
    assert_eq!(wrongtype[4..9], [1, 3, 0, 0, 0], "{wrongtype:?}");
    let not_integer = harness.book(id, &[b"INCRBY", b"a", b"x"]);
    assert_eq!(
        not_integer,
        err(ERR_ARG, "ERR value is not an integer or out of range")
    );
    let arity = harness.book(id, &[b"EXISTS"]);
    assert_eq!(arity[4..9], [1, 1, 0, 0, 0], "{arity:?}");
    assert_eq!(
        harness.book(id, &[b"nosuchcommand", b"x"]),
        err(ERR_UNKNOWN, "unknown command.")
    );
    // nstr = 0 is a valid frame naming no command.
    assert_eq!(harness.book(id, &[]), err(ERR_UNKNOWN, "unknown command."));
}

#[test]
fn pipelined_and_split_frames_reply_in_order() {
    let mut harness = Harness::new(Config::default());
    let id = harness.open_book();
    let mut requests = Vec::new();
    encode_request(&[&b"set"[..], b"k", b"v"], &mut requests);
    encode_request(&[&b"get"[..], b"k"], &mut requests);
    encode_request(&[&b"del"[..], b"k"], &mut requests);
    let mut expected = nil();
    expected.extend(string(b"v"));
    expected.extend(int(1));
    assert_eq!(harness.receive(id, &requests), expected);
    let mut replies = Vec::new();
    for byte in &requests {
        replies.extend(harness.receive(id, std::slice::from_ref(byte)));
    }
    assert_eq!(replies, expected);
}

#[test]
fn bad_frames_close_without_a_reply_after_earlier_replies() {
    let cases: Vec<Vec<u8>> = vec![
        ((MESSAGE_BYTES_MAX + 1) as u32).to_le_bytes().to_vec(),
        // Truncated: one string declared, none there.
        vec![4, 0, 0, 0, 1, 0, 0, 0],
        // Trailing byte after zero strings.
        vec![5, 0, 0, 0, 0, 0, 0, 0, 9],
        // Too many strings.
        vec![4, 0, 0, 0, 0x41, 0x0d, 0x03, 0],
    ];
    for bad in cases {
        let mut harness = Harness::new(Config::default());
        let id = harness.open_book();
        let mut bytes = Vec::new();
        encode_request(&[&b"get"[..], b"k"], &mut bytes);
        bytes.extend_from_slice(&bad);
        encode_request(&[&b"get"[..], b"k"], &mut bytes);
        assert_eq!(harness.receive(id, &bytes), nil(), "{bad:?}");
        assert_eq!(harness.closed, vec![(id, CloseReason::ProtocolError)]);
    }
}

#[test]
fn a_reply_over_32_mib_becomes_error_2() {
    let mut harness = Harness::new(Config::default());
    let book = harness.open_book();
    let resp = harness.open_resp();
    // A STR reply's body is 5 bytes plus the value.
    let at_bound = vec![b'x'; MESSAGE_BYTES_MAX - 5];
    let over = vec![b'x'; MESSAGE_BYTES_MAX - 4];
    assert_eq!(
        harness.resp(resp, &[b"SET", b"fits", &at_bound]),
        b"+OK\r\n"
    );
    assert_eq!(harness.resp(resp, &[b"SET", b"big", &over]), b"+OK\r\n");
    assert_eq!(harness.book(book, &[b"get", b"fits"]), string(&at_bound));
    assert_eq!(
        harness.book(book, &[b"get", b"big"]),
        err(ERR_TOO_BIG, "response is too big.")
    );
    // The connection goes on.
    assert_eq!(harness.book(book, &[b"del", b"big"]), int(1));
}

#[test]
fn book_clients_time_out_and_count_against_maxclients() {
    let config = Config {
        idle_timeout_secs: 5,
        clients_max: 1,
        ..Config::default()
    };
    let mut harness = Harness::new(config);
    let id = harness.open_book();
    let refused = harness
        .server
        .connection_open_book(harness.now, "127.0.0.1:4")
        .unwrap_err();
    assert_eq!(
        refused.reply,
        &err(ERR_ARG, "max number of clients reached")[..]
    );
    harness.advance(4000);
    assert!(harness.closed.is_empty());
    harness.advance(2000);
    assert_eq!(harness.closed, vec![(id, CloseReason::IdleTimeout)]);
}

#[test]
fn book_commands_before_auth_are_refused_with_noauth() {
    let config = Config {
        requirepass: Some(b"secret".to_vec()),
        ..Config::default()
    };
    let mut harness = Harness::new(config);
    let id = harness.open_book();
    assert_eq!(
        harness.book(id, &[b"get", b"k"]),
        err(ERR_ARG, "NOAUTH Authentication required.")
    );
    assert_eq!(
        harness.book(id, &[b"GET", b"k"]),
        err(ERR_UNKNOWN, "unknown command.")
    );
}
