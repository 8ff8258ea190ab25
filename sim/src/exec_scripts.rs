//! EVAL, EVALSHA and SCRIPT in the model. The simulator sends scripts from a fixed set
//! (`SCRIPTS`): short bodies whose effect is the commands they call, so the model runs those
//! commands as the server's Lua does and answers as Redis converts the script's result (for
//! these scripts, the command's own reply). An error raised by `redis.call` ends the script and
//! is answered with Redis's suffix naming the script and its line; `redis.pcall` hands the
//! error back as a value, which the script returns as it is.

use sha1::{Digest, Sha1};

use crate::exec;
use crate::model::{Model, Session};
use crate::reply::{Expect, Out};

type Result<T> = std::result::Result<T, &'static str>;

/// The scripts the simulator sends, one line each (errors name line 1). KEYS[1] is the key;
/// ARGV[1] and ARGV[2] are values the generator draws.
pub const SCRIPTS: &[&str] = &[
    "return redis.call('set', KEYS[1], ARGV[1])",
    "return redis.call('get', KEYS[1])",
    "return redis.call('incrby', KEYS[1], ARGV[1])",
    "redis.call('del', KEYS[1]) return redis.call('rpush', KEYS[1], ARGV[1], ARGV[2])",
    "return redis.pcall('incr', KEYS[1])",
    // A client library's lock release.
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) \
     else return 0 end",
    "return redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])",
    "return redis.call('hset', KEYS[1], ARGV[1], ARGV[2])",
];

/// The lower-case hex SHA1 Redis names a script by.
pub fn sha(body: &[u8]) -> String {
    Sha1::digest(body)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "eval" | "evalsha" => -3,
        "script" => -2,
        _ => return None,
    })
}

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

pub fn run(
    model: &mut Model,
    session: &mut Session,
    name: &str,
    args: &[Vec<u8>],
    wall: i64,
    out: &mut Out<'_>,
) -> Result<Expect> {
    if name == "script" {
        return script(model, args, out);
    }
    let numkeys = crate::model::parse_i64(&args[2]).ok_or(crate::model::NOT_INTEGER)?;
    if numkeys < 0 {
        return Err("ERR Number of keys can't be negative");
    }
    if numkeys as usize > args.len() - 3 {
        return Err("ERR Number of keys can't be greater than number of args");
    }
    let (index, sha) = if name == "eval" {
        let index = SCRIPTS
            .iter()
            .position(|body| body.as_bytes() == &args[1][..])
            .expect("the simulator sends only its own scripts");
        let sha = sha(&args[1]);
        model.scripts.insert(sha.clone());
        (index, sha)
    } else {
        let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
        if !model.scripts.contains(&sha) {
            return Err(NOSCRIPT);
        }
        let index = SCRIPTS
            .iter()
            .position(|body| self::sha(body.as_bytes()) == sha)
            .expect("only the simulator's scripts are cached");
        (index, sha)
    };
    // Inside EXEC, out of memory or with the append-only file broken, a script is refused at
    // its first write (having written nothing before it): the server's item says so, and
    // nothing changed.
    if let (true, Some(item)) = (model.in_exec, &model.observed) {
        let refused = (model.oom_refusable
            && item.starts_with(b"-OOM command not allowed when used memory > 'maxmemory'."))
            || (model.misconf_refusable
                && item.starts_with(b"-MISCONF Errors writing to the AOF file: "));
        if refused {
            out.0.extend_from_slice(item);
            return Ok(Expect::Exact);
        }
    }
    let keys = &args[3..3 + numkeys as usize];
    let argv = &args[3 + numkeys as usize..];
    let key = keys.first().cloned().unwrap_or_default();
    let arg = |n: usize| argv.get(n).cloned().unwrap_or_default();
    let mut script = Script {
        model,
        session,
        wall,
        sha,
    };
    let result = match index {
        0 => script.call(&[b"set", &key, &arg(0)]),
        1 => script.call(&[b"get", &key]),
        2 => script.call(&[b"incrby", &key, &arg(0)]),
        3 => script
            .call(&[b"del", &key])
            .and_then(|_| script.call(&[b"rpush", &key, &arg(0), &arg(1)])),
        4 => Ok(through_lua(script.pcall(&[b"incr", &key]))),
        // The GET goes through the call when it fails (wrong type, or not permitted).
        5 if crate::exec::denied(script.model, script.session, "get") => {
            script.call(&[b"get", &key])
        }
        5 => {
            let db = script.session.db;
            let held = script
                .model
                .string(db, &key, wall)
                .map(|value| value.cloned());
            match held {
                Err(_) => script.call(&[b"get", &key]),
                Ok(Some(value)) if value == arg(0) => script.call(&[b"del", &key]),
                Ok(_) => Ok(b":0\r\n".to_vec()),
            }
        }
        6 => script.call(&[b"zadd", &key, &arg(0), &arg(1)]),
        _ => script.call(&[b"hset", &key, &arg(0), &arg(1)]),
    };
    match result {
        Ok(reply) => out.0.extend_from_slice(&through_lua(reply)),
        Err(error) => out.0.extend_from_slice(&error),
    }
    Ok(Expect::Exact)
}

/// A reply as the script hands it on: an integer became a Lua number (a double) and comes back
/// as C casts it on x86-64 (past `i64::MAX`, or NaN, it is `i64::MIN`).
fn through_lua(reply: Vec<u8>) -> Vec<u8> {
    let Some(digits) = reply.strip_prefix(b":") else {
        return reply;
    };
    let number: i64 = String::from_utf8_lossy(&digits[..digits.len() - 2])
        .parse()
        .expect("an integer reply");
    let double = number as f64;
    let cast = if double >= 9_223_372_036_854_775_808.0 {
        i64::MIN
    } else {
        double as i64
    };
    format!(":{cast}\r\n").into_bytes()
}

/// SCRIPT LOAD | EXISTS | FLUSH.
fn script(model: &mut Model, args: &[Vec<u8>], out: &mut Out<'_>) -> Result<Expect> {
    let subcommand = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    Ok(match (subcommand.as_str(), args.len()) {
        ("load", 3) => {
            let sha = sha(&args[2]);
            model.scripts.insert(sha.clone());
            out.bulk(sha.as_bytes())
        }
        ("exists", count) if count >= 3 => {
            out.array(args.len() - 2);
            for sha in &args[2..] {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                out.int(i64::from(model.scripts.contains(&sha)));
            }
            Expect::Exact
        }
        ("flush", 2) => {
            model.scripts.clear();
            out.ok()
        }
        _ => return Err("ERR the simulator sends SCRIPT LOAD, EXISTS and FLUSH only"),
    })
}

/// A script running: its commands run on the model as the caller's.
struct Script<'m> {
    model: &'m mut Model,
    session: &'m mut Session,
    wall: i64,
    sha: String,
}

impl Script<'_> {
    /// The command's reply, or its error as the script's reply (`redis.call` raises it).
    fn call(&mut self, args: &[&[u8]]) -> std::result::Result<Vec<u8>, Vec<u8>> {
        let reply = self.pcall(args);
        if reply.first() == Some(&b'-') {
            let text = &reply[1..reply.len() - 2];
            let mut error = b"-".to_vec();
            error.extend_from_slice(text);
            error.extend_from_slice(
                format!(" script: {}, on @user_script:1.\r\n", self.sha).as_bytes(),
            );
            return Err(error);
        }
        Ok(reply)
    }

    /// The command's reply, an error included (`redis.pcall`).
    fn pcall(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let args: Vec<Vec<u8>> = args.iter().map(|arg| arg.to_vec()).collect();
        let name = String::from_utf8_lossy(&args[0]).into_owned();
        let mut bytes = Vec::new();
        let mut out = Out(&mut bytes);
        if exec::denied(self.model, self.session, &name) {
            self.model.counts.acl_denials += 1;
            out.error("ERR The user executing the script can't run this command or subcommand");
            return bytes;
        }
        let expect = match exec::run(self.model, self.session, &name, &args, self.wall, &mut out) {
            Ok(expect) => expect,
            Err(error) => out.error(error),
        };
        assert!(
            expect == Expect::Exact,
            "a script's command has one exact reply"
        );
        bytes
    }
}
