//! Client-side caching: CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO, and what every
//! command does for it (the keys it read are remembered, the keys it changed are told).

use super::args::is_option;
use super::table::{CommandSpec, Flags};
use super::{c_string, ArgCursor, CommandError, CommandResult, Ctx, SYNTAX};
use crate::protocol::resp::Args;
use crate::tracking::{self, ClientTracking, Invalidated};
use crate::util::number::parse_i64;

/// At most this many BCAST prefixes per connection (the prefix table is then bounded by this
/// times `maxclients`).
const PREFIXES_PER_CONNECTION_MAX: usize = 1 << 16;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX prefix ...] [OPTIN] [OPTOUT] [NOLOOP],
/// with Redis's checks in its order.
pub(super) fn client_tracking(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mode = args.next_bytes()?;
    let mut settings = ClientTracking::default();
    let mut redirect = None;
    let mut prefixes: Vec<&[u8]> = Vec::new();
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        let more = args.remaining() > 0;
        if is_option(option, "REDIRECT") && more {
            if redirect.is_some() {
                return Err("ERR A client can only redirect to a single other client".into());
            }
            let client_id = parse_i64(args.next_bytes()?).ok_or(super::NOT_INTEGER)?;
            let target = ctx
                .connections()
                .into_iter()
                .find(|(_, connection)| connection.client_id as i64 == client_id)
                .map(|(id, _)| id)
                .ok_or("ERR The client ID you want redirect to does not exist")?;
            redirect = Some((target, client_id as u64));
        } else if is_option(option, "BCAST") {
            settings.bcast = true;
        } else if is_option(option, "OPTIN") {
            settings.optin = true;
        } else if is_option(option, "OPTOUT") {
            settings.optout = true;
        } else if is_option(option, "NOLOOP") {
            settings.noloop = true;
        } else if is_option(option, "PREFIX") && more {
            prefixes.push(args.next_bytes()?);
        } else {
            return Err(SYNTAX.into());
        }
    }
    settings.redirect = redirect;
    let held = ctx
        .session
        .tracking
        .as_ref()
        .map_or(0, |tracking| tracking.prefixes.len());
    if held + prefixes.len() > PREFIXES_PER_CONNECTION_MAX {
        return Err(CommandError::owned(format!(
            "ERR too many prefixes (at most {PREFIXES_PER_CONNECTION_MAX} per connection)"
        )));
    }
    if is_option(mode, "ON") {
        check_settings(ctx.session.tracking.as_deref(), &settings, &prefixes)?;
        settings.prefixes = prefixes.iter().map(|&prefix| Box::from(prefix)).collect();
        let first = !ctx.state.tracking.active();
        ctx.state
            .tracking
            .enable(ctx.id, &mut ctx.session.tracking, settings);
        if first {
            ctx.keyspace.record_changed_keys(true);
        }
    } else if is_option(mode, "OFF") {
        stop(ctx);
    } else {
        return Err(SYNTAX.into());
    }
    ctx.reply.ok();
    Ok(())
}

/// Redis's refusals for CLIENT TRACKING ON, given what the connection had (`current`).
fn check_settings(
    current: Option<&ClientTracking>,
    new: &ClientTracking,
    prefixes: &[&[u8]],
) -> CommandResult {
    if !new.bcast && !prefixes.is_empty() {
        return Err("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if current.is_some_and(|current| current.bcast != new.bcast) {
        return Err(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this \
                    client, and then re-enabling it with a different mode."
                .into(),
        );
    }
    if new.bcast && (new.optin || new.optout) {
        return Err("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if new.optin && new.optout {
        return Err("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if current.is_some_and(|current| (new.optin && current.optout) || (new.optout && current.optin))
    {
        return Err(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for \
                    this client, and then re-enabling it with a different mode."
                .into(),
        );
    }
    if new.bcast {
        check_prefixes(current, prefixes)?;
    }
    Ok(())
}

/// Two prefixes of one connection overlap when one starts the other: a key would be told
/// twice.
fn check_prefixes(current: Option<&ClientTracking>, prefixes: &[&[u8]]) -> CommandResult {
    let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    let existing: Vec<&[u8]> = current.map_or(Vec::new(), |current| {
        current.prefixes.iter().map(|prefix| &prefix[..]).collect()
    });
    for (index, &prefix) in prefixes.iter().enumerate() {
        if let Some(&old) = existing.iter().find(|&&old| overlap(old, prefix)) {
            return Err(CommandError::concat(&[
                b"ERR Prefix '",
                c_string(prefix),
                b"' overlaps with an existing prefix '",
                c_string(old),
                b"'. Prefixes for a single client must not overlap.",
            ]));
        }
        if let Some(&other) = prefixes[index + 1..]
            .iter()
            .find(|&&other| overlap(prefix, other))
        {
            return Err(CommandError::concat(&[
                b"ERR Prefix '",
                c_string(prefix),
                b"' overlaps with another provided prefix '",
                c_string(other),
                b"'. Prefixes for a single client must not overlap.",
            ]));
        }
    }
    Ok(())
}

/// Turns the caller's tracking off (CLIENT TRACKING OFF, RESET).
pub(super) fn stop(ctx: &mut Ctx<'_, '_>) {
    ctx.state
        .tracking
        .disable(ctx.id, &mut ctx.session.tracking);
    if !ctx.state.tracking.active() {
        ctx.keyspace.record_changed_keys(false);
    }
}

/// CLIENT CACHING YES|NO: whether the next command's reads are remembered, against the
/// OPTIN or OPTOUT default.
pub(super) fn client_caching(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let Some(settings) = ctx.session.tracking.as_deref_mut() else {
        return Err(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode \
                    with OPTIN or OPTOUT mode enabled"
                .into(),
        );
    };
    let answer = args.next_bytes()?;
    if is_option(answer, "YES") {
        if !settings.optin {
            return Err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
                    .into(),
            );
        }
    } else if is_option(answer, "NO") {
        if !settings.optout {
            return Err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
                    .into(),
            );
        }
    } else {
        return Err(SYNTAX.into());
    }
    settings.caching = true;
    ctx.reply.ok();
    Ok(())
}

/// CLIENT GETREDIR: the CLIENT ID invalidations go to, 0 for none, -1 when not tracking.
pub(super) fn client_getredir(ctx: &mut Ctx<'_, '_>) -> CommandResult {
    let redirect = redirect_id(ctx.session.tracking.as_deref());
    ctx.reply.integer(redirect);
    Ok(())
}

pub(super) fn redirect_id(tracking: Option<&ClientTracking>) -> i64 {
    tracking.map_or(-1, |tracking| {
        tracking
            .redirect
            .map_or(0, |(_, client_id)| client_id as i64)
    })
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis lists them.
pub(super) fn client_trackinginfo(ctx: &mut Ctx<'_, '_>) -> CommandResult {
    let tracking = ctx.session.tracking.as_deref();
    let mut flags = vec![if tracking.is_some() { "on" } else { "off" }];
    if let Some(tracking) = tracking {
        for (set, flag) in [
            (tracking.bcast, "bcast"),
            (tracking.optin, "optin"),
            (tracking.optin && tracking.caching, "caching-yes"),
            (tracking.optout, "optout"),
            (tracking.optout && tracking.caching, "caching-no"),
            (tracking.noloop, "noloop"),
            (tracking.broken_redirect, "broken_redirect"),
        ] {
            if set {
                flags.push(flag);
            }
        }
    }
    let prefixes: Vec<Box<[u8]>> = tracking.map_or(Vec::new(), |tracking| {
        tracking.prefixes.iter().cloned().collect()
    });
    let redirect = redirect_id(tracking);
    ctx.reply.map(3);
    ctx.reply.bulk(b"flags");
    ctx.reply.set(flags.len());
    for flag in flags {
        ctx.reply.bulk(flag.as_bytes());
    }
    ctx.reply.bulk(b"redirect");
    ctx.reply.integer(redirect);
    ctx.reply.bulk(b"prefixes");
    ctx.reply.array(prefixes.len());
    for prefix in &prefixes {
        ctx.reply.bulk(prefix);
    }
    Ok(())
}

/// After a command: the keys it changed are told to the connections that may hold them, and
/// the keys a tracking connection read are remembered.
pub(super) fn after_command(ctx: &mut Ctx<'_, '_>, spec: &CommandSpec, args: Args<'_>) {
    if !ctx.state.tracking.active() {
        return;
    }
    invalidate_changed(ctx);
    let records = ctx
        .session
        .tracking
        .as_deref()
        .is_some_and(ClientTracking::records_reads);
    // A script tracks the keys it declared once it has called a read-only command.
    let script = matches!(
        spec.name,
        "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro"
    );
    let reads = if script {
        std::mem::take(&mut ctx.state.scripts.read_keys)
    } else {
        spec.flags.contains(Flags::READONLY) && !spec.flags.contains(Flags::PUBSUB)
    };
    if records && reads {
        let request: Vec<&[u8]> = args.iter().collect();
        let keys = spec.key_positions(&request);
        ctx.state
            .tracking
            .remember(ctx.id, keys.iter().map(|&position| request[position]));
    }
}

/// Tells the readers of the keys changed so far that they changed.
fn invalidate_changed(ctx: &mut Ctx<'_, '_>) {
    for key in ctx.keyspace.take_changed_keys() {
        if let Some(readers) = ctx.state.tracking.changed(&key, Some(ctx.id)) {
            tracking::tell(ctx.effects, readers, &key, Some(ctx.id));
        }
    }
}

/// FLUSHDB and FLUSHALL: every tracking connection hears that everything changed, and the
/// table starts over.
pub(super) fn flushed(ctx: &mut Ctx<'_, '_>) {
    if !ctx.state.tracking.active() {
        return;
    }
    invalidate_changed(ctx);
    ctx.state.tracking.flush();
    let tracking: Vec<_> = ctx
        .connections()
        .into_iter()
        .filter(|(_, connection)| connection.tracking.is_some())
        .map(|(id, _)| id)
        .collect();
    for id in tracking {
        ctx.effects.invalidate(id, Invalidated::All, None);
    }
}

/// After a command that is not CLIENT: a CLIENT CACHING answer is used up, unless the
/// connection is inside MULTI (then it lasts until EXEC).
pub(super) fn end_caching(ctx: &mut Ctx<'_, '_>, spec: &CommandSpec) {
    if spec.name == "client" || ctx.session.transaction.is_some() {
        return;
    }
    if let Some(tracking) = ctx.session.tracking.as_deref_mut() {
        tracking.caching = false;
    }
}
