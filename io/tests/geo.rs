//! The GEO commands against a real `redis-server` (7.0.x): the same commands go to both and
//! the raw replies must be identical, in RESP2 and in RESP3. Fixed cases cover every command,
//! option and error; seeded random ones put clusters of points anywhere on the map (poles and
//! antimeridian included) and search them with every form and option, then compare the
//! stored results and every key. The append-only files both servers write for the same
//! commands must be identical too (GEOADD is written as the ZADD it ran).
//!
//! One known difference is avoided, not compared: when COUNT cuts a result between members at
//! exactly the same distance, Redis's partial sort may list the tied members in another order
//! than ours. The random points never share a position, so no two distances tie.

mod common;
#[allow(dead_code)]
#[path = "differential/reply.rs"]
mod reply;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{encode, read_reply, scratch_dir, start_ferrodis, start_redis, ServerProcess};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use reply::{show, show_command};

struct Pair {
    _servers: (ServerProcess, ServerProcess),
    ferrodis: TcpStream,
    redis: TcpStream,
}

impl Pair {
    fn start() -> Pair {
        let redis = start_redis(&[]);
        let ferrodis = start_ferrodis(&[]);
        Pair {
            ferrodis: ferrodis.connect(),
            redis: redis.connect(),
            _servers: (ferrodis, redis),
        }
    }

    /// Sends `args` to both and requires identical replies; returns Redis's.
    fn same(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
        let request = encode(&args);
        self.ferrodis.write_all(&request).unwrap();
        self.redis.write_all(&request).unwrap();
        let ours = read_reply(&mut self.ferrodis);
        let theirs = read_reply(&mut self.redis);
        let owned: Vec<Vec<u8>> = args.iter().map(|arg| arg.to_vec()).collect();
        assert_eq!(
            ours,
            theirs,
            "{}\n  ferrodis: {}\n  redis:    {}",
            show_command(&owned),
            show(&ours),
            show(&theirs)
        );
        theirs
    }

    fn hello(&mut self, protocol: &str) {
        for stream in [&mut self.ferrodis, &mut self.redis] {
            stream
                .write_all(&encode(&[b"HELLO", protocol.as_bytes()]))
                .unwrap();
            read_reply(stream);
        }
    }
}

/// Every command and option, with the errors in Redis's order, replied alike.
const FIXED: &[&[&str]] = &[
    &[
        "GEOADD",
        "Sicily",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ],
    &[
        "GEOADD",
        "Sicily",
        "ch",
        "13.361389",
        "38.115556",
        "Palermo",
        "13.5",
        "38",
        "Other",
    ],
    &[
        "GEOADD", "Sicily", "XX", "CH", "13.4", "38", "Other", "1", "1", "Nowhere",
    ],
    &[
        "GEOADD", "Sicily", "NX", "13.3", "38", "Other", "12.9", "38.2", "Trapani",
    ],
    &["GEOADD", "Sicily", "nx", "xx", "1", "1", "a"],
    &["GEOADD", "Sicily", "GT", "1", "1"],
    &["GEOADD", "Sicily", "1", "1"],
    &["GEOADD", "Sicily", "ch", "ch", "ch"],
    &["GEOADD", "Sicily", "abc", "1", "a"],
    &["GEOADD", "Sicily", "1", "nan", "a"],
    &["GEOADD", "Sicily", "200", "100", "a"],
    &["GEOADD", "Sicily", "-180.0000001", "0", "a"],
    &["GEOADD", "Sicily", "inf", "1", "a"],
    &["GEOADD", "Sicily", "1", "-85.06", "a"],
    &["GEOADD", "Sicily", "1e300", "1", "a"],
    &["GEOADD", "Sicily", "1", "1", "ok", "1", "99", "bad"],
    &[
        "GEOADD",
        "edges",
        "180",
        "85.05112878",
        "ne",
        "-180",
        "-85.05112878",
        "sw",
        "-0",
        "-0",
        "zero",
    ],
    &["GEOADD", "edges", "0x1p3", "1e1", "hex"],
    &["ZRANGE", "edges", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    &["GEOPOS", "edges", "ne", "sw", "zero", "hex", "missing"],
    &["GEOPOS", "edges"],
    &["GEOPOS", "nokey", "a", "b"],
    &["GEOHASH", "Sicily", "Palermo", "Catania", "missing"],
    &["GEOHASH", "edges", "ne", "sw", "zero"],
    &["GEOHASH", "nokey", "a"],
    &["GEOHASH", "edges"],
    &["GEODIST", "Sicily", "Palermo", "Catania"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "km"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "Ft"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "m"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "yards"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"],
    &["GEODIST", "Sicily", "Palermo", "missing"],
    &["GEODIST", "nokey", "a", "b"],
    &["GEODIST", "Sicily", "Palermo", "Palermo"],
    &["GEODIST", "edges", "ne", "sw"],
    // Scores GEOADD did not write read as some position all the same.
    &[
        "ZADD", "odd", "-1", "neg", "1e30", "huge", "inf", "pinf", "-inf", "ninf", "2.5", "frac",
    ],
    &[
        "ZADD",
        "odd",
        "4503599627370496",
        "top",
        "9007199254740992",
        "big",
        "0",
        "origin",
    ],
    &[
        "GEOPOS", "odd", "neg", "huge", "pinf", "ninf", "frac", "top", "big", "origin",
    ],
    &[
        "GEOHASH", "odd", "neg", "huge", "pinf", "ninf", "frac", "top", "big", "origin",
    ],
    &["GEODIST", "odd", "neg", "frac", "km"],
    &[
        "GEORADIUS",
        "odd",
        "0",
        "0",
        "50000",
        "km",
        "WITHHASH",
        "WITHCOORD",
        "WITHDIST",
    ],
    &[
        "GEOSEARCH",
        "odd",
        "FROMLONLAT",
        "-180",
        "-85",
        "BYBOX",
        "100",
        "100",
        "km",
        "WITHHASH",
    ],
    &[
        "GEOSEARCH",
        "odd",
        "FROMMEMBER",
        "neg",
        "BYRADIUS",
        "100",
        "km",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHDIST",
        "WITHCOORD",
        "WITHHASH",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "withhash",
        "withdist",
        "ASC",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "DESC",
        "WITHCOORD",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "2",
        "DESC",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "1",
        "ANY",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "1",
        "ANY",
        "DESC",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "ASC",
        "DESC",
        "ASC",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "9223372036854775807",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "1", "m"],
    &["GEORADIUS", "Sicily", "15", "37", "0", "m"],
    &["GEORADIUS", "Sicily", "15", "37", "inf", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "1e308", "mi"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "KM"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "yd"],
    &["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "nan", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "abc", "km"],
    &["GEORADIUS", "Sicily", "15", "91", "200", "km"],
    &["GEORADIUS", "Sicily", "x", "37", "200", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "-3",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "abc",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "BYBOX",
        "1",
        "1",
        "km",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHDIST",
        "STORE",
        "dest",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dest",
    ],
    &["ZRANGE", "dest", "0", "-1", "WITHSCORES"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STOREDIST",
        "dest",
        "COUNT",
        "1",
    ],
    &["ZRANGE", "dest", "0", "-1", "WITHSCORES"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "mi",
        "STORE",
        "x",
        "STOREDIST",
        "dest2",
    ],
    &["ZRANGE", "dest2", "0", "-1", "WITHSCORES"],
    &["EXISTS", "x"],
    &["SET", "dest3", "string"],
    &["EXPIRE", "dest3", "1000"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dest3",
    ],
    &["TTL", "dest3"],
    &["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dest3"],
    &["EXISTS", "dest3"],
    &["GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "dest"],
    &["EXISTS", "dest"],
    &["GEORADIUS", "nokey", "0", "0", "1", "km"],
    &["GEORADIUS", "nokey", "0", "100", "1", "km"],
    &["GEORADIUS", "nokey", "0", "0", "1", "km", "FOO"],
    &[
        "GEORADIUS_RO",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHDIST",
        "ASC",
    ],
    &[
        "GEORADIUS_RO",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dest",
    ],
    &[
        "GEORADIUS_RO",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STOREDIST",
        "dest",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "WITHDIST",
        "WITHCOORD",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "COUNT",
        "2",
        "DESC",
        "WITHHASH",
    ],
    &["GEORADIUSBYMEMBER", "Sicily", "missing", "200", "km"],
    &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "abc", "km"],
    &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "parsecs"],
    &["GEORADIUSBYMEMBER", "nokey", "Palermo", "abc", "parsecs"],
    &[
        "GEORADIUSBYMEMBER",
        "nokey",
        "Palermo",
        "abc",
        "parsecs",
        "STORE",
        "dest",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "nokey",
        "Palermo",
        "1",
        "km",
        "COUNT",
        "0",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "STORE",
        "bymember",
    ],
    &["ZRANGE", "bymember", "0", "-1", "WITHSCORES"],
    &[
        "GEORADIUSBYMEMBER_RO",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "WITHDIST",
    ],
    &[
        "GEORADIUSBYMEMBER_RO",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "STORE",
        "x",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
        "ASC",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "400",
        "400",
        "km",
        "WITHDIST",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "400",
        "40",
        "km",
        "WITHCOORD",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "0",
        "0",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "inf",
        "inf",
        "km",
        "DESC",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
        "COUNT",
        "1",
        "ANY",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "FROMLONLAT",
        "16",
        "37",
        "BYRADIUS",
        "200",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "BYRADIUS",
        "200",
        "km",
        "FROMMEMBER",
        "Catania",
        "BYRADIUS",
        "100",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
        "BYBOX",
        "1",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "1",
        "1",
        "km",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "missing",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "nokey",
        "FROMMEMBER",
        "missing",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "nokey",
        "FROMLONLAT",
        "500",
        "1",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "ASC",
        "COUNT",
        "1",
    ],
    &[
        "geosearch",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "ASC",
        "COUNT",
        "1",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "BYRADIUS",
        "1",
        "km",
        "ASC",
        "WITHDIST",
    ],
    &[
        "GeoSearch",
        "Sicily",
        "BYRADIUS",
        "1",
        "km",
        "ASC",
        "WITHDIST",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "1",
        "-1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "a",
        "1",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "1",
        "a",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "1",
        "1",
        "au",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "1",
        "1",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
        "STORE",
        "x",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
        "STOREDIST",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
        "ANY",
    ],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
    ],
    &["ZRANGE", "gs", "0", "-1", "WITHSCORES"],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
        "STOREDIST",
        "COUNT",
        "2",
        "DESC",
    ],
    &["ZRANGE", "gs", "0", "-1", "WITHSCORES"],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "300",
        "300",
        "mi",
        "storedist",
    ],
    &["ZRANGE", "gs", "0", "-1", "WITHSCORES"],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
        "WITHDIST",
    ],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
        "STORE",
        "x",
    ],
    &["GEOSEARCHSTORE", "gs", "Sicily", "BYRADIUS", "200", "km"],
    &[
        "GEOSEARCHSTORE",
        "gs",
        "nokey",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
    ],
    &["EXISTS", "gs"],
    &[
        "GEOSEARCHSTORE",
        "Sicily",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "km",
    ],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    // Wrong types: the key's type is checked before anything else.
    &["SET", "str", "v"],
    &["GEOADD", "str", "1", "1", "a"],
    &["GEOADD", "str", "1", "100", "a"],
    &["GEOPOS", "str", "a"],
    &["GEOHASH", "str", "a"],
    &["GEODIST", "str", "a", "b"],
    &["GEODIST", "str", "a", "b", "yd"],
    &["GEORADIUS", "str", "1000", "0", "1", "km"],
    &["GEORADIUSBYMEMBER", "str", "a", "x", "km"],
    &["GEOSEARCH", "str", "FROMMEMBER", "a"],
    &[
        "GEOSEARCHSTORE",
        "d",
        "str",
        "FROMMEMBER",
        "a",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "GEOSEARCHSTORE",
        "str",
        "edges",
        "FROMMEMBER",
        "zero",
        "BYRADIUS",
        "1",
        "km",
    ],
    &["TYPE", "str"],
    // Arity.
    &["GEOADD", "k", "1", "1"],
    &["GEODIST", "k", "a"],
    &["GEOHASH"],
    &["GEOPOS"],
    &["GEORADIUS", "k", "1", "1", "1"],
    &["GEORADIUSBYMEMBER", "k", "m", "1"],
    &["GEOSEARCH", "k", "FROMMEMBER", "m", "BYRADIUS", "1"],
    &[
        "GEOSEARCHSTORE",
        "d",
        "k",
        "FROMMEMBER",
        "m",
        "BYRADIUS",
        "1",
    ],
    // Inside a transaction.
    &["MULTI"],
    &["GEOADD", "t", "1", "1", "a", "1.0001", "1", "b"],
    &["GEORADIUS", "t", "1", "1", "100", "km", "WITHDIST"],
    &["GEOADD", "t", "1", "100", "c"],
    &["EXEC"],
    // The table's view of the commands.
    &[
        "COMMAND",
        "INFO",
        "geoadd",
        "geodist",
        "geohash",
        "geopos",
        "georadius",
        "georadius_ro",
    ],
    &[
        "COMMAND",
        "INFO",
        "georadiusbymember",
        "georadiusbymember_ro",
        "geosearch",
        "geosearchstore",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEORADIUS",
        "k",
        "1",
        "2",
        "3",
        "km",
        "STORE",
        "d",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEORADIUS",
        "k",
        "1",
        "2",
        "3",
        "km",
        "store",
        "d",
        "storedist",
        "e",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEORADIUSBYMEMBER",
        "k",
        "m",
        "3",
        "km",
        "STOREDIST",
        "d",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEOSEARCHSTORE",
        "d",
        "s",
        "FROMMEMBER",
        "m",
        "BYRADIUS",
        "1",
        "km",
    ],
    &[
        "COMMAND",
        "GETKEYSANDFLAGS",
        "GEORADIUS",
        "k",
        "1",
        "2",
        "3",
        "km",
        "STOREDIST",
        "d",
        "STORE",
        "e",
    ],
    &[
        "COMMAND",
        "GETKEYSANDFLAGS",
        "GEORADIUSBYMEMBER",
        "k",
        "STORE",
        "3",
        "km",
        "STORE",
        "x",
    ],
    &["COMMAND", "GETKEYSANDFLAGS", "GEOADD", "k", "1", "2", "m"],
];

#[test]
fn every_command_option_and_error_matches_redis() {
    let mut pair = Pair::start();
    for protocol in ["2", "3"] {
        pair.hello(protocol);
        pair.same(&["FLUSHALL"]);
        for args in FIXED {
            pair.same(args);
        }
    }
}

/// A dumped geo set restores on the other server and reads the same positions.
#[test]
fn dump_payloads_carry_geo_sets_both_ways() {
    let mut pair = Pair::start();
    pair.same(&[
        "GEOADD", "g", "2.35", "48.85", "Paris", "-0.13", "51.51", "London",
    ]);
    for (from_redis, key) in [(true, "r"), (false, "f")] {
        let dump: Vec<&[u8]> = vec![b"DUMP", b"g"];
        let payload = if from_redis {
            pair.redis.write_all(&encode(&dump)).unwrap();
            read_reply(&mut pair.redis)
        } else {
            pair.ferrodis.write_all(&encode(&dump)).unwrap();
            read_reply(&mut pair.ferrodis)
        };
        let bulk = reply::Parser {
            bytes: &payload,
            at: 0,
        }
        .bulk()
        .expect("DUMP gives a bulk string");
        let restore: Vec<&[u8]> = vec![b"RESTORE", key.as_bytes(), b"0", &bulk];
        for stream in [&mut pair.ferrodis, &mut pair.redis] {
            stream.write_all(&encode(&restore)).unwrap();
            assert_eq!(read_reply(stream), b"+OK\r\n");
        }
        pair.same(&["GEOPOS", key, "Paris", "London"]);
        pair.same(&["GEODIST", key, "Paris", "London", "km"]);
    }
}

/// Points in clusters anywhere (near the poles and the antimeridian too), no two at the same
/// position; searches of every form with random options and sizes.
#[test]
fn random_searches_match_redis() {
    let mut pair = Pair::start();
    let seeds = std::env::var("FERRODIS_GEO_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(12u64);
    for seed in 0..seeds {
        let mut rng = Pcg64::seed_from_u64(seed);
        pair.hello(if seed % 2 == 0 { "2" } else { "3" });
        pair.same(&["FLUSHALL"]);
        let centre_lon: f64 = match rng.random_range(0..4) {
            0 => rng.random_range(179.0..180.0),
            1 => rng.random_range(-180.0..-179.0),
            _ => rng.random_range(-180.0..180.0),
        };
        let centre_lat: f64 = match rng.random_range(0..4) {
            0 => rng.random_range(75.0..85.0),
            1 => rng.random_range(-85.0..-60.0),
            _ => rng.random_range(-60.0..60.0),
        };
        let spread: f64 = [0.01, 0.1, 1.0, 10.0, 60.0][rng.random_range(0..5)];
        let count = rng.random_range(1..120);
        let mut names = Vec::new();
        for index in 0..count {
            let lon = wrap_longitude(centre_lon + rng.random_range(-spread..spread));
            let lat = reflect_latitude(centre_lat + rng.random_range(-spread..spread));
            let name = format!("p{index}");
            pair.same(&["GEOADD", "pts", &format!("{lon}"), &format!("{lat}"), &name]);
            names.push(name);
        }
        for _ in 0..60 {
            let args = random_search(&mut rng, centre_lon, centre_lat, spread, count);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            pair.same(&args);
            if args[0].ends_with("STORE") || args.contains(&"STORE") || args.contains(&"STOREDIST")
            {
                pair.same(&["ZRANGE", "dest", "0", "-1", "WITHSCORES"]);
            }
        }
        for name in names.iter().take(5) {
            pair.same(&["GEODIST", "pts", "p0", name, "km"]);
            pair.same(&["GEOPOS", "pts", name]);
            pair.same(&["GEOHASH", "pts", name]);
        }
        pair.same(&["ZRANGE", "pts", "0", "-1", "WITHSCORES"]);
    }
}

/// A longitude past the antimeridian, brought back from the other side (clamping would put
/// points at the same position).
fn wrap_longitude(longitude: f64) -> f64 {
    if longitude > 180.0 {
        longitude - 360.0
    } else if longitude < -180.0 {
        longitude + 360.0
    } else {
        longitude
    }
}

/// A latitude past 85 degrees, mirrored back inside.
fn reflect_latitude(latitude: f64) -> f64 {
    if latitude > 85.0 {
        170.0 - latitude
    } else if latitude < -85.0 {
        -170.0 - latitude
    } else {
        latitude
    }
}

fn random_search(
    rng: &mut Pcg64,
    centre_lon: f64,
    centre_lat: f64,
    spread: f64,
    count: usize,
) -> Vec<String> {
    let units = [("m", 1.0), ("km", 1000.0), ("mi", 1609.34), ("ft", 0.3048)];
    let (unit, meters) = units[rng.random_range(0..units.len())];
    let reach = spread * 111_000.0 * rng.random_range(0.0..2.0) / meters;
    let size = format!("{reach}");
    let lon = (centre_lon + rng.random_range(-spread..spread)).clamp(-180.0, 180.0);
    let lat = (centre_lat + rng.random_range(-spread..spread)).clamp(-85.0, 85.0);
    let (lon, lat) = (format!("{lon}"), format!("{lat}"));
    let member = format!("p{}", rng.random_range(0..count));
    let form = rng.random_range(0..7);
    let mut args: Vec<String> = match form {
        0 => vec!["GEORADIUS", "pts", &lon, &lat, &size, unit],
        1 => vec!["GEORADIUS_RO", "pts", &lon, &lat, &size, unit],
        2 => vec!["GEORADIUSBYMEMBER", "pts", &member, &size, unit],
        3 => vec!["GEORADIUSBYMEMBER_RO", "pts", &member, &size, unit],
        4 | 5 => vec!["GEOSEARCH", "pts"],
        _ => vec!["GEOSEARCHSTORE", "dest", "pts"],
    }
    .into_iter()
    .map(String::from)
    .collect();
    let stores = form == 6 || (form % 2 == 0 && form < 4 && rng.random_ratio(1, 3));
    if form >= 4 {
        if rng.random_ratio(1, 2) {
            args.extend(["FROMMEMBER".to_string(), member]);
        } else {
            args.extend(["FROMLONLAT".to_string(), lon, lat]);
        }
        if rng.random_ratio(1, 2) {
            args.extend(["BYRADIUS".to_string(), size, unit.to_string()]);
        } else {
            let height = format!("{}", reach * rng.random_range(0.0..3.0));
            args.extend(["BYBOX".to_string(), size, height, unit.to_string()]);
        }
    }
    if !stores {
        for option in ["WITHDIST", "WITHHASH", "WITHCOORD"] {
            if rng.random_ratio(1, 3) {
                args.push(option.to_string());
            }
        }
    }
    match rng.random_range(0..3) {
        0 => args.push("ASC".to_string()),
        1 => args.push("DESC".to_string()),
        _ => {}
    }
    if rng.random_ratio(1, 3) {
        args.extend(["COUNT".to_string(), rng.random_range(1..12).to_string()]);
        if rng.random_ratio(1, 3) {
            args.push("ANY".to_string());
        }
    }
    if stores {
        if form == 6 {
            if rng.random_ratio(1, 2) {
                args.push("STOREDIST".to_string());
            }
        } else {
            let store = if rng.random_ratio(1, 2) {
                "STORE"
            } else {
                "STOREDIST"
            };
            args.extend([store.to_string(), "dest".to_string()]);
        }
    }
    args
}

/// The incremental append-only file after the same commands: Redis's bytes. GEOADD is written
/// as the ZADD it ran (only when it changed something), the stores as sent.
#[test]
fn the_append_only_file_gets_what_redis_writes() {
    let redis_dir = scratch_dir();
    let redis = start_redis(&["--dir", redis_dir.to_str().unwrap(), "--appendonly", "yes"]);
    let ferrodis = start_ferrodis(&["--appendonly", "yes"]);
    let ferrodis_dir = ferrodis
        .dir
        .clone()
        .expect("ferrodis runs in a directory of its own");
    let mut pair = Pair {
        ferrodis: ferrodis.connect(),
        redis: redis.connect(),
        _servers: (ferrodis, redis),
    };
    // Both write their base first; wait for the rewrite to end.
    for _ in 0..2 {
        let started = Instant::now();
        loop {
            let info = pair.same(&["PING"]);
            assert_eq!(info, b"+PONG\r\n");
            let incr = |dir: &std::path::Path| dir.join("appendonlydir/appendonly.aof.1.incr.aof");
            if incr(&redis_dir).exists() && incr(&ferrodis_dir).exists() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no incremental files"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    for args in [
        &[
            "GEOADD",
            "g",
            "CH",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ][..],
        &["GEOADD", "g", "nx", "1", "1", "Palermo"],
        &[
            "GEOADD",
            "g",
            "xx",
            "ch",
            "13.361389",
            "38.115556",
            "Palermo",
        ],
        &["GEOADD", "g", "XX", "1", "1", "Catania", "2", "2", "New"],
        &["GEORADIUS", "g", "1", "1", "100", "km", "STORE", "near"],
        &["GEORADIUS", "g", "1", "1", "1", "m", "STORE", "nothing"],
        &[
            "GEOSEARCHSTORE",
            "near",
            "g",
            "FROMMEMBER",
            "Catania",
            "BYRADIUS",
            "1",
            "m",
            "STOREDIST",
        ],
        &[
            "GEOSEARCHSTORE",
            "near",
            "g",
            "FROMLONLAT",
            "50",
            "50",
            "BYRADIUS",
            "1",
            "m",
        ],
        &[
            "GEORADIUSBYMEMBER",
            "g",
            "Catania",
            "1000",
            "km",
            "STOREDIST",
            "far",
        ],
    ] {
        pair.same(args);
    }
    let incr = |dir: &std::path::Path| {
        std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap()
    };
    let (ours, theirs) = (incr(&ferrodis_dir), incr(&redis_dir));
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
    let _ = std::fs::remove_dir_all(&redis_dir);
}
