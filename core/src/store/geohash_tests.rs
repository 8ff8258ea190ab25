use super::*;
use proptest::prelude::*;

/// A geohash the textbook way: halve the range of each axis in turn, longitude first, one bit
/// per halving.
fn bisect(longitude: f64, latitude: f64, bits: usize) -> Vec<bool> {
    let (mut lon, mut lat) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut out = Vec::with_capacity(bits);
    for index in 0..bits {
        let (range, value) = if index % 2 == 0 {
            (&mut lon, longitude)
        } else {
            (&mut lat, latitude)
        };
        let middle = (range.0 + range.1) / 2.0;
        if value >= middle {
            out.push(true);
            range.0 = middle;
        } else {
            out.push(false);
            range.1 = middle;
        }
    }
    out
}

#[test]
fn interleaving_round_trips_and_puts_latitude_on_even_bits() {
    for (lat, lon) in [
        (0u32, 0u32),
        (1, 0),
        (0, 1),
        (0x3ff_ffff, 0x155_5555),
        (u32::MAX, 7),
    ] {
        let bits = interleave(lat, lon);
        assert_eq!(deinterleave(bits), (lat, lon));
    }
    assert_eq!(interleave(1, 0), 1);
    assert_eq!(interleave(0, 1), 2);
    assert_eq!(interleave(2, 0), 4);
}

#[test]
fn a_decoded_score_is_in_the_cell_of_the_point_it_came_from() {
    let cell_lon = 360.0 / (1u64 << STEP_MAX) as f64;
    let cell_lat = (LATITUDE_MAX - LATITUDE_MIN) / (1u64 << STEP_MAX) as f64;
    for (lon, lat) in [
        (13.361389, 38.115556),
        (-122.33207, 47.60621),
        (0.0, 0.0),
        (-180.0, -85.05112878),
        (179.9999, 85.05),
    ] {
        let score = score_of(lon, lat).expect("storable");
        assert!(score < 1 << 52);
        let (back_lon, back_lat) = decode_score(score as f64);
        assert!(
            (back_lon - lon).abs() <= cell_lon / 2.0 + 1e-12,
            "{lon}: {back_lon}"
        );
        assert!(
            (back_lat - lat).abs() <= cell_lat / 2.0 + 1e-12,
            "{lat}: {back_lat}"
        );
        assert_eq!(
            score_of(back_lon, back_lat),
            Some(score),
            "the centre is in the cell"
        );
    }
}

#[test]
fn points_outside_the_mercator_range_are_not_stored() {
    assert_eq!(score_of(180.1, 0.0), None);
    assert_eq!(score_of(0.0, 85.06), None);
    assert_eq!(score_of(f64::NAN, 0.0), None);
    assert_eq!(score_of(0.0, -f64::INFINITY), None);
    // The upper edges are storable, one cell number past the last.
    assert_eq!(score_of(180.0, 85.05112878), Some(3 << 52));
}

#[test]
fn scores_convert_to_bits_as_x86_truncation_does() {
    assert_eq!(score_bits(2.75), 2);
    assert_eq!(score_bits(-1.0), u64::MAX);
    assert_eq!(score_bits(f64::INFINITY), 0);
    assert_eq!(score_bits(1e30), 0);
    assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
    assert_eq!(
        score_bits(9_223_372_036_854_775_808.0 + 4096.0),
        (1 << 63) + 4096
    );
    // Any score reads as a position within the storable range.
    for score in [-1.0, 1e30, f64::INFINITY, f64::NEG_INFINITY, 4.5e15] {
        let (lon, lat) = decode_score(score);
        assert!(valid(lon, lat), "{score}: {lon},{lat}");
    }
}

#[test]
fn neighbours_touch_and_wrap_around_the_antimeridian() {
    let cell = encode(10.0, 20.0, 10).expect("storable");
    let area = decode(cell);
    let east = decode(neighbour(cell, 1, 0));
    let north = decode(neighbour(cell, 0, 1));
    let south_west = decode(neighbour(cell, -1, -1));
    assert_eq!(east.longitude.min, area.longitude.max);
    assert_eq!(east.latitude, area.latitude);
    assert_eq!(north.latitude.min, area.latitude.max);
    assert_eq!(south_west.longitude.max, area.longitude.min);
    assert_eq!(south_west.latitude.max, area.latitude.min);
    assert_eq!(neighbour(neighbour(cell, 1, -1), -1, 1), cell);
    let last = encode(179.99, 0.0, 5).expect("storable");
    let wrapped = decode(neighbour(last, 1, 0));
    assert_eq!(wrapped.longitude.min, -180.0);
}

#[test]
fn a_cell_is_one_score_range() {
    let cell = encode(2.35, 48.85, 9).expect("storable");
    let (min, max) = score_range(cell);
    assert_eq!(max - min, 1 << (52 - 18));
    for (lon, lat) in [(2.35, 48.85), (2.36, 48.86), (2.34, 48.84)] {
        let inside = encode(lon, lat, 9) == Some(cell);
        let score = score_of(lon, lat).expect("storable");
        assert_eq!(inside, (min..max).contains(&score), "{lon},{lat}");
    }
}

#[test]
fn distances_on_the_sphere() {
    let quarter = std::f64::consts::PI / 2.0 * EARTH_RADIUS_METERS;
    assert!((distance(0.0, 0.0, 90.0, 0.0) - quarter).abs() < 1e-6);
    assert!((distance(0.0, 0.0, 0.0, 90.0) - quarter).abs() < 1e-6);
    assert_eq!(distance(12.0, 34.0, 12.0, 34.0), 0.0);
    let there = distance(13.361389, 38.115556, 15.087269, 37.502669);
    let back = distance(15.087269, 37.502669, 13.361389, 38.115556);
    assert!((there - back).abs() < 1e-6);
    // One degree of latitude is the same everywhere on a sphere.
    let degree = EARTH_RADIUS_METERS * std::f64::consts::PI / 180.0;
    assert!((latitude_distance(10.0, 11.0) - degree).abs() < 1e-6);
}

#[test]
fn the_standard_geohash_is_the_textbook_one() {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    for (lon, lat) in [
        (13.361389, 38.115556),
        (-0.1278, 51.5074),
        (151.2093, -33.8688),
    ] {
        let bits = bisect(lon, lat, 50);
        let expected: Vec<u8> = bits
            .chunks(5)
            .map(|chunk| ALPHABET[chunk.iter().fold(0, |acc, &bit| acc * 2 + usize::from(bit))])
            .chain(std::iter::once(b'0'))
            .collect();
        assert_eq!(standard_geohash(lon, lat).to_vec(), expected, "{lon},{lat}");
    }
}

#[test]
fn smaller_radii_take_more_steps() {
    assert_eq!(estimate_steps(0.0, 0.0), STEP_MAX);
    let mut last = 0;
    for radius in [1e7, 1e6, 1e5, 1e4, 1e3, 100.0, 10.0, 1.0] {
        let steps = estimate_steps(radius, 0.0);
        assert!(steps >= last, "{radius}");
        last = steps;
        assert!(estimate_steps(radius, 70.0) <= steps);
        assert!(estimate_steps(radius, -85.0) <= estimate_steps(radius, 70.0));
    }
    assert_eq!(estimate_steps(f64::INFINITY, 0.0), 1);
    assert_eq!(estimate_steps(1e-300, 0.0), STEP_MAX);
}

proptest! {
    /// Every point within the radius lies in one of the cells the search reads (away from the
    /// poles, where cells stay wide enough).
    #[test]
    fn the_cells_cover_the_circle(
        lon in -179.0f64..179.0,
        lat in -60.0f64..60.0,
        radius in 1.0f64..500_000.0,
        bearing in 0.0f64..360.0,
        fraction in 0.0f64..1.0,
    ) {
        let shape = Shape { longitude: lon, latitude: lat, extent: Extent::Radius(radius), unit_meters: 1.0 };
        // A point `fraction` of the radius away, roughly toward `bearing`.
        let reach = radius * fraction / EARTH_RADIUS_METERS;
        let point_lat = lat + degrees(reach * radians(bearing).cos());
        let point_lon = lon + degrees(reach * radians(bearing).sin() / radians(lat).cos());
        prop_assume!(valid(point_lon, point_lat));
        let score = score_of(point_lon, point_lat).expect("storable");
        let (found_lon, found_lat) = decode_score(score as f64);
        prop_assume!(shape.contains(found_lon, found_lat).is_some());
        let covered = search_cells(&shape)
            .iter()
            .flatten()
            .any(|cell| {
                let (min, max) = score_range(*cell);
                (min..max).contains(&score)
            });
        prop_assert!(covered);
    }

    #[test]
    fn a_box_contains_what_lies_within_half_its_sides(
        lon in -170.0f64..170.0,
        lat in -60.0f64..60.0,
        width in 1.0f64..100_000.0,
        height in 1.0f64..100_000.0,
        east in -1.0f64..1.0,
        north in -1.0f64..1.0,
    ) {
        let shape = Shape { longitude: lon, latitude: lat, extent: Extent::Box { width, height }, unit_meters: 1.0 };
        let point_lat = lat + degrees(north * height / 2.0 / EARTH_RADIUS_METERS);
        let along = latitude_distance(lat, point_lat);
        let across = east * width / 2.0;
        let point_lon = lon + degrees(across / EARTH_RADIUS_METERS / radians(point_lat).cos());
        let inside = along <= height / 2.0
            && distance(point_lon, point_lat, lon, point_lat) <= width / 2.0;
        prop_assert_eq!(shape.contains(point_lon, point_lat).is_some(), inside);
    }
}
