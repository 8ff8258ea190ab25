//! DUMP and RESTORE: a key's value in the payload Redis uses (the value's RDB type and
//! encoding, then the RDB version and a CRC64), so that values move between ferrodis and Redis
//! (`redis-cli --pipe`, MIGRATE-style tools, backups of single keys).

use super::args::is_option;
use super::{ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, SYNTAX};
use crate::notify;
use crate::rdb;
use crate::rdb::encoding::{Compression, Reader};
use crate::rdb::value::{read_value, type_of, write_value, Shape};
use crate::reply::integer_text;
use crate::time::UnixMillis;
use crate::util::number::parse_i64;
use crate::value::Value;

const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
const BAD_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";
const BAD_DATA: &str = "ERR Bad data format";

/// The payload DUMP gives for `value`.
pub(crate) fn payload(value: &Value, compress: bool) -> Vec<u8> {
    let mut content = vec![type_of(value)];
    write_value(&mut content, value, &mut Compression::new(compress));
    rdb::seal_payload(content)
}

/// DUMP key: the payload, or nil for a missing key.
pub(crate) fn dump(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let compress = ctx.state.config.rdb_compression;
    match ctx.keyspace.dbs[ctx.db].get(now, key) {
        Some(value) => {
            let payload = payload(value, compress);
            ctx.reply.bulk(&payload);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// RESTORE's options.
#[derive(Default)]
struct RestoreOptions {
    replace: bool,
    absolute: bool,
    /// IDLETIME seconds and FREQ count: the restored key's access clock, as the policy reads
    /// it (IDLETIME under the LRU and other policies, FREQ under the LFU ones; the other is
    /// ignored, as in Redis).
    idle_secs: Option<u64>,
    frequency: Option<u8>,
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub(crate) fn restore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let ttl_text = args.next_bytes()?;
    let payload = args.next_bytes()?;
    let options = restore_options(args)?;
    let now = ctx.now.wall;
    if !options.replace && ctx.keyspace.dbs[ctx.db].get(now, key).is_some() {
        return Err(BUSYKEY.into());
    }
    let ttl = parse_i64(ttl_text).ok_or(CommandError::from(NOT_INTEGER))?;
    if ttl < 0 {
        return Err("ERR Invalid TTL value, must be >= 0".into());
    }
    let content = rdb::open_payload(payload).ok_or(CommandError::from(BAD_PAYLOAD))?;
    let mut reader = Reader::new(content);
    let shape = Shape::of(&ctx.state.config);
    let kind = reader.byte().ok_or(CommandError::from(BAD_DATA))?;
    let value = match read_value(&mut reader, kind, &shape) {
        Ok(Some(value)) => value,
        Ok(None) | Err(_) => return Err(BAD_DATA.into()),
    };
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let deleted = options.replace
        && db.remove(now, key).is_some_and(|old| {
            ctx.effects.discard(old);
            true
        });
    let deadline = match ttl {
        0 => None,
        _ if options.absolute => Some(UnixMillis::from_millis(ttl)),
        _ => Some(UnixMillis::from_millis(now.as_millis().saturating_add(ttl))),
    };
    if deadline.is_some_and(|at| at <= now) && !ctx.session.replaying {
        // Dead on arrival: nothing is stored, and a replaced key is deleted, as in Redis.
        ctx.effects.discard(value);
        if deleted {
            ctx.propagate(&[b"DEL", key]);
            ctx.notify(notify::GENERIC, "del", key);
        }
        ctx.reply.ok();
        return Ok(());
    }
    let db = &mut ctx.keyspace.dbs[ctx.db];
    db.set_with_expiry(now, key, value, deadline);
    db.restore_access(now, key, options.idle_secs, options.frequency);
    if let (Some(at), false) = (deadline, options.absolute) {
        // Propagated with its deadline, so that a replay later gives the same one.
        let mut digits = [0u8; 20];
        let at = integer_text(at.as_millis(), &mut digits);
        let mut replayed: Vec<&[u8]> = vec![b"RESTORE", key, at, payload];
        if options.replace {
            replayed.push(b"REPLACE");
        }
        replayed.push(b"ABSTTL");
        ctx.propagate(&replayed);
    }
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.reply.ok();
    Ok(())
}

fn restore_options(args: &mut ArgCursor<'_>) -> Result<RestoreOptions, CommandError> {
    let mut options = RestoreOptions::default();
    while args.remaining() > 0 {
        let (idle, frequency) = (options.idle_secs.is_some(), options.frequency.is_some());
        let option = args.next_bytes()?;
        if is_option(option, "REPLACE") {
            options.replace = true;
        } else if is_option(option, "ABSTTL") {
            options.absolute = true;
        } else if is_option(option, "IDLETIME") && args.remaining() > 0 && !frequency {
            let seconds = args.next_i64()?;
            if seconds < 0 {
                return Err("ERR Invalid IDLETIME value, must be >= 0".into());
            }
            options.idle_secs = Some(seconds as u64);
        } else if is_option(option, "FREQ") && args.remaining() > 0 && !idle {
            let count = args.next_i64()?;
            if !(0..=255).contains(&count) {
                return Err("ERR Invalid FREQ value, must be >= 0 and <= 255".into());
            }
            options.frequency = Some(count as u8);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(options)
}
