//! Virtual time and RESP requests for the tests in this folder, and one client talking RESP to a
//! core server.
#![allow(dead_code)]

use ferrodis_core::{
    CloseReason, Config, ConnectionId, Garbage, Instant, Now, Output, Server, UnixMillis,
};

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

    /// WATCHes `watched`, sends `command`, then runs MULTI/PING/EXEC: whether the EXEC failed,
    /// that is whether the command changed the watched key as WATCH sees changes.
    pub fn command_fails_watch(&mut self, watched: &str, command: &[&str]) -> bool {
        self.send(&["watch", watched]);
        self.send(command);
        self.send(&["multi"]);
        self.send(&["ping"]);
        match self.send(&["exec"]).as_str() {
            "*-1\r\n" => true,
            "*1\r\n+PONG\r\n" => false,
            other => panic!("EXEC after {command:?} replied {other:?}"),
        }
    }
}

/// A minimal driver: virtual clocks, outputs collected, replies read from the core's buffer.
pub struct Harness {
    pub server: Server,
    pub now: Now,
    pub outputs: Vec<Output>,
}

impl Harness {
    pub fn new(config: Config) -> Harness {
        let now = start_of_time();
        Harness {
            server: Server::new(config, now),
            now,
            outputs: Vec::new(),
        }
    }

    pub fn advance(&mut self, millis: u64) {
        self.now = later(self.now, millis);
    }

    pub fn drain(&mut self) {
        while let Some(output) = self.server.poll_output() {
            self.outputs.push(output);
        }
        self.server.check_invariants();
    }

    /// Runs every timer that is due, as a driver jumping straight to deadlines would.
    pub fn run_timers(&mut self) {
        for _ in 0..100 {
            let deadline = self
                .server
                .poll_timeout()
                .expect("the cron always has a deadline");
            if deadline > self.now.monotonic {
                break;
            }
            self.server.handle_timeout(self.now);
            self.drain();
        }
    }

    pub fn open(&mut self) -> ConnectionId {
        let id = self
            .server
            .connection_open(self.now, "127.0.0.1:1000")
            .unwrap();
        self.drain();
        id
    }

    pub fn send(&mut self, id: ConnectionId, bytes: &[u8]) {
        let taken = self.server.connection_receive(self.now, id, bytes);
        assert_eq!(taken, bytes.len());
        self.drain();
    }

    /// Takes every pending reply byte, as a driver whose socket accepts everything.
    pub fn take_replies(&mut self, id: ConnectionId) -> String {
        let bytes = self.server.send_buffer(id).to_vec();
        self.server.connection_sent(self.now, id, bytes.len());
        self.drain();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn command(&mut self, id: ConnectionId, line: &str) -> String {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.send(id, &request(&args));
        self.take_replies(id)
    }

    pub fn closes(&self) -> Vec<(ConnectionId, CloseReason)> {
        self.outputs
            .iter()
            .filter_map(|output| match output {
                Output::Close { id, reason } => Some((*id, *reason)),
                _ => None,
            })
            .collect()
    }
}

/// Steps every piece of garbage until nothing is left; returns how many steps that took.
pub fn free_in_steps(garbage: Vec<Garbage>) -> usize {
    let mut steps = 0;
    for mut garbage in garbage {
        steps += 1;
        while garbage.free_step() {
            steps += 1;
            assert!(steps < 1_000_000, "free_step never finishes");
        }
    }
    steps
}
