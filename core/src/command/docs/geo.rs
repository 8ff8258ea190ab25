//! COMMAND DOCS of the geospatial commands.

use super::{block, doc, double, integer, key, oneof, pure, string, Arg, Doc};

/// M | KM | FT | MI.
const UNITS: &[Arg] = &[
    pure("m", "M"),
    pure("km", "KM"),
    pure("ft", "FT"),
    pure("mi", "MI"),
];

const ORDER: &[Arg] = &[pure("asc", "ASC"), pure("desc", "DESC")];

const WITHCOORD: Arg = pure("withcoord", "WITHCOORD").optional();
const WITHDIST: Arg = pure("withdist", "WITHDIST").optional();
const WITHHASH: Arg = pure("withhash", "WITHHASH").optional();
const ORDER_OPTION: Arg = oneof("order", ORDER).optional();

/// GEORADIUS's COUNT block (its ANY came in 6.2.0).
const RADIUS_COUNT: Arg = block(
    "count",
    &[
        integer("count").token("COUNT"),
        pure("any", "ANY").since("6.2.0").optional(),
    ],
)
.optional();

/// The COUNT block of GEORADIUSBYMEMBER and GEOSEARCH, whose ANY has no version of its own.
const COUNT: Arg = block(
    "count",
    &[
        integer("count").token("COUNT"),
        pure("any", "ANY").optional(),
    ],
)
.optional();

/// GEOSEARCH's centre: a member or a longitude and latitude.
const FROM: Arg = oneof(
    "from",
    &[
        string("member").token("FROMMEMBER"),
        block(
            "longitude_latitude",
            &[double("longitude"), double("latitude")],
        )
        .token("FROMLONLAT"),
    ],
);

/// GEOSEARCH's shape: a circle or a box.
const BY: Arg = oneof(
    "by",
    &[
        block(
            "circle",
            &[double("radius").token("BYRADIUS"), oneof("unit", UNITS)],
        ),
        block(
            "box",
            &[
                double("width").token("BYBOX"),
                double("height"),
                oneof("unit", UNITS),
            ],
        ),
    ],
);

const RADIUS_COMPLEXITY: &str =
    "O(N+log(M)), N members in the cells around the circle, M members in the index";
const SEARCH_COMPLEXITY: &str =
    "O(N+log(M)), N members in the cells around the shape, M members in the index";

pub(super) static DOCS: &[Doc] = &[
    doc(
        "geoadd",
        "geo",
        "3.2.0",
        "Adds members at longitude and latitude positions to a geospatial sorted set",
        &[
            key("key", 0),
            oneof("condition", &[pure("nx", "NX"), pure("xx", "XX")])
                .since("6.2.0")
                .optional(),
            pure("change", "CH").since("6.2.0").optional(),
            block(
                "longitude_latitude_member",
                &[double("longitude"), double("latitude"), string("member")],
            )
            .multiple(),
        ],
    )
    .complexity("O(log(N)) per member, N the size of the set"),
    doc(
        "geodist",
        "geo",
        "3.2.0",
        "Measures the distance between two members of a geospatial index",
        &[
            key("key", 0),
            string("member1"),
            string("member2"),
            oneof("unit", UNITS).optional(),
        ],
    )
    .complexity("O(log(N))"),
    doc(
        "geohash",
        "geo",
        "3.2.0",
        "Gives the standard geohash string of each requested member's position",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(log(N)) per member, N the size of the set"),
    doc(
        "geopos",
        "geo",
        "3.2.0",
        "Gives the longitude and latitude of each requested member",
        &[key("key", 0), string("member").multiple()],
    )
    .complexity("O(N) for N members requested"),
    doc(
        "georadius",
        "geo",
        "3.2.0",
        "Finds members within a radius of a longitude and latitude, optionally storing them",
        &[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit", UNITS),
            WITHCOORD,
            WITHDIST,
            WITHHASH,
            RADIUS_COUNT,
            ORDER_OPTION,
            key("key", 1).token("STORE").optional(),
            key("key", 2).token("STOREDIST").optional(),
        ],
    )
    .complexity(RADIUS_COMPLEXITY)
    .deprecated("6.2.0"),
    doc(
        "georadius_ro",
        "geo",
        "3.2.10",
        "Finds members within a radius of a longitude and latitude, without storing",
        &[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit", UNITS),
            WITHCOORD,
            WITHDIST,
            WITHHASH,
            RADIUS_COUNT,
            ORDER_OPTION,
        ],
    )
    .complexity(RADIUS_COMPLEXITY)
    .deprecated("6.2.0"),
    doc(
        "georadiusbymember",
        "geo",
        "3.2.0",
        "Finds members within a radius of another member, optionally storing them",
        &[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit", UNITS),
            WITHCOORD,
            WITHDIST,
            WITHHASH,
            COUNT,
            ORDER_OPTION,
            key("key", 1).token("STORE").optional(),
            key("key", 2).token("STOREDIST").optional(),
        ],
    )
    .complexity(RADIUS_COMPLEXITY)
    .deprecated("6.2.0"),
    doc(
        "georadiusbymember_ro",
        "geo",
        "3.2.10",
        "Finds members within a radius of another member, without storing",
        &[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit", UNITS),
            WITHCOORD,
            WITHDIST,
            WITHHASH,
            COUNT,
            ORDER_OPTION,
        ],
    )
    .complexity(RADIUS_COMPLEXITY)
    .deprecated("6.2.0"),
    doc(
        "geosearch",
        "geo",
        "6.2.0",
        "Finds members inside a circle or a box around a member or a position",
        &[
            key("key", 0),
            FROM,
            BY,
            ORDER_OPTION,
            COUNT,
            WITHCOORD,
            WITHDIST,
            WITHHASH,
        ],
    )
    .complexity(SEARCH_COMPLEXITY),
    doc(
        "geosearchstore",
        "geo",
        "6.2.0",
        "Finds members inside a circle or a box and stores them under a destination key",
        &[
            key("destination", 0),
            key("source", 1),
            FROM,
            BY,
            ORDER_OPTION,
            COUNT,
            pure("storedist", "STOREDIST").optional(),
        ],
    )
    .complexity(SEARCH_COMPLEXITY),
];
