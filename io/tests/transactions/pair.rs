//! Connections to ferrodis and to Redis side by side: connection `i` of one server mirrors
//! connection `i` of the other, every command goes to both, and the raw replies must be
//! identical. Commands run one at a time, each round trip finished on both servers before the
//! next starts, so two connections interleave on both servers in exactly the same order.

use std::io::Write;
use std::net::TcpStream;

use crate::common::{encode, read_reply, read_to_close, ServerProcess};
use crate::reply::{bulk_array, show, show_command};

/// Steps shown before a mismatch, to see how the state came about.
const TRANSCRIPT_LEN: usize = 24;

/// Names of the connections in reports and scripts: `A` is connection 0.
pub const CONNECTION_NAMES: &[u8] = b"ABCDEFGH";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

pub struct Pair {
    ferrodis: Vec<TcpStream>,
    redis: Vec<TcpStream>,
    protocol: Protocol,
    /// The latest steps, oldest first, at most TRANSCRIPT_LEN.
    transcript: Vec<String>,
}

impl Pair {
    /// Opens `connections` connections to each server; after `HELLO 3` when `protocol` says so
    /// (its reply carries the connection id, which differs, so it is not compared).
    pub fn connect(
        ferrodis: &ServerProcess,
        redis: &ServerProcess,
        connections: usize,
        protocol: Protocol,
    ) -> Pair {
        assert!(connections <= CONNECTION_NAMES.len());
        let mut pair = Pair {
            ferrodis: (0..connections).map(|_| ferrodis.connect()).collect(),
            redis: (0..connections).map(|_| redis.connect()).collect(),
            protocol,
            transcript: Vec::new(),
        };
        if protocol == Protocol::Resp3 {
            for connection in 0..connections {
                let hello = encode(&[b"HELLO", b"3"]);
                for stream in [&mut pair.ferrodis[connection], &mut pair.redis[connection]] {
                    stream.write_all(&hello).unwrap();
                    let reply = read_reply(stream);
                    assert!(reply.starts_with(b"%"), "HELLO 3 gave {}", show(&reply));
                }
            }
        }
        pair
    }

    fn record(&mut self, line: String) {
        if self.transcript.len() == TRANSCRIPT_LEN {
            self.transcript.remove(0);
        }
        self.transcript.push(line);
    }

    /// A mismatch report: what differs, both replies, and the steps that led there.
    fn mismatch(&self, what: String, ferrodis: &[u8], redis: &[u8]) -> String {
        format!(
            "{what} ({:?})\n  ferrodis: {}\n  redis:    {}\n  steps before it (connection, \
             command, Redis's reply):\n    {}",
            self.protocol,
            show(ferrodis),
            show(redis),
            self.transcript.join("\n    ")
        )
    }

    /// Sends one command on `connection` of both servers; Redis's reply when both agree.
    pub fn run(&mut self, connection: usize, args: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        let request = encode(&args.iter().map(Vec::as_slice).collect::<Vec<_>>());
        self.ferrodis[connection].write_all(&request).unwrap();
        let ferrodis = read_reply(&mut self.ferrodis[connection]);
        self.redis[connection].write_all(&request).unwrap();
        let redis = read_reply(&mut self.redis[connection]);
        let name = CONNECTION_NAMES[connection] as char;
        let step = format!("{name} {}", show_command(args));
        if ferrodis != redis {
            return Err(self.mismatch(format!("{step}: different replies"), &ferrodis, &redis));
        }
        self.record(format!("{step} -> {}", show(&redis)));
        Ok(redis)
    }

    /// Sends a command whose reply lists keys in hash table order (KEYS), which differs between
    /// the two servers: the elements are compared sorted. Redis's elements when both agree.
    pub fn run_unordered(
        &mut self,
        connection: usize,
        args: &[Vec<u8>],
    ) -> Result<Vec<Vec<u8>>, String> {
        let request = encode(&args.iter().map(Vec::as_slice).collect::<Vec<_>>());
        self.ferrodis[connection].write_all(&request).unwrap();
        let ferrodis = read_reply(&mut self.ferrodis[connection]);
        self.redis[connection].write_all(&request).unwrap();
        let redis = read_reply(&mut self.redis[connection]);
        let step = format!(
            "{} {}",
            CONNECTION_NAMES[connection] as char,
            show_command(args)
        );
        let sorted = |raw: &[u8]| {
            bulk_array(raw).map(|mut elements| {
                elements.sort();
                elements
            })
        };
        match (sorted(&ferrodis), sorted(&redis)) {
            (Some(ours), Some(theirs)) if ours == theirs => {
                self.record(format!("{step} -> {} (order aside)", show(&redis)));
                Ok(theirs)
            }
            _ => Err(self.mismatch(format!("{step}: different elements"), &ferrodis, &redis)),
        }
    }

    /// Writes all `commands` on `connection` in one write to each server, then compares every
    /// reply; Redis's replies when all agree.
    pub fn run_batch(
        &mut self,
        connection: usize,
        commands: &[Vec<Vec<u8>>],
    ) -> Result<Vec<Vec<u8>>, String> {
        let mut request = Vec::new();
        for args in commands {
            request.extend(encode(&args.iter().map(Vec::as_slice).collect::<Vec<_>>()));
        }
        self.ferrodis[connection].write_all(&request).unwrap();
        self.redis[connection].write_all(&request).unwrap();
        let ferrodis: Vec<Vec<u8>> = commands
            .iter()
            .map(|_| read_reply(&mut self.ferrodis[connection]))
            .collect();
        let redis: Vec<Vec<u8>> = commands
            .iter()
            .map(|_| read_reply(&mut self.redis[connection]))
            .collect();
        let name = CONNECTION_NAMES[connection] as char;
        for (index, args) in commands.iter().enumerate() {
            let step = format!("{name} (batch {index}) {}", show_command(args));
            if ferrodis[index] != redis[index] {
                let what = format!("{step}: different replies");
                return Err(self.mismatch(what, &ferrodis[index], &redis[index]));
            }
            self.record(format!("{step} -> {}", show(&redis[index])));
        }
        Ok(redis)
    }

    /// Sends one command on `connection` of both servers without reading its reply (a
    /// blocking command that waits); `receive` reads it later.
    pub fn send(&mut self, connection: usize, args: &[Vec<u8>]) {
        let request = encode(&args.iter().map(Vec::as_slice).collect::<Vec<_>>());
        self.ferrodis[connection].write_all(&request).unwrap();
        self.redis[connection].write_all(&request).unwrap();
        let name = CONNECTION_NAMES[connection] as char;
        self.record(format!("{name} {} (sent)", show_command(args)));
    }

    /// Reads the next reply or message on `connection` of both servers and compares them.
    pub fn receive(&mut self, connection: usize) -> Result<Vec<u8>, String> {
        let ferrodis = read_reply(&mut self.ferrodis[connection]);
        let redis = read_reply(&mut self.redis[connection]);
        let step = format!("{} receives", CONNECTION_NAMES[connection] as char);
        if ferrodis != redis {
            return Err(self.mismatch(format!("{step}: different replies"), &ferrodis, &redis));
        }
        self.record(format!("{step} {}", show(&redis)));
        Ok(redis)
    }

    /// Polls INFO on `connection` of each server until it reports `blocked` blocked clients
    /// (a command sent by `send` may not have reached the server yet); an error after 2 s.
    pub fn wait_blocked(&mut self, connection: usize, blocked: usize) -> Result<(), String> {
        let expected = format!("blocked_clients:{blocked}\r\n");
        let info = encode(&[b"INFO", b"clients"]);
        let mut missing = false;
        for stream in [&mut self.ferrodis[connection], &mut self.redis[connection]] {
            let seen = (0..400).any(|_| {
                stream.write_all(&info).unwrap();
                let reply = read_reply(stream);
                let seen = String::from_utf8_lossy(&reply).contains(&expected);
                if !seen {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                seen
            });
            missing |= !seen;
        }
        if missing {
            return Err(format!(
                "never saw {expected:?}:\n    {}",
                self.transcript()
            ));
        }
        Ok(())
    }

    /// Sends QUIT on `connection` and compares everything both servers send until they close.
    pub fn quit(&mut self, connection: usize) -> Result<(), String> {
        let request = encode(&[b"QUIT"]);
        self.ferrodis[connection].write_all(&request).unwrap();
        self.redis[connection].write_all(&request).unwrap();
        let ferrodis = read_to_close(&mut self.ferrodis[connection]);
        let redis = read_to_close(&mut self.redis[connection]);
        let step = format!("{} QUIT", CONNECTION_NAMES[connection] as char);
        if ferrodis != redis {
            let what = format!("{step}: different bytes before the close");
            return Err(self.mismatch(what, &ferrodis, &redis));
        }
        self.record(format!("{step} -> {} then closed", show(&redis)));
        Ok(())
    }

    /// Runs one script line: a connection name, then the command's arguments separated by
    /// spaces (`""` is an empty argument), e.g. `B SET k 1`. QUIT reads until the close.
    /// `A> BLPOP q 0` sends without reading the reply; `A<` reads one reply or message;
    /// `wait C 2` waits (polling on C) until two clients are blocked.
    pub fn line(&mut self, line: &str) -> Result<Vec<u8>, String> {
        if let Some(rest) = line.strip_prefix("wait ") {
            // `wait C 2`: C polls until both servers have two blocked clients.
            let (connection, args) = parse_line(rest);
            let count = String::from_utf8_lossy(&args[0]).parse().expect("a count");
            self.wait_blocked(connection, count)?;
            return Ok(Vec::new());
        }
        if let Some(name) = line.strip_suffix('<') {
            let (connection, _) = parse_line(&format!("{name} -"));
            return self.receive(connection);
        }
        if let Some((name, command)) = line.split_once("> ") {
            let (connection, args) = parse_line(&format!("{name} {command}"));
            self.send(connection, &args);
            return Ok(Vec::new());
        }
        let (connection, args) = parse_line(line);
        if args == [b"QUIT".to_vec()] {
            self.quit(connection)?;
            return Ok(Vec::new());
        }
        self.run(connection, &args)
    }

    /// Runs script lines in order; Redis's reply to the last one.
    pub fn script(&mut self, lines: &[&str]) -> Result<Vec<u8>, String> {
        let mut last = Vec::new();
        for line in lines {
            last = self.line(line)?;
        }
        Ok(last)
    }

    /// Redis's replies to the latest steps, for reports on a script's premise.
    pub fn transcript(&self) -> String {
        self.transcript.join("\n    ")
    }
}

/// `B SET k 1` as (1, ["SET", "k", "1"]).
pub fn parse_line(line: &str) -> (usize, Vec<Vec<u8>>) {
    let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
    let connection = match name.as_bytes() {
        [letter] => CONNECTION_NAMES.iter().position(|known| known == letter),
        _ => None,
    };
    let connection = connection.unwrap_or_else(|| panic!("no connection named in {line:?}"));
    let args = words(rest);
    assert!(!args.is_empty(), "no command in {line:?}");
    (connection, args)
}

/// Words split on spaces; a word in double quotes may hold spaces and the escapes `\n`, `\"`
/// and `\\` (a script's source), and `""` is an empty word.
fn words(text: &str) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&next) = chars.peek() {
        if next == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if next == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => word.push('\n'),
                        Some(other) => word.push(other),
                        None => {}
                    },
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word.into_bytes());
    }
    words
}
