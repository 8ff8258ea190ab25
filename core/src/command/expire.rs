//! Expiry commands: EXPIRE family, TTL family, PERSIST, SETEX, PSETEX, GETEX.

use super::args::is_option;
use super::strings::{expiry_from, expiry_unit, reply_string, store_string, Expiry};
use super::{ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::notify;
use crate::reply::integer_text;
use crate::time::UnixMillis;
use crate::util::number::parse_i64;
use crate::value::Value;

/// The NX / XX / GT / LT conditions of EXPIRE and friends.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    fn parse(args: &mut ArgCursor<'_>) -> Result<Conditions, CommandError> {
        let mut conditions = Conditions::default();
        for option in args.rest() {
            if is_option(option, "NX") {
                conditions.nx = true;
            } else if is_option(option, "XX") {
                conditions.xx = true;
            } else if is_option(option, "GT") {
                conditions.gt = true;
            } else if is_option(option, "LT") {
                conditions.lt = true;
            } else {
                // Redis formats the option as a C string: its bytes as they are, up to a NUL.
                let end = option.iter().position(|&byte| byte == 0);
                let option = &option[..end.unwrap_or(option.len())];
                return Err(CommandError::concat(&[b"ERR Unsupported option ", option]));
            }
        }
        if conditions.nx && (conditions.xx || conditions.gt || conditions.lt) {
            return Err(
                "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
            );
        }
        if conditions.gt && conditions.lt {
            return Err("ERR GT and LT options at the same time are not compatible".into());
        }
        Ok(conditions)
    }

    /// Whether a key whose deadline is `current` (None = no TTL, i.e. infinite) may get `new`.
    fn allow(&self, current: Option<i64>, new: i64) -> bool {
        match current {
            None => !(self.xx || self.gt),
            Some(current) => {
                !(self.nx || (self.gt && new <= current) || (self.lt && new >= current))
            }
        }
    }
}

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key amount [NX | XX | GT | LT]
fn expire_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    unit_millis: i64,
    relative: bool,
    command: &str,
) -> CommandResult {
    let key = args.next_bytes()?;
    let amount = args.next_bytes()?;
    let conditions = Conditions::parse(args)?;
    let amount = parse_i64(amount).ok_or(CommandError::from(NOT_INTEGER))?;
    let now = ctx.now.wall;
    let invalid = || CommandError::owned(format!("ERR invalid expire time in '{command}' command"));
    let millis = amount.checked_mul(unit_millis).ok_or_else(invalid)?;
    let at = if relative {
        millis.checked_add(now.as_millis()).ok_or_else(invalid)?
    } else {
        millis
    };
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if db.get(now, key).is_none() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let current = db.expiry(key).map(UnixMillis::as_millis);
    if !conditions.allow(current, at) {
        ctx.reply.integer(0);
        return Ok(());
    }
    set_or_delete(ctx, key, UnixMillis::from_millis(at));
    ctx.reply.integer(1);
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
pub(crate) fn expire(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    expire_generic(ctx, args, 1000, true, "expire")
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub(crate) fn pexpire(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    expire_generic(ctx, args, 1, true, "pexpire")
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
pub(crate) fn expireat(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    expire_generic(ctx, args, 1000, false, "expireat")
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
pub(crate) fn pexpireat(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    expire_generic(ctx, args, 1, false, "pexpireat")
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 for a missing key, -1 for no TTL.
fn ttl_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    millis: bool,
    absolute: bool,
) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if db.get_untouched(now, key).is_none() {
        ctx.reply.integer(-2);
        return Ok(());
    }
    let Some(at) = db.expiry(key) else {
        ctx.reply.integer(-1);
        return Ok(());
    };
    let left = if absolute {
        at.as_millis()
    } else {
        at.as_millis().saturating_sub(now.as_millis())
    }
    .max(0);
    // Redis rounds seconds to the nearest.
    ctx.reply.integer(if millis {
        left
    } else {
        left.saturating_add(500) / 1000
    });
    Ok(())
}

/// TTL key
pub(crate) fn ttl(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    ttl_generic(ctx, args, false, false)
}

/// PTTL key
pub(crate) fn pttl(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    ttl_generic(ctx, args, true, false)
}

/// EXPIRETIME key
pub(crate) fn expiretime(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    ttl_generic(ctx, args, false, true)
}

/// PEXPIRETIME key
pub(crate) fn pexpiretime(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    ttl_generic(ctx, args, true, true)
}

/// PERSIST key
pub(crate) fn persist(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    let removed = db.get(now, key).is_some() && db.clear_expiry(key);
    ctx.reply.integer(i64::from(removed));
    if removed {
        ctx.notify(notify::GENERIC, "persist", key);
    }
    Ok(())
}

/// SETEX key seconds value / PSETEX key milliseconds value
fn setex_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
    unit_millis: i64,
    command: &str,
) -> CommandResult {
    let key = args.next_bytes()?;
    let amount = args.next_bytes()?;
    let value = args.next_bytes()?;
    let now = ctx.now.wall;
    let at = expiry_from(amount, unit_millis, true, now, command)?;
    store_string(ctx, key, value, Expiry::At(at));
    ctx.reply.ok();
    Ok(())
}

/// SETEX key seconds value
pub(crate) fn setex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    setex_generic(ctx, args, 1000, "setex")
}

/// PSETEX key milliseconds value
pub(crate) fn psetex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    setex_generic(ctx, args, 1, "psetex")
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]
pub(crate) fn getex(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let mut persist = false;
    let mut expire: Option<(&[u8], i64, bool)> = None;
    while args.remaining() > 0 {
        let option = args.next_bytes()?;
        let unit = expiry_unit(option);
        // Like SET, the same expiry option may repeat (the last one wins), but not two kinds.
        let same_kind =
            |(_, unit_millis, relative): (&[u8], i64, bool)| unit == Some((unit_millis, relative));
        match unit {
            Some((unit, relative))
                if expire.is_none_or(same_kind) && !persist && args.remaining() > 0 =>
            {
                expire = Some((args.next_bytes()?, unit, relative));
            }
            None if is_option(option, "PERSIST") && expire.is_none() => persist = true,
            _ => return Err(SYNTAX.into()),
        }
    }
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    // Redis answers nil for a missing key and WRONGTYPE before it looks at the expiry's value.
    let value = db.get(now, key);
    let found = value.is_some();
    if let Some(value) = value {
        if !matches!(value, Value::Int(_) | Value::Str(_) | Value::RawStr(_)) {
            return Err(WRONGTYPE.into());
        }
    }
    let at = match expire {
        Some((amount, unit, relative)) if found => {
            Some(expiry_from(amount, unit, relative, now, "getex")?)
        }
        _ => None,
    };
    let db = &mut ctx.keyspace.dbs[ctx.db];
    reply_string(ctx.reply, db.get(now, key))?;
    if !found {
        return Ok(());
    }
    if let Some(at) = at {
        set_or_delete(ctx, key, at);
    } else if persist && db.clear_expiry(key) {
        ctx.propagate(&[b"PERSIST", key]);
        ctx.notify(notify::GENERIC, "persist", key);
    }
    Ok(())
}

/// Gives the live `key` the deadline `at`, or deletes it when `at` has passed already (Redis
/// deletes rather than keep a key that is dead on arrival). Propagates as PEXPIREAT or DEL.
/// Replaying the append-only file no deadline has passed (as Redis's `checkAlreadyExpired`
/// while loading): the command ran when it had not.
fn set_or_delete(ctx: &mut Ctx<'_, '_>, key: &[u8], at: UnixMillis) {
    let now = ctx.now.wall;
    let db = &mut ctx.keyspace.dbs[ctx.db];
    if at <= now && !ctx.session.replaying {
        if let Some(value) = db.remove(now, key) {
            ctx.effects.discard(value);
        }
        ctx.propagate(&[b"DEL", key]);
        ctx.notify(notify::GENERIC, "del", key);
    } else {
        db.set_expiry(key, at);
        let mut digits = [0u8; 20];
        ctx.propagate(&[b"PEXPIREAT", key, integer_text(at.as_millis(), &mut digits)]);
        ctx.notify(notify::GENERIC, "expire", key);
    }
}
