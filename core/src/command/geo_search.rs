//! The GEO searches: GEORADIUS, GEORADIUSBYMEMBER (with STORE and STOREDIST), their _RO
//! forms, GEOSEARCH and GEOSEARCHSTORE. One parser reads all six in Redis's order (the key's
//! type first, then the centre and the shape, then the options), one search reads the cells
//! store/geohash.rs picks, and the result is replied or stored.

use super::args::is_option;
use super::geo::{parse_position, parse_size, parse_unit, reply_distance};
use super::zrange::store_result;
use super::zset::read_zset;
use super::{ArgCursor, CommandError, CommandResult, Ctx, NOT_INTEGER, SYNTAX};
use crate::store::geohash::{self, Extent, Shape};
use crate::store::zset::ZSet;
use crate::store::zset_value::ZSetRef;
use crate::util::number::parse_i64;

/// Which command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS key longitude latitude radius unit ...
    Radius { read_only: bool },
    /// GEORADIUSBYMEMBER key member radius unit ...
    ByMember { read_only: bool },
    /// GEOSEARCH key FROM... BY... ...
    Search,
    /// GEOSEARCHSTORE destination source FROM... BY... ...
    SearchStore,
}

impl Form {
    fn radius_stores(self) -> bool {
        matches!(
            self,
            Form::Radius { read_only: false } | Form::ByMember { read_only: false }
        )
    }

    fn searches(self) -> bool {
        matches!(self, Form::Search | Form::SearchStore)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Unsorted,
    Ascending,
    Descending,
}

/// One member found: where it is and how far from the centre (in metres).
struct Found {
    member: Vec<u8>,
    score: f64,
    distance: f64,
    longitude: f64,
    latitude: f64,
}

/// Where a GEOADD's position of a member is, for a search centred on it.
fn member_position(zset: ZSetRef<'_>, member: &[u8]) -> Result<(f64, f64), CommandError> {
    zset.score(member)
        .map(geohash::decode_score)
        .ok_or_else(|| "ERR could not decode requested zset member".into())
}

/// A radius and its unit: (radius, metres per unit).
fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<(Extent, f64), CommandError> {
    let radius = parse_size(radius, "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err("ERR radius cannot be negative".into());
    }
    Ok((Extent::Radius(radius), parse_unit(unit)?))
}

/// A box's width, height and unit.
fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(Extent, f64), CommandError> {
    let width = parse_size(width, "ERR need numeric width")?;
    let height = parse_size(height, "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err("ERR height or width cannot be negative".into());
    }
    Ok((Extent::Box { width, height }, parse_unit(unit)?))
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
pub(crate) fn georadius(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    search(ctx, args, Form::Radius { read_only: false })
}

/// GEORADIUS_RO: GEORADIUS without STORE.
pub(crate) fn georadius_ro(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    search(ctx, args, Form::Radius { read_only: true })
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
pub(crate) fn georadiusbymember(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    search(ctx, args, Form::ByMember { read_only: false })
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE.
pub(crate) fn georadiusbymember_ro(
    ctx: &mut Ctx<'_, '_>,
    args: &mut ArgCursor<'_>,
) -> CommandResult {
    search(ctx, args, Form::ByMember { read_only: true })
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
/// BYRADIUS radius unit | BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
/// [WITHCOORD] [WITHDIST] [WITHHASH]
pub(crate) fn geosearch(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    search(ctx, args, Form::Search)
}

/// GEOSEARCHSTORE destination source FROM... BY... [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
pub(crate) fn geosearchstore(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    search(ctx, args, Form::SearchStore)
}

/// What the options asked for.
struct Options<'a> {
    centre: Option<(f64, f64)>,
    /// FROMMEMBER was given (its member may not have been looked up: no key).
    from_member: bool,
    from_position: bool,
    extent: Option<(Extent, f64)>,
    with_distance: bool,
    with_hash: bool,
    with_coordinates: bool,
    any: bool,
    /// 0 for no COUNT.
    count: u64,
    order: Order,
    store: Option<&'a [u8]>,
    store_distance: bool,
}

fn search(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>, form: Form) -> CommandResult {
    let name = args.command_name();
    let destination = if form == Form::SearchStore {
        Some(args.next_bytes()?)
    } else {
        None
    };
    let key = args.next_bytes()?;
    let now = ctx.now.wall;
    let zset = read_zset(&mut ctx.keyspace.dbs[ctx.db], now, key)?;
    let mut options = Options {
        centre: None,
        from_member: false,
        from_position: false,
        extent: None,
        with_distance: false,
        with_hash: false,
        with_coordinates: false,
        any: false,
        count: 0,
        order: Order::Unsorted,
        store: destination,
        store_distance: false,
    };
    match form {
        Form::Radius { .. } => {
            options.centre = Some(parse_position(args.next_bytes()?, args.next_bytes()?)?);
            options.extent = Some(parse_radius(args.next_bytes()?, args.next_bytes()?)?);
        }
        Form::ByMember { .. } => {
            let member = args.next_bytes()?;
            let (radius, unit) = (args.next_bytes()?, args.next_bytes()?);
            // Without a key there is nothing to look up, and the radius goes unread.
            if let Some(zset) = zset {
                options.centre = Some(member_position(zset, member)?);
                options.extent = Some(parse_radius(radius, unit)?);
            }
        }
        Form::Search | Form::SearchStore => {}
    }
    parse_options(args, form, zset, &mut options)?;
    if options.store.is_some()
        && (options.with_distance || options.with_hash || options.with_coordinates)
    {
        let what = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CommandError::owned(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    if form.searches() && !(options.from_member || options.from_position) {
        return Err(CommandError::concat(&[
            b"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ",
            name,
        ]));
    }
    if form.searches() && options.extent.is_none() {
        return Err(CommandError::concat(&[
            b"ERR exactly one of BYRADIUS and BYBOX can be specified for ",
            name,
        ]));
    }
    if options.any && options.count == 0 {
        return Err("ERR the ANY argument requires COUNT argument".into());
    }
    let Some(zset) = zset else {
        match options.store {
            Some(store) => {
                store_result(ctx, store, ZSet::new(ctx.state.config.seed), event(form));
                ctx.reply.integer(0);
            }
            None => ctx.reply.array(0),
        }
        return Ok(());
    };
    let (Some((longitude, latitude)), Some((extent, unit_meters))) =
        (options.centre, options.extent)
    else {
        // Every path above that leaves a key to search sets both; refuse rather than guess.
        return Err(SYNTAX.into());
    };
    let shape = Shape {
        longitude,
        latitude,
        extent,
        unit_meters,
    };
    let limit = if options.any { options.count } else { 0 };
    let mut found = find(zset, &shape, limit);
    finish(ctx, &options, form, &mut found, unit_meters);
    Ok(())
}

/// The keyspace event of a store.
fn event(form: Form) -> &'static str {
    if form.searches() {
        "geosearchstore"
    } else {
        "georadiusstore"
    }
}

/// Reads the options after the fixed arguments, in Redis's order and with its errors.
fn parse_options<'a>(
    args: &mut ArgCursor<'a>,
    form: Form,
    zset: Option<ZSetRef<'_>>,
    options: &mut Options<'a>,
) -> CommandResult {
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        let left = args.remaining();
        if is_option(option, "WITHDIST") {
            options.with_distance = true;
        } else if is_option(option, "WITHHASH") {
            options.with_hash = true;
        } else if is_option(option, "WITHCOORD") {
            options.with_coordinates = true;
        } else if is_option(option, "ANY") {
            options.any = true;
        } else if is_option(option, "ASC") {
            options.order = Order::Ascending;
        } else if is_option(option, "DESC") {
            options.order = Order::Descending;
        } else if is_option(option, "COUNT") && left >= 1 {
            let count = parse_i64(args.next_bytes()?).ok_or(CommandError::from(NOT_INTEGER))?;
            if count <= 0 {
                return Err("ERR COUNT must be > 0".into());
            }
            options.count = count as u64;
        } else if is_option(option, "STORE") && left >= 1 && form.radius_stores() {
            options.store = Some(args.next_bytes()?);
            options.store_distance = false;
        } else if is_option(option, "STOREDIST") && left >= 1 && form.radius_stores() {
            options.store = Some(args.next_bytes()?);
            options.store_distance = true;
        } else if is_option(option, "STOREDIST") && form == Form::SearchStore {
            options.store_distance = true;
        } else if is_option(option, "FROMMEMBER")
            && left >= 1
            && form.searches()
            && !options.from_position
        {
            let member = args.next_bytes()?;
            if let Some(zset) = zset {
                options.centre = Some(member_position(zset, member)?);
            }
            options.from_member = true;
        } else if is_option(option, "FROMLONLAT")
            && left >= 2
            && form.searches()
            && !options.from_member
        {
            options.centre = Some(parse_position(args.next_bytes()?, args.next_bytes()?)?);
            options.from_position = true;
        } else if is_option(option, "BYRADIUS")
            && left >= 2
            && form.searches()
            && !matches!(options.extent, Some((Extent::Box { .. }, _)))
        {
            options.extent = Some(parse_radius(args.next_bytes()?, args.next_bytes()?)?);
        } else if is_option(option, "BYBOX")
            && left >= 3
            && form.searches()
            && !matches!(options.extent, Some((Extent::Radius(_), _)))
        {
            let (width, height) = (args.next_bytes()?, args.next_bytes()?);
            options.extent = Some(parse_box(width, height, args.next_bytes()?)?);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(())
}

/// The members inside `shape`, cell by cell in the order the cells are read, each cell's in
/// score order; with a `limit` (COUNT ... ANY), the search stops once that many are found.
fn find(zset: ZSetRef<'_>, shape: &Shape, limit: u64) -> Vec<Found> {
    let mut found = Vec::new();
    let cells = geohash::search_cells(shape);
    let mut last_read: Option<usize> = None;
    for (index, cell) in cells.iter().enumerate() {
        let Some(cell) = *cell else {
            continue;
        };
        // With a huge radius neighbours can be the same cell: one read only, compared with
        // the last cell read but the centre's (as Redis compares them).
        if let Some(last) = last_read.filter(|&last| last != 0) {
            if cells[last] == Some(cell) {
                continue;
            }
        }
        if limit != 0 && found.len() as u64 >= limit {
            break;
        }
        read_cell(zset, cell, shape, limit, &mut found);
        last_read = Some(index);
    }
    found
}

/// Adds the members of one cell that are inside the shape.
fn read_cell(
    zset: ZSetRef<'_>,
    cell: geohash::Cell,
    shape: &Shape,
    limit: u64,
    found: &mut Vec<Found>,
) {
    let (min, max) = geohash::score_range(cell);
    let (min, max) = (min as f64, max as f64);
    let mut pos = zset.seek(|item| {
        if item.score < min {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        }
    });
    while let Some(at) = pos {
        let item = zset.item(at);
        if item.score >= max {
            break;
        }
        let (longitude, latitude) = geohash::decode_score(item.score);
        if let Some(distance) = shape.contains(longitude, latitude) {
            found.push(Found {
                member: item.member.to_vec(),
                score: item.score,
                distance,
                longitude,
                latitude,
            });
            if limit != 0 && found.len() as u64 >= limit {
                break;
            }
        }
        pos = zset.next(at);
    }
}

/// Compares distances as Redis's sort does; a stable sort keeps equal ones in the order found,
/// as the C library's merge sort does when every result is returned. Under a COUNT smaller
/// than what was found, Redis's partial sort is not stable: members at the same distance may
/// come in another order there.
fn nearer(a: &Found, b: &Found) -> std::cmp::Ordering {
    a.distance
        .partial_cmp(&b.distance)
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Sorts, cuts to COUNT, and replies with the members found or stores them.
fn finish(
    ctx: &mut Ctx<'_, '_>,
    options: &Options<'_>,
    form: Form,
    found: &mut [Found],
    unit: f64,
) {
    let order = if options.count != 0 && options.order == Order::Unsorted && !options.any {
        // The nearest COUNT: sorted, nearest first.
        Order::Ascending
    } else {
        options.order
    };
    match order {
        Order::Unsorted => {}
        Order::Ascending => found.sort_by(nearer),
        Order::Descending => found.sort_by(|a, b| nearer(b, a)),
    }
    let returned = match options.count {
        0 => found.len(),
        count => found
            .len()
            .min(usize::try_from(count).unwrap_or(usize::MAX)),
    };
    let found = &found[..returned];
    if let Some(store) = options.store {
        let mut result = ZSet::new(ctx.state.config.seed);
        for item in found {
            let score = if options.store_distance {
                item.distance / unit
            } else {
                item.score
            };
            result.insert(&item.member, score);
        }
        store_result(ctx, store, result, event(form));
        ctx.reply.integer(returned as i64);
        return;
    }
    let extras = usize::from(options.with_distance)
        + usize::from(options.with_hash)
        + usize::from(options.with_coordinates);
    ctx.reply.array(returned);
    for item in found {
        if extras > 0 {
            ctx.reply.array(extras + 1);
        }
        ctx.reply.bulk(&item.member);
        if options.with_distance {
            reply_distance(ctx.reply, item.distance / unit);
        }
        if options.with_hash {
            ctx.reply.integer(item.score as i64);
        }
        if options.with_coordinates {
            ctx.reply.array(2);
            ctx.reply.human_double(item.longitude);
            ctx.reply.human_double(item.latitude);
        }
    }
}
