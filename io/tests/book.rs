//! The book's door of the real server: the book's own test script through `ferrodis-book-client`,
//! RESP and book clients sharing keys, and bad frames closing the connection without a reply.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::{call_text, connect, read_to_close, ServerProcess};
use ferrodis_core::protocol::book::encode_request;

/// The book's sorted-set session: each `client` invocation and what the book's client prints
/// for it, one line per value (`(arr) len=N` opens an array, `(arr) end` closes it).
const BOOK_SESSION: &[(&[&str], &str)] = &[
    (&["zscore", "asdf", "n1"], "(nil)\n"),
    (
        &["zquery", "xxx", "1", "asdf", "1", "10"],
        "(arr) len=0\n(arr) end\n",
    ),
    (&["zadd", "zset", "1", "n1"], "(int) 1\n"),
    (&["zadd", "zset", "2", "n2"], "(int) 1\n"),
    (&["zadd", "zset", "1.1", "n1"], "(int) 0\n"),
    (&["zscore", "zset", "n1"], "(dbl) 1.1\n"),
    (
        &["zquery", "zset", "1", "", "0", "10"],
        "(arr) len=4\n(str) n1\n(dbl) 1.1\n(str) n2\n(dbl) 2\n(arr) end\n",
    ),
    (
        &["zquery", "zset", "1.1", "", "1", "10"],
        "(arr) len=2\n(str) n2\n(dbl) 2\n(arr) end\n",
    ),
    (
        &["zquery", "zset", "1.1", "", "2", "10"],
        "(arr) len=0\n(arr) end\n",
    ),
    (&["zrem", "zset", "adsf"], "(int) 0\n"),
    (&["zrem", "zset", "n1"], "(int) 1\n"),
    (
        &["zquery", "zset", "1", "", "0", "10"],
        "(arr) len=2\n(str) n2\n(dbl) 2\n(arr) end\n",
    ),
];

/// A ferrodis with its book door on a free port; returns the server and the book port.
fn start_with_book_door(extra: &[&str]) -> (ServerProcess, u16) {
    let dir = common::scratch_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .current_dir(&dir)
        .args(["--port", "0", "--book-port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ferrodis-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port_after = |line: &str, marker: &str| -> Option<u16> {
        let at = line.find(marker)?;
        line[at + marker.len()..]
            .rsplit(':')
            .next()?
            .trim()
            .parse()
            .ok()
    };
    let (mut resp_port, mut book_port) = (None, None);
    while resp_port.is_none() || book_port.is_none() {
        let line = lines
            .next()
            .expect("ferrodis-server exited before it was ready")
            .unwrap();
        resp_port = resp_port.or(port_after(&line, "Ready to accept connections tcp on "));
        book_port = book_port.or(port_after(
            &line,
            "Ready to accept book protocol connections tcp on ",
        ));
    }
    std::thread::spawn(move || for _ in lines {});
    let server = ServerProcess {
        child,
        port: resp_port.unwrap(),
        dir: Some(dir),
    };
    (server, book_port.unwrap())
}

/// Runs the book's client once and returns what it printed.
fn book_client(port: u16, args: &[String]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrodis-book-client"))
        .args(["--port", &port.to_string()])
        .args(args)
        .output()
        .expect("run ferrodis-book-client");
    assert!(
        output.status.success(),
        "client failed for {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

#[test]
fn the_books_sorted_set_session_prints_the_same() {
    let (_server, book_port) = start_with_book_door(&[]);
    for (args, expected) in BOOK_SESSION {
        assert_eq!(
            book_client(book_port, &strings(args)),
            *expected,
            "client {args:?}"
        );
    }
}

#[test]
fn resp_and_book_clients_see_each_others_writes() {
    let (server, book_port) = start_with_book_door(&[]);
    let mut resp = server.connect();
    assert_eq!(call_text(&mut resp, &["SET", "k", "from resp"]), "+OK\r\n");
    assert_eq!(
        book_client(book_port, &strings(&["get", "k"])),
        "(str) from resp\n"
    );
    assert_eq!(
        book_client(book_port, &strings(&["set", "b", "from book"])),
        "(nil)\n"
    );
    assert_eq!(call_text(&mut resp, &["GET", "b"]), "$9\r\nfrom book\r\n");
    // A Redis command through the book's door, its reply in book tags.
    assert_eq!(
        book_client(book_port, &strings(&["EXISTS", "k", "b", "c"])),
        "(int) 2\n"
    );
    assert_eq!(
        book_client(book_port, &strings(&["nosuch"])),
        "(err) 1 unknown command.\n"
    );
}

#[test]
fn a_bad_frame_closes_without_a_reply() {
    let (_server, book_port) = start_with_book_door(&[]);
    let mut stream: TcpStream = connect(book_port);
    let mut request = Vec::new();
    encode_request(&["get", "k"], &mut request);
    // Trailing byte inside the declared length.
    request.push(b'!');
    request[0] += 1;
    stream.write_all(&request).unwrap();
    assert_eq!(read_to_close(&mut stream), b"");
    // A frame over 32 MiB is refused on its header alone.
    let mut stream = connect(book_port);
    stream
        .write_all(&((32u32 << 20) + 1).to_le_bytes())
        .unwrap();
    assert_eq!(read_to_close(&mut stream), b"");
}
