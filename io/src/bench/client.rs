//! A minimal pipelining RESP client for loading data and probing latency.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    line: Vec<u8>,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("read timeout");
        Client {
            writer: stream.try_clone().expect("clone stream"),
            reader: BufReader::with_capacity(1 << 16, stream),
            line: Vec::new(),
        }
    }

    /// Appends one encoded command to `out`.
    pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to server");
    }

    /// Reads one reply and discards it; panics on an error reply (a benchmark must not
    /// silently measure errors).
    pub fn skip_reply(&mut self) {
        let mut remaining = 1u64;
        while remaining > 0 {
            remaining -= 1;
            self.line.clear();
            self.reader
                .read_until(b'\n', &mut self.line)
                .expect("read reply");
            let marker = self.line[0];
            let text = String::from_utf8_lossy(&self.line[1..self.line.len() - 2]).to_string();
            match marker {
                b'-' => panic!("server replied with an error: {text}"),
                b'$' => {
                    let len: i64 = text.parse().expect("bulk length");
                    if len >= 0 {
                        let mut body = vec![0; len as usize + 2];
                        self.reader.read_exact(&mut body).expect("bulk body");
                    }
                }
                b'*' => remaining += text.parse::<i64>().expect("array length").max(0) as u64,
                _ => {}
            }
        }
    }

    /// Sends one command and returns its reply's first line (enough for INFO fields too, by
    /// reading the bulk body); panics on an error reply.
    pub fn call(&mut self, args: &[&str]) -> String {
        self.try_call(args)
            .unwrap_or_else(|error| panic!("server replied with an error: {error}"))
    }

    /// As `call`, with an error reply returned rather than a panic (a server that is still
    /// loading its file answers `-LOADING`).
    pub fn try_call(&mut self, args: &[&str]) -> Result<String, String> {
        let mut request = Vec::new();
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        Client::encode(&mut request, &args);
        self.send(&request);
        self.line.clear();
        self.reader
            .read_until(b'\n', &mut self.line)
            .expect("read reply");
        let first = String::from_utf8_lossy(&self.line).trim_end().to_string();
        if let Some(len) = first.strip_prefix('$') {
            let len: i64 = len.parse().expect("bulk length");
            if len < 0 {
                return Ok(String::new());
            }
            let mut body = vec![0; len as usize + 2];
            self.reader.read_exact(&mut body).expect("bulk body");
            return Ok(String::from_utf8_lossy(&body[..len as usize]).to_string());
        }
        if first.starts_with('-') {
            return Err(first);
        }
        Ok(first)
    }

    /// A numeric field of INFO.
    pub fn info_field(&mut self, section: &str, field: &str) -> u64 {
        let text = self.call(&["INFO", section]);
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{field}:")))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("INFO {section} has no numeric {field}"))
    }
}
