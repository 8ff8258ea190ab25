//! Shared test support: start ferrodis (and real Redis) on free loopback ports, talk raw RESP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a test waits for a server to start or a reply to come before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server process, killed when dropped (and its working directory, if it has one of its
/// own, removed).
pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
    /// Where a ferrodis-server runs: the `dir` its RDB files go to.
    pub dir: Option<PathBuf>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A new empty directory for one server, so that no test sees another's RDB files.
pub fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

impl ServerProcess {
    pub fn connect(&self) -> TcpStream {
        connect(self.port)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A `redis` crate connection to `server` (`path`: the URL's database and options), every read
/// and write bounded by PATIENCE so that a hung server fails the test instead of hanging it.
pub fn redis_client(server: &ServerProcess, path: &str) -> redis::Connection {
    let url = format!("redis://127.0.0.1:{}/{path}", server.port);
    let connection = redis::Client::open(url)
        .unwrap()
        .get_connection_with_timeout(PATIENCE)
        .expect("redis crate connects");
    connection.set_read_timeout(Some(PATIENCE)).unwrap();
    connection.set_write_timeout(Some(PATIENCE)).unwrap();
    connection
}

pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Starts `ferrodis-server` on a free port (`--port 0`) and waits until it is ready.
pub fn start_ferrodis(extra: &[&str]) -> ServerProcess {
    start_ferrodis_in(scratch_dir(), extra)
}

/// `start_ferrodis` running in `dir` (where its RDB file is read and written).
pub fn start_ferrodis_in(dir: PathBuf, extra: &[&str]) -> ServerProcess {
    launch_ferrodis(dir, extra, |_| {}, None).0
}

/// The lines a server logs, as they come.
pub type LogLines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// `start_ferrodis`, keeping what it logs: the lines before it was ready, then the others as
/// they come.
pub fn start_ferrodis_logged(extra: &[&str]) -> (ServerProcess, LogLines) {
    let lines = LogLines::default();
    let (server, early) = launch_ferrodis(scratch_dir(), extra, |_| {}, Some(lines.clone()));
    lines.lock().unwrap().splice(0..0, early);
    (server, lines)
}

/// `start_ferrodis` under an open-files limit of `files` (soft and hard, as `ulimit -n` sets
/// them); also the log lines written before it was ready.
pub fn start_ferrodis_with_files_limit(files: u64, extra: &[&str]) -> (ServerProcess, Vec<String>) {
    launch_ferrodis(
        scratch_dir(),
        extra,
        |command| {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe, as a pre-exec hook must be.
            #[allow(unsafe_code)]
            unsafe {
                command.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: files,
                        rlim_max: files,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        },
        None,
    )
}

/// Raises this process's open-files limit to its hard limit (tests that open many sockets);
/// the limit there is afterwards.
pub fn raise_own_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain calls on a valid rlimit.
    #[allow(unsafe_code)]
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

/// Starts ferrodis-server in `dir` with `extra` flags (after `configure` had its say on the
/// command) and waits for its "Ready" line; the log lines up to it.
fn launch_ferrodis(
    dir: PathBuf,
    extra: &[&str],
    configure: impl FnOnce(&mut Command),
    keep: Option<LogLines>,
) -> (ServerProcess, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"));
    // A config file comes first, before any flag.
    let (file, extra) = match extra.split_first() {
        Some((first, rest)) if !first.starts_with("--") => (Some(first), rest),
        _ => (None, extra),
    };
    command
        .current_dir(&dir)
        .args(file)
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    configure(&mut command);
    let mut child = command.spawn().expect("start ferrodis-server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut before_ready = Vec::new();
    let port = loop {
        let line = lines
            .next()
            .expect("ferrodis-server exited before it was ready")
            .unwrap();
        if let Some(at) = line.find("Ready to accept connections tcp on ") {
            let address = &line[at + "Ready to accept connections tcp on ".len()..];
            let port = address.rsplit(':').next().unwrap().trim();
            break port.parse().unwrap();
        }
        before_ready.push(line);
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some(keep) = &keep {
                keep.lock().unwrap().push(line);
            }
        }
    });
    let server = ServerProcess {
        child,
        port,
        dir: Some(dir),
    };
    (server, before_ready)
}

/// A port that was free a moment ago (for servers that cannot bind port 0 themselves).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts Debian's `redis-server` with persistence off. Fails the test if it is missing:
/// CI installs it, and a skipped comparison would prove nothing.
pub fn start_redis(extra: &[&str]) -> ServerProcess {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        let mut server = ServerProcess {
            child,
            port,
            dir: None,
        };
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                // The port was free a moment ago, but a server started by a parallel test may
                // have taken it since (then this redis-server failed to bind and exits): make
                // sure the one answering is ours, or try another port.
                if answers_as(&mut stream, server.child.id()) {
                    return server;
                }
                break;
            }
            if server.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("redis-server did not start");
}

/// True when the Redis on `stream` reports `pid` as its process id. Whatever else answers (or
/// hangs up: a server that lost the race for the port is exiting) is not ours.
fn answers_as(stream: &mut TcpStream, pid: u32) -> bool {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    if stream.write_all(&encode(&[b"INFO", b"server"])).is_err() {
        return false;
    }
    let wanted = format!("process_id:{pid}\r\n");
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    // INFO server is a few kilobytes; stop at the line or when the peer stops talking.
    while reply.len() < 64 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(read) => reply.extend_from_slice(&chunk[..read]),
        }
        let text = String::from_utf8_lossy(&reply);
        if text.contains(&wanted) {
            return true;
        }
        if text.contains("process_id:") && text.ends_with("\r\n\r\n") {
            return false;
        }
    }
    false
}

/// Encodes a command as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads exactly one RESP2/RESP3 reply and returns its raw bytes.
pub fn read_reply(stream: &mut TcpStream) -> Vec<u8> {
    let mut reader = ReplyReader {
        stream,
        raw: Vec::new(),
    };
    reader.value();
    reader.raw
}

struct ReplyReader<'a> {
    stream: &'a mut TcpStream,
    raw: Vec<u8>,
}

impl ReplyReader<'_> {
    fn byte(&mut self) -> u8 {
        let mut byte = [0u8; 1];
        if let Err(error) = self.stream.read_exact(&mut byte) {
            // Say which server and how: a hang-up, a reset and a timeout point different ways.
            let peer = self.stream.peer_addr().map(|peer| peer.to_string());
            panic!(
                "read a reply byte from {peer:?}: {error} ({:?}) after {:?}",
                error.kind(),
                String::from_utf8_lossy(&self.raw)
            );
        }
        self.raw.push(byte[0]);
        byte[0]
    }

    fn line(&mut self) -> String {
        let mut line = Vec::new();
        loop {
            let byte = self.byte();
            if byte == b'\n' && line.last() == Some(&b'\r') {
                line.pop();
                return String::from_utf8_lossy(&line).into_owned();
            }
            line.push(byte);
        }
    }

    fn value(&mut self) {
        // Iterative: count the values still to read.
        let mut remaining: u64 = 1;
        while remaining > 0 {
            remaining -= 1;
            let marker = self.byte();
            let line = self.line();
            match marker {
                b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
                b'$' | b'=' | b'!' => {
                    let len: i64 = line.parse().expect("bulk length");
                    if len >= 0 {
                        for _ in 0..len + 2 {
                            self.byte();
                        }
                    }
                }
                b'*' | b'~' | b'>' => {
                    let len: i64 = line.parse().expect("array length");
                    remaining += len.max(0) as u64;
                }
                b'%' | b'|' => {
                    let len: i64 = line.parse().expect("map length");
                    remaining += 2 * len.max(0) as u64;
                }
                other => panic!("unexpected reply marker {:?}", other as char),
            }
        }
    }
}

/// Sends one command and returns its raw reply.
pub fn call(stream: &mut TcpStream, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
    stream.write_all(&encode(&args)).unwrap();
    read_reply(stream)
}

/// Sends one command and returns its reply as text, for readable assertions.
pub fn call_text(stream: &mut TcpStream, args: &[&str]) -> String {
    String::from_utf8_lossy(&call(stream, args)).into_owned()
}

/// Reads until the peer closes (or PATIENCE runs out) and returns everything read.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}
