//! The restart check, at the end of a run: SAVE writes the data (disk requests answered from
//! memory), a new server loads the file, and every key of every database must come back with
//! the same type, contents and deadline. Every value the run built (each type, each encoding,
//! the limits the seed drew) goes through the RDB writer and reader this way.

use std::collections::BTreeMap;

use ferrodis_core::protocol::resp::encode_request;
use ferrodis_core::{ConnectionId, DiskRequest, Now, Output, Server};

use super::World;
use crate::reply::reply_len;
use crate::Failure;

impl World<'_> {
    pub fn check_restart(&mut self) -> Result<(), Failure> {
        let now = self.now;
        let wrong = |what: String| Err(Failure::WrongReply(format!("restart check: {what}")));
        let Ok(id) = self.server.connection_open(now, "127.0.0.1:40003") else {
            return wrong("no connection for SAVE".into());
        };
        // A CLIENT PAUSE the run left in force would hold the check's commands back, and the
        // seed's output limit would close the connection on a big reply.
        let unlimited: &[&[u8]] = &[
            b"CONFIG",
            b"SET",
            b"client-output-buffer-limit",
            b"normal 0 0 0",
        ];
        for setting in [&[&b"CLIENT"[..], b"UNPAUSE"][..], unlimited] {
            let reply = ask(&mut self.server, now, id, setting);
            if reply != b"+OK\r\n" {
                return wrong(format!("{setting:?} replied {}", reply.escape_ascii()));
            }
        }
        self.server.handle_timeout(now);
        let config = self.server.config().clone();
        let databases = config.databases;
        let before = contents(&mut self.server, now, id, databases);
        let file = match save(&mut self.server, now, id) {
            Ok(file) => file,
            Err(what) => return wrong(what),
        };
        self.server.connection_closed(now, id);
        while self.server.poll_output().is_some() {}
        let seed = config.seed;
        let mut restarted = Server::new(config, now);
        restarted.set_stopwatch(super::stopwatch(seed));
        if let Err(error) = restarted.load_rdb(now, &file) {
            return wrong(format!(
                "the saved file does not load: {} at byte {}",
                error.message, error.offset
            ));
        }
        restarted.check_invariants();
        let Ok(id) = restarted.connection_open(now, "127.0.0.1:40003") else {
            return wrong("no connection to the restarted server".into());
        };
        let after = contents(&mut restarted, now, id, databases);
        if before != after {
            let first = before
                .iter()
                .zip(&after)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("{a} became {b}"))
                .unwrap_or_else(|| format!("{} keys became {}", before.len(), after.len()));
            return wrong(format!("the data changed through SAVE and load: {first}"));
        }
        self.coverage.restarts += 1;
        self.coverage.restarted_keys += before.len() as u64;
        Ok(())
    }
}

/// Sends one command and takes its whole reply.
fn ask(server: &mut Server, now: Now, id: ConnectionId, args: &[&[u8]]) -> Vec<u8> {
    server.connection_receive(now, id, &encode_request(args));
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now, id, reply.len());
    reply
}

/// The elements of an array reply (each as its raw bytes), or the reply itself.
fn elements(reply: &[u8]) -> Vec<Vec<u8>> {
    if reply.first() != Some(&b'*') {
        return vec![reply.to_vec()];
    }
    let Some(header) = reply.windows(2).position(|pair| pair == b"\r\n") else {
        return vec![reply.to_vec()];
    };
    let mut at = header + 2;
    let mut found = Vec::new();
    while at < reply.len() {
        let Some(len) = reply_len(&reply[at..]) else {
            break;
        };
        found.push(reply[at..at + len].to_vec());
        at += len;
    }
    found
}

/// Every key of every database, in order: database, key, type, contents (unordered types
/// sorted), deadline.
fn contents(server: &mut Server, now: Now, id: ConnectionId, databases: usize) -> Vec<String> {
    let mut all = Vec::new();
    for db in 0..databases {
        ask(server, now, id, &[b"SELECT", db.to_string().as_bytes()]);
        let mut keys = elements(&ask(server, now, id, &[b"KEYS", b"*"]));
        keys.sort();
        for key in keys {
            // A bulk reply: `$len\r\n<key>\r\n`.
            let start = key.windows(2).position(|pair| pair == b"\r\n").unwrap_or(0) + 2;
            let name = key[start.min(key.len())..key.len().saturating_sub(2)].to_vec();
            let kind = ask(server, now, id, &[b"TYPE", &name]);
            let read: Vec<&[u8]> = match kind.as_slice() {
                b"+string\r\n" => vec![b"GET", &name],
                b"+list\r\n" => vec![b"LRANGE", &name, b"0", b"-1"],
                b"+set\r\n" => vec![b"SMEMBERS", &name],
                b"+hash\r\n" => vec![b"HGETALL", &name],
                _ => vec![b"ZRANGE", &name, b"0", b"-1", b"WITHSCORES"],
            };
            let mut items = elements(&ask(server, now, id, &read));
            if kind == b"+set\r\n" {
                items.sort();
            }
            if kind == b"+hash\r\n" {
                let mut pairs: Vec<Vec<u8>> = items.chunks(2).map(<[_]>::concat).collect();
                pairs.sort();
                items = pairs;
            }
            let deadline = ask(server, now, id, &[b"PEXPIRETIME", &name]);
            all.push(format!(
                "db {db} {} {} {} {}",
                name.escape_ascii(),
                kind.escape_ascii(),
                deadline.escape_ascii(),
                items.concat().escape_ascii()
            ));
        }
    }
    all
}

/// SAVE's file, every disk request answered from memory.
fn save(server: &mut Server, now: Now, id: ConnectionId) -> Result<Vec<u8>, String> {
    server.connection_receive(now, id, &encode_request(&[b"SAVE"]));
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut target = None;
    for _ in 0..10_000_000 {
        let Some(output) = server.poll_output() else {
            break;
        };
        let Output::Disk { token, request } = output else {
            continue;
        };
        match request {
            DiskRequest::Create { path } => {
                files.insert(path, Vec::new());
            }
            DiskRequest::Write { path, bytes } => {
                files
                    .get_mut(&path)
                    .ok_or("a write to a file never created")?
                    .extend(bytes);
            }
            DiskRequest::Rename { from, to } => {
                let bytes = files.remove(&from).ok_or("a rename of a missing file")?;
                files.insert(to.clone(), bytes);
                target = Some(to);
            }
            _ => {}
        }
        server.disk_done(now, token, Ok(()));
    }
    let reply = server.send_buffer(id).to_vec();
    server.connection_sent(now, id, reply.len());
    if reply != b"+OK\r\n" {
        return Err(format!("SAVE replied {}", reply.escape_ascii()));
    }
    let target = target.ok_or("SAVE renamed no file")?;
    files
        .remove(&target)
        .ok_or_else(|| "the file is gone".to_string())
}
