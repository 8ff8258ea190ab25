//! The book's door of the real server: the book's own test script through `ferrodis-book-client`,
//! RESP and book clients sharing keys, and bad frames closing the connection without a reply.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::{call_text, connect, read_to_close, ServerProcess};
use ferrodis_core::protocol::book::encode_request;

/// The book's test cases, beside PROTOCOL.md in the shared directory next to the repository;
/// `FERRODIS_BOOK_CASES` points elsewhere.
const CASES_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/book/test_cmds.cases"
);

fn cases_path() -> String {
    std::env::var("FERRODIS_BOOK_CASES").unwrap_or_else(|_| CASES_PATH.to_string())
}

/// A ferrodis with its book door on a free port; returns the server and the book port.
fn start_with_book_door(extra: &[&str]) -> (ServerProcess, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
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

/// Splits a command line as a POSIX shell would for the script's lines: blanks separate words,
/// double and single quotes group (and may be empty), a backslash escapes the next character.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next().expect("unbalanced double quote") {
                        '"' => break,
                        '\\' => {
                            let next = chars.next().expect("dangling backslash");
                            if !matches!(next, '"' | '\\' | '$' | '`') {
                                word.push('\\');
                            }
                            word.push(next);
                        }
                        other => word.push(other),
                    }
                }
            }
            '\'' => {
                in_word = true;
                for quoted in chars.by_ref() {
                    if quoted == '\'' {
                        break;
                    }
                    word.push(quoted);
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().expect("dangling backslash"));
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The script: each `$ ./client ARGS...` line with the lines printed for it.
fn parse_cases(text: &str) -> Vec<(Vec<String>, String)> {
    let mut cases: Vec<(Vec<String>, String)> = Vec::new();
    for line in text.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            let mut words = shell_words(command);
            assert_eq!(
                words.first().map(String::as_str),
                Some("./client"),
                "{line}"
            );
            words.remove(0);
            cases.push((words, String::new()));
        } else if let Some((_, expected)) = cases.last_mut() {
            expected.push_str(line);
            expected.push('\n');
        } else {
            assert!(line.trim().is_empty(), "output before any command: {line}");
        }
    }
    cases
}

#[test]
fn shell_words_split_like_a_shell() {
    assert_eq!(
        shell_words(r#"zquery zset 1 "" 0 10"#),
        strings(&["zquery", "zset", "1", "", "0", "10"])
    );
    assert_eq!(
        shell_words(r#"set "a b" 'c d' e\ f "q\"x""#),
        strings(&["set", "a b", "c d", "e f", "q\"x"])
    );
}

#[test]
fn the_books_test_script_prints_the_same() {
    let text = std::fs::read_to_string(cases_path()).expect("read the book's test cases");
    let cases = parse_cases(&text);
    assert!(cases.len() >= 10, "only {} cases parsed", cases.len());
    let (_server, book_port) = start_with_book_door(&[]);
    for (args, expected) in cases {
        assert_eq!(book_client(book_port, &args), expected, "./client {args:?}");
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
