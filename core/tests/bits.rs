//! The bit commands against a plain model (`fuzz/src/checks/bitfield.rs`: a vector of bits and
//! wide-integer field arithmetic), on random sequences; and what the model does not cover:
//! Redis's error texts, the bounds on offsets, WATCH and propagation seeing only real changes.

#[path = "../../fuzz/src/checks/mod.rs"]
#[allow(dead_code)]
mod checks;
mod common;

use checks::bitfield::{check, Action, Field, Op, Overflow};
use common::Client;
use proptest::prelude::*;

fn overflow() -> impl Strategy<Value = Option<Overflow>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Overflow::Wrap)),
        1 => Just(Some(Overflow::Sat)),
        1 => Just(Some(Overflow::Fail)),
    ]
}

/// Mostly numbers near the edges of some width: where overflow happens.
fn number() -> impl Strategy<Value = i64> {
    prop_oneof![
        -300i64..300,
        (0u32..64, -2i64..=2).prop_map(|(shift, delta)| (1i64 << shift).wrapping_add(delta)),
        (0u32..64, -2i64..=2)
            .prop_map(|(shift, delta)| (1i64 << shift).wrapping_neg().wrapping_add(delta)),
        Just(i64::MAX),
        Just(i64::MIN),
        any::<i64>(),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    let action = prop_oneof![
        Just(Action::Get),
        number().prop_map(Action::Set),
        number().prop_map(Action::IncrBy),
    ];
    (
        any::<bool>(),
        1u32..=64,
        action,
        0u32..200,
        any::<bool>(),
        overflow(),
    )
        .prop_map(|(signed, width, action, offset, indexed, overflow)| Field {
            action,
            signed,
            width: if signed { width } else { width.min(63) },
            offset: if indexed { offset % 5 } else { offset },
            indexed,
            overflow,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let index = -40i64..40;
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..10).prop_map(Op::Set),
        1 => (-99_999i64..99_999).prop_map(|number| Op::Set(number.to_string().into_bytes())),
        1 => Just(Op::Del),
        1 => (0u32..200, any::<bool>()).prop_map(|(offset, on)| Op::SetBit { offset, on }),
        1 => (0u32..220).prop_map(|offset| Op::GetBit { offset }),
        1 => proptest::option::of((index.clone(), index.clone(), any::<bool>()))
            .prop_map(|range| Op::BitCount { range }),
        1 => (
            any::<bool>(),
            proptest::option::of((index.clone(), proptest::option::of((index, any::<bool>()))))
        )
            .prop_map(|(bit, range)| Op::BitPos {
                bit,
                start: range.map(|(start, _)| start),
                end: range.and_then(|(_, end)| end),
            }),
        3 => (prop::collection::vec(field(), 1..5), prop::bool::weighted(0.2))
            .prop_map(|(fields, read_only)| Op::BitField { fields, read_only }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn bit_commands_match_the_model(ops in prop::collection::vec(op(), 1..40)) {
        check(&ops);
    }
}

/// The check fails on a wrong reply: a GETBIT answering 1 where the model holds nothing.
#[test]
#[should_panic(expected = "GetBit")]
fn the_model_check_can_fail() {
    let mut model = checks::bitfield::Model::default();
    checks::bitfield::expect_reply(&mut model, &Op::GetBit { offset: 3 }, b":1\r\n");
}

#[test]
fn errors_are_redis_texts() {
    let mut client = Client::new();
    let cases: &[(&[&str], &str)] = &[
        (&["setbit", "k", "-1", "1"], "-ERR bit offset is not an integer or out of range\r\n"),
        (&["setbit", "k", "4294967296", "1"], "-ERR bit offset is not an integer or out of range\r\n"),
        (&["setbit", "k", "0", "2"], "-ERR bit is not an integer or out of range\r\n"),
        (&["setbit", "k", "0", "x"], "-ERR bit is not an integer or out of range\r\n"),
        (&["getbit", "k", "x"], "-ERR bit offset is not an integer or out of range\r\n"),
        (&["bitpos", "k", "2"], "-ERR The bit argument must be 1 or 0.\r\n"),
        (&["bitop", "not", "d", "a", "b"], "-ERR BITOP NOT must be called with a single source key.\r\n"),
        (&["bitop", "nand", "d", "a"], "-ERR syntax error\r\n"),
        (&["bitfield", "k", "get", "u64", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
        (&["bitfield", "k", "overflow", "no"], "-ERR Invalid OVERFLOW type specified\r\n"),
        (&["bitfield", "k", "get", "i8"], "-ERR syntax error\r\n"),
        (&["bitfield", "k", "set", "i8", "0", "x"], "-ERR value is not an integer or out of range\r\n"),
        (&["bitfield", "k", "get", "i8", "#9223372036854775807"], "-ERR bit offset is not an integer or out of range\r\n"),
        (&["bitfield_ro", "k", "incrby", "i8", "0", "1"], "-ERR BITFIELD_RO only supports the GET subcommand\r\n"),
        (&["lcs", "a", "b", "len", "idx"], "-ERR If you want both the length and indexes, please just use IDX.\r\n"),
        (&["lcs", "a", "b", "minmatchlen"], "-ERR syntax error\r\n"),
    ];
    for (args, expected) in cases {
        assert_eq!(client.send(args), *expected, "{args:?}");
    }
    assert_eq!(
        client.send(&["exists", "k", "d"]),
        ":0\r\n",
        "no error wrote"
    );
    client.send(&["sadd", "s", "m"]);
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for args in [
        &["setbit", "s", "0", "1"][..],
        &["getbit", "s", "0"],
        &["bitcount", "s"],
        &["bitpos", "s", "1"],
        &["bitop", "or", "d", "k", "s"],
        &["bitfield", "s", "get", "i8", "0"],
        &["bitfield", "s", "set", "i8", "0", "1"],
    ] {
        assert_eq!(client.send(args), wrongtype, "{args:?}");
    }
    assert_eq!(
        client.send(&["lcs", "s", "k"]),
        "-ERR The specified keys must contain string values\r\n"
    );
}

/// Offsets are bounded by proto-max-bulk-len, so no argument asks for an unbounded string, and
/// extreme ranges neither panic nor overflow.
#[test]
fn offsets_and_ranges_at_the_extremes() {
    let mut client = Client::new();
    client.send(&["config", "set", "proto-max-bulk-len", "1mb"]);
    let limit_bits = (1u64 << 20) * 8;
    let last = (limit_bits - 1).to_string();
    assert_eq!(client.send(&["setbit", "k", &last, "1"]), ":0\r\n");
    assert_eq!(client.send(&["strlen", "k"]), ":1048576\r\n");
    let past = limit_bits.to_string();
    assert!(client
        .send(&["setbit", "k", &past, "1"])
        .starts_with("-ERR bit offset"));
    // A field may start on the last bit and reach a few bytes past the limit, as in Redis.
    // The old value: the top bit alone is i64::MIN.
    assert_eq!(
        client.send(&["bitfield", "k", "set", "i64", &last, "-1"]),
        format!("*1\r\n:{}\r\n", i64::MIN)
    );
    assert_eq!(client.send(&["strlen", "k"]), ":1048584\r\n");
    let hash_past = format!("#{}", limit_bits / 64);
    assert!(client
        .send(&["bitfield", "k", "get", "i64", &hash_past])
        .starts_with("-ERR bit offset"));
    let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
    for unit in ["byte", "bit"] {
        assert_eq!(client.send(&["bitcount", "k", &min, &max, unit]), ":64\r\n");
        assert_eq!(client.send(&["bitcount", "k", &max, &min, unit]), ":0\r\n");
        assert_eq!(
            client.send(&["bitpos", "k", "1", &min, &max, unit]),
            format!(":{last}\r\n")
        );
        assert_eq!(
            client.send(&["bitpos", "k", "0", &max, &max, unit]),
            ":-1\r\n"
        );
    }
}

/// A write that Redis does not count as a change (a bit set to its value, a field set to what
/// it holds, only GETs) leaves a WATCH intact and is not propagated; one that changes a bit is
/// both.
#[test]
fn watch_and_propagation_see_only_real_changes() {
    let mut client = Client::new();
    client.server.record_propagation(true);
    client.send(&["setbit", "k", "9", "1"]);
    client.server.take_propagated();
    let no_changes: &[&[&str]] = &[
        &["setbit", "k", "9", "1"],
        &["setbit", "k", "0", "0"],
        &["bitfield", "k", "set", "u8", "8", "64"],
        &[
            "bitfield", "k", "get", "u8", "0", "overflow", "fail", "incrby", "u8", "0", "-1",
        ],
        &["bitfield_ro", "k", "get", "i16", "0"],
        &["bitop", "and", "d", "nothing"],
    ];
    for args in no_changes {
        assert!(!client.command_fails_watch("k", args), "{args:?}");
        assert!(client.server.take_propagated().is_empty(), "{args:?}");
    }
    let changes: &[&[&str]] = &[
        &["setbit", "k", "9", "0"],
        &["setbit", "k", "100", "0"],
        &["bitfield", "k", "incrby", "u8", "8", "1"],
        &["bitop", "not", "k", "k"],
    ];
    for args in changes {
        assert!(client.command_fails_watch("k", args), "{args:?}");
        assert_eq!(client.server.take_propagated().len(), 1, "{args:?}");
    }
}

#[test]
fn grown_strings_are_raw_and_integers_read_as_text() {
    let mut client = Client::new();
    client.send(&["set", "n", "1234"]);
    assert_eq!(client.send(&["object", "encoding", "n"]), "$3\r\nint\r\n");
    // "1" is 0x31: bits 2, 3 and 7 of the first byte.
    assert_eq!(client.send(&["getbit", "n", "2"]), ":1\r\n");
    assert_eq!(
        client.send(&["bitcount", "n"]),
        format!(":{}\r\n", 3 + 3 + 4 + 3)
    );
    assert_eq!(
        client.send(&["bitfield", "n", "get", "u8", "#1"]),
        "*1\r\n:50\r\n"
    );
    assert_eq!(client.send(&["setbit", "n", "7", "0"]), ":1\r\n");
    assert_eq!(client.send(&["get", "n"]), "$4\r\n0234\r\n");
    assert_eq!(client.send(&["object", "encoding", "n"]), "$3\r\nraw\r\n");
    assert_eq!(client.send(&["bitop", "or", "d", "n"]), ":4\r\n");
    assert_eq!(client.send(&["object", "encoding", "d"]), "$3\r\nraw\r\n");
    // A write that changes nothing still leaves the string raw, as Redis's unsharing does.
    client.send(&["set", "m", "5"]);
    assert_eq!(client.send(&["setbit", "m", "0", "0"]), ":0\r\n");
    assert_eq!(client.send(&["object", "encoding", "m"]), "$3\r\nraw\r\n");
    client.send(&["set", "e", "", "ex", "100"]);
    assert_eq!(client.send(&["bitop", "and", "e", "missing"]), ":0\r\n");
    assert_eq!(
        client.send(&["exists", "e"]),
        ":0\r\n",
        "an empty result deletes"
    );
}

#[test]
fn lcs_replies_in_both_protocols() {
    let mut client = Client::new();
    client.send(&["mset", "a", "ohmytext", "b", "mynewtext"]);
    assert_eq!(client.send(&["lcs", "a", "b"]), "$6\r\nmytext\r\n");
    assert_eq!(client.send(&["lcs", "a", "b", "LEN"]), ":6\r\n");
    let matches = "*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n";
    assert_eq!(
        client.send(&["lcs", "a", "b", "idx", "withmatchlen"]),
        format!("*4\r\n$7\r\nmatches\r\n{matches}$3\r\nlen\r\n:6\r\n")
    );
    assert_eq!(
        client.send(&["lcs", "a", "b", "idx", "minmatchlen", "3"]),
        "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"
    );
    client.send(&["hello", "3"]);
    assert_eq!(
        client.send(&["lcs", "a", "b", "idx", "withmatchlen"]),
        format!("%2\r\n$7\r\nmatches\r\n{matches}$3\r\nlen\r\n:6\r\n")
    );
    assert_eq!(client.send(&["lcs", "x", "y"]), "$0\r\n\r\n");
}

/// Redis checks a signed SET against the field's range through `max - value` in wrapping 64-bit
/// arithmetic, so under SAT a value below `max - i64::MAX` is stored as the maximum; from that
/// bound up it is the minimum, as arithmetic says (answers recorded from Redis 7.0.15).
#[test]
fn saturating_set_of_a_hugely_negative_value_follows_redis() {
    let mut client = Client::new();
    let cases = [
        ("-9223372036854775808", ":15"),
        ("-9223372036854775793", ":15"),
        ("-9223372036854775792", ":-16"),
    ];
    for (value, stored) in cases {
        let reply = client.send(&[
            "bitfield", "a", "overflow", "sat", "set", "i5", "0", value, "get", "i5", "0",
        ]);
        assert!(
            reply.ends_with(&format!("{stored}\r\n")),
            "{value}: {reply}"
        );
    }
    let reply = client.send(&[
        "bitfield",
        "a",
        "overflow",
        "wrap",
        "set",
        "i5",
        "0",
        "-9223372036854775807",
        "get",
        "i5",
        "0",
    ]);
    assert!(reply.ends_with(":1\r\n"), "{reply}");
}
