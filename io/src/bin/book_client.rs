//! `ferrodis-book-client [--port N] ARGS...`: the book's client. Sends one request in the book's
//! protocol to 127.0.0.1 (port 1234 unless `--port` comes first) and prints the reply exactly as
//! the book's `client` does, so the book's test script runs against ferrodis unchanged.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use ferrodis_core::protocol::book::{encode_request, Tag, HEADER_BYTES, MESSAGE_BYTES_MAX};

/// The book's server port.
const DEFAULT_PORT: u16 = 1234;

/// Nesting the printer follows before it calls a reply malformed (it walks iteratively; this
/// bounds its stack of open arrays).
const ARRAY_DEPTH_MAX: usize = 1024;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = DEFAULT_PORT;
    if args.first().map(String::as_str) == Some("--port") {
        let Some(parsed) = args.get(1).and_then(|text| text.parse().ok()) else {
            eprintln!("usage: ferrodis-book-client [--port N] ARGS...");
            return ExitCode::from(2);
        };
        port = parsed;
        args.drain(..2);
    }
    match run(port, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

fn run(port: u16, args: &[String]) -> Result<(), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|error| format!("connect to 127.0.0.1:{port}: {error}"))?;
    let mut request = Vec::new();
    encode_request(args, &mut request);
    stream
        .write_all(&request)
        .map_err(|error| format!("write: {error}"))?;
    let mut header = [0u8; HEADER_BYTES];
    stream
        .read_exact(&mut header)
        .map_err(|error| format!("read the reply header: {error}"))?;
    let body_bytes = u32::from_le_bytes(header) as usize;
    if body_bytes > MESSAGE_BYTES_MAX {
        return Err("reply too long".to_string());
    }
    let mut body = vec![0u8; body_bytes];
    stream
        .read_exact(&mut body)
        .map_err(|error| format!("read the reply: {error}"))?;
    let mut out = Vec::new();
    print_reply(&body, &mut out)?;
    std::io::stdout()
        .write_all(&out)
        .map_err(|error| error.to_string())
}

/// Bytes as C's `%.*s` prints them: at most the length, stopping at a NUL.
fn c_string(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// Reads `N` bytes at `*at`, moving past them.
fn take<'a>(body: &'a [u8], at: &mut usize, bytes: usize) -> Result<&'a [u8], String> {
    let field = body
        .get(*at..at.saturating_add(bytes))
        .ok_or("bad response")?;
    *at += bytes;
    Ok(field)
}

fn take_u32(body: &[u8], at: &mut usize) -> Result<u32, String> {
    Ok(u32::from_le_bytes(take(body, at, 4)?.try_into().unwrap()))
}

fn take_8(body: &[u8], at: &mut usize) -> Result<[u8; 8], String> {
    Ok(take(body, at, 8)?.try_into().unwrap())
}

/// Prints one tagged value (arrays nested to any depth) the way the book's client does.
fn print_reply(body: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut at = 0;
    // Elements still to print in each open array, innermost last.
    let mut open: Vec<u32> = Vec::new();
    let mut values_left = 1u32;
    loop {
        while values_left == 0 {
            let Some(outer) = open.pop() else {
                if at != body.len() {
                    return Err("bad response".to_string());
                }
                return Ok(());
            };
            out.extend_from_slice(b"(arr) end\n");
            values_left = outer;
        }
        values_left -= 1;
        let tag = take(body, &mut at, 1)?[0];
        match tag {
            t if t == Tag::Nil as u8 => out.extend_from_slice(b"(nil)\n"),
            t if t == Tag::Err as u8 => {
                let code = take_u32(body, &mut at)? as i32;
                let length = take_u32(body, &mut at)? as usize;
                let message = take(body, &mut at, length)?;
                out.extend_from_slice(format!("(err) {code} ").as_bytes());
                out.extend_from_slice(c_string(message));
                out.push(b'\n');
            }
            t if t == Tag::Str as u8 => {
                let length = take_u32(body, &mut at)? as usize;
                out.extend_from_slice(b"(str) ");
                out.extend_from_slice(c_string(take(body, &mut at, length)?));
                out.push(b'\n');
            }
            t if t == Tag::Int as u8 => {
                let value = i64::from_le_bytes(take_8(body, &mut at)?);
                out.extend_from_slice(format!("(int) {value}\n").as_bytes());
            }
            t if t == Tag::Dbl as u8 => {
                let value = f64::from_le_bytes(take_8(body, &mut at)?);
                out.extend_from_slice(format!("(dbl) {}\n", format_g(value)).as_bytes());
            }
            t if t == Tag::Arr as u8 => {
                let count = take_u32(body, &mut at)?;
                out.extend_from_slice(format!("(arr) len={count}\n").as_bytes());
                if open.len() == ARRAY_DEPTH_MAX {
                    return Err("bad response: arrays nested too deep".to_string());
                }
                open.push(values_left);
                values_left = count;
            }
            _ => return Err("bad response".to_string()),
        }
    }
}

/// C's `printf("%g")`: 6 significant digits, `%e` style when the exponent is below -4 or at
/// least 6, trailing zeros removed; `inf`, `nan` and `-0` as glibc prints them.
fn format_g(value: f64) -> String {
    const PRECISION: i32 = 6;
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The exponent after rounding to 6 significant digits decides the style, as C specifies.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = scientific.split_once('e').expect("Rust's {:e} has an e");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    if !(-4..PRECISION).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_zeros(mantissa),
            exponent.unsigned_abs()
        )
    } else {
        let fixed = format!("{:.*}", (PRECISION - 1 - exponent) as usize, value);
        strip_zeros(&fixed).to_string()
    }
}

fn strip_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodis_core::protocol::book::{write_arr, write_dbl, write_err, write_str};

    #[test]
    fn percent_g_as_c_prints_it() {
        let cases: &[(f64, &str)] = &[
            (2.0, "2"),
            (1.1, "1.1"),
            (1e6, "1e+06"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0"),
            (0.0, "0"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (999999.5, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (-2.5, "-2.5"),
            (1e100, "1e+100"),
            (1.0 / 3.0, "0.333333"),
            (f64::NAN, "nan"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_g(value), expected, "{value:?}");
        }
    }

    #[test]
    fn nested_arrays_print_with_their_ends() {
        let mut body = Vec::new();
        write_arr(&mut body, 2);
        write_arr(&mut body, 1);
        write_dbl(&mut body, 1.5);
        write_str(&mut body, b"a\0b");
        let mut out = Vec::new();
        print_reply(&body, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "(arr) len=2\n(arr) len=1\n(dbl) 1.5\n(arr) end\n(str) a\n(arr) end\n"
        );
        let mut body = Vec::new();
        write_err(&mut body, 1, b"unknown command.");
        let mut out = Vec::new();
        print_reply(&body, &mut out).unwrap();
        assert_eq!(out, b"(err) 1 unknown command.\n");
        assert!(print_reply(&[5, 1, 0, 0, 0], &mut Vec::new()).is_err());
    }
}
