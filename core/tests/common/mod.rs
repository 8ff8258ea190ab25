//! Virtual time and RESP requests for the tests in this folder, and one client talking RESP to a
//! core server.
#![allow(dead_code)]

use ferrodis_core::{Config, ConnectionId, Garbage, Instant, Now, Output, Server, UnixMillis};

/// Where every test's virtual clocks start.
pub fn start_of_time() -> Now {
    Now::new(
        Instant::from_millis(0),
        UnixMillis::from_millis(1_700_000_000_000),
    )
}

/// `now` with both clocks moved on by `millis`.
pub fn later(now: Now, millis: u64) -> Now {
    Now::new(
        now.monotonic.plus_millis(millis),
        UnixMillis::from_millis(now.wall.as_millis() + millis as i64),
    )
}

/// A RESP multibulk request.
pub fn request(args: &[&[u8]]) -> Vec<u8> {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg);
        request.extend_from_slice(b"\r\n");
    }
    request
}

pub struct Client {
    pub server: Server,
    pub now: Now,
    pub id: ConnectionId,
    /// What `Output::Free` handed out so far (big values leave the core this way), kept for
    /// tests that count it or free it themselves.
    pub garbage: Vec<Garbage>,
}

impl Client {
    pub fn new() -> Client {
        let now = start_of_time();
        let mut server = Server::new(Config::default(), now);
        let id = server.connection_open(now, "127.0.0.1:1000").unwrap();
        let mut client = Client {
            server,
            now,
            id,
            garbage: Vec::new(),
        };
        client.drain();
        client
    }

    /// Acts on every pending output (keeping garbage).
    pub fn drain(&mut self) {
        while let Some(output) = self.server.poll_output() {
            if let Output::Free { garbage } = output {
                self.garbage.push(garbage);
            }
        }
    }

    /// Sends one command (arguments as bytes) and returns every reply byte it produced.
    pub fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let request = request(args);
        let taken = self.server.connection_receive(self.now, self.id, &request);
        assert_eq!(taken, request.len());
        self.drain();
        let reply = self.server.send_buffer(self.id).to_vec();
        self.server.connection_sent(self.now, self.id, reply.len());
        self.drain();
        self.server.check_invariants();
        reply
    }

    /// `call` with text arguments and a text reply.
    pub fn send(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        String::from_utf8(self.call(&args)).unwrap()
    }
}
