//! COMMAND DOCS of the bitmap commands.

use super::{block, doc, integer, key, oneof, pure, string, Doc};

pub(super) static DOCS: &[Doc] = &[
    doc(
        "bitcount",
        "bitmap",
        "2.6.0",
        "Tallies the 1 bits of a string, optionally within a byte or bit range",
        &[
            key("key", 0),
            block(
                "index",
                &[
                    integer("start"),
                    integer("end"),
                    oneof("index_unit", &[pure("byte", "BYTE"), pure("bit", "BIT")])
                        .since("7.0.0")
                        .optional(),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(N) where N is the number of bytes scanned"),
    doc(
        "bitfield",
        "bitmap",
        "3.2.0",
        "Reads, writes and increments integer fields of any width inside a string",
        &[
            key("key", 0),
            oneof(
                "operation",
                &[
                    block("encoding_offset", &[string("encoding"), integer("offset")]).token("GET"),
                    block(
                        "write",
                        &[
                            oneof(
                                "wrap_sat_fail",
                                &[
                                    pure("wrap", "WRAP"),
                                    pure("sat", "SAT"),
                                    pure("fail", "FAIL"),
                                ],
                            )
                            .token("OVERFLOW")
                            .optional(),
                            oneof(
                                "write_operation",
                                &[
                                    block(
                                        "encoding_offset_value",
                                        &[string("encoding"), integer("offset"), integer("value")],
                                    )
                                    .token("SET"),
                                    block(
                                        "encoding_offset_increment",
                                        &[
                                            string("encoding"),
                                            integer("offset"),
                                            integer("increment"),
                                        ],
                                    )
                                    .token("INCRBY"),
                                ],
                            ),
                        ],
                    ),
                ],
            )
            .optional()
            .multiple(),
        ],
    )
    .complexity("O(1) per operation"),
    doc(
        "bitfield_ro",
        "bitmap",
        "6.0.0",
        "Reads integer fields of any width from a string without modifying it",
        &[
            key("key", 0),
            block("encoding_offset", &[string("encoding"), integer("offset")])
                .token("GET")
                .optional()
                .multiple()
                .multiple_token(),
        ],
    )
    .complexity("O(1) per operation"),
    doc(
        "bitop",
        "bitmap",
        "2.6.0",
        "Combines strings with AND, OR, XOR or NOT and saves the result in a destination key",
        &[
            string("operation"),
            key("destkey", 0),
            key("key", 1).multiple(),
        ],
    )
    .complexity("O(N) where N is the length of the longest input"),
    doc(
        "bitpos",
        "bitmap",
        "2.8.7",
        "Locates the first 0 or 1 bit in a string, optionally within a range",
        &[
            key("key", 0),
            integer("bit"),
            block(
                "index",
                &[
                    integer("start"),
                    block(
                        "end_index",
                        &[
                            integer("end"),
                            oneof("index_unit", &[pure("byte", "BYTE"), pure("bit", "BIT")])
                                .since("7.0.0")
                                .optional(),
                        ],
                    )
                    .optional(),
                ],
            )
            .optional(),
        ],
    )
    .complexity("O(N) where N is the number of bytes scanned"),
    doc(
        "getbit",
        "bitmap",
        "2.2.0",
        "Reads the bit at an offset of a string value",
        &[key("key", 0), integer("offset")],
    )
    .complexity("O(1)"),
    doc(
        "setbit",
        "bitmap",
        "2.2.0",
        "Writes a 0 or 1 at a bit offset of a string and returns the previous bit",
        &[key("key", 0), integer("offset"), integer("value")],
    )
    .complexity("O(1)"),
];
