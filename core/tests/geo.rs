//! The GEO commands through the core: searches against a brute-force model (every member's
//! position read back with GEOPOS, its distance computed here), GEOADD's propagation as ZADD,
//! and the slow log keeping the command as sent.

mod common;

use common::{Client, Harness};
use ferrodis_core::Config;
use proptest::prelude::*;

const EARTH_RADIUS_METERS: f64 = 6372797.560856;

/// Haversine distance in metres, written independently of the server's.
fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

/// A RESP2 reply's bulk strings and integers, in order, flattened.
fn words(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if let Some(len) = line.strip_prefix('$') {
            if len != "-1" {
                out.push(lines.next().unwrap_or_default().to_string());
            }
        } else if let Some(value) = line.strip_prefix(':') {
            out.push(value.to_string());
        } else if line.starts_with('-') {
            panic!("error reply: {line}");
        }
    }
    out
}

/// Every member's position as GEOPOS reports it.
fn positions(client: &mut Client, count: usize) -> Vec<(String, f64, f64)> {
    let names: Vec<String> = (0..count).map(|index| format!("p{index}")).collect();
    let mut args = vec!["GEOPOS", "pts"];
    args.extend(names.iter().map(String::as_str));
    let reply = client.send(&args);
    let coordinates = words(reply.as_bytes());
    assert_eq!(coordinates.len(), 2 * count, "{reply}");
    names
        .into_iter()
        .zip(coordinates.chunks(2))
        .map(|(name, pair)| (name, pair[0].parse().unwrap(), pair[1].parse().unwrap()))
        .collect()
}

/// Whether `distance` is clearly on one side of `limit` (not within rounding of it).
fn clear_of(distance: f64, limit: f64) -> bool {
    (distance - limit).abs() > 1e-6 * limit.max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// GEOSEARCH BYRADIUS finds exactly the members within the radius, nearest first, with
    /// their distances; COUNT keeps the nearest.
    #[test]
    fn a_radius_search_finds_what_brute_force_finds(
        centre_lon in -170.0f64..170.0,
        centre_lat in -65.0f64..65.0,
        offsets in prop::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 1..40),
        radius_km in 0.0f64..400.0,
        count in 1usize..10,
    ) {
        let mut client = Client::new();
        let mut args: Vec<String> = vec!["GEOADD".into(), "pts".into()];
        for (index, (east, north)) in offsets.iter().enumerate() {
            args.push(format!("{}", centre_lon + east));
            args.push(format!("{}", centre_lat + north));
            args.push(format!("p{index}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        prop_assert_eq!(client.send(&args), format!(":{}\r\n", offsets.len()));
        let points = positions(&mut client, offsets.len());
        let (lon, lat) = (format!("{centre_lon}"), format!("{centre_lat}"));
        let radius = format!("{radius_km}");
        let reply = client.send(&[
            "GEOSEARCH", "pts", "FROMLONLAT", &lon, &lat, "BYRADIUS", &radius, "km", "WITHDIST", "ASC",
        ]);
        let found = words(reply.as_bytes());
        let found: Vec<(String, f64)> = found
            .chunks(2)
            .map(|pair| (pair[0].clone(), pair[1].parse().unwrap()))
            .collect();
        // Sorted nearest first.
        for pair in found.windows(2) {
            prop_assert!(pair[0].1 <= pair[1].1, "{:?}", found);
        }
        let limit = radius_km * 1000.0;
        for (name, point_lon, point_lat) in &points {
            let distance = haversine(centre_lon, centre_lat, *point_lon, *point_lat);
            let listed = found.iter().find(|(member, _)| member == name);
            if clear_of(distance, limit) {
                prop_assert_eq!(listed.is_some(), distance <= limit, "{} at {}", name, distance);
            }
            if let Some((_, reported)) = listed {
                prop_assert!((reported - distance / 1000.0).abs() < 1e-3, "{} {} {}", name, reported, distance);
            }
        }
        // COUNT: the nearest `count`, as distances (ties may list either member).
        let reply = client.send(&[
            "GEOSEARCH", "pts", "FROMLONLAT", &lon, &lat, "BYRADIUS", &radius, "km", "WITHDIST",
            "COUNT", &count.to_string(),
        ]);
        let nearest: Vec<String> = words(reply.as_bytes()).chunks(2).map(|pair| pair[1].clone()).collect();
        let expected: Vec<String> = found.iter().take(count).map(|(_, distance)| format!("{distance:.4}")).collect();
        prop_assert_eq!(nearest, expected);
    }

    /// GEOSEARCH BYBOX finds the members whose distance along the meridian is within half the
    /// height and along their parallel within half the width.
    #[test]
    fn a_box_search_finds_what_brute_force_finds(
        centre_lon in -170.0f64..170.0,
        centre_lat in -65.0f64..65.0,
        offsets in prop::collection::vec((-2.0f64..2.0, -2.0f64..2.0), 1..40),
        width_km in 0.0f64..400.0,
        height_km in 0.0f64..400.0,
    ) {
        let mut client = Client::new();
        let mut args: Vec<String> = vec!["GEOADD".into(), "pts".into()];
        for (index, (east, north)) in offsets.iter().enumerate() {
            args.push(format!("{}", centre_lon + east));
            args.push(format!("{}", centre_lat + north));
            args.push(format!("p{index}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        client.send(&args);
        let points = positions(&mut client, offsets.len());
        let (lon, lat) = (format!("{centre_lon}"), format!("{centre_lat}"));
        let (width, height) = (format!("{width_km}"), format!("{height_km}"));
        let reply = client.send(&[
            "GEOSEARCH", "pts", "FROMLONLAT", &lon, &lat, "BYBOX", &width, &height, "km",
        ]);
        let found = words(reply.as_bytes());
        for (name, point_lon, point_lat) in &points {
            let along = haversine(*point_lon, centre_lat, *point_lon, *point_lat);
            let across = haversine(centre_lon, *point_lat, *point_lon, *point_lat);
            let (half_height, half_width) = (height_km * 500.0, width_km * 500.0);
            if clear_of(along, half_height) && clear_of(across, half_width) {
                let inside = along <= half_height && across <= half_width;
                prop_assert_eq!(found.contains(name), inside, "{} {} {}", name, along, across);
            }
        }
    }
}

#[test]
fn geoadd_propagates_as_the_zadd_it_ran_and_only_when_it_changed_something() {
    let mut h = Harness::new(Config {
        slowlog_log_slower_than: 0,
        ..Config::default()
    });
    h.server.record_propagation(true);
    let id = h.open();
    assert_eq!(
        h.command(id, "GEOADD g CH 13.361389 38.115556 Palermo"),
        ":1\r\n"
    );
    // Nothing changes: nothing is propagated.
    assert_eq!(h.command(id, "GEOADD g nx 1 1 Palermo"), ":0\r\n");
    assert_eq!(
        h.command(id, "GEOADD g 13.361389 38.115556 Palermo"),
        ":0\r\n"
    );
    // An error changes nothing either.
    assert!(h
        .command(id, "GEOADD g 1 1 a 200 1 b")
        .starts_with("-ERR invalid"));
    let score = h.command(id, "ZSCORE g Palermo");
    let score = score.lines().nth(1).unwrap().to_string();
    let stream: Vec<String> = h
        .server
        .take_propagated()
        .iter()
        .map(|entry| {
            let args: Vec<String> = entry
                .args
                .iter()
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            args.join(" ")
        })
        .collect();
    assert_eq!(stream, [format!("zadd g CH {score} Palermo")]);
    // The slow log keeps the command as it was sent.
    let slowlog = h.command(id, "SLOWLOG GET 10");
    assert!(
        slowlog.contains("$6\r\nGEOADD\r\n$1\r\ng\r\n$2\r\nCH\r\n"),
        "{slowlog}"
    );
}

#[test]
fn a_store_that_finds_nothing_deletes_the_destination() {
    let mut client = Client::new();
    client.send(&["GEOADD", "g", "10", "10", "a", "10.001", "10", "b"]);
    client.send(&["SET", "dest", "x"]);
    assert_eq!(
        client.send(&["GEORADIUS", "g", "10", "10", "1", "km", "STOREDIST", "dest"]),
        ":2\r\n"
    );
    assert_eq!(client.send(&["TYPE", "dest"]), "+zset\r\n");
    let stored = words(
        client
            .send(&["ZRANGE", "dest", "0", "-1", "WITHSCORES"])
            .as_bytes(),
    );
    assert_eq!(stored[0], "a");
    assert!(stored[1].parse::<f64>().unwrap() < 0.001);
    assert_eq!(
        client.send(&[
            "GEOSEARCHSTORE",
            "dest",
            "g",
            "FROMLONLAT",
            "50",
            "50",
            "BYRADIUS",
            "1",
            "m"
        ]),
        ":0\r\n"
    );
    assert_eq!(client.send(&["EXISTS", "dest"]), ":0\r\n");
}
