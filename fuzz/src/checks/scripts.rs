//! Lua scripts from a small grammar, sent as EVAL, EVALSHA, EVAL_RO or FUNCTION LOAD and
//! FCALL through the whole server (`server_commands::run_mix`): commands from the table called
//! with `redis.call` and `redis.pcall`, bounded loops, runaway loops for SCRIPT KILL, pcall,
//! errors of every shape, replies of every type, the bundled libraries fed fuzzer bytes,
//! sandbox tricks and allocation. Checks are the server target's: no panic, invariants after
//! every step, replies that parse; and every call into the server returns (a script is
//! suspended past its instruction threshold, never run on inside one call).
use std::sync::OnceLock;

use super::input::Input;

/// Nesting of blocks in a generated script.
const DEPTH_MAX: usize = 3;
/// Statements per block.
const STATEMENTS_MAX: usize = 4;
/// Times the innermost statement of nested counted loops may run in all: the product of the
/// loops' counts stays below this, so that no script's work explodes.
const ITERATIONS_MAX: usize = 2000;
/// Raw bytes passed to a library function as a string literal.
const RAW_BYTES_MAX: usize = 24;
/// `string.rep` sizes: up to twice the fuzz target's Lua heap, so that running out of it is
/// reached.
const REPEAT_MAX: u32 = 16 << 20;

fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ferrodis_core::command_names().collect())
}

const WORDS: &[&str] = &[
    "k1",
    "k2",
    "k3",
    "h",
    "l",
    "s",
    "z",
    "0",
    "1",
    "-1",
    "10",
    "1.5",
    "nan",
    "inf",
    "EX",
    "NX",
    "XX",
    "GET",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "*",
    "",
    "x",
    "KILL",
    "LOAD",
    "FLUSH",
];

/// A Lua string literal holding `bytes` exactly.
fn literal(bytes: &[u8]) -> String {
    let mut text = String::from("\"");
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || byte == b' ' || byte == b'_' {
            text.push(byte as char);
        } else {
            text.push_str(&format!("\\{byte}"));
        }
    }
    text.push('"');
    text
}

fn argument(input: &mut Input) -> String {
    match input.below(5) {
        0 => format!("{}", input.u16() as i16),
        1 => "KEYS[1]".to_string(),
        2 => "ARGV[1]".to_string(),
        3 => literal(input.bytes(RAW_BYTES_MAX)),
        _ => literal(WORDS[input.below(WORDS.len())].as_bytes()),
    }
}

fn call(input: &mut Input) -> String {
    let names = names();
    let function = if input.bool() { "call" } else { "pcall" };
    // More commands than `below` can pick from: two bytes choose.
    let name = names[usize::from(input.u16()) % names.len()];
    let mut text = format!("redis.{function}({}", literal(name.as_bytes()));
    for _ in 0..input.below(5) {
        text.push_str(", ");
        text.push_str(&argument(input));
    }
    text.push(')');
    text
}

/// An expression that makes some value, maybe by failing.
fn expression(input: &mut Input) -> String {
    match input.below(18) {
        0 => call(input),
        1 => format!("{}", input.u16()),
        2 => format!("{}.5", input.u16() as i16),
        3 => literal(input.bytes(RAW_BYTES_MAX)),
        4 => "{1, 'two', {3, {4}}, nil, 5}".to_string(),
        5 => "{err = 'MYERR custom'}".to_string(),
        6 => "{ok = 'FINE'}".to_string(),
        7 => "{double = 3.25}".to_string(),
        8 => "redis.error_reply('E bad')".to_string(),
        9 => format!("cjson.decode({})", literal(input.bytes(RAW_BYTES_MAX))),
        10 => format!("cmsgpack.unpack({})", literal(input.bytes(RAW_BYTES_MAX))),
        11 => format!(
            "struct.unpack({}, {})",
            literal(input.bytes(4)),
            literal(input.bytes(RAW_BYTES_MAX))
        ),
        12 => format!("cjson.encode({{{}}})", expression_leaf(input)),
        13 => format!("cmsgpack.pack({})", expression_leaf(input)),
        14 => format!("bit.bxor({}, {})", input.u16(), input.u16() as i16),
        15 => format!(
            "#string.rep('x', {})",
            input.u16() as u32 * u32::from(input.u8()) % REPEAT_MAX
        ),
        16 => format!("loadstring({})", literal(input.bytes(RAW_BYTES_MAX))),
        _ => "redis.sha1hex(tostring(#KEYS))".to_string(),
    }
}

fn expression_leaf(input: &mut Input) -> String {
    match input.below(3) {
        0 => format!("{}", input.u16()),
        1 => literal(input.bytes(8)),
        _ => "true".to_string(),
    }
}

/// Where a block sits: how deep, how many times it will run (the enclosing loops' counts
/// multiplied: costly statements only run once), and whether in a coroutine of the script's
/// own (which the server cannot pause: an endless loop there runs until the server stops it
/// as stuck, a hundred slices later, so it is left out).
#[derive(Clone, Copy)]
struct Place {
    depth: usize,
    iterations: usize,
    in_coroutine: bool,
}

fn block(input: &mut Input, place: Place, out: &mut String) {
    for _ in 0..=input.below(STATEMENTS_MAX) {
        statement(input, place, out);
        out.push('\n');
    }
}

fn statement(input: &mut Input, place: Place, out: &mut String) {
    let Place {
        depth,
        iterations,
        in_coroutine,
    } = place;
    let nested = depth < DEPTH_MAX;
    let once = iterations == 1;
    let inner = Place {
        depth: depth + 1,
        ..place
    };
    match input.below(16) {
        0..=3 => out.push_str(&call(input)),
        4 if once => out.push_str(&format!("local v = {}", expression(input))),
        5 if nested => {
            let count = usize::from(input.u16()) % (ITERATIONS_MAX / iterations + 1);
            out.push_str(&format!("for i = 1, {count} do\n"));
            let place = Place {
                iterations: iterations * count.max(1),
                ..inner
            };
            block(input, place, out);
            out.push_str("end");
        }
        6 if nested => {
            out.push_str("pcall(function()\n");
            block(input, inner, out);
            out.push_str("end)");
        }
        7 if !in_coroutine && input.below(4) == 0 => out.push_str("while true do end"),
        8 => out.push_str(&format!("error({})", expression_leaf(input))),
        9 => out.push_str("error({err = 'CUSTOM failed'})"),
        10 => out.push_str(&format!("redis.setresp({})", 2 + input.below(2))),
        11 => out.push_str("x_global = 1"),
        12 => out.push_str("setmetatable(_G, {})"),
        13 if nested => {
            out.push_str("coroutine.wrap(function()\n");
            let place = Place {
                in_coroutine: true,
                ..inner
            };
            block(input, place, out);
            out.push_str("end)()");
        }
        14 if once => out.push_str("local t = {} for i = 1, 2000 do t[i] = {i} end"),
        _ => out.push_str(&format!("return {}", expression(input))),
    }
}

/// A script body: a shebang sometimes, statements, a final return.
fn body(input: &mut Input) -> String {
    let mut out = String::new();
    match input.below(6) {
        0 => out.push_str("#!lua flags=no-writes\n"),
        1 => out.push_str("#!lua\n"),
        _ => {}
    }
    let top = Place {
        depth: 0,
        iterations: 1,
        in_coroutine: false,
    };
    block(input, top, &mut out);
    out.push_str(&format!("return {}\n", expression(input)));
    out
}

fn encode(args: &[&[u8]]) -> Vec<u8> {
    ferrodis_core::protocol::resp::encode_request(args)
}

/// One request that runs a generated script: EVAL and its read-only and by-digest forms,
/// FUNCTION LOAD of a library around it, or FCALL.
pub fn request(input: &mut Input) -> Vec<u8> {
    let script = body(input);
    let keys = input.below(3);
    let count = keys.to_string();
    let mut args: Vec<&[u8]> = Vec::new();
    let library;
    match input.below(8) {
        0 => args.extend([&b"EVAL_RO"[..], script.as_bytes(), count.as_bytes()]),
        1 => args.extend([&b"SCRIPT"[..], b"LOAD", script.as_bytes()]),
        2 => {
            library = format!(
                "#!lua name=fuzz\nredis.register_function{{function_name='f', callback=function(KEYS, ARGV)\n{script}\nend, flags={}}}",
                if input.bool() { "{'no-writes'}" } else { "{}" }
            );
            args.extend([&b"FUNCTION"[..], b"LOAD", b"REPLACE", library.as_bytes()]);
        }
        3 => args.extend([&b"FCALL"[..], b"f", count.as_bytes()]),
        4 => args.extend([&b"FCALL_RO"[..], b"f", count.as_bytes()]),
        _ => args.extend([&b"EVAL"[..], script.as_bytes(), count.as_bytes()]),
    }
    if matches!(args[0], b"EVAL" | b"EVAL_RO" | b"FCALL" | b"FCALL_RO") {
        args.extend([&b"k1"[..], b"k2"].iter().take(keys));
        args.extend([&b"a1"[..], b"2"]);
    }
    encode(&args)
}

pub fn run(bytes: &[u8]) {
    super::server_commands::run_mix(bytes, super::server_commands::Mix::Scripts);
}
