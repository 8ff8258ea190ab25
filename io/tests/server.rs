//! The real `ferrodis-server` binary over real sockets: each test starts its own server on a free
//! loopback port and checks what a client sees (replies, bytes, closed connections, exit status).

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{
    call, call_text, read_reply, read_to_close, start_ferrodis, start_ferrodis_logged,
    ServerProcess, PATIENCE,
};
use redis::Commands;

/// Starts `ferrodis-server` with exactly `args` (so a config file can come first) and returns
/// every log line through a channel. The port is read from the "Ready" line, so `args` must make
/// the server bind port 0.
fn spawn_ferrodis(args: &[&str]) -> (ServerProcess, Receiver<String>) {
    let dir = common::scratch_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .current_dir(&dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ferrodis-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let marker = "Ready to accept connections tcp on ";
    let port = loop {
        let line = lines
            .next()
            .expect("ferrodis-server exited before it was ready")
            .unwrap();
        if let Some(at) = line.find(marker) {
            break line[at + marker.len()..]
                .rsplit(':')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        }
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    (
        ServerProcess {
            child,
            port,
            dir: Some(dir),
        },
        receiver,
    )
}

/// Waits (bounded) for the process to exit and returns its exit code.
fn wait_for_exit(child: &mut Child) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(started.elapsed() < PATIENCE, "the server did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a tool to completion within `limit`; returns (exit code, stdout, stderr).
fn run_tool(program: &str, args: &[&str], limit: Duration) -> (Option<i32>, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{program} must be installed: {error}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} ran for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (code, stdout.join().unwrap(), stderr.join().unwrap())
}

/// Reads exactly `expected.len()` bytes and checks they are `expected` (for replies too big to
/// read one byte at a time).
fn expect_bytes(stream: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    stream
        .read_exact(&mut got)
        .expect("read the expected reply");
    if got != expected {
        let first_difference = got.iter().zip(expected).position(|(a, b)| a != b);
        panic!(
            "reply differs at byte {first_difference:?} of {}: got {:?}...",
            expected.len(),
            String::from_utf8_lossy(&got[..got.len().min(200)])
        );
    }
}

fn bulk(value: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

fn client(server: &ServerProcess, path: &str) -> redis::Connection {
    common::redis_client(server, path)
}

#[test]
fn redis_crate_round_trips() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server, "");
    let _: () = con.set("greeting", "hello").unwrap();
    assert_eq!(con.get::<_, String>("greeting").unwrap(), "hello");
    assert_eq!(con.get::<_, Option<String>>("missing").unwrap(), None);
    assert_eq!(con.incr::<_, _, i64>("counter", 1).unwrap(), 1);
    assert_eq!(con.incr::<_, _, i64>("counter", 41).unwrap(), 42);
    let values: Vec<Option<String>> = con.mget(&["greeting", "missing", "counter"]).unwrap();
    assert_eq!(
        values,
        [Some("hello".to_string()), None, Some("42".to_string())]
    );
    assert_eq!(
        con.exists::<_, i64>(&["greeting", "counter", "missing"])
            .unwrap(),
        2
    );
    assert_eq!(con.del::<_, i64>(&["greeting", "missing"]).unwrap(), 1);
    assert_eq!(con.exists::<_, i64>("greeting").unwrap(), 0);

    // Every byte value, CR LF and NUL included, comes back unchanged.
    let binary: Vec<u8> = (0..=255u8).chain([b'\r', b'\n', 0, b'$', b'*']).collect();
    let _: () = con.set(&binary[..], &binary[..]).unwrap();
    assert_eq!(con.get::<_, Vec<u8>>(&binary[..]).unwrap(), binary);

    let (ok, counter, missing, pong): (String, i64, Option<String>, String) = redis::pipe()
        .set("piped", "yes")
        .incr("counter", 8)
        .get("nothing")
        .cmd("PING")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        (ok.as_str(), counter, missing, pong.as_str()),
        ("OK", 50, None, "PONG")
    );
    assert_eq!(con.get::<_, String>("piped").unwrap(), "yes");
}

#[test]
fn redis_crate_selects_the_url_database() {
    let server = start_ferrodis(&[]);
    let mut db3 = client(&server, "3");
    let _: () = db3.set("where", "three").unwrap();
    let mut db0 = client(&server, "0");
    assert_eq!(db0.get::<_, Option<String>>("where").unwrap(), None);
    assert_eq!(
        client(&server, "3").get::<_, String>("where").unwrap(),
        "three"
    );
}

#[test]
fn redis_crate_speaks_resp3() {
    let server = start_ferrodis(&[]);
    let mut con = client(&server, "?protocol=resp3");
    let _: () = con.set("k", "v").unwrap();
    assert_eq!(con.get::<_, String>("k").unwrap(), "v");
    assert_eq!(con.get::<_, Option<String>>("nothing").unwrap(), None);
    // HELLO answers a map only in RESP3.
    let hello: redis::Value = redis::cmd("HELLO").arg(3).query(&mut con).unwrap();
    let redis::Value::Map(fields) = hello else {
        panic!("HELLO 3 should reply a map, got {hello:?}");
    };
    let proto = fields
        .iter()
        .find(|(name, _)| *name == redis::Value::BulkString(b"proto".to_vec()))
        .map(|(_, value)| value.clone());
    assert_eq!(proto, Some(redis::Value::Int(3)));
}

#[test]
fn thousand_command_pipeline_in_one_write_replies_in_order() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    let mut request = Vec::new();
    let mut expected = Vec::new();
    for index in 0..1000 {
        let value = format!("value-{index}");
        request.extend(common::encode(&[b"SET", b"key", value.as_bytes()]));
        request.extend(common::encode(&[b"GET", b"key"]));
        request.extend(common::encode(&[b"INCR", b"n"]));
        expected.extend_from_slice(b"+OK\r\n");
        expected.extend(bulk(value.as_bytes()));
        expected.extend(format!(":{}\r\n", index + 1).into_bytes());
    }
    stream.write_all(&request).unwrap();
    expect_bytes(&mut stream, &expected);
}

#[test]
fn command_written_one_byte_at_a_time() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    for byte in common::encode(&[b"SET", b"slow", b"drip"]) {
        stream.write_all(&[byte]).unwrap();
        stream.flush().unwrap();
    }
    assert_eq!(read_reply(&mut stream), b"+OK\r\n");
    assert_eq!(call(&mut stream, &["GET", "slow"]), b"$4\r\ndrip\r\n");
}

#[test]
fn inline_commands() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    stream.write_all(b"PING\r\n").unwrap();
    assert_eq!(read_reply(&mut stream), b"+PONG\r\n");
    stream.write_all(b"SET a \"b c\"\r\n").unwrap();
    assert_eq!(read_reply(&mut stream), b"+OK\r\n");
    stream.write_all(b"GET a\n").unwrap();
    assert_eq!(read_reply(&mut stream), b"$3\r\nb c\r\n");
}

#[test]
fn protocol_error_closes_only_that_client() {
    let server = start_ferrodis(&[]);
    let mut bystander = server.connect();
    assert_eq!(call(&mut bystander, &["SET", "k", "1"]), b"+OK\r\n");
    let mut stream = server.connect();
    stream.write_all(b"*1\r\n$abc\r\n").unwrap();
    assert_eq!(
        read_to_close(&mut stream),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(call(&mut bystander, &["INCR", "k"]), b":2\r\n");
}

#[test]
fn bulk_length_over_proto_max_bulk_len_closes() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    stream
        .write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000000\r\n")
        .unwrap();
    assert_eq!(
        read_to_close(&mut stream),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(call(&mut server.connect(), &["EXISTS", "k"]), b":0\r\n");
}

#[test]
fn ten_megabyte_value_round_trip() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    let value: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    stream
        .write_all(&common::encode(&[b"SET", b"big", &value]))
        .unwrap();
    assert_eq!(read_reply(&mut stream), b"+OK\r\n");
    assert_eq!(call_text(&mut stream, &["STRLEN", "big"]), ":10485760\r\n");
    stream
        .write_all(&common::encode(&[b"GET", b"big"]))
        .unwrap();
    expect_bytes(&mut stream, &bulk(&value));
    assert_eq!(call(&mut stream, &["PING"]), b"+PONG\r\n");
}

#[test]
fn client_that_never_reads_does_not_stall_others() {
    let server = start_ferrodis(&[]);
    let mut other = server.connect();
    let value = vec![b'x'; 100 * 1024];
    other
        .write_all(&common::encode(&[b"SET", b"v", &value]))
        .unwrap();
    assert_eq!(read_reply(&mut other), b"+OK\r\n");

    // 20 MB of GETs would ask for ~90 GB of replies; the writer stops when its socket is full.
    let mut flooder = server.connect();
    flooder
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let chunk = common::encode(&[b"GET", b"v"]).repeat(64 * 1024 / 22);
    let mut written = 0;
    while written < 20 * 1024 * 1024 {
        match flooder.write(&chunk) {
            Ok(count) => written += count,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break
            }
            Err(error) => panic!("the flooding client was cut off: {error}"),
        }
    }
    assert_eq!(call(&mut other, &["PING"]), b"+PONG\r\n");
    assert_eq!(call(&mut other, &["INCR", "n"]), b":1\r\n");
    let mut newcomer = server.connect();
    assert_eq!(call(&mut newcomer, &["PING"]), b"+PONG\r\n");

    // The unread replies are bounded, not buffered without limit.
    let info = call_text(&mut other, &["INFO", "memory"]);
    let used: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .expect("INFO memory has used_memory")
        .parse()
        .unwrap();
    assert!(used < 256 * 1024 * 1024, "used_memory {used}");
    drop(flooder);
    wait_for_connected_clients(&mut other, 2);
    assert_eq!(call(&mut other, &["GET", "n"]), b"$1\r\n1\r\n");
}

/// Connections the server counts, waiting (bounded) for it to settle on `expected`: a close is
/// seen by the server some time after the client's side is gone.
fn wait_for_connected_clients(stream: &mut TcpStream, expected: usize) {
    let started = Instant::now();
    loop {
        let info = call_text(stream, &["INFO", "clients"]);
        let connected: usize = info
            .lines()
            .find_map(|line| line.strip_prefix("connected_clients:"))
            .expect("INFO clients has connected_clients")
            .parse()
            .unwrap();
        if connected == expected {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "connected_clients stayed {connected}, expected {expected}"
        );
    }
}

#[test]
fn client_gone_while_its_replies_are_paused_is_closed() {
    let server = start_ferrodis(&[]);
    let mut other = server.connect();
    let value = vec![b'x'; 1024 * 1024];
    other
        .write_all(&common::encode(&[b"SET", b"v", &value]))
        .unwrap();
    assert_eq!(read_reply(&mut other), b"+OK\r\n");
    let mut reader = server.connect();
    reader
        .write_all(&common::encode(&[b"GET", b"v"]).repeat(32))
        .unwrap();
    // Once the first reply has started arriving the server holds the rest, paused; closing with
    // unread data resets the connection.
    let mut first = [0u8; 15];
    reader.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"$1048576\r\nxxxxx");
    drop(reader);
    wait_for_connected_clients(&mut other, 1);
    assert_eq!(call(&mut other, &["PING"]), b"+PONG\r\n");
}

/// Reads like a slow consumer (the pacing is the client's behaviour under test, not a wait for
/// the server), so the server finds the socket full whenever it writes.
fn read_slowly_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return all,
            Ok(read) => all.extend_from_slice(&chunk[..read]),
            Err(error) => panic!("after {} bytes: {error}", all.len()),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn quit_and_protocol_errors_deliver_the_whole_pending_reply_first() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    let value: Vec<u8> = (0..10 * 1024 * 1024u32).map(|index| index as u8).collect();
    stream
        .write_all(&common::encode(&[b"SET", b"big", &value]))
        .unwrap();
    assert_eq!(read_reply(&mut stream), b"+OK\r\n");

    let mut quitter = server.connect();
    let mut request = common::encode(&[b"GET", b"big"]);
    request.extend(common::encode(&[b"QUIT"]));
    quitter.write_all(&request).unwrap();
    let mut expected = bulk(&value);
    expected.extend_from_slice(b"+OK\r\n");
    let got = read_slowly_to_close(&mut quitter);
    assert!(
        got == expected,
        "got {} of {} bytes",
        got.len(),
        expected.len()
    );

    let mut broken = server.connect();
    let mut request = common::encode(&[b"GET", b"big"]);
    request.extend_from_slice(b"*1\r\n$abc\r\n");
    broken.write_all(&request).unwrap();
    let mut expected = bulk(&value);
    expected.extend_from_slice(b"-ERR Protocol error: invalid bulk length\r\n");
    let got = read_slowly_to_close(&mut broken);
    assert!(
        got == expected,
        "got {} of {} bytes",
        got.len(),
        expected.len()
    );
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let server = start_ferrodis(&["--requirepass", "pw"]);
    let mut stream = server.connect();
    assert!(call_text(&mut stream, &["GET", "k"]).starts_with("-NOAUTH "));
    assert!(call_text(&mut stream, &["AUTH", "wrong"]).starts_with("-WRONGPASS "));
    assert!(call_text(&mut stream, &["SET", "k", "v"]).starts_with("-NOAUTH "));
    assert_eq!(call(&mut stream, &["AUTH", "pw"]), b"+OK\r\n");
    assert_eq!(call(&mut stream, &["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(call(&mut stream, &["GET", "k"]), b"$1\r\nv\r\n");
}

#[test]
fn maxclients_refuses_the_connection_over_the_limit() {
    let server = start_ferrodis(&["--maxclients", "2"]);
    let mut first = server.connect();
    let mut second = server.connect();
    assert_eq!(call(&mut first, &["PING"]), b"+PONG\r\n");
    assert_eq!(call(&mut second, &["PING"]), b"+PONG\r\n");
    let mut third = server.connect();
    assert_eq!(
        read_to_close(&mut third),
        b"-ERR max number of clients reached\r\n"
    );
    drop(second);
    // The freed place is taken again once the server has seen the close; `connect` alone
    // cannot tell, so retry within a bound.
    let started = Instant::now();
    loop {
        let mut fourth = server.connect();
        fourth.write_all(b"PING\r\n").unwrap();
        let mut reply = Vec::new();
        let _ = (&fourth).take(7).read_to_end(&mut reply);
        if reply == b"+PONG\r\n" {
            break;
        }
        assert!(started.elapsed() < PATIENCE, "got {reply:?}");
    }
    assert_eq!(call(&mut first, &["PING"]), b"+PONG\r\n");
}

#[test]
fn idle_timeout_closes_idle_clients_only() {
    let server = start_ferrodis(&["--timeout", "1"]);
    let mut active = server.connect();
    let mut idle = server.connect();
    assert_eq!(call(&mut idle, &["PING"]), b"+PONG\r\n");
    idle.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    loop {
        match idle.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => panic!("unexpected byte {byte:?} on the idle connection"),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => panic!("idle connection failed instead of closing: {error}"),
        }
        // Keeps the other client busy while the idle one waits to be closed.
        assert_eq!(call(&mut active, &["PING"]), b"+PONG\r\n");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the idle client was not closed"
        );
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "closed after {waited:?}"
    );
    assert_eq!(call(&mut active, &["PING"]), b"+PONG\r\n");
}

#[test]
fn idle_timeout_spares_a_slow_reader_of_a_big_reply() {
    let server = start_ferrodis(&["--timeout", "1"]);
    let mut stream = server.connect();
    let value = vec![b'z'; 32 * 1024 * 1024];
    stream
        .write_all(&common::encode(&[b"SET", b"big", &value]))
        .unwrap();
    assert_eq!(read_reply(&mut stream), b"+OK\r\n");
    // Reading 32 MB in steps of at most 512 KB, 40 ms apart, takes over two seconds without a
    // request, and the socket buffers cannot hold it all: the server is still writing after the
    // timeout, so the client is not idle.
    stream
        .write_all(&common::encode(&[b"GET", b"big"]))
        .unwrap();
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 512 * 1024];
    let expected = bulk(&value);
    let started = Instant::now();
    while got.len() < expected.len() {
        match stream.read(&mut chunk) {
            Ok(0) => panic!("closed after {} of {} bytes", got.len(), expected.len()),
            Ok(read) => got.extend_from_slice(&chunk[..read]),
            Err(error) => panic!("after {} bytes: {error}", got.len()),
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    assert!(started.elapsed() > Duration::from_millis(1500));
    assert!(got == expected);
}

#[test]
fn config_file_as_first_argument() {
    let path = std::env::temp_dir().join(format!(
        "ferrodis-test-{}-{}.conf",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(
        &path,
        "# written by the server tests\nport 0\nbind 127.0.0.1\nrequirepass \"from file\"\ndatabases 4\n",
    )
    .unwrap();
    let (server, _log) = spawn_ferrodis(&[path.to_str().unwrap(), "--maxclients", "7"]);
    let _ = std::fs::remove_file(&path);
    let mut stream = server.connect();
    assert!(call_text(&mut stream, &["PING"]).starts_with("-NOAUTH "));
    assert_eq!(call(&mut stream, &["AUTH", "from file"]), b"+OK\r\n");
    assert!(call_text(&mut stream, &["SELECT", "4"]).starts_with("-ERR "));
    assert_eq!(call(&mut stream, &["SELECT", "3"]), b"+OK\r\n");
    assert_eq!(
        call_text(&mut stream, &["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$1\r\n7\r\n"
    );
}

#[test]
fn quit_replies_ok_then_closes() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    stream.write_all(&common::encode(&[b"QUIT"])).unwrap();
    assert_eq!(read_to_close(&mut stream), b"+OK\r\n");
}

#[test]
fn client_kill_id_closes_the_other_client() {
    let server = start_ferrodis(&[]);
    let mut victim = server.connect();
    let id = call_text(&mut victim, &["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    let mut killer = server.connect();
    assert_eq!(call(&mut killer, &["CLIENT", "KILL", "ID", id]), b":1\r\n");
    assert_eq!(read_to_close(&mut victim), b"");
    assert_eq!(call(&mut killer, &["CLIENT", "KILL", "ID", id]), b":0\r\n");
}

#[test]
fn shutdown_exits_with_status_zero() {
    let (mut server, _log) = spawn_ferrodis(&["--port", "0"]);
    let mut stream = server.connect();
    stream.write_all(&common::encode(&[b"SHUTDOWN"])).unwrap();
    // Redis sends no reply to a successful SHUTDOWN: the connection just ends.
    assert_eq!(read_to_close(&mut stream), b"");
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

#[test]
fn sigterm_exits_with_status_zero_and_says_so() {
    let (mut server, log) = spawn_ferrodis(&["--port", "0"]);
    let mut stream = server.connect();
    assert_eq!(call(&mut stream, &["PING"]), b"+PONG\r\n");
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
    let lines: Vec<String> = log.iter().collect();
    assert!(
        lines.iter().any(|line| line.contains("exit")),
        "no exit message in {lines:#?}"
    );
}

#[test]
fn redis_cli_set_and_get() {
    let server = start_ferrodis(&[]);
    let port = server.port.to_string();
    let limit = Duration::from_secs(30);
    let (code, out, err) = run_tool("redis-cli", &["-p", &port, "set", "k", "v"], limit);
    assert_eq!((code, out.as_str()), (Some(0), "OK\n"), "stderr: {err}");
    let (code, out, err) = run_tool("redis-cli", &["-p", &port, "get", "k"], limit);
    assert_eq!((code, out.as_str()), (Some(0), "v\n"), "stderr: {err}");
}

#[test]
fn redis_benchmark_runs_clean() {
    let server = start_ferrodis(&[]);
    let port = server.port.to_string();
    let args = [
        "-p",
        &port,
        "-t",
        "ping,set,get,incr,mset",
        "-P",
        "16",
        "-q",
        "-n",
        "20000",
        "-c",
        "20",
    ];
    let (code, out, err) = run_tool("redis-benchmark", &args, Duration::from_secs(120));
    assert_eq!(code, Some(0), "stdout: {out}\nstderr: {err}");
    // -q redraws progress with '\r'; the final text of each line is what a user reads.
    let results: Vec<&str> = out
        .split(['\r', '\n'])
        .filter(|line| line.contains("requests per second"))
        .collect();
    for test in [
        "PING_INLINE:",
        "PING_MBULK:",
        "SET:",
        "GET:",
        "INCR:",
        "MSET (10 keys):",
    ] {
        assert!(
            results.iter().any(|line| line.starts_with(test)),
            "no {test} result in {out:?}"
        );
    }
    let everything = format!("{out}{err}");
    assert!(
        !everything.contains("ERR") && !everything.to_lowercase().contains("error"),
        "{everything}"
    );
    let mut stream = server.connect();
    assert_eq!(call(&mut stream, &["PING"]), b"+PONG\r\n");
}

/// INFO server names this process and the port it really listens on (`--port 0` picks one), as
/// Redis does: tools tell servers apart by them.
#[test]
fn info_server_reports_the_process_id_and_the_real_port() {
    let server = start_ferrodis(&[]);
    let mut stream = server.connect();
    let info = call_text(&mut stream, &["INFO", "server"]);
    assert!(
        info.contains(&format!("\r\nprocess_id:{}\r\n", server.child.id())),
        "{info}"
    );
    assert!(
        info.contains(&format!("\r\ntcp_port:{}\r\n", server.port)),
        "{info}"
    );
}

#[test]
fn config_set_loglevel_takes_effect_at_once() {
    let (server, log) = start_ferrodis_logged(&["--loglevel", "notice"]);
    let mut control = server.connect();
    let accepted = || {
        let lines = log.lock().unwrap();
        lines
            .iter()
            .filter(|line| line.contains("Accepted"))
            .count()
    };
    // Waits until `count` connections were logged as accepted (a verbose line).
    let wait_for = |count: usize| {
        let started = Instant::now();
        while accepted() < count && started.elapsed() < PATIENCE {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(accepted(), count, "{:?}", log.lock().unwrap());
    };
    let connect_once = || {
        let mut client = server.connect();
        assert_eq!(call(&mut client, &["PING"]), b"+PONG\r\n");
    };
    // At notice, a connection is not logged; once verbose is set, the next one is (and the
    // log keeps its order, so the first would show before it).
    connect_once();
    assert_eq!(
        call(&mut control, &["CONFIG", "SET", "loglevel", "verbose"]),
        b"+OK\r\n"
    );
    connect_once();
    wait_for(1);
    assert_eq!(
        call(&mut control, &["CONFIG", "SET", "loglevel", "notice"]),
        b"+OK\r\n"
    );
    connect_once();
    assert_eq!(
        call(&mut control, &["CONFIG", "SET", "loglevel", "verbose"]),
        b"+OK\r\n"
    );
    connect_once();
    wait_for(2);
}

#[test]
fn the_log_tells_the_configuration_and_slow_commands() {
    let (server, log) = start_ferrodis_logged(&["--loglevel", "verbose", "--maxmemory", "5mb"]);
    let mut client = server.connect();
    let lines = || log.lock().unwrap().clone();
    let running = format!("Running mode=standalone, port={}.", server.port);
    assert!(
        lines().iter().any(|line| line.ends_with(&running)),
        "{:?}",
        lines()
    );
    assert!(
        lines()
            .iter()
            .any(|line| line.contains("Config: ") && line.contains("maxmemory='5242880'")),
        "{:?}",
        lines()
    );
    assert!(
        lines()
            .iter()
            .any(|line| line.contains("no config file specified")),
        "{:?}",
        lines()
    );
    for setting in [["slowlog-log-slower-than", "0"], ["loglevel", "verbose"]] {
        let mut args = vec!["CONFIG", "SET"];
        args.extend(setting);
        assert_eq!(call(&mut client, &args), b"+OK\r\n");
    }
    assert_eq!(call(&mut client, &["SET", "slow-key", "v"]), b"+OK\r\n");
    let started = Instant::now();
    let logged = || {
        lines()
            .iter()
            .any(|line| line.contains("Slow command from") && line.ends_with("SET slow-key v"))
    };
    while !logged() && started.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(logged(), "{:?}", lines());
}

#[test]
fn config_rewrite_writes_the_settings_in_force_into_the_config_file() {
    // The file lives apart from the servers' directories, which go when they stop.
    let file = common::scratch_dir().join("ferrodis.conf");
    std::fs::write(
        &file,
        "# kept as it is\nmaxmemory 1mb\nsave \"\"\nappendonly no\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let server = common::start_ferrodis_in(common::scratch_dir(), &[&path]);
    let mut client = server.connect();
    for setting in [["maxmemory", "20mb"], ["slowlog-max-len", "9"]] {
        let mut args = vec!["CONFIG", "SET"];
        args.extend(setting);
        assert_eq!(call(&mut client, &args), b"+OK\r\n");
    }
    assert_eq!(call(&mut client, &["CONFIG", "REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# kept as it is\nmaxmemory 20971520\n"),
        "{text}"
    );
    assert!(text.contains("\nslowlog-max-len 9\n"), "{text}");
    drop(client);
    drop(server);
    // The rewritten file starts a server with the same settings.
    let restarted = common::start_ferrodis_in(common::scratch_dir(), &[&path]);
    let mut client = restarted.connect();
    assert_eq!(
        call_text(&mut client, &["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$8\r\n20971520\r\n"
    );
    let without_file = start_ferrodis(&[]);
    let refused = call_text(&mut without_file.connect(), &["CONFIG", "REWRITE"]);
    assert_eq!(
        refused,
        "-ERR The server is running without a config file\r\n"
    );
}
