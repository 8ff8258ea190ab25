//! The GEO commands that add and read single positions: GEOADD, GEODIST, GEOHASH and GEOPOS,
//! and what the searches (command/geo_search.rs) share with them: coordinates, units,
//! distances. A position is a sorted set member whose score is its geohash
//! (store/geohash.rs), so the values are ordinary sorted sets, byte for byte Redis's.

use super::args::is_option;
use super::zset::{per_member_score, read_zset, zadd};
use super::{ArgCursor, CommandError, CommandResult, Ctx, NOT_FLOAT, SYNTAX};
use crate::protocol::resp::Args;
use crate::reply::Reply;
use crate::store::geohash;
use crate::util::number::parse_f64;

/// A longitude and latitude given as arguments; Redis's errors for a number that is not one
/// and for a point outside what can be stored.
pub(super) fn parse_position(
    longitude: &[u8],
    latitude: &[u8],
) -> Result<(f64, f64), CommandError> {
    let longitude = parse_f64(longitude).ok_or(CommandError::from(NOT_FLOAT))?;
    let latitude = parse_f64(latitude).ok_or(CommandError::from(NOT_FLOAT))?;
    if !geohash::valid(longitude, latitude) {
        return Err(CommandError::owned(format!(
            "ERR invalid longitude,latitude pair {longitude:.6},{latitude:.6}"
        )));
    }
    Ok((longitude, latitude))
}

/// The size of a unit (M, KM, FT, MI, any case) in metres.
pub(super) fn parse_unit(unit: &[u8]) -> Result<f64, CommandError> {
    let meters = [("M", 1.0), ("KM", 1000.0), ("FT", 0.3048), ("MI", 1609.34)]
        .into_iter()
        .find(|(name, _)| is_option(unit, name))
        .map(|(_, meters)| meters);
    meters.ok_or_else(|| "ERR unsupported unit provided. please use M, KM, FT, MI".into())
}

/// A number a search takes (a radius, a box's sides); its callers refuse negative ones.
pub(super) fn parse_size(text: &[u8], not_numeric: &'static str) -> Result<f64, CommandError> {
    parse_f64(text).ok_or(CommandError::from(not_numeric))
}

/// A distance as Redis writes one: a bulk string with four decimals.
pub(super) fn reply_distance(reply: &mut Reply<'_>, distance: f64) {
    let text = if distance.is_finite() {
        format!("{distance:.4}")
    } else if distance.is_nan() {
        "nan".to_string()
    } else if distance > 0.0 {
        "inf".to_string()
    } else {
        "-inf".to_string()
    };
    reply.bulk(text.as_bytes());
}

/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
///
/// Runs as the ZADD of each member's geohash, as Redis does, and is recorded for propagation
/// as that ZADD (the slow log and MONITOR still show the GEOADD).
pub(crate) fn geoadd(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let mut options = Vec::new();
    let (mut nx, mut xx) = (false, false);
    while let Some(option) = args.peek() {
        if is_option(option, "NX") {
            nx = true;
        } else if is_option(option, "XX") {
            xx = true;
        } else if !is_option(option, "CH") {
            break;
        }
        options.push(option);
        args.next_bytes()?;
    }
    let triples: Vec<&[u8]> = args.rest().collect();
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(SYNTAX.into());
    }
    // The ZADD request: its arguments in one buffer, with their ranges.
    let mut bytes = Vec::new();
    let mut ranges = Vec::new();
    let mut push = |arg: &[u8]| {
        ranges.push((bytes.len(), arg.len()));
        bytes.extend_from_slice(arg);
    };
    push(b"zadd");
    push(key);
    for option in options {
        push(option);
    }
    for triple in triples.chunks(3) {
        let (longitude, latitude) = parse_position(triple[0], triple[1])?;
        let score = geohash::score_of(longitude, latitude).expect("a checked position");
        push(score.to_string().as_bytes());
        push(triple[2]);
    }
    let request = Args::from_ranges(&bytes, &ranges);
    let mark = ctx.keyspace.propagation_mark();
    let result = zadd(ctx, &mut ArgCursor::new(request, 1));
    if let Some(mark) = mark {
        if ctx.keyspace.changed_since(mark) {
            let rewrite: Vec<&[u8]> = request.iter().collect();
            ctx.propagate(&rewrite);
        }
    }
    result
}

/// GEODIST key member1 member2 [M | KM | FT | MI]
pub(crate) fn geodist(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let first = args.next_bytes()?;
    let second = args.next_bytes()?;
    let unit = match args.remaining() {
        0 => 1.0,
        1 => parse_unit(args.next_bytes()?)?,
        _ => return Err(SYNTAX.into()),
    };
    let now = ctx.now.wall;
    let Some(zset) = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    let (Some(first), Some(second)) = (zset.score(first), zset.score(second)) else {
        ctx.reply.null();
        return Ok(());
    };
    let (lon1, lat1) = geohash::decode_score(first);
    let (lon2, lat2) = geohash::decode_score(second);
    reply_distance(ctx.reply, geohash::distance(lon1, lat1, lon2, lat2) / unit);
    Ok(())
}

/// GEOHASH key [member ...]: each member's standard 11-character geohash, nil for a missing
/// one.
pub(crate) fn geohash(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    // Stored positions use a narrower latitude range than the standard geohash: decoded, then
    // encoded again over the standard one.
    let found = |reply: &mut Reply, score: f64| {
        let (longitude, latitude) = geohash::decode_score(score);
        reply.bulk(&geohash::standard_geohash(longitude, latitude));
    };
    per_member_score(ctx, args, found, |reply: &mut Reply| reply.null())
}

/// GEOPOS key [member ...]: each member's longitude and latitude, a null array for a missing
/// one.
pub(crate) fn geopos(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let found = |reply: &mut Reply, score: f64| {
        let (longitude, latitude) = geohash::decode_score(score);
        reply.array(2);
        reply.human_double(longitude);
        reply.human_double(latitude);
    };
    per_member_score(ctx, args, found, |reply: &mut Reply| reply.null_array())
}
