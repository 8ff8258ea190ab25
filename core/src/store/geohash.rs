//! The geohash arithmetic behind the GEO commands, computed as Redis 7.0 computes it so that
//! scores, coordinates, distances and search results come out the same to the last bit.
//!
//! A position is a sorted set score: the longitude and the latitude are each cut into 2^26
//! equal steps (longitude over -180..180, latitude over -85.05112878..85.05112878, the range
//! of Web Mercator), and the two 26-bit cell numbers are interleaved into 52 bits, the
//! latitude's bits at the even positions and the longitude's at the odd ones. A score is then
//! read back as the centre of its cell. Cells of fewer steps are prefixes of these numbers, so
//! the members of one cell are one score range of the set.
//!
//! A search (GEORADIUS, GEOSEARCH) picks a cell size from the radius, takes the cell holding
//! the centre and its eight neighbours, drops the neighbours the shape cannot reach, and
//! filters the members of the remaining cells by their exact distance (haversine on a sphere
//! of radius 6372797.560856 m) or, for a box, by their distances along the meridian and the
//! parallel. Which cells are read and in what order decides the order of unsorted results,
//! so that is kept exactly too.

/// Steps per axis of a stored position (52 bits in all).
pub const STEP_MAX: u8 = 26;
pub const LONGITUDE_MIN: f64 = -180.0;
pub const LONGITUDE_MAX: f64 = 180.0;
pub const LATITUDE_MIN: f64 = -85.05112878;
pub const LATITUDE_MAX: f64 = 85.05112878;
/// The sphere distances are measured on, in metres.
pub const EARTH_RADIUS_METERS: f64 = 6372797.560856;
/// Half the Earth's circumference in Web Mercator metres: the step estimate's yardstick.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, as one constant computed once.
const DEGREES_TO_RADIANS: f64 = std::f64::consts::PI / 180.0;

/// One axis's range of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub min: f64,
    pub max: f64,
}

/// The ranges stored positions are encoded over.
const STORED: (Span, Span) = (
    Span {
        min: LONGITUDE_MIN,
        max: LONGITUDE_MAX,
    },
    Span {
        min: LATITUDE_MIN,
        max: LATITUDE_MAX,
    },
);

/// The ranges of the standard geohash (GEOHASH's strings).
const STANDARD: (Span, Span) = (
    Span {
        min: -180.0,
        max: 180.0,
    },
    Span {
        min: -90.0,
        max: 90.0,
    },
);

/// A cell: `step` bits of each axis, interleaved into `bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

/// A cell's extent in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub longitude: Span,
    pub latitude: Span,
}

/// Spreads the 32 bits of `value` to the even bit positions of a u64.
fn spread(value: u32) -> u64 {
    let mut x = u64::from(value);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `value` into a u32 (the inverse of `spread`).
fn gather(value: u64) -> u32 {
    let mut x = value & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// The latitude's cell number at the even bits, the longitude's at the odd ones.
pub fn interleave(latitude: u32, longitude: u32) -> u64 {
    spread(latitude) | (spread(longitude) << 1)
}

/// (latitude, longitude) cell numbers of interleaved bits.
pub fn deinterleave(bits: u64) -> (u32, u32) {
    (gather(bits), gather(bits >> 1))
}

/// Whether a longitude and latitude can be stored.
pub fn valid(longitude: f64, latitude: f64) -> bool {
    (LONGITUDE_MIN..=LONGITUDE_MAX).contains(&longitude)
        && (LATITUDE_MIN..=LATITUDE_MAX).contains(&latitude)
}

/// The cell of `step` steps per axis over `ranges` holding the point; None for a point that
/// cannot be stored or lies outside the ranges. A point on the upper edge of a range gets the
/// cell number 2^step, one past the last, as Redis computes it.
fn encode_over(ranges: (Span, Span), longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    let (lon, lat) = ranges;
    if step == 0 || step > 32 || !valid(longitude, latitude) {
        return None;
    }
    if latitude < lat.min || latitude > lat.max || longitude < lon.min || longitude > lon.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat.min) / (lat.max - lat.min) * scale;
    let lon_offset = (longitude - lon.min) / (lon.max - lon.min) * scale;
    // Truncation toward zero, as C's conversion to a 32-bit unsigned integer.
    Some(Cell {
        bits: interleave(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// The cell of a storable point at `step` steps per axis.
pub fn encode(longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    encode_over(STORED, longitude, latitude, step)
}

/// The score GEOADD stores for a storable point.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode(longitude, latitude, STEP_MAX).map(|cell| cell.bits)
}

/// A cell's extent over `ranges`. The upper edge is computed from the cell number plus one in
/// 32 bits (so the last possible number wraps to 0, as Redis's arithmetic does).
fn decode_over(ranges: (Span, Span), cell: Cell) -> Area {
    let (lon, lat) = ranges;
    let (lat_cell, lon_cell) = deinterleave(cell.bits);
    let scale = (1u64 << cell.step) as f64;
    let edge =
        |span: Span, number: u32| span.min + (f64::from(number) / scale) * (span.max - span.min);
    Area {
        longitude: Span {
            min: edge(lon, lon_cell),
            max: edge(lon, lon_cell.wrapping_add(1)),
        },
        latitude: Span {
            min: edge(lat, lat_cell),
            max: edge(lat, lat_cell.wrapping_add(1)),
        },
    }
}

/// A stored-range cell's extent.
pub fn decode(cell: Cell) -> Area {
    decode_over(STORED, cell)
}

/// The centre of an area, clamped to what can be stored: (longitude, latitude).
pub fn centre(area: &Area) -> (f64, f64) {
    let longitude =
        ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONGITUDE_MIN, LONGITUDE_MAX);
    let latitude =
        ((area.latitude.min + area.latitude.max) / 2.0).clamp(LATITUDE_MIN, LATITUDE_MAX);
    (longitude, latitude)
}

/// A score as the 64 bits Redis reads it as: C's conversion of a double to an unsigned 64-bit
/// integer as x86-64 performs it (truncation; negative values wrap; values out of range give
/// the "indefinite" pattern). Any score, not only GEOADD's, reads as some position.
pub fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // `cvttsd2si`: truncation, or i64::MIN for NaN and anything out of range.
    let truncate = |value: f64| -> u64 {
        if !(-TWO_63..TWO_63).contains(&value) {
            i64::MIN as u64
        } else {
            value as i64 as u64
        }
    };
    if score < TWO_63 {
        truncate(score)
    } else {
        truncate(score - TWO_63) ^ (1 << 63)
    }
}

/// The position a score stands for: (longitude, latitude).
pub fn decode_score(score: f64) -> (f64, f64) {
    centre(&decode(Cell {
        bits: score_bits(score),
        step: STEP_MAX,
    }))
}

/// The 11-character standard geohash of a position (its last character always `0`: only 52
/// bits are known).
pub fn standard_geohash(longitude: f64, latitude: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let bits = encode_over(STANDARD, longitude, latitude, STEP_MAX).map_or(0, |cell| cell.bits);
    let mut text = [b'0'; 11];
    for (index, byte) in text.iter_mut().take(10).enumerate() {
        let shift = 52 - (index + 1) * 5;
        *byte = ALPHABET[((bits >> shift) & 0x1f) as usize];
    }
    text
}

/// The neighbour `east` cells east (1, 0 or -1) and `north` cells north, wrapping around each
/// axis. Only a moved axis is reduced to the cell's steps; the other keeps its bits as they
/// are.
pub fn neighbour(cell: Cell, east: i8, north: i8) -> Cell {
    let mask = if cell.step >= 32 {
        u32::MAX
    } else {
        (1u32 << cell.step) - 1
    };
    let mut bits = cell.bits;
    if east != 0 {
        let (_, lon) = deinterleave(bits);
        let moved = lon.wrapping_add_signed(i32::from(east)) & mask;
        bits = (bits & 0x5555_5555_5555_5555) | (spread(moved) << 1);
    }
    if north != 0 {
        let (lat, _) = deinterleave(bits);
        let moved = lat.wrapping_add_signed(i32::from(north)) & mask;
        bits = (bits & 0xAAAA_AAAA_AAAA_AAAA) | spread(moved);
    }
    Cell {
        bits,
        step: cell.step,
    }
}

/// The scores a cell's members have: from the first (included) to the second (excluded).
pub fn score_range(cell: Cell) -> (u64, u64) {
    let shift = 52u32.saturating_sub(u32::from(cell.step) * 2);
    (
        cell.bits.wrapping_shl(shift),
        cell.bits.wrapping_add(1).wrapping_shl(shift),
    )
}

fn radians(degrees: f64) -> f64 {
    degrees * DEGREES_TO_RADIANS
}

fn degrees(radians: f64) -> f64 {
    radians / DEGREES_TO_RADIANS
}

/// Metres along a meridian between two latitudes.
pub fn latitude_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_METERS * (radians(lat2) - radians(lat1)).abs()
}

/// Great-circle distance in metres (haversine).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((radians(lon2) - radians(lon1)) / 2.0).sin();
    if v == 0.0 {
        // Same meridian: the distance along it, without the trigonometry.
        return latitude_distance(lat1, lat2);
    }
    let (lat1, lat2) = (radians(lat1), radians(lat2));
    let u = ((lat2 - lat1) / 2.0).sin();
    // Rounding can take `a` a hair past 1 for nearly opposite points, where asin has no value.
    let a = (u * u + lat1.cos() * lat2.cos() * v * v).min(1.0);
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

/// What a search covers: a circle or a box, its sizes in `unit_meters` units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search's shape: its centre, its extent and the size of its unit in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub longitude: f64,
    pub latitude: f64,
    pub extent: Extent,
    pub unit_meters: f64,
}

impl Shape {
    /// The distance in metres from the centre to the point, if the point is inside the shape.
    pub fn contains(&self, longitude: f64, latitude: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(radius) => {
                let found = distance(self.longitude, self.latitude, longitude, latitude);
                (found <= radius * self.unit_meters).then_some(found)
            }
            Extent::Box { width, height } => {
                let (width, height) = (width * self.unit_meters, height * self.unit_meters);
                if latitude_distance(latitude, self.latitude) > height / 2.0 {
                    return None;
                }
                if distance(longitude, latitude, self.longitude, latitude) > width / 2.0 {
                    return None;
                }
                Some(distance(self.longitude, self.latitude, longitude, latitude))
            }
        }
    }

    /// The bounding box in degrees: (min longitude, min latitude, max longitude, max latitude).
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let (half_width, half_height) = match self.extent {
            Extent::Radius(radius) => (radius, radius),
            Extent::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let width = self.unit_meters * half_width;
        let height = self.unit_meters * half_height;
        let lat_delta = degrees(height / EARTH_RADIUS_METERS);
        let lon_delta = |at: f64| degrees(width / EARTH_RADIUS_METERS / radians(at).cos());
        let top = lon_delta(self.latitude + lat_delta);
        let bottom = lon_delta(self.latitude - lat_delta);
        // The side nearer the pole is the wider one.
        let wider = if self.latitude < 0.0 { bottom } else { top };
        (
            self.longitude - wider,
            self.latitude - lat_delta,
            self.longitude + wider,
            self.latitude + lat_delta,
        )
    }

    /// The radius in metres the cell size is estimated from: the circle's, or the distance
    /// from a box's centre to its corners.
    fn reach_meters(&self) -> f64 {
        let reach = match self.extent {
            Extent::Radius(radius) => radius,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.unit_meters
    }
}

/// The steps per axis of cells big enough that a search of `range_meters` around a point at
/// `latitude` stays within a cell and its neighbours in most cases.
pub fn estimate_steps(range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    let mut range = range_meters;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge toward the poles: wider cells there.
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// The cells a search reads, in the order it reads them: the centre's, then north, south,
/// east, west, north-east, north-west, south-east and south-west; None for a neighbour the
/// shape cannot reach.
pub fn search_cells(shape: &Shape) -> [Option<Cell>; 9] {
    let (min_lon, min_lat, max_lon, max_lat) = shape.bounds();
    let mut step = estimate_steps(shape.reach_meters(), shape.latitude);
    let Some(mut centre_cell) = encode(shape.longitude, shape.latitude, step) else {
        return [None; 9];
    };
    // Cells too small to reach the box's edges from the centre's: one step bigger.
    let too_small = {
        let north = decode(neighbour(centre_cell, 0, 1));
        let south = decode(neighbour(centre_cell, 0, -1));
        let east = decode(neighbour(centre_cell, 1, 0));
        let west = decode(neighbour(centre_cell, -1, 0));
        north.latitude.max < max_lat
            || south.latitude.min > min_lat
            || east.longitude.max < max_lon
            || west.longitude.min > min_lon
    };
    if step > 1 && too_small {
        step -= 1;
        match encode(shape.longitude, shape.latitude, step) {
            Some(cell) => centre_cell = cell,
            None => return [None; 9],
        }
    }
    let area = decode(centre_cell);
    let mut cells = [
        (0, 0),
        (0, 1),
        (0, -1),
        (1, 0),
        (-1, 0),
        (1, 1),
        (-1, 1),
        (1, -1),
        (-1, -1),
    ]
    .map(|(east, north)| Some(neighbour(centre_cell, east, north)));
    if step >= 2 {
        // Indexes into `cells` of the neighbours on each side.
        const SOUTH: [usize; 3] = [2, 7, 8];
        const NORTH: [usize; 3] = [1, 5, 6];
        const WEST: [usize; 3] = [4, 6, 8];
        const EAST: [usize; 3] = [3, 5, 7];
        let sides = [
            (area.latitude.min < min_lat, SOUTH),
            (area.latitude.max > max_lat, NORTH),
            (area.longitude.min < min_lon, WEST),
            (area.longitude.max > max_lon, EAST),
        ];
        for (unneeded, side) in sides {
            if unneeded {
                for index in side {
                    cells[index] = None;
                }
            }
        }
    }
    cells
}

#[cfg(test)]
#[path = "geohash_tests.rs"]
mod tests;
